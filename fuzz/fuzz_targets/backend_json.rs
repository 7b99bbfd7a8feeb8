//! Backend API JSON decoding: users, organizations, memberships, pages,
//! webhook events and error bodies. The first byte picks the type.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    clerk_actix::__fuzz::backend_json(data);
});
