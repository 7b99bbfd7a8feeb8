//! The verification core: token checks, keys, the verified-token cache,
//! claims and the auth object. Nothing here knows about actix or HTTP
//! requests; the request layer ([`crate::authenticate`]) and the actix layer
//! ([`crate::actix`]) build on it.

pub(crate) mod accepts;
pub(crate) mod auth;
pub(crate) mod authorization;
pub(crate) mod cache;
pub(crate) mod claims;
pub(crate) mod error;
pub(crate) mod json;
pub(crate) mod keys;
pub(crate) mod machine;
pub(crate) mod machine_cache;
pub(crate) mod opaque_guard;
pub(crate) mod options;
pub(crate) mod peek;
pub(crate) mod token;
pub(crate) mod token_kind;
pub(crate) mod token_type;
