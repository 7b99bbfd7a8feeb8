//! Configuration: the [`ClerkBuilder`], publishable keys, and configuration errors.
//!
//! A [`Clerk`](crate::Clerk) handle is built once, before `HttpServer::new`, from the
//! environment or from a builder, and then cloned into every worker. Anything
//! wrong with the keys is reported here, by [`ClerkBuilder::build`], with the
//! name of the variable or setter at fault — never later, on a request.
//!
//! # Environment variables
//!
//! | variable | used for | default |
//! | --- | --- | --- |
//! | `CLERK_SECRET_KEY` | Backend API calls and the JWKS fetch | — |
//! | `CLERK_MACHINE_SECRET_KEY` | the M2M endpoints (`/m2m_tokens`, verifying `mt_…` tokens) | the secret key |
//! | `CLERK_PUBLISHABLE_KEY` | the Frontend API host and cookie suffix (browser flows) | — |
//! | `CLERK_JWT_KEY` | networkless verification with a PEM public key | — |
//! | `CLERK_API_URL` | the Backend API base URL | `https://api.clerk.com` |
//! | `CLERK_API_VERSION` | the Backend API version path segment | `v1` |
//! | `CLERK_SIGN_IN_URL` | where signed-out browsers are sent, in two ways: [`Require::redirect_to_sign_in`](crate::Require::redirect_to_sign_in) (every signed-out request, 302) and [`Require::sign_in_page`](crate::Require::sign_in_page) (page navigations only, with `redirect_url` back; API calls still get 401) | `/` for both |
//! | `CLERK_PROXY_URL` | the Frontend API proxy that handshake redirects go to: absolute, or a path made absolute against the request's public origin | — |
//! | `CLERK_IS_SATELLITE` | this app is a [satellite domain](crate::multi_domain) (parsed as Clerk parses it: `true`/`false` in any case, else an integer above 0) | false |
//! | `CLERK_DOMAIN` | the satellite's domain (a host, no scheme) | — |
//! | `CLERK_SIGN_UP_URL` | the sign-up page ([`Clerk::sign_up_url`](crate::Clerk::sign_up_url)) | — |
//!
//! An empty variable counts as unset, as it does for `@clerk/express`.
//!
//! # How defaults were chosen
//!
//! The secure choice wins wherever Clerk leaves room: time claims are checked
//! with a 5 second skew (Clerk's default; session tokens live 60 seconds),
//! pending sessions count as signed out, only RS256/RS384/RS512 are accepted,
//! and tokens larger than 16 KiB are rejected before any decoding.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;

use crate::backend::budget::Budget;
use crate::backend::executor::BackendApi;
use crate::backend::transport::Secret;
use crate::clock::Clock;
use crate::encoding;
use crate::verification::keys::VerifyingKey;
use crate::verification::options::VerifyOptions;

mod fleet;
pub(crate) mod multi_domain;
pub(crate) mod org_sync;
pub(crate) mod pattern;
pub(crate) mod url;
pub(crate) use fleet::CheckedFleet;

const DEFAULT_API_URL: &str = "https://api.clerk.com";
const DEFAULT_API_VERSION: &str = "v1";

/// Where a setting came from, so errors can name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    Env(&'static str),
    Builder(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Env(var) => f.write_str(var),
            Origin::Builder(setter) => write!(f, "ClerkBuilder::{setter}"),
        }
    }
}

/// A configuration problem found by [`ClerkBuilder::build`].
///
/// The message names the environment variable or builder method at fault and
/// says how to fix it. Secrets are never part of the message.
///
/// # Examples
///
/// ```
/// use clerk_actix::Clerk;
///
/// let err = Clerk::builder().publishable_key("pk_test_bm90LWEta2V5").build().unwrap_err();
/// assert!(err.to_string().contains("ClerkBuilder::publishable_key"));
/// ```
#[derive(Clone, PartialEq, Eq, derive_more::Display, derive_more::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Neither a secret key nor a JWT key was configured.
    #[display(
        "no Clerk key is configured: set CLERK_SECRET_KEY (Clerk Dashboard > API keys) or \
         CLERK_JWT_KEY, or pass one to ClerkBuilder::secret_key / ClerkBuilder::jwt_key"
    )]
    MissingKeys,
    /// The secret key is malformed.
    #[display("invalid secret key in {origin}: {reason}")]
    InvalidSecretKey {
        /// The variable or setter it came from.
        #[error(not(source))]
        origin: String,
        /// What is wrong with it.
        reason: Cow<'static, str>,
    },
    /// The publishable key is malformed.
    #[display("invalid publishable key in {origin}: {reason}")]
    InvalidPublishableKey {
        /// The variable or setter it came from.
        #[error(not(source))]
        origin: String,
        /// What is wrong with it.
        reason: PublishableKeyError,
    },
    /// The PEM public key for networkless verification could not be used.
    #[display("invalid JWT public key in {origin}: {reason}")]
    InvalidJwtKey {
        /// The variable or setter it came from.
        #[error(not(source))]
        origin: String,
        /// What is wrong with it.
        reason: Cow<'static, str>,
    },
    /// Another setting has an unusable value.
    #[display("invalid value in {origin}: {reason}")]
    InvalidSetting {
        /// The variable or setter it came from.
        #[error(not(source))]
        origin: String,
        /// What is wrong with it.
        reason: Cow<'static, str>,
    },
}

/// The same text as `Display`: `fn main() -> Result<(), Box<dyn Error>>`
/// prints errors with `Debug`, and the variable name and the fix must show
/// there too.
impl fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Why a publishable key was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, derive_more::Display, derive_more::Error)]
#[non_exhaustive]
pub enum PublishableKeyError {
    /// A secret key (`sk_…`) was given where the publishable key goes.
    #[display(
        "this is a secret key (sk_...), not the publishable key (pk_test_... or pk_live_...); \
         swap the two values, and keep the secret key out of anything a browser loads"
    )]
    SecretKey,
    /// The key does not start with `pk_test_` or `pk_live_`.
    #[display("expected pk_test_... or pk_live_... (copy it from Clerk Dashboard > API keys)")]
    Prefix,
    /// The part after the prefix is not base64.
    #[display("the part after pk_test_/pk_live_ is not valid base64")]
    Base64,
    /// The decoded key is not `<frontend api host>$`.
    #[display("the decoded key is not a Frontend API host followed by '$'")]
    Format,
}

/// A Clerk instance is either a development or a production instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InstanceType {
    /// `pk_test_` keys.
    Development,
    /// `pk_live_` keys.
    Production,
}

/// A parsed publishable key (`pk_test_…` / `pk_live_…`).
///
/// It names the instance's Frontend API host and decides the suffix of the
/// instance's cookies (`__session_<suffix>`).
///
/// # Examples
///
/// ```
/// use clerk_actix::config::{InstanceType, PublishableKey};
///
/// let pk: PublishableKey = "pk_test_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA".parse()?;
/// assert_eq!(pk.instance_type(), InstanceType::Development);
/// assert_eq!(pk.frontend_api(), "clerk.inspired.puma-74.lcl.dev");
/// assert_eq!(pk.cookie_suffix(), "vWCgMp3A");
/// # Ok::<(), clerk_actix::config::PublishableKeyError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct PublishableKey {
    raw: String,
    instance_type: InstanceType,
    frontend_api: String,
    cookie_suffix: String,
}

impl PublishableKey {
    /// Parses a publishable key.
    ///
    /// # Errors
    ///
    /// [`PublishableKeyError`] when the key does not have the
    /// `pk_(test|live)_<base64 of "<host>$">` shape.
    pub fn parse(key: &str) -> Result<Self, PublishableKeyError> {
        if key.starts_with("sk_") {
            return Err(PublishableKeyError::SecretKey);
        }
        let mut parts = key.split('_');
        let (Some("pk"), Some(kind), Some(encoded), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(PublishableKeyError::Prefix);
        };
        let instance_type = match kind {
            "test" => InstanceType::Development,
            "live" => InstanceType::Production,
            _ => return Err(PublishableKeyError::Prefix),
        };
        let decoded = encoding::STANDARD
            .decode(encoded)
            .map_err(|_| PublishableKeyError::Base64)?;
        let decoded = String::from_utf8(decoded).map_err(|_| PublishableKeyError::Format)?;
        let host = decoded
            .strip_suffix('$')
            .filter(|host| !host.contains('$') && host.contains('.'))
            .ok_or(PublishableKeyError::Format)?;
        if host.bytes().any(|b| !b.is_ascii_graphic()) {
            return Err(PublishableKeyError::Format);
        }
        Ok(Self {
            cookie_suffix: cookie_suffix(key),
            frontend_api: host.to_owned(),
            raw: key.to_owned(),
            instance_type,
        })
    }

    /// The key as given.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Development (`pk_test_`) or production (`pk_live_`).
    #[must_use]
    pub fn instance_type(&self) -> InstanceType {
        self.instance_type
    }

    /// The Frontend API host encoded in the key, e.g. `clerk.example.com`.
    #[must_use]
    pub fn frontend_api(&self) -> &str {
        &self.frontend_api
    }

    /// The eight-character suffix of this instance's cookies: the start of the
    /// URL-safe base64 SHA-1 of the key.
    #[must_use]
    pub fn cookie_suffix(&self) -> &str {
        &self.cookie_suffix
    }
}

impl FromStr for PublishableKey {
    type Err = PublishableKeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Debug for PublishableKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublishableKey")
            .field("instance_type", &self.instance_type)
            .field("frontend_api", &self.frontend_api)
            .finish_non_exhaustive()
    }
}

fn cookie_suffix(key: &str) -> String {
    let digest =
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, key.as_bytes());
    let mut encoded = encoding::URL_SAFE.encode(digest.as_ref());
    encoded.truncate(8);
    encoded
}

/// The settings a [`Clerk`](crate::Clerk) handle was built with.
#[derive(Debug)]
pub(crate) struct Config {
    /// Where the Backend API is, and the secret key.
    pub(crate) api: Arc<BackendApi>,
    pub(crate) publishable_key: Option<PublishableKey>,
    pub(crate) sign_in_url: Option<String>,
    pub(crate) sign_up_url: Option<String>,
    pub(crate) clock: Clock,
    pub(crate) max_token_bytes: usize,
    pub(crate) browser: BrowserSettings,
}

/// How browser requests (cookies, the handshake) are handled.
#[derive(Debug, Clone)]
pub(crate) struct BrowserSettings {
    /// `proxy_url` / `CLERK_PROXY_URL`: absolute, or a path made absolute
    /// against the request's public origin.
    pub(crate) proxy_url: Option<String>,
    /// Read the public URL from `X-Forwarded-Host` / `-Proto` (Clerk does).
    pub(crate) trust_forwarded_headers: bool,
    /// Never answer with a handshake; cookie problems sign the request out.
    pub(crate) api_only: bool,
    /// With authorized parties configured, accept cookie tokens that have no
    /// `azp` claim (Clerk rejects them).
    pub(crate) cookie_tokens_without_azp: bool,
    /// Which domain of a multi-domain set-up this app serves.
    pub(crate) domain: DomainRole,
    /// Organization sync (`organizationSyncOptions`), compiled.
    pub(crate) organization_sync: Option<self::org_sync::SharedOrgMatcher>,
}

/// The app's place in a multi-domain set-up (Clerk's `isSatellite`,
/// `domain`, `satelliteAutoSync`: §2.6 steps 1–3 of the behaviour spec).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum DomainRole {
    /// The primary domain.
    #[default]
    Primary,
    /// A satellite domain, sharing sign-in with the primary.
    Satellite {
        /// `clerk.<domain>`: the Frontend API of a production satellite
        /// with a domain (what handshakes go to, and the issuer its cookies
        /// carry); `None` on development instances or with a proxy only.
        frontend_api: Option<String>,
        /// `satelliteAutoSync`: sync with the primary on the first visit.
        auto_sync: bool,
    },
}

/// Every setting of a [`ClerkBuilder`], checked: what the handle is made of.
pub(crate) struct Checked {
    pub(crate) config: Config,
    /// `CLERK_JWT_KEY`, parsed: networkless verification.
    pub(crate) jwt_key: Option<VerifyingKey>,
    pub(crate) verify: VerifyOptions,
    pub(crate) jwks: JwksSettings,
    pub(crate) token_cache_capacity: usize,
    pub(crate) machine_cache: MachineCacheSettings,
    pub(crate) fleet: CheckedFleet,
}

/// How verified opaque machine tokens are remembered.
pub(crate) struct MachineCacheSettings {
    pub(crate) ttl: Duration,
    pub(crate) capacity: usize,
}

/// How the JWKS is kept fresh.
pub(crate) struct JwksSettings {
    pub(crate) ttl: Duration,
    pub(crate) refetch_interval: Duration,
    pub(crate) timeout: Duration,
}

/// Builds a [`Clerk`](crate::Clerk) handle.
///
/// Start from [`Clerk::builder`](crate::Clerk::builder) (nothing set) or [`ClerkBuilder::from_env`]
/// (the `CLERK_*` variables), adjust, then [`build`](Self::build).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use clerk_actix::{Clerk, VerifyOptions};
///
/// let clerk = Clerk::builder()
///     .secret_key("sk_test_xxxxxxxx")
///     .verify_options(VerifyOptions::default().clock_skew(Duration::from_secs(2)))
///     .authorized_parties(["https://app.example.com"])
///     .build()?;
/// assert_eq!(clerk.api_url(), "https://api.clerk.com");
/// # Ok::<(), clerk_actix::config::ConfigError>(())
/// ```
#[must_use]
#[derive(Clone, Default)]
pub struct ClerkBuilder {
    secret_key: Option<(String, Origin)>,
    machine_secret_key: Option<(String, Origin)>,
    publishable_key: Option<(String, Origin)>,
    jwt_key: Option<(String, Origin)>,
    api_url: Option<(String, Origin)>,
    api_version: Option<(String, Origin)>,
    sign_in_url: Option<(String, Origin)>,
    proxy_url: Option<(String, Origin)>,
    pub(crate) multi: self::multi_domain::MultiDomain,
    trust_forwarded_headers: Option<bool>,
    api_only: bool,
    cookie_tokens_without_azp: bool,
    verify: VerifyOptions,
    clock: Clock,
    max_token_bytes: Option<usize>,
    jwks_cache_ttl: Option<Duration>,
    jwks_refetch_interval: Option<Duration>,
    jwks_timeout: Option<Duration>,
    http_timeout: Option<Duration>,
    token_cache_capacity: Option<usize>,
    machine_token_cache_ttl: Option<Duration>,
    machine_token_cache_capacity: Option<usize>,
    fleet: fleet::FleetSettings,
}

/// The secret and machine secret keys show only where they came from.
impl fmt::Debug for ClerkBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let origin = |value: &Option<(String, Origin)>| value.as_ref().map(|(_, origin)| *origin);
        f.debug_struct("ClerkBuilder")
            .field("secret_key", &origin(&self.secret_key))
            .field("machine_secret_key", &origin(&self.machine_secret_key))
            .field("publishable_key", &self.publishable_key)
            .field("jwt_key", &origin(&self.jwt_key))
            .field("api_url", &self.api_url)
            .field("api_version", &self.api_version)
            .field("sign_in_url", &self.sign_in_url)
            .field("proxy_url", &self.proxy_url)
            .field("multi_domain", &self.multi)
            .field("verify", &self.verify)
            .field("clock", &self.clock)
            .field("max_token_bytes", &self.max_token_bytes)
            .field("jwks_cache_ttl", &self.jwks_cache_ttl)
            .field("jwks_refetch_interval", &self.jwks_refetch_interval)
            .field("jwks_timeout", &self.jwks_timeout)
            .field("http_timeout", &self.http_timeout)
            .field("token_cache_capacity", &self.token_cache_capacity)
            .field("machine_token_cache_ttl", &self.machine_token_cache_ttl)
            .field(
                "machine_token_cache_capacity",
                &self.machine_token_cache_capacity,
            )
            .field("fleet", &self.fleet)
            .finish()
    }
}

pub(crate) fn env_var(name: &'static str) -> Option<(String, Origin)> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| (v, Origin::Env(name)))
}

impl ClerkBuilder {
    /// A builder with the `CLERK_*` environment variables already applied (see
    /// the [module docs](self) for the list). Empty variables count as unset.
    /// Nothing is validated until [`build`](Self::build).
    pub fn from_env() -> Self {
        Self {
            secret_key: env_var("CLERK_SECRET_KEY"),
            machine_secret_key: env_var("CLERK_MACHINE_SECRET_KEY"),
            publishable_key: env_var("CLERK_PUBLISHABLE_KEY"),
            jwt_key: env_var("CLERK_JWT_KEY"),
            api_url: env_var("CLERK_API_URL"),
            api_version: env_var("CLERK_API_VERSION"),
            sign_in_url: env_var("CLERK_SIGN_IN_URL"),
            proxy_url: env_var("CLERK_PROXY_URL"),
            multi: self::multi_domain::MultiDomain::from_env(),
            ..Self::default()
        }
    }

    /// The instance's secret key (`sk_test_…`/`sk_live_…`), used for the
    /// Backend API and to fetch the JWKS.
    ///
    /// Defaults to `CLERK_SECRET_KEY` with [`from_env`](Self::from_env), else none.
    pub fn secret_key(mut self, key: impl Into<String>) -> Self {
        self.secret_key = Some((key.into(), Origin::Builder("secret_key")));
        self
    }

    /// A machine's secret key (Clerk Dashboard > Machines), sent instead of
    /// the secret key to the M2M endpoints: verifying `mt_…` tokens and
    /// [`M2mTokensApi`](crate::client::M2mTokensApi).
    ///
    /// Defaults to `CLERK_MACHINE_SECRET_KEY` with [`from_env`](Self::from_env),
    /// else the secret key.
    pub fn machine_secret_key(mut self, key: impl Into<String>) -> Self {
        self.machine_secret_key = Some((key.into(), Origin::Builder("machine_secret_key")));
        self
    }

    /// The instance's publishable key (`pk_test_…`/`pk_live_…`).
    ///
    /// Bearer-token verification works without it; browser flows (cookies,
    /// handshake redirects) need it.
    ///
    /// Defaults to `CLERK_PUBLISHABLE_KEY` with [`from_env`](Self::from_env), else none.
    pub fn publishable_key(mut self, key: impl Into<String>) -> Self {
        self.publishable_key = Some((key.into(), Origin::Builder("publishable_key")));
        self
    }

    /// The instance's JWT public key, in PEM (Clerk Dashboard > API keys > JWT
    /// public key). With it, session tokens verify without any network call.
    /// Literal `\n` sequences (as `.env` files often hold them) are accepted, as
    /// is the bare base64 body.
    ///
    /// Defaults to `CLERK_JWT_KEY` with [`from_env`](Self::from_env), else none.
    pub fn jwt_key(mut self, pem: impl Into<String>) -> Self {
        self.jwt_key = Some((pem.into(), Origin::Builder("jwt_key")));
        self
    }

    /// The Backend API base URL.
    ///
    /// Defaults to `CLERK_API_URL`, else `https://api.clerk.com`.
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = Some((url.into(), Origin::Builder("api_url")));
        self
    }

    /// The Backend API version path segment.
    ///
    /// Defaults to `CLERK_API_VERSION`, else `v1`.
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = Some((version.into(), Origin::Builder("api_version")));
        self
    }

    /// The sign-in page signed-out browsers are sent to by
    /// [`Require::redirect_to_sign_in`](crate::Require::redirect_to_sign_in)
    /// and [`Require::sign_in_page`](crate::Require::sign_in_page).
    ///
    /// Defaults to `CLERK_SIGN_IN_URL`, else none (both then send to `/`).
    pub fn sign_in_url(mut self, url: impl Into<String>) -> Self {
        self.sign_in_url = Some((url.into(), Origin::Builder("sign_in_url")));
        self
    }

    /// The URL of your Frontend API proxy, e.g. `https://app.example.com/__clerk`
    /// or `/__clerk` (made absolute against the request's public origin):
    /// handshake redirects go there instead of to the Frontend API host of
    /// the publishable key.
    ///
    /// Defaults to `CLERK_PROXY_URL`, else none.
    pub fn proxy_url(mut self, url: impl Into<String>) -> Self {
        self.proxy_url = Some((url.into(), Origin::Builder("proxy_url")));
        self
    }

    /// Whether the request's public URL (handshake redirects, `redirect_url`
    /// back to the page, the cross-origin check) is read from
    /// `X-Forwarded-Host` and `X-Forwarded-Proto`. Turn it off when the app is
    /// reachable without a proxy that sets (or strips) those headers.
    ///
    /// Defaults to `true`, as in Clerk.
    pub fn trust_forwarded_headers(mut self, trust: bool) -> Self {
        self.trust_forwarded_headers = Some(trust);
        self
    }

    /// For services that only answer API calls: never redirect a browser
    /// through Clerk's handshake, and never set cookies. A session cookie
    /// that verifies still signs the request in; every cookie problem that
    /// would take a handshake (an expired token, a missing `__client_uat`,
    /// no dev-browser token) signs it out instead, with Clerk's reason.
    ///
    /// Defaults to `false`. Without a publishable key there is no Frontend
    /// API to redirect to, and the crate behaves as if it were `true`.
    pub fn api_only(mut self, api_only: bool) -> Self {
        self.api_only = api_only;
        self
    }

    /// With [`authorized_parties`](Self::authorized_parties) configured,
    /// accept session tokens from cookies that carry no `azp` claim.
    ///
    /// Clerk's Frontend API mints cookie tokens without `azp` when the
    /// request that refreshed them had no `Origin` header (a top-level
    /// navigation, some privacy extensions), and `@clerk/backend` ≥ 3.11.1
    /// rejects those (`token-invalid-authorized-parties`) once authorized
    /// parties are set. Turning this on keeps checking `azp` when it is
    /// present and lets the token through when it is absent (a warning is
    /// logged once). Tokens from the `Authorization` header are never
    /// affected.
    ///
    /// Defaults to `false` (Clerk's behaviour).
    pub fn allow_cookie_tokens_without_azp(mut self, allow: bool) -> Self {
        self.cookie_tokens_without_azp = allow;
        self
    }

    /// The default verification options: audience, issuer, clock skew,
    /// authorized parties and the rest ([`VerifyOptions`]). Replaces what
    /// was set before, [`authorized_parties`](Self::authorized_parties)
    /// included.
    ///
    /// Defaults to [`VerifyOptions::default`].
    pub fn verify_options(mut self, options: VerifyOptions) -> Self {
        self.verify = options;
        self
    }

    /// Accept only tokens whose `azp` (the origin that requested them) is one
    /// of `parties`, e.g. `["https://app.example.com"]`. Recommended in
    /// production.
    ///
    /// Defaults to no check.
    pub fn authorized_parties<I, S>(mut self, parties: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.verify = self.verify.authorized_parties(parties);
        self
    }

    /// The clock verification reads. Tests freeze it with [`Clock::fixed_millis`].
    ///
    /// Defaults to [`Clock::system`].
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Tokens longer than this are rejected (`token-invalid`) before any decoding.
    ///
    /// Defaults to 16 KiB.
    pub fn max_token_bytes(mut self, bytes: usize) -> Self {
        self.max_token_bytes = Some(bytes);
        self
    }

    /// How long a fetched JWKS is trusted before it is fetched again.
    ///
    /// Defaults to 5 minutes.
    pub fn jwks_cache_ttl(mut self, ttl: Duration) -> Self {
        self.jwks_cache_ttl = Some(ttl);
        self
    }

    /// The minimum time between two JWKS fetches caused by tokens whose `kid`
    /// is unknown, so that a flood of made-up `kid`s cannot hammer the Backend
    /// API.
    ///
    /// Defaults to 10 seconds.
    pub fn jwks_refetch_interval(mut self, interval: Duration) -> Self {
        self.jwks_refetch_interval = Some(interval);
        self
    }

    /// Timeout of one JWKS fetch attempt (up to three attempts are made).
    ///
    /// Defaults to 5 seconds.
    pub fn jwks_timeout(mut self, timeout: Duration) -> Self {
        self.jwks_timeout = Some(timeout);
        self
    }

    /// Timeout of one Backend API request made by the client.
    ///
    /// Defaults to 10 seconds.
    pub fn http_timeout(mut self, timeout: Duration) -> Self {
        self.http_timeout = Some(timeout);
        self
    }

    /// How many verified tokens to remember, so that a token sent again skips
    /// the signature check; 0 disables the cache.
    ///
    /// Only tokens that verified are kept, found by the whole token compared
    /// byte for byte (any other byte sequence misses); the time claims and the `azp`, `aud`, `iss` and
    /// `typ` rules of the options in force are checked again on every hit;
    /// a key that disappears from the JWKS invalidates what it verified; the
    /// bound holds whatever the traffic. Each worker thread also keeps its
    /// last 256 tokens (compared byte for byte) in front of the shared cache.
    ///
    /// Defaults to 10 000.
    pub fn token_cache_capacity(mut self, capacity: usize) -> Self {
        self.token_cache_capacity = Some(capacity);
        self
    }

    /// How long a verified opaque machine token (API key `ak_…`, M2M token
    /// `mt_…`, OAuth token `oat_…`) is trusted without asking the Backend API
    /// again; never longer than the token's own expiration. 0 disables the
    /// cache (concurrent requests with the same token still share one call).
    ///
    /// A token revoked at Clerk keeps working here for up to this long.
    ///
    /// Defaults to 30 seconds.
    pub fn machine_token_cache_ttl(mut self, ttl: Duration) -> Self {
        self.machine_token_cache_ttl = Some(ttl);
        self
    }

    /// How many verified opaque machine tokens to remember (only successes
    /// are kept, keyed by their SHA-256); 0 disables the cache.
    ///
    /// Defaults to 10 000.
    pub fn machine_token_cache_capacity(mut self, capacity: usize) -> Self {
        self.machine_token_cache_capacity = Some(capacity);
        self
    }

    /// Checks every setting; [`build`](Self::build) makes the handle of them.
    pub(crate) fn check(self) -> Result<Checked, ConfigError> {
        let secret_key = self
            .secret_key
            .map(|(key, origin)| check_secret_key(key.trim(), origin))
            .transpose()?;
        let machine_secret_key = self
            .machine_secret_key
            .map(|(key, origin)| check_machine_secret_key(key.trim(), origin))
            .transpose()?;
        let publishable_key = self
            .publishable_key
            .map(|(key, origin)| {
                PublishableKey::parse(key.trim()).map_err(|reason| {
                    ConfigError::InvalidPublishableKey {
                        origin: origin.to_string(),
                        reason,
                    }
                })
            })
            .transpose()?;
        let jwt_key = self
            .jwt_key
            .map(|(pem, origin)| {
                VerifyingKey::from_pem(&pem).map_err(|reason| ConfigError::InvalidJwtKey {
                    origin: origin.to_string(),
                    reason,
                })
            })
            .transpose()?;
        let api_url = match self.api_url {
            Some((url, origin)) => check_api_url(url.trim(), origin)?,
            None => DEFAULT_API_URL.to_owned(),
        };
        let api_version = match self.api_version {
            Some((version, origin)) => {
                let version = version.trim().trim_matches('/');
                if version.is_empty() || !version.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(ConfigError::InvalidSetting {
                        origin: origin.to_string(),
                        reason: "the API version is a path segment such as v1".into(),
                    });
                }
                version.to_owned()
            }
            None => DEFAULT_API_VERSION.to_owned(),
        };
        let proxy_url = self
            .proxy_url
            .map(|(url, origin)| check_proxy_url(url.trim(), origin))
            .transpose()?;
        let multi = self.multi.check(
            self.sign_in_url.as_ref().map(|(url, o)| (url.trim(), *o)),
            proxy_url.is_some(),
            publishable_key.as_ref(),
        )?;
        let sign_in_url = self.sign_in_url.map(|(url, _)| url.trim().to_owned());

        if secret_key.is_none() && jwt_key.is_none() {
            return Err(ConfigError::MissingKeys);
        }
        let instance = publishable_key
            .as_ref()
            .map(PublishableKey::instance_type)
            .or_else(|| {
                let secret = secret_key.as_ref()?.expose();
                if secret.starts_with("sk_live_") {
                    Some(InstanceType::Production)
                } else if secret.starts_with("sk_test_") {
                    Some(InstanceType::Development)
                } else {
                    None
                }
            });
        let mut fleet = self.fleet.check(secret_key.as_ref(), instance)?;
        let budget = std::mem::replace(&mut fleet.budget, Budget::new(0, Duration::ZERO));
        #[allow(unused_mut)]
        let mut api = BackendApi::new(
            api_url,
            api_version,
            secret_key,
            self.http_timeout.unwrap_or(Duration::from_secs(10)),
        )
        .with_machine_secret_key(machine_secret_key)
        .with_budget(budget);
        #[cfg(feature = "redis")]
        {
            api.holds.fleet.clone_from(&fleet.shared);
        }
        Ok(Checked {
            config: Config {
                api: Arc::new(api),
                publishable_key,
                sign_in_url,
                sign_up_url: multi.sign_up_url,
                clock: self.clock,
                max_token_bytes: self.max_token_bytes.unwrap_or(16 * 1024),
                browser: BrowserSettings {
                    proxy_url,
                    trust_forwarded_headers: self.trust_forwarded_headers.unwrap_or(true),
                    api_only: self.api_only,
                    cookie_tokens_without_azp: self.cookie_tokens_without_azp,
                    domain: multi.role,
                    organization_sync: multi.organization_sync,
                },
            },
            jwt_key,
            verify: self.verify,
            jwks: JwksSettings {
                ttl: self.jwks_cache_ttl.unwrap_or(Duration::from_secs(300)),
                refetch_interval: self
                    .jwks_refetch_interval
                    .unwrap_or(Duration::from_secs(10)),
                timeout: self.jwks_timeout.unwrap_or(Duration::from_secs(5)),
            },
            token_cache_capacity: self.token_cache_capacity.unwrap_or(10_000),
            machine_cache: MachineCacheSettings {
                ttl: self
                    .machine_token_cache_ttl
                    .unwrap_or(Duration::from_secs(30)),
                capacity: self.machine_token_cache_capacity.unwrap_or(10_000),
            },
            fleet,
        })
    }
}

fn check_secret_key(key: &str, origin: Origin) -> Result<Secret, ConfigError> {
    let invalid = |reason: &'static str| ConfigError::InvalidSecretKey {
        origin: origin.to_string(),
        reason: reason.into(),
    };
    if key.is_empty() {
        return Err(invalid(
            "it is empty; copy the secret key from Clerk Dashboard > API keys",
        ));
    }
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid(
            "it contains spaces or characters that cannot go in an HTTP header",
        ));
    }
    if key.starts_with("pk_") {
        return Err(invalid(
            "this is a publishable key (pk_...), not the secret key (sk_test_... or sk_live_...); \
             copy the secret key from Clerk Dashboard > API keys",
        ));
    }
    if !key.starts_with("sk_") {
        log::warn!(
            target: "clerk_actix::config",
            "the secret key in {origin} does not start with sk_test_ or sk_live_; \
             is it the publishable key or another value?"
        );
    }
    Ok(Secret::new(key))
}

fn check_machine_secret_key(key: &str, origin: Origin) -> Result<Secret, ConfigError> {
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ConfigError::InvalidSecretKey {
            origin: origin.to_string(),
            reason: "it is empty or holds characters that cannot go in an HTTP header; copy \
                     the machine's secret key from Clerk Dashboard > Machines"
                .into(),
        });
    }
    Ok(Secret::new(key))
}

fn check_api_url(url: &str, origin: Origin) -> Result<String, ConfigError> {
    let url = url.trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let valid = match rest {
        Some(rest) => {
            !rest.is_empty()
                && !rest.contains(['?', '#'])
                && rest.bytes().all(|b| b.is_ascii_graphic())
                && url.parse::<awc::http::Uri>().is_ok()
        }
        None => false,
    };
    if valid {
        Ok(url.to_owned())
    } else {
        Err(ConfigError::InvalidSetting {
            origin: origin.to_string(),
            reason: "expected an http(s) URL such as https://api.clerk.com".into(),
        })
    }
}

/// An absolute http(s) URL or a path starting with `/`; trailing slashes go.
fn check_proxy_url(url: &str, origin: Origin) -> Result<String, ConfigError> {
    if url.starts_with('/') && !url.starts_with("//") {
        return Ok(url.to_owned());
    }
    check_api_url(url, origin).map_err(|_| ConfigError::InvalidSetting {
        origin: origin.to_string(),
        reason: "expected an http(s) URL such as https://app.example.com/__clerk, or a path \
                 such as /__clerk"
            .into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_url_validation() {
        let origin = Origin::Builder("proxy_url");
        assert_eq!(
            check_proxy_url("/__clerk", origin).as_deref(),
            Ok("/__clerk")
        );
        assert_eq!(
            check_proxy_url("https://a.example/__clerk//", origin).as_deref(),
            Ok("https://a.example/__clerk")
        );
        assert!(check_proxy_url("//evil.example", origin).is_err());
        assert!(check_proxy_url("a.example", origin).is_err());
    }

    #[test]
    fn publishable_key_rejects_bad_shapes() {
        use PublishableKeyError::*;
        assert_eq!(PublishableKey::parse(""), Err(Prefix));
        assert_eq!(PublishableKey::parse("sk_test_abc"), Err(SecretKey));
        assert_eq!(
            PublishableKey::parse("pk_prod_Y2xlcmsuY2xlcmsuZGV2JA"),
            Err(Prefix)
        );
        assert_eq!(
            PublishableKey::parse("pk_test_Y2xlcmsuY2xlcmsuZGV2JA_x"),
            Err(Prefix)
        );
        assert_eq!(PublishableKey::parse("pk_test_!!!"), Err(Base64));
        // "clerk.clerk.dev" without the trailing '$'
        assert_eq!(
            PublishableKey::parse("pk_test_Y2xlcmsuY2xlcmsuZGV2"),
            Err(Format)
        );
        // "nodot$"
        assert_eq!(PublishableKey::parse("pk_test_bm9kb3Qk"), Err(Format));
        // "a.b$$"
        assert_eq!(PublishableKey::parse("pk_test_YS5iJCQ"), Err(Format));
    }

    #[test]
    fn api_url_validation() {
        let origin = Origin::Builder("api_url");
        assert_eq!(
            check_api_url("https://api.clerk.com/", origin).as_deref(),
            Ok("https://api.clerk.com")
        );
        assert!(check_api_url("http://127.0.0.1:3000", origin).is_ok());
        assert!(check_api_url("api.clerk.com", origin).is_err());
        assert!(check_api_url("https://", origin).is_err());
        assert!(check_api_url("https://a b", origin).is_err());
    }
}
