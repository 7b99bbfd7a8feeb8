//! Hostile tokens: each gets its reason code, never a panic.

use std::time::Duration;

use clerk_actix::testing::{Segment, StandIn, TestIssuer};
use clerk_actix::{Clerk, Reason};

fn networkless(issuer: &TestIssuer) -> Clerk {
    Clerk::builder()
        .jwt_key(issuer.public_key_pem())
        .build()
        .unwrap()
}

async fn reason(clerk: &Clerk, token: &str) -> Reason {
    clerk.verify_token(token).await.unwrap_err().reason()
}

#[actix_web::test]
async fn algorithm_attacks_are_rejected() {
    let issuer = TestIssuer::generate().unwrap();
    let clerk = networkless(&issuer);
    let none = issuer.session("user_1").header("alg", "none").sign();
    assert_eq!(reason(&clerk, &none).await, Reason::TokenInvalidAlgorithm);
    let hs256 = issuer.session("user_1").hs256_with_public_key().sign();
    assert_eq!(reason(&clerk, &hs256).await, Reason::TokenInvalidAlgorithm);
    for alg in ["ES256", "PS256", "", "rs256"] {
        let token = issuer.session("user_1").header("alg", alg).sign();
        assert_eq!(
            reason(&clerk, &token).await,
            Reason::TokenInvalidAlgorithm,
            "{alg}"
        );
    }
    let numeric = issuer.session("user_1").header("alg", 256).sign();
    assert_eq!(
        reason(&clerk, &numeric).await,
        Reason::TokenInvalidAlgorithm
    );
    let missing = issuer.session("user_1").without_header("alg").sign();
    assert_eq!(
        reason(&clerk, &missing).await,
        Reason::TokenInvalidAlgorithm
    );
}

#[actix_web::test]
async fn rs384_header_against_an_rs256_jwk_fails_verification() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in.clerk().unwrap();
    let token = stand_in
        .session_token("user_1")
        .header("alg", "RS384")
        .sign();
    assert_eq!(
        reason(&clerk, &token).await,
        Reason::TokenVerificationFailed
    );
}

#[actix_web::test]
async fn another_key_and_tampering_fail_the_signature() {
    let issuer = TestIssuer::generate().unwrap();
    let other = TestIssuer::generate().unwrap();
    let clerk = networkless(&issuer);
    let forged = issuer.session("user_1").signed_by(&other).sign();
    assert_eq!(reason(&clerk, &forged).await, Reason::TokenInvalidSignature);

    let genuine = issuer.session("user_1").sign();
    let admin = issuer.session("user_admin").sign();
    let parts: Vec<&str> = genuine.split('.').collect();
    let admin_parts: Vec<&str> = admin.split('.').collect();
    let spliced = format!("{}.{}.{}", parts[0], admin_parts[1], parts[2]);
    assert_eq!(
        reason(&clerk, &spliced).await,
        Reason::TokenInvalidSignature
    );
}

#[actix_web::test]
async fn malformed_forms_are_token_invalid() {
    let issuer = TestIssuer::generate().unwrap();
    let clerk = networkless(&issuer);
    let token = issuer.session("user_1").sign();
    let parts: Vec<&str> = token.split('.').collect();
    let cases = [
        format!("{}.{}", parts[0], parts[1]),
        format!("{token}.{}", parts[2]),
        String::new(),
        ".".repeat(2),
        issuer.session("user_1").corrupt(Segment::Header).sign(),
        issuer.session("user_1").corrupt(Segment::Payload).sign(),
        issuer.session("user_1").corrupt(Segment::Signature).sign(),
        issuer.session("user_1").raw_header("not json").sign(),
        issuer.session("user_1").raw_payload("{\"sub\": ").sign(),
        issuer.session("user_1").raw_payload("[1,2,3]").sign(),
        issuer.session("user_1").raw_header("\"RS256\"").sign(),
        "é.é.é".to_owned(),
        "\u{0}.\u{0}.\u{0}".to_owned(),
    ];
    for case in cases {
        assert_eq!(
            reason(&clerk, &case).await,
            Reason::TokenInvalid,
            "{case:?}"
        );
    }
}

#[actix_web::test]
async fn oversized_tokens_are_rejected_before_decoding() {
    let issuer = TestIssuer::generate().unwrap();
    let clerk = networkless(&issuer);
    let huge = issuer
        .session("user_1")
        .claim("padding", "x".repeat(1024 * 1024))
        .sign();
    let err = clerk.verify_token(&huge).await.unwrap_err();
    assert_eq!(err.reason(), Reason::TokenInvalid);
    assert!(err.message().contains("longer than 16384 bytes"));
    let just_text = "a".repeat(1024 * 1024);
    assert_eq!(reason(&clerk, &just_text).await, Reason::TokenInvalid);
}

#[actix_web::test]
async fn claim_types_are_checked() {
    let issuer = TestIssuer::generate().unwrap();
    let clerk = networkless(&issuer);
    let exp_string = issuer.session("user_1").claim("exp", "9999999999").sign();
    assert_eq!(
        reason(&clerk, &exp_string).await,
        Reason::TokenVerificationFailed
    );
    let no_exp = issuer.session("user_1").without_claim("exp").sign();
    assert_eq!(
        reason(&clerk, &no_exp).await,
        Reason::TokenVerificationFailed
    );
    let nbf_object = issuer
        .session("user_1")
        .claim("nbf", serde_json::json!({}))
        .sign();
    assert_eq!(
        reason(&clerk, &nbf_object).await,
        Reason::TokenVerificationFailed
    );
    let sub_number = issuer.session("user_1").claim("sub", 42).sign();
    assert_eq!(
        reason(&clerk, &sub_number).await,
        Reason::TokenVerificationFailed
    );
    let typ = issuer.session("user_1").header("typ", "at+jwt").sign();
    assert_eq!(reason(&clerk, &typ).await, Reason::TokenInvalid);
    let m2m = issuer
        .session("user_1")
        .header("cat", "cl_B7d4PD333AAA")
        .sign();
    assert_eq!(reason(&clerk, &m2m).await, Reason::TokenInvalid);
    let huge_exp = issuer.session("user_1").claim("exp", 1e300).sign();
    assert!(clerk.verify_token(&huge_exp).await.is_ok());
    let negative = issuer.session("user_1").claim("exp", -1e300).sign();
    assert_eq!(reason(&clerk, &negative).await, Reason::TokenExpired);
}

#[actix_web::test]
async fn time_claims_with_skew() {
    let issuer = TestIssuer::generate().unwrap();
    let clerk = networkless(&issuer);
    let expired = issuer
        .session("user_1")
        .expired(Duration::from_secs(6))
        .sign();
    assert_eq!(reason(&clerk, &expired).await, Reason::TokenExpired);
    let within_skew = issuer
        .session("user_1")
        .expired(Duration::from_secs(2))
        .sign();
    assert!(clerk.verify_token(&within_skew).await.is_ok());
    let now = clerk_actix::Clock::system().now_millis() / 1000;
    let future = issuer.session("user_1").issued_at(now + 60).sign();
    assert_eq!(reason(&clerk, &future).await, Reason::TokenNotActiveYet);
}

/// A small deterministic generator, so failures reproduce.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[actix_web::test]
async fn mutated_tokens_never_panic_and_never_verify() {
    let issuer = TestIssuer::generate().unwrap();
    let clerk = networkless(&issuer);
    let token = issuer.session("user_1").sign();
    let alphabet = b"AZaz09-_.=+/ \\\"{}";
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut mutated = 0;
    for _ in 0..3_000 {
        let mut bytes = token.clone().into_bytes();
        for _ in 0..=rng.below(3) {
            if bytes.is_empty() {
                break;
            }
            match rng.below(4) {
                0 => {
                    let i = rng.below(bytes.len());
                    bytes[i] = alphabet[rng.below(alphabet.len())];
                }
                1 => {
                    let i = rng.below(bytes.len());
                    bytes.truncate(i);
                }
                2 => {
                    let i = rng.below(bytes.len() + 1);
                    bytes.insert(i, alphabet[rng.below(alphabet.len())]);
                }
                _ => {
                    let i = rng.below(bytes.len());
                    bytes.remove(i);
                }
            }
        }
        let Ok(candidate) = String::from_utf8(bytes) else {
            continue;
        };
        if candidate == token {
            continue;
        }
        mutated += 1;
        if let Ok(claims) = clerk.verify_token(&candidate).await {
            // Only changes base64 ignores (trailing bits, padding) may pass,
            // and then the claims are the original ones.
            assert_eq!(claims.user_id(), "user_1", "{candidate}");
        }
    }
    assert!(mutated > 2_500);
}
