//! The shared `Clerk` handle.

use std::fmt;
use std::sync::Arc;

use crate::backend::budget::Spend;
use crate::backend::error::Error as ClientError;
use crate::backend::executor::Policy;
use crate::backend::machine_verify::{
    self as opaque, ApiKey, IdpOAuthAccessToken, M2mToken, Opaque,
};
use crate::config::{
    Checked, ClerkBuilder, Config, ConfigError, DomainRole, InstanceType, PublishableKey,
};
use crate::verification::accepts::AcceptsToken;
use crate::verification::cache::{TokenCache, Verified};
use crate::verification::claims::SessionClaims;
use crate::verification::error::{Reason, VerifyError};
use crate::verification::json::{Claim, OwnedClaim};
use crate::verification::keys::{KeyStore, RemoteSettings};
use crate::verification::machine::{self, MachineToken};
use crate::verification::machine_cache::MachineCache;
use crate::verification::opaque_guard;
use crate::verification::options::VerifyOptions;
use crate::verification::peek::{Peek, Seen};
use crate::verification::token::{self, Category};
use crate::verification::token_kind::{self, JwtShape};
use crate::verification::token_type::TokenType;

/// A configured Clerk instance: keys, options and the shared key cache.
///
/// Build it once, outside `HttpServer::new`, and clone it into the app
/// factory: clones are cheap (one `Arc`) and share the JWKS cache, so every
/// worker thread uses the same keys and the same single fetch.
///
/// # Examples
///
/// ```no_run
/// use actix_web::{App, HttpServer};
/// use clerk_actix::{Clerk, ClerkMiddleware};
///
/// #[actix_web::main]
/// async fn main() -> std::io::Result<()> {
///     let clerk = Clerk::from_env().expect("Clerk configuration");
///     HttpServer::new(move || App::new().wrap(ClerkMiddleware::new(clerk.clone())))
///         .bind(("127.0.0.1", 3000))?
///         .run()
///         .await
/// }
/// ```
#[derive(Clone)]
pub struct Clerk {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    keys: KeyStore,
    verify: Arc<VerifyOptions>,
    cache: Option<TokenCache>,
    machine_cache: MachineCache,
    /// The fleet's shared cache (the `redis` feature).
    #[cfg(feature = "redis")]
    fleet: Option<Arc<crate::fleet::Fleet>>,
}

/// What a verification takes, and by which rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Accepts {
    /// What Clerk's `verifyToken` takes: any Clerk JWT but one with the M2M
    /// category (session tokens, JWT-template tokens), with the session
    /// options.
    AnyJwt,
    /// Session tokens only, as on the request path: OAuth access tokens, M2M
    /// tokens and JWT-template tokens are refused ([`Refusal::WrongKind`]).
    SessionToken,
    /// A request's header token, for a middleware that takes `accepts` (not
    /// session tokens alone: that is [`Accepts::SessionToken`]). A token of
    /// a kind not taken is [`Refusal::NotAccepted`] before anything is
    /// verified; session JWTs get the session options, machine JWTs the
    /// machine option set, opaque machine tokens go to the Backend API, and
    /// other categories (JWT templates) are refused.
    Request(AcceptsToken),
    /// Machine tokens of any kind ([`Clerk::verify_machine_token`]).
    Machine,
    /// A handshake token (`verifyHandshakeToken`): form, category, key and
    /// signature, no claims; its payload is the answer.
    Handshake,
}

impl Accepts {
    /// The request path's accepts for `accepts`.
    pub(crate) fn request(accepts: AcceptsToken) -> Self {
        match accepts {
            AcceptsToken::One(TokenType::SessionToken) => Self::SessionToken,
            other => Self::Request(other),
        }
    }

    /// Whether opaque machine tokens are recognised by their prefix.
    fn takes_opaque(self) -> bool {
        matches!(self, Self::Request(_) | Self::Machine)
    }

    /// The rules for a token of `shape`, or why it is refused before any key
    /// is fetched (kind, or category).
    fn rules(self, shape: JwtShape) -> Result<Rules, Refusal> {
        let session = |shape: JwtShape| {
            if shape.category == Category::M2m {
                Err(Refusal::invalid(token::session_category_error()))
            } else {
                Ok(Rules::Session)
            }
        };
        let machine = |kind: TokenType| {
            if kind == TokenType::M2mToken && !shape.m2m_category_ok() {
                Err(Refusal::Invalid {
                    machine: Some(kind),
                    error: machine::m2m_category_error(),
                })
            } else {
                Ok(Rules::Machine(kind))
            }
        };
        match (self, shape.machine) {
            (Self::AnyJwt, _) => session(shape),
            (Self::SessionToken, _) if shape.is_session_token() => session(shape),
            (Self::Request(_) | Self::Machine, Some(kind)) => machine(kind),
            (Self::Request(_), None) if shape.is_session_token() => session(shape),
            _ => Err(Refusal::WrongKind),
        }
    }
}

/// The rules a token is held to, chosen from what it is and what the caller
/// accepts.
#[derive(Clone, Copy)]
enum Rules {
    Session,
    Machine(TokenType),
}

/// Who a verified token stands for.
#[derive(Debug)]
pub(crate) enum Principal {
    /// A session token (or, for `verifyToken`, a JWT-template token).
    Session(SessionClaims),
    /// An API key, M2M token or OAuth access token.
    Machine(MachineToken),
    /// A handshake token's payload (JSON text).
    Handshake(String),
}

/// Why the pipeline refused a token.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// It did not verify, or could not be checked (see
    /// [`VerifyError::is_server_fault`]). `machine`: the machine kind whose
    /// rules it was held to (its errors are then in Clerk's machine terms).
    Invalid {
        machine: Option<TokenType>,
        error: VerifyError,
    },
    /// A Clerk token of a kind or category the caller does not take
    /// (`token-type-mismatch`).
    WrongKind,
    /// Its kind is not among a request's accepted kinds; nothing was
    /// verified.
    NotAccepted,
}

impl Refusal {
    fn invalid(error: VerifyError) -> Self {
        Self::Invalid {
            machine: None,
            error,
        }
    }
}

impl fmt::Debug for Clerk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clerk")
            .field("config", &self.inner.config)
            .field("keys", &self.inner.keys)
            .field("verify", &self.inner.verify)
            .finish()
    }
}

impl Clerk {
    /// A builder with nothing set. See [`ClerkBuilder`].
    pub fn builder() -> ClerkBuilder {
        ClerkBuilder::default()
    }

    /// Builds a handle from the `CLERK_*` environment variables.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when no key is set or a key is malformed; the message
    /// names the variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        ClerkBuilder::from_env().build()
    }

    /// Verifies a session token with the default options: Clerk's
    /// `verifyToken`.
    ///
    /// It takes the tokens `verifyToken` takes: session tokens, and tokens
    /// from JWT templates. Machine tokens (API keys, M2M and OAuth tokens) go
    /// through [`verify_machine_token`](Self::verify_machine_token); on
    /// requests, [`ClerkMiddleware`](crate::ClerkMiddleware) verifies both
    /// and each route reads the kinds it accepts.
    ///
    /// The future is not `Send` (the JWKS fetch uses awc, which is bound to
    /// its thread): await it in a handler, in `#[actix_web::main]`, or in an
    /// `actix_web::rt::System`, not in a `tokio::spawn`ed task. Use
    /// `actix_web::rt::spawn` for background work.
    ///
    /// # Errors
    ///
    /// [`VerifyError`] with Clerk's reason code; see [`Reason`](crate::Reason).
    #[doc(alias = "verifyToken")]
    pub async fn verify_token(&self, token: &str) -> Result<SessionClaims, VerifyError> {
        self.verify_token_with(token, &self.inner.verify).await
    }

    /// Verifies a session token with `options` instead of the defaults. See
    /// [`verify_token`](Self::verify_token).
    ///
    /// # Errors
    ///
    /// [`VerifyError`] with Clerk's reason code; see [`Reason`](crate::Reason).
    pub async fn verify_token_with(
        &self,
        token: &str,
        options: &VerifyOptions,
    ) -> Result<SessionClaims, VerifyError> {
        match self
            .verify(token.as_bytes(), options, Accepts::AnyJwt)
            .await
        {
            Ok(Principal::Session(claims)) => Ok(claims),
            Err(Refusal::Invalid { error, .. }) => Err(error),
            // `AnyJwt` refuses no kind; kept total rather than unreachable.
            Ok(_) | Err(Refusal::WrongKind | Refusal::NotAccepted) => Err(VerifyError::new(
                Reason::TokenInvalid,
                "The token is not a session token.",
            )),
        }
    }

    /// Verifies a machine token: an API key (`ak_…`), an M2M token (`mt_…` or
    /// a JWT whose `sub` is a machine) or an OAuth access token (`oat_…` or a
    /// JWT with `typ: at+jwt`).
    ///
    /// Opaque tokens are verified at the Backend API (`POST /api_keys/verify`,
    /// `/m2m_tokens/verify`, `/oauth_applications/access_tokens/verify`) and
    /// the successes cached for
    /// [`machine_token_cache_ttl`](crate::ClerkBuilder::machine_token_cache_ttl);
    /// JWTs are verified here with the instance's keys, with the audience and
    /// clock skew of the default options only.
    ///
    /// Like [`verify_token`](Self::verify_token), the future is not `Send`.
    ///
    /// # Errors
    ///
    /// [`VerifyError`] with Clerk's machine codes: `token-invalid` (unknown
    /// token, 404; bad JWT form or category), `secret-key-invalid` (401),
    /// `token-verification-failed` (a JWT check), `unexpected-error` (any
    /// other answer, or none: see [`VerifyError::is_server_fault`]), and for
    /// JWTs `jwk-remote-failed-to-load` when no key could be loaded.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "testing")]
    /// # actix_web::rt::System::new().block_on(async {
    /// use clerk_actix::testing::StandIn;
    /// use clerk_actix::Reason;
    ///
    /// let stand_in = StandIn::start()?;
    /// let clerk = stand_in.clerk()?;
    /// let token = stand_in.oauth_token("user_1", ["email"]);
    /// assert_eq!(clerk.verify_machine_token(&token).await?.user_id(), Some("user_1"));
    ///
    /// let err = clerk.verify_machine_token("ak_unknown").await.unwrap_err();
    /// assert_eq!((err.reason(), err.status()), (Reason::TokenInvalid, Some(404)));
    /// assert_eq!(err.message(), "API key not found");
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn verify_machine_token(&self, token: &str) -> Result<MachineToken, VerifyError> {
        match self
            .verify(token.as_bytes(), &self.inner.verify, Accepts::Machine)
            .await
        {
            Ok(Principal::Machine(verified)) => Ok(verified),
            Err(Refusal::Invalid { error, .. }) => Err(error),
            Ok(_) | Err(Refusal::WrongKind | Refusal::NotAccepted) => {
                Err(machine::unknown_machine_token())
            }
        }
    }

    /// The token pipeline, the one place a token is verified, whatever it
    /// is: an opaque machine token goes to the machine-token cache and the
    /// Backend API; a JWT through the verified-token cache (lookup and
    /// recheck) or decode, the kind rules, the key, the checks, and into the
    /// cache. Every caller (`verify_token`, `verify_machine_token`, the
    /// middleware, the browser path) comes through here and differs only in
    /// what it passes.
    pub(crate) async fn verify(
        &self,
        token: &[u8],
        options: &VerifyOptions,
        accepts: Accepts,
    ) -> Result<Principal, Refusal> {
        if accepts.takes_opaque() {
            if let Some(kind) = token_kind::opaque_kind(token) {
                if let Accepts::Request(taken) = accepts {
                    if !taken.accepts(kind) {
                        return Err(Refusal::NotAccepted);
                    }
                }
                return self
                    .verify_opaque(token, kind, options)
                    .await
                    .map(Principal::Machine)
                    .map_err(|error| Refusal::Invalid {
                        machine: Some(kind),
                        error,
                    });
            }
        }
        // A token seen before is found by its bytes: it was text when it
        // verified, and only the same bytes match.
        if accepts != Accepts::Handshake && !options.skip_jwks_cache {
            if let Some(hit) = self.inner.cache.as_ref().and_then(|c| c.get(token)) {
                return self.verify_hit(token, &hit, options, accepts);
            }
        }
        let Ok(text) = std::str::from_utf8(token) else {
            if let Accepts::Request(taken) = accepts {
                if !taken.accepts(TokenType::SessionToken) {
                    return Err(Refusal::NotAccepted);
                }
            }
            return Err(Refusal::invalid(token::invalid_form()));
        };
        let peek = Peek::decode(text, self.inner.config.max_token_bytes);
        self.verify_peeked(text, peek, options, accepts).await
    }

    /// What is known of `token` without verifying it: the cache's entry,
    /// else the token decoded. Hand it back to
    /// [`verify_peeked`](Self::verify_peeked) to verify the same token
    /// without decoding it again.
    pub(crate) fn peek(&self, token: &str) -> Peek {
        match self
            .inner
            .cache
            .as_ref()
            .and_then(|c| c.get(token.as_bytes()))
        {
            Some(verified) => Peek::cached(verified),
            None => Peek::decode(token, self.inner.config.max_token_bytes),
        }
    }

    /// [`verify`](Self::verify) for a JWT that was peeked at already.
    pub(crate) async fn verify_peeked(
        &self,
        token: &str,
        peek: Peek,
        options: &VerifyOptions,
        accepts: Accepts,
    ) -> Result<Principal, Refusal> {
        if let Accepts::Request(taken) = accepts {
            let kind = peek
                .shape()
                .and_then(|shape| shape.machine)
                .unwrap_or(TokenType::SessionToken);
            if !taken.accepts(kind) {
                return Err(Refusal::NotAccepted);
            }
        }
        let inner = &*self.inner;
        if accepts == Accepts::Handshake {
            return match peek.seen {
                Seen::Decoded(decoded) => Box::pin(token::verify_handshake(
                    decoded,
                    token,
                    &inner.keys,
                    options.skip_jwks_cache,
                ))
                .await
                .map(Principal::Handshake)
                .map_err(Refusal::invalid),
                // A session token is no handshake token.
                Seen::Cached(_) => Err(Refusal::WrongKind),
                Seen::Malformed(err) => Err(Refusal::invalid(err)),
            };
        }
        let not_machine = |typ: Option<&str>| Refusal::Invalid {
            machine: Some(TokenType::OAuthToken),
            error: machine::not_a_machine_jwt(typ),
        };
        if let Some(answer) = self.verify_now(token, &peek, options, accepts) {
            return answer;
        }
        match peek.seen {
            Seen::Malformed(error) => Err(Refusal::invalid(error)),
            Seen::Cached(_) => {
                let peek = Peek::decode(token, inner.config.max_token_bytes);
                Box::pin(self.verify_peeked(token, peek, options, accepts)).await
            }
            Seen::Decoded(decoded) => {
                let shape = JwtShape::of(&decoded);
                let rules = match accepts.rules(shape) {
                    Err(Refusal::WrongKind) if accepts == Accepts::Machine => {
                        return Err(not_machine(decoded.typ().and_then(Claim::as_str)))
                    }
                    rules => rules?,
                };
                let machine_options = rules_options(rules, options);
                let options = machine_options.as_ref().unwrap_or(options);
                let typ = decoded.typ().map(OwnedClaim::new);
                let now = inner.config.clock.now_millis();
                let (claims, key, times) =
                    token::verify_decoded(decoded, token, &inner.keys, options, now)
                        .await
                        .map_err(|err| fail(rules, err))?;
                if let Some(cache) = &inner.cache {
                    let verified = Verified::new(claims.clone(), key, typ, times, shape);
                    cache.insert(token.as_bytes(), Arc::new(verified));
                }
                principal(rules, claims, options)
            }
        }
    }

    /// [`verify_peeked`](Self::verify_peeked) when it needs no await: a
    /// token the cache knows, under options that use the cache. `None`:
    /// verify it with `verify_peeked`.
    pub(crate) fn verify_now(
        &self,
        token: &str,
        peek: &Peek,
        options: &VerifyOptions,
        accepts: Accepts,
    ) -> Option<Result<Principal, Refusal>> {
        match &peek.seen {
            Seen::Cached(hit) if !options.skip_jwks_cache && accepts != Accepts::Handshake => {
                Some(self.verify_hit(token.as_bytes(), hit, options, accepts))
            }
            _ => None,
        }
    }

    /// A token the verified-token cache knows: the kind rules, and the
    /// checks that depend on the clock and the options; its signature and
    /// JSON are not looked at again. No await: a cached request is answered
    /// where it is looked up.
    fn verify_hit(
        &self,
        token: &[u8],
        hit: &Verified,
        options: &VerifyOptions,
        accepts: Accepts,
    ) -> Result<Principal, Refusal> {
        if let Accepts::Request(taken) = accepts {
            let kind = hit.shape.machine.unwrap_or(TokenType::SessionToken);
            if !taken.accepts(kind) {
                return Err(Refusal::NotAccepted);
            }
        }
        // A cached token of a kind this caller refuses is refused with the
        // same answer as uncached.
        let rules = match accepts.rules(hit.shape) {
            Err(Refusal::WrongKind) if accepts == Accepts::Machine => {
                return Err(Refusal::Invalid {
                    machine: Some(TokenType::OAuthToken),
                    error: machine::not_a_machine_jwt(None),
                })
            }
            rules => rules?,
        };
        let machine_options = rules_options(rules, options);
        let options = machine_options.as_ref().unwrap_or(options);
        match hit.recheck(options, self.inner.config.clock.now_millis()) {
            Ok(()) => principal(rules, hit.claims.clone(), options),
            Err(err) => {
                if err.reason() == Reason::TokenExpired {
                    // It will not verify again.
                    if let Some(cache) = &self.inner.cache {
                        cache.remove(token);
                    }
                }
                Err(fail(rules, err))
            }
        }
    }

    /// An opaque machine token, through the machine-token cache and, on a
    /// miss, the Backend API (one call per token at a time).
    async fn verify_opaque(
        &self,
        token: &[u8],
        kind: TokenType,
        options: &VerifyOptions,
    ) -> Result<MachineToken, VerifyError> {
        let text = std::str::from_utf8(token).map_err(|_| machine::unknown_machine_token())?;
        if !opaque_guard::plausible(token, kind) {
            return Err(opaque_guard::refused_locally(kind));
        }
        let clock = &self.inner.config.clock;
        let cache = &self.inner.machine_cache;
        let verified = match cache.known(token, clock.now_millis()) {
            Some(known) => known?,
            // Boxed: the Backend API call makes this future large, and the
            // cached path should not carry it.
            None => {
                Box::pin(cache.get_or_verify_capped(
                    token,
                    || clock.now_millis(),
                    || self.verify_shared(text, kind),
                ))
                .await?
            }
        };
        verified.check_audience(options)?;
        Ok(verified)
    }

    /// A machine token no local cache knows: the fleet's cache (with the
    /// `redis` feature), else the Backend API, whose success is shared.
    /// Also says until when a shared answer may be kept.
    async fn verify_shared(
        &self,
        token: &str,
        kind: TokenType,
    ) -> (Result<MachineToken, VerifyError>, Option<i64>) {
        #[cfg(feature = "redis")]
        if let Some(fleet) = &self.inner.fleet {
            let now = self.inner.config.clock.now_millis();
            let shared = fleet.machine_get(token.as_bytes(), now).await;
            if let Some((verified, until)) = shared.and_then(|(payload, until)| {
                let verified = MachineToken::from_shared(&payload)?;
                let until = until.min(verified.expiration().unwrap_or(i64::MAX));
                (until > now).then_some((verified, until))
            }) {
                return (Ok(verified), Some(until));
            }
            let answer = self.verify_at_backend(token, kind).await;
            let ttl = self.inner.machine_cache.ttl_ms();
            if let (Ok(verified), true) = (&answer, ttl > 0) {
                let now = self.inner.config.clock.now_millis();
                let until = now
                    .saturating_add(ttl)
                    .min(verified.expiration().unwrap_or(i64::MAX));
                if let Some(payload) = verified.to_shared() {
                    fleet
                        .machine_put(token.as_bytes(), &payload, until, now)
                        .await;
                }
            }
            return (answer, None);
        }
        (self.verify_at_backend(token, kind).await, None)
    }

    async fn verify_at_backend(
        &self,
        token: &str,
        kind: TokenType,
    ) -> Result<MachineToken, VerifyError> {
        // The client's road and defaults, without the client: the typed
        // `ClerkClient::api_keys().verify(..)` and the others send the same.
        let api = &self.inner.config.api;
        api.budget
            .take(Spend::MachineToken)
            .map_err(opaque_guard::budget_spent)?;
        let policy = Policy::default();
        let failure = |err: ClientError| machine::backend_failure(kind, &err);
        let (verified, revoked, expired) = match kind {
            TokenType::ApiKey => {
                let key: ApiKey = opaque::verify(api, &policy, Opaque::ApiKey, token)
                    .await
                    .map_err(failure)?;
                let (revoked, expired) = (key.revoked, key.expired);
                (MachineToken::from_api_key(key), revoked, expired)
            }
            TokenType::M2mToken => {
                let m2m: M2mToken = opaque::verify(api, &policy, Opaque::M2mToken, token)
                    .await
                    .map_err(failure)?;
                let (revoked, expired) = (m2m.revoked, m2m.expired);
                (MachineToken::from_m2m_token(m2m), revoked, expired)
            }
            _ => {
                let oauth: IdpOAuthAccessToken =
                    opaque::verify(api, &policy, Opaque::OAuthToken, token)
                        .await
                        .map_err(failure)?;
                let (revoked, expired) = (oauth.revoked, oauth.expired);
                (MachineToken::from_oauth_token(oauth), revoked, expired)
            }
        };
        machine::refuse_stale(verified, revoked, expired)
    }

    /// Fetches the instance's JWKS now, rather than on the first request. Use
    /// it at start-up to fail fast on a wrong secret key or an unreachable
    /// Backend API. Does nothing with a PEM key (`CLERK_JWT_KEY`).
    ///
    /// # Errors
    ///
    /// [`VerifyError`] with reason `secret-key-invalid` or
    /// `jwk-remote-failed-to-load`.
    pub async fn load_keys(&self) -> Result<(), VerifyError> {
        self.inner.keys.refresh().await
    }

    /// The default verification options.
    pub fn verify_options(&self) -> &VerifyOptions {
        &self.inner.verify
    }

    /// The default options, shared, for callers that hold them per request.
    pub(crate) fn shared_verify_options(&self) -> &Arc<VerifyOptions> {
        &self.inner.verify
    }

    /// The publishable key, when one is configured.
    #[must_use]
    pub fn publishable_key(&self) -> Option<&PublishableKey> {
        self.inner.config.publishable_key.as_ref()
    }

    /// Development or production, from the publishable key (else the secret
    /// key's prefix); `None` when neither tells.
    #[must_use]
    pub fn instance_type(&self) -> Option<InstanceType> {
        let config = &self.inner.config;
        config
            .publishable_key
            .as_ref()
            .map(PublishableKey::instance_type)
            .or_else(|| {
                let secret = config.api.secret_key.as_ref()?.expose();
                if secret.starts_with("sk_live_") {
                    Some(InstanceType::Production)
                } else if secret.starts_with("sk_test_") {
                    Some(InstanceType::Development)
                } else {
                    None
                }
            })
    }

    /// The Backend API base URL, e.g. `https://api.clerk.com`.
    #[must_use]
    pub fn api_url(&self) -> &str {
        &self.inner.config.api.url
    }

    /// The Backend API version path segment, e.g. `v1`.
    #[must_use]
    pub fn api_version(&self) -> &str {
        &self.inner.config.api.version
    }

    /// The sign-in URL, when configured (`CLERK_SIGN_IN_URL`).
    #[must_use]
    pub fn sign_in_url(&self) -> Option<&str> {
        self.inner.config.sign_in_url.as_deref()
    }

    /// The sign-up URL, when configured (`CLERK_SIGN_UP_URL`).
    #[must_use]
    pub fn sign_up_url(&self) -> Option<&str> {
        self.config().sign_up_url.as_deref()
    }

    /// Whether this handle serves a satellite domain.
    #[must_use]
    pub fn is_satellite(&self) -> bool {
        matches!(self.config().browser.domain, DomainRole::Satellite { .. })
    }

    pub(crate) fn config(&self) -> &Config {
        &self.inner.config
    }
}

impl ClerkBuilder {
    /// Checks every setting and builds the handle.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] naming the variable or setter at fault.
    pub fn build(self) -> Result<Clerk, ConfigError> {
        let Checked {
            config,
            jwt_key,
            verify,
            jwks,
            token_cache_capacity,
            machine_cache,
            fleet,
        } = self.check()?;
        let keys = match jwt_key {
            Some(key) => KeyStore::local(key),
            None => KeyStore::remote(RemoteSettings {
                api: config.api.clone(),
                ttl: jwks.ttl,
                refetch_interval: jwks.refetch_interval,
                timeout: jwks.timeout,
            }),
        };
        Ok(Clerk {
            inner: Arc::new(Inner {
                config,
                keys,
                verify: Arc::new(verify),
                cache: TokenCache::new(token_cache_capacity),
                machine_cache: MachineCache::new(machine_cache.ttl, machine_cache.capacity)
                    .with_negative_ttl(fleet.negative_ttl, machine_cache.capacity),
                #[cfg(feature = "redis")]
                fleet: fleet.shared,
            }),
        })
    }
}

/// The machine option set for machine rules; `None`: the caller's options.
fn rules_options(rules: Rules, options: &VerifyOptions) -> Option<VerifyOptions> {
    match rules {
        Rules::Session => None,
        Rules::Machine(kind) => Some(machine::jwt_options(kind, options)),
    }
}

/// A verified JWT's principal under `rules`: a machine JWT becomes a
/// [`MachineToken`], with the OAuth audience check.
fn principal(
    rules: Rules,
    claims: SessionClaims,
    options: &VerifyOptions,
) -> Result<Principal, Refusal> {
    match rules {
        Rules::Session => Ok(Principal::Session(claims)),
        Rules::Machine(kind) => {
            let token = MachineToken::from_jwt(kind, &claims);
            token
                .check_audience(options)
                .map_err(|error| Refusal::Invalid {
                    machine: Some(kind),
                    error,
                })?;
            Ok(Principal::Machine(token))
        }
    }
}

/// A failed check, in the terms of the rules it was held to.
fn fail(rules: Rules, err: VerifyError) -> Refusal {
    match rules {
        Rules::Session => Refusal::invalid(err),
        Rules::Machine(kind) => Refusal::Invalid {
            machine: Some(kind),
            error: machine::check_failed(err),
        },
    }
}
