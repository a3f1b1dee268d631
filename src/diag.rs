//! Located diagnostics: what went wrong, where (file, line, column), what was expected, a hint.

use serde::Serialize;
use std::fmt;

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
}

impl Diagnostic {
    pub fn new(file: &str, (line, column): (usize, usize), message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_string(),
            line,
            column,
            message: message.into(),
            expected: None,
            hint: None,
        }
    }
    pub fn expected(mut self, expected: impl Into<String>) -> Self {
        self.expected = Some(expected.into());
        self
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "error: {}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )?;
        if let Some(e) = &self.expected {
            write!(f, "\n  expected: {e}")?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// Bad input: one or more located diagnostics. The CLI exits with code 2.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct InputError {
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
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
pub fn known_hint<'a>(word: &str, known: impl IntoIterator<Item = &'a str> + Clone) -> String {
    match closest(word, known.clone()) {
        Some(s) => format!("did you mean `{s}`?"),
        None => {
            let all: Vec<&str> = known.into_iter().collect();
            if all.len() <= 12 {
                format!("known values: {}", all.join(", "))
            } else {
                format!(
                    "known values include: {}, … ({} in all)",
                    all[..12].join(", "),
                    all.len()
                )
            }
        }
    }
}
