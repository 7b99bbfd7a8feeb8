//! Machine tokens (spec §4): which kind a token is, what a verified one
//! carries, and the rules that differ from session tokens.
//!
//! * Recognition, in Clerk's order: M2M (`mt_…`, or a JWT whose `sub` is a
//!   machine `mch_…`), then OAuth (`oat_…`, or a JWT with `typ` `at+jwt` /
//!   `application/at+jwt`), then API keys (`ak_…`). Prefixes are
//!   case-sensitive; anything else is a session token.
//! * JWT forms go through the one pipeline ([`Clerk`](crate::Clerk)) with the
//!   option set `@clerk/backend` 3.25.0 gives machine JWTs: the audience and
//!   the clock skew only (authorized parties, issuer and the session header
//!   types never reject a machine token), the M2M `cat` check, and for OAuth
//!   the `aud` check against the configured audience.
//! * Opaque forms are verified at the Backend API; its answers and failures
//!   become a [`MachineToken`] or a [`VerifyError`] with Clerk's machine codes
//!   (`token-invalid` on 404, `secret-key-invalid` on 401, `unexpected-error`
//!   otherwise).

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::claims::SessionClaims;
use super::error::{Reason, VerifyError};
use super::options::VerifyOptions;
use super::token_kind::OAUTH_TYPES;
use super::token_type::TokenType;
use crate::backend::error::{Class, Error as ClientError};
use crate::backend::machine_verify::{ApiKey, IdpOAuthAccessToken, M2mToken};

// ----------------------------------------------------------- the rules --

pub(crate) fn m2m_category_error() -> VerifyError {
    VerifyError::new(Reason::TokenInvalid, "Invalid M2M JWT category.")
}

/// A JWT that is no machine token, given where one is expected.
pub(crate) fn not_a_machine_jwt(typ: Option<&str>) -> VerifyError {
    VerifyError::new(
        Reason::TokenVerificationFailed,
        format!(
            "Invalid JWT type: {}. Expected one of: at+jwt, application/at+jwt for OAuth, \
             or sub starting with 'mch_' for M2M",
            typ.unwrap_or("undefined")
        ),
    )
}

/// Neither a machine prefix nor a JWT.
pub(crate) fn unknown_machine_token() -> VerifyError {
    VerifyError::new(Reason::TokenInvalid, "Unknown machine token type.")
}

/// The options a machine JWT of `kind` is verified with (3.25.0): the
/// audience and the clock skew of `options`, the header types of the kind,
/// nothing else.
pub(crate) fn jwt_options(kind: TokenType, options: &VerifyOptions) -> VerifyOptions {
    let mut machine = VerifyOptions::default()
        .clock_skew(options.clock_skew)
        .skip_jwks_cache(options.skip_jwks_cache);
    machine.audience.clone_from(&options.audience);
    if kind == TokenType::OAuthToken {
        machine = machine.header_types(OAUTH_TYPES);
    }
    machine
}

/// A check of the JWT verification failed, in machine terms: Clerk reports
/// `token-verification-failed` with the inner message. Outages keep their
/// reason, so that they stay outages.
pub(crate) fn check_failed(err: VerifyError) -> VerifyError {
    if err.is_server_fault() {
        return err;
    }
    VerifyError::new(Reason::TokenVerificationFailed, err.message().to_owned())
}

/// `<message> (code=<code>, status=<status or n/a>)`, Clerk's machine form.
pub(crate) fn full_message(err: &VerifyError) -> String {
    match err.status() {
        Some(status) => format!("{} (code={}, status={status})", err.message(), err.reason()),
        None => format!("{} (code={}, status=n/a)", err.message(), err.reason()),
    }
}

// ------------------------------------------------------- the token --

/// A verified machine token: an API key, an M2M token or an OAuth access
/// token, with what Clerk's machine auth objects carry.
///
/// Made only by verification ([`Clerk::verify_machine_token`](crate::Clerk::verify_machine_token),
/// the middleware); read it from [`Auth::machine`](crate::Auth::machine) or
/// a typed extractor ([`ApiKeyAuth`](crate::machine::ApiKeyAuth), …). Cloning is cheap.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "testing")]
/// # actix_web::rt::System::new().block_on(async {
/// use clerk_actix::testing::StandIn;
/// use clerk_actix::machine::TokenType;
///
/// let stand_in = StandIn::start()?;
/// let secret = stand_in.api_key("user_1", ["read:reports"]);
/// let key = stand_in.clerk()?.verify_machine_token(&secret).await?;
/// assert_eq!(key.token_type(), TokenType::ApiKey);
/// assert_eq!(key.user_id(), Some("user_1"));
/// assert!(key.has_scope("read:reports"));
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone, PartialEq)]
pub struct MachineToken {
    inner: Arc<Inner>,
}

#[derive(PartialEq)]
struct Inner {
    token_type: TokenType,
    id: String,
    subject: String,
    scopes: Vec<String>,
    claims: Option<Value>,
    name: Option<String>,
    client_id: Option<String>,
    audience: Vec<String>,
    expiration: Option<i64>,
    created_at: Option<i64>,
    updated_at: Option<i64>,
}

impl fmt::Debug for MachineToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MachineToken")
            .field("token_type", &self.inner.token_type)
            .field("id", &self.inner.id)
            .field("subject", &self.inner.subject)
            .field("scopes", &self.inner.scopes)
            .finish_non_exhaustive()
    }
}

impl MachineToken {
    fn new(inner: Inner) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }

    /// API key, M2M token or OAuth token.
    #[must_use]
    pub fn token_type(&self) -> TokenType {
        self.inner.token_type
    }

    /// The token's id (`ak_…`, `mt_…`, `oat_…`; a JWT's `jti`, or empty).
    #[must_use]
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// Who the token stands for: a user (`user_…`), an organization
    /// (`org_…`) or a machine (`mch_…`).
    #[must_use]
    pub fn subject(&self) -> &str {
        &self.inner.subject
    }

    /// The scopes granted (for M2M tokens, the machines it may call).
    #[must_use]
    pub fn scopes(&self) -> &[String] {
        &self.inner.scopes
    }

    /// Whether `scope` is among the [`scopes`](Self::scopes) (exact match).
    #[must_use]
    pub fn has_scope(&self, scope: &str) -> bool {
        self.inner.scopes.iter().any(|s| s == scope)
    }

    /// Custom claims (API keys, M2M tokens), as stored.
    #[must_use]
    pub fn claims(&self) -> Option<&Value> {
        self.inner.claims.as_ref()
    }

    /// The API key's name.
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.inner.name.as_deref()
    }

    /// The OAuth application's client id (OAuth tokens).
    #[must_use]
    pub fn client_id(&self) -> Option<&str> {
        self.inner.client_id.as_deref()
    }

    /// The user: an API key's subject when it is a user, an OAuth token's
    /// subject.
    #[must_use]
    pub fn user_id(&self) -> Option<&str> {
        match self.inner.token_type {
            TokenType::ApiKey => Some(self.subject()).filter(|s| s.starts_with("user_")),
            TokenType::OAuthToken => Some(self.subject()),
            _ => None,
        }
    }

    /// The organization: an API key's subject when it is an organization.
    #[must_use]
    pub fn org_id(&self) -> Option<&str> {
        match self.inner.token_type {
            TokenType::ApiKey => Some(self.subject()).filter(|s| s.starts_with("org_")),
            _ => None,
        }
    }

    /// The machine: an M2M token's subject.
    #[must_use]
    pub fn machine_id(&self) -> Option<&str> {
        match self.inner.token_type {
            TokenType::M2mToken => Some(self.subject()),
            _ => None,
        }
    }

    /// When the token expires, in ms since the epoch; `None` for a token
    /// that does not.
    #[must_use]
    pub fn expiration(&self) -> Option<i64> {
        self.inner.expiration
    }

    /// When it was created (a JWT's `iat`), in ms since the epoch.
    #[must_use]
    pub fn created_at(&self) -> Option<i64> {
        self.inner.created_at
    }

    /// When it was last changed, in ms since the epoch.
    #[must_use]
    pub fn updated_at(&self) -> Option<i64> {
        self.inner.updated_at
    }

    /// The OAuth `aud` check of 3.25.0: with an audience configured, the
    /// token's `aud` must name one of it.
    pub(crate) fn check_audience(&self, options: &VerifyOptions) -> Result<(), VerifyError> {
        if self.inner.token_type != TokenType::OAuthToken || options.audience.is_empty() {
            return Ok(());
        }
        if self
            .inner
            .audience
            .iter()
            .any(|aud| options.audience.contains(aud))
        {
            return Ok(());
        }
        Err(VerifyError::new(
            Reason::TokenVerificationFailed,
            format!(
                "OAuth audience mismatch. Verification expected audience {}, but incoming token has aud {}.",
                serde_json::to_string(&options.audience).unwrap_or_default(),
                serde_json::to_string(&self.inner.audience).unwrap_or_default(),
            ),
        ))
    }

    /// A verified machine JWT of `kind`.
    pub(crate) fn from_jwt(kind: TokenType, claims: &SessionClaims) -> Self {
        let payload = claims.as_map();
        let text = |name: &str| payload.get(name).and_then(Value::as_str);
        let split = |name: &str| {
            text(name).map(|s| {
                s.split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
        };
        let strings = |name: &str| -> Option<Vec<String>> {
            payload.get(name).and_then(Value::as_array).map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
        };
        let millis = |name: &str| {
            payload
                .get(name)
                .and_then(Value::as_f64)
                .map(|s| (s.trunc() * 1000.0) as i64)
        };
        let scopes: Vec<String> = match kind {
            TokenType::OAuthToken => strings("scp").or_else(|| split("scope")),
            _ => split("scopes").or_else(|| strings("aud")),
        }
        .unwrap_or_default();
        let audience = match payload.get("aud") {
            Some(Value::String(aud)) => vec![aud.clone()],
            _ => strings("aud").unwrap_or_default(),
        };
        let rest: Map<String, Value> = payload
            .iter()
            .filter(|(name, _)| {
                !matches!(name.as_str(), "iss" | "sub" | "exp" | "nbf" | "iat" | "jti")
            })
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        let issued = millis("iat");
        Self::new(Inner {
            token_type: kind,
            id: text("jti").unwrap_or_default().to_owned(),
            subject: claims.user_id().to_owned(),
            scopes,
            claims: (!rest.is_empty()).then_some(Value::Object(rest)),
            name: None,
            client_id: (kind == TokenType::OAuthToken)
                .then(|| text("client_id").unwrap_or_default().to_owned()),
            audience,
            expiration: millis("exp"),
            created_at: issued,
            updated_at: issued,
        })
    }

    /// The Backend API's answer for an API key.
    pub(crate) fn from_api_key(key: ApiKey) -> Self {
        Self::new(Inner {
            token_type: TokenType::ApiKey,
            id: key.id,
            subject: key.subject,
            scopes: key.scopes,
            claims: key.claims.filter(|c| !c.is_null()),
            name: Some(key.name),
            client_id: None,
            audience: Vec::new(),
            expiration: key.expiration,
            created_at: Some(key.created_at),
            updated_at: Some(key.updated_at),
        })
    }

    /// The Backend API's answer for an M2M token.
    pub(crate) fn from_m2m_token(token: M2mToken) -> Self {
        Self::new(Inner {
            token_type: TokenType::M2mToken,
            id: token.id,
            subject: token.subject,
            scopes: token.scopes,
            claims: token.claims.filter(|c| !c.is_null()),
            name: None,
            client_id: None,
            audience: Vec::new(),
            expiration: token.expiration,
            created_at: Some(token.created_at),
            updated_at: Some(token.updated_at),
        })
    }

    /// The Backend API's answer for an OAuth access token.
    pub(crate) fn from_oauth_token(token: IdpOAuthAccessToken) -> Self {
        Self::new(Inner {
            token_type: TokenType::OAuthToken,
            id: token.id,
            subject: token.subject,
            scopes: token.scopes,
            claims: None,
            name: None,
            client_id: Some(token.client_id),
            audience: token.aud,
            expiration: token.expiration,
            created_at: Some(token.created_at),
            updated_at: Some(token.updated_at),
        })
    }

    /// Serialises the authenticated machine object with Clerk's keys.
    pub(crate) fn write_json<M: serde::ser::SerializeMap>(
        &self,
        map: &mut M,
    ) -> Result<(), M::Error> {
        map.serialize_entry("id", self.id())?;
        map.serialize_entry("subject", self.subject())?;
        map.serialize_entry("isAuthenticated", &true)?;
        map.serialize_entry("tokenType", self.token_type().as_str())?;
        match self.token_type() {
            TokenType::ApiKey => {
                map.serialize_entry("name", self.name().unwrap_or_default())?;
                map.serialize_entry("claims", &self.claims())?;
                map.serialize_entry("scopes", self.scopes())?;
                map.serialize_entry("userId", &self.user_id())?;
                map.serialize_entry("orgId", &self.org_id())?;
            }
            TokenType::M2mToken => {
                map.serialize_entry("claims", &self.claims())?;
                map.serialize_entry("scopes", self.scopes())?;
                map.serialize_entry("machineId", &self.machine_id())?;
            }
            _ => {
                map.serialize_entry("scopes", self.scopes())?;
                map.serialize_entry("userId", &self.user_id())?;
                map.serialize_entry("clientId", self.client_id().unwrap_or_default())?;
            }
        }
        Ok(())
    }
}

/// The fleet's form of a verified machine token (the `redis` feature): every
/// field, as JSON.
#[cfg(feature = "redis")]
#[derive(serde::Serialize, serde::Deserialize)]
struct Shared {
    token_type: String,
    id: String,
    subject: String,
    scopes: Vec<String>,
    claims: Option<Value>,
    name: Option<String>,
    client_id: Option<String>,
    audience: Vec<String>,
    expiration: Option<i64>,
    created_at: Option<i64>,
    updated_at: Option<i64>,
}

#[cfg(feature = "redis")]
impl MachineToken {
    /// The JSON the fleet's cache holds.
    pub(crate) fn to_shared(&self) -> Option<Vec<u8>> {
        let inner = &*self.inner;
        serde_json::to_vec(&Shared {
            token_type: inner.token_type.as_str().to_owned(),
            id: inner.id.clone(),
            subject: inner.subject.clone(),
            scopes: inner.scopes.clone(),
            claims: inner.claims.clone(),
            name: inner.name.clone(),
            client_id: inner.client_id.clone(),
            audience: inner.audience.clone(),
            expiration: inner.expiration,
            created_at: inner.created_at,
            updated_at: inner.updated_at,
        })
        .ok()
    }

    /// Back from [`to_shared`](Self::to_shared); `None` for anything else.
    pub(crate) fn from_shared(json: &[u8]) -> Option<Self> {
        let shared: Shared = serde_json::from_slice(json).ok()?;
        let token_type = [
            TokenType::ApiKey,
            TokenType::M2mToken,
            TokenType::OAuthToken,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == shared.token_type)?;
        Some(Self::new(Inner {
            token_type,
            id: shared.id,
            subject: shared.subject,
            scopes: shared.scopes,
            claims: shared.claims,
            name: shared.name,
            client_id: shared.client_id,
            audience: shared.audience,
            expiration: shared.expiration,
            created_at: shared.created_at,
            updated_at: shared.updated_at,
        }))
    }
}

/// Serialises the unauthenticated machine object of `kind`: Clerk's keys,
/// all `null`.
pub(crate) fn write_unauthenticated_json<M: serde::ser::SerializeMap>(
    kind: TokenType,
    map: &mut M,
) -> Result<(), M::Error> {
    for key in ["id", "subject", "scopes"] {
        map.serialize_entry(key, &())?;
    }
    map.serialize_entry("isAuthenticated", &false)?;
    map.serialize_entry("tokenType", kind.as_str())?;
    let rest: &[&str] = match kind {
        TokenType::ApiKey => &["name", "claims", "userId", "orgId"],
        TokenType::M2mToken => &["claims", "machineId"],
        _ => &["userId", "clientId"],
    };
    for key in rest {
        map.serialize_entry(key, &())?;
    }
    Ok(())
}

// ------------------------------------------------ Backend API failures --

/// What Clerk calls the token in its 404 message.
pub(crate) fn not_found_message(kind: TokenType) -> &'static str {
    match kind {
        TokenType::ApiKey => "API key not found",
        TokenType::M2mToken => "Machine token not found",
        _ => "OAuth token not found",
    }
}

/// A verify endpoint's failure, with Clerk's machine codes: 404 →
/// `token-invalid`, a rejected key → `secret-key-invalid` (with the Backend
/// API's message), anything else → `unexpected-error`; an outage stays the
/// server's fault ([`VerifyError::is_server_fault`]).
///
/// An outage is logged here (`log::error!`, target `clerk_actix::machine`),
/// where the status and endpoint are known: the `VerifyError` keeps Clerk's
/// short message, which says neither.
pub(crate) fn backend_failure(kind: TokenType, err: &ClientError) -> VerifyError {
    let failure = backend_failure_of(kind, err);
    if let Some(left) = err.held_off() {
        // Logged once, when the hold began.
        return failure.with_retry_after(left);
    }
    if failure.is_server_fault() {
        log::error!(
            target: "clerk_actix::machine",
            "verifying a {kind} at the Backend API failed: {err}"
        );
    }
    failure
}

fn backend_failure_of(kind: TokenType, err: &ClientError) -> VerifyError {
    let unexpected = || VerifyError::new(Reason::UnexpectedError, "Unexpected error");
    match err.class() {
        Class::Outage => unexpected()
            .with_status(err.status())
            .with_server_fault(true),
        Class::KeyRejected => match err.api_error() {
            Some(api) => {
                let message: Cow<'static, str> = api
                    .errors()
                    .first()
                    .map(|e| e.message.clone())
                    .filter(|m| !m.is_empty())
                    .map_or(Cow::Borrowed("Invalid secret key"), Cow::Owned);
                VerifyError::new(Reason::SecretKeyInvalid, message)
                    .with_status(Some(api.status()))
                    .with_server_fault(false)
            }
            None => VerifyError::new(
                Reason::SecretKeyInvalid,
                "CLERK_SECRET_KEY is not set: machine tokens are verified at the Backend API",
            ),
        },
        Class::Answer(Some(api)) if api.status() == 404 => {
            VerifyError::new(Reason::TokenInvalid, not_found_message(kind)).with_status(Some(404))
        }
        Class::Answer(api) => unexpected().with_status(api.map(|api| api.status())),
    }
}

/// A verify endpoint answered 200 for a token it marks revoked or expired.
pub(crate) fn refuse_stale(
    token: MachineToken,
    revoked: bool,
    expired: bool,
) -> Result<MachineToken, VerifyError> {
    let what = not_found_message(token.token_type()).trim_end_matches(" not found");
    if revoked {
        return Err(
            VerifyError::new(Reason::TokenInvalid, format!("{what} is revoked"))
                .with_status(Some(200)),
        );
    }
    if expired {
        return Err(
            VerifyError::new(Reason::TokenInvalid, format!("{what} is expired"))
                .with_status(Some(200)),
        );
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outages_are_told_from_bad_tokens() {
        use crate::backend::error::{ApiError, ErrorKind};
        let status = |status: u16| {
            ClientError::new(ErrorKind::Api(ApiError::from_response(
                status, b"{}", None, None,
            )))
        };
        let fault =
            |err: ClientError| backend_failure_of(TokenType::ApiKey, &err).is_server_fault();
        assert!(fault(ClientError::new(ErrorKind::Timeout(
            std::time::Duration::from_secs(1)
        ))));
        assert!(fault(ClientError::new(ErrorKind::Connect(
            "refused".into()
        ))));
        assert!(fault(status(503)));
        assert!(fault(status(429)));
        assert!(!fault(status(422)));
        let rejected = backend_failure_of(TokenType::ApiKey, &status(401));
        assert_eq!(rejected.reason(), Reason::SecretKeyInvalid);
        assert!(!rejected.is_server_fault());
        assert!(fault(ClientError::new(ErrorKind::MissingSecretKey)));
        let unknown = backend_failure_of(TokenType::ApiKey, &status(404));
        assert_eq!(unknown.reason(), Reason::TokenInvalid);
        assert!(!unknown.is_server_fault());
    }

    #[test]
    fn machine_message_format() {
        let err =
            VerifyError::new(Reason::TokenInvalid, "API key not found").with_status(Some(404));
        assert_eq!(
            full_message(&err),
            "API key not found (code=token-invalid, status=404)"
        );
        let err = VerifyError::new(Reason::TokenVerificationFailed, "JWT is expired.");
        assert_eq!(
            full_message(&err),
            "JWT is expired. (code=token-verification-failed, status=n/a)"
        );
    }
}
