//! The `@clerk/express` README's three routes, in actix-web.
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! With `CLERK_SECRET_KEY` (and `CLERK_PUBLISHABLE_KEY`) in the environment or
//! in `.env`, it talks to your Clerk instance: send the session token your
//! front end gets from `getToken()`:
//!
//! ```sh
//! curl -i http://localhost:3000/protected -H "Authorization: Bearer <session token>"
//! ```
//!
//! With neither `CLERK_SECRET_KEY` nor `CLERK_JWT_KEY`, it runs in local demo
//! mode: it starts a local stand-in of the Clerk Backend API, signs session
//! tokens for two demo users, and prints ready-to-paste `curl` lines.
//!
//! `PORT` picks the port (default 3000).

use actix_web::{web, App, HttpResponse, HttpServer, Responder};
use clerk_actix::client::{ClerkClient, ListUsers};
use clerk_actix::testing::{StandIn, TestOrg};
use clerk_actix::{require_permission, Auth, Clerk, ClerkMiddleware};

/// `GET /protected`: any signed-in user (the `Auth` extractor answers 401 otherwise).
async fn protected(_auth: Auth) -> impl Responder {
    "This is a protected route"
}

/// `GET /path`: signed in *and* `org:admin:testpermission` (403 otherwise);
/// answers the auth object, like `res.json(req.auth)`.
async fn path(auth: Auth) -> impl Responder {
    HttpResponse::Ok().json(&auth)
}

/// `GET /users`: signed in; answers the instance's users from the Backend API.
/// The client comes from the middleware, like `Clerk` would: no `app_data`.
async fn users(_auth: Auth, client: ClerkClient) -> HttpResponse {
    match client.users().list(&ListUsers::default()).await {
        Ok(users) => HttpResponse::Ok().json(users),
        Err(e) => {
            // The endpoint and trace id go to the log, not to the client.
            log::error!("Clerk Backend API: {e}");
            HttpResponse::BadGateway().finish()
        }
    }
}

/// The routes, shared by `main` and the example's test.
fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/protected", web::get().to(protected))
        .service(
            web::resource("/path")
                .wrap(require_permission("org:admin:testpermission"))
                .route(web::get().to(path)),
        )
        .route("/users", web::get().to(users));
}

/// Local demo mode: a stand-in Backend API and tokens for two users.
struct Demo {
    stand_in: StandIn,
    admin_token: String,
    member_token: String,
}

impl Demo {
    fn start() -> Result<Self, Box<dyn std::error::Error>> {
        let stand_in = StandIn::builder()
            .user(serde_json::json!({
                "id": "user_demo_ada", "first_name": "Ada", "last_name": "Lovelace",
                "email_addresses": [{ "email_address": "ada@example.com" }],
            }))
            .user(serde_json::json!({
                "id": "user_demo_grace", "first_name": "Grace", "last_name": "Hopper",
                "email_addresses": [{ "email_address": "grace@example.com" }],
            }))
            .start()?;
        let one_hour = std::time::Duration::from_secs(3600);
        let admin_token = stand_in
            .session_token("user_demo_ada")
            .organization(
                TestOrg::new("org_demo", "admin")
                    .slug("demo")
                    .permissions(["org:admin:testpermission"]),
            )
            .lifetime(one_hour)
            .sign();
        let member_token = stand_in
            .session_token("user_demo_grace")
            .org("org_demo", "member")
            .lifetime(one_hour)
            .sign();
        Ok(Self {
            stand_in,
            admin_token,
            member_token,
        })
    }

    /// The shell variables the curl lines use: each token is printed once.
    fn shell_vars(&self) -> [(&'static str, &str); 2] {
        [("ADA", &self.admin_token), ("GRACE", &self.member_token)]
    }

    /// The lines to paste, each with the status it answers.
    fn curl_lines(&self, base: &str) -> Vec<String> {
        vec![
            format!("curl -i {base}/protected -H \"Authorization: Bearer $ADA\"    # 200"),
            format!("curl -i {base}/protected    # 401: no token"),
            format!("curl -i {base}/path -H \"Authorization: Bearer $ADA\"    # 200: Ada has org:admin:testpermission"),
            format!("curl -i {base}/path -H \"Authorization: Bearer $GRACE\"    # 403: Grace has not"),
            format!("curl -i {base}/users -H \"Authorization: Bearer $GRACE\"    # 200: the users"),
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
    // Like `import 'dotenv/config'`: read .env when there is one.
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
    // Built once, outside the server factory: every worker shares its keys.
    let clerk = match &demo {
        Some(demo) => demo.stand_in.clerk()?,
        None => Clerk::from_env()?,
    };

    let server = HttpServer::new({
        let clerk = clerk.clone();
        move || {
            App::new()
                .configure(routes)
                // Registered last, so it runs first: every route sees the auth object.
                .wrap(ClerkMiddleware::new(clerk.clone()))
        }
    })
    .bind(("127.0.0.1", port))?;
    let base = format!("http://localhost:{}", server.addrs()[0].port());

    if let Some(demo) = &demo {
        println!(
            "No CLERK_SECRET_KEY or CLERK_JWT_KEY: running in local demo mode, against a local \
             stand-in of the Clerk Backend API at {}.\nTokens for Ada (admin) and Grace (member), \
             valid for one hour:\n",
            demo.stand_in.url()
        );
        for (name, token) in demo.shell_vars() {
            println!("  {name}='{token}'");
        }
        println!();
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
    //! `cargo test --example quickstart`: the demo answers its own curl lines.

    use super::*;
    use actix_web::test;

    /// `cargo run --example quickstart` shows the crate's `info` lines and up
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
        assert_eq!(lines.len(), 5);
        for line in lines {
            let url = line.split_whitespace().nth(2).expect("url");
            let path = url.trim_start_matches("http://localhost:3000");
            let expected: u16 = line
                .rsplit("# ")
                .next()
                .and_then(|status| status.get(..3))
                .and_then(|status| status.parse().ok())
                .expect("status");
            let mut req = test::TestRequest::get().uri(path);
            if let Some(header) = line.split('"').nth(1) {
                let (name, value) = header.split_once(": ").expect("header");
                let mut value = value.to_owned();
                for (var, token) in demo.shell_vars() {
                    value = value.replace(&format!("${var}"), token);
                }
                assert!(!value.contains('$'), "{line}: unset variable");
                req = req.insert_header((name, value));
            }
            let res = test::call_service(&app, req.to_request()).await;
            assert_eq!(res.status().as_u16(), expected, "{line}");
            let body = test::read_body(res).await;
            if path == "/protected" && expected == 200 {
                assert_eq!(body, "This is a protected route");
            }
            if path == "/users" {
                let users: serde_json::Value = serde_json::from_slice(&body).expect("json");
                assert_eq!(users["total_count"], 2, "{users}");
            }
            if path == "/path" && expected == 200 {
                let auth: serde_json::Value = serde_json::from_slice(&body).expect("json");
                assert_eq!(auth["userId"], "user_demo_ada");
                assert_eq!(auth["orgPermissions"][0], "org:admin:testpermission");
            }
        }
    }
}
