//! Publishable-key parsing.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    clerk_actix::__fuzz::publishable_key(data);
});
