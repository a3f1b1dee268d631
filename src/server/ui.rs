//! The web UI: server-rendered HTML (tera, `templates/web/`), usable without JavaScript. Words
//! come from `templates/web/lang/*.yaml` and, for verdicts, roles and the like, from the memo's
//! wording; tera escapes every value for HTML.

use super::api::{self, ApiError, CompareQuery, DiffQuery, ErrorCode, MemoQuery};
use super::auth::{self, Principal};
use super::AppState;
use crate::diag::Diagnostic;
use crate::model::Lang;
use crate::report::AssessOptions;
use axum::extract::{FromRequestParts, Multipart, Query, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use serde_json::{json, Value};

const TEMPLATES: &[(&str, &str)] = &[
    (
        "base.html",
        include_str!("../../templates/web/base.html.tera"),
    ),
    (
        "login.html",
        include_str!("../../templates/web/login.html.tera"),
    ),
    (
        "index.html",
        include_str!("../../templates/web/index.html.tera"),
    ),
    (
        "system.html",
        include_str!("../../templates/web/system.html.tera"),
    ),
    (
        "diff.html",
        include_str!("../../templates/web/diff.html.tera"),
    ),
    (
        "compare.html",
        include_str!("../../templates/web/compare.html.tera"),
    ),
    (
        "knowledge.html",
        include_str!("../../templates/web/knowledge.html.tera"),
    ),
    (
        "error.html",
        include_str!("../../templates/web/error.html.tera"),
    ),
    (
        "portfolio.html",
        include_str!("../../templates/web/portfolio.html.tera"),
    ),
    (
        "setup.html",
        include_str!("../../templates/web/setup.html.tera"),
    ),
    (
        "editor.html",
        include_str!("../../templates/web/editor.html.tera"),
    ),
    (
        "model_errors.html",
        include_str!("../../templates/web/model_errors.html.tera"),
    ),
];
// The wording of `templates/web/lang/*.yaml`, checked and turned into JSON by build.rs.
const STRINGS_SV: &str = include_str!(concat!(env!("OUT_DIR"), "/wording/web-sv.json"));
const STRINGS_EN: &str = include_str!(concat!(env!("OUT_DIR"), "/wording/web-en.json"));
const STRINGS_DA: &str = include_str!(concat!(env!("OUT_DIR"), "/wording/web-da.json"));
const LANG_COOKIE: &str = "tia_lang";

/// The UI's templates and wording.
pub struct Web {
    tera: tera::Tera,
    words: crate::memo::LazyWords,
}

impl Web {
    pub fn new() -> Result<Web, crate::memo::RenderError> {
        let mut tera = tera::Tera::default();
        tera.register_filter("fill", crate::memo::fill);
        tera.register_filter("or", crate::memo::or);
        tera.register_filter("value", crate::memo::value);
        tera.add_raw_templates(TEMPLATES.to_vec())?;
        Ok(Web {
            tera,
            words: Default::default(),
        })
    }

    pub fn wording(&self, lang: Lang) -> &Value {
        self.words.get(lang, STRINGS_SV, STRINGS_EN, STRINGS_DA)
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(index))
        .route("/login", get(login_form).post(login))
        .route("/login/oidc", get(oidc_start))
        .route(super::oidc::CALLBACK_PATH, get(oidc_callback))
        .route("/logout", post(logout))
        .route("/lang/{lang}", get(set_lang))
        .route("/systems", post(create_system))
        .route(
            "/systems/new",
            get(super::editor::new_form).post(super::editor::new_submit),
        )
        .route(
            "/systems/{id}/edit",
            get(super::editor::edit_form).post(super::editor::edit_submit),
        )
        .route("/systems/{id}/import", post(super::editor::import_list))
        .route("/static/editor.js", get(super::editor::script))
        .route("/systems/{id}", get(system_page))
        .route("/systems/{id}/versions", post(add_version))
        .route("/systems/{id}/versions/{number}/sign-off", post(sign_off))
        .route("/systems/{id}/rename", post(rename))
        .route("/systems/{id}/withdraw", post(withdraw))
        .route("/setup", get(setup_form).post(setup))
        .route("/systems/{id}/versions/{number}/memo.pdf", get(memo_pdf))
        .route("/systems/{id}/diff", get(diff_page))
        .route("/systems/{id}/diff.pdf", get(diff_pdf))
        .route("/compare", get(compare_page))
        .route("/compare.pdf", get(compare_pdf))
        .route("/knowledge", get(knowledge_page))
        .route("/portfolio.pdf", get(portfolio_pdf))
        .route("/portfolio.csv", get(portfolio_csv))
        .route("/portfolio.xlsx", get(portfolio_xlsx))
        .route("/portfolio", get(portfolio_page))
}

/// A logged-in user; anyone else is sent to the login page.
pub struct UiUser(pub Principal);

impl FromRequestParts<AppState> for UiUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        api::principal(parts, state)
            .await
            .map(UiUser)
            .ok_or_else(|| {
                // Back to the page after logging in; a form's target (POST) cannot be opened with
                // GET, so after a refused post go to the start page.
                let next = match parts.method {
                    axum::http::Method::GET => {
                        parts.uri.path_and_query().map_or("/", |p| p.as_str())
                    }
                    _ => "/",
                };
                Redirect::to(&format!("/login?next={}", url_encode(next))).into_response()
            })
    }
}

/// axum's `Path`, answering a malformed path (`/systems/abc`) with the HTML error page.
pub struct Path<T>(pub T);

impl<T> FromRequestParts<AppState> for Path<T>
where
    T: serde::de::DeserializeOwned + Send,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(t)) => Ok(Path(t)),
            Err(e) => {
                let user = api::principal(parts, state).await;
                let err = ApiError::new(e.status(), ErrorCode::BadPath, e.body_text());
                Err(error_page(state, lang(&parts.headers), user.as_ref(), err))
            }
        }
    }
}

/// The UI language, from the `tia_lang` cookie (Swedish by default).
pub(super) fn lang(headers: &HeaderMap) -> Lang {
    let cookies = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match auth::cookie(cookies, LANG_COOKIE) {
        Some("en") => Lang::En,
        Some("da") => Lang::Da,
        _ => Lang::Sv,
    }
}

/// Renders a page with the wording, the user and the page's own context.
pub(super) fn page(
    state: &AppState,
    lang: Lang,
    user: Option<&Principal>,
    template: &str,
    status: StatusCode,
    mut ctx: tera::Context,
) -> Response {
    ctx.insert("w", state.web.wording(lang));
    ctx.insert("t", state.renderer.wording(lang));
    ctx.insert("lang", &lang);
    ctx.insert("user", &user.map(|u| u.name.clone()));
    ctx.insert("role", &user.map(|u| u.role.as_str()));
    ctx.insert("csrf", &user.and_then(|u| u.csrf.clone()));
    ctx.insert("version", env!("CARGO_PKG_VERSION"));
    ctx.insert(
        "knowledge",
        &json!({"version": state.kb.meta.version, "as_of": state.kb.meta.as_of}),
    );
    match state.web.tera.render(template, &ctx) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %crate::memo::RenderError::from(e), template, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// An API error as an HTML page.
pub(super) fn error_page(
    state: &AppState,
    lang: Lang,
    user: Option<&Principal>,
    e: ApiError,
) -> Response {
    let mut ctx = tera::Context::new();
    ctx.insert("status", &e.status.as_u16());
    ctx.insert("code", e.code.as_str());
    ctx.insert("message", &e.message);
    ctx.insert("diagnostics", &e.diagnostics);
    page(state, lang, user, "error.html", e.status, ctx)
}

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

/// Only local paths, so the login cannot redirect elsewhere.
/// Where to go after login or a language switch: only a path on this server — a `/` followed
/// by something other than `/` or `\`, with no control characters or backslashes anywhere
/// (browsers drop tabs and newlines and read `\` as `/`, so `/\tevil.example` would leave).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n[1..].starts_with(['/', '\\'])
                && !n.contains('\\')
                && !n.chars().any(|c| c.is_control() || c.is_whitespace())
                && n.len() <= 2000 =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<Next>,
) -> Response {
    let mut ctx = login_context(&state, &safe_next(q.next.as_deref()));
    ctx.insert("failed", &false);
    page(
        &state,
        lang(&headers),
        None,
        "login.html",
        StatusCode::OK,
        ctx,
    )
}

/// The login page's context: where to go after, and the single sign-on button if configured.
fn login_context(state: &AppState, next: &str) -> tera::Context {
    let mut ctx = tera::Context::new();
    ctx.insert("next", next);
    ctx.insert("next_encoded", &url_encode(next));
    ctx.insert("sso", &state.auth.oidc.as_ref().map(|o| o.label()));
    ctx
}

/// The 404 page for the single sign-on paths when it is not configured.
fn sso_not_configured(state: &AppState, lang: Lang) -> Response {
    error_page(
        state,
        lang,
        None,
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "single sign-on is not configured",
        ),
    )
}

/// Sends the browser to the OpenID provider, with the flow's state in a short-lived cookie.
async fn oidc_start(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<Next>,
) -> Response {
    let lang = lang(&headers);
    let Some(oidc) = state.auth.oidc.as_ref() else {
        return sso_not_configured(&state, lang);
    };
    match oidc.start(&safe_next(q.next.as_deref())).await {
        Ok((url, cookie)) => (
            [(
                header::SET_COOKIE,
                format!(
                    "{}={cookie}; Path=/login/oidc; HttpOnly; SameSite=Lax; Max-Age={}{}",
                    super::oidc::FLOW_COOKIE,
                    super::oidc::FLOW_TTL.as_secs(),
                    if state.secure_cookies { "; Secure" } else { "" }
                ),
            )],
            Redirect::to(&url),
        )
            .into_response(),
        Err(e) => sso_failed(&state, lang, "/", e),
    }
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// The provider sends the browser back here: a session for the user and role the claims give.
async fn oidc_callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    use super::oidc::OidcFailure;
    let lang = lang(&headers);
    let Some(oidc) = state.auth.oidc.as_ref() else {
        return sso_not_configured(&state, lang);
    };
    let cookies = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let flow = auth::cookie(cookies, super::oidc::FLOW_COOKIE);
    let result = match (q.error, q.code, q.state) {
        (Some(e), _, _) => Err(OidcFailure::Refused(match q.error_description {
            Some(d) => format!("{e}: {d}"),
            None => e,
        })),
        (None, Some(code), Some(st)) => oidc.finish(flow, &st, &code).await,
        _ => Err(OidcFailure::Expired),
    };
    let signed_in = match result {
        Ok(s) => s,
        Err(e) => return sso_failed(&state, lang, "/", e),
    };
    let next = safe_next(Some(&signed_in.next));
    let id = match auth::open_session(
        &state.store,
        &signed_in.name,
        signed_in.role,
        state.auth.session_ttl,
    )
    .await
    {
        Ok(id) => id,
        Err(e) => return error_page(&state, lang, None, e.into()),
    };
    tracing::info!(user = %signed_in.name, role = signed_in.role.as_str(), "signed in with OpenID Connect");
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let mut r = Redirect::to(&next).into_response();
    let h = r.headers_mut();
    for c in [
        session_cookie(&id, secure),
        format!(
            "{}=; Path=/login/oidc; HttpOnly; SameSite=Lax; Max-Age=0",
            super::oidc::FLOW_COOKIE
        ),
    ] {
        h.append(
            header::SET_COOKIE,
            axum::http::HeaderValue::from_str(&c).expect("cookie values are ASCII"),
        );
    }
    r
}

/// The login page again, saying why single sign-on did not work (the detail goes to the log).
fn sso_failed(state: &AppState, lang: Lang, next: &str, e: super::oidc::OidcFailure) -> Response {
    use super::oidc::OidcFailure;
    let (status, key) = match &e {
        OidcFailure::Expired => (StatusCode::BAD_REQUEST, "sso_expired"),
        OidcFailure::Refused(_) => (StatusCode::UNAUTHORIZED, "sso_refused"),
        OidcFailure::Provider(_) => (StatusCode::BAD_GATEWAY, "sso_unavailable"),
        OidcFailure::NoRole(_) => (StatusCode::FORBIDDEN, "sso_no_role"),
        OidcFailure::NoName => (StatusCode::FORBIDDEN, "sso_no_name"),
        OidcFailure::Busy => (StatusCode::TOO_MANY_REQUESTS, "sso_busy"),
    };
    tracing::warn!(error = %e, "single sign-on failed");
    let mut ctx = login_context(state, next);
    ctx.insert("failed", &false);
    ctx.insert("sso_problem", key);
    if let super::oidc::OidcFailure::NoRole(name) = &e {
        ctx.insert("sso_user", name);
    }
    page(state, lang, None, "login.html", status, ctx)
}

/// The session cookie: HttpOnly, SameSite=Lax, for the session's lifetime.
fn session_cookie(id: &str, secure: &str) -> String {
    format!(
        "{}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age=28800{secure}",
        auth::SESSION_COOKIE
    )
}

#[derive(Deserialize)]
struct SetupQuery {
    token: Option<String>,
}

/// The first start's page: the one-time link's token lets the first administrator in.
async fn setup_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<SetupQuery>,
) -> Response {
    let token = q.token.unwrap_or_default();
    let valid = state
        .store
        .setup_token_valid(&auth::hex(&auth::sha256(token.as_bytes())))
        .await
        .unwrap_or(false);
    setup_page(
        &state,
        lang(&headers),
        &token,
        (!valid).then_some("invalid"),
    )
}

fn setup_page(state: &AppState, lang: Lang, token: &str, problem: Option<&str>) -> Response {
    let mut ctx = tera::Context::new();
    ctx.insert("token", token);
    ctx.insert("problem", &problem);
    let status = match problem {
        None => StatusCode::OK,
        Some("invalid") => StatusCode::FORBIDDEN,
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
    };
    page(state, lang, None, "setup.html", status, ctx)
}

#[derive(Deserialize)]
struct SetupForm {
    token: String,
    username: String,
    password: String,
    repeat: String,
}

async fn setup(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<SetupForm>,
) -> Response {
    let lang = lang(&headers);
    let name = f.username.trim().to_string();
    if !auth::valid_user_name(&name) {
        return setup_page(&state, lang, &f.token, Some("name"));
    }
    if f.password != f.repeat {
        return setup_page(&state, lang, &f.token, Some("mismatch"));
    }
    if f.password.chars().count() < auth::MIN_PASSWORD_CHARS {
        return setup_page(&state, lang, &f.token, Some("short"));
    }
    // The token is used in one statement, before anything else: a second try (or another
    // instance) finds it gone.
    let hash_of_token = auth::hex(&auth::sha256(f.token.as_bytes()));
    if !state
        .store
        .take_setup_token(&hash_of_token)
        .await
        .unwrap_or(false)
    {
        return setup_page(&state, lang, &f.token, Some("invalid"));
    }
    let password = f.password;
    let hash = match tokio::task::spawn_blocking(move || auth::hash_password(&password)).await {
        Ok(h) => h,
        Err(e) => return error_page(&state, lang, None, ApiError::internal(e)),
    };
    match state
        .store
        .add_user(&name, &hash, auth::Role::Admin.as_str(), "setup link")
        .await
    {
        Ok(_) => {
            tracing::info!(user = %name, "first administrator created with the setup link");
            Redirect::to("/login").into_response()
        }
        Err(e) => error_page(&state, lang, None, e.into()),
    }
}

#[derive(Deserialize)]
struct EventForm {
    comment: Option<String>,
    name: Option<String>,
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

/// Refuses a form that does not carry the session's token: another site can make the browser
/// post, but cannot read the page the token is on.
pub(super) fn check_csrf(user: &Principal, sent: Option<&str>) -> Result<(), ApiError> {
    if auth::csrf_ok(user, sent) {
        return Ok(());
    }
    tracing::warn!(user = %user.name, "form without this session's token refused");
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        ErrorCode::CrossSite,
        "the form does not carry this session's token; reload the page and try again",
    ))
}

/// The system page's forms for sign-off, rename and withdrawal: the API's checks, then back
/// to the page.
async fn event_form(
    state: &AppState,
    headers: &HeaderMap,
    user: &Principal,
    id: i64,
    version: Option<i64>,
    kind: crate::store::EventKind,
    f: EventForm,
) -> Response {
    if let Err(e) = check_csrf(user, f.csrf.as_deref()) {
        return error_page(state, lang(headers), Some(user), e);
    }
    let q = api::EventQuery {
        comment: f.comment,
        name: f.name,
    };
    match api::record_event(state, user, id, version, kind, &q).await {
        Ok(_) => Redirect::to(&match version {
            Some(n) => format!("/systems/{id}?v={n}#events"),
            None => format!("/systems/{id}#events"),
        })
        .into_response(),
        Err(e) => error_page(state, lang(headers), Some(user), e),
    }
}

async fn sign_off(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    headers: HeaderMap,
    Path((id, number)): Path<(i64, i64)>,
    Form(f): Form<EventForm>,
) -> Response {
    use crate::store::EventKind;
    event_form(
        &state,
        &headers,
        &user,
        id,
        Some(number),
        EventKind::SignOff,
        f,
    )
    .await
}

async fn rename(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<EventForm>,
) -> Response {
    use crate::store::EventKind;
    event_form(&state, &headers, &user, id, None, EventKind::Rename, f).await
}

async fn withdraw(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<EventForm>,
) -> Response {
    use crate::store::EventKind;
    event_form(&state, &headers, &user, id, None, EventKind::Withdraw, f).await
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

/// The client's address, when the server knows it (not behind a proxy that hides it).
pub struct PeerIp(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PeerIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(PeerIp(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

async fn login(
    State(state): State<AppState>,
    PeerIp(ip): PeerIp,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = safe_next(f.next.as_deref());
    let user_key = format!("user:{}", f.username);
    let mut keys = vec![user_key.clone()];
    if let Some(ip) = ip {
        keys.push(format!("ip:{ip}"));
    }
    // At most a few password checks at once, a short queue, and a back-off after failures.
    let permit = match state.logins.enter(&keys).await {
        Ok(p) => p,
        Err(refusal) => {
            let wait = match refusal {
                auth::Refusal::BackOff(d) => d.as_secs().max(1),
                auth::Refusal::Busy => 1,
            };
            tracing::warn!(user = %f.username, retry_after = wait, "login refused: too many attempts");
            let mut ctx = login_context(&state, &next);
            ctx.insert("failed", &false);
            ctx.insert("throttled", &wait);
            let mut r = page(
                &state,
                lang(&headers),
                None,
                "login.html",
                StatusCode::TOO_MANY_REQUESTS,
                ctx,
            );
            r.headers_mut().insert(
                header::RETRY_AFTER,
                axum::http::HeaderValue::from_str(&wait.to_string()).expect("digits"),
            );
            return r;
        }
    };
    // The user from the credentials file, else from the database; unknown users are checked
    // against a dummy hash so that they take as long.
    let known = match state.auth.configured_user(&f.username) {
        Some(u) => Some(u),
        None => state
            .store
            .user(&f.username)
            .await
            .ok()
            .flatten()
            .and_then(|(hash, role)| Some((hash, auth::Role::parse(&role)?))),
    };
    // Password hashing is deliberately slow: keep it off the async threads.
    let auth = state.auth.clone();
    let password = f.password;
    let hash = known.as_ref().map(|(h, _)| h.clone());
    let verified = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        auth.verify(hash.as_deref(), &password)
    })
    .await
    .unwrap_or(false);
    let session = match (verified, &known) {
        (true, Some((_, role))) => {
            auth::open_session(&state.store, &f.username, *role, state.auth.session_ttl)
                .await
                .ok()
        }
        _ => None,
    };
    match &session {
        Some(_) => state.logins.succeeded(&[user_key]),
        None => state.logins.failed(&keys),
    }
    match session {
        Some(id) => {
            tracing::info!(user = %f.username, "logged in");
            let secure = if state.secure_cookies { "; Secure" } else { "" };
            (
                [(header::SET_COOKIE, session_cookie(&id, secure))],
                Redirect::to(&next),
            )
                .into_response()
        }
        None => {
            tracing::warn!(user = %f.username, "login failed");
            let mut ctx = login_context(&state, &next);
            ctx.insert("failed", &true);
            page(
                &state,
                lang(&headers),
                None,
                "login.html",
                StatusCode::UNAUTHORIZED,
                ctx,
            )
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(rename = "_csrf")]
    csrf: Option<String>,
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    f: Result<Form<CsrfForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    // Without a live session there is nothing to end; with one, the form must be this
    // session's (another site must not log the user out).
    let cookies = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if let Some(id) = auth::cookie(cookies, auth::SESSION_COOKIE) {
        if let Some(user) = auth::session(&state.store, id).await {
            let sent = f.as_ref().ok().and_then(|Form(f)| f.csrf.as_deref());
            if let Err(e) = check_csrf(&user, sent) {
                return error_page(&state, lang(&headers), Some(&user), e);
            }
        }
    }
    if let Some(id) = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| auth::cookie(c, auth::SESSION_COOKIE))
    {
        auth::close_session(&state.store, id).await;
    }
    (
        [(
            header::SET_COOKIE,
            format!(
                "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0",
                auth::SESSION_COOKIE
            ),
        )],
        Redirect::to("/login"),
    )
        .into_response()
}

async fn set_lang(Path(l): Path<String>, Query(q): Query<Next>, headers: HeaderMap) -> Response {
    let l = Lang::from_code(&l).unwrap_or_default().code();
    // Back to the page the link was on: `next`, else the Referer's path on this server.
    let next = q.next.or_else(|| {
        let referer = headers.get(header::REFERER)?.to_str().ok()?;
        let host = headers.get(header::HOST)?.to_str().ok()?;
        let rest = referer.split_once("://")?.1.strip_prefix(host)?;
        rest.starts_with('/').then(|| rest.to_string())
    });
    (
        [(
            header::SET_COOKIE,
            format!("{LANG_COOKIE}={l}; Path=/; SameSite=Lax; Max-Age=31536000"),
        )],
        Redirect::to(&safe_next(next.as_deref())),
    )
        .into_response()
}

async fn index(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    headers: HeaderMap,
) -> Response {
    let lang = lang(&headers);
    index_with(&state, lang, &user, StatusCode::OK, None).await
}

/// A model form's state after a failed save: what was sent and what is wrong, by line.
#[derive(serde::Serialize)]
struct FormErrors {
    name: String,
    note: String,
    notice_date: String,
    model_text: String,
    diagnostics: Vec<Diagnostic>,
    lines: Vec<Value>,
}

impl FormErrors {
    fn new(form: &ModelForm, diagnostics: Vec<Diagnostic>) -> FormErrors {
        let lines = form
            .text
            .lines()
            .enumerate()
            .map(|(i, l)| {
                let here: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.line == i + 1).collect();
                json!({"n": i + 1, "text": l, "error": !here.is_empty(),
                       "messages": here.iter().map(|d| format!("{}:{}: {}", d.line, d.column, d.message)).collect::<Vec<_>>()})
            })
            .collect();
        FormErrors {
            name: form.name.clone(),
            note: form.note.clone(),
            notice_date: form.notice_date.clone(),
            model_text: form.text.clone(),
            diagnostics,
            lines,
        }
    }
}

async fn index_with(
    state: &AppState,
    lang: Lang,
    user: &Principal,
    status: StatusCode,
    form: Option<FormErrors>,
) -> Response {
    let systems = match state.store.systems().await {
        Ok(s) => s,
        Err(e) => return error_page(state, lang, Some(user), e.into()),
    };
    let mut ctx = tera::Context::new();
    ctx.insert("systems", &systems);
    ctx.insert("form", &form);
    page(state, lang, Some(user), "index.html", status, ctx)
}

/// The fields of a model form: a name or note, and the model pasted or uploaded.
struct ModelForm {
    name: String,
    note: String,
    /// For a new version: the day the vendor gave notice (YYYY-MM-DD), kept with it.
    notice_date: String,
    text: String,
    file_name: String,
    /// The session's form token.
    csrf: Option<String>,
}

async fn read_form(mut multipart: Multipart) -> Result<ModelForm, ApiError> {
    let mut form = ModelForm {
        name: String::new(),
        note: String::new(),
        notice_date: String::new(),
        text: String::new(),
        file_name: "model.yaml".into(),
        csrf: None,
    };
    let mut uploaded = String::new();
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let value = field.text().await.map_err(multipart_error)?;
        match name.as_str() {
            "name" => form.name = value.trim().to_string(),
            "note" => form.note = value.trim().to_string(),
            "notice_date" => form.notice_date = value.trim().to_string(),
            "_csrf" => form.csrf = Some(value),
            "model_text" => form.text = value,
            "model_file" => {
                if let Some(f) = file_name.filter(|f| !f.is_empty()) {
                    form.file_name = f;
                }
                uploaded = value;
            }
            _ => {}
        }
    }
    // An uploaded file wins over the text area.
    if !uploaded.trim().is_empty() {
        form.text = uploaded;
    }
    Ok(form)
}

pub(super) fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    let status = e.status();
    let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
        ErrorCode::BodyTooLarge
    } else {
        ErrorCode::BadBody
    };
    ApiError::new(status, code, e.body_text())
}

/// The day the vendor gave notice, from a form's date field (empty: none), kept with the
/// version.
pub(super) fn with_notice(v: &mut crate::store::NewVersion, notice: &str) -> Result<(), ApiError> {
    let notice = notice.trim();
    if !notice.is_empty() {
        let date: chrono::NaiveDate = notice.parse().map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadQuery,
                "the notice date must be a date such as 2026-11-16",
            )
        })?;
        v.notice_date = Some(date.to_string());
    }
    Ok(())
}

pub(super) fn judging_for_ui(lang: Lang) -> AssessOptions {
    AssessOptions {
        lang: Some(lang),
        ..AssessOptions::default()
    }
}

async fn create_system(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    let lang = lang(&headers);
    if let Err(e) = api::require(&user, auth::Role::Editor, "creating a system") {
        return error_page(&state, lang, Some(&user), e);
    }
    let form = match read_form(multipart)
        .await
        .and_then(|f| check_csrf(&user, f.csrf.as_deref()).map(|_| f))
    {
        Ok(f) => f,
        Err(e) => return error_page(&state, lang, Some(&user), e),
    };
    let (model, report) = match state
        .assess(&form.text, &form.file_name, &judging_for_ui(lang))
        .await
    {
        Ok(x) => x,
        Err(e) => {
            let errors = FormErrors::new(&form, e.localized(lang).diagnostics);
            return index_with(
                &state,
                lang,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(errors),
            )
            .await;
        }
    };
    let name = if form.name.is_empty() {
        model.title.clone()
    } else {
        form.name.clone()
    };
    let note = (!form.note.is_empty()).then(|| form.note.clone());
    let saved = async {
        let v = api::version_to_save(&form.file_name, &form.text, &report, note, &user.name)?;
        Ok::<_, ApiError>(state.store.create_system(&name, &v).await?)
    }
    .await;
    match saved {
        Ok((system, _)) => {
            tracing::info!(system = system.id, user = %user.name, "system created");
            Redirect::to(&format!("/systems/{}", system.id)).into_response()
        }
        Err(e) => error_page(&state, lang, Some(&user), e),
    }
}

#[derive(Deserialize)]
struct SystemQuery {
    v: Option<i64>,
}

async fn system_page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<SystemQuery>,
) -> Response {
    let lang = lang(&headers);
    system_with(&state, lang, &user, id, q.v, StatusCode::OK, None).await
}

async fn system_with(
    state: &AppState,
    lang: Lang,
    user: &Principal,
    id: i64,
    number: Option<i64>,
    status: StatusCode,
    form: Option<FormErrors>,
) -> Response {
    let result = async {
        let system = state.store.system(id).await?.ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "the system does not exist",
            )
        })?;
        let number = number.unwrap_or(system.versions);
        let version = state.store.version(id, number).await?.ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "the version does not exist",
            )
        })?;
        let history = state.store.versions(id).await?;
        let events = state.store.events(id).await?;
        // The figure needs the model; the rest of the page shows the result as it was saved.
        let (model, report) = state.reassess(&version, Some(lang)).await?;
        let graph = state.renderer.graph_svg(&model, &report, &state.kb);
        Ok::<_, ApiError>((system, version, history, events, graph, report))
    }
    .await;
    let (system, version, history, events, graph, current) = match result {
        Ok(x) => x,
        Err(e) => return error_page(state, lang, Some(user), e),
    };
    let mut ctx = tera::Context::new();
    ctx.insert("system", &system);
    ctx.insert("v", &version.summary);
    ctx.insert("r", &version.result);
    ctx.insert(
        "current",
        &json!({
            "verdict": current.verdict.key(),
            "knowledge_version": current.knowledge.version,
            "differs": current.verdict.key() != version.summary.verdict
                || current.knowledge.version != version.summary.knowledge_version,
        }),
    );
    ctx.insert("history", &history);
    ctx.insert("events", &events);
    ctx.insert(
        "may",
        &json!({
            "save": user.role >= auth::Role::Editor,
            "sign_off": user.role >= auth::Role::Approver,
            "withdraw": user.role >= auth::Role::Admin,
        }),
    );
    ctx.insert("graph_svg", &graph);
    ctx.insert("form", &form);
    ctx.insert("typst", &state.typst.is_some());
    page(state, lang, Some(user), "system.html", status, ctx)
}

async fn add_version(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> Response {
    let lang = lang(&headers);
    if let Err(e) = api::require(&user, auth::Role::Editor, "saving a version") {
        return error_page(&state, lang, Some(&user), e);
    }
    let form = match read_form(multipart)
        .await
        .and_then(|f| check_csrf(&user, f.csrf.as_deref()).map(|_| f))
    {
        Ok(f) => f,
        Err(e) => return error_page(&state, lang, Some(&user), e),
    };
    let report = match state
        .assess(&form.text, &form.file_name, &judging_for_ui(lang))
        .await
    {
        Ok((_, r)) => r,
        Err(e) => {
            let errors = FormErrors::new(&form, e.localized(lang).diagnostics);
            return system_with(
                &state,
                lang,
                &user,
                id,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(errors),
            )
            .await;
        }
    };
    let note = (!form.note.is_empty()).then(|| form.note.clone());
    let saved = async {
        let mut v = api::version_to_save(&form.file_name, &form.text, &report, note, &user.name)?;
        with_notice(&mut v, &form.notice_date)?;
        Ok::<_, ApiError>(state.store.add_version(id, &v).await?)
    }
    .await;
    match saved {
        Ok(Some(v)) => {
            tracing::info!(system = id, version = v.number, user = %user.name, "version saved");
            // What changed is what the user wants to see next.
            Redirect::to(&format!(
                "/systems/{id}/diff?from={}&to={}",
                v.number - 1,
                v.number
            ))
            .into_response()
        }
        Ok(None) => error_page(
            &state,
            lang,
            Some(&user),
            ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "the system does not exist",
            ),
        ),
        Err(e) => error_page(&state, lang, Some(&user), e),
    }
}

async fn memo_pdf(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    headers: HeaderMap,
    Path((id, number)): Path<(i64, i64)>,
    Query(q): Query<MemoQuery>,
) -> Response {
    match api::version_pdf(&state, id, number, &q).await {
        Ok((name, pdf)) => api::pdf_response(&name, pdf),
        Err(e) => error_page(&state, lang(&headers), Some(&user), e),
    }
}

/// A diff form's query: empty fields count as absent.
#[derive(Deserialize)]
struct DiffForm {
    from: Option<String>,
    to: Option<String>,
    notice_date: Option<String>,
    objection_days: Option<String>,
}

impl DiffForm {
    fn query(&self, lang: Lang) -> Result<DiffQuery, ApiError> {
        fn field<T: std::str::FromStr>(
            v: &Option<String>,
            name: &str,
        ) -> Result<Option<T>, ApiError> {
            match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => s.parse().map(Some).map_err(|_| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        ErrorCode::BadQuery,
                        format!("{name}: `{s}` is not valid"),
                    )
                }),
            }
        }
        Ok(DiffQuery {
            from: field(&self.from, "from")?,
            to: field(&self.to, "to")?,
            notice_date: field(&self.notice_date, "notice_date")?,
            objection_days: field(&self.objection_days, "objection_days")?,
            lang: Some(lang),
        })
    }
}

async fn diff_page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(f): Query<DiffForm>,
    RawQuery(raw): RawQuery,
) -> Response {
    let lang = lang(&headers);
    let result = async {
        let q = f.query(lang)?;
        let system = state.store.system(id).await?.ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "the system does not exist",
            )
        })?;
        let change = api::change_report(&state, id, &q).await?;
        Ok::<_, ApiError>((system, change))
    }
    .await;
    match result {
        Ok((system, change)) => {
            let mut ctx = tera::Context::new();
            ctx.insert(
                "from",
                &f.from
                    .as_deref()
                    .and_then(|s| s.parse::<i64>().ok())
                    .unwrap_or(system.versions - 1),
            );
            ctx.insert(
                "to",
                &f.to
                    .as_deref()
                    .and_then(|s| s.parse::<i64>().ok())
                    .unwrap_or(system.versions),
            );
            ctx.insert(
                "objection_days",
                &f.objection_days
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty()),
            );
            ctx.insert("system", &system);
            ctx.insert("d", &change);
            ctx.insert("query", &raw.unwrap_or_default());
            ctx.insert("typst", &state.typst.is_some());
            page(&state, lang, Some(&user), "diff.html", StatusCode::OK, ctx)
        }
        Err(e) => error_page(&state, lang, Some(&user), e),
    }
}

async fn diff_pdf(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(f): Query<DiffForm>,
) -> Response {
    let lang = lang(&headers);
    let result = async {
        let change = api::change_report(&state, id, &f.query(lang)?).await?;
        let doc = state.renderer.diff(&change, lang, &state.kb)?;
        Ok::<_, ApiError>(state.render_pdf(doc).await?)
    }
    .await;
    match result {
        Ok(pdf) => api::pdf_response(&format!("diff-{id}.pdf"), pdf),
        Err(e) => error_page(&state, lang, Some(&user), e),
    }
}

/// `?systems=1&systems=2` (checkboxes) or `?systems=1,2`.
fn compare_query(raw: Option<&str>, lang: Lang) -> CompareQuery {
    let ids: Vec<String> = form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .filter(|(k, _)| k == "systems")
        .map(|(_, v)| v.into_owned())
        .collect();
    CompareQuery {
        systems: ids.join(","),
        policy: None,
        as_of: None,
        lang: Some(lang),
    }
}

async fn compare_page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let lang = lang(&headers);
    let q = compare_query(raw.as_deref(), lang);
    match api::comparison(&state, &q).await {
        Ok(c) => {
            let mut ctx = tera::Context::new();
            ctx.insert("c", &c);
            ctx.insert("systems", &q.systems);
            ctx.insert("typst", &state.typst.is_some());
            page(
                &state,
                lang,
                Some(&user),
                "compare.html",
                StatusCode::OK,
                ctx,
            )
        }
        Err(e) => error_page(&state, lang, Some(&user), e),
    }
}

async fn compare_pdf(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let lang = lang(&headers);
    let result = async {
        let c = api::comparison(&state, &compare_query(raw.as_deref(), lang)).await?;
        let doc = state.renderer.compare(&c, &state.kb)?;
        Ok::<_, ApiError>(state.render_pdf(doc).await?)
    }
    .await;
    match result {
        Ok(pdf) => api::pdf_response("comparison.pdf", pdf),
        Err(e) => error_page(&state, lang, Some(&user), e),
    }
}

/// `?kind=&q=`: which ids to look up on the knowledge page.
#[derive(Deserialize)]
struct KnowledgeQuery {
    kind: Option<String>,
    q: Option<String>,
}

async fn knowledge_page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    headers: HeaderMap,
    Query(kq): Query<KnowledgeQuery>,
) -> Response {
    use crate::knowledge::catalog;
    let lang = lang(&headers);
    let kb = &state.kb;
    // The ids a model may use, of the chosen kind, filtered by the search (as `tia knowledge
    // list KIND --search Q`).
    let kind = kq
        .kind
        .as_deref()
        .and_then(catalog::Kind::parse)
        .unwrap_or(catalog::Kind::Categories);
    let query: String = kq.q.unwrap_or_default().chars().take(200).collect();
    let ids = catalog::search(kb, kind, lang, &query);
    let today = chrono::Local::now().date_naive();
    let stale = kb.stale(today, kb.meta.stale_after_days);
    let is_stale = |kind: &str, id: &str| stale.iter().any(|s| s.kind == kind && s.id == id);
    let source = |id: &str| {
        kb.sources
            .get(id)
            .map(|s| s.title.clone())
            .unwrap_or_else(|| id.to_string())
    };
    let laws: Vec<Value> = kb.laws.iter().map(|l| json!({
        "id": l.id, "name": l.name.get(lang), "short": l.short, "jurisdiction": l.jurisdiction,
        "citation": l.citation, "as_of": l.as_of, "source": source(&l.source),
        "uncertainty": l.uncertainty.as_ref().map(|u| u.get(lang)), "stale": is_stale("law", &l.id),
    })).collect();
    let adequacy: Vec<Value> = kb.jurisdictions.iter().flat_map(|j| j.adequacy.iter().map(move |a| (j, a))).map(|(j, a)| json!({
        "country": j.code, "name": j.name.get(lang), "decision": a.decision, "scope": a.scope,
        "from": a.period.from, "until": a.period.until, "as_of": a.as_of, "source": source(&a.source),
        "stale": is_stale("adequacy", &format!("{}:{}", j.code, a.decision)),
    })).collect();
    let vendors: Vec<Value> = kb.vendors.iter().map(|v| json!({
        "id": v.id, "name": v.name, "incorporated": v.incorporated,
        "parents": v.parents.owners().iter().map(|p| format!("{} ({})", kb.vendors.get(&p.vendor).map_or(p.vendor.as_str(), |x| x.name.as_str()), crate::report::percent(p.share))).collect::<Vec<_>>(),
        "dpf_certified": v.dpf_certified(), "as_of": v.as_of, "source": source(&v.source), "stale": is_stale("vendor", &v.id),
    })).collect();
    let mut ctx = tera::Context::new();
    ctx.insert("ids", &ids);
    ctx.insert("ids_kind", kind.as_str());
    ctx.insert(
        "ids_kinds",
        &catalog::Kind::ALL.map(catalog::Kind::as_str).to_vec(),
    );
    ctx.insert("ids_query", &query);
    ctx.insert("laws", &laws);
    ctx.insert("adequacy", &adequacy);
    ctx.insert("vendors", &vendors);
    ctx.insert("stale", &stale);
    ctx.insert("today", &today);
    ctx.insert("max_age", &kb.meta.stale_after_days);
    ctx.insert("kb_origin", &kb.origin);
    page(
        &state,
        lang,
        Some(&user),
        "knowledge.html",
        StatusCode::OK,
        ctx,
    )
}

#[derive(Deserialize)]
struct PortfolioQuery {
    what_if: Option<String>,
    from: Option<String>,
    /// A run started for a large register, whose progress or result to show.
    job: Option<String>,
}

/// At most this many rows of the portfolio are shown on the page.
const PORTFOLIO_ROWS_SHOWN: usize = 500;

/// The register judged again (`tia portfolio`), optionally under one of the knowledge's
/// scenarios: off the async threads, one at a time per work slot, never from a file.
async fn portfolio_page(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    headers: HeaderMap,
    Query(q): Query<PortfolioQuery>,
) -> Response {
    let lang = lang(&headers);
    let words = state.web.wording(lang);
    let word = |k: &str| {
        words
            .get("portfolio")
            .and_then(|p| p.get(k))
            .and_then(Value::as_str)
            .unwrap_or(k)
            .to_string()
    };
    let chosen = q.what_if.filter(|s| !s.is_empty());
    let from_text = q.from.filter(|s| !s.is_empty());
    let mut problem = None;
    let from = match from_text.as_deref().map(str::parse::<chrono::NaiveDate>) {
        Some(Ok(d)) => Some(d),
        Some(Err(_)) => {
            problem = Some(word("bad_date"));
            None
        }
        None => None,
    };
    let known = chosen
        .as_deref()
        .filter(|id| state.kb.scenarios.get(id).is_some());
    if chosen.is_some() && known.is_none() {
        problem = Some(format!(
            "{}: {}",
            word("what_if"),
            chosen.clone().unwrap_or_default()
        ));
    }
    let query = format!(
        "what_if={}&from={}",
        url_encode(known.unwrap_or_default()),
        url_encode(&from.map(|d| d.to_string()).unwrap_or_default())
    );
    let key = format!("{query}&lang={}", lang.code());
    let job = q
        .job
        .as_deref()
        .and_then(|id| state.portfolio_jobs.get(id))
        .filter(|j| j.key == key);
    let mut running = None;
    let p: Option<std::sync::Arc<crate::portfolio::Portfolio>> = match job {
        Some(job) => match job.result() {
            Some(Ok(p)) => Some(p),
            Some(Err(e)) => return error_page(&state, lang, Some(&user), e),
            None => {
                running = Some(json!({"done": job.progress(), "total": job.total}));
                None
            }
        },
        None => {
            let total = match state.store.systems().await {
                Ok(s) => s.len(),
                Err(e) => return error_page(&state, lang, Some(&user), e.into()),
            };
            let limit = state
                .portfolio_jobs
                .sync_limit
                .load(std::sync::atomic::Ordering::Relaxed);
            if total <= limit {
                match api::portfolio_of(&state, known, from, lang).await {
                    Ok(p) => Some(std::sync::Arc::new(p)),
                    Err(e) => return error_page(&state, lang, Some(&user), e),
                }
            } else {
                // A large register: judged in the background; this page follows its progress.
                let job = match state.portfolio_jobs.start(&key, total) {
                    Ok(j) => j,
                    Err(e) => return error_page(&state, lang, Some(&user), e),
                };
                let (st, j, what_if) = (state.clone(), job.clone(), known.map(str::to_string));
                tokio::spawn(async move {
                    let done = Some(j.done.clone());
                    let r =
                        api::portfolio_counting(&st, what_if.as_deref(), from, lang, done).await;
                    j.finish(r);
                });
                return Redirect::to(&format!("/portfolio?{query}&job={}", job.id)).into_response();
            }
        }
    };
    let scenario_list: Vec<Value> = state
        .kb
        .scenarios
        .iter()
        .map(|s| json!({"id": s.id, "title": s.title.get(lang)}))
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert(
        "shown",
        &p.as_ref()
            .map_or(0, |p| p.rows.len().min(PORTFOLIO_ROWS_SHOWN)),
    );
    ctx.insert("p", &p.as_deref());
    ctx.insert("running", &running);
    ctx.insert("scenarios", &scenario_list);
    ctx.insert("chosen", chosen.as_deref().unwrap_or_default());
    ctx.insert("from", &from_text.unwrap_or_default());
    ctx.insert("problem", &problem);
    ctx.insert("typst", &state.typst.is_some());
    ctx.insert("download_query", &query);
    page(
        &state,
        lang,
        Some(&user),
        "portfolio.html",
        StatusCode::OK,
        ctx,
    )
}

/// A download of the portfolio: the report for the board, or the table as a spreadsheet.
#[derive(Clone, Copy)]
enum PortfolioFile {
    Pdf,
    Csv,
    Xlsx,
}

/// `GET /portfolio.pdf`: the portfolio report for the board, in the page's language.
async fn portfolio_pdf(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    headers: HeaderMap,
    Query(q): Query<PortfolioQuery>,
) -> Response {
    portfolio_file(&state, &user, &headers, q, PortfolioFile::Pdf).await
}

/// `GET /portfolio.csv`: the table as CSV (a cell that starts like a formula is prefixed).
async fn portfolio_csv(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    headers: HeaderMap,
    Query(q): Query<PortfolioQuery>,
) -> Response {
    portfolio_file(&state, &user, &headers, q, PortfolioFile::Csv).await
}

/// `GET /portfolio.xlsx`: the table as an Excel workbook.
async fn portfolio_xlsx(
    State(state): State<AppState>,
    UiUser(user): UiUser,
    headers: HeaderMap,
    Query(q): Query<PortfolioQuery>,
) -> Response {
    portfolio_file(&state, &user, &headers, q, PortfolioFile::Xlsx).await
}

async fn portfolio_file(
    state: &AppState,
    user: &Principal,
    headers: &HeaderMap,
    q: PortfolioQuery,
    kind: PortfolioFile,
) -> Response {
    let lang = lang(headers);
    let result = async {
        let from = match q.from.as_deref().filter(|s| !s.is_empty()) {
            Some(f) => Some(f.parse::<chrono::NaiveDate>().map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::BadQuery,
                    "the date must be written YYYY-MM-DD",
                )
            })?),
            None => None,
        };
        let p = api::portfolio_of(state, q.what_if.as_deref(), from, lang).await?;
        let (bytes, name, mime) = match kind {
            PortfolioFile::Pdf => {
                let doc = state.renderer.portfolio(&p, lang);
                return Ok::<_, ApiError>(api::pdf_response(
                    "portfolio.pdf",
                    state.render_pdf(doc).await?,
                ));
            }
            PortfolioFile::Csv => (
                crate::portfolio::to_csv(&p).map_err(ApiError::internal)?,
                "portfolio.csv",
                "text/csv; charset=utf-8",
            ),
            PortfolioFile::Xlsx => (
                crate::portfolio::to_xlsx(&p)
                    .map_err(|e| ApiError::internal(anyhow::anyhow!("{e}")))?,
                "portfolio.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
        };
        Ok((
            [
                (header::CONTENT_TYPE, mime.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            bytes,
        )
            .into_response())
    }
    .await;
    match result {
        Ok(r) => r,
        Err(e) => error_page(state, lang, Some(user), e),
    }
}

pub(crate) fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_never_redirects_off_site() {
        assert_eq!(safe_next(Some("/systems/1")), "/systems/1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
        for evil in [
            "/\t/evil.example/x",
            "/%09/evil.example",
            "/\n/evil.example",
            "/\\evil.example",
            "/\\/evil.example",
            "\\\\evil.example",
            "/ /evil.example",
            "http:/evil.example",
            "/\u{0}x",
        ] {
            let got = safe_next(Some(evil));
            assert!(
                got == "/" || (got.starts_with('/') && !got[1..].starts_with(['/', '\\'])),
                "{evil:?} → {got:?}"
            );
            assert!(!got.chars().any(char::is_control), "{evil:?}");
        }
        assert_eq!(safe_next(Some("/\t/evil.example/x")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
    }

    /// Every key path of a wording file, with its `{placeholders}`.
    fn keys(v: &Value, prefix: &str, out: &mut std::collections::BTreeSet<String>) {
        if let Value::Object(m) = v {
            for (k, v) in m {
                let path = format!("{prefix}{k}");
                keys(v, &format!("{path}."), out);
                let mut entry = path.clone();
                if let Some(text) = v.as_str() {
                    let mut rest = text;
                    let mut vars: Vec<&str> = Vec::new();
                    while let Some(i) = rest.find('{') {
                        let Some(j) = rest[i..].find('}') else { break };
                        vars.push(&rest[i + 1..i + j]);
                        rest = &rest[i + j + 1..];
                    }
                    vars.sort();
                    entry = format!("{path} {}", vars.join(","));
                }
                out.insert(entry);
            }
        }
    }

    #[test]
    fn the_web_ui_speaks_swedish_danish_and_english_with_the_same_keys() {
        let web = Web::new().unwrap();
        let set = |l: Lang| {
            let mut s = std::collections::BTreeSet::new();
            keys(web.wording(l), "", &mut s);
            s
        };
        let sv = set(Lang::Sv);
        for l in [Lang::En, Lang::Da] {
            let other = set(l);
            assert_eq!(
                sv.symmetric_difference(&other).collect::<Vec<_>>(),
                Vec::<&String>::new(),
                "sv and {} differ in keys or placeholders",
                l.code()
            );
        }
        assert_eq!(web.wording(Lang::Da)["nav"]["logout"], "Log ud");
    }

    #[test]
    fn compare_takes_checkboxes_or_a_list() {
        assert_eq!(
            compare_query(Some("systems=1&systems=3"), Lang::Sv).systems,
            "1,3"
        );
        assert_eq!(
            compare_query(Some("systems=1%2C2"), Lang::Sv).systems,
            "1,2"
        );
    }
}
