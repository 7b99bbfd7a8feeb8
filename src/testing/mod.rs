//! Test your Clerk-protected actix app offline: mint session tokens and run a
//! local stand-in of the Clerk Backend API.
//!
//! Enable the `testing` feature in your dev-dependencies:
//!
//! ```toml
//! [dev-dependencies]
//! clerk-actix = { version = "0.1", features = ["testing"] }
//! ```
//!
//! [`StandIn`] runs a local Backend API on `127.0.0.1` (random port) that
//! serves its [`TestIssuer`]'s keys; [`StandIn::clerk`] gives a [`Clerk`](crate::Clerk)
//! handle pointing at it, and [`StandIn::session_token`] signs tokens it
//! accepts. A test of your own app then takes three lines of setup:
//!
//! ```
//! use actix_web::{test, web, App, HttpResponse};
//! use clerk_actix::testing::StandIn;
//! use clerk_actix::{Auth, ClerkMiddleware};
//!
//! async fn me(auth: Auth) -> HttpResponse {
//!     HttpResponse::Ok().body(auth.user_id().unwrap_or_default().to_owned())
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let stand_in = StandIn::start().unwrap();
//! let clerk = stand_in.clerk().unwrap();
//! let token = stand_in.session_token("user_42").sign();
//!
//! let app = test::init_service(
//!     App::new().wrap(ClerkMiddleware::new(clerk)).route("/me", web::get().to(me)),
//! )
//! .await;
//! let req = test::TestRequest::get()
//!     .uri("/me")
//!     .insert_header(("Authorization", format!("Bearer {token}")))
//!     .to_request();
//! let body = test::call_and_read_body(&app, req).await;
//! assert_eq!(body, "user_42");
//!
//! let anonymous = test::TestRequest::get().uri("/me").to_request();
//! assert_eq!(test::call_service(&app, anonymous).await.status(), 401);
//! # });
//! ```
//!
//! For networkless tests, skip the server: build the handle with
//! `Clerk::builder().jwt_key(issuer.public_key_pem())` and sign with the
//! [`TestIssuer`].

mod bapi;
mod browser;
mod frontend;
mod issuer;
mod machine;
pub mod operations;
mod server;
mod webhook;

pub use self::bapi::Store;
pub use self::browser::{Browser, Page};
pub use self::issuer::{Segment, SessionTokenBuilder, TestIssuer, TestOrg};
pub use self::machine::{MachineJwtBuilder, TestMachine};
pub use self::server::{Fault, RecordedRequest, StandIn, StandInBuilder};
pub use self::webhook::{SignedWebhook, WebhookSigner};

/// A testing-kit failure: no key, no port, no thread.
#[derive(Debug, Clone, PartialEq, Eq, derive_more::Display, derive_more::Error)]
#[display("clerk-actix testing kit: {message}")]
pub struct TestingError {
    #[error(not(source))]
    message: String,
}

impl TestingError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}
