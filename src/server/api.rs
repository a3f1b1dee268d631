//! The JSON API (`/api/...`), described by `/api/openapi.json`. Every route needs a bearer
//! token or a session; errors have one shape:
//! `{"error": {"status": 422, "code": ErrorCode::InvalidModel, "message": "...", "diagnostics": [...]}}`.

use super::auth::{self, Principal};
use super::AppState;
use crate::diag::Diagnostic;
use crate::model::Lang;
use crate::report::AssessOptions;
use crate::store::NewVersion;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/assess", post(assess))
        .route("/api/systems", get(list_systems).post(create_system))
        .route("/api/systems/{id}", get(get_system))
        .route(
            "/api/systems/{id}/versions",
            get(list_versions).post(add_version),
        )
        .route("/api/systems/{id}/versions/{number}", get(get_version))
        .route(
            "/api/systems/{id}/versions/{number}/sign-off",
            post(sign_off),
        )
        .route("/api/systems/{id}/rename", post(rename))
        .route("/api/systems/{id}/withdraw", post(withdraw))
        .route(
            "/api/systems/{id}/versions/{number}/memo.pdf",
            get(memo_pdf),
        )
        .route("/api/systems/{id}/diff", get(diff))
        .route("/api/compare", get(compare))
        .route("/api/portfolio", get(portfolio))
        .route(
            "/api/openapi.json",
            get(|State(state): State<AppState>| async move {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    state.openapi.to_string(),
                )
            }),
        )
}

/// Every code an API error carries (`{"error": {"code": …}}`); the OpenAPI description lists
/// them from this type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A path parameter that is not a system or version number (`/api/systems/abc`).
    BadPath,
    /// A malformed or unknown query parameter (`?as_of=tomorrow`, `?kind=x`).
    BadQuery,
    /// A body that is not UTF-8 text.
    BadBody,
    /// A body over the server's limit (`--max-body`).
    BodyTooLarge,
    /// A body that did not arrive within the time allowed.
    SlowBody,
    /// An assessment result over what the register stores per version.
    ResultTooLarge,
    /// No valid bearer token or session.
    Unauthorized,
    /// A write with the session cookie from another site.
    CrossSite,
    /// The caller's role may not do this (a reader saving, an editor signing off).
    Forbidden,
    /// The system or version does not exist.
    NotFound,
    /// The model is not valid: `diagnostics` says where and why.
    InvalidModel,
    /// The model is too large to lay out as a document within the render time limit.
    DocumentTooLarge,
    /// The server has no typst to render PDFs with.
    TypstMissing,
    /// Rendering took longer than the limit.
    RenderTimeout,
    /// typst failed on the document.
    RenderFailed,
    /// Every worker is busy with heavy work (re-judging the register); try again shortly.
    Busy,
    /// Anything else; the server's log has the details.
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 17] = [
        ErrorCode::BadPath,
        ErrorCode::BadQuery,
        ErrorCode::BadBody,
        ErrorCode::BodyTooLarge,
        ErrorCode::SlowBody,
        ErrorCode::ResultTooLarge,
        ErrorCode::Unauthorized,
        ErrorCode::CrossSite,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::InvalidModel,
        ErrorCode::DocumentTooLarge,
        ErrorCode::TypstMissing,
        ErrorCode::RenderTimeout,
        ErrorCode::RenderFailed,
        ErrorCode::Busy,
        ErrorCode::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadPath => "bad_path",
            ErrorCode::BadQuery => "bad_query",
            ErrorCode::BadBody => "bad_body",
            ErrorCode::BodyTooLarge => "body_too_large",
            ErrorCode::SlowBody => "slow_body",
            ErrorCode::ResultTooLarge => "result_too_large",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::CrossSite => "cross_site",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::InvalidModel => "invalid_model",
            ErrorCode::DocumentTooLarge => "document_too_large",
            ErrorCode::TypstMissing => "typst_missing",
            ErrorCode::RenderTimeout => "render_timeout",
            ErrorCode::RenderFailed => "render_failed",
            ErrorCode::Busy => "busy",
            ErrorCode::Internal => "internal",
        }
    }

    /// The HTTP status the code is answered with.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::BadPath | ErrorCode::BadQuery | ErrorCode::BadBody => {
                StatusCode::BAD_REQUEST
            }
            ErrorCode::BodyTooLarge | ErrorCode::ResultTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorCode::SlowBody => StatusCode::REQUEST_TIMEOUT,
            ErrorCode::CrossSite | ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::InvalidModel | ErrorCode::DocumentTooLarge => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ErrorCode::TypstMissing | ErrorCode::Busy => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::RenderTimeout => StatusCode::GATEWAY_TIMEOUT,
            ErrorCode::RenderFailed | ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the code means, for the description.
    pub fn meaning(self) -> &'static str {
        match self {
            ErrorCode::BadPath => "a path parameter that is not a system or version number",
            ErrorCode::BadQuery => "a malformed or unknown query parameter",
            ErrorCode::BadBody => "a body that is not UTF-8 text",
            ErrorCode::BodyTooLarge => "a body over the server's limit",
            ErrorCode::SlowBody => "the body did not arrive within 30 seconds",
            ErrorCode::ResultTooLarge => {
                "the assessment result is over what the register stores per version"
            }
            ErrorCode::Unauthorized => "no valid bearer token or session",
            ErrorCode::CrossSite => "a write with the session cookie from another site",
            ErrorCode::Forbidden => "the caller's role may not do this",
            ErrorCode::NotFound => "the system or version does not exist",
            ErrorCode::InvalidModel => "the model is not valid; `diagnostics` says where and why",
            ErrorCode::DocumentTooLarge => {
                "the model is too large to lay out as a document; use the JSON report"
            }
            ErrorCode::TypstMissing => "the server has no typst to render PDFs with",
            ErrorCode::Busy => "every worker is busy re-judging; try again in a moment",
            ErrorCode::RenderTimeout => "rendering took longer than the limit",
            ErrorCode::RenderFailed => "typst failed on the document",
            ErrorCode::Internal => "anything else; the server's log has the details",
        }
    }
}

/// An API failure, answered as JSON.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    pub diagnostics: Vec<Diagnostic>,
}

/// The body of every API error.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "Error")]
pub struct ErrorBody<'a> {
    pub error: ErrorInner<'a>,
}

#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "ErrorDetail")]
pub struct ErrorInner<'a> {
    /// The HTTP status, repeated.
    pub status: u16,
    pub code: ErrorCode,
    /// What went wrong, for a person.
    pub message: &'a str,
    /// For `invalid_model`: each problem with its file, line and column.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub diagnostics: &'a [Diagnostic],
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            diagnostics: Vec::new(),
        }
    }

    fn not_found(what: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("{what} does not exist"),
        )
    }

    pub fn internal(e: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %e, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            e.to_string(),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorInner {
                status: self.status.as_u16(),
                code: self.code,
                message: &self.message,
                diagnostics: &self.diagnostics,
            },
        };
        let mut res = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"tia\""),
            );
        }
        res
    }
}

impl From<crate::InputError> for ApiError {
    fn from(e: crate::InputError) -> ApiError {
        ApiError::invalid_model(e, Lang::En)
    }
}

impl ApiError {
    /// `invalid_model` with the diagnostics (and the message, the first of them) in `lang`.
    pub fn invalid_model(e: crate::InputError, lang: Lang) -> ApiError {
        let e = e.localized(lang);
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: ErrorCode::InvalidModel,
            message: e
                .diagnostics
                .first()
                .map(|d| d.display(lang))
                .unwrap_or_else(|| "the model is not valid".into()),
            diagnostics: e.diagnostics,
        }
    }
}

/// The language of an invalid model's diagnostics: the `lang` query parameter, else the first
/// of sv, da and en in `Accept-Language` by its quality (`da, en;q=0.8`), else English.
pub fn diagnostics_lang(query: Option<Lang>, headers: &axum::http::HeaderMap) -> Lang {
    if let Some(l) = query {
        return l;
    }
    let Some(accept) = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    else {
        return Lang::En;
    };
    let mut best: Option<(f32, Lang)> = None;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let Some(lang) = Lang::from_code(&primary) else {
            continue;
        };
        // The first of equal quality wins, as the header lists them by preference.
        if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, lang));
        }
    }
    best.map_or(Lang::En, |(_, l)| l)
}

impl From<crate::memo::RenderError> for ApiError {
    fn from(e: crate::memo::RenderError) -> ApiError {
        match e {
            crate::memo::RenderError::TooLarge(m) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::DocumentTooLarge,
                m,
            ),
            e => ApiError::internal(e),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> ApiError {
        ApiError::internal(e)
    }
}

impl From<crate::typst::TypstError> for ApiError {
    fn from(e: crate::typst::TypstError) -> ApiError {
        use crate::typst::TypstError::*;
        let (status, code) = match &e {
            NotFound { .. } => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::TypstMissing),
            Timeout(_) => (StatusCode::GATEWAY_TIMEOUT, ErrorCode::RenderTimeout),
            Failed { .. } | Io(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::RenderFailed),
        };
        ApiError::new(status, code, e.to_string())
    }
}

impl From<BytesRejection> for ApiError {
    fn from(e: BytesRejection) -> ApiError {
        let code = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ErrorCode::BodyTooLarge
        } else {
            ErrorCode::BadBody
        };
        ApiError::new(e.status(), code, e.body_text())
    }
}

/// axum's `Path`, answering a bad path (`/api/systems/abc`) in the API's error shape.
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(t)) => Ok(Path(t)),
            Err(e) => Err(ApiError::new(e.status(), ErrorCode::BadPath, e.body_text())),
        }
    }
}

/// axum's `Query`, answering a bad query (`?as_of=tomorrow`) in the API's error shape.
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(t)) => Ok(Query(t)),
            Err(e) => Err(ApiError::new(
                e.status(),
                ErrorCode::BadQuery,
                e.body_text(),
            )),
        }
    }
}

/// A caller with a bearer token or a session cookie; 401 otherwise.
pub struct ApiUser(pub Principal);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        principal(parts, state).await.map(ApiUser).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthorized,
                "give a bearer token (Authorization: Bearer …) or log in",
            )
        })
    }
}

/// The principal of a request, from its bearer token or its session cookie (looked up in the
/// database, so that every instance knows every session).
pub async fn principal(parts: &Parts, state: &AppState) -> Option<Principal> {
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let token = value.to_str().ok()?.strip_prefix("Bearer ")?;
        return state.auth.token(token.trim());
    }
    let cookies = parts.headers.get(header::COOKIE)?.to_str().ok()?;
    let id = auth::cookie(cookies, auth::SESSION_COOKIE)?;
    auth::session(&state.store, id).await
}

/// Refuses a principal whose role is below `needed` (403 `forbidden`).
pub fn require(user: &Principal, needed: auth::Role, what: &str) -> Result<(), ApiError> {
    if user.role >= needed {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        ErrorCode::Forbidden,
        format!(
            "{what} needs the role `{}`; `{}` has `{}`",
            needed.as_str(),
            user.name,
            user.role.as_str()
        ),
    ))
}

/// How to judge a model: `?policy=&as_of=&lang=`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct Judging {
    /// Policy profile id (default: the model's, else the one for the controller's kind and
    /// country).
    pub policy: Option<String>,
    /// Judge the facts as of this date (default: today).
    pub as_of: Option<NaiveDate>,
    /// Language of the explanations (default: the model's, else the authority's) and of the
    /// diagnostics of an invalid model (default: the `Accept-Language` header's sv, da or en,
    /// else en).
    pub lang: Option<Lang>,
    /// The file name to report the model under (default `model.yaml`).
    pub file: Option<String>,
    /// For a new system: its name (default: the model's title).
    pub name: Option<String>,
    /// For a saved version: a note, e.g. the vendor's notice.
    pub note: Option<String>,
    /// For a saved version: the day the vendor gave notice of the change it records (kept
    /// with the version; its change report counts the days to object from it).
    pub notice_date: Option<NaiveDate>,
    /// For a saved version: the objection period, instead of the one in the DPA.
    pub objection_days: Option<u32>,
}

impl Judging {
    fn options(&self) -> AssessOptions {
        AssessOptions {
            policy: self.policy.clone(),
            as_of: self.as_of,
            lang: self.lang,
            today: None,
        }
    }

    fn file(&self) -> &str {
        self.file.as_deref().unwrap_or("model.yaml")
    }
}

fn model_text(body: Result<Bytes, BytesRejection>) -> Result<String, ApiError> {
    let body = body?;
    String::from_utf8(body.to_vec()).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadBody,
            "the model must be UTF-8 text (YAML or JSON)",
        )
    })
}

/// The most bytes of a stored result (the report as JSON); past it a save is refused, so that no
/// row grows without bound whatever the body limit is set to.
pub const MAX_RESULT_BYTES: usize = 32 * 1024 * 1024;

/// A version ready to store, or why it may not be.
pub fn version_to_save(
    file: &str,
    text: &str,
    report: &crate::Report,
    note: Option<String>,
    user: &str,
) -> Result<NewVersion, ApiError> {
    let v = NewVersion::from_report(file, text, report, note, user).map_err(ApiError::internal)?;
    if v.result_json.len() > MAX_RESULT_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::ResultTooLarge,
            format!(
                "the assessment result is {} MB; the register stores at most {} MB per version (split the model by processor)",
                v.result_json.len() / (1024 * 1024),
                MAX_RESULT_BYTES / (1024 * 1024)
            ),
        ));
    }
    Ok(v)
}

/// `POST /api/assess`: the JSON report for the model in the body; nothing is saved.
async fn assess(
    State(state): State<AppState>,
    _user: ApiUser,
    Query(q): Query<Judging>,
    headers: axum::http::HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let text = model_text(body)?;
    let (_, report) = state
        .assess(&text, q.file(), &q.options())
        .await
        .map_err(|e| ApiError::invalid_model(e, diagnostics_lang(q.lang, &headers)))?;
    json_response(&report)
}

/// JSON into a buffer sized for a report (tens of kilobytes) at once, not grown from empty.
fn json_response<T: Serialize>(value: &T) -> Result<Response, ApiError> {
    let mut buf = Vec::with_capacity(64 * 1024);
    serde_json::to_writer(&mut buf, value).map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], buf).into_response())
}

async fn list_systems(State(state): State<AppState>, _user: ApiUser) -> Result<Response, ApiError> {
    Ok(Json(state.store.systems().await?).into_response())
}

/// A new system and its first version.
#[derive(Serialize, schemars::JsonSchema)]
pub struct Created {
    pub system: crate::store::System,
    pub version: crate::store::VersionSummary,
}

/// `POST /api/systems`: a new system with the body as its first version.
async fn create_system(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Query(q): Query<Judging>,
    headers: axum::http::HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    require(&user, auth::Role::Editor, "creating a system")?;
    let text = model_text(body)?;
    let (model, report) = state
        .assess(&text, q.file(), &q.options())
        .await
        .map_err(|e| ApiError::invalid_model(e, diagnostics_lang(q.lang, &headers)))?;
    let version = version_to_save(q.file(), &text, &report, q.note.clone(), &user.name)?;
    let name = q.name.clone().unwrap_or(model.title);
    let (system, version) = state.store.create_system(&name, &version).await?;
    tracing::info!(system = system.id, user = %user.name, verdict = %version.verdict, "system created");
    Ok((StatusCode::CREATED, Json(Created { system, version })).into_response())
}

/// A system, the summaries of all its versions and its events (sign-offs, renames,
/// withdrawal), oldest first.
#[derive(Serialize, schemars::JsonSchema)]
pub struct SystemWithVersions {
    #[serde(flatten)]
    pub system: crate::store::System,
    pub history: Vec<crate::store::VersionSummary>,
    pub events: Vec<crate::store::Event>,
}

/// `?comment=` for a sign-off or a withdrawal; `?name=` for a rename.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct EventQuery {
    /// Why, in a sentence (shown in the history and exported with the version).
    pub comment: Option<String>,
    /// For a rename: the new name (at most 2,000 characters).
    pub name: Option<String>,
}

/// Records an event after checking the role and the text (length, no control characters).
pub async fn record_event(
    state: &AppState,
    user: &Principal,
    id: i64,
    version: Option<i64>,
    kind: crate::store::EventKind,
    q: &EventQuery,
) -> Result<crate::store::Event, ApiError> {
    use crate::store::EventKind;
    let (needed, what) = match kind {
        EventKind::SignOff => (auth::Role::Approver, "signing off a version"),
        EventKind::Rename => (auth::Role::Editor, "renaming a system"),
        EventKind::Withdraw => (auth::Role::Admin, "withdrawing a system"),
        EventKind::Reassess => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadQuery,
                "re-assessments are recorded by `tia portfolio --record`",
            ))
        }
    };
    require(user, needed, what)?;
    let clean = |field: &str, v: &Option<String>, max: usize| -> Result<Option<String>, ApiError> {
        let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        if v.chars().count() > max || v.chars().any(crate::model::is_unsafe_char) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadQuery,
                format!("{field} must be printable text of at most {max} characters"),
            ));
        }
        Ok(Some(v.to_string()))
    };
    let comment = clean("comment", &q.comment, crate::model::MAX_TEXT_CHARS)?;
    let name = clean("name", &q.name, crate::model::MAX_NAME_CHARS)?;
    if kind == EventKind::Rename && name.is_none() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadQuery,
            "give the new name: ?name=…",
        ));
    }
    let event = state
        .store
        .add_event(
            id,
            version,
            kind,
            &user.name,
            comment.as_deref(),
            name.as_deref(),
        )
        .await?
        .ok_or_else(|| {
            ApiError::not_found(if version.is_some() {
                "the version"
            } else {
                "the system"
            })
        })?;
    tracing::info!(system = id, ?version, kind = kind.as_str(), user = %user.name, "event recorded");
    Ok(event)
}

async fn sign_off(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path((id, number)): Path<(i64, i64)>,
    Query(q): Query<EventQuery>,
) -> Result<Response, ApiError> {
    let e = record_event(
        &state,
        &user,
        id,
        Some(number),
        crate::store::EventKind::SignOff,
        &q,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(e)).into_response())
}

async fn rename(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<EventQuery>,
) -> Result<Response, ApiError> {
    let e = record_event(&state, &user, id, None, crate::store::EventKind::Rename, &q).await?;
    Ok((StatusCode::CREATED, Json(e)).into_response())
}

async fn withdraw(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<EventQuery>,
) -> Result<Response, ApiError> {
    let e = record_event(
        &state,
        &user,
        id,
        None,
        crate::store::EventKind::Withdraw,
        &q,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(e)).into_response())
}

async fn get_system(
    State(state): State<AppState>,
    _user: ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let system = state
        .store
        .system(id)
        .await?
        .ok_or_else(|| ApiError::not_found("the system"))?;
    let history = state.store.versions(id).await?;
    let events = state.store.events(id).await?;
    Ok(Json(SystemWithVersions {
        system,
        history,
        events,
    })
    .into_response())
}

/// The most versions one page of `GET /api/systems/{id}/versions` holds.
pub const MAX_PAGE: u32 = 1000;

/// `?after=&limit=`: a page of versions.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct PageQuery {
    /// Versions numbered after this one (default 0: from the first).
    #[schemars(range(min = 0))]
    pub after: Option<i64>,
    /// At most this many (default 100, at most 1000). When there are more, the answer has a
    /// `Link: <…?after=N&limit=L>; rel="next"` header.
    #[schemars(range(min = 1, max = 1000))]
    pub limit: Option<u32>,
}

async fn list_versions(
    State(state): State<AppState>,
    _user: ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    state
        .store
        .system(id)
        .await?
        .ok_or_else(|| ApiError::not_found("the system"))?;
    let limit = q.limit.unwrap_or(100);
    if limit == 0 || limit > MAX_PAGE || q.after.is_some_and(|a| a < 0) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadQuery,
            format!("limit must be 1 to {MAX_PAGE} and after 0 or more"),
        ));
    }
    let after = q.after.unwrap_or(0);
    // One more than asked tells whether there is a next page.
    let mut page = state
        .store
        .versions_page(id, after, i64::from(limit) + 1)
        .await?;
    let more = page.len() > limit as usize;
    page.truncate(limit as usize);
    let mut res = Json(&page).into_response();
    if more {
        if let Some(last) = page.last() {
            let link = format!(
                "</api/systems/{id}/versions?after={}&limit={limit}>; rel=\"next\"",
                last.number
            );
            if let Ok(v) = header::HeaderValue::from_str(&link) {
                res.headers_mut().insert(header::LINK, v);
            }
        }
    }
    Ok(res)
}

/// `POST /api/systems/{id}/versions`: the body as the system's next version.
async fn add_version(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<Judging>,
    headers: axum::http::HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    require(&user, auth::Role::Editor, "saving a version")?;
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .filter(|k| !k.is_empty() && k.len() <= 200)
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        ErrorCode::BadQuery,
                        "Idempotency-Key must be 1 to 200 visible ASCII characters",
                    )
                })?
                .to_string(),
        ),
    };
    let text = model_text(body)?;
    let (_, report) = state
        .assess(&text, q.file(), &q.options())
        .await
        .map_err(|e| ApiError::invalid_model(e, diagnostics_lang(q.lang, &headers)))?;
    let mut version = version_to_save(q.file(), &text, &report, q.note.clone(), &user.name)?;
    version.notice_date = q.notice_date.map(|d| d.to_string());
    version.objection_days = q.objection_days.map(i64::from);
    version.idempotency_key = key;
    let saved = state
        .store
        .add_version(id, &version)
        .await?
        .ok_or_else(|| ApiError::not_found("the system"))?;
    tracing::info!(system = id, version = saved.number, user = %user.name, verdict = %saved.verdict, "version saved");
    Ok((StatusCode::CREATED, Json(saved)).into_response())
}

async fn get_version(
    State(state): State<AppState>,
    _user: ApiUser,
    Path((id, number)): Path<(i64, i64)>,
) -> Result<Response, ApiError> {
    let v = state
        .store
        .version(id, number)
        .await?
        .ok_or_else(|| ApiError::not_found("the version"))?;
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct MemoQuery {
    /// Language of the document (default: the version's).
    pub lang: Option<Lang>,
    /// `memo` (the decision memo, default) or `consult` (the prior-consultation pack).
    #[schemars(regex(pattern = "^(memo|consult)$"))]
    pub kind: Option<String>,
}

/// The memo or prior-consultation pack of a saved version, as a PDF.
pub async fn version_pdf(
    state: &AppState,
    id: i64,
    number: i64,
    q: &MemoQuery,
) -> Result<(String, Vec<u8>), ApiError> {
    let v = state
        .store
        .version(id, number)
        .await?
        .ok_or_else(|| ApiError::not_found("the version"))?;
    let (model, report) = state.reassess(&v, q.lang).await?;
    let (doc, stem) = match q.kind.as_deref().unwrap_or("memo") {
        "memo" => (state.renderer.memo(&model, &report, &state.kb), "memo"),
        "consult" => (
            state.renderer.consult(&model, &report, &state.kb),
            "consult",
        ),
        other => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadQuery,
                format!("kind must be memo or consult, not `{other}`"),
            ))
        }
    };
    let doc = doc?;
    let pdf = state.render_pdf(doc).await?;
    let name = format!("{stem}-{id}-v{number}-{}.pdf", report.language.code());
    Ok((name, pdf))
}

pub fn pdf_response(name: &str, pdf: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        pdf,
    )
        .into_response()
}

async fn memo_pdf(
    State(state): State<AppState>,
    _user: ApiUser,
    Path((id, number)): Path<(i64, i64)>,
    Query(q): Query<MemoQuery>,
) -> Result<Response, ApiError> {
    let (name, pdf) = version_pdf(&state, id, number, &q).await?;
    Ok(pdf_response(&name, pdf))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DiffQuery {
    /// The older version's number (default: the one before `to`).
    pub from: Option<i64>,
    /// The newer version's number (default: the latest).
    pub to: Option<i64>,
    /// The day the vendor gave notice of the change.
    pub notice_date: Option<NaiveDate>,
    /// Days to object, instead of the period in the processor's DPA.
    pub objection_days: Option<u32>,
    /// Language of the explanations.
    pub lang: Option<Lang>,
}

/// The change report between two versions of a system (default: the last two).
pub async fn change_report(
    state: &AppState,
    id: i64,
    q: &DiffQuery,
) -> Result<crate::diff::ChangeReport, ApiError> {
    let system = state
        .store
        .system(id)
        .await?
        .ok_or_else(|| ApiError::not_found("the system"))?;
    let to = q.to.unwrap_or(system.versions);
    let from = q.from.unwrap_or(to.saturating_sub(1));
    let load = |n: i64| async move {
        state
            .store
            .version(id, n)
            .await?
            .ok_or_else(|| ApiError::not_found(&format!("version {n}")))
    };
    let (old, new) = (load(from).await?, load(to).await?);
    let (old_model, old_report) = state.reassess(&old, q.lang).await?;
    let (new_model, new_report) = state.reassess(&new, q.lang).await?;
    Ok(crate::diff::diff(
        &old_model,
        &old_report,
        &new_model,
        &new_report,
        &crate::diff::DiffOptions {
            // Given in the query, else as saved with the newer version.
            notice_date: q
                .notice_date
                .or_else(|| new.summary.notice_date.as_deref()?.parse().ok()),
            objection_days: q.objection_days.or_else(|| {
                new.summary
                    .objection_days
                    .and_then(|d| u32::try_from(d).ok())
            }),
            today: None,
        },
    ))
}

async fn diff(
    State(state): State<AppState>,
    _user: ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<DiffQuery>,
) -> Result<Response, ApiError> {
    Ok(Json(change_report(&state, id, &q).await?).into_response())
}

/// The most systems one comparison takes (each is assessed with every option).
pub const MAX_COMPARED: usize = 20;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CompareQuery {
    /// Comma-separated system ids (at most 20); their latest versions are compared.
    #[schemars(regex(pattern = "^[0-9]+(,[0-9]+)*$"))]
    pub systems: String,
    /// Policy profile id (default: the first system's).
    pub policy: Option<String>,
    /// Judge the facts as of this date (default: the first system's).
    pub as_of: Option<NaiveDate>,
    /// Language of the explanations.
    pub lang: Option<Lang>,
}

/// The comparison of the latest versions of several systems under one profile and date.
pub async fn comparison(
    state: &AppState,
    q: &CompareQuery,
) -> Result<crate::compare::Comparison, ApiError> {
    let ids: Vec<i64> = q
        .systems
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::BadQuery,
                "systems must be comma-separated system ids, e.g. ?systems=1,2",
            )
        })?;
    if ids.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadQuery,
            "name at least one system: ?systems=1,2",
        ));
    }
    if ids.len() > MAX_COMPARED {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::BadQuery,
            format!("compare at most {MAX_COMPARED} systems at once"),
        ));
    }
    let mut versions = Vec::new();
    for id in ids {
        let system = state
            .store
            .system(id)
            .await?
            .ok_or_else(|| ApiError::not_found(&format!("system {id}")))?;
        versions.push(
            state
                .store
                .version(id, system.versions)
                .await?
                .ok_or_else(|| ApiError::not_found(&format!("system {id}'s latest version")))?,
        );
    }
    let texts: Vec<(String, String)> = versions
        .iter()
        .map(|v| (v.model_text.clone(), v.summary.file_name.clone()))
        .collect();
    let models = state
        .blocking(move |s| {
            texts
                .iter()
                .map(|(text, file)| crate::load_model(text, file, &s.kb))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    // One profile, date and language for all: the query's, else those the first system's
    // latest version was saved with.
    let first = &versions[0].summary;
    let opts = AssessOptions {
        policy: q.policy.clone().or_else(|| Some(first.policy.clone())),
        as_of: q.as_of.or_else(|| first.as_of.parse().ok()),
        lang: q.lang.or_else(|| Lang::from_code(&first.language)),
        today: None,
    };
    state
        .blocking(move |s| {
            let reports = crate::compare::assess_alike(&s.kb, &models, &opts)?;
            Ok(crate::compare::compare(&s.kb, &reports)?)
        })
        .await
}

async fn compare(
    State(state): State<AppState>,
    _user: ApiUser,
    Query(q): Query<CompareQuery>,
) -> Result<Response, ApiError> {
    Ok(Json(comparison(&state, &q).await?).into_response())
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct PortfolioQuery {
    /// A what-if scenario of the knowledge (`knowledge/scenarios/`), e.g. `dpf-invalid`.
    pub what_if: Option<String>,
    /// The first day the scenario holds (default: the scenario's own).
    pub from: Option<NaiveDate>,
    /// Language of the explanations.
    pub lang: Option<Lang>,
}

/// The register's latest versions judged again under today's knowledge and, when asked, one
/// of the knowledge's scenarios (never a file: a server reads no paths from a request). Runs
/// off the async threads in one of the server's work slots; answers `busy` when all are taken.
pub async fn portfolio_of(
    state: &AppState,
    what_if: Option<&str>,
    from: Option<NaiveDate>,
    lang: Lang,
) -> Result<crate::portfolio::Portfolio, ApiError> {
    portfolio_counting(state, what_if, from, lang, None).await
}

/// [`portfolio_of`], counting the systems judged into `done` as it goes.
pub async fn portfolio_counting(
    state: &AppState,
    what_if: Option<&str>,
    from: Option<NaiveDate>,
    lang: Lang,
    done: Option<std::sync::Arc<std::sync::atomic::AtomicUsize>>,
) -> Result<crate::portfolio::Portfolio, ApiError> {
    let scenarios = match what_if.filter(|s| !s.is_empty()) {
        None => Vec::new(),
        Some(id) => match state.kb.scenarios.get(id) {
            Some(s) => vec![s.clone()],
            None => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::BadQuery,
                    format!(
                        "unknown scenario `{id}`; known: {}",
                        state.kb.scenarios.ids().collect::<Vec<_>>().join(", ")
                    ),
                ))
            }
        },
    };
    let Ok(permit) = state.work.clone().try_acquire_owned() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Busy,
            "every worker is busy; try again in a moment",
        ));
    };
    let today = chrono::Local::now().date_naive();
    let as_of = scenarios
        .iter()
        .filter_map(|s| from.or(s.from))
        .max()
        .map_or(today, |d| d.max(today));
    let opts = crate::portfolio::PortfolioOptions {
        as_of,
        today,
        scenarios,
        from,
        changelog: crate::portfolio::changelog_for(None),
        lang,
        workers: 2,
    };
    let (kb, store) = (state.kb.clone(), state.store.clone());
    let handle = tokio::runtime::Handle::current();
    let result = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        crate::portfolio::run(
            &kb,
            crate::portfolio::register_systems(&handle, &store, 200),
            &opts,
            &|n| {
                if let Some(d) = &done {
                    d.store(n, std::sync::atomic::Ordering::Relaxed);
                }
            },
        )
    })
    .await;
    match result {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(e)) => Err(ApiError::internal(e)),
        Err(e) => Err(ApiError::internal(e)),
    }
}

async fn portfolio(
    State(state): State<AppState>,
    _user: ApiUser,
    Query(q): Query<PortfolioQuery>,
) -> Result<Response, ApiError> {
    let p = portfolio_of(
        &state,
        q.what_if.as_deref(),
        q.from,
        q.lang.unwrap_or(Lang::En),
    )
    .await?;
    Ok(Json(p).into_response())
}
