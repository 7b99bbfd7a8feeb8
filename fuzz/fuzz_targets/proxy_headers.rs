//! The Frontend API proxy's header handling: fuzzed header lines, sent up and back.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    clerk_actix::__fuzz::proxy_headers(data);
});
