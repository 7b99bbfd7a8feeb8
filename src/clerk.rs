//! The shared `Clerk` handle.

use std::fmt;
use std::sync::Arc;

use crate::cache::{TokenCache, Verified};
use crate::claims::SessionClaims;
use crate::config::{ClerkBuilder, Config, ConfigError, InstanceType, PublishableKey};
use crate::keys::KeyStore;
use crate::verify::{self, Reason, VerifyError, VerifyOptions};

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
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) keys: KeyStore,
    pub(crate) verify: Arc<VerifyOptions>,
    pub(crate) cache: Option<TokenCache>,
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

    /// Verifies a session token with the default options.
    ///
    /// # Errors
    ///
    /// [`VerifyError`] with Clerk's reason code; see [`Reason`](crate::Reason).
    pub async fn verify_token(&self, token: &str) -> Result<SessionClaims, VerifyError> {
        self.verify_token_with(token, &self.inner.verify).await
    }

    /// Verifies a session token with `options` instead of the defaults.
    ///
    /// # Errors
    ///
    /// [`VerifyError`] with Clerk's reason code; see [`Reason`](crate::Reason).
    pub async fn verify_token_with(
        &self,
        token: &str,
        options: &VerifyOptions,
    ) -> Result<SessionClaims, VerifyError> {
        let claims = self.verify_shared(token, options).await?;
        Ok(claims)
    }

    /// Verification through the cache.
    pub(crate) async fn verify_shared(
        &self,
        token: &str,
        options: &VerifyOptions,
    ) -> Result<SessionClaims, VerifyError> {
        let now = self.inner.config.clock.now_millis();
        if let Some(hit) = self.cached(token.as_bytes(), options) {
            return match hit.recheck(options, now) {
                Ok(()) => Ok(hit.claims.clone()),
                Err(err) => {
                    self.forget(token.as_bytes(), &err);
                    Err(err)
                }
            };
        }
        let decoded = verify::decode(token, self.inner.config.max_token_bytes)?;
        self.verify_decoded(token, decoded, options, now).await
    }

    /// A cache hit for `token`, unless the options ask to skip caches.
    pub(crate) fn cached(&self, token: &[u8], options: &VerifyOptions) -> Option<Arc<Verified>> {
        if options.skip_jwks_cache {
            return None;
        }
        self.inner.cache.as_ref()?.get(token)
    }

    /// Drops a cached token that will not verify again (expired).
    pub(crate) fn forget(&self, token: &[u8], err: &VerifyError) {
        if err.reason() == Reason::TokenExpired {
            if let Some(cache) = &self.inner.cache {
                cache.remove(token);
            }
        }
    }

    /// Verifies a decoded token and caches the success.
    pub(crate) async fn verify_decoded(
        &self,
        token: &str,
        decoded: verify::Decoded<'_>,
        options: &VerifyOptions,
        now_ms: i64,
    ) -> Result<SessionClaims, VerifyError> {
        let typ = decoded.typ().cloned();
        let session_token = decoded.is_session_token();
        let (claims, key, times) =
            verify::verify_decoded(decoded, &self.inner.keys, options, now_ms).await?;
        if let Some(cache) = &self.inner.cache {
            let verified = Verified::new(claims.clone(), key, typ, times, session_token);
            cache.insert(token.as_bytes(), Arc::new(verified));
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
                let secret = config.secret_key.as_ref()?.expose();
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
        &self.inner.config.api_url
    }

    /// The Backend API version path segment, e.g. `v1`.
    #[must_use]
    pub fn api_version(&self) -> &str {
        &self.inner.config.api_version
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
