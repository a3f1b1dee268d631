//! The one YAML reader: serde-saphyr (on granit-parser, whose events `locate` also uses for
//! positions). Errors come back located and in the words of someone writing the file, not of
//! the Rust types behind it.

use serde::de::DeserializeOwned;

/// A YAML text that could not be read: where, and what went wrong.
#[derive(Debug, Clone)]
pub struct YamlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// What to do about it, when the kind of mistake is known.
    pub hint: Option<&'static str>,
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
        let (message, hint) = in_users_words(&strip_location(&e.to_string()));
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
/// them, with what to do. Messages not listed pass through (they name the key or value).
fn in_users_words(msg: &str) -> (String, Option<&'static str>) {
    const WHOLE: &str = "write a whole number without sign, decimals or spaces, e.g. 6000";
    let said = |m: &str, h: &'static str| (m.to_string(), Some(h));
    if let Some(rest) = msg.strip_prefix("duplicate mapping key: ") {
        let key = rest.split(',').next().unwrap_or(rest).trim();
        return (
            format!("the key `{key}` appears twice in the same mapping"),
            Some("keep one of them: the second would silently replace the first"),
        );
    }
    let starts = |p: &[&str]| p.iter().any(|p| msg.starts_with(p));
    if starts(&["budget breached"]) {
        return (
            format!("the document is too large or too deeply nested to read ({})", &msg["budget breached: ".len().min(msg.len())..]),
            Some("a model is a few nesting levels deep; aliases (`*name`) and deep nesting are not needed"),
        );
    }
    if starts(&["invalid u64", "invalid u32", "invalid usize"]) {
        said("expected a whole number of 0 or more", WHOLE)
    } else if starts(&["invalid i64", "invalid i32"]) {
        said("expected a whole number", WHOLE)
    } else if starts(&["invalid f64", "invalid f32"]) {
        said(
            "expected a number",
            "write a number such as 12.5, with a point and no spaces",
        )
    } else if starts(&["invalid bool"]) {
        said(
            "expected true or false",
            "write true or false (yes/no and on/off are not booleans here)",
        )
    } else if msg == "expected sequence start" {
        said(
            "expected a list (`- item` lines or `[a, b]`)",
            "write the values as a list, e.g. `[identity, contact]`, or one `- item` per line (dash, then a space)",
        )
    } else if msg == "expected mapping start" {
        said(
            "expected a mapping of `key: value` lines",
            "put the fields on their own lines, indented under the key, e.g. `controller:` then `  name: …`",
        )
    } else if msg == "expected string scalar" {
        said(
            "expected a text",
            "write the text after the colon on the same line; quote it if it holds `:`, `#`, `[` or `{`",
        )
    } else if starts(&["mapping values are not allowed"]) {
        said(
            "a second `key:` on this line, or a line indented too far",
            "quote text that contains `: ` (e.g. `purpose: \"Lön: utbetalning\"`) and check the indentation",
        )
    } else if starts(&["illegal placement of ':'"]) {
        said(
            "a `:` where YAML does not expect one",
            "check that every `[` and `{` is closed on its line, and quote text that contains `:`",
        )
    } else if starts(&["invalid trailing content after single-quoted"]) {
        said(
            "text goes on after its closing quote",
            "inside '…' write an apostrophe twice ('kommunens ''stöd'''), or use double quotes",
        )
    } else if starts(&["invalid trailing content after double-quoted"]) {
        said(
            "text goes on after its closing quote",
            "inside \"…\" write a quote mark as \\\", or use single quotes",
        )
    } else if starts(&["multiple YAML documents"]) {
        said(
            "the file holds more than one YAML document (a `---` line in the middle)",
            "one model per file: remove the `---` line and what follows, or split the file",
        )
    } else if starts(&["cannot deserialize null"]) {
        said(
            "this value is empty",
            "write a value after the colon, or remove the line",
        )
    } else if starts(&["tabs disallowed"]) || msg.contains("cannot start any token") {
        said(
            "a tab character where YAML needs spaces",
            "YAML does not allow tab characters for indentation: indent with spaces",
        )
    } else if starts(&["missing field"]) {
        (
            msg.to_string(),
            Some("add the field named, indented like its neighbours"),
        )
    } else if starts(&["unknown field"]) {
        (
            msg.to_string(),
            Some("check the spelling and the indentation; unknown keys are rejected so that a typo never changes a judgement"),
        )
    } else if starts(&["unknown variant"]) {
        (msg.to_string(), Some("use one of the values listed"))
    } else {
        (msg.to_string(), None)
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
