//! The register: SQLite always; PostgreSQL when TIA_TEST_POSTGRES_URL names a database
//! (`.ci/run` starts one and runs the ignored test; it fails rather than skips when the URL is
//! missing).

mod common;

use tia::store::{NewVersion, Store};

fn version(path: &str, note: Option<&str>) -> NewVersion {
    let text = std::fs::read_to_string(path).unwrap();
    let report = common::assess_file(path, None, "2026-11-01");
    NewVersion::from_report(path, &text, &report, note.map(String::from), "dpo").unwrap()
}

/// The same checks on either backend.
async fn exercise(store: &Store) {
    let before = store.systems().await.unwrap().len();
    let (system, first) = store
        .create_system("Lasia HR", &version("examples/lasia-2024.yaml", None))
        .await
        .unwrap();
    assert_eq!(first.number, 1);
    assert_eq!(first.verdict, "not_acceptable");
    assert_eq!(first.saved_by, "dpo");
    assert_eq!(system.versions, 1);

    let second = store
        .add_version(
            system.id,
            &version("examples/lasia-2026.yaml", Some("new sub-processors")),
        )
        .await
        .unwrap()
        .expect("the system exists");
    assert_eq!(second.number, 2);
    assert_eq!(second.verdict, "acceptable_with_measures");
    assert_eq!(second.note.as_deref(), Some("new sub-processors"));
    assert_eq!(
        second.knowledge_version,
        tia::Knowledge::embedded().unwrap().meta.version
    );
    assert_eq!(second.as_of, "2026-11-01");

    let v1 = store.version(system.id, 1).await.unwrap().unwrap();
    assert_eq!(
        v1.model_text,
        std::fs::read_to_string("examples/lasia-2024.yaml").unwrap()
    );
    assert_eq!(v1.result["verdict"], "not_acceptable");
    assert_eq!(v1.result["input_sha256"], v1.summary.input_sha256);
    assert_eq!(store.versions(system.id).await.unwrap().len(), 2);
    assert_eq!(
        store
            .system(system.id)
            .await
            .unwrap()
            .unwrap()
            .latest
            .unwrap()
            .number,
        2
    );
    assert!(store.version(system.id, 3).await.unwrap().is_none());
    assert!(store
        .add_version(system.id + 1000, &version("examples/lasia-2026.yaml", None))
        .await
        .unwrap()
        .is_none());

    // Append-only: the schema refuses changes and deletions.
    for sql in [
        "UPDATE versions SET verdict = 'acceptable'",
        "DELETE FROM versions",
        "UPDATE systems SET name = 'x'",
        "DELETE FROM systems",
    ] {
        assert!(store.execute_raw(sql).await.is_err(), "{sql} was allowed");
    }
    assert_eq!(
        store
            .version(system.id, 1)
            .await
            .unwrap()
            .unwrap()
            .summary
            .verdict,
        "not_acceptable"
    );

    // Concurrent saves get distinct, consecutive numbers: 50 at once, none refused.
    let v = version("examples/lasia-2026.yaml", None);
    let mut saves = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (store, v) = (store.clone(), v.clone());
        saves.spawn(async move { store.add_version(system.id, &v).await });
    }
    let mut numbers: Vec<i64> = saves
        .join_all()
        .await
        .into_iter()
        .map(|r| r.unwrap().unwrap().number)
        .collect();
    numbers.sort();
    assert_eq!(numbers, (3..=52).collect::<Vec<_>>());
    assert_eq!(store.systems().await.unwrap().len(), before + 1);
}

/// Two instances on one database (two pools, as two `tia serve` processes have): users,
/// sessions, setup links, events and idempotent saves are shared and hold across them.
async fn two_instances(url: &str) {
    let (a, b) = (
        Store::open(url).await.unwrap(),
        Store::open(url).await.unwrap(),
    );
    let name = format!("user-{}", std::process::id());
    assert!(a.add_user(&name, "hash", "approver", "test").await.unwrap());
    assert!(
        !b.add_user(&name, "other", "admin", "test").await.unwrap(),
        "a name is taken once"
    );
    assert_eq!(
        b.user(&name).await.unwrap(),
        Some(("hash".into(), "approver".into()))
    );
    // A session opened on one instance is known to the other, and ended there for both.
    let ttl = std::time::Duration::from_secs(60);
    a.create_session(&format!("{name}-session"), &name, "approver", ttl)
        .await
        .unwrap();
    assert_eq!(
        b.session(&format!("{name}-session")).await.unwrap(),
        Some((name.clone(), "approver".into()))
    );
    b.delete_session(&format!("{name}-session")).await.unwrap();
    assert_eq!(a.session(&format!("{name}-session")).await.unwrap(), None);
    // An expired session is no session.
    a.create_session(
        &format!("{name}-old"),
        &name,
        "approver",
        std::time::Duration::ZERO,
    )
    .await
    .unwrap();
    assert_eq!(b.session(&format!("{name}-old")).await.unwrap(), None);
    // A setup link is used once, whichever instance is asked first.
    a.create_setup_token(&format!("{name}-setup"), ttl)
        .await
        .unwrap();
    assert!(b.setup_token_valid(&format!("{name}-setup")).await.unwrap());
    let setup = format!("{name}-setup");
    let (x, y) = tokio::join!(a.take_setup_token(&setup), b.take_setup_token(&setup));
    assert_eq!([x.unwrap(), y.unwrap()].iter().filter(|t| **t).count(), 1);
    // Events from both, in order; never changed.
    let (system, _) = a
        .create_system("Delad", &version("examples/lasia-2024.yaml", None))
        .await
        .unwrap();
    use tia::store::EventKind;
    a.add_event(
        system.id,
        Some(1),
        EventKind::SignOff,
        &name,
        Some("ok"),
        None,
    )
    .await
    .unwrap()
    .unwrap();
    b.add_event(
        system.id,
        None,
        EventKind::Rename,
        "editor",
        None,
        Some("Nytt"),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(a
        .add_event(system.id, Some(9), EventKind::SignOff, &name, None, None)
        .await
        .unwrap()
        .is_none());
    let events = b.events(system.id).await.unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(a.system(system.id).await.unwrap().unwrap().name, "Nytt");
    assert!(a.execute_raw("DELETE FROM events").await.is_err());
    // The same save retried on both instances at once makes one version.
    let mut v = version("examples/lasia-2026.yaml", None);
    v.idempotency_key = Some("retry-1".into());
    let (x, y) = tokio::join!(a.add_version(system.id, &v), b.add_version(system.id, &v));
    let (x, y) = (x.unwrap().unwrap(), y.unwrap().unwrap());
    assert_eq!((x.number, y.number), (2, 2));
    assert_eq!(a.versions(system.id).await.unwrap().len(), 2);
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn sqlite_two_instances_share_users_sessions_and_events() {
    let dir = tempfile::tempdir().unwrap();
    two_instances(dir.path().join("tia.db").to_str().unwrap()).await;
}

#[tokio::test]
async fn sqlite_register_is_append_only_and_numbers_versions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tia.db");
    let store = Store::open(path.to_str().unwrap()).await.unwrap();
    assert_eq!(
        store.sqlite_journal_mode().await.unwrap().as_deref(),
        Some("wal")
    );
    exercise(&store).await;
    store.close().await;

    // Reopening runs the migrations again without harm and keeps the data.
    let store = Store::open(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    assert_eq!(store.systems().await.unwrap().len(), 1);
    assert_eq!(store.versions(1).await.unwrap().len(), 52);
}

#[tokio::test]
async fn a_failed_save_leaves_no_partial_system() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("tia.db").to_str().unwrap())
        .await
        .unwrap();
    // Make the version insert fail inside the transaction that created the system row.
    store
        .execute_raw(
            "CREATE TRIGGER fail_marked BEFORE INSERT ON versions WHEN NEW.note = 'fail' \
             BEGIN SELECT RAISE(ABORT, 'simulated failure'); END",
        )
        .await
        .unwrap();
    let err = store
        .create_system("Broken", &version("examples/lasia-2026.yaml", Some("fail")))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("simulated failure"), "{err}");
    assert!(store.systems().await.unwrap().is_empty());
}

#[tokio::test]
#[ignore = "needs PostgreSQL: set TIA_TEST_POSTGRES_URL (.ci/run starts one and runs this)"]
async fn postgres_register_is_append_only_and_numbers_versions() {
    let url = std::env::var("TIA_TEST_POSTGRES_URL")
        .expect("TIA_TEST_POSTGRES_URL must name a PostgreSQL database for this test");
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.backend(), tia::store::Backend::Postgres);
    exercise(&store).await;
    two_instances(&url).await;
    two_servers(&url);
}

/// A `tia serve` process, stopped when dropped.
struct Server(std::process::Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port()
}

/// One HTTP/1.1 request: the status, the headers (lower-case names) and the body.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Vec<(String, String)>, String) {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    conn.write_all(req.as_bytes()).unwrap();
    let mut raw = String::new();
    conn.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, body.to_string())
}

fn start_server(url: &str, dir: &std::path::Path) -> Server {
    let addr = format!("127.0.0.1:{}", free_port());
    let log = std::fs::File::create(dir.join(format!("{}.log", addr.replace(':', "-")))).unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_tia"))
        .args(["serve", "--db", url, "--addr", &addr])
        .env_remove("TIA_API_TOKEN")
        .env_remove("TIA_USER")
        .env_remove("TIA_PASSWORD_HASH")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let server = Server(child, addr);
    let start = std::time::Instant::now();
    while std::net::TcpStream::connect(&server.1).is_err()
        || http(&server.1, "GET", "/health", &[], "").0 != 200
    {
        assert!(start.elapsed().as_secs() < 60, "tia serve did not start");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    server
}

/// Two `tia serve` processes on one PostgreSQL database: a user logs in on the first, saves
/// through the second with the same cookie, and logs out on the second, which ends the session
/// on the first too.
fn two_servers(url: &str) {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let name = format!("two-servers-{}", std::process::id());
    let password = "two servers one database";
    let mut add = std::process::Command::new(env!("CARGO_BIN_EXE_tia"))
        .args(["user", "add", &name, "--role", "editor", "--db", url])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(add.stdin.take().unwrap(), "{password}").unwrap();
    let out = add.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let a = start_server(url, dir.path());
    let b = start_server(url, dir.path());

    let form = format!(
        "username={name}&password={}&next=/",
        password.replace(' ', "+")
    );
    let (status, headers, _) = http(
        &a.1,
        "POST",
        "/login",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &form,
    );
    assert_eq!(status, 303, "the login on the first server");
    let cookie = headers
        .iter()
        .find(|(k, v)| k == "set-cookie" && v.starts_with("tia_session="))
        .map(|(_, v)| v.split(';').next().unwrap().to_string())
        .expect("a session cookie");

    let model = std::fs::read_to_string("examples/lasia-2024.yaml").unwrap();
    let (status, _, body) = http(
        &b.1,
        "POST",
        "/api/systems?name=Two+servers",
        &[("Cookie", &cookie), ("Content-Type", "application/yaml")],
        &model,
    );
    assert_eq!(status, 201, "saved through the second server: {body}");
    let created: serde_json::Value = serde_json::from_str(&body).unwrap();
    let id = created["system"]["id"].as_i64().unwrap();
    assert_eq!(created["version"]["saved_by"], name.as_str());

    let (status, _, body) = http(
        &a.1,
        "GET",
        &format!("/api/systems/{id}"),
        &[("Cookie", &cookie)],
        "",
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Two servers"));

    let token = tia::server::auth::csrf_token(cookie.trim_start_matches("tia_session="));
    let (status, _, _) = http(
        &b.1,
        "POST",
        "/logout",
        &[
            ("Cookie", &cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        &format!("_csrf={token}"),
    );
    assert_eq!(status, 303, "the logout on the second server");
    let (status, _, _) = http(&a.1, "GET", "/api/systems", &[("Cookie", &cookie)], "");
    assert_eq!(status, 401, "the session ended on the first server too");
}
