//! Located diagnostics: what went wrong, where (file, line, column), what was expected, a hint.
//!
//! A diagnostic's words come from the catalogue `templates/diag/lang/{en,sv,da}.yaml` (checked
//! and turned into JSON by build.rs): a [`Text`] names a key and its arguments, and renders in
//! any language ([`Diagnostic::localized`]). The English rendering is kept in `message`,
//! `expected` and `hint`, so readers of the JSON and the CLI's default output see what they
//! always saw; `code` and `args` name the message for those who render it themselves.

use crate::model::Lang;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

const WORDS_SV: &str = include_str!(concat!(env!("OUT_DIR"), "/wording/diag-sv.json"));
const WORDS_EN: &str = include_str!(concat!(env!("OUT_DIR"), "/wording/diag-en.json"));
const WORDS_DA: &str = include_str!(concat!(env!("OUT_DIR"), "/wording/diag-da.json"));

/// The catalogue of one language, read on first use.
pub fn catalogue(lang: Lang) -> &'static serde_json::Value {
    static SV: OnceLock<serde_json::Value> = OnceLock::new();
    static EN: OnceLock<serde_json::Value> = OnceLock::new();
    static DA: OnceLock<serde_json::Value> = OnceLock::new();
    let (cell, text) = match lang {
        Lang::Sv => (&SV, WORDS_SV),
        Lang::En => (&EN, WORDS_EN),
        Lang::Da => (&DA, WORDS_DA),
    };
    cell.get_or_init(|| serde_json::from_str(text).unwrap_or(serde_json::Value::Null))
}

/// A catalogue entry's template, in `lang` or else in English.
fn template(lang: Lang, section: &str, key: &str) -> Option<&'static str> {
    catalogue(lang)[section][key]
        .as_str()
        .or_else(|| catalogue(Lang::En)[section][key].as_str())
}

/// The `{name}` placeholders of a template, in order (a brace around anything else, such as
/// `{ tool: scc }`, is text).
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        rest = &rest[i + 1..];
        if let Some(j) = rest.find('}') {
            let name = &rest[..j];
            if !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                out.push(name);
                rest = &rest[j + 1..];
            }
        }
    }
    out
}

/// Fills a template's placeholders in one pass (an argument's own braces stay as written).
fn fill(template: &str, arg: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match after.find('}').map(|j| (&after[..j], j)) {
            Some((name, j))
                if !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') =>
            {
                match arg(name) {
                    Some(v) => out.push_str(&v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[j + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A catalogue section: what part of a diagnostic a key words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Message,
    Expected,
    Hint,
    /// A phrase used inside another text ("a list", "the number `5`").
    Word,
}

impl Section {
    fn name(self) -> &'static str {
        match self {
            Section::Message => "message",
            Section::Expected => "expected",
            Section::Hint => "hint",
            Section::Word => "word",
        }
    }
}

/// An argument of a text: as written (a value from the file, a number) or itself a text.
#[derive(Debug, Clone, PartialEq)]
enum Arg {
    Plain(String),
    Text(Text),
}

/// Words to show a user: a catalogue key with its arguments, rendered in any language; or
/// text that has no key yet (shown as written in every language).
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    section: Section,
    key: Option<&'static str>,
    plain: String,
    args: Vec<(&'static str, Arg)>,
}

impl Text {
    fn keyed(section: Section, key: &'static str) -> Text {
        Text {
            section,
            key: Some(key),
            plain: String::new(),
            args: Vec::new(),
        }
    }
    /// A diagnostic's message (`message.<key>` in the catalogue).
    pub fn message(key: &'static str) -> Text {
        Text::keyed(Section::Message, key)
    }
    /// What was expected (`expected.<key>`).
    pub fn expected(key: &'static str) -> Text {
        Text::keyed(Section::Expected, key)
    }
    /// A hint (`hint.<key>`).
    pub fn hint(key: &'static str) -> Text {
        Text::keyed(Section::Hint, key)
    }
    /// A phrase used as another text's argument (`word.<key>`).
    pub fn word(key: &'static str) -> Text {
        Text::keyed(Section::Word, key)
    }
    /// Text without a catalogue key: the same in every language.
    pub fn plain(text: impl Into<String>) -> Text {
        Text {
            section: Section::Message,
            key: None,
            plain: text.into(),
            args: Vec::new(),
        }
    }
    /// Sets the placeholder `name` to a value as written.
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Text {
        self.args.push((name, Arg::Plain(value.to_string())));
        self
    }
    /// Sets the placeholder `name` to another text, rendered in the same language.
    pub fn arg_text(mut self, name: &'static str, value: Text) -> Text {
        self.args.push((name, Arg::Text(value)));
        self
    }
    /// The catalogue key, if the text has one.
    pub fn key(&self) -> Option<&'static str> {
        self.key
    }
    /// The words in `lang` (English when the language lacks the key; the key itself, never a
    /// panic, when the catalogue lacks it).
    pub fn render(&self, lang: Lang) -> String {
        let Some(key) = self.key else {
            return self.plain.clone();
        };
        let Some(t) = template(lang, self.section.name(), key) else {
            return key.to_string();
        };
        fill(t, |name| {
            self.args
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, a)| match a {
                    Arg::Plain(s) => s.clone(),
                    Arg::Text(t) => t.render(lang),
                })
        })
    }
    /// The arguments, each rendered in `lang`.
    fn rendered_args(&self, lang: Lang) -> BTreeMap<String, String> {
        self.args
            .iter()
            .map(|(n, a)| {
                let v = match a {
                    Arg::Plain(s) => s.clone(),
                    Arg::Text(t) => t.render(lang),
                };
                (n.to_string(), v)
            })
            .collect()
    }
}

/// A diagnostic's words as catalogue texts, for rendering in another language.
#[derive(Debug, Clone, PartialEq)]
struct Texts {
    message: Text,
    expected: Option<Text>,
    hint: Option<Text>,
}

/// One problem in an input file, pointing at the place a user must edit.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The message's stable key in tia's diagnostics catalogue (`templates/diag/lang`), e.g.
    /// `unknown_country`; absent for a message that has none yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The message's arguments by placeholder name, e.g. `{"code": "Sverige"}`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
    #[serde(skip)]
    #[schemars(skip)]
    texts: Option<Box<Texts>>,
}

impl Diagnostic {
    /// A diagnostic whose message has no catalogue key (English in every language).
    pub fn new(file: &str, (line, column): (usize, usize), message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_string(),
            line,
            column,
            message: message.into(),
            expected: None,
            hint: None,
            code: None,
            args: BTreeMap::new(),
            texts: None,
        }
    }
    /// A diagnostic worded from the catalogue; `message`, `expected` and `hint` hold English.
    pub fn text(file: &str, at: (usize, usize), message: Text) -> Self {
        let mut d = Diagnostic::new(file, at, message.render(Lang::En));
        d.code = message.key().map(str::to_string);
        d.args = message.rendered_args(Lang::En);
        d.texts = Some(Box::new(Texts {
            message,
            expected: None,
            hint: None,
        }));
        d
    }
    pub fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        if let Some(t) = &mut self.texts {
            t.expected = None;
        }
        self
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        if let Some(t) = &mut self.texts {
            t.hint = None;
        }
        self
    }
    /// What was expected, from the catalogue.
    pub fn expected_text(mut self, expected: Text) -> Self {
        self.expected = Some(expected.render(Lang::En));
        self.texts_mut().expected = Some(expected);
        self
    }
    /// A hint, from the catalogue.
    pub fn hint_text(mut self, hint: Text) -> Self {
        self.hint = Some(hint.render(Lang::En));
        self.texts_mut().hint = Some(hint);
        self
    }
    fn texts_mut(&mut self) -> &mut Texts {
        let message = Text::plain(self.message.clone());
        self.texts.get_or_insert_with(|| {
            Box::new(Texts {
                message,
                expected: None,
                hint: None,
            })
        })
    }
    /// Replaces the message, keeping the place (and dropping a catalogued message's key).
    pub fn set_message(&mut self, message: Text) {
        self.message = message.render(Lang::En);
        self.code = message.key().map(str::to_string);
        self.args = message.rendered_args(Lang::En);
        self.texts_mut().message = message;
    }
    /// The same diagnostic in `lang`: the catalogued parts translated (English where the
    /// language lacks a key), the rest as it was.
    pub fn localized(&self, lang: Lang) -> Diagnostic {
        let mut d = self.clone();
        if let Some(t) = &self.texts {
            if t.message.key().is_some() {
                d.message = t.message.render(lang);
                d.args = t.message.rendered_args(lang);
            }
            if let Some(e) = &t.expected {
                d.expected = Some(e.render(lang));
            }
            if let Some(h) = &t.hint {
                d.hint = Some(h.render(lang));
            }
        }
        d
    }
    /// The text the CLI prints, its labels ("error", "expected", "hint") in `lang`; the words
    /// themselves as they are (see [`Diagnostic::localized`]).
    pub fn display(&self, lang: Lang) -> String {
        let label = |k: &'static str| template(lang, "label", k).unwrap_or(k).to_string();
        let mut s = format!(
            "{}: {}:{}:{}: {}",
            label("error"),
            self.file,
            self.line,
            self.column,
            self.message
        );
        if let Some(e) = &self.expected {
            s.push_str(&format!("\n  {}: {e}", label("expected")));
        }
        if let Some(h) = &self.hint {
            s.push_str(&format!("\n  {}: {h}", label("hint")));
        }
        s
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display(Lang::En))
    }
}

/// Bad input: one or more located diagnostics. The CLI exits with code 2.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct InputError {
    pub diagnostics: Vec<Diagnostic>,
}

impl InputError {
    /// Every diagnostic in `lang` (see [`Diagnostic::localized`]).
    pub fn localized(&self, lang: Lang) -> InputError {
        InputError {
            diagnostics: self.diagnostics.iter().map(|d| d.localized(lang)).collect(),
        }
    }
    /// The text the CLI prints, in `lang`.
    pub fn display(&self, lang: Lang) -> String {
        self.diagnostics
            .iter()
            .map(|d| d.localized(lang).display(lang))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display(Lang::En))
    }
}

impl std::error::Error for InputError {}

impl From<Diagnostic> for InputError {
    fn from(d: Diagnostic) -> Self {
        InputError {
            diagnostics: vec![d],
        }
    }
}

/// Suggests the closest known name, for hints such as "did you mean `SE`?".
pub fn closest<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let w = word.to_lowercase();
    known
        .into_iter()
        .map(|k| (edit_distance(&w, &k.to_lowercase()), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A hint listing what is allowed, with a suggestion when one is close.
pub fn known_hint_text<'a>(word: &str, known: impl IntoIterator<Item = &'a str> + Clone) -> Text {
    match closest(word, known.clone()) {
        Some(s) => Text::hint("did_you_mean").arg("id", s),
        None => {
            let all: Vec<&str> = known.into_iter().collect();
            if all.len() <= 12 {
                Text::hint("known_values").arg("values", all.join(", "))
            } else {
                Text::hint("known_values_include")
                    .arg("values", all[..12].join(", "))
                    .arg("count", all.len())
            }
        }
    }
}

/// [`known_hint_text`] in English.
pub fn known_hint<'a>(word: &str, known: impl IntoIterator<Item = &'a str> + Clone) -> String {
    known_hint_text(word, known).render(Lang::En)
}

/// The backticked names in a serde message's tail ("expected one of `a`, `b`"), as "`a`, `b`".
fn ticked(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

fn ticked_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// serde's own messages ("unknown field `x`, expected one of …", "missing field `x`",
/// "unknown variant …", "invalid type: …, expected …") as catalogue texts; None for others.
pub fn serde_message(msg: &str) -> Option<Text> {
    let first_ticked = |rest: &str| -> Option<(String, String)> {
        let rest = rest.strip_prefix('`')?;
        let end = rest.find("`, ")?;
        Some((rest[..end].to_string(), rest[end + 3..].to_string()))
    };
    for (prefix, many, one, none, arg) in [
        (
            "unknown field ",
            "unknown_field",
            "unknown_field_one",
            "unknown_field_none",
            "field",
        ),
        (
            "unknown variant ",
            "unknown_variant",
            "unknown_variant_one",
            "unknown_variant_none",
            "value",
        ),
    ] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            let (name, tail) = first_ticked(rest)?;
            if tail.starts_with("there are no") {
                return Some(Text::message(none).arg(arg, name));
            }
            let list = tail
                .strip_prefix("expected one of ")
                .or_else(|| tail.strip_prefix("expected "))?;
            let items: Vec<&str> = if list.contains('`') {
                ticked(list)
            } else {
                list.split([',', ' '])
                    .filter(|w| !w.is_empty() && *w != "or")
                    .collect()
            };
            return Some(match items.len() {
                0 => return None,
                1 => Text::message(one).arg(arg, name).arg("allowed", items[0]),
                _ => Text::message(many)
                    .arg(arg, name)
                    .arg("allowed", ticked_list(&items)),
            });
        }
    }
    // The JSON reader's syntax errors, the YAML reader's unclosed quote, and a date's (the
    // model's only dates are `YYYY-MM-DD` fields).
    let syntax = match msg {
        m if m.starts_with("EOF while parsing") => Some("json_eof"),
        "expected value" => Some("json_expected_value"),
        "trailing comma" => Some("json_trailing_comma"),
        "expected `:`" => Some("json_expected_colon"),
        "expected `,` or `}`" | "expected `,` or `]`" => Some("json_expected_comma"),
        "key must be a string" => Some("json_key_string"),
        "trailing characters" => Some("json_trailing_characters"),
        "unclosed quote" => Some("unclosed_quote"),
        "input contains invalid characters"
        | "premature end of input"
        | "trailing input"
        | "input is out of range"
        | "no possible date and time matching input" => Some("bad_date"),
        _ => None,
    };
    if let Some(key) = syntax {
        return Some(Text::message(key));
    }
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let name = rest.strip_suffix('`')?;
        return Some(Text::message("missing_field").arg("field", name));
    }
    let rest = msg
        .strip_prefix("invalid type: ")
        .or_else(|| msg.strip_prefix("invalid value: "))?;
    let (found, expected) = rest.split_once(", expected ")?;
    let value = |p: &str| {
        found
            .strip_prefix(p)
            .map(|v| v.trim_matches('`').to_string())
    };
    let found = if found == "sequence" {
        Text::word("found_list")
    } else if found == "map" {
        Text::word("found_mapping")
    } else if found == "unit value" || found == "null" {
        Text::word("found_empty")
    } else if let Some(v) = value("integer ").or_else(|| value("floating point ")) {
        Text::word("found_number").arg("value", v)
    } else if let Some(v) = value("boolean ") {
        Text::word("found_bool").arg("value", v)
    } else if let Some(v) = found.strip_prefix("string ") {
        Text::word("found_text").arg("value", v)
    } else {
        return None;
    };
    let expected = if expected.starts_with("struct ") {
        Text::word("exp_mapping")
    } else {
        match expected {
            "u64" | "u32" | "usize" => Text::word("exp_whole_nonneg"),
            "i64" | "i32" => Text::word("exp_whole"),
            "f64" | "f32" => Text::word("exp_number"),
            "a sequence" => Text::word("exp_list"),
            "a string" => Text::word("exp_text"),
            "a boolean" => Text::word("exp_bool"),
            other => Text::plain(other),
        }
    };
    Some(
        Text::message("invalid_type")
            .arg_text("found", found)
            .arg_text("expected", expected),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key the code words a diagnostic with, found in the sources.
    fn used_keys() -> Vec<(String, String)> {
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(std::fs::read_to_string(&p).unwrap());
                }
            }
        }
        let mut sources = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut sources,
        );
        let mut keys = Vec::new();
        for src in &sources {
            // Not the tests' own keys (one is missing on purpose).
            let src = src.split("#[cfg(test)]").next().unwrap_or(src);
            for section in ["message", "expected", "hint", "word"] {
                let call = format!("Text::{section}(");
                for part in src.split(call.as_str()).skip(1) {
                    let part = part.trim_start();
                    if let Some(rest) = part.strip_prefix('"') {
                        let key = rest.split('"').next().unwrap();
                        keys.push((section.to_string(), key.to_string()));
                    }
                }
            }
        }
        // Keys built from tables (the `many`, `one`, `none` and `syntax` of [`serde_message`]).
        for k in [
            "json_eof",
            "json_expected_value",
            "json_trailing_comma",
            "json_expected_colon",
            "json_expected_comma",
            "json_key_string",
            "json_trailing_characters",
            "unclosed_quote",
            "bad_date",
            "unknown_field",
            "unknown_field_one",
            "unknown_field_none",
            "unknown_variant",
            "unknown_variant_one",
            "unknown_variant_none",
        ] {
            keys.push(("message".into(), k.into()));
        }
        keys.sort();
        keys.dedup();
        keys
    }

    #[test]
    fn the_three_languages_have_the_same_keys_and_placeholders() {
        let en = catalogue(Lang::En);
        assert!(en.is_object(), "the English catalogue is read");
        let flat = |v: &serde_json::Value| -> BTreeMap<String, Vec<String>> {
            let mut out = BTreeMap::new();
            for (section, entries) in v.as_object().unwrap() {
                for (key, t) in entries.as_object().unwrap() {
                    let t = t
                        .as_str()
                        .unwrap_or_else(|| panic!("{section}.{key} is text"));
                    assert!(!t.trim().is_empty(), "{section}.{key} is empty");
                    let mut ps: Vec<String> =
                        placeholders(t).into_iter().map(str::to_string).collect();
                    ps.sort();
                    ps.dedup();
                    out.insert(format!("{section}.{key}"), ps);
                }
            }
            out
        };
        let en = flat(en);
        for lang in [Lang::Sv, Lang::Da] {
            let other = flat(catalogue(lang));
            let missing: Vec<_> = en.keys().filter(|k| !other.contains_key(*k)).collect();
            let extra: Vec<_> = other.keys().filter(|k| !en.contains_key(*k)).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{}: missing {missing:?}, not in English {extra:?}",
                lang.code()
            );
            for (k, ps) in &en {
                assert_eq!(&other[k], ps, "{}: placeholders of {k}", lang.code());
            }
        }
    }

    #[test]
    fn every_key_the_code_uses_is_in_the_catalogue() {
        let used = used_keys();
        assert!(used.len() > 40, "the scan finds the keys: {used:?}");
        for (section, key) in used {
            for lang in [Lang::En, Lang::Sv, Lang::Da] {
                assert!(
                    catalogue(lang)[&section][&key].is_string(),
                    "{section}.{key} is missing in {}",
                    lang.code()
                );
            }
        }
    }

    #[test]
    fn a_missing_key_falls_back_without_a_panic() {
        let t = Text::message("no_such_key_anywhere").arg("x", 1);
        assert_eq!(t.render(Lang::Sv), "no_such_key_anywhere");
        let d = Diagnostic::text("f.yaml", (1, 1), t)
            .hint_text(Text::hint("did_you_mean").arg("id", "SE"));
        let sv = d.localized(Lang::Sv);
        assert_eq!(sv.hint.as_deref(), Some("menade du `SE`?"));
        assert_eq!(
            d.localized(Lang::En).hint.as_deref(),
            Some("did you mean `SE`?")
        );
    }

    #[test]
    fn placeholders_are_filled_once_and_braces_of_other_text_stay() {
        assert_eq!(
            placeholders("a `{ tool: scc }` {code} {x_1}"),
            vec!["code", "x_1"]
        );
        assert_eq!(
            fill("{a} and { b } {c}", |n| (n == "a")
                .then(|| "{c}".to_string())),
            "{c} and { b } {c}"
        );
    }

    #[test]
    fn serde_messages_get_keys() {
        let t = serde_message("unknown field `contry`, expected one of `name`, `country`").unwrap();
        assert_eq!(t.key(), Some("unknown_field"));
        assert_eq!(
            t.render(Lang::En),
            "unknown field `contry`, expected one of `name`, `country`"
        );
        assert_eq!(
            t.render(Lang::Sv),
            "okänt fält `contry`; tillåtna fält: `name`, `country`"
        );
        let t = serde_message("missing field `name`").unwrap();
        assert_eq!(t.render(Lang::Da), "feltet `name` mangler");
        let t = serde_message("invalid type: string \"x\", expected u64").unwrap();
        assert_eq!(t.key(), Some("invalid_type"));
        assert!(
            t.render(Lang::Sv).contains("heltal"),
            "{}",
            t.render(Lang::Sv)
        );
        assert!(serde_message("something else").is_none());
    }

    #[test]
    fn hints_are_localized() {
        let h = known_hint_text("SEE", ["SE", "DE"]);
        assert_eq!(h.render(Lang::En), "did you mean `SE`?");
        assert_eq!(h.render(Lang::Sv), "menade du `SE`?");
        assert_eq!(h.render(Lang::Da), "mente du `SE`?");
    }
}
