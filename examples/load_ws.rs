//! WebSocket echo load for `scripts/bench-load.sh` (wrk speaks no
//! WebSockets): `CONNECTIONS` sockets opened once with a bearer token, each
//! sending a text message and awaiting its echo in a loop for `SECONDS`, on
//! one thread.
//!
//! ```sh
//! cargo run --release --example load_ws -- ws://127.0.0.1:8090/clerk "$TOKEN" 32 5
//! ```
//!
//! Prints one line: echoes per second, p50 and p99 round-trip latency, and
//! the number of sockets that failed (could not upgrade, or closed or
//! answered something else than an echo), e.g. `41234.5 0.712ms 1.503ms 0`.
//! Exits with an error when no socket could upgrade.

use std::time::{Duration, Instant};

use actix_web::rt;
use awc::ws::{Codec, Frame, Message};
use awc::BoxedSocket;
use futures_util::{SinkExt as _, StreamExt as _};

type Conn = actix_codec::Framed<BoxedSocket, Codec>;

/// The message each socket sends, as in `benches/ws.rs`: a JSON object the
/// wrapper reads and leaves to the app.
const MESSAGE: &str = r#"{"type":"echo","text":"the quick brown fox jumps over the lazy dog"}"#;

async fn connect(client: &awc::Client, url: &str, token: &str) -> Result<Conn, String> {
    let (_, conn) = client
        .ws(url)
        .bearer_auth(token)
        .connect()
        .await
        .map_err(|e| e.to_string())?;
    Ok(conn)
}

/// Round trips until `until`: each one's latency in microseconds, and
/// whether the socket stayed healthy.
async fn drive(mut conn: Conn, until: Instant) -> (Vec<u32>, bool) {
    let mut latencies = Vec::with_capacity(1 << 16);
    while Instant::now() < until {
        let start = Instant::now();
        if conn.send(Message::Text(MESSAGE.into())).await.is_err() {
            return (latencies, false);
        }
        loop {
            match conn.next().await {
                Some(Ok(Frame::Text(_))) => break,
                Some(Ok(Frame::Ping(_) | Frame::Pong(_))) => {}
                _ => return (latencies, false),
            }
        }
        latencies.push(u32::try_from(start.elapsed().as_micros()).unwrap_or(u32::MAX));
    }
    let _ = conn.send(Message::Close(None)).await;
    (latencies, true)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, token, connections, seconds] = args.as_slice() else {
        return Err("usage: load_ws URL TOKEN CONNECTIONS SECONDS".into());
    };
    let connections: usize = connections.parse()?;
    let duration = Duration::from_secs_f64(seconds.trim_end_matches('s').parse()?);
    rt::System::new().block_on(async move {
        let client = awc::Client::builder()
            .connector(awc::Connector::new().limit(0))
            .timeout(Duration::from_secs(30))
            .finish();
        let opened =
            futures_util::future::join_all((0..connections).map(|_| connect(&client, url, token)))
                .await;
        let mut failed = opened.iter().filter(|c| c.is_err()).count();
        if let Some(Err(e)) = opened.iter().find(|c| c.is_err()) {
            eprintln!("load_ws: {failed} of {connections} sockets did not open: {e}");
        }
        let conns: Vec<Conn> = opened.into_iter().filter_map(Result::ok).collect();
        if conns.is_empty() {
            return Err("no socket opened".into());
        }
        let start = Instant::now();
        let until = start + duration;
        let tasks: Vec<_> = conns
            .into_iter()
            .map(|conn| rt::spawn(drive(conn, until)))
            .collect();
        let mut latencies = Vec::new();
        for task in tasks {
            match task.await {
                Ok((mut some, healthy)) => {
                    latencies.append(&mut some);
                    failed += usize::from(!healthy);
                }
                Err(_) => failed += 1,
            }
        }
        let elapsed = start.elapsed().as_secs_f64();
        latencies.sort_unstable();
        let at = |p: usize| {
            let i = (latencies.len() * p / 100).min(latencies.len().saturating_sub(1));
            f64::from(latencies.get(i).copied().unwrap_or(0)) / 1000.0
        };
        println!(
            "{:.1} {:.3}ms {:.3}ms {failed}",
            latencies.len() as f64 / elapsed,
            at(50),
            at(99)
        );
        Ok(())
    })
}
