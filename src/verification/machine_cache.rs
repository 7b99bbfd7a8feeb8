//! The verification cache for opaque machine tokens (`ak_…`, `mt_…`,
//! `oat_…`).
//!
//! Verifying an opaque token is a Backend API round trip, so a token that
//! verified is remembered for a while:
//!
//! * **Only successes are kept**, keyed by the SHA-256 of the token (so the
//!   cache never holds a secret, and a token differing in any byte misses).
//! * **For at most the TTL** (30 s by default, `0` disables), and never past
//!   the token's own `expiration`. A token revoked at Clerk therefore keeps
//!   working here for up to the TTL: the price of not calling the Backend API
//!   on every request.
//! * **Bounded**: at most `capacity` entries (10 000 by default), evicted by
//!   [`quick_cache`]'s CLOCK-Pro policy, so a stream of distinct valid tokens
//!   costs no more than the bound.
//! * **A brief negative cache**: Clerk's definitive "no" (an unknown token,
//!   404; a token it marks revoked or expired) is remembered for the
//!   negative TTL (5 s by default, never longer than the TTL, `0`
//!   disables), so a client retrying a revoked key costs one call per
//!   interval, not one per request. Outages and rejected secret keys are
//!   never remembered.
//! * **Single-flight**: requests that arrive with the same token while its
//!   verification is in flight wait for that one call, on whatever worker
//!   thread it runs, and share its answer, failures included (so an outage
//!   costs one slow call per token, not one per request). If the request
//!   making the call goes away, a waiting one takes over.
//!
//! Why quick_cache: a small, well-kept crate (two dependencies, both already
//! in the tree or tiny) with a lock-striped, allocation-free read path; the
//! single-flight is ours because quick_cache's placeholder guard does not share
//! failures, and time-to-live is checked on read against the handle's
//! [`Clock`](crate::clock::Clock), which tests freeze.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use aws_lc_rs::digest;
use tokio::sync::watch;

use super::error::VerifyError;
use super::machine::MachineToken;

type Digest = [u8; 32];
type Verification = Result<MachineToken, VerifyError>;

#[derive(Clone)]
struct Entry {
    token: MachineToken,
    /// ms since the epoch.
    valid_until: i64,
}

pub(crate) struct MachineCache {
    /// `None` when the TTL or the capacity is 0.
    entries: Option<quick_cache::sync::Cache<Digest, Entry>>,
    ttl_ms: i64,
    /// Definitive refusals, with their deadline (ms since the epoch);
    /// `None` when the negative TTL is 0.
    refusals: Option<quick_cache::sync::Cache<Digest, (VerifyError, i64)>>,
    negative_ttl_ms: i64,
    in_flight: Mutex<HashMap<Digest, watch::Receiver<Option<Verification>>>>,
}

impl std::fmt::Debug for MachineCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MachineCache")
            .field("enabled", &self.entries.is_some())
            .field("ttl_ms", &self.ttl_ms)
            .finish_non_exhaustive()
    }
}

fn digest_of(token: &[u8]) -> Digest {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, token).as_ref());
    out
}

/// Removes the in-flight entry of the call it guards, however the call
/// ends (answered, or dropped with its request).
struct InFlight<'a> {
    cache: &'a MachineCache,
    key: Digest,
    rx: watch::Receiver<Option<Verification>>,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut map = self
            .cache
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if map
            .get(&self.key)
            .is_some_and(|rx| rx.same_channel(&self.rx))
        {
            map.remove(&self.key);
        }
    }
}

impl MachineCache {
    pub(crate) fn new(ttl: Duration, capacity: usize) -> Self {
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        let entries = (ttl_ms > 0 && capacity > 0).then(|| quick_cache::sync::Cache::new(capacity));
        Self {
            entries,
            ttl_ms,
            refusals: None,
            negative_ttl_ms: 0,
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// Remembers Clerk's definitive refusals for `ttl` (at most the TTL of
    /// successes); 0 disables.
    pub(crate) fn with_negative_ttl(mut self, ttl: Duration, capacity: usize) -> Self {
        let ttl_ms = i64::try_from(ttl.as_millis())
            .unwrap_or(i64::MAX)
            .min(self.ttl_ms);
        self.negative_ttl_ms = ttl_ms;
        self.refusals =
            (ttl_ms > 0 && capacity > 0).then(|| quick_cache::sync::Cache::new(capacity));
        self
    }

    /// The TTL of successes, in ms (0: not cached): how long a shared entry
    /// may live.
    #[cfg(feature = "redis")]
    pub(crate) fn ttl_ms(&self) -> i64 {
        if self.entries.is_some() {
            self.ttl_ms
        } else {
            0
        }
    }

    fn refused(&self, key: &Digest, now_ms: i64) -> Option<VerifyError> {
        let refusals = self.refusals.as_ref()?;
        let (error, until) = refusals.get(key)?;
        if until > now_ms {
            return Some(error);
        }
        refusals.remove_if(key, |(_, until)| *until <= now_ms);
        None
    }

    fn cached(&self, key: &Digest, now_ms: i64) -> Option<MachineToken> {
        let entries = self.entries.as_ref()?;
        let entry = entries.get(key)?;
        if entry.valid_until > now_ms {
            return Some(entry.token);
        }
        entries.remove_if(key, |e| e.valid_until <= now_ms);
        None
    }

    /// What this cache knows of `token` now, without waiting: its
    /// verification, or Clerk's recent definitive refusal.
    pub(crate) fn known(&self, token: &[u8], now_ms: i64) -> Option<Verification> {
        if self.entries.is_none() && self.refusals.is_none() {
            return None;
        }
        let key = digest_of(token);
        if let Some(hit) = self.cached(&key, now_ms) {
            return Some(Ok(hit));
        }
        self.refused(&key, now_ms).map(Err)
    }

    /// The cached verification of `token`, or the answer of `verify` — run
    /// at most once at a time per token, its answer shared with every
    /// request waiting for it.
    #[cfg(test)]
    pub(crate) async fn get_or_verify<F, Fut>(
        &self,
        token: &[u8],
        now_ms: impl Fn() -> i64,
        verify: F,
    ) -> Verification
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Verification>,
    {
        self.get_or_verify_capped(token, now_ms, || async { (verify().await, None) })
            .await
    }

    /// [`get_or_verify`](Self::get_or_verify) where `verify` also says when
    /// its answer stops being valid at the latest (ms since the epoch): a
    /// verification read from the fleet's cache is kept here no longer than
    /// there.
    pub(crate) async fn get_or_verify_capped<F, Fut>(
        &self,
        token: &[u8],
        now_ms: impl Fn() -> i64,
        verify: F,
    ) -> Verification
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = (Verification, Option<i64>)>,
    {
        let key = digest_of(token);
        let mut verify = Some(verify);
        loop {
            if let Some(hit) = self.cached(&key, now_ms()) {
                return Ok(hit);
            }
            if let Some(refusal) = self.refused(&key, now_ms()) {
                return Err(refusal);
            }
            let (mut waiting, leading) = {
                let mut map = self
                    .in_flight
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                match map.get(&key) {
                    Some(rx) => (rx.clone(), None),
                    None => {
                        let (tx, rx) = watch::channel(None);
                        map.insert(key, rx.clone());
                        (rx, Some(tx))
                    }
                }
            };
            let Some(tx) = leading else {
                // An error: the call was dropped with its request; try again.
                if let Ok(answer) = waiting.wait_for(Option::is_some).await {
                    if let Some(answer) = answer.clone() {
                        return answer;
                    }
                }
                continue;
            };
            let guard = InFlight {
                cache: self,
                key,
                rx: waiting,
            };
            let Some(verify) = verify.take() else {
                // A request leads at most once (it returns after); kept total.
                drop(guard);
                return Err(VerifyError::new(
                    super::error::Reason::UnexpectedError,
                    "Unexpected error",
                ));
            };
            let (answer, cap) = verify().await;
            if let (Err(error), Some(refusals)) = (&answer, &self.refusals) {
                if is_definitive(error) {
                    let until = now_ms().saturating_add(self.negative_ttl_ms);
                    refusals.insert(key, (error.clone(), until));
                }
            }
            if let (Ok(token), Some(entries)) = (&answer, &self.entries) {
                let now = now_ms();
                let valid_until = now
                    .saturating_add(self.ttl_ms)
                    .min(token.expiration().unwrap_or(i64::MAX))
                    .min(cap.unwrap_or(i64::MAX));
                if valid_until > now {
                    entries.insert(
                        key,
                        Entry {
                            token: token.clone(),
                            valid_until,
                        },
                    );
                }
            }
            let _ = tx.send(Some(answer.clone()));
            drop(guard);
            return answer;
        }
    }
}

/// Clerk's definitive "no": an unknown token (404), or one it marks
/// revoked or expired (200). Never an outage, a rejected secret key, or a
/// refusal made here without a call.
fn is_definitive(error: &VerifyError) -> bool {
    !error.is_server_fault()
        && error.reason() == super::error::Reason::TokenInvalid
        && matches!(error.status(), Some(404 | 200))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ApiKey;

    fn verified(id: &str) -> Verification {
        Ok(MachineToken::from_api_key(ApiKey {
            id: id.to_owned(),
            ..ApiKey::default()
        }))
    }

    /// quick_cache admits every new entry (it only refuses one heavier than
    /// a shard): a token just verified is kept, and stays while other
    /// tokens, fewer than the capacity, come and go.
    #[test]
    fn verified_token_is_kept_below_capacity_ok() {
        actix_rt::System::new().block_on(async {
            let cache = MachineCache::new(Duration::from_secs(30), 10_000);
            let first = cache.get_or_verify(b"ak_first", || 0, || async { verified("ak_1") });
            assert!(first.await.is_ok());
            for i in 0..5_000 {
                let token = format!("ak_other_{i}");
                let other = cache.get_or_verify(token.as_bytes(), || 1, || async { verified("x") });
                assert!(other.await.is_ok());
            }
            let again = cache
                .get_or_verify(
                    b"ak_first",
                    || 2,
                    || async {
                        Err(VerifyError::new(
                            super::super::error::Reason::UnexpectedError,
                            "outage",
                        ))
                    },
                )
                .await;
            assert_eq!(
                again.map(|t| t.id().to_owned()).ok().as_deref(),
                Some("ak_1")
            );
        });
    }

    #[test]
    fn verified_token_expires_after_the_ttl_ok() {
        actix_rt::System::new().block_on(async {
            let cache = MachineCache::new(Duration::from_secs(30), 16);
            assert!(cache
                .get_or_verify(b"ak_a", || 0, || async { verified("ak_1") })
                .await
                .is_ok());
            assert!(cache.cached(&digest_of(b"ak_a"), 29_999).is_some());
            assert!(cache.cached(&digest_of(b"ak_a"), 30_000).is_none());
        });
    }
}
