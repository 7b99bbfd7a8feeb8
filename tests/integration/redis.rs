//! The fleet's shared cache against a real Redis: Debian's `redis-server`,
//! started here on a random port (no persistence), stopped at the end. N
//! `Clerk` handles built on one stand-in play N replicas.
//!
//! Outside CI, the tests that need `redis-server` skip (with a printed
//! reason) when it is not installed; with `CI` set its absence fails them.
//! The faults that need no Redis (unreachable, silent, answering garbage)
//! always run.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use clerk_actix::clock::Clock;
use clerk_actix::testing::{Fault, StandIn};
use clerk_actix::Clerk;
use serde_json::json;

/// A `redis-server` of this test, killed on drop.
struct RedisServer {
    child: Option<Child>,
    port: u16,
}

impl RedisServer {
    /// `None` (and a printed reason) when `redis-server` is not installed,
    /// outside CI; in CI that is a failure.
    fn start() -> Option<Self> {
        if Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_err()
        {
            assert!(
                std::env::var_os("CI").is_none(),
                "redis-server is not installed, and CI is set: .ci/run installs it"
            );
            eprintln!("skipped: redis-server is not installed (apt-get install redis-server)");
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let mut server = Self { child: None, port };
        server.restart();
        Some(server)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// (Re)starts the server on its port and waits until it answers.
    fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        for _ in 0..200 {
            if self.cli(&["PING"]).trim() == "PONG" {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("redis-server did not answer on port {}", self.port);
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// `redis-cli` on this server; its output.
    fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("redis-cli runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .cli(&["--raw", "KEYS", "clerk-actix:*"])
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        keys.sort();
        keys
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn replicas(stand_in: &StandIn, url: &str, n: usize) -> Vec<Clerk> {
    (0..n)
        .map(|_| stand_in.clerk_builder().redis_url(url).build().unwrap())
        .collect()
}

#[actix_web::test]
async fn replicas_verify_one_key_with_one_call_and_distinct_keys_with_one_each() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let stand_in = StandIn::start().unwrap();
    let fleet = replicas(&stand_in, &redis.url(), 4);
    let key = stand_in.api_key("user_1", ["read"]);
    for clerk in &fleet {
        let verified = clerk.verify_machine_token(&key).await.unwrap();
        assert_eq!(verified.user_id(), Some("user_1"));
        assert!(verified.has_scope("read"));
    }
    assert_eq!(stand_in.count("/api_keys/verify"), 1);

    let keys: Vec<String> = (0..3)
        .map(|i| stand_in.api_key(&format!("user_{i}"), ["read"]))
        .collect();
    for clerk in &fleet {
        for (i, key) in keys.iter().enumerate() {
            let verified = clerk.verify_machine_token(key).await.unwrap();
            assert_eq!(verified.user_id(), Some(format!("user_{i}").as_str()));
        }
    }
    assert_eq!(stand_in.count("/api_keys/verify"), 4);
    // Neither the token nor the secret key is in Redis.
    for name in redis.keys() {
        let value = redis.cli(&["--raw", "GET", &name]);
        for secret in keys.iter().chain([&key]) {
            assert!(!name.contains(secret.as_str()) && !value.contains(secret.as_str()));
        }
        assert!(!name.contains(stand_in.secret_key()));
        assert!(!value.contains(stand_in.secret_key()));
    }
    assert_eq!(redis.keys().len(), 4);
}

#[actix_web::test]
async fn a_429_seen_by_one_replica_holds_off_the_others() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let stand_in = StandIn::start().unwrap();
    let fleet = replicas(&stand_in, &redis.url(), 3);
    stand_in.inject(Fault::rate_limited(30).on_path("/api_keys/verify").times(1));
    let first = fleet[0]
        .verify_machine_token(&stand_in.api_key("user_1", ["read"]))
        .await
        .unwrap_err();
    assert!(first.is_server_fault());
    assert_eq!(stand_in.count("/api_keys/verify"), 1);
    for clerk in &fleet[1..] {
        for _ in 0..5 {
            let key = stand_in.api_key("user_2", ["read"]);
            let err = clerk.verify_machine_token(&key).await.unwrap_err();
            assert!(err.is_server_fault());
            let wait = err.retry_after().expect("the time left of the hold");
            assert!(
                wait > Duration::from_secs(20) && wait <= Duration::from_secs(30),
                "{wait:?}"
            );
        }
    }
    assert_eq!(stand_in.count("/api_keys/verify"), 1);
    // Other endpoints are not held.
    let m2m = stand_in.m2m_token("mch_1", ["mch_2"]);
    assert!(fleet[2].verify_machine_token(&m2m).await.is_ok());
}

#[actix_web::test]
async fn redis_killed_mid_run_and_restarted() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let stand_in = StandIn::start().unwrap();
    let fleet = replicas(&stand_in, &redis.url(), 2);
    let key = stand_in.api_key("user_1", ["read"]);
    fleet[0].verify_machine_token(&key).await.unwrap();
    fleet[1].verify_machine_token(&key).await.unwrap();
    assert_eq!(stand_in.count("/api_keys/verify"), 1);

    redis.kill();
    // Each replica goes on without Redis: its local cache, then the
    // Backend API; never an error caused by Redis.
    let late = replicas(&stand_in, &redis.url(), 2);
    for clerk in &late {
        assert_eq!(
            clerk.verify_machine_token(&key).await.unwrap().user_id(),
            Some("user_1")
        );
    }
    assert_eq!(stand_in.count("/api_keys/verify"), 3);
    for _ in 0..20 {
        let other = stand_in.api_key("user_2", ["read"]);
        for clerk in fleet.iter().chain(&late) {
            assert!(clerk.verify_machine_token(&other).await.is_ok());
        }
    }
    assert_eq!(stand_in.count("/api_keys/verify"), 3 + 20 * 4);

    redis.restart();
    // Sharing resumes by itself once a replica tries Redis again (at most a
    // second after its last failure).
    let mut resumed = false;
    for _ in 0..50 {
        std::thread::sleep(Duration::from_millis(100));
        let fresh = stand_in.api_key("user_3", ["read"]);
        let before = stand_in.count("/api_keys/verify");
        for clerk in &late {
            assert!(clerk.verify_machine_token(&fresh).await.is_ok());
        }
        if stand_in.count("/api_keys/verify") == before + 1 {
            resumed = true;
            break;
        }
    }
    assert!(resumed, "sharing did not resume after Redis came back");
}

#[actix_web::test]
async fn forged_and_foreign_entries_are_ignored() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let stand_in = StandIn::start().unwrap();
    let key = stand_in.api_key("user_1", ["read"]);
    stand_in
        .clerk_builder()
        .redis_url(redis.url())
        .build()
        .unwrap()
        .verify_machine_token(&key)
        .await
        .unwrap();
    let names = redis.keys();
    assert_eq!(names.len(), 1);
    let name = &names[0];
    let value = redis.cli(&["--raw", "GET", name]).trim().to_owned();

    // Forged: the subject changed, the MAC kept.
    let parts: Vec<&str> = value.split('.').collect();
    assert_eq!((parts.len(), parts[0]), (4, "v1"));
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = String::from_utf8(engine.decode(parts[2]).unwrap()).unwrap();
    assert!(payload.contains("\"user_1\""), "{payload}");
    let forged_payload = engine.encode(payload.replace("\"user_1\"", "\"user_admin\""));
    let forged = format!("{}.{}.{forged_payload}.{}", parts[0], parts[1], parts[3]);
    redis.cli(&["SET", name, &forged]);
    let replica = stand_in
        .clerk_builder()
        .redis_url(redis.url())
        .build()
        .unwrap();
    let verified = replica.verify_machine_token(&key).await.unwrap();
    assert_eq!(verified.user_id(), Some("user_1"));
    assert_eq!(stand_in.count("/api_keys/verify"), 2);

    // Garbage.
    redis.cli(&["SET", name, "garbage"]);
    let replica = stand_in
        .clerk_builder()
        .redis_url(redis.url())
        .build()
        .unwrap();
    assert!(replica.verify_machine_token(&key).await.is_ok());
    assert_eq!(stand_in.count("/api_keys/verify"), 3);

    // Foreign: another instance on the same Redis has its own prefix; its
    // valid entry, planted under this instance's key, is ignored.
    let other = StandIn::start().unwrap();
    let other_key = other.api_key("user_9", ["read"]);
    other
        .clerk_builder()
        .redis_url(redis.url())
        .build()
        .unwrap()
        .verify_machine_token(&other_key)
        .await
        .unwrap();
    let names = redis.keys();
    assert_eq!(names.len(), 2);
    let foreign_name = names.iter().find(|n| *n != name).unwrap();
    let prefix = |n: &str| n.rsplitn(3, ':').nth(2).unwrap().to_owned();
    assert_ne!(prefix(name), prefix(foreign_name));
    let foreign = redis.cli(&["--raw", "GET", foreign_name]).trim().to_owned();
    redis.cli(&["SET", name, &foreign]);
    let replica = stand_in
        .clerk_builder()
        .redis_url(redis.url())
        .build()
        .unwrap();
    assert_eq!(
        replica.verify_machine_token(&key).await.unwrap().user_id(),
        Some("user_1")
    );
    assert_eq!(stand_in.count("/api_keys/verify"), 4);
    // And the other instance never sees this one's entries.
    let theirs = other
        .clerk_builder()
        .redis_url(redis.url())
        .build()
        .unwrap();
    assert!(theirs.verify_machine_token(&key).await.is_err());
    assert_eq!(other.count("/api_keys/verify"), 2);
}

#[actix_web::test]
async fn a_token_expiring_before_the_cache_lifetime_is_not_served_after_it() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let stand_in = StandIn::start().unwrap();
    let start = Clock::system().now_millis();
    let now = Arc::new(AtomicI64::new(start));
    let replica = || {
        let read = now.clone();
        stand_in
            .clerk_builder()
            .clock(Clock::from_fn(move || read.load(Ordering::SeqCst)))
            .redis_url(redis.url())
            .build()
            .unwrap()
    };
    let key = stand_in
        .with_store(|s| s.issue_api_key(json!({"subject": "user_1", "expiration": start + 5_000})));
    replica().verify_machine_token(&key).await.unwrap();
    now.fetch_add(4_000, Ordering::SeqCst);
    replica().verify_machine_token(&key).await.unwrap();
    assert_eq!(stand_in.count("/api_keys/verify"), 1);
    now.fetch_add(1_000, Ordering::SeqCst);
    let _ = replica().verify_machine_token(&key).await;
    assert_eq!(stand_in.count("/api_keys/verify"), 2);
}

/// Redis unreachable, silent, or answering garbage: every verification is
/// answered as without Redis, within the timeout. No `redis-server` needed.
#[actix_web::test]
async fn redis_that_is_down_silent_or_garbage_is_not_a_dependency() {
    let stand_in = StandIn::start().unwrap();
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Accepts connections (the kernel does) and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    // An HTTP server answers RESP with HTTP: garbage.
    let garbage = stand_in.url().replace("http://", "redis://");
    let urls = [
        format!("redis://127.0.0.1:{closed}/0"),
        format!("redis://{}/0", silent.local_addr().unwrap()),
        garbage,
    ];
    let mut calls = 0;
    for url in &urls {
        let fleet: Vec<Clerk> = (0..2)
            .map(|_| {
                stand_in
                    .clerk_builder()
                    .redis_url(url)
                    .redis_timeout(Duration::from_millis(100))
                    .build()
                    .unwrap()
            })
            .collect();
        for _ in 0..3 {
            let key = stand_in.api_key("user_1", ["read"]);
            for clerk in &fleet {
                let verified = clerk.verify_machine_token(&key).await.unwrap();
                assert_eq!(verified.user_id(), Some("user_1"), "{url}");
                // Cached locally, whatever Redis does.
                clerk.verify_machine_token(&key).await.unwrap();
            }
            calls += 2;
        }
        let err = fleet[0]
            .verify_machine_token("ak_unknown")
            .await
            .unwrap_err();
        assert!(!err.is_server_fault(), "{url}: {err}");
        calls += 1;
    }
    assert_eq!(stand_in.count("/api_keys/verify"), calls);
    let _ = TcpStream::connect(silent.local_addr().unwrap());
}

#[test]
fn a_redis_url_that_is_not_one_is_a_config_error() {
    let err = Clerk::builder()
        .secret_key("sk_test_xxxxxxxx")
        .redis_url("http://nope")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("redis_url"), "{err}");
    let err = Clerk::builder()
        .jwt_key(
            clerk_actix::testing::TestIssuer::generate()
                .unwrap()
                .public_key_pem(),
        )
        .redis_url("redis://127.0.0.1/")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("secret key"), "{err}");
}
