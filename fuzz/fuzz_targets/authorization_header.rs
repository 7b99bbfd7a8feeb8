//! `Authorization` header parsing and machine-token recognition.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    clerk_actix::__fuzz::authorization_header(data);
});
