//! The whole middleware on an in-process actix service: the same route with
//! and without `ClerkMiddleware`, in the same run.
//!
//! ```sh
//! cargo bench --bench middleware
//! ```

#![allow(clippy::expect_used, clippy::unwrap_used)]

use actix_web::{test, web, App, HttpResponse};
use clerk_actix::testing::TestIssuer;
use clerk_actix::{Auth, Clerk, ClerkMiddleware};
use criterion::{criterion_group, criterion_main, Criterion};

async fn protected(_auth: Auth) -> HttpResponse {
    HttpResponse::Ok().body("This is a protected route")
}

async fn unguarded() -> HttpResponse {
    HttpResponse::Ok().body("This is a protected route")
}

fn middleware(c: &mut Criterion) {
    let system = actix_web::rt::System::new();
    let issuer = TestIssuer::generate().expect("issuer");
    let token = issuer
        .session("user_1")
        .lifetime(std::time::Duration::from_secs(24 * 3600))
        .sign();
    let bearer = format!("Bearer {token}");
    let pem = issuer.public_key_pem();
    // A production key whose Frontend API is the issuer's host: the cookie
    // path reads this instance's cookies.
    let live_key = {
        use base64::Engine as _;
        let host = issuer.iss().trim_start_matches("https://");
        format!(
            "pk_live_{}",
            base64::engine::general_purpose::STANDARD.encode(format!("{host}$"))
        )
    };
    let cached = Clerk::builder()
        .jwt_key(pem.clone())
        .publishable_key(live_key)
        .build()
        .expect("clerk");
    let uncached = Clerk::builder()
        .jwt_key(pem)
        .token_cache_capacity(0)
        .build()
        .expect("clerk");

    let (plain, guarded, guarded_uncached) = system.block_on(async {
        let plain =
            test::init_service(App::new().route("/protected", web::get().to(unguarded))).await;
        let guarded = test::init_service(
            App::new()
                .route("/protected", web::get().to(protected))
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
    let request = || {
        test::TestRequest::get()
            .uri("/protected")
            .insert_header(("authorization", bearer.as_str()))
            .to_request()
    };
    let anonymous = || test::TestRequest::get().uri("/protected").to_request();
    let cookie = format!("__session={token}; __client_uat=1");
    let with_cookie = || {
        test::TestRequest::get()
            .uri("/protected")
            .insert_header(("cookie", cookie.as_str()))
            .to_request()
    };
    system.block_on(async {
        assert_eq!(test::call_service(&guarded, request()).await.status(), 200);
        assert_eq!(
            test::call_service(&guarded, with_cookie()).await.status(),
            200
        );
        assert_eq!(
            test::call_service(&guarded, anonymous()).await.status(),
            401
        );
    });

    let mut group = c.benchmark_group("middleware");
    group.bench_function("no_auth", |b| {
        b.iter(|| system.block_on(test::call_service(&plain, request())))
    });
    group.bench_function("valid_token_cached", |b| {
        b.iter(|| system.block_on(test::call_service(&guarded, request())))
    });
    group.bench_function("valid_cookie_cached", |b| {
        b.iter(|| system.block_on(test::call_service(&guarded, with_cookie())))
    });
    group.bench_function("valid_token_uncached", |b| {
        b.iter(|| system.block_on(test::call_service(&guarded_uncached, request())))
    });
    group.bench_function("no_token_401", |b| {
        b.iter(|| system.block_on(test::call_service(&guarded, anonymous())))
    });
    group.finish();
}

/// The regression guard: each cached path's time as a ratio to `no_auth`,
/// from the run that just ended (criterion's median estimates). Later
/// changes to the request path quote these lines.
fn ratios(_: &mut Criterion) {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| std::path::PathBuf::from("target"), Into::into)
        .join("criterion/middleware");
    let median = |name: &str| -> Option<f64> {
        let text = std::fs::read_to_string(dir.join(name).join("new/estimates.json")).ok()?;
        let json: serde_json::Value = serde_json::from_str(&text).ok()?;
        json["median"]["point_estimate"].as_f64()
    };
    let Some(base) = median("no_auth") else {
        return;
    };
    println!("ratios to no_auth (median time; 1.00 is parity, lower is better):");
    for name in [
        "valid_token_cached",
        "valid_cookie_cached",
        "valid_token_uncached",
    ] {
        if let Some(time) = median(name) {
            println!(
                "  {name:<22} {:>6.2}  ({:.0} ns more)",
                time / base,
                time - base
            );
        }
    }
}

criterion_group!(benches, middleware, ratios);
criterion_main!(benches);
