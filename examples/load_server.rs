//! The quickstart's `/protected`, on one worker (`WORKERS` sets more), for
//! `scripts/bench-load.sh`.
//!
//! ```sh
//! MODE=guarded PORT=8081 cargo run --release --example load_server     # with ClerkMiddleware
//! MODE=unguarded PORT=8082 cargo run --release --example load_server   # the same route, no auth
//! cargo run --release --example load_server -- mint 1000 > tokens.txt  # valid, distinct tokens
//! ```
//!
//! Tokens are signed with Clerk's test key (`tests/conformance/`) and the
//! guarded server verifies them networkless with its public key, so the run
//! measures verification and nothing else.
//!
//! `GET /api-key` takes the API key `ak_bench_load_key` (`ApiKeyAuth`),
//! verified once against a local stand-in of the Backend API in the same
//! process and then served from the machine-token cache; with `REDIS_URL`
//! set (`redis://127.0.0.1:6379/0`), shared through Redis as well.

use std::io::Write as _;
use std::time::Duration;

use actix_web::middleware::Condition;
use actix_web::{web, App, HttpResponse, HttpServer, Responder};
use clerk_actix::machine::ApiKeyAuth;
use clerk_actix::testing::{StandIn, TestIssuer};
use clerk_actix::{Auth, ClerkMiddleware};

const PRIVATE_KEY: &str = include_str!("../tests/conformance/signing-key.private.pem");
const PUBLIC_KEY: &str = include_str!("../tests/conformance/signing-key.public.pem");
const KID: &str = "ins_2GIoQhbUpy0hX7B2cVkuTMinXoD";

/// The quickstart's handler.
async fn protected(_auth: Auth) -> impl Responder {
    "This is a protected route"
}

/// An API-key route.
async fn api_key(_key: ApiKeyAuth) -> impl Responder {
    "This is a protected route"
}

/// The API key `/api-key` takes.
const API_KEY: &str = "ak_bench_load_key";

/// The same answer, without authentication.
async fn unguarded() -> impl Responder {
    "This is a protected route"
}

fn mint(count: usize) -> Result<(), Box<dyn std::error::Error>> {
    let issuer = TestIssuer::from_private_key_pem(PRIVATE_KEY, KID)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for i in 0..count {
        let token = issuer
            .session(format!("user_load_{i}"))
            .lifetime(Duration::from_secs(2 * 3600))
            .sign();
        writeln!(out, "{token}")?;
    }
    Ok(())
}

/// The crate's diagnostics (outages, configuration advice, a handshake that
/// does not verify) on stderr from `info` up; `RUST_LOG` overrides, e.g.
/// `RUST_LOG=clerk_actix=debug` also shows why each request was signed out.
fn init_logger() {
    let env = env_logger::Env::default().default_filter_or("warn,clerk_actix=info");
    let _ = env_logger::Builder::from_env(env).try_init();
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    init_logger();
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("mint") {
        let count = args.get(2).map_or(Ok(1), |n| n.parse())?;
        return mint(count);
    }
    let port: u16 = std::env::var("PORT").map_or(Ok(8080), |p| p.parse())?;
    let guarded = std::env::var("MODE").map_or(true, |m| m != "unguarded");
    // The stand-in answers the one API-key verification; session tokens stay
    // networkless (`jwt_key`). A production publishable key whose Frontend
    // API is the test issuer's host, so that `__session` cookies take
    // Clerk's browser path.
    let stand_in = StandIn::start()?;
    stand_in.with_store(|store| {
        store.issue_api_key(
            serde_json::json!({"secret": API_KEY, "subject": "user_load", "name": "load"}),
        )
    });
    let issuer = TestIssuer::from_private_key_pem(PRIVATE_KEY, KID)?;
    let host = issuer.iss().trim_start_matches("https://");
    let live_key = {
        use base64::Engine as _;
        format!(
            "pk_live_{}",
            base64::engine::general_purpose::STANDARD.encode(format!("{host}$"))
        )
    };
    let mut builder = stand_in
        .clerk_builder()
        .jwt_key(PUBLIC_KEY)
        .publishable_key(live_key);
    // The fleet's shared cache, for the script's redis case.
    if let Ok(url) = std::env::var("REDIS_URL") {
        builder = builder.redis_url(url);
    }
    let clerk = builder.build()?;
    let server = HttpServer::new(move || {
        let (route, key_route) = if guarded {
            (web::get().to(protected), web::get().to(api_key))
        } else {
            (web::get().to(unguarded), web::get().to(unguarded))
        };
        App::new()
            .route("/protected", route)
            .route("/api-key", key_route)
            .default_service(web::to(HttpResponse::NotFound))
            // Present in both modes, so the two apps differ only by the middleware.
            .wrap(Condition::new(guarded, ClerkMiddleware::new(clerk.clone())))
    });
    println!(
        "{} /protected on http://127.0.0.1:{port} (pid {})",
        if guarded { "guarded" } else { "unguarded" },
        std::process::id()
    );
    let workers: usize = std::env::var("WORKERS").map_or(Ok(1), |w| w.parse())?;
    server
        .workers(workers)
        .bind(("127.0.0.1", port))?
        .run()
        .await?;
    Ok(())
}
