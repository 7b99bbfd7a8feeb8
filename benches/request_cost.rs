//! What one request costs through the whole middleware, counted rather than
//! timed: heap allocations per request (a counting allocator) and, under
//! callgrind, instructions per request. Both are repeatable on a shared,
//! noisy machine, where the clock is not.
//!
//! ```sh
//! cargo bench --bench request_cost                      # allocations per request, every path
//! scripts/request-cost.sh                               # + instructions per request (callgrind)
//! ```
//!
//! Paths: `no_auth` (the same route without the middleware), `bearer_cached`,
//! `cookie_cached`, `api_key_cached` (verified once at a local stand-in, then
//! served from the machine-token cache), `cold` (a session token verified
//! from scratch on every request: the token cache off) and `rsa_floor`
//! (`no_auth` plus one bare aws-lc-rs RSA check of the same token: what
//! `cold` cannot go below).
//!
//! `REQUEST_COST_PATH=<path>` runs one path; `REQUEST_COST_N` sets the
//! measured requests (default 2000). The measured loop is `measure`, which
//! callgrind collects alone (`--toggle-collect='*request_cost::measure*'`).

#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{test, web, App, HttpResponse};
use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::Engine as _;
use clerk_actix::machine::ApiKeyAuth;
use clerk_actix::testing::{StandIn, TestIssuer};
use clerk_actix::{Auth, Clerk, ClerkMiddleware};

/// Counts heap allocations (and reallocations) of the whole process.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const API_KEY: &str = "ak_request_cost_key";

async fn protected(_auth: Auth) -> HttpResponse {
    HttpResponse::Ok().body("This is a protected route")
}

async fn api_key(_key: ApiKeyAuth) -> HttpResponse {
    HttpResponse::Ok().body("This is a protected route")
}

async fn unguarded() -> HttpResponse {
    HttpResponse::Ok().body("This is a protected route")
}

/// One path: its service and the request it sends, plus an optional bare
/// RSA check done beside each request.
struct Path<'a, S> {
    name: &'static str,
    service: &'a S,
    header: (HeaderName, HeaderValue),
    uri: &'static str,
    expect: u16,
    rsa: Option<(ParsedPublicKey, Vec<u8>, Vec<u8>)>,
}

/// The measured loop: `n` requests through `path`, nothing else. The
/// header is built once (a `HeaderValue` clone is a reference count), so
/// what is counted is the request, not its construction.
#[inline(never)]
fn measure<S, B>(system: &actix_web::rt::SystemRunner, path: &Path<'_, S>, n: usize)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    system.block_on(async {
        for _ in 0..n {
            let request = test::TestRequest::get()
                .uri(path.uri)
                .insert_header(path.header.clone())
                .to_request();
            let res = test::call_service(path.service, request).await;
            if let Some((key, input, sig)) = &path.rsa {
                assert!(key.verify_sig(input, sig).is_ok());
            }
            debug_assert_eq!(res.status().as_u16(), path.expect);
            drop(res);
        }
    });
}

fn run<S, B>(system: &actix_web::rt::SystemRunner, path: &Path<'_, S>, n: usize)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    // Warm-up: fills the caches and checks the answer.
    system.block_on(async {
        for _ in 0..50 {
            let request = test::TestRequest::get()
                .uri(path.uri)
                .insert_header(path.header.clone())
                .to_request();
            let res = test::call_service(path.service, request).await;
            assert_eq!(res.status().as_u16(), path.expect, "{}", path.name);
        }
    });
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let start = std::time::Instant::now();
    measure(system, path, n);
    let elapsed = start.elapsed();
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    println!(
        "{:<16} {:>10.1} allocations/request {:>10.2} µs/request (clock, noisy)",
        path.name,
        allocations as f64 / n as f64,
        elapsed.as_secs_f64() * 1e6 / n as f64
    );
}

fn path<'a, S>(
    name: &'static str,
    service: &'a S,
    header: &(&'static str, String),
    uri: &'static str,
) -> Path<'a, S> {
    Path {
        name,
        service,
        header: (
            HeaderName::from_static(header.0),
            HeaderValue::from_str(&header.1).unwrap(),
        ),
        uri,
        expect: 200,
        rsa: None,
    }
}

fn main() {
    let only = std::env::var("REQUEST_COST_PATH").ok();
    let n: usize = std::env::var("REQUEST_COST_N").map_or(2000, |v| v.parse().unwrap());
    let wanted = |name: &str| only.as_deref().is_none_or(|o| o == name);

    let system = actix_web::rt::System::new();
    let issuer = TestIssuer::generate().expect("issuer");
    let token = issuer
        .session("user_1")
        .lifetime(Duration::from_secs(24 * 3600))
        .sign();
    let pem = issuer.public_key_pem();
    // A production key whose Frontend API is the issuer's host: the cookie
    // path reads this instance's cookies.
    let live_key = {
        let host = issuer.iss().trim_start_matches("https://");
        format!(
            "pk_live_{}",
            base64::engine::general_purpose::STANDARD.encode(format!("{host}$"))
        )
    };
    let stand_in = StandIn::start().expect("stand-in");
    stand_in.with_store(|store| {
        store.issue_api_key(serde_json::json!({"secret": API_KEY, "subject": "user_1"}))
    });
    let cached = stand_in
        .clerk_builder()
        .jwt_key(pem.clone())
        .publishable_key(live_key)
        .build()
        .expect("clerk");
    let uncached = Clerk::builder()
        .jwt_key(pem.clone())
        .token_cache_capacity(0)
        .build()
        .expect("clerk");
    let rsa = {
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        let key = ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &der).unwrap();
        let (input, sig) = token.rsplit_once('.').unwrap();
        let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(sig)
            .unwrap();
        (key, input.as_bytes().to_vec(), sig)
    };

    let (plain, guarded, guarded_uncached) = system.block_on(async {
        let plain =
            test::init_service(App::new().route("/protected", web::get().to(unguarded))).await;
        let guarded = test::init_service(
            App::new()
                .route("/protected", web::get().to(protected))
                .route("/api-key", web::get().to(api_key))
                .wrap(ClerkMiddleware::new(cached)),
        )
        .await;
        let guarded_uncached = test::init_service(
            App::new()
                .route("/protected", web::get().to(protected))
                .wrap(ClerkMiddleware::new(uncached)),
        )
        .await;
        (plain, guarded, guarded_uncached)
    });
    let bearer = ("authorization", format!("Bearer {token}"));
    println!("{n} requests per path, in process (actix-web's test service)");
    if wanted("no_auth") {
        run(&system, &path("no_auth", &plain, &bearer, "/protected"), n);
    }
    if wanted("bearer_cached") {
        run(
            &system,
            &path("bearer_cached", &guarded, &bearer, "/protected"),
            n,
        );
    }
    if wanted("cookie_cached") {
        let cookie = ("cookie", format!("__session={token}; __client_uat=1"));
        run(
            &system,
            &path("cookie_cached", &guarded, &cookie, "/protected"),
            n,
        );
    }
    if wanted("api_key_cached") {
        let key = ("authorization", format!("Bearer {API_KEY}"));
        run(
            &system,
            &path("api_key_cached", &guarded, &key, "/api-key"),
            n,
        );
    }
    if wanted("cold") {
        run(
            &system,
            &path("cold", &guarded_uncached, &bearer, "/protected"),
            n,
        );
    }
    if wanted("rsa_floor") {
        let mut floor = path("rsa_floor", &plain, &bearer, "/protected");
        floor.rsa = Some(rsa);
        run(&system, &floor, n);
    }
    drop(stand_in);
}
