//! The documents users hold in their hands, as Typst source: the decision memo, the
//! prior-consultation pack, the vendor comparison and the change report.
//!
//! Templates are `templates/memo/*.typ.tera` and every word is in `templates/memo/lang/*.yaml`;
//! both are embedded in the binary. Tera escapes every `{{ value }}` for Typst markup
//! ([`escape::markup`]), so text from a model or the knowledge base can never become Typst code;
//! templates mark the few places that need a string literal with `| typst_str | safe`.
//! [`crate::typst::Typst`] compiles the result.

pub mod escape;
pub mod graph;

use crate::knowledge::Knowledge;
use crate::model::{Lang, Model, CONTROLLER};
use crate::report::Report;
use crate::typst::Document;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The template sources, embedded: (name, text).
const TEMPLATES: &[(&str, &str)] = &[
    (
        "common.typ",
        include_str!("../../templates/memo/common.typ.tera"),
    ),
    (
        "memo.typ",
        include_str!("../../templates/memo/memo.typ.tera"),
    ),
    (
        "consult.typ",
        include_str!("../../templates/memo/consult.typ.tera"),
    ),
    (
        "diff.typ",
        include_str!("../../templates/memo/diff.typ.tera"),
    ),
    (
        "compare.typ",
        include_str!("../../templates/memo/compare.typ.tera"),
    ),
];

const STRINGS_SV: &str = include_str!("../../templates/memo/lang/sv.yaml");
const STRINGS_EN: &str = include_str!("../../templates/memo/lang/en.yaml");

/// A template failed: a defect in `templates/`, reported with tera's whole chain of causes.
#[derive(Debug, thiserror::Error)]
#[error("cannot render the document template: {0}")]
pub struct RenderError(String);

impl From<tera::Error> for RenderError {
    fn from(e: tera::Error) -> Self {
        let mut msg = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            source = s.source();
        }
        RenderError(msg)
    }
}

/// The documents a renderer can make (each with `common.typ`, which they include).
const DOCUMENTS: [&str; 4] = ["memo.typ", "consult.typ", "diff.typ", "compare.typ"];

/// Renders the documents. Build once and reuse; it holds the wording, and parses each
/// document's template on first use (a memo never pays for the comparison's template).
pub struct Renderer {
    templates: [std::sync::OnceLock<Result<tera::Tera, String>>; DOCUMENTS.len()],
    sv: Value,
    en: Value,
}

/// A tera instance with one document's template and the templates it includes.
fn document_tera(name: &str) -> Result<tera::Tera, RenderError> {
    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![".typ"]);
    tera.set_escape_fn(escape::markup);
    tera.register_filter("typst_str", typst_str);
    tera.register_filter("fill", fill);
    tera.register_filter("pct", pct);
    tera.register_filter("num", num);
    tera.register_filter("or", or);
    tera.register_filter("yesno", yesno);
    tera.register_filter("value", value);
    tera.add_raw_templates(
        TEMPLATES
            .iter()
            .filter(|(n, _)| *n == "common.typ" || *n == name)
            .copied()
            .collect::<Vec<_>>(),
    )?;
    Ok(tera)
}

impl Renderer {
    pub fn new() -> Result<Renderer, RenderError> {
        let strings = |text: &str, file: &str| -> Result<Value, RenderError> {
            serde_yaml::from_str(text)
                .map_err(|e| RenderError(format!("templates/memo/lang/{file}: {e}")))
        };
        Ok(Renderer {
            templates: Default::default(),
            sv: strings(STRINGS_SV, "sv.yaml")?,
            en: strings(STRINGS_EN, "en.yaml")?,
        })
    }

    /// The parsed template of one document, parsed on first use.
    fn tera(&self, name: &str) -> Result<&tera::Tera, RenderError> {
        let i = DOCUMENTS
            .iter()
            .position(|d| *d == name)
            .ok_or_else(|| RenderError(format!("no document template `{name}`")))?;
        self.templates[i]
            .get_or_init(|| document_tera(name).map_err(|e| e.0))
            .as_ref()
            .map_err(|e| RenderError(e.clone()))
    }

    /// The decision memo for one assessed model.
    pub fn memo(
        &self,
        model: &Model,
        report: &Report,
        kb: &Knowledge,
    ) -> Result<Document, RenderError> {
        self.document("memo.typ", model, report, kb)
    }

    /// The art. 36(3) prior-consultation pack for one assessed model.
    pub fn consult(
        &self,
        model: &Model,
        report: &Report,
        kb: &Knowledge,
    ) -> Result<Document, RenderError> {
        self.document("consult.typ", model, report, kb)
    }

    fn document(
        &self,
        template: &str,
        model: &Model,
        report: &Report,
        kb: &Knowledge,
    ) -> Result<Document, RenderError> {
        let lang = report.language;
        let mut ctx = self.base(lang, kb);
        ctx.insert("kind", template.trim_end_matches(".typ"));
        ctx.insert("doc_title", &report.title);
        ctx.insert("doc_reference", &report.reference);
        ctx.insert("doc_date", &report.as_of);
        ctx.insert("doc_controller", &report.controller.name);
        ctx.insert("doc_policy", &report.policy.name);
        ctx.insert(
            "doc_knowledge",
            &format!("{} ({})", report.knowledge.version, report.knowledge.as_of),
        );
        ctx.insert("description", &model.description);
        let mut party_names: BTreeMap<&str, &str> = report
            .parties
            .iter()
            .map(|p| (p.id.as_str(), p.name.value.as_str()))
            .collect();
        party_names.insert(CONTROLLER, &report.controller.name);
        ctx.insert("flows", &flow_rows(model, report, kb, &party_names));
        ctx.insert("party_names", &party_names);
        ctx.insert("r", report);
        ctx.insert(
            "authority_name",
            &report
                .authority
                .as_ref()
                .map(|a| a.name.clone())
                .unwrap_or_else(|| kb.phrase("prior.the_authority", lang, &[])),
        );
        ctx.insert("graph_svg", &flow_graph(model, report, kb, self.t(lang)));
        ctx.insert("knowledge_used", &knowledge_used(report, kb));
        // Every rule's citations, so a document can cite the rule behind a section (the
        // consultation pack cites STH-8 for its art. 28, 48 and continued-processing parts).
        let rule_citations: BTreeMap<&str, Vec<String>> = kb
            .rules
            .iter()
            .map(|r| {
                (
                    r.id.as_str(),
                    r.citations.iter().map(|c| kb.cite(c)).collect(),
                )
            })
            .collect();
        ctx.insert("rule_citations", &rule_citations);
        ctx.insert(
            "stale",
            &report
                .warnings
                .iter()
                .filter_map(|w| w.stale.as_ref())
                .collect::<Vec<_>>(),
        );
        let policy = kb
            .policies
            .get(&report.policy.id)
            .map(|p| p.description.get(lang).to_string());
        ctx.insert("policy_description", &policy);
        let source = self.tera(template)?.render(template, &ctx)?;
        Ok(Document {
            source,
            date: report.as_of,
        })
    }

    /// The change report between two versions of a model, in the new version's language.
    pub fn diff(
        &self,
        change: &crate::diff::ChangeReport,
        lang: Lang,
        kb: &Knowledge,
    ) -> Result<Document, RenderError> {
        let mut ctx = self.base(lang, kb);
        ctx.insert("kind", "diff");
        ctx.insert("doc_title", &change.new.title);
        ctx.insert("doc_reference", &change.new.reference);
        ctx.insert("doc_date", &change.new.as_of);
        ctx.insert("doc_controller", &Value::Null);
        ctx.insert("doc_policy", &change.new.policy.name);
        ctx.insert(
            "doc_knowledge",
            &format!("{} ({})", kb.meta.version, kb.meta.as_of),
        );
        ctx.insert("d", change);
        let source = self.tera("diff.typ")?.render("diff.typ", &ctx)?;
        Ok(Document {
            source,
            date: change.new.as_of,
        })
    }

    /// The vendor comparison, in the comparison's language.
    pub fn compare(
        &self,
        comparison: &crate::compare::Comparison,
        kb: &Knowledge,
    ) -> Result<Document, RenderError> {
        let mut ctx = self.base(comparison.language, kb);
        ctx.insert("kind", "compare");
        ctx.insert("landscape", &true);
        let titles: Vec<&str> = comparison
            .entries
            .iter()
            .map(|e| e.title.as_str())
            .collect();
        ctx.insert("doc_title", &shared_title(&titles));
        ctx.insert("doc_reference", &Value::Null);
        ctx.insert("doc_date", &comparison.as_of);
        ctx.insert("doc_controller", &Value::Null);
        ctx.insert("doc_policy", &comparison.policy.name);
        ctx.insert(
            "doc_knowledge",
            &format!(
                "{} ({})",
                comparison.knowledge.version, comparison.knowledge.as_of
            ),
        );
        ctx.insert("c", comparison);
        let source = self.tera("compare.typ")?.render("compare.typ", &ctx)?;
        Ok(Document {
            source,
            date: comparison.as_of,
        })
    }

    /// The SVG figure of a model's flow graph, worded in the report's language (the web UI
    /// shows it too).
    pub fn graph_svg(&self, model: &Model, report: &Report, kb: &Knowledge) -> String {
        flow_graph(model, report, kb, self.t(report.language))
    }

    /// The documents' wording for a language, for other front ends (the web UI).
    pub fn wording(&self, lang: Lang) -> &Value {
        self.t(lang)
    }

    /// The wording for a language.
    fn t(&self, lang: Lang) -> &Value {
        match lang {
            Lang::Sv => &self.sv,
            Lang::En => &self.en,
        }
    }

    /// What every document's context holds: the wording, names from the knowledge base and the
    /// program version.
    fn base(&self, lang: Lang, kb: &Knowledge) -> tera::Context {
        let mut ctx = tera::Context::new();
        ctx.insert("t", self.t(lang));
        ctx.insert("landscape", &false);
        ctx.insert("lang", &lang);
        ctx.insert("version", env!("CARGO_PKG_VERSION"));
        let mut names = Map::new();
        names.insert(
            "country".into(),
            kb.jurisdictions
                .iter()
                .map(|j| (j.code.clone(), json!(j.name.get(lang))))
                .collect::<Map<_, _>>()
                .into(),
        );
        names.insert(
            "category".into(),
            kb.data_categories
                .iter()
                .map(|c| (c.id.clone(), json!(c.name.get(lang))))
                .collect::<Map<_, _>>()
                .into(),
        );
        names.insert(
            "subject".into(),
            kb.data_subjects
                .iter()
                .map(|s| (s.id.clone(), json!(s.name.get(lang))))
                .collect::<Map<_, _>>()
                .into(),
        );
        names.insert(
            "measure".into(),
            kb.measures
                .iter()
                .map(|m| (m.id.clone(), json!(m.name.get(lang))))
                .collect::<Map<_, _>>()
                .into(),
        );
        ctx.insert("names", &names);
        ctx
    }
}

/// What several titles share before their first differing part ("Samarbetsplattform" from
/// "Samarbetsplattform – anbud A" and "Samarbetsplattform – anbud B"); all of them joined when
/// they share nothing.
fn shared_title(titles: &[&str]) -> String {
    let first = titles.first().copied().unwrap_or_default();
    let common = titles.iter().skip(1).fold(first.len(), |n, t| {
        first
            .char_indices()
            .zip(t.chars())
            .find(|((_, a), b)| a != b)
            .map_or(n.min(t.len()), |((i, _), _)| n.min(i))
    });
    let prefix = &first[..common];
    let cut = [" – ", " - ", ": ", " ("]
        .iter()
        .filter_map(|sep| prefix.find(sep))
        .min();
    match cut {
        Some(i) if titles.len() > 1 && i > 0 => prefix[..i].trim().to_string(),
        _ if titles.len() == 1 => first.to_string(),
        _ => titles.join(" · "),
    }
}

/// `{{ s | typst_str | safe }}`: the value escaped for a Typst string literal.
fn typst_str(v: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    Ok(Value::String(escape::string(&plain(v))))
}

/// `{{ t.x | fill(name=value) }}`: fills `{name}` placeholders of a phrase. The result is
/// escaped like any other value, so filled-in model text stays text.
pub fn fill(v: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    let template = v
        .as_str()
        .ok_or_else(|| tera::Error::msg("fill: the phrase is not a string"))?;
    let vars: Vec<(String, String)> = args.iter().map(|(k, v)| (k.clone(), plain(v))).collect();
    let refs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Ok(Value::String(crate::knowledge::fill(template, &refs)))
}

/// `{{ p | pct(digits=1, sep=",") }}`: a probability as a percentage, e.g. `12,5 %`.
fn pct(v: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    let p = v
        .as_f64()
        .ok_or_else(|| tera::Error::msg("pct: not a number"))?;
    let digits = args.get("digits").and_then(Value::as_u64).unwrap_or(1) as usize;
    let sep = args.get("sep").and_then(Value::as_str).unwrap_or(".");
    Ok(Value::String(format!(
        "{} %",
        format!("{:.digits$}", p * 100.0).replace('.', sep)
    )))
}

/// `{{ x | num(sep=",") }}`: a number without a needless `.0`, with the language's decimal sign.
fn num(v: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    let x = v
        .as_f64()
        .ok_or_else(|| tera::Error::msg("num: not a number"))?;
    let sep = args.get("sep").and_then(Value::as_str).unwrap_or(".");
    let text = if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}").replace('.', sep)
    };
    Ok(Value::String(text))
}

/// `{{ x | or(value="–") }}`: the value, or the fallback when it is null or empty.
pub fn or(v: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    let empty = match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    };
    Ok(if empty {
        args.get("value").cloned().unwrap_or(Value::Null)
    } else {
        v.clone()
    })
}

/// `{{ b | yesno(yes=t.yes, no=t.no) }}`: a boolean in words; `–` when unknown.
fn yesno(v: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    let word = |k: &str| args.get(k).cloned().unwrap_or_else(|| json!(k));
    Ok(match v {
        Value::Bool(true) => word("yes"),
        Value::Bool(false) => word("no"),
        _ => json!("–"),
    })
}

/// `{{ change.old | value(field=change.field, t=t) }}`: a changed field's value in words —
/// enum keys through the wording (access, key holder, transfer tool, role), booleans as yes/no,
/// lists joined, DPA terms through `memo.dpa_terms`, null as `–`.
pub fn value(v: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    let t = args.get("t").cloned().unwrap_or(Value::Null);
    let field = args
        .get("field")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let group = match field {
        "access" => "access",
        "key_holder" => "key_holder",
        "transfer_tool" => "tool",
        "role" => "role",
        _ => "",
    };
    let word = |s: &str| -> String {
        t.get(group)
            .and_then(|g| g.get(s))
            .and_then(Value::as_str)
            .unwrap_or(s)
            .to_string()
    };
    let yes_no = |b: bool| {
        t[if b { "yes" } else { "no" }]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let one = |v: &Value| match v {
        Value::Null => "–".to_string(),
        Value::Bool(b) => yes_no(*b),
        Value::String(s) => word(s),
        other => other.to_string(),
    };
    let text = match v {
        Value::Array(items) if items.is_empty() => "–".to_string(),
        Value::Array(items) => items.iter().map(one).collect::<Vec<_>>().join(", "),
        Value::Object(dpa) => {
            let get = |k: &str| one(dpa.get(k).unwrap_or(&Value::Null));
            let terms = crate::knowledge::fill(
                t["memo"]["dpa_terms"].as_str().unwrap_or_default(),
                &[
                    ("notice", &get("change_notice_days")),
                    ("objection", &get("objection_days")),
                    ("negotiable", &get("negotiable")),
                    ("unilateral", &get("unilateral_changes")),
                ],
            );
            match dpa.get("reference").and_then(Value::as_str) {
                Some(r) => format!("{r}; {terms}"),
                None => terms,
            }
        }
        other => one(other),
    };
    Ok(Value::String(text))
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// One flow as the memo shows it.
#[derive(Serialize)]
struct FlowRow {
    id: String,
    from: String,
    to: String,
    access: crate::model::input::Access,
    key_holder: crate::model::input::KeyHolder,
    measures: Vec<String>,
    categories: Vec<String>,
    purpose: Option<String>,
}

fn flow_rows(
    model: &Model,
    report: &Report,
    kb: &Knowledge,
    party_names: &BTreeMap<&str, &str>,
) -> Vec<FlowRow> {
    let name_of = |id: &str| party_names.get(id).copied().unwrap_or(id).to_string();
    model
        .flows
        .iter()
        .map(|f| FlowRow {
            id: f.id.clone(),
            from: name_of(&f.from),
            to: name_of(&f.to),
            access: f.access,
            key_holder: f.key_holder,
            measures: f
                .measures
                .iter()
                .map(|m| {
                    kb.measures
                        .get(m)
                        .map(|x| x.name.get(report.language).to_string())
                        .unwrap_or_else(|| m.clone())
                })
                .collect(),
            categories: f.data_categories.clone().unwrap_or_default(),
            purpose: f.purpose.clone(),
        })
        .collect()
}

/// The SVG figure of the flow graph.
fn flow_graph(model: &Model, report: &Report, kb: &Knowledge, t: &Value) -> String {
    let word = |group: &str, key: &str| t[group][key].as_str().unwrap_or(key).to_string();
    let mut laws: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in &report.exposures {
        if e.status == crate::engine::ExposureStatus::Effective {
            let short = kb
                .laws
                .get(&e.law)
                .map_or(e.law.as_str(), |l| l.short.as_str());
            laws.entry(e.party.as_str()).or_default().insert(short);
        }
    }
    let mut nodes = vec![graph::Node {
        id: CONTROLLER.into(),
        name: report.controller.name.clone(),
        detail: format!(
            "{} · {}",
            report.controller.country,
            word("role", "controller")
        ),
        laws: Vec::new(),
    }];
    let mut readable = HashMap::new();
    for p in report.parties.iter().filter(|p| !p.hypothetical) {
        readable.insert(p.id.as_str(), (p.exposed, p.reads_cleartext));
        let role = serde_json::to_value(p.role).unwrap_or_default();
        nodes.push(graph::Node {
            id: p.id.clone(),
            name: p.name.value.clone(),
            detail: format!(
                "{} · {}",
                p.incorporated.value,
                word("role", role.as_str().unwrap_or_default())
            ),
            laws: laws
                .get(p.id.as_str())
                .map(|s| s.iter().map(|l| l.to_string()).collect())
                .unwrap_or_default(),
        });
    }
    let edges: Vec<graph::Edge> = model
        .flows
        .iter()
        .map(|f| {
            let (exposed, reads) = readable.get(f.to.as_str()).copied().unwrap_or_default();
            graph::Edge {
                from: f.from.clone(),
                to: f.to.clone(),
                exposed: exposed && reads,
                encrypted: !reads,
            }
        })
        .collect();
    graph::svg(&nodes, &edges)
}

/// A knowledge entry the assessment used, for the appendix.
#[derive(Serialize)]
struct UsedEntry {
    kind: &'static str,
    id: String,
    name: String,
    as_of: chrono::NaiveDate,
    source: String,
}

/// The knowledge entries the assessment rests on: the profile, the laws behind exposures, the
/// vendor entries the parties draw on and the rules that fired.
fn knowledge_used(report: &Report, kb: &Knowledge) -> Vec<UsedEntry> {
    let lang = report.language;
    let source = |id: &str| {
        kb.sources
            .get(id)
            .map(|s| s.title.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let mut out = Vec::new();
    if let Some(p) = kb.policies.get(&report.policy.id) {
        out.push(UsedEntry {
            kind: "policy",
            id: p.id.clone(),
            name: p.name.get(lang).to_string(),
            as_of: p.as_of,
            source: p
                .citations
                .first()
                .map(|c| source(&c.source))
                .unwrap_or_default(),
        });
    }
    let laws: BTreeSet<&str> = report.exposures.iter().map(|e| e.law.as_str()).collect();
    for l in laws.iter().filter_map(|id| kb.laws.get(id)) {
        out.push(UsedEntry {
            kind: "law",
            id: l.id.clone(),
            name: l.short.clone(),
            as_of: l.as_of,
            source: source(&l.source),
        });
    }
    let vendors: BTreeSet<&str> = report
        .parties
        .iter()
        .filter_map(|p| p.vendor.as_deref())
        .collect();
    for v in vendors.iter().filter_map(|id| kb.vendors.get(id)) {
        out.push(UsedEntry {
            kind: "vendor",
            id: v.id.clone(),
            name: v.name.clone(),
            as_of: v.as_of,
            source: source(&v.source),
        });
    }
    let rules: BTreeSet<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    for r in kb.rules.iter().filter(|r| rules.contains(r.id.as_str())) {
        out.push(UsedEntry {
            kind: "rule",
            id: r.id.clone(),
            name: r.title.get(lang).to_string(),
            as_of: r.as_of,
            source: r
                .citations
                .first()
                .map(|c| source(&c.source))
                .unwrap_or_default(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key path of a YAML value, e.g. `memo.summary`.
    fn keys(v: &Value, prefix: &str, out: &mut BTreeSet<String>) {
        if let Value::Object(m) = v {
            for (k, v) in m {
                let path = format!("{prefix}{k}");
                keys(v, &format!("{path}."), out);
                out.insert(path);
            }
        }
    }

    #[test]
    fn swedish_and_english_wording_have_the_same_keys() {
        let r = Renderer::new().unwrap();
        let (mut sv, mut en) = (BTreeSet::new(), BTreeSet::new());
        keys(r.t(Lang::Sv), "", &mut sv);
        keys(r.t(Lang::En), "", &mut en);
        assert_eq!(
            sv.symmetric_difference(&en).collect::<Vec<_>>(),
            Vec::<&String>::new()
        );
        assert!(sv.len() > 100);
    }

    #[test]
    fn comparison_title_is_what_the_titles_share() {
        assert_eq!(
            shared_title(&[
                "Samarbetsplattform – anbud A",
                "Samarbetsplattform – anbud B"
            ]),
            "Samarbetsplattform"
        );
        assert_eq!(shared_title(&["HR", "Mail"]), "HR · Mail");
        assert_eq!(shared_title(&["Only – one"]), "Only – one");
    }

    #[test]
    fn fill_keeps_model_text_as_text() {
        let mut args = HashMap::new();
        args.insert("controller".to_string(), json!("*Kommun* #x"));
        let v = fill(&json!("{controller} väljer"), &args).unwrap();
        assert_eq!(v, json!("*Kommun* #x väljer"));
        assert_eq!(
            escape::markup(v.as_str().unwrap()),
            r"\*Kommun\* \#x väljer"
        );
    }
}
