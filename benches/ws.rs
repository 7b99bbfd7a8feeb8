//! WebSockets: echo through `clerk_actix::ws` against a bare `actix-ws`
//! echo, in the same run and the same server, and the server's memory per
//! idle authenticated socket.
//!
//! ```sh
//! cargo bench --bench ws
//! ```
//!
//! The server runs in a child process (this binary again, with
//! `CLERK_ACTIX_WS_BENCH_SERVER` set), so that its resident memory is its
//! own: one worker, two routes behind `ClerkMiddleware`, `/bare` (actix-ws
//! alone) and `/clerk` (the wrapper). Besides criterion's figures, it prints
//! the interleaved ratio clerk/bare (median of rounds) and the RSS growth per
//! socket for 1,000 idle sockets of each kind.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use actix_web::{rt, web, App, HttpRequest, HttpResponse, HttpServer};
use awc::ws::{Codec, Frame, Message};
use awc::BoxedSocket;
use clerk_actix::testing::TestIssuer;
use clerk_actix::{ws, Clerk, ClerkMiddleware};
use criterion::{criterion_group, Criterion};
use futures_util::{SinkExt as _, StreamExt as _};

type Conn = actix_codec::Framed<BoxedSocket, Codec>;

const SERVER_ENV: &str = "CLERK_ACTIX_WS_BENCH_SERVER";
const IDLE_SOCKETS: usize = 1000;

async fn bare(req: HttpRequest, body: web::Payload) -> actix_web::Result<HttpResponse> {
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

async fn wrapped(req: HttpRequest, body: web::Payload) -> actix_web::Result<HttpResponse> {
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

/// The child: serves until killed, after printing its port.
fn server_process(pem: String) {
    let clerk = Clerk::builder().jwt_key(pem).build().expect("clerk");
    rt::System::new().block_on(async move {
        let server = HttpServer::new(move || {
            App::new()
                .route("/bare", web::get().to(bare))
                .route("/clerk", web::get().to(wrapped))
                .wrap(ClerkMiddleware::new(clerk.clone()))
        })
        .workers(1)
        .max_connections(100_000)
        .backlog(4096)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .expect("bind");
        println!("{}", server.addrs()[0].port());
        server.run().await.expect("server");
    });
}

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(pem: &str) -> Self {
        let mut child = Command::new(std::env::current_exe().expect("exe"))
            .env(SERVER_ENV, pem)
            .stdout(Stdio::piped())
            .spawn()
            .expect("server process");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("port");
        Self {
            child,
            port: line.trim().parse().expect("port number"),
        }
    }

    /// Resident memory of the server process, in KiB.
    fn rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|kib| kib.parse().ok())
            })
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn connect(client: &awc::Client, port: u16, path: &str, token: &str) -> Conn {
    let (_, conn) = client
        .ws(format!("ws://127.0.0.1:{port}{path}"))
        .bearer_auth(token)
        .connect()
        .await
        .expect("upgrade");
    conn
}

async fn round_trip(conn: &mut Conn, message: &str) {
    conn.send(Message::Text(message.to_owned().into()))
        .await
        .expect("send");
    loop {
        match conn.next().await.expect("open").expect("frame") {
            Frame::Text(_) => return,
            Frame::Ping(_) | Frame::Pong(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
}

fn websockets(c: &mut Criterion) {
    let issuer = TestIssuer::generate().expect("issuer");
    let day = Duration::from_secs(24 * 3600);
    let token = issuer.session("user_bench").lifetime(day).sign();
    let server = Server::start(&issuer.public_key_pem());
    let port = server.port;
    let system = rt::System::new();
    let client = awc::Client::builder()
        .connector(awc::Connector::new().limit(0))
        .timeout(Duration::from_secs(30))
        .finish();
    let message = r#"{"type":"echo","text":"the quick brown fox jumps over the lazy dog"}"#;
    let (mut bare_conn, mut clerk_conn) = system.block_on(async {
        (
            connect(&client, port, "/bare", &token).await,
            connect(&client, port, "/clerk", &token).await,
        )
    });

    let mut group = c.benchmark_group("ws_echo");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(4));
    group.bench_function("bare_actix_ws", |b| {
        b.iter_custom(|iters| {
            system.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    round_trip(&mut bare_conn, message).await;
                }
                start.elapsed()
            })
        });
    });
    group.bench_function("clerk_actix_ws", |b| {
        b.iter_custom(|iters| {
            system.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    round_trip(&mut clerk_conn, message).await;
                }
                start.elapsed()
            })
        });
    });
    group.finish();

    // Interleaved rounds, alternating which side goes first, so that drift
    // (other builds on the machine) hits both sides alike.
    const ROUNDS: usize = 31;
    const PER_ROUND: usize = 1000;
    let mut ratios: Vec<f64> = system.block_on(async {
        let mut ratios = Vec::new();
        for round in 0..ROUNDS {
            let mut times = [Duration::ZERO; 2];
            for side in [round % 2, 1 - round % 2] {
                let conn = if side == 0 {
                    &mut bare_conn
                } else {
                    &mut clerk_conn
                };
                let start = Instant::now();
                for _ in 0..PER_ROUND {
                    round_trip(conn, message).await;
                }
                times[side] = start.elapsed();
            }
            ratios.push(times[1].as_secs_f64() / times[0].as_secs_f64());
        }
        ratios
    });
    ratios.sort_by(f64::total_cmp);
    println!(
        "ws echo, clerk/bare time per message ({ROUNDS} interleaved rounds of {PER_ROUND}): \
         median {:.3}, quartiles {:.3}..{:.3}",
        ratios[ROUNDS / 2],
        ratios[ROUNDS / 4],
        ratios[3 * ROUNDS / 4]
    );
    println!(
        "size of clerk_actix::ws::Socket: {} B (plus its timer, boxed)",
        std::mem::size_of::<ws::Socket>()
    );

    // Memory: idle sockets, each with its own token (a real fleet's shape).
    let tokens: Vec<String> = (0..IDLE_SOCKETS)
        .map(|i| issuer.session(format!("user_{i}")).lifetime(day).sign())
        .collect();
    let settle = || std::thread::sleep(Duration::from_millis(500));
    settle();
    let before = server.rss_kib();
    let bare_sockets = system.block_on(async {
        let mut conns = Vec::new();
        for token in &tokens {
            let mut conn = connect(&client, port, "/bare", token).await;
            round_trip(&mut conn, "x").await;
            conns.push(conn);
        }
        conns
    });
    settle();
    let with_bare = server.rss_kib();
    let clerk_sockets = system.block_on(async {
        let mut conns = Vec::new();
        for token in &tokens {
            let mut conn = connect(&client, port, "/clerk", token).await;
            round_trip(&mut conn, "x").await;
            conns.push(conn);
        }
        conns
    });
    settle();
    let with_clerk = server.rss_kib();
    let per = |kib: u64| kib as f64 * 1024.0 / IDLE_SOCKETS as f64;
    println!(
        "server RSS per idle socket ({IDLE_SOCKETS} each): bare actix-ws {:.0} B, clerk_actix::ws {:.0} B (rss {before} -> {with_bare} -> {with_clerk} KiB)",
        per(with_bare.saturating_sub(before)),
        per(with_clerk.saturating_sub(with_bare)),
    );
    drop((bare_sockets, clerk_sockets));
}

criterion_group!(benches, websockets);

fn main() {
    if let Ok(pem) = std::env::var(SERVER_ENV) {
        server_process(pem);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
