//! Clerk authentication for [actix-web]: verify the session tokens Clerk's
//! front-end SDKs send, read who is signed in, check roles and permissions,
//! and call the Clerk Backend API — what `@clerk/express` gives Express apps.
//!
//! # Getting started
//!
//! Build one [`Clerk`] handle from the environment (`CLERK_SECRET_KEY`, and
//! optionally `CLERK_PUBLISHABLE_KEY`, `CLERK_JWT_KEY`, …; see [`config`]),
//! outside `HttpServer::new` so every worker shares its key cache, and wrap
//! the app in [`ClerkMiddleware`]:
//!
//! ```no_run
//! use actix_web::{web, App, HttpServer, Responder};
//! use clerk_actix::{Auth, Clerk, ClerkMiddleware};
//!
//! async fn protected(auth: Auth) -> impl Responder {
//!     format!("This is a protected route for {}", auth.user_id().unwrap_or_default())
//! }
//!
//! #[actix_web::main]
//! async fn main() -> std::io::Result<()> {
//!     let clerk = Clerk::from_env().expect("set CLERK_SECRET_KEY");
//!     HttpServer::new(move || {
//!         App::new()
//!             .route("/protected", web::get().to(protected))
//!             .wrap(ClerkMiddleware::new(clerk.clone()))
//!     })
//!     .bind(("127.0.0.1", 3000))?
//!     .run()
//!     .await
//! }
//! ```
//!
//! `ClerkMiddleware` authenticates every request and attaches an [`Auth`]
//! object; it does not reject anyone by itself. Then, per route or scope:
//!
//! * take [`Auth`] as a handler argument: signed-out requests get a 401
//!   ([`UnauthorizedError`]); [`OptionalAuth`] serves both;
//! * wrap a scope or resource in [`Require`] ([`Require::auth`],
//!   [`require_permission`], [`require_role`], [`Require::has`]): 401 when
//!   signed out, 403 ([`ForbiddenError`]) without the grant; or use
//!   `from_fn(`[`require_auth`]`)`;
//! * select routes with the [`guard`]s (a failing guard means "no match");
//! * read the object anywhere with [`get_auth`] (or, for a route that
//!   takes machine tokens, [`get_auth_with`]).
//!
//! ```
//! use actix_web::{web, App, HttpResponse};
//! use clerk_actix::{require_permission, Auth, ClerkMiddleware};
//!
//! # fn build(clerk: clerk_actix::Clerk) {
//! let app = App::new()
//!     .service(
//!         web::resource("/path")
//!             .wrap(require_permission("org:admin:testpermission"))
//!             .route(web::get().to(|auth: Auth| async move { HttpResponse::Ok().json(&auth) })),
//!     )
//!     .wrap(ClerkMiddleware::new(clerk));
//! # let _ = app; }
//! ```
//!
//! # Browsers
//!
//! Requests without an `Authorization` token are authenticated from Clerk's
//! session cookies (`__session`, `__client_uat`, the dev-browser token) as
//! `@clerk/backend` does, with its 307 handshake through the Frontend API for
//! page navigations and the refresh of expired sessions; see
//! [`ClerkMiddleware`] and the [`ClerkBuilder`] settings `proxy_url`,
//! `api_only`, `trust_forwarded_headers` and
//! `allow_cookie_tokens_without_azp`. [`Require::sign_in_page`] sends
//! signed-out page navigations to the sign-in page.
//!
//! # Checking authorization
//!
//! [`Auth::has`] is Clerk's `has()`: organization roles and permissions
//! (from v1 and v2 session tokens), billing features and plans, and
//! reverification, with Clerk's exact semantics ([`Has`]).
//!
//! # Machine tokens
//!
//! API keys, M2M tokens and OAuth access tokens are verified by the same
//! middleware; routes take them with the typed extractors of [`machine`]
//! ([`ApiKeyAuth`](machine::ApiKeyAuth), [`M2mAuth`](machine::M2mAuth),
//! [`OAuthAuth`](machine::OAuthAuth), [`MachineAuth`](machine::MachineAuth)), or
//! with [`get_auth_with`] and an [`AcceptsToken`](machine::AcceptsToken).
//! Routes that do not say otherwise take session tokens only.
//!
//! # Verifying tokens yourself
//!
//! [`Clerk::verify_token`] runs Clerk's `verifyToken` checks, in its order,
//! with its reason codes ([`Reason`]); keys come from `CLERK_JWT_KEY`
//! (networkless) or the instance's JWKS, fetched once and shared.
//!
//! # Webhooks
//!
//! [`webhooks::WebhookVerifier`] verifies Clerk's signed webhooks over the
//! raw body, and the [`webhooks::Webhook`] extractor hands handlers a typed,
//! verified event.
//!
//! # Crate features
//!
//! * `testing` — `testing::TestIssuer` mints session tokens,
//!   `testing::StandIn` runs a local stand-in of the Clerk Backend API:
//!   test your app with no Clerk account and no network (see the
//!   `testing` module, documented with the feature on).
//! * `ws` — WebSockets on `actix-ws`: `ws::handle` upgrades a signed-in
//!   session (the token may come as the subprotocol pair
//!   `clerk.session, <token>`), and the socket closes with 4401 when its
//!   session token expires without a fresh one (see the `ws` module,
//!   documented with the feature on).
//! * `redis` — replicas share verified opaque machine tokens and the Backend
//!   API back-off through Redis (`ClerkBuilder::redis_url`; the README's
//!   "Running several replicas").
//!
//! # Differences from `@clerk/express`
//!
//! See DIFFERENCES.md beside the README: among them, a Backend
//! API outage answers 503 instead of signing users out, and `bearer` is
//! accepted in any case.
//!
//! [actix-web]: https://docs.rs/actix-web

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod actix;
mod authenticate;
mod backend;
mod clerk;
pub mod client;
pub mod clock;
pub mod config;
mod encoding;
#[cfg(feature = "redis")]
mod fleet;
pub mod multi_domain;
mod tally;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
mod verification;
pub mod webhooks;

/// Entry points of the fuzz targets (`fuzz/`) and their corpus replay test;
/// not part of the API.
#[cfg(any(fuzzing, feature = "testing"))]
#[doc(hidden)]
#[path = "fuzz.rs"]
pub mod __fuzz;

pub use self::actix::error::{ForbiddenError, UnauthorizedError};
pub use self::actix::extract::{get_auth, OptionalAuth, SessionAuth};
pub use self::actix::machine::get_auth_with;
pub use self::actix::middleware::ClerkMiddleware;
pub use self::actix::require::{require_auth, require_permission, require_role, Require};
#[cfg(feature = "ws")]
#[cfg_attr(docsrs, doc(cfg(feature = "ws")))]
pub use self::actix::ws;
pub use self::actix::{error, guard};
pub use self::clerk::Clerk;
pub use self::config::ClerkBuilder;
pub use self::verification::auth::Auth;
pub use self::verification::authorization::Has;
pub use self::verification::error::{Reason, VerifyError};
pub use self::verification::options::VerifyOptions;

pub mod machine {
    //! Machine tokens (API keys, M2M tokens, OAuth access tokens) and the
    //! token kinds a route takes: the typed extractors, the verified token,
    //! and Clerk's `acceptsToken`.
    //!
    //! ```
    //! use actix_web::{web, App, HttpResponse};
    //! use clerk_actix::machine::ApiKeyAuth;
    //!
    //! async fn report(key: ApiKeyAuth) -> HttpResponse {
    //!     HttpResponse::Ok().body(format!("key {} of {}", key.id(), key.subject()))
    //! }
    //! let app = App::new().route("/reports", web::get().to(report));
    //! # let _ = app;
    //! ```

    pub use crate::actix::machine::{ApiKeyAuth, M2mAuth, MachineAuth, OAuthAuth};
    pub use crate::verification::accepts::{AcceptsToken, TokenTypes};
    pub use crate::verification::machine::MachineToken;
    pub use crate::verification::token_type::TokenType;
}

pub mod session {
    //! What a verified session token carries: its claims, and the
    //! reverification levels that [`Has::reverification`](crate::Has::reverification)
    //! checks.

    pub use crate::verification::authorization::{FactorLevel, Reverification};
    pub use crate::verification::claims::SessionClaims;
}

pub mod middleware {
    //! The configuration of [`ClerkMiddleware`](crate::ClerkMiddleware).

    pub use crate::actix::middleware::ClerkMiddlewareBuilder;
    #[doc(hidden)]
    pub use crate::actix::middleware::ClerkMiddlewareService;
    #[doc(hidden)]
    pub use crate::actix::require::RequireService;
}

/// Every Rust snippet of README.md, compiled (and run, unless `no_run`) as a
/// doctest, so the README and the crate cannot drift apart.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme {}
