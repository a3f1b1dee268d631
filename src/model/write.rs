//! Writes a model back to YAML after an edit (the browser's form), keeping the text the user
//! wrote wherever the edit did not touch it: an unchanged section, party or flow is copied line
//! for line with its comments; only what changed is written anew. A JSON model or a flow-style
//! collection (`{…}`, `[…]` spanning several values) cannot be edited in place and is written
//! anew as a whole (its leading comments kept).

use super::input::ModelInput;
use serde_json::{Map, Value};

/// Keys whose empty list means the same as no key (plain lists with a default). An empty
/// `locations: []` says something (no locations) and is kept.
const EMPTY_IS_DEFAULT: &[&str] = &[
    "alternatives",
    "audit",
    "measures",
    "dpia_criteria",
    "assumptions",
    "data_subjects",
    "parties",
    "flows",
];

/// The model as a JSON value in the schema's field order, without the fields left at their
/// default (nulls and empty default lists).
pub fn to_value(m: &ModelInput) -> Value {
    let mut v = serde_json::to_value(m).unwrap_or(Value::Null);
    prune(&mut v);
    v
}

fn prune(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|k, x| {
                !(x.is_null()
                    || (EMPTY_IS_DEFAULT.contains(&k.as_str())
                        && x.as_array().is_some_and(|a| a.is_empty())))
            });
            for x in map.values_mut() {
                prune(x);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(prune),
        _ => {}
    }
}

/// A fresh YAML text for the model: the header a new model gets, then the model.
pub fn new_text(m: &ModelInput, header: &str) -> String {
    let mut out = String::new();
    for l in header.lines() {
        out.push_str("# ");
        out.push_str(&one_line(l));
        out.push('\n');
    }
    emit_map_body(&mut out, to_value(m).as_object().unwrap_or(&Map::new()), 0);
    out
}

/// `base_text` edited to say `new`: what `new` shares with `base` (the model `base_text`
/// says) keeps its text and comments; the rest is written anew.
pub fn rewrite(base_text: &str, base: &ModelInput, new: &ModelInput) -> String {
    let old = to_value(base);
    let new = to_value(new);
    let lines: Vec<String> = base_text
        .trim_start_matches('\u{feff}')
        .split_inclusive('\n')
        .map(|l| {
            let mut l = l.to_string();
            if !l.ends_with('\n') {
                l.push('\n');
            }
            l
        })
        .collect();
    // The comments and markers before the first key stay at the top.
    let first = lines
        .iter()
        .position(|l| !is_blank_or_comment(l) && !l.starts_with("---"));
    let (prelude, body) = lines.split_at(first.unwrap_or(lines.len()));
    let mut out: String = prelude
        .iter()
        .filter(|l| !l.starts_with("---"))
        .cloned()
        .collect();
    let body: Vec<&str> = body.iter().map(String::as_str).collect();
    match merge_map(&body, 0, &old, &new) {
        Some(text) => out.push_str(&text),
        None => emit_map_body(&mut out, new.as_object().unwrap_or(&Map::new()), 0),
    }
    out
}

fn is_blank_or_comment(l: &str) -> bool {
    let t = l.trim();
    t.is_empty() || t.starts_with('#')
}

fn indent_of(l: &str) -> usize {
    l.len() - l.trim_start_matches(' ').len()
}

/// The key of a block-mapping line at `indent` (`key:` or `key: value`), if the line is one.
fn key_of(line: &str, indent: usize) -> Option<String> {
    if indent_of(line) != indent {
        return None;
    }
    let t = line[indent..].trim_end_matches(['\n', '\r']);
    if t.starts_with('#') || t.starts_with('-') || t.is_empty() {
        return None;
    }
    let (key, rest) = if let Some(q) = t.strip_prefix('"') {
        let end = q.find('"')?;
        (q[..end].to_string(), &q[end + 1..])
    } else if let Some(q) = t.strip_prefix('\'') {
        let end = q.find('\'')?;
        (q[..end].to_string(), &q[end + 1..])
    } else {
        let end = t.find(':')?;
        (t[..end].trim_end().to_string(), &t[end..])
    };
    let rest = rest.trim_start();
    let after = rest.strip_prefix(':')?;
    (after.is_empty() || after.starts_with(' ')).then_some(key)
}

/// Splits lines into children starting where `starts` says; a child's span takes the comments
/// and blank lines just above it. Lines before the first child are returned apart.
fn split_children<'a>(
    lines: &[&'a str],
    starts: impl Fn(&str) -> bool,
) -> (Vec<&'a str>, Vec<Vec<&'a str>>) {
    let heads: Vec<usize> = (0..lines.len()).filter(|&i| starts(lines[i])).collect();
    let mut cuts: Vec<usize> = heads
        .iter()
        .map(|&h| {
            let mut c = h;
            while c > 0 && is_blank_or_comment(lines[c - 1]) {
                c -= 1;
            }
            c
        })
        .collect();
    // A child's comments never reach back past the previous child's head.
    for i in 1..cuts.len() {
        cuts[i] = cuts[i].max(heads[i - 1] + 1);
    }
    let before = lines[..cuts.first().copied().unwrap_or(lines.len())].to_vec();
    let children = cuts
        .iter()
        .enumerate()
        .map(|(i, &c)| lines[c..cuts.get(i + 1).copied().unwrap_or(lines.len())].to_vec())
        .collect();
    (before, children)
}

/// The block mapping `lines` (keys at `indent`) edited from `old` to `new`, or None when the
/// text is not a block mapping with one line per key of `old`.
fn merge_map(lines: &[&str], indent: usize, old: &Value, new: &Value) -> Option<String> {
    let (Value::Object(o), Value::Object(n)) = (old, new) else {
        return None;
    };
    let (before, children) = split_children(lines, |l| key_of(l, indent).is_some());
    if before.iter().any(|l| !is_blank_or_comment(l)) {
        return None;
    }
    let mut spans: Vec<(String, Vec<&str>)> = Vec::new();
    for c in children {
        let head = c.iter().find(|l| key_of(l, indent).is_some())?;
        spans.push((key_of(head, indent)?, c));
    }
    if o.keys().any(|k| !spans.iter().any(|(s, _)| s == k)) {
        return None;
    }
    let mut out: String = before.concat();
    for (k, span) in &spans {
        match (o.get(k), n.get(k)) {
            // Written but empty (`reference:`, `measures: []`) before and after: as it was.
            (None, None) => out.push_str(&span.concat()),
            // Gone from the model: dropped.
            (Some(_), None) => {}
            (None, Some(nv)) => emit_entry(&mut out, k, nv, indent),
            (Some(ov), Some(nv)) => out.push_str(&merge_entry(span, indent, k, ov, nv)),
        }
    }
    for (k, nv) in n {
        if !spans.iter().any(|(s, _)| s == k) {
            emit_entry(&mut out, k, nv, indent);
        }
    }
    Some(out)
}

/// One `key: value` entry (its span of lines) edited from `ov` to `nv`.
fn merge_entry(span: &[&str], indent: usize, key: &str, ov: &Value, nv: &Value) -> String {
    if ov == nv {
        return span.concat();
    }
    let head = span
        .iter()
        .position(|l| key_of(l, indent).is_some())
        .unwrap_or(0);
    let comments: String = span[..head].concat();
    let inline = span[head]
        .split_once(':')
        .map(|(_, rest)| rest.trim())
        .unwrap_or("");
    // A nested block (`key:` with the value below): edit inside it.
    if inline.is_empty() || inline.starts_with('#') {
        let body = &span[head + 1..];
        let child_indent = body
            .iter()
            .find(|l| !is_blank_or_comment(l))
            .map(|l| indent_of(l));
        if let Some(ci) = child_indent {
            let merged = match (ov, nv) {
                (Value::Object(_), Value::Object(_)) if ci > indent => merge_map(body, ci, ov, nv),
                (Value::Array(a), Value::Array(b)) if ci >= indent => merge_seq(body, ci, a, b),
                _ => None,
            };
            if let Some(m) = merged {
                return format!("{comments}{}{m}", span[head]);
            }
        }
    }
    let mut out = comments;
    emit_entry(&mut out, key, nv, indent);
    out
}

/// What identifies a list item across an edit: a party's `id`, a flow's `id` or `from`/`to`,
/// else the item itself.
fn identity(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            if let Some(id) = m.get("id") {
                return serde_json::json!({ "id": id });
            }
            if let (Some(f), Some(t)) = (m.get("from"), m.get("to")) {
                return serde_json::json!({ "from": f, "to": t });
            }
            v.clone()
        }
        _ => v.clone(),
    }
}

/// A block sequence (`- ` at `indent`) edited from `old` to `new`, item by item.
fn merge_seq(lines: &[&str], indent: usize, old: &[Value], new: &[Value]) -> Option<String> {
    let is_item = |l: &str| {
        indent_of(l) == indent && {
            let t = l[indent..].trim_end_matches(['\n', '\r']);
            t == "-" || t.starts_with("- ")
        }
    };
    let (before, items) = split_children(lines, is_item);
    if before.iter().any(|l| !is_blank_or_comment(l)) || items.len() != old.len() {
        return None;
    }
    let mut used = vec![false; old.len()];
    let mut out: String = before.concat();
    for nv in new {
        let id = identity(nv);
        let found = (0..old.len())
            .find(|&i| !used[i] && old[i] == *nv)
            .or_else(|| (0..old.len()).find(|&i| !used[i] && identity(&old[i]) == id));
        match found {
            Some(i) => {
                used[i] = true;
                out.push_str(&merge_item(&items[i], indent, &old[i], nv));
            }
            None => emit_item(&mut out, nv, indent),
        }
    }
    Some(out)
}

/// One list item edited: unchanged, copied; a mapping, edited key by key (the `- ` read as
/// indentation); anything else written anew.
fn merge_item(span: &[&str], indent: usize, ov: &Value, nv: &Value) -> String {
    if ov == nv {
        return span.concat();
    }
    if ov.is_object() && nv.is_object() {
        let head = span
            .iter()
            .position(|l| !is_blank_or_comment(l))
            .unwrap_or(0);
        // `- key: value` → `  key: value`; `-` alone on its line → an empty line.
        let mut body: Vec<String> = span[head..].iter().map(|l| l.to_string()).collect();
        let first = body[0].clone();
        let rest = &first[indent + 1..];
        if rest.trim().is_empty() {
            body.remove(0);
        } else {
            body[0] = format!("{} {}", " ".repeat(indent), rest);
        }
        let child_indent = body
            .iter()
            .find(|l| !is_blank_or_comment(l))
            .map(|l| indent_of(l));
        if let Some(ci) = child_indent.filter(|&ci| ci > indent) {
            let refs: Vec<&str> = body.iter().map(String::as_str).collect();
            if let Some(m) = merge_map(&refs, ci, ov, nv) {
                let comments: String = span[..head].concat();
                return format!("{comments}{}", dash_first(&m, indent));
            }
        }
    }
    let mut out = String::new();
    emit_item(&mut out, nv, indent);
    out
}

/// Puts the item's `- ` on the first line that is not a comment.
fn dash_first(text: &str, indent: usize) -> String {
    let mut out = String::new();
    let mut done = false;
    for l in text.split_inclusive('\n') {
        if !done && !is_blank_or_comment(l) && indent_of(l) >= indent + 2 {
            out.push_str(&l[..indent]);
            out.push_str("- ");
            out.push_str(&l[indent + 2..]);
            done = true;
        } else {
            out.push_str(l);
        }
    }
    out
}

fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A scalar as YAML: strings always double-quoted (JSON escapes are YAML escapes), so no text
/// can become a key, a comment or another type.
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => quote(s),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

/// A string that reads the same in YAML as it is: plain when it is a simple word (an id, a
/// code, a date), else double-quoted with JSON's escapes.
fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
        );
    let date = s.len() == 10
        && s.chars().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    if plain || date {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Object(_) | Value::Array(_))
}

fn emit_entry(out: &mut String, key: &str, v: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    let k = quote(key);
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push_str(&format!("{pad}{k}:\n"));
            emit_map_body(out, m, indent + 2);
        }
        Value::Object(_) => out.push_str(&format!("{pad}{k}: {{}}\n")),
        Value::Array(a) if a.iter().all(is_scalar) => {
            let items: Vec<String> = a.iter().map(scalar).collect();
            out.push_str(&format!("{pad}{k}: [{}]\n", items.join(", ")));
        }
        Value::Array(a) => {
            out.push_str(&format!("{pad}{k}:\n"));
            for item in a {
                emit_item(out, item, indent + 2);
            }
        }
        s => out.push_str(&format!("{pad}{k}: {}\n", scalar(s))),
    }
}

fn emit_map_body(out: &mut String, m: &Map<String, Value>, indent: usize) {
    for (k, v) in m {
        emit_entry(out, k, v, indent);
    }
}

fn emit_item(out: &mut String, v: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) if !m.is_empty() => {
            let mut body = String::new();
            emit_map_body(&mut body, m, indent + 2);
            out.push_str(&dash_first(&body, indent));
        }
        Value::Array(a) if !a.is_empty() && !a.iter().all(is_scalar) => {
            out.push_str(&format!("{pad}-\n"));
            for item in a {
                emit_item(out, item, indent + 2);
            }
        }
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(scalar).collect();
            out.push_str(&format!("{pad}- [{}]\n", items.join(", ")));
        }
        Value::Object(_) => out.push_str(&format!("{pad}- {{}}\n")),
        s => out.push_str(&format!("{pad}- {}\n", scalar(s))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ModelInput {
        crate::yaml::from_str(text).expect("a model")
    }

    const BASE: &str = "\
# The header stays.
assessment:
  title: Lön   # the title
controller:
  name: Kommunen
  # the country of establishment
  country: SE
  kind: public_body
processing:
  purpose: Lön
  data_subjects: [employees]
  data_categories: [identity]
parties:
  # Our processor.
  - id: acme
    vendor: microsoft-ireland
    role: processor   # signed 2024
    dpa:
      objection_days: 30
  - id: sub
    name: Sub AB
    role: subprocessor
    incorporated: SE
flows:
  - from: controller
    to: acme
    access: cleartext
  - from: acme
    to: sub
    access: cleartext
";

    #[test]
    fn an_unchanged_model_is_the_same_text() {
        let m = parse(BASE);
        assert_eq!(rewrite(BASE, &m, &m), BASE);
    }

    #[test]
    fn a_changed_field_keeps_every_other_line_and_comment() {
        let base = parse(BASE);
        let mut new = base.clone();
        new.controller.as_mut().unwrap().country = "DK".into();
        new.parties[1].incorporated = Some("DE".into());
        let text = rewrite(BASE, &base, &new);
        assert!(
            text.contains("  # the country of establishment\n  country: DK\n"),
            "{text}"
        );
        assert!(text.contains("  title: Lön   # the title\n"));
        assert!(text.contains("  # Our processor.\n  - id: acme\n"));
        assert!(text.contains("    role: processor   # signed 2024\n"));
        assert!(text.contains("    incorporated: DE\n"));
        assert_eq!(to_value(&parse(&text)), to_value(&new), "{text}");
    }

    #[test]
    fn parties_and_flows_are_added_removed_and_reordered_by_id() {
        let base = parse(BASE);
        let mut new = base.clone();
        let mut extra = new.parties[1].clone();
        extra.id = "new-one".into();
        extra.name = Some("Ny \"leverantör\": #1".into());
        new.parties.remove(1);
        new.parties.push(extra);
        new.flows[1].to = "new-one".into();
        let text = rewrite(BASE, &base, &new);
        assert!(!text.contains("Sub AB"));
        assert!(
            text.contains("  - id: new-one\n    name: \"Ny \\\"leverantör\\\": #1\"\n"),
            "{text}"
        );
        assert!(text.contains("  # Our processor.\n  - id: acme\n    vendor: microsoft-ireland\n    role: processor   # signed 2024\n"));
        assert_eq!(to_value(&parse(&text)), to_value(&new), "{text}");
    }

    #[test]
    fn a_changed_first_key_of_an_item_keeps_its_dash() {
        let base = parse(BASE);
        let mut new = base.clone();
        new.parties[0].id = "acme2".into();
        new.flows[0].to = "acme2".into();
        new.flows[1].from = "acme2".into();
        let text = rewrite(BASE, &base, &new);
        assert_eq!(to_value(&parse(&text)), to_value(&new), "{text}");
    }

    #[test]
    fn json_and_flow_style_are_written_anew_with_the_same_meaning() {
        let json = r#"{"controller": {"name": "K", "country": "SE"}, "processing": {"purpose": "p", "data_categories": ["identity"]}, "parties": [{"id": "a", "role": "processor", "incorporated": "SE"}], "flows": [{"from": "controller", "to": "a", "access": "cleartext"}]}"#;
        let base: ModelInput = serde_json::from_str(json).unwrap();
        let mut new = base.clone();
        new.controller.as_mut().unwrap().name = "K2 \n: x".into();
        let text = rewrite(json, &base, &new);
        assert!(
            text.starts_with("controller:\n  name: \"K2 \\n: x\"\n"),
            "{text}"
        );
        assert_eq!(to_value(&parse(&text)), to_value(&new));
    }

    #[test]
    fn a_new_model_validates_and_reads_back() {
        let m = parse(BASE);
        let text = new_text(&m, "Made in the browser\nline two");
        assert!(text.starts_with("# Made in the browser\n# line two\nassessment:\n"));
        assert_eq!(to_value(&parse(&text)), to_value(&m));
    }

    #[test]
    fn every_bundled_example_survives_an_edit_of_its_title() {
        for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/examples")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "yaml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let base = parse(&text);
            assert_eq!(rewrite(&text, &base, &base), text, "{}", path.display());
            let mut new = base.clone();
            new.assessment
                .get_or_insert_with(|| parse("assessment: {title: x}").assessment.unwrap())
                .title = "Ändrad: titel".into();
            if let Some(p) = new.parties.last_mut() {
                p.service = Some("ändrad tjänst".into());
            }
            let out = rewrite(&text, &base, &new);
            assert_eq!(
                to_value(&parse(&out)),
                to_value(&new),
                "{}:\n{out}",
                path.display()
            );
            let kept = text
                .lines()
                .filter(|l| l.trim_start().starts_with('#'))
                .count();
            let still = out
                .lines()
                .filter(|l| l.trim_start().starts_with('#'))
                .count();
            assert!(
                still + 2 >= kept,
                "{}: {kept} comments, {still} kept",
                path.display()
            );
        }
    }
}
