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

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use aws_lc_rs::digest;

use serde_json::Value;

use crate::claims::SessionClaims;
use crate::keys::VerifyingKey;
use crate::verify::{self, Times, VerifyError, VerifyOptions};

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

    /// The checks that depend on the clock and the options.
    pub(crate) fn recheck(&self, options: &VerifyOptions, now_ms: i64) -> Result<(), VerifyError> {
        verify::check_header_type(self.typ.as_ref(), options.header_types.as_deref())?;
        verify::check_policy(self.claims.policy().view(), options)?;
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
        let digest = digest_of(token);
        let mut shard = self.shard(&digest);
        let entry = shard.entries.get(&digest)?;
        if entry.key.is_retired() {
            shard.entries.remove(&digest);
            return None;
        }
        Some(entry.clone())
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
        shard.entries.insert(digest, verified);
    }

    pub(crate) fn remove(&self, token: &[u8]) {
        let digest = digest_of(token);
        self.shard(&digest).entries.remove(&digest);
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
            VerifyingKey::from_pem(include_str!("../tests/conformance/signing-key.public.pem"))
                .expect("key"),
        );
        let times = Times::read(&crate::claims::Fields::parse(claims.as_json()).expect("fields"));
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
