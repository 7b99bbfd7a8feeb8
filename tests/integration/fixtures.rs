//! The conformance vectors recorded from the real Clerk packages, copied from
//! `../shared/conformance/` into `tests/conformance/` (MIT-licensed data).

use std::path::PathBuf;

use clerk_actix::clock::Clock;
use clerk_actix::testing::TestIssuer;
use clerk_actix::Clerk;
use serde_json::Value;

pub(crate) fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/conformance")
        .join(name)
}

pub(crate) fn text(name: &str) -> String {
    std::fs::read_to_string(path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub(crate) fn json(name: &str) -> Value {
    serde_json::from_str(&text(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub(crate) fn token(name: &str) -> String {
    text(name).trim().to_owned()
}

/// The backend oracle file.
pub(crate) fn oracle() -> Value {
    json("oracle.authenticate-request.backend-3.25.0.json")
}

/// A token from the oracle's `generatedTokens`.
pub(crate) fn generated(name: &str) -> String {
    oracle()["generatedTokens"][name]
        .as_str()
        .unwrap_or_else(|| panic!("no generated token {name}"))
        .to_owned()
}

/// The frozen time of Clerk's fixtures.
pub(crate) const FROZEN_MS: i64 = 1_666_648_250_000;

/// Networkless verification with Clerk's test public key, at `now_ms`.
pub(crate) fn networkless_clerk(now_ms: i64) -> Clerk {
    Clerk::builder()
        .jwt_key(text("signing-key.public.pem"))
        .clock(Clock::fixed_millis(now_ms))
        .build()
        .expect("networkless config")
}

/// An issuer with Clerk's own test signing key, so tokens it signs verify
/// against the fixtures' JWKS and PEM.
pub(crate) fn clerk_test_issuer() -> TestIssuer {
    TestIssuer::from_private_key_pem(
        &text("signing-key.private.pem"),
        "ins_2GIoQhbUpy0hX7B2cVkuTMinXoD",
    )
    .expect("Clerk's test key")
}
