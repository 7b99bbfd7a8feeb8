//! Unit tests of the pure verifier; the full suite (conformance vectors,
//! tampering, the extractor) is in `tests/integration/webhooks.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

const SECRET: &str = "whsec_dGVzdF9zaWduaW5nX3NlY3JldF8zMl9jaGFyc19sb25n";
const BODY: &[u8] = br#"{"type":"user.created","data":{"id":"user_123"}}"#;
const SIGNATURE: &str = "v1,kLln/mW/qoI9eUisvvoz9O/1VqBkTyNgcAAorkVSisc=";

fn verifier_at(seconds: i64) -> WebhookVerifier {
    WebhookVerifier::builder()
        .secret(SECRET)
        .clock(Clock::fixed_millis(seconds * 1000))
        .build()
        .unwrap()
}

#[test]
fn sign_entry_reproduces_the_clerk_vector() {
    let key = parse_secret(SECRET).unwrap();
    assert_eq!(sign_entry(&key, "msg_123", 1_700_000_000, BODY), SIGNATURE);
}

#[test]
fn secret_without_prefix_is_the_same_key_ok() {
    let bare = SECRET.strip_prefix("whsec_").unwrap();
    let key = parse_secret(bare).unwrap();
    assert_eq!(sign_entry(&key, "msg_123", 1_700_000_000, BODY), SIGNATURE);
}

#[test]
fn secret_empty_or_not_base64_fails() {
    for bad in ["", "   ", "whsec_", "whsec_%%%", "not base64!"] {
        let err = WebhookVerifier::new(bad).unwrap_err();
        assert!(
            matches!(
                err,
                WebhookConfigError::InvalidSecret {
                    origin: "WebhookVerifierBuilder::secret",
                    ..
                }
            ),
            "{bad:?}: {err:?}"
        );
    }
}

#[test]
fn zero_body_limit_fails() {
    let err = WebhookVerifier::builder()
        .secret(SECRET)
        .body_limit(0)
        .build()
        .unwrap_err();
    assert!(matches!(err, WebhookConfigError::InvalidSetting { .. }));
}

#[test]
fn timestamp_parsing_is_strict() {
    assert_eq!(parse_timestamp(b"1700000000"), Some(1_700_000_000));
    assert_eq!(parse_timestamp(b"-5"), Some(-5));
    for bad in [
        &b"1700000000.5"[..],
        b"1e9",
        b"17000abc",
        b"",
        b"\xff\xfe",
        b"99999999999999999999",
    ] {
        assert_eq!(parse_timestamp(bad), None, "{bad:?}");
    }
}

#[test]
fn extreme_timestamps_do_not_overflow_fails() {
    let verifier = verifier_at(1_700_000_000);
    for (ts, expected) in [
        (i64::MAX.to_string(), WebhookError::TimestampTooNew),
        (i64::MIN.to_string(), WebhookError::TimestampTooOld),
    ] {
        let err = verifier
            .verify(WebhookHeaders::new("msg_123", &ts, SIGNATURE), BODY)
            .unwrap_err();
        assert_eq!(err, expected);
    }
}

#[test]
fn debug_hides_the_secret() {
    let verifier = verifier_at(0);
    let shown = format!(
        "{verifier:?} {:?}",
        WebhookVerifier::builder().secret(SECRET)
    );
    assert!(!shown.contains("dGVzdF9z"), "{shown}");
    assert!(shown.contains("whsec_****"), "{shown}");
}

#[test]
fn every_event_type_of_clerks_spec_decodes_typed() {
    let examples = super::examples_generated::EVENT_EXAMPLES;
    assert_eq!(examples.len(), 45);
    let mut untyped = Vec::new();
    for (event_type, example) in examples {
        let event: WebhookEvent = serde_json::from_str(example).unwrap();
        assert_eq!(event.event_type, *event_type);
        if matches!(event.data, EventData::Other(_)) {
            untyped.push(*event_type);
        } else {
            assert!(event.data.id().is_some(), "{event_type}: no id");
        }
    }
    let billing = ["paymentAttempt.", "subscription.", "subscriptionItem."];
    let expected: Vec<&str> = if cfg!(feature = "billing") {
        Vec::new()
    } else {
        examples
            .iter()
            .map(|(t, _)| *t)
            .filter(|t| billing.iter().any(|b| t.starts_with(b)))
            .collect()
    };
    assert_eq!(untyped, expected);
}
