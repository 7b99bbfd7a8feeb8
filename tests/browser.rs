//! The browser path end to end, in a real browser: Debian's `chromium`,
//! headless, driven with `--dump-dom` and a profile directory kept between
//! visits, against `examples/pages.rs` (a development-instance key, the
//! stand-in as Backend API and as the Frontend API's handshake through
//! `proxy_url`).
//!
//! What is asserted is what the browser saw: the final URL and the text of
//! the page it rendered, the cookies it sent, and (from Chromium's own
//! network log) whether it went through the handshake.
//!
//! A second test opens `examples/websocket.rs`'s page: its JavaScript opens
//! the socket with the token as the second subprotocol and shows the hello.
//!
//! Two more walk multi-domain apps: a browser signed in on a primary opens
//! two satellites on other host names (`*.localhost`), with and without
//! auto sync, and lands signed in through the sync; and a sign-in whose
//! handshake goes through the app's own Frontend API proxy (`/__clerk`).
//! Those assert the redirect chain as the apps answered it (recorded by a
//! wrap outside the middleware) and what the stand-in received.
//!
//! Without `chromium` the test is skipped with a message, unless `CI` is
//! set: CI installs it (`.ci/run`) and the test must run there.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../examples/pages.rs"]
#[allow(dead_code)]
mod pages;

#[path = "../examples/websocket.rs"]
#[allow(dead_code)]
mod websocket;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{App, HttpServer};
use clerk_actix::clock::Clock;
use clerk_actix::ClerkMiddleware;

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// One visit: Chromium opens `url` with `profile`, and the DOM it rendered
/// and its network log come back.
fn visit(chrome: &Path, profile: &Path, url: &str) -> (String, String) {
    visit_with(chrome, profile, url, &[])
}

/// [`visit`] with more Chromium switches.
fn visit_with(chrome: &Path, profile: &Path, url: &str, extra: &[&str]) -> (String, String) {
    let netlog = profile.with_extension(format!("{}.netlog.json", rand_id()));
    let mut child = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--log-net-log={}", netlog.display()))
        .args(extra)
        .arg("--dump-dom")
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("chromium did not finish loading {url} within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().expect("output");
    let dom = String::from_utf8_lossy(&output.stdout).into_owned();
    let log = std::fs::read_to_string(&netlog).unwrap_or_default();
    let _ = std::fs::remove_file(&netlog);
    (dom, log)
}

fn rand_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.finish()
}

/// The text of the element with `id` in a dumped page.
fn text_of(dom: &str, id: &str) -> String {
    let start = format!("<p id=\"{id}\">");
    dom.split_once(&start)
        .and_then(|(_, rest)| rest.split_once("</p>"))
        .map(|(text, _)| text.to_owned())
        .unwrap_or_default()
}

/// The app of `examples/pages.rs` on a real socket, its clock `offset`
/// seconds ahead of the system's.
fn serve(demo: &pages::Demo, offset: Arc<AtomicI64>) -> (String, actix_web::dev::ServerHandle) {
    let clock = Clock::from_fn(move || {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        now + offset.load(Ordering::SeqCst) * 1000
    });
    let clerk = demo
        .stand_in
        .clerk_builder()
        .sign_in_url("/sign-in")
        .clock(clock)
        .build()
        .unwrap();
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                let clerk = clerk.clone();
                App::new()
                    .configure(|cfg| pages::routes(cfg, &clerk))
                    .wrap(ClerkMiddleware::new(clerk))
            })
            .workers(1)
            .disable_signals()
            .listen(listener)
            .unwrap()
            .run();
            tx.send(server.handle()).unwrap();
            server.await
        })
    });
    (base, rx.recv().unwrap())
}

#[test]
fn a_real_browser_signs_in_through_the_handshake_refreshes_and_stops_loops() {
    let Some(chrome) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but chromium is not installed: .ci/run installs it with apt-get"
        );
        println!(
            "SKIPPED the real-browser test: chromium is not installed \
             (apt-get install -y --no-install-recommends chromium); CI runs it"
        );
        return;
    };
    let demo = pages::Demo::start().unwrap();
    // Tokens of 20 s: the app's clock is moved 30 s ahead to expire one.
    demo.stand_in
        .with_store(|store| store.set_browser_token_lifetime(Duration::from_secs(20)));
    let offset = Arc::new(AtomicI64::new(0));
    let (base, server) = serve(&demo, offset.clone());
    let handshake = format!("{}/v1/client/handshake", demo.stand_in.url());
    let suffix = demo
        .stand_in
        .publishable_key()
        .parse::<clerk_actix::config::PublishableKey>()
        .unwrap()
        .cookie_suffix()
        .to_owned();
    let profile = std::env::temp_dir().join(format!("clerk-actix-browser-{}", rand_id()));
    let page = format!("{base}/");

    // 1. First visit: 307 to the stand-in's handshake, 307 back, the
    //    cookies set, signed in, on the page's own URL.
    let (dom, log) = visit(&chrome, &profile, &page);
    assert_eq!(
        text_of(&dom, "status"),
        "Signed in as user_demo_ada",
        "{dom}"
    );
    assert_eq!(text_of(&dom, "url"), format!("url {page}"));
    assert!(
        log.contains(&handshake),
        "the browser never went to {handshake}"
    );
    let cookies = text_of(&dom, "cookies");
    for name in [
        "__session",
        "__client_uat",
        "__clerk_db_jwt",
        &format!("__refresh_{suffix}"),
    ] {
        assert!(
            cookies.split(' ').any(|c| c == name),
            "{name} not in {cookies}"
        );
    }
    let first_iat = text_of(&dom, "iat");

    // 2. Second visit: served from the cookies, no redirect.
    let (dom, log) = visit(&chrome, &profile, &page);
    assert_eq!(
        text_of(&dom, "status"),
        "Signed in as user_demo_ada",
        "{dom}"
    );
    assert_eq!(text_of(&dom, "iat"), first_iat);
    assert!(
        !log.contains(&handshake),
        "the second visit went through the handshake"
    );

    // 3. The session token expires (the app's clock jumps 30 s): the refresh
    //    cookie gets a new one from the Backend API, without a handshake.
    std::thread::sleep(Duration::from_millis(1100));
    offset.store(30, Ordering::SeqCst);
    let (dom, log) = visit(&chrome, &profile, &page);
    assert_eq!(
        text_of(&dom, "status"),
        "Signed in as user_demo_ada",
        "{dom}"
    );
    let refreshed_iat = text_of(&dom, "iat");
    assert_ne!(refreshed_iat, first_iat, "the token was not refreshed");
    assert!(
        !log.contains(&handshake),
        "the refresh went through the handshake"
    );
    // The browser kept the refreshed cookie.
    let (dom, _) = visit(&chrome, &profile, &page);
    assert_eq!(text_of(&dom, "iat"), refreshed_iat, "{dom}");
    offset.store(0, Ordering::SeqCst);

    // 4. A handshake that can never succeed (its cookies are for another
    //    domain, so the browser drops them) stops after 3 redirects, signed out.
    demo.stand_in
        .with_store(|store| store.set_handshake_cookie_domain(Some("elsewhere.invalid")));
    let fresh = std::env::temp_dir().join(format!("clerk-actix-browser-{}", rand_id()));
    let (dom, log) = visit(&chrome, &fresh, &page);
    assert_eq!(
        text_of(&dom, "status"),
        "Signed out (dev-browser-missing)",
        "{dom}"
    );
    assert_eq!(text_of(&dom, "redirects"), "redirects 3", "{dom}");
    assert_eq!(text_of(&dom, "url"), format!("url {page}"));
    assert!(log.contains(&handshake));

    drop(server.stop(false));
    let _ = std::fs::remove_dir_all(&profile);
    let _ = std::fs::remove_dir_all(&fresh);
}

#[test]
fn a_real_browser_opens_the_websocket_example_with_the_subprotocol_and_sees_the_hello() {
    let Some(chrome) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but chromium is not installed: .ci/run installs it with apt-get"
        );
        println!("SKIPPED the real-browser WebSocket test: chromium is not installed");
        return;
    };
    let demo = websocket::Demo::start().unwrap();
    let clerk = demo.stand_in.clerk().unwrap();
    let tokens = demo.tokens();
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                let tokens = tokens.clone();
                App::new()
                    .configure(|cfg| websocket::routes(cfg, tokens))
                    .wrap(ClerkMiddleware::new(clerk.clone()))
            })
            .workers(1)
            .disable_signals()
            .listen(listener)
            .unwrap()
            .run();
            tx.send(server.handle()).unwrap();
            server.await
        })
    });
    let server = rx.recv().unwrap();
    let profile = std::env::temp_dir().join(format!("clerk-actix-browser-ws-{}", rand_id()));
    // The page fetches a token, opens the socket, and writes what it hears
    // into the page; a virtual-time budget lets it run before the dump. The
    // socket's messages do not hold virtual time, so a loaded machine may
    // dump before the hello: a few tries.
    let mut dom = String::new();
    for _ in 0..5 {
        let output = Command::new(&chrome)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--virtual-time-budget=10000",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("--dump-dom")
            .arg(format!("{base}/"))
            .stderr(Stdio::null())
            .output()
            .expect("chromium runs");
        dom = String::from_utf8_lossy(&output.stdout).into_owned();
        if !text_of(&dom, "hello").is_empty() {
            break;
        }
    }
    assert_eq!(
        text_of(&dom, "hello"),
        format!("hello user_demo_ada {}", demo.session_id),
        "{dom}"
    );
    assert_eq!(text_of(&dom, "status"), "open", "{dom}");
    let echo = text_of(&dom, "echo");
    assert!(
        echo.is_empty() || echo == "echo hello from the browser",
        "{dom}"
    );
    drop(server.stop(false));
    let _ = std::fs::remove_dir_all(&profile);
}

// Multi-domain apps in the real browser: a satellite's round trip through
// its primary, and a sign-in through the Frontend API proxy.

/// One request an app of these tests answered, as the outermost wrap saw it.
#[derive(Clone, Debug)]
struct Hop {
    app: &'static str,
    url: String,
    status: u16,
    location: String,
    reason: String,
    /// Every response header, name and value.
    headers: Vec<(String, String)>,
}

type Hops = Arc<std::sync::Mutex<Vec<Hop>>>;

/// `res.json(getAuth(req))`, inside a page that also shows its own URL.
async fn auth_page(req: actix_web::HttpRequest) -> actix_web::HttpResponse {
    let auth = clerk_actix::get_auth(&req)
        .ok()
        .and_then(|auth| serde_json::to_string(&auth).ok())
        .unwrap_or_default();
    let url = format!(
        "{}://{}{}",
        req.connection_info().scheme(),
        req.connection_info().host(),
        req.uri()
    );
    let escape = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    actix_web::HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><title>multi-domain</title><p id=\"url\">{}</p><p id=\"auth\">{}</p>",
            escape(&url),
            escape(&auth)
        ))
}

/// The auth JSON of a dumped [`auth_page`].
fn auth_of(dom: &str) -> serde_json::Value {
    let text = text_of(dom, "auth")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("no auth JSON in the page ({e}): {dom}"))
}

/// An app on `listener`: [`auth_page`] at `/` and `/sign-in`, the Frontend
/// API proxy when given, `middleware` over all of it, and a recorder of
/// every document request outside it.
fn serve_app(
    name: &'static str,
    listener: std::net::TcpListener,
    middleware: ClerkMiddleware,
    proxy: Option<clerk_actix::multi_domain::FrontendApiProxy>,
    hops: Hops,
) -> actix_web::dev::ServerHandle {
    use actix_web::dev::Service as _;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || {
                let hops = hops.clone();
                let proxy = proxy.clone();
                App::new()
                    .route("/", actix_web::web::get().to(auth_page))
                    .route("/sign-in", actix_web::web::get().to(auth_page))
                    .configure(move |cfg| {
                        if let Some(proxy) = proxy {
                            cfg.service(proxy);
                        }
                    })
                    .wrap(middleware.clone())
                    .wrap_fn(move |req, srv| {
                        let hops = hops.clone();
                        let document = req
                            .headers()
                            .get("sec-fetch-dest")
                            .and_then(|v| v.to_str().ok())
                            == Some("document");
                        let url = format!(
                            "{}://{}{}",
                            req.connection_info().scheme(),
                            req.connection_info().host(),
                            req.uri()
                        );
                        let call = srv.call(req);
                        async move {
                            let res = call.await?;
                            if document {
                                let header = |name: &str| {
                                    res.headers()
                                        .get(name)
                                        .and_then(|v| v.to_str().ok())
                                        .unwrap_or_default()
                                        .to_owned()
                                };
                                let hop = Hop {
                                    app: name,
                                    url,
                                    status: res.status().as_u16(),
                                    location: header("location"),
                                    reason: header("x-clerk-auth-reason"),
                                    headers: res
                                        .headers()
                                        .iter()
                                        .map(|(k, v)| {
                                            (
                                                k.to_string(),
                                                String::from_utf8_lossy(v.as_bytes()).into_owned(),
                                            )
                                        })
                                        .collect(),
                                };
                                hops.lock().unwrap().push(hop);
                            }
                            Ok(res)
                        }
                    })
            })
            .workers(1)
            .disable_signals()
            .listen(listener)
            .unwrap()
            .run();
            tx.send(server.handle()).unwrap();
            server.await
        })
    });
    rx.recv_timeout(Duration::from_secs(30))
        .expect("the app's server did not start within 30 s")
}

fn loopback() -> (std::net::TcpListener, u16) {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

/// The value of query parameter `name` in `url`.
fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1.split('#').next()?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The hops recorded since the last call, emptied.
fn take(hops: &Hops) -> Vec<Hop> {
    std::mem::take(&mut *hops.lock().unwrap())
}

/// Asserts `hops` went `(app, path and query prefix, status, reason)` by
/// `expected`, one each, in order.
fn assert_chain(hops: &[Hop], expected: &[(&str, &str, u16, &str)]) {
    let seen: Vec<_> = hops
        .iter()
        .map(|h| {
            format!(
                "{} {} -> {} {} {}",
                h.app, h.url, h.status, h.reason, h.location
            )
        })
        .collect();
    assert_eq!(hops.len(), expected.len(), "the redirect chain: {seen:#?}");
    for (hop, (app, prefix, status, reason)) in hops.iter().zip(expected) {
        let path = hop
            .url
            .splitn(4, '/')
            .nth(3)
            .map(|p| format!("/{p}"))
            .unwrap_or_default();
        assert!(
            hop.app == *app
                && path.starts_with(prefix)
                && hop.status == *status
                && hop.reason == *reason,
            "expected {app} {prefix}… -> {status} {reason}; the chain: {seen:#?}"
        );
    }
}

/// Chromium resolves the test's host names to the loopback (`*.localhost`
/// is a secure context, so navigations carry `Sec-Fetch-Dest`).
const RESOLVE: &str = "--host-resolver-rules=MAP primary.localhost 127.0.0.1, \
                       MAP satellite.localhost 127.0.0.1, MAP manual.localhost 127.0.0.1";

#[test]
fn a_real_browser_signed_in_on_the_primary_lands_signed_in_on_the_satellite_and_syncs_once() {
    let Some(chrome) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but chromium is not installed: .ci/run installs it with apt-get"
        );
        println!("SKIPPED the real-browser satellite test: chromium is not installed");
        return;
    };
    let stand_in = clerk_actix::testing::StandIn::start().unwrap();
    let session = stand_in.with_store(|store| store.sign_in_browser("user_sat_ada"));
    let hops: Hops = Arc::default();
    let (primary_listener, primary_port) = loopback();
    let (satellite_listener, satellite_port) = loopback();
    let (manual_listener, manual_port) = loopback();
    let manual_origin = format!("http://manual.localhost:{manual_port}");
    let primary_origin = format!("http://primary.localhost:{primary_port}");
    let satellite_origin = format!("http://satellite.localhost:{satellite_port}");
    // One development instance, two domains: the primary signs in (its
    // handshake at the stand-in's Frontend API), the satellite syncs with it.
    let primary = stand_in
        .clerk_builder()
        .sign_in_url("/sign-in")
        .build()
        .unwrap();
    let satellite = stand_in
        .clerk_builder()
        .is_satellite(true)
        .domain("satellite.localhost")
        .sign_in_url(format!("{primary_origin}/sign-in"))
        .satellite_auto_sync(true)
        .build()
        .unwrap();
    let primary_server = serve_app(
        "primary",
        primary_listener,
        ClerkMiddleware::new(primary),
        None,
        hops.clone(),
    );
    let satellite_server = serve_app(
        "satellite",
        satellite_listener,
        ClerkMiddleware::new(satellite),
        None,
        hops.clone(),
    );
    // A second satellite without auto sync: it syncs only when asked to
    // (`__clerk_synced=false`, as Clerk's front end does).
    let manual = stand_in
        .clerk_builder()
        .is_satellite(true)
        .domain("manual.localhost")
        .sign_in_url(format!("{primary_origin}/sign-in"))
        .build()
        .unwrap();
    let manual_server = serve_app(
        "manual",
        manual_listener,
        ClerkMiddleware::new(manual),
        None,
        hops.clone(),
    );
    let profile = std::env::temp_dir().join(format!("clerk-actix-browser-sat-{}", rand_id()));
    let handshakes = |stand_in: &clerk_actix::testing::StandIn| {
        stand_in
            .requests()
            .into_iter()
            .filter(|r| r.path() == "/v1/client/handshake")
            .collect::<Vec<_>>()
    };

    // 1. Signed in on the primary: its handshake hands it a session and a
    //    dev-browser token.
    let (dom, _) = visit_with(&chrome, &profile, &format!("{primary_origin}/"), &[RESOLVE]);
    let auth = auth_of(&dom);
    assert_eq!(auth["userId"], "user_sat_ada", "{dom}");
    assert_eq!(auth["sessionId"], session.as_str(), "{dom}");
    assert_eq!(text_of(&dom, "url"), format!("{primary_origin}/"));
    let chain = take(&hops);
    assert_chain(
        &chain,
        &[
            ("primary", "/", 307, "dev-browser-missing"),
            ("primary", "/?__clerk_handshake=", 307, ""),
            ("primary", "/", 200, ""),
        ],
    );
    let dev_browser = query_param(&chain[1].url, "__clerk_db_jwt")
        .expect("the handshake came back with the dev-browser token");
    assert_eq!(handshakes(&stand_in).len(), 1);

    // 2. The satellite, first visit: to the primary's sign-in URL with
    //    `__clerk_redirect_url`, back with the primary's dev-browser token and
    //    `__clerk_synced=true`, a handshake with that token, signed in.
    let (dom, _) = visit_with(
        &chrome,
        &profile,
        &format!("{satellite_origin}/"),
        &[RESOLVE],
    );
    let auth = auth_of(&dom);
    assert_eq!(auth["isAuthenticated"], true, "{dom}");
    assert_eq!(auth["userId"], "user_sat_ada", "{dom}");
    assert_eq!(auth["sessionId"], session.as_str(), "{dom}");
    assert_eq!(
        text_of(&dom, "url"),
        format!("{satellite_origin}/?__clerk_synced=true")
    );
    let chain = take(&hops);
    assert_chain(
        &chain,
        &[
            ("satellite", "/", 307, "satellite-needs-syncing"),
            (
                "primary",
                "/sign-in?__clerk_redirect_url=",
                307,
                "primary-responds-to-syncing",
            ),
            ("satellite", "/?__clerk_db_jwt=", 307, "dev-browser-sync"),
            (
                "satellite",
                "/?__clerk_synced=true&__clerk_handshake=",
                307,
                "",
            ),
            ("satellite", "/?__clerk_synced=true", 200, ""),
        ],
    );
    assert_eq!(
        chain[0].location,
        format!(
            "{primary_origin}/sign-in?__clerk_redirect_url={}",
            form_urlencoded::byte_serialize(format!("{satellite_origin}/").as_bytes())
                .collect::<String>()
        )
    );
    assert_eq!(
        query_param(&chain[1].location, "__clerk_db_jwt").as_deref(),
        Some(dev_browser.as_str()),
        "the primary sends its own dev-browser token back"
    );
    assert_eq!(
        query_param(&chain[1].location, "__clerk_synced").as_deref(),
        Some("true")
    );
    assert!(chain[1]
        .location
        .starts_with(&format!("{satellite_origin}/?")));
    let seen = handshakes(&stand_in);
    assert_eq!(seen.len(), 2, "one handshake for the satellite");
    let satellite_handshake = &seen[1];
    let pairs = satellite_handshake.query_pairs();
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(param("__clerk_db_jwt"), Some(dev_browser.as_str()));
    assert_eq!(param("__clerk_hs_reason"), Some("dev-browser-sync"));
    assert_eq!(
        param("redirect_url"),
        Some(format!("{satellite_origin}/?__clerk_synced=true").as_str())
    );
    assert_eq!(
        chain[3].location,
        format!("{satellite_origin}/?__clerk_synced=true")
    );

    // 3. The second visit is served from the satellite's own cookies: no
    //    sync, no handshake.
    let (dom, _) = visit_with(
        &chrome,
        &profile,
        &format!("{satellite_origin}/"),
        &[RESOLVE],
    );
    let auth = auth_of(&dom);
    assert_eq!(auth["userId"], "user_sat_ada", "{dom}");
    assert_eq!(auth["sessionId"], session.as_str(), "{dom}");
    assert_chain(&take(&hops), &[("satellite", "/", 200, "")]);
    assert_eq!(handshakes(&stand_in).len(), 2, "no second handshake");

    // 4. Without auto sync, a first visit stays signed out, without a
    //    redirect; `__clerk_synced=false` asks for the sync, and the primary
    //    answers `__clerk_synced=true` in its place.
    let (dom, _) = visit_with(&chrome, &profile, &format!("{manual_origin}/"), &[RESOLVE]);
    assert_eq!(auth_of(&dom)["isAuthenticated"], false, "{dom}");
    assert_chain(
        &take(&hops),
        &[("manual", "/", 200, "session-token-and-uat-missing")],
    );
    let (dom, _) = visit_with(
        &chrome,
        &profile,
        &format!("{manual_origin}/?__clerk_synced=false"),
        &[RESOLVE],
    );
    let auth = auth_of(&dom);
    assert_eq!(auth["userId"], "user_sat_ada", "{dom}");
    assert_eq!(auth["sessionId"], session.as_str(), "{dom}");
    assert_eq!(
        text_of(&dom, "url"),
        format!("{manual_origin}/?__clerk_synced=true")
    );
    let chain = take(&hops);
    assert_chain(
        &chain,
        &[
            (
                "manual",
                "/?__clerk_synced=false",
                307,
                "satellite-needs-syncing",
            ),
            (
                "primary",
                "/sign-in?__clerk_redirect_url=",
                307,
                "primary-responds-to-syncing",
            ),
            (
                "manual",
                "/?__clerk_synced=true&__clerk_db_jwt=",
                307,
                "dev-browser-sync",
            ),
            (
                "manual",
                "/?__clerk_synced=true&__clerk_handshake=",
                307,
                "",
            ),
            ("manual", "/?__clerk_synced=true", 200, ""),
        ],
    );
    assert_eq!(
        query_param(&chain[1].location, "__clerk_db_jwt").as_deref(),
        Some(dev_browser.as_str())
    );
    assert_eq!(handshakes(&stand_in).len(), 3);

    drop(primary_server.stop(false));
    drop(satellite_server.stop(false));
    drop(manual_server.stop(false));
    let _ = std::fs::remove_dir_all(&profile);
}

#[test]
fn a_real_browser_signs_in_through_the_frontend_api_proxy() {
    let Some(chrome) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but chromium is not installed: .ci/run installs it with apt-get"
        );
        println!("SKIPPED the real-browser proxy test: chromium is not installed");
        return;
    };
    let stand_in = clerk_actix::testing::StandIn::start().unwrap();
    let session = stand_in.with_store(|store| store.sign_in_browser("user_proxy_ada"));
    let hops: Hops = Arc::default();
    let (listener, port) = loopback();
    let origin = format!("http://127.0.0.1:{port}");
    // The handshake goes to the app's own `/__clerk`, which forwards it to
    // the stand-in's Frontend API.
    let clerk = stand_in
        .clerk_builder()
        .proxy_url("/__clerk")
        .build()
        .unwrap();
    let proxy = clerk_actix::multi_domain::FrontendApiProxy::new(&clerk)
        .unwrap()
        .fapi_url(stand_in.url())
        .unwrap();
    let middleware = ClerkMiddleware::builder(clerk)
        .frontend_api_proxy(&proxy)
        .build();
    let server = serve_app("app", listener, middleware, Some(proxy), hops.clone());
    let profile = std::env::temp_dir().join(format!("clerk-actix-browser-proxy-{}", rand_id()));

    let (dom, log) = visit(&chrome, &profile, &format!("{origin}/"));
    let auth = auth_of(&dom);
    assert_eq!(auth["userId"], "user_proxy_ada", "{dom}");
    assert_eq!(auth["sessionId"], session.as_str(), "{dom}");
    assert_eq!(text_of(&dom, "url"), format!("{origin}/"));
    let chain = take(&hops);
    assert_chain(
        &chain,
        &[
            ("app", "/", 307, "dev-browser-missing"),
            ("app", "/__clerk/v1/client/handshake?redirect_url=", 307, ""),
            ("app", "/?__clerk_handshake=", 307, ""),
            ("app", "/", 200, ""),
        ],
    );
    assert!(
        chain[0]
            .location
            .starts_with(&format!("{origin}/__clerk/v1/client/handshake?")),
        "{chain:#?}"
    );
    // The browser never went to the Frontend API itself (the `/` keeps a
    // port that merely starts like the stand-in's from counting).
    let fapi = format!("{}/", stand_in.url());
    assert!(!log.contains(&fapi), "the browser went to {fapi} directly");
    assert!(log.contains(&format!("{origin}/__clerk/v1/client/handshake")));
    // The stand-in got the handshake through the proxy, with Clerk's headers.
    let forwarded: Vec<_> = stand_in
        .requests()
        .into_iter()
        .filter(|r| r.path() == "/v1/client/handshake")
        .collect();
    assert_eq!(forwarded.len(), 1);
    let handshake = &forwarded[0];
    assert_eq!(
        handshake.header("clerk-proxy-url"),
        Some(format!("{origin}/__clerk").as_str())
    );
    assert_eq!(
        handshake.header("clerk-secret-key"),
        Some(stand_in.secret_key())
    );
    assert_eq!(
        handshake.header("x-forwarded-host"),
        Some(format!("127.0.0.1:{port}").as_str())
    );
    assert_eq!(handshake.header("x-forwarded-proto"), Some("http"));
    // Nothing the browser received carries the secret key or the proxy's
    // own headers.
    for hop in &chain {
        for (name, value) in &hop.headers {
            assert!(
                !name.eq_ignore_ascii_case("clerk-secret-key")
                    && !name.eq_ignore_ascii_case("clerk-proxy-url")
                    && !value.contains(stand_in.secret_key()),
                "{} answered {name}: {value}",
                hop.url
            );
        }
    }
    assert!(!dom.contains(stand_in.secret_key()));

    // Signed in from the cookies the proxied handshake set: no second one.
    let (dom, _) = visit(&chrome, &profile, &format!("{origin}/"));
    assert_eq!(auth_of(&dom)["userId"], "user_proxy_ada", "{dom}");
    assert_chain(&take(&hops), &[("app", "/", 200, "")]);

    drop(server.stop(false));
    let _ = std::fs::remove_dir_all(&profile);
}
