//! The shared `Clerk` handle.

use std::fmt;
use std::sync::Arc;

use crate::client::error::Error as ClientError;
use crate::client::executor::Policy;
use crate::client::machine_models::{
    self as opaque, ApiKey, IdpOAuthAccessToken, M2mToken, Opaque,
};
use crate::config::{Checked, ClerkBuilder, Config, ConfigError, InstanceType, PublishableKey};
use crate::verification::cache::{TokenCache, Verified};
use crate::verification::claims::SessionClaims;
use crate::verification::error::{Reason, VerifyError};
use crate::verification::keys::{KeyStore, RemoteSettings};
use crate::verification::machine::{self, JwtShape, MachineToken};
use crate::verification::machine_cache::MachineCache;
use crate::verification::options::VerifyOptions;
use crate::verification::token::{self, Category};
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
}

/// Which tokens a verification takes, and by which rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Accepts {
    /// What Clerk's `verifyToken` takes: any Clerk JWT but one with the M2M
    /// category (session tokens, JWT-template tokens), with the session
    /// options.
    AnyJwt,
    /// Session tokens only, as on the request path: OAuth access tokens, M2M
    /// tokens and JWT-template tokens are refused.
    SessionToken,
    /// The "any" path of the request: session tokens with the session
    /// options, machine JWTs (M2M, OAuth) with the machine option set; other
    /// categories (JWT templates) are refused.
    Any,
    /// Machine JWTs only, with the machine option set.
    MachineJwt,
}

/// The rules a token is held to, chosen from what it is and what the caller
/// accepts.
#[derive(Clone, Copy)]
enum Rules {
    Session,
    Machine(TokenType),
}

impl Accepts {
    /// The rules for a token of `shape`, or why it is refused before any key
    /// is fetched (kind, or category).
    fn rules(self, shape: JwtShape) -> Result<Rules, Rejection> {
        let session = |shape: JwtShape| {
            if shape.category == Category::M2m {
                Err(Rejection::Invalid(token::session_category_error()))
            } else {
                Ok(Rules::Session)
            }
        };
        let machine = |kind: TokenType| {
            if kind == TokenType::M2mToken && !shape.m2m_category_ok() {
                Err(Rejection::Invalid(machine::m2m_category_error()))
            } else {
                Ok(Rules::Machine(kind))
            }
        };
        match (self, shape.machine) {
            (Accepts::AnyJwt, _) => session(shape),
            (Accepts::SessionToken, _) if shape.is_session_token() => session(shape),
            (Accepts::Any | Accepts::MachineJwt, Some(kind)) => machine(kind),
            (Accepts::Any, None) if shape.is_session_token() => session(shape),
            _ => Err(Rejection::WrongKind),
        }
    }
}

/// Why the pipeline refused a token.
#[derive(Debug)]
pub(crate) enum Rejection {
    /// It did not verify, or the keys could not be loaded.
    Invalid(VerifyError),
    /// It is a Clerk token, but not of a kind the caller accepts
    /// (`token-type-mismatch`).
    WrongKind,
}

/// A refusal, with the machine kind of the token when it was held to the
/// machine rules (its errors are then in Clerk's machine terms).
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) machine: Option<TokenType>,
    pub(crate) rejection: Rejection,
}

impl From<Rejection> for Failure {
    fn from(rejection: Rejection) -> Self {
        Self {
            machine: None,
            rejection,
        }
    }
}

impl From<VerifyError> for Rejection {
    fn from(err: VerifyError) -> Self {
        Self::Invalid(err)
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
            Ok(claims) => Ok(claims),
            Err(Rejection::Invalid(err)) => Err(err),
            // `AnyJwt` rejects no kind; kept total rather than unreachable.
            Err(Rejection::WrongKind) => Err(VerifyError::new(
                Reason::TokenInvalid,
                "The token is not a session token.",
            )),
        }
    }

    /// The token pipeline, the one place a token is verified: cache lookup
    /// and recheck, decode, the token-kind check, key, checks, cache insert.
    /// Every caller (`verify_token`, the middleware) comes through here and
    /// differs only in what it passes.
    pub(crate) async fn verify(
        &self,
        token: &[u8],
        options: &VerifyOptions,
        accepts: Accepts,
    ) -> Result<SessionClaims, Rejection> {
        self.verify_jwt(token, options, accepts)
            .await
            .map(|(_, claims)| claims)
            .map_err(|failure| failure.rejection)
    }

    /// [`verify`](Self::verify), also telling a machine JWT (its kind) from a
    /// session token (`None`).
    pub(crate) async fn verify_jwt(
        &self,
        token: &[u8],
        options: &VerifyOptions,
        accepts: Accepts,
    ) -> Result<(Option<TokenType>, SessionClaims), Failure> {
        let inner = &*self.inner;
        let now = inner.config.clock.now_millis();
        let cache = inner.cache.as_ref().filter(|_| !options.skip_jwks_cache);
        if let Some(hit) = cache.and_then(|cache| cache.get(token)) {
            // A cached token of a kind this caller refuses is refused with
            // the same answer as uncached.
            let rules = accepts.rules(hit.shape).map_err(|rejection| Failure {
                machine: hit.shape.machine,
                rejection,
            })?;
            let machine_options = rules_options(rules, options);
            let options = machine_options.as_ref().unwrap_or(options);
            return match hit.recheck(options, now) {
                Ok(()) => Ok((machine_kind(rules), hit.claims.clone())),
                Err(err) => {
                    if err.reason() == Reason::TokenExpired {
                        // It will not verify again.
                        if let Some(cache) = cache {
                            cache.remove(token);
                        }
                    }
                    Err(fail(rules, err))
                }
            };
        }
        let text =
            std::str::from_utf8(token).map_err(|_| Rejection::Invalid(token::invalid_form()))?;
        let decoded = token::decode(text, inner.config.max_token_bytes)
            .map_err(|err| Failure::from(Rejection::Invalid(err)))?;
        let shape = JwtShape::of(&decoded);
        let rules = accepts.rules(shape).map_err(|rejection| Failure {
            machine: shape.machine,
            rejection,
        })?;
        let machine_options = rules_options(rules, options);
        let options = machine_options.as_ref().unwrap_or(options);
        let typ = decoded.typ().cloned();
        let (claims, key, times) = token::verify_decoded(decoded, &inner.keys, options, now)
            .await
            .map_err(|err| fail(rules, err))?;
        if let Some(cache) = &inner.cache {
            let verified = Verified::new(claims.clone(), key, typ, times, shape);
            cache.insert(token, Arc::new(verified));
        }
        Ok((machine_kind(rules), claims))
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
    /// other answer, or none: see [`VerifyError::status`]), and for JWTs
    /// `jwk-remote-failed-to-load` when no key could be loaded.
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
        self.verify_machine(token.as_bytes(), &self.inner.verify)
            .await
            .map_err(|(_, err)| err)
    }

    /// Verifies a machine token of any form; on failure, the kind the token
    /// was taken for.
    pub(crate) async fn verify_machine(
        &self,
        token: &[u8],
        options: &VerifyOptions,
    ) -> Result<MachineToken, (TokenType, VerifyError)> {
        if let Some(kind) = machine::opaque_kind(token) {
            return self
                .verify_opaque(token, kind, options)
                .await
                .map_err(|err| (kind, err));
        }
        match self.verify_jwt(token, options, Accepts::MachineJwt).await {
            Ok((Some(kind), claims)) => machine_from_jwt(kind, &claims, options),
            Ok((None, _)) => Err((TokenType::OAuthToken, machine::unknown_machine_token())),
            Err(Failure {
                machine: Some(kind),
                rejection: Rejection::Invalid(err),
            }) => Err((kind, err)),
            Err(Failure {
                rejection: Rejection::WrongKind,
                ..
            }) => {
                let typ = std::str::from_utf8(token)
                    .ok()
                    .and_then(|t| token::decode(t, self.inner.config.max_token_bytes).ok())
                    .and_then(|d| {
                        d.typ()
                            .and_then(serde_json::Value::as_str)
                            .map(str::to_owned)
                    });
                Err((
                    TokenType::OAuthToken,
                    machine::not_a_machine_jwt(typ.as_deref()),
                ))
            }
            Err(Failure {
                rejection: Rejection::Invalid(err),
                ..
            }) => Err((TokenType::OAuthToken, err)),
        }
    }

    /// An opaque machine token, through the machine-token cache and, on a
    /// miss, the Backend API (one call per token at a time).
    pub(crate) async fn verify_opaque(
        &self,
        token: &[u8],
        kind: TokenType,
        options: &VerifyOptions,
    ) -> Result<MachineToken, VerifyError> {
        let text = std::str::from_utf8(token).map_err(|_| machine::unknown_machine_token())?;
        let clock = &self.inner.config.clock;
        let verified = self
            .inner
            .machine_cache
            .get_or_verify(
                token,
                || clock.now_millis(),
                || self.verify_at_backend(text, kind),
            )
            .await?;
        verified.check_audience(options)?;
        Ok(verified)
    }

    async fn verify_at_backend(
        &self,
        token: &str,
        kind: TokenType,
    ) -> Result<MachineToken, VerifyError> {
        // The client's road and defaults, without the client: the typed
        // `ClerkClient::api_keys().verify(..)` and the others send the same.
        let api = &self.inner.config.api;
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
                machine_cache: MachineCache::new(machine_cache.ttl, machine_cache.capacity),
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

fn machine_kind(rules: Rules) -> Option<TokenType> {
    match rules {
        Rules::Session => None,
        Rules::Machine(kind) => Some(kind),
    }
}

/// A failed check, in the terms of the rules it was held to.
fn fail(rules: Rules, err: VerifyError) -> Failure {
    match rules {
        Rules::Session => Failure::from(Rejection::Invalid(err)),
        Rules::Machine(kind) => Failure {
            machine: Some(kind),
            rejection: Rejection::Invalid(machine::check_failed(err)),
        },
    }
}

/// A verified machine JWT as a [`MachineToken`], with the OAuth audience check.
pub(crate) fn machine_from_jwt(
    kind: TokenType,
    claims: &SessionClaims,
    options: &VerifyOptions,
) -> Result<MachineToken, (TokenType, VerifyError)> {
    let token = MachineToken::from_jwt(kind, claims);
    token.check_audience(options).map_err(|err| (kind, err))?;
    Ok(token)
}

impl Clerk {
    /// The key store, for tokens verified outside the pipeline (the
    /// handshake token, which has no claims to check).
    pub(crate) fn keys(&self) -> &KeyStore {
        &self.inner.keys
    }

    /// What the verified-token cache holds for `token`, unchecked: the
    /// cookie path reads claims of a session cookie (its issuer, times,
    /// kind) before verifying it, and a cached token need not be decoded
    /// again for that. Verification still goes through [`verify`](Self::verify).
    pub(crate) fn cached(&self, token: &[u8]) -> Option<Arc<Verified>> {
        self.inner.cache.as_ref()?.get(token)
    }
}
