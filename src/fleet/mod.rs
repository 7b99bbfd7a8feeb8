//! The fleet's shared cache on Redis (the `redis` feature): verified opaque
//! machine tokens and Backend API holds, shared by every replica built with
//! the same secret key and the same Redis.
//!
//! * **An optimisation, never a dependency.** Every Redis command is bounded
//!   by the timeout ([`ClerkBuilder::redis_timeout`](crate::ClerkBuilder::redis_timeout));
//!   a failure or a timeout marks Redis down, logged once, and for
//!   [`PROBE_INTERVAL`] requests go on as without it (local cache, then the
//!   Backend API) without waiting for it; then one request tries again. The
//!   connection (redis-rs' `ConnectionManager`) reconnects by itself; the
//!   first answer after an outage is logged once, and sharing resumes.
//! * **Entries cannot be forged.** Each value carries an HMAC-SHA-256 over
//!   its Redis key, format version, deadline and payload, keyed from the
//!   instance's secret key; a value that fails the check (written by someone
//!   without the secret key, moved to another key, or truncated) is ignored
//!   and logged (at most once per 10 s, with a count).
//! * **Instances never meet.** Keys start with `clerk-actix:v1:<instance>:`,
//!   where `<instance>` is 16 hex digits of an HMAC of a fixed label keyed
//!   with the secret key: another instance sharing the Redis has another
//!   prefix and another MAC key, and the secret cannot be recovered from it.
//! * **Tokens never reach Redis.** A machine token's entry is found by an
//!   HMAC of the token (a third key from the secret), so reading Redis does
//!   not even tell whether a guessed token is cached.
//!
//! Keys and values:
//!
//! ```text
//! clerk-actix:v1:<instance>:mt:<base64url HMAC(token)>  →  v1.<valid_until_ms>.<base64url JSON>.<base64url MAC>
//! clerk-actix:v1:<instance>:hold:<METHOD /path>          →  v1.<until_ms>..<base64url MAC>
//! ```
//!
//! Both expire in Redis (`PX`) at their deadline; the deadline is checked on
//! read as well.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use aws_lc_rs::{constant_time, hmac};
use base64::Engine as _;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::encoding::URL_SAFE;
use crate::tally::Tally;

/// How long Redis is left alone after a failure before one request tries it
/// again.
pub(crate) const PROBE_INTERVAL: Duration = Duration::from_secs(1);

/// The default bound on one Redis command.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_millis(50);

/// The format version, first in every value and in the key prefix.
const VERSION: &str = "v1";

/// The shared cache of one instance.
pub(crate) struct Fleet {
    client: redis::Client,
    /// Made on first use, inside the runtime that serves requests.
    manager: Mutex<Option<ConnectionManager>>,
    timeout: Duration,
    prefix: String,
    mac: hmac::Key,
    names: hmac::Key,
    /// When Redis may be tried again; `None`: up.
    down_until: Mutex<Option<Instant>>,
    down: AtomicBool,
    rejected: Tally,
}

impl std::fmt::Debug for Fleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fleet")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

fn derive(root: &hmac::Key, label: &str) -> hmac::Tag {
    hmac::sign(root, label.as_bytes())
}

impl Fleet {
    /// The shared cache on `client`, keyed from `secret_key`.
    pub(crate) fn new(client: redis::Client, timeout: Duration, secret_key: &str) -> Self {
        let root = hmac::Key::new(hmac::HMAC_SHA256, secret_key.as_bytes());
        let key = |label| hmac::Key::new(hmac::HMAC_SHA256, derive(&root, label).as_ref());
        let instance = derive(&root, "clerk-actix redis v1 instance");
        let hex: String = instance.as_ref()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Self {
            client,
            manager: Mutex::new(None),
            timeout,
            prefix: format!("clerk-actix:{VERSION}:{hex}"),
            mac: key("clerk-actix redis v1 mac"),
            names: key("clerk-actix redis v1 names"),
            down_until: Mutex::new(None),
            down: AtomicBool::new(false),
            rejected: Tally::new(),
        }
    }

    /// The key prefix of this instance (`clerk-actix:v1:<16 hex>`).
    #[cfg(test)]
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The Redis key of a machine token's entry.
    pub(crate) fn machine_key(&self, token: &[u8]) -> String {
        let name = hmac::sign(&self.names, token);
        format!("{}:mt:{}", self.prefix, URL_SAFE.encode(name.as_ref()))
    }

    fn hold_key(&self, endpoint: &str) -> String {
        format!("{}:hold:{endpoint}", self.prefix)
    }

    /// `v1.<until>.<payload>` and its MAC, bound to `key`.
    pub(crate) fn seal(&self, key: &str, until: i64, payload: &[u8]) -> String {
        let body = format!("{VERSION}.{until}.{}", URL_SAFE.encode(payload));
        let tag = self.tag(key, &body);
        format!("{body}.{}", URL_SAFE.encode(tag.as_ref()))
    }

    fn tag(&self, key: &str, body: &str) -> hmac::Tag {
        let mut context = hmac::Context::with_key(&self.mac);
        context.update(key.as_bytes());
        context.update(b"\n");
        context.update(body.as_bytes());
        context.sign()
    }

    /// The deadline and payload of a value read under `key`, when its MAC
    /// holds; `None` (and a log line, at most every 10 s) when not.
    fn open(&self, key: &str, value: &[u8]) -> Option<(i64, Vec<u8>)> {
        let opened = std::str::from_utf8(value).ok().and_then(|value| {
            let (body, tag) = value.rsplit_once('.')?;
            let tag = URL_SAFE.decode(tag).ok()?;
            let expected = self.tag(key, body);
            constant_time::verify_slices_are_equal(expected.as_ref(), &tag).ok()?;
            let mut parts = body.splitn(3, '.');
            if parts.next()? != VERSION {
                return None;
            }
            let until = parts.next()?.parse::<i64>().ok()?;
            let payload = URL_SAFE.decode(parts.next()?).ok()?;
            Some((until, payload))
        });
        if opened.is_none() {
            if let Some(count) = self.rejected.note() {
                log::warn!(
                    target: "clerk_actix::redis",
                    "ignored {count} Redis entr(y/ies) under {} that failed their check \
                     (not written by this instance: forged, moved or corrupted); the \
                     Backend API decides instead",
                    self.prefix
                );
            }
        }
        opened
    }

    /// A verified machine token another replica (or this one) shared, as
    /// the bytes it was shared as, and until when it may be trusted.
    pub(crate) async fn machine_get(&self, token: &[u8], now: i64) -> Option<(Vec<u8>, i64)> {
        let key = self.machine_key(token);
        let value = self
            .run::<Option<Vec<u8>>>(redis::cmd("GET").arg(&key))
            .await??;
        let (until, payload) = self.open(&key, &value)?;
        (until > now).then_some((payload, until))
    }

    /// Shares a verified machine token (its shared form) until `until`.
    pub(crate) async fn machine_put(&self, token: &[u8], payload: &[u8], until: i64, now: i64) {
        let ttl = until.saturating_sub(now);
        if ttl <= 0 {
            return;
        }
        let key = self.machine_key(token);
        let value = self.seal(&key, until, payload);
        let _: Option<Option<()>> = self
            .run(redis::cmd("SET").arg(&key).arg(value).arg("PX").arg(ttl))
            .await;
    }

    /// The deadline of a hold another replica (or this one) shared.
    pub(crate) async fn hold_get(&self, endpoint: &str, now: i64) -> Option<i64> {
        let key = self.hold_key(endpoint);
        let value = self
            .run::<Option<Vec<u8>>>(redis::cmd("GET").arg(&key))
            .await??;
        let (until, _) = self.open(&key, &value)?;
        (until > now).then_some(until)
    }

    /// Shares a hold until `until`; an existing later one stays.
    pub(crate) async fn hold_put(&self, endpoint: &str, until: i64, now: i64) {
        let ttl = until.saturating_sub(now);
        if ttl <= 0 {
            return;
        }
        let key = self.hold_key(endpoint);
        let value = self.seal(&key, until, b"");
        let _: Option<Option<()>> = self
            .run(redis::cmd("SET").arg(&key).arg(value).arg("PX").arg(ttl))
            .await;
    }

    /// Runs `cmd` within the timeout; `None` when Redis is down, failed or
    /// was too slow (Redis is then marked down).
    async fn run<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Option<T> {
        if !self.available() {
            return None;
        }
        let mut connection = self.connection()?;
        match tokio::time::timeout(self.timeout, cmd.query_async::<T>(&mut connection)).await {
            Ok(Ok(value)) => {
                self.mark_up();
                Some(value)
            }
            Ok(Err(error)) => {
                self.mark_down(&error.to_string());
                None
            }
            Err(_) => {
                self.mark_down(&format!("no answer within {:?}", self.timeout));
                None
            }
        }
    }

    fn connection(&self) -> Option<ConnectionManager> {
        let mut manager = self.manager.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(manager) = manager.as_ref() {
            return Some(manager.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(2)
            .set_max_delay(PROBE_INTERVAL);
        match ConnectionManager::new_lazy_with_config(self.client.clone(), config) {
            Ok(made) => {
                *manager = Some(made.clone());
                Some(made)
            }
            Err(error) => {
                drop(manager);
                self.mark_down(&error.to_string());
                None
            }
        }
    }

    fn available(&self) -> bool {
        let mut down_until = self
            .down_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match *down_until {
            Some(until) if Instant::now() < until => false,
            Some(_) => {
                // This request probes; the others keep going without Redis.
                *down_until = Some(Instant::now() + PROBE_INTERVAL);
                true
            }
            None => true,
        }
    }

    fn mark_down(&self, why: &str) {
        *self
            .down_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now() + PROBE_INTERVAL);
        if !self.down.swap(true, Ordering::Relaxed) {
            log::warn!(
                target: "clerk_actix::redis",
                "Redis is unavailable ({why}): going on without it (the local cache, then \
                 the Backend API) and trying again every {}s in the background",
                PROBE_INTERVAL.as_secs()
            );
        }
    }

    fn mark_up(&self) {
        if self.down.swap(false, Ordering::Relaxed) {
            *self
                .down_until
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = None;
            log::info!(
                target: "clerk_actix::redis",
                "Redis answers again: sharing verified machine tokens and holds resumes"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fleet(secret: &str) -> Fleet {
        let client = redis::Client::open("redis://127.0.0.1:1/").unwrap();
        Fleet::new(client, DEFAULT_TIMEOUT, secret)
    }

    #[test]
    fn sealed_value_opens_under_its_key_only_ok() {
        let fleet = fleet("sk_test_one");
        let sealed = fleet.seal("k1", 42, b"{}");
        assert_eq!(
            fleet.open("k1", sealed.as_bytes()),
            Some((42, b"{}".to_vec()))
        );
        assert_eq!(fleet.open("k2", sealed.as_bytes()), None);
        let forged = sealed.replace(".42.", ".43.");
        assert_eq!(fleet.open("k1", forged.as_bytes()), None);
    }

    #[test]
    fn another_instance_has_another_prefix_and_mac_ok() {
        let (one, two) = (fleet("sk_test_one"), fleet("sk_test_two"));
        assert_ne!(one.prefix(), two.prefix());
        assert!(!one.prefix().contains("sk_test"));
        let sealed = two.seal("k", 1, b"x");
        assert_eq!(one.open("k", sealed.as_bytes()), None);
        assert_ne!(one.machine_key(b"ak_1"), two.machine_key(b"ak_1"));
        assert!(!one.machine_key(b"ak_secret").contains("ak_secret"));
    }
}
