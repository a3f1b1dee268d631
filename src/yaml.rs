//! The one YAML reader: serde-saphyr (on granit-parser, whose events `locate` also uses for
//! positions). Errors come back located and in the words of someone writing the file, not of
//! the Rust types behind it.

use crate::diag::{serde_message, Text};
use crate::model::Lang;
use serde::de::DeserializeOwned;

/// A YAML text that could not be read: where, and what went wrong.
#[derive(Debug, Clone)]
pub struct YamlError {
    pub line: usize,
    pub column: usize,
    /// The message in English.
    pub message: String,
    /// What to do about it, when the kind of mistake is known (English).
    pub hint: Option<String>,
    /// The message as a catalogue text, for other languages.
    pub text: Box<Text>,
    /// The hint as a catalogue text.
    pub hint_text: Option<Box<Text>>,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (line {}, column {})",
            self.message, self.line, self.column
        )
    }
}

impl std::error::Error for YamlError {}

/// Reads one YAML document into `T`. Duplicate keys are an error; a byte-order mark at the start
/// is skipped; the parser's own limits (events, depth, alias expansion) bound the work.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // The parser's limits grow with the text (already in memory, bounded by the caller: the
    // server's body limit, a file the user chose), so a large real model passes while what a
    // small text can expand into (aliases) stays bounded by the defaults.
    let n = text.len();
    let budget = serde_saphyr::budget! {
        max_nodes: (n / 2).max(250_000),
        max_events: n.max(1_000_000),
        max_total_scalar_bytes: n.max(64 * 1024 * 1024),
    };
    let options = serde_saphyr::options! {
        with_snippet: false,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
        budget: budget,
    };
    serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let (line, column) = e
            .location()
            .filter(|l| l.line() > 0)
            .map(|l| (l.line() as usize, (l.column() as usize).max(1)))
            .unwrap_or((1, 1));
        let (said, hint_text) = in_users_words(&strip_location(&e.to_string()));
        let message = said.render(Lang::En);
        let hint = hint_text.as_ref().map(|h| h.render(Lang::En));
        // A second document is reported where its content starts; the `---` is what to remove.
        let (line, column) = if message.contains("more than one YAML document") {
            text.lines()
                .take(line)
                .enumerate()
                .filter(|(_, l)| l.starts_with("---"))
                .last()
                .map(|(i, _)| (i + 1, 1))
                .unwrap_or((line, column))
        } else {
            (line, column)
        };
        YamlError {
            line,
            column,
            message,
            hint,
            text: Box::new(said),
            hint_text: hint_text.map(Box::new),
        }
    })
}

/// The message without the " at line X column Y" the parser appends: the diagnostic shows the
/// location itself.
fn strip_location(msg: &str) -> String {
    let first = msg.lines().next().unwrap_or(msg);
    for marker in [" at line ", " at ", " (line "] {
        if let Some(i) = first.rfind(marker) {
            let rest = &first[i + marker.len()..];
            if rest.starts_with(|c: char| c.is_ascii_digit()) || rest.starts_with("line ") {
                return first[..i].trim_end_matches([',', ':']).to_string();
            }
        }
    }
    first.to_string()
}

/// The parser's messages for the common mistakes, said as a person editing the file would say
/// them, with what to do (catalogue keys, `templates/diag/lang`). serde's own messages ("unknown
/// field", "missing field", "unknown variant", "invalid type") get keys too; others pass through
/// as written (they name the key or value).
fn in_users_words(msg: &str) -> (Text, Option<Text>) {
    let said = |m: &'static str, h: &'static str| (Text::message(m), Some(Text::hint(h)));
    if let Some(rest) = msg.strip_prefix("duplicate mapping key: ") {
        let key = rest.split(',').next().unwrap_or(rest).trim();
        return (
            Text::message("duplicate_key").arg("key", key),
            Some(Text::hint("keep_one_key")),
        );
    }
    let starts = |p: &[&str]| p.iter().any(|p| msg.starts_with(p));
    if starts(&["budget breached"]) {
        return (
            Text::message("too_large")
                .arg("detail", &msg["budget breached: ".len().min(msg.len())..]),
            Some(Text::hint("no_deep_nesting")),
        );
    }
    if starts(&["invalid u64", "invalid u32", "invalid usize"]) {
        said("whole_number_nonneg", "write_whole_number")
    } else if starts(&["invalid i64", "invalid i32"]) {
        said("whole_number", "write_whole_number")
    } else if starts(&["invalid f64", "invalid f32"]) {
        said("number", "write_number")
    } else if starts(&["invalid bool"]) {
        said("bool", "write_bool")
    } else if msg == "expected sequence start" {
        said("list", "write_list")
    } else if msg == "expected mapping start" {
        said("mapping", "write_mapping")
    } else if msg == "expected string scalar" {
        said("text", "write_text")
    } else if starts(&["mapping values are not allowed"]) {
        said("second_key", "quote_colon")
    } else if starts(&["illegal placement of ':'"]) {
        said("misplaced_colon", "close_brackets")
    } else if starts(&["invalid trailing content after single-quoted"]) {
        said("after_quote", "single_quote")
    } else if starts(&["invalid trailing content after double-quoted"]) {
        said("after_quote", "double_quote")
    } else if starts(&["multiple YAML documents"]) {
        said("several_documents", "one_document")
    } else if starts(&["cannot deserialize null"]) {
        said("empty_value", "write_value")
    } else if starts(&["tabs disallowed"]) || msg.contains("cannot start any token") {
        said("tab", "spaces_not_tabs")
    } else {
        let text = serde_message(msg).unwrap_or_else(|| Text::plain(msg));
        let hint = if starts(&["missing field"]) {
            Some(Text::hint("add_field"))
        } else if starts(&["unknown field"]) {
            Some(Text::hint("check_spelling"))
        } else if starts(&["unknown variant"]) {
            Some(Text::hint("use_listed"))
        } else {
            None
        };
        (text, hint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct T {
        name: String,
        count: u64,
        #[serde(default)]
        list: Vec<String>,
    }

    #[test]
    fn reads_and_locates() {
        let t: T = from_str("\u{feff}name: NO\ncount: 3\n").unwrap();
        assert_eq!(t.name, "NO", "a country code stays text");
        let e = from_str::<T>("name: a\ncount: -5\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        let e = from_str::<T>("name: a\nname: b\ncount: 1\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        assert!(e.message.contains("appears twice"), "{e}");
    }
}
