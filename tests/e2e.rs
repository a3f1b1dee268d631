//! End to end in a real browser: the `tia` binary serves the register, headless Chromium
//! (driven through chromedriver) logs in, uploads a model, sees the verdict and the flow graph,
//! uploads a new version, reads the change report with a notice date, and downloads the memo.
//! Also takes a screenshot of the system page (`TIA_UPDATE_SCREENSHOT=1` writes it to
//! `docs/screenshot-system.png` for the README; otherwise to `target/tmp/`).
//!
//! Needs Debian's `chromium` and `chromium-driver` packages (no browser is downloaded) and
//! `typst` (for the memo), so it is ignored by plain `cargo test`; `.ci/run` runs it with
//! `cargo test --test e2e -- --ignored`. Then a missing browser is a failure, not a skip.
//! `TIA_E2E_CHROMIUM` and `TIA_E2E_CHROMEDRIVER` override the paths.

use axum::body::Bytes;
use axum::http::{header, Request, StatusCode};
use fantoccini::{Client, ClientBuilder, Locator};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::connect::HttpConnector;
use std::error::Error;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

type Result<T, E = Box<dyn Error>> = std::result::Result<T, E>;

const USER: &str = "dpo";
const PASSWORD: &str = "e2e correct horse battery";
const WAIT: Duration = Duration::from_secs(30);

/// Fails the flow (not the thread) so the browser session is still closed.
macro_rules! ensure {
    ($cond:expr, $($arg:tt)+) => {
        if !$cond {
            return Err(format!($($arg)+).into());
        }
    };
}

/// A child process (in its own process group) that is stopped when the test ends, also on
/// panic; the group is signalled so a browser started by chromedriver goes too.
struct Guard {
    name: &'static str,
    child: Child,
    log: PathBuf,
}

impl Guard {
    fn spawn(name: &'static str, mut cmd: Command, log: PathBuf) -> Guard {
        let out = std::fs::File::create(&log).expect("create the log file");
        let err = out.try_clone().expect("clone the log file");
        cmd.stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({:?}): {e}", cmd.get_program()));
        Guard { name, child, log }
    }

    /// Fails when the process has already exited (it should be serving).
    fn check_running(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            return Err(format!("{} exited with {status}:\n{}", self.name, self.log_text()).into());
        }
        Ok(())
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // The whole group: chromedriver's browser and its helpers, the server alone.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "---- {} log ({}) ----\n{}",
                self.name,
                self.log.display(),
                self.log_text()
            );
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free local port")
        .port()
}

/// A program that must exist: the test fails (never skips) without it.
fn required(var: &str, default: &str, package: &str) -> PathBuf {
    let path = std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from);
    assert!(
        path.is_file(),
        "{} is missing: install it with `sudo apt-get install -y {package}` (or set {var})",
        path.display()
    );
    path
}

type Http = hyper_util::client::legacy::Client<HttpConnector, Empty<Bytes>>;

fn http() -> Http {
    hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build(HttpConnector::new())
}

/// GET `url`, optionally with a Cookie header: status, content type and body.
async fn get(
    http: &Http,
    url: &str,
    cookie: Option<&str>,
) -> Result<(StatusCode, String, Vec<u8>)> {
    let mut req = Request::get(url);
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let res = tokio::time::timeout(
        Duration::from_secs(120),
        http.request(req.body(Empty::new())?),
    )
    .await
    .map_err(|_| format!("GET {url} timed out"))??;
    let status = res.status();
    let ctype = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = res.into_body().collect().await?.to_bytes().to_vec();
    Ok((status, ctype, body))
}

/// Polls `url` until it answers 200, while `guard`'s process keeps running.
async fn wait_until_up(http: &Http, url: &str, guard: &mut Guard) {
    let start = Instant::now();
    loop {
        if let Err(e) = guard.check_running() {
            panic!("{e}");
        }
        if let Ok((StatusCode::OK, _, _)) = get(http, url, None).await {
            return;
        }
        assert!(
            start.elapsed() < WAIT,
            "{} did not answer {url} within {WAIT:?}:\n{}",
            guard.name,
            guard.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An argon2 hash from `tia hash-password`, the password on standard input.
fn hash_password(password: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tia"))
        .arg("hash-password")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run tia hash-password");
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "tia hash-password: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hash = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(hash.starts_with("$argon2"), "not a PHC string: {hash}");
    hash
}

/// The server's PATH: typst is usually installed by cargo, in ~/.cargo/bin.
fn path_with_cargo_bin() -> std::ffi::OsString {
    let mut dirs: Vec<PathBuf> = std::env::var_os("HOME")
        .map(|h| vec![Path::new(&h).join(".cargo/bin")])
        .unwrap_or_default();
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap()
}

/// Chromium and chromedriver: the test fails (never skips) without them.
fn browser_programs() -> (PathBuf, PathBuf) {
    (
        required("TIA_E2E_CHROMIUM", "/usr/bin/chromium", "chromium"),
        required(
            "TIA_E2E_CHROMEDRIVER",
            "/usr/bin/chromedriver",
            "chromium-driver",
        ),
    )
}

/// `tia serve` on `base` over a fresh SQLite register in `dir`, with this credentials file and
/// environment, answering before this returns.
async fn start_server(
    http: &Http,
    dir: &Path,
    base: &str,
    auth: &str,
    env: &[(&str, &str)],
) -> Guard {
    let auth_file = dir.join("auth.yaml");
    std::fs::write(&auth_file, auth).unwrap();
    let mut serve = Command::new(env!("CARGO_BIN_EXE_tia"));
    serve
        .arg("serve")
        .arg("--db")
        .arg(dir.join("tia.db"))
        .args(["--addr", base.trim_start_matches("http://")])
        .arg("--auth")
        .arg(&auth_file)
        .env("PATH", path_with_cargo_bin())
        .env_remove("TIA_API_TOKEN")
        .env_remove("TIA_USER")
        .env_remove("TIA_PASSWORD_HASH")
        .env_remove("TIA_KNOWLEDGE")
        .current_dir(dir);
    for (k, v) in env {
        serve.env(k, v);
    }
    let mut server = Guard::spawn("tia serve", serve, dir.join("serve.log"));
    wait_until_up(http, &format!("{base}/health"), &mut server).await;
    server
}

/// The credentials file of one password user, `dpo`.
fn password_user() -> String {
    format!(
        "users: [{{name: {USER}, password_hash: '{}'}}]\n",
        hash_password(PASSWORD)
    )
}

/// Closes the browser; when the flow failed, keeps what the browser showed in
/// `target/tmp/NAME-failure.{png,html}`.
async fn close_browser(client: Client, result: &Result<()>, name: &str) {
    if result.is_err() {
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        if let Ok(png) = client.screenshot().await {
            let _ = std::fs::write(tmp.join(format!("{name}-failure.png")), png);
        }
        if let Ok(html) = client.source().await {
            let _ = std::fs::write(tmp.join(format!("{name}-failure.html")), html);
        }
        eprintln!(
            "the failing page: {}/{name}-failure.{{png,html}}",
            tmp.display()
        );
    }
    let _ = client.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver (Debian packages); .ci/run runs it with --ignored"]
async fn browser_logs_in_uploads_versions_reads_the_change_report_and_downloads_the_memo() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let http = http();
    let s = Session::start(&http).await;
    let result = flow(&s.client, &http, &s.base, root).await;
    s.finish(result, "e2e").await;
}

/// Signs the password user in on the login page the browser shows, landing on the start page.
async fn sign_in(c: &Client) -> Result<()> {
    c.find(Locator::Id("username"))
        .await?
        .send_keys(USER)
        .await?;
    c.find(Locator::Id("password"))
        .await?
        .send_keys(PASSWORD)
        .await?;
    c.find(Locator::Id("login")).await?.click().await?;
    wait_for_path(c, |p| p == "/").await?;
    Ok(())
}

/// A test's register and browser: `tia serve` over a fresh SQLite file with the password user,
/// and a headless Chromium driven by chromedriver, in one temporary folder.
struct Session {
    // Dropped in this order: the browser's driver, then the server, then their folder.
    client: Client,
    _driver: Guard,
    server: Guard,
    base: String,
    dir: tempfile::TempDir,
}

impl Session {
    async fn start(http: &Http) -> Session {
        let (chromium, chromedriver) = browser_programs();
        let dir = tempfile::tempdir().unwrap();
        let base = format!("http://127.0.0.1:{}", free_port());
        let server = start_server(http, dir.path(), &base, &password_user(), &[]).await;
        let (client, _driver) = browser(http, dir.path(), &chromium, &chromedriver).await;
        Session {
            client,
            _driver,
            server,
            base,
            dir,
        }
    }

    /// Closes the browser (a failing page is kept as `name`-failure.png/.html) and fails the
    /// test with the server's log when `result` is an error.
    async fn finish(self, result: Result<()>, name: &str) {
        close_browser(self.client, &result, name).await;
        if let Err(e) = result {
            panic!("{e}\n---- tia serve log ----\n{}", self.server.log_text());
        }
    }
}

/// chromedriver and a headless Chromium session with its own profile in `dir`.
async fn browser(http: &Http, dir: &Path, chromium: &Path, chromedriver: &Path) -> (Client, Guard) {
    let driver_url = format!("http://127.0.0.1:{}", free_port());
    let mut driver_cmd = Command::new(chromedriver);
    driver_cmd.arg(format!("--port={}", driver_url.rsplit(':').next().unwrap()));
    let mut driver = Guard::spawn("chromedriver", driver_cmd, dir.join("chromedriver.log"));
    wait_until_up(http, &format!("{driver_url}/status"), &mut driver).await;
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,900", "--lang=sv-SE",
                format!("--user-data-dir={}", dir.join("profile").display()),
            ],
        }),
    );
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&driver_url)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "cannot start a chromium session: {e}\n{}",
                driver.log_text()
            )
        });
    (client, driver)
}

async fn flow(c: &Client, http: &Http, base: &str, root: &Path) -> Result<()> {
    // Anyone not logged in is sent to the login page, and back afterwards.
    c.goto(&format!("{base}/")).await?;
    wait_for_path(c, |p| p == "/login").await?;
    sign_in(c).await?;

    // A new system from an uploaded file: the verdict and the flow graph.
    let lasia_2024 = root.join("examples/lasia-2024.yaml");
    c.find(Locator::Id("model_file"))
        .await?
        .send_keys(&lasia_2024.to_string_lossy())
        .await?;
    c.find(Locator::Id("save-system")).await?.click().await?;
    let system = wait_for_path(c, |p| p.starts_with("/systems/") && !p.contains("/diff")).await?;
    let verdict = c
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id("verdict"))
        .await?
        .text()
        .await?;
    ensure!(
        verdict.contains("Ej godtagbar"),
        "the verdict of lasia-2024: {verdict}"
    );
    let svg = c.find_all(Locator::Css("#graph svg")).await?;
    ensure!(svg.len() == 1, "the system page has no flow graph");
    let graph = svg[0].text().await?;
    ensure!(
        graph.contains("Microsoft"),
        "the flow graph does not show Microsoft: {graph}"
    );
    // The README's screenshot is rewritten only when asked for, so a test run leaves the tree
    // as it was.
    let shot = if std::env::var_os("TIA_UPDATE_SCREENSHOT").is_some() {
        root.join("docs/screenshot-system.png")
    } else {
        root.join("target/tmp/screenshot-system.png")
    };
    page_screenshot(c, &shot).await?;

    // A new version on the system page leads to the change report.
    let lasia_2026 = root.join("examples/lasia-2026.yaml");
    c.find(Locator::Css("#new-version #model_file"))
        .await?
        .send_keys(&lasia_2026.to_string_lossy())
        .await?;
    c.find(Locator::Id("save-version")).await?.click().await?;
    wait_for_path(c, |p| p == format!("{system}/diff")).await?;

    // The notice date gives the last day to object. (A date input's typing order depends on
    // the locale, so the value is set directly, as a date picker would.)
    let date = c.find(Locator::Id("notice_date")).await?;
    c.execute(
        "arguments[0].value = arguments[1];",
        vec![serde_json::to_value(&date)?, "2025-11-16".into()],
    )
    .await?;
    c.find(Locator::Css("#deadline form button[type=submit]"))
        .await?
        .click()
        .await?;
    wait_for(c, "the diff with the notice date", |_, query| {
        query.contains("notice_date=2025-11-16")
    })
    .await?;
    let deadline = c.find(Locator::Id("deadline")).await?.text().await?;
    ensure!(
        deadline.contains("sista dag att invända är den 2025-12-15."),
        "the deadline section: {deadline}"
    );
    let mut added = Vec::new();
    let mut removed = Vec::new();
    for row in c.find_all(Locator::Css("#parties tr")).await? {
        let text = row.text().await?;
        if let Some(rest) = text.strip_prefix("Tillkomna") {
            added.push(rest.trim().to_string());
        } else if let Some(rest) = text.strip_prefix("Borttagna") {
            removed.push(rest.trim().to_string());
        }
    }
    let has = |rows: &[String], name: &str| rows.iter().any(|r| r.contains(name));
    ensure!(
        has(&removed, "Microsoft Ireland Operations Limited")
            && has(&removed, "Amazon Web Services EMEA SARL"),
        "Microsoft and Amazon should be removed; removed: {removed:?}"
    );
    ensure!(
        has(&added, "Elastx AB"),
        "Elastx should be added; added: {added:?}"
    );
    ensure!(
        !has(&added, "Microsoft") && !has(&added, "Amazon") && !has(&removed, "Elastx"),
        "added: {added:?}, removed: {removed:?}"
    );

    // Back to the system page (now version 2), and its memo as a PDF, fetched with the
    // browser's session cookie.
    c.find(Locator::Css(&format!("h1 a[href='{system}']")))
        .await?
        .click()
        .await?;
    wait_for_path(c, |p| p == system).await?;
    let memo = c
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id("memo-sv"))
        .await;
    let memo = match memo {
        Ok(m) => m,
        Err(_) => {
            let docs = c.find(Locator::Id("documents")).await?.text().await?;
            return Err(format!("no memo link (is typst on the server's PATH?): {docs}").into());
        }
    };
    let href = memo
        .prop("href")
        .await?
        .ok_or("the memo link has no href")?;
    ensure!(
        href.contains("/versions/2/memo.pdf"),
        "the memo link: {href}"
    );
    let session = c.get_named_cookie("tia_session").await?;
    let (status, ctype, pdf) = get(
        http,
        &href,
        Some(&format!("tia_session={}", session.value())),
    )
    .await?;
    ensure!(
        status == StatusCode::OK,
        "GET {href}: {status}: {}",
        String::from_utf8_lossy(&pdf)
    );
    ensure!(
        ctype == "application/pdf",
        "GET {href}: content type {ctype}"
    );
    ensure!(
        pdf.starts_with(b"%PDF-"),
        "the memo is not a PDF: {:?}",
        &pdf[..pdf.len().min(64)]
    );
    // Without the cookie it is not served.
    let (status, _, _) = get(http, &href, None).await?;
    ensure!(
        status.is_redirection(),
        "the memo without a session: {status}"
    );

    // The administrator signs version 2 off as decision basis; the history shows it.
    c.find(Locator::Id("sign-off-comment"))
        .await?
        .send_keys("Enligt beslut KS 2026/12")
        .await?;
    c.find(Locator::Id("sign-off")).await?.click().await?;
    wait_for_path(c, |p| p == system).await?;
    let events = c.find(Locator::Id("events")).await?.text().await?;
    ensure!(
        events.contains("Godkänd som beslutsunderlag")
            && events.contains("Enligt beslut KS 2026/12"),
        "the events: {events}"
    );

    // On a phone (375 px wide) the page reflows: nothing but tables scrolls sideways.
    c.set_window_size(375, 800).await?;
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await?;
    let offenders = c
        .execute(
            "const w = document.documentElement.clientWidth; return Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest('table')).slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().width)).join(', ');",
            vec![],
        )
        .await?;
    ensure!(
        overflow.as_i64().unwrap_or(1) <= 0,
        "the page is wider than 375 px by {overflow}: {offenders}"
    );
    Ok(())
}

/// Waits until the current URL's path and query satisfy `ready`; returns the path.
async fn wait_for(c: &Client, what: &str, ready: impl Fn(&str, &str) -> bool) -> Result<String> {
    let start = Instant::now();
    loop {
        let url = c.current_url().await?;
        if ready(url.path(), url.query().unwrap_or_default()) {
            return Ok(url.path().to_string());
        }
        ensure!(
            start.elapsed() < WAIT,
            "waited {WAIT:?} for {what}; still at {url}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the current path satisfies `ready`, and returns it.
async fn wait_for_path(c: &Client, ready: impl Fn(&str) -> bool) -> Result<String> {
    wait_for(c, "the next page", |path, _| ready(path)).await
}

/// The top of the page as a reader first sees it (1280 × 1500): the verdict, the documents and
/// the flow graph.
async fn page_screenshot(c: &Client, to: &Path) -> Result<()> {
    let (width, height) = c.get_window_size().await?;
    c.set_window_size(1280, 1500).await?;
    let png = c.screenshot().await?;
    c.set_window_size(width as u32, height as u32).await?;
    ensure!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
    std::fs::create_dir_all(to.parent().unwrap())?;
    std::fs::write(to, &png)?;
    Ok(())
}

/// Node.js, from `TIA_E2E_NODE` or the PATH: the test fails (never skips) without it.
fn node() -> PathBuf {
    if let Some(p) = std::env::var_os("TIA_E2E_NODE") {
        return PathBuf::from(p);
    }
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join("node"))
        .find(|p| p.is_file())
        .expect("node is missing: install Node.js (`sudo apt-get install -y nodejs`) or set TIA_E2E_NODE")
}

const SSO_SECRET: &str = "tia-e2e-client-secret-0123456789";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium, chromedriver and Node.js with tests/oidc's packages; .ci/run runs it with --ignored"]
async fn browser_signs_in_with_openid_connect_and_the_groups_claim_gives_the_role() {
    let (chromium, chromedriver) = browser_programs();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let provider_dir = root.join("tests/oidc");
    assert!(
        provider_dir.join("node_modules/oidc-provider").is_dir(),
        "the OpenID provider's package is missing: run `npm ci --prefix tests/oidc` (scripts/test does)"
    );
    let dir = tempfile::tempdir().unwrap();
    let http = http();
    let base = format!("http://127.0.0.1:{}", free_port());
    let issuer = format!("http://127.0.0.1:{}", free_port());

    // A real OpenID provider (oidc-provider from npm) on 127.0.0.1.
    let mut provider_cmd = Command::new(node());
    provider_cmd
        .arg("provider.mjs")
        .current_dir(&provider_dir)
        .env("PORT", issuer.rsplit(':').next().unwrap())
        .env("REDIRECT_URI", format!("{base}/login/oidc/callback"))
        .env("CLIENT_SECRET", SSO_SECRET);
    let mut provider = Guard::spawn("oidc-provider", provider_cmd, dir.path().join("oidc.log"));
    wait_until_up(
        &http,
        &format!("{issuer}/.well-known/openid-configuration"),
        &mut provider,
    )
    .await;

    // tia with single sign-on only: no password users; the secret from the environment.
    let auth = format!(
        "oidc:\n  issuer: {issuer}\n  client_id: tia\n  redirect_url: {base}/login/oidc/callback\n  \
         scopes: [profile, groups]\n  role_claim: groups\n  label: Kommunens konto\n  \
         roles: {{ tia-approvers: approver, tia-readers: reader }}\n"
    );
    let server = start_server(
        &http,
        dir.path(),
        &base,
        &auth,
        &[("TIA_OIDC_CLIENT_SECRET", SSO_SECRET)],
    )
    .await;

    // A callback without the browser's flow cookie is refused, whatever its code.
    let (status, _, body) = get(
        &http,
        &format!("{base}/login/oidc/callback?code=forged&state=forged"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&body).contains("sso-problem"));

    let (client, _driver) = browser(&http, dir.path(), &chromium, &chromedriver).await;
    let result = sso_flow(&client, &base, root).await;
    close_browser(client, &result, "e2e-sso").await;
    if let Err(e) = result {
        panic!(
            "{e}\n---- tia serve log ----\n{}\n---- oidc-provider log ----\n{}",
            server.log_text(),
            provider.log_text()
        );
    }
    let log = server.log_text();
    assert!(
        log.contains("signed in with OpenID Connect") && log.contains("dpo-anna"),
        "the server logs the sign-in:\n{log}"
    );
}

/// Signs in at the provider's own pages (any password is accepted for its test accounts) and
/// consents; ends back in tia.
async fn sso_sign_in(c: &Client, base: &str, account: &str) -> Result<()> {
    c.goto(&format!("{base}/")).await?;
    wait_for_path(c, |p| p == "/login").await?;
    let button = c.find(Locator::Id("sso")).await?;
    let label = button.text().await?;
    ensure!(
        label.contains("Kommunens konto"),
        "the sign-in button: {label}"
    );
    button.click().await?;
    wait_for_path(c, |p| p.starts_with("/interaction/")).await?;
    c.find(Locator::Css("input[name=login]"))
        .await?
        .send_keys(account)
        .await?;
    c.find(Locator::Css("input[name=password]"))
        .await?
        .send_keys("any password will do")
        .await?;
    c.find(Locator::Css("button[type=submit]"))
        .await?
        .click()
        .await?;
    // The consent page, the first time a client asks for these scopes.
    let start = Instant::now();
    loop {
        let url = c.current_url().await?;
        if url.as_str().starts_with(base) {
            return Ok(());
        }
        if url.path().starts_with("/interaction/") {
            if let Ok(b) = c.find(Locator::Css("button[type=submit]")).await {
                let _ = b.click().await;
            }
        }
        ensure!(start.elapsed() < WAIT, "still at the provider: {url}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Signs in and checks that the header names the account and the role its groups give.
async fn signed_in_as(c: &Client, base: &str, account: &str, role: &str) -> Result<()> {
    sso_sign_in(c, base, account).await?;
    wait_for_path(c, |p| p == "/").await?;
    let who = c.find(Locator::Id("whoami")).await?.text().await?;
    ensure!(
        who.contains(account) && who.contains(role),
        "the header after signing in as {account}: {who}"
    );
    Ok(())
}

/// Leaves tia and the provider (their cookies share the host 127.0.0.1).
async fn sso_sign_out(c: &Client) -> Result<()> {
    c.find(Locator::Css("header form button[type=submit]"))
        .await?
        .click()
        .await?;
    wait_for_path(c, |p| p == "/login").await?;
    c.delete_all_cookies().await?;
    Ok(())
}

async fn sso_flow(c: &Client, base: &str, root: &Path) -> Result<()> {
    // An approver by the `groups` claim (which this provider gives only at userinfo).
    signed_in_as(c, base, "dpo-anna", "Godkännare").await?;
    // An approver may create a system and sign a version off; the history names them.
    c.find(Locator::Id("model_file"))
        .await?
        .send_keys(&root.join("examples/lasia-2024.yaml").to_string_lossy())
        .await?;
    c.find(Locator::Id("save-system")).await?.click().await?;
    let system = wait_for_path(c, |p| p.starts_with("/systems/")).await?;
    c.find(Locator::Id("sign-off-comment"))
        .await?
        .send_keys("Beslutsunderlag enligt nämndens beslut")
        .await?;
    c.find(Locator::Id("sign-off")).await?.click().await?;
    wait_for(c, "the history after sign-off", |p, q| {
        p == system && q.contains("v=1")
    })
    .await?;
    let events = c.find(Locator::Id("events")).await?.text().await?;
    ensure!(
        events.contains("dpo-anna") && events.contains("Beslutsunderlag enligt nämndens beslut"),
        "the history: {events}"
    );
    sso_sign_out(c).await?;

    // A reader by the claim: sees the system, but may neither save nor sign off.
    signed_in_as(c, base, "reader-bo", "Läsare").await?;
    c.goto(&format!("{base}{system}")).await?;
    let page = c.source().await?;
    ensure!(
        page.contains("Beslutsunderlag enligt nämndens beslut")
            && !page.contains("id=\"sign-off\"")
            && !page.contains("id=\"save-version\""),
        "a reader's system page offers sign-off or saving"
    );
    sso_sign_out(c).await?;

    // An account whose groups map to no role is refused, by name.
    sso_sign_in(c, base, "guest-cy").await?;
    wait_for_path(c, |p| p == "/login/oidc/callback").await?;
    let problem = c.find(Locator::Id("sso-problem")).await?.text().await?;
    ensure!(
        problem.contains("guest-cy") && problem.contains("ingen roll"),
        "the refusal: {problem}"
    );
    c.goto(&format!("{base}/")).await?;
    wait_for_path(c, |p| p == "/login").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver (Debian packages); .ci/run runs it with --ignored"]
async fn browser_builds_a_model_in_the_form_edits_it_and_reads_the_change_report() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let s = Session::start(&http()).await;
    let result = form_flow(&s.client, &s.base, root).await;
    s.finish(result, "e2e-form").await;
}

fn by_name(name: &str) -> String {
    format!("[name=\"{name}\"]")
}

async fn type_into(c: &Client, name: &str, text: &str) -> Result<()> {
    let field = c.find(Locator::Css(&by_name(name))).await?;
    field.clear().await?;
    field.send_keys(text).await?;
    Ok(())
}

async fn choose(c: &Client, name: &str, value: &str) -> Result<()> {
    c.find(Locator::Css(&by_name(name)))
        .await?
        .select_by_value(value)
        .await?;
    Ok(())
}

async fn tick(c: &Client, name: &str, value: &str) -> Result<()> {
    c.find(Locator::Css(&format!(
        "{}[value=\"{value}\"]",
        by_name(name)
    )))
    .await?
    .click()
    .await?;
    Ok(())
}

async fn assessment_text(c: &Client) -> Result<String> {
    Ok(c.wait()
        .at_most(WAIT)
        .for_element(Locator::Id("assessment"))
        .await?
        .text()
        .await?)
}

/// A new system built in the form (no YAML), previewed, saved; edited in the form into a new
/// version; the change report read.
async fn form_flow(c: &Client, base: &str, root: &Path) -> Result<()> {
    c.goto(&format!("{base}/login")).await?;
    sign_in(c).await?;
    c.find(Locator::Id("new-form")).await?.click().await?;
    wait_for_path(c, |p| p == "/systems/new").await?;

    type_into(c, "assessment.title", "Lön i molnet").await?;
    type_into(c, "controller.name", "Exempelkommunen").await?;
    type_into(c, "controller.country", "SE").await?;
    choose(c, "controller.kind", "public_body").await?;
    type_into(c, "processing.purpose", "Löneadministration").await?;
    tick(c, "processing.data_subjects", "employees").await?;
    tick(c, "processing.data_categories", "identity").await?;
    tick(c, "processing.data_categories", "salary").await?;
    type_into(c, "p0.vendor", "microsoft-ireland").await?;
    choose(c, "p0.role", "processor").await?;
    type_into(c, "f0.from", "controller").await?;
    type_into(c, "f0.to", "microsoft-ireland").await?;
    choose(c, "f0.access", "cleartext").await?;
    // With JavaScript a row is added on demand (without it the form always has empty rows).
    let before = c
        .find_all(Locator::Css("#party-rows fieldset.row"))
        .await?
        .len();
    c.find(Locator::Css("[data-add=party-rows]"))
        .await?
        .click()
        .await?;
    let after = c.find_all(Locator::Css("#party-rows fieldset.row")).await?;
    ensure!(after.len() == before + 1, "the add button added no row");
    let added = after[before]
        .find(Locator::Css("input[name$='.vendor']"))
        .await?;
    ensure!(
        added.attr("name").await?.as_deref() == Some(&format!("p{before}.vendor")[..]),
        "the new row is numbered after the others"
    );
    type_into(c, "name", "Lön").await?;

    c.find(Locator::Id("preview")).await?.click().await?;
    wait_for_path(c, |p| p == "/systems/new").await?;
    let panel = assessment_text(c).await?;
    ensure!(
        panel.contains("Förhandsgranskning – inte sparad") && panel.contains("Ej godtagbar"),
        "the preview beside the form: {panel}"
    );
    let shot = if std::env::var_os("TIA_UPDATE_SCREENSHOT").is_some() {
        root.join("docs/screenshot-form.png")
    } else {
        root.join("target/tmp/screenshot-form.png")
    };
    page_screenshot(c, &shot).await?;

    c.find(Locator::Id("save-form")).await?.click().await?;
    let system = wait_for_path(c, |p| p.starts_with("/systems/") && p != "/systems/new").await?;
    let verdict = c.find(Locator::Id("verdict")).await?.text().await?;
    ensure!(
        verdict.contains("Ej godtagbar"),
        "the saved verdict: {verdict}"
    );

    // Edit: the data stored encrypted with keys only the controller holds.
    c.find(Locator::Id("edit-form")).await?.click().await?;
    wait_for_path(c, |p| p == format!("{system}/edit")).await?;
    choose(c, "f0.access", "storage_encrypted").await?;
    choose(c, "f0.key_holder", "controller").await?;
    type_into(c, "note", "Kundhållna nycklar").await?;
    c.find(Locator::Id("save-form")).await?.click().await?;
    wait_for(c, "the saved form", |p, q| {
        p == format!("{system}/edit") && q == "saved=2"
    })
    .await?;
    let saved = c.find(Locator::Id("saved")).await?.text().await?;
    ensure!(
        saved.contains("Version 2 är sparad."),
        "the banner: {saved}"
    );
    let panel = assessment_text(c).await?;
    ensure!(
        panel.contains("Som sparad") && !panel.contains("Ej godtagbar"),
        "the new version's assessment beside the form: {panel}"
    );
    c.find(Locator::Id("change-report")).await?.click().await?;
    wait_for(c, "the change report", |p, q| {
        p == format!("{system}/diff") && q.contains("from=1") && q.contains("to=2")
    })
    .await?;
    let report = c.find(Locator::Css("main")).await?.text().await?;
    ensure!(
        report.contains("Ej godtagbar") && report.contains("krypterad lagring"),
        "the change report names the old verdict and the new access: {report}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromedriver (Debian packages); .ci/run runs it with --ignored"]
async fn browser_judges_the_portfolio_under_a_what_if_and_lists_what_flips() {
    let s = Session::start(&http()).await;
    let dir = &s.dir;
    // Two systems for the register: a US SaaS whose only tool is the DPF (the DPO read it on
    // the DPF List), and one that stays in Sweden.
    let model = |title: &str, party: &str| {
        format!(
            "assessment: {{ title: \"{title}\", policy: gdpr-baseline }}\n\
             controller: {{ name: Exempel kommun, country: SE, kind: public_body }}\n\
             processing:\n  purpose: Bokningar\n  data_subjects: [customers]\n  data_categories: [contact]\n\
             parties:\n  - {{ id: saas, role: processor, {party} }}\n\
             flows:\n  - {{ from: controller, to: saas, access: cleartext }}\n"
        )
    };
    let dpf = dir.path().join("dpf.yaml");
    std::fs::write(
        &dpf,
        model(
            "Bokning via DPF",
            "name: Saas Inc, incorporated: US, locations: [US], parents: none, ownership_source: \"SEC 10-K\", dpf_certified: true",
        ),
    )
    .unwrap();
    let eu = dir.path().join("eu.yaml");
    std::fs::write(
        &eu,
        model(
            "Bokning i Sverige",
            "name: Bokning AB, incorporated: SE, locations: [SE], parents: none, ownership_source: \"Bolagsverket\"",
        ),
    )
    .unwrap();
    let result = portfolio_flow(&s.client, &s.base, &[&dpf, &eu]).await;
    s.finish(result, "e2e-portfolio").await;
}

async fn portfolio_flow(c: &Client, base: &str, models: &[&Path]) -> Result<()> {
    c.goto(&format!("{base}/login")).await?;
    sign_in(c).await?;
    for m in models {
        c.goto(&format!("{base}/")).await?;
        c.find(Locator::Id("model_file"))
            .await?
            .send_keys(&m.to_string_lossy())
            .await?;
        c.find(Locator::Id("save-system")).await?.click().await?;
        wait_for_path(c, |p| p.starts_with("/systems/")).await?;
    }
    // The portfolio, from the menu: today's knowledge first.
    c.find(Locator::Css("header a[href='/portfolio']"))
        .await?
        .click()
        .await?;
    wait_for_path(c, |p| p == "/portfolio").await?;
    let counts = c.find(Locator::Id("counts")).await?.text().await?;
    ensure!(counts.starts_with("2 system"), "the counts: {counts}");
    // What if the DPF falls on 1 January 2027?
    c.find(Locator::Id("what-if"))
        .await?
        .select_by_value("dpf-invalid")
        .await?;
    let from = c.find(Locator::Id("from")).await?;
    c.execute(
        "arguments[0].value = arguments[1];",
        vec![serde_json::to_value(&from)?, "2027-01-01".into()],
    )
    .await?;
    c.find(Locator::Id("portfolio-go")).await?.click().await?;
    wait_for(c, "the portfolio under the scenario", |p, q| {
        p == "/portfolio" && q.contains("what_if=dpf-invalid") && q.contains("from=2027-01-01")
    })
    .await?;
    let counts = c.find(Locator::Id("counts")).await?.text().await?;
    ensure!(
        counts.contains(
            "I scenariot ändras bedömningen för 1 och 1 flöden förlorar sitt överföringsverktyg."
        ),
        "the counts under the scenario: {counts}"
    );
    let mut flipped = None;
    for row in c.find_all(Locator::Css("#portfolio tr")).await? {
        let text = row.text().await?;
        if text.contains("Bokning via DPF") {
            flipped = Some(text);
        } else if text.contains("Bokning i Sverige") {
            ensure!(
                !text.contains("Ej godtagbar"),
                "the Swedish system is not affected: {text}"
            );
        }
    }
    let flipped = flipped.ok_or("no row for the DPF system")?;
    ensure!(
        flipped.contains("Ej godtagbar") && flipped.contains("inget verktyg återstår"),
        "the DPF system flips and its flow's fall-back is named: {flipped}"
    );
    // The downloads carry the same scenario.
    let xlsx = c
        .find(Locator::Id("portfolio-xlsx"))
        .await?
        .attr("href")
        .await?
        .unwrap_or_default();
    ensure!(
        xlsx == "/portfolio.xlsx?what_if=dpf-invalid&from=2027-01-01",
        "the spreadsheet link: {xlsx}"
    );
    Ok(())
}
