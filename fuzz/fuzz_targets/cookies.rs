//! The browser path: a fuzzed `Cookie` header (then, after NUL bytes, a
//! `Referer` and a path) through Clerk's cookie dispatch, on a development
//! and a production instance, with Clerk's test key at its frozen time.
#![no_main]

use std::sync::OnceLock;

use clerk_actix::__fuzz::CookieTarget;

const PUBLIC_KEY: &str = include_str!("../../tests/conformance/signing-key.public.pem");
const NOW_MS: i64 = 1_666_648_250_000;
const DEV: &str = "pk_test_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA";
const LIVE: &str = "pk_live_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA";

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    static TARGETS: OnceLock<[CookieTarget; 2]> = OnceLock::new();
    for target in TARGETS.get_or_init(|| {
        [
            CookieTarget::new(PUBLIC_KEY, DEV, NOW_MS),
            CookieTarget::new(PUBLIC_KEY, LIVE, NOW_MS),
        ]
    }) {
        target.check(data);
    }
});
