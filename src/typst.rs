//! The `typst` command-line compiler, called as a bounded child process.
//!
//! - Found on `PATH`, or at `TYPST_BIN` when set; when missing, [`TypstError::NotFound`] says how
//!   to install it and nothing is written.
//! - Runs with `--root` set to a private temporary folder holding only the generated source, so
//!   `#read` or `#image` cannot reach anything else; system fonts are ignored (typst's embedded
//!   fonts only) and package paths point into that folder with downloads routed to a dead proxy.
//! - `SOURCE_DATE_EPOCH` makes the PDF reproducible; a timeout kills a runaway compile.
//! - On failure, typst's own diagnostics are returned.
//!
//! Blocking: call it from async code through `tokio::task::spawn_blocking`.

use chrono::NaiveDate;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// How to install typst when it is missing.
pub const INSTALL_HINT: &str =
    "run `scripts/demo` once (it installs typst 0.15.1 into ~/.local/share/tia/tools, 6 to 30 minutes on 2 cores), or `cargo install --locked typst-cli --version 0.15.1`, or set TYPST_BIN to its path";

/// The folders where the project's scripts (and `cargo install`) put typst, searched after
/// `PATH`: `$TIA_TOOLS/bin` (default `~/.local/share/tia/tools/bin`) and `$CARGO_HOME/bin`
/// (default `~/.cargo/bin`).
pub fn tool_dirs() -> Vec<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let mut dirs = Vec::new();
    match std::env::var_os("TIA_TOOLS").filter(|t| !t.is_empty()) {
        Some(t) => dirs.push(PathBuf::from(t).join("bin")),
        None => {
            if let Some(h) = &home {
                dirs.push(h.join(".local/share/tia/tools/bin"));
            }
        }
    }
    match std::env::var_os("CARGO_HOME").filter(|t| !t.is_empty()) {
        Some(c) => dirs.push(PathBuf::from(c).join("bin")),
        None => {
            if let Some(h) = &home {
                dirs.push(h.join(".cargo/bin"));
            }
        }
    }
    dirs
}

/// A document to compile: which template (`memo`, `consult`, `diff`, `compare`), its data
/// (written beside the template as `data.json`) and the date it is stamped with.
#[derive(Debug, Clone)]
pub struct Document {
    pub kind: &'static str,
    pub data: serde_json::Value,
    /// The document's date; the PDF's creation date (`SOURCE_DATE_EPOCH`) is set from it.
    pub date: NaiveDate,
}

impl Document {
    pub fn new(kind: &'static str, data: serde_json::Value, date: NaiveDate) -> Document {
        Document { kind, data, date }
    }

    /// The data as the template reads it.
    pub fn data_json(&self) -> String {
        serde_json::to_string_pretty(&self.data).unwrap_or_default()
    }
}

/// The standards every PDF meets: PDF/A-2b for the archive, PDF/UA-1 for accessibility. typst
/// checks both while it compiles and fails on any violation.
pub const PDF_STANDARDS: &[&str] = &["a-2b", "ua-1"];

/// Limits on a custom template folder: files, total bytes, folder depth.
const TEMPLATE_MAX_FILES: usize = 200;
const TEMPLATE_MAX_BYTES: u64 = 50 * 1024 * 1024;
const TEMPLATE_MAX_DEPTH: usize = 4;

/// The fonts folder: `TIA_FONTS`, else `$TIA_TOOLS/fonts` (where `scripts/tools.sh` puts the
/// bundled Noto fonts), when it exists.
pub fn fonts_dir() -> Option<PathBuf> {
    if let Some(f) = std::env::var_os("TIA_FONTS").filter(|f| !f.is_empty()) {
        return Some(PathBuf::from(f)).filter(|p| p.is_dir());
    }
    tool_dirs()
        .first()
        .and_then(|bin| bin.parent())
        .map(|t| t.join("fonts"))
        .filter(|p| p.is_dir())
}

/// Checks a custom template folder before use: it exists and holds at least one document
/// template or `lib.typ`.
pub fn check_template_dir(dir: &Path) -> Result<(), String> {
    if !dir.is_dir() {
        return Err(format!("{} is not a folder", dir.display()));
    }
    let known = [
        "lib.typ",
        "memo.typ",
        "consult.typ",
        "diff.typ",
        "compare.typ",
        "portfolio.typ",
    ];
    if !known.iter().any(|f| dir.join(f).is_file()) {
        return Err(format!(
            "{} holds none of {}; start from `tia templates DIR`, which writes the bundled ones",
            dir.display(),
            known.join(", ")
        ));
    }
    Ok(())
}

/// Copies a template folder into the compile root, within the limits.
fn copy_templates(from: &Path, to: &Path) -> std::io::Result<()> {
    let mut files = 0usize;
    let mut bytes = 0u64;
    fn walk(
        from: &Path,
        to: &Path,
        depth: usize,
        files: &mut usize,
        bytes: &mut u64,
    ) -> std::io::Result<()> {
        if depth > TEMPLATE_MAX_DEPTH {
            return Ok(());
        }
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            let target = to.join(entry.file_name());
            if kind.is_dir() {
                std::fs::create_dir_all(&target)?;
                walk(&entry.path(), &target, depth + 1, files, bytes)?;
            } else if kind.is_file() {
                *files += 1;
                *bytes += entry.metadata()?.len();
                if *files > TEMPLATE_MAX_FILES || *bytes > TEMPLATE_MAX_BYTES {
                    return Err(std::io::Error::other(format!(
                        "the template folder is larger than {TEMPLATE_MAX_FILES} files or {} MB",
                        TEMPLATE_MAX_BYTES / 1024 / 1024
                    )));
                }
                std::fs::copy(entry.path(), target)?;
            }
        }
        Ok(())
    }
    walk(from, to, 0, &mut files, &mut bytes)
}

#[derive(Debug, thiserror::Error)]
pub enum TypstError {
    #[error("typst was not found ({looked}); {INSTALL_HINT}")]
    NotFound { looked: String },
    #[error("typst did not finish within {0:?} and was stopped")]
    Timeout(Duration),
    #[error("typst failed to compile the generated document:\n{diagnostics}")]
    Failed { diagnostics: String },
    #[error("cannot run typst: {0}")]
    Io(#[from] std::io::Error),
}

/// Where typst is, how long it may run, which templates and fonts it uses.
#[derive(Debug, Clone)]
pub struct Typst {
    pub bin: PathBuf,
    pub timeout: Duration,
    /// An organisation's own template folder, laid over the bundled templates.
    pub templates: Option<PathBuf>,
    /// The bundled fonts (Noto) for scripts Libertinus does not cover.
    pub fonts: Option<PathBuf>,
}

impl Typst {
    /// Finds typst: `TYPST_BIN` when set (it must exist), else the first `typst` on `PATH`,
    /// else where the project's scripts or `cargo install` put it ([`tool_dirs`]).
    pub fn locate() -> Result<Typst, TypstError> {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
        dirs.extend(tool_dirs());
        let joined = std::env::join_paths(dirs).unwrap_or(path);
        Self::locate_in(std::env::var_os("TYPST_BIN"), Some(joined))
    }

    fn locate_in(
        bin: Option<std::ffi::OsString>,
        path: Option<std::ffi::OsString>,
    ) -> Result<Typst, TypstError> {
        let found = match bin.filter(|b| !b.is_empty()) {
            Some(b) => {
                let p = PathBuf::from(&b);
                if p.is_file() {
                    Some(p)
                } else {
                    return Err(TypstError::NotFound {
                        looked: format!("TYPST_BIN={} does not exist", p.display()),
                    });
                }
            }
            None => path.as_deref().and_then(|paths| {
                std::env::split_paths(paths)
                    .map(|d| d.join(exe_name()))
                    .find(|p| p.is_file())
            }),
        };
        found
            .map(|bin| Typst {
                bin,
                timeout: Duration::from_secs(60),
                templates: None,
                fonts: fonts_dir(),
            })
            .ok_or_else(|| TypstError::NotFound {
                looked: "not on PATH, not in ~/.local/share/tia/tools/bin or ~/.cargo/bin, and TYPST_BIN is not set".into(),
            })
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Typst {
        self.timeout = timeout;
        self
    }

    pub fn with_templates(mut self, dir: Option<PathBuf>) -> Typst {
        self.templates = dir;
        self
    }

    /// Compiles the document to PDF/A-2b and PDF/UA-1 bytes. A character no bundled font can
    /// show is not left as an empty box: it is replaced by its code point (`[U+1D11E]`), the
    /// document says so on its last page, and the document is compiled again.
    pub fn compile(&self, doc: &Document) -> Result<Vec<u8>, TypstError> {
        match self.compile_once(doc) {
            Err(TypstError::Failed { diagnostics }) => {
                let missing = missing_glyphs(&diagnostics);
                if missing.is_empty() {
                    return Err(TypstError::Failed { diagnostics });
                }
                let mut doc = doc.clone();
                replace_chars(&mut doc.data, &missing);
                let list: Vec<String> = missing.iter().map(|c| code_point(*c)).collect();
                if let Some(meta) = doc.data.get_mut("meta").and_then(|m| m.as_object_mut()) {
                    meta.insert("unprintable".into(), serde_json::json!(list));
                }
                self.compile_once(&doc)
            }
            other => other,
        }
    }

    fn compile_once(&self, doc: &Document) -> Result<Vec<u8>, TypstError> {
        let root = tempfile::Builder::new().prefix("tia-typst-").tempdir()?;
        for (name, text) in crate::memo::TEMPLATES {
            std::fs::write(root.path().join(name), text)?;
        }
        if let Some(dir) = &self.templates {
            copy_templates(dir, root.path())?;
        }
        std::fs::write(root.path().join("data.json"), doc.data_json())?;
        let main = root.path().join(format!("{}.typ", doc.kind));
        let out = root.path().join("out.pdf");
        let packages = root.path().join("packages");
        let epoch = doc
            .date
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp())
            .unwrap_or(0);
        let mut child = Command::new(&self.bin)
            .arg("compile")
            .arg("--root")
            .arg(root.path())
            .arg("--ignore-system-fonts")
            .args(
                self.fonts
                    .iter()
                    .flat_map(|f| [std::ffi::OsStr::new("--font-path"), f.as_os_str()]),
            )
            .args(PDF_STANDARDS.iter().flat_map(|s| ["--pdf-standard", s]))
            .arg("--diagnostic-format")
            .arg("short")
            .arg(&main)
            .arg(&out)
            .current_dir(root.path())
            .env("SOURCE_DATE_EPOCH", epoch.to_string())
            .env("TYPST_PACKAGE_PATH", &packages)
            .env("TYPST_PACKAGE_CACHE_PATH", &packages)
            // Any download attempt goes to a closed port and fails.
            .env("HTTPS_PROXY", "http://127.0.0.1:9")
            .env("https_proxy", "http://127.0.0.1:9")
            .env_remove("TYPST_FONT_PATHS")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s);
            s
        });
        // Woken when typst exits (SIGCHLD), not by polling: no lost milliseconds per document.
        let status = match wait_timeout::ChildExt::wait_timeout(&mut child, self.timeout)? {
            Some(status) => status,
            None => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(TypstError::Timeout(self.timeout));
            }
        };
        let diagnostics = reader.join().unwrap_or_default();
        if !status.success() {
            let root_str = root.path().display().to_string();
            return Err(TypstError::Failed {
                diagnostics: diagnostics
                    .replace(&root_str, "<generated>")
                    .trim()
                    .to_string(),
            });
        }
        Ok(std::fs::read(&out)?)
    }
}

/// The characters typst could not show with any font, from its PDF/A diagnostics
/// ("the text `"𝄞"` could not be displayed with font …").
fn missing_glyphs(diagnostics: &str) -> Vec<char> {
    let mut out: Vec<char> = Vec::new();
    for line in diagnostics.lines() {
        let Some(i) = line.find("could not be displayed") else {
            continue;
        };
        let head = &line[..i];
        if let (Some(a), Some(b)) = (head.find("`\""), head.rfind("\"`")) {
            if a + 2 <= b {
                for c in head[a + 2..b].chars() {
                    if !c.is_whitespace() && !out.contains(&c) {
                        out.push(c);
                    }
                }
            }
        }
    }
    out
}

fn code_point(c: char) -> String {
    format!("[U+{:04X}]", c as u32)
}

/// Replaces the characters in every string of the data by their code points.
fn replace_chars(v: &mut serde_json::Value, chars: &[char]) {
    match v {
        serde_json::Value::String(s) if s.contains(chars) => {
            let mut out = String::with_capacity(s.len());
            for c in s.chars() {
                if chars.contains(&c) {
                    out.push_str(&code_point(c));
                } else {
                    out.push(c);
                }
            }
            *s = out;
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(|x| replace_chars(x, chars)),
        serde_json::Value::Object(m) => m.values_mut().for_each(|x| replace_chars(x, chars)),
        _ => {}
    }
}

fn exe_name() -> &'static str {
    if cfg!(windows) {
        "typst.exe"
    } else {
        "typst"
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so a
/// reader never sees a half-written file and a failure leaves nothing behind.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new().prefix(".tia-").tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    // A temporary file is private (0600); the document gets the mode any new file would.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = 0o666 & !umask();
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The process's file-mode creation mask, read without changing it (Linux: /proc/self/status;
/// elsewhere the common default 022).
#[cfg(unix)]
fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_typst_bin_is_not_found_with_the_install_hint() {
        let err = Typst::locate_in(Some("/nonexistent/typst".into()), None).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("TYPST_BIN=/nonexistent/typst"), "{msg}");
        assert!(msg.contains("cargo install --locked typst-cli"), "{msg}");
    }

    #[test]
    fn empty_path_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let err = Typst::locate_in(None, Some(dir.path().as_os_str().to_owned())).unwrap_err();
        assert!(matches!(err, TypstError::NotFound { .. }));
    }

    #[test]
    fn atomic_write_replaces_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.pdf");
        write_atomically(&p, b"one").unwrap();
        write_atomically(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
