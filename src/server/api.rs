//! The JSON API (`/api/...`), described by `/api/openapi.json`. Every route needs a bearer
//! token or a session; errors have one shape:
//! `{"error": {"status": 422, "code": "invalid_model", "message": "...", "diagnostics": [...]}}`.

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

/// The OpenAPI description, served at `/api/openapi.json`; a test checks it lists exactly
/// [`ROUTES`].
pub const OPENAPI: &str = include_str!("openapi.json");

/// Every API route as (method, path); the router and the OpenAPI description must agree.
pub const ROUTES: &[(&str, &str)] = &[
    ("post", "/api/assess"),
    ("get", "/api/systems"),
    ("post", "/api/systems"),
    ("get", "/api/systems/{id}"),
    ("get", "/api/systems/{id}/versions"),
    ("post", "/api/systems/{id}/versions"),
    ("get", "/api/systems/{id}/versions/{number}"),
    ("get", "/api/systems/{id}/versions/{number}/memo.pdf"),
    ("get", "/api/systems/{id}/diff"),
    ("get", "/api/compare"),
    ("get", "/api/openapi.json"),
];

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
            "/api/systems/{id}/versions/{number}/memo.pdf",
            get(memo_pdf),
        )
        .route("/api/systems/{id}/diff", get(diff))
        .route("/api/compare", get(compare))
        .route(
            "/api/openapi.json",
            get(|| async { ([(header::CONTENT_TYPE, "application/json")], OPENAPI) }),
        )
}

/// An API failure, answered as JSON.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorInner<'a>,
}

#[derive(Serialize)]
struct ErrorInner<'a> {
    status: u16,
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    diagnostics: &'a [Diagnostic],
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
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
            "not_found",
            format!("{what} does not exist"),
        )
    }

    pub fn internal(e: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %e, "internal error");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
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
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_model",
            message: e
                .diagnostics
                .first()
                .map(|d| d.to_string())
                .unwrap_or_else(|| "the model is not valid".into()),
            diagnostics: e.diagnostics,
        }
    }
}

impl From<crate::memo::RenderError> for ApiError {
    fn from(e: crate::memo::RenderError) -> ApiError {
        ApiError::internal(e)
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
            NotFound { .. } => (StatusCode::SERVICE_UNAVAILABLE, "typst_missing"),
            Timeout(_) => (StatusCode::GATEWAY_TIMEOUT, "render_timeout"),
            Failed { .. } | Io(_) => (StatusCode::INTERNAL_SERVER_ERROR, "render_failed"),
        };
        ApiError::new(status, code, e.to_string())
    }
}

impl From<BytesRejection> for ApiError {
    fn from(e: BytesRejection) -> ApiError {
        let code = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            "body_too_large"
        } else {
            "bad_body"
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
            Err(e) => Err(ApiError::new(e.status(), "bad_path", e.body_text())),
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
            Err(e) => Err(ApiError::new(e.status(), "bad_query", e.body_text())),
        }
    }
}

/// A caller with a bearer token or a session cookie; 401 otherwise.
pub struct ApiUser(pub Principal);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        principal(parts, state).map(ApiUser).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "give a bearer token (Authorization: Bearer …) or log in",
            )
        })
    }
}

/// The principal of a request, from its bearer token or session cookie.
pub fn principal(parts: &Parts, state: &AppState) -> Option<Principal> {
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let token = value.to_str().ok()?.strip_prefix("Bearer ")?;
        return state.auth.token(token.trim());
    }
    let cookies = parts.headers.get(header::COOKIE)?.to_str().ok()?;
    state
        .auth
        .session(auth::cookie(cookies, auth::SESSION_COOKIE)?)
}

/// How to judge a model: `?policy=&as_of=&lang=`.
#[derive(Debug, Default, Deserialize)]
pub struct Judging {
    pub policy: Option<String>,
    pub as_of: Option<NaiveDate>,
    pub lang: Option<Lang>,
    /// The file name to report the model under (default `model.yaml`).
    pub file: Option<String>,
    /// For saves: the system's name (default: the model's title) or the version's note.
    pub name: Option<String>,
    pub note: Option<String>,
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
            "bad_body",
            "the model must be UTF-8 text (YAML or JSON)",
        )
    })
}

/// `POST /api/assess`: the JSON report for the model in the body; nothing is saved.
async fn assess(
    State(state): State<AppState>,
    _user: ApiUser,
    Query(q): Query<Judging>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let text = model_text(body)?;
    let (_, report) = state.assess(&text, q.file(), &q.options()).await?;
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

#[derive(Serialize)]
struct Created {
    system: crate::store::System,
    version: crate::store::VersionSummary,
}

/// `POST /api/systems`: a new system with the body as its first version.
async fn create_system(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Query(q): Query<Judging>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let text = model_text(body)?;
    let (model, report) = state.assess(&text, q.file(), &q.options()).await?;
    let version = NewVersion::from_report(q.file(), &text, &report, q.note.clone(), &user.name)
        .map_err(ApiError::internal)?;
    let name = q.name.clone().unwrap_or(model.title);
    let (system, version) = state.store.create_system(&name, &version).await?;
    tracing::info!(system = system.id, user = %user.name, verdict = %version.verdict, "system created");
    Ok((StatusCode::CREATED, Json(Created { system, version })).into_response())
}

#[derive(Serialize)]
struct SystemWithVersions {
    #[serde(flatten)]
    system: crate::store::System,
    history: Vec<crate::store::VersionSummary>,
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
    Ok(Json(SystemWithVersions { system, history }).into_response())
}

async fn list_versions(
    State(state): State<AppState>,
    _user: ApiUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    state
        .store
        .system(id)
        .await?
        .ok_or_else(|| ApiError::not_found("the system"))?;
    Ok(Json(state.store.versions(id).await?).into_response())
}

/// `POST /api/systems/{id}/versions`: the body as the system's next version.
async fn add_version(
    State(state): State<AppState>,
    ApiUser(user): ApiUser,
    Path(id): Path<i64>,
    Query(q): Query<Judging>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let text = model_text(body)?;
    let (_, report) = state.assess(&text, q.file(), &q.options()).await?;
    let version = NewVersion::from_report(q.file(), &text, &report, q.note.clone(), &user.name)
        .map_err(ApiError::internal)?;
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

#[derive(Debug, Deserialize)]
pub struct MemoQuery {
    pub lang: Option<Lang>,
    /// `memo` (default) or `consult`.
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
                "bad_query",
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

#[derive(Debug, Deserialize)]
pub struct DiffQuery {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub notice_date: Option<NaiveDate>,
    pub objection_days: Option<u32>,
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
            notice_date: q.notice_date,
            objection_days: q.objection_days,
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

#[derive(Debug, Deserialize)]
pub struct CompareQuery {
    /// Comma-separated system ids; their latest versions are compared.
    pub systems: String,
    pub policy: Option<String>,
    pub as_of: Option<NaiveDate>,
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
                "bad_query",
                "systems must be comma-separated system ids, e.g. ?systems=1,2",
            )
        })?;
    if ids.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            "name at least one system: ?systems=1,2",
        ));
    }
    if ids.len() > MAX_COMPARED {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
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
