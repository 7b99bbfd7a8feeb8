//! The cold path alone: every token new, the verified-token cache on (so its
//! inserts are paid), next to the bare aws-lc-rs RSA check of the same tokens
//! with a parsed key. Prints both per-token times, their difference (what the
//! crate adds) and the ratio. Made for callgrind as much as for the clock:
//!
//! ```sh
//! cargo build --release --example load_server && target/release/examples/load_server mint 3000 > /tmp/tokens.txt
//! cargo bench --bench cold_path -- /tmp/tokens.txt 3000 5
//! valgrind --tool=callgrind --toggle-collect='cold_path::verify' \
//!     target/release/deps/cold_path-* /tmp/tokens.txt 1000 1
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::Engine as _;
use clerk_actix::Clerk;
use futures_util::FutureExt as _;
use std::time::Instant;
const PUBLIC_KEY: &str = include_str!("../tests/conformance/signing-key.public.pem");
fn main() {
    // `cargo bench` passes `--bench`; skip flags.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let Some(path) = args.first().cloned() else {
        eprintln!("usage: cold_path TOKENS_FILE [COUNT] [ROUNDS] (see the file's docs)");
        return;
    };
    let tokens: Vec<String> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let n = args.get(1).map_or(2000, |n| n.parse().unwrap());
    let rounds: usize = args.get(2).map_or(1, |n| n.parse().unwrap());
    let body: String = PUBLIC_KEY
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    let parsed = ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &der).unwrap();
    let split: Vec<(String, Vec<u8>)> = tokens
        .iter()
        .take(n)
        .map(|t| {
            let (a, b) = t.rsplit_once('.').unwrap();
            (
                a.to_owned(),
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(b)
                    .unwrap(),
            )
        })
        .collect();
    let mut best_clerk = f64::MAX;
    let mut best_rsa = f64::MAX;
    for _ in 0..rounds {
        let clerk = Clerk::builder().jwt_key(PUBLIC_KEY).build().unwrap();
        let start = Instant::now();
        let mut ok = 0;
        for t in tokens.iter().take(n) {
            if verify(&clerk, t) {
                ok += 1;
            }
        }
        let clerk_ns = start.elapsed().as_nanos() as f64 / n as f64;
        assert_eq!(ok, n);
        let start = Instant::now();
        for (input, sig) in &split {
            assert!(parsed.verify_sig(input.as_bytes(), sig).is_ok());
        }
        let rsa_ns = start.elapsed().as_nanos() as f64 / n as f64;
        best_clerk = best_clerk.min(clerk_ns);
        best_rsa = best_rsa.min(rsa_ns);
    }
    println!(
        "clerk {:.0} ns  rsa {:.0} ns  own {:.0} ns  ratio {:.3}",
        best_clerk,
        best_rsa,
        best_clerk - best_rsa,
        best_rsa / best_clerk
    );
}
#[inline(never)]
fn verify(clerk: &Clerk, t: &str) -> bool {
    clerk
        .verify_token(t)
        .now_or_never()
        .is_some_and(|r| r.is_ok())
}
