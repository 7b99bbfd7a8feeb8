//! Token decode and verify with Clerk's test key, at the time its test
//! tokens are valid (the conformance data's frozen clock).
#![no_main]

use std::sync::OnceLock;

use clerk_actix::__fuzz::TokenTarget;

const PUBLIC_KEY: &str = include_str!("../../tests/conformance/signing-key.public.pem");
const NOW_MS: i64 = 1_666_648_250_000;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    static TARGET: OnceLock<TokenTarget> = OnceLock::new();
    TARGET
        .get_or_init(|| TokenTarget::new(PUBLIC_KEY, NOW_MS))
        .check(data);
});
