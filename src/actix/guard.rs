//! Route guards on the auth object.
//!
//! A guard decides whether a route *matches*, not whether a request is
//! allowed: when a guard fails, actix tries the next route, and when none
//! matches it answers **404** (405 inside a resource). A guard can never
//! produce a 401 or 403 — use the [`Auth`] extractor or [`Require`] for
//! that.
//!
//! Guards are for serving different handlers to different users. Pair a
//! guarded route with a fallback:
//!
//! ```
//! use actix_web::{test, web, App, HttpResponse};
//! use clerk_actix::{guard, ClerkMiddleware};
//!
//! # actix_web::rt::System::new().block_on(async {
//! # let clerk = clerk_actix::Clerk::builder().secret_key("sk_test_x").build().unwrap();
//! let app = test::init_service(
//!     App::new()
//!         .service(
//!             web::resource("/dashboard")
//!                 .route(web::get().guard(guard::role("org:admin")).to(|| async { "admin view" }))
//!                 .route(web::get().guard(guard::authenticated()).to(|| async { "member view" }))
//!                 .route(web::get().to(|| async { HttpResponse::Unauthorized().finish() })),
//!         )
//!         // The middleware must run before routing: register it on the App.
//!         .wrap(ClerkMiddleware::new(clerk)),
//! )
//! .await;
//! let res = test::call_service(&app, test::TestRequest::get().uri("/dashboard").to_request()).await;
//! assert_eq!(res.status(), 401);
//! # });
//! ```
//!
//! # Order
//!
//! Guards run while routing, before the middleware of the scope or resource
//! they belong to. [`ClerkMiddleware`] must therefore
//! wrap the `App` (or a scope *enclosing* the guarded scope): a guard on a
//! scope wrapped by `ClerkMiddleware` itself sees no auth object and fails.

use std::borrow::Cow;

use actix_web::guard::{Guard, GuardContext};

use crate::actix::error::AuthError;
use crate::actix::extract::{warn_missing_middleware, AuthExt};
#[cfg(doc)]
#[cfg(doc)]
use crate::actix::{middleware::ClerkMiddleware, require::Require};
use crate::verification::auth::Auth;
use crate::verification::authorization::Has;

struct AuthGuard<F>(F);

impl<F> Guard for AuthGuard<F>
where
    F: Fn(&Auth) -> bool,
{
    fn check(&self, ctx: &GuardContext<'_>) -> bool {
        match ctx.get_auth() {
            Ok(auth) => auth.is_authenticated() && (self.0)(&auth),
            Err(AuthError::MissingMiddleware(_)) => {
                // A silent 404 otherwise: say once how to fix it.
                warn_missing_middleware("a clerk_actix::guard");
                false
            }
            Err(_) => false,
        }
    }
}

/// Matches signed-in requests.
pub fn authenticated() -> impl Guard {
    AuthGuard(|_: &Auth| true)
}

/// Matches signed-in requests that pass `check` ([`Auth::has`]).
pub fn has(check: Has) -> impl Guard {
    AuthGuard(move |auth: &Auth| auth.has(&check))
}

/// Matches requests whose user has the organization permission `permission`.
pub fn permission(permission: impl Into<Cow<'static, str>>) -> impl Guard {
    has(Has::permission(permission))
}

/// Matches requests whose user has the organization role `role`.
pub fn role(role: impl Into<Cow<'static, str>>) -> impl Guard {
    has(Has::role(role))
}

/// Matches signed-in requests for which `check` returns `true`.
///
/// ```
/// use clerk_actix::guard;
///
/// let impersonated = guard::check(|auth| auth.actor().is_some());
/// # let _ = impersonated;
/// ```
pub fn check(check: impl Fn(&Auth) -> bool + 'static) -> impl Guard {
    AuthGuard(check)
}
