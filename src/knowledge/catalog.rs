//! The knowledge at hand: the ids a model may use, listed by kind with their names
//! (`tia knowledge list KIND`), and any entry in full by its id (`tia knowledge show ID`). The
//! web knowledge page shows the same lists.

use super::Knowledge;
use crate::model::Lang;
use chrono::NaiveDate;
use serde::Serialize;

/// What `tia knowledge list` can list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Countries and territories (`country:`, `incorporated:`, `locations:`).
    Countries,
    /// Data categories (`processing.data_categories`).
    Categories,
    /// Data subject categories (`processing.data_subjects`).
    Subjects,
    /// Supplementary measures (`measures:` on a flow or the processing).
    Measures,
    /// The vendor catalogue (`vendor:` on a party).
    Vendors,
    /// Policy profiles (`policy:`).
    Profiles,
    /// Foreign laws that can compel access.
    Laws,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Countries,
        Kind::Categories,
        Kind::Subjects,
        Kind::Measures,
        Kind::Vendors,
        Kind::Profiles,
        Kind::Laws,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Countries => "countries",
            Kind::Categories => "categories",
            Kind::Subjects => "subjects",
            Kind::Measures => "measures",
            Kind::Vendors => "vendors",
            Kind::Profiles => "profiles",
            Kind::Laws => "laws",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One line of a list: the id to write in a model, its name in the asked language, and what
/// tells it apart.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Item {
    pub id: String,
    pub name: String,
    /// E.g. a vendor's country of incorporation and processing locations, a law's
    /// jurisdiction, a category's flags.
    pub detail: String,
    pub as_of: NaiveDate,
}

/// The entries of one kind, in the knowledge's order.
pub fn list(kb: &Knowledge, kind: Kind, lang: Lang) -> Vec<Item> {
    let flags = |f: &[super::types::CategoryFlag]| {
        f.iter()
            .map(|x| {
                serde_json::to_value(x)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match kind {
        Kind::Countries => kb
            .jurisdictions
            .iter()
            .map(|j| Item {
                id: j.code.clone(),
                name: j.name.get(lang).to_string(),
                detail: [
                    (!j.eu.is_empty()).then_some("EU"),
                    (!j.eea.is_empty()).then_some("EEA"),
                    (!j.adequacy.is_empty()).then_some("adequacy"),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", "),
                as_of: j.as_of,
            })
            .collect(),
        Kind::Categories => kb
            .data_categories
            .iter()
            .map(|c| Item {
                id: c.id.clone(),
                name: c.name.get(lang).to_string(),
                detail: flags(&c.flags),
                as_of: c.as_of,
            })
            .collect(),
        Kind::Subjects => kb
            .data_subjects
            .iter()
            .map(|s| Item {
                id: s.id.clone(),
                name: s.name.get(lang).to_string(),
                detail: [
                    s.vulnerable.then_some("vulnerable"),
                    s.children.then_some("children"),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", "),
                as_of: s.as_of,
            })
            .collect(),
        Kind::Measures => kb
            .measures
            .iter()
            .map(|m| Item {
                id: m.id.clone(),
                name: m.name.get(lang).to_string(),
                detail: serde_json::to_value(m.level)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                as_of: m.as_of,
            })
            .collect(),
        Kind::Vendors => kb
            .vendors
            .iter()
            .map(|v| Item {
                id: v.id.clone(),
                name: v.name.clone(),
                detail: if v.locations.is_empty() {
                    v.incorporated.clone()
                } else {
                    format!("{} → {}", v.incorporated, v.locations.join(", "))
                },
                as_of: v.as_of,
            })
            .collect(),
        Kind::Profiles => kb
            .policies
            .iter()
            .map(|p| Item {
                id: p.id.clone(),
                name: p.name.get(lang).to_string(),
                detail: if p.default {
                    "default".into()
                } else {
                    String::new()
                },
                as_of: p.as_of,
            })
            .collect(),
        Kind::Laws => kb
            .laws
            .iter()
            .map(|l| Item {
                id: l.id.clone(),
                name: l.name.get(lang).to_string(),
                detail: format!("{} · {}", l.jurisdiction, l.short),
                as_of: l.as_of,
            })
            .collect(),
    }
}

/// The entries of one kind whose id, name or detail contains `query` (ignoring case).
pub fn search(kb: &Knowledge, kind: Kind, lang: Lang, query: &str) -> Vec<Item> {
    let q = query.trim().to_lowercase();
    list(kb, kind, lang)
        .into_iter()
        .filter(|i| {
            q.is_empty()
                || i.id.to_lowercase().contains(&q)
                || i.name.to_lowercase().contains(&q)
                || i.detail.to_lowercase().contains(&q)
        })
        .collect()
}

/// The id of the one entry of `kind` whose name, in any of the knowledge's languages, is
/// `name` (ignoring case, and for vendors a trailing legal form): "Sverige", "Tyskland",
/// "Germany" → `SE`, `DE`; "Microsoft Ireland Operations" → `microsoft-ireland`.
pub fn id_by_name(kb: &Knowledge, kind: Kind, name: &str) -> Option<String> {
    let want = kb.identifiers.name_key(name);
    if want.is_empty() {
        return None;
    }
    let mut found: Vec<String> = Vec::new();
    for lang in [Lang::Sv, Lang::En, Lang::Da] {
        for i in list(kb, kind, lang) {
            if kb.identifiers.name_key(&i.name) == want && !found.contains(&i.id) {
                found.push(i.id);
            }
        }
    }
    match found.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// An entry in full, by id, of any kind (a source, a rule, an option and an authority too):
/// its kind and its fields as the knowledge states them.
pub fn show(kb: &Knowledge, id: &str) -> Vec<(&'static str, serde_json::Value)> {
    fn put<T: Serialize>(
        out: &mut Vec<(&'static str, serde_json::Value)>,
        kind: &'static str,
        v: Option<&T>,
    ) {
        if let Some(v) = v.and_then(|v| serde_json::to_value(v).ok()) {
            out.push((kind, v));
        }
    }
    let mut out = Vec::new();
    put(
        &mut out,
        "country",
        kb.jurisdictions
            .iter()
            .find(|j| j.code.eq_ignore_ascii_case(id)),
    );
    put(&mut out, "data category", kb.data_categories.get(id));
    put(&mut out, "data subject", kb.data_subjects.get(id));
    put(&mut out, "measure", kb.measures.get(id));
    put(&mut out, "vendor", kb.vendors.get(id));
    put(&mut out, "policy profile", kb.policies.get(id));
    put(&mut out, "law", kb.laws.get(id));
    put(&mut out, "source", kb.sources.get(id));
    put(&mut out, "rule", kb.rules.get(id));
    put(&mut out, "option", kb.options.get(id));
    put(&mut out, "authority", kb.authorities.get(id));
    put(&mut out, "DPIA criterion", kb.dpia_criteria.get(id));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_lists_the_ids_a_model_may_use() {
        let kb = Knowledge::embedded().unwrap();
        for kind in Kind::ALL {
            let items = list(&kb, kind, Lang::Sv);
            assert!(!items.is_empty(), "{}", kind.as_str());
            assert!(items.iter().all(|i| !i.id.is_empty() && !i.name.is_empty()));
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        let se = list(&kb, Kind::Countries, Lang::Sv);
        let se = se.iter().find(|i| i.id == "SE").unwrap();
        assert_eq!(se.name, "Sverige");
        assert!(se.detail.contains("EU"));
        let found = search(&kb, Kind::Vendors, Lang::En, "microsoft");
        assert!(found.iter().any(|i| i.id == "microsoft-corp"), "{found:?}");
        assert!(found
            .iter()
            .all(|i| i.name.to_lowercase().contains("microsoft")
                || i.id.contains("microsoft")
                || i.detail.to_lowercase().contains("microsoft")));
    }

    #[test]
    fn names_in_any_language_find_their_ids() {
        let kb = Knowledge::embedded().unwrap();
        assert_eq!(
            id_by_name(&kb, Kind::Countries, "Sverige").as_deref(),
            Some("SE")
        );
        assert_eq!(
            id_by_name(&kb, Kind::Countries, "tyskland").as_deref(),
            Some("DE")
        );
        assert_eq!(
            id_by_name(&kb, Kind::Countries, "Germany").as_deref(),
            Some("DE")
        );
        assert_eq!(
            id_by_name(&kb, Kind::Countries, "Danmark").as_deref(),
            Some("DK")
        );
        assert_eq!(
            id_by_name(&kb, Kind::Vendors, "Microsoft Ireland Operations").as_deref(),
            Some("microsoft-ireland")
        );
        assert_eq!(id_by_name(&kb, Kind::Countries, "Atlantis"), None);
    }

    #[test]
    fn show_finds_an_entry_of_any_kind_by_id() {
        let kb = Knowledge::embedded().unwrap();
        let found = show(&kb, "microsoft-corp");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "vendor");
        assert_eq!(found[0].1["incorporated"], "US");
        let law = show(&kb, "fisa-702");
        assert_eq!(law[0].0, "law");
        assert!(show(&kb, "no-such-id").is_empty());
    }
}
