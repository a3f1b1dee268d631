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
use std::time::{Duration, Instant};

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

/// A generated Typst document: the main source and the date it is stamped with.
#[derive(Debug, Clone)]
pub struct Document {
    pub source: String,
    /// The document's date; the PDF's creation date (`SOURCE_DATE_EPOCH`) is set from it.
    pub date: NaiveDate,
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

/// Where typst is and how long it may run.
#[derive(Debug, Clone)]
pub struct Typst {
    pub bin: PathBuf,
    pub timeout: Duration,
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
            })
            .ok_or_else(|| TypstError::NotFound {
                looked: "not on PATH, not in ~/.local/share/tia/tools/bin or ~/.cargo/bin, and TYPST_BIN is not set".into(),
            })
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Typst {
        self.timeout = timeout;
        self
    }

    /// Compiles the document to PDF bytes.
    pub fn compile(&self, doc: &Document) -> Result<Vec<u8>, TypstError> {
        let root = tempfile::Builder::new().prefix("tia-typst-").tempdir()?;
        let main = root.path().join("main.typ");
        std::fs::write(&main, &doc.source)?;
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
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            if start.elapsed() > self.timeout {
                let _ = child.kill();
                let _ = child.wait();
                return Err(TypstError::Timeout(self.timeout));
            }
            std::thread::sleep(Duration::from_millis(5));
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
