//! The actix side: the [`Webhook`] extractor, its rejection, and helpers for
//! actix's request types. The verifier itself (the parent module) knows
//! nothing of actix.

use std::fmt;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header::{self, HeaderMap};
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt as _;
use serde::de::DeserializeOwned;

use super::{Webhook, WebhookError, WebhookEvent, WebhookHeaders, WebhookVerifier};

impl<'a> WebhookHeaders<'a> {
    /// The signature headers of an actix request (`svix-*`, else `webhook-*`).
    ///
    /// # Examples
    ///
    /// ```
    /// use actix_web::test::TestRequest;
    /// use clerk_actix::webhooks::WebhookHeaders;
    ///
    /// let req = TestRequest::post()
    ///     .insert_header(("svix-id", " msg_1 "))
    ///     .insert_header(("webhook-timestamp", "1700000000"))
    ///     .to_http_request();
    /// let headers = WebhookHeaders::from_header_map(req.headers());
    /// assert_eq!(headers.id(), Some(&b"msg_1"[..]));
    /// assert_eq!(headers.timestamp(), Some(&b"1700000000"[..]));
    /// assert_eq!(headers.signature(), None);
    /// ```
    #[must_use]
    pub fn from_header_map(headers: &'a HeaderMap) -> Self {
        Self::from_fn(|name| headers.get(name).map(|value| value.as_bytes()))
    }
}

impl WebhookVerifier {
    /// Verifies a webhook whose body you read yourself (e.g. as
    /// `web::Bytes`), with the headers of `req`.
    ///
    /// # Errors
    ///
    /// A [`WebhookError`], which is also an actix `ResponseError` (400, or
    /// 413 for a body over the limit), so `?` answers it.
    ///
    /// # Examples
    ///
    /// ```
    /// use actix_web::{web, HttpRequest, HttpResponse};
    /// use clerk_actix::webhooks::WebhookVerifier;
    ///
    /// async fn hook(
    ///     req: HttpRequest,
    ///     body: web::Bytes,
    ///     verifier: web::ThinData<WebhookVerifier>,
    /// ) -> actix_web::Result<HttpResponse> {
    ///     let webhook = verifier.verify_request(&req, &body)?;
    ///     Ok(HttpResponse::Ok().body(webhook.event_type.clone()))
    /// }
    /// # let _ = actix_web::App::new().route("/webhooks", web::post().to(hook));
    /// ```
    pub fn verify_request(
        &self,
        req: &HttpRequest,
        body: &[u8],
    ) -> Result<Webhook<WebhookEvent>, WebhookError> {
        self.verify(WebhookHeaders::from_header_map(req.headers()), body)
    }
}

/// Why the [`Webhook`] extractor rejected a request.
///
/// As an actix `ResponseError`: [`Invalid`](Self::Invalid) answers 400 (413
/// for [`WebhookError::BodyTooLarge`]), [`BodyUnreadable`](Self::BodyUnreadable)
/// 400, both with a JSON body saying what failed;
/// [`NotConfigured`](Self::NotConfigured) answers 500 with a generic body
/// and logs the fix.
///
/// # Examples
///
/// ```
/// use actix_web::ResponseError;
/// use clerk_actix::webhooks::{WebhookError, WebhookRejection};
///
/// let rejection = WebhookRejection::from(WebhookError::NoMatchingSignature);
/// let res = rejection.error_response();
/// assert_eq!(res.status(), 400);
/// assert_eq!(WebhookRejection::NotConfigured.error_response().status(), 500);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, derive_more::From)]
#[non_exhaustive]
pub enum WebhookRejection {
    /// The webhook did not verify.
    Invalid(WebhookError),
    /// The body could not be read (the connection broke, a bad chunked
    /// encoding, …).
    #[from(ignore)]
    BodyUnreadable {
        /// What the body reader said.
        detail: String,
    },
    /// No [`WebhookVerifier`] is registered as app data: a bug in the app's
    /// setup.
    #[from(ignore)]
    NotConfigured,
}

impl fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(err) => fmt::Display::fmt(err, f),
            Self::BodyUnreadable { detail } => {
                write!(f, "The webhook body could not be read: {detail}")
            }
            Self::NotConfigured => f.write_str(
                "Clerk: the Webhook extractor found no WebhookVerifier in the app data. Build one \
                 at start-up and register it: \
                 App::new().app_data(web::ThinData(WebhookVerifier::from_env()?)) \
                 (CLERK_WEBHOOK_SIGNING_SECRET holds the endpoint's signing secret)",
            ),
        }
    }
}

impl std::error::Error for WebhookRejection {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Invalid(err) => Some(err),
            _ => None,
        }
    }
}

fn json_response(
    status: StatusCode,
    code: &str,
    message: &str,
    long_message: &str,
) -> HttpResponse {
    let body = serde_json::json!({
        "errors": [{ "code": code, "message": message, "long_message": long_message }]
    });
    HttpResponse::build(status)
        .content_type("application/json")
        .body(body.to_string())
}

impl ResponseError for WebhookError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = match self {
            Self::BodyTooLarge { .. } => "Payload too large",
            _ => "Webhook verification failed",
        };
        json_response(self.status_code(), self.code(), message, &self.to_string())
    }
}

impl ResponseError for WebhookRejection {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Invalid(err) => err.status_code(),
            Self::BodyUnreadable { .. } => StatusCode::BAD_REQUEST,
            Self::NotConfigured => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Invalid(err) => err.error_response(),
            Self::BodyUnreadable { .. } => json_response(
                StatusCode::BAD_REQUEST,
                "webhook_body_unreadable",
                "Bad request",
                &self.to_string(),
            ),
            Self::NotConfigured => {
                // The fix is for the operator's log; the caller (Clerk's
                // servers, or anyone) learns nothing about the setup.
                log::error!(target: "clerk_actix::webhooks", "{self}");
                json_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_server_error",
                    "Internal server error",
                    "The server could not process this request.",
                )
            }
        }
    }
}

/// The verifier registered as `ThinData`, `Data` or plain app data.
fn registered(req: &HttpRequest) -> Option<WebhookVerifier> {
    req.app_data::<web::ThinData<WebhookVerifier>>()
        .map(|data| data.0.clone())
        .or_else(|| {
            req.app_data::<web::Data<WebhookVerifier>>()
                .map(|data| data.get_ref().clone())
        })
        .or_else(|| req.app_data::<WebhookVerifier>().cloned())
}

/// Reads the whole body, refusing (without reading further) anything over
/// `limit` bytes.
async fn read_body(
    req: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
) -> Result<web::BytesMut, WebhookRejection> {
    let too_large = || WebhookRejection::Invalid(WebhookError::BodyTooLarge { limit });
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large());
    }
    let capacity = declared.map_or(0, |len| usize::try_from(len).unwrap_or(limit).min(limit));
    let mut body = web::BytesMut::with_capacity(capacity);
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|err| match err {
            PayloadError::Overflow => too_large(),
            other => WebhookRejection::BodyUnreadable {
                detail: other.to_string(),
            },
        })?;
        if body.len().saturating_add(chunk.len()) > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

async fn extract<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: &mut Payload,
) -> Result<Webhook<T>, WebhookRejection> {
    let verifier = registered(req).ok_or(WebhookRejection::NotConfigured)?;
    let body = read_body(req, payload, verifier.body_limit()).await?;
    Ok(verifier.verify_as(WebhookHeaders::from_header_map(req.headers()), &body)?)
}

/// See [`Webhook`]'s "Extractor behavior".
impl<T: DeserializeOwned + 'static> FromRequest for Webhook<T> {
    type Error = WebhookRejection;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let result = extract(&req, &mut payload).await;
            if let Err(err) = &result {
                if !matches!(err, WebhookRejection::NotConfigured) {
                    log::debug!(
                        target: "clerk_actix::rejection",
                        "webhook rejected on {} {}: {err}",
                        req.method(),
                        req.path()
                    );
                }
            }
            result
        })
    }
}
