//! Webhook verification with the conformance vector's secret and clock.
//! Input: svix-id, svix-timestamp and svix-signature lines, then the body.
#![no_main]

use std::sync::OnceLock;

use clerk_actix::__fuzz::WebhookTarget;

const SECRET: &str = "whsec_dGVzdF9zaWduaW5nX3NlY3JldF8zMl9jaGFyc19sb25n";
const NOW_MS: i64 = 1_700_000_001_234;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    static TARGET: OnceLock<WebhookTarget> = OnceLock::new();
    TARGET
        .get_or_init(|| WebhookTarget::new(SECRET, NOW_MS))
        .check(data);
});
