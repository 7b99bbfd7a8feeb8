//! Clerk authentication for actix-web.
//!
//! (Guide to be written.)

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth;
mod authorization;
mod b64;
mod claims;
mod clerk;
mod clock;
pub mod config;
mod keys;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
mod transport;
mod verify;

pub use self::auth::{Auth, TokenType};
pub use self::authorization::{FactorLevel, Has, Reverification};
pub use self::claims::SessionClaims;
pub use self::clerk::Clerk;
pub use self::clock::Clock;
pub use self::config::ClerkBuilder;
pub use self::verify::{Reason, VerifyError, VerifyOptions};
