//! Single sign-on with OpenID Connect: the authorization code flow with PKCE (S256), a nonce and
//! a state bound to the browser by a short-lived cookie, a confidential client
//! (`client_secret_basic`), the ID token's signature checked against the provider's JWKS, and a
//! claim (from the ID token, else from the userinfo endpoint) mapped to a role. Configured in the
//! credentials file's `oidc:` section; the client secret may come from `TIA_OIDC_CLIENT_SECRET`.
//!
//! The flow's state lives in the browser's cookie, not in the server, so any instance can
//! finish a sign-in another instance started. The `openidconnect` crate does the protocol.

use super::auth::Role;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AccessToken, AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IdToken,
    IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    SubjectIdentifier, TokenResponse, UserInfoClaims,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The `oidc:` section of the credentials file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcConfig {
    /// The provider's issuer URL, e.g. `https://login.microsoftonline.com/TENANT/v2.0`.
    pub issuer: String,
    pub client_id: String,
    /// The client secret; better given as `TIA_OIDC_CLIENT_SECRET`, which wins.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// This server's callback as the provider knows it: `https://HOST/login/oidc/callback`.
    pub redirect_url: String,
    /// Scopes to ask for besides `openid` (default `profile` and `email`).
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// The claim that carries the user's groups or roles (a string or a list of strings); a
    /// dotted path reaches into objects (`realm_access.roles`). Default `groups`.
    #[serde(default = "default_role_claim")]
    pub role_claim: String,
    /// Claim value → role; a user with several gets the highest.
    #[serde(default)]
    pub roles: BTreeMap<String, Role>,
    /// The role of a user none of whose values is mapped; without it such a user is refused.
    #[serde(default)]
    pub default_role: Option<Role>,
    /// The claim that names the user in the register (default `preferred_username`, then
    /// `email`, then `sub`).
    #[serde(default)]
    pub name_claim: Option<String>,
    /// The sign-in button's text (default: the issuer's host).
    #[serde(default)]
    pub label: Option<String>,
}

fn default_scopes() -> Vec<String> {
    vec!["profile".into(), "email".into()]
}

fn default_role_claim() -> String {
    "groups".into()
}

/// The path the provider sends the browser back to.
pub const CALLBACK_PATH: &str = "/login/oidc/callback";
/// The cookie that carries the flow's state, nonce, PKCE verifier and destination.
pub const FLOW_COOKIE: &str = "tia_oidc";
/// How long a sign-in may take at the provider.
pub const FLOW_TTL: Duration = Duration::from_secs(600);
/// How long the provider's metadata and keys are reused before they are fetched again.
const METADATA_TTL: Duration = Duration::from_secs(900);
/// Calls to the provider (discovery, token, userinfo) at once; more sign-ins wait.
const PROVIDER_CALLS: usize = 8;
/// The longest a call to the provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// The claims beyond the standard ones, kept as JSON (the role claim is one of them).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OtherClaims {
    #[serde(flatten)]
    pub rest: serde_json::Map<String, Value>,
}

impl AdditionalClaims for OtherClaims {}

type RichIdToken = IdToken<
    OtherClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// A configured provider: its settings, an HTTP client that follows no redirects, and the
/// provider's metadata and keys, fetched on first use and refreshed after [`METADATA_TTL`] or
/// when a token's key is not among them.
pub struct Oidc {
    pub config: OidcConfig,
    issuer: IssuerUrl,
    redirect: RedirectUrl,
    secret: ClientSecret,
    http: openidconnect::reqwest::Client,
    metadata: tokio::sync::Mutex<Option<(Arc<CoreProviderMetadata>, Instant)>>,
    calls: Arc<tokio::sync::Semaphore>,
}

/// Why a sign-in did not open a session.
#[derive(Debug, thiserror::Error)]
pub enum OidcFailure {
    /// No flow cookie, or its state does not match: too old, or another browser's.
    #[error("the sign-in expired or was started in another browser")]
    Expired,
    /// The provider answered with an error (e.g. the user cancelled).
    #[error("the identity provider refused: {0}")]
    Refused(String),
    /// Discovery, token exchange or verification failed.
    #[error("the identity provider could not be used: {0}")]
    Provider(String),
    /// The user's claims map to no role and there is no default.
    #[error("`{0}` has no role in this register")]
    NoRole(String),
    /// The name claim is missing or not a usable user name.
    #[error("the identity provider gave no usable user name")]
    NoName,
    /// Too many sign-ins at once.
    #[error("too many sign-ins at once")]
    Busy,
}

/// A signed-in user.
#[derive(Debug)]
pub struct SignedIn {
    pub name: String,
    pub role: Role,
    /// Where to go now (checked by the caller like any `next`).
    pub next: String,
}

impl std::fmt::Debug for Oidc {
    /// Names the provider and client; never the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("issuer", &self.config.issuer)
            .field("client_id", &self.config.client_id)
            .finish_non_exhaustive()
    }
}

impl Oidc {
    /// Checks the settings; contacts nobody (the provider may be down when the server starts).
    pub fn new(mut config: OidcConfig) -> Result<Oidc, String> {
        let issuer = IssuerUrl::new(config.issuer.clone())
            .map_err(|e| format!("oidc.issuer `{}` is not a URL: {e}", config.issuer))?;
        let redirect = RedirectUrl::new(config.redirect_url.clone()).map_err(|e| {
            format!(
                "oidc.redirect_url `{}` is not a URL: {e}",
                config.redirect_url
            )
        })?;
        if redirect.url().path() != CALLBACK_PATH {
            return Err(format!(
                "oidc.redirect_url must end in {CALLBACK_PATH} (this server's callback), not `{}`",
                redirect.url().path()
            ));
        }
        if let Ok(s) = std::env::var("TIA_OIDC_CLIENT_SECRET") {
            if !s.is_empty() {
                config.client_secret = Some(s);
            }
        }
        let secret = config
            .client_secret
            .clone()
            .filter(|s| !s.is_empty())
            .ok_or(
            "oidc: the client secret is missing (set TIA_OIDC_CLIENT_SECRET or oidc.client_secret)",
        )?;
        if config.roles.is_empty() && config.default_role.is_none() {
            return Err(
                "oidc: map at least one claim value to a role (oidc.roles) or set oidc.default_role"
                    .into(),
            );
        }
        if config.client_id.is_empty() {
            return Err("oidc.client_id is empty".into());
        }
        let http = openidconnect::reqwest::ClientBuilder::new()
            // Following redirects would let a provider's answer send us elsewhere (SSRF).
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .map_err(|e| format!("oidc: cannot make an HTTP client: {e}"))?;
        Ok(Oidc {
            config,
            issuer,
            redirect,
            secret: ClientSecret::new(secret),
            http,
            metadata: tokio::sync::Mutex::new(None),
            calls: Arc::new(tokio::sync::Semaphore::new(PROVIDER_CALLS)),
        })
    }

    /// The sign-in button's text.
    pub fn label(&self) -> String {
        self.config.label.clone().unwrap_or_else(|| {
            self.issuer
                .url()
                .host_str()
                .unwrap_or("OpenID Connect")
                .to_string()
        })
    }

    async fn metadata(&self, refresh: bool) -> Result<Arc<CoreProviderMetadata>, OidcFailure> {
        let mut cached = self.metadata.lock().await;
        if let Some((m, at)) = cached.as_ref() {
            if !refresh && at.elapsed() < METADATA_TTL {
                return Ok(m.clone());
            }
        }
        let m = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| OidcFailure::Provider(format!("discovery: {}", chain(&e))))?;
        let m = Arc::new(m);
        *cached = Some((m.clone(), Instant::now()));
        Ok(m)
    }

    /// Where to send the browser, and the flow cookie's value. `next` is where to go after.
    pub async fn start(&self, next: &str) -> Result<(String, String), OidcFailure> {
        let _call = self.calls.try_acquire().map_err(|_| OidcFailure::Busy)?;
        let metadata = self.metadata(false).await?;
        let client = CoreClient::from_provider_metadata(
            (*metadata).clone(),
            ClientId::new(self.config.client_id.clone()),
            Some(self.secret.clone()),
        )
        .set_redirect_uri(self.redirect.clone());
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for s in &self.config.scopes {
            request = request.add_scope(Scope::new(s.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        let cookie = format!(
            "{}.{}.{}.{}",
            state.secret(),
            nonce.secret(),
            verifier.secret(),
            super::ui::url_encode(next)
        );
        Ok((url.to_string(), cookie))
    }

    /// Finishes a sign-in: the state must match the flow cookie; the code is exchanged (with
    /// the PKCE verifier), the ID token verified (signature, issuer, audience, expiry, nonce),
    /// and the role read from the claims.
    pub async fn finish(
        &self,
        cookie: Option<&str>,
        state: &str,
        code: &str,
    ) -> Result<SignedIn, OidcFailure> {
        let mut parts = cookie.ok_or(OidcFailure::Expired)?.splitn(4, '.');
        let (Some(want_state), Some(nonce), Some(verifier), Some(next)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(OidcFailure::Expired);
        };
        if !super::auth::eq_secret(want_state.as_bytes(), state.as_bytes()) {
            return Err(OidcFailure::Expired);
        }
        let next = form_urlencoded::parse(format!("n={next}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| "/".into());
        let _call = self.calls.acquire().await.map_err(|_| OidcFailure::Busy)?;
        let metadata = self.metadata(false).await?;
        let client = CoreClient::from_provider_metadata(
            (*metadata).clone(),
            ClientId::new(self.config.client_id.clone()),
            Some(self.secret.clone()),
        )
        .set_redirect_uri(self.redirect.clone());
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| OidcFailure::Provider(format!("token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_string()))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcFailure::Provider(format!("token exchange: {}", chain(&e))))?;
        let raw = tokens
            .id_token()
            .ok_or_else(|| OidcFailure::Provider("no ID token in the token response".into()))?
            .to_string();
        let id_token: RichIdToken = raw
            .parse()
            .map_err(|e| OidcFailure::Provider(format!("ID token: {e}")))?;
        let nonce = Nonce::new(nonce.to_string());
        let claims = match id_token.claims(&client.id_token_verifier(), &nonce) {
            Ok(c) => c.clone(),
            Err(first) => {
                // The provider may have rotated its keys since they were fetched: fetch once more.
                let fresh = self.metadata(true).await?;
                let client = CoreClient::from_provider_metadata(
                    (*fresh).clone(),
                    ClientId::new(self.config.client_id.clone()),
                    Some(self.secret.clone()),
                );
                let verified = id_token
                    .claims(&client.id_token_verifier(), &nonce)
                    .map_err(|_| OidcFailure::Provider(format!("ID token: {first}")))?
                    .clone();
                verified
            }
        };
        let mut all = claims.additional_claims().rest.clone();
        for (k, v) in [
            ("sub", Some(claims.subject().as_str().to_string())),
            (
                "preferred_username",
                claims.preferred_username().map(|u| u.as_str().to_string()),
            ),
            ("email", claims.email().map(|e| e.as_str().to_string())),
        ] {
            if let Some(v) = v {
                all.insert(k.into(), Value::String(v));
            }
        }
        // The role claim is often only at the userinfo endpoint (as the code flow's ID token
        // carries few claims with some providers).
        if claim(&all, &self.config.role_claim).is_none() {
            if let Ok(request) = client.user_info(
                AccessToken::new(tokens.access_token().secret().clone()),
                Some(SubjectIdentifier::new(
                    claims.subject().as_str().to_string(),
                )),
            ) {
                let info: UserInfoClaims<OtherClaims, CoreGenderClaim> = request
                    .request_async(&self.http)
                    .await
                    .map_err(|e| OidcFailure::Provider(format!("userinfo: {}", chain(&e))))?;
                for (k, v) in &info.additional_claims().rest {
                    all.entry(k.clone()).or_insert_with(|| v.clone());
                }
                if let Some(u) = info.preferred_username() {
                    all.entry("preferred_username".to_string())
                        .or_insert_with(|| Value::String(u.as_str().to_string()));
                }
            }
        }
        let name = self.name(&all).ok_or(OidcFailure::NoName)?;
        let role = self
            .role(&all)
            .ok_or_else(|| OidcFailure::NoRole(name.clone()))?;
        Ok(SignedIn { name, role, next })
    }

    fn name(&self, claims: &serde_json::Map<String, Value>) -> Option<String> {
        let wanted: Vec<&str> = match &self.config.name_claim {
            Some(c) => vec![c.as_str()],
            None => vec!["preferred_username", "email", "sub"],
        };
        wanted
            .into_iter()
            .filter_map(|c| claim(claims, c)?.as_str().map(str::to_string))
            .find(|n| super::auth::valid_user_name(n))
    }

    /// The highest role any of the role claim's values maps to, else the default.
    pub fn role(&self, claims: &serde_json::Map<String, Value>) -> Option<Role> {
        let values: Vec<&str> = match claim(claims, &self.config.role_claim) {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        values
            .iter()
            .filter_map(|v| self.config.roles.get(*v).copied())
            .max()
            .or(self.config.default_role)
    }
}

/// A claim by name, or by a dotted path into objects.
fn claim<'a>(claims: &'a serde_json::Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(v) = claims.get(path) {
        return Some(v);
    }
    let mut parts = path.split('.');
    let mut v = claims.get(parts.next()?)?;
    for p in parts {
        v = v.as_object()?.get(p)?;
    }
    Some(v)
}

/// An error with its causes, for the log.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(c) = source {
        s.push_str(": ");
        s.push_str(&c.to_string());
        source = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> OidcConfig {
        crate::yaml::from_str(
            "issuer: https://idp.example.se\nclient_id: tia\nclient_secret: s3cret\n\
             redirect_url: https://tia.example.se/login/oidc/callback\n\
             role_claim: realm_access.roles\n\
             roles: { tia-readers: reader, tia-dpo: approver }\n",
        )
        .unwrap()
    }

    #[test]
    fn roles_come_from_the_claim_highest_first_and_unmapped_users_are_refused() {
        let oidc = Oidc::new(config()).unwrap();
        let claims = |v: Value| {
            serde_json::json!({ "realm_access": { "roles": v } })
                .as_object()
                .unwrap()
                .clone()
        };
        assert_eq!(
            oidc.role(&claims(serde_json::json!(["tia-readers", "tia-dpo"]))),
            Some(Role::Approver)
        );
        assert_eq!(
            oidc.role(&claims(serde_json::json!("tia-readers"))),
            Some(Role::Reader)
        );
        assert_eq!(oidc.role(&claims(serde_json::json!(["staff"]))), None);
        let mut c = config();
        c.default_role = Some(Role::Reader);
        let oidc = Oidc::new(c).unwrap();
        assert_eq!(
            oidc.role(&claims(serde_json::json!(["staff"]))),
            Some(Role::Reader)
        );
    }

    #[test]
    fn settings_are_checked_when_the_server_starts() {
        let mut c = config();
        c.redirect_url = "https://tia.example.se/callback".into();
        assert!(Oidc::new(c).unwrap_err().contains(CALLBACK_PATH));
        let mut c = config();
        c.roles.clear();
        assert!(Oidc::new(c).unwrap_err().contains("default_role"));
        let mut c = config();
        c.issuer = "not a url".into();
        assert!(Oidc::new(c).unwrap_err().contains("oidc.issuer"));
    }
}
