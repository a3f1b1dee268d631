//! The model: parsed from YAML or JSON into plain input types, then resolved against the
//! knowledge base into validated domain types, with every error located in the file.

pub mod input;
pub mod write;

pub use input::{Access, KeyHolder, Lang, Role, TransferTool};

use crate::diag::{known_hint_text as known_hint, Diagnostic, InputError, Text};
use crate::knowledge::{yaml_diagnostic, Knowledge, MeasureLevel};
use crate::locate::SourceMap;
use input::*;
use petgraph::algo::tarjan_scc;
use petgraph::graph::DiGraph;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

/// Where a party fact came from.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum FactSource {
    /// Stated in the model file.
    Model,
    /// Taken from the vendor catalogue entry with this id.
    Vendor(String),
    /// Neither said it; the engine's default.
    Default,
}

/// A fact with its provenance.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Fact<T> {
    pub value: T,
    pub from: FactSource,
}

impl<T> Fact<T> {
    fn model(value: T) -> Self {
        Fact {
            value,
            from: FactSource::Model,
        }
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Controller {
    pub name: String,
    pub country: String,
    pub kind: crate::knowledge::ControllerKind,
    /// `kind == public_body` (kept for readers of the JSON report).
    pub public_body: bool,
    pub org_number: Option<String>,
    pub dpo: Option<ContactInput>,
    pub decision_body: Option<String>,
    pub assignee: Option<String>,
    pub report_back_by: Option<chrono::NaiveDate>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Processing {
    pub purpose: String,
    pub legal_basis: Option<String>,
    pub necessity: Option<String>,
    pub means: Option<String>,
    pub data_subjects: Vec<String>,
    pub data_categories: Vec<String>,
    /// Categories the model marks as not necessary for the purpose.
    pub unnecessary_categories: Vec<String>,
    pub participation: Option<Participation>,
    pub subjects: Option<u64>,
    pub large_scale: Option<bool>,
    pub dpia_criteria: Vec<String>,
    pub measures: Vec<String>,
}

/// An owner in a party's ownership tree.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Owner {
    pub name: String,
    pub country: String,
    pub vendor: Option<String>,
    pub share: f64,
    pub dpf_certified: bool,
    pub owners: Vec<Owner>,
    /// Whether this owner's own owners are stated (listed, or `none` with a source), all the way up.
    pub owners_known: bool,
    /// The period the relationship holds (from the catalogue's `valid_from`/`valid_to`): on
    /// other dates the owner does not count, and the ownership is unknown unless another owner
    /// holds. None: no period stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid: Option<crate::knowledge::Period>,
}

impl Owner {
    /// Whether the relationship holds on `date`.
    pub fn current_on(&self, date: chrono::NaiveDate) -> bool {
        self.valid.is_none_or(|v| v.contains(date))
    }
}

/// Whether owners stated in a tree are known on `date`: at least one listed owner holds then
/// (a list whose every relationship has ended is unknown, never "no parent"), and each owner
/// that holds is known all the way up. An empty list keeps `stated` (`none` or `unknown`).
pub fn owners_known_on(owners: &[Owner], stated: bool, date: chrono::NaiveDate) -> bool {
    if owners.is_empty() {
        return stated;
    }
    let mut current = owners.iter().filter(|o| o.current_on(date)).peekable();
    current.peek().is_some() && current.all(|o| owners_known_on(&o.owners, o.owners_known, date))
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Party {
    pub id: String,
    pub name: Fact<String>,
    pub role: Role,
    pub vendor: Option<String>,
    pub incorporated: Fact<String>,
    pub owners: Fact<Vec<Owner>>,
    /// Whether the party's ownership is stated all the way up (listed, or `none` with a
    /// source); unknown ownership is a finding, never "no foreign parent".
    pub owners_known: bool,
    /// Where the ownership facts come from.
    pub ownership_source: Option<String>,
    pub locations: Fact<Vec<String>>,
    pub access_locations: Fact<Vec<String>>,
    /// Whether the DPF covers transfers to the party: listed as active, for every kind of data
    /// (HR, other) in the processing. An unchecked status is false (unknown is never safe).
    pub dpf_certified: Fact<bool>,
    /// The party's entry on the DPF List as read (status `unknown` when nobody checked).
    pub dpf: Fact<crate::knowledge::DpfListing>,
    /// None: follow the access (a party receiving cleartext needs it).
    pub needs_cleartext: Fact<Option<bool>>,
    pub service: Option<String>,
    pub dpa: DpaInput,
    pub dpa_from: FactSource,
    pub alternatives: Vec<String>,
    /// The day the processor announced this party (a new or changed sub-processor).
    pub announced: Option<chrono::NaiveDate>,
    /// Added by an option (a replacement provider), not by the user.
    pub hypothetical: bool,
}

/// The sender of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Controller,
    Party(usize),
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Flow {
    pub id: String,
    pub from: String,
    pub to: String,
    #[serde(skip)]
    pub from_ix: Endpoint,
    #[serde(skip)]
    pub to_ix: usize,
    pub data_categories: Option<Vec<String>>,
    pub access: Access,
    pub key_holder: KeyHolder,
    pub measures: Vec<String>,
    pub transfer_tools: Vec<TransferTool>,
    /// The days each declared tool was relied on (same order as `transfer_tools`).
    #[serde(skip)]
    pub tool_periods: Vec<crate::knowledge::Period>,
    pub purpose: Option<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LawEstimate {
    pub law: String,
    pub factors: Vec<FactorInput>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RiskEstimate {
    pub horizon_years: f64,
    pub laws: Vec<LawEstimate>,
    pub note: Option<String>,
}

/// A validated model, every id resolved.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Model {
    pub file: String,
    pub input_sha256: String,
    pub title: String,
    pub reference: Option<String>,
    pub description: Option<String>,
    pub language: Lang,
    pub policy: Option<String>,
    /// The day by which the assessment is next reviewed, as the model states it.
    pub next_review: Option<chrono::NaiveDate>,
    pub controller: Controller,
    pub processing: Processing,
    pub parties: Vec<Party>,
    pub flows: Vec<Flow>,
    pub risk_estimate: Option<RiskEstimate>,
    /// What the assessment takes for granted without a source (printed in the memo).
    pub assumptions: Vec<String>,
    /// Deprecated fields the model still uses, with what to write instead.
    pub deprecations: Vec<String>,
}

/// The reserved sender id for the controller in flows.
pub const CONTROLLER: &str = "controller";

/// serde says only "did not match any variant of untagged enum X" for the fields that take
/// one of several shapes; say which shapes.
fn untagged_hint(mut d: Diagnostic) -> Diagnostic {
    const SHAPES: [(&str, &str); 3] = [
        ("OwnersInput", "shape_owners"),
        ("ToolEntry", "shape_tool"),
        ("CategoryRef", "shape_category"),
    ];
    for (name, shape) in SHAPES {
        if d.message.contains(&format!("untagged enum {name}")) {
            d.set_message(Text::message("no_accepted_shape").arg_text("shapes", Text::word(shape)));
            d = d
                .expected_text(Text::expected("shape").arg_text("shapes", Text::word(shape)))
                .hint_text(Text::hint("see_schema"));
        }
    }
    d
}

/// Hex SHA-256 of the input bytes, stored with every assessment.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// A control character other than tab, line feed and carriage return, or a bidirectional
/// override or isolate.
pub fn is_unsafe_char(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Control characters (NUL among them; tab, line feed and carriage return are fine) and the
/// bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069), which can make
/// `abc\u{202e}gnp.exe` read as "abcexe.png", are refused wherever they stand, located.
fn unsafe_character(text: &str, file: &str) -> Option<InputError> {
    let (at, c) = text.char_indices().find(|(_, c)| is_unsafe_char(*c))?;
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let key = if c.is_control() {
        "control_character"
    } else {
        "bidi_character"
    };
    Some(InputError::from(
        Diagnostic::text(
            file,
            (line, column),
            Text::message(key).arg("code", format!("{:04X}", c as u32)),
        )
        .expected_text(Text::expected("printable"))
        .hint_text(Text::hint("remove_character")),
    ))
}

/// The most parties a model may have.
pub const MAX_PARTIES: usize = 100_000;
/// The most flows a model may have.
pub const MAX_FLOWS: usize = 200_000;
/// The longest name, id, title or reference, in characters.
pub const MAX_NAME_CHARS: usize = 2_000;
/// The longest free text (a purpose, a necessity, an assumption), in characters.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// The fields held to [`MAX_NAME_CHARS`]: they name things in lists, figures and file names.
const NAME_FIELDS: [&str; 9] = [
    "id",
    "name",
    "from",
    "to",
    "vendor",
    "title",
    "reference",
    "decision_body",
    "assignee",
];

/// The first value holding a character [`unsafe_character`] refuses, or longer than its limit,
/// located by its path.
fn unsafe_values(v: &serde_json::Value, path: &str, r: &mut Resolver) {
    match v {
        serde_json::Value::String(s) => {
            let field = path.rsplit('.').next().unwrap_or(path);
            let field = field.split('[').next().unwrap_or(field);
            let (limit, key) = if NAME_FIELDS.contains(&field) {
                (MAX_NAME_CHARS, "too_long_name")
            } else {
                (MAX_TEXT_CHARS, "too_long_text")
            };
            // Bytes bound characters from above: count only when it could matter.
            if s.len() > limit && s.chars().count() > limit {
                r.err(
                    path,
                    Text::message(key)
                        .arg("path", path)
                        .arg("count", s.chars().count())
                        .arg("limit", limit),
                    Text::expected("at_most_chars").arg("limit", limit),
                    Some(Text::hint("shorten")),
                );
                return;
            }
            if let Some(c) = s.chars().find(|c| is_unsafe_char(*c)) {
                r.err(
                    path,
                    Text::message("unsafe_in_value")
                        .arg("path", path)
                        .arg("code", format!("{:04X}", c as u32)),
                    Text::expected("printable"),
                    Some(Text::hint("remove_escape")),
                );
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                if r.errors.is_empty() {
                    unsafe_values(x, &format!("{path}[{i}]"), r);
                }
            }
        }
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                if r.errors.is_empty() {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    unsafe_values(x, &p, r);
                }
            }
        }
        _ => {}
    }
}

/// Parses and validates a model file's text. `file` is the name used in error messages; JSON is
/// recognised by a `.json` extension or a leading `{`.
pub fn load_model(text: &str, file: &str, kb: &Knowledge) -> Result<Model, InputError> {
    let raw = text;
    // A byte-order mark (some Windows editors write one) is not part of the document.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(e) = unsafe_character(text, file) {
        return Err(e);
    }
    let is_json = file.ends_with(".json") || text.trim_start().starts_with('{');
    let input: ModelInput = if is_json {
        serde_json::from_str(text).map_err(|e| {
            let msg = e.to_string();
            let msg = match msg.find(" at line ") {
                Some(i) => msg[..i].to_string(),
                None => msg,
            };
            let msg = crate::diag::serde_message(&msg).unwrap_or(Text::plain(msg));
            InputError::from(
                Diagnostic::text(file, (e.line().max(1), e.column().max(1)), msg)
                    .expected_text(Text::expected("model_schema"))
                    .hint_text(Text::hint("check_json")),
            )
        })?
    } else {
        if let Some(pos) = crate::locate::first_alias(text) {
            return Err(InputError::from(
                Diagnostic::text(file, pos, Text::message("yaml_alias"))
                    .expected_text(Text::expected("written_out"))
                    .hint_text(Text::hint("replace_alias")),
            ));
        }
        crate::yaml::from_str(text).map_err(|e| {
            InputError::from(untagged_hint(yaml_diagnostic(
                file,
                &e,
                Text::expected("model_schema"),
            )))
        })?
    };
    for (what, n, max, key, at_most) in [
        (
            "parties",
            input.parties.len(),
            MAX_PARTIES,
            "too_many_parties",
            "at_most_parties",
        ),
        (
            "flows",
            input.flows.len(),
            MAX_FLOWS,
            "too_many_flows",
            "at_most_flows",
        ),
    ] {
        if n > max {
            return Err(InputError::from(
                Diagnostic::text(
                    file,
                    // The top-level key's line, found without mapping the whole (large) text.
                    text.lines()
                        .position(|l| l.starts_with(&format!("{what}:")))
                        .map_or((1, 1), |i| (i + 1, 1)),
                    Text::message(key).arg("count", n).arg("max", max),
                )
                .expected_text(Text::expected(at_most).arg("max", max))
                .hint_text(Text::hint("split_model")),
            ));
        }
    }
    let map = std::cell::OnceCell::new();
    let mut r = Resolver {
        kb,
        file,
        text,
        map: &map,
        errors: Vec::new(),
    };
    // Escapes (`"\u0000"`) can put what the text check refused into a value.
    if let Ok(v) = serde_json::to_value(&input) {
        unsafe_values(&v, "", &mut r);
        if !r.errors.is_empty() {
            return Err(InputError::from(r.errors.remove(0)));
        }
    }
    let model = r.resolve(input, sha256_hex(raw.as_bytes()));
    if r.errors.is_empty() {
        Ok(model.expect("no errors means a model"))
    } else {
        r.errors.sort_by_key(|d| (d.line, d.column));
        Err(InputError {
            diagnostics: r.errors,
        })
    }
}

/// "did you mean `id`?" when the text is the name of one entry of `kind` (in any language).
fn name_hint(kb: &Knowledge, kind: crate::knowledge::catalog::Kind, text: &str) -> Option<Text> {
    crate::knowledge::catalog::id_by_name(kb, kind, text)
        .map(|id| Text::hint("is_its_name_id").arg("id", id).arg("text", text))
}

struct Resolver<'a> {
    kb: &'a Knowledge,
    file: &'a str,
    text: &'a str,
    /// Built only when an error needs a location: valid models never pay for it.
    map: &'a std::cell::OnceCell<SourceMap>,
    errors: Vec<Diagnostic>,
}

impl Resolver<'_> {
    fn map(&self) -> &SourceMap {
        self.map.get_or_init(|| SourceMap::build(self.text))
    }

    fn err(&mut self, path: &str, message: Text, expected: Text, hint: Option<Text>) {
        let mut d =
            Diagnostic::text(self.file, self.map().at(path), message).expected_text(expected);
        if let Some(h) = hint {
            d = d.hint_text(h);
        }
        self.errors.push(d);
    }

    fn country(&mut self, path: &str, code: &str) {
        if !self.kb.jurisdictions.contains(code) {
            let hint = if code.len() == 2
                && code.chars().any(|c| c.is_ascii_lowercase())
                && self.kb.jurisdictions.contains(&code.to_uppercase())
            {
                Text::hint("upper_case").arg("code", code.to_uppercase())
            } else if let Some(id) = crate::knowledge::catalog::id_by_name(
                self.kb,
                crate::knowledge::catalog::Kind::Countries,
                code,
            ) {
                Text::hint("is_its_name_code")
                    .arg("id", id)
                    .arg("text", code)
            } else {
                known_hint(code, self.kb.jurisdictions.ids())
            };
            self.err(
                path,
                Text::message("unknown_country").arg("code", code),
                Text::expected("country_code"),
                Some(hint),
            );
        }
    }

    fn categories(&mut self, path: &str, cats: &[String]) {
        for (i, c) in cats.iter().enumerate() {
            if !self.kb.data_categories.contains(c) {
                let hint = name_hint(self.kb, crate::knowledge::catalog::Kind::Categories, c)
                    .unwrap_or_else(|| known_hint(c, self.kb.data_categories.ids()));
                self.err(
                    &format!("{path}[{i}]"),
                    Text::message("unknown_category").arg("id", c),
                    Text::expected("category_id"),
                    Some(hint),
                );
            }
        }
    }

    fn resolve(&mut self, input: ModelInput, sha: String) -> Option<Model> {
        let kb = self.kb;
        let meta = input.assessment.clone();
        let mut deprecations = Vec::new();
        // The memo language when the model gives none: the authority's, when tia has it.
        let mut authority_language = None;
        if let Some(p) = meta.as_ref().and_then(|m| m.policy.as_ref()) {
            if !kb.policies.contains(p) {
                let hint = known_hint(p, kb.policies.ids());
                self.err(
                    "assessment.policy",
                    Text::message("unknown_policy").arg("id", p),
                    Text::expected("policy_id"),
                    Some(hint),
                );
            }
        }
        let controller = match input.controller {
            Some(c) => {
                self.country("controller.country", &c.country);
                use crate::knowledge::ControllerKind;
                let kind = match (c.kind, c.public_body) {
                    (Some(k), Some(pb)) => {
                        if pb != (k == ControllerKind::PublicBody) {
                            self.err(
                                "controller.public_body",
                                Text::message("public_body_contradicts").arg("value", pb),
                                Text::expected("kind_only"),
                                Some(Text::hint("remove_public_body")),
                            );
                        }
                        deprecations.push(
                            "controller.public_body is deprecated: remove it, `kind` says the same"
                                .to_string(),
                        );
                        k
                    }
                    (Some(k), None) => k,
                    (None, Some(pb)) => {
                        let k = if pb {
                            ControllerKind::PublicBody
                        } else {
                            ControllerKind::Company
                        };
                        deprecations.push(format!(
                            "controller.public_body is deprecated: write `kind: {}`",
                            if pb { "public_body" } else { "company" }
                        ));
                        k
                    }
                    (None, None) => ControllerKind::Company,
                };
                let authority =
                    kb.authority_for(&c.country, kind, chrono::Local::now().date_naive());
                authority_language = authority.and_then(|a| Lang::from_code(&a.language));
                // (EU institutions answer to the EDPS wherever they sit; an unknown country code
                // has its own error.)
                if authority.is_none() && kb.jurisdictions.contains(&c.country) {
                    self.err(
                        "controller.country",
                        Text::message("no_authority").arg("country", &c.country),
                        Text::expected("eea_controller"),
                        Some(Text::hint("gdpr_scope")),
                    );
                }
                Some(Controller {
                    name: c.name,
                    country: c.country,
                    kind,
                    public_body: kind == ControllerKind::PublicBody,
                    org_number: c.org_number,
                    dpo: c.dpo,
                    decision_body: c.decision_body.filter(|b| !b.trim().is_empty()),
                    assignee: c.assignee.filter(|b| !b.trim().is_empty()),
                    report_back_by: c.report_back_by,
                })
            }
            None => {
                self.errors.push(
                    Diagnostic::text(self.file, (1, 1), Text::message("no_controller"))
                        .expected_text(Text::expected("controller_section"))
                        .hint_text(Text::hint("add_controller")),
                );
                None
            }
        };
        let processing = match input.processing {
            Some(p) => {
                for (i, s) in p.data_subjects.iter().enumerate() {
                    if !kb.data_subjects.contains(s) {
                        let hint = name_hint(kb, crate::knowledge::catalog::Kind::Subjects, s)
                            .unwrap_or_else(|| known_hint(s, kb.data_subjects.ids()));
                        self.err(
                            &format!("processing.data_subjects[{i}]"),
                            Text::message("unknown_subject").arg("id", s),
                            Text::expected("subject_id"),
                            Some(hint),
                        );
                    }
                }
                let ids: Vec<String> = p
                    .data_categories
                    .iter()
                    .map(|c| c.id().to_string())
                    .collect();
                self.categories("processing.data_categories", &ids);
                if p.data_categories.is_empty() {
                    self.err(
                        "processing",
                        Text::message("no_categories"),
                        Text::expected("categories_list"),
                        None,
                    );
                }
                for (i, c) in p.dpia_criteria.iter().enumerate() {
                    match kb.dpia_criteria.get(c) {
                        Some(k) if k.test == crate::knowledge::CriterionTest::Declared => {}
                        Some(_) => self.err(
                            &format!("processing.dpia_criteria[{i}]"),
                            Text::message("dpia_derived").arg("id", c),
                            Text::expected("dpia_declarable"),
                            Some(Text::hint("dpia_remove")),
                        ),
                        None => {
                            let hint = known_hint(c, kb.dpia_criteria.ids());
                            self.err(
                                &format!("processing.dpia_criteria[{i}]"),
                                Text::message("unknown_dpia").arg("id", c),
                                Text::expected("dpia_id"),
                                Some(hint),
                            );
                        }
                    }
                }
                self.measures("processing.measures", &p.measures, MeasureLevel::Processing);
                let unnecessary = p
                    .data_categories
                    .iter()
                    .filter(|c| matches!(c, CategoryRef::Marked(m) if !m.necessary))
                    .map(|c| c.id().to_string())
                    .collect();
                Some(Processing {
                    purpose: p.purpose,
                    legal_basis: p.legal_basis.filter(|b| !b.trim().is_empty()),
                    necessity: p.necessity.filter(|b| !b.trim().is_empty()),
                    means: p.means,
                    data_subjects: p.data_subjects,
                    data_categories: ids,
                    unnecessary_categories: unnecessary,
                    participation: p.participation,
                    subjects: p.scale.as_ref().and_then(|s| s.subjects),
                    large_scale: p.scale.as_ref().and_then(|s| s.large_scale),
                    dpia_criteria: p.dpia_criteria,
                    measures: p.measures,
                })
            }
            None => {
                self.errors.push(
                    Diagnostic::text(self.file, (1, 1), Text::message("no_processing"))
                        .expected_text(Text::expected("processing_section")),
                );
                None
            }
        };

        // Parties.
        let mut parties = Vec::new();
        let mut ids: HashMap<String, usize> = HashMap::new();
        for (i, p) in input.parties.iter().enumerate() {
            let path = format!("parties[{i}]");
            if p.id == CONTROLLER {
                self.err(
                    &format!("{path}.id"),
                    Text::message("reserved_controller"),
                    Text::expected("another_party_id"),
                    None,
                );
                continue;
            }
            if let Some(&first) = ids.get(&p.id) {
                let (l, c) = self.map().at(&format!("parties[{first}].id"));
                self.err(
                    &format!("{path}.id"),
                    Text::message("duplicate_party").arg("id", &p.id),
                    Text::expected("party_once"),
                    Some(Text::hint("first_used").arg("line", l).arg("column", c)),
                );
                continue;
            }
            if let Some(party) = self.party(&path, p) {
                ids.insert(p.id.clone(), i);
                parties.push((i, party));
            }
        }
        let index: HashMap<String, usize> = parties
            .iter()
            .enumerate()
            .map(|(k, (_, p))| (p.id.clone(), k))
            .collect();
        let mut parties: Vec<Party> = parties.into_iter().map(|(_, p)| p).collect();
        let needed = dpf_data_needed(kb, processing.as_ref());
        for p in &mut parties {
            p.dpf_certified.value = p.dpf.value.covers_all(&needed);
        }

        // Flows.
        let mut flows = Vec::new();
        let mut flow_ids: HashMap<String, usize> = HashMap::new();
        for (i, f) in input.flows.iter().enumerate() {
            let path = format!("flows[{i}]");
            let from_ix = if f.from == CONTROLLER {
                Some(Endpoint::Controller)
            } else if let Some(&k) = index.get(&f.from) {
                Some(Endpoint::Party(k))
            } else {
                let hint = known_hint(
                    &f.from,
                    index.keys().map(String::as_str).chain([CONTROLLER]),
                );
                self.err(
                    &format!("{path}.from"),
                    Text::message("unknown_flow_party").arg("id", &f.from),
                    Text::expected("flow_from"),
                    Some(hint),
                );
                None
            };
            let to_ix = if f.to == CONTROLLER {
                self.err(
                    &format!("{path}.to"),
                    Text::message("flow_to_controller"),
                    Text::expected("flow_recipient"),
                    None,
                );
                None
            } else if let Some(&k) = index.get(&f.to) {
                Some(k)
            } else {
                let hint = known_hint(&f.to, index.keys().map(String::as_str));
                self.err(
                    &format!("{path}.to"),
                    Text::message("unknown_flow_party").arg("id", &f.to),
                    Text::expected("flow_to"),
                    Some(hint),
                );
                None
            };
            if let Some(c) = &f.data_categories {
                self.categories(&format!("{path}.data_categories"), c);
            }
            self.measures(&format!("{path}.measures"), &f.measures, MeasureLevel::Flow);
            let id =
                f.id.clone()
                    .unwrap_or_else(|| format!("{}->{}", f.from, f.to));
            if let Some(&first) = flow_ids.get(&id) {
                let (l, c) = self.map().at(&format!("flows[{first}]"));
                self.err(
                    &path,
                    Text::message("duplicate_flow").arg("id", &id),
                    Text::expected("flow_once"),
                    Some(Text::hint("first_defined").arg("line", l).arg("column", c)),
                );
            }
            flow_ids.insert(id.clone(), i);
            let mut tools = Vec::new();
            for (j, t) in f
                .transfer_tool
                .as_ref()
                .map(|t| t.to_vec())
                .unwrap_or_default()
                .into_iter()
                .enumerate()
            {
                match t {
                    ToolEntry::Tool(t) => tools.push((t, crate::knowledge::Period::default())),
                    ToolEntry::Dated(d) => {
                        if let (Some(a), Some(b)) = (d.from, d.until) {
                            if b < a {
                                self.err(
                                    &format!("{path}.transfer_tool[{j}].until"),
                                    Text::message("tool_until_before")
                                        .arg("until", b)
                                        .arg("from", a),
                                    Text::expected("until_after_from"),
                                    None,
                                );
                            }
                        }
                        tools.push((
                            d.tool,
                            crate::knowledge::Period {
                                from: d.from,
                                until: d.until.and_then(|u| u.succ_opt()),
                            },
                        ));
                    }
                }
            }
            if let (Some(from_ix), Some(to_ix)) = (from_ix, to_ix) {
                if from_ix == Endpoint::Party(to_ix) {
                    self.err(
                        &format!("{path}.to"),
                        Text::message("flow_to_itself")
                            .arg("id", &id)
                            .arg("party", &f.to),
                        Text::expected("two_parties"),
                        None,
                    );
                    continue;
                }
                flows.push((
                    i,
                    Flow {
                        id,
                        from: f.from.clone(),
                        to: f.to.clone(),
                        from_ix,
                        to_ix,
                        data_categories: f.data_categories.clone(),
                        access: f.access,
                        key_holder: f.key_holder.unwrap_or(KeyHolder::Provider),
                        measures: f.measures.clone(),
                        transfer_tools: tools.iter().map(|(t, _)| *t).collect(),
                        tool_periods: tools.iter().map(|(_, p)| *p).collect(),
                        purpose: f.purpose.clone(),
                    },
                ));
            }
        }
        self.check_cycles(&parties, &flows);
        let flows: Vec<Flow> = flows.into_iter().map(|(_, f)| f).collect();

        let risk_estimate = input.risk_estimate.map(|r| {
            if !(r.horizon_years > 0.0 && r.horizon_years <= 100.0) {
                self.err(
                    "risk_estimate.horizon_years",
                    Text::message("horizon_out_of_range").arg("value", r.horizon_years),
                    Text::expected("horizon"),
                    None,
                );
            }
            for (i, l) in r.laws.iter().enumerate() {
                if !kb.laws.contains(&l.law) {
                    let hint = known_hint(&l.law, kb.laws.ids());
                    self.err(
                        &format!("risk_estimate.laws[{i}].law"),
                        Text::message("unknown_law").arg("id", &l.law),
                        Text::expected("law_id"),
                        Some(hint),
                    );
                }
                for (j, f) in l.factors.iter().enumerate() {
                    if !(0.0..=1.0).contains(&f.probability) {
                        self.err(
                            &format!("risk_estimate.laws[{i}].factors[{j}].probability"),
                            Text::message("probability_out_of_range").arg("value", f.probability),
                            Text::expected("probability"),
                            None,
                        );
                    }
                }
            }
            RiskEstimate {
                horizon_years: r.horizon_years,
                laws: r
                    .laws
                    .into_iter()
                    .map(|l| LawEstimate {
                        law: l.law,
                        factors: l.factors,
                    })
                    .collect(),
                note: r.note,
            }
        });

        let (controller, processing) = (controller?, processing?);
        let language = meta
            .as_ref()
            .and_then(|m| m.language)
            .or(authority_language)
            .unwrap_or(Lang::En);
        let title = meta
            .as_ref()
            .map(|m| m.title.clone())
            .unwrap_or_else(|| format!("{}: {}", controller.name, processing.purpose));
        Some(Model {
            file: self.file.to_string(),
            input_sha256: sha,
            title,
            reference: meta.as_ref().and_then(|m| m.reference.clone()),
            description: meta.as_ref().and_then(|m| m.description.clone()),
            language,
            policy: meta.as_ref().and_then(|m| m.policy.clone()),
            next_review: meta.as_ref().and_then(|m| m.next_review),
            controller,
            processing,
            parties,
            flows,
            risk_estimate,
            assumptions: input
                .assumptions
                .iter()
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty())
                .collect(),
            deprecations,
        })
    }

    fn measures(&mut self, path: &str, ms: &[String], level: MeasureLevel) {
        for (i, m) in ms.iter().enumerate() {
            match self.kb.measures.get(m) {
                Some(k) if k.level == level => {}
                Some(_) => {
                    let (here, there) = match level {
                        MeasureLevel::Flow => ("measure_not_for_flow", "move_to_processing"),
                        MeasureLevel::Processing => ("measure_not_for_processing", "move_to_flow"),
                    };
                    self.err(
                        &format!("{path}[{i}]"),
                        Text::message(here).arg("id", m),
                        Text::expected("measure_level"),
                        Some(Text::hint(there)),
                    );
                }
                None => {
                    let ids = self
                        .kb
                        .measures
                        .iter()
                        .filter(|x| x.level == level)
                        .map(|x| x.id.as_str())
                        .collect::<Vec<_>>();
                    let hint = known_hint(m, ids.iter().copied());
                    self.err(
                        &format!("{path}[{i}]"),
                        Text::message("unknown_measure").arg("id", m),
                        Text::expected("measure_id"),
                        Some(hint),
                    );
                }
            }
        }
    }

    fn party(&mut self, path: &str, p: &PartyInput) -> Option<Party> {
        let kb = self.kb;
        let by_lei = match &p.lei {
            Some(lei) => match kb.vendor_by_lei(lei) {
                Some(v) if p.vendor.as_ref().is_none_or(|id| *id == v.id) => Some(v),
                Some(v) => {
                    self.err(
                        &format!("{path}.lei"),
                        Text::message("lei_other_vendor")
                            .arg("lei", lei)
                            .arg("entry", &v.id)
                            .arg("vendor", p.vendor.as_deref().unwrap_or_default()),
                        Text::expected("vendor_or_lei"),
                        Some(Text::hint("keep_one")),
                    );
                    return None;
                }
                None => {
                    let hint = if crate::knowledge::valid_lei(lei) {
                        Text::hint("lei_import").arg("lei", lei)
                    } else {
                        Text::hint("lei_format")
                    };
                    self.err(
                        &format!("{path}.lei"),
                        Text::message("unknown_lei").arg("lei", lei),
                        Text::expected("lei_vendor"),
                        Some(hint),
                    );
                    return None;
                }
            },
            None => None,
        };
        let vendor = match (&p.vendor, by_lei) {
            (_, Some(v)) => Some(v),
            (Some(v), None) => match kb.vendors.get(v) {
                Some(v) => Some(v),
                None => {
                    let hint = name_hint(kb, crate::knowledge::catalog::Kind::Vendors, v)
                        .unwrap_or_else(|| known_hint(v, kb.vendors.ids()));
                    self.err(
                        &format!("{path}.vendor"),
                        Text::message("unknown_vendor").arg("id", v),
                        Text::expected("vendor_id"),
                        Some(hint),
                    );
                    return None;
                }
            },
            (None, None) => None,
        };
        let vfrom = || FactSource::Vendor(vendor.unwrap().id.clone());
        let pick = |model: Option<String>, cat: Option<String>| -> Option<Fact<String>> {
            match (model, cat) {
                (Some(m), _) => Some(Fact::model(m)),
                (None, Some(c)) => Some(Fact {
                    value: c,
                    from: vfrom(),
                }),
                (None, None) => None,
            }
        };
        let name = pick(p.name.clone(), vendor.map(|v| v.name.clone())).unwrap_or(Fact {
            value: p.id.clone(),
            from: FactSource::Default,
        });
        let incorporated = match pick(
            p.incorporated.clone(),
            vendor.map(|v| v.incorporated.clone()),
        ) {
            Some(f) => f,
            None => {
                self.err(
                    path,
                    Text::message("no_incorporation").arg("party", &p.id),
                    Text::expected("incorporation"),
                    Some(Text::hint("incorporation_decides")),
                );
                return None;
            }
        };
        self.country(&format!("{path}.incorporated"), &incorporated.value);
        let list = |model: &Option<Vec<String>>, cat: Option<&Vec<String>>| match (model, cat) {
            (Some(m), _) => Fact::model(m.clone()),
            (None, Some(c)) => Fact {
                value: c.clone(),
                from: vfrom(),
            },
            (None, None) => Fact {
                value: Vec::new(),
                from: FactSource::Default,
            },
        };
        let locations = list(&p.locations, vendor.map(|v| &v.locations));
        let access_locations = list(&p.access_locations, vendor.map(|v| &v.access_locations));
        for (field, l) in [
            ("locations", &locations),
            ("access_locations", &access_locations),
        ] {
            if l.from == FactSource::Model {
                for (i, c) in l.value.iter().enumerate() {
                    self.country(&format!("{path}.{field}[{i}]"), c);
                }
            }
        }
        if locations.value.is_empty() {
            self.err(
                path,
                Text::message("no_locations").arg("party", &p.id),
                Text::expected("locations"),
                Some(Text::hint("locations_decide")),
            );
        }
        let (owners, owners_known, ownership_source) = match (&p.parents, vendor) {
            (Some(OwnersInput::Listed(ps)), _) => {
                let mut out = Vec::new();
                for (i, o) in ps.iter().enumerate() {
                    let mut seen = vendor.map(|v| vec![v.id.clone()]).unwrap_or_default();
                    if let Some(o) = self.owner(&format!("{path}.parents[{i}]"), o, &mut seen) {
                        out.push(o);
                    }
                }
                let known = !out.is_empty() && out.iter().all(|o| o.owners_known);
                (Fact::model(out), known, p.ownership_source.clone())
            }
            (Some(OwnersInput::Keyword(k)), _) => (
                Fact::model(Vec::new()),
                *k == crate::knowledge::OwnershipKeyword::None,
                p.ownership_source.clone(),
            ),
            (None, Some(v)) => {
                let (owners, known) = catalogue_owners(kb, v, &mut vec![v.id.clone()]);
                let source = v.ownership_source.as_deref().unwrap_or(&v.source);
                (
                    Fact {
                        value: owners,
                        from: vfrom(),
                    },
                    known,
                    Some(
                        kb.sources
                            .get(source)
                            .map_or(source.to_string(), |s| s.title.clone()),
                    ),
                )
            }
            (None, None) => (
                Fact {
                    value: Vec::new(),
                    from: FactSource::Default,
                },
                false,
                None,
            ),
        };
        let dpf = match (p.dpf_certified, vendor.and_then(|v| v.dpf.as_ref())) {
            (Some(m), _) => Fact::model(model_dpf(m)),
            (None, Some(c)) => Fact {
                value: c.clone(),
                from: vfrom(),
            },
            (None, None) => Fact {
                value: crate::knowledge::DpfListing::unknown(),
                from: FactSource::Default,
            },
        };
        let needs = match (p.needs_cleartext, vendor.and_then(|v| v.needs_cleartext)) {
            (Some(m), _) => Fact::model(Some(m)),
            (None, Some(c)) => Fact {
                value: Some(c),
                from: vfrom(),
            },
            (None, None) => Fact {
                value: None,
                from: FactSource::Default,
            },
        };
        let (dpa, dpa_from) = match (&p.dpa, vendor.and_then(|v| v.dpa.as_ref())) {
            (Some(d), _) => (d.clone(), FactSource::Model),
            (None, Some(d)) => (
                DpaInput {
                    change_notice_days: d.change_notice_days,
                    objection_days: d.objection_days,
                    negotiable: d.negotiable,
                    unilateral_changes: d.unilateral_changes,
                    ..DpaInput::default()
                },
                vfrom(),
            ),
            (None, None) => (DpaInput::default(), FactSource::Default),
        };
        for (i, a) in p.alternatives.iter().enumerate() {
            if !kb.vendors.contains(a) {
                let hint = name_hint(kb, crate::knowledge::catalog::Kind::Vendors, a)
                    .unwrap_or_else(|| known_hint(a, kb.vendors.ids()));
                self.err(
                    &format!("{path}.alternatives[{i}]"),
                    Text::message("unknown_vendor").arg("id", a),
                    Text::expected("vendor_id"),
                    Some(hint),
                );
            }
        }
        Some(Party {
            id: p.id.clone(),
            name,
            role: p.role,
            vendor: vendor.map(|v| v.id.clone()),
            incorporated,
            owners,
            owners_known,
            ownership_source,
            locations,
            access_locations,
            // Set once the processing's data subjects are known (`dpf_coverage`).
            dpf_certified: Fact {
                value: false,
                from: dpf.from.clone(),
            },
            dpf,
            needs_cleartext: needs,
            service: p
                .service
                .clone()
                .or_else(|| vendor.and_then(|v| v.service.clone())),
            dpa,
            dpa_from,
            alternatives: p.alternatives.clone(),
            announced: p.announced,
            hypothetical: false,
        })
    }

    fn owner(&mut self, path: &str, o: &OwnerInput, seen: &mut Vec<String>) -> Option<Owner> {
        let kb = self.kb;
        if !(o.share > 0.0 && o.share <= 1.0) {
            self.err(
                &format!("{path}.share"),
                Text::message("share_out_of_range").arg("value", o.share),
                Text::expected("share"),
                Some(Text::hint("share_format")),
            );
        }
        if let Some(v) = &o.vendor {
            let Some(entry) = kb.vendors.get(v) else {
                let hint = name_hint(kb, crate::knowledge::catalog::Kind::Vendors, v)
                    .unwrap_or_else(|| known_hint(v, kb.vendors.ids()));
                self.err(
                    &format!("{path}.vendor"),
                    Text::message("unknown_vendor").arg("id", v),
                    Text::expected("vendor_id"),
                    Some(hint),
                );
                return None;
            };
            if seen.contains(v) {
                let mut chain = seen.clone();
                chain.push(v.clone());
                self.err(
                    &format!("{path}.vendor"),
                    Text::message("parent_loop").arg("chain", chain.join(" → ")),
                    Text::expected("chain_ends"),
                    Some(Text::hint("no_self_owner")),
                );
                return None;
            }
            seen.push(v.clone());
            let (owners, known) = match &o.parents {
                None => catalogue_owners(kb, entry, seen),
                Some(ps) => self.owners(path, ps, seen),
            };
            seen.pop();
            return Some(Owner {
                name: o.name.clone().unwrap_or_else(|| entry.name.clone()),
                country: o
                    .country
                    .clone()
                    .unwrap_or_else(|| entry.incorporated.clone()),
                vendor: Some(v.clone()),
                share: o.share,
                valid: None,
                dpf_certified: match o.dpf_certified {
                    Some(b) => b,
                    None => entry
                        .dpf
                        .as_ref()
                        .is_some_and(|d| d.status == crate::knowledge::DpfStatus::Active),
                },
                owners,
                owners_known: known,
            });
        }
        let (Some(name), Some(country)) = (&o.name, &o.country) else {
            self.err(
                path,
                Text::message("owner_needs"),
                Text::expected("owner_shape"),
                None,
            );
            return None;
        };
        self.country(&format!("{path}.country"), country);
        let key = format!("name:{name}");
        if seen.contains(&key) {
            let mut chain = seen.clone();
            chain.push(key);
            self.err(
                &format!("{path}.name"),
                Text::message("parent_loop").arg("chain", chain.join(" → ")),
                Text::expected("chain_ends"),
                None,
            );
            return None;
        }
        seen.push(key);
        let (owners, known) = match &o.parents {
            Some(ps) => self.owners(path, ps, seen),
            None => (Vec::new(), false),
        };
        seen.pop();
        Some(Owner {
            name: name.clone(),
            country: country.clone(),
            vendor: None,
            share: o.share,
            dpf_certified: o.dpf_certified.unwrap_or(false),
            owners,
            owners_known: known,
            valid: None,
        })
    }

    /// Owners stated in the model, and whether they are known all the way up.
    fn owners(
        &mut self,
        path: &str,
        ps: &OwnersInput,
        seen: &mut Vec<String>,
    ) -> (Vec<Owner>, bool) {
        match ps {
            OwnersInput::Keyword(k) => (Vec::new(), *k == crate::knowledge::OwnershipKeyword::None),
            OwnersInput::Listed(ps) => {
                let owners: Vec<Owner> = ps
                    .iter()
                    .enumerate()
                    .filter_map(|(i, p)| self.owner(&format!("{path}.parents[{i}]"), p, seen))
                    .collect();
                let known = !owners.is_empty() && owners.iter().all(|o| o.owners_known);
                (owners, known)
            }
        }
    }

    fn check_cycles(&mut self, parties: &[Party], flows: &[(usize, Flow)]) {
        let mut g: DiGraph<(), usize> = DiGraph::new();
        let controller = g.add_node(());
        let nodes: Vec<_> = parties.iter().map(|_| g.add_node(())).collect();
        for (k, (_, f)) in flows.iter().enumerate() {
            let from = match f.from_ix {
                Endpoint::Controller => controller,
                Endpoint::Party(i) => nodes[i],
            };
            g.add_edge(from, nodes[f.to_ix], k);
        }
        for scc in tarjan_scc(&g) {
            if scc.len() < 2 {
                continue;
            }
            let members: HashSet<_> = scc.iter().copied().collect();
            let in_cycle: Vec<&(usize, Flow)> = g
                .edge_indices()
                .filter(|e| {
                    let (a, b) = g.edge_endpoints(*e).unwrap();
                    members.contains(&a) && members.contains(&b)
                })
                .map(|e| &flows[g[e]])
                .collect();
            let last = in_cycle.iter().max_by_key(|(i, _)| *i).unwrap();
            let names: Vec<String> = in_cycle
                .iter()
                .map(|(_, f)| format!("{} → {}", f.from, f.to))
                .collect();
            self.err(
                &format!("flows[{}]", last.0),
                Text::message("flow_cycle").arg("flows", names.join(", ")),
                Text::expected("flows_outwards"),
                Some(Text::hint("remove_or_reverse")),
            );
        }
    }
}

/// A model's `dpf_certified: true|false`: the user's own statement that the party is listed
/// (for every kind of data) or not listed.
fn model_dpf(certified: bool) -> crate::knowledge::DpfListing {
    use crate::knowledge::{DpfData, DpfListing, DpfStatus};
    DpfListing {
        status: if certified {
            DpfStatus::Active
        } else {
            DpfStatus::NotListed
        },
        checked: None,
        page: None,
        covers: if certified {
            vec![DpfData::Hr, DpfData::NonHr]
        } else {
            Vec::new()
        },
        note: None,
    }
}

/// The kinds of DPF data the processing concerns: HR data when a data subject category is
/// the workforce (`hr` in knowledge/data_subjects), other data when any other category is
/// there or none is named.
pub fn dpf_data_needed(
    kb: &Knowledge,
    processing: Option<&Processing>,
) -> Vec<crate::knowledge::DpfData> {
    use crate::knowledge::DpfData;
    let subjects: Vec<bool> = processing
        .map(|p| {
            p.data_subjects
                .iter()
                .filter_map(|s| kb.data_subjects.get(s))
                .map(|s| s.hr)
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    if subjects.iter().any(|&hr| hr) {
        out.push(DpfData::Hr);
    }
    if subjects.is_empty() || subjects.iter().any(|&hr| !hr) {
        out.push(DpfData::NonHr);
    }
    out
}

/// A catalogue entry's owners, and whether they are known all the way up (listed, or `none`
/// with a source; an owner whose own owners are unknown makes the whole chain unknown).
///
/// Lapsed or inactive relationships are left out (`knowledge check` reports them); one with a
/// validity period carries it, and the analysis counts it only on dates inside it. An
/// `ultimate` parent is left out when a direct owner's chain with no end date already reaches
/// it, so that the same parent is not counted twice.
fn catalogue_owners(
    kb: &Knowledge,
    v: &crate::knowledge::Vendor,
    seen: &mut Vec<String>,
) -> (Vec<Owner>, bool) {
    use crate::knowledge::OwnerRelationship;
    let listed = v.parents.owners();
    let mut owners: Vec<Owner> = Vec::new();
    for ultimate in [false, true] {
        for p in listed
            .iter()
            .filter(|p| (p.relationship == Some(OwnerRelationship::Ultimate)) == ultimate)
        {
            let Some(period) = p.period() else { continue };
            if ultimate
                && owners
                    .iter()
                    .any(|o| o.valid.is_none_or(|v| v.until.is_none()) && reaches(o, &p.vendor))
            {
                continue;
            }
            if let Some(mut o) = catalogue_owner(kb, &p.vendor, p.share, seen) {
                if period.from.is_some() || period.until.is_some() {
                    o.valid = Some(period);
                }
                owners.push(o);
            }
        }
    }
    let known = v.parents.known() && owners.iter().all(|o| o.owners_known);
    (owners, known)
}

/// Whether an owner's tree contains the catalogue entry `id`.
fn reaches(o: &Owner, id: &str) -> bool {
    o.vendor.as_deref() == Some(id) || o.owners.iter().any(|x| reaches(x, id))
}

/// An owner taken from the vendor catalogue, with its own owners (loops are rejected at load).
pub(crate) fn catalogue_owner(
    kb: &Knowledge,
    id: &str,
    share: f64,
    seen: &mut Vec<String>,
) -> Option<Owner> {
    let v = kb.vendors.get(id)?;
    if seen.iter().any(|s| s == id) {
        return None;
    }
    seen.push(id.to_string());
    let (owners, owners_known) = catalogue_owners(kb, v, seen);
    seen.pop();
    Some(Owner {
        name: v.name.clone(),
        country: v.incorporated.clone(),
        vendor: Some(id.to_string()),
        share,
        dpf_certified: v
            .dpf
            .as_ref()
            .is_some_and(|d| d.status == crate::knowledge::DpfStatus::Active),
        owners,
        owners_known,
        valid: None,
    })
}

/// The JSON Schema of the model format, with the knowledge base's ids (countries, categories,
/// subjects, measures, vendors, profiles) as enums so that an editor completes and checks them.
pub fn json_schema_with(kb: &Knowledge) -> serde_json::Value {
    use serde_json::{json, Value};
    let mut v = json_schema();
    let ids = |it: &mut dyn Iterator<Item = &str>| -> Value {
        let mut ids: Vec<&str> = it.collect();
        ids.sort_unstable();
        json!(ids)
    };
    let countries = ids(&mut kb.jurisdictions.ids());
    let categories = ids(&mut kb.data_categories.ids());
    let subjects = ids(&mut kb.data_subjects.ids());
    let vendors = ids(&mut kb.vendors.ids());
    let policies = ids(&mut kb.policies.ids());
    let measures = ids(&mut kb.measures.ids());
    let defs = &mut v["$defs"];
    let set = |defs: &mut Value, def: &str, prop: &str, list: bool, values: &Value| {
        let p = &mut defs[def]["properties"][prop];
        if p.is_null() {
            return;
        }
        let target = if list { &mut p["items"] } else { p };
        if let Some(o) = target.as_object_mut() {
            o.insert("enum".into(), values.clone());
        }
    };
    set(defs, "ControllerInput", "country", false, &countries);
    set(defs, "PartyInput", "incorporated", false, &countries);
    set(defs, "PartyInput", "locations", true, &countries);
    set(defs, "PartyInput", "access_locations", true, &countries);
    set(defs, "PartyInput", "vendor", false, &vendors);
    set(defs, "PartyInput", "alternatives", true, &vendors);
    set(defs, "OwnerInput", "country", false, &countries);
    set(defs, "OwnerInput", "vendor", false, &vendors);
    set(defs, "ProcessingInput", "data_subjects", true, &subjects);
    set(defs, "ProcessingInput", "measures", true, &measures);
    set(defs, "FlowInput", "data_categories", true, &categories);
    set(defs, "FlowInput", "measures", true, &measures);
    set(defs, "AssessmentInput", "policy", false, &policies);
    set(defs, "MarkedCategory", "id", false, &categories);
    if let Some(any) = defs["CategoryRef"]["anyOf"].as_array_mut() {
        for branch in any.iter_mut() {
            if branch["type"] == "string" {
                branch["enum"] = categories.clone();
            }
        }
    }
    v
}

/// The JSON Schema of the model format (types only; see [`json_schema_with`]).
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(ModelInput);
    let mut v = serde_json::to_value(schema).expect("schema serialises");
    if let Some(o) = v.as_object_mut() {
        o.insert("$id".into(), serde_json::json!("urn:tia:model:schema:2.0"));
        // The model itself reads both as optional, to report every missing section at once
        // with its place; an editor should ask for them.
        o.insert(
            "required".into(),
            serde_json::json!(["controller", "processing"]),
        );
        o.insert(
            "title".into(),
            serde_json::json!("tia model: the controller, the processing, the parties and the data flows of a service to assess"),
        );
    }
    v
}
