//! Organization sync's path patterns: a fuzzed pattern, a NUL byte, a path.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    clerk_actix::__fuzz::org_pattern(data);
});
