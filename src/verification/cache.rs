//! The verified-token cache.
//!
//! Checking an RSA signature costs tens of microseconds, far more than the
//! rest of a request, and a session token is typically sent many times within
//! its 60-second life. So a token that verified is remembered, and when it
//! comes again its signature and JSON are not looked at again.
//!
//! # Why this is safe
//!
//! * **Only successes are cached**, keyed by the SHA-256 digest of the whole
//!   token, so a cached entry stands for exactly the bytes whose signature
//!   verified: a token differing in any byte is a miss (finding another token
//!   with the same digest is as hard as breaking SHA-256). The digest keeps
//!   entries small: 32 bytes instead of the token's ~800.
//! * **Everything that depends on the clock or the options is checked again
//!   on every hit**: `exp`, `nbf` and `iat` against the current time and skew,
//!   the header `typ`, and the `azp`, `aud` and `iss` rules of the options in
//!   force for this request (per-request options cannot reuse a looser
//!   decision). Only the signature and the parsing are skipped.
//! * **A retired key invalidates what it verified**: when a refreshed JWKS no
//!   longer lists a key, entries verified with it miss and are dropped.
//! * **Bounded**: at most `capacity` entries (default 10 000), in 16 shards,
//!   evicting the oldest insertion when a shard is full, and entries that
//!   fail the time check on a hit are removed. A stream of distinct tokens
//!   costs no more memory than the bound.
//! * Requests with the `skip_jwks_cache` option bypass it.
//!
//! # Two levels
//!
//! Each worker thread first looks in a small table of its own (256 slots,
//! direct-mapped by a fast seeded hash, compared **byte for byte** against the
//! stored token), then in the shared cache. A client's token usually comes
//! back to the same worker over its keep-alive connection, so most hits cost
//! one fast hash and one comparison, with no lock and no SHA-256. The
//! per-thread tables hold at most 256 tokens per worker (~200 KB).

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use aws_lc_rs::digest;

use serde_json::Value;

use super::claims::SessionClaims;
use super::error::VerifyError;
use super::keys::VerifyingKey;
use super::options::VerifyOptions;
use super::token::{self, Times};

const SHARDS: usize = 16;

/// What a verified token proved.
pub(crate) struct Verified {
    pub(crate) claims: SessionClaims,
    key: Arc<VerifyingKey>,
    typ: Option<Value>,
    times: Times,
    /// Neither a machine JWT nor a non-session category: acceptable as a
    /// session token on the request path.
    pub(crate) session_token: bool,
}

impl Verified {
    pub(crate) fn new(
        claims: SessionClaims,
        key: Arc<VerifyingKey>,
        typ: Option<Value>,
        times: Times,
        session_token: bool,
    ) -> Self {
        Self {
            claims,
            key,
            typ,
            times,
            session_token,
        }
    }

    /// The token's time claims.
    pub(crate) fn times(&self) -> &Times {
        &self.times
    }

    /// The checks that depend on the clock and the options.
    pub(crate) fn recheck(&self, options: &VerifyOptions, now_ms: i64) -> Result<(), VerifyError> {
        token::check_header_type(self.typ.as_ref(), options.header_types.as_deref())?;
        token::check_policy(self.claims.policy().view(), options)?;
        self.times.check(now_ms, options)
    }
}

/// SHA-256 of a token.
type Digest = [u8; 32];

fn digest_of(token: &[u8]) -> Digest {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, token).as_ref());
    out
}

#[derive(Default)]
struct Shard {
    entries: HashMap<Digest, Arc<Verified>>,
    /// Insertion order, for eviction. May hold digests already removed.
    order: VecDeque<Digest>,
}

pub(crate) struct TokenCache {
    shards: Box<[Mutex<Shard>]>,
    per_shard: usize,
    /// Tells this cache's entries in the per-thread tables from another's.
    id: u64,
}

const RECENT_SLOTS: usize = 256;

/// One slot of a per-thread table.
struct Recent {
    cache: u64,
    token: Box<[u8]>,
    verified: Arc<Verified>,
}

struct RecentTable {
    hasher: foldhash::fast::RandomState,
    slots: Vec<Option<Recent>>,
}

impl RecentTable {
    fn new() -> Self {
        Self {
            hasher: foldhash::fast::RandomState::default(),
            slots: (0..RECENT_SLOTS).map(|_| None).collect(),
        }
    }

    fn slot(&self, token: &[u8]) -> usize {
        (self.hasher.hash_one(token) as usize) % RECENT_SLOTS
    }
}

thread_local! {
    static RECENT: RefCell<RecentTable> = RefCell::new(RecentTable::new());
}

fn next_cache_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("capacity", &(self.per_shard * SHARDS))
            .finish_non_exhaustive()
    }
}

impl TokenCache {
    /// `None` when `capacity` is 0 (caching disabled).
    pub(crate) fn new(capacity: usize) -> Option<Self> {
        if capacity == 0 {
            return None;
        }
        Some(Self {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            per_shard: capacity.div_ceil(SHARDS),
            id: next_cache_id(),
        })
    }

    fn shard(&self, digest: &Digest) -> std::sync::MutexGuard<'_, Shard> {
        // The digest is uniformly distributed, and only verified tokens are
        // inserted, so its first byte spreads entries evenly.
        self.shards[usize::from(digest[0]) % SHARDS]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The entry for `token`, unless its key has been retired since.
    pub(crate) fn get(&self, token: &[u8]) -> Option<Arc<Verified>> {
        if let Some(hit) = self.recent(token) {
            return Some(hit);
        }
        let digest = digest_of(token);
        let hit = {
            let mut shard = self.shard(&digest);
            let entry = shard.entries.get(&digest)?;
            if entry.key.is_retired() {
                shard.entries.remove(&digest);
                return None;
            }
            entry.clone()
        };
        self.remember(token, &hit);
        Some(hit)
    }

    /// The per-thread table's entry for `token`.
    fn recent(&self, token: &[u8]) -> Option<Arc<Verified>> {
        RECENT
            .try_with(|table| {
                let table = table.try_borrow().ok()?;
                let slot = table.slots[table.slot(token)].as_ref()?;
                if slot.cache != self.id || *slot.token != *token || slot.verified.key.is_retired()
                {
                    return None;
                }
                Some(slot.verified.clone())
            })
            .ok()
            .flatten()
    }

    fn remember(&self, token: &[u8], verified: &Arc<Verified>) {
        let _ = RECENT.try_with(|table| {
            if let Ok(mut table) = table.try_borrow_mut() {
                let index = table.slot(token);
                table.slots[index] = Some(Recent {
                    cache: self.id,
                    token: token.into(),
                    verified: verified.clone(),
                });
            }
        });
    }

    pub(crate) fn insert(&self, token: &[u8], verified: Arc<Verified>) {
        let digest = digest_of(token);
        let per_shard = self.per_shard;
        let mut shard = self.shard(&digest);
        if shard.entries.contains_key(&digest) {
            return;
        }
        while shard.entries.len() >= per_shard {
            let Some(oldest) = shard.order.pop_front() else {
                break;
            };
            shard.entries.remove(&oldest);
        }
        // Digests of entries removed early linger in `order`; keep it bounded too.
        if shard.order.len() >= per_shard * 2 {
            let Shard { entries, order } = &mut *shard;
            order.retain(|d| entries.contains_key(d));
        }
        shard.order.push_back(digest);
        shard.entries.insert(digest, verified.clone());
        drop(shard);
        self.remember(token, &verified);
    }

    pub(crate) fn remove(&self, token: &[u8]) {
        let digest = digest_of(token);
        self.shard(&digest).entries.remove(&digest);
        let _ = RECENT.try_with(|table| {
            if let Ok(mut table) = table.try_borrow_mut() {
                let index = table.slot(token);
                if table.slots[index]
                    .as_ref()
                    .is_some_and(|slot| slot.cache == self.id && *slot.token == *token)
                {
                    table.slots[index] = None;
                }
            }
        });
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().map(|s| s.entries.len()).unwrap_or(0))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Arc<Verified> {
        let claims =
            SessionClaims::from_value(serde_json::json!({"sub": "u", "exp": 10})).expect("claims");
        let key = Arc::new(
            VerifyingKey::from_pem(include_str!(
                "../../tests/conformance/signing-key.public.pem"
            ))
            .expect("key"),
        );
        let times = Times::read(
            &crate::verification::claims::Fields::parse(claims.as_json()).expect("fields"),
        );
        Arc::new(Verified::new(claims, key, None, times, true))
    }

    #[test]
    fn cache_stays_within_its_bound() {
        let cache = TokenCache::new(64).expect("enabled");
        let shared = entry();
        for i in 0..10_000 {
            cache.insert(format!("token-{i}").as_bytes(), shared.clone());
        }
        assert!(cache.len() <= 64, "{}", cache.len());
        assert!(cache.get(b"token-9999").is_some());
        assert!(cache.get(b"token-0").is_none());
        for shard in cache.shards.iter() {
            let shard = shard.lock().expect("shard");
            assert!(shard.order.len() <= 2 * cache.per_shard);
        }
    }

    #[test]
    fn per_thread_table_never_answers_for_another_cache() {
        let first = TokenCache::new(16).expect("enabled");
        let second = TokenCache::new(16).expect("enabled");
        first.insert(b"token", entry());
        assert!(first.get(b"token").is_some());
        assert!(second.get(b"token").is_none());
        // Another thread starts with an empty table and finds the shared entry.
        std::thread::scope(|scope| {
            scope.spawn(|| assert!(first.get(b"token").is_some()));
        });
    }

    #[test]
    fn zero_capacity_disables() {
        assert!(TokenCache::new(0).is_none());
    }

    #[test]
    fn removed_entries_miss() {
        let cache = TokenCache::new(10).expect("enabled");
        cache.insert(b"a", entry());
        assert!(cache.get(b"a").is_some());
        cache.remove(b"a");
        assert!(cache.get(b"a").is_none());
        assert!(cache.get(b"b").is_none());
    }
}
