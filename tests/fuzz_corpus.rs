//! Replays the fuzz targets' seed corpus (`fuzz/corpus/<target>/seed-*`)
//! through the same entry points, on stable, so CI exercises every target
//! and every crash a fuzz run found stays fixed (its input is kept there as
//! `seed-regression-*`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use clerk_actix::__fuzz::{self, CookieTarget, TokenTarget, WebhookTarget};
use clerk_actix::clock::Clock;
use clerk_actix::Clerk;

const PUBLIC_KEY: &str = include_str!("conformance/signing-key.public.pem");
/// The conformance data's frozen clock (its test tokens are valid then).
const TOKENS_NOW_MS: i64 = 1_666_648_250_000;
const WEBHOOK_SECRET: &str = "whsec_dGVzdF9zaWduaW5nX3NlY3JldF8zMl9jaGFyc19sb25n";
const WEBHOOK_NOW_MS: i64 = 1_700_000_001_234;

/// Every seed of `target`, by file name.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut seeds: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("seed-"))
        })
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    seeds.sort();
    assert!(seeds.len() >= 3, "{target}: only {} seeds", seeds.len());
    seeds
}

#[test]
fn authorization_header_corpus() {
    for (_, data) in seeds("authorization_header") {
        __fuzz::authorization_header(&data);
    }
}

#[test]
fn session_token_corpus() {
    let target = TokenTarget::new(PUBLIC_KEY, TOKENS_NOW_MS);
    for (_, data) in seeds("session_token") {
        target.check(&data);
    }
    // The target's key and clock are the ones the valid seed verifies with,
    // so fuzzing starts from the success path, not only from rejections.
    let clerk = Clerk::builder()
        .jwt_key(PUBLIC_KEY)
        .clock(Clock::fixed_millis(TOKENS_NOW_MS))
        .build()
        .unwrap();
    let valid = seeds("session_token")
        .into_iter()
        .find(|(name, _)| name == "seed-valid")
        .unwrap()
        .1;
    let token = String::from_utf8(valid).unwrap();
    actix_web::rt::System::new()
        .block_on(clerk.verify_token(&token))
        .unwrap();
}

#[test]
fn publishable_key_corpus() {
    for (_, data) in seeds("publishable_key") {
        __fuzz::publishable_key(&data);
    }
}

#[test]
fn webhook_corpus() {
    let target = WebhookTarget::new(WEBHOOK_SECRET, WEBHOOK_NOW_MS);
    for (_, data) in seeds("webhook") {
        target.check(&data);
    }
}

#[test]
fn backend_json_corpus() {
    for (_, data) in seeds("backend_json") {
        __fuzz::backend_json(&data);
    }
}

#[test]
fn cookies_corpus() {
    let targets = [
        "pk_test_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA",
        "pk_live_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA",
    ]
    .map(|key| CookieTarget::new(PUBLIC_KEY, key, TOKENS_NOW_MS));
    for (_, data) in seeds("cookies") {
        for target in &targets {
            target.check(&data);
        }
    }
}

#[test]
fn org_pattern_corpus() {
    let seeds = seeds("org_pattern");
    assert!(seeds.len() >= 5);
    for (_, data) in seeds {
        __fuzz::org_pattern(&data);
    }
}

#[test]
fn proxy_headers_corpus() {
    let seeds = seeds("proxy_headers");
    assert!(seeds.len() >= 2);
    for (_, data) in seeds {
        __fuzz::proxy_headers(&data);
    }
}
