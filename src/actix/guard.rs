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
use crate::actix::{middleware::ClerkMiddleware, require::Require};
use crate::verification::accepts::AcceptsToken;
use crate::verification::auth::Auth;
use crate::verification::authorization::Has;

/// A guard on the auth object: matches signed-in requests of the accepted
/// token kinds (session tokens unless
/// [`accepts_token`](Self::accepts_token) says otherwise) that pass its
/// check.
#[must_use]
pub struct AuthGuard {
    accepts: AcceptsToken,
    check: Box<dyn Fn(&Auth) -> bool>,
}

impl std::fmt::Debug for AuthGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthGuard")
            .field("accepts", &self.accepts)
            .finish_non_exhaustive()
    }
}

impl AuthGuard {
    fn new(check: impl Fn(&Auth) -> bool + 'static) -> Self {
        Self {
            accepts: AcceptsToken::SESSION_TOKEN,
            check: Box::new(check),
        }
    }

    /// Matches requests authenticated with a token `accepts` takes.
    ///
    /// Defaults to session tokens only.
    ///
    /// ```
    /// # actix_web::rt::System::new().block_on(async {
    /// use actix_web::{test, web, App, HttpResponse};
    /// use clerk_actix::machine::TokenType;
    /// use clerk_actix::testing::StandIn;
    /// use clerk_actix::{guard, ClerkMiddleware};
    ///
    /// let stand_in = StandIn::start()?;
    /// let app = test::init_service(
    ///     App::new()
    ///         .route("/sync", web::get().guard(guard::authenticated().accepts_token(TokenType::ApiKey)).to(HttpResponse::Ok))
    ///         .wrap(ClerkMiddleware::new(stand_in.clerk()?)),
    /// )
    /// .await;
    /// let call = |token: String| {
    ///     let req = test::TestRequest::get().uri("/sync").insert_header(("authorization", format!("Bearer {token}")));
    ///     test::call_service(&app, req.to_request())
    /// };
    /// assert_eq!(call(stand_in.api_key("user_1", ["sync"])).await.status(), 200);
    /// assert_eq!(call(stand_in.session_token("user_1").sign()).await.status(), 404);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    #[doc(alias = "acceptsToken")]
    pub fn accepts_token(mut self, accepts: impl Into<AcceptsToken>) -> Self {
        self.accepts = accepts.into();
        self
    }
}

impl Guard for AuthGuard {
    fn check(&self, ctx: &GuardContext<'_>) -> bool {
        match ctx.get_auth_with(self.accepts) {
            Ok(auth) => auth.is_authenticated() && (self.check)(&auth),
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
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use actix_web::{test, web, App, HttpResponse};
/// use clerk_actix::testing::TestIssuer;
/// use clerk_actix::{guard, Clerk, ClerkMiddleware};
///
/// let issuer = TestIssuer::generate()?;
/// let clerk = Clerk::builder().jwt_key(issuer.public_key_pem()).build()?;
/// let app = test::init_service(
///     App::new()
///         .route("/inbox", web::get().guard(guard::authenticated()).to(HttpResponse::Ok))
///         .wrap(ClerkMiddleware::new(clerk)),
/// )
/// .await;
/// let call = |token: Option<String>| {
///     let mut req = test::TestRequest::get().uri("/inbox");
///     if let Some(token) = token {
///         req = req.insert_header(("authorization", format!("Bearer {token}")));
///     }
///     test::call_service(&app, req.to_request())
/// };
/// assert_eq!(call(Some(issuer.session("user_1").sign())).await.status(), 200);
/// // No route matches a signed-out request: 404, not 401.
/// assert_eq!(call(None).await.status(), 404);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub fn authenticated() -> AuthGuard {
    AuthGuard::new(|_: &Auth| true)
}

/// Matches signed-in requests that pass `check` ([`Auth::has`]).
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use actix_web::{test, web, App, HttpResponse};
/// use clerk_actix::testing::TestIssuer;
/// use clerk_actix::{guard, Clerk, ClerkMiddleware, Has};
///
/// let issuer = TestIssuer::generate()?;
/// let clerk = Clerk::builder().jwt_key(issuer.public_key_pem()).build()?;
/// let app = test::init_service(
///     App::new()
///         .route("/dashboard", web::get().guard(guard::has(Has::feature("user:dashboard"))).to(HttpResponse::Ok))
///         .wrap(ClerkMiddleware::new(clerk)),
/// )
/// .await;
/// let call = |token: Option<String>| {
///     let mut req = test::TestRequest::get().uri("/dashboard");
///     if let Some(token) = token {
///         req = req.insert_header(("authorization", format!("Bearer {token}")));
///     }
///     test::call_service(&app, req.to_request())
/// };
/// assert_eq!(call(Some(issuer.session("user_1").user_features(["dashboard"]).sign())).await.status(), 200);
/// assert_eq!(call(Some(issuer.session("user_2").sign())).await.status(), 404);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub fn has(check: Has) -> AuthGuard {
    AuthGuard::new(move |auth: &Auth| auth.has(&check))
}

/// Matches requests whose user has the organization permission `permission`.
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use actix_web::{test, web, App, HttpResponse};
/// use clerk_actix::testing::TestIssuer;
/// use clerk_actix::{guard, Clerk, ClerkMiddleware};
///
/// let issuer = TestIssuer::generate()?;
/// let clerk = Clerk::builder().jwt_key(issuer.public_key_pem()).build()?;
/// let app = test::init_service(
///     App::new()
///         .route("/invoices", web::get().guard(guard::permission("org:invoices:read")).to(HttpResponse::Ok))
///         .wrap(ClerkMiddleware::new(clerk)),
/// )
/// .await;
/// let call = |token: Option<String>| {
///     let mut req = test::TestRequest::get().uri("/invoices");
///     if let Some(token) = token {
///         req = req.insert_header(("authorization", format!("Bearer {token}")));
///     }
///     test::call_service(&app, req.to_request())
/// };
/// let reader = issuer.session("user_1").org("org_1", "org:member").permissions(["org:invoices:read"]);
/// assert_eq!(call(Some(reader.sign())).await.status(), 200);
/// assert_eq!(call(Some(issuer.session("user_2").org("org_1", "org:member").sign())).await.status(), 404);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub fn permission(permission: impl Into<Cow<'static, str>>) -> AuthGuard {
    has(Has::permission(permission))
}

/// Matches requests whose user has the organization role `role`.
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use actix_web::{test, web, App, HttpResponse};
/// use clerk_actix::testing::TestIssuer;
/// use clerk_actix::{guard, Clerk, ClerkMiddleware};
///
/// let issuer = TestIssuer::generate()?;
/// let clerk = Clerk::builder().jwt_key(issuer.public_key_pem()).build()?;
/// let app = test::init_service(
///     App::new()
///         .route("/admin", web::get().guard(guard::role("org:admin")).to(HttpResponse::Ok))
///         .wrap(ClerkMiddleware::new(clerk)),
/// )
/// .await;
/// let call = |token: Option<String>| {
///     let mut req = test::TestRequest::get().uri("/admin");
///     if let Some(token) = token {
///         req = req.insert_header(("authorization", format!("Bearer {token}")));
///     }
///     test::call_service(&app, req.to_request())
/// };
/// assert_eq!(call(Some(issuer.session("user_1").org("org_1", "org:admin").sign())).await.status(), 200);
/// assert_eq!(call(Some(issuer.session("user_2").org("org_1", "org:member").sign())).await.status(), 404);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub fn role(role: impl Into<Cow<'static, str>>) -> AuthGuard {
    has(Has::role(role))
}

/// Matches requests with a machine token (any kind, unless narrowed with
/// [`AuthGuard::accepts_token`]) that grants `scope`.
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use actix_web::{test, web, App, HttpResponse};
/// use clerk_actix::testing::StandIn;
/// use clerk_actix::{guard, ClerkMiddleware};
///
/// let stand_in = StandIn::start()?;
/// let app = test::init_service(
///     App::new()
///         .route("/reports", web::get().guard(guard::scope("read:reports")).to(HttpResponse::Ok))
///         .wrap(ClerkMiddleware::new(stand_in.clerk()?)),
/// )
/// .await;
/// let call = |token: String| {
///     let req = test::TestRequest::get().uri("/reports").insert_header(("authorization", format!("Bearer {token}")));
///     test::call_service(&app, req.to_request())
/// };
/// assert_eq!(call(stand_in.api_key("user_1", ["read:reports"])).await.status(), 200);
/// assert_eq!(call(stand_in.oauth_token("user_1", ["read:reports"])).await.status(), 200);
/// assert_eq!(call(stand_in.api_key("user_1", ["write:reports"])).await.status(), 404);
/// assert_eq!(call(stand_in.session_token("user_1").sign()).await.status(), 404);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub fn scope(scope: impl Into<Cow<'static, str>>) -> AuthGuard {
    let scope = scope.into();
    AuthGuard::new(move |auth: &Auth| auth.has_scope(&scope)).accepts_token(AcceptsToken::MACHINE)
}

/// Matches signed-in requests for which `check` returns `true`.
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use actix_web::{test, web, App, HttpResponse};
/// use clerk_actix::testing::TestIssuer;
/// use clerk_actix::{guard, Clerk, ClerkMiddleware};
///
/// let issuer = TestIssuer::generate()?;
/// let clerk = Clerk::builder().jwt_key(issuer.public_key_pem()).build()?;
/// let app = test::init_service(
///     App::new()
///         .route("/support", web::get().guard(guard::check(|auth| auth.actor().is_some())).to(HttpResponse::Ok))
///         .wrap(ClerkMiddleware::new(clerk)),
/// )
/// .await;
/// let call = |token: Option<String>| {
///     let mut req = test::TestRequest::get().uri("/support");
///     if let Some(token) = token {
///         req = req.insert_header(("authorization", format!("Bearer {token}")));
///     }
///     test::call_service(&app, req.to_request())
/// };
/// let impersonated = issuer.session("user_1").actor("user_support").sign();
/// assert_eq!(call(Some(impersonated)).await.status(), 200);
/// assert_eq!(call(Some(issuer.session("user_1").sign())).await.status(), 404);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub fn check(check: impl Fn(&Auth) -> bool + 'static) -> AuthGuard {
    AuthGuard::new(check)
}
