//! `knowledge/identifiers.yaml`: the legal-form words left out when company names are compared,
//! and the national company-number formats a sub-processor list's numbers are read by. Data,
//! with sources; the code only applies them.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Identifiers {
    pub legal_forms: LegalForms,
    #[serde(default)]
    pub company_numbers: Vec<CompanyNumber>,
    #[serde(default)]
    pub vat_prefixes: VatPrefixes,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LegalForms {
    pub source: String,
    pub as_of: chrono::NaiveDate,
    /// Lower-case words, by the country whose law has the form.
    pub by_country: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyNumber {
    pub country: String,
    pub name: String,
    /// `N` for a digit, other characters as written (`NNNNNN-NNNN`).
    pub shapes: Vec<String>,
    /// Labels written before the number, upper case (`CVR`, `ORGNR`).
    #[serde(default)]
    pub labels: Vec<String>,
    pub source: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VatPrefixes {
    pub source: String,
    /// VAT prefix → ISO 3166-1 code, where they differ.
    #[serde(default)]
    pub differing: BTreeMap<String, String>,
}

impl Identifiers {
    /// Whether `word` (lower case, without punctuation) is a legal form somewhere.
    pub fn is_legal_form(&self, word: &str) -> bool {
        self.legal_forms
            .by_country
            .values()
            .any(|forms| forms.iter().any(|f| f == word))
    }

    /// A company name as compared: lower case, without punctuation and legal-form words
    /// ("Compaya A/S" → "compaya", "OVH Groupe S.A." → "ovh groupe"); a name of legal-form
    /// words only stays as it is.
    pub fn name_key(&self, name: &str) -> String {
        let lower = name.to_lowercase().replace(['.', '/', '\''], "");
        let tokens: Vec<&str> = lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .collect();
        let kept: Vec<&str> = tokens
            .iter()
            .copied()
            .filter(|t| !self.is_legal_form(t))
            .collect();
        if kept.is_empty() {
            tokens.join(" ")
        } else {
            kept.join(" ")
        }
    }

    /// The country a company or VAT number's format points to, with the reason in words; only
    /// countries `known` accepts. None when no format fits, or a labelled number fits none of
    /// its label's formats.
    pub fn country_of_number(
        &self,
        number: &str,
        known: impl Fn(&str) -> bool,
    ) -> Option<(String, String)> {
        let upper: String = number
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '.' && *c != ':')
            .flat_map(char::to_uppercase)
            .collect();
        // A label first (longest first, so CVR-NR is not read as CVR).
        let mut labels: Vec<(&str, &CompanyNumber)> = self
            .company_numbers
            .iter()
            .flat_map(|f| f.labels.iter().map(move |l| (l.as_str(), f)))
            .collect();
        labels.sort_by_key(|(l, _)| std::cmp::Reverse(l.len()));
        let labelled = labels.iter().find(|(l, _)| upper.starts_with(l));
        let body = match labelled {
            Some((l, _)) => upper[l.len()..].trim_start_matches(['-', '#']),
            None => upper.trim_matches('-'),
        };
        // A VAT number: the country's prefix, then digits (DE812871812, SE556906561701).
        if labelled.is_none() {
            let letters: String = body
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            let rest = &body[letters.len()..];
            if letters.len() == 2 && rest.len() >= 8 && rest.chars().all(|c| c.is_ascii_digit()) {
                let code = self
                    .vat_prefixes
                    .differing
                    .get(&letters)
                    .cloned()
                    .unwrap_or_else(|| letters.clone());
                if known(&code) {
                    return Some((code, format!("the VAT number's country prefix `{letters}`")));
                }
            }
        }
        let shape: String = body
            .chars()
            .map(|c| if c.is_ascii_digit() { 'N' } else { c })
            .collect();
        let candidates: Vec<&CompanyNumber> = match labelled {
            Some((l, _)) => self
                .company_numbers
                .iter()
                .filter(|f| f.labels.iter().any(|x| x == l))
                .collect(),
            None => self.company_numbers.iter().collect(),
        };
        candidates
            .into_iter()
            .find(|f| f.shapes.contains(&shape) && known(&f.country))
            .map(|f| {
                let why = match labelled {
                    Some((l, _)) => format!("the {} (\"{l}\" and {shape}), {}", f.name, f.country),
                    None => format!("the {} format {shape}, {}", f.name, f.country),
                };
                (f.country.clone(), why)
            })
    }
}

#[cfg(test)]
mod tests {
    fn ids() -> super::Identifiers {
        crate::Knowledge::embedded().unwrap().identifiers
    }

    #[test]
    fn names_lose_their_legal_forms() {
        let i = ids();
        assert_eq!(i.name_key("Compaya A/S"), "compaya");
        assert_eq!(i.name_key("OVH Groupe S.A."), "ovh groupe");
        assert_eq!(i.name_key("Hetzner Online GmbH"), "hetzner online");
        assert_eq!(i.name_key("AB"), "ab", "nothing else: kept");
    }

    #[test]
    fn numbers_point_to_countries_by_their_format_and_label() {
        let i = ids();
        let all = |_: &str| true;
        let c = |n: &str| i.country_of_number(n, all).map(|(c, _)| c);
        assert_eq!(c("556906-5617").as_deref(), Some("SE"));
        assert_eq!(c("5569065617").as_deref(), Some("SE"));
        assert_eq!(c("CVR 12 34 56 78").as_deref(), Some("DK"));
        assert_eq!(c("12345678").as_deref(), Some("DK"));
        assert_eq!(
            c("CVR-nr. 5569065617"),
            None,
            "a CVR label with ten digits fits nothing"
        );
        assert_eq!(c("2331006-6").as_deref(), Some("FI"));
        assert_eq!(c("EL123456789").as_deref(), Some("GR"));
        assert_eq!(c("DE 812871812").as_deref(), Some("DE"));
        assert_eq!(c("HRB 12345"), None);
        let (_, why) = i.country_of_number("CVR 12345678", all).unwrap();
        assert!(why.contains("CVR-nummer"), "{why}");
    }
}
