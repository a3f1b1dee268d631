//! Who may read and write the register: users who log in to the UI (argon2 password hashes,
//! session cookie HttpOnly + SameSite=Lax) and API clients with a bearer token (stored as its
//! SHA-256). Configured by a YAML file (`--auth FILE` / `TIA_AUTH_FILE`) and/or the environment
//! (`TIA_API_TOKEN`, `TIA_USER` + `TIA_PASSWORD_HASH`).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The credentials file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthFile {
    #[serde(default)]
    pub users: Vec<UserEntry>,
    #[serde(default)]
    pub tokens: Vec<TokenEntry>,
    /// Single sign-on with OpenID Connect (see `oidc.rs`).
    #[serde(default)]
    pub oidc: Option<super::oidc::OidcConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    pub name: String,
    /// An argon2 PHC string, as `tia hash-password` prints it.
    pub password_hash: String,
    /// What the user may do (default `admin`: the file is the operator's).
    #[serde(default = "Role::admin")]
    pub role: Role,
}

/// What a user or token may do; each role may do what the ones before it may.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Default,
    Deserialize,
    serde::Serialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads the register, downloads documents.
    Reader,
    /// Also creates systems, saves versions and renames systems.
    #[default]
    Editor,
    /// Also signs a version off as decision basis.
    Approver,
    /// Also withdraws systems.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Reader, Role::Editor, Role::Approver, Role::Admin];

    fn admin() -> Role {
        Role::Admin
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Editor => "editor",
            Role::Approver => "approver",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenEntry {
    pub name: String,
    /// Hex SHA-256 of the token (`tia hash-password --token` prints it); or `token` in clear.
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub token: Option<String>,
    /// What the token may do (default `editor`: scripts save versions).
    #[serde(default)]
    pub role: Role,
}

/// The users and tokens configured by file or environment. Users added with `tia user add` or
/// the setup link live in the database, and so do sessions (shared by every instance).
pub struct Auth {
    dummy_hash: String,
    users: HashMap<String, (String, Role)>,
    tokens: Vec<(String, [u8; 32], Role)>,
    pub session_ttl: Duration,
    /// The OpenID provider, when single sign-on is configured.
    pub oidc: Option<super::oidc::Oidc>,
}

/// Who made a request, and what they may do.
#[derive(Debug, Clone)]
pub struct Principal {
    pub name: String,
    pub role: Role,
    /// For a browser session: the token its forms must send back (`_csrf`); derived from the
    /// session's id, so it is tied to the session and needs no storage.
    pub csrf: Option<String>,
}

pub const SESSION_COOKIE: &str = "tia_session";

impl Auth {
    /// From the credentials file and the environment. At least one user or token must be
    /// configured, or nobody could use the register.
    pub fn load(file: Option<&std::path::Path>) -> Result<Auth, String> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    format!("cannot read the credentials file {}: {e}", path.display())
                })?;
                crate::yaml::from_str::<AuthFile>(&text)
                    .map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => AuthFile::default(),
        };
        if let Ok(token) = std::env::var("TIA_API_TOKEN") {
            if !token.is_empty() {
                config.tokens.push(TokenEntry {
                    name: "api".into(),
                    sha256: None,
                    token: Some(token),
                    role: Role::Editor,
                });
            }
        }
        if let (Ok(name), Ok(hash)) = (
            std::env::var("TIA_USER"),
            std::env::var("TIA_PASSWORD_HASH"),
        ) {
            config.users.push(UserEntry {
                name,
                password_hash: hash,
                role: Role::Admin,
            });
        }
        Auth::from_config(&config)
    }

    pub fn from_config(config: &AuthFile) -> Result<Auth, String> {
        let mut users = HashMap::new();
        for u in &config.users {
            PasswordHash::new(&u.password_hash).map_err(|e| {
                format!(
                    "user `{}`: password_hash is not an argon2 PHC string ({e}); create one with `tia hash-password`",
                    u.name
                )
            })?;
            users.insert(u.name.clone(), (u.password_hash.clone(), u.role));
        }
        let mut tokens = Vec::new();
        for t in &config.tokens {
            let digest = match (&t.sha256, &t.token) {
                (Some(hex), _) => parse_hex32(hex)
                    .ok_or_else(|| format!("token `{}`: sha256 must be 64 hex digits", t.name))?,
                (None, Some(clear)) if clear.len() >= 16 => sha256(clear.as_bytes()),
                (None, Some(_)) => {
                    return Err(format!("token `{}` is shorter than 16 characters", t.name))
                }
                (None, None) => {
                    return Err(format!("token `{}` has neither sha256 nor token", t.name))
                }
            };
            tokens.push((t.name.clone(), digest, t.role));
        }
        Ok(Auth {
            // An unknown user is checked against this hash, so that the answer takes as long as
            // for a known one and does not tell which names exist.
            dummy_hash: hash_password(&random_token()),
            users,
            tokens,
            session_ttl: Duration::from_secs(8 * 3600),
            oidc: config
                .oidc
                .clone()
                .map(super::oidc::Oidc::new)
                .transpose()?,
        })
    }

    /// Whether neither a user nor a token is configured by file or environment.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.tokens.is_empty() && self.oidc.is_none()
    }

    /// The principal a bearer token belongs to.
    pub fn token(&self, token: &str) -> Option<Principal> {
        let digest = sha256(token.as_bytes());
        self.tokens
            .iter()
            .find(|(_, d, _)| constant_time_eq(d, &digest))
            .map(|(name, _, role)| Principal {
                name: name.clone(),
                role: *role,
                csrf: None,
            })
    }

    /// A user configured by file or environment: the password hash and role.
    pub fn configured_user(&self, name: &str) -> Option<(String, Role)> {
        self.users.get(name).cloned()
    }

    /// Checks a password against a user's hash; an unknown user (None) is checked against a
    /// dummy hash, so that the answer takes as long and is always no. Slow: call it off the
    /// async threads.
    pub fn verify(&self, hash: Option<&str>, password: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(hash.unwrap_or(&self.dummy_hash)) else {
            return false;
        };
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        ok && hash.is_some()
    }
}

/// The fewest characters a new password may have (setup link and `tia user add`).
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Whether a new user name is acceptable: 1 to 200 characters, printable, spaces but no other
/// white space. The same rule for the setup link and `tia user add`.
pub fn valid_user_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= 200
        && !name
            .chars()
            .any(|c| (c.is_whitespace() && c != ' ') || crate::model::is_unsafe_char(c))
}

/// Opens a session in the database; returns the id for the cookie (the database keeps only
/// its SHA-256).
pub async fn open_session(
    store: &crate::store::Store,
    user: &str,
    role: Role,
    ttl: Duration,
) -> Result<String, crate::store::StoreError> {
    let id = random_token();
    store
        .create_session(&hex(&sha256(id.as_bytes())), user, role.as_str(), ttl)
        .await?;
    Ok(id)
}

/// The principal of a live session.
pub async fn session(store: &crate::store::Store, id: &str) -> Option<Principal> {
    let (name, role) = store
        .session(&hex(&sha256(id.as_bytes())))
        .await
        .ok()
        .flatten()?;
    Some(Principal {
        name,
        role: Role::parse(&role)?,
        csrf: Some(csrf_token(id)),
    })
}

/// The token a session's forms carry: a hash of the session id under its own label, so that
/// it reveals nothing about the id and is the same on every instance.
pub fn csrf_token(session_id: &str) -> String {
    hex(&sha256(format!("tia-csrf:{session_id}").as_bytes()))
}

/// Whether a form's `_csrf` is the session's token (compared in constant time).
pub fn csrf_ok(user: &Principal, sent: Option<&str>) -> bool {
    match (&user.csrf, sent) {
        // A bearer token is not a browser session: nothing to forge.
        (None, _) => true,
        (Some(want), Some(got)) => eq_secret(want.as_bytes(), got.as_bytes()),
        (Some(_), None) => false,
    }
}

/// Compares two secrets without stopping at the first difference.
pub fn eq_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub async fn close_session(store: &crate::store::Store, id: &str) {
    let _ = store.delete_session(&hex(&sha256(id.as_bytes()))).await;
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Failed logins a name or an address may have before it must wait.
const FREE_FAILURES: u32 = 5;
/// The longest wait after repeated failures.
const MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);
/// Failures older than this are forgotten.
const FAILURE_MEMORY: Duration = Duration::from_secs(30 * 60);
/// Names and addresses tracked at most; the oldest are forgotten first.
const MAX_TRACKED: usize = 10_000;

/// Bounds the work logins cause: at most `slots` password checks (argon2, 19 MiB each) at once,
/// a short queue behind them (beyond it: 429), and for each user name and client address a
/// back-off after [`FREE_FAILURES`] failures that doubles with each further one.
pub struct LoginGate {
    slots: Arc<tokio::sync::Semaphore>,
    waiting: AtomicUsize,
    max_waiting: usize,
    failures: Mutex<HashMap<String, Failures>>,
}

#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    until: Instant,
}

/// Why a login cannot be checked now, and when to try again.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Too many failures for this name or address.
    BackOff(Duration),
    /// Too many logins at once.
    Busy,
}

impl LoginGate {
    pub fn new(slots: usize) -> LoginGate {
        let slots = slots.max(1);
        LoginGate {
            slots: Arc::new(tokio::sync::Semaphore::new(slots)),
            waiting: AtomicUsize::new(0),
            max_waiting: slots * 4,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// A turn to check a password, or why not: the keys (`user:NAME`, `ip:ADDR`) are backing
    /// off, or the queue is full.
    pub async fn enter(
        &self,
        keys: &[String],
    ) -> Result<tokio::sync::OwnedSemaphorePermit, Refusal> {
        let now = Instant::now();
        {
            let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
            let wait = keys
                .iter()
                .filter_map(|k| failures.get(k))
                .filter(|f| f.until > now)
                .map(|f| f.until - now)
                .max();
            if let Some(w) = wait {
                return Err(Refusal::BackOff(w));
            }
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Refusal::Busy);
        }
        let permit = self.slots.clone().acquire_owned().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        permit.map_err(|_| Refusal::Busy)
    }

    /// Records a failed login for each key.
    pub fn failed(&self, keys: &[String]) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() >= MAX_TRACKED {
            failures.retain(|_, f| now.duration_since(f.last) < FAILURE_MEMORY);
            if failures.len() >= MAX_TRACKED {
                if let Some(oldest) = failures
                    .iter()
                    .min_by_key(|(_, f)| f.last)
                    .map(|(k, _)| k.clone())
                {
                    failures.remove(&oldest);
                }
            }
        }
        for k in keys {
            let f = failures.entry(k.clone()).or_insert(Failures {
                count: 0,
                last: now,
                until: now,
            });
            if now.duration_since(f.last) > FAILURE_MEMORY {
                f.count = 0;
            }
            f.count += 1;
            f.last = now;
            if f.count >= FREE_FAILURES {
                let exp = (f.count - FREE_FAILURES).min(10);
                f.until = now + Duration::from_secs(1 << exp).min(MAX_BACKOFF);
            }
        }
    }

    /// Forgets the failures of a user name after a successful login.
    pub fn succeeded(&self, keys: &[String]) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for k in keys {
            failures.remove(k);
        }
    }
}

/// An argon2id PHC string for a password (what `tia hash-password` prints).
pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the operating system gives random bytes");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes make a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password")
        .to_string()
}

/// Hex SHA-256 of an API token, for the credentials file.
pub fn token_digest(token: &str) -> String {
    crate::model::sha256_hex(token.as_bytes())
}

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

fn parse_hex32(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// 32 random bytes as hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system gives random bytes");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A cookie's value from a `Cookie` header.
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_passwords() {
        let auth = Auth::from_config(&AuthFile {
            users: vec![UserEntry {
                name: "dpo".into(),
                password_hash: hash_password("correct horse"),
                role: Role::Approver,
            }],
            tokens: vec![TokenEntry {
                name: "ci".into(),
                sha256: Some(token_digest("0123456789abcdef0123")),
                token: None,
                role: Role::Reader,
            }],
            oidc: None,
        })
        .unwrap();
        let ci = auth.token("0123456789abcdef0123").unwrap();
        assert_eq!((ci.name.as_str(), ci.role), ("ci", Role::Reader));
        assert!(auth.token("0123456789abcdef0124").is_none());
        let (hash, role) = auth.configured_user("dpo").unwrap();
        assert_eq!(role, Role::Approver);
        assert!(!auth.verify(Some(&hash), "wrong"));
        assert!(auth.verify(Some(&hash), "correct horse"));
        assert!(
            !auth.verify(None, "correct horse"),
            "an unknown user never passes"
        );
    }

    #[test]
    fn roles_are_ordered_and_default_safely() {
        assert!(Role::Reader < Role::Editor && Role::Editor < Role::Approver);
        assert!(Role::Approver < Role::Admin);
        let f: AuthFile = crate::yaml::from_str(
            "users: [{ name: a, password_hash: x }]\ntokens: [{ name: t, token: 0123456789abcdef }]\n",
        )
        .unwrap();
        assert_eq!(
            f.users[0].role,
            Role::Admin,
            "the file's users are its operators"
        );
        assert_eq!(f.tokens[0].role, Role::Editor, "scripts save versions");
        assert_eq!(Role::parse("approver"), Some(Role::Approver));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn cookies_are_found_by_name() {
        assert_eq!(
            cookie("a=1; tia_session=xyz; b=2", SESSION_COOKIE),
            Some("xyz")
        );
        assert_eq!(cookie("a=1", SESSION_COOKIE), None);
    }
}
