//! jsonwebtoken 10+ picks its crypto backend per process: with neither or both
//! of its `aws_lc_rs`/`rust_crypto` features (easy to get through feature
//! unification in a user's app), its first sign or verify panics. This crate
//! verifies with aws-lc-rs directly and never asks jsonwebtoken's process-wide
//! provider, so whatever the app ends up with cannot break verification.
//!
//! A separate test binary, because the provider is process-global: we install
//! one that panics on use, then verify.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use clerk_actix::testing::TestIssuer;
use clerk_actix::Clerk;
use jsonwebtoken::crypto::{CryptoProvider, KeyUtils};

static EXPLODING: CryptoProvider = CryptoProvider {
    signer_factory: |_, _| panic!("jsonwebtoken's process-wide signer was used"),
    verifier_factory: |_, _| panic!("jsonwebtoken's process-wide verifier was used"),
    key_utils: KeyUtils::new_unimplemented(),
};

#[actix_web::test]
async fn verification_never_uses_the_process_wide_jsonwebtoken_provider() {
    assert!(EXPLODING.install_default().is_ok());
    let issuer = TestIssuer::generate().unwrap();
    let clerk = Clerk::builder()
        .jwt_key(issuer.public_key_pem())
        .build()
        .unwrap();
    let claims = clerk
        .verify_token(&issuer.session("user_1").sign())
        .await
        .expect("verifies without jsonwebtoken's provider");
    assert_eq!(claims.user_id(), "user_1");
    let forged = issuer
        .session("user_1")
        .signed_by(&TestIssuer::generate().unwrap())
        .sign();
    assert!(clerk.verify_token(&forged).await.is_err());
}
