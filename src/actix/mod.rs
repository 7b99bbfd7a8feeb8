//! The actix layer: the middleware, the extractors, guards, wrap helpers and
//! error responses. It turns what [`crate::authenticate`] decided into actix
//! types and adds nothing to the decision.

pub mod error;
pub(crate) mod extract;
pub mod guard;
pub(crate) mod machine;
pub(crate) mod middleware;
pub(crate) mod require;
#[cfg(feature = "ws")]
pub mod ws;
