//! The model: parsed from YAML or JSON into plain input types, then resolved against the
//! knowledge base into validated domain types, with every error located in the file.

pub mod input;
pub mod write;

pub use input::{Access, KeyHolder, Lang, Role, TransferTool};

use crate::diag::{known_hint, Diagnostic, InputError};
use crate::knowledge::{yaml_error, Knowledge, MeasureLevel};
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
        (
            "OwnersInput",
            "`none` (a source says nobody controls it), `unknown`, or a list of owners `[{ name, country, share }]`",
        ),
        (
            "ToolEntry",
            "a transfer tool (adequacy, dpf, privacy_shield, scc, bcr, derogation, none) or `{ tool: scc, from: 2021-09-27, until: 2023-07-09 }`",
        ),
        (
            "CategoryRef",
            "a data category id, or `{ id: <category>, necessary: false }`",
        ),
    ];
    for (name, shape) in SHAPES {
        if d.message.contains(&format!("untagged enum {name}")) {
            d.message = format!("this value has none of the accepted shapes: {shape}");
            d.expected = Some(shape.to_string());
            d.hint = Some("`tia schema` describes every field".into());
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
    let what = if c.is_control() {
        "a control character"
    } else {
        "a bidirectional override character"
    };
    Some(InputError::from(
        Diagnostic::new(
            file,
            (line, column),
            format!("{what} (U+{:04X}) is not accepted in a model", c as u32),
        )
        .expected("printable text")
        .hint("remove the character; it can hide or reorder what a reader sees"),
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
            let (limit, what) = if NAME_FIELDS.contains(&field) {
                (MAX_NAME_CHARS, "a name or id")
            } else {
                (MAX_TEXT_CHARS, "a text")
            };
            // Bytes bound characters from above: count only when it could matter.
            if s.len() > limit && s.chars().count() > limit {
                r.err(
                    path,
                    format!(
                        "`{path}` is {} characters long; {what} may have at most {limit}",
                        s.chars().count()
                    ),
                    &format!("at most {limit} characters"),
                    Some("shorten it; put long explanations in an assumption or the DPIA".into()),
                );
                return;
            }
            if let Some(c) = s.chars().find(|c| is_unsafe_char(*c)) {
                r.err(
                    path,
                    format!(
                        "`{path}` holds a control or bidirectional override character (U+{:04X})",
                        c as u32
                    ),
                    "printable text",
                    Some(
                        "remove the escape sequence; it can hide or reorder what a reader sees"
                            .into(),
                    ),
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
            InputError::from(
                Diagnostic::new(file, (e.line().max(1), e.column().max(1)), msg)
                    .expected("a model as described by `tia schema`")
                    .hint("check the JSON syntax and field names at this place"),
            )
        })?
    } else {
        if let Some(pos) = crate::locate::first_alias(text) {
            return Err(InputError::from(
                Diagnostic::new(file, pos, "a YAML alias (`*name`) is not accepted in a model")
                    .expected("every value written out where it is used")
                    .hint("replace the alias with the value it refers to; aliases can expand a small file into a huge model"),
            ));
        }
        crate::yaml::from_str(text).map_err(|e| {
            InputError::from(untagged_hint(yaml_error(
                file,
                &e,
                "a model as described by `tia schema`",
            )))
        })?
    };
    for (what, n, max) in [
        ("parties", input.parties.len(), MAX_PARTIES),
        ("flows", input.flows.len(), MAX_FLOWS),
    ] {
        if n > max {
            return Err(InputError::from(
                Diagnostic::new(
                    file,
                    // The top-level key's line, found without mapping the whole (large) text.
                    text.lines()
                        .position(|l| l.starts_with(&format!("{what}:")))
                        .map_or((1, 1), |i| (i + 1, 1)),
                    format!("the model has {n} {what}; tia reads at most {max}"),
                )
                .expected(format!("at most {max} {what}"))
                .hint("split the service into several models, e.g. one per processor"),
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
fn name_hint(kb: &Knowledge, kind: crate::knowledge::catalog::Kind, text: &str) -> Option<String> {
    crate::knowledge::catalog::id_by_name(kb, kind, text)
        .map(|id| format!("did you mean `{id}`? (`{text}` is its name; write its id)"))
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

    fn err(&mut self, path: &str, message: String, expected: &str, hint: Option<String>) {
        let mut d = Diagnostic::new(self.file, self.map().at(path), message).expected(expected);
        if let Some(h) = hint {
            d = d.hint(h);
        }
        self.errors.push(d);
    }

    fn country(&mut self, path: &str, code: &str) {
        if !self.kb.jurisdictions.contains(code) {
            let hint = if code.len() == 2
                && code.chars().any(|c| c.is_ascii_lowercase())
                && self.kb.jurisdictions.contains(&code.to_uppercase())
            {
                format!("country codes are upper case: `{}`", code.to_uppercase())
            } else if let Some(id) = crate::knowledge::catalog::id_by_name(
                self.kb,
                crate::knowledge::catalog::Kind::Countries,
                code,
            ) {
                format!("did you mean `{id}`? (`{code}` is its name; write its code)")
            } else {
                known_hint(code, self.kb.jurisdictions.ids())
            };
            self.err(
                path,
                format!("unknown country code `{code}`"),
                "an ISO 3166-1 alpha-2 code such as SE, DE or US",
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
                    format!("unknown data category `{c}`"),
                    "a data category id from knowledge/data_categories",
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
                    format!("unknown policy profile `{p}`"),
                    "a policy profile id from knowledge/policies",
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
                                format!("`public_body: {pb}` contradicts `kind`"),
                                "only `kind` (public_body, company or eu_institution)",
                                Some("remove `public_body`; it is replaced by `kind`".into()),
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
                        format!("no supervisory authority in the knowledge base for a controller in `{}`", c.country),
                        "a controller established in the EU/EEA (its authority is in knowledge/authorities)",
                        Some("tia judges controllers under the GDPR or the EUDPR; a controller outside the EU/EEA is not covered".into()),
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
                    Diagnostic::new(self.file, (1, 1), "the model has no controller")
                        .expected("a `controller:` section with at least `name` and `country`")
                        .hint("add e.g.\ncontroller:\n  name: Exempel kommun\n  country: SE"),
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
                            format!("unknown data subject category `{s}`"),
                            "a data subject id from knowledge/data_subjects",
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
                        "the processing names no data categories".into(),
                        "`data_categories: [...]` with at least one category",
                        None,
                    );
                }
                for (i, c) in p.dpia_criteria.iter().enumerate() {
                    match kb.dpia_criteria.get(c) {
                        Some(k) if k.test == crate::knowledge::CriterionTest::Declared => {}
                        Some(_) => self.err(&format!("processing.dpia_criteria[{i}]"), format!("DPIA criterion `{c}` is derived by the engine and cannot be declared"), "a criterion the engine cannot derive (evaluation, automated decisions, monitoring, matching, innovative technology, preventing a right)", Some("remove it: the engine derives it from the data categories, data subjects or scale".into())),
                        None => {
                            let hint = known_hint(c, kb.dpia_criteria.ids());
                            self.err(&format!("processing.dpia_criteria[{i}]"), format!("unknown DPIA criterion `{c}`"), "a WP248 criterion id such as wp248-1", Some(hint));
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
                    Diagnostic::new(self.file, (1, 1), "the model has no processing")
                        .expected("a `processing:` section with `purpose` and `data_categories`"),
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
                    "`controller` is reserved for the controller in flows".into(),
                    "another party id",
                    None,
                );
                continue;
            }
            if let Some(&first) = ids.get(&p.id) {
                let (l, c) = self.map().at(&format!("parties[{first}].id"));
                self.err(
                    &format!("{path}.id"),
                    format!("duplicate party id `{}`", p.id),
                    "a party id used only once",
                    Some(format!("first used at line {l}, column {c}")),
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
                    format!("unknown party `{}` in flow", f.from),
                    "`controller` or the id of a party in `parties`",
                    Some(hint),
                );
                None
            };
            let to_ix = if f.to == CONTROLLER {
                self.err(
                    &format!("{path}.to"),
                    "a flow cannot go to the controller".into(),
                    "the id of a party that receives the data",
                    None,
                );
                None
            } else if let Some(&k) = index.get(&f.to) {
                Some(k)
            } else {
                let hint = known_hint(&f.to, index.keys().map(String::as_str));
                self.err(
                    &format!("{path}.to"),
                    format!("unknown party `{}` in flow", f.to),
                    "the id of a party in `parties`",
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
                    format!("duplicate flow id `{id}`"),
                    "one flow per sender and recipient, or distinct `id`s",
                    Some(format!(
                        "first defined at line {l}, column {c}; give one of them an `id:`"
                    )),
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
                                    format!(
                                        "the tool is relied on until {b}, before it starts on {a}"
                                    ),
                                    "`until` on or after `from`",
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
                        format!("flow `{id}` goes from `{}` to itself", f.to),
                        "a flow between two different parties",
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
                    format!("horizon {} years is out of range", r.horizon_years),
                    "a number of years above 0 and at most 100",
                    None,
                );
            }
            for (i, l) in r.laws.iter().enumerate() {
                if !kb.laws.contains(&l.law) {
                    let hint = known_hint(&l.law, kb.laws.ids());
                    self.err(
                        &format!("risk_estimate.laws[{i}].law"),
                        format!("unknown law `{}`", l.law),
                        "a law id from knowledge/laws",
                        Some(hint),
                    );
                }
                for (j, f) in l.factors.iter().enumerate() {
                    if !(0.0..=1.0).contains(&f.probability) {
                        self.err(
                            &format!("risk_estimate.laws[{i}].factors[{j}].probability"),
                            format!("probability {} is out of range", f.probability),
                            "a probability from 0 to 1 (e.g. 0.05 for 5 %)",
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
                        MeasureLevel::Flow => ("a flow", "processing.measures"),
                        MeasureLevel::Processing => ("the processing", "a flow's measures"),
                    };
                    self.err(
                        &format!("{path}[{i}]"),
                        format!("measure `{m}` does not apply to {here}"),
                        "a measure of this level from knowledge/measures",
                        Some(format!("move it to {there}")),
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
                        format!("unknown measure `{m}`"),
                        "a measure id from knowledge/measures",
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
                        format!(
                            "LEI `{lei}` is the catalogue entry `{}`, not `{}`",
                            v.id,
                            p.vendor.as_deref().unwrap_or_default()
                        ),
                        "`vendor:` or `lei:` naming the same entity",
                        Some("keep one of the two".into()),
                    );
                    return None;
                }
                None => {
                    let hint = if crate::knowledge::valid_lei(lei) {
                        format!("no vendor entry has this LEI: import it from GLEIF's golden copy with `tia knowledge import-gleif --lei {lei} …` and assess with --knowledge pointing at that folder")
                    } else {
                        "an LEI has 20 characters, letters and digits (ISO 17442)".to_string()
                    };
                    self.err(
                        &format!("{path}.lei"),
                        format!("unknown LEI `{lei}`"),
                        "the LEI of a vendor entry in knowledge/vendors",
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
                        format!("unknown vendor `{v}`"),
                        "a vendor id from knowledge/vendors",
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
                    format!("party `{}` has no country of incorporation", p.id),
                    "`incorporated: <country code>` or `vendor: <catalogue id>`",
                    Some("the country of incorporation decides which laws reach the party".into()),
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
                format!("party `{}` has no processing locations", p.id),
                "`locations: [<country code>, …]` where the party processes or stores the data",
                Some("the locations decide whether data leaves the EU/EEA".into()),
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
                    format!("unknown vendor `{a}`"),
                    "a vendor id from knowledge/vendors",
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
                format!("ownership share {} is out of range", o.share),
                "a share of capital or votes above 0 and at most 1 (1 = wholly owned)",
                Some("write 100 % as 1 and 30 % as 0.3".into()),
            );
        }
        if let Some(v) = &o.vendor {
            let Some(entry) = kb.vendors.get(v) else {
                let hint = name_hint(kb, crate::knowledge::catalog::Kind::Vendors, v)
                    .unwrap_or_else(|| known_hint(v, kb.vendors.ids()));
                self.err(
                    &format!("{path}.vendor"),
                    format!("unknown vendor `{v}`"),
                    "a vendor id from knowledge/vendors",
                    Some(hint),
                );
                return None;
            };
            if seen.contains(v) {
                let mut chain = seen.clone();
                chain.push(v.clone());
                self.err(
                    &format!("{path}.vendor"),
                    format!("the parent chain loops: {}", chain.join(" → ")),
                    "an ownership chain that ends at an ultimate parent",
                    Some("an entity cannot own, directly or indirectly, its own parent".into()),
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
                "an owner needs a `vendor` or both `name` and `country`".into(),
                "`{ vendor: <id>, share: 1 }` or `{ name: …, country: US, share: 1 }`",
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
                format!("the parent chain loops: {}", chain.join(" → ")),
                "an ownership chain that ends at an ultimate parent",
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
                format!("the flows form a cycle: {}", names.join(", ")),
                "flows that lead from the controller outwards, never back to a party that already sent the data",
                Some("remove or reverse one of these flows; data returned to a processor is the same data".into()),
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
