//! Reading the auth object: `get_auth`, `AuthExt`, and the extractors.

use std::future::{ready, Ready};

use actix_web::dev::{Payload, ServiceRequest};
use actix_web::guard::GuardContext;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use crate::actix::error::{AuthError, MissingMiddleware, UnauthorizedError};
use crate::actix::machine::auth_with;
use crate::verification::auth::Auth;
use crate::verification::machine::AcceptsToken;

/// Reads the [`Auth`] object that [`ClerkMiddleware`](crate::ClerkMiddleware)
/// attached: the port of `getAuth(req)`. Signed in or signed out.
///
/// Implemented for [`HttpRequest`] (handlers), [`ServiceRequest`]
/// (middleware) and [`GuardContext`] (guards).
///
/// # Errors
///
/// [`MissingMiddleware`] (a 500 as a response) when `ClerkMiddleware` did not
/// run for this request.
///
/// # Examples
///
/// ```
/// use actix_web::{HttpRequest, HttpResponse};
/// use clerk_actix::{AuthExt, Has};
///
/// async fn reports(req: HttpRequest) -> actix_web::Result<HttpResponse> {
///     let auth = req.get_auth()?;
///     if !auth.has(Has::permission("org:reports:read")) {
///         return Ok(HttpResponse::Forbidden().finish());
///     }
///     Ok(HttpResponse::Ok().json(&auth))
/// }
/// # let _ = reports;
/// ```
pub trait AuthExt {
    /// The auth object of this request.
    ///
    /// # Errors
    ///
    /// [`MissingMiddleware`] when `ClerkMiddleware` did not run.
    #[doc(alias = "getAuth")]
    fn get_auth(&self) -> Result<Auth, MissingMiddleware>;

    /// The auth object as a route taking `accepts` sees it: Clerk's
    /// `getAuth(req, { acceptsToken })` (see [`AcceptsToken`]).
    /// [`get_auth`](Self::get_auth) is `get_auth_with(AcceptsToken::SESSION_TOKEN)`.
    ///
    /// # Errors
    ///
    /// [`MissingMiddleware`] when `ClerkMiddleware` did not run.
    ///
    /// # Examples
    ///
    /// ```
    /// use actix_web::{HttpRequest, HttpResponse};
    /// use clerk_actix::{AcceptsToken, AuthExt, TokenType};
    ///
    /// async fn integrations(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    ///     let auth = req.get_auth_with(AcceptsToken::list([TokenType::ApiKey, TokenType::OAuthToken]))?;
    ///     if !auth.is_authenticated() {
    ///         return Ok(HttpResponse::Unauthorized().json(&auth));
    ///     }
    ///     Ok(HttpResponse::Ok().json(&auth))
    /// }
    /// # let _ = integrations;
    /// ```
    #[doc(alias = "getAuth")]
    fn get_auth_with(&self, accepts: AcceptsToken) -> Result<Auth, MissingMiddleware>;
}

impl AuthExt for HttpRequest {
    fn get_auth(&self) -> Result<Auth, MissingMiddleware> {
        self.extensions()
            .get::<Auth>()
            .cloned()
            .ok_or(MissingMiddleware)
    }

    fn get_auth_with(&self, accepts: AcceptsToken) -> Result<Auth, MissingMiddleware> {
        auth_with(&self.extensions(), accepts)
    }
}

impl AuthExt for ServiceRequest {
    fn get_auth(&self) -> Result<Auth, MissingMiddleware> {
        self.extensions()
            .get::<Auth>()
            .cloned()
            .ok_or(MissingMiddleware)
    }

    fn get_auth_with(&self, accepts: AcceptsToken) -> Result<Auth, MissingMiddleware> {
        auth_with(&self.extensions(), accepts)
    }
}

impl AuthExt for GuardContext<'_> {
    fn get_auth(&self) -> Result<Auth, MissingMiddleware> {
        self.req_data()
            .get::<Auth>()
            .cloned()
            .ok_or(MissingMiddleware)
    }

    fn get_auth_with(&self, accepts: AcceptsToken) -> Result<Auth, MissingMiddleware> {
        auth_with(&self.req_data(), accepts)
    }
}

/// The auth object of `req`; see [`AuthExt::get_auth`].
///
/// # Errors
///
/// [`MissingMiddleware`] when `ClerkMiddleware` did not run.
///
/// # Examples
///
/// ```
/// use actix_web::{HttpRequest, HttpResponse};
///
/// async fn whoami(req: HttpRequest) -> actix_web::Result<HttpResponse> {
///     let auth = clerk_actix::get_auth(&req)?;
///     Ok(HttpResponse::Ok().json(&auth))
/// }
/// # let _ = whoami;
/// ```
#[doc(alias = "getAuth")]
pub fn get_auth(req: &HttpRequest) -> Result<Auth, MissingMiddleware> {
    req.get_auth()
}

impl FromRequest for Auth {
    type Error = AuthError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.get_auth() {
            Ok(auth) if auth.is_authenticated() => Ok(auth),
            Ok(auth) => Err(UnauthorizedError::for_auth(&auth).into()),
            Err(missing) => Err(missing.into()),
        })
    }
}

/// An extractor for routes that serve signed-in and signed-out requests
/// alike: `Some(auth)` when signed in, `None` when not.
///
/// Unlike `Option<Auth>`, it still fails (500) when `ClerkMiddleware` is
/// missing, so a setup mistake cannot pass for an anonymous visitor.
///
/// # Examples
///
/// ```
/// use clerk_actix::OptionalAuth;
///
/// async fn home(auth: OptionalAuth) -> String {
///     match auth.into_inner() {
///         Some(auth) => format!("welcome back, {}", auth.user_id().unwrap_or_default()),
///         None => "welcome, stranger".to_owned(),
///     }
/// }
/// # let _ = home;
/// ```
#[derive(Clone, Debug)]
pub struct OptionalAuth(pub Option<Auth>);

impl OptionalAuth {
    /// The auth object when signed in.
    #[must_use]
    pub fn into_inner(self) -> Option<Auth> {
        self.0
    }
}

impl std::ops::Deref for OptionalAuth {
    type Target = Option<Auth>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl FromRequest for OptionalAuth {
    type Error = MissingMiddleware;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.get_auth()
                .map(|auth| OptionalAuth(auth.is_authenticated().then_some(auth))),
        )
    }
}
