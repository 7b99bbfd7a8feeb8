//! Services calling services: API keys, M2M tokens and OAuth access tokens
//! beside session tokens.
//!
//! ```sh
//! cargo run --example machine_tokens
//! ```
//!
//! Four routes, each answering the auth object as JSON (Clerk's keys, what
//! `res.json(getAuth(req, { acceptsToken }))` gives): 200 when the token is
//! of a kind the route takes and verifies, else 401 with the unauthenticated
//! auth object.
//!
//! * `GET /whoami`: any kind;
//! * `GET /m2m`: M2M tokens only;
//! * `GET /integrations`: API keys and OAuth access tokens;
//! * `GET /session`: session tokens only.
//!
//! With `CLERK_SECRET_KEY` (and optionally `CLERK_MACHINE_SECRET_KEY`) in the
//! environment or in `.env`, it verifies against your Clerk instance:
//!
//! ```sh
//! curl -i http://localhost:3000/integrations -H "Authorization: Bearer ak_..."
//! ```
//!
//! With neither `CLERK_SECRET_KEY` nor `CLERK_JWT_KEY`, it runs in local demo
//! mode against a local stand-in of the Clerk Backend API, and prints a curl
//! line for each kind of token. `PORT` picks the port (default 3000).
//!
//! With `REDIS_URL` (e.g. `redis://127.0.0.1:6379/0`), verified API keys, M2M
//! and OAuth tokens, and the Backend API back-off after a 429, are shared
//! with every replica started with the same URL and secret key.

use actix_web::http::StatusCode;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use clerk_actix::machine::{AcceptsToken, TokenType};
use clerk_actix::testing::StandIn;
use clerk_actix::{get_auth_with, ClerkBuilder, ClerkMiddleware};

/// The auth object as `accepts` sees it: 200 when authenticated, else 401.
fn answer(req: &HttpRequest, accepts: AcceptsToken) -> actix_web::Result<HttpResponse> {
    let auth = get_auth_with(req, accepts)?;
    let status = if auth.is_authenticated() {
        StatusCode::OK
    } else {
        StatusCode::UNAUTHORIZED
    };
    Ok(HttpResponse::build(status).json(&auth))
}

async fn whoami(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    answer(&req, AcceptsToken::Any)
}

async fn m2m(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    answer(&req, TokenType::M2mToken.into())
}

async fn integrations(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    answer(
        &req,
        AcceptsToken::list([TokenType::ApiKey, TokenType::OAuthToken]),
    )
}

async fn session(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    answer(&req, AcceptsToken::SESSION_TOKEN)
}

/// The routes, shared by `main` and the example's test.
fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/whoami", web::get().to(whoami))
        .route("/m2m", web::get().to(m2m))
        .route("/integrations", web::get().to(integrations))
        .route("/session", web::get().to(session));
}

/// Local demo mode: a stand-in Backend API and one token of each kind.
struct Demo {
    stand_in: StandIn,
    session: String,
    api_key: String,
    m2m: String,
    oauth: String,
}

impl Demo {
    fn start() -> Result<Self, Box<dyn std::error::Error>> {
        let stand_in = StandIn::start()?;
        let worker = stand_in.machine("billing-worker");
        let session = stand_in
            .session_token("user_demo_ada")
            .lifetime(std::time::Duration::from_secs(3600))
            .sign();
        let api_key = stand_in.api_key("user_demo_ada", ["read:reports"]);
        let m2m = stand_in.m2m_token(worker.id(), ["mch_demo_api"]);
        let oauth = stand_in.oauth_token("user_demo_ada", ["profile", "email"]);
        Ok(Self {
            stand_in,
            session,
            api_key,
            m2m,
            oauth,
        })
    }

    /// The lines to paste, each with the status it answers.
    fn curl_lines(&self, base: &str) -> Vec<String> {
        let line = |path: &str, token: &str, note: &str| {
            format!("curl -i {base}{path} -H \"Authorization: Bearer {token}\"    # {note}")
        };
        vec![
            line("/whoami", &self.api_key, "200: an API key"),
            line("/whoami", &self.m2m, "200: an M2M token"),
            line("/whoami", &self.oauth, "200: an OAuth token"),
            line("/whoami", &self.session, "200: a session token"),
            line("/m2m", &self.m2m, "200: M2M only"),
            line("/m2m", &self.api_key, "401: an API key is not an M2M token"),
            line("/integrations", &self.api_key, "200: API keys and OAuth"),
            line("/integrations", &self.oauth, "200: API keys and OAuth"),
            line("/integrations", &self.session, "401: no sessions here"),
            line("/session", &self.session, "200: sessions only"),
            line(
                "/session",
                &self.oauth,
                "401: an OAuth token is not a session",
            ),
        ]
    }
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
    let _ = dotenvy::dotenv();
    init_logger();
    let port: u16 = match std::env::var("PORT") {
        Ok(port) => port.parse()?,
        Err(_) => 3000,
    };
    let has_keys = ["CLERK_SECRET_KEY", "CLERK_JWT_KEY"]
        .iter()
        .any(|var| std::env::var(var).is_ok_and(|v| !v.trim().is_empty()));
    let demo = if has_keys { None } else { Some(Demo::start()?) };
    // Built once, outside the server factory: every worker shares its key
    // cache and its machine-token cache.
    let builder = match &demo {
        Some(demo) => demo.stand_in.clerk_builder(),
        None => ClerkBuilder::from_env(),
    };
    // With REDIS_URL, every replica built with it shares verified machine
    // tokens and the Backend API back-off (README: "Running several
    // replicas"); without it, each process keeps its own.
    let builder = match std::env::var("REDIS_URL") {
        Ok(url) if !url.trim().is_empty() => builder.redis_url(url.trim()),
        _ => builder,
    };
    let clerk = builder.build()?;

    let server = HttpServer::new({
        let clerk = clerk.clone();
        // Registered last, so it runs first. It verifies any kind of token
        // once; each route reads the result through the kinds it takes.
        move || {
            App::new()
                .configure(routes)
                .wrap(ClerkMiddleware::new(clerk.clone()))
        }
    })
    .bind(("127.0.0.1", port))?;
    let base = format!("http://localhost:{}", server.addrs()[0].port());

    if let Some(demo) = &demo {
        println!(
            "No CLERK_SECRET_KEY or CLERK_JWT_KEY: running in local demo mode, against a local \
             stand-in of the Clerk Backend API at {}.\nOne token of each kind:\n",
            demo.stand_in.url()
        );
        for line in demo.curl_lines(&base) {
            println!("  {line}");
        }
        println!();
    }
    println!("Server is running on {base}");
    server.run().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    //! `cargo test --example machine_tokens`: the demo answers its own curl lines.

    use super::*;
    use actix_web::test;

    /// `cargo run --example machine_tokens` shows the crate's `info` lines and up
    /// (with `RUST_LOG` unset, as in CI).
    #[actix_web::test]
    async fn logger_shows_the_crates_diagnostics() {
        init_logger();
        assert!(log::log_enabled!(target: "clerk_actix::middleware", log::Level::Info));
        assert!(log::log_enabled!(target: "clerk_actix::machine", log::Level::Warn));
    }

    #[actix_web::test]
    async fn demo_mode_answers_its_printed_curl_lines() {
        let demo = Demo::start().expect("demo");
        let clerk = demo.stand_in.clerk().expect("clerk");
        let app = test::init_service(
            App::new()
                .configure(routes)
                .wrap(ClerkMiddleware::new(clerk)),
        )
        .await;
        let lines = demo.curl_lines("http://localhost:3000");
        assert_eq!(lines.len(), 11);
        for line in lines {
            let url = line.split_whitespace().nth(2).expect("url");
            let path = url.trim_start_matches("http://localhost:3000");
            let expected: u16 = line
                .rsplit("# ")
                .next()
                .and_then(|status| status.get(..3))
                .and_then(|status| status.parse().ok())
                .expect("status");
            let header = line.split('"').nth(1).expect("header");
            let (name, value) = header.split_once(": ").expect("header");
            let req = test::TestRequest::get()
                .uri(path)
                .insert_header((name, value))
                .to_request();
            let res = test::call_service(&app, req).await;
            assert_eq!(res.status().as_u16(), expected, "{line}");
            let auth: serde_json::Value = test::read_body_json(res).await;
            assert_eq!(auth["isAuthenticated"], expected == 200, "{line}");
            if line.contains("/integrations") && expected == 401 {
                // A kind outside the list: Clerk's invalid-token object.
                assert_eq!(
                    auth,
                    serde_json::json!({"isAuthenticated": false, "tokenType": null})
                );
            }
            if line.contains("/m2m") && expected == 401 {
                assert_eq!(auth["tokenType"], "m2m_token");
                assert_eq!(auth["machineId"], serde_json::Value::Null);
            }
        }
    }
}
