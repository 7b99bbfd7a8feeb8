//! Webhooks: the conformance vector, the Standard Webhooks vector, tampering,
//! headers, timestamps, bodies and event types — through the pure verifier
//! and through the `Webhook` extractor in an actix test service.

use actix_http::Request;
use actix_web::dev::{Payload, Service, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::test as atest;
use actix_web::web::Bytes;
use actix_web::{web, App, FromRequest, HttpResponse};
use clerk_actix::clock::Clock;
use clerk_actix::testing::{SignedWebhook, WebhookSigner};
use clerk_actix::webhooks::{
    EventData, Webhook, WebhookConfigError, WebhookError, WebhookEvent, WebhookHeaders,
    WebhookRejection, WebhookVerifier,
};
use serde_json::{json, Value};
use std::time::Duration;

use crate::fixtures;

/// Clerk's vector: secret, id, timestamp and body of @clerk/backend's tests.
fn vector() -> Value {
    fixtures::json("webhook.vector.json")
}

fn field(vector: &Value, name: &str) -> String {
    vector[name]
        .as_str()
        .unwrap_or_else(|| panic!("vector has no {name}"))
        .to_owned()
}

const NOW: i64 = 1_700_000_000;
const SECRET: &str = "whsec_dGVzdF9zaWduaW5nX3NlY3JldF8zMl9jaGFyc19sb25n";
const OTHER_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const USER_CREATED: &str = r#"{"type":"user.created","object":"event","data":{"object":"user","id":"user_1","first_name":"Ada"}}"#;

fn verifier_at(now_secs: i64) -> WebhookVerifier {
    WebhookVerifier::builder()
        .secret(SECRET)
        .clock(Clock::fixed_millis(now_secs * 1000))
        .build()
        .unwrap()
}

fn signer() -> WebhookSigner {
    WebhookSigner::new(SECRET).unwrap()
}

fn signed(body: impl Into<Vec<u8>>) -> SignedWebhook {
    signer().sign_at("msg_1", NOW, body)
}

fn verify(signed: &SignedWebhook) -> Result<Webhook, WebhookError> {
    verifier_at(NOW).verify(signed.webhook_headers(), signed.body())
}

// ------------------------------------------------------------- vectors --

#[test]
fn clerk_vector_verifies_inside_its_window_ok() {
    let v = vector();
    let window = v["valid_when_now_unix_seconds_within"].as_array().unwrap();
    let (first, last) = (window[0].as_i64().unwrap(), window[1].as_i64().unwrap());
    let (id, ts, sig, body) = (
        field(&v, "svix-id"),
        field(&v, "svix-timestamp"),
        field(&v, "svix-signature"),
        field(&v, "body"),
    );
    let verifier = |now: i64| {
        WebhookVerifier::builder()
            .secret(field(&v, "signing_secret"))
            .clock(Clock::fixed_millis(now * 1000))
            .build()
            .unwrap()
    };
    let headers = WebhookHeaders::new(&id, &ts, &sig);
    for now in [first, 1_700_000_001, last] {
        let webhook = verifier(now).verify(headers, body.as_bytes()).unwrap();
        let expected = &v["expected_result"];
        assert_eq!(webhook.id(), "msg_123");
        assert_eq!(webhook.timestamp(), 1_700_000_000);
        assert_eq!(webhook.event_type, expected["type"].as_str().unwrap());
        assert_eq!(webhook.object, expected["object"].as_str().unwrap());
        let EventData::User(user) = &webhook.data else {
            panic!("user.created decodes to a user: {:?}", webhook.data)
        };
        assert_eq!(user.id, expected["data"]["id"].as_str().unwrap());
        // Absent in the body, absent in the event.
        assert_eq!(webhook.event_attributes, None);
        assert_eq!(webhook.timestamp, None);
        assert_eq!(webhook.instance_id, None);
        let raw = verifier(now)
            .verify_as::<Value>(headers, body.as_bytes())
            .unwrap();
        assert_eq!(raw.event()["data"], expected["data"]);
    }
    assert_eq!(
        verifier(first - 1)
            .verify(headers, body.as_bytes())
            .unwrap_err(),
        WebhookError::TimestampTooNew
    );
    assert_eq!(
        verifier(last + 1)
            .verify(headers, body.as_bytes())
            .unwrap_err(),
        WebhookError::TimestampTooOld
    );
}

#[test]
fn clerk_vector_is_reproduced_by_the_signer_ok() {
    let v = vector();
    let signer = WebhookSigner::new(&field(&v, "signing_secret")).unwrap();
    let signed = signer.sign_at(field(&v, "svix-id"), NOW, field(&v, "body"));
    assert_eq!(signed.signature(), field(&v, "svix-signature"));
}

/// The test vector of the Standard Webhooks spec, under its own header names.
#[test]
fn standard_webhooks_vector_verifies_with_webhook_headers_ok() {
    let secret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    let body = br#"{"email":"test@example.com","username":"test_user"}"#;
    let sent = [
        ("webhook-id", "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk"),
        ("webhook-timestamp", "1649367553"),
        (
            "webhook-signature",
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=",
        ),
    ];
    let headers = WebhookHeaders::from_fn(|name| {
        sent.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_bytes())
    });
    let verifier = WebhookVerifier::builder()
        .secret(secret)
        .clock(Clock::fixed_millis(1_649_367_553_000 + 10_000))
        .build()
        .unwrap();
    let raw = verifier.verify_as::<Value>(headers, body).unwrap();
    assert_eq!(raw.id(), "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk");
    assert_eq!(raw.event()["username"], "test_user");

    let signer = WebhookSigner::new(secret).unwrap();
    let signed = signer.sign_at("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1_649_367_553, &body[..]);
    assert_eq!(
        signed.signature(),
        "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
    );
}

// ----------------------------------------------------------- tampering --

#[test]
fn body_with_any_one_byte_changed_fails() {
    let original = signed(USER_CREATED);
    assert!(verify(&original).is_ok());
    let headers = original.webhook_headers();
    for i in 0..original.body().len() {
        let mut body = original.body().to_vec();
        body[i] ^= 0x01;
        assert_eq!(
            verifier_at(NOW).verify(headers, &body).unwrap_err(),
            WebhookError::NoMatchingSignature,
            "byte {i}"
        );
    }
    let mut longer = original.body().to_vec();
    longer.push(b' ');
    assert_eq!(
        verifier_at(NOW).verify(headers, &longer).unwrap_err(),
        WebhookError::NoMatchingSignature
    );
}

#[test]
fn changed_id_timestamp_or_signature_fails() {
    let s = signed(USER_CREATED);
    let ts = s.timestamp().to_string();
    let body = s.body();
    let v = verifier_at(NOW);
    assert!(v
        .verify(WebhookHeaders::new("msg_1", &ts, s.signature()), body)
        .is_ok());

    let other_id = WebhookHeaders::new("msg_2", &ts, s.signature());
    assert_eq!(
        v.verify(other_id, body).unwrap_err(),
        WebhookError::NoMatchingSignature
    );

    let next_second = (NOW + 1).to_string();
    let other_ts = WebhookHeaders::new("msg_1", &next_second, s.signature());
    assert_eq!(
        v.verify(other_ts, body).unwrap_err(),
        WebhookError::NoMatchingSignature
    );

    // One character of the base64, then a truncated and an empty signature.
    let sig = s.signature();
    let last = sig.len() - 2;
    let flipped_char = if &sig[last..last + 1] == "A" {
        "B"
    } else {
        "A"
    };
    let flipped = format!("{}{}{}", &sig[..last], flipped_char, &sig[last + 1..]);
    let truncated = &sig[..sig.len() - 4];
    for bad in [flipped.as_str(), truncated, "v1,", "v1,not-base64!!", "v1"] {
        let headers = WebhookHeaders::new("msg_1", &ts, bad);
        assert_eq!(
            v.verify(headers, body).unwrap_err(),
            WebhookError::NoMatchingSignature,
            "{bad}"
        );
    }
}

#[test]
fn signature_made_with_another_secret_fails() {
    let forged = WebhookSigner::new(OTHER_SECRET)
        .unwrap()
        .sign_at("msg_1", NOW, USER_CREATED);
    assert_eq!(
        verify(&forged).unwrap_err(),
        WebhookError::NoMatchingSignature
    );
}

#[test]
fn several_signatures_valid_first_or_last_ok() {
    let s = signed(USER_CREATED);
    let ts = s.timestamp().to_string();
    let other = WebhookSigner::new(OTHER_SECRET)
        .unwrap()
        .sign_at("msg_1", NOW, USER_CREATED);
    let valid = s.signature();
    let wrong = other.signature();
    let v = verifier_at(NOW);
    for list in [
        format!("{valid} {wrong}"),
        format!("{wrong} {wrong} {valid}"),
        format!("v2,abc  {wrong}   {valid}"),
    ] {
        assert!(
            v.verify(WebhookHeaders::new("msg_1", &ts, &list), s.body())
                .is_ok(),
            "{list}"
        );
    }
    let all_wrong = format!("{wrong} {wrong}");
    assert_eq!(
        v.verify(WebhookHeaders::new("msg_1", &ts, &all_wrong), s.body())
            .unwrap_err(),
        WebhookError::NoMatchingSignature
    );
}

#[test]
fn valid_signature_under_another_version_fails() {
    let s = signed(USER_CREATED);
    let ts = s.timestamp().to_string();
    let b64 = s.signature().strip_prefix("v1,").unwrap();
    for entry in [
        format!("v1a,{b64}"),
        format!("v2,{b64}"),
        format!("V1,{b64}"),
        b64.to_owned(),
    ] {
        let headers = WebhookHeaders::new("msg_1", &ts, &entry);
        assert_eq!(
            verifier_at(NOW).verify(headers, s.body()).unwrap_err(),
            WebhookError::NoMatchingSignature,
            "{entry}"
        );
    }
}

// ------------------------------------------------------------- headers --

#[test]
fn each_header_missing_or_blank_is_named_fails() {
    let s = signed(USER_CREATED);
    let ts = s.timestamp().to_string();
    let full = [s.id(), ts.as_str(), s.signature()];
    let names = ["svix-id", "svix-timestamp", "svix-signature"];
    for i in 0..3 {
        for blank in ["", "   ", " \t "] {
            let mut values = full;
            values[i] = blank;
            let headers = WebhookHeaders::new(values[0], values[1], values[2]);
            assert_eq!(
                verifier_at(NOW).verify(headers, s.body()).unwrap_err(),
                WebhookError::MissingHeaders {
                    names: vec![names[i]]
                },
                "{} = {blank:?}",
                names[i]
            );
        }
        // Absent rather than blank.
        let headers = WebhookHeaders::from_fn(|name| {
            names
                .iter()
                .position(|n| *n == name)
                .filter(|&at| at != i)
                .map(|at| full[at].as_bytes())
        });
        assert_eq!(
            verifier_at(NOW).verify(headers, s.body()).unwrap_err(),
            WebhookError::MissingHeaders {
                names: vec![names[i]]
            }
        );
    }
    let err = verifier_at(NOW)
        .verify(WebhookHeaders::default(), s.body())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Missing required webhook headers: svix-id, svix-timestamp, svix-signature"
    );
}

#[test]
fn headers_are_trimmed_ok() {
    let s = signed(USER_CREATED);
    let ts = format!("  {}\t", s.timestamp());
    let id = format!(" {} ", s.id());
    let sig = format!(" {}  ", s.signature());
    let webhook = verifier_at(NOW)
        .verify(WebhookHeaders::new(&id, &ts, &sig), s.body())
        .unwrap();
    assert_eq!(webhook.id(), "msg_1");
}

fn raw_headers<'a>(id: &'a [u8], ts: &'a [u8], sig: &'a [u8]) -> WebhookHeaders<'a> {
    WebhookHeaders::from_fn(move |name| match name {
        "svix-id" => Some(id),
        "svix-timestamp" => Some(ts),
        "svix-signature" => Some(sig),
        _ => None,
    })
}

#[test]
fn non_utf8_header_values_do_not_panic_fails() {
    let s = signed(USER_CREATED);
    let ts = s.timestamp().to_string();
    let (ts, sig) = (ts.as_bytes(), s.signature().as_bytes());
    let junk: &[u8] = b"\xff\xfe\x80";
    let v = verifier_at(NOW);
    assert!(v.verify(raw_headers(b"msg_1", ts, sig), s.body()).is_ok());
    assert_eq!(
        v.verify(raw_headers(junk, ts, sig), s.body()).unwrap_err(),
        WebhookError::NoMatchingSignature
    );
    assert_eq!(
        v.verify(raw_headers(b"msg_1", junk, sig), s.body())
            .unwrap_err(),
        WebhookError::TimestampNotInteger
    );
    assert_eq!(
        v.verify(raw_headers(b"msg_1", ts, junk), s.body())
            .unwrap_err(),
        WebhookError::NoMatchingSignature
    );
}

// ---------------------------------------------------------- timestamps --

#[test]
fn timestamp_within_299_seconds_either_way_ok() {
    for offset in [-300, -299, 0, 299, 300] {
        let s = signer().sign_at("msg_1", NOW + offset, USER_CREATED);
        assert!(verify(&s).is_ok(), "offset {offset}");
    }
}

#[test]
fn timestamp_301_seconds_away_fails() {
    let old = signer().sign_at("msg_1", NOW - 301, USER_CREATED);
    assert_eq!(verify(&old).unwrap_err(), WebhookError::TimestampTooOld);
    let new = signer().sign_at("msg_1", NOW + 301, USER_CREATED);
    assert_eq!(verify(&new).unwrap_err(), WebhookError::TimestampTooNew);
}

#[test]
fn tolerance_is_configurable_ok() {
    let verifier = WebhookVerifier::builder()
        .secret(SECRET)
        .clock(Clock::fixed_millis(NOW * 1000))
        .tolerance(Duration::from_secs(60))
        .build()
        .unwrap();
    let at = |offset: i64| signer().sign_at("msg_1", NOW + offset, USER_CREATED);
    let check = |s: SignedWebhook| verifier.verify(s.webhook_headers(), s.body()).map(|_| ());
    assert_eq!(check(at(60)), Ok(()));
    assert_eq!(check(at(-60)), Ok(()));
    assert_eq!(check(at(61)), Err(WebhookError::TimestampTooNew));
    assert_eq!(check(at(-61)), Err(WebhookError::TimestampTooOld));
}

#[test]
fn timestamp_that_is_not_an_integer_fails() {
    let s = signed(USER_CREATED);
    for ts in [
        "1700000000.0",
        "1.7e9",
        "abc",
        "0x6553F100",
        "1700000000s",
        "+-1",
    ] {
        let headers = WebhookHeaders::new("msg_1", ts, s.signature());
        assert_eq!(
            verifier_at(NOW).verify(headers, s.body()).unwrap_err(),
            WebhookError::TimestampNotInteger,
            "{ts}"
        );
    }
}

// -------------------------------------------------------------- bodies --

#[test]
fn body_over_the_limit_fails_and_at_the_limit_ok() {
    let verifier = WebhookVerifier::builder()
        .secret(SECRET)
        .clock(Clock::fixed_millis(NOW * 1000))
        .body_limit(USER_CREATED.len())
        .build()
        .unwrap();
    let s = signed(USER_CREATED);
    assert!(verifier.verify(s.webhook_headers(), s.body()).is_ok());
    let longer = signed(format!("{USER_CREATED} "));
    assert_eq!(
        verifier
            .verify(longer.webhook_headers(), longer.body())
            .unwrap_err(),
        WebhookError::BodyTooLarge {
            limit: USER_CREATED.len()
        }
    );
}

#[test]
fn non_json_body_fails() {
    for body in [
        &b"not json"[..],
        b"",
        b"{\"type\":",
        b"[]",
        b"\"user.created\"",
        b"null",
    ] {
        let err = verify(&signed(body)).unwrap_err();
        assert!(
            matches!(err, WebhookError::InvalidJson { .. }),
            "{body:?}: {err:?}"
        );
        assert_eq!(err.code(), "webhook_body_invalid");
    }
}

#[test]
fn non_utf8_body_fails_without_panicking() {
    let bodies: [&[u8]; 3] = [
        b"\xff\xfe\xfd",
        b"{\"type\":\"user.created\",\"data\":{\"id\":\"\xff\"}}",
        b"{\"type\":\"user.created\xc3\",\"data\":{}}",
    ];
    for body in bodies {
        let err = verify(&signed(body)).unwrap_err();
        assert!(matches!(err, WebhookError::InvalidJson { .. }), "{err:?}");
    }
}

#[test]
fn event_of_200_kb_verifies_ok() {
    let big = "x".repeat(200 * 1024);
    let body = json!({
        "type": "user.updated", "object": "event", "instance_id": "ins_1",
        "timestamp": 1_700_000_000_123_i64,
        "data": {"object": "user", "id": "user_big", "public_metadata": {"notes": big}},
    })
    .to_string();
    assert!(body.len() > 200 * 1024);
    let webhook = verify(&signed(body)).unwrap();
    let EventData::User(user) = &webhook.data else {
        panic!("a user")
    };
    assert_eq!(
        user.public_metadata["notes"].as_str().map(str::len),
        Some(200 * 1024)
    );
    assert_eq!(webhook.instance_id.as_deref(), Some("ins_1"));
    assert_eq!(webhook.timestamp, Some(1_700_000_000_123));
}

// --------------------------------------------------------------- events --

#[test]
fn unknown_event_type_decodes_to_raw_json_ok() {
    let body = r#"{"type":"subscription.invented","object":"event","data":{"id":"x_1","nested":{"a":[1,2]}}}"#;
    let webhook = verify(&signed(body)).unwrap();
    assert_eq!(webhook.event_type, "subscription.invented");
    let EventData::Other(raw) = &webhook.data else {
        panic!("raw JSON: {:?}", webhook.data)
    };
    assert_eq!(raw["nested"]["a"][1], 2);
    assert_eq!(webhook.data.id(), Some("x_1"));
}

#[test]
fn each_event_family_decodes_to_its_model_ok() {
    let cases = [
        (
            "user.created",
            json!({"object": "user", "id": "user_1"}),
            "User",
        ),
        (
            "session.created",
            json!({"object": "session", "id": "sess_1", "user_id": "user_1", "status": "active"}),
            "Session",
        ),
        (
            "session.ended",
            json!({"object": "session", "id": "sess_2"}),
            "Session",
        ),
        (
            "organization.created",
            json!({"object": "organization", "id": "org_1", "name": "Acme"}),
            "Organization",
        ),
        (
            "organizationMembership.created",
            json!({"object": "organization_membership", "id": "orgmem_1", "role": "org:admin", "organization": {"id": "org_1"}, "public_user_data": {"user_id": "user_1"}}),
            "OrganizationMembership",
        ),
        (
            "organizationInvitation.accepted",
            json!({"object": "organization_invitation", "id": "orginv_1", "status": "accepted"}),
            "OrganizationInvitation",
        ),
        (
            "email.created",
            json!({"object": "email", "id": "ema_1", "slug": "verification_code", "delivered_by_clerk": false}),
            "Email",
        ),
        (
            "sms.created",
            json!({"object": "sms_message", "id": "sms_1", "message": "123456"}),
            "Sms",
        ),
        (
            "role.created",
            json!({"object": "role", "id": "role_1", "key": "org:editor", "permissions": [{"id": "perm_1", "key": "org:posts:edit"}]}),
            "Role",
        ),
        (
            "permission.updated",
            json!({"object": "permission", "id": "perm_1", "key": "org:posts:edit", "type": "user"}),
            "Permission",
        ),
        (
            "waitlistEntry.created",
            json!({"object": "waitlist_entry", "id": "wle_1", "email_address": "ada@example.com", "status": "pending"}),
            "WaitlistEntry",
        ),
        (
            "user.deleted",
            json!({"object": "user", "id": "user_1", "deleted": true}),
            "Deleted",
        ),
        (
            "organization.deleted",
            json!({"object": "organization", "id": "org_1", "deleted": true}),
            "Deleted",
        ),
        (
            "role.deleted",
            json!({"object": "role", "id": "role_1", "deleted": true}),
            "Deleted",
        ),
        // Data that does not fit its model stays as sent, with the reason.
        (
            "user.created",
            json!({"object": "user", "id": 42}),
            "Undecoded",
        ),
        ("user.created", json!("not an object"), "Undecoded"),
        ("subscription.invented", json!("not an object"), "Other"),
    ];
    for (event_type, data, expected) in cases {
        let body = json!({"type": event_type, "object": "event", "data": data}).to_string();
        let webhook = verify(&signed(body)).unwrap();
        let got = match &webhook.data {
            EventData::User(_) => "User",
            EventData::Session(_) => "Session",
            EventData::Organization(_) => "Organization",
            EventData::OrganizationMembership(_) => "OrganizationMembership",
            EventData::OrganizationInvitation(_) => "OrganizationInvitation",
            EventData::Email(_) => "Email",
            EventData::Sms(_) => "Sms",
            EventData::Role(_) => "Role",
            EventData::Permission(_) => "Permission",
            EventData::WaitlistEntry(_) => "WaitlistEntry",
            EventData::Deleted(_) => "Deleted",
            EventData::Other(_) => "Other",
            EventData::Undecoded(_) => "Undecoded",
            _ => "unknown variant",
        };
        assert_eq!(got, expected, "{event_type}: {data}");
        if expected != "Other" && expected != "Undecoded" {
            assert_eq!(webhook.data.id(), data["id"].as_str(), "{event_type}");
        }
    }
}

/// A known type whose data does not fit its model says why (it used to
/// become `Other`, silently): the model, serde's error, the data as sent,
/// which is also what it serialises back to.
#[test]
fn known_event_type_with_bad_data_carries_the_decode_error_ok() {
    let data = json!({"object": "session", "id": "sess_1", "status": ["not", "a", "string"]});
    let body = json!({"type": "session.created", "object": "event", "data": data}).to_string();
    let webhook = verify(&signed(body)).unwrap();
    let EventData::Undecoded(undecoded) = &webhook.data else {
        panic!("undecoded: {:?}", webhook.data)
    };
    assert_eq!(undecoded.model(), "Session");
    assert_eq!(
        undecoded.error(),
        "invalid type: sequence, expected a string"
    );
    assert_eq!(undecoded.data(), &data);
    assert_eq!(webhook.data.id(), Some("sess_1"));
    assert_eq!(serde_json::to_value(&webhook.data).unwrap(), data);
    assert_eq!(undecoded.clone().into_data(), data);
}

#[test]
fn event_serialises_back_to_the_same_shape_ok() {
    let body = r#"{"type":"user.deleted","object":"event","timestamp":5,"data":{"object":"user","id":"user_1","deleted":true}}"#;
    let webhook = verify(&signed(body)).unwrap();
    let back = serde_json::to_value(webhook.event()).unwrap();
    assert_eq!(back["type"], "user.deleted");
    assert_eq!(back["data"]["deleted"], true);
    assert_eq!(back["data"]["id"], "user_1");
    assert_eq!(back["timestamp"], 5);
    assert!(back.get("instance_id").is_none());
}

// --------------------------------------------------------------- config --

#[test]
fn from_env_reads_the_signing_secret_or_names_the_variable() {
    // The only test touching this variable.
    std::env::remove_var("CLERK_WEBHOOK_SIGNING_SECRET");
    let err = WebhookVerifier::from_env().unwrap_err();
    assert_eq!(err, WebhookConfigError::MissingSecret);
    assert!(err.to_string().contains("CLERK_WEBHOOK_SIGNING_SECRET"));

    std::env::set_var("CLERK_WEBHOOK_SIGNING_SECRET", "  ");
    assert_eq!(
        WebhookVerifier::from_env().unwrap_err(),
        WebhookConfigError::MissingSecret
    );

    std::env::set_var("CLERK_WEBHOOK_SIGNING_SECRET", "whsec_!!!");
    let err = WebhookVerifier::from_env().unwrap_err();
    assert!(
        matches!(
            err,
            WebhookConfigError::InvalidSecret {
                origin: "CLERK_WEBHOOK_SIGNING_SECRET",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.to_string().contains("!!!"), "{err}");

    std::env::set_var("CLERK_WEBHOOK_SIGNING_SECRET", SECRET);
    let verifier = WebhookVerifier::from_env().unwrap();
    std::env::remove_var("CLERK_WEBHOOK_SIGNING_SECRET");
    let s = signer().sign(USER_CREATED);
    assert!(verifier.verify(s.webhook_headers(), s.body()).is_ok());
}

// ------------------------------------------------------------ extractor --

async fn hook(webhook: Webhook) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "svix_id": webhook.id(),
        "type": webhook.event_type,
        "id": webhook.data.id(),
    }))
}

async fn raw_hook(webhook: Webhook<Value>) -> HttpResponse {
    HttpResponse::Ok().json(webhook.into_event())
}

async fn own_errors(webhook: Result<Webhook, WebhookRejection>) -> HttpResponse {
    match webhook {
        Ok(_) => HttpResponse::Ok().finish(),
        Err(rejection) => HttpResponse::ImATeapot().body(rejection.to_string()),
    }
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/webhooks", web::post().to(hook))
        .route("/raw", web::post().to(raw_hook))
        .route("/own", web::post().to(own_errors));
}

async fn service(
    verifier: WebhookVerifier,
) -> impl Service<Request, Response = ServiceResponse, Error = actix_web::Error> {
    atest::init_service(
        App::new()
            .app_data(web::ThinData(verifier))
            .configure(routes),
    )
    .await
}

async fn post(
    app: &impl Service<Request, Response = ServiceResponse, Error = actix_web::Error>,
    path: &str,
    signed: &SignedWebhook,
) -> (u16, Value) {
    let res = atest::call_service(app, signed.test_request().uri(path).to_request()).await;
    let status = res.status().as_u16();
    let body = atest::read_body(res).await;
    let json =
        serde_json::from_slice(&body).unwrap_or_else(|_| json!(String::from_utf8_lossy(&body)));
    (status, json)
}

#[actix_web::test]
async fn extractor_hands_over_a_verified_event_ok() {
    let app = service(verifier_at(NOW)).await;
    let (status, body) = post(&app, "/webhooks", &signed(USER_CREATED)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"svix_id": "msg_1", "type": "user.created", "id": "user_1"})
    );

    let (status, body) = post(&app, "/raw", &signed(USER_CREATED)).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["first_name"], "Ada");
}

#[actix_web::test]
async fn extractor_finds_the_verifier_as_data_or_plain_app_data_ok() {
    for app in [
        atest::init_service(
            App::new()
                .app_data(web::Data::new(verifier_at(NOW)))
                .configure(routes),
        )
        .await,
        atest::init_service(App::new().app_data(verifier_at(NOW)).configure(routes)).await,
    ] {
        let (status, body) = post(&app, "/webhooks", &signed(USER_CREATED)).await;
        assert_eq!(status, 200, "{body}");
    }
}

#[actix_web::test]
async fn extractor_failure_is_a_400_saying_what_failed() {
    let app = service(verifier_at(NOW)).await;
    let forged = WebhookSigner::new(OTHER_SECRET)
        .unwrap()
        .sign_at("msg_1", NOW, USER_CREATED);
    let cases = [
        (
            forged,
            "webhook_signature_invalid",
            "No matching signature found",
        ),
        (
            signer().sign_at("msg_1", NOW - 301, USER_CREATED),
            "webhook_timestamp_too_old",
            "too old",
        ),
        (
            signer().sign_at("msg_1", NOW + 301, USER_CREATED),
            "webhook_timestamp_too_new",
            "too new",
        ),
        (
            signed("not json"),
            "webhook_body_invalid",
            "not the expected JSON",
        ),
        (
            signed(&b"\xff\xfe"[..]),
            "webhook_body_invalid",
            "not the expected JSON",
        ),
    ];
    for (signed, code, says) in cases {
        let res =
            atest::call_service(&app, signed.test_request().uri("/webhooks").to_request()).await;
        assert_eq!(res.status(), 400, "{code}");
        assert_eq!(
            res.headers().get("content-type").unwrap(),
            "application/json"
        );
        let text = String::from_utf8(atest::read_body(res).await.to_vec()).unwrap();
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(body["errors"][0]["code"], code, "{text}");
        assert_eq!(body["errors"][0]["message"], "Webhook verification failed");
        let long = body["errors"][0]["long_message"].as_str().unwrap();
        assert!(long.contains(says), "{long}");
        assert!(
            !text.contains("dGVzdF9z") && !text.contains("MfKQ9r8"),
            "the secret leaked: {text}"
        );
    }
}

#[actix_web::test]
async fn extractor_names_each_missing_header() {
    let app = service(verifier_at(NOW)).await;
    let s = signed(USER_CREATED);
    let headers = s.headers();
    for skip in 0..3 {
        for blank in [None, Some("   ")] {
            let mut req = atest::TestRequest::post().uri("/webhooks");
            for (i, header) in headers.iter().enumerate() {
                match (i == skip, blank) {
                    (false, _) => req = req.insert_header(header.clone()),
                    (true, Some(blank)) => req = req.insert_header((header.0, blank)),
                    (true, None) => {}
                }
            }
            let res = atest::call_service(&app, req.set_payload(USER_CREATED).to_request()).await;
            assert_eq!(res.status(), 400);
            let body: Value = serde_json::from_slice(&atest::read_body(res).await).unwrap();
            assert_eq!(body["errors"][0]["code"], "webhook_headers_missing");
            assert_eq!(
                body["errors"][0]["long_message"],
                format!("Missing required webhook headers: {}", headers[skip].0)
            );
        }
    }
}

#[actix_web::test]
async fn extractor_accepts_standard_webhooks_header_names_ok() {
    let app = service(verifier_at(NOW)).await;
    let s = signed(USER_CREATED);
    let mut req = atest::TestRequest::post().uri("/webhooks");
    for (name, value) in s.headers() {
        req = req.insert_header((name.replace("svix-", "webhook-"), value));
    }
    let res = atest::call_service(&app, req.set_payload(s.body().to_vec()).to_request()).await;
    assert_eq!(res.status(), 200);
}

#[actix_web::test]
async fn extractor_body_over_the_default_1_mib_is_413() {
    let app = service(verifier_at(NOW)).await;
    let padding = "x".repeat(1024 * 1024);
    let too_big =
        json!({"type": "user.updated", "data": {"id": "user_1", "pad": padding}}).to_string();
    let (status, body) = post(&app, "/webhooks", &signed(too_big)).await;
    assert_eq!(status, 413);
    assert_eq!(body["errors"][0]["code"], "webhook_payload_too_large");
    assert_eq!(
        body["errors"][0]["long_message"],
        "The webhook body is larger than the limit of 1048576 bytes"
    );

    // Just under the limit: verifies.
    let overhead = json!({"type": "user.updated", "data": {"id": "user_1", "pad": ""}})
        .to_string()
        .len();
    let padding = "x".repeat(1024 * 1024 - overhead);
    let fits =
        json!({"type": "user.updated", "data": {"id": "user_1", "pad": padding}}).to_string();
    assert_eq!(fits.len(), 1024 * 1024);
    let (status, body) = post(&app, "/webhooks", &signed(fits)).await;
    assert_eq!(status, 200, "{body}");
}

fn chunked(chunks: Vec<Result<Bytes, PayloadError>>) -> Payload {
    let stream: actix_http::BoxedPayloadStream = Box::pin(futures_util::stream::iter(chunks));
    Payload::from(stream)
}

/// A streamed body without `Content-Length`: the limit is enforced while
/// reading, and a broken stream is a 400.
#[actix_web::test]
async fn extractor_streamed_body_over_the_limit_is_413() {
    let verifier = WebhookVerifier::builder()
        .secret(SECRET)
        .clock(Clock::fixed_millis(NOW * 1000))
        .body_limit(64)
        .build()
        .unwrap();
    let s = signed(&b"{\"type\":\"x\"}"[..]);
    let with_headers = || {
        let mut req = atest::TestRequest::post().app_data(web::ThinData(verifier.clone()));
        for header in s.headers() {
            req = req.insert_header(header);
        }
        req.to_http_request()
    };

    let req = with_headers();
    assert!(req.headers().get("content-length").is_none());
    let mut payload = chunked(vec![
        Ok(Bytes::from(vec![b' '; 40])),
        Ok(Bytes::from(vec![b' '; 40])),
    ]);
    let err = Webhook::<WebhookEvent>::from_request(&req, &mut payload)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        WebhookRejection::Invalid(WebhookError::BodyTooLarge { limit: 64 })
    );
    assert_eq!(actix_web::ResponseError::status_code(&err), 413);

    let mut payload = chunked(vec![
        Ok(Bytes::from_static(b"{\"type\"")),
        Ok(Bytes::from_static(b":\"x\"}")),
    ]);
    let webhook = Webhook::<WebhookEvent>::from_request(&with_headers(), &mut payload)
        .await
        .unwrap();
    assert_eq!(webhook.event_type, "x");

    let mut payload = chunked(vec![
        Ok(Bytes::from_static(b"{")),
        Err(PayloadError::Incomplete(None)),
    ]);
    let err = Webhook::<WebhookEvent>::from_request(&with_headers(), &mut payload)
        .await
        .unwrap_err();
    assert!(
        matches!(err, WebhookRejection::BodyUnreadable { .. }),
        "{err:?}"
    );
    assert_eq!(actix_web::ResponseError::status_code(&err), 400);
}

#[actix_web::test]
async fn extractor_without_a_verifier_is_a_generic_500() {
    let app = atest::init_service(App::new().configure(routes)).await;
    let (status, body) = post(&app, "/webhooks", &signed(USER_CREATED)).await;
    assert_eq!(status, 500);
    assert_eq!(
        body,
        json!({"errors": [{
            "code": "internal_server_error",
            "message": "Internal server error",
            "long_message": "The server could not process this request.",
        }]})
    );
}

#[actix_web::test]
async fn extractor_result_hands_the_rejection_to_the_handler() {
    let app = service(verifier_at(NOW)).await;
    let stale = signer().sign_at("msg_1", NOW - 3600, USER_CREATED);
    let (status, body) = post(&app, "/own", &stale).await;
    assert_eq!(status, 418);
    assert!(
        body.as_str()
            .unwrap()
            .starts_with("Message timestamp too old"),
        "{body}"
    );
}

#[actix_web::test]
async fn extractor_unknown_type_and_big_event_ok() {
    let app = service(verifier_at(NOW)).await;
    let unknown = signed(r#"{"type":"paymentAttempt.created","data":{"id":"pa_1"}}"#);
    let (status, body) = post(&app, "/webhooks", &unknown).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"svix_id": "msg_1", "type": "paymentAttempt.created", "id": "pa_1"})
    );

    let big = json!({"type": "user.updated", "data": {"id": "user_big", "unsafe_metadata": {"n": "y".repeat(200 * 1024)}}}).to_string();
    let (status, body) = post(&app, "/webhooks", &signed(big)).await;
    assert_eq!(status, 200);
    assert_eq!(body["id"], "user_big");
}

#[actix_web::test]
async fn verify_request_serves_handlers_that_read_bytes_themselves() {
    async fn bytes_hook(
        req: actix_web::HttpRequest,
        body: web::Bytes,
        verifier: web::ThinData<WebhookVerifier>,
    ) -> actix_web::Result<HttpResponse> {
        let webhook = verifier.verify_request(&req, &body)?;
        Ok(HttpResponse::Ok().body(webhook.id().to_owned()))
    }
    let app = atest::init_service(
        App::new()
            .app_data(web::ThinData(verifier_at(NOW)))
            .route("/bytes", web::post().to(bytes_hook)),
    )
    .await;
    let (status, body) = post(&app, "/bytes", &signed(USER_CREATED)).await;
    assert_eq!((status, body), (200, json!("msg_1")));
    let forged = WebhookSigner::new(OTHER_SECRET)
        .unwrap()
        .sign_at("msg_1", NOW, USER_CREATED);
    let (status, body) = post(&app, "/bytes", &forged).await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["code"], "webhook_signature_invalid");
}
