//! What-if scenarios as data: "the DPF is annulled from 1 January 2027", "vendor X is bought
//! by Y", "law L lapses", "country C's adequacy ends". Each is applied to a *copy* of the
//! knowledge base (the shared one is never changed) and the portfolio is judged again under it.
//!
//! Scenarios live in `knowledge/scenarios/*.yaml` (loaded and checked with the knowledge) or in
//! an ad hoc file given to `tia portfolio --what-if FILE`, in the same format: a list of
//! entries, each with an `id`, a `kind`, a `title` in sv/en (da), a `from` date, citations and
//! the fields its kind needs. No fact about a country, law or vendor is in this code: the
//! scenario names them, and the knowledge base holds them.

use super::{Citation, Knowledge, Origin, Period, Text, Vendor, VendorOwner, VendorParents};
use crate::diag::{known_hint, Diagnostic, InputError};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What a scenario changes (a closed set: each has code that applies it).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ScenarioKind {
    /// The EU–US Data Privacy Framework is suspended or annulled from `from`: every adequacy
    /// decision scoped to DPF-certified organisations ends, so every transfer that rests on
    /// the DPF loses its tool.
    DpfInvalid,
    /// `vendor` is acquired by `acquirer` (a catalogue vendor) or by a company named
    /// `acquirer_name` incorporated in `acquirer_country`, with `share` (default 1) from
    /// `from`: its earlier owners end the day before.
    Acquisition,
    /// `law` lapses (or is amended out of reach) from `from`.
    LawLapse,
    /// Every adequacy decision for `country` ends from `from`.
    AdequacyEnds,
}

impl ScenarioKind {
    pub fn key(self) -> &'static str {
        match self {
            ScenarioKind::DpfInvalid => "dpf-invalid",
            ScenarioKind::Acquisition => "acquisition",
            ScenarioKind::LawLapse => "law-lapse",
            ScenarioKind::AdequacyEnds => "adequacy-ends",
        }
    }
}

/// One what-if scenario.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub id: String,
    pub kind: ScenarioKind,
    pub title: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    /// The first day the change holds (`tia portfolio --from` overrides it); without either,
    /// the day judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    /// acquisition: the catalogue vendor acquired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// acquisition: the buyer, a catalogue vendor id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquirer: Option<String>,
    /// acquisition: the buyer's name, when it is not in the catalogue (with `acquirer_country`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquirer_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquirer_country: Option<String>,
    /// acquisition: the share bought, above 0 and at most 1 (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    /// law-lapse: the law's id in knowledge/laws.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub law: Option<String>,
    /// adequacy-ends: the country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Where the scenario comes from (a judgment, a letter, a press release in the sources).
    #[serde(default)]
    pub citations: Vec<Citation>,
    /// For an ad hoc scenario whose source is not in the knowledge base: where it comes from,
    /// in words (e.g. a press release's title and address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<NaiveDate>,
}

/// What is wrong with a scenario against a knowledge base: (field, message, expected, hint).
pub(crate) fn problems(
    kb: &Knowledge,
    s: &Scenario,
) -> Vec<(String, String, String, Option<String>)> {
    let mut out = Vec::new();
    let mut need = |field: &str, present: bool, expected: &str| {
        if !present {
            out.push((
                "kind".to_string(),
                format!("a `{}` scenario without `{field}`", s.kind.key()),
                expected.to_string(),
                None,
            ));
        }
    };
    match s.kind {
        ScenarioKind::DpfInvalid => {}
        ScenarioKind::Acquisition => {
            need(
                "vendor",
                s.vendor.is_some(),
                "`vendor: <catalogue vendor id>`, the company bought",
            );
            need(
                "acquirer",
                s.acquirer.is_some() != (s.acquirer_name.is_some() && s.acquirer_country.is_some()),
                "either `acquirer: <catalogue vendor id>`, or `acquirer_name` with `acquirer_country`",
            );
        }
        ScenarioKind::LawLapse => need(
            "law",
            s.law.is_some(),
            "`law: <law id from knowledge/laws>`",
        ),
        ScenarioKind::AdequacyEnds => {
            need("country", s.country.is_some(), "`country: <ISO 3166 code>`")
        }
    }
    for (field, id) in [("vendor", &s.vendor), ("acquirer", &s.acquirer)] {
        if let Some(id) = id {
            if !kb.vendors.contains(id) {
                out.push((
                    field.to_string(),
                    format!("unknown vendor `{id}`"),
                    "a vendor id from knowledge/vendors".to_string(),
                    Some(known_hint(id, kb.vendors.ids())),
                ));
            }
        }
    }
    if let (Some(v), Some(a)) = (&s.vendor, &s.acquirer) {
        if v == a {
            out.push((
                "acquirer".into(),
                format!("`{v}` cannot acquire itself"),
                "another vendor".into(),
                None,
            ));
        }
    }
    for (field, code) in [
        ("country", &s.country),
        ("acquirer_country", &s.acquirer_country),
    ] {
        if let Some(c) = code {
            if !kb.jurisdictions.contains(c) {
                out.push((
                    field.to_string(),
                    format!("unknown country code `{c}`"),
                    "an ISO 3166-1 alpha-2 code listed in knowledge/jurisdictions/".into(),
                    Some(known_hint(c, kb.jurisdictions.ids())),
                ));
            }
        }
    }
    if let Some(l) = &s.law {
        if !kb.laws.contains(l) {
            out.push((
                "law".into(),
                format!("unknown law `{l}`"),
                "a law id from knowledge/laws".into(),
                Some(known_hint(l, kb.laws.ids())),
            ));
        }
    }
    if let Some(share) = s.share {
        if !(share > 0.0 && share <= 1.0) {
            out.push((
                "share".into(),
                format!("share {share} is out of range"),
                "a share of capital or votes above 0 and at most 1".into(),
                None,
            ));
        }
    }
    for (i, c) in s.citations.iter().enumerate() {
        if !kb.sources.contains(&c.source) {
            out.push((
                format!("citations[{i}].source"),
                format!("unknown source `{}`", c.source),
                "the id of an entry in knowledge/sources/".into(),
                Some(known_hint(&c.source, kb.sources.ids())),
            ));
        }
    }
    if s.citations.is_empty() && s.reference.as_deref().is_none_or(|r| r.trim().is_empty()) {
        out.push((
            "citations".into(),
            "scenario without a source".into(),
            "`citations: [{ source: <id>, pinpoint: … }]`, or `reference: \"…\"` for a source not in the knowledge base".into(),
            Some("a what-if says what it rests on: a judgment, a letter, an announcement".into()),
        ));
    }
    out
}

/// Reads an ad hoc scenario file (a list of scenarios, or one) and checks it against the
/// knowledge base, with located errors.
pub fn load_file(path: &std::path::Path, kb: &Knowledge) -> Result<Vec<Scenario>, InputError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        InputError::from(
            Diagnostic::new(&name, (1, 1), format!("cannot read the scenario file: {e}"))
                .expected(
                    "a YAML file with a list of scenarios (the format of knowledge/scenarios/)",
                )
                .hint("give a scenario id from knowledge/scenarios or a readable file"),
        )
    })?;
    load_text(&text, &name, kb)
}

/// Parses and checks scenario text; see [`load_file`].
pub fn load_text(text: &str, name: &str, kb: &Knowledge) -> Result<Vec<Scenario>, InputError> {
    let (list, prefix) = match crate::yaml::from_str::<Vec<Scenario>>(text) {
        Ok(l) => (l, true),
        Err(list_err) => match crate::yaml::from_str::<Scenario>(text) {
            Ok(one) => (vec![one], false),
            Err(_) => {
                return Err(super::yaml_error(
                    name,
                    &list_err,
                    "a list of scenarios (id, kind, title, from, citations …)",
                )
                .into())
            }
        },
    };
    let map = std::cell::OnceCell::new();
    let at = |path: String| {
        map.get_or_init(|| crate::locate::SourceMap::build(text))
            .at(&path)
    };
    let mut errors = Vec::new();
    for (i, s) in list.iter().enumerate() {
        for (field, msg, expected, hint) in problems(kb, s) {
            let path = if prefix {
                format!("[{i}].{field}")
            } else {
                field.clone()
            };
            let mut d = Diagnostic::new(name, at(path), msg).expected(expected);
            if let Some(h) = hint {
                d = d.hint(h);
            }
            errors.push(d);
        }
    }
    if errors.is_empty() {
        Ok(list)
    } else {
        Err(InputError {
            diagnostics: errors,
        })
    }
}

impl Knowledge {
    /// The scenario with this id, or the scenarios of a file: `--what-if dpf-invalid` or
    /// `--what-if my-scenario.yaml`.
    pub fn scenario_or_file(&self, spec: &str) -> Result<Vec<Scenario>, InputError> {
        if let Some(s) = self.scenarios.get(spec) {
            return Ok(vec![s.clone()]);
        }
        let path = std::path::Path::new(spec);
        if path.exists() || spec.ends_with(".yaml") || spec.ends_with(".yml") {
            return load_file(path, self);
        }
        Err(
            Diagnostic::new("--what-if", (1, 1), format!("unknown scenario `{spec}`"))
                .expected("a scenario id from knowledge/scenarios, or a scenario file (.yaml)")
                .hint(known_hint(spec, self.scenarios.ids()))
                .into(),
        )
    }

    /// A copy of the knowledge base with the scenarios applied, each from `from` (else its own
    /// `from`, else `judged`). The knowledge base itself is not changed.
    pub fn with_scenarios(
        &self,
        scenarios: &[Scenario],
        from: Option<NaiveDate>,
        judged: NaiveDate,
    ) -> Knowledge {
        let mut kb = self.clone();
        for s in scenarios {
            let day = from.or(s.from).unwrap_or(judged);
            // A fact that held until a day before `day` is unchanged; one that held on or
            // after it ends the day before.
            let cut = |p: &mut Period| {
                if p.until.is_none_or(|u| u > day) {
                    p.until = Some(day);
                }
            };
            match s.kind {
                ScenarioKind::DpfInvalid => {
                    for j in &mut kb.jurisdictions.items {
                        for a in &mut j.adequacy {
                            if a.scope == super::AdequacyScope::DpfCertified {
                                cut(&mut a.period);
                            }
                        }
                    }
                }
                ScenarioKind::AdequacyEnds => {
                    if let Some(i) = s
                        .country
                        .as_deref()
                        .and_then(|c| kb.jurisdictions.position(c))
                    {
                        for a in &mut kb.jurisdictions.items[i].adequacy {
                            cut(&mut a.period);
                        }
                    }
                }
                ScenarioKind::LawLapse => {
                    if let Some(i) = s.law.as_deref().and_then(|l| kb.laws.position(l)) {
                        let law = &mut kb.laws.items[i];
                        if law.in_force.is_empty() {
                            law.in_force.push(Period::default());
                        }
                        for p in &mut law.in_force {
                            cut(p);
                        }
                    }
                }
                ScenarioKind::Acquisition => acquire(&mut kb, s, day),
            }
            kb.origin = format!("{} + scenario {}", kb.origin, s.id);
        }
        kb
    }
}

/// The bought vendor's owners: the earlier ones end the day before `day`, the buyer holds
/// `share` from `day`.
fn acquire(kb: &mut Knowledge, s: &Scenario, day: NaiveDate) {
    let Some(target) = s.vendor.as_deref().and_then(|v| kb.vendors.position(v)) else {
        return;
    };
    let source = s
        .citations
        .first()
        .map(|c| c.source.clone())
        .unwrap_or_else(|| kb.vendors.items[target].source.clone());
    let buyer = match (&s.acquirer, &s.acquirer_name, &s.acquirer_country) {
        (Some(id), _, _) => id.clone(),
        (None, Some(name), Some(country)) => {
            let id = format!("{}-acquirer", s.id);
            if !kb.vendors.contains(&id) {
                let v = Vendor {
                    id: id.clone(),
                    name: name.clone(),
                    incorporated: country.clone(),
                    registration: None,
                    parents: VendorParents::Keyword(super::OwnershipKeyword::None),
                    ownership_source: Some(source.clone()),
                    ownership_pinpoint: None,
                    ownership_as_of: Some(day),
                    lei: None,
                    locations: vec![country.clone()],
                    access_locations: Vec::new(),
                    dpf: None,
                    service: None,
                    needs_cleartext: None,
                    dpa: None,
                    eu_alternative_for: Vec::new(),
                    source: source.clone(),
                    pinpoint: None,
                    as_of: day,
                    note: Some(format!("added by the scenario `{}`", s.id)),
                };
                kb.vendors.index.insert(id.clone(), kb.vendors.items.len());
                kb.vendors.items.push(v);
                kb.vendors.origins.push(Origin {
                    file: format!("scenario {}", s.id),
                    line: 1,
                    column: 1,
                    index: 0,
                });
            }
            id
        }
        _ => return,
    };
    let v = &mut kb.vendors.items[target];
    let before = day.pred_opt().unwrap_or(day);
    let mut owners: Vec<VendorOwner> = v.parents.owners().to_vec();
    for o in &mut owners {
        if o.valid_to.is_none_or(|t| t > before) {
            o.valid_to = Some(before);
        }
    }
    owners.push(VendorOwner {
        vendor: buyer,
        share: s.share.unwrap_or(1.0),
        lei: None,
        relationship: None,
        valid_from: Some(day),
        valid_to: None,
        corroboration: None,
        status: None,
    });
    v.parents = VendorParents::Listed(owners);
    v.ownership_source = Some(source);
    v.ownership_as_of = Some(day);
}
