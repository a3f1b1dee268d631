//! `tia serve`: the assessment register as a web UI (axum + tera, works without JavaScript)
//! and a JSON API, over the store. Thin: every request parses its input, calls the same library
//! functions as the CLI ([`crate::assess`], [`crate::memo`], [`crate::diff`], [`crate::compare`]),
//! and presents the result.

pub mod api;
pub mod auth;
pub mod editor;
pub mod jobs;
pub mod oidc;
pub mod openapi;
pub mod ui;

use crate::knowledge::Knowledge;
use crate::memo::Renderer;
use crate::model::{Lang, Model};
use crate::report::{AssessOptions, Report};
use crate::store::{Store, Version};
use crate::typst::{Document, Typst, TypstError};
use axum::extract::DefaultBodyLimit;
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// How the server runs; from flags and the environment (see `tia serve --help`).
#[derive(Debug, Clone)]
pub struct Config {
    pub db: String,
    pub addr: SocketAddr,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Memo renders at once; the rest wait.
    pub render_slots: usize,
    pub render_timeout: Duration,
    /// Mark the session cookie `Secure` (behind a TLS-terminating proxy).
    pub secure_cookies: bool,
    pub auth_file: Option<std::path::PathBuf>,
    pub json_logs: bool,
    /// An organisation's own document templates (see `tia templates`).
    pub template_dir: Option<std::path::PathBuf>,
    /// A knowledge folder instead of the embedded knowledge (`--knowledge`, `TIA_KNOWLEDGE`).
    pub knowledge_dir: Option<std::path::PathBuf>,
    /// The most time a client may take to send a request's headers.
    pub header_timeout: Duration,
}

/// Registers up to this many systems are re-judged while the portfolio page waits; larger
/// ones run in the background and the page shows their progress.
pub const PORTFOLIO_SYNC_LIMIT: usize = 300;

/// Connections served at once; further clients wait in the listen queue.
pub const MAX_CONNECTIONS: usize = 4096;

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub kb: Arc<Knowledge>,
    pub renderer: Arc<Renderer>,
    pub web: Arc<ui::Web>,
    pub auth: Arc<auth::Auth>,
    pub renders: Arc<Semaphore>,
    /// Assessments and comparisons running at once on the blocking pool (twice the cores).
    pub work: Arc<Semaphore>,
    /// Logins being checked or waiting (argon2 is slow and takes 19 MiB each).
    pub logins: Arc<auth::LoginGate>,
    /// None when typst is missing: memo downloads then answer 503 and say how to install it.
    pub typst: Option<Typst>,
    pub secure_cookies: bool,
    /// The OpenAPI description, generated once for this server's knowledge base.
    pub openapi: Arc<str>,
    /// Portfolio runs of a large register, whose page shows their progress.
    pub portfolio_jobs: Arc<jobs::Jobs<crate::portfolio::Portfolio>>,
}

impl AppState {
    pub fn new(
        store: Store,
        kb: Knowledge,
        auth: auth::Auth,
        typst: Option<Typst>,
        render_slots: usize,
        secure_cookies: bool,
    ) -> Result<AppState, crate::memo::RenderError> {
        Ok(AppState {
            store,
            renderer: Arc::new(Renderer::new()?),
            web: Arc::new(ui::Web::new()?),
            auth: Arc::new(auth),
            renders: Arc::new(Semaphore::new(render_slots.max(1))),
            work: Arc::new(Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()) * 2,
            )),
            logins: Arc::new(auth::LoginGate::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
            openapi: openapi::document(&kb).to_string().into(),
            kb: Arc::new(kb),
            typst,
            secure_cookies,
            portfolio_jobs: Arc::new(jobs::Jobs::new(PORTFOLIO_SYNC_LIMIT)),
        })
    }

    /// Runs CPU-heavy work (assessment, comparison) on the blocking pool, at most `work` at once,
    /// so the async workers stay free for other requests (`/health` among them).
    pub async fn blocking<T, F>(&self, f: F) -> T
    where
        F: FnOnce(&AppState) -> T + Send + 'static,
        T: Send + 'static,
    {
        let _permit = self
            .work
            .acquire()
            .await
            .expect("the work semaphore is never closed");
        let state = self.clone();
        match tokio::task::spawn_blocking(move || f(&state)).await {
            Ok(v) => v,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    /// Assesses model text as the CLI does, on the blocking pool.
    pub async fn assess(
        &self,
        text: &str,
        file: &str,
        opts: &AssessOptions,
    ) -> Result<(Model, Report), crate::InputError> {
        let (text, file, opts) = (text.to_string(), file.to_string(), opts.clone());
        self.blocking(move |s| {
            let model = crate::load_model(&text, &file, &s.kb)?;
            let report = crate::assess(&model, &s.kb, &opts)?;
            Ok((model, report))
        })
        .await
    }

    /// Re-assesses a saved version with its own date and profile (and the current knowledge
    /// base), in its own or the asked language.
    pub async fn reassess(
        &self,
        v: &Version,
        lang: Option<Lang>,
    ) -> Result<(Model, Report), crate::InputError> {
        let opts = AssessOptions {
            policy: Some(v.summary.policy.clone()),
            as_of: v.summary.as_of.parse().ok(),
            lang,
            today: None,
        };
        self.assess(&v.model_text, &v.summary.file_name, &opts)
            .await
    }

    /// Compiles a document to PDF: waits for a render slot, then runs typst off the async
    /// threads (its own timeout applies).
    pub async fn render_pdf(&self, doc: Document) -> Result<Vec<u8>, TypstError> {
        let typst = self.typst.clone().ok_or_else(|| TypstError::NotFound {
            looked: "not on the server's PATH and TYPST_BIN is not set".into(),
        })?;
        let _permit = self
            .renders
            .acquire()
            .await
            .expect("the render semaphore is never closed");
        tokio::task::spawn_blocking(move || typst.compile(&doc))
            .await
            .map_err(|e| TypstError::Io(std::io::Error::other(e)))?
    }
}

/// The whole application: UI, API, `/health`, with the body limit.
pub fn router(state: AppState, body_limit: usize) -> Router {
    Router::new()
        .merge(ui::routes())
        .merge(api::routes())
        .route("/health", axum::routing::get(health))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(
            body_limit,
            read_body_in_time,
        ))
        .layer(axum::middleware::from_fn(browser_safety))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// The most time a client may take to send a whole request body; a slower one (one byte a
/// second, or a body that never ends) is answered 408 and its connection's work ends.
pub const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Reads a request body whole within [`BODY_READ_TIMEOUT`], at most one byte over the limit
/// (so that the handlers' own limit still answers a body that is too large, in their shape).
async fn read_body_in_time(
    axum::extract::State(limit): axum::extract::State<usize>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::body::HttpBody;
    use axum::response::IntoResponse;
    if matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    ) {
        return next.run(req).await;
    }
    let (parts, mut body) = req.into_parts();
    let read = async {
        let mut buf = Vec::new();
        while buf.len() <= limit {
            match std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        buf.extend_from_slice(&data);
                    }
                }
                Some(Err(e)) => return Err(e),
                None => break,
            }
        }
        buf.truncate(limit + 1);
        Ok(buf)
    };
    match tokio::time::timeout(BODY_READ_TIMEOUT, read).await {
        Ok(Ok(buf)) => {
            next.run(axum::extract::Request::from_parts(
                parts,
                axum::body::Body::from(buf),
            ))
            .await
        }
        Ok(Err(e)) => api::ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            api::ErrorCode::BadBody,
            format!("the body could not be read: {e}"),
        )
        .into_response(),
        Err(_) => {
            tracing::warn!(path = %parts.uri.path(), "request body too slow, cut off");
            api::ApiError::new(
                axum::http::StatusCode::REQUEST_TIMEOUT,
                api::ErrorCode::SlowBody,
                format!(
                    "the body did not arrive within {} seconds",
                    BODY_READ_TIMEOUT.as_secs()
                ),
            )
            .into_response()
        }
    }
}

/// `ok` when the server answers and its database does; 503 `database unavailable` otherwise,
/// so a load balancer takes the instance out.
async fn health(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> (axum::http::StatusCode, &'static str) {
    if state.store.ping().await {
        (axum::http::StatusCode::OK, "ok")
    } else {
        (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "database unavailable",
        )
    }
}

/// The content security policy: nothing runs, nothing is framed; styles inline (the pages'
/// own), images from this server or inline (the flow figure), forms post only here.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Refuses cross-site writes and sets the headers that keep pages and documents with personal
/// data out of frames, caches and other sites.
///
/// A request that changes something (not GET, HEAD or OPTIONS) without a bearer token — that
/// is, one a browser makes with the session cookie — must come from this server: a
/// `Sec-Fetch-Site` other than `same-origin` or `none` is refused with 403, and so is, from a
/// browser that sends no `Sec-Fetch-Site`, an `Origin` whose host is neither the request's
/// `Host` nor its `X-Forwarded-Host`. Clients that send neither header (curl, scripts) are not
/// browsers and cannot be led by another site.
async fn browser_safety(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{header, HeaderValue, Method};
    use axum::response::IntoResponse;
    let writes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if writes && !req.headers().contains_key(header::AUTHORIZATION) {
        let h = req.headers();
        let site = h.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        let cross_site = site.is_some_and(|s| s != "same-origin" && s != "none");
        // Without Sec-Fetch-Site (older browsers), the Origin must name this server as the
        // request (or the proxy in front, X-Forwarded-Host) addresses it.
        let hosts: Vec<&str> = [header::HOST.as_str(), "x-forwarded-host"]
            .iter()
            .filter_map(|k| h.get(*k).and_then(|v| v.to_str().ok()))
            .collect();
        let origin_host = h
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .map(|o| o.split_once("://").map_or(o, |(_, rest)| rest));
        let foreign_origin = site.is_none()
            && match origin_host {
                Some("null") => true,
                Some(o) => !hosts.iter().any(|h| o.eq_ignore_ascii_case(h)),
                None => false,
            };
        if cross_site || foreign_origin {
            tracing::warn!(path = %req.uri().path(), ?site, "cross-site write refused");
            if req.uri().path().starts_with("/api/") {
                return api::ApiError::new(
                    axum::http::StatusCode::FORBIDDEN,
                    api::ErrorCode::CrossSite,
                    "cross-site requests may not change the register",
                )
                .into_response();
            }
            return (
                axum::http::StatusCode::FORBIDDEN,
                "cross-site requests may not change the register",
            )
                .into_response();
        }
    }
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: header::HeaderName, v: &'static str| {
        if !h.contains_key(&k) {
            h.insert(k, HeaderValue::from_static(v));
        }
    };
    set(h, header::CONTENT_SECURITY_POLICY, CSP);
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "same-origin");
    set(h, header::CACHE_CONTROL, "no-store");
    res
}

/// How long the first start's setup link is valid.
pub const SETUP_TTL: std::time::Duration = std::time::Duration::from_secs(3600);

/// A configuration the server cannot start with (database, credentials, address): the
/// command line exits with code 2, as for any bad input.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// Runs the server until Ctrl-C or SIGTERM; in-flight requests (and so saves) finish first.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let store = Store::open(&config.db).await.map_err(|e| {
        ConfigError(format!(
            "cannot open the database {}: {e}",
            crate::store::redact_url(&config.db)
        ))
    })?;
    let auth = auth::Auth::load(config.auth_file.as_deref()).map_err(ConfigError)?;
    let kb = crate::load_knowledge(config.knowledge_dir.as_deref()).map_err(|e| {
        ConfigError(format!(
            "--knowledge {}: {e}",
            config
                .knowledge_dir
                .as_deref()
                .map_or("(embedded)".into(), |d| d.display().to_string())
        ))
    })?;
    tracing::info!(knowledge = %kb.meta.version, as_of = %kb.meta.as_of, "knowledge loaded");
    if let Some(dir) = &config.template_dir {
        crate::typst::check_template_dir(dir)
            .map_err(|e| ConfigError(format!("--template: {e}")))?;
    }
    let typst = match Typst::locate() {
        Ok(t) => Some(
            t.with_timeout(config.render_timeout)
                .with_templates(config.template_dir.clone()),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "memo downloads are unavailable");
            None
        }
    };
    let state = AppState::new(
        store.clone(),
        kb,
        auth,
        typst,
        config.render_slots,
        config.secure_cookies,
    )?;
    let first_start = state.auth.is_empty()
        && store
            .user_count()
            .await
            .map_err(|e| ConfigError(format!("cannot read the users: {e}")))?
            == 0;
    let app = router(state, config.body_limit);
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| ConfigError(format!("cannot listen on {}: {e}", config.addr)))?;
    if first_start {
        // Nobody can log in yet: a one-time link (valid one hour, printed once, stored only as
        // its SHA-256) lets the first administrator set a password in the browser.
        let token = auth::random_token();
        store
            .create_setup_token(&auth::hex(&auth::sha256(token.as_bytes())), SETUP_TTL)
            .await
            .map_err(|e| ConfigError(format!("cannot store the setup link: {e}")))?;
        let addr = listener.local_addr()?;
        eprintln!(
            "\nNo users yet. Within the next hour, open\n\n    http://{addr}/setup?token={token}\n\nto create the first administrator (or stop the server and run `tia user add NAME --role admin`).\n"
        );
        tracing::warn!("no users yet: the setup link was printed on standard error");
    }
    tracing::info!(
        addr = %listener.local_addr()?,
        db = %crate::store::redact_url(&config.db),
        backend = ?store.backend(),
        render_slots = config.render_slots,
        body_limit = config.body_limit,
        "tia serve listening"
    );
    accept_loop(listener, app, config.header_timeout).await;
    tracing::info!("shutting down: in-flight requests finished, closing the database");
    store.close().await;
    Ok(())
}

/// Serves connections until the shutdown signal: at most [`MAX_CONNECTIONS`] at once, each
/// allowed `header_timeout` to send a request's headers (a client that opens a connection and
/// trickles its headers is cut off), with the client's address for the login throttle. On the
/// signal, the listener closes and the requests in flight finish.
async fn accept_loop(listener: tokio::net::TcpListener, app: Router, header_timeout: Duration) {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use tower::ServiceExt;
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut shutdown = std::pin::pin!(shutdown_signal());
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => p.expect("the connection semaphore is never closed"),
            _ = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone().map_request(
            move |mut req: axum::http::Request<hyper::body::Incoming>| {
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                req
            },
        ));
        let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout);
        let conn = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _permit = permit;
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %peer, "connection ended");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received");
}
