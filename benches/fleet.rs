//! The fleet's shared cache and the Backend API budget, measured.
//!
//! ```sh
//! cargo bench --bench fleet             # all of it (about a minute)
//! cargo bench --bench fleet -- --quick  # criterion's short runs
//! ```
//!
//! * criterion: a request with a locally cached API key through
//!   `ClerkMiddleware`, with and without a shared cache (Redis is not on the
//!   hot path of a local hit);
//! * a key first seen by this replica but known to the fleet: one Redis round
//!   trip, no Backend API call (mean over 5 000 keys);
//! * Backend API calls per key per cache lifetime for 1, 2 and 4 replicas
//!   (N `Clerk` handles on one stand-in), with and without Redis;
//! * a 10-second flood of random well-formed API keys (16 concurrent
//!   clients, 127.0.0.1): Backend API verify calls with no budget (as before
//!   issue 22) and with the default budget.
//!
//! Needs `redis-server` on the PATH (it is started on a random port and
//! stopped at the end); without it, the Redis parts are skipped.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use actix_web::{test, web, App, HttpResponse};
use clerk_actix::machine::ApiKeyAuth;
use clerk_actix::testing::StandIn;
use clerk_actix::{Clerk, ClerkMiddleware};
use criterion::{criterion_group, criterion_main, Criterion};

struct Redis(Child, u16);

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn redis() -> Option<Redis> {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .ok()?
        .port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| eprintln!("Redis parts skipped: redis-server: {e}"))
        .ok()?;
    let redis = Redis(child, port);
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(redis);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    None
}

fn url(redis: &Redis) -> String {
    format!("redis://127.0.0.1:{}/0", redis.1)
}

async fn key_id(key: ApiKeyAuth) -> HttpResponse {
    HttpResponse::Ok().body(key.id().to_owned())
}

fn cached_key(c: &mut Criterion) {
    let system = actix_web::rt::System::new();
    let stand_in = StandIn::start().unwrap();
    let redis = redis();
    let key = stand_in.api_key("user_1", ["read"]);
    let bearer = format!("Bearer {key}");
    let local = stand_in.clerk().unwrap();
    let shared = redis
        .as_ref()
        .map(|r| stand_in.clerk_builder().redis_url(url(r)).build().unwrap());
    let app = |clerk: Clerk| {
        test::init_service(
            App::new()
                .route("/", web::get().to(key_id))
                .wrap(ClerkMiddleware::new(clerk)),
        )
    };
    let request = || {
        test::TestRequest::get()
            .uri("/")
            .insert_header(("authorization", bearer.as_str()))
            .to_request()
    };
    let local_app = system.block_on(app(local));
    let mut group = c.benchmark_group("fleet");
    system.block_on(async {
        assert_eq!(
            test::call_service(&local_app, request()).await.status(),
            200
        );
    });
    group.bench_function("cached_api_key_local_only", |b| {
        b.iter(|| system.block_on(test::call_service(&local_app, request())))
    });
    if let Some(shared) = shared {
        let shared_app = system.block_on(app(shared));
        system.block_on(async {
            assert_eq!(
                test::call_service(&shared_app, request()).await.status(),
                200
            );
        });
        group.bench_function("cached_api_key_with_redis", |b| {
            b.iter(|| system.block_on(test::call_service(&shared_app, request())))
        });
    }
    group.finish();
}

/// The mean cost of verifying a key this replica never saw, known to the
/// fleet (a Redis hit), beside a local hit.
async fn fleet_hit(stand_in: &StandIn, redis: &Redis) {
    let unlimited = || {
        stand_in
            .clerk_builder()
            .backend_call_budget(0, Duration::ZERO)
            .redis_url(url(redis))
            .build()
            .unwrap()
    };
    let (first, second) = (unlimited(), unlimited());
    let keys: Vec<String> = (0..5_000)
        .map(|i| stand_in.api_key(&format!("user_{i}"), ["read"]))
        .collect();
    for key in &keys {
        first.verify_machine_token(key).await.unwrap();
    }
    let warm = stand_in.api_key("user_warm", ["read"]);
    second.verify_machine_token(&warm).await.unwrap();
    let calls = stand_in.count("/api_keys/verify");
    let started = Instant::now();
    for key in &keys {
        second.verify_machine_token(key).await.unwrap();
    }
    let redis_hit = started.elapsed() / 5_000;
    assert_eq!(
        stand_in.count("/api_keys/verify"),
        calls,
        "a Backend API call"
    );
    let started = Instant::now();
    for key in &keys {
        second.verify_machine_token(key).await.unwrap();
    }
    let local_hit = started.elapsed() / 5_000;
    println!(
        "fleet: a key first seen here, known to the fleet: {redis_hit:?} per verification \
         (one Redis round trip, 0 Backend API calls); a local hit: {local_hit:?}"
    );
}

/// Backend API calls per key per cache lifetime for 1, 2 and 4 replicas.
async fn calls_per_key(redis: Option<&Redis>) {
    const KEYS: usize = 50;
    for replicas in [1, 2, 4] {
        let stand_in = StandIn::start().unwrap();
        let fleet: Vec<Clerk> = (0..replicas).map(|_| stand_in.clerk().unwrap()).collect();
        let ratio = run_replicas(&stand_in, &fleet, KEYS).await;
        println!("fleet: {replicas} replica(s), no Redis: {ratio:.2} Backend API calls per key");
        if let Some(redis) = redis {
            let stand_in = StandIn::start().unwrap();
            let fleet: Vec<Clerk> = (0..replicas)
                .map(|_| {
                    stand_in
                        .clerk_builder()
                        .redis_url(url(redis))
                        .build()
                        .unwrap()
                })
                .collect();
            let ratio = run_replicas(&stand_in, &fleet, KEYS).await;
            println!("fleet: {replicas} replica(s), Redis: {ratio:.2} Backend API calls per key");
        }
    }
}

/// Each replica verifies each key three times, interleaved.
async fn run_replicas(stand_in: &StandIn, fleet: &[Clerk], keys: usize) -> f64 {
    let keys: Vec<String> = (0..keys)
        .map(|i| stand_in.api_key(&format!("user_{i}"), ["read"]))
        .collect();
    for _ in 0..3 {
        for key in &keys {
            for clerk in fleet {
                clerk.verify_machine_token(key).await.unwrap();
            }
        }
    }
    stand_in.count("/api_keys/verify") as f64 / keys.len() as f64
}

/// 16 clients sending random well-formed API keys for 10 s; the Backend API
/// verify calls they cost.
async fn flood(budget: bool) {
    let stand_in = StandIn::start().unwrap();
    let mut builder = stand_in.clerk_builder();
    if !budget {
        builder = builder.backend_call_budget(0, Duration::ZERO);
    }
    let clerk = builder.build().unwrap();
    let cached = stand_in.api_key("user_1", ["read"]);
    clerk.verify_machine_token(&cached).await.unwrap();
    stand_in.clear_requests();
    let started = Instant::now();
    let clients = (0..16u64).map(|client| {
        let clerk = clerk.clone();
        let cached = cached.clone();
        async move {
            let (mut requests, mut cached_ok, mut cached_sent) = (0u64, 0u64, 0u64);
            let mut state = 0x9e37_79b9_7f4a_7c15_u64 ^ client;
            while started.elapsed() < Duration::from_secs(10) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let key = format!("ak_{state:016x}{client:04x}{requests:012x}");
                let _ = clerk.verify_machine_token(&key).await;
                requests += 1;
                if requests % 100 == 0 {
                    cached_sent += 1;
                    cached_ok += u64::from(clerk.verify_machine_token(&cached).await.is_ok());
                }
            }
            (requests, cached_ok, cached_sent)
        }
    });
    let results = futures_util::future::join_all(clients).await;
    let requests: u64 = results.iter().map(|r| r.0).sum();
    let cached_ok: u64 = results.iter().map(|r| r.1).sum();
    let cached_sent: u64 = results.iter().map(|r| r.2).sum();
    println!(
        "fleet: 10 s random-key flood, {}: {requests} requests, {} Backend API verify calls; \
         the cached key verified {cached_ok} of {cached_sent} times",
        if budget {
            "default budget (development instance: 50 per 10 s)"
        } else {
            "no budget (as before)"
        },
        stand_in.count("/api_keys/verify"),
    );
}

fn programs(_: &mut Criterion) {
    let system = actix_web::rt::System::new();
    let redis = redis();
    system.block_on(async {
        if let Some(redis) = &redis {
            let stand_in = StandIn::start().unwrap();
            fleet_hit(&stand_in, redis).await;
        }
        calls_per_key(redis.as_ref()).await;
        flood(false).await;
        flood(true).await;
    });
}

criterion_group!(benches, cached_key, programs);
criterion_main!(benches);
