//! The errors the actix layer answers with.
//!
//! [`UnauthorizedError`] (401) and [`ForbiddenError`] (403) are what
//! `@clerk/express`'s README has its error handler turn into responses. Here
//! they implement [`ResponseError`] with a JSON body in Clerk's error shape:
//!
//! ```json
//! {"errors":[{"code":"unauthorized","message":"Unauthorized","long_message":"Sign in to access this resource."}]}
//! ```
//!
//! # Replacing the response
//!
//! The seed's Express app answered `401 Unauthorized` in plain text from an
//! error-handling middleware. The actix way is
//! [`ErrorHandlers`](actix_web::middleware::ErrorHandlers): the response
//! still carries the error, so a handler can recognise it and answer as it
//! likes.
//!
//! ```
//! use actix_web::dev::ServiceResponse;
//! use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
//! use actix_web::{http::StatusCode, HttpResponse};
//! use clerk_actix::UnauthorizedError;
//!
//! fn plain_401<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
//!     let ours = res
//!         .response()
//!         .error()
//!         .is_some_and(|e| e.as_error::<UnauthorizedError>().is_some());
//!     if !ours {
//!         return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
//!     }
//!     let (req, _) = res.into_parts();
//!     let res = ServiceResponse::new(req, HttpResponse::Unauthorized().body("Unauthorized"));
//!     Ok(ErrorHandlerResponse::Response(res.map_into_right_body()))
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! use actix_web::{test, web, App};
//! use clerk_actix::{Auth, Clerk, ClerkMiddleware};
//!
//! let clerk = Clerk::builder().secret_key("sk_test_example").build().unwrap();
//! let app = test::init_service(
//!     App::new()
//!         .route("/protected", web::get().to(|_auth: Auth| async { "This is a protected route" }))
//!         .wrap(ClerkMiddleware::new(clerk))
//!         .wrap(ErrorHandlers::new().handler(StatusCode::UNAUTHORIZED, plain_401)),
//! )
//! .await;
//! let res = test::call_service(&app, test::TestRequest::get().uri("/protected").to_request()).await;
//! assert_eq!(res.status(), 401);
//! assert_eq!(test::read_body(res).await, "Unauthorized");
//! # });
//! ```

use std::fmt;
use std::sync::Arc;

use actix_web::dev::RequestHead;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode, Uri};
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};

use crate::authenticate::outcome::auth_headers;
use crate::verification::auth::{Auth, SignedOut};
use crate::verification::authorization::Has;
use crate::verification::error::{Reason, VerifyError};

fn json_body(code: &str, message: &str, long_message: &str) -> String {
    serde_json::json!({
        "errors": [{ "code": code, "message": message, "long_message": long_message }]
    })
    .to_string()
}

/// A rejection shaper, set with
/// [`ClerkMiddlewareBuilder::on_rejection`](crate::middleware::ClerkMiddlewareBuilder::on_rejection).
pub(crate) type Shaper =
    Arc<dyn Fn(&Rejection<'_>, HttpResponseBuilder) -> HttpResponse + Send + Sync>;

/// The shaper and what it sees of the refused request, taken when the
/// rejection is made (only when a shaper is set: nothing is copied
/// otherwise).
#[derive(Clone)]
pub(crate) struct Shape {
    hook: Shaper,
    request: Arc<RejectedRequest>,
}

impl Shape {
    pub(crate) fn new(hook: &Shaper, head: &RequestHead) -> Self {
        Self {
            hook: hook.clone(),
            request: Arc::new(RejectedRequest {
                method: head.method.clone(),
                uri: head.uri.clone(),
                headers: head.headers.clone(),
            }),
        }
    }
}

/// What a rejection hook sees of the refused request, to answer pages with
/// HTML and APIs with JSON from one hook.
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use actix_web::{test, web, App, HttpResponse};
/// use clerk_actix::{Auth, Clerk, ClerkMiddleware};
///
/// let clerk = Clerk::builder().secret_key("sk_test_example").build()?;
/// let middleware = ClerkMiddleware::builder(clerk)
///     .on_rejection(|rejection, mut res| match rejection.request() {
///         Some(req) if req.accepts_html() => res.content_type("text/html").body("<h1>Please sign in</h1>"),
///         _ => res.json(serde_json::json!({"error": rejection.reason()})),
///     })
///     .build();
/// let app = test::init_service(
///     App::new().route("/me", web::get().to(|_: Auth| async { "me" })).wrap(middleware),
/// )
/// .await;
/// let page = test::TestRequest::get().uri("/me").insert_header(("accept", "text/html")).to_request();
/// let res = test::call_service(&app, page).await;
/// assert_eq!(res.status(), 401);
/// assert_eq!(test::read_body(res).await, "<h1>Please sign in</h1>");
/// let api = test::TestRequest::get().uri("/me").insert_header(("accept", "application/json")).to_request();
/// let res = test::call_service(&app, api).await;
/// assert_eq!(res.status(), 401);
/// assert!(test::read_body(res).await.starts_with(b"{\"error\""));
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct RejectedRequest {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
}

impl RejectedRequest {
    /// The request method.
    #[must_use]
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path, without the query.
    #[must_use]
    pub fn path(&self) -> &str {
        self.uri.path()
    }

    /// The request target as received.
    #[must_use]
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The request headers.
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Whether the client asks for HTML first (`Accept: text/html…`, what
    /// browsers send on a page navigation).
    #[must_use]
    pub fn accepts_html(&self) -> bool {
        self.headers
            .get(header::ACCEPT)
            .is_some_and(|accept| accept.as_bytes().starts_with(b"text/html"))
    }
}

/// A request the crate refuses: signed out (401), without the required
/// authorization (403), or not checkable right now (503/500). What a hook set
/// with [`ClerkMiddlewareBuilder::on_rejection`](crate::middleware::ClerkMiddlewareBuilder::on_rejection)
/// receives, to answer in the API's own error format.
///
/// Every rejection the crate makes goes through the hook: the extractors,
/// [`Require`](crate::Require) and its aliases, `require_auth`, and the
/// outage answer.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Rejection<'a> {
    /// Signed out: 401.
    Unauthorized(&'a UnauthorizedError),
    /// Signed in, without the role, permission, feature or plan asked for: 403.
    Forbidden(&'a ForbiddenError),
    /// The Backend API could not give the keys (503), or rejected the secret key (500).
    Unavailable(&'a AuthUnavailableError),
}

impl Rejection<'_> {
    /// 401, 403, 503 or 500.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthorized(e) => e.status_code(),
            Self::Forbidden(e) => e.status_code(),
            Self::Unavailable(e) => e.status_code(),
        }
    }

    /// Clerk's reason for a signed-out request (e.g. `token-expired`, or
    /// `session-token-and-uat-missing` when no token came); the verification
    /// reason of an outage; `None` for a 403.
    #[must_use]
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Unauthorized(e) => e.reason(),
            Self::Forbidden(_) => None,
            Self::Unavailable(e) => Some(e.cause().reason().as_str()),
        }
    }

    /// The request's auth object (signed out for a 401, signed in for a
    /// 403); `None` for an outage, where there is none.
    #[must_use]
    pub fn auth(&self) -> Option<&Auth> {
        match self {
            Self::Unauthorized(e) => e.auth(),
            Self::Forbidden(e) => e.auth(),
            Self::Unavailable(_) => None,
        }
    }

    /// What was required, for a 403 of a [`Has`] check
    /// ([`require_permission`](crate::require_permission), [`Require::has`](crate::Require::has), …);
    /// `None` otherwise (a 401, an outage, a custom [`Require::check`](crate::Require::check)).
    #[must_use]
    pub fn required(&self) -> Option<&Has> {
        match self {
            Self::Forbidden(e) => e.required(),
            _ => None,
        }
    }

    /// What the hook sees of the refused request.
    #[must_use]
    pub fn request(&self) -> Option<&RejectedRequest> {
        let shape = match self {
            Self::Unauthorized(e) => e.shape.as_ref(),
            Self::Forbidden(e) => e.shape.as_ref(),
            Self::Unavailable(e) => e.shape.as_ref(),
        };
        shape.map(|shape| &*shape.request)
    }
}

/// The response of a rejection: the crate's own, or what the shaper makes of
/// the pre-filled builder (status and the crate's headers).
fn respond(
    rejection: Rejection<'_>,
    shaper: Option<&Shape>,
    builder: HttpResponseBuilder,
    body: impl FnOnce(HttpResponseBuilder) -> HttpResponse,
) -> HttpResponse {
    match shaper {
        Some(shape) => (shape.hook)(&rejection, builder),
        None => body(builder),
    }
}

/// Copies `x-clerk-auth-*` for a signed-out request onto a rejection.
fn with_auth_headers(builder: &mut HttpResponseBuilder, out: Option<&SignedOut>) {
    let Some(out) = out else { return };
    for (name, value) in auth_headers("signed-out", out) {
        if let Ok(value) = HeaderValue::from_str(value) {
            builder.append_header((HeaderName::from_static(name), value));
        }
    }
}

/// The request is not signed in: 401, with `WWW-Authenticate: Bearer`
/// (`Bearer error="invalid_token"` when a token came and was rejected, as
/// RFC 6750 asks) and Clerk's `x-clerk-auth-*` headers.
///
/// [`reason`](Self::reason) is Clerk's signed-out reason.
///
/// # Examples
///
/// ```
/// use actix_web::ResponseError;
/// use clerk_actix::UnauthorizedError;
///
/// let res = UnauthorizedError::new().error_response();
/// assert_eq!(res.status(), 401);
/// assert_eq!(res.headers().get("www-authenticate").unwrap(), "Bearer");
/// ```
#[derive(Clone, Default)]
pub struct UnauthorizedError {
    auth: Option<Auth>,
    shape: Option<Shape>,
}

impl fmt::Debug for UnauthorizedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnauthorizedError")
            .field("reason", &self.reason())
            .field("token_presented", &self.token_presented())
            .finish_non_exhaustive()
    }
}

impl PartialEq for UnauthorizedError {
    fn eq(&self, other: &Self) -> bool {
        self.reason() == other.reason() && self.token_presented() == other.token_presented()
    }
}

impl Eq for UnauthorizedError {}

impl UnauthorizedError {
    /// A 401 for a request that carried no token.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn for_auth(auth: &Auth, shape: Option<Shape>) -> Self {
        Self {
            auth: Some(auth.clone()),
            shape,
        }
    }

    /// Whether a token came with the request (and was rejected).
    #[must_use]
    pub fn token_presented(&self) -> bool {
        self.auth.as_ref().is_some_and(Auth::token_presented)
    }

    /// Clerk's signed-out reason, e.g. `token-expired` or
    /// `session-token-and-uat-missing`; `None` when built by hand.
    #[must_use]
    pub fn reason(&self) -> Option<&str> {
        self.auth.as_ref().and_then(Auth::signed_out_reason)
    }

    /// The signed-out auth object of the request; `None` when built by hand.
    #[must_use]
    pub fn auth(&self) -> Option<&Auth> {
        self.auth.as_ref()
    }
}

impl fmt::Display for UnauthorizedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unauthorized: the request is not signed in")?;
        if let Some(reason) = self.reason() {
            write!(f, " ({reason})")?;
        }
        Ok(())
    }
}

impl std::error::Error for UnauthorizedError {}

impl ResponseError for UnauthorizedError {
    fn status_code(&self) -> StatusCode {
        StatusCode::UNAUTHORIZED
    }

    fn error_response(&self) -> HttpResponse {
        let challenge = if self.token_presented() {
            HeaderValue::from_static("Bearer error=\"invalid_token\"")
        } else {
            HeaderValue::from_static("Bearer")
        };
        let mut builder = HttpResponse::Unauthorized();
        builder.insert_header((header::WWW_AUTHENTICATE, challenge));
        with_auth_headers(
            &mut builder,
            self.auth.as_ref().and_then(Auth::signed_out_state),
        );
        respond(
            Rejection::Unauthorized(self),
            self.shape.as_ref(),
            builder,
            |mut builder| {
                builder.content_type("application/json").body(json_body(
                    "unauthorized",
                    "Unauthorized",
                    "Sign in to access this resource.",
                ))
            },
        )
    }
}

/// The request is signed in but lacks a role, permission, feature or plan: 403.
///
/// # Examples
///
/// ```
/// use actix_web::ResponseError;
/// use clerk_actix::ForbiddenError;
///
/// assert_eq!(ForbiddenError::new().error_response().status(), 403);
/// ```
#[derive(Clone, Default)]
pub struct ForbiddenError {
    auth: Option<Auth>,
    shape: Option<Shape>,
    required: Option<Has>,
}

impl fmt::Debug for ForbiddenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForbiddenError")
            .field("user_id", &self.auth.as_ref().and_then(Auth::user_id))
            .finish_non_exhaustive()
    }
}

impl PartialEq for ForbiddenError {
    fn eq(&self, other: &Self) -> bool {
        self.auth.as_ref().and_then(Auth::user_id) == other.auth.as_ref().and_then(Auth::user_id)
    }
}

impl Eq for ForbiddenError {}

impl ForbiddenError {
    /// A 403.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn for_auth(auth: &Auth, shape: Option<Shape>, required: Option<&Has>) -> Self {
        Self {
            auth: Some(auth.clone()),
            shape,
            required: required.cloned(),
        }
    }

    /// What was required and is missing, for a 403 of a [`Has`] check;
    /// `None` for a custom [`Require::check`](crate::Require::check).
    #[must_use]
    pub fn required(&self) -> Option<&Has> {
        self.required.as_ref()
    }

    /// The signed-in auth object that lacked the grant; `None` when built by hand.
    #[must_use]
    pub fn auth(&self) -> Option<&Auth> {
        self.auth.as_ref()
    }
}

impl fmt::Display for ForbiddenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("forbidden: the signed-in user lacks the required authorization")
    }
}

impl std::error::Error for ForbiddenError {}

impl ResponseError for ForbiddenError {
    fn status_code(&self) -> StatusCode {
        StatusCode::FORBIDDEN
    }

    fn error_response(&self) -> HttpResponse {
        let mut builder = HttpResponse::Forbidden();
        builder.insert_header((
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"insufficient_scope\""),
        ));
        respond(
            Rejection::Forbidden(self),
            self.shape.as_ref(),
            builder,
            |mut builder| {
                builder.content_type("application/json").body(json_body(
                    "forbidden",
                    "Forbidden",
                    "You do not have permission to access this resource.",
                ))
            },
        )
    }
}

/// The auth object was asked for but `ClerkMiddleware` did not run: a bug in
/// the app's setup, answered with 500.
///
/// The message says how to fix it:
///
/// ```
/// use clerk_actix::error::MissingMiddleware;
///
/// assert!(MissingMiddleware.to_string().contains(".wrap(ClerkMiddleware::new(clerk))"));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MissingMiddleware;

impl fmt::Display for MissingMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "Clerk: ClerkMiddleware must run before the auth object is read. Register it on the \
             App (or an outer scope): App::new().wrap(ClerkMiddleware::new(clerk))",
        )
    }
}

impl std::error::Error for MissingMiddleware {}

impl ResponseError for MissingMiddleware {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    /// The set-up advice goes to the log (`log::error!`), not to the client,
    /// which gets Clerk's generic error shape.
    fn error_response(&self) -> HttpResponse {
        log::error!(target: "clerk_actix::middleware", "{self}");
        HttpResponse::InternalServerError()
            .content_type("application/json")
            .body(json_body(
                "internal_error",
                "Internal server error",
                "The server could not check the session.",
            ))
    }
}

/// Why the auth object could not be read or extracted.
///
/// Take `Result<Auth, AuthError>` as a handler argument to decide yourself.
#[derive(
    Debug, Clone, PartialEq, Eq, derive_more::Display, derive_more::Error, derive_more::From,
)]
#[non_exhaustive]
pub enum AuthError {
    /// The request is signed out (401).
    Unauthorized(UnauthorizedError),
    /// `ClerkMiddleware` did not run (500).
    MissingMiddleware(MissingMiddleware),
    /// Sessions cannot be checked right now (503, or 500 for a rejected
    /// secret key).
    Unavailable(AuthUnavailableError),
}

/// Converts to the inner error, so the response carries an
/// [`UnauthorizedError`] (or [`MissingMiddleware`], [`AuthUnavailableError`])
/// whichever way it was produced, and `ErrorHandlers` can recognise it.
impl From<AuthError> for actix_web::Error {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Unauthorized(e) => e.into(),
            AuthError::MissingMiddleware(e) => e.into(),
            AuthError::Unavailable(e) => e.into(),
        }
    }
}

/// Sessions cannot be checked right now: the Backend API did not give the
/// keys (503), or rejected the secret key (500).
///
/// The 503 carries `Retry-After: 1`: after a failed JWKS fetch at a cold
/// start (no key cached), the crate tries again at most one second later
/// (or after `jwks_refetch_interval`, when that is shorter), each time with
/// up to three attempts (125 ms backoff, doubling, at most 1 s); a machine
/// token's verify endpoint is tried again on the next request that carries
/// the token. Requests in between are answered at once. When no call was
/// made at all (the endpoint is held off after a 429 or a burst of 5xx
/// answers, or the budget of calls that requests trigger is spent), it
/// carries the time until one will be ([`VerifyError::retry_after`]).
///
/// Only what reads the auth object answers with it (the extractors,
/// [`Require`](crate::Require), [`get_auth`](crate::get_auth)); routes that
/// never look at auth are served during an outage. The body is generic; the
/// cause (see [`source`](std::error::Error::source)) is logged under the
/// target `clerk_actix::middleware`.
#[derive(Clone)]
pub struct AuthUnavailableError {
    cause: VerifyError,
    shape: Option<Shape>,
}

impl fmt::Debug for AuthUnavailableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthUnavailableError")
            .field("cause", &self.cause)
            .finish_non_exhaustive()
    }
}

impl PartialEq for AuthUnavailableError {
    fn eq(&self, other: &Self) -> bool {
        self.cause == other.cause
    }
}

impl Eq for AuthUnavailableError {}

impl AuthUnavailableError {
    pub(crate) fn new(cause: VerifyError) -> Self {
        Self { cause, shape: None }
    }

    pub(crate) fn shaped(mut self, shape: Option<Shape>) -> Self {
        self.shape = shape;
        self
    }

    /// What went wrong.
    #[must_use]
    pub fn cause(&self) -> &VerifyError {
        &self.cause
    }
}

impl fmt::Display for AuthUnavailableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "session tokens cannot be verified: {}", self.cause)
    }
}

impl std::error::Error for AuthUnavailableError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.cause)
    }
}

impl ResponseError for AuthUnavailableError {
    fn status_code(&self) -> StatusCode {
        if self.cause.reason() == Reason::SecretKeyInvalid {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let mut builder = HttpResponse::build(status);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            // When the crate tries the Backend API again (at most this long
            // after a failed cold JWKS fetch; machine tokens on the next
            // request).
            // A held-off endpoint or a spent budget says when itself.
            let retry_after = crate::backend::budget::retry_after_secs(
                self.cause
                    .retry_after()
                    .unwrap_or(crate::verification::keys::COLD_RETRY_BACKOFF),
            );
            builder.insert_header((header::RETRY_AFTER, HeaderValue::from(retry_after)));
        }
        respond(
            Rejection::Unavailable(self),
            self.shape.as_ref(),
            builder,
            |mut builder| {
                builder.content_type("application/json").body(json_body(
                    "authentication_unavailable",
                    "Authentication is temporarily unavailable",
                    "Sessions cannot be verified right now. Try again shortly.",
                ))
            },
        )
    }
}

/// Whether `error` is a rejection this crate made (its response carries the
/// headers the rejection chose, and nothing is added on the way out).
pub(crate) fn is_rejection(error: &actix_web::Error) -> bool {
    error.as_error::<UnauthorizedError>().is_some()
        || error.as_error::<ForbiddenError>().is_some()
        || error.as_error::<AuthUnavailableError>().is_some()
}
