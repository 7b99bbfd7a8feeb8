//! Protecting routes: a scope, permission and role helpers, and guards with a
//! fallback.
//!
//! ```sh
//! cargo run --example protection
//! curl -i http://localhost:3000/api/me -H "Authorization: Bearer <session token>"
//! ```
//!
//! With no `CLERK_SECRET_KEY`/`CLERK_JWT_KEY`, it runs against a local
//! stand-in of the Clerk Backend API and prints tokens to try.

use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpResponse, HttpServer};
use clerk_actix::testing::{StandIn, TestOrg};
use clerk_actix::{
    guard, require_auth, require_permission, require_role, Auth, Clerk, ClerkMiddleware,
};

/// The routes. `ClerkMiddleware` wraps the whole app (see `main`), so every
/// guard, extractor and helper below can read the auth object.
fn routes(cfg: &mut web::ServiceConfig) {
    cfg
        // Scoped protection: everything under /api needs a signed-in user (401 otherwise).
        .service(
            web::scope("/api")
                .wrap(from_fn(require_auth))
                .route(
                    "/me",
                    web::get().to(|auth: Auth| async move { HttpResponse::Ok().json(&auth) }),
                )
                // Permission and role helpers on single resources: 403 without the grant.
                .service(
                    web::resource("/invoices")
                        .wrap(require_permission("org:invoices:read"))
                        .route(web::get().to(|| async { "the invoices" })),
                )
                .service(
                    web::resource("/settings")
                        .wrap(require_role("org:admin"))
                        .route(web::get().to(|| async { "the settings" })),
                ),
        )
        // Guards choose between handlers; the last route is the fallback. A
        // failing guard is "no match", never a 401 or 403 by itself.
        .service(
            web::resource("/dashboard")
                .route(
                    web::get()
                        .guard(guard::role("org:admin"))
                        .to(|| async { "admin dashboard" }),
                )
                .route(
                    web::get()
                        .guard(guard::authenticated())
                        .to(|| async { "member dashboard" }),
                )
                .route(web::get().to(|| async { "public landing page" })),
        );
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
    let has_keys = ["CLERK_SECRET_KEY", "CLERK_JWT_KEY"]
        .iter()
        .any(|var| std::env::var(var).is_ok_and(|v| !v.trim().is_empty()));
    let stand_in = if has_keys {
        None
    } else {
        Some(StandIn::start()?)
    };
    let clerk = match &stand_in {
        Some(stand_in) => {
            let admin = stand_in
                .session_token("user_admin")
                .organization(TestOrg::new("org_1", "admin").permissions(["org:invoices:read"]))
                .lifetime(std::time::Duration::from_secs(3600))
                .sign();
            println!("Local demo mode. An admin's token, valid for one hour:\n\n  {admin}\n");
            stand_in.clerk()?
        }
        None => Clerk::from_env()?,
    };
    println!("Server is running on http://localhost:3000");
    HttpServer::new(move || {
        App::new()
            .configure(routes)
            .wrap(ClerkMiddleware::new(clerk.clone()))
    })
    .bind(("127.0.0.1", 3000))?
    .run()
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test;

    /// `cargo run --example protection` shows the crate's `info` lines and up
    /// (with `RUST_LOG` unset, as in CI).
    #[actix_web::test]
    async fn logger_shows_the_crates_diagnostics() {
        init_logger();
        assert!(log::log_enabled!(target: "clerk_actix::middleware", log::Level::Info));
        assert!(log::log_enabled!(target: "clerk_actix::machine", log::Level::Warn));
    }

    #[actix_web::test]
    async fn each_pattern_answers_as_documented() {
        let stand_in = StandIn::start().expect("stand-in");
        let app = test::init_service(
            App::new()
                .configure(routes)
                .wrap(ClerkMiddleware::new(stand_in.clerk().expect("clerk"))),
        )
        .await;
        let admin = stand_in
            .session_token("user_admin")
            .organization(TestOrg::new("org_1", "admin").permissions(["org:invoices:read"]))
            .sign();
        let member = stand_in
            .session_token("user_member")
            .org("org_1", "member")
            .sign();
        let cases = [
            ("/api/me", None, 401, None),
            ("/api/me", Some(&member), 200, None),
            ("/api/invoices", Some(&member), 403, None),
            ("/api/invoices", Some(&admin), 200, Some("the invoices")),
            ("/api/settings", Some(&member), 403, None),
            ("/api/settings", Some(&admin), 200, Some("the settings")),
            ("/dashboard", Some(&admin), 200, Some("admin dashboard")),
            ("/dashboard", Some(&member), 200, Some("member dashboard")),
            ("/dashboard", None, 200, Some("public landing page")),
        ];
        for (path, token, status, body) in cases {
            let mut req = test::TestRequest::get().uri(path);
            if let Some(token) = token {
                req = req.insert_header(("Authorization", format!("Bearer {token}")));
            }
            let res = test::call_service(&app, req.to_request()).await;
            assert_eq!(res.status().as_u16(), status, "{path}");
            if let Some(body) = body {
                assert_eq!(test::read_body(res).await, body, "{path}");
            }
        }
    }
}
