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

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use crate::verification::auth::Auth;
use crate::verification::error::VerifyError;

fn json_body(code: &str, message: &str, long_message: &str) -> String {
    serde_json::json!({
        "errors": [{ "code": code, "message": message, "long_message": long_message }]
    })
    .to_string()
}

/// The request is not signed in: 401, with `WWW-Authenticate: Bearer`
/// (`Bearer error="invalid_token"` when a token came and was rejected, as
/// RFC 6750 asks).
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnauthorizedError {
    invalid_token: bool,
}

impl UnauthorizedError {
    /// A 401 for a request that carried no token.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn for_auth(auth: &Auth) -> Self {
        Self {
            invalid_token: auth.token_presented(),
        }
    }

    /// Whether a token came with the request (and was rejected).
    #[must_use]
    pub fn token_presented(&self) -> bool {
        self.invalid_token
    }
}

impl fmt::Display for UnauthorizedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unauthorized: the request is not signed in")
    }
}

impl std::error::Error for UnauthorizedError {}

impl ResponseError for UnauthorizedError {
    fn status_code(&self) -> StatusCode {
        StatusCode::UNAUTHORIZED
    }

    fn error_response(&self) -> HttpResponse {
        let challenge = if self.invalid_token {
            HeaderValue::from_static("Bearer error=\"invalid_token\"")
        } else {
            HeaderValue::from_static("Bearer")
        };
        HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, challenge))
            .content_type("application/json")
            .body(json_body(
                "unauthorized",
                "Unauthorized",
                "Sign in to access this resource.",
            ))
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForbiddenError {
    _private: (),
}

impl ForbiddenError {
    /// A 403.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
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
        HttpResponse::Forbidden()
            .insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"insufficient_scope\""),
            ))
            .content_type("application/json")
            .body(json_body(
                "forbidden",
                "Forbidden",
                "You do not have permission to access this resource.",
            ))
    }
}

/// The auth object was asked for but `ClerkMiddleware` did not run: a bug in
/// the app's setup, answered with 500.
///
/// The message says how to fix it:
///
/// ```
/// use clerk_actix::MissingMiddleware;
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

/// Why [`Auth`] could not be extracted.
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
}

/// Converts to the inner error, so the response carries an
/// [`UnauthorizedError`] (or [`MissingMiddleware`]) whichever way it was
/// produced, and `ErrorHandlers` can recognise it.
impl From<AuthError> for actix_web::Error {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Unauthorized(e) => e.into(),
            AuthError::MissingMiddleware(e) => e.into(),
        }
    }
}

/// Sessions cannot be checked right now: the Backend API did not give the
/// keys (503, with `Retry-After`), or rejected the secret key (500).
///
/// The body is generic; the cause (see [`source`](std::error::Error::source))
/// is logged under the target `clerk_actix::middleware`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUnavailableError {
    cause: VerifyError,
}

impl AuthUnavailableError {
    pub(crate) fn new(cause: VerifyError) -> Self {
        Self { cause }
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
        if self.cause.reason() == crate::verification::error::Reason::SecretKeyInvalid {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let mut res = HttpResponse::build(status);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            res.insert_header((header::RETRY_AFTER, HeaderValue::from_static("5")));
        }
        res.content_type("application/json").body(json_body(
            "authentication_unavailable",
            "Authentication is temporarily unavailable",
            "Sessions cannot be verified right now. Try again shortly.",
        ))
    }
}
