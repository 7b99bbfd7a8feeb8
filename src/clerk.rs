//! The shared `Clerk` handle.

use std::fmt;
use std::sync::Arc;

use crate::config::{Checked, ClerkBuilder, Config, ConfigError, InstanceType, PublishableKey};
use crate::verification::cache::{TokenCache, Verified};
use crate::verification::claims::SessionClaims;
use crate::verification::error::{Reason, VerifyError};
use crate::verification::keys::{KeyStore, RemoteSettings};
use crate::verification::options::VerifyOptions;
use crate::verification::token;

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
}

/// Which tokens a verification takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Accepts {
    /// What Clerk's `verifyToken` takes: any Clerk JWT but an M2M token
    /// (session tokens, JWT-template tokens).
    AnyJwt,
    /// Session tokens only, as on the request path: OAuth access tokens, M2M
    /// tokens and JWT-template tokens are refused.
    SessionToken,
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
    /// from JWT templates. The middleware accepts session tokens only (see
    /// [`ClerkMiddleware`](crate::ClerkMiddleware)).
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
        let inner = &*self.inner;
        let now = inner.config.clock.now_millis();
        let cache = inner.cache.as_ref().filter(|_| !options.skip_jwks_cache);
        if let Some(hit) = cache.and_then(|cache| cache.get(token)) {
            // A cached token of a kind this caller refuses goes the long way
            // and is refused below, with the same answer as uncached.
            if hit.session_token || accepts == Accepts::AnyJwt {
                return match hit.recheck(options, now) {
                    Ok(()) => Ok(hit.claims.clone()),
                    Err(err) => {
                        if err.reason() == Reason::TokenExpired {
                            // It will not verify again.
                            if let Some(cache) = cache {
                                cache.remove(token);
                            }
                        }
                        Err(Rejection::Invalid(err))
                    }
                };
            }
        }
        let text =
            std::str::from_utf8(token).map_err(|_| Rejection::Invalid(token::invalid_form()))?;
        let decoded = token::decode(text, inner.config.max_token_bytes)?;
        let session_token = decoded.is_session_token();
        if accepts == Accepts::SessionToken && !session_token {
            return Err(Rejection::WrongKind);
        }
        let typ = decoded.typ().cloned();
        let (claims, key, times) =
            token::verify_decoded(decoded, &inner.keys, options, now).await?;
        if let Some(cache) = &inner.cache {
            let verified = Verified::new(claims.clone(), key, typ, times, session_token);
            cache.insert(token, Arc::new(verified));
        }
        Ok(claims)
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
            }),
        })
    }
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
