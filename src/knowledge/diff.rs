//! What changed between two versions of the knowledge base: entries added, removed and
//! changed (with the fields that changed), by kind and id, so that a register can tell which
//! assessments a new knowledge version may affect.
//!
//! The comparison reads both folders as plain data (each file's YAML, keyed by kind and id),
//! not through the typed loader, so that a version written for an older or newer schema can
//! still be compared (a field renamed between versions shows as removed and added).

use crate::diag::{Diagnostic, InputError};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// One side of the comparison.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Side {
    pub version: String,
    pub as_of: String,
    /// `embedded` or the folder it was read from.
    pub origin: String,
}

/// How an entry changed.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

/// A top-level field of an entry with its old and new value (null when absent).
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct FieldChange {
    pub field: String,
    pub old: Value,
    pub new: Value,
}

/// An entry that was added, removed or changed.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct EntryChange {
    /// `meta`, `phrase`, or the folder of the entry: `sources`, `jurisdictions`, `laws`,
    /// `data_categories`, `data_subjects`, `dpia`, `vendors`, `measures`, `options`,
    /// `policies`, `rules`, `authorities`, `questions`.
    pub kind: String,
    pub id: String,
    pub change: ChangeKind,
    /// The fields that differ (for `changed` only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
}

/// The differences from `from` to `to`, in kind order, then by id.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct KnowledgeDiff {
    pub from: Side,
    pub to: Side,
    pub changes: Vec<EntryChange>,
}

impl KnowledgeDiff {
    /// How many entries of each change kind.
    pub fn counts(&self) -> (usize, usize, usize) {
        let n = |k| self.changes.iter().filter(|c| c.change == k).count();
        (
            n(ChangeKind::Added),
            n(ChangeKind::Removed),
            n(ChangeKind::Changed),
        )
    }

    /// The changes as lines of text: `changed vendor `x`: dpf, note`.
    pub fn to_text(&self) -> String {
        let (a, r, c) = self.counts();
        let mut out = format!(
            "knowledge {} ({}, as of {}) → {} ({}, as of {}): {a} added, {r} removed, {c} changed\n",
            self.from.version,
            self.from.origin,
            self.from.as_of,
            self.to.version,
            self.to.origin,
            self.to.as_of,
        );
        for ch in &self.changes {
            let verb = match ch.change {
                ChangeKind::Added => "added",
                ChangeKind::Removed => "removed",
                ChangeKind::Changed => "changed",
            };
            out.push_str(&format!("  {verb:<7} {} `{}`", ch.kind, ch.id));
            if !ch.fields.is_empty() {
                let names: Vec<&str> = ch.fields.iter().map(|f| f.field.as_str()).collect();
                out.push_str(&format!(": {}", names.join(", ")));
            }
            out.push('\n');
        }
        out
    }
}

/// The entries of a knowledge base as plain data: (kind, id) → entry.
#[derive(Debug, Clone, Default)]
pub struct RawKnowledge {
    pub origin: String,
    pub entries: BTreeMap<(String, String), Value>,
}

impl RawKnowledge {
    /// Reads (relative path, YAML text) pairs. An entry is keyed by its `id` (a jurisdiction by
    /// its `code`, a phrase by its key); `meta.yaml` is the one entry `meta`.
    pub fn from_files(
        files: &[(String, String)],
        origin: &str,
    ) -> Result<RawKnowledge, InputError> {
        let mut raw = RawKnowledge {
            origin: origin.to_string(),
            entries: BTreeMap::new(),
        };
        let mut errors = Vec::new();
        for (name, text) in files {
            let value: Value = match crate::yaml::from_str(text) {
                Ok(v) => v,
                Err(e) => {
                    errors.push(super::yaml_error(name, &e, "a knowledge file"));
                    continue;
                }
            };
            let stem = name.split('/').next().unwrap_or("");
            match (stem, value) {
                ("meta.yaml" | "meta.yml", v) => {
                    raw.entries.insert(("meta".into(), "meta".into()), v);
                }
                ("phrases.yaml" | "phrases.yml", Value::Object(m)) => {
                    for (k, v) in m {
                        raw.entries.insert(("phrase".into(), k), v);
                    }
                }
                ("identifiers.yaml" | "identifiers.yml", Value::Object(m)) => {
                    for (k, v) in m {
                        raw.entries.insert(("identifiers".into(), k), v);
                    }
                }
                (kind, Value::Array(items)) => {
                    for (i, item) in items.into_iter().enumerate() {
                        let id = ["id", "code"]
                            .iter()
                            .find_map(|k| item.get(*k).and_then(Value::as_str))
                            .map(String::from)
                            .unwrap_or_else(|| format!("{name}[{i}]"));
                        raw.entries.insert((kind.to_string(), id), item);
                    }
                }
                (_, Value::Null) => {}
                _ => errors.push(
                    Diagnostic::new(name, (1, 1), "not a list of knowledge entries").expected(
                        "a YAML list of entries (or meta.yaml, phrases.yaml, identifiers.yaml)",
                    ),
                ),
            }
        }
        if errors.is_empty() {
            Ok(raw)
        } else {
            Err(InputError {
                diagnostics: errors,
            })
        }
    }

    /// Reads every `*.yaml` under a folder laid out like `knowledge/`.
    pub fn load_dir(dir: &Path) -> Result<RawKnowledge, InputError> {
        let files = super::read_dir_files(dir)?;
        RawKnowledge::from_files(&files, &dir.display().to_string())
    }

    /// The `knowledge/` folder of a git revision of the repository in the current directory
    /// (`git ls-tree` and `git show`, so no checkout is touched).
    pub fn load_git(rev: &str) -> Result<RawKnowledge, InputError> {
        let fail = |what: String| {
            InputError::from(
                Diagnostic::new(&format!("git:{rev}"), (1, 1), what)
                    .hint("run in the repository, with a revision that has a knowledge/ folder (e.g. git:HEAD~1, git:v1.2)"),
            )
        };
        let git = |args: &[&str]| -> Result<String, InputError> {
            let out = std::process::Command::new("git")
                .args(args)
                .output()
                .map_err(|e| fail(format!("could not start `git`: {e}")))?;
            if !out.status.success() {
                return Err(fail(format!(
                    "`git {}` exited with {}: {}",
                    args.join(" "),
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                )));
            }
            String::from_utf8(out.stdout).map_err(|e| fail(format!("not UTF-8: {e}")))
        };
        let list = git(&["ls-tree", "-r", "--name-only", rev, "--", "knowledge/"])?;
        let mut files = Vec::new();
        for path in list
            .lines()
            .filter(|p| p.ends_with(".yaml") || p.ends_with(".yml"))
        {
            let text = git(&["show", &format!("{rev}:{path}")])?;
            let rel = path.strip_prefix("knowledge/").unwrap_or(path);
            files.push((rel.to_string(), text));
        }
        if files.is_empty() {
            return Err(fail("the revision has no knowledge/ files".into()));
        }
        RawKnowledge::from_files(&files, &format!("git:{rev}"))
    }

    /// A folder, or `git:REV` for the knowledge of a git revision.
    pub fn load(spec: &Path) -> Result<RawKnowledge, InputError> {
        match spec.to_str().and_then(|s| s.strip_prefix("git:")) {
            Some(rev) => RawKnowledge::load_git(rev),
            None => RawKnowledge::load_dir(spec),
        }
    }

    /// The knowledge compiled into the binary.
    pub fn embedded() -> Result<RawKnowledge, InputError> {
        let files: Vec<(String, String)> = super::embedded::FILES
            .iter()
            .map(|(n, t, _)| (n.to_string(), t.to_string()))
            .collect();
        RawKnowledge::from_files(&files, "embedded")
    }

    fn side(&self) -> Side {
        let meta = self.entries.get(&("meta".to_string(), "meta".to_string()));
        let field = |k: &str| {
            meta.and_then(|m| m.get(k))
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    v => v.to_string(),
                })
                .unwrap_or_default()
        };
        Side {
            version: field("version"),
            as_of: field("as_of"),
            origin: self.origin.clone(),
        }
    }
}

/// The top-level fields that differ between two entries (an entry that is not a mapping is
/// one field, `value`).
fn fields(old: &Value, new: &Value) -> Vec<FieldChange> {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            let mut keys: Vec<&String> = o.keys().chain(n.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .filter_map(|k| {
                    let (a, b) = (
                        o.get(k).cloned().unwrap_or(Value::Null),
                        n.get(k).cloned().unwrap_or(Value::Null),
                    );
                    (a != b).then(|| FieldChange {
                        field: k.clone(),
                        old: a,
                        new: b,
                    })
                })
                .collect()
        }
        _ => vec![FieldChange {
            field: "value".into(),
            old: old.clone(),
            new: new.clone(),
        }],
    }
}

/// What changed from `old` to `new`, by kind, then id.
pub fn diff(old: &RawKnowledge, new: &RawKnowledge) -> KnowledgeDiff {
    let mut changes = Vec::new();
    for (key, o) in &old.entries {
        match new.entries.get(key) {
            None => changes.push(EntryChange {
                kind: key.0.clone(),
                id: key.1.clone(),
                change: ChangeKind::Removed,
                fields: Vec::new(),
            }),
            Some(n) if n != o => changes.push(EntryChange {
                kind: key.0.clone(),
                id: key.1.clone(),
                change: ChangeKind::Changed,
                fields: fields(o, n),
            }),
            Some(_) => {}
        }
    }
    for key in new.entries.keys().filter(|k| !old.entries.contains_key(*k)) {
        changes.push(EntryChange {
            kind: key.0.clone(),
            id: key.1.clone(),
            change: ChangeKind::Added,
            fields: Vec::new(),
        });
    }
    changes.sort_by(|a, b| (&a.kind, &a.id).cmp(&(&b.kind, &b.id)));
    KnowledgeDiff {
        from: old.side(),
        to: new.side(),
        changes,
    }
}
