//! `tia init`: a first model from a few answers — the controller, the processing and the
//! processor — checked against the knowledge (every id must exist; a country may be given by
//! its name, a processor by catalogue id, LEI or name), written as commented YAML that loads.
//! The questions are asked at a terminal; flags answer them for scripts.

use crate::knowledge::catalog::{self, Kind};
use crate::knowledge::{ControllerKind, Knowledge};
use crate::model::Lang;

/// The answers a first model needs.
#[derive(Debug, Clone)]
pub struct Answers {
    pub title: Option<String>,
    pub controller: String,
    /// A country code or name ("SE", "Sverige", "Denmark").
    pub country: String,
    pub kind: ControllerKind,
    pub purpose: String,
    pub subjects: Vec<String>,
    pub categories: Vec<String>,
    /// How many people the data concern, if known.
    pub subjects_count: Option<u64>,
    /// A catalogue id, `lei:XXXX`, an LEI, or a legal name (then `processor_country` is
    /// needed unless the name finds one catalogue entry).
    pub processor: String,
    pub processor_country: Option<String>,
    pub service: Option<String>,
    pub lang: Lang,
}

/// How the processor was found.
#[derive(Debug, Clone, PartialEq)]
pub enum Processor {
    /// A catalogue entry, by id.
    Vendor(String),
    /// A catalogue entry, by LEI.
    Lei(String),
    /// Not in the catalogue: a name and the country of incorporation; owners unknown.
    Free { name: String, country: String },
}

/// A country code from a code or a name in any of the knowledge's languages.
pub fn country(kb: &Knowledge, input: &str) -> Result<String, String> {
    let t = input.trim();
    if let Some(j) = kb
        .jurisdictions
        .iter()
        .find(|j| j.code.eq_ignore_ascii_case(t))
    {
        return Ok(j.code.clone());
    }
    if let Some(code) = catalog::id_by_name(kb, Kind::Countries, t) {
        return Ok(code);
    }
    let near: Vec<String> = [Lang::Sv, Lang::En, Lang::Da]
        .into_iter()
        .flat_map(|l| catalog::search(kb, Kind::Countries, l, t))
        .map(|i| format!("{} ({})", i.id, i.name))
        .take(5)
        .collect();
    Err(if near.is_empty() {
        format!(
            "`{t}` is not a country the knowledge knows; `tia knowledge list countries` lists them"
        )
    } else {
        format!(
            "`{t}` is not a country code; did you mean {}?",
            near.join(", ")
        )
    })
}

/// The processor from a catalogue id, an LEI, or a name.
pub fn processor(
    kb: &Knowledge,
    input: &str,
    country_hint: Option<&str>,
) -> Result<Processor, String> {
    let t = input.trim();
    if kb.vendors.contains(t) {
        return Ok(Processor::Vendor(t.to_string()));
    }
    let lei = t.strip_prefix("lei:").unwrap_or(t).trim();
    if lei.len() == 20 && lei.chars().all(|c| c.is_ascii_alphanumeric()) {
        let lei = lei.to_ascii_uppercase();
        return if kb
            .vendors
            .iter()
            .any(|v| v.lei.as_deref() == Some(lei.as_str()))
        {
            Ok(Processor::Lei(lei))
        } else {
            Err(format!(
                "no catalogue entry has the LEI {lei}; import it first with `tia knowledge import-gleif --lei {lei} …`, or give the processor's name and --processor-country"
            ))
        };
    }
    let exact: Vec<&crate::knowledge::Vendor> = kb
        .vendors
        .iter()
        .filter(|v| v.name.eq_ignore_ascii_case(t))
        .collect();
    if let [v] = exact.as_slice() {
        return Ok(Processor::Vendor(v.id.clone()));
    }
    match country_hint {
        Some(c) => Ok(Processor::Free {
            name: t.to_string(),
            country: country(kb, c)?,
        }),
        None => {
            let near: Vec<String> = catalog::search(kb, Kind::Vendors, Lang::En, t)
                .into_iter()
                .map(|i| format!("{} ({})", i.id, i.name))
                .take(5)
                .collect();
            Err(if near.is_empty() {
                format!("`{t}` is not in the vendor catalogue: give its country of incorporation with --processor-country (its owners will be unknown until you add them)")
            } else {
                format!(
                    "`{t}` is not a catalogue id; did you mean {}? Or give --processor-country to enter it as a new party",
                    near.join(", ")
                )
            })
        }
    }
}

/// Checks that each id is of `kind`; suggests ids whose names match the unknown ones.
fn ids(
    kb: &Knowledge,
    kind: Kind,
    lang: Lang,
    given: &[String],
    what: &str,
) -> Result<Vec<String>, String> {
    let known = catalog::list(kb, kind, lang);
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for g in given.iter().map(|g| g.trim()).filter(|g| !g.is_empty()) {
        if known.iter().any(|i| i.id == g) {
            out.push(g.to_string());
            continue;
        }
        // A name in the user's language finds its id.
        let by_name: Vec<&catalog::Item> = known
            .iter()
            .filter(|i| i.name.eq_ignore_ascii_case(g))
            .collect();
        if let [i] = by_name.as_slice() {
            out.push(i.id.clone());
            continue;
        }
        let near: Vec<String> = catalog::search(kb, kind, lang, g)
            .into_iter()
            .map(|i| format!("{} ({})", i.id, i.name))
            .take(4)
            .collect();
        problems.push(if near.is_empty() {
            format!("`{g}` is not one of the {what}")
        } else {
            format!(
                "`{g}` is not one of the {what}; did you mean {}?",
                near.join(", ")
            )
        });
    }
    if !problems.is_empty() {
        return Err(format!(
            "{} (`tia knowledge list {}` lists them)",
            problems.join("; "),
            kind.as_str()
        ));
    }
    if out.is_empty() {
        return Err(format!(
            "give at least one of the {what} (`tia knowledge list {}`)",
            kind.as_str()
        ));
    }
    Ok(out)
}

/// A YAML scalar for any text: a JSON string is a valid YAML double-quoted scalar, so no
/// answer can become structure.
fn q(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

/// The kind's word in the model.
fn kind_word(k: ControllerKind) -> &'static str {
    match k {
        ControllerKind::PublicBody => "public_body",
        ControllerKind::Company => "company",
        ControllerKind::EuInstitution => "eu_institution",
    }
}

/// The model text for the answers, or every problem found in them.
pub fn model_text(
    kb: &Knowledge,
    a: &Answers,
    today: chrono::NaiveDate,
) -> Result<String, Vec<String>> {
    let mut problems = Vec::new();
    let mut need = |field: &str, v: &str| {
        if v.trim().is_empty() {
            problems.push(format!("{field} is empty"));
        }
    };
    need("the controller", &a.controller);
    need("the purpose", &a.purpose);
    need("the processor", &a.processor);
    let country = country(kb, &a.country).map_err(|e| problems.push(e)).ok();
    let subjects = ids(
        kb,
        Kind::Subjects,
        a.lang,
        &a.subjects,
        "data subject categories",
    )
    .map_err(|e| problems.push(e))
    .ok();
    let categories = ids(
        kb,
        Kind::Categories,
        a.lang,
        &a.categories,
        "data categories",
    )
    .map_err(|e| problems.push(e))
    .ok();
    let processor = if a.processor.trim().is_empty() {
        None
    } else {
        processor(kb, &a.processor, a.processor_country.as_deref())
            .map_err(|e| problems.push(e))
            .ok()
    };
    let (Some(country), Some(subjects), Some(categories), Some(processor), true) = (
        country,
        subjects,
        categories,
        processor,
        problems.is_empty(),
    ) else {
        return Err(problems);
    };
    let title = a
        .title
        .clone()
        .unwrap_or_else(|| format!("{} – {}", a.controller.trim(), a.purpose.trim()));
    let lang = a.lang.code();
    let mut y = String::new();
    y.push_str(&format!(
        "# yaml-language-server: $schema=model.schema.json\n\
         # (an editor completes and checks the ids with it: `tia schema > model.schema.json`)\n\
         # Written by `tia init` on {today} with knowledge {} (as of {}).\n\
         # Check every statement below, then run `tia assess THIS_FILE` and `tia memo THIS_FILE`.\n\
         # The ids come from the knowledge: `tia knowledge list categories|subjects|measures|vendors|countries`.\n",
        kb.meta.version, kb.meta.as_of
    ));
    y.push_str(&format!(
        "assessment:\n  title: {}\n  language: {lang}\n  # reference: \"KS 2026/0000\"   # the case number, when there is one\n  # next_review: {}   # review the assessment by this day (EDPB step 6)\n",
        q(&title),
        today + chrono::Months::new(12)
    ));
    y.push_str(&format!(
        "controller:\n  name: {}\n  country: {country}\n  kind: {}   # public_body | company | eu_institution\n  # decision_body: \"Kommunstyrelsen\"   # the organ the memo's proposed decision is written for\n  # dpo: {{ name: \"…\", email: \"…\" }}\n",
        q(a.controller.trim()),
        kind_word(a.kind)
    ));
    y.push_str(&format!(
        "processing:\n  purpose: {}\n  # legal_basis: \"art. 6.1 e GDPR …\"\n  # necessity: \"why this processing, and why less intrusive means do not suffice\"\n  data_subjects: [{}]\n  data_categories: [{}]\n",
        q(a.purpose.trim()),
        subjects.join(", "),
        categories.join(", ")
    ));
    if let Some(n) = a.subjects_count {
        y.push_str(&format!("  scale: {{ subjects: {n} }}\n"));
    } else {
        y.push_str("  # scale: { subjects: 1000 }   # how many people the data concern\n");
    }
    y.push_str("parties:\n  - id: processor\n");
    match &processor {
        Processor::Vendor(id) => {
            y.push_str(&format!("    vendor: {id}   # from the catalogue: `tia knowledge show {id}`\n"))
        }
        Processor::Lei(lei) => y.push_str(&format!("    lei: {lei}\n")),
        Processor::Free { name, country } => y.push_str(&format!(
            "    name: {}\n    incorporated: {country}\n    locations: [{country}]   # where it stores and processes the data: check the DPA\n    parents: unknown   # who owns it? a business-register extract or annual report says; unknown is a finding\n",
            q(name)
        )),
    }
    y.push_str("    role: processor\n");
    if let Some(s) = a.service.as_ref().filter(|s| !s.trim().is_empty()) {
        y.push_str(&format!("    service: {}\n", q(s.trim())));
    }
    y.push_str(
        "    # dpa: { change_notice_days: 30, objection_days: 30 }   # the DPA's terms for new sub-processors\n\
         # Sub-processors: add each as a party with role: subprocessor and a flow from the processor,\n\
         # or import the DPA's list: `tia import subprocessors LIST.csv --model THIS_FILE --under processor`.\n\
         flows:\n  - from: controller\n    to: processor\n    access: cleartext   # cleartext | encrypted (then say who holds the keys)\n",
    );
    Ok(y)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers() -> Answers {
        Answers {
            title: None,
            controller: "Exempel kommun".into(),
            country: "Sverige".into(),
            kind: ControllerKind::PublicBody,
            purpose: "Lönehantering \"med citat\": och kolon".into(),
            subjects: vec!["employees".into()],
            categories: vec!["identity".into(), "contact".into()],
            subjects_count: Some(4000),
            processor: "microsoft-ireland".into(),
            processor_country: None,
            service: None,
            lang: Lang::Sv,
        }
    }

    #[test]
    fn the_answers_make_a_model_that_loads_and_names_in_any_language_find_their_ids() {
        let kb = Knowledge::embedded().unwrap();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let text = model_text(&kb, &answers(), today).unwrap();
        let m = crate::model::load_model(&text, "init.yaml", &kb).unwrap();
        assert_eq!(m.controller.country, "SE");
        assert!(text.contains("\"Lönehantering \\\"med citat\\\": och kolon\""));
        assert_eq!(country(&kb, "Tyskland").unwrap(), "DE");
        assert_eq!(country(&kb, "denmark").unwrap(), "DK");
        assert!(country(&kb, "Sverig").unwrap_err().contains("SE"));
        let mut a = answers();
        a.processor = "Nordic Hosting AB".into();
        a.processor_country = Some("SE".into());
        let text = model_text(&kb, &a, today).unwrap();
        assert!(text.contains("parents: unknown"));
        crate::model::load_model(&text, "init.yaml", &kb).unwrap();
    }

    #[test]
    fn every_problem_is_said_at_once_with_suggestions() {
        let kb = Knowledge::embedded().unwrap();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let mut a = answers();
        a.country = "Atlantis".into();
        a.categories = vec!["identity".into(), "helth".into()];
        a.processor = "Microsoft".into();
        let problems = model_text(&kb, &a, today).unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("Atlantis")));
        assert!(problems.iter().any(|p| p.contains("helth")));
        assert!(problems
            .iter()
            .any(|p| p.contains("microsoft-ireland") || p.contains("microsoft-corp")));
    }
}
