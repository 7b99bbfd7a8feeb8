//! One Backend API GET against the local stand-in (plain HTTP on 127.0.0.1),
//! three ways:
//!
//! * `clerk_client` — `ClerkClient::users().get`, which sends through the
//!   crate's one-awc-`Client`-per-thread transport (connections are reused);
//! * `awc_reused_client` — a bare awc `Client` built once, for the floor;
//! * `awc_client_per_call` — a bare awc `Client` (rustls connector, shared TLS
//!   config) built for every request, so every request opens a connection.
//!
//! ```sh
//! cargo bench --features testing --bench client
//! ```
//!
//! The stand-in speaks plain HTTP, so the per-call case pays only a TCP
//! handshake on loopback; against the real API a TLS handshake comes on top.

#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;

use clerk_actix::testing::StandIn;
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;

fn tls_config() -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

fn awc_client(tls: &Arc<rustls::ClientConfig>) -> awc::Client {
    awc::Client::builder()
        .connector(awc::Connector::new().rustls_0_23(tls.clone()))
        .disable_redirects()
        .finish()
}

async fn get(client: &awc::Client, url: &str, bearer: &str) -> usize {
    let mut response = client
        .get(url)
        .insert_header(("authorization", bearer))
        .insert_header(("clerk-api-version", "2026-05-12"))
        .insert_header(("content-type", "application/json"))
        .send()
        .await
        .expect("send");
    response.body().await.expect("body").len()
}

fn client_reuse(c: &mut Criterion) {
    let stand_in = StandIn::builder()
        .user(json!({"id": "user_1", "first_name": "Ada", "email_addresses": ["ada@example.com"]}))
        .start()
        .expect("stand-in");
    let clerk = stand_in.clerk().expect("clerk");
    let client = clerk.client();
    let url = format!("{}/v1/users/user_1", stand_in.url());
    let bearer = format!("Bearer {}", stand_in.secret_key());
    let tls = tls_config();
    let system = actix_web::rt::System::new();

    let mut group = c.benchmark_group("backend_api_get");
    group.bench_function("clerk_client", |b| {
        b.iter(|| {
            let user = system.block_on(client.users().get("user_1")).expect("user");
            black_box(user);
        });
    });
    let reused = system.block_on(async { awc_client(&tls) });
    group.bench_function("awc_reused_client", |b| {
        b.iter(|| black_box(system.block_on(get(&reused, &url, &bearer))));
    });
    group.bench_function("awc_client_per_call", |b| {
        b.iter(|| {
            black_box(system.block_on(async {
                let fresh = awc_client(&tls);
                get(&fresh, &url, &bearer).await
            }))
        });
    });
    group.finish();
}

criterion_group!(benches, client_reuse);
criterion_main!(benches);
