//! What can go wrong when calling the Backend API.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::backend::transport::TransportError;

/// A failed Backend API call.
///
/// An opaque struct, so that context can be added later without breaking
/// anyone: match on [`kind`](Self::kind), or use the shortcuts
/// [`status`](Self::status) and [`api_error`](Self::api_error). The message
/// says what happened and on which endpoint; it never contains the secret key.
///
/// # Examples
///
/// ```no_run
/// use clerk_actix::client::ErrorKind;
/// # async fn run(clerk: clerk_actix::Clerk) {
/// match clerk.client().users().get("user_123").await {
///     Ok(user) => println!("{}", user.id),
///     Err(e) if e.status() == Some(404) => println!("no such user"),
///     Err(e) => match e.kind() {
///         ErrorKind::Api(api) => println!("{} (trace {:?})", api, api.clerk_trace_id()),
///         ErrorKind::Timeout(after) => println!("no answer within {after:?}"),
///         _ => println!("{e}"),
///     },
/// }
/// # }
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    /// `GET /v1/users/user_1`, when a request was made.
    endpoint: Option<String>,
}

/// Why a Backend API call failed.
///
/// New kinds may be added in minor releases, hence `#[non_exhaustive]`: keep
/// a catch-all arm.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The [`Clerk`](crate::Clerk) handle has no secret key, which every
    /// Backend API call needs. Nothing was sent.
    MissingSecretKey,
    /// An id or path segment was empty, `.` or `..`. Nothing was sent.
    InvalidPath(String),
    /// The request could not be built: query parameters that a query string
    /// cannot carry, or a body that does not serialize. Nothing was sent.
    InvalidRequest(String),
    /// The Backend API answered with a non-2xx status.
    Api(ApiError),
    /// No connection could be made (refused, DNS, TLS handshake).
    Connect(String),
    /// No complete answer within the timeout.
    Timeout(Duration),
    /// The answer was larger than the body limit (in bytes).
    BodyTooLarge(usize),
    /// The connection broke or the answer was malformed HTTP.
    Transport(String),
    /// The answer was not the JSON expected; the serde message.
    Decode(String),
    /// Not sent: this endpoint is held off until the wait is over, after a
    /// 429 (its `Retry-After`) or a burst of 5xx answers seen by this
    /// process or, with the `redis` feature, by another replica. The time
    /// left.
    HeldOff(Duration),
}

/// What a failure of the road means, decided here once; each caller maps
/// it to Clerk's codes (an outage is a 503 on the request path, never a
/// signed-out user).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Class<'e> {
    /// No usable answer: no connection, a timeout, a broken or oversized
    /// answer, one that does not decode, a 5xx or a 429.
    Outage,
    /// Clerk refused the secret key (401, or `clerk_key_invalid` at any
    /// status), or none is configured.
    KeyRejected,
    /// Clerk answered about the request itself (any other 4xx); `None`:
    /// the request could not be built, and nothing was sent.
    Answer(Option<&'e ApiError>),
}

impl Error {
    /// What this failure is; see [`Class`].
    pub(crate) fn class(&self) -> Class<'_> {
        match self.kind() {
            ErrorKind::Api(api)
                if api.status() == 401
                    || api.errors().iter().any(|e| e.code == "clerk_key_invalid") =>
            {
                Class::KeyRejected
            }
            ErrorKind::Api(api) if api.status() >= 500 || api.status() == 429 => Class::Outage,
            ErrorKind::Api(api) => Class::Answer(Some(api)),
            ErrorKind::MissingSecretKey => Class::KeyRejected,
            ErrorKind::InvalidPath(_) | ErrorKind::InvalidRequest(_) => Class::Answer(None),
            ErrorKind::Connect(_)
            | ErrorKind::Timeout(_)
            | ErrorKind::BodyTooLarge(_)
            | ErrorKind::Transport(_)
            | ErrorKind::Decode(_)
            | ErrorKind::HeldOff(_) => Class::Outage,
        }
    }

    /// The time left when nothing was sent because the endpoint is held off.
    pub(crate) fn held_off(&self) -> Option<Duration> {
        match self.kind() {
            ErrorKind::HeldOff(left) => Some(*left),
            _ => None,
        }
    }

    pub(crate) fn new(kind: ErrorKind) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                endpoint: None,
            }),
        }
    }

    pub(crate) fn at(mut self, endpoint: &str) -> Self {
        self.inner.endpoint = Some(endpoint.to_owned());
        self
    }

    pub(crate) fn invalid_path(reason: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidPath(reason.into()))
    }

    pub(crate) fn invalid_request(reason: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidRequest(reason.into()))
    }

    pub(crate) fn from_transport(error: TransportError) -> Self {
        Self::new(match error {
            TransportError::Connect(message) => ErrorKind::Connect(message),
            TransportError::Timeout(after) => ErrorKind::Timeout(after),
            TransportError::TooLarge(limit) => ErrorKind::BodyTooLarge(limit),
            TransportError::Other(message) => ErrorKind::Transport(message),
        })
    }

    /// What went wrong.
    #[must_use]
    pub fn kind(&self) -> &ErrorKind {
        &self.inner.kind
    }

    /// What went wrong, by value.
    #[must_use]
    pub fn into_kind(self) -> ErrorKind {
        self.inner.kind
    }

    /// The request, as `METHOD /path` (no host, no query), when one was made.
    #[must_use]
    pub fn endpoint(&self) -> Option<&str> {
        self.inner.endpoint.as_deref()
    }

    /// The HTTP status, when the Backend API answered.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        self.api_error().map(ApiError::status)
    }

    /// The Backend API's error answer, when there was one.
    #[must_use]
    pub fn api_error(&self) -> Option<&ApiError> {
        match &self.inner.kind {
            ErrorKind::Api(api) => Some(api),
            _ => None,
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.inner.kind)
            .field("endpoint", &self.inner.endpoint)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let endpoint = self.inner.endpoint.as_deref().unwrap_or("the request");
        match &self.inner.kind {
            ErrorKind::MissingSecretKey => f.write_str(
                "no secret key is configured, and every Backend API call needs one: \
                 set CLERK_SECRET_KEY or call ClerkBuilder::secret_key",
            ),
            ErrorKind::InvalidPath(reason) => {
                write!(f, "invalid Backend API path: {reason}; nothing was sent")
            }
            ErrorKind::InvalidRequest(reason) => {
                write!(f, "invalid Backend API request: {reason}; nothing was sent")
            }
            ErrorKind::Api(api) => {
                api.write_summary(f)?;
                write!(f, " ({endpoint}")?;
                if let Some(trace) = api.clerk_trace_id() {
                    write!(f, ", trace {trace}")?;
                }
                f.write_str(")")
            }
            ErrorKind::Connect(message) => write!(
                f,
                "could not connect to the Clerk Backend API for {endpoint}: {message}"
            ),
            ErrorKind::Timeout(after) => write!(
                f,
                "the Clerk Backend API did not answer {endpoint} within {}s",
                after.as_secs_f32()
            ),
            ErrorKind::BodyTooLarge(limit) => write!(
                f,
                "the Clerk Backend API answer to {endpoint} is larger than the \
                 {limit}-byte limit (see ClerkClientBuilder::body_limit)"
            ),
            ErrorKind::Transport(message) => write!(
                f,
                "the connection to the Clerk Backend API failed during {endpoint}: {message}"
            ),
            ErrorKind::Decode(message) => write!(
                f,
                "could not decode the Clerk Backend API answer to {endpoint}: {message}"
            ),
            ErrorKind::HeldOff(left) => write!(
                f,
                "{endpoint} was not sent: the Clerk Backend API asked to wait (a 429 or \
                 a burst of 5xx answers), {}s left",
                left.as_secs_f32()
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.inner.kind {
            ErrorKind::Api(api) => Some(api),
            _ => None,
        }
    }
}

/// An error answer of the Backend API: the status, Clerk's `errors[]`, the
/// trace id and `Retry-After`.
///
/// # Examples
///
/// ```no_run
/// # async fn run(clerk: clerk_actix::Clerk) {
/// use clerk_actix::client::CreateOrganization;
///
/// let result = clerk.client().organizations().create(&CreateOrganization::new("")).await;
/// if let Some(api) = result.as_ref().err().and_then(|e| e.api_error()) {
///     for detail in api.errors() {
///         println!("{}: {} {}", detail.code, detail.message, detail.meta);
///     }
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    status: u16,
    errors: Vec<ApiErrorDetail>,
    clerk_trace_id: Option<String>,
    retry_after: Option<u64>,
}

/// One entry of a Backend API error answer's `errors[]`.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::ApiErrorDetail;
///
/// let value: ApiErrorDetail = serde_json::from_str(
///     r#"{"code": "form_param_missing", "message": "missing required parameter", "long_message": "name must be included.", "meta": {"param_name": "name"}}"#,
/// )?;
/// assert_eq!(value.meta["param_name"], "name");
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ApiErrorDetail {
    /// A stable, machine-readable code, e.g. `resource_not_found` or
    /// `form_password_incorrect`.
    #[serde(deserialize_with = "super::null_default")]
    pub code: String,
    /// A short message.
    #[serde(deserialize_with = "super::null_default")]
    pub message: String,
    /// A longer message, when Clerk sends one.
    pub long_message: Option<String>,
    /// Details such as `{"param_name": "name"}`; `Null` when absent.
    pub meta: Value,
}

#[derive(Deserialize)]
struct WireErrors {
    #[serde(default)]
    errors: Vec<ApiErrorDetail>,
    #[serde(default)]
    clerk_trace_id: Option<Value>,
}

impl ApiError {
    /// Reads an error answer; any body is accepted (a non-JSON body gives an
    /// empty `errors()`).
    pub(crate) fn from_response(
        status: u16,
        body: &[u8],
        cf_ray: Option<&str>,
        retry_after: Option<&str>,
    ) -> Self {
        let wire = serde_json::from_slice::<WireErrors>(body).ok();
        let (errors, body_trace) = match wire {
            Some(wire) => (
                wire.errors,
                wire.clerk_trace_id
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .filter(|s| !s.is_empty()),
            ),
            None => (Vec::new(), None),
        };
        let clerk_trace_id = body_trace.or_else(|| {
            cf_ray
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        });
        Self {
            status,
            errors,
            clerk_trace_id,
            retry_after: retry_after.and_then(parse_retry_after),
        }
    }

    /// The HTTP status, e.g. 404.
    #[must_use]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Clerk's `errors[]`; empty when the body had none (e.g. a proxy's HTML
    /// page).
    #[must_use]
    pub fn errors(&self) -> &[ApiErrorDetail] {
        &self.errors
    }

    /// The first error's code, e.g. `resource_not_found`.
    #[must_use]
    pub fn code(&self) -> Option<&str> {
        self.errors.first().map(|e| e.code.as_str())
    }

    /// The body's `clerk_trace_id`, else the `cf-ray` header: quote it when
    /// asking Clerk support about this request.
    #[must_use]
    pub fn clerk_trace_id(&self) -> Option<&str> {
        self.clerk_trace_id.as_deref()
    }

    /// `Retry-After` in seconds, when the header held an integer (an HTTP
    /// date is not read, like the JS SDK).
    #[must_use]
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    fn write_summary(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Clerk Backend API answered {}", self.status)?;
        match self.errors.first() {
            Some(first) => {
                let text = first
                    .long_message
                    .as_deref()
                    .filter(|m| !m.is_empty())
                    .unwrap_or(&first.message);
                write!(f, " {}: {}", first.code, text)?;
                if self.errors.len() > 1 {
                    write!(f, " (and {} more)", self.errors.len() - 1)?;
                }
            }
            None => f.write_str(" with no Clerk error body")?,
        }
        if let Some(seconds) = self.retry_after {
            write!(f, "; retry after {seconds}s")?;
        }
        Ok(())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_summary(f)?;
        if let Some(trace) = &self.clerk_trace_id {
            write!(f, " (trace {trace})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

/// `Retry-After` as an integer number of seconds (`parseInt` in the JS SDK:
/// leading digits count, anything else is ignored).
pub(crate) fn parse_retry_after(value: &str) -> Option<u64> {
    let value = value.trim();
    let digits = value.bytes().take_while(u8::is_ascii_digit).count();
    value.get(..digits)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE_422: &str = r#"{
      "errors": [{"code": "whatever_error", "message": "whatever error",
                  "long_message": "some long message", "meta": {"param_name": "some param"}}],
      "clerk_trace_id": "trace_id_123"
    }"#;

    #[test]
    fn clerk_error_body_is_read() {
        let api = ApiError::from_response(422, FIXTURE_422.as_bytes(), None, None);
        assert_eq!(api.status(), 422);
        assert_eq!(api.code(), Some("whatever_error"));
        assert_eq!(
            api.errors()[0].long_message.as_deref(),
            Some("some long message")
        );
        assert_eq!(api.errors()[0].meta["param_name"], "some param");
        assert_eq!(api.clerk_trace_id(), Some("trace_id_123"));
    }

    #[test]
    fn trace_falls_back_to_cf_ray() {
        let api = ApiError::from_response(500, b"<html>", Some("8abc-FRA"), None);
        assert!(api.errors().is_empty());
        assert_eq!(api.clerk_trace_id(), Some("8abc-FRA"));
    }

    #[test]
    fn body_trace_wins_over_cf_ray() {
        let api = ApiError::from_response(422, FIXTURE_422.as_bytes(), Some("ray"), None);
        assert_eq!(api.clerk_trace_id(), Some("trace_id_123"));
    }

    #[test]
    fn non_string_trace_is_ignored() {
        let api = ApiError::from_response(400, br#"{"errors":[],"clerk_trace_id":5}"#, None, None);
        assert_eq!(api.clerk_trace_id(), None);
    }

    #[test]
    fn null_fields_in_errors_are_tolerated() {
        let api = ApiError::from_response(
            400,
            br#"{"errors":[{"code":null,"message":"m","meta":null}]}"#,
            None,
            None,
        );
        assert_eq!(api.code(), Some(""));
        assert_eq!(api.errors()[0].message, "m");
    }

    #[test]
    fn retry_after_integer_is_read() {
        assert_eq!(parse_retry_after("123"), Some(123));
        assert_eq!(parse_retry_after(" 7 "), Some(7));
        assert_eq!(parse_retry_after("12abc"), Some(12));
    }

    #[test]
    fn retry_after_non_numeric_is_none() {
        assert_eq!(parse_retry_after("abc"), None);
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after(""), None);
        assert_eq!(parse_retry_after("-1"), None);
    }

    #[test]
    fn display_says_status_code_message_endpoint_and_trace() {
        let api = ApiError::from_response(
            404,
            br#"{"errors":[{"code":"resource_not_found","message":"Resource not found."}],"clerk_trace_id":"t1"}"#,
            None,
            None,
        );
        let err = Error::new(ErrorKind::Api(api)).at("GET /v1/users/user_x");
        assert_eq!(
            err.to_string(),
            "Clerk Backend API answered 404 resource_not_found: Resource not found. \
             (GET /v1/users/user_x, trace t1)"
        );
        assert_eq!(err.status(), Some(404));
    }

    #[test]
    fn display_mentions_retry_after_and_extra_errors() {
        let api = ApiError::from_response(
            429,
            br#"{"errors":[{"code":"a","message":"x"},{"code":"b","message":"y"}]}"#,
            None,
            Some("3"),
        );
        let text = api.to_string();
        assert!(text.contains("(and 1 more)"), "{text}");
        assert!(text.contains("retry after 3s"), "{text}");
    }

    #[test]
    fn display_without_body_says_so() {
        let api = ApiError::from_response(502, b"Bad gateway", None, None);
        assert_eq!(
            api.to_string(),
            "Clerk Backend API answered 502 with no Clerk error body"
        );
    }

    #[test]
    fn transport_errors_map_to_kinds() {
        let timeout = Error::from_transport(TransportError::Timeout(Duration::from_secs(2)))
            .at("GET /v1/users");
        assert!(matches!(timeout.kind(), ErrorKind::Timeout(_)));
        assert_eq!(
            timeout.to_string(),
            "the Clerk Backend API did not answer GET /v1/users within 2s"
        );
        let large = Error::from_transport(TransportError::TooLarge(16));
        assert!(matches!(large.kind(), ErrorKind::BodyTooLarge(16)));
        let refused = Error::from_transport(TransportError::Connect("refused".into()));
        assert!(matches!(refused.kind(), ErrorKind::Connect(_)));
        assert_eq!(refused.status(), None);
    }

    #[test]
    fn missing_secret_key_says_how_to_fix() {
        let text = Error::new(ErrorKind::MissingSecretKey).to_string();
        assert!(text.contains("CLERK_SECRET_KEY"), "{text}");
    }
}
