//! Verify Clerk's signed webhooks and decode their events — what
//! `@clerk/express/webhooks`' `verifyWebhook` does.
//!
//! Clerk delivers webhooks through Svix, in the [Standard Webhooks] scheme:
//! each request carries `svix-id`, `svix-timestamp` and `svix-signature`
//! headers, and the signature is an HMAC-SHA256 of `<id>.<timestamp>.<body>`
//! keyed with the endpoint's signing secret (`whsec_…`). A signature is only
//! valid over the *exact bytes* that were sent, which is why the body must
//! never go through a JSON parser before it is verified: the [`Webhook`]
//! extractor reads the raw body itself.
//!
//! # Getting started
//!
//! Build one [`WebhookVerifier`] at start-up — from
//! `CLERK_WEBHOOK_SIGNING_SECRET` with [`WebhookVerifier::from_env`], or with
//! [`WebhookVerifier::new`] — register it as app data, and take [`Webhook`] as
//! a handler argument. A missing or malformed secret fails here, when the app
//! starts, not on a request.
//!
//! ```no_run
//! use actix_web::{web, App, HttpResponse, HttpServer};
//! use clerk_actix::webhooks::{EventData, Webhook, WebhookVerifier};
//!
//! async fn clerk_webhook(webhook: Webhook) -> HttpResponse {
//!     match &webhook.data {
//!         EventData::User(user) => println!("{}: {}", webhook.event_type, user.id),
//!         EventData::Deleted(deleted) => println!("{} deleted", deleted.object),
//!         _ => {}
//!     }
//!     HttpResponse::Ok().finish()
//! }
//!
//! #[actix_web::main]
//! async fn main() -> std::io::Result<()> {
//!     let webhooks = WebhookVerifier::from_env().expect("set CLERK_WEBHOOK_SIGNING_SECRET");
//!     HttpServer::new(move || {
//!         App::new()
//!             .app_data(web::ThinData(webhooks.clone()))
//!             .route("/webhooks", web::post().to(clerk_webhook))
//!     })
//!     .bind(("127.0.0.1", 3000))?
//!     .run()
//!     .await
//! }
//! ```
//!
//! The webhook route must not sit behind `ClerkMiddleware`'s protection
//! (`Require`, the `Auth` extractor): Clerk's servers are not signed in.
//!
//! # Idempotency: skip redeliveries
//!
//! Svix retries a delivery until it gets a 2xx, so the same message can
//! arrive more than once (and out of order). [`Webhook::id`] is the `svix-id`,
//! the same on every attempt of one message: remember the ids you processed
//! and answer 200 to a repeat without applying it again.
//!
//! ```
//! use std::collections::HashSet;
//! use std::sync::Mutex;
//! use actix_web::{web, HttpResponse};
//! use clerk_actix::webhooks::Webhook;
//!
//! async fn clerk_webhook(webhook: Webhook, seen: web::Data<Mutex<HashSet<String>>>) -> HttpResponse {
//!     let first_delivery = seen.lock().map(|mut s| s.insert(webhook.id().to_owned())).unwrap_or(true);
//!     if !first_delivery {
//!         return HttpResponse::Ok().body("already processed");
//!     }
//!     // ... apply the event, ideally in the same database transaction that
//!     // records `webhook.id()` ...
//!     HttpResponse::Ok().finish()
//! }
//! # let _ = actix_web::App::new().route("/webhooks", web::post().to(clerk_webhook));
//! ```
//!
//! In production, keep the ids where the event is applied (a table with a
//! unique `svix_id` column), so a crash between applying and recording cannot
//! apply an event twice.
//!
//! # Without actix
//!
//! [`WebhookVerifier::verify`] is pure: give it the three headers and the raw
//! body from any framework.
//!
//! ```
//! use clerk_actix::webhooks::{WebhookHeaders, WebhookVerifier};
//! use clerk_actix::clock::Clock;
//!
//! let verifier = WebhookVerifier::builder()
//!     .secret("whsec_dGVzdF9zaWduaW5nX3NlY3JldF8zMl9jaGFyc19sb25n")
//!     .clock(Clock::fixed_millis(1_700_000_000_000))
//!     .build()?;
//! let body = br#"{"type":"user.created","data":{"id":"user_123"}}"#;
//! let headers = WebhookHeaders::new(
//!     "msg_123",
//!     "1700000000",
//!     "v1,kLln/mW/qoI9eUisvvoz9O/1VqBkTyNgcAAorkVSisc=",
//! );
//! let webhook = verifier.verify(headers, body)?;
//! assert_eq!(webhook.id(), "msg_123");
//! assert_eq!(webhook.event_type, "user.created");
//! assert_eq!(webhook.data.id(), Some("user_123"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What is checked, in order
//!
//! 1. The three headers, trimmed: `svix-id`, `svix-timestamp`,
//!    `svix-signature` (or their `webhook-*` names). All the missing or blank
//!    ones are reported, in that order ([`WebhookError::MissingHeaders`]).
//! 2. The body size, against [`WebhookVerifierBuilder::body_limit`].
//! 3. The timestamp: an integer number of seconds, at most the tolerance
//!    (±300 s) away from the verifier's [`Clock`].
//! 4. The signature header: space-separated `v1,<base64>` entries (several
//!    during a secret rotation); any one matching accepts, other versions are
//!    ignored. The comparison is constant-time.
//! 5. The body is decoded as JSON into the event type.
//!
//! # Testing
//!
//! The `testing` feature has a `WebhookSigner` (in `clerk_actix::testing`)
//! that signs any body or event with a secret at a given time and produces
//! the headers, so handlers can be tested offline.
//!
//! [Standard Webhooks]: https://www.standardwebhooks.com/

/// The billing events' payloads (generated from Clerk's webhooks OpenAPI file).
#[cfg(feature = "billing")]
#[cfg_attr(docsrs, doc(cfg(feature = "billing")))]
#[path = "generated.rs"]
pub mod billing;
mod event;
#[cfg(test)]
mod examples_generated;
mod extract;

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::{constant_time, hmac};
use base64::Engine as _;
use serde::de::DeserializeOwned;

use crate::clock::Clock;
use crate::encoding;

pub use self::event::{
    Email, EventAttributes, EventData, HttpRequestAttributes, Permission, Role, SmsMessage,
    UndecodedData, WebhookEvent,
};
pub use self::extract::WebhookRejection;

/// The environment variable [`WebhookVerifier::from_env`] reads.
pub const SIGNING_SECRET_ENV: &str = "CLERK_WEBHOOK_SIGNING_SECRET";

/// The default timestamp tolerance: 300 seconds either way, as Clerk's.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// The default body limit: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

const SECRET_PREFIX: &str = "whsec_";

/// The header names, in Clerk's order: (Svix name, Standard Webhooks name).
const HEADER_NAMES: [(&str, &str); 3] = [
    ("svix-id", "webhook-id"),
    ("svix-timestamp", "webhook-timestamp"),
    ("svix-signature", "webhook-signature"),
];

// ---------------------------------------------------------------- errors --

/// A configuration problem found when a [`WebhookVerifier`] is built.
///
/// The message names the variable or method at fault; the secret itself is
/// never part of it.
///
/// # Examples
///
/// ```
/// use clerk_actix::webhooks::{WebhookConfigError, WebhookVerifier};
///
/// let err = WebhookVerifier::new("whsec_not base64!").unwrap_err();
/// assert!(matches!(err, WebhookConfigError::InvalidSecret { .. }));
/// assert!(!err.to_string().contains("not base64!"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, derive_more::Display, derive_more::Error)]
#[non_exhaustive]
pub enum WebhookConfigError {
    /// No signing secret was given.
    #[display(
        "no webhook signing secret is configured: set CLERK_WEBHOOK_SIGNING_SECRET (Clerk \
         Dashboard > Webhooks > your endpoint > Signing Secret) or pass it to \
         WebhookVerifier::new / WebhookVerifierBuilder::secret"
    )]
    MissingSecret,
    /// The signing secret is malformed.
    #[display("invalid webhook signing secret in {origin}: {reason}")]
    InvalidSecret {
        /// The variable or method it came from.
        #[error(not(source))]
        origin: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Another setting has an unusable value.
    #[display("invalid value in {origin}: {reason}")]
    InvalidSetting {
        /// The method it came from.
        #[error(not(source))]
        origin: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// Why a webhook did not verify.
///
/// `Display` says what failed, in words close to Clerk's own messages; it
/// never contains the secret. [`code`](Self::code) is the stable code the
/// extractor puts in its JSON error body.
///
/// # Examples
///
/// ```
/// use clerk_actix::webhooks::{WebhookError, WebhookHeaders, WebhookVerifier};
///
/// let verifier = WebhookVerifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
/// let err = verifier.verify(WebhookHeaders::new("msg_1", " ", ""), b"{}").unwrap_err();
/// assert_eq!(
///     err,
///     WebhookError::MissingHeaders { names: vec!["svix-timestamp", "svix-signature"] }
/// );
/// assert_eq!(err.to_string(), "Missing required webhook headers: svix-timestamp, svix-signature");
/// assert_eq!(err.code(), "webhook_headers_missing");
/// # Ok::<(), clerk_actix::webhooks::WebhookConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookError {
    /// These headers are absent or blank, named in Clerk's order
    /// (`svix-id`, `svix-timestamp`, `svix-signature`).
    MissingHeaders {
        /// The missing header names.
        names: Vec<&'static str>,
    },
    /// `svix-timestamp` is not an integer number of seconds.
    TimestampNotInteger,
    /// `svix-timestamp` is further in the past than the tolerance.
    TimestampTooOld,
    /// `svix-timestamp` is further in the future than the tolerance.
    TimestampTooNew,
    /// No `v1` signature matches the content.
    NoMatchingSignature,
    /// The body is larger than the verifier's body limit.
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The body verified but is not JSON of the expected shape.
    InvalidJson {
        /// The JSON parser's message (position and category).
        detail: String,
    },
}

impl WebhookError {
    /// A stable, machine-readable code, e.g. `webhook_signature_invalid`.
    ///
    /// ```
    /// use clerk_actix::webhooks::WebhookError;
    ///
    /// assert_eq!(WebhookError::TimestampTooOld.code(), "webhook_timestamp_too_old");
    /// ```
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingHeaders { .. } => "webhook_headers_missing",
            Self::TimestampNotInteger => "webhook_timestamp_invalid",
            Self::TimestampTooOld => "webhook_timestamp_too_old",
            Self::TimestampTooNew => "webhook_timestamp_too_new",
            Self::NoMatchingSignature => "webhook_signature_invalid",
            Self::BodyTooLarge { .. } => "webhook_payload_too_large",
            Self::InvalidJson { .. } => "webhook_body_invalid",
        }
    }
}

impl fmt::Display for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingHeaders { names } => {
                write!(f, "Missing required webhook headers: {}", names.join(", "))
            }
            Self::TimestampNotInteger => f.write_str(
                "Invalid webhook headers: svix-timestamp is not an integer number of seconds",
            ),
            Self::TimestampTooOld => f.write_str(
                "Message timestamp too old: svix-timestamp is earlier than the tolerance allows \
                 (a replay, or a wrong clock)",
            ),
            Self::TimestampTooNew => f.write_str(
                "Message timestamp too new: svix-timestamp is later than the tolerance allows \
                 (a wrong clock)",
            ),
            Self::NoMatchingSignature => f.write_str(
                "No matching signature found: no v1 entry of svix-signature matches the body \
                 with this signing secret",
            ),
            Self::BodyTooLarge { limit } => {
                write!(
                    f,
                    "The webhook body is larger than the limit of {limit} bytes"
                )
            }
            Self::InvalidJson { detail } => {
                write!(f, "The webhook body is not the expected JSON: {detail}")
            }
        }
    }
}

impl std::error::Error for WebhookError {}

// --------------------------------------------------------------- headers --

/// The three signature headers of a webhook request, as raw bytes.
///
/// Values are trimmed when verified; a blank value counts as missing. Fill it
/// from any framework's headers with [`from_fn`](Self::from_fn) (which
/// accepts the `svix-*` and `webhook-*` names), from actix's
/// [`HeaderMap`](actix_web::http::header::HeaderMap) with
/// [`from_header_map`](Self::from_header_map), or from strings with
/// [`new`](Self::new).
///
/// # Examples
///
/// ```
/// use std::collections::HashMap;
/// use clerk_actix::webhooks::WebhookHeaders;
///
/// let sent: HashMap<&str, &str> =
///     [("webhook-id", "msg_1"), ("webhook-timestamp", "1700000000"), ("webhook-signature", "v1,…")]
///         .into_iter()
///         .collect();
/// let headers = WebhookHeaders::from_fn(|name| sent.get(name).map(|v| v.as_bytes()));
/// assert_eq!(headers.id(), Some(&b"msg_1"[..]));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WebhookHeaders<'a> {
    id: Option<&'a [u8]>,
    timestamp: Option<&'a [u8]>,
    signature: Option<&'a [u8]>,
}

fn non_blank(value: Option<&[u8]>) -> Option<&[u8]> {
    value.map(<[u8]>::trim_ascii).filter(|v| !v.is_empty())
}

impl<'a> WebhookHeaders<'a> {
    /// The `svix-id`, `svix-timestamp` and `svix-signature` values.
    #[must_use]
    pub fn new(id: &'a str, timestamp: &'a str, signature: &'a str) -> Self {
        Self {
            id: Some(id.as_bytes()),
            timestamp: Some(timestamp.as_bytes()),
            signature: Some(signature.as_bytes()),
        }
    }

    /// Looks each header up with `get`, by its `svix-*` name first and its
    /// Standard Webhooks `webhook-*` name second; the first non-blank value
    /// wins.
    #[must_use]
    pub fn from_fn(mut get: impl FnMut(&'static str) -> Option<&'a [u8]>) -> Self {
        let mut pick = |(svix, standard): (&'static str, &'static str)| {
            non_blank(get(svix)).or_else(|| non_blank(get(standard)))
        };
        Self {
            id: pick(HEADER_NAMES[0]),
            timestamp: pick(HEADER_NAMES[1]),
            signature: pick(HEADER_NAMES[2]),
        }
    }

    /// The message id (`svix-id`), trimmed, if present and not blank.
    #[must_use]
    pub fn id(&self) -> Option<&'a [u8]> {
        non_blank(self.id)
    }

    /// The timestamp (`svix-timestamp`), trimmed, if present and not blank.
    #[must_use]
    pub fn timestamp(&self) -> Option<&'a [u8]> {
        non_blank(self.timestamp)
    }

    /// The signature list (`svix-signature`), trimmed, if present and not blank.
    #[must_use]
    pub fn signature(&self) -> Option<&'a [u8]> {
        non_blank(self.signature)
    }
}

// -------------------------------------------------------------- verifier --

/// Verifies Clerk webhooks with one endpoint's signing secret.
///
/// Build it once at start-up and share it: it is cheap to clone (one `Arc`).
/// The [`Webhook`] extractor finds it in the app data, registered as
/// `web::ThinData(verifier)` (preferred: it is already shared),
/// `web::Data::new(verifier)` or plain `.app_data(verifier)`.
///
/// `Debug` never shows the secret.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use clerk_actix::webhooks::WebhookVerifier;
///
/// let verifier = WebhookVerifier::builder()
///     .secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
///     .tolerance(Duration::from_secs(60))
///     .body_limit(256 * 1024)
///     .build()?;
/// assert_eq!(verifier.body_limit(), 256 * 1024);
/// assert!(!format!("{verifier:?}").contains("MfKQ9r8"));
/// # Ok::<(), clerk_actix::webhooks::WebhookConfigError>(())
/// ```
#[derive(Clone)]
pub struct WebhookVerifier {
    inner: Arc<Inner>,
}

struct Inner {
    key: hmac::Key,
    tolerance_secs: i64,
    clock: Clock,
    body_limit: usize,
}

impl fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field("secret", &"whsec_****")
            .field("tolerance_secs", &self.inner.tolerance_secs)
            .field("clock", &self.inner.clock)
            .field("body_limit", &self.inner.body_limit)
            .finish()
    }
}

impl WebhookVerifier {
    /// A verifier for `secret` (the endpoint's signing secret, `whsec_…`)
    /// with the default settings.
    ///
    /// # Errors
    ///
    /// [`WebhookConfigError::InvalidSecret`] when the secret (after an
    /// optional `whsec_` prefix) is empty or not base64.
    ///
    /// # Examples
    ///
    /// ```
    /// use clerk_actix::webhooks::WebhookVerifier;
    ///
    /// assert!(WebhookVerifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_ok());
    /// assert!(WebhookVerifier::new("whsec_").is_err());
    /// ```
    pub fn new(secret: &str) -> Result<Self, WebhookConfigError> {
        Self::builder().secret(secret).build()
    }

    /// A verifier for the secret in `CLERK_WEBHOOK_SIGNING_SECRET`, with the
    /// default settings. See [`WebhookVerifierBuilder::from_env`].
    ///
    /// # Errors
    ///
    /// [`WebhookConfigError::MissingSecret`] when the variable is unset or
    /// blank; [`WebhookConfigError::InvalidSecret`] when it is malformed.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clerk_actix::webhooks::WebhookVerifier;
    ///
    /// let verifier = WebhookVerifier::from_env()?;
    /// # Ok::<(), clerk_actix::webhooks::WebhookConfigError>(())
    /// ```
    #[doc(alias = "CLERK_WEBHOOK_SIGNING_SECRET")]
    pub fn from_env() -> Result<Self, WebhookConfigError> {
        WebhookVerifierBuilder::from_env().build()
    }

    /// A builder with nothing set.
    ///
    /// # Examples
    ///
    /// ```
    /// use clerk_actix::webhooks::{WebhookConfigError, WebhookVerifier};
    ///
    /// assert_eq!(WebhookVerifier::builder().build().unwrap_err(), WebhookConfigError::MissingSecret);
    /// ```
    pub fn builder() -> WebhookVerifierBuilder {
        WebhookVerifierBuilder::default()
    }

    /// The largest body accepted, in bytes.
    #[must_use]
    pub fn body_limit(&self) -> usize {
        self.inner.body_limit
    }

    /// The timestamp tolerance.
    #[must_use]
    pub fn tolerance(&self) -> Duration {
        Duration::from_secs(self.inner.tolerance_secs.unsigned_abs())
    }

    /// Verifies a webhook and decodes its event — Clerk's `verifyWebhook`.
    ///
    /// `body` must be the exact bytes received. See the
    /// [module docs](self#what-is-checked-in-order) for the checks.
    ///
    /// # Errors
    ///
    /// A [`WebhookError`] saying which check failed.
    ///
    /// # Examples
    ///
    /// See the [module docs](self#without-actix).
    #[doc(alias = "verifyWebhook")]
    #[doc(alias = "verify_webhook")]
    pub fn verify(
        &self,
        headers: WebhookHeaders<'_>,
        body: &[u8],
    ) -> Result<Webhook<WebhookEvent>, WebhookError> {
        self.verify_as(headers, body)
    }

    /// Like [`verify`](Self::verify), but decodes the body into your own
    /// type (`serde_json::Value` keeps everything as sent).
    ///
    /// # Errors
    ///
    /// A [`WebhookError`] saying which check failed;
    /// [`WebhookError::InvalidJson`] when the body does not decode into `T`.
    ///
    /// # Examples
    ///
    /// ```
    /// use clerk_actix::webhooks::{WebhookHeaders, WebhookVerifier};
    /// use clerk_actix::clock::Clock;
    ///
    /// let verifier = WebhookVerifier::builder()
    ///     .secret("whsec_dGVzdF9zaWduaW5nX3NlY3JldF8zMl9jaGFyc19sb25n")
    ///     .clock(Clock::fixed_millis(1_700_000_000_000))
    ///     .build()?;
    /// let headers = WebhookHeaders::new("msg_123", "1700000000", "v1,kLln/mW/qoI9eUisvvoz9O/1VqBkTyNgcAAorkVSisc=");
    /// let body = br#"{"type":"user.created","data":{"id":"user_123"}}"#;
    /// let raw = verifier.verify_as::<serde_json::Value>(headers, body)?;
    /// assert_eq!(raw["data"]["id"], "user_123");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn verify_as<T: DeserializeOwned>(
        &self,
        headers: WebhookHeaders<'_>,
        body: &[u8],
    ) -> Result<Webhook<T>, WebhookError> {
        let verified = self.verify_signature(headers, body)?;
        let event = serde_json::from_slice(body).map_err(|e| WebhookError::InvalidJson {
            detail: e.to_string(),
        })?;
        Ok(Webhook {
            id: verified.id,
            timestamp: verified.timestamp,
            event,
        })
    }

    /// Checks headers, size, timestamp and signature, without decoding.
    fn verify_signature(
        &self,
        headers: WebhookHeaders<'_>,
        body: &[u8],
    ) -> Result<Authentic, WebhookError> {
        let (id, timestamp, signature) =
            match (headers.id(), headers.timestamp(), headers.signature()) {
                (Some(id), Some(ts), Some(sig)) => (id, ts, sig),
                (id, ts, sig) => {
                    let names = [id, ts, sig]
                        .iter()
                        .zip(HEADER_NAMES)
                        .filter(|(value, _)| value.is_none())
                        .map(|(_, (svix, _))| svix)
                        .collect();
                    return Err(WebhookError::MissingHeaders { names });
                }
            };
        if body.len() > self.inner.body_limit {
            return Err(WebhookError::BodyTooLarge {
                limit: self.inner.body_limit,
            });
        }
        let seconds = parse_timestamp(timestamp).ok_or(WebhookError::TimestampNotInteger)?;
        let now = self.inner.clock.now_millis().div_euclid(1000);
        if now.saturating_sub(seconds) > self.inner.tolerance_secs {
            return Err(WebhookError::TimestampTooOld);
        }
        if seconds.saturating_sub(now) > self.inner.tolerance_secs {
            return Err(WebhookError::TimestampTooNew);
        }
        // One HMAC over the exact bytes, compared (constant-time) with each
        // entry: `hmac::verify` is this same sign-then-compare, but would
        // recompute the HMAC of the whole body for every entry of the list.
        let expected = sign_tag(&self.inner.key, id, timestamp, body);
        let matched = signature
            .split(|&b| b == b' ')
            .filter_map(|entry| entry.strip_prefix(b"v1,"))
            .filter_map(|sig| encoding::STANDARD.decode(sig).ok())
            .any(|sig| constant_time::verify_slices_are_equal(expected.as_ref(), &sig).is_ok());
        if !matched {
            return Err(WebhookError::NoMatchingSignature);
        }
        Ok(Authentic {
            id: String::from_utf8_lossy(id).into_owned(),
            timestamp: seconds,
        })
    }
}

struct Authentic {
    id: String,
    timestamp: i64,
}

/// An integer number of seconds: optional sign, ASCII digits, nothing else.
fn parse_timestamp(raw: &[u8]) -> Option<i64> {
    std::str::from_utf8(raw).ok()?.parse().ok()
}

/// The HMAC-SHA256 of `<id>.<timestamp>.<body>`.
fn sign_tag(key: &hmac::Key, id: &[u8], timestamp: &[u8], body: &[u8]) -> hmac::Tag {
    let mut ctx = hmac::Context::with_key(key);
    ctx.update(id);
    ctx.update(b".");
    ctx.update(timestamp);
    ctx.update(b".");
    ctx.update(body);
    ctx.sign()
}

/// The `v1,<base64>` signature entry for a message: shared with the testing
/// kit's signer.
#[cfg_attr(not(feature = "testing"), allow(dead_code))]
pub(crate) fn sign_entry(key: &hmac::Key, id: &str, timestamp: i64, body: &[u8]) -> String {
    let tag = sign_tag(key, id.as_bytes(), timestamp.to_string().as_bytes(), body);
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
    )
}

/// Decodes a signing secret (optional `whsec_` prefix, then base64) into the
/// HMAC key. The error is a reason without the secret in it.
pub(crate) fn parse_secret(secret: &str) -> Result<hmac::Key, &'static str> {
    let secret = secret.trim();
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    if encoded.is_empty() {
        return Err("the secret is empty (copy the whole whsec_… value from Clerk Dashboard > Webhooks > your endpoint)");
    }
    let key = encoding::STANDARD
        .decode(encoded)
        .map_err(|_| "the part after whsec_ is not base64 (copy the whole whsec_… value from Clerk Dashboard > Webhooks > your endpoint)")?;
    if key.is_empty() {
        return Err("the secret decodes to an empty key");
    }
    Ok(hmac::Key::new(hmac::HMAC_SHA256, &key))
}

// --------------------------------------------------------------- builder --

/// Builds a [`WebhookVerifier`]: start from [`WebhookVerifier::builder`]
/// (nothing set) or [`WebhookVerifierBuilder::from_env`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use clerk_actix::webhooks::WebhookVerifierBuilder;
///
/// let verifier = WebhookVerifierBuilder::default()
///     .secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
///     .tolerance(Duration::from_secs(120))
///     .build()?;
/// assert_eq!(verifier.tolerance(), Duration::from_secs(120));
/// # Ok::<(), clerk_actix::webhooks::WebhookConfigError>(())
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct WebhookVerifierBuilder {
    secret: Option<(String, &'static str)>,
    tolerance: Option<Duration>,
    clock: Clock,
    body_limit: Option<usize>,
}

impl fmt::Debug for WebhookVerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookVerifierBuilder")
            .field("secret", &self.secret.as_ref().map(|(_, origin)| *origin))
            .field("tolerance", &self.tolerance)
            .field("clock", &self.clock)
            .field("body_limit", &self.body_limit)
            .finish()
    }
}

impl WebhookVerifierBuilder {
    /// A builder with the secret from `CLERK_WEBHOOK_SIGNING_SECRET` (a blank
    /// value counts as unset).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clerk_actix::webhooks::WebhookVerifierBuilder;
    ///
    /// let verifier = WebhookVerifierBuilder::from_env().body_limit(64 * 1024).build()?;
    /// # Ok::<(), clerk_actix::webhooks::WebhookConfigError>(())
    /// ```
    pub fn from_env() -> Self {
        let secret = std::env::var(SIGNING_SECRET_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| (v, SIGNING_SECRET_ENV));
        Self {
            secret,
            ..Self::default()
        }
    }

    /// The endpoint's signing secret (`whsec_…`, from Clerk Dashboard >
    /// Webhooks > your endpoint). The `whsec_` prefix is optional.
    ///
    /// Defaults to `CLERK_WEBHOOK_SIGNING_SECRET` with
    /// [`from_env`](Self::from_env), else none (and `build` fails).
    pub fn secret(mut self, secret: impl Into<String>) -> Self {
        self.secret = Some((secret.into(), "WebhookVerifierBuilder::secret"));
        self
    }

    /// How far `svix-timestamp` may be from now, either way, rounded down to
    /// whole seconds.
    ///
    /// Defaults to 300 seconds ([`DEFAULT_TOLERANCE`]), as Clerk's.
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = Some(tolerance);
        self
    }

    /// Where the current time comes from (pin it in tests).
    ///
    /// Defaults to [`Clock::system`].
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The largest body accepted, in bytes; the extractor stops reading
    /// beyond it and answers 413.
    ///
    /// Defaults to 1 MiB ([`DEFAULT_BODY_LIMIT`]); Clerk's events are a few
    /// kilobytes.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = Some(bytes);
        self
    }

    /// Checks the settings and builds the verifier.
    ///
    /// # Errors
    ///
    /// [`WebhookConfigError::MissingSecret`] without a secret,
    /// [`WebhookConfigError::InvalidSecret`] for an empty or non-base64 one,
    /// [`WebhookConfigError::InvalidSetting`] for a zero body limit.
    pub fn build(self) -> Result<WebhookVerifier, WebhookConfigError> {
        let (secret, origin) = self.secret.ok_or(WebhookConfigError::MissingSecret)?;
        let key = parse_secret(&secret)
            .map_err(|reason| WebhookConfigError::InvalidSecret { origin, reason })?;
        let body_limit = self.body_limit.unwrap_or(DEFAULT_BODY_LIMIT);
        if body_limit == 0 {
            return Err(WebhookConfigError::InvalidSetting {
                origin: "WebhookVerifierBuilder::body_limit",
                reason: "a zero limit would reject every webhook",
            });
        }
        let tolerance = self.tolerance.unwrap_or(DEFAULT_TOLERANCE);
        Ok(WebhookVerifier {
            inner: Arc::new(Inner {
                key,
                tolerance_secs: i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX),
                clock: self.clock,
                body_limit,
            }),
        })
    }
}

// --------------------------------------------------------------- webhook --

/// A verified webhook: its `svix-id`, its `svix-timestamp` and its event.
///
/// It is also the actix extractor: take `Webhook` (or `Webhook<YourType>`)
/// as a handler argument. It dereferences to the event, so
/// `webhook.event_type` and `webhook.data` read the [`WebhookEvent`].
///
/// # Extractor behavior
///
/// The extractor reads the raw body itself (so do not also take `web::Json`
/// or `web::Bytes`), up to the verifier's
/// [`body_limit`](WebhookVerifierBuilder::body_limit), and verifies it with
/// the [`WebhookVerifier`] registered as app data. It rejects with a
/// [`WebhookRejection`]:
///
/// * **400** with a JSON body `{"errors":[{"code","message","long_message"}]}`
///   saying what failed (the codes of [`WebhookError::code`], or
///   `webhook_body_unreadable`);
/// * **413** (`webhook_payload_too_large`) for a body over the limit;
/// * **500** with a generic body when no verifier is registered, with the
///   fix logged by `log::error!` (target `clerk_actix::webhooks`).
///
/// Rejections are logged at debug level under the target
/// `clerk_actix::rejection`. Take `Result<Webhook, WebhookRejection>` to
/// answer failures yourself.
///
/// # Examples
///
/// ```
/// use actix_web::{test, web, App, HttpResponse};
/// use clerk_actix::webhooks::{Webhook, WebhookVerifier};
///
/// async fn hook(webhook: Webhook) -> HttpResponse {
///     HttpResponse::Ok().body(format!("{} {}", webhook.id(), webhook.event_type))
/// }
///
/// # actix_web::rt::System::new().block_on(async {
/// let verifier = WebhookVerifier::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
/// let app = test::init_service(
///     App::new()
///         .app_data(web::ThinData(verifier))
///         .route("/webhooks", web::post().to(hook)),
/// )
/// .await;
/// let unsigned = test::TestRequest::post().uri("/webhooks").set_payload("{}").to_request();
/// let res = test::call_service(&app, unsigned).await;
/// assert_eq!(res.status(), 400);
/// let body = test::read_body(res).await;
/// assert!(std::str::from_utf8(&body).unwrap().contains("Missing required webhook headers: svix-id"));
/// # });
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Webhook<T = WebhookEvent> {
    id: String,
    timestamp: i64,
    event: T,
}

impl<T> Webhook<T> {
    /// The message id (`svix-id`): the same on every redelivery of one
    /// message, so use it to skip repeats (see the
    /// [module docs](self#idempotency-skip-redeliveries)).
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// When the message was sent (`svix-timestamp`), in seconds since the
    /// Unix epoch. Redeliveries carry a new timestamp.
    #[must_use]
    pub fn timestamp(&self) -> i64 {
        self.timestamp
    }

    /// The event.
    #[must_use]
    pub fn event(&self) -> &T {
        &self.event
    }

    /// The event, by value.
    #[must_use]
    pub fn into_event(self) -> T {
        self.event
    }

    /// The message id and the event, by value.
    #[must_use]
    pub fn into_parts(self) -> (String, T) {
        (self.id, self.event)
    }
}

impl<T> Deref for Webhook<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.event
    }
}

#[cfg(test)]
mod tests;
