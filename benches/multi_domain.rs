//! Multi-domain apps cost what a plain app costs: the same signed-in,
//! cached cookie request through `ClerkMiddleware` on a plain primary, on a
//! satellite (its cookies already there: no sync, no handshake), and on an
//! organization-sync path whose token already names the organization (no
//! handshake), plus the same route with no middleware, in the same run.
//!
//! ```sh
//! cargo bench --bench multi_domain
//! ```
//!
//! Every path gets the same request (a page navigation to
//! `/orgs/acme/settings` with `__session` and `__client_uat`, the token's
//! active organization `acme`) and answers 200 signed in; only the
//! configuration differs. At the end the run prints each path's time and
//! its ratio to the primary's, from criterion's estimates.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use actix_web::{test, web, App, HttpResponse};
use clerk_actix::multi_domain::OrganizationSync;
use clerk_actix::testing::{TestIssuer, TestOrg};
use clerk_actix::{Auth, Clerk, ClerkBuilder, ClerkMiddleware};
use criterion::{criterion_group, Criterion};

const GROUP: &str = "multi_domain";
const ROUTE: &str = "/orgs/{slug}/settings";
const PATH: &str = "/orgs/acme/settings";

async fn protected(auth: Auth) -> HttpResponse {
    HttpResponse::Ok().body(auth.org_slug().unwrap_or_default().to_owned())
}

async fn unguarded() -> HttpResponse {
    HttpResponse::Ok().body("acme")
}

fn multi_domain(c: &mut Criterion) {
    let system = actix_web::rt::System::new();
    let issuer = TestIssuer::generate().expect("issuer");
    let token = issuer
        .session("user_1")
        .organization(TestOrg::new("org_acme", "admin").slug("acme"))
        .lifetime(std::time::Duration::from_secs(24 * 3600))
        .sign();
    // A production key whose Frontend API is the issuer's host (as in the
    // middleware bench): the cookie path reads this instance's cookies.
    let live_key = {
        use base64::Engine as _;
        let host = issuer.iss().trim_start_matches("https://");
        format!(
            "pk_live_{}",
            base64::engine::general_purpose::STANDARD.encode(format!("{host}$"))
        )
    };
    let base = || {
        Clerk::builder()
            .jwt_key(issuer.public_key_pem())
            .publishable_key(live_key.clone())
            .sign_in_url("https://primary.example/sign-in")
    };
    let build = |builder: ClerkBuilder| builder.build().expect("clerk");
    let primary = build(base());
    // A production satellite's session tokens come from its own Frontend
    // API, `clerk.<domain>`: the domain is the one the issuer's `iss` names,
    // so that the same token is this satellite's too.
    let domain = issuer.iss().trim_start_matches("https://clerk.");
    let satellite = build(base().is_satellite(true).domain(domain));
    let org_sync = build(
        base().organization_sync(
            OrganizationSync::new()
                .organization_patterns(["/orgs/:slug", "/orgs/:slug/(.*)"])
                .personal_account_patterns(["/me", "/me/(.*)"]),
        ),
    );

    let (plain, primary, satellite, org_sync) = system.block_on(async {
        let guarded = |clerk: Clerk| {
            test::init_service(
                App::new()
                    .route(ROUTE, web::get().to(protected))
                    .wrap(ClerkMiddleware::new(clerk)),
            )
        };
        (
            test::init_service(App::new().route(ROUTE, web::get().to(unguarded))).await,
            guarded(primary).await,
            guarded(satellite).await,
            guarded(org_sync).await,
        )
    });
    let cookie = format!("__session={token}; __client_uat=1");
    let request = || {
        test::TestRequest::get()
            .uri(PATH)
            .insert_header(("sec-fetch-dest", "document"))
            .insert_header(("accept", "text/html"))
            .insert_header(("cookie", cookie.as_str()))
            .to_request()
    };
    // Each path answers signed in, with no handshake and no cookie set.
    system.block_on(async {
        macro_rules! signed_in {
            ($app:expr) => {{
                let res = test::call_service(&$app, request()).await;
                assert_eq!(
                    res.status(),
                    200,
                    "{}: {:?}",
                    stringify!($app),
                    res.headers().get("x-clerk-auth-reason")
                );
                assert!(res.headers().get("set-cookie").is_none());
                assert!(res.headers().get("x-clerk-auth-status").is_none());
                assert_eq!(test::read_body(res).await, "acme");
            }};
        }
        signed_in!(plain);
        signed_in!(primary);
        signed_in!(satellite);
        signed_in!(org_sync);
    });

    let mut group = c.benchmark_group(GROUP);
    group.bench_function("no_middleware", |b| {
        b.iter(|| system.block_on(test::call_service(&plain, request())))
    });
    group.bench_function("primary", |b| {
        b.iter(|| system.block_on(test::call_service(&primary, request())))
    });
    group.bench_function("satellite", |b| {
        b.iter(|| system.block_on(test::call_service(&satellite, request())))
    });
    group.bench_function("org_sync", |b| {
        b.iter(|| system.block_on(test::call_service(&org_sync, request())))
    });
    group.finish();
}

/// Each path's time and its ratio to the primary's, from the estimates
/// criterion just wrote (nothing when it wrote none, e.g. `--profile-time`).
fn print_ratios() {
    let home = std::env::var_os("CRITERION_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("CARGO_TARGET_DIR")
                .map(|dir| std::path::PathBuf::from(dir).join("criterion"))
        })
        .unwrap_or_else(|| "target/criterion".into());
    let time_ns = |name: &str| -> Option<f64> {
        let path = home.join(GROUP).join(name).join("new/estimates.json");
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
        // Criterion's typical time: the slope when it has one.
        json["slope"]["point_estimate"]
            .as_f64()
            .or_else(|| json["mean"]["point_estimate"].as_f64())
    };
    let Some(primary) = time_ns("primary") else {
        return;
    };
    println!("\n{GROUP}: time per request, and its ratio to the primary's");
    for name in ["no_middleware", "primary", "satellite", "org_sync"] {
        if let Some(time) = time_ns(name) {
            println!(
                "  {name:<14} {:>9.2} µs   {:.3}",
                time / 1000.0,
                time / primary
            );
        }
    }
}

criterion_group!(benches, multi_domain);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    print_ratios();
}
