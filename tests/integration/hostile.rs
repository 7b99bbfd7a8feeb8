//! Hostile tokens: each gets its reason code, never a panic.

use std::time::Duration;

use clerk_actix::testing::{Segment, StandIn, TestIssuer};
use clerk_actix::{Clerk, Reason};

fn networkless(issuer: &TestIssuer) -> Clerk {
    Clerk::builder()
        .jwt_key(issuer.public_key_pem())
        .build()
        .unwrap()
}

async fn reason(clerk: &Clerk, token: &str) -> Reason {
    clerk.verify_token(token).await.unwrap_err().reason()
}

#[actix_web::test]
async fn algorithm_attacks_are_rejected() {
    let issuer = TestIssuer::generate().unwrap();
    let clerk = networkless(&issuer);
    let none = issuer.session("user_1").header("alg", "none").sign();
    assert_eq!(reason(&clerk, &none).await, Reason::TokenInvalidAlgorithm);
    let hs256 = issuer.session("user_1").hs256_with_public_key().sign();
    assert_eq!(reason(&clerk, &hs256).await, Reason::TokenInvalidAlgorithm);
    for alg in ["ES256", "PS256", "", "rs256"] {
        let token = issuer.session("user_1").header("alg", alg).sign();
        assert_eq!(
            reason(&clerk, &token).await,
            Reason::TokenInvalidAlgorithm,
            "{alg}"
        );
    }
    let numeric = issuer.session("user_1").header("alg", 256).sign();
    assert_eq!(
        reason(&clerk, &numeric).await,
        Reason::TokenInvalidAlgorithm
    );
    let missing = issuer.session("user_1").without_header("alg").sign();
    assert_eq!(
        reason(&clerk, &missing).await,
        Reason::TokenInvalidAlgorithm
    );
}

#[actix_web::test]
async fn rs384_header_against_an_rs256_jwk_fails_verification() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in.clerk().unwrap();
    let token = stand_in
        .session_token("user_1")
        .header("alg", "RS384")
        .sign();
    assert_eq!(
        reason(&clerk, &token).await,
        Reason::TokenVerificationFailed
    );
}

#[actix_web::test]
async fn another_key_and_tampering_fail_the_signature() {
    let issuer = TestIssuer::generate().unwrap();
    let other = TestIssuer::generate().unwrap();
    let clerk = networkless(&issuer);
    let forged = issuer.session("user_1").signed_by(&other).sign();
    assert_eq!(reason(&clerk, &forged).await, Reason::TokenInvalidSignature);

    let genuine = issuer.session("user_1").sign();
    let admin = issuer.session("user_admin").sign();
    let parts: Vec<&str> = genuine.split('.').collect();
    let admin_parts: Vec<&str> = admin.split('.').collect();
    let spliced = format!("{}.{}.{}", parts[0], admin_parts[1], parts[2]);
    assert_eq!(
        reason(&clerk, &spliced).await,
        Reason::TokenInvalidSignature
    );
}

#[actix_web::test]
async fn malformed_forms_are_token_invalid() {
    let issuer = TestIssuer::generate().unwrap();
    let clerk = networkless(&issuer);
    let token = issuer.session("user_1").sign();
    let parts: Vec<&str> = token.split('.').collect();
    let cases = [
        format!("{}.{}", parts[0], parts[1]),
        format!("{token}.{}", parts[2]),
        String::new(),
        ".".repeat(2),
        issuer.session("user_1").corrupt(Segment::Header).sign(),
        issuer.session("user_1").corrupt(Segment::Payload).sign(),
        issuer.session("user_1").corrupt(Segment::Signature).sign(),
        issuer.session("user_1").raw_header("not json").sign(),
        issuer.session("user_1").raw_payload("{\"sub\": ").sign(),
        issuer.session("user_1").raw_payload("[1,2,3]").sign(),
        issuer.session("user_1").raw_header("\"RS256\"").sign(),
        "é.é.é".to_owned(),
        "\u{0}.\u{0}.\u{0}".to_owned(),
    ];
    for case in cases {
        assert_eq!(
            reason(&clerk, &case).await,
            Reason::TokenInvalid,
            "{case:?}"
        );
    }
}

#[actix_web::test]
async fn oversized_tokens_are_rejected_before_decoding() {
    let issuer = TestIssuer::generate().unwrap();
    let clerk = networkless(&issuer);
    let huge = issuer
        .session("user_1")
        .claim("padding", "x".repeat(1024 * 1024))
        .sign();
    let err = clerk.verify_token(&huge).await.unwrap_err();
    assert_eq!(err.reason(), Reason::TokenInvalid);
    assert!(err.message().contains("longer than 16384 bytes"));
    let just_text = "a".repeat(1024 * 1024);
    assert_eq!(reason(&clerk, &just_text).await, Reason::TokenInvalid);
}

#[actix_web::test]
async fn claim_types_are_checked() {
    let issuer = TestIssuer::generate().unwrap();
    let clerk = networkless(&issuer);
    let exp_string = issuer.session("user_1").claim("exp", "9999999999").sign();
    assert_eq!(
        reason(&clerk, &exp_string).await,
        Reason::TokenVerificationFailed
    );
    let no_exp = issuer.session("user_1").without_claim("exp").sign();
    assert_eq!(
        reason(&clerk, &no_exp).await,
        Reason::TokenVerificationFailed
    );
    let nbf_object = issuer
        .session("user_1")
        .claim("nbf", serde_json::json!({}))
        .sign();
    assert_eq!(
        reason(&clerk, &nbf_object).await,
        Reason::TokenVerificationFailed
    );
    let sub_number = issuer.session("user_1").claim("sub", 42).sign();
    assert_eq!(
        reason(&clerk, &sub_number).await,
        Reason::TokenVerificationFailed
    );
    let typ = issuer.session("user_1").header("typ", "at+jwt").sign();
    assert_eq!(reason(&clerk, &typ).await, Reason::TokenInvalid);
    let m2m = issuer
        .session("user_1")
        .header("cat", "cl_B7d4PD333AAA")
        .sign();
    assert_eq!(reason(&clerk, &m2m).await, Reason::TokenInvalid);
    let huge_exp = issuer.session("user_1").claim("exp", 1e300).sign();
    assert!(clerk.verify_token(&huge_exp).await.is_ok());
    let negative = issuer.session("user_1").claim("exp", -1e300).sign();
    assert_eq!(reason(&clerk, &negative).await, Reason::TokenExpired);
}

#[actix_web::test]
async fn time_claims_with_skew() {
    let issuer = TestIssuer::generate().unwrap();
    let clerk = networkless(&issuer);
    let expired = issuer
        .session("user_1")
        .expired(Duration::from_secs(6))
        .sign();
    assert_eq!(reason(&clerk, &expired).await, Reason::TokenExpired);
    let within_skew = issuer
        .session("user_1")
        .expired(Duration::from_secs(2))
        .sign();
    assert!(clerk.verify_token(&within_skew).await.is_ok());
    let now = clerk_actix::clock::Clock::system().now_millis() / 1000;
    let future = issuer.session("user_1").issued_at(now + 60).sign();
    assert_eq!(reason(&clerk, &future).await, Reason::TokenNotActiveYet);
}

/// A small deterministic generator, so failures reproduce.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[actix_web::test]
async fn mutated_tokens_never_panic_and_never_verify() {
    let issuer = TestIssuer::generate().unwrap();
    let clerk = networkless(&issuer);
    let token = issuer.session("user_1").sign();
    let alphabet = b"AZaz09-_.=+/ \\\"{}";
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let mut mutated = 0;
    for _ in 0..3_000 {
        let mut bytes = token.clone().into_bytes();
        for _ in 0..=rng.below(3) {
            if bytes.is_empty() {
                break;
            }
            match rng.below(4) {
                0 => {
                    let i = rng.below(bytes.len());
                    bytes[i] = alphabet[rng.below(alphabet.len())];
                }
                1 => {
                    let i = rng.below(bytes.len());
                    bytes.truncate(i);
                }
                2 => {
                    let i = rng.below(bytes.len() + 1);
                    bytes.insert(i, alphabet[rng.below(alphabet.len())]);
                }
                _ => {
                    let i = rng.below(bytes.len());
                    bytes.remove(i);
                }
            }
        }
        let Ok(candidate) = String::from_utf8(bytes) else {
            continue;
        };
        if candidate == token {
            continue;
        }
        mutated += 1;
        if let Ok(claims) = clerk.verify_token(&candidate).await {
            // Only changes base64 ignores (trailing bits, padding) may pass,
            // and then the claims are the original ones.
            assert_eq!(claims.user_id(), "user_1", "{candidate}");
        }
    }
    assert!(mutated > 2_500);
}

// ------------------------------------------------------- hostile HTTP --
//
// Raw bytes over a real socket to a real `HttpServer` (two workers): what
// actix-http lets through reaches the middleware, and whatever it is, the
// answer is a 4xx or a normal one, never a 500, and the server lives on.

mod http {
    use std::io::{Read as _, Write as _};
    use std::net::{SocketAddr, TcpListener, TcpStream};
    use std::time::Duration;

    use actix_web::dev::ServerHandle;
    use actix_web::{web, App, HttpResponse, HttpServer};
    use clerk_actix::testing::{StandIn, WebhookSigner};
    use clerk_actix::webhooks::{Webhook, WebhookEvent};
    use clerk_actix::{Auth, ClerkMiddleware, OptionalAuth, Require};

    pub(super) struct Hostile {
        pub(super) addr: SocketAddr,
        pub(super) handle: ServerHandle,
        pub(super) stand_in: StandIn,
        pub(super) signer: WebhookSigner,
    }

    /// Echoes the body, and says who sent it.
    async fn echo(auth: OptionalAuth, body: web::Bytes) -> HttpResponse {
        let who = auth
            .as_ref()
            .and_then(|auth| auth.user_id())
            .unwrap_or("anonymous")
            .to_owned();
        HttpResponse::Ok().insert_header(("x-who", who)).body(body)
    }

    pub(super) async fn start() -> Hostile {
        let stand_in = StandIn::start().unwrap();
        let clerk = stand_in.clerk().unwrap();
        let signer = WebhookSigner::generate().unwrap();
        let verifier = signer.verifier_builder().build().unwrap();
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::ThinData(verifier.clone()))
                .service(
                    web::scope("/admin")
                        .wrap(Require::auth())
                        .default_service(web::to(|| async { "admin area" })),
                )
                .route(
                    "/me",
                    web::to(
                        |auth: Auth| async move { auth.user_id().unwrap_or_default().to_owned() },
                    ),
                )
                .route("/echo", web::post().to(echo))
                .route(
                    "/webhooks",
                    web::post()
                        .to(|hook: Webhook<WebhookEvent>| async move { hook.id().to_owned() }),
                )
                .default_service(web::to(HttpResponse::NotFound))
                .wrap(ClerkMiddleware::new(clerk.clone()))
        })
        .workers(2)
        .disable_signals()
        .shutdown_timeout(1)
        .max_connection_rate(1024)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Hostile {
            addr,
            handle,
            stand_in,
            signer,
        }
    }

    /// Sends `request` as is and reads the answer until the server closes.
    /// `None` when the server closed without a status line (which actix-http
    /// does for some unparseable requests).
    fn exchange(addr: SocketAddr, request: &[u8]) -> Option<(u16, Vec<u8>)> {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        // A reset while writing a huge request is an answer too.
        let _ = stream.write_all(request);
        let answer = read_answer(&mut stream);
        let line_end = answer.windows(2).position(|w| w == b"\r\n")?;
        let line = std::str::from_utf8(&answer[..line_end]).ok()?;
        let status = line.split(' ').nth(1)?.parse().ok()?;
        Some((status, answer))
    }

    /// Reads one answer: its head, then `content-length` bytes of body (or
    /// up to the close, without one). A `CONNECT` keeps the connection open
    /// after its answer, so waiting for the close would wait for a timeout.
    fn read_answer(stream: &mut TcpStream) -> Vec<u8> {
        let mut answer = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if let Some(head_end) = answer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&answer[..head_end]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok());
                if length.is_some_and(|n| answer.len() >= head_end + 4 + n) {
                    return answer;
                }
            }
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return answer,
                Ok(n) => answer.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// [`exchange`] off the test's thread (the socket calls block).
    pub(super) async fn send(addr: SocketAddr, request: Vec<u8>) -> Option<(u16, Vec<u8>)> {
        actix_web::rt::task::spawn_blocking(move || exchange(addr, &request))
            .await
            .unwrap()
    }

    /// A request with `Connection: close` and the given extra header lines.
    pub(super) fn request(start: &[u8], headers: &[&[u8]], body: &[u8]) -> Vec<u8> {
        let mut out = start.to_vec();
        out.extend_from_slice(b"\r\n");
        for header in headers {
            out.extend_from_slice(header);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
        out.extend_from_slice(b"connection: close\r\n\r\n");
        out.extend_from_slice(body);
        out
    }

    pub(super) fn body_of(answer: &[u8]) -> &[u8] {
        let start = answer
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(answer.len(), |i| i + 4);
        &answer[start..]
    }
}

use http::{body_of, request, send};

/// The `redirect_url` of a handshake answer's `Location`.
fn redirect_url(answer: &[u8]) -> String {
    let text = String::from_utf8_lossy(answer);
    let location = text
        .lines()
        .find_map(|l| l.strip_prefix("location: "))
        .expect("a Location");
    let query = location.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "redirect_url")
        .map(|(_, v)| v.into_owned())
        .expect("a redirect_url")
}

fn bearer_line(token: &str) -> Vec<u8> {
    format!("authorization: Bearer {token}").into_bytes()
}

#[actix_web::test]
async fn requests_that_cannot_become_a_url_get_a_4xx_or_a_normal_answer() {
    let app = http::start().await;
    let valid = app.stand_in.session_token("user_1").sign();
    let expired = app
        .stand_in
        .session_token("user_1")
        .expired(Duration::from_secs(60))
        .sign();
    let valid_line = bearer_line(&valid);
    let expired_line = bearer_line(&expired);
    let browser: [&[u8]; 2] = [b"sec-fetch-dest: document", b"accept: text/html"];
    let targets: [&[u8]; 12] = [
        b"GET // HTTP/1.1",
        b"GET //evil.example/me HTTP/1.1",
        b"GET ///me HTTP/1.1",
        b"GET http://user:pass@evil.example/me HTTP/1.1",
        b"GET https://user:pass@evil.example:99999/me?x=1 HTTP/1.1",
        b"GET http://[::1/me HTTP/1.1",
        b"GET * HTTP/1.1",
        b"OPTIONS * HTTP/1.1",
        b"CONNECT evil.example:443 HTTP/1.1",
        b"FOO /me HTTP/1.1",
        b"M-SEARCH * HTTP/1.1",
        b"GET /me?%ff%fe=%00&a=%zz HTTP/1.1",
    ];
    let hosts: [&[u8]; 4] = [
        b"host: app.example.com",
        b"host:",
        b"host: user:pass@[::1]:x",
        b"host: \xff\xfe",
    ];
    let mut answered = 0;
    for target in targets {
        for host in hosts {
            for token in [None, Some(&valid_line), Some(&expired_line)] {
                let mut headers: Vec<&[u8]> = vec![host];
                headers.extend(browser);
                headers.extend(token.map(Vec::as_slice));
                let Some((status, answer)) = send(app.addr, request(target, &headers, b"")).await
                else {
                    continue; // closed by actix-http before any handler
                };
                answered += 1;
                if status == 307 {
                    let redirect_url = redirect_url(&answer);
                    // The handshake comes back to this app's own host,
                    // never to one named in the target or a broken Host.
                    // (The scheme of an absolute-form target is the
                    // request's own, as in Clerk's clerkUrl; the host never is.)
                    assert!(
                        [
                            "http://app.example.com/",
                            "https://app.example.com/",
                            "http://localhost/",
                            "https://localhost/"
                        ]
                        .iter()
                        .any(|origin| redirect_url.starts_with(origin)),
                        "{}: {redirect_url}",
                        String::from_utf8_lossy(target)
                    );
                }
                assert!(
                    status < 500,
                    "{} {}: {status}\n{}",
                    String::from_utf8_lossy(target),
                    String::from_utf8_lossy(host),
                    String::from_utf8_lossy(&answer)
                );
            }
        }
    }
    assert!(answered > 100, "{answered}");
    // Still serving.
    let (status, answer) = send(
        app.addr,
        request(b"GET /me HTTP/1.1", &[b"host: a", &valid_line], b""),
    )
    .await
    .unwrap();
    assert_eq!((status, body_of(&answer)), (200, &b"user_1"[..]));
    app.handle.stop(false).await;
}

#[actix_web::test]
async fn huge_and_numerous_cookies_and_non_utf8_headers_never_give_a_500() {
    let app = http::start().await;
    let valid = app.stand_in.session_token("user_1").sign();
    let valid_line = bearer_line(&valid);
    let big_cookie = format!("cookie: __session={}", "a".repeat(64 * 1024)).into_bytes();
    let many: Vec<String> = (0..1000).map(|i| format!("c{i}=v{i}")).collect();
    let many_cookies = format!("cookie: {}", many.join("; ")).into_bytes();
    let many_sessions: Vec<String> = (0..1000)
        .map(|i| format!("__session_{i:08x}={valid}"))
        .collect();
    let many_session_cookies = format!("cookie: {}", many_sessions.join("; ")).into_bytes();
    // Every header the crate reads, with bytes that are not UTF-8.
    let odd: [&[u8]; 12] = [
        b"authorization: Bearer \xff\xfe\xfd",
        b"authorization: \xc3\x28",
        b"authorization: Bearer \x80.\x80.\x80",
        b"cookie: __session=\xff; __client_uat=\xfe",
        b"cookie: \xff",
        b"x-forwarded-host: \xff\xfe",
        b"x-forwarded-proto: \xff",
        b"sec-fetch-dest: \xff",
        b"accept: \xff\xfe",
        b"svix-id: \xff",
        b"svix-timestamp: \xff\xfe",
        b"svix-signature: v1,\xff",
    ];
    for (route, method) in [("/me", "GET"), ("/admin/x", "GET"), ("/webhooks", "POST")] {
        let start = format!("{method} {route} HTTP/1.1").into_bytes();
        let cases: Vec<Vec<&[u8]>> = [
            vec![big_cookie.as_slice()],
            vec![many_cookies.as_slice()],
            vec![many_cookies.as_slice(), valid_line.as_slice()],
            vec![many_session_cookies.as_slice()],
        ]
        .into_iter()
        .chain(odd.iter().map(|line| vec![*line]))
        .chain(odd.iter().map(|line| vec![*line, valid_line.as_slice()]))
        .collect();
        for mut headers in cases {
            headers.push(b"host: app.example.com");
            headers.push(b"sec-fetch-dest: document");
            let Some((status, answer)) = send(app.addr, request(&start, &headers, b"{}")).await
            else {
                continue;
            };
            assert!(
                status < 500,
                "{route} {:?}: {status}\n{}",
                String::from_utf8_lossy(headers[0]),
                String::from_utf8_lossy(&answer)
            );
            // A valid bearer token next to the odd header still signs in,
            // unless the odd header is the Authorization itself.
            if headers.contains(&valid_line.as_slice())
                && route == "/me"
                && !headers[0].starts_with(b"authorization")
                && !headers[0].starts_with(b"cookie: __session=a")
            {
                assert_eq!(status, 200, "{}", String::from_utf8_lossy(headers[0]));
            }
        }
    }
    // A webhook with odd svix bytes is refused as a bad request.
    let odd_hook = request(
        b"POST /webhooks HTTP/1.1",
        &[
            b"host: a",
            b"svix-id: \xff",
            b"svix-timestamp: \xff",
            b"svix-signature: \xff",
        ],
        b"{}",
    );
    assert_eq!(send(app.addr, odd_hook).await.unwrap().0, 400);
    app.handle.stop(false).await;
}

#[actix_web::test]
async fn percent_encoded_and_dot_segment_paths_stay_behind_the_scope() {
    let app = http::start().await;
    let valid = app.stand_in.session_token("user_1").sign();
    let paths = [
        "/admin",
        "/admin/",
        "/admin/x",
        "/%61dmin",
        "/%61dmin/x",
        "/%41dmin",
        "/ADMIN",
        "/admin%2f",
        "/admin%2Fx",
        "//admin",
        "/./admin",
        "/x/../admin",
        "/admin/./x",
        "/admin/../admin/x",
        "/%2e/admin",
        "/x/%2e%2e/admin",
        "/admin%00",
        "/admin;x",
        "/admin?x=/../",
        "/admin#x",
        "/adm%69n/x",
    ];
    for path in paths {
        let start = format!("GET {path} HTTP/1.1").into_bytes();
        let signed_out = send(app.addr, request(&start, &[b"host: a"], b"")).await;
        let Some((status, answer)) = signed_out else {
            continue;
        };
        // Never the admin area without a session: 401 from the scope, or a
        // 404/400 for a path the router does not take as the scope.
        assert!(
            body_of(&answer) != b"admin area",
            "{path}: {status} reached the admin area signed out"
        );
        assert!(status < 500, "{path}: {status}");
        // With a session the scope's own paths answer (so the check above
        // is not vacuous).
        let (status_in, answer_in) = send(
            app.addr,
            request(&start, &[b"host: a", &bearer_line(&valid)], b""),
        )
        .await
        .unwrap();
        if body_of(&answer_in) == b"admin area" {
            assert_eq!(status, 401, "{path}: signed out got {status}");
        } else {
            assert!(status_in < 500, "{path}: {status_in}");
        }
    }
    // The plain and the percent-encoded forms are the scope.
    for path in ["/admin/x", "/%61dmin/x"] {
        let start = format!("GET {path} HTTP/1.1").into_bytes();
        let (status, answer) = send(
            app.addr,
            request(&start, &[b"host: a", &bearer_line(&valid)], b""),
        )
        .await
        .unwrap();
        assert_eq!(
            (status, body_of(&answer)),
            (200, &b"admin area"[..]),
            "{path}"
        );
    }
    app.handle.stop(false).await;
}

#[actix_web::test]
async fn authentication_never_reads_the_request_body() {
    let app = http::start().await;
    let valid = app.stand_in.session_token("user_1").sign();
    let expired = app
        .stand_in
        .session_token("user_1")
        .expired(Duration::from_secs(60))
        .sign();
    let api_key = app.stand_in.api_key("user_1", ["read"]);
    let mut body: Vec<u8> = (0..64 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    body.extend_from_slice(b"Bearer not-a-token; __session=x");
    for (token, who) in [
        (None, "anonymous"),
        (Some(valid.as_str()), "user_1"),
        (Some(expired.as_str()), "anonymous"),
        (Some("garbage"), "anonymous"),
        (Some(api_key.as_str()), "anonymous"),
    ] {
        let line = token.map(bearer_line);
        let mut headers: Vec<&[u8]> = vec![b"host: a", b"content-type: application/octet-stream"];
        headers.extend(line.as_deref());
        let (status, answer) = send(app.addr, request(b"POST /echo HTTP/1.1", &headers, &body))
            .await
            .unwrap();
        assert_eq!(status, 200, "{token:?}");
        let text = String::from_utf8_lossy(&answer);
        assert!(
            text.contains(&format!("x-who: {who}")),
            "{token:?}: {text:.300}"
        );
        assert_eq!(body_of(&answer), body.as_slice(), "{token:?}");
    }
    // A signed webhook behind the middleware: its raw body reaches the
    // verifier intact, with or without a session token on the request.
    let signed = app
        .signer
        .sign(r#"{"type":"user.created","object":"event","data":{"id":"user_1"}}"#);
    for token in [None, Some(valid.as_str())] {
        let header_lines: Vec<Vec<u8>> = signed
            .headers()
            .iter()
            .map(|(name, value)| format!("{name}: {value}").into_bytes())
            .chain(token.map(bearer_line))
            .chain([
                b"host: a".to_vec(),
                b"content-type: application/json".to_vec(),
            ])
            .collect();
        let headers: Vec<&[u8]> = header_lines.iter().map(Vec::as_slice).collect();
        let (status, answer) = send(
            app.addr,
            request(b"POST /webhooks HTTP/1.1", &headers, signed.body()),
        )
        .await
        .unwrap();
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
        assert_eq!(body_of(&answer), signed.id().as_bytes());
    }
    app.handle.stop(false).await;
}

/// A garbage `__clerk_handshake` on a development instance (Clerk throws, a
/// 500): what a request carries never makes a 5xx here.
#[actix_web::test]
async fn garbage_handshake_tokens_never_give_a_500() {
    let app = http::start().await;
    let forged = {
        let other = TestIssuer::generate().unwrap();
        app.stand_in
            .session_token("x")
            .raw_payload("{\"handshake\":[]}")
            .signed_by(&other)
            .sign()
    };
    let queries = [
        "__clerk_handshake=%ff%fe.a.b".to_owned(),
        "__clerk_handshake=a.b.c".to_owned(),
        "__clerk_handshake=%00".to_owned(),
        format!("__clerk_handshake={}", "a".repeat(20_000)),
        format!("__clerk_handshake={forged}"),
        "__clerk_handshake_nonce=%ff%fe".to_owned(),
    ];
    for query in &queries {
        for route in ["/me", "/admin/x", "/nowhere"] {
            let start = format!("GET {route}?{query} HTTP/1.1").into_bytes();
            let request = http::request(
                &start,
                &[b"accept: text/html", b"sec-fetch-dest: document"],
                b"",
            );
            let (status, _) = http::send(app.addr, request).await.unwrap_or_else(|| {
                panic!("no answer to {route}?{}", &query[..query.len().min(40)])
            });
            assert!(
                status < 500,
                "{status} for {route}?{}",
                &query[..query.len().min(40)]
            );
        }
    }
    app.handle.stop(false).await;
}
