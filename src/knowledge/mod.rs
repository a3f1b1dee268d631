//! The knowledge base: legal facts, vendors, rules and policies as data, each with its source
//! and the date it was last true. Loaded from the embedded copy of `knowledge/` or a folder.

pub mod catalog;
pub mod diff;
pub mod gleif;
pub mod identifiers;
pub mod scenario;
mod types;
pub use types::*;

use crate::diag::{known_hint, Diagnostic, InputError};
use crate::locate::SourceMap;
use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/knowledge_files.rs"));
}

/// Where an entry was defined, for located errors and the knowledge listing.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Origin {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// Position of the entry in its file's list.
    #[serde(skip)]
    pub index: usize,
}

/// Entries of one kind, in file order, indexed by id.
#[derive(Debug, Clone)]
pub struct Table<T> {
    pub items: Vec<T>,
    pub origins: Vec<Origin>,
    index: HashMap<String, usize>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table {
            items: Vec::new(),
            origins: Vec::new(),
            index: HashMap::new(),
        }
    }
}

impl<T> Table<T> {
    pub fn get(&self, id: &str) -> Option<&T> {
        self.index.get(id).map(|&i| &self.items[i])
    }
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }
    pub fn contains(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }
    pub fn ids(&self) -> impl Iterator<Item = &str> + Clone {
        let mut ids: Vec<&str> = self.index.keys().map(String::as_str).collect();
        ids.sort_unstable();
        ids.into_iter()
    }
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.items.iter()
    }
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// The whole knowledge base.
#[derive(Debug, Clone)]
pub struct Knowledge {
    pub meta: Meta,
    pub sources: Table<Source>,
    pub jurisdictions: Table<Jurisdiction>,
    pub laws: Table<Law>,
    pub data_categories: Table<DataCategory>,
    pub data_subjects: Table<DataSubject>,
    pub dpia_criteria: Table<DpiaCriterion>,
    pub vendors: Table<Vendor>,
    pub measures: Table<Measure>,
    pub options: Table<OptionDef>,
    pub policies: Table<Policy>,
    pub rules: Table<Rule>,
    pub authorities: Table<Authority>,
    pub questions: Vec<QuestionDef>,
    /// What-if scenarios (`knowledge/scenarios/`) for `tia portfolio --what-if`.
    pub scenarios: Table<scenario::Scenario>,
    /// Words the engine puts into explanations and summaries, by key, in both languages.
    pub phrases: HashMap<String, Text>,
    /// Legal-form words and company-number formats (`identifiers.yaml`).
    pub identifiers: identifiers::Identifiers,
    /// Where the knowledge came from: `embedded` or a folder path.
    pub origin: String,
}

/// An entry whose `as_of` is older than the allowed age.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct StaleEntry {
    pub kind: String,
    pub id: String,
    pub as_of: NaiveDate,
    pub age_days: i64,
    pub file: String,
    pub line: usize,
}

trait Entry {
    fn id(&self) -> &str;
}
macro_rules! entry {
    ($($t:ty),*) => { $(impl Entry for $t { fn id(&self) -> &str { &self.id } })* };
}
entry!(
    Source,
    Law,
    DataCategory,
    DataSubject,
    DpiaCriterion,
    Vendor,
    Measure,
    OptionDef,
    Policy,
    Rule,
    Authority,
    scenario::Scenario
);
impl Entry for Jurisdiction {
    fn id(&self) -> &str {
        &self.code
    }
}

/// A file's YAML text, with its source map built only when an error needs a position.
struct LoadedFile<'a> {
    name: &'a str,
    text: &'a str,
    map: std::cell::OnceCell<SourceMap>,
}

impl LoadedFile<'_> {
    fn map(&self) -> &SourceMap {
        self.map.get_or_init(|| SourceMap::build(self.text))
    }
}

struct Loader<'a> {
    errors: Vec<Diagnostic>,
    files: Vec<LoadedFile<'a>>,
}

/// Decodes a file: from its JSON twin when there is one (fast), else, or when the JSON does not
/// decode, from the YAML (whose errors carry positions).
fn decode<T: DeserializeOwned>(
    yaml: &str,
    json: Option<&str>,
) -> Result<T, crate::yaml::YamlError> {
    if let Some(Ok(v)) = json.map(serde_json::from_str::<T>) {
        return Ok(v);
    }
    crate::yaml::from_str::<T>(yaml)
}

/// The line of each top-level list item (`- ` at column 1), found without parsing.
fn item_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("- ") || *l == "-")
        .map(|(i, _)| i + 1)
        .collect()
}

impl<'a> Loader<'a> {
    fn parse<T: DeserializeOwned + Entry>(
        &mut self,
        table: &mut Table<T>,
        kind: &str,
        name: &'a str,
        text: &'a str,
        json: Option<&str>,
    ) {
        let file = self.files.len();
        self.files.push(LoadedFile {
            name,
            text,
            map: std::cell::OnceCell::new(),
        });
        match decode::<Option<Vec<T>>>(text, json) {
            Ok(items) => {
                let items = items.unwrap_or_default();
                let lines = item_lines(text);
                let quick = lines.len() == items.len();
                for (i, item) in items.into_iter().enumerate() {
                    let (line, column) = if quick {
                        (lines[i], 1)
                    } else {
                        self.files[file].map().at(&format!("[{i}]"))
                    };
                    let id = item.id().to_string();
                    if let Some(&prev) = table.index.get(&id) {
                        let p = &table.origins[prev];
                        self.errors.push(
                            Diagnostic::new(
                                name,
                                self.files[file].map().at(&format!("[{i}].id")),
                                format!("duplicate {kind} id `{id}`"),
                            )
                            .hint(format!(
                                "first defined at {}:{}:{}",
                                p.file, p.line, p.column
                            )),
                        );
                        continue;
                    }
                    table.index.insert(id, table.items.len());
                    table.items.push(item);
                    table.origins.push(Origin {
                        file: name.to_string(),
                        line,
                        column,
                        index: i,
                    });
                }
            }
            Err(e) => self
                .errors
                .push(yaml_error(name, &e, &format!("a list of {kind} entries"))),
        }
    }

    /// Location of a field of an entry, for reference errors.
    fn at(&self, origin: &Origin, field: &str) -> (usize, usize) {
        match self.files.iter().find(|f| f.name == origin.file) {
            Some(f) => f.map().at(&format!("[{}].{field}", origin.index)),
            None => (origin.line, origin.column),
        }
    }
}

/// Turns a YAML error into a located diagnostic.
pub fn yaml_error(file: &str, e: &crate::yaml::YamlError, expected: &str) -> Diagnostic {
    yaml_diagnostic(file, e, crate::diag::Text::plain(expected))
}

/// A YAML error as a located diagnostic, its words from the catalogue where they have a key.
pub fn yaml_diagnostic(
    file: &str,
    e: &crate::yaml::YamlError,
    expected: crate::diag::Text,
) -> Diagnostic {
    use crate::diag::Text;
    let pos = (e.line, e.column);
    let msg = match e.text.key() {
        Some(_) => (*e.text).clone(),
        None => Text::plain(in_users_words(&e.message)),
    };
    let hint = e
        .hint_text
        .as_deref()
        .cloned()
        .unwrap_or_else(|| Text::hint("check_yaml"));
    Diagnostic::text(file, pos, msg)
        .expected_text(expected)
        .hint_text(hint)
}

/// serde's words for Rust types ("expected struct ControllerInput", "expected u64") replaced by
/// what a user writes.
fn in_users_words(msg: &str) -> String {
    let mut out = msg.to_string();
    if let Some(i) = out.find("expected struct ") {
        out.replace_range(i.., "expected a mapping of `key: value` lines");
    }
    for (rust, user) in [
        ("expected u64", "expected a whole number of 0 or more"),
        ("expected u32", "expected a whole number of 0 or more"),
        ("expected i64", "expected a whole number"),
        ("expected f64", "expected a number"),
        (
            "expected a sequence",
            "expected a list (`- item` lines or `[a, b]`)",
        ),
        ("expected a string", "expected a text"),
        ("expected a boolean", "expected true or false"),
        ("invalid type: sequence", "found a list"),
        ("invalid type: map", "found a mapping"),
        ("invalid type: integer", "found the number"),
        ("invalid type: floating point", "found the number"),
        ("invalid type: string", "found the text"),
        ("invalid type: boolean", "found"),
    ] {
        out = out.replace(rust, user);
    }
    out
}

impl Knowledge {
    /// The knowledge base compiled into the binary.
    pub fn embedded() -> Result<Knowledge, InputError> {
        let files: Vec<(&str, &str, Option<&str>)> = embedded::FILES
            .iter()
            .map(|(n, t, j)| (*n, *t, Some(*j)))
            .collect();
        Knowledge::load(&files, "embedded")
    }

    /// Loads every `*.yaml` under a folder laid out like `knowledge/`.
    pub fn load_dir(dir: &Path) -> Result<Knowledge, InputError> {
        let files = read_dir_files(dir)?;
        Knowledge::from_files(files, &dir.display().to_string())
    }

    /// Loads from (relative path, text) pairs and checks every reference.
    pub fn from_files(files: Vec<(String, String)>, origin: &str) -> Result<Knowledge, InputError> {
        let files: Vec<(&str, &str, Option<&str>)> = files
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str(), None))
            .collect();
        Knowledge::load(&files, origin)
    }

    /// Loads from (relative path, YAML text, JSON twin) and checks every reference.
    fn load(files: &[(&str, &str, Option<&str>)], origin: &str) -> Result<Knowledge, InputError> {
        let mut l = Loader {
            errors: Vec::new(),
            files: Vec::new(),
        };
        let mut meta = None;
        let mut kb = Knowledge {
            meta: Meta {
                version: String::new(),
                as_of: NaiveDate::MIN,
                stale_after_days: 365,
                title: Text {
                    sv: String::new(),
                    en: String::new(),
                    da: None,
                },
            },
            sources: Table::default(),
            jurisdictions: Table::default(),
            laws: Table::default(),
            data_categories: Table::default(),
            data_subjects: Table::default(),
            dpia_criteria: Table::default(),
            vendors: Table::default(),
            measures: Table::default(),
            options: Table::default(),
            policies: Table::default(),
            rules: Table::default(),
            authorities: Table::default(),
            questions: Vec::new(),
            scenarios: Table::default(),
            phrases: HashMap::new(),
            identifiers: identifiers::Identifiers::default(),
            origin: origin.to_string(),
        };
        for &(name, text, json) in files {
            let kind = name.split('/').next().unwrap_or("");
            match kind {
                "meta.yaml" | "meta.yml" => match decode::<Meta>(text, json) {
                    Ok(m) => meta = Some(m),
                    Err(e) => l.errors.push(yaml_error(name, &e, "the knowledge base's meta entry")),
                },
                "phrases.yaml" | "phrases.yml" => match decode::<HashMap<String, Text>>(text, json) {
                    Ok(p) => kb.phrases = p,
                    Err(e) => l.errors.push(yaml_error(name, &e, "a map from phrase key to { sv, en }")),
                },
                "identifiers.yaml" | "identifiers.yml" => match decode::<identifiers::Identifiers>(text, json) {
                    Ok(i) => kb.identifiers = i,
                    Err(e) => l.errors.push(yaml_error(name, &e, "legal_forms, company_numbers and vat_prefixes")),
                },
                "sources" => l.parse(&mut kb.sources, "source", name, text, json),
                "jurisdictions" => l.parse(&mut kb.jurisdictions, "jurisdiction", name, text, json),
                "laws" => l.parse(&mut kb.laws, "law", name, text, json),
                "data_categories" => l.parse(&mut kb.data_categories, "data category", name, text, json),
                "data_subjects" => l.parse(&mut kb.data_subjects, "data subject", name, text, json),
                "dpia" => l.parse(&mut kb.dpia_criteria, "DPIA criterion", name, text, json),
                "vendors" => l.parse(&mut kb.vendors, "vendor", name, text, json),
                "measures" => l.parse(&mut kb.measures, "measure", name, text, json),
                "options" => l.parse(&mut kb.options, "option", name, text, json),
                "policies" => l.parse(&mut kb.policies, "policy", name, text, json),
                "rules" => l.parse(&mut kb.rules, "rule", name, text, json),
                "authorities" => l.parse(&mut kb.authorities, "authority", name, text, json),
                "scenarios" => l.parse(&mut kb.scenarios, "scenario", name, text, json),
                "questions" => match decode::<Vec<QuestionDef>>(text, json) {
                    Ok(q) => kb.questions.extend(q),
                    Err(e) => l.errors.push(yaml_error(name, &e, "a list of legal question definitions")),
                },
                _ => l.errors.push(
                    Diagnostic::new(name, (1, 1), "file in an unknown place of the knowledge base")
                        .expected("meta.yaml, phrases.yaml, identifiers.yaml or a file under sources/, jurisdictions/, laws/, data_categories/, data_subjects/, dpia/, vendors/, measures/, options/, policies/, rules/, authorities/, scenarios/ or questions/"),
                ),
            }
        }
        match meta {
            Some(m) => kb.meta = m,
            None if l.errors.is_empty() => l.errors.push(
                Diagnostic::new(
                    &format!("{origin}/meta.yaml"),
                    (1, 1),
                    "the knowledge base has no meta.yaml",
                )
                .expected("meta.yaml with version, as_of, stale_after_days and title"),
            ),
            None => {}
        }
        if kb.data_categories.len() > 128 {
            l.errors.push(
                Diagnostic::new("data_categories", (1, 1), "more than 128 data categories")
                    .expected("at most 128 data categories"),
            );
        }
        if l.errors.is_empty() {
            for key in REQUIRED_PHRASES
                .iter()
                .filter(|k| !kb.phrases.contains_key(**k))
            {
                l.errors.push(
                    Diagnostic::new("phrases.yaml", (1, 1), format!("missing phrase `{key}`"))
                        .expected("every phrase key the engine uses, with sv and en text"),
                );
            }
            kb.check_references(&mut l);
        }
        if l.errors.is_empty() {
            Ok(kb)
        } else {
            Err(InputError {
                diagnostics: l.errors,
            })
        }
    }

    fn check_references(&self, l: &mut Loader) {
        let mut errs: Vec<Diagnostic> = Vec::new();
        // identifiers.yaml: its sources and countries exist.
        let ids = &self.identifiers;
        let sources = std::iter::once(&ids.legal_forms.source)
            .chain(std::iter::once(&ids.vat_prefixes.source))
            .chain(ids.company_numbers.iter().map(|f| &f.source))
            .filter(|s| !s.is_empty());
        for s in sources {
            if !self.sources.contains(s) {
                errs.push(
                    Diagnostic::new("identifiers.yaml", (1, 1), format!("unknown source `{s}`"))
                        .expected("the id of an entry in knowledge/sources/")
                        .hint(known_hint(s, self.sources.ids())),
                );
            }
        }
        let countries = ids
            .legal_forms
            .by_country
            .keys()
            .chain(ids.company_numbers.iter().map(|f| &f.country))
            .chain(ids.vat_prefixes.differing.values());
        for c in countries {
            if !self.jurisdictions.contains(c) {
                errs.push(
                    Diagnostic::new(
                        "identifiers.yaml",
                        (1, 1),
                        format!("unknown country code `{c}`"),
                    )
                    .expected("an ISO 3166-1 alpha-2 code listed in knowledge/jurisdictions/")
                    .hint(known_hint(c, self.jurisdictions.ids())),
                );
            }
        }
        let src = |l: &Loader, errs: &mut Vec<Diagnostic>, o: &Origin, field: &str, id: &str| {
            if !self.sources.contains(id) {
                errs.push(
                    Diagnostic::new(&o.file, l.at(o, field), format!("unknown source `{id}`"))
                        .expected("the id of an entry in knowledge/sources/")
                        .hint(known_hint(id, self.sources.ids())),
                );
            }
        };
        let country =
            |l: &Loader, errs: &mut Vec<Diagnostic>, o: &Origin, field: &str, code: &str| {
                if !self.jurisdictions.contains(code) {
                    errs.push(
                        Diagnostic::new(
                            &o.file,
                            l.at(o, field),
                            format!("unknown country code `{code}`"),
                        )
                        .expected("an ISO 3166-1 alpha-2 code listed in knowledge/jurisdictions/")
                        .hint(known_hint(code, self.jurisdictions.ids())),
                    );
                }
            };
        let cites = |l: &Loader, errs: &mut Vec<Diagnostic>, o: &Origin, cs: &[Citation]| {
            if cs.is_empty() {
                errs.push(
                    Diagnostic::new(&o.file, l.at(o, "citations"), "entry without a source")
                        .expected("at least one citation { source: <id>, pinpoint: <where> }")
                        .hint("every rule, option and policy must say where it comes from"),
                );
            }
            for (i, c) in cs.iter().enumerate() {
                if !self.sources.contains(&c.source) {
                    errs.push(
                        Diagnostic::new(
                            &o.file,
                            l.at(o, &format!("citations[{i}].source")),
                            format!("unknown source `{}`", c.source),
                        )
                        .expected("the id of an entry in knowledge/sources/")
                        .hint(known_hint(&c.source, self.sources.ids())),
                    );
                }
            }
        };
        for (j, o) in self.jurisdictions.iter().zip(&self.jurisdictions.origins) {
            src(l, &mut errs, o, "source", &j.source);
            for (i, a) in j.adequacy.iter().enumerate() {
                src(l, &mut errs, o, &format!("adequacy[{i}].source"), &a.source);
            }
        }
        for (x, o) in self.laws.iter().zip(&self.laws.origins) {
            src(l, &mut errs, o, "source", &x.source);
            country(l, &mut errs, o, "jurisdiction", &x.jurisdiction);
        }
        for (x, o) in self
            .data_categories
            .iter()
            .zip(&self.data_categories.origins)
        {
            src(l, &mut errs, o, "source", &x.source);
        }
        for (x, o) in self.data_subjects.iter().zip(&self.data_subjects.origins) {
            src(l, &mut errs, o, "source", &x.source);
        }
        for (x, o) in self.dpia_criteria.iter().zip(&self.dpia_criteria.origins) {
            src(l, &mut errs, o, "source", &x.source);
        }
        for (x, o) in self.measures.iter().zip(&self.measures.origins) {
            src(l, &mut errs, o, "source", &x.source);
        }
        for (x, o) in self.options.iter().zip(&self.options.origins) {
            cites(l, &mut errs, o, &x.citations);
        }
        for (x, o) in self.policies.iter().zip(&self.policies.origins) {
            cites(l, &mut errs, o, &x.citations);
        }
        let mut leis: HashMap<&str, String> = HashMap::new();
        for (v, o) in self.vendors.iter().zip(&self.vendors.origins) {
            src(l, &mut errs, o, "source", &v.source);
            country(l, &mut errs, o, "incorporated", &v.incorporated);
            for (i, c) in v.locations.iter().enumerate() {
                country(l, &mut errs, o, &format!("locations[{i}]"), c);
            }
            for (i, c) in v.access_locations.iter().enumerate() {
                country(l, &mut errs, o, &format!("access_locations[{i}]"), c);
            }
            if let Some(s) = &v.ownership_source {
                src(l, &mut errs, o, "ownership_source", s);
            }
            if let Some(d) = &v.dpf {
                for problem in dpf_problems(d) {
                    errs.push(
                        Diagnostic::new(&o.file, l.at(o, "dpf"), problem)
                            .expected("`dpf: { status: active, checked: 2026-12-03, page: https://www.dataprivacyframework.gov/participant/…, covers: [hr, non_hr] }`")
                            .hint("a status nobody read on the list is `unknown` (or leave `dpf` out)"),
                    );
                }
            }
            for (i, p) in v.parents.owners().iter().enumerate() {
                if !self.vendors.contains(&p.vendor) {
                    errs.push(
                        Diagnostic::new(
                            &o.file,
                            l.at(o, &format!("parents[{i}].vendor")),
                            format!("unknown parent vendor `{}`", p.vendor),
                        )
                        .expected("the id of another vendor entry")
                        .hint(known_hint(&p.vendor, self.vendors.ids())),
                    );
                }
                if !(p.share > 0.0 && p.share <= 1.0) {
                    errs.push(
                        Diagnostic::new(
                            &o.file,
                            l.at(o, &format!("parents[{i}].share")),
                            format!("ownership share {} is out of range", p.share),
                        )
                        .expected(
                            "a share of capital or votes above 0 and at most 1 (1 = wholly owned)",
                        ),
                    );
                }
            }
            for problem in ownership_problems(v) {
                let (field, msg, expected) = problem;
                errs.push(Diagnostic::new(&o.file, l.at(o, &field), msg).expected(expected));
            }
            if let Some(lei) = &v.lei {
                match leis.get(lei.as_str()) {
                    Some(first) => errs.push(
                        Diagnostic::new(
                            &o.file,
                            l.at(o, "lei"),
                            format!("LEI `{lei}` is given to two vendor entries"),
                        )
                        .expected("one entry per legal entity")
                        .hint(format!("first given at {first}")),
                    ),
                    None => {
                        leis.insert(lei.as_str(), format!("{}:{}:{}", o.file, o.line, o.column));
                    }
                }
            }
            if let Some(chain) = self.vendor_parent_loop(&v.id) {
                errs.push(
                    Diagnostic::new(
                        &o.file,
                        l.at(o, "parents"),
                        format!(
                            "the parent chain of `{}` loops: {}",
                            v.id,
                            chain.join(" → ")
                        ),
                    )
                    .expected("an ownership chain that ends at an ultimate parent")
                    .hint("one of these entries names a parent that is also its subsidiary"),
                );
            }
        }
        // Policies: exactly one default.
        let defaults = self.policies.iter().filter(|p| p.default).count();
        if defaults != 1 {
            let o = self.policies.origins.first().cloned().unwrap_or(Origin {
                file: "policies".into(),
                line: 1,
                column: 1,
                index: 0,
            });
            errs.push(
                Diagnostic::new(
                    &o.file,
                    (o.line, o.column),
                    format!("{defaults} policy profiles are marked `default: true`"),
                )
                .expected("exactly one default policy profile"),
            );
        }
        for q in Question::ALL {
            match self.questions.iter().filter(|d| d.id == q).count() {
                1 => {}
                n => errs.push(
                    Diagnostic::new("questions", (1, 1), format!("{n} definitions of the legal question `{}`", q.key()))
                        .expected("exactly one entry per question in knowledge/questions/: chapter_v, foreign_access, national_law"),
                ),
            }
        }
        for q in &self.questions {
            for c in &q.citations {
                if !self.sources.contains(&c.source) {
                    errs.push(
                        Diagnostic::new(
                            "questions",
                            (1, 1),
                            format!("unknown source `{}` in question `{}`", c.source, q.id.key()),
                        )
                        .expected("the id of an entry in knowledge/sources/"),
                    );
                }
            }
        }
        for (x, o) in self.scenarios.iter().zip(&self.scenarios.origins) {
            for (field, msg, expected, hint) in scenario::problems(self, x) {
                let mut d = Diagnostic::new(&o.file, l.at(o, &field), msg).expected(expected);
                if let Some(h) = hint {
                    d = d.hint(h);
                }
                errs.push(d);
            }
        }
        for (a, o) in self.authorities.iter().zip(&self.authorities.origins) {
            cites(l, &mut errs, o, &a.citations);
            for (i, c) in a.countries.iter().enumerate() {
                country(l, &mut errs, o, &format!("countries[{i}]"), c);
            }
            for (kind, p) in &a.default_policy {
                if !self.policies.contains(p) {
                    let key = serde_json::to_value(kind).unwrap_or_default();
                    errs.push(
                        Diagnostic::new(
                            &o.file,
                            l.at(o, &format!("default_policy.{}", key.as_str().unwrap_or(""))),
                            format!("unknown policy profile `{p}`"),
                        )
                        .expected("a policy profile id")
                        .hint(known_hint(p, self.policies.ids())),
                    );
                }
            }
        }
        for (r, o) in self.rules.iter().zip(&self.rules.origins) {
            cites(l, &mut errs, o, &r.citations);
            for key in r.effect.keys() {
                if key != "default" && !self.policies.contains(key) {
                    errs.push(
                        Diagnostic::new(
                            &o.file,
                            l.at(o, &format!("effect.{key}")),
                            format!("unknown policy profile `{key}` in effect"),
                        )
                        .expected("`default` or a policy profile id")
                        .hint(known_hint(key, self.policies.ids())),
                    );
                }
            }
            for problem in r.when.check(r.scope, self) {
                errs.push(
                    Diagnostic::new(
                        &o.file,
                        l.at(o, "when"),
                        format!("rule {}: {problem}", r.id),
                    )
                    .expected("predicates valid for the rule's scope, naming known ids"),
                );
            }
        }
        l.errors.extend(errs);
    }

    /// The loop in a vendor's parent chain, if any.
    pub fn vendor_parent_loop(&self, start: &str) -> Option<Vec<String>> {
        fn go(kb: &Knowledge, id: &str, path: &mut Vec<String>) -> Option<Vec<String>> {
            if path.iter().any(|p| p == id) {
                let mut p = path.clone();
                p.push(id.to_string());
                return Some(p);
            }
            let v = kb.vendors.get(id)?;
            path.push(id.to_string());
            for parent in v.parents.owners() {
                if let Some(l) = go(kb, &parent.vendor, path) {
                    return Some(l);
                }
            }
            path.pop();
            None
        }
        go(self, start, &mut Vec::new())
    }

    /// The supervisory authority of a controller of this kind in this country: the one that
    /// names the country, else one that names no country (any EU/EEA state on `date`; the EDPS
    /// for EU institutions anywhere). None for a controller outside the EU/EEA.
    pub fn authority_for(
        &self,
        country: &str,
        kind: ControllerKind,
        date: NaiveDate,
    ) -> Option<&Authority> {
        let of_kind = || {
            self.authorities
                .iter()
                .filter(move |a| a.kinds.contains(&kind))
        };
        let in_eea = self.in_eea(country, date);
        of_kind()
            .find(|a| a.countries.iter().any(|c| c == country))
            .or_else(|| {
                // EU institutions answer to the EDPS wherever they sit; other controllers to
                // their national authority only inside the EU/EEA.
                of_kind().find(|a| {
                    a.countries.is_empty() && (in_eea || kind == ControllerKind::EuInstitution)
                })
            })
    }

    /// The legal question's definition (checked at load: every question has one).
    pub fn question(&self, q: Question) -> &QuestionDef {
        self.questions
            .iter()
            .find(|d| d.id == q)
            .expect("every legal question is defined (checked at load)")
    }

    pub fn default_policy(&self) -> &Policy {
        self.policies
            .iter()
            .find(|p| p.default)
            .expect("checked at load")
    }

    /// EU/EEA membership of a country on a date (EEA includes the EU).
    pub fn in_eea(&self, code: &str, date: NaiveDate) -> bool {
        self.jurisdictions
            .get(code)
            .is_some_and(|j| j.eea.iter().chain(&j.eu).any(|p| p.contains(date)))
    }

    /// Adequacy decisions for a country in force on a date.
    pub fn adequacy_on(&self, code: &str, date: NaiveDate) -> impl Iterator<Item = &Adequacy> {
        self.jurisdictions
            .get(code)
            .into_iter()
            .flat_map(|j| j.adequacy.iter())
            .filter(move |a| a.period.contains(date))
    }

    pub fn country_name(&self, code: &str, lang: crate::model::Lang) -> String {
        self.jurisdictions
            .get(code)
            .map(|j| j.name.get(lang).to_string())
            .unwrap_or_else(|| code.to_string())
    }

    /// Calls `f` with every dated entry's kind, id, date and origin.
    fn each_dated(
        &self,
        mut f: impl FnMut(&'static str, &dyn std::fmt::Display, NaiveDate, &Origin),
    ) {
        macro_rules! visit {
            ($table:expr, $kind:expr) => {
                for (x, o) in $table.iter().zip(&$table.origins) {
                    f($kind, &x.id(), x.as_of, o);
                }
            };
        }
        visit!(self.sources, "source");
        visit!(self.jurisdictions, "jurisdiction");
        visit!(self.laws, "law");
        visit!(self.data_categories, "data_category");
        visit!(self.data_subjects, "data_subject");
        visit!(self.dpia_criteria, "dpia_criterion");
        visit!(self.vendors, "vendor");
        visit!(self.measures, "measure");
        visit!(self.options, "option");
        visit!(self.policies, "policy");
        visit!(self.rules, "rule");
        for (j, o) in self.jurisdictions.iter().zip(&self.jurisdictions.origins) {
            for a in &j.adequacy {
                f(
                    "adequacy",
                    &format_args!("{}:{}", j.code, a.decision),
                    a.as_of,
                    o,
                );
            }
        }
    }

    /// Entries older than `max_age_days` on `today`. Only the stale ones are named, so this is
    /// cheap enough to ask on every assessment.
    pub fn stale(&self, today: NaiveDate, max_age_days: i64) -> Vec<StaleEntry> {
        let mut out = Vec::new();
        self.each_dated(|kind, id, as_of, o| {
            let age = (today - as_of).num_days();
            if age > max_age_days {
                out.push(StaleEntry {
                    kind: kind.to_string(),
                    id: id.to_string(),
                    as_of,
                    age_days: age,
                    file: o.file.clone(),
                    line: o.line,
                });
            }
        });
        out
    }

    /// A phrase in a language with `{name}` placeholders filled in. A missing key shows as
    /// the key itself (and `knowledge check` reports it).
    pub fn phrase(&self, key: &str, lang: crate::model::Lang, vars: &[(&str, &str)]) -> String {
        match self.phrases.get(key) {
            Some(t) => fill(t.get(lang), vars),
            None => format!("[{key}]"),
        }
    }

    /// A citation rendered for a report: "Title (reference), pinpoint".
    pub fn cite(&self, c: &Citation) -> String {
        let s = self.sources.get(&c.source);
        let mut out = match s {
            Some(s) => match &s.reference {
                Some(r) => format!("{} ({r})", s.title),
                None => s.title.clone(),
            },
            None => c.source.clone(),
        };
        if let Some(p) = &c.pinpoint {
            out.push_str(", ");
            out.push_str(p);
        }
        out
    }
}

impl Knowledge {
    /// A citation as `cite` renders it, followed by "(not verified)" in the document's language
    /// when its source could not be verified.
    pub fn cite_in(&self, c: &Citation, lang: crate::model::Lang) -> String {
        let mut out = self.cite(c);
        if self.sources.get(&c.source).is_some_and(|s| !s.verified) {
            out.push_str(&format!(
                " ({})",
                self.phrase("source.unverified", lang, &[])
            ));
        }
        out
    }

    /// The sources marked `verified: false`, with what is uncertain.
    pub fn unverified_sources(&self) -> impl Iterator<Item = (&Source, &Origin)> {
        self.sources
            .iter()
            .zip(&self.sources.origins)
            .filter(|(s, _)| !s.verified)
    }
}

/// What is missing from a DPF list entry: a status read on the list needs the day and the page
/// it was read from, and an active listing the data it covers.
fn dpf_problems(d: &DpfListing) -> Vec<String> {
    let mut out = Vec::new();
    if d.status != DpfStatus::Unknown {
        if d.checked.is_none() {
            out.push(format!(
                "DPF status `{}` without the day it was checked",
                d.status.key()
            ));
        }
        if d.page.as_deref().is_none_or(|p| p.trim().is_empty()) {
            out.push(format!(
                "DPF status `{}` without the page it was read from",
                d.status.key()
            ));
        }
    }
    if d.status == DpfStatus::Active && d.covers.is_empty() {
        out.push("an active DPF listing without the data it covers".into());
    }
    out
}

/// Whether a text has the form of an LEI: 20 upper-case letters and digits (ISO 17442).
pub fn valid_lei(s: &str) -> bool {
    s.len() == 20
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

/// What is wrong with a vendor's ownership facts: (field, message, expected).
fn ownership_problems(v: &Vendor) -> Vec<(String, String, &'static str)> {
    let mut out = Vec::new();
    match &v.parents {
        VendorParents::Keyword(OwnershipKeyword::Unknown) => out.push((
            "parents".to_string(),
            "`parents: unknown` without the reason".to_string(),
            "`parents: { unknown: \"why nobody could source the owners\" }` (e.g. \"no register extract read; check Bolagsverket 556906-5617\")",
        )),
        VendorParents::Unknown(u) if u.unknown.trim().is_empty() => out.push((
            "parents.unknown".to_string(),
            "an empty reason for unknown ownership".to_string(),
            "the reason nobody could source the owners",
        )),
        VendorParents::Listed(list) if list.is_empty() => out.push((
            "parents".to_string(),
            "an empty list of owners".to_string(),
            "owners, `none` with an `ownership_source`, or `{ unknown: \"why\" }`",
        )),
        _ => {}
    }
    if let Some(lei) = &v.lei {
        if !valid_lei(lei) {
            out.push((
                "lei".to_string(),
                format!("`{lei}` is not an LEI"),
                "20 upper-case letters and digits (ISO 17442)",
            ));
        }
    }
    for (i, p) in v.parents.owners().iter().enumerate() {
        if let Some(lei) = &p.lei {
            if !valid_lei(lei) {
                out.push((
                    format!("parents[{i}].lei"),
                    format!("`{lei}` is not an LEI"),
                    "20 upper-case letters and digits (ISO 17442)",
                ));
            }
        }
        if let (Some(f), Some(t)) = (p.valid_from, p.valid_to) {
            if t < f {
                out.push((
                    format!("parents[{i}].valid_to"),
                    format!("the relationship ends ({t}) before it starts ({f})"),
                    "`valid_to` on or after `valid_from`",
                ));
            }
        }
    }
    out
}

/// A vendor whose ownership a DPO cannot rely on as it stands: unknown, older than the allowed
/// age, or resting on a relationship that has lapsed or ended. `knowledge check` lists them;
/// they do not fail the check.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct OwnershipIssue {
    pub vendor: String,
    #[serde(flatten)]
    pub kind: OwnershipIssueKind,
    pub file: String,
    pub line: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", tag = "issue")]
pub enum OwnershipIssueKind {
    /// `parents: { unknown: reason }`.
    Unknown { reason: String },
    /// Every listed relationship has lapsed or ended: no current owner is known.
    NoCurrentOwner,
    /// The ownership was last stated longer ago than the allowed age.
    Old { as_of: NaiveDate, age_days: i64 },
    /// A listed relationship does not hold on the day checked (lapsed, inactive or past its
    /// `valid_to`); it is kept as evidence, not counted as an owner.
    NotCurrent {
        owner: String,
        status: Option<RelationshipState>,
        valid_to: Option<NaiveDate>,
    },
}

impl Knowledge {
    /// The day a vendor's ownership was last known to be as stated: `ownership_as_of`, else the
    /// `ownership_source` entry's date (or its `as_of`), else the entry's own `as_of` (the
    /// owners then come from `source`).
    pub fn ownership_as_of(&self, v: &Vendor) -> NaiveDate {
        if let Some(d) = v.ownership_as_of {
            return d;
        }
        match v
            .ownership_source
            .as_deref()
            .and_then(|s| self.sources.get(s))
        {
            Some(s) => s.date.unwrap_or(s.as_of),
            None => v.as_of,
        }
    }

    /// The catalogue entry with this LEI (letters compared without regard to case).
    pub fn vendor_by_lei(&self, lei: &str) -> Option<&Vendor> {
        let lei = lei.trim();
        self.vendors.iter().find(|v| {
            v.lei
                .as_deref()
                .is_some_and(|l| l.eq_ignore_ascii_case(lei))
        })
    }

    /// Vendors whose ownership is unknown, has no current owner on `today`, or was stated more
    /// than `max_age_days` before `today`; and every relationship that does not hold on
    /// `today`.
    pub fn ownership_issues(&self, today: NaiveDate, max_age_days: i64) -> Vec<OwnershipIssue> {
        let mut out = Vec::new();
        for (v, o) in self.vendors.iter().zip(&self.vendors.origins) {
            let mut push = |kind| {
                out.push(OwnershipIssue {
                    vendor: v.id.clone(),
                    kind,
                    file: o.file.clone(),
                    line: o.line,
                })
            };
            if let Some(reason) = v.parents.unknown_reason() {
                push(OwnershipIssueKind::Unknown {
                    reason: reason.to_string(),
                });
                continue;
            }
            let owners = v.parents.owners();
            for p in owners.iter().filter(|p| !p.current_on(today)) {
                push(OwnershipIssueKind::NotCurrent {
                    owner: p.vendor.clone(),
                    status: p.status,
                    valid_to: p.valid_to,
                });
            }
            if !owners.is_empty() && !owners.iter().any(|p| p.current_on(today)) {
                push(OwnershipIssueKind::NoCurrentOwner);
            }
            let as_of = self.ownership_as_of(v);
            let age = (today - as_of).num_days();
            if age > max_age_days {
                push(OwnershipIssueKind::Old {
                    as_of,
                    age_days: age,
                });
            }
        }
        out
    }
}

/// Every `*.yaml` under a folder laid out like `knowledge/`, as (relative path, text), in path
/// order.
fn read_dir_files(dir: &Path) -> Result<Vec<(String, String)>, InputError> {
    let mut files = Vec::new();
    fn walk(dir: &Path, base: &Path, out: &mut Vec<(String, String)>) -> std::io::Result<()> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)?.flatten().collect();
        entries.sort_by_key(|e| e.path());
        for e in entries {
            let p = e.path();
            if p.is_dir() {
                walk(&p, base, out)?;
            } else if matches!(p.extension().and_then(|x| x.to_str()), Some("yaml" | "yml")) {
                let rel = p
                    .strip_prefix(base)
                    .unwrap_or(&p)
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read_to_string(&p)?));
            }
        }
        Ok(())
    }
    walk(dir, dir, &mut files).map_err(|e| {
            InputError::from(
                Diagnostic::new(&dir.display().to_string(), (1, 1), format!("cannot read the knowledge folder: {e}"))
                    .hint("pass a folder laid out like knowledge/ with --knowledge, or leave it out to use the embedded one"),
            )
        })?;
    Ok(files)
}

/// Replaces `{name}` placeholders.
pub fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match after.find('}') {
            Some(j) => {
                let name = &after[..j];
                match vars.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[j + 1..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// A whole number as Swedish, Danish and English official texts write it in a document: a
/// no-break space between thousands ("45 000").
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    out
}

/// Phrase keys the engine uses; loading fails when one is missing.
pub const REQUIRED_PHRASES: &[&str] = &[
    "dpf_data.hr",
    "dpf_data.non_hr",
    "dpf_status.active",
    "dpf_status.inactive",
    "dpf_status.not_listed",
    "dpf_status.unknown",
    "dpia.declared",
    "dpia.subjects",
    "effect.blocking",
    "effect.inform",
    "effect.measures",
    "estimate.note",
    "option.already_on_premises",
    "option.in_place",
    "option.needs_cleartext",
    "option.needs_identification",
    "option.no_exposure",
    "option.no_sensitive",
    "option.replacement_name",
    "option_status.feasible",
    "option_status.in_place",
    "option_status.infeasible",
    "option_status.not_applicable",
    "path.accessed_from",
    "path.incorporated_in",
    "path.owned_by",
    "path.processes_in",
    "recommend.as_modelled",
    "recommend.improves",
    "recommend.no_better",
    "recommend.none",
    "severity.high",
    "severity.info",
    "severity.low",
    "severity.medium",
    "source.unverified",
    "status.covered_by_adequacy",
    "status.effective",
    "status.mitigated",
    "status.neutralised",
    "summary.as_of",
    "summary.cites",
    "summary.dpia",
    "summary.effective",
    "summary.estimate",
    "summary.exposures",
    "summary.findings",
    "summary.inferred",
    "summary.input",
    "summary.knowledge",
    "summary.no",
    "summary.none",
    "summary.options",
    "summary.other",
    "summary.policy",
    "summary.prior",
    "summary.recommended",
    "summary.reference",
    "summary.transfers",
    "summary.verdict",
    "summary.warnings",
    "summary.years",
    "summary.yes",
    "tool.adequacy",
    "tool.bcr",
    "tool.derogation",
    "tool.dpf",
    "tool.dpf_not_in_force",
    "tool.dpf_not_covered",
    "tool.dpf_unknown",
    "tool.no_adequacy",
    "tool.none",
    "tool.none_declared",
    "tool.not_certified",
    "tool.privacy_shield",
    "tool.privacy_shield_not_in_force",
    "tool.scc",
    "verdict.acceptable",
    "verdict.acceptable_with_measures",
    "verdict.not_acceptable",
    "warn.stale",
    "warn.unreached",
];
