//! WebSockets (`clerk_actix::ws`, `examples/websocket.rs`) over real sockets:
//! a real `HttpServer` on 127.0.0.1 (two workers), awc's WebSocket client,
//! tokens from the testing kit's stand-in, clock skew 0 so that deadlines
//! are the tokens' `exp`.
//!
//! Timing assertions are one-sided where load could bend them: a socket is
//! never closed *before* its deadline (the server cannot be early), and is
//! closed *within* a generous bound after it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_http::ws::Item;
use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use awc::ws::{CloseCode, Codec, Frame, Message};
use awc::BoxedSocket;
use clerk_actix::testing::StandIn;
use clerk_actix::{ws, Clerk, ClerkMiddleware};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{json, Value};

#[path = "../../examples/websocket.rs"]
#[allow(dead_code)]
mod example;

type Conn = actix_codec::Framed<BoxedSocket, Codec>;

/// Sockets whose task is still running, across the server's workers.
#[derive(Clone, Default)]
struct Live(Arc<AtomicUsize>);

struct Counted(Live);

impl Drop for Counted {
    fn drop(&mut self) {
        (self.0).0.fetch_sub(1, Ordering::SeqCst);
    }
}

struct State {
    config: ws::Config,
    live: Live,
}

/// The example's socket, counted while its task runs.
async fn counted(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<State>,
) -> actix_web::Result<HttpResponse> {
    let (response, socket) = state.config.handle(&req, body)?;
    state.live.0.fetch_add(1, Ordering::SeqCst);
    let guard = Counted(state.live.clone());
    actix_web::rt::spawn(async move {
        let _guard = guard;
        example::serve(socket).await;
    });
    Ok(response)
}

/// A push-only socket: sends a tick every 100 ms and never reads.
async fn push_only(req: HttpRequest, body: web::Payload) -> actix_web::Result<HttpResponse> {
    let (response, mut socket) = ws::handle(&req, body)?;
    actix_web::rt::spawn(async move {
        while socket.text("tick").await.is_ok() {
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
    });
    Ok(response)
}

struct Server {
    addr: SocketAddr,
    handle: ServerHandle,
    live: Live,
    stand_in: StandIn,
    clerk: Clerk,
    client: awc::Client,
}

impl Server {
    /// The example's routes (`/ws`), and `/t/ws` (counted, default
    /// config) and `/t/small` (counted, 1 KiB messages).
    async fn start() -> Self {
        let stand_in = StandIn::start().unwrap();
        let clerk = stand_in
            .clerk_builder()
            .verify_options(clerk_actix::VerifyOptions::default().clock_skew(Duration::ZERO))
            .build()
            .unwrap();
        let live = Live::default();
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        let server = HttpServer::new({
            let clerk = clerk.clone();
            let live = live.clone();
            move || {
                let state = |config| {
                    web::Data::new(State {
                        config,
                        live: live.clone(),
                    })
                };
                App::new()
                    .configure(|cfg| {
                        example::routes(
                            cfg,
                            example::Tokens::Demo {
                                session_id: "sess_none".into(),
                            },
                        )
                    })
                    .service(
                        web::resource("/t/ws")
                            .app_data(state(ws::Config::new()))
                            .route(web::get().to(counted)),
                    )
                    .route("/t/push", web::get().to(push_only))
                    .service(
                        web::resource("/t/small")
                            .app_data(state(ws::Config::new().max_message_size(1024)))
                            .route(web::get().to(counted)),
                    )
                    .wrap(
                        ClerkMiddleware::builder(clerk.clone())
                            .on_rejection(|rejection, mut res| {
                                res.insert_header((
                                    "x-test-reason",
                                    rejection.reason().unwrap_or("none"),
                                ))
                                .finish()
                            })
                            .build(),
                    )
            }
        })
        .workers(2)
        .disable_signals()
        .shutdown_timeout(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        let client = awc::Client::builder()
            .connector(awc::Connector::new().limit(0))
            .timeout(Duration::from_secs(20))
            .finish();
        Server {
            addr,
            handle,
            live,
            stand_in,
            clerk,
            client,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }

    /// A session token of `user` in `session`, expiring `secs` seconds
    /// after the current whole second.
    fn token(&self, user: &str, session: &str, secs: i64) -> (String, i64) {
        let exp = now_ms() / 1000 + secs;
        let token = self
            .stand_in
            .session_token(user)
            .session_id(session)
            .claim("exp", exp)
            .sign();
        (token, exp * 1000)
    }

    /// Connects to `path` with the token as the second subprotocol.
    async fn open(&self, path: &str, token: &str) -> Conn {
        let (res, conn) = self
            .client
            .ws(self.url(path))
            .protocols(["clerk.session", token])
            .connect()
            .await
            .unwrap();
        assert_eq!(res.status(), 101);
        conn
    }

    /// Waits (bounded) until no socket task runs.
    async fn assert_no_live_sockets(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while self.live.0.load(Ordering::SeqCst) != 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "{} socket tasks still running",
                self.live.0.load(Ordering::SeqCst)
            );
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn stop(self) {
        self.handle.stop(false).await;
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// What the server said next (pings skipped), within 20 s.
async fn next(conn: &mut Conn) -> Frame {
    loop {
        let frame = actix_web::rt::time::timeout(Duration::from_secs(20), conn.next())
            .await
            .expect("the server answered within 20 s")
            .expect("the connection is open")
            .expect("a valid frame");
        if !matches!(frame, Frame::Ping(_) | Frame::Pong(_)) {
            return frame;
        }
    }
}

async fn next_json(conn: &mut Conn) -> Value {
    match next(conn).await {
        Frame::Text(bytes) => serde_json::from_slice(&bytes).unwrap(),
        other => panic!("expected a text message, got {other:?}"),
    }
}

/// The close code and reason the server sent next, and when it came.
async fn next_close(conn: &mut Conn) -> (u16, String, i64) {
    match next(conn).await {
        Frame::Close(Some(reason)) => (
            u16::from(reason.code),
            reason.description.unwrap_or_default(),
            now_ms(),
        ),
        other => panic!("expected a close, got {other:?}"),
    }
}

async fn send(conn: &mut Conn, value: Value) {
    conn.send(Message::Text(value.to_string().into()))
        .await
        .unwrap();
}

async fn echo(conn: &mut Conn, text: &str) -> Value {
    send(conn, json!({"type": "echo", "text": text})).await;
    next_json(conn).await
}

#[actix_web::test]
async fn each_way_to_present_the_token_says_hello() {
    let server = Server::start().await;
    let (token, exp_ms) = server.token("user_1", "sess_1", 60);
    let check_hello = |hello: Value| {
        assert_eq!(hello["type"], "hello");
        assert_eq!(hello["userId"], "user_1");
        assert_eq!(hello["sessionId"], "sess_1");
        let expires_in = hello["expiresIn"].as_u64().unwrap();
        let most = u64::try_from((exp_ms - now_ms()) / 1000 + 1).unwrap();
        assert!(expires_in <= most && expires_in >= 50, "{hello}");
    };

    // Authorization: Bearer.
    let (res, mut conn) = server
        .client
        .ws(server.url("/ws"))
        .bearer_auth(&token)
        .connect()
        .await
        .unwrap();
    assert_eq!(res.status(), 101);
    assert!(res.headers().get("sec-websocket-protocol").is_none());
    check_hello(next_json(&mut conn).await);

    // The __session cookie (with __client_uat, as a browser sends them).
    let (res, mut conn) = server
        .client
        .ws(server.url("/ws"))
        .header("Cookie", server.stand_in.browser_cookies(&token))
        .connect()
        .await
        .unwrap();
    assert_eq!(res.status(), 101);
    check_hello(next_json(&mut conn).await);

    // The subprotocol pair: the answer selects clerk.session.
    let (res, mut conn) = server
        .client
        .ws(server.url("/ws"))
        .protocols(["clerk.session", token.as_str()])
        .connect()
        .await
        .unwrap();
    assert_eq!(res.status(), 101);
    assert_eq!(
        res.headers().get("sec-websocket-protocol").unwrap(),
        "clerk.session"
    );
    check_hello(next_json(&mut conn).await);
    server.stop().await;
}

/// A raw upgrade request to `/ws` with `extra` headers: its status line and
/// headers, lower-cased.
fn raw_upgrade(addr: SocketAddr, extra: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "GET /ws HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{extra}\r\n"
    )
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).to_lowercase()
}

#[actix_web::test]
async fn signed_out_upgrades_are_401_from_the_rejection_hook_without_upgrading() {
    let server = Server::start().await;
    let addr = server.addr;
    let (expired, _) = server.token("user_1", "sess_1", -30);
    let api_key = server
        .stand_in
        .with_store(|s| s.issue_api_key(json!({"subject": "user_1", "name": "k"})));
    let cases = vec![
        (String::new(), "none"),
        (
            "Sec-WebSocket-Protocol: clerk.session\r\n".to_owned(),
            "none",
        ),
        (
            "Sec-WebSocket-Protocol: chat, x y, ,,\r\n".to_owned(),
            "none",
        ),
        (
            "Sec-WebSocket-Protocol: clerk.session, not-a-jwt\r\n".to_owned(),
            "token-invalid",
        ),
        (
            format!("Sec-WebSocket-Protocol: clerk.session, {expired}\r\n"),
            "session-token-expired",
        ),
        (
            format!(
                "Sec-WebSocket-Protocol: clerk.session, {}\r\n",
                "a".repeat(9000)
            ),
            "token-invalid",
        ),
        // A machine token is not a session.
        (format!("Authorization: Bearer {api_key}\r\n"), "none"),
    ];
    for (extra, reason) in cases {
        let extra_for_log = extra.chars().take(80).collect::<String>();
        let head = web::block(move || raw_upgrade(addr, &extra)).await.unwrap();
        assert!(head.starts_with("http/1.1 401"), "{extra_for_log}: {head}");
        assert!(!head.contains("upgrade: websocket"), "{head}");
        if reason != "none" {
            assert!(
                head.contains(&format!("x-test-reason: {reason}")),
                "{extra_for_log}: {head}"
            );
        } else {
            assert!(head.contains("x-test-reason:"), "{extra_for_log}: {head}");
        }
    }
    // awc sees the same refusal.
    let err = server.client.ws(server.url("/ws")).connect().await.err();
    assert!(
        matches!(
            err,
            Some(awc::error::WsClientError::InvalidResponseStatus(s)) if s == 401
        ),
        "{err:?}"
    );
    assert_eq!(server.live.0.load(Ordering::SeqCst), 0);
    server.stop().await;
}

#[actix_web::test]
async fn echo_answers_with_the_user_and_app_messages_pass_untouched() {
    let server = Server::start().await;
    let (token, _) = server.token("user_echo", "sess_echo", 60);
    let mut conn = server.open("/t/ws", &token).await;
    assert_eq!(next_json(&mut conn).await["type"], "hello");
    let answer = echo(&mut conn, "hi \u{1F600} \"quoted\" clerk.token").await;
    assert_eq!(
        answer,
        json!({"type": "echo", "text": "hi \u{1F600} \"quoted\" clerk.token", "userId": "user_echo"})
    );
    // A ping gets a pong from the crate.
    conn.send(Message::Ping("p".into())).await.unwrap();
    let pong = actix_web::rt::time::timeout(Duration::from_secs(20), conn.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(pong, Frame::Pong("p".into()));
    // A fragmented echo arrives whole.
    conn.send(Message::Continuation(Item::FirstText(
        r#"{"type":"echo","te"#.into(),
    )))
    .await
    .unwrap();
    conn.send(Message::Continuation(Item::Last(r#"xt":"parts"}"#.into())))
        .await
        .unwrap();
    assert_eq!(next_json(&mut conn).await["text"], "parts");
    // A close is answered and ends the task.
    conn.send(Message::Close(Some(CloseCode::Normal.into())))
        .await
        .unwrap();
    let (code, _, _) = next_close(&mut conn).await;
    assert_eq!(code, 1000);
    server.assert_no_live_sockets().await;
    server.stop().await;
}

#[actix_web::test]
async fn a_short_lived_token_closes_with_4401_at_its_deadline_not_before() {
    let server = Server::start().await;
    let (token, exp_ms) = server.token("user_1", "sess_1", 3);
    let mut conn = server.open("/t/ws", &token).await;
    assert_eq!(next_json(&mut conn).await["type"], "hello");
    // Open until exp: an echo works while there is time left.
    if now_ms() < exp_ms - 1000 {
        assert_eq!(echo(&mut conn, "still here").await["text"], "still here");
    }
    let (code, reason, at) = next_close(&mut conn).await;
    assert_eq!((code, reason.as_str()), (4401, "session-token-expired"));
    assert!(at >= exp_ms - 20, "closed {} ms before exp", exp_ms - at);
    assert!(at <= exp_ms + 15_000, "closed {} ms after exp", at - exp_ms);
    server.assert_no_live_sockets().await;
    server.stop().await;
}

#[actix_web::test]
async fn a_refreshed_socket_stays_open_past_the_first_deadline() {
    let server = Server::start().await;
    let (short, short_exp) = server.token("user_1", "sess_1", 3);
    let mut conn = server.open("/t/ws", &short).await;
    assert_eq!(next_json(&mut conn).await["type"], "hello");
    let (fresh, _) = server.token("user_1", "sess_1", 60);
    send(&mut conn, json!({"type": "clerk.token", "token": fresh})).await;
    let answer = next_json(&mut conn).await;
    assert_eq!(answer["type"], "clerk.token");
    assert_eq!(answer["ok"], true);
    let expires_in = answer["expiresIn"].as_u64().unwrap();
    assert!((50..=60).contains(&expires_in), "{answer}");
    // Past the first token's deadline, still open.
    let wait = u64::try_from(short_exp + 1000 - now_ms()).unwrap_or(0);
    actix_web::rt::time::sleep(Duration::from_millis(wait)).await;
    assert_eq!(echo(&mut conn, "later").await["text"], "later");
    server.stop().await;
}

#[actix_web::test]
async fn tokens_of_another_user_or_session_or_invalid_ones_close_with_1008() {
    let server = Server::start().await;
    let (other_user, _) = server.token("user_2", "sess_1", 60);
    let (other_session, _) = server.token("user_1", "sess_2", 60);
    let (expired, _) = server.token("user_1", "sess_1", -30);
    let foreign = server
        .stand_in
        .session_token("user_1")
        .session_id("sess_1")
        .signed_by(&clerk_actix::testing::TestIssuer::generate().unwrap())
        .sign();
    for (bad, reason) in [
        (other_user, "session-mismatch"),
        (other_session, "session-mismatch"),
        (expired, "session-token-invalid"),
        (foreign, "session-token-invalid"),
        ("garbage".to_owned(), "session-token-invalid"),
    ] {
        let (token, _) = server.token("user_1", "sess_1", 60);
        let mut conn = server.open("/t/ws", &token).await;
        assert_eq!(next_json(&mut conn).await["type"], "hello");
        send(&mut conn, json!({"type": "clerk.token", "token": bad})).await;
        let (code, why, _) = next_close(&mut conn).await;
        assert_eq!((code, why.as_str()), (1008, reason));
    }
    server.assert_no_live_sockets().await;
    server.stop().await;
}

#[actix_web::test]
async fn malformed_token_messages_and_binary_frames_are_ignored() {
    let server = Server::start().await;
    let (token, _) = server.token("user_1", "sess_1", 60);
    let mut conn = server.open("/t/ws", &token).await;
    assert_eq!(next_json(&mut conn).await["type"], "hello");
    for junk in [
        r#"{"type":"clerk.token"}"#,
        r#"{"type":"clerk.token","token":5}"#,
        r#"{"type":"clerk.token","token":null}"#,
        r#"{"type":"clerk.token","#,
        r#"["clerk.token"]"#,
        "clerk.token",
        "",
    ] {
        conn.send(Message::Text(junk.into())).await.unwrap();
    }
    conn.send(Message::Binary(vec![0xff, 0, 1].into()))
        .await
        .unwrap();
    // Nothing answered them: the next answer is the echo's.
    assert_eq!(echo(&mut conn, "after junk").await["text"], "after junk");
    server.stop().await;
}

#[actix_web::test]
async fn oversized_messages_close_with_1009_at_the_configured_limit() {
    let server = Server::start().await;
    let (token, _) = server.token("user_1", "sess_1", 60);

    // Under the limit of /t/small (1 KiB): served.
    let mut conn = server.open("/t/small", &token).await;
    assert_eq!(next_json(&mut conn).await["type"], "hello");
    let text = "x".repeat(900);
    assert_eq!(echo(&mut conn, &text).await["text"], text.as_str());

    // One frame over it.
    conn.send(Message::Text("y".repeat(2000).into()))
        .await
        .unwrap();
    let (code, reason, _) = next_close(&mut conn).await;
    assert_eq!((code, reason.as_str()), (1009, "message-too-large"));

    // Fragments over it in total.
    let mut conn = server.open("/t/small", &token).await;
    assert_eq!(next_json(&mut conn).await["type"], "hello");
    for item in [
        Item::FirstText("a".repeat(600).into()),
        Item::Continue("b".repeat(600).into()),
    ] {
        conn.send(Message::Continuation(item)).await.unwrap();
    }
    let (code, _, _) = next_close(&mut conn).await;
    assert_eq!(code, 1009);

    // The default limit (64 KiB) serves 10 KiB.
    let mut conn = server.open("/t/ws", &token).await;
    assert_eq!(next_json(&mut conn).await["type"], "hello");
    let text = "z".repeat(10 * 1024);
    assert_eq!(echo(&mut conn, &text).await["text"], text.as_str());
    server.stop().await;
}

/// After an upgrade of `/t/ws` with `token`, sends `frames` raw and reads
/// what comes back until the server closes: the close code of its first
/// close frame, if any.
fn raw_frames(addr: SocketAddr, token: &str, frames: &[u8]) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "GET /t/ws HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Authorization: Bearer {token}\r\n\r\n"
    )
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"));
    stream.write_all(frames).unwrap();
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    // Server frames: unmasked, so [opcode, len, payload…]; skip to the close.
    let mut at = 0;
    while at + 2 <= rest.len() {
        let opcode = rest[at] & 0x0f;
        let (len, start) = match rest[at + 1] & 0x7f {
            126 => (
                usize::from(u16::from_be_bytes([rest[at + 2], rest[at + 3]])),
                at + 4,
            ),
            len => (usize::from(len), at + 2),
        };
        if opcode == 0x8 {
            return (len >= 2).then(|| u16::from_be_bytes([rest[start], rest[start + 1]]));
        }
        at = start + len;
    }
    None
}

/// A masked client frame (mask 0: the payload as is).
fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    assert!(payload.len() < 126);
    out.push(0x80 | payload.len() as u8);
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(payload);
    out
}

#[actix_web::test]
async fn garbage_frames_get_a_defined_close_and_no_task_leaks() {
    let server = Server::start().await;
    let addr = server.addr;
    let (token, _) = server.token("user_1", "sess_1", 60);
    let mut huge = vec![0x82, 0xff];
    huge.extend_from_slice(&(1u64 << 40).to_be_bytes());
    huge.extend_from_slice(&[0, 0, 0, 0]);
    let cases: Vec<(Vec<u8>, Option<u16>)> = vec![
        // A reserved opcode.
        (frame(0x83, b""), Some(1002)),
        // An unmasked client frame.
        (vec![0x81, 0x02, b'h', b'i'], Some(1002)),
        // Text that is not UTF-8.
        (frame(0x81, &[0xff, 0xfe]), Some(1007)),
        // A frame that claims a terabyte.
        (huge, Some(1009)),
        // A continuation without a first frame.
        (frame(0x80, b"x"), Some(1002)),
        // A fragmented text message that is not UTF-8 once whole.
        (
            [frame(0x01, &[0xe2, 0x82]), frame(0x80, &[0xff])].concat(),
            Some(1007),
        ),
    ];
    for (bytes, expected) in cases {
        let token = token.clone();
        let code = web::block(move || raw_frames(addr, &token, &bytes))
            .await
            .unwrap();
        assert_eq!(code, expected);
    }
    // Bytes that are no frames at all, then a dropped connection.
    for seed in 0..8u64 {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let junk: Vec<u8> = (0..64)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let token = token.clone();
        web::block(move || {
            let mut stream = TcpStream::connect(addr).unwrap();
            write!(
                stream,
                "GET /t/ws HTTP/1.1\r\nHost: {addr}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
                 Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                 Authorization: Bearer {token}\r\n\r\n"
            )
            .unwrap();
            stream.write_all(&junk).unwrap();
            // Dropped without a close.
        })
        .await
        .unwrap();
    }
    // A client that goes away mid-socket.
    let mut conn = server.open("/t/ws", &token).await;
    assert_eq!(next_json(&mut conn).await["type"], "hello");
    drop(conn);
    server.assert_no_live_sockets().await;
    // And the server still serves.
    let mut conn = server.open("/t/ws", &token).await;
    assert_eq!(echo(&mut conn, "alive").await["type"], "hello");
    server.stop().await;
}

#[actix_web::test]
async fn two_hundred_sockets_each_close_at_their_own_deadline() {
    const SOCKETS: usize = 200;
    let server = Server::start().await;
    // Deadlines 4, 5 and 6 s after the current whole second (time enough to
    // sign and connect them all under load).
    let tokens: Vec<(String, i64)> = (0..SOCKETS)
        .map(|i| {
            server.token(
                &format!("user_{i}"),
                &format!("sess_{i}"),
                4 + (i % 3) as i64,
            )
        })
        .collect();
    let server = &server;
    let sockets = tokens.into_iter().map(|(token, exp_ms)| async move {
        let mut conn = server.open("/t/ws", &token).await;
        assert_eq!(next_json(&mut conn).await["type"], "hello");
        let (code, reason, at) = next_close(&mut conn).await;
        (code, reason, at, exp_ms)
    });
    let closes = futures_util::future::join_all(sockets).await;
    assert_eq!(closes.len(), SOCKETS);
    for (code, reason, at, exp_ms) in closes {
        assert_eq!((code, reason.as_str()), (4401, "session-token-expired"));
        assert!(at >= exp_ms - 20, "closed {} ms before exp", exp_ms - at);
        assert!(at <= exp_ms + 20_000, "closed {} ms after exp", at - exp_ms);
    }
    server.assert_no_live_sockets().await;
    let _ = &server.clerk;
}

#[actix_web::test]
async fn a_push_only_socket_is_closed_with_4401_on_its_first_send_after_the_deadline() {
    let server = Server::start().await;
    let (token, exp_ms) = server.token("user_1", "sess_1", 3);
    let mut conn = server.open("/t/push", &token).await;
    let mut ticks = 0;
    let (code, reason, at) = loop {
        match next(&mut conn).await {
            Frame::Text(text) => {
                assert_eq!(text, "tick");
                ticks += 1;
            }
            Frame::Close(Some(reason)) => {
                break (
                    u16::from(reason.code),
                    reason.description.unwrap_or_default(),
                    now_ms(),
                )
            }
            other => panic!("unexpected {other:?}"),
        }
    };
    assert!(ticks >= 1);
    assert_eq!((code, reason.as_str()), (4401, "session-token-expired"));
    assert!(at >= exp_ms - 20, "closed {} ms before exp", exp_ms - at);
    assert!(at <= exp_ms + 15_000, "closed {} ms after exp", at - exp_ms);
    server.stop().await;
}
