//! Server-rendered pages signed in with Clerk's session cookies: the browser
//! path (the handshake, `__session`, refresh) of `ClerkMiddleware`.
//!
//! ```sh
//! cargo run --example pages
//! ```
//!
//! With `CLERK_SECRET_KEY` and `CLERK_PUBLISHABLE_KEY` in the environment (or
//! `.env`), it talks to your Clerk instance: sign in on your Account Portal
//! (or your front end), then open <http://localhost:3000/>. The first visit
//! goes through Clerk's handshake and comes back signed in.
//!
//! Without them it runs in local demo mode: a local stand-in of the Clerk
//! Backend API also stands in for the Frontend API's handshake (it is the
//! app's `proxy_url`), with Ada signed in there. Open the printed URL in a
//! browser, or paste the printed `curl` lines.
//!
//! `PORT` picks the port (default 3000).

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use clerk_actix::testing::StandIn;
use clerk_actix::{get_auth, Clerk, ClerkMiddleware, Require};

/// The page: who is signed in, and what the browser sent.
async fn page(req: HttpRequest) -> HttpResponse {
    let auth = get_auth(&req).ok();
    let status = match &auth {
        Some(auth) if auth.is_authenticated() => {
            let issued = auth
                .claims()
                .and_then(|c| c.get("iat"))
                .map(ToString::to_string)
                .unwrap_or_default();
            format!(
                "<p id=\"status\">Signed in as {}</p><p id=\"iat\">token issued at {issued}</p>",
                escape(auth.user_id().unwrap_or_default())
            )
        }
        other => format!(
            "<p id=\"status\">Signed out ({})</p>",
            escape(
                other
                    .as_ref()
                    .and_then(|a| a.signed_out_reason())
                    .unwrap_or("no session")
            )
        ),
    };
    let mut cookies: Vec<String> = req
        .cookies()
        .map(|jar| jar.iter().map(|c| c.name().to_owned()).collect())
        .unwrap_or_default();
    cookies.sort();
    let redirects = req
        .cookie("__clerk_redirect_count")
        .map(|c| c.value().to_owned())
        .unwrap_or_else(|| "0".to_owned());
    let url = format!(
        "{}://{}{}",
        req.connection_info().scheme(),
        req.connection_info().host(),
        req.uri()
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><title>clerk-actix pages</title>{status}\
         <p id=\"url\">url {}</p><p id=\"cookies\">cookies {}</p>\
         <p id=\"redirects\">redirects {redirects}</p>\
         <p><a href=\"/dashboard\">dashboard</a></p>",
            escape(&url),
            escape(&cookies.join(" "))
        ))
}

/// A page for signed-in users only; signed-out navigations go to sign in.
async fn dashboard(req: HttpRequest) -> HttpResponse {
    let user = get_auth(&req)
        .ok()
        .and_then(|a| a.user_id().map(str::to_owned))
        .unwrap_or_default();
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><p id=\"status\">Dashboard of {}</p>",
            escape(&user)
        ))
}

/// Demo mode's sign-in page (a real app uses Clerk's, `CLERK_SIGN_IN_URL`).
async fn sign_in(query: web::Query<Vec<(String, String)>>) -> HttpResponse {
    let back = query
        .iter()
        .find(|(k, _)| k == "redirect_url")
        .map(|(_, v)| v.as_str())
        .unwrap_or("/");
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><p id=\"status\">Sign in, then go back to {}</p>",
            escape(back)
        ))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The routes, shared by `main` and the tests.
pub(crate) fn routes(cfg: &mut web::ServiceConfig, clerk: &Clerk) {
    cfg.route("/", web::get().to(page))
        .route("/sign-in", web::get().to(sign_in))
        .service(
            web::resource("/dashboard")
                .wrap(Require::auth().sign_in_page(clerk))
                .route(web::get().to(dashboard)),
        );
}

/// Local demo mode: the stand-in as Backend API and Frontend API, with Ada
/// signed in at the Frontend API.
pub(crate) struct Demo {
    pub(crate) stand_in: StandIn,
}

impl Demo {
    pub(crate) fn start() -> Result<Self, Box<dyn std::error::Error>> {
        let stand_in = StandIn::builder()
            .user(serde_json::json!({
                "id": "user_demo_ada", "first_name": "Ada", "last_name": "Lovelace",
            }))
            .start()?;
        stand_in.with_store(|store| store.sign_in_browser("user_demo_ada"));
        Ok(Self { stand_in })
    }

    /// The handle: the stand-in's development key, its proxy URL (the
    /// handshake goes there), a sign-in page of the app's own.
    fn clerk(&self) -> Result<Clerk, clerk_actix::config::ConfigError> {
        self.stand_in
            .clerk_builder()
            .sign_in_url("/sign-in")
            .build()
    }

    /// The lines to paste, each with the status it answers.
    fn curl_lines(&self, base: &str) -> Vec<String> {
        let token = self
            .stand_in
            .session_token("user_demo_ada")
            .lifetime(std::time::Duration::from_secs(3600))
            .sign();
        let cookies = self.stand_in.browser_cookies(&token);
        vec![
            format!("curl -i {base}/ -H \"Cookie: {cookies}\"    # 200: signed in as Ada, from the cookies"),
            format!("curl -i {base}/ -H \"Sec-Fetch-Dest: document\"    # 307: a first visit goes through the handshake"),
            format!("curl -i {base}/    # 200: an API call without cookies is signed out"),
            format!("curl -i {base}/dashboard -H \"Cookie: {cookies}\"    # 200: the dashboard"),
            format!("curl -i {base}/dashboard    # 401: an API call is not redirected"),
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
    let has_keys = std::env::var("CLERK_SECRET_KEY").is_ok_and(|v| !v.trim().is_empty());
    let demo = if has_keys { None } else { Some(Demo::start()?) };
    let clerk = match &demo {
        Some(demo) => demo.clerk()?,
        None => Clerk::from_env()?,
    };
    let server = HttpServer::new({
        let clerk = clerk.clone();
        move || {
            let clerk = clerk.clone();
            App::new()
                .configure(|cfg| routes(cfg, &clerk))
                .wrap(ClerkMiddleware::new(clerk))
        }
    })
    .bind(("127.0.0.1", port))?;
    let base = format!("http://localhost:{}", server.addrs()[0].port());
    if let Some(demo) = &demo {
        println!(
            "No CLERK_SECRET_KEY: running in local demo mode. The stand-in at {} plays Clerk's \
             Backend and Frontend API, with Ada signed in.\nOpen {base}/ in a browser: the first \
             visit goes through the handshake and lands signed in. Or:\n",
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
    //! `cargo test --example pages`: the demo answers its own curl lines.
    //! The same app in a real browser: tests/browser.rs.

    use super::*;
    use actix_web::test;

    /// `cargo run --example pages` shows the crate's `info` lines and up
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
        let clerk = demo.clerk().expect("clerk");
        let app = test::init_service(
            App::new()
                .configure(|cfg| routes(cfg, &clerk))
                .wrap(ClerkMiddleware::new(clerk.clone())),
        )
        .await;
        let lines = demo.curl_lines("http://localhost:3000");
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
                req = req.insert_header((name, value));
            }
            let res = test::call_service(&app, req.to_request()).await;
            assert_eq!(res.status().as_u16(), expected, "{line}");
            let body = test::read_body(res).await;
            let body = String::from_utf8_lossy(&body);
            if line.contains("signed in as Ada") {
                assert!(body.contains("Signed in as user_demo_ada"), "{body}");
            }
        }
    }

    /// What tests/browser.rs checks in Chromium, with the testing kit's
    /// `Browser` (no hand-written cookie jar): the first visit goes through
    /// the handshake and lands signed in, the next ones are served from the
    /// cookies, and signing out at the Frontend API ends the session.
    #[actix_web::test]
    async fn a_browser_lands_signed_in_through_the_handshake() {
        let demo = Demo::start().expect("demo");
        let clerk = demo.clerk().expect("clerk");
        let app = test::init_service(
            App::new()
                .configure(|cfg| routes(cfg, &clerk))
                .wrap(ClerkMiddleware::new(clerk.clone())),
        )
        .await;
        let mut browser = clerk_actix::testing::Browser::new();
        let first = browser
            .visit(&app, "http://localhost:3000/")
            .await
            .expect("page");
        assert!(
            first.text().contains("Signed in as user_demo_ada"),
            "{}",
            first.text()
        );
        assert_eq!(first.visited().len(), 4, "{:?}", first.visited());
        let second = browser
            .visit(&app, "http://localhost:3000/dashboard")
            .await
            .expect("page");
        assert!(second.text().contains("Dashboard of user_demo_ada"));
        assert_eq!(second.visited().len(), 1);
        // Signed out at the Frontend API, in a fresh browser: the handshake
        // finds no session, and the dashboard sends the browser to sign in.
        demo.stand_in.with_store(|store| store.sign_out_browser());
        browser.clear_cookies();
        let page = browser
            .visit(&app, "http://localhost:3000/dashboard")
            .await
            .expect("page");
        assert!(
            page.text().contains("Sign in, then go back to"),
            "{}",
            page.text()
        );
        assert!(page
            .url()
            .starts_with("http://localhost:3000/sign-in?redirect_url="));
    }

    /// A signed-out page navigation to the dashboard goes to sign in, with
    /// the way back.
    #[actix_web::test]
    async fn signed_out_navigations_go_to_the_sign_in_page() {
        let demo = Demo::start().expect("demo");
        let clerk = demo
            .stand_in
            .clerk_builder()
            .sign_in_url("/sign-in")
            .api_only(true)
            .build()
            .expect("clerk");
        let app = test::init_service(
            App::new()
                .configure(|cfg| routes(cfg, &clerk))
                .wrap(ClerkMiddleware::new(clerk.clone())),
        )
        .await;
        let req = test::TestRequest::get()
            .uri("/dashboard?tab=1")
            .insert_header(("host", "app.example"))
            .insert_header(("sec-fetch-dest", "document"))
            .to_request();
        let res = test::call_service(&app, req).await;
        assert_eq!(res.status(), 302);
        assert_eq!(
            res.headers().get("location").and_then(|v| v.to_str().ok()),
            Some("/sign-in?redirect_url=http%3A%2F%2Fapp.example%2Fdashboard%3Ftab%3D1")
        );
    }
}
