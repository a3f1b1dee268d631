//! The server's bounds on rendering: at most N typst processes at once with the rest waiting,
//! and a render that overruns its timeout is stopped. A stand-in `typst` script records how many
//! copies run at the same time. And the server process: graceful shutdown, refusing to start
//! without credentials, never printing the database password.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;
use tia::server::auth::{Auth, AuthFile, TokenEntry};
use tia::server::AppState;
use tia::store::Store;
use tia::typst::{Document, Typst, TypstError};

/// A fake typst that counts itself in and out of `dir/running`, keeps the highest count seen in
/// `dir/peak`, sleeps, and writes a minimal PDF to its last argument.
fn fake_typst(dir: &std::path::Path, sleep: &str) -> std::path::PathBuf {
    let script = format!(
        r#"#!/bin/sh
d="{dir}"
for last; do :; done
(
  flock 9
  n=$(( $(cat "$d/running" 2>/dev/null || echo 0) + 1 ))
  echo $n > "$d/running"
  p=$(cat "$d/peak" 2>/dev/null || echo 0)
  [ $n -gt $p ] && echo $n > "$d/peak"
) 9>"$d/lock"
sleep {sleep}
( flock 9; echo $(( $(cat "$d/running") - 1 )) > "$d/running" ) 9>"$d/lock"
printf '%%PDF-1.7 fake' > "$last"
"#,
        dir = dir.display()
    );
    let path = dir.join("typst");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

async fn state(dir: &std::path::Path, typst: Typst, slots: usize) -> AppState {
    let store = Store::open(dir.join("tia.db").to_str().unwrap())
        .await
        .unwrap();
    let auth = Auth::from_config(&AuthFile {
        users: vec![],
        tokens: vec![TokenEntry {
            name: "ci".into(),
            sha256: None,
            token: Some("0123456789abcdef0123".into()),
            role: tia::server::auth::Role::Editor,
        }],
        oidc: None,
    })
    .unwrap();
    let kb = tia::Knowledge::embedded().unwrap();
    AppState::new(store, kb, auth, Some(typst), slots, false).unwrap()
}

fn doc() -> Document {
    Document::new("memo", serde_json::json!({}), "2026-11-01".parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_more_renders_at_once_than_slots_and_the_rest_wait() {
    let dir = tempfile::tempdir().unwrap();
    let typst = Typst {
        bin: fake_typst(dir.path(), "0.4"),
        timeout: Duration::from_secs(20),
        templates: None,
        fonts: None,
    };
    let state = state(dir.path(), typst, 2).await;
    let renders: Vec<_> = (0..6)
        .map(|_| {
            let s = state.clone();
            tokio::spawn(async move { s.render_pdf(doc()).await })
        })
        .collect();
    for r in renders {
        let pdf = r.await.unwrap().unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }
    let peak: u32 = std::fs::read_to_string(dir.path().join("peak"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(peak, 2, "six renders with two slots ran {peak} at once");
}

#[tokio::test]
async fn a_render_over_its_timeout_is_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let typst = Typst {
        bin: fake_typst(dir.path(), "30"),
        timeout: Duration::from_millis(300),
        templates: None,
        fonts: None,
    };
    let state = state(dir.path(), typst, 1).await;
    let started = std::time::Instant::now();
    let err = state.render_pdf(doc()).await.unwrap_err();
    assert!(matches!(err, TypstError::Timeout(_)), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

fn tia() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_tia"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

/// `tia serve` on a fresh SQLite register in `dir` with an API token and `extra` flags, once
/// `/health` answers; its port.
fn start_server(
    dir: &std::path::Path,
    extra: &[&str],
    stderr: std::process::Stdio,
) -> (std::process::Child, u16) {
    let port = free_port();
    let child = tia()
        .arg("serve")
        .arg("--db")
        .arg(dir.join("tia.db"))
        .arg("--addr")
        .arg(format!("127.0.0.1:{port}"))
        .args(extra)
        .env("TIA_API_TOKEN", "0123456789abcdef0123")
        .env_remove("TIA_AUTH_FILE")
        .stderr(stderr)
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while get(port, "/health").is_none_or(|r| !r.ends_with("ok")) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, port)
}

#[test]
fn serve_finishes_and_closes_the_database_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (child, _port) = start_server(dir.path(), &[], std::process::Stdio::piped());
    assert!(
        dir.path().join("tia.db").exists(),
        "the SQLite file is created on first start"
    );
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("shutdown signal received"), "{log}");
    assert!(log.contains("closing the database"), "{log}");
}

#[test]
fn serve_without_users_prints_a_one_time_setup_link_and_never_the_db_password() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = tia()
        .arg("serve")
        .arg("--db")
        .arg(dir.path().join("tia.db"))
        .arg("--addr")
        .arg(format!("127.0.0.1:{port}"))
        .env_remove("TIA_API_TOKEN")
        .env_remove("TIA_USER")
        .env_remove("TIA_AUTH_FILE")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The link is printed once, on standard error, with this server's address.
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains("/setup?token=") {
                let _ = tx.send(line);
            }
        }
    });
    let line = rx.recv_timeout(Duration::from_secs(60));
    let _ = child.kill();
    let _ = child.wait();
    let line = line.expect("a setup link within a minute");
    assert!(
        line.contains(&format!("http://127.0.0.1:{port}/setup?token=")),
        "{line}"
    );
    let token = line.rsplit("token=").next().unwrap().trim();
    assert!(token.len() >= 32, "{token}");
    // The database keeps only the token's digest.
    let db = std::fs::read(dir.path().join("tia.db")).unwrap_or_default();
    assert!(
        !String::from_utf8_lossy(&db).contains(token),
        "the token itself is not stored"
    );

    let out = tia()
        .args([
            "serve",
            "--db",
            "postgres://tia:hunter2-secret@127.0.0.1:1/tia",
            "--addr",
        ])
        .arg(format!("127.0.0.1:{}", free_port()))
        .env("TIA_API_TOKEN", "0123456789abcdef0123")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("postgres://tia:***@127.0.0.1:1/tia"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

/// A client that opens a connection and never finishes its headers (slowloris) is cut off after
/// `--header-timeout`; other clients are served meanwhile.
#[test]
fn a_client_that_never_finishes_its_headers_is_cut_off() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let (mut child, port) = start_server(
        dir.path(),
        &["--header-timeout", "1"],
        std::process::Stdio::null(),
    );
    let mut slow: Vec<std::net::TcpStream> = (0..20)
        .map(|_| {
            let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n").unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            s
        })
        .collect();
    // Served meanwhile.
    assert!(get(port, "/health").is_some_and(|r| r.ends_with("ok")));
    let t = std::time::Instant::now();
    for s in &mut slow {
        let mut buf = Vec::new();
        // The server closes the connection (perhaps after a 408): the read ends, not times out.
        let r = s.read_to_end(&mut buf);
        assert!(r.is_ok(), "the connection was not closed: {r:?}");
    }
    assert!(
        t.elapsed() < Duration::from_secs(8),
        "cut off after {:?}",
        t.elapsed()
    );
    let _ = child.kill();
    let _ = child.wait();
}
