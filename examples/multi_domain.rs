//! A multi-domain app: a primary or a satellite domain, organization sync,
//! and (optionally) the Frontend API proxy. Every route answers the auth
//! object as JSON, like `res.json(getAuth(req))`, signed in or not.
//!
//! ```sh
//! cargo run --example multi_domain
//! ```
//!
//! Configuration is Clerk's environment (or `.env`):
//!
//! | variable | |
//! | --- | --- |
//! | `PORT` | listen on `127.0.0.1:$PORT` (default 3000) |
//! | `CLERK_SECRET_KEY`, `CLERK_PUBLISHABLE_KEY`, `CLERK_API_URL` | the instance |
//! | `CLERK_IS_SATELLITE`, `CLERK_DOMAIN`, `CLERK_SIGN_IN_URL`, `CLERK_PROXY_URL` | a satellite domain |
//! | `CLERK_FAPI_URL` | where the proxy forwards to (default: from the publishable key) |
//! | `CLERK_SATELLITE_AUTO_SYNC` | this example's switch: `satelliteAutoSync` on |
//! | `CLERK_FRONTEND_API_PROXY` | this example's switch: the proxy at `/__clerk`, also the proxy URL |
//!
//! The two switches are parsed like `CLERK_IS_SATELLITE`. Organization sync
//! is fixed: `/orgs/:slug` and `/orgs/:slug/(.*)` name an organization, `/me`
//! and `/me/(.*)` are the personal account.
//!
//! Routes (GET; other methods 405, other paths 404): `/`, `/orgs/{slug}`,
//! `/orgs/{slug}/settings`, `/me`, `/me/profile`, `/protected`. With the proxy
//! switch on, `/__clerk` and everything under it, any method, is proxied.
//!
//! With no `CLERK_SECRET_KEY`, it runs in local demo mode against a local
//! stand-in of Clerk and prints ready-to-paste `curl` lines.

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use clerk_actix::multi_domain::{
    is_truthy, FrontendApiProxy, OrganizationSync, DEFAULT_PROXY_PATH,
};
use clerk_actix::testing::{StandIn, TestOrg};
use clerk_actix::{get_auth, Clerk, ClerkBuilder, ClerkMiddleware};

/// `res.json(getAuth(req))`.
async fn auth_json(req: HttpRequest) -> Result<HttpResponse, actix_web::Error> {
    Ok(HttpResponse::Ok().json(get_auth(&req)?))
}

/// The routes, shared by `main` and the tests.
fn routes(cfg: &mut web::ServiceConfig) {
    for path in [
        "/",
        "/orgs/{slug}",
        "/orgs/{slug}/settings",
        "/me",
        "/me/profile",
        "/protected",
    ] {
        cfg.service(web::resource(path).route(web::get().to(auth_json)));
    }
}

/// The organization sync of this example.
fn organization_sync() -> OrganizationSync {
    OrganizationSync::new()
        .organization_patterns(["/orgs/:slug", "/orgs/:slug/(.*)"])
        .personal_account_patterns(["/me", "/me/(.*)"])
}

fn switch(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| is_truthy(v.trim()))
}

/// The handle and the proxy, built once before the server.
struct Setup {
    clerk: Clerk,
    proxy: Option<FrontendApiProxy>,
}

impl Setup {
    /// From the environment; `demo` puts the stand-in in place of Clerk.
    fn from_env(demo: Option<&Demo>) -> Result<Self, Box<dyn std::error::Error>> {
        let mut builder = match demo {
            Some(demo) => demo.stand_in.clerk_builder(),
            None => ClerkBuilder::from_env(),
        };
        builder = builder
            .organization_sync(organization_sync())
            .satellite_auto_sync(switch("CLERK_SATELLITE_AUTO_SYNC"));
        let proxied = switch("CLERK_FRONTEND_API_PROXY");
        let proxy_url_set = std::env::var("CLERK_PROXY_URL").is_ok_and(|v| !v.trim().is_empty());
        if proxied && (demo.is_some() || !proxy_url_set) {
            builder = builder.proxy_url(DEFAULT_PROXY_PATH);
        }
        let clerk = builder.build()?;
        let proxy = match (proxied, demo) {
            (false, _) => None,
            (true, Some(demo)) => {
                Some(FrontendApiProxy::new(&clerk)?.fapi_url(demo.stand_in.url())?)
            }
            (true, None) => Some(FrontendApiProxy::new(&clerk)?),
        };
        Ok(Self { clerk, proxy })
    }

    fn middleware(&self) -> ClerkMiddleware {
        let mut middleware = ClerkMiddleware::builder(self.clerk.clone());
        if let Some(proxy) = &self.proxy {
            middleware = middleware.frontend_api_proxy(proxy);
        }
        middleware.build()
    }

    /// The routes and, when on, the proxy.
    fn configure(&self) -> impl Fn(&mut web::ServiceConfig) + Clone {
        let proxy = self.proxy.clone();
        move |cfg| {
            routes(cfg);
            if let Some(proxy) = &proxy {
                cfg.service(proxy.clone());
            }
        }
    }
}

/// Local demo mode: a stand-in of Clerk and a token for a demo user.
struct Demo {
    stand_in: StandIn,
    token: String,
}

impl Demo {
    fn start() -> Result<Self, Box<dyn std::error::Error>> {
        let stand_in = StandIn::start()?;
        let token = stand_in
            .session_token("user_demo_ada")
            .organization(TestOrg::new("org_demo", "admin").slug("demo"))
            .lifetime(std::time::Duration::from_secs(3600))
            .sign();
        Ok(Self { stand_in, token })
    }

    /// The lines to paste, each with the status it answers.
    fn curl_lines(base: &str) -> Vec<String> {
        let browser = "-H \"Sec-Fetch-Dest: document\" -H \"Cookie: __session=$ADA; __client_uat=1; __clerk_db_jwt=dvb_demo\"";
        vec![
            format!("curl -i {base}/    # 200: signed out"),
            format!("curl -i {base}/protected -H \"Authorization: Bearer $ADA\"    # 200: Ada, org demo"),
            format!("curl -i {base}/orgs/demo {browser}    # 200: the URL names Ada's active organization"),
            format!("curl -i {base}/orgs/acme/settings {browser}    # 307: a handshake that activates acme"),
            format!("curl -i {base}/me/profile {browser}    # 307: a handshake to the personal account"),
            format!("curl -i {base}/orgs/acme -H \"Cookie: __session=$ADA; __client_uat=1; __clerk_db_jwt=dvb_demo\"    # 200: an API call keeps the token's organization"),
            format!("curl -i {base}/elsewhere    # 404"),
            format!("curl -i -X POST {base}/me    # 405"),
        ]
    }
}

/// The crate's diagnostics on stderr from `info` up; `RUST_LOG` overrides.
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
    // Built once, outside the server factory: every worker shares its keys.
    let setup = Setup::from_env(demo.as_ref())?;
    let middleware = setup.middleware();
    let configure = setup.configure();
    let server = HttpServer::new(move || {
        App::new()
            .configure(configure.clone())
            // One middleware over the whole app: it sees every request.
            .wrap(middleware.clone())
    })
    .bind(("127.0.0.1", port))?;
    let base = format!("http://localhost:{}", server.addrs()[0].port());
    if let Some(demo) = &demo {
        println!(
            "No CLERK_SECRET_KEY: running in local demo mode against a local stand-in of Clerk \
             at {}.\nA session token for Ada (organization demo), valid for one hour:\n\n  \
             ADA='{}'\n",
            demo.stand_in.url(),
            demo.token
        );
        for line in Demo::curl_lines(&base) {
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
    //! `cargo test --example multi_domain`: the demo answers its own curl lines.

    use super::*;
    use actix_web::test;

    /// A printed curl line as a request: method, path, headers, status.
    fn parse(line: &str, token: &str) -> (String, String, Vec<(String, String)>, u16) {
        let (command, comment) = line.split_once("    # ").expect("comment");
        let status = comment[..3].parse().expect("status");
        let command = command.replace("$ADA", token);
        let method = if command.contains("-X POST") {
            "POST"
        } else {
            "GET"
        };
        let url = command
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .expect("url");
        let path = url.trim_start_matches("http://localhost:3000").to_owned();
        let headers = command
            .split('"')
            .skip(1)
            .step_by(2)
            .map(|h| {
                let (name, value) = h.split_once(": ").expect("header");
                (name.to_owned(), value.to_owned())
            })
            .collect();
        (method.to_owned(), path, headers, status)
    }

    #[actix_web::test]
    async fn demo_mode_answers_its_printed_curl_lines() {
        let demo = Demo::start().expect("demo");
        let setup = Setup::from_env(Some(&demo)).expect("setup");
        let app = test::init_service(
            App::new()
                .configure(setup.configure())
                .wrap(setup.middleware()),
        )
        .await;
        let lines = Demo::curl_lines("http://localhost:3000");
        assert_eq!(lines.len(), 8);
        for line in &lines {
            let (method, path, headers, status) = parse(line, &demo.token);
            let mut req = test::TestRequest::default()
                .method(method.parse().expect("method"))
                .uri(&path);
            for (name, value) in headers {
                req = req.insert_header((name, value));
            }
            let res = test::call_service(&app, req.to_request()).await;
            assert_eq!(res.status().as_u16(), status, "{line}");
            let location = res
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body = test::read_body(res).await;
            match status {
                200 => {
                    let auth: serde_json::Value = serde_json::from_slice(&body).expect("json");
                    let signed_in = !path.ends_with('/') || path.len() > 1;
                    assert_eq!(auth["isAuthenticated"], signed_in, "{line}: {auth}");
                    if signed_in {
                        assert_eq!(auth["userId"], "user_demo_ada", "{line}");
                        assert_eq!(auth["orgSlug"], "demo", "{line}");
                    }
                }
                307 if path.starts_with("/orgs/acme") => {
                    assert!(location.contains("organization_id=acme"), "{location}");
                    assert!(
                        location.contains("active-organization-mismatch"),
                        "{location}"
                    );
                }
                307 => assert!(location.ends_with("organization_id="), "{location}"),
                _ => {}
            }
        }
    }
}
