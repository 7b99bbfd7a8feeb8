//! The paths built after the first load test, each beside its bare twin, for
//! `scripts/bench-load.sh`: one server per `MODE` on `PORT`, one worker
//! (`WORKERS` sets more).
//!
//! | `MODE` | serves | twin |
//! | --- | --- | --- |
//! | `unguarded` | `GET /orgs/{slug}/settings`, no authentication | |
//! | `primary` | the same route behind `ClerkMiddleware`, a plain primary domain | `unguarded` |
//! | `satellite` | the same route behind `ClerkMiddleware`, a satellite domain | `unguarded` |
//! | `org-sync` | the same route behind `ClerkMiddleware`, organization sync on | `unguarded` |
//! | `upstream` | any path: a fixed JSON body (a stand-in Frontend API) | |
//! | `proxy` | `FrontendApiProxy` at `/__clerk`, forwarding to `UPSTREAM` | `bare-proxy` |
//! | `bare-proxy` | `/__clerk`: a bare awc reverse proxy of `UPSTREAM` | |
//! | `ws` | `/clerk`: an echo through `clerk_actix::ws`; `/bare`: an `actix-ws` echo; both behind `ClerkMiddleware` | `/bare` |
//!
//! ```sh
//! cargo run --release --example load_paths -- token    # a session token, organization acme
//! MODE=satellite PORT=8083 cargo run --release --example load_paths
//! ```
//!
//! Session tokens are signed with Clerk's test key (`tests/conformance/`)
//! and verified networkless (`jwt_key`), as in `load_server`. The token of
//! `token` lives two hours and names `acme` as its active organization, so
//! a page navigation to `/orgs/acme/settings` with it in `__session` (and
//! `__client_uat=1`) is signed in, with no handshake, on the satellite and
//! under organization sync alike.

use std::time::Duration;

use actix_web::middleware::Condition;
use actix_web::{rt, web, App, HttpRequest, HttpResponse, HttpServer};
use clerk_actix::multi_domain::{FrontendApiProxy, OrganizationSync};
use clerk_actix::testing::{TestIssuer, TestOrg};
use clerk_actix::{ws, Auth, Clerk, ClerkBuilder, ClerkMiddleware};

const PRIVATE_KEY: &str = include_str!("../tests/conformance/signing-key.private.pem");
const PUBLIC_KEY: &str = include_str!("../tests/conformance/signing-key.public.pem");
const KID: &str = "ins_2GIoQhbUpy0hX7B2cVkuTMinXoD";

/// The page of the multi-domain cases.
const ROUTE: &str = "/orgs/{slug}/settings";

/// What the upstream answers, about the size of a small Frontend API answer.
const UPSTREAM_BODY: &str = r#"{"response":{"object":"client","id":"client_load","sessions":[],"sign_in":null,"sign_up":null,"last_active_session_id":null,"created_at":1700000000000,"updated_at":1700000000000},"client":null}"#;

/// The signed-in page: the active organization's slug.
async fn org_page(auth: Auth) -> HttpResponse {
    HttpResponse::Ok().body(auth.org_slug().unwrap_or_default().to_owned())
}

/// The same answer, without authentication.
async fn org_page_unguarded() -> HttpResponse {
    HttpResponse::Ok().body("acme")
}

async fn upstream() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(UPSTREAM_BODY)
}

/// A bare reverse proxy: method, path (below `/__clerk`), query and body
/// forwarded with this worker's client; status and body copied back.
async fn bare_proxy(
    req: HttpRequest,
    body: web::Payload,
    client: web::Data<awc::Client>,
    target: web::Data<String>,
) -> HttpResponse {
    let path = req.path().strip_prefix("/__clerk").unwrap_or_default();
    let mut url = format!(
        "{}{}",
        target.as_str(),
        if path.is_empty() { "/" } else { path }
    );
    if let Some(query) = req.uri().query() {
        url.push('?');
        url.push_str(query);
    }
    let upstream = client
        .request(req.method().clone(), url)
        .timeout(Duration::from_secs(30))
        .no_decompress();
    let has_body = ["content-length", "transfer-encoding"]
        .iter()
        .any(|h| req.headers().contains_key(*h));
    let sent = if has_body {
        upstream.send_stream(body).await
    } else {
        upstream.send().await
    };
    match sent {
        Ok(answer) => HttpResponse::build(answer.status()).streaming(answer),
        Err(_) => HttpResponse::BadGateway().finish(),
    }
}

/// `clerk_actix::ws`'s echo.
async fn ws_clerk(req: HttpRequest, body: web::Payload) -> actix_web::Result<HttpResponse> {
    let (response, mut socket) = ws::handle(&req, body)?;
    rt::spawn(async move {
        while let Some(message) = socket.recv().await {
            if let ws::AggregatedMessage::Text(text) = message {
                if socket.text(text).await.is_err() {
                    break;
                }
            }
        }
    });
    Ok(response)
}

/// The bare `actix-ws` echo.
async fn ws_bare(req: HttpRequest, body: web::Payload) -> actix_web::Result<HttpResponse> {
    let (response, mut session, mut stream) = actix_ws::handle(&req, body)?;
    rt::spawn(async move {
        while let Some(Ok(message)) = stream.recv().await {
            let sent = match message {
                actix_ws::Message::Text(text) => session.text(text).await,
                actix_ws::Message::Ping(bytes) => session.pong(&bytes).await,
                actix_ws::Message::Close(_) => break,
                _ => Ok(()),
            };
            if sent.is_err() {
                break;
            }
        }
    });
    Ok(response)
}

/// A production publishable key whose Frontend API is the test issuer's
/// host, so that `__session` cookies take Clerk's browser path.
fn live_key(issuer: &TestIssuer) -> String {
    use base64::Engine as _;
    let host = issuer.iss().trim_start_matches("https://");
    format!(
        "pk_live_{}",
        base64::engine::general_purpose::STANDARD.encode(format!("{host}$"))
    )
}

/// The Clerk handle of a mode.
fn clerk_of(mode: &str, issuer: &TestIssuer) -> Result<Clerk, Box<dyn std::error::Error>> {
    let base = || {
        Clerk::builder()
            .jwt_key(PUBLIC_KEY)
            .publishable_key(live_key(issuer))
            .sign_in_url("https://primary.example/sign-in")
    };
    let builder: ClerkBuilder = match mode {
        // Its tokens come from `clerk.<domain>`: the issuer's host.
        "satellite" => base()
            .is_satellite(true)
            .domain(issuer.iss().trim_start_matches("https://clerk.")),
        "org-sync" => base().organization_sync(
            OrganizationSync::new()
                .organization_patterns(["/orgs/:slug", "/orgs/:slug/(.*)"])
                .personal_account_patterns(["/me", "/me/(.*)"]),
        ),
        // The proxy needs the secret key; nothing is sent with it here
        // but to the upstream.
        "proxy" => base().secret_key("sk_test_load_paths"),
        _ => base(),
    };
    Ok(builder.build()?)
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let issuer = TestIssuer::from_private_key_pem(PRIVATE_KEY, KID)?;
    if std::env::args().nth(1).as_deref() == Some("token") {
        let token = issuer
            .session("user_load")
            .organization(TestOrg::new("org_acme", "admin").slug("acme"))
            .lifetime(Duration::from_secs(2 * 3600))
            .sign();
        println!("{token}");
        return Ok(());
    }
    let port: u16 = std::env::var("PORT").map_or(Ok(8080), |p| p.parse())?;
    let workers: usize = std::env::var("WORKERS").map_or(Ok(1), |w| w.parse())?;
    let mode = std::env::var("MODE").unwrap_or_else(|_| "unguarded".to_owned());
    let target = std::env::var("UPSTREAM").unwrap_or_else(|_| "http://127.0.0.1:9".to_owned());
    let clerk = clerk_of(&mode, &issuer)?;
    let proxy = match mode.as_str() {
        "proxy" => Some(FrontendApiProxy::new(&clerk)?.fapi_url(&target)?),
        "unguarded" | "primary" | "satellite" | "org-sync" | "upstream" | "bare-proxy" | "ws" => {
            None
        }
        other => return Err(format!("unknown MODE {other}").into()),
    };
    // ClerkMiddleware is on every app (off where it does not belong), so
    // that twins differ only by what is measured.
    let wrapped = matches!(mode.as_str(), "primary" | "satellite" | "org-sync" | "ws");
    let server = HttpServer::new(move || {
        let routes = |cfg: &mut web::ServiceConfig| match mode.as_str() {
            "upstream" => {
                cfg.default_service(web::to(upstream));
            }
            "proxy" => {
                if let Some(proxy) = &proxy {
                    cfg.service(proxy.clone());
                }
            }
            // One client per worker, as the crate's proxy has.
            "bare-proxy" => {
                cfg.app_data(web::Data::new(
                    awc::Client::builder().disable_redirects().finish(),
                ))
                .app_data(web::Data::new(target.clone()))
                .service(web::scope("/__clerk").default_service(web::to(bare_proxy)));
            }
            "ws" => {
                cfg.route("/clerk", web::get().to(ws_clerk))
                    .route("/bare", web::get().to(ws_bare));
            }
            "unguarded" => {
                cfg.route(ROUTE, web::get().to(org_page_unguarded));
            }
            _ => {
                cfg.route(ROUTE, web::get().to(org_page));
            }
        };
        App::new()
            .configure(routes)
            .wrap(Condition::new(wrapped, ClerkMiddleware::new(clerk.clone())))
    });
    println!(
        "load_paths on http://127.0.0.1:{port} (pid {})",
        std::process::id()
    );
    server
        .workers(workers)
        .bind(("127.0.0.1", port))?
        .run()
        .await?;
    Ok(())
}
