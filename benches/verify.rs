//! Session-token verification, next to a bare `jsonwebtoken::decode` of the
//! same token and a bare aws-lc-rs RSA signature check, in the same run.
//!
//! ```sh
//! cargo bench --bench verify
//! ```

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::hint::black_box;

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::Engine as _;
use clerk_actix::testing::{TestIssuer, TestOrg};
use clerk_actix::Clerk;
use criterion::{criterion_group, criterion_main, Criterion};
use futures_util::FutureExt as _;

fn pem_body_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap_or_default()
}

fn verification(c: &mut Criterion) {
    let issuer = TestIssuer::generate().expect("issuer");
    let token = issuer
        .session("user_2GIpXOEpVyJw51rkZn9Kmnc6Sxr")
        .organization(
            TestOrg::new("org_1", "admin")
                .slug("acme")
                .permissions(["org:invoices:read"]),
        )
        .lifetime(std::time::Duration::from_secs(24 * 3600))
        .sign();
    let pem = issuer.public_key_pem();

    let cached = Clerk::builder()
        .jwt_key(pem.clone())
        .build()
        .expect("clerk");
    let uncached = Clerk::builder()
        .jwt_key(pem.clone())
        .token_cache_capacity(0)
        .build()
        .expect("clerk");
    assert!(cached
        .verify_token(&token)
        .now_or_never()
        .is_some_and(|r| r.is_ok()));

    // The baseline: jsonwebtoken with its aws_lc_rs backend, key built once.
    let jwk = issuer.jwk();
    let key = jsonwebtoken::DecodingKey::from_rsa_components(
        jwk["n"].as_str().unwrap_or_default(),
        jwk["e"].as_str().unwrap_or_default(),
    )
    .expect("key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.leeway = 5;
    validation.validate_nbf = true;
    validation.validate_aud = false;
    assert!(jsonwebtoken::decode::<serde_json::Value>(&token, &key, &validation).is_ok());

    // The floor: the RSA check alone, key parsed once.
    let parsed =
        ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, pem_body_der(&pem)).expect("key");
    let (signing_input, signature) = token.rsplit_once('.').expect("jwt");
    let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(signature)
        .expect("signature");
    assert!(parsed
        .verify_sig(signing_input.as_bytes(), &signature)
        .is_ok());

    let mut group = c.benchmark_group("verify");
    group.bench_function("rsa_signature_only", |b| {
        b.iter(|| parsed.verify_sig(black_box(signing_input.as_bytes()), black_box(&signature)))
    });
    group.bench_function("jsonwebtoken_decode", |b| {
        b.iter(|| jsonwebtoken::decode::<serde_json::Value>(black_box(&token), &key, &validation))
    });
    group.bench_function("clerk_cache_miss", |b| {
        b.iter(|| uncached.verify_token(black_box(&token)).now_or_never())
    });
    group.bench_function("clerk_cache_hit", |b| {
        b.iter(|| cached.verify_token(black_box(&token)).now_or_never())
    });
    group.finish();
}

criterion_group!(benches, verification);
criterion_main!(benches);
