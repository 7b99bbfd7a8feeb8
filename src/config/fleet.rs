//! The settings of the Backend API budget, the negative cache of machine
//! tokens and (with the `redis` feature) the fleet's shared cache.

use std::fmt;
use std::time::Duration;

use super::{ClerkBuilder, ConfigError, InstanceType};
use crate::backend::budget::Budget;
use crate::backend::transport::Secret;

/// What the builder was told; see the setters.
#[derive(Clone, Default)]
pub(crate) struct FleetSettings {
    budget: Option<(u32, Duration)>,
    negative_ttl: Option<Duration>,
    #[cfg(feature = "redis")]
    redis: Option<RedisSource>,
    #[cfg(feature = "redis")]
    redis_timeout: Option<Duration>,
}

#[cfg(feature = "redis")]
#[derive(Clone)]
enum RedisSource {
    Url(String),
    Client(redis::Client),
}

/// The URL may hold a password: only say whether one is set.
impl fmt::Debug for FleetSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("FleetSettings");
        out.field("budget", &self.budget)
            .field("negative_ttl", &self.negative_ttl);
        #[cfg(feature = "redis")]
        out.field("redis", &self.redis.is_some())
            .field("redis_timeout", &self.redis_timeout);
        out.finish()
    }
}

/// The settings, checked.
pub(crate) struct CheckedFleet {
    pub(crate) budget: Budget,
    pub(crate) negative_ttl: Duration,
    #[cfg(feature = "redis")]
    pub(crate) shared: Option<std::sync::Arc<crate::fleet::Fleet>>,
}

impl FleetSettings {
    pub(crate) fn check(
        self,
        secret_key: Option<&Secret>,
        instance: Option<InstanceType>,
    ) -> Result<CheckedFleet, ConfigError> {
        let (calls, per) = self.budget.unwrap_or_else(|| default_budget(instance));
        #[cfg(feature = "redis")]
        let shared = match self.redis {
            None => None,
            Some(source) => {
                let origin = match &source {
                    RedisSource::Url(_) => "ClerkBuilder::redis_url",
                    RedisSource::Client(_) => "ClerkBuilder::redis_client",
                };
                let Some(secret) = secret_key else {
                    return Err(ConfigError::InvalidSetting {
                        origin: origin.into(),
                        reason: "the shared cache needs the secret key (its entries are \
                                 authenticated with a key derived from it): set \
                                 CLERK_SECRET_KEY or call ClerkBuilder::secret_key"
                            .into(),
                    });
                };
                let client = match source {
                    RedisSource::Client(client) => client,
                    RedisSource::Url(url) => redis::Client::open(url.trim()).map_err(|e| {
                        ConfigError::InvalidSetting {
                            origin: origin.into(),
                            reason: format!(
                                "not a Redis URL ({}): expected redis://host:port/db",
                                e.category()
                            )
                            .into(),
                        }
                    })?,
                };
                let timeout = self.redis_timeout.unwrap_or(crate::fleet::DEFAULT_TIMEOUT);
                Some(std::sync::Arc::new(crate::fleet::Fleet::new(
                    client,
                    timeout,
                    secret.expose(),
                )))
            }
        };
        #[cfg(not(feature = "redis"))]
        let _ = secret_key;
        Ok(CheckedFleet {
            budget: Budget::new(calls, per),
            negative_ttl: self.negative_ttl.unwrap_or(Duration::from_secs(5)),
            #[cfg(feature = "redis")]
            shared,
        })
    }
}

impl ClerkBuilder {
    /// The budget of Backend API calls that requests may trigger in this
    /// process: at most `calls` per `per` (a token bucket of `calls`,
    /// refilled evenly over `per`), shared by the verification of opaque
    /// machine tokens no cache knows, the handshake payloads of
    /// `__clerk_handshake_nonce` and session refreshes. Beyond it, such a
    /// request is answered as an outage of that step (a 503 with
    /// `Retry-After`) without a call, and the refusals are logged at most
    /// every 10 s with their count. Cached tokens spend nothing. `0` calls:
    /// no limit.
    ///
    /// Defaults to half of Clerk's published Backend API rate limit for the
    /// instance (from the publishable key, else the secret key's prefix):
    /// 500 per 10 s in production (Clerk allows 1000), 50 per 10 s in
    /// development (Clerk allows 100). The other half is left to the app's
    /// own Backend API calls. With several replicas, divide by their number.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let clerk = clerk_actix::Clerk::builder()
    ///     .secret_key("sk_live_xxxxxxxx")
    ///     .backend_call_budget(100, Duration::from_secs(10))
    ///     .build()?;
    /// # Ok::<(), clerk_actix::config::ConfigError>(())
    /// ```
    pub fn backend_call_budget(mut self, calls: u32, per: Duration) -> Self {
        self.fleet.budget = Some((calls, per));
        self
    }

    /// How long Clerk's definitive "no" for an opaque machine token (unknown,
    /// revoked, expired) is remembered, so that a client retrying the same
    /// bad token costs one Backend API call per interval; never longer than
    /// [`machine_token_cache_ttl`](Self::machine_token_cache_ttl). Outages
    /// are never remembered. 0 disables.
    ///
    /// A token that Clerk refused and that becomes valid (a key created
    /// with that very secret) is refused here for up to this long.
    ///
    /// Defaults to 5 seconds.
    pub fn machine_token_negative_cache_ttl(mut self, ttl: Duration) -> Self {
        self.fleet.negative_ttl = Some(ttl);
        self
    }

    /// Shares verified opaque machine tokens and Backend API holds (after a
    /// 429 or a burst of 5xx answers) with every replica built with the same
    /// secret key and this Redis (`redis://host:port/db`, `rediss://` is not
    /// supported). Redis is an optimisation: when it is down, slow or
    /// answers garbage, requests are answered as without it. See the README's
    /// "Running several replicas" and SECURITY.md.
    ///
    /// Needs the secret key. Not set by default.
    ///
    /// # Examples
    ///
    /// ```
    /// let clerk = clerk_actix::Clerk::builder()
    ///     .secret_key("sk_live_xxxxxxxx")
    ///     .redis_url("redis://127.0.0.1:6379/0")
    ///     .build()?;
    /// # Ok::<(), clerk_actix::config::ConfigError>(())
    /// ```
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub fn redis_url(mut self, url: impl Into<String>) -> Self {
        self.fleet.redis = Some(RedisSource::Url(url.into()));
        self
    }

    /// [`redis_url`](Self::redis_url) with a client made already.
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub fn redis_client(mut self, client: redis::Client) -> Self {
        self.fleet.redis = Some(RedisSource::Client(client));
        self
    }

    /// The longest wait for one Redis command; past it, the request goes on
    /// without Redis, and Redis is left alone for a second.
    ///
    /// Defaults to 50 ms.
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub fn redis_timeout(mut self, timeout: Duration) -> Self {
        self.fleet.redis_timeout = Some(timeout);
        self
    }
}

/// The default budget of an instance of `instance` type: half of Clerk's
/// published limit (production when the type is not known).
pub(crate) fn default_budget(instance: Option<InstanceType>) -> (u32, Duration) {
    match instance {
        Some(InstanceType::Development) => (50, Duration::from_secs(10)),
        _ => (500, Duration::from_secs(10)),
    }
}
