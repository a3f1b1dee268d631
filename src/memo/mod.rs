//! The documents users hold in their hands: the decision memo, the prior-consultation pack, the
//! vendor comparison and the change report.
//!
//! Each document is a Typst template (`templates/typst/*.typ`, embedded in the binary) that
//! reads its data as JSON (`json("data.json")`). This module builds that data: every word in
//! the reader's language (`templates/memo/lang/*.yaml` and the knowledge base), every number
//! already formatted. User text therefore never becomes Typst markup — it is a JSON string the
//! template shows as text — and an organisation can lay the same data out with its own
//! templates (`--template DIR`). The data format is versioned ([`DATA_VERSION`]) and described
//! in `docs/document-data.md`. [`crate::typst::Typst`] compiles a [`Document`].

pub mod graph;
mod memo_data;
mod portfolio_data;

use crate::knowledge::Knowledge;
use crate::model::Lang;
use crate::typst::Document;
use serde_json::{json, Map, Value};

/// The bundled templates: (file name, text). A custom template folder may replace any of them.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("lib.typ", include_str!("../../templates/typst/lib.typ")),
    ("memo.typ", include_str!("../../templates/typst/memo.typ")),
    (
        "consult.typ",
        include_str!("../../templates/typst/consult.typ"),
    ),
    ("diff.typ", include_str!("../../templates/typst/diff.typ")),
    (
        "compare.typ",
        include_str!("../../templates/typst/compare.typ"),
    ),
    (
        "portfolio.typ",
        include_str!("../../templates/typst/portfolio.typ"),
    ),
];

/// The name of the document data format, in every document's `format`.
pub const DATA_FORMAT: &str = "tia-document";
/// The data format's version: the major number changes when a field is removed or changes
/// meaning, the minor when fields are added.
pub const DATA_VERSION: &str = "1.0";

// The wording of `templates/memo/lang/*.yaml`, checked and turned into JSON by build.rs.
const STRINGS_SV: &str = include_str!(concat!(env!("OUT_DIR"), "/wording/memo-sv.json"));
const STRINGS_EN: &str = include_str!(concat!(env!("OUT_DIR"), "/wording/memo-en.json"));
const STRINGS_DA: &str = include_str!(concat!(env!("OUT_DIR"), "/wording/memo-da.json"));

/// One language's words, read on first use.
#[derive(Default)]
pub struct LazyWords {
    sv: std::sync::OnceLock<Value>,
    en: std::sync::OnceLock<Value>,
    da: std::sync::OnceLock<Value>,
}

impl LazyWords {
    /// The words of `lang` from the JSON build.rs wrote (checked when it was built).
    pub fn get(&self, lang: Lang, sv: &str, en: &str, da: &str) -> &Value {
        let (cell, text) = match lang {
            Lang::Sv => (&self.sv, sv),
            Lang::En => (&self.en, en),
            Lang::Da => (&self.da, da),
        };
        cell.get_or_init(|| serde_json::from_str(text).expect("build.rs wrote valid JSON"))
    }
}

/// Why a document's data could not be built.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A defect in the templates or their wording.
    #[error("cannot render the document: {0}")]
    Template(String),
    /// The model is too large for a document typst renders within its time limit.
    #[error("{0}")]
    TooLarge(String),
}

/// The most parties a memo or consultation pack lays out; past this typst's layout of the
/// figure and the tables takes longer than the server's render timeout (400 parties: 12 s on
/// two cores). The JSON report has no such limit.
pub const MAX_DOCUMENT_PARTIES: usize = 500;
/// The most flows a memo or consultation pack lays out.
pub const MAX_DOCUMENT_FLOWS: usize = 1_000;

/// Refuses, before any work, a model too large to lay out as a document.
pub fn check_renderable(model: &crate::Model) -> Result<(), RenderError> {
    let (p, f) = (model.parties.len(), model.flows.len());
    if p > MAX_DOCUMENT_PARTIES || f > MAX_DOCUMENT_FLOWS {
        return Err(RenderError::TooLarge(format!(
            "the model has {p} parties and {f} flows; a document lays out at most {MAX_DOCUMENT_PARTIES} parties and {MAX_DOCUMENT_FLOWS} flows (use the JSON report, or split the model by processor)"
        )));
    }
    Ok(())
}

impl From<tera::Error> for RenderError {
    fn from(e: tera::Error) -> Self {
        let mut msg = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            source = s.source();
        }
        RenderError::Template(msg)
    }
}

/// Builds the documents' data. Build once and reuse; it holds the wording.
pub struct Renderer {
    words: LazyWords,
}

impl Renderer {
    pub fn new() -> Result<Renderer, RenderError> {
        Ok(Renderer {
            words: LazyWords::default(),
        })
    }

    /// The decision memo for one assessed model.
    pub fn memo(
        &self,
        model: &crate::Model,
        report: &crate::Report,
        kb: &Knowledge,
    ) -> Result<Document, RenderError> {
        check_renderable(model)?;
        let w = Words::new(self.t(report.language), report.language);
        let data = memo_data::memo(&w, model, report, kb);
        Ok(Document::new("memo", data, report.as_of))
    }

    /// The art. 36(3) prior-consultation pack for one assessed model.
    pub fn consult(
        &self,
        model: &crate::Model,
        report: &crate::Report,
        kb: &Knowledge,
    ) -> Result<Document, RenderError> {
        check_renderable(model)?;
        let w = Words::new(self.t(report.language), report.language);
        let data = memo_data::consult(&w, model, report, kb);
        Ok(Document::new("consult", data, report.as_of))
    }

    /// The change report between two versions of a model, in the given language; `today` is
    /// the report's date (deadlines before it are marked as passed).
    pub fn diff(
        &self,
        change: &crate::diff::ChangeReport,
        lang: Lang,
        kb: &Knowledge,
    ) -> Result<Document, RenderError> {
        let w = Words::new(self.t(lang), lang);
        let data = memo_data::diff(&w, change, kb);
        Ok(Document::new("diff", data, change.new.as_of))
    }

    /// The vendor comparison, in the comparison's language.
    pub fn compare(
        &self,
        comparison: &crate::compare::Comparison,
        kb: &Knowledge,
    ) -> Result<Document, RenderError> {
        let w = Words::new(self.t(comparison.language), comparison.language);
        let data = memo_data::compare(&w, comparison, kb);
        Ok(Document::new("compare", data, comparison.as_of))
    }

    /// The portfolio report: the register judged again (and under what-if scenarios), the
    /// systems affected and what is due, in `lang`.
    /// The portfolio as text for a terminal, in `lang`.
    pub fn portfolio_text(&self, p: &crate::portfolio::Portfolio, lang: Lang) -> String {
        portfolio_data::text(&Words::new(self.t(lang), lang), p)
    }

    pub fn portfolio(&self, p: &crate::portfolio::Portfolio, lang: Lang) -> Document {
        let w = Words::new(self.t(lang), lang);
        let data = portfolio_data::portfolio(&w, p);
        Document::new("portfolio", data, p.today)
    }

    /// The SVG figure of a model's flow graph, worded in the report's language (the web UI
    /// shows it too).
    pub fn graph_svg(
        &self,
        model: &crate::Model,
        report: &crate::Report,
        kb: &Knowledge,
    ) -> String {
        let w = Words::new(self.t(report.language), report.language);
        memo_data::figure(&w, model, report, kb).0
    }

    /// The documents' wording for a language, for other front ends (the web UI).
    pub fn wording(&self, lang: Lang) -> &Value {
        self.t(lang)
    }

    fn t(&self, lang: Lang) -> &Value {
        self.words.get(lang, STRINGS_SV, STRINGS_EN, STRINGS_DA)
    }
}

/// The wording of one language, with the formatting conventions of that language.
pub(crate) struct Words<'a> {
    pub t: &'a Value,
    pub lang: Lang,
}

impl<'a> Words<'a> {
    fn new(t: &'a Value, lang: Lang) -> Self {
        Words { t, lang }
    }

    /// The phrase at a dotted path, e.g. `memo.summary`; the path itself when missing (a test
    /// checks that every language has every key).
    pub fn get(&self, path: &str) -> String {
        let mut v = self.t;
        for k in path.split('.') {
            match v.get(k) {
                Some(x) => v = x,
                None => return format!("[{path}]"),
            }
        }
        match v {
            Value::String(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            _ => format!("[{path}]"),
        }
    }

    /// A phrase with its `{name}` placeholders filled.
    pub fn fill(&self, path: &str, vars: &[(&str, &str)]) -> String {
        crate::knowledge::fill(&self.get(path), vars)
    }

    /// "A, B och C" in the language.
    pub fn list(&self, items: &[String]) -> String {
        match items {
            [] => String::new(),
            [one] => one.clone(),
            [init @ .., last] => format!("{} {} {last}", init.join(", "), self.get("and")),
        }
    }

    /// A date as a reader writes it: "2 december 2026", "2. december 2026", "2 December 2026".
    pub fn date(&self, d: chrono::NaiveDate) -> String {
        use chrono::Datelike;
        let month = self
            .t
            .get("months")
            .and_then(|m| m.get(d.month0() as usize))
            .and_then(Value::as_str)
            .unwrap_or("");
        let day = match self.lang {
            Lang::Da => format!("{}.", d.day()),
            _ => d.day().to_string(),
        };
        format!("{day} {month} {}", d.year())
    }

    /// A whole number with a no-break space between thousands: "45 000".
    pub fn int(&self, n: u64) -> String {
        crate::knowledge::group_thousands(n)
    }

    /// A probability as a percentage with the language's decimal sign: "12,5 %".
    pub fn pct(&self, p: f64, digits: usize) -> String {
        let sep = self.get("decimal_sep");
        format!(
            "{}\u{a0}%",
            format!("{:.digits$}", p * 100.0).replace('.', &sep)
        )
    }

    /// A number without a needless ".0", with the language's decimal sign.
    pub fn num(&self, x: f64) -> String {
        if x.fract() == 0.0 && x.abs() < 1e15 {
            format!("{}", x as i64)
        } else {
            format!("{x}").replace('.', &self.get("decimal_sep"))
        }
    }
}

/// What every document's data holds: the format, the language, the wording and the metadata.
pub(crate) fn envelope(w: &Words, kind: &str, meta: Value, body: Map<String, Value>) -> Value {
    let mut out = Map::new();
    out.insert("format".into(), json!(DATA_FORMAT));
    out.insert("format_version".into(), json!(DATA_VERSION));
    out.insert("kind".into(), json!(kind));
    out.insert("lang".into(), json!(w.lang.code()));
    out.insert("t".into(), w.t.clone());
    out.insert("meta".into(), meta);
    out.extend(body);
    Value::Object(out)
}

/// `{{ x | or(value="–") }}` for the web UI: the value, or the fallback when it is null or
/// empty.
pub fn or(v: &Value, args: &std::collections::HashMap<String, Value>) -> tera::Result<Value> {
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

/// `{{ t.x | fill(name=value) }}` for the web UI: fills `{name}` placeholders of a phrase.
pub fn fill(v: &Value, args: &std::collections::HashMap<String, Value>) -> tera::Result<Value> {
    let template = v
        .as_str()
        .ok_or_else(|| tera::Error::msg("fill: the phrase is not a string"))?;
    let vars: Vec<(String, String)> = args.iter().map(|(k, v)| (k.clone(), plain(v))).collect();
    let refs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Ok(Value::String(crate::knowledge::fill(template, &refs)))
}

/// `{{ change.old | value(field=change.field, t=t) }}` for the web UI: a changed field's value
/// in words.
pub fn value(v: &Value, args: &std::collections::HashMap<String, Value>) -> tera::Result<Value> {
    let t = args.get("t").cloned().unwrap_or(Value::Null);
    let field = args
        .get("field")
        .and_then(Value::as_str)
        .unwrap_or_default();
    Ok(Value::String(memo_data::field_value(&t, field, v)))
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

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
    fn every_language_has_the_same_keys() {
        let r = Renderer::new().unwrap();
        let mut sets = [Lang::Sv, Lang::En, Lang::Da].map(|l| {
            let mut s = BTreeSet::new();
            keys(r.t(l), "", &mut s);
            s
        });
        let sv = std::mem::take(&mut sets[0]);
        for (other, name) in sets[1..].iter().zip(["en", "da"]) {
            assert_eq!(
                sv.symmetric_difference(other).collect::<Vec<_>>(),
                Vec::<&String>::new(),
                "sv and {name} differ"
            );
        }
        assert!(sv.len() > 100);
    }

    #[test]
    fn numbers_dates_and_lists_as_a_reader_writes_them() {
        let r = Renderer::new().unwrap();
        let sv = Words::new(r.t(Lang::Sv), Lang::Sv);
        let da = Words::new(r.t(Lang::Da), Lang::Da);
        let en = Words::new(r.t(Lang::En), Lang::En);
        assert_eq!(sv.int(45000), "45\u{a0}000");
        assert_eq!(sv.int(1234567), "1\u{a0}234\u{a0}567");
        assert_eq!(sv.int(999), "999");
        assert_eq!(sv.pct(0.125, 1), "12,5\u{a0}%");
        assert_eq!(en.pct(0.125, 1), "12.5\u{a0}%");
        let d = chrono::NaiveDate::from_ymd_opt(2027, 3, 2).unwrap();
        assert_eq!(sv.date(d), "2 mars 2027");
        assert_eq!(da.date(d), "2. marts 2027");
        assert_eq!(en.date(d), "2 March 2027");
        let abc = ["A".to_string(), "B".to_string(), "C".to_string()];
        assert_eq!(sv.list(&abc), "A, B och C");
        assert_eq!(da.list(&abc), "A, B og C");
        assert_eq!(en.list(&abc[..2]), "A and B");
    }
}
