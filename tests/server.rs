//! `tia serve` end to end through the router (no socket): every API route and UI page, with a
//! fresh SQLite register per test, one user and one API token. Memo downloads compile real
//! PDFs, so those need `typst` installed (as for tests/memo.rs); the rest run without it.

mod common;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::OnceLock;
use tia::server::auth::{hash_password, Auth, AuthFile, Role, TokenEntry, UserEntry};
use tia::server::openapi::OPERATIONS;
use tia::server::{router, AppState};
use tia::store::Store;
use tia::typst::Typst;
use tower::ServiceExt;

const USER: &str = "dpo";
const PASSWORD: &str = "correct horse battery staple";
const TOKEN: &str = "test-token-0123456789abcdef";
const TOKEN_NAME: &str = "ci";
const READ_TOKEN: &str = "reader-token-0123456789abcdef";
const LIMIT: usize = 1024 * 1024;
const SMALL_LIMIT: usize = 64 * 1024;
const BOUNDARY: &str = "tia-test-boundary-7MA4YWxkTrZu0gW";
const HOSTILE: &str = "<script>alert(1)</script>";

/// A model whose line 3, column 12 holds an unknown country code.
const BAD_MODEL: &str = "controller:\n  name: K\n  country: XX\nprocessing:\n  purpose: P\n  data_categories: [identity]\n";

fn example(name: &str) -> String {
    std::fs::read_to_string(format!("examples/{name}"))
        .unwrap_or_else(|e| panic!("examples/{name}: {e}"))
}

/// Hashing once is enough for every test.
fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password(PASSWORD))
}

/// The application over a fresh register; the temporary folder lives as long as it does.
struct App {
    router: Router,
    state: AppState,
    _dir: tempfile::TempDir,
}

struct Options {
    body_limit: usize,
    typst: bool,
    secure_cookies: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            body_limit: LIMIT,
            typst: true,
            secure_cookies: false,
        }
    }
}

async fn app() -> App {
    app_with(Options::default()).await
}

async fn app_with(o: Options) -> App {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("tia.db").to_str().unwrap())
        .await
        .unwrap();
    let user = |name: &str, role: Role| UserEntry {
        name: name.into(),
        password_hash: password_hash().to_string(),
        role,
    };
    let auth = Auth::from_config(&AuthFile {
        users: vec![
            user(USER, Role::Admin),
            user("reader", Role::Reader),
            user("editor", Role::Editor),
            user("approver", Role::Approver),
        ],
        tokens: vec![
            TokenEntry {
                name: TOKEN_NAME.into(),
                sha256: None,
                token: Some(TOKEN.into()),
                role: Role::Editor,
            },
            TokenEntry {
                name: "read-only".into(),
                sha256: None,
                token: Some(READ_TOKEN.into()),
                role: Role::Reader,
            },
        ],
        oidc: None,
    })
    .unwrap();
    // Tests that render a PDF need typst; the others run without it (a render then answers
    // 503 with the install hint, and the test that expects a PDF fails saying so).
    let typst = if o.typst { Typst::locate().ok() } else { None };
    let kb = tia::Knowledge::embedded().unwrap();
    let state = AppState::new(store, kb, auth, typst, 2, o.secure_cookies).unwrap();
    App {
        router: router(state.clone(), o.body_limit),
        state,
        _dir: dir,
    }
}

/// A response, read whole.
struct Resp {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Resp {
    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("a UTF-8 body")
    }

    /// The page's text with tera's HTML escapes undone, to look for wording.
    fn page(&self) -> String {
        unescape(&self.text())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(&name)
            .unwrap_or_else(|| panic!("no {name} header; status {}", self.status))
            .to_str()
            .unwrap()
    }

    fn location(&self) -> &str {
        self.header(header::LOCATION)
    }

    /// `name=value` of the Set-Cookie header.
    fn cookie(&self) -> String {
        self.header(header::SET_COOKIE)
            .split(';')
            .next()
            .unwrap()
            .to_string()
    }

    #[track_caller]
    fn expect(&self, status: StatusCode) -> &Resp {
        assert_eq!(
            self.status,
            status,
            "unexpected status; body: {}",
            String::from_utf8_lossy(&self.body)
        );
        self
    }

    /// The API's one error shape.
    #[track_caller]
    fn api_error(&self, status: StatusCode, code: &str) -> Value {
        self.expect(status);
        assert!(
            self.header(header::CONTENT_TYPE)
                .starts_with("application/json"),
            "an API error is JSON"
        );
        let e = self.json();
        assert_eq!(e["error"]["status"], status.as_u16(), "{e}");
        assert_eq!(e["error"]["code"], code, "{e}");
        assert!(
            e["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{e}"
        );
        e
    }

    #[track_caller]
    fn pdf(&self) -> &Resp {
        self.expect(StatusCode::OK);
        assert_eq!(self.header(header::CONTENT_TYPE), "application/pdf");
        assert!(self.body.starts_with(b"%PDF-"), "not a PDF");
        self
    }
}

fn unescape(html: &str) -> String {
    html.replace("&#x2F;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Who sends a request.
#[derive(Clone, Copy)]
enum As<'a> {
    Nobody,
    Token(&'a str),
    Cookie(&'a str),
}

impl App {
    async fn send(&self, req: Request<Body>) -> Resp {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        Resp {
            status,
            headers,
            body,
        }
    }

    async fn call(
        &self,
        method: Method,
        uri: &str,
        who: As<'_>,
        content_type: Option<&str>,
        body: impl Into<Body>,
    ) -> Resp {
        let mut req = Request::builder().method(method).uri(uri);
        match who {
            As::Nobody => {}
            As::Token(t) => req = req.header(header::AUTHORIZATION, format!("Bearer {t}")),
            As::Cookie(c) => req = req.header(header::COOKIE, c),
        }
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        self.send(req.body(body.into()).unwrap()).await
    }

    async fn get(&self, uri: &str, who: As<'_>) -> Resp {
        self.call(Method::GET, uri, who, None, Body::empty()).await
    }

    /// A model posted to the API as YAML.
    async fn post_model(&self, uri: &str, who: As<'_>, model: &str) -> Resp {
        self.call(
            Method::POST,
            uri,
            who,
            Some("application/yaml"),
            model.to_string(),
        )
        .await
    }

    async fn login_as(&self, user: &str, password: &str, next: &str) -> Resp {
        let form = format!(
            "username={}&password={}&next={}",
            form_encode(user),
            form_encode(password),
            form_encode(next)
        );
        self.call(
            Method::POST,
            "/login",
            As::Nobody,
            Some("application/x-www-form-urlencoded"),
            form,
        )
        .await
    }

    /// Logs in and returns the session cookie (`tia_session=…`).
    async fn login(&self) -> String {
        let r = self.login_as(USER, PASSWORD, "/").await;
        r.expect(StatusCode::SEE_OTHER);
        r.cookie()
    }

    /// A model form posted to the UI as multipart/form-data, with the session's form token
    /// as the page's form carries it.
    async fn post_form(&self, uri: &str, cookie: &str, fields: &[Field<'_>]) -> Resp {
        let token = csrf(cookie);
        let mut fields: Vec<&Field<'_>> = fields.iter().collect();
        let with_token = text_field("_csrf", &token);
        fields.insert(0, &with_token);
        self.call(
            Method::POST,
            uri,
            As::Cookie(cookie),
            Some(&format!("multipart/form-data; boundary={BOUNDARY}")),
            multipart_refs(&fields),
        )
        .await
    }

    /// A form posted as a browser posts a plain form (urlencoded), with the session's token.
    async fn post_fields(&self, uri: &str, cookie: &str, fields: &[(String, String)]) -> Resp {
        let mut body = format!("_csrf={}", csrf(cookie));
        for (k, v) in fields {
            body.push_str(&format!("&{}={}", form_encode(k), form_encode(v)));
        }
        self.call(
            Method::POST,
            uri,
            As::Cookie(cookie),
            Some("application/x-www-form-urlencoded"),
            body,
        )
        .await
    }

    /// Creates a system through the API; returns its id.
    async fn create(&self, file: &str) -> i64 {
        let r = self
            .post_model(
                "/api/systems?as_of=2026-11-01",
                As::Token(TOKEN),
                &example(file),
            )
            .await;
        r.expect(StatusCode::CREATED);
        r.json()["system"]["id"].as_i64().unwrap()
    }
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One part of a multipart form: a text field, or a file with its name.
struct Field<'a> {
    name: &'a str,
    file_name: Option<&'a str>,
    value: &'a str,
}

fn text_field<'a>(name: &'a str, value: &'a str) -> Field<'a> {
    Field {
        name,
        file_name: None,
        value,
    }
}

fn file_field<'a>(file_name: &'a str, value: &'a str) -> Field<'a> {
    Field {
        name: "model_file",
        file_name: Some(file_name),
        value,
    }
}

/// The form token of the session in a `Cookie` header (as the server derives it), or empty.
fn csrf(cookie: &str) -> String {
    tia::server::auth::cookie(cookie, tia::server::auth::SESSION_COOKIE)
        .map(tia::server::auth::csrf_token)
        .unwrap_or_default()
}

/// A logout as the page's button posts it.
fn logout_request(cookie: &str) -> Request<Body> {
    Request::post("/logout")
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("_csrf={}", csrf(cookie))))
        .unwrap()
}

fn multipart(fields: &[Field<'_>]) -> Vec<u8> {
    multipart_refs(&fields.iter().collect::<Vec<_>>())
}

/// A multipart/form-data body built by hand, as a browser sends it.
fn multipart_refs(fields: &[&Field<'_>]) -> Vec<u8> {
    let mut body = String::new();
    for f in fields {
        body.push_str(&format!("--{BOUNDARY}\r\n"));
        match f.file_name {
            Some(file) => body.push_str(&format!(
                "Content-Disposition: form-data; name=\"{}\"; filename=\"{file}\"\r\nContent-Type: application/x-yaml\r\n\r\n",
                f.name
            )),
            None => body.push_str(&format!(
                "Content-Disposition: form-data; name=\"{}\"\r\n\r\n",
                f.name
            )),
        }
        body.push_str(f.value);
        body.push_str("\r\n");
    }
    body.push_str(&format!("--{BOUNDARY}--\r\n"));
    body.into_bytes()
}

/// A route's path with ids filled in.
fn concrete(path: &str, id: i64, number: i64) -> String {
    path.replace("{id}", &id.to_string())
        .replace("{number}", &number.to_string())
}

// ---------------------------------------------------------------------------------------------
// Open routes and the OpenAPI description
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn health_and_openapi_need_no_credentials() {
    let app = app().await;
    let r = app.get("/health", As::Nobody).await;
    r.expect(StatusCode::OK);
    assert_eq!(r.text(), "ok");
    // It checks the database: closed, the instance says so.
    app.state.store.close().await;
    let r = app.get("/health", As::Nobody).await;
    r.expect(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.text(), "database unavailable");

    let r = app.get("/api/openapi.json", As::Nobody).await;
    r.expect(StatusCode::OK);
    assert_eq!(r.header(header::CONTENT_TYPE), "application/json");
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(r.text(), &*app.state.openapi);
    // Both credentials it names are described.
    for scheme in ["bearer", "session"] {
        assert!(
            doc["components"]["securitySchemes"][scheme].is_object(),
            "{scheme} is not described"
        );
    }
}

fn openapi() -> Value {
    tia::server::openapi::document(&tia::Knowledge::embedded().unwrap())
}

/// Checks an answer against what the description says the operation answers with that status.
fn conforms(doc: &Value, method: &str, path: &str, status: StatusCode, body: &Value) {
    let response = &doc["paths"][path][method]["responses"][status.as_str()];
    assert!(
        response.is_object(),
        "{method} {path} does not document the status {status}"
    );
    let schema = &response["content"]["application/json"]["schema"];
    assert!(
        schema.is_object(),
        "{method} {path} {status}: no JSON schema"
    );
    let root = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "allOf": [schema],
        "components": doc["components"],
    });
    let validator = jsonschema::validator_for(&root).expect("the description's schemas compile");
    let errors: Vec<String> = validator
        .iter_errors(body)
        .take(5)
        .map(|e| format!("{e} (at {})", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} {status} does not match its description: {errors:#?}"
    );
}

#[tokio::test]
async fn openapi_describes_exactly_the_routes_and_every_live_answer_matches_it() {
    let doc = openapi();
    let described: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| ["get", "post", "put", "patch", "delete"].contains(&k.as_str()))
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect();
    let operations: BTreeSet<(String, String)> = OPERATIONS
        .iter()
        .map(|o| (o.method.to_string(), o.path.to_string()))
        .collect();
    assert_eq!(described, operations);

    // Every route is routed with its method: with a token and real ids, each succeeds, and
    // what it answers is what the description says.
    let app = app().await;
    let id = app.create("lasia-2024.yaml").await;
    let other = app.create("stockholm-m365.yaml").await;
    let r = app
        .post_model(
            &format!("/api/systems/{id}/versions?as_of=2026-11-01"),
            As::Token(TOKEN),
            &example("lasia-2026.yaml"),
        )
        .await;
    r.expect(StatusCode::CREATED);
    let admin = app.login().await;
    for op in OPERATIONS {
        let (method, path) = (op.method, op.path);
        let mut uri = concrete(path, id, 1);
        if path == "/api/compare" {
            uri.push_str(&format!("?systems={id},{other}"));
        }
        let event = !op.model_body && method == "post";
        if path.ends_with("/rename") {
            uri.push_str("?name=Nytt%20namn");
        }
        let r = match method {
            "get" => app.get(&uri, As::Token(TOKEN)).await,
            // Sign-off, rename and withdrawal: the administrator, logged in.
            "post" if event => {
                app.call(Method::POST, &uri, As::Cookie(&admin), None, Body::empty())
                    .await
            }
            "post" => {
                app.post_model(&uri, As::Token(TOKEN), &example("lasia-2026.yaml"))
                    .await
            }
            m => panic!("no test for method {m}"),
        };
        assert_eq!(
            r.status.as_u16(),
            op.success,
            "{method} {uri}: {}",
            String::from_utf8_lossy(&r.body[..r.body.len().min(500)])
        );
        let content = &doc["paths"][path][method]["responses"][op.success.to_string()]["content"];
        let media = content.as_object().unwrap().keys().next().unwrap().clone();
        assert!(
            r.header(header::CONTENT_TYPE).starts_with(&media),
            "{method} {path} answers {} but documents {media}",
            r.header(header::CONTENT_TYPE)
        );
        if media == "application/json" && path != "/api/openapi.json" {
            conforms(&doc, method, path, r.status, &r.json());
        }
    }

    // Errors, live, in the shape and with the codes the description gives each route.
    let errors: Vec<(Method, String, &str, As, Option<&str>)> = vec![
        (
            Method::GET,
            "/api/systems/abc".into(),
            "/api/systems/{id}",
            As::Token(TOKEN),
            None,
        ),
        (
            Method::GET,
            "/api/systems/999".into(),
            "/api/systems/{id}",
            As::Token(TOKEN),
            None,
        ),
        (
            Method::GET,
            "/api/systems".into(),
            "/api/systems",
            As::Nobody,
            None,
        ),
        (
            Method::GET,
            "/api/compare?systems=x".into(),
            "/api/compare",
            As::Token(TOKEN),
            None,
        ),
        (
            Method::GET,
            format!("/api/systems/{id}/diff?from=99"),
            "/api/systems/{id}/diff",
            As::Token(TOKEN),
            None,
        ),
        (
            Method::GET,
            format!("/api/systems/{id}/versions/1/memo.pdf?kind=x"),
            "/api/systems/{id}/versions/{number}/memo.pdf",
            As::Token(TOKEN),
            None,
        ),
        (
            Method::POST,
            "/api/assess".into(),
            "/api/assess",
            As::Token(TOKEN),
            Some(BAD_MODEL),
        ),
        (
            Method::POST,
            "/api/assess?lang=xx".into(),
            "/api/assess",
            As::Token(TOKEN),
            Some(BAD_MODEL),
        ),
        (
            Method::POST,
            format!("/api/systems/{id}/versions"),
            "/api/systems/{id}/versions",
            As::Token(TOKEN),
            Some(BAD_MODEL),
        ),
    ];
    for (method, uri, path, who, body) in errors {
        let r = match body {
            Some(b) => app.post_model(&uri, who, b).await,
            None => {
                app.call(method.clone(), &uri, who, None, Body::empty())
                    .await
            }
        };
        assert!(r.status.as_u16() >= 400, "{method} {uri}");
        let e = r.json();
        conforms(&doc, &method.as_str().to_lowercase(), path, r.status, &e);
    }

    // Nothing is ever changed or deleted: no such methods are routed.
    for (method, uri) in [
        (Method::DELETE, format!("/api/systems/{id}")),
        (Method::PUT, format!("/api/systems/{id}/versions/1")),
    ] {
        let r = app
            .call(method.clone(), &uri, As::Token(TOKEN), None, Body::empty())
            .await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
    }
}

#[test]
fn openapi_documents_the_answers_of_each_operation() {
    let doc = openapi();
    for op in OPERATIONS {
        let (method, path) = (op.method, op.path);
        let o = &doc["paths"][path][method];
        let responses = o["responses"].as_object().unwrap();
        let has = |s: &str| responses.contains_key(s);
        if !op.secured {
            assert_eq!(o["security"], serde_json::json!([]), "{path} is open");
            continue;
        }
        assert!(
            o.get("security").is_none(),
            "{method} {path} needs credentials"
        );
        assert!(has("401") && has("500"), "{method} {path}");
        let success = if method == "post" && path != "/api/assess" {
            "201"
        } else {
            "200"
        };
        assert!(has(success), "{method} {path} answers {success}");
        let takes_input = o["requestBody"].is_object()
            || o["parameters"].as_array().is_some_and(|p| !p.is_empty());
        assert_eq!(has("400"), takes_input, "{method} {path}: 400");
        assert_eq!(
            has("404"),
            path.contains("{id}") || path == "/api/compare",
            "{method} {path}: 404"
        );
        if o["requestBody"].is_object() {
            assert!(has("413") && has("422") && has("403"), "{method} {path}");
            assert_eq!(
                o["requestBody"]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/Model"
            );
        }
        // Every path parameter is declared.
        for name in ["id", "number"] {
            let declared = o["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["name"] == name && p["in"] == "path"));
            assert_eq!(
                declared,
                path.contains(&format!("{{{name}}}")),
                "{method} {path}: {name}"
            );
        }
    }
    // Every error code the server has is documented somewhere, with its status.
    let text = doc.to_string();
    for code in tia::server::api::ErrorCode::ALL {
        assert!(
            text.contains(&format!("\"{}\"", code.as_str())),
            "{code:?} is not documented"
        );
    }
    // The schemas are the types': the report's every top-level field, the model's knowledge ids.
    let report = &doc["components"]["schemas"]["Report"]["properties"];
    for field in [
        "verdict",
        "questions",
        "findings",
        "transfers",
        "exposures",
        "options",
        "knowledge",
        "decided_by",
    ] {
        assert!(report[field].is_object(), "Report.{field} is not described");
    }
    let country = &doc["components"]["schemas"]["ControllerInput"]["properties"]["country"];
    assert!(country.to_string().contains("\"SE\""), "{country}");
    assert!(!country.to_string().contains("\"XX\""), "{country}");
}

#[tokio::test]
async fn malformed_paths_and_queries_answer_in_the_error_shape() {
    let app = app().await;
    let id = app.create("lasia-2024.yaml").await;
    for (uri, code) in [
        ("/api/systems/abc".to_string(), "bad_path"),
        ("/api/systems/99999999999999999999".into(), "bad_path"),
        (format!("/api/systems/{id}/versions/x"), "bad_path"),
        ("/api/compare".into(), "bad_query"),
        (
            format!("/api/compare?systems={id}&as_of=yesterday"),
            "bad_query",
        ),
        (
            format!("/api/systems/{id}/diff?notice_date=tomorrow"),
            "bad_query",
        ),
        (
            format!("/api/systems/{id}/diff?objection_days=-1"),
            "bad_query",
        ),
        (
            format!("/api/systems/{id}/versions/1/memo.pdf?lang=xx"),
            "bad_query",
        ),
    ] {
        app.get(&uri, As::Token(TOKEN))
            .await
            .api_error(StatusCode::BAD_REQUEST, code);
    }
    let r = app
        .post_model(
            "/api/assess?as_of=bogus",
            As::Token(TOKEN),
            &example("lasia-2026.yaml"),
        )
        .await;
    let e = r.api_error(StatusCode::BAD_REQUEST, "bad_query");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("as_of"),
        "{e}"
    );
    let r = app
        .post_model(
            "/api/systems/abc/versions",
            As::Token(TOKEN),
            &example("lasia-2026.yaml"),
        )
        .await;
    r.api_error(StatusCode::BAD_REQUEST, "bad_path");
    // Credentials are still checked first.
    app.get("/api/systems/abc", As::Nobody)
        .await
        .api_error(StatusCode::UNAUTHORIZED, "unauthorized");
    // The version was not saved.
    let r = app
        .get(&format!("/api/systems/{id}"), As::Token(TOKEN))
        .await;
    assert_eq!(r.json()["versions"], 1);
}

// ---------------------------------------------------------------------------------------------
// Credentials
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_api_route_refuses_missing_or_wrong_credentials() {
    let app = app().await;
    let model = example("lasia-2026.yaml");
    let wrong = "tia_session=0000000000000000000000000000000000000000000000000000000000000000";
    for op in OPERATIONS.iter().filter(|o| o.secured) {
        let (method, path) = (&op.method, op.path);
        // Ids that do not exist: credentials are checked before anything else.
        let uri = concrete(path, 1, 1);
        for who in [
            As::Nobody,
            As::Token("wrong-token-0123456789abcdef"),
            As::Token(""),
            As::Cookie(wrong),
        ] {
            let r = match *method {
                "get" => app.get(&uri, who).await,
                _ => app.post_model(&uri, who, &model).await,
            };
            let e = r.api_error(StatusCode::UNAUTHORIZED, "unauthorized");
            assert!(e["error"]["message"].as_str().unwrap().contains("bearer"));
            assert_eq!(
                r.header(header::WWW_AUTHENTICATE),
                "Bearer realm=\"tia\"",
                "{method} {uri}"
            );
        }
    }
    // A scheme other than Bearer is not a token.
    let req = Request::get("/api/systems")
        .header(header::AUTHORIZATION, format!("Basic {TOKEN}"))
        .body(Body::empty())
        .unwrap();
    app.send(req)
        .await
        .api_error(StatusCode::UNAUTHORIZED, "unauthorized");
    // Nothing was saved by the refused posts.
    let r = app.get("/api/systems", As::Token(TOKEN)).await;
    r.expect(StatusCode::OK);
    assert_eq!(r.json(), serde_json::json!([]));
}

#[tokio::test]
async fn ui_pages_without_a_session_redirect_to_the_login() {
    let app = app().await;
    let gets = [
        "/",
        "/systems/1",
        "/systems/1?v=1",
        "/systems/1/versions/1/memo.pdf",
        "/systems/1/diff",
        "/systems/1/diff?from=1&to=2",
        "/systems/1/diff.pdf",
        "/compare?systems=1&systems=2",
        "/compare.pdf?systems=1",
        "/knowledge",
    ];
    for uri in gets {
        for who in [As::Nobody, As::Cookie("tia_session=stale")] {
            let r = app.get(uri, who).await;
            r.expect(StatusCode::SEE_OTHER);
            let encoded = uri
                .replace('?', "%3F")
                .replace('=', "%3D")
                .replace('&', "%26");
            assert_eq!(r.location(), format!("/login?next={encoded}"), "{uri}");
        }
    }
    for uri in ["/systems", "/systems/1/versions", "/logout"] {
        if uri == "/logout" {
            // Logging out needs no session.
            let r = app
                .call(Method::POST, uri, As::Nobody, None, Body::empty())
                .await;
            r.expect(StatusCode::SEE_OTHER);
            assert_eq!(r.location(), "/login");
            continue;
        }
        let r = app
            .post_form(
                uri,
                "tia_session=stale",
                &[file_field("lasia-2024.yaml", &example("lasia-2024.yaml"))],
            )
            .await;
        r.expect(StatusCode::SEE_OTHER);
        // A form's target cannot be opened with GET after logging in: back to the start.
        assert_eq!(r.location(), "/login?next=/", "{uri}");
    }
    // The token is for the API; still nothing was saved.
    let r = app.get("/api/systems", As::Token(TOKEN)).await;
    assert_eq!(r.json(), serde_json::json!([]));
}

#[tokio::test]
async fn login_sets_a_safe_cookie_and_honours_only_local_next() {
    let app = app().await;
    let r = app.get("/login?next=/knowledge", As::Nobody).await;
    r.expect(StatusCode::OK);
    let page = r.page();
    assert!(
        page.contains("<form method=\"post\" action=\"/login\">"),
        "{page}"
    );
    assert!(page.contains("name=\"username\""));
    assert!(page.contains("name=\"password\""));
    assert!(page.contains("<input type=\"hidden\" name=\"next\" value=\"/knowledge\">"));
    assert!(page.contains("Logga in"));
    assert!(!page.contains("Fel användarnamn eller lösenord."));
    // An off-site next is not even put in the form.
    let r = app.get("/login?next=//evil.example", As::Nobody).await;
    assert!(r.page().contains("name=\"next\" value=\"/\""));

    for (user, password) in [(USER, "wrong"), ("nobody", PASSWORD), (USER, "")] {
        let r = app.login_as(user, password, "/knowledge").await;
        r.expect(StatusCode::UNAUTHORIZED);
        assert!(r.headers.get(header::SET_COOKIE).is_none());
        let page = r.page();
        assert!(page.contains("Fel användarnamn eller lösenord."), "{page}");
        assert!(page.contains("name=\"next\" value=\"/knowledge\""));
    }

    let r = app.login_as(USER, PASSWORD, "/systems/1?v=2").await;
    r.expect(StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/systems/1?v=2");
    let set = r.header(header::SET_COOKIE).to_string();
    assert!(set.starts_with("tia_session="), "{set}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.split("; ").any(|a| a == attribute), "{set}");
    }
    assert!(!set.contains("Secure"), "{set}");
    let cookie = r.cookie();
    assert_eq!(cookie.len(), "tia_session=".len() + 64, "{cookie}");
    app.get("/", As::Cookie(&cookie))
        .await
        .expect(StatusCode::OK);

    for next in [
        "//evil.example",
        "https://evil.example/",
        "/\\evil.example",
        "",
    ] {
        let r = app.login_as(USER, PASSWORD, next).await;
        r.expect(StatusCode::SEE_OTHER);
        assert_eq!(r.location(), "/", "next={next}");
    }
    // Each login is a new session.
    assert_ne!(app.login().await, cookie);

    // Behind TLS the cookie is Secure.
    let app = app_with(Options {
        secure_cookies: true,
        ..Options::default()
    })
    .await;
    let r = app.login_as(USER, PASSWORD, "/").await;
    assert!(r
        .header(header::SET_COOKIE)
        .split("; ")
        .any(|a| a == "Secure"));
}

#[tokio::test]
async fn bearer_token_and_session_both_work_for_the_api() {
    let app = app().await;
    let cookie = app.login().await;
    let model = example("lasia-2026.yaml");

    let by_token = app
        .post_model("/api/systems", As::Token(TOKEN), &model)
        .await;
    by_token.expect(StatusCode::CREATED);
    // Whitespace around the token is forgiven.
    let r = app
        .get("/api/systems", As::Token(&format!(" {TOKEN} ")))
        .await;
    r.expect(StatusCode::OK);
    let by_session = app
        .post_model("/api/systems", As::Cookie(&cookie), &model)
        .await;
    by_session.expect(StatusCode::CREATED);
    // Who saved is recorded: the token's name, the user's name.
    assert_eq!(by_token.json()["version"]["saved_by"], TOKEN_NAME);
    assert_eq!(by_token.json()["system"]["created_by"], TOKEN_NAME);
    assert_eq!(by_session.json()["version"]["saved_by"], USER);

    for who in [As::Token(TOKEN), As::Cookie(&cookie)] {
        let r = app.get("/api/systems", who).await;
        r.expect(StatusCode::OK);
        assert_eq!(r.json().as_array().unwrap().len(), 2);
    }

    // After logging out the session no longer works for the API.
    let req = logout_request(&cookie);
    app.send(req).await.expect(StatusCode::SEE_OTHER);
    app.get("/api/systems", As::Cookie(&cookie))
        .await
        .api_error(StatusCode::UNAUTHORIZED, "unauthorized");
}

// ---------------------------------------------------------------------------------------------
// The JSON API
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn assess_returns_the_report_or_located_diagnostics() {
    let app = app().await;
    let r = app
        .post_model(
            "/api/assess",
            As::Token(TOKEN),
            &example("stockholm-m365.yaml"),
        )
        .await;
    r.expect(StatusCode::OK);
    let report = r.json();
    assert_eq!(report["verdict"], "not_acceptable");
    assert_eq!(report["schema_version"], "2.0");
    assert_eq!(report["policy"]["id"], "se-public-sector");
    assert_eq!(report["prior_consultation_required"], true);
    assert!(report["findings"].as_array().unwrap().len() > 1);

    // The query judges: another profile and date, English explanations.
    let r = app
        .post_model(
            "/api/assess?policy=gdpr-baseline&as_of=2026-11-01&lang=en",
            As::Token(TOKEN),
            &example("lasia-2026.yaml"),
        )
        .await;
    r.expect(StatusCode::OK);
    let report = r.json();
    assert_eq!(report["policy"]["id"], "gdpr-baseline");
    assert_eq!(report["as_of"], "2026-11-01");
    assert_eq!(report["language"], "en");
    assert_eq!(report["verdict"], "acceptable_with_measures");
    assert_eq!(report["decided_by"], serde_json::json!(["foreign_access"]));

    // A bad model: 422 with the place to edit.
    let r = app
        .post_model("/api/assess?file=bad.yaml", As::Token(TOKEN), BAD_MODEL)
        .await;
    let e = r.api_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_model");
    let d = &e["error"]["diagnostics"];
    assert_eq!(d.as_array().unwrap().len(), 1, "{e}");
    assert_eq!(d[0]["file"], "bad.yaml");
    assert_eq!(d[0]["line"], 3);
    assert_eq!(d[0]["column"], 12);
    assert_eq!(d[0]["message"], "unknown country code `XX`");
    assert_eq!(d[0]["hint"], "did you mean `MX`?");
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("bad.yaml:3:12: unknown country code `XX`"));
    assert_eq!(d[0]["code"], "unknown_country");
    assert_eq!(d[0]["args"]["code"], "XX");
    // In the language of Accept-Language, or of ?lang=; the key and the place stay.
    let req = |uri: &str, accept: &str| {
        Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header(header::CONTENT_TYPE, "application/yaml")
            .header(header::ACCEPT_LANGUAGE, accept)
            .body(Body::from(BAD_MODEL))
            .unwrap()
    };
    let r = app
        .send(req("/api/assess?file=bad.yaml", "da-DK, en;q=0.8"))
        .await;
    let e = r.api_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_model");
    let d = &e["error"]["diagnostics"][0];
    assert_eq!(d["message"], "ukendt landekode `XX`", "{e}");
    assert_eq!(d["hint"], "mente du `MX`?");
    assert_eq!(d["code"], "unknown_country");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(3), Some(12))
    );
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("fejl: bad.yaml:3:12: ukendt landekode `XX`"),
        "{e}"
    );
    // Quality decides; a language tia does not have is passed over.
    let r = app.send(req("/api/assess", "fr, en;q=0.5, sv;q=0.9")).await;
    let e = r.api_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_model");
    assert_eq!(
        e["error"]["diagnostics"][0]["message"],
        "okänd landskod `XX`"
    );
    // ?lang= decides over the header.
    let r = app.send(req("/api/assess?lang=en", "da")).await;
    let e = r.api_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_model");
    assert_eq!(
        e["error"]["diagnostics"][0]["message"],
        "unknown country code `XX`"
    );
    // Without ?file the model is reported as model.yaml.
    let r = app
        .post_model("/api/assess", As::Token(TOKEN), BAD_MODEL)
        .await;
    let e = r.api_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_model");
    assert_eq!(e["error"]["diagnostics"][0]["file"], "model.yaml");
    // Not YAML at all, and not text at all.
    let r = app
        .post_model("/api/assess", As::Token(TOKEN), "controller: [unclosed\n")
        .await;
    let e = r.api_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_model");
    assert!(e["error"]["diagnostics"][0]["line"].as_u64().unwrap() >= 1);
    let r = app
        .call(
            Method::POST,
            "/api/assess",
            As::Token(TOKEN),
            Some("application/yaml"),
            vec![0xff, 0xfe, 0x00],
        )
        .await;
    r.api_error(StatusCode::BAD_REQUEST, "bad_body");
    // An unknown policy is the caller's mistake, not ours.
    let r = app
        .post_model(
            "/api/assess?policy=no-such-profile",
            As::Token(TOKEN),
            &example("lasia-2026.yaml"),
        )
        .await;
    assert!(r.status.is_client_error(), "{}", r.text());
    // Nothing was saved by assessing.
    let r = app.get("/api/systems", As::Token(TOKEN)).await;
    assert_eq!(r.json(), serde_json::json!([]));
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_by_the_api_and_the_ui() {
    let app = app_with(Options {
        body_limit: SMALL_LIMIT,
        ..Options::default()
    })
    .await;
    // Valid YAML, 100 KiB: a model with a very long comment.
    let big = format!(
        "{}\n# {}\n",
        example("lasia-2026.yaml"),
        "x".repeat(100 * 1024)
    );
    for uri in ["/api/assess", "/api/systems"] {
        let r = app.post_model(uri, As::Token(TOKEN), &big).await;
        let e = r.api_error(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");
        assert!(e["error"].get("diagnostics").is_none(), "{e}");
    }
    // Under the limit, the same route works.
    assert!(example("stockholm-m365.yaml").len() < SMALL_LIMIT);
    let r = app
        .post_model(
            "/api/assess",
            As::Token(TOKEN),
            &example("stockholm-m365.yaml"),
        )
        .await;
    r.expect(StatusCode::OK);
    let id = app.create("lasia-2024.yaml").await;
    let r = app
        .post_model(
            &format!("/api/systems/{id}/versions"),
            As::Token(TOKEN),
            &big,
        )
        .await;
    r.api_error(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");

    // The UI's upload: an error page with the status.
    let cookie = app.login().await;
    for uri in ["/systems".to_string(), format!("/systems/{id}/versions")] {
        let r = app
            .post_form(&uri, &cookie, &[file_field("big.yaml", &big)])
            .await;
        r.expect(StatusCode::PAYLOAD_TOO_LARGE);
        assert!(r.header(header::CONTENT_TYPE).starts_with("text/html"));
        assert!(r.page().contains("Något gick fel (413)"), "{}", r.page());
    }
    // Only the system created under the limit exists, with its one version.
    let r = app.get("/api/systems", As::Token(TOKEN)).await;
    let systems = r.json();
    assert_eq!(systems.as_array().unwrap().len(), 1);
    assert_eq!(systems[0]["versions"], 1);
}

#[tokio::test]
async fn the_register_keeps_systems_and_versions() {
    let app = app().await;
    let lasia_2024 = example("lasia-2024.yaml");
    let r = app
        .post_model(
            "/api/systems?as_of=2026-11-01&file=lasia-2024.yaml&note=first%20list",
            As::Token(TOKEN),
            &lasia_2024,
        )
        .await;
    r.expect(StatusCode::CREATED);
    let created = r.json();
    let id = created["system"]["id"].as_i64().unwrap();
    assert_eq!(
        created["system"]["name"],
        "WinLas HR- och kompetenssystem – Exempel kommun (underbiträden mitten av 2024)",
        "the name defaults to the model's title"
    );
    assert_eq!(created["system"]["versions"], 1);
    assert_eq!(created["version"]["number"], 1);
    assert_eq!(created["version"]["verdict"], "not_acceptable");
    assert_eq!(created["version"]["file_name"], "lasia-2024.yaml");
    assert_eq!(created["version"]["note"], "first list");
    assert_eq!(created["version"]["as_of"], "2026-11-01");

    let r = app
        .post_model(
            &format!("/api/systems/{id}/versions?as_of=2026-11-01&file=lasia-2026.yaml&note=notice%202025-11-16"),
            As::Token(TOKEN),
            &example("lasia-2026.yaml"),
        )
        .await;
    r.expect(StatusCode::CREATED);
    let v2 = r.json();
    assert_eq!(v2["number"], 2);
    assert_eq!(v2["verdict"], "acceptable_with_measures");
    assert_eq!(v2["note"], "notice 2025-11-16");

    // A second system with a name of its own.
    let r = app
        .post_model(
            "/api/systems?name=Microsoft%20365",
            As::Token(TOKEN),
            &example("stockholm-m365.yaml"),
        )
        .await;
    r.expect(StatusCode::CREATED);
    let m365 = r.json()["system"]["id"].as_i64().unwrap();
    assert_eq!(r.json()["system"]["name"], "Microsoft 365");

    // The list: newest first, each with its latest version.
    let r = app.get("/api/systems", As::Token(TOKEN)).await;
    r.expect(StatusCode::OK);
    let list = r.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["id"], m365);
    assert_eq!(list[1]["id"], id);
    assert_eq!(list[1]["versions"], 2);
    assert_eq!(list[1]["latest"]["number"], 2);
    assert_eq!(list[1]["latest"]["verdict"], "acceptable_with_measures");

    // One system with its history.
    let r = app
        .get(&format!("/api/systems/{id}"), As::Token(TOKEN))
        .await;
    r.expect(StatusCode::OK);
    let s = r.json();
    assert_eq!(s["id"], id);
    assert_eq!(s["versions"], 2);
    let history: Vec<(i64, String)> = s["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["number"].as_i64().unwrap(),
                v["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        history,
        [
            (1, "not_acceptable".into()),
            (2, "acceptable_with_measures".into())
        ]
    );
    let r = app
        .get(&format!("/api/systems/{id}/versions"), As::Token(TOKEN))
        .await;
    r.expect(StatusCode::OK);
    assert_eq!(r.json(), s["history"]);

    // A version whole: the model as sent, the result as judged.
    let r = app
        .get(&format!("/api/systems/{id}/versions/1"), As::Token(TOKEN))
        .await;
    r.expect(StatusCode::OK);
    let v1 = r.json();
    assert_eq!(v1["system_id"], id);
    assert_eq!(v1["number"], 1);
    assert_eq!(v1["model_text"], lasia_2024);
    assert_eq!(v1["result"]["verdict"], "not_acceptable");
    assert_eq!(v1["result"]["input_sha256"], v1["input_sha256"]);
    assert_eq!(v1["saved_by"], TOKEN_NAME);

    // What does not exist.
    for uri in [
        "/api/systems/999".to_string(),
        "/api/systems/999/versions".to_string(),
        format!("/api/systems/{id}/versions/3"),
        "/api/systems/999/versions/1".to_string(),
        format!("/api/systems/{id}/versions/3/memo.pdf"),
        "/api/systems/999/diff".to_string(),
        format!("/api/systems/{id}/diff?from=1&to=7"),
        format!("/api/compare?systems={id},999"),
    ] {
        let r = app.get(&uri, As::Token(TOKEN)).await;
        let e = r.api_error(StatusCode::NOT_FOUND, "not_found");
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("does not exist"),
            "{uri}: {e}"
        );
    }
    let r = app
        .post_model(
            "/api/systems/999/versions",
            As::Token(TOKEN),
            &example("lasia-2026.yaml"),
        )
        .await;
    r.api_error(StatusCode::NOT_FOUND, "not_found");
    // A bad version is refused and not saved.
    let r = app
        .post_model(
            &format!("/api/systems/{id}/versions"),
            As::Token(TOKEN),
            BAD_MODEL,
        )
        .await;
    r.api_error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_model");
    let r = app
        .get(&format!("/api/systems/{id}"), As::Token(TOKEN))
        .await;
    assert_eq!(r.json()["versions"], 2);
}

#[tokio::test]
async fn diff_and_compare_through_the_api() {
    let app = app().await;
    let id = app.create("lasia-2024.yaml").await;
    let r = app
        .post_model(
            &format!("/api/systems/{id}/versions?as_of=2026-11-01"),
            As::Token(TOKEN),
            &example("lasia-2026.yaml"),
        )
        .await;
    r.expect(StatusCode::CREATED);

    // The last two versions by default.
    let r = app
        .get(
            &format!("/api/systems/{id}/diff?notice_date=2025-11-16"),
            As::Token(TOKEN),
        )
        .await;
    r.expect(StatusCode::OK);
    let d = r.json();
    assert_eq!(d["verdict_change"], "improved");
    assert_eq!(d["old"]["verdict"], "not_acceptable");
    assert_eq!(d["new"]["verdict"], "acceptable_with_measures");
    assert_eq!(d["notice_date"], "2025-11-16");
    // Elastx and TeamViewer were announced on 2024-11-15; the rest on the notice date.
    assert_eq!(d["last_day_to_object"], "2024-12-14");
    assert_eq!(
        d["objection_deadlines"][1]["last_day_to_object"],
        "2025-12-15"
    );
    assert_eq!(d["has_changes"], true);
    // The same with explicit versions; an objection period given in the query wins.
    let r = app
        .get(
            &format!("/api/systems/{id}/diff?from=1&to=2&notice_date=2025-11-16&objection_days=14"),
            As::Token(TOKEN),
        )
        .await;
    r.expect(StatusCode::OK);
    assert_eq!(
        r.json()["objection_deadlines"][1]["last_day_to_object"],
        "2025-11-30"
    );
    // Without a notice date only the announced changes have a deadline.
    let r = app
        .get(&format!("/api/systems/{id}/diff"), As::Token(TOKEN))
        .await;
    r.expect(StatusCode::OK);
    assert_eq!(r.json()["last_day_to_object"], "2024-12-14");
    assert_eq!(
        r.json()["objection_deadlines"][1]["last_day_to_object"],
        Value::Null
    );
    // A version against itself.
    let r = app
        .get(
            &format!("/api/systems/{id}/diff?from=2&to=2"),
            As::Token(TOKEN),
        )
        .await;
    r.expect(StatusCode::OK);
    assert_eq!(r.json()["verdict_change"], "unchanged");
    assert_eq!(r.json()["has_changes"], false);
    // A system with one version has nothing to compare it with.
    let single = app.create("stockholm-m365.yaml").await;
    let r = app
        .get(&format!("/api/systems/{single}/diff"), As::Token(TOKEN))
        .await;
    r.api_error(StatusCode::NOT_FOUND, "not_found");

    // Compare: the latest versions, ranked.
    let r = app
        .get(
            &format!("/api/compare?systems={single},{id}"),
            As::Token(TOKEN),
        )
        .await;
    r.expect(StatusCode::OK);
    let c = r.json();
    let entries = c["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["rank"], 1);
    assert_eq!(entries[0]["verdict"], "acceptable_with_measures");
    assert_eq!(
        entries[0]["title"],
        "Lasia HR- och kompetenssystem – Exempel kommun (underbiträden 2026)"
    );
    assert_eq!(entries[1]["rank"], 2);
    assert_eq!(entries[1]["verdict"], "not_acceptable");
    assert_eq!(c["policy"]["id"], "se-public-sector");
    // One profile for all, from the query.
    let r = app
        .get(
            &format!("/api/compare?systems={id}%2C{single}&policy=gdpr-baseline&lang=en"),
            As::Token(TOKEN),
        )
        .await;
    r.expect(StatusCode::OK);
    assert_eq!(r.json()["policy"]["id"], "gdpr-baseline");
    assert_eq!(r.json()["language"], "en");

    for uri in [
        "/api/compare?systems=a,b",
        "/api/compare?systems=1,x",
        "/api/compare?systems=",
        "/api/compare?systems=,",
    ] {
        let e = app
            .get(uri, As::Token(TOKEN))
            .await
            .api_error(StatusCode::BAD_REQUEST, "bad_query");
        assert!(
            e["error"]["message"].as_str().unwrap().contains("systems"),
            "{uri}: {e}"
        );
    }
}

#[tokio::test]
async fn memos_download_as_pdf() {
    let app = app().await;
    let id = app.create("stockholm-m365.yaml").await;
    let base = format!("/api/systems/{id}/versions/1/memo.pdf");
    let r = app.get(&base, As::Token(TOKEN)).await;
    r.pdf();
    assert_eq!(
        r.header(header::CONTENT_DISPOSITION),
        format!("attachment; filename=\"memo-{id}-v1-sv.pdf\"")
    );
    let r = app
        .get(&format!("{base}?kind=consult&lang=en"), As::Token(TOKEN))
        .await;
    r.pdf();
    assert_eq!(
        r.header(header::CONTENT_DISPOSITION),
        format!("attachment; filename=\"consult-{id}-v1-en.pdf\"")
    );
    let e = app
        .get(&format!("{base}?kind=bogus"), As::Token(TOKEN))
        .await
        .api_error(StatusCode::BAD_REQUEST, "bad_query");
    assert!(e["error"]["message"].as_str().unwrap().contains("`bogus`"));
}

#[tokio::test]
async fn without_typst_memos_answer_503_and_the_page_says_why() {
    let app = app_with(Options {
        typst: false,
        ..Options::default()
    })
    .await;
    let id = app.create("lasia-2026.yaml").await;
    let e = app
        .get(
            &format!("/api/systems/{id}/versions/1/memo.pdf"),
            As::Token(TOKEN),
        )
        .await
        .api_error(StatusCode::SERVICE_UNAVAILABLE, "typst_missing");
    assert!(e["error"]["message"].as_str().unwrap().contains("typst"));
    let cookie = app.login().await;
    let r = app
        .get(&format!("/systems/{id}"), As::Cookie(&cookie))
        .await;
    r.expect(StatusCode::OK);
    let page = r.page();
    assert!(page.contains("PDF kan inte skapas: typst är inte installerat"));
    assert!(!page.contains("memo.pdf"));
}

// ---------------------------------------------------------------------------------------------
// The web UI
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_ui_from_login_to_logout() {
    let app = app().await;
    let cookie = app.login().await;
    let me = As::Cookie(&cookie);

    let r = app.get("/", me).await;
    r.expect(StatusCode::OK);
    let page = r.page();
    assert!(page.contains("<html lang=\"sv\">"));
    assert!(page.contains("Inga system är bedömda ännu."), "{page}");
    assert!(page.contains("enctype=\"multipart/form-data\""));
    assert!(
        page.contains(&format!("<span id=\"whoami\">{USER} · ")),
        "the user is shown"
    );

    // A new system from an uploaded file.
    let r = app
        .post_form(
            "/systems",
            &cookie,
            &[
                text_field("name", ""),
                text_field("model_text", ""),
                file_field("lasia-2024.yaml", &example("lasia-2024.yaml")),
            ],
        )
        .await;
    r.expect(StatusCode::SEE_OTHER);
    let system_url = r.location().to_string();
    let id: i64 = system_url
        .strip_prefix("/systems/")
        .unwrap_or_else(|| panic!("{system_url}"))
        .parse()
        .unwrap();

    let r = app.get("/", me).await;
    r.expect(StatusCode::OK);
    let page = r.page();
    assert!(!page.contains("Inga system är bedömda ännu."));
    assert!(page.contains(&format!(
        "<a href=\"/systems/{id}\">WinLas HR- och kompetenssystem – Exempel kommun (underbiträden mitten av 2024)</a>"
    )));
    assert!(page.contains("<span class=\"verdict not_acceptable\">Ej godtagbar</span>"));

    let r = app.get(&system_url, me).await;
    r.expect(StatusCode::OK);
    let page = r.page();
    assert!(
        page.contains("<div class=\"big\">Ej godtagbar</div>"),
        "{page}"
    );
    assert!(page.contains("<svg"), "the flow graph is inline");
    assert!(page.contains("Version 1 av 1"));
    assert!(page.contains("lasia-2024.yaml"));
    assert!(page.contains(&format!("/systems/{id}/versions/1/memo.pdf?lang=sv")));
    assert!(page.contains("Microsoft Ireland Operations Limited"));

    // A new version: straight to what changed.
    let r = app
        .post_form(
            &format!("/systems/{id}/versions"),
            &cookie,
            &[
                text_field("note", "Avisering 2025-11-16"),
                text_field("model_text", &example("lasia-2026.yaml")),
            ],
        )
        .await;
    r.expect(StatusCode::SEE_OTHER);
    let diff_url = format!("/systems/{id}/diff?from=1&to=2");
    assert_eq!(r.location(), diff_url);

    let r = app.get(&diff_url, me).await;
    r.expect(StatusCode::OK);
    let page = r.page();
    assert!(
        page.contains("Bedömningen förbättras: Ej godtagbar → Godtagbar med åtgärder."),
        "{page}"
    );
    assert!(page.contains("Sista dag för invändning kan inte beräknas."));
    let r = app
        .get(&format!("{diff_url}&notice_date=2025-11-16"), me)
        .await;
    r.expect(StatusCode::OK);
    let page = r.page();
    assert!(
        page.contains("sista dag att invända är den 2025-12-15."),
        "{page}"
    );
    assert!(page.contains("value=\"2025-11-16\""));
    assert!(page.contains("Elastx"), "an added sub-processor is listed");
    // Empty form fields count as absent; a bad one is a 400 page.
    let r = app
        .get(
            &format!("/systems/{id}/diff?from=&to=&notice_date=&objection_days="),
            me,
        )
        .await;
    r.expect(StatusCode::OK);
    let r = app
        .get(&format!("/systems/{id}/diff?notice_date=tomorrow"), me)
        .await;
    r.expect(StatusCode::BAD_REQUEST);
    assert!(r.page().contains("notice_date: `tomorrow` is not valid"));
    app.get(
        &format!("/systems/{id}/diff.pdf?from=1&to=2&notice_date=2025-11-16"),
        me,
    )
    .await
    .pdf();

    // The system page shows the latest version, and an older one on request.
    let r = app.get(&system_url, me).await;
    let page = r.page();
    assert!(page.contains("<div class=\"big\">Godtagbar med åtgärder</div>"));
    assert!(page.contains("Version 2 av 2"));
    assert!(page.contains("Avisering 2025-11-16"));
    let r = app.get(&format!("{system_url}?v=1"), me).await;
    assert!(r.page().contains("<div class=\"big\">Ej godtagbar</div>"));

    // Compare: checkboxes or a list.
    let other = app.create("stockholm-m365.yaml").await;
    let r = app
        .get(&format!("/compare?systems={other}&systems={id}"), me)
        .await;
    r.expect(StatusCode::OK);
    let page = r.page();
    assert!(page.contains("id=\"ranking\""), "{page}");
    let first = page.find("<td><strong>1</strong></td>").unwrap();
    let second = page.find("<td><strong>2</strong></td>").unwrap();
    let lasia = page.find("Lasia HR- och kompetenssystem").unwrap();
    let m365 = page.find("Azure AD och Teams").unwrap();
    assert!(
        first < lasia && lasia < second && second < m365,
        "ranking order"
    );
    let r = app.get("/compare?systems=a", me).await;
    r.expect(StatusCode::BAD_REQUEST);
    assert!(r.page().contains("Något gick fel (400)"));
    app.get(&format!("/compare.pdf?systems={id}%2C{other}"), me)
        .await
        .pdf();

    // The knowledge base.
    let r = app.get("/knowledge", me).await;
    r.expect(StatusCode::OK);
    let page = r.page();
    assert!(page.contains("<strong>FISA §702</strong>"), "{page}");
    assert!(page.contains("CLOUD Act"));
    assert!(page.contains("Leverantörskatalogen"));
    // The ids a model may use, searchable by name in the user's language.
    let page = app
        .get("/knowledge?kind=countries&q=tyskland", me)
        .await
        .page();
    assert!(page.contains("<code>DE</code>"), "{page}");
    assert!(!page.contains("<code>SE</code>"), "only what matches");
    let page = app
        .get("/knowledge?kind=vendors&q=%3Cscript%3E", me)
        .await
        .text();
    let field: Vec<&str> = page
        .lines()
        .filter(|l| l.contains("id=\"ids-q\""))
        .collect();
    assert!(
        field.len() == 1 && field[0].contains("&lt;script&gt;") && !page.contains("<script>"),
        "the query is escaped: {field:?}"
    );

    // Memos with the session.
    app.get(&format!("/systems/{id}/versions/2/memo.pdf?lang=en"), me)
        .await
        .pdf();
    app.get(
        &format!("/systems/{id}/versions/1/memo.pdf?kind=consult"),
        me,
    )
    .await
    .pdf();
    let r = app
        .get(&format!("/systems/{id}/versions/9/memo.pdf"), me)
        .await;
    r.expect(StatusCode::NOT_FOUND);
    assert!(r.page().contains("Något gick fel (404)"));
    let r = app.get("/systems/999", me).await;
    r.expect(StatusCode::NOT_FOUND);
    assert!(r.page().contains("the system does not exist"));

    // English: a cookie, then every page.
    let r = app
        .get(&format!("/lang/en?next={system_url}"), As::Nobody)
        .await;
    r.expect(StatusCode::SEE_OTHER);
    assert_eq!(r.location(), system_url);
    let lang = r.cookie();
    assert_eq!(lang, "tia_lang=en");
    let both = format!("{cookie}; {lang}");
    let r = app.get(&system_url, As::Cookie(&both)).await;
    r.expect(StatusCode::OK);
    let page = r.page();
    assert!(page.contains("<html lang=\"en\">"));
    assert!(
        page.contains("<div class=\"big\">Acceptable with measures</div>"),
        "{page}"
    );
    assert!(!page.contains("Godtagbar"));
    let r = app
        .get(
            &format!("{diff_url}&notice_date=2025-11-16"),
            As::Cookie(&both),
        )
        .await;
    assert!(r.page().contains("the last day to object is 2025-12-15."));
    let r = app.get("/lang/sv?next=//evil.example", As::Nobody).await;
    assert_eq!(r.location(), "/");
    assert_eq!(r.cookie(), "tia_lang=sv");

    // Logging out ends the session.
    let req = logout_request(&both);
    let r = app.send(req).await;
    r.expect(StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login");
    let set = r.header(header::SET_COOKIE);
    assert!(set.starts_with("tia_session=;"), "{set}");
    assert!(set.contains("Max-Age=0"), "{set}");
    let r = app.get("/", me).await;
    r.expect(StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login?next=/");
}

#[tokio::test]
async fn a_bad_model_in_the_ui_shows_its_lines_and_saves_nothing() {
    let app = app().await;
    let cookie = app.login().await;
    let r = app
        .post_form(
            "/systems",
            &cookie,
            &[
                text_field("name", "Löner"),
                text_field("model_text", BAD_MODEL),
            ],
        )
        .await;
    r.expect(StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.page();
    assert!(page.contains("Modellen kunde inte bedömas"), "{page}");
    // The diagnostics in the page's language (Swedish without a `tia_lang` cookie).
    assert!(
        page.contains("<strong>model.yaml:3:12</strong> (rad 3, kolumn 12): okänd landskod `XX`"),
        "{page}"
    );
    assert!(
        page.contains("förväntat: en landskod enligt ISO 3166-1 alfa-2"),
        "{page}"
    );
    assert!(page.contains("tips: menade du `MX`?"), "{page}");
    assert!(!page.contains("unknown country code"), "{page}");
    // The model is shown by line, the bad one marked, and kept in the form to correct.
    assert!(
        page.contains("<span class=\"bad\">3 │   country: XX</span>"),
        "{page}"
    );
    assert!(page.contains("<span class=\"msg\">    ↑ 3:12: okänd landskod `XX`</span>"));
    assert!(page.contains("1 │ controller:\n"));
    assert!(page.contains(&format!(
        "<textarea id=\"model_text\" name=\"model_text\">{BAD_MODEL}</textarea>"
    )));
    assert!(page.contains("value=\"Löner\""));
    // Nothing saved.
    let r = app.get("/", As::Cookie(&cookie)).await;
    assert!(r.page().contains("Inga system är bedömda ännu."));
    let r = app.get("/api/systems", As::Token(TOKEN)).await;
    assert_eq!(r.json(), serde_json::json!([]));

    // In Danish and English with the language cookie.
    for (lang, message, hint) in [
        ("da", "ukendt landekode `XX`", "tip: mente du `MX`?"),
        (
            "en",
            "unknown country code `XX`",
            "hint: did you mean `MX`?",
        ),
    ] {
        let r = app
            .post_form(
                "/systems",
                &format!("{cookie}; tia_lang={lang}"),
                &[text_field("model_text", BAD_MODEL)],
            )
            .await;
        r.expect(StatusCode::UNPROCESSABLE_ENTITY);
        let page = r.page();
        assert!(page.contains(&format!("): {message}")), "{lang}: {page}");
        assert!(page.contains(hint), "{lang}: {page}");
    }

    // An uploaded file is reported under its own name.
    let r = app
        .post_form("/systems", &cookie, &[file_field("loner.yaml", BAD_MODEL)])
        .await;
    r.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.page().contains("<strong>loner.yaml:3:12</strong>"));

    // The same on a system's page, for a new version.
    let id = app.create("lasia-2026.yaml").await;
    let r = app
        .post_form(
            &format!("/systems/{id}/versions"),
            &cookie,
            &[
                text_field("note", "fel"),
                text_field("model_text", BAD_MODEL),
            ],
        )
        .await;
    r.expect(StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.page();
    assert!(page.contains("(rad 3, kolumn 12)"), "{page}");
    assert!(page.contains("Version 1 av 1"));
    let r = app
        .get(&format!("/api/systems/{id}"), As::Token(TOKEN))
        .await;
    assert_eq!(r.json()["versions"], 1);
    // An empty form is a bad model too, not a crash.
    let r = app.post_form("/systems", &cookie, &[]).await;
    r.expect(StatusCode::UNPROCESSABLE_ENTITY);
    // Not multipart at all.
    let r = app
        .call(
            Method::POST,
            "/systems",
            As::Cookie(&cookie),
            Some("text/plain"),
            "hello",
        )
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
}

/// The attributes of one HTML start tag (`<input type="text" name="a" value="b" checked>`).
fn attributes(tag: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut rest = tag.trim_start_matches('<');
    rest = rest.split_once(char::is_whitespace).map_or("", |(_, r)| r);
    loop {
        rest = rest.trim_start();
        if rest.is_empty() || rest.starts_with('>') {
            return out;
        }
        let end = rest
            .find(|c: char| c == '=' || c.is_whitespace() || c == '>')
            .unwrap_or(rest.len());
        let name = rest[..end].to_string();
        rest = &rest[end..];
        if let Some(r) = rest.strip_prefix("=\"") {
            let close = r.find('"').unwrap();
            out.push((name, Some(unescape(&r[..close]))));
            rest = &r[close + 1..];
        } else {
            out.push((name, None));
        }
    }
}

/// What a browser would send for the form with this id: every named input, checked box,
/// selected option and text area, in page order (the button is added by the caller).
fn form_fields(html: &str, form_id: &str) -> Vec<(String, String)> {
    let start = html
        .find(&format!("<form method=\"post\" id=\"{form_id}\""))
        .unwrap_or_else(|| panic!("no form {form_id}"));
    let form = &html[start..start + html[start..].find("</form>").unwrap()];
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = form[at..].find('<') {
        let i = at + i;
        let tag_end = i + form[i..].find('>').unwrap() + 1;
        let tag = &form[i..tag_end];
        let attr = attributes(tag);
        let get = |n: &str| {
            attr.iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone().unwrap_or_default())
        };
        let has = |n: &str| attr.iter().any(|(k, _)| k == n);
        if tag.starts_with("<input") {
            if let Some(name) = get("name") {
                let kind = get("type").unwrap_or_default();
                if (kind != "checkbox" || has("checked")) && kind != "file" {
                    out.push((
                        name,
                        get("value").unwrap_or(if kind == "checkbox" {
                            "on".into()
                        } else {
                            String::new()
                        }),
                    ));
                }
            }
        } else if tag.starts_with("<textarea") {
            let close = tag_end + form[tag_end..].find("</textarea>").unwrap();
            out.push((get("name").unwrap(), unescape(&form[tag_end..close])));
        } else if tag.starts_with("<select") {
            let name = get("name").unwrap();
            let close = tag_end + form[tag_end..].find("</select>").unwrap();
            let options = &form[tag_end..close];
            let mut chosen = Vec::new();
            let mut first = None;
            for opt in options.split("<option").skip(1) {
                let a = attributes(&format!("<option{}", &opt[..opt.find('>').unwrap() + 1]));
                let value = a
                    .iter()
                    .find(|(k, _)| k == "value")
                    .and_then(|(_, v)| v.clone())
                    .unwrap_or_default();
                first.get_or_insert(value.clone());
                if a.iter().any(|(k, _)| k == "selected") {
                    chosen.push(value);
                }
            }
            if chosen.is_empty() && !has("multiple") {
                chosen.extend(first);
            }
            for v in chosen {
                out.push((name.clone(), v));
            }
            at = close;
            continue;
        }
        at = tag_end;
    }
    out
}

fn set_field(fields: &mut Vec<(String, String)>, name: &str, value: &str) {
    match fields.iter_mut().find(|(k, _)| k == name) {
        Some(f) => f.1 = value.to_string(),
        None => fields.push((name.to_string(), value.to_string())),
    }
}

#[tokio::test]
async fn a_system_is_created_in_the_form_previewed_and_saved() {
    let app = app().await;
    let cookie = app.login().await;
    let r = app.get("/systems/new", As::Cookie(&cookie)).await;
    r.expect(StatusCode::OK);
    let page = r.page();
    assert!(page.contains("Ett nytt system, i ett formulär"), "{page}");
    // The knowledge's choices: vendors, countries by name, data categories, subjects.
    assert!(
        page.contains("<option value=\"microsoft-ireland\">Microsoft Ireland Operations Limited")
    );
    assert!(page.contains("<option value=\"SE\">Sverige</option>"));
    assert!(page.contains("name=\"processing.data_categories\" value=\"national_id\""));
    assert!(page.contains("name=\"processing.data_subjects\" value=\"employees\""));

    let mut fields = form_fields(&r.text(), "model-form");
    for (k, v) in [
        ("assessment.title", "Lön i molnet"),
        ("controller.name", "Exempelkommunen"),
        ("controller.country", "se"),
        ("controller.kind", "public_body"),
        ("processing.purpose", "Löneadministration"),
        ("p0.vendor", "microsoft-ireland"),
        ("p0.role", "processor"),
        ("f0.from", "controller"),
        ("f0.to", "microsoft-ireland"),
        ("f0.access", "cleartext"),
        ("name", "Lön"),
    ] {
        set_field(&mut fields, k, v);
    }
    fields.push(("processing.data_subjects".into(), "employees".into()));
    fields.push(("processing.data_categories".into(), "identity".into()));
    fields.push(("processing.data_categories".into(), "salary".into()));
    let mut preview = fields.clone();
    preview.push(("action".into(), "preview".into()));
    let r = app.post_fields("/systems/new", &cookie, &preview).await;
    r.expect(StatusCode::OK);
    let page = r.page();
    assert!(page.contains("Förhandsgranskning – inte sparad"), "{page}");
    assert!(
        page.contains("<div class=\"big\">Ej godtagbar</div>"),
        "{page}"
    );
    assert!(page.contains("STH-1"), "the findings beside the form");
    // The party's id came from the vendor; the country was upper-cased.
    assert!(page.contains("name=\"p0.id\" value=\"microsoft-ireland\""));
    assert!(page.contains("name=\"controller.country\" list=\"countries\" value=\"SE\""));
    let r = app.get("/api/systems", As::Token(TOKEN)).await;
    assert_eq!(r.json(), serde_json::json!([]), "a preview saves nothing");

    let mut save = fields.clone();
    save.push(("action".into(), "save".into()));
    let r = app.post_fields("/systems/new", &cookie, &save).await;
    r.expect(StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/systems/1");
    let v = app
        .get("/api/systems/1/versions/1", As::Token(TOKEN))
        .await
        .json();
    assert_eq!(v["verdict"], "not_acceptable");
    let text = v["model_text"].as_str().unwrap();
    assert!(
        text.starts_with("# Made with the tia form by dpo on "),
        "{text}"
    );
    assert!(text.contains("  country: SE\n"), "{text}");
    assert!(
        text.contains("  data_categories: [identity, salary]\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "  - id: microsoft-ireland\n    vendor: microsoft-ireland\n    role: processor\n"
        ),
        "{text}"
    );
    let system = app.get("/api/systems/1", As::Token(TOKEN)).await.json();
    assert_eq!(system["name"], "Lön");
    // The system page links to the form.
    let r = app.get("/systems/1", As::Cookie(&cookie)).await;
    assert!(r.page().contains("href=\"/systems/1/edit\""));
}

#[tokio::test]
async fn editing_in_the_form_adds_a_version_and_keeps_the_files_comments() {
    let app = app().await;
    let cookie = app.login().await;
    let id = app.create("lessor.yaml").await;
    let original = example("lessor.yaml");
    let r = app
        .get(&format!("/systems/{id}/edit"), As::Cookie(&cookie))
        .await;
    r.expect(StatusCode::OK);
    let page = r.page();
    assert!(
        page.contains("Som sparad"),
        "the saved assessment beside the form"
    );
    assert!(
        page.contains("Ägarförhållanden, avtalsvillkor"),
        "the DPA terms are carried"
    );
    let fields = form_fields(&r.text(), "model-form");

    // Saved untouched: the same text, byte for byte.
    let mut same = fields.clone();
    same.push(("action".into(), "save".into()));
    let r = app
        .post_fields(&format!("/systems/{id}/edit"), &cookie, &same)
        .await;
    r.expect(StatusCode::SEE_OTHER);
    assert_eq!(r.location(), format!("/systems/{id}/edit?saved=2"));
    let v2 = app
        .get(&format!("/api/systems/{id}/versions/2"), As::Token(TOKEN))
        .await
        .json();
    assert_eq!(v2["model_text"].as_str().unwrap(), original);

    // A changed field: only its line changes; the comments stay; a new version is added.
    let r = app
        .get(&format!("/systems/{id}/edit?saved=2"), As::Cookie(&cookie))
        .await;
    let page = r.page();
    assert!(page.contains("Version 2 är sparad."), "{page}");
    assert!(page.contains(&format!("href=\"/systems/{id}/diff?from=1&to=2\"")));
    let mut changed = form_fields(&r.text(), "model-form");
    let service = changed.iter().position(|(k, _)| k == "p2.service").unwrap();
    changed[service].1 = "SMS-tjänst <b>&</b>".into();
    let kh = changed
        .iter()
        .position(|(k, _)| k == "f0.key_holder")
        .unwrap();
    changed[kh].1 = "controller".into();
    set_field(&mut changed, "note", "Ändrat i formuläret");
    changed.push(("action".into(), "save".into()));
    let r = app
        .post_fields(&format!("/systems/{id}/edit"), &cookie, &changed)
        .await;
    r.expect(StatusCode::SEE_OTHER);
    let v3 = app
        .get(&format!("/api/systems/{id}/versions/3"), As::Token(TOKEN))
        .await
        .json();
    let text = v3["model_text"].as_str().unwrap();
    assert_eq!(v3["note"], "Ändrat i formuläret");
    assert!(
        text.contains("    service: \"SMS-tjänst <b>&</b>\"\n"),
        "{text}"
    );
    assert!(text.contains("    key_holder: controller\n"), "{text}");
    let kept = |t: &str| {
        t.lines()
            .filter(|l| l.trim_start().starts_with('#'))
            .count()
    };
    assert_eq!(kept(text), kept(&original), "every comment kept");
    let new_lines: Vec<&str> = text
        .lines()
        .filter(|l| !original.lines().any(|o| o == *l))
        .collect();
    assert_eq!(
        new_lines,
        [
            "    service: \"SMS-tjänst <b>&</b>\"",
            "    key_holder: controller"
        ]
    );
    assert_eq!(text.lines().count(), original.lines().count() + 2, "{text}");
    // The earlier versions are as they were.
    let v1 = app
        .get(&format!("/api/systems/{id}/versions/1"), As::Token(TOKEN))
        .await
        .json();
    assert_eq!(v1["model_text"].as_str().unwrap(), original);

    // A form opened on version 2 cannot overwrite version 3.
    let r = app
        .post_fields(&format!("/systems/{id}/edit"), &cookie, &same)
        .await;
    r.expect(StatusCode::CONFLICT);
    assert!(r
        .page()
        .contains("version 3 sparades efter att formuläret öppnades; inget har sparats"));
    let system = app
        .get(&format!("/api/systems/{id}"), As::Token(TOKEN))
        .await
        .json();
    assert_eq!(system["versions"], 3);
}

#[tokio::test]
async fn a_model_saved_as_json_is_edited_in_the_form_and_continues_as_yaml() {
    let app = app().await;
    let cookie = app.login().await;
    let json = r#"{"controller": {"name": "K", "country": "SE"}, "processing": {"purpose": "Lön", "data_categories": ["identity"]}, "parties": [{"id": "ms", "vendor": "microsoft-ireland", "role": "processor"}], "flows": [{"from": "controller", "to": "ms", "access": "cleartext"}]}"#;
    let r = app
        .post_form("/systems", &cookie, &[file_field("lon.json", json)])
        .await;
    r.expect(StatusCode::SEE_OTHER);
    let id = r.location().strip_prefix("/systems/").unwrap().to_string();
    let r = app
        .get(&format!("/systems/{id}/edit"), As::Cookie(&cookie))
        .await;
    r.expect(StatusCode::OK);
    let mut fields = form_fields(&r.text(), "model-form");
    set_field(&mut fields, "f0.access", "storage_encrypted");
    set_field(&mut fields, "f0.key_holder", "controller");
    fields.push(("action".into(), "save".into()));
    let r = app
        .post_fields(&format!("/systems/{id}/edit"), &cookie, &fields)
        .await;
    r.expect(StatusCode::SEE_OTHER);
    let v = app
        .get(&format!("/api/systems/{id}/versions/2"), As::Token(TOKEN))
        .await
        .json();
    assert_eq!(v["file_name"], "lon.yaml");
    let text = v["model_text"].as_str().unwrap();
    assert!(text.starts_with("controller:\n  name: K\n"), "{text}");
    assert!(
        text.contains("    access: storage_encrypted\n    key_holder: controller\n"),
        "{text}"
    );
    assert_eq!(v["verdict"], "acceptable");
}

#[tokio::test]
async fn the_form_names_bad_fields_and_saves_nothing() {
    let app = app().await;
    let cookie = app.login().await;
    let id = app.create("lasia-2026.yaml").await;
    let r = app
        .get(&format!("/systems/{id}/edit"), As::Cookie(&cookie))
        .await;
    let mut fields = form_fields(&r.text(), "model-form");
    set_field(&mut fields, "p0.incorporated", "Sverige");
    set_field(&mut fields, "processing.subjects", "många");
    fields.push(("action".into(), "save".into()));
    let r = app
        .post_fields(&format!("/systems/{id}/edit"), &cookie, &fields)
        .await;
    r.expect(StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.page();
    assert!(
        page.contains("`många` är inte ett antal registrerade"),
        "{page}"
    );
    assert!(page.contains("value=\"många\""), "shown again as typed");
    // A number fixed, the unknown country is found by the model's checks and shown at the
    // party's field.
    set_field(&mut fields, "processing.subjects", "1200");
    let r = app
        .post_fields(&format!("/systems/{id}/edit"), &cookie, &fields)
        .await;
    r.expect(StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.page();
    let at = page.find("name=\"p0.incorporated\"").unwrap();
    let after = &page[at..at + 600];
    assert!(
        after.contains("field-error") && after.contains("okänd landskod `Sverige`"),
        "{after}"
    );
    assert!(
        after.contains("menade du `SE`?"),
        "the name is understood: {after}"
    );
    let system = app
        .get(&format!("/api/systems/{id}"), As::Token(TOKEN))
        .await
        .json();
    assert_eq!(system["versions"], 1, "nothing saved");

    // Without the session's token nothing happens; a reader may not edit.
    let r = app
        .call(
            Method::POST,
            &format!("/systems/{id}/edit"),
            As::Cookie(&cookie),
            Some("application/x-www-form-urlencoded"),
            "action=save",
        )
        .await;
    r.expect(StatusCode::FORBIDDEN);
    let reader = app.login_as("reader", PASSWORD, "/").await.cookie();
    let r = app
        .get(&format!("/systems/{id}/edit"), As::Cookie(&reader))
        .await;
    r.expect(StatusCode::FORBIDDEN);
    let r = app
        .post_fields(&format!("/systems/{id}/edit"), &reader, &fields)
        .await;
    r.expect(StatusCode::FORBIDDEN);
    let system = app
        .get(&format!("/api/systems/{id}"), As::Token(TOKEN))
        .await
        .json();
    assert_eq!(system["versions"], 1);
}

#[tokio::test]
async fn a_subprocessor_list_imports_in_the_browser_and_is_saved_from_the_form() {
    let app = app().await;
    let cookie = app.login().await;
    let base = "# Our payroll.\ncontroller: { name: Eksempel A/S, country: DK, kind: company }\nprocessing:\n  purpose: Løn\n  data_categories: [identity, salary]\nparties:\n  - id: lessor  # the processor\n    vendor: lessor-a-s\n    role: processor\nflows:\n  - from: controller\n    to: lessor\n    access: cleartext\n";
    let r = app
        .post_model("/api/systems?as_of=2026-11-01", As::Token(TOKEN), base)
        .await;
    r.expect(StatusCode::CREATED);
    let id = r.json()["system"]["id"].as_i64().unwrap();
    let list = std::fs::read_to_string("examples/import/lessor-annex-b1.csv").unwrap();
    let token = csrf(&cookie);
    let body = multipart(&[
        text_field("_csrf", &token),
        text_field("under", "lessor"),
        Field {
            name: "list_file",
            file_name: Some("lessor-annex-b1.csv"),
            value: &list,
        },
    ]);
    let r = app
        .call(
            Method::POST,
            &format!("/systems/{id}/import"),
            As::Cookie(&cookie),
            Some(&format!("multipart/form-data; boundary={BOUNDARY}")),
            body,
        )
        .await;
    r.expect(StatusCode::OK);
    let page = r.page();
    assert!(
        page.contains("Importerad från lessor-annex-b1.csv – inte sparad ännu"),
        "{page}"
    );
    assert!(page.contains("9 rader: 9 matchade mot katalogen"), "{page}");
    assert!(
        page.contains("name=\"p1.vendor\" list=\"vendors\" value=\"post-danmark\""),
        "{page}"
    );
    let system = app
        .get(&format!("/api/systems/{id}"), As::Token(TOKEN))
        .await
        .json();
    assert_eq!(system["versions"], 1, "an import is not saved by itself");
    let mut fields = form_fields(&r.text(), "model-form");
    fields.push(("action".into(), "save".into()));
    let r = app
        .post_fields(&format!("/systems/{id}/edit"), &cookie, &fields)
        .await;
    r.expect(StatusCode::SEE_OTHER);
    let v = app
        .get(&format!("/api/systems/{id}/versions/2"), As::Token(TOKEN))
        .await
        .json();
    let text = v["model_text"].as_str().unwrap();
    assert!(text.starts_with("# Our payroll.\n"), "{text}");
    assert!(text.contains("  - id: lessor  # the processor\n"), "{text}");
    assert!(text.contains("vendor: \"netnordic-denmark\""), "{text}");
    assert!(
        text.contains("lessor-annex-b1.csv"),
        "the import's comments are kept: {text}"
    );

    // A list in Latin-1 is refused in the user's language, at its line, and nothing changes.
    let mut latin1 = b"Navn;CVR\nK\xf8benhavn IT ApS;12345678\n".to_vec();
    let token = csrf(&cookie);
    let mut body = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"under\"\r\n\r\nlessor\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"list_file\"; filename=\"latin1.csv\"\r\nContent-Type: text/csv\r\n\r\n").into_bytes();
    body.append(&mut latin1);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let r = app
        .call(
            Method::POST,
            &format!("/systems/{id}/import"),
            As::Cookie(&cookie),
            Some(&format!("multipart/form-data; boundary={BOUNDARY}")),
            body,
        )
        .await;
    r.expect(StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.page();
    assert!(page.contains("latin1.csv:2:"), "{page}");
    assert!(
        page.contains("filen är inte UTF-8: byte 0xF8 (i Latin-1/Windows-1252 är det `ø`)"),
        "{page}"
    );
    let system = app
        .get(&format!("/api/systems/{id}"), As::Token(TOKEN))
        .await
        .json();
    assert_eq!(system["versions"], 2);
}

#[tokio::test]
async fn hostile_names_are_escaped_in_every_page() {
    let app = app().await;
    let cookie = app.login().await;
    let model = format!(
        "assessment:\n  title: \"{HOSTILE}\"\ncontroller:\n  name: \"{HOSTILE}\"\n  country: SE\nprocessing:\n  purpose: \"{HOSTILE}\"\n  data_categories: [identity]\nparties:\n  - id: x\n    name: \"{HOSTILE}\"\n    role: processor\n    incorporated: US\n    locations: [US]\nflows:\n  - from: controller\n    to: x\n    access: cleartext\n"
    );
    let r = app
        .post_form(
            "/systems",
            &cookie,
            &[text_field("name", ""), file_field("x.yaml", &model)],
        )
        .await;
    r.expect(StatusCode::SEE_OTHER);
    let system = r.location().to_string();
    let id = system.strip_prefix("/systems/").unwrap();
    // A second version, so the change report has the names too.
    let r = app
        .post_form(
            &format!("{system}/versions"),
            &cookie,
            &[
                text_field("note", HOSTILE),
                text_field("model_text", &model.replace("US", "SE")),
            ],
        )
        .await;
    r.expect(StatusCode::SEE_OTHER);
    let diff = r.location().to_string();

    for uri in [
        "/".to_string(),
        system.clone(),
        format!("{system}?v=1"),
        diff,
        format!("/compare?systems={id}"),
    ] {
        let r = app.get(&uri, As::Cookie(&cookie)).await;
        r.expect(StatusCode::OK);
        let html = r.text();
        assert!(
            html.contains("&lt;script&gt;"),
            "{uri}: the name is shown escaped"
        );
        assert!(
            !html.contains("<script"),
            "{uri}: a raw <script> in\n{html}"
        );
    }
    // The form shows every value escaped, in fields and in the text it started from; its one
    // script is its own.
    let r = app
        .get(&format!("{system}/edit"), As::Cookie(&cookie))
        .await;
    r.expect(StatusCode::OK);
    let html = r.text();
    assert!(
        html.contains("value=\"&lt;script&gt;alert(1)&lt;&#x2F;script&gt;\""),
        "{html}"
    );
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only the page's own script"
    );
    assert!(html.contains("<script src=\"/static/editor.js\"></script>"));
    // The bad-model page echoes the text escaped, too.
    let r = app
        .post_form(
            "/systems",
            &cookie,
            &[text_field("model_text", &format!("{HOSTILE}: [\n"))],
        )
        .await;
    r.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("&lt;script&gt;"));
    assert!(!r.text().contains("<script"));
}

#[tokio::test]
async fn malformed_ui_paths_answer_with_the_html_error_page() {
    let app = app().await;
    let cookie = app.login().await;
    let r = app.get("/systems/abc", As::Cookie(&cookie)).await;
    r.expect(StatusCode::BAD_REQUEST);
    assert!(r.header(header::CONTENT_TYPE).starts_with("text/html"));
    let page = r.page();
    assert!(page.contains("Något gick fel (400)"), "{page}");
    assert!(page.contains("Tillbaka till systemen"), "{page}");
    // Without a session the login comes first, whatever the path.
    let r = app.get("/systems/abc", As::Nobody).await;
    r.expect(StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn repeated_wrong_passwords_back_off_with_429_and_retry_after() {
    let app = app().await;
    // Five failures are free; the sixth try must wait, even with the right password.
    for _ in 0..5 {
        app.login_as(USER, "wrong", "/")
            .await
            .expect(StatusCode::UNAUTHORIZED);
    }
    let r = app.login_as(USER, PASSWORD, "/").await;
    r.expect(StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.header(header::RETRY_AFTER).parse().unwrap();
    assert!((1..=900).contains(&wait), "{wait}");
    assert!(
        r.page().contains("För många inloggningsförsök"),
        "{}",
        r.page()
    );
    assert!(r.headers.get(header::SET_COOKIE).is_none());
    // Another user is not held back by these failures.
    let r = app.login_as("nobody", "x", "/").await;
    r.expect(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_cross_site_form_post_with_the_session_cookie_is_refused() {
    let app = app().await;
    let cookie = app.login().await;
    let model = std::fs::read_to_string("examples/lasia-2026.yaml").unwrap();
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
        ("origin", "null"),
    ] {
        let req = Request::builder()
            .method(Method::POST)
            .uri("/api/systems")
            .header(header::HOST, "tia.example")
            .header(header::COOKIE, &cookie)
            .header(header::CONTENT_TYPE, "text/plain")
            .header(name, value)
            .body(Body::from(model.clone()))
            .unwrap();
        let r = app.send(req).await;
        r.expect(StatusCode::FORBIDDEN);
    }
    // The same from this server's own page goes through.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/systems")
        .header(header::HOST, "tia.example")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/yaml")
        .header("origin", "https://tia.example")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(model))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.page());
}

#[tokio::test]
async fn a_ui_form_without_the_sessions_token_is_refused_and_changes_nothing() {
    let app = app().await;
    let cookie = app.login().await;
    let other = app.login().await;
    let token = csrf(&cookie);
    // Every form on the pages carries this session's token (and only this session's).
    let page = app.get("/", As::Cookie(&cookie)).await.text();
    assert!(
        page.contains(&format!("name=\"_csrf\" value=\"{token}\"")),
        "the start page's forms carry the token"
    );
    assert_ne!(token, csrf(&other), "each session has its own token");
    let model = std::fs::read_to_string("examples/lasia-2026.yaml").unwrap();
    // A same-origin multipart post without the token, with another session's token, or with
    // a made-up one: 403, and no system is created.
    for sent in [None, Some(csrf(&other)), Some("0".repeat(64))] {
        let mut fields = vec![text_field("model_text", &model)];
        if let Some(t) = &sent {
            fields.insert(0, text_field("_csrf", t));
        }
        let r = app
            .call(
                Method::POST,
                "/systems",
                As::Cookie(&cookie),
                Some(&format!("multipart/form-data; boundary={BOUNDARY}")),
                multipart(&fields),
            )
            .await;
        r.expect(StatusCode::FORBIDDEN);
        assert!(
            r.text().contains("does not carry this session"),
            "{}",
            r.text()
        );
    }
    let systems = app.get("/api/systems", As::Token(TOKEN)).await.json();
    assert_eq!(
        systems.as_array().map(Vec::len),
        Some(0),
        "nothing was saved"
    );
    // Sign-off and logout forms too.
    let id = app.create("lasia-2024.yaml").await;
    let r = app
        .call(
            Method::POST,
            &format!("/systems/{id}/versions/1/sign-off"),
            As::Cookie(&cookie),
            Some("application/x-www-form-urlencoded"),
            "comment=forged",
        )
        .await;
    r.expect(StatusCode::FORBIDDEN);
    let history = app
        .get(&format!("/api/systems/{id}"), As::Token(TOKEN))
        .await
        .json();
    assert_eq!(history["events"].as_array().map(Vec::len), Some(0));
    let r = app
        .call(
            Method::POST,
            "/logout",
            As::Cookie(&cookie),
            None,
            Body::empty(),
        )
        .await;
    r.expect(StatusCode::FORBIDDEN);
    app.get("/", As::Cookie(&cookie))
        .await
        .expect(StatusCode::OK);
    // With the token the same form goes through.
    let r = app
        .post_form("/systems", &cookie, &[text_field("model_text", &model)])
        .await;
    r.expect(StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn pages_carry_the_browser_safety_headers_and_are_not_cached() {
    let app = app().await;
    let cookie = app.login().await;
    for uri in ["/", "/knowledge", "/login", "/systems/new"] {
        let r = app.get(uri, As::Cookie(&cookie)).await;
        let csp = r.header(header::CONTENT_SECURITY_POLICY).to_string();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'"),
            "{csp}"
        );
        // Scripts only from this server's own files, never inline (an injected script cannot
        // run).
        let script_src = csp
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap();
        assert_eq!(script_src.trim(), "script-src 'self'", "{csp}");
        let html = r.text();
        assert_eq!(
            html.matches("<script").count(),
            html.matches("<script src=\"/static/").count(),
            "{uri}: an inline script"
        );
        assert_eq!(r.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        assert_eq!(r.header(header::CACHE_CONTROL), "no-store");
        assert_eq!(r.header(header::REFERRER_POLICY), "same-origin");
    }
    let r = app.get("/static/editor.js", As::Nobody).await;
    r.expect(StatusCode::OK);
    assert_eq!(
        r.header(header::CONTENT_TYPE),
        "text/javascript; charset=utf-8"
    );
    assert!(r.text().contains("querySelectorAll('[data-add]')"));
}

#[tokio::test]
async fn open_redirects_are_closed_for_every_spelling() {
    let app = app().await;
    for evil in [
        "/%09/evil.example/x",
        "/%0A/evil.example",
        "/%5Cevil.example",
        "//evil.example",
        "/%5C/evil.example",
        "https://evil.example",
    ] {
        let r = app.get(&format!("/lang/en?next={evil}"), As::Nobody).await;
        assert_eq!(r.location(), "/", "{evil}");
        let r = app.login_as(USER, PASSWORD, &percent_decode(evil)).await;
        r.expect(StatusCode::SEE_OTHER);
        assert_eq!(r.location(), "/", "{evil}");
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() + 1 && i + 2 <= bytes.len() - 1 + 1 {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn a_comparison_of_too_many_systems_is_refused_before_any_work() {
    let app = app().await;
    let ids: Vec<String> = (1..=8000).map(|i| i.to_string()).collect();
    let r = app
        .get(
            &format!("/api/compare?systems={}", ids.join(",")),
            As::Token(TOKEN),
        )
        .await;
    r.expect(StatusCode::BAD_REQUEST);
    assert!(r.page().contains("at most 20"), "{}", r.page());
}

#[test]
#[should_panic(expected = "does not match its description")]
fn an_answer_that_differs_from_the_description_is_caught() {
    let doc = openapi();
    let app_report = tia::assess(
        &tia::load_model(
            &example("lasia-2026.yaml"),
            "m.yaml",
            &tia::Knowledge::embedded().unwrap(),
        )
        .unwrap(),
        &tia::Knowledge::embedded().unwrap(),
        &Default::default(),
    )
    .unwrap();
    let mut report = serde_json::to_value(&app_report).unwrap();
    conforms(&doc, "post", "/api/assess", StatusCode::OK, &report);
    report["verdict"] = serde_json::json!("fine");
    conforms(&doc, "post", "/api/assess", StatusCode::OK, &report);
}

#[tokio::test]
async fn a_memo_too_large_to_lay_out_is_refused_before_rendering() {
    let app = app().await;
    let n = tia::memo::MAX_DOCUMENT_PARTIES + 1;
    let model = common::wide_model(n);
    let r = app
        .post_model("/api/systems", As::Token(TOKEN), &model)
        .await;
    r.expect(StatusCode::CREATED);
    let id = r.json()["system"]["id"].as_i64().unwrap();
    let path = "/api/systems/{id}/versions/{number}/memo.pdf";
    let r = app.get(&concrete(path, id, 1), As::Token(TOKEN)).await;
    let e = r.api_error(StatusCode::UNPROCESSABLE_ENTITY, "document_too_large");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("501 parties"),
        "{e}"
    );
    conforms(&openapi(), "get", path, r.status, &e);
}

/// A body that sends one chunk and then nothing, ever.
struct Stalling(bool);

impl http_body::Body for Stalling {
    type Data = axum::body::Bytes;
    type Error = std::convert::Infallible;
    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        if self.0 {
            std::task::Poll::Pending
        } else {
            self.0 = true;
            std::task::Poll::Ready(Some(Ok(http_body::Frame::data("controller:\n".into()))))
        }
    }
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_cut_off() {
    let app = app().await;
    tokio::time::pause();
    let req = Request::post("/api/assess")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::new(Stalling(false)))
        .unwrap();
    let started = tokio::time::Instant::now();
    let r = app.send(req).await;
    let e = r.api_error(StatusCode::REQUEST_TIMEOUT, "slow_body");
    assert_eq!(
        started.elapsed().as_secs(),
        tia::server::BODY_READ_TIMEOUT.as_secs(),
        "{e}"
    );
    conforms(&openapi(), "post", "/api/assess", r.status, &e);
    // Nothing was saved, and the server answers others meanwhile.
    tokio::time::resume();
    app.get("/health", As::Nobody).await.expect(StatusCode::OK);
}

// ---------------------------------------------------------------------------------------------
// Roles, sign-off and the register's events
// ---------------------------------------------------------------------------------------------

async fn cookie_for(app: &App, user: &str) -> String {
    let r = app.login_as(user, PASSWORD, "/").await;
    r.expect(StatusCode::SEE_OTHER);
    r.cookie()
}

#[tokio::test]
async fn a_reader_cannot_save_and_an_editor_cannot_sign_off() {
    let app = app().await;
    let doc = openapi();
    let model = example("lasia-2024.yaml");
    // A reader's token reads but cannot save.
    let r = app
        .post_model("/api/systems", As::Token(READ_TOKEN), &model)
        .await;
    let e = r.api_error(StatusCode::FORBIDDEN, "forbidden");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("editor"),
        "{e}"
    );
    conforms(&doc, "post", "/api/systems", r.status, &e);
    app.get("/api/systems", As::Token(READ_TOKEN))
        .await
        .expect(StatusCode::OK);
    let id = app.create("lasia-2024.yaml").await;
    // A reader logged in to the UI sees no form to save and cannot post one.
    let reader = cookie_for(&app, "reader").await;
    let page = app
        .get(&format!("/systems/{id}"), As::Cookie(&reader))
        .await;
    page.expect(StatusCode::OK);
    assert!(!page.text().contains("id=\"save-version\""));
    assert!(!page.text().contains("id=\"sign-off\""));
    let r = app
        .post_form(
            &format!("/systems/{id}/versions"),
            &reader,
            &[text_field("model_text", &example("lasia-2026.yaml"))],
        )
        .await;
    r.expect(StatusCode::FORBIDDEN);
    // An editor (the CI token) cannot sign off; the versions are unchanged.
    let path = "/api/systems/{id}/versions/{number}/sign-off";
    let r = app
        .call(
            Method::POST,
            &concrete(path, id, 1),
            As::Token(TOKEN),
            None,
            Body::empty(),
        )
        .await;
    let e = r.api_error(StatusCode::FORBIDDEN, "forbidden");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("approver"),
        "{e}"
    );
    conforms(&doc, "post", path, r.status, &e);
    let editor = cookie_for(&app, "editor").await;
    let page = app
        .get(&format!("/systems/{id}"), As::Cookie(&editor))
        .await;
    assert!(page.text().contains("id=\"save-version\""));
    assert!(!page.text().contains("id=\"sign-off\""));
    let r = app
        .get(&format!("/api/systems/{id}"), As::Token(TOKEN))
        .await;
    assert_eq!(r.json()["events"], serde_json::json!([]));
}

#[tokio::test]
async fn a_sign_off_a_rename_and_a_withdrawal_are_events_in_the_history() {
    let app = app().await;
    let doc = openapi();
    let id = app.create("lasia-2024.yaml").await;
    // The approver signs version 1 off in the browser, with a comment.
    let approver = cookie_for(&app, "approver").await;
    let page = app
        .get(&format!("/systems/{id}"), As::Cookie(&approver))
        .await;
    assert!(page.text().contains("id=\"sign-off\""));
    let r = app
        .call(
            Method::POST,
            &format!("/systems/{id}/versions/1/sign-off"),
            As::Cookie(&approver),
            Some("application/x-www-form-urlencoded"),
            format!(
                "comment=Enligt+KS+2026%2F12+%C2%A74&_csrf={}",
                csrf(&approver)
            ),
        )
        .await;
    r.expect(StatusCode::SEE_OTHER);
    // An editor renames it through the API; an editor may not withdraw it, the admin may.
    let r = app
        .call(
            Method::POST,
            &format!("/api/systems/{id}/rename?name=L%C3%B6nesystemet"),
            As::Token(TOKEN),
            None,
            Body::empty(),
        )
        .await;
    r.expect(StatusCode::CREATED);
    conforms(
        &doc,
        "post",
        "/api/systems/{id}/rename",
        r.status,
        &r.json(),
    );
    let r = app
        .call(
            Method::POST,
            &format!("/api/systems/{id}/withdraw"),
            As::Token(TOKEN),
            None,
            Body::empty(),
        )
        .await;
    r.api_error(StatusCode::FORBIDDEN, "forbidden");
    let admin = app.login().await;
    let r = app
        .call(
            Method::POST,
            &format!("/api/systems/{id}/withdraw?comment=Ersatt"),
            As::Cookie(&admin),
            None,
            Body::empty(),
        )
        .await;
    r.expect(StatusCode::CREATED);
    // The history has all three, in order, with who and why; the system has its new name and
    // is marked withdrawn; its versions are untouched.
    let r = app
        .get(&format!("/api/systems/{id}"), As::Token(READ_TOKEN))
        .await;
    let s = r.json();
    conforms(&doc, "get", "/api/systems/{id}", r.status, &s);
    assert_eq!(s["name"], "Lönesystemet");
    assert_eq!(s["withdrawn"], true);
    assert_eq!(s["versions"], 1);
    let events = s["events"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["sign_off", "rename", "withdraw"]);
    assert_eq!(events[0]["actor"], "approver");
    assert_eq!(events[0]["version_number"], 1);
    assert_eq!(events[0]["comment"], "Enligt KS 2026/12 §4");
    assert_eq!(events[1]["actor"], TOKEN_NAME);
    assert_eq!(events[2]["actor"], USER);
    // The page shows them to everyone, in words.
    let reader = cookie_for(&app, "reader").await;
    let page = app
        .get(&format!("/systems/{id}"), As::Cookie(&reader))
        .await
        .page();
    assert!(
        page.contains("Godkänd som beslutsunderlag"),
        "sign-off shown"
    );
    assert!(page.contains("Enligt KS 2026/12 §4"));
    assert!(page.contains("Systemet är avvecklat"));
    // Events are never changed: the database refuses it.
    let refused = app
        .state
        .store
        .execute_raw("UPDATE events SET actor = 'someone else'")
        .await;
    assert!(refused.is_err());
    // A sign-off of a version that does not exist is 404, and control characters are refused.
    let r = app
        .call(
            Method::POST,
            &format!("/systems/{id}/versions/9/sign-off"),
            As::Cookie(&approver),
            Some("application/x-www-form-urlencoded"),
            format!("comment=x&_csrf={}", csrf(&approver)),
        )
        .await;
    r.expect(StatusCode::NOT_FOUND);
    let r = app
        .call(
            Method::POST,
            &format!("/api/systems/{id}/rename?name=a%E2%80%AEb"),
            As::Token(TOKEN),
            None,
            Body::empty(),
        )
        .await;
    r.api_error(StatusCode::BAD_REQUEST, "bad_query");
}

#[tokio::test]
async fn sessions_live_in_the_database_and_are_shared_by_two_instances() {
    // Two servers (two application states, each with its own memory) on one database: a login
    // on the first is a session on the second, and a logout on the second ends it on both.
    let app = app().await;
    let url = app._dir.path().join("tia.db");
    let store = Store::open(url.to_str().unwrap()).await.unwrap();
    let kb = tia::Knowledge::embedded().unwrap();
    let auth = Auth::from_config(&AuthFile {
        users: vec![UserEntry {
            name: USER.into(),
            password_hash: password_hash().to_string(),
            role: Role::Admin,
        }],
        tokens: vec![],
        oidc: None,
    })
    .unwrap();
    let second_state = AppState::new(store, kb, auth, None, 1, false).unwrap();
    let second = router(second_state, LIMIT);
    let cookie = app.login().await;
    let on_second = |req: Request<Body>| {
        let r = second.clone();
        async move { r.oneshot(req).await.unwrap() }
    };
    let res = on_second(
        Request::get("/api/systems")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the session is known to the second instance"
    );
    let res = on_second(logout_request(&cookie)).await;
    assert!(res.status().is_redirection());
    app.get("/api/systems", As::Cookie(&cookie))
        .await
        .api_error(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn the_first_administrator_is_created_once_with_the_setup_link() {
    let app = app().await;
    let token = "setup-token-0123456789abcdefghijkl";
    let digest = tia::server::auth::hex(&tia::server::auth::sha256(token.as_bytes()));
    app.state
        .store
        .create_setup_token(&digest, tia::server::SETUP_TTL)
        .await
        .unwrap();
    app.get(&format!("/setup?token={token}"), As::Nobody)
        .await
        .expect(StatusCode::OK);
    app.get("/setup?token=wrong", As::Nobody)
        .await
        .expect(StatusCode::FORBIDDEN);
    let post = |form: String| async {
        app.call(
            Method::POST,
            "/setup",
            As::Nobody,
            Some("application/x-www-form-urlencoded"),
            form,
        )
        .await
    };
    let form = |pw: &str, repeat: &str| {
        format!("token={token}&username=kim&password={pw}&repeat={repeat}")
    };
    post(form("short", "short"))
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    post(form("a-long-password-1", "a-long-password-2"))
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    let r = post(form("a-long-password-1", "a-long-password-1")).await;
    r.expect(StatusCode::SEE_OTHER);
    // Used: a second use is refused, and the new administrator can log in and withdraw.
    post(form("another-password-1", "another-password-1"))
        .await
        .expect(StatusCode::FORBIDDEN);
    let r = app.login_as("kim", "a-long-password-1", "/").await;
    r.expect(StatusCode::SEE_OTHER);
    let kim = r.cookie();
    let id = app.create("lasia-2024.yaml").await;
    app.call(
        Method::POST,
        &format!("/api/systems/{id}/withdraw"),
        As::Cookie(&kim),
        None,
        Body::empty(),
    )
    .await
    .expect(StatusCode::CREATED);
}

#[tokio::test]
async fn a_retried_save_adds_no_second_version_and_the_notice_date_is_kept() {
    let app = app().await;
    let id = app.create("lasia-2024.yaml").await;
    let save = |key: &'static str| {
        let uri = format!(
            "/api/systems/{id}/versions?as_of=2026-11-01&notice_date=2025-11-16&objection_days=30"
        );
        let model = example("lasia-2026.yaml");
        let app = &app;
        async move {
            let req = Request::post(&uri)
                .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
                .header("idempotency-key", key)
                .body(Body::from(model))
                .unwrap();
            app.send(req).await
        }
    };
    let first = save("save-7f3a").await;
    first.expect(StatusCode::CREATED);
    let again = save("save-7f3a").await;
    again.expect(StatusCode::CREATED);
    assert_eq!(first.json()["number"], 2);
    assert_eq!(
        again.json()["number"],
        2,
        "the retry returns the version it saved"
    );
    assert_eq!(again.json()["saved_at"], first.json()["saved_at"]);
    let r = app
        .get(&format!("/api/systems/{id}"), As::Token(TOKEN))
        .await;
    assert_eq!(r.json()["versions"], 2, "no duplicate");
    // Another key is another save.
    save("save-8b1c").await.expect(StatusCode::CREATED);
    let r = app
        .get(&format!("/api/systems/{id}"), As::Token(TOKEN))
        .await;
    assert_eq!(r.json()["versions"], 3);
    // The notice date and objection days were kept with version 2, and its change report uses
    // them without being told again.
    let v2 = &r.json()["history"][1];
    assert_eq!(v2["notice_date"], "2025-11-16");
    assert_eq!(v2["objection_days"], 30);
    let r = app
        .get(
            &format!("/api/systems/{id}/diff?from=1&to=2"),
            As::Token(TOKEN),
        )
        .await;
    r.expect(StatusCode::OK);
    let deadlines = r.json()["objection_deadlines"].clone();
    let text = deadlines.to_string();
    assert!(
        text.contains("2025-12-16"),
        "30 days after the saved notice date: {text}"
    );
}

#[tokio::test]
async fn long_version_lists_come_a_page_at_a_time() {
    let app = app().await;
    let id = app.create("lasia-2024.yaml").await;
    for _ in 0..4 {
        app.post_model(
            &format!("/api/systems/{id}/versions"),
            As::Token(TOKEN),
            &example("lasia-2026.yaml"),
        )
        .await
        .expect(StatusCode::CREATED);
    }
    let path = "/api/systems/{id}/versions";
    let r = app
        .get(
            &format!("/api/systems/{id}/versions?limit=2"),
            As::Token(TOKEN),
        )
        .await;
    r.expect(StatusCode::OK);
    conforms(&openapi(), "get", path, r.status, &r.json());
    let numbers = |r: &Resp| -> Vec<i64> {
        r.json()
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["number"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(numbers(&r), [1, 2]);
    let next = r.header(header::LINK).to_string();
    assert_eq!(
        next,
        format!("</api/systems/{id}/versions?after=2&limit=2>; rel=\"next\"")
    );
    let r = app
        .get(
            &format!("/api/systems/{id}/versions?after=2&limit=2"),
            As::Token(TOKEN),
        )
        .await;
    assert_eq!(numbers(&r), [3, 4]);
    let r = app
        .get(
            &format!("/api/systems/{id}/versions?after=4&limit=2"),
            As::Token(TOKEN),
        )
        .await;
    assert_eq!(numbers(&r), [5]);
    assert!(
        r.headers.get(header::LINK).is_none(),
        "the last page has no next"
    );
    // Without parameters: all (up to 100).
    let r = app
        .get(&format!("/api/systems/{id}/versions"), As::Token(TOKEN))
        .await;
    assert_eq!(numbers(&r), [1, 2, 3, 4, 5]);
    for bad in ["limit=0", "limit=1001", "after=-1"] {
        let r = app
            .get(
                &format!("/api/systems/{id}/versions?{bad}"),
                As::Token(TOKEN),
            )
            .await;
        let e = r.api_error(StatusCode::BAD_REQUEST, "bad_query");
        conforms(&openapi(), "get", path, r.status, &e);
    }
}

#[tokio::test]
async fn the_notice_date_given_with_a_new_version_in_the_browser_is_kept() {
    let app = app().await;
    let id = app.create("lasia-2024.yaml").await;
    let cookie = app.login().await;
    let r = app
        .post_form(
            &format!("/systems/{id}/versions"),
            &cookie,
            &[
                text_field("notice_date", "2025-11-16"),
                text_field("model_text", &example("lasia-2026.yaml")),
            ],
        )
        .await;
    r.expect(StatusCode::SEE_OTHER);
    let r = app
        .get(&format!("/api/systems/{id}"), As::Token(TOKEN))
        .await;
    assert_eq!(r.json()["history"][1]["notice_date"], "2025-11-16");
    // The change report counts from it without being told.
    let r = app
        .get(&format!("/api/systems/{id}/diff"), As::Token(TOKEN))
        .await;
    assert!(r.text().contains("2025-11-16"), "{}", r.text());
    // A malformed date saves nothing.
    let r = app
        .post_form(
            &format!("/systems/{id}/versions"),
            &cookie,
            &[
                text_field("notice_date", "16/11/2025"),
                text_field("model_text", &example("lasia-2026.yaml")),
            ],
        )
        .await;
    r.expect(StatusCode::BAD_REQUEST);
    let r = app
        .get(&format!("/api/systems/{id}"), As::Token(TOKEN))
        .await;
    assert_eq!(r.json()["versions"], 2);
}

#[tokio::test]
async fn a_reassessment_from_the_portfolio_shows_in_the_system_history_escaped() {
    let app = app().await;
    let id = app.create("lasia-2024.yaml").await;
    let r = tia::store::Reassessment {
        run_id: "run-1".into(),
        knowledge_version: "2026.12.2".into(),
        knowledge_as_of: "2026-12-03".into(),
        as_of: "2026-12-03".into(),
        policy: "se-public-sector".into(),
        verdict_before: "acceptable".into(),
        verdict_after: Some("not_acceptable".into()),
        prior_consultation_required: Some(true),
        findings_added: vec!["DPF-UNKNOWN@<b>x</b>".into()],
        findings_removed: vec![],
        why: vec!["knowledge changed from 2026.12.1 to 2026.12.2 <script>".into()],
    };
    app.state
        .store
        .record_reassessments("tia portfolio", &[(id, 1, r)])
        .await
        .unwrap();
    let reader = cookie_for(&app, "reader").await;
    let page = app
        .get(&format!("/systems/{id}"), As::Cookie(&reader))
        .await;
    page.expect(StatusCode::OK);
    let html = page.text();
    assert!(
        ["Bedömd på nytt", "Re-assessed", "Vurderet på ny"]
            .iter()
            .any(|w| html.contains(w)),
        "{html}"
    );
    assert!(html.contains("2026.12.2"), "{html}");
    assert!(
        !html.contains("<script>") && !html.contains("<b>x"),
        "escaped"
    );
    assert!(html.contains("&lt;b&gt;x"), "{html}");
}

#[tokio::test]
async fn the_portfolio_page_judges_the_register_again_without_javascript() {
    let app = app().await;
    let id = app.create("lasia-2024.yaml").await;
    let reader = cookie_for(&app, "reader").await;
    let page = app.get("/portfolio", As::Cookie(&reader)).await;
    page.expect(StatusCode::OK);
    let html = page.text();
    assert!(html.contains(&format!("href=\"/systems/{id}\"")), "{html}");
    let version = tia::Knowledge::embedded().unwrap().meta.version;
    assert!(html.contains(&version), "the knowledge version is stated");
    let page = app
        .get(
            "/portfolio?what_if=dpf-invalid&from=2027-01-01",
            As::Cookie(&reader),
        )
        .await;
    page.expect(StatusCode::OK);
    let html = unescape(&page.text());
    assert!(
        html.contains("Trump v. Slaughter"),
        "the scenario's sources"
    );
    assert!(html.contains("(2027-01-01)"), "{html}");
    // The report for the board, for the same scenario.
    assert!(
        html.contains("href=\"/portfolio.pdf?what_if=dpf-invalid&from=2027-01-01\""),
        "{html}"
    );
    // The table as a spreadsheet (formula-like cells: tests/portfolio.rs).
    let csv = app
        .get(
            "/portfolio.csv?what_if=dpf-invalid&from=2027-01-01",
            As::Cookie(&reader),
        )
        .await;
    csv.expect(StatusCode::OK);
    assert_eq!(csv.header(header::CONTENT_TYPE), "text/csv; charset=utf-8");
    assert!(
        csv.text().contains("WinLas HR- och kompetenssystem"),
        "{}",
        csv.text()
    );
    let xlsx = app.get("/portfolio.xlsx", As::Cookie(&reader)).await;
    xlsx.expect(StatusCode::OK);
    assert!(
        xlsx.body.starts_with(b"PK\x03\x04"),
        "an XLSX (zip) workbook"
    );
    let pdf = app
        .get(
            "/portfolio.pdf?what_if=dpf-invalid&from=2027-01-01",
            As::Cookie(&reader),
        )
        .await;
    pdf.pdf();
    // The same through the API, as JSON; an unknown scenario is a bad query.
    let r = app
        .get(
            "/api/portfolio?what_if=dpf-invalid&from=2027-01-01",
            As::Token(READ_TOKEN),
        )
        .await;
    r.expect(StatusCode::OK);
    let p = r.json();
    assert_eq!(p["counts"]["systems"], 1);
    assert_eq!(p["scenarios"][0]["id"], "dpf-invalid");
    assert_eq!(p["rows"][0]["system_id"], id);
    assert_eq!(p["knowledge"]["version"], version);
    app.get("/api/portfolio?what_if=nothing", As::Token(READ_TOKEN))
        .await
        .api_error(StatusCode::BAD_REQUEST, "bad_query");
    let page = app.get("/portfolio?from=soon", As::Cookie(&reader)).await;
    page.expect(StatusCode::OK);
    assert!(page.text().contains("role=\"alert\""));
    let r = app.get("/portfolio", As::Nobody).await;
    assert_ne!(r.status, StatusCode::OK, "needs a session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_register_is_judged_in_the_background_and_the_page_shows_its_progress() {
    let app = app().await;
    app.create("lasia-2024.yaml").await;
    app.create("lasia-2026.yaml").await;
    // Every register counts as large here: the run goes to the background.
    app.state
        .portfolio_jobs
        .sync_limit
        .store(0, std::sync::atomic::Ordering::Relaxed);
    let cookie = app.login().await;
    let r = app
        .get(
            "/portfolio?what_if=dpf-invalid&from=2027-01-01",
            As::Cookie(&cookie),
        )
        .await;
    r.expect(StatusCode::SEE_OTHER);
    let next = r.location().to_string();
    assert!(
        next.starts_with("/portfolio?what_if=dpf-invalid&from=2027-01-01&job="),
        "{next}"
    );
    // The page refreshes itself with the progress until the result is there.
    let mut saw = None;
    for _ in 0..200 {
        let r = app.get(&next, As::Cookie(&cookie)).await;
        r.expect(StatusCode::OK);
        let html = r.page();
        if html.contains("id=\"progress\"") {
            assert!(html.contains("<meta http-equiv=\"refresh\" content=\"1\">"));
            assert!(html.contains("av 2 system hittills"), "{html}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            continue;
        }
        saw = Some(html);
        break;
    }
    let html = saw.expect("the run finished");
    assert!(
        !html.contains("http-equiv=\"refresh\""),
        "done: no more refreshing"
    );
    assert!(html.contains("2 system;"), "{html}");
    assert!(
        html.contains("Trump v. Slaughter"),
        "the scenario's sources"
    );
    // A run asked for with other parameters, or one no longer kept, is started anew.
    let r = app
        .get(
            "/portfolio?job=0123456789abcdef01234567",
            As::Cookie(&cookie),
        )
        .await;
    r.expect(StatusCode::SEE_OTHER);
    assert!(r.location().contains("&job="));
}
