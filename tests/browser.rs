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
