//! The soak server of `scripts/soak.sh`: an app behind `ClerkMiddleware`
//! whose Backend API is a local stand-in in the same process, so that JWKS
//! fetches and API-key verifications are real HTTP calls that can be counted.
//!
//! Two processes, so that the stand-in's request log does not count in the
//! app's resident memory:
//!
//! ```sh
//! TOKENS=soak-tokens.txt ENV_FILE=soak.env STATS_PORT=18091 \
//!   cargo run --release --example soak_server -- backend &
//! env $(cat soak.env) PORT=18090 cargo run --release --example soak_server -- app
//! ```
//!
//! `backend` starts a stand-in, writes the requests to send to `TOKENS`, one
//! per line, as `<kind> <path> <token>` (kinds: `valid`, `cookie`, `expired`, `forged`,
//! `garbage`, `unknown-kid`, `api-key`, `unknown-api-key`), the app's
//! `CLERK_API_URL` and `CLERK_SECRET_KEY` to `ENV_FILE`, and answers
//! `GET /stats` on `STATS_PORT`: how many JWKS fetches and API-key
//! verifications the stand-in has answered, as JSON.
//!
//! `app` serves, behind `ClerkMiddleware`:
//!
//! * `GET /me`: a session route (`Auth`);
//! * `GET /key`: an API-key route (`ApiKeyAuth`).
//!
//! `REFETCH_SECS` sets `jwks_refetch_interval` (default an hour, longer
//! than any soak, so exactly two JWKS fetches are expected).
//!
//! No Clerk account is needed: the stand-in issues the tokens and keys.

use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer, Responder};
use base64::Engine as _;
use clerk_actix::machine::ApiKeyAuth;
use clerk_actix::testing::{StandIn, TestIssuer};
use clerk_actix::{Auth, ClerkBuilder, ClerkMiddleware};

async fn me(auth: Auth) -> impl Responder {
    auth.user_id().unwrap_or_default().to_owned()
}

async fn key(key: ApiKeyAuth) -> impl Responder {
    key.id().to_owned()
}

async fn stats(stand_in: web::Data<StandIn>) -> impl Responder {
    HttpResponse::Ok().json(serde_json::json!({
        "jwks": stand_in.count("/v1/jwks"),
        "api_key_verify": stand_in.count("/api_keys/verify"),
    }))
}

/// `token` with a header naming `kid` (the signature no longer matches, but
/// the kid is looked up first).
fn with_kid(token: &str, kid: &str) -> String {
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": kid}).to_string();
    let rest = token.split_once('.').map_or("", |(_, rest)| rest);
    format!(
        "{}.{rest}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(header)
    )
}

fn write_requests(stand_in: &StandIn, path: &str) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let other = TestIssuer::generate().map_err(std::io::Error::other)?;
    let lifetime = Duration::from_secs(2 * 3600);
    for i in 0..2_000 {
        let user = format!("user_soak_{i}");
        let valid = stand_in.session_token(&user).lifetime(lifetime).sign();
        writeln!(out, "valid /me {valid}")?;
        if i % 4 == 0 {
            let expired = stand_in
                .session_token(&user)
                .expired(Duration::from_secs(60))
                .sign();
            let forged = stand_in.session_token(&user).signed_by(&other).sign();
            writeln!(out, "expired /me {expired}")?;
            writeln!(out, "forged /me {forged}")?;
            writeln!(out, "garbage /me garbage.{i}.token")?;
            writeln!(
                out,
                "unknown-kid /me {}",
                with_kid(&valid, &format!("ins_soak_{i}"))
            )?;
            writeln!(out, "unknown-api-key /key ak_soak_unknown_{i}")?;
            writeln!(out, "cookie /me {}", stand_in.browser_cookies(&valid))?;
        }
    }
    for i in 0..20 {
        let key = stand_in.api_key(&format!("user_soak_{i}"), ["read"]);
        writeln!(out, "api-key /key {key}")?;
    }
    out.flush()
}

/// The Backend API side, in a process of its own so that its request log
/// (the stand-in records every request) does not count in the app's memory.
fn backend(
    requests: &str,
    env_file: &str,
    stats_port: u16,
) -> Result<(), Box<dyn std::error::Error>> {
    let stand_in = StandIn::start()?;
    write_requests(&stand_in, requests)?;
    let env = format!(
        "CLERK_API_URL={}\nCLERK_SECRET_KEY={}\nCLERK_PUBLISHABLE_KEY={}\n",
        stand_in.url(),
        stand_in.secret_key(),
        stand_in.publishable_key()
    );
    std::fs::write(format!("{env_file}.tmp"), env)?;
    std::fs::rename(format!("{env_file}.tmp"), env_file)?;
    let stand_in = web::Data::from(Arc::new(stand_in));
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(stand_in.clone())
                .route("/stats", web::get().to(stats))
        })
        .workers(1)
        .bind(("127.0.0.1", stats_port))?
        .run()
        .await
    })?;
    Ok(())
}

/// The app: `ClerkMiddleware` with `CLERK_API_URL` and `CLERK_SECRET_KEY`
/// from the environment (the backend's).
fn app(port: u16, workers: usize) -> Result<(), Box<dyn std::error::Error>> {
    // Longer than the soak by default, so the JWKS count is exact: the cold
    // fetch and one refetch for the first unknown kid.
    let refetch: u64 = std::env::var("REFETCH_SECS").map_or(Ok(3600), |s| s.parse())?;
    let clerk = ClerkBuilder::from_env()
        .jwks_refetch_interval(Duration::from_secs(refetch))
        .build()?;
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(move || {
            App::new()
                .route("/me", web::get().to(me))
                .route("/key", web::get().to(key))
                .wrap(ClerkMiddleware::new(clerk.clone()))
        })
        .workers(workers)
        .bind(("127.0.0.1", port))?;
        println!(
            "soak app on http://127.0.0.1:{port} (pid {})",
            std::process::id()
        );
        server.run().await
    })?;
    Ok(())
}

/// The crate's diagnostics (outages, configuration advice, a handshake that
/// does not verify) on stderr from `info` up; `RUST_LOG` overrides, e.g.
/// `RUST_LOG=clerk_actix=debug` also shows why each request was signed out.
fn init_logger() {
    let env = env_logger::Env::default().default_filter_or("warn,clerk_actix=info");
    let _ = env_logger::Builder::from_env(env).try_init();
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    init_logger();
    let args: Vec<String> = std::env::args().collect();
    let env =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    match args.get(1).map(String::as_str) {
        Some("backend") => backend(
            &env("TOKENS", "soak-tokens.txt"),
            &env("ENV_FILE", "soak.env"),
            env("STATS_PORT", "18091").parse()?,
        ),
        Some("app") => app(env("PORT", "18090").parse()?, env("WORKERS", "2").parse()?),
        _ => Err("usage: soak_server backend | soak_server app".into()),
    }
}
