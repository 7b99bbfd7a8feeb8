//! Integration tests: one binary, modules by subject. Each test starts what it
//! needs (a stand-in Backend API on 127.0.0.1, a token issuer) through the
//! crate's own testing kit.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser_path;
mod budget;
mod client;
mod client_errors;
mod client_models;
mod conformance;
mod faults;
mod fixtures;
mod hostile;
mod jwks;
mod log_hygiene;
mod logs;
mod machine;
mod middleware;
mod multi_domain;
mod oracle;
mod redis;
mod rejections;
mod soak;
mod testing_kit;
mod webhooks;
mod ws;
