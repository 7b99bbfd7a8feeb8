//! The verified-token cache.
//!
//! Checking an RSA signature costs tens of microseconds, far more than the
//! rest of a request, and a session token is typically sent many times within
//! its 60-second life. So a token that verified is remembered, and when it
//! comes again its signature and JSON are not looked at again.
//!
//! # Why this is safe
//!
//! * **Only successes are cached**, and an entry is found only by the whole
//!   token, compared byte for byte: a token differing in any byte is a miss.
//!   Entries are hashed by the token's last 48 bytes, which are its RSA
//!   signature (random-looking, and fixed by the rest of the token), with a
//!   seeded fast hash: no cryptographic hash runs on the request path, and
//!   the exact comparison does what a digest would, without its cost.
//! * **Everything that depends on the clock or the options is checked again
//!   on every hit**: `exp`, `nbf` and `iat` against the current time and skew,
//!   the header `typ`, and the `azp`, `aud` and `iss` rules of the options in
//!   force for this request (per-request options cannot reuse a looser
//!   decision). Only the signature and the parsing are skipped.
//! * **A retired key invalidates what it verified**: when a refreshed JWKS no
//!   longer lists a key, entries verified with it miss and are dropped.
//! * **Bounded**: at most `capacity` entries (default 10 000), in the
//!   `quick_cache` crate's sharded table, whose Clock-PRO / S3-FIFO policy
//!   makes an insert cost the same when the cache is full and lets a token
//!   seen once (a bot's, a scan's) leave before the tokens in use; entries
//!   that fail the time check on a hit are removed. A stream of distinct
//!   tokens costs no more memory than the bound.
//! * Requests with the `skip_jwks_cache` option bypass it.
//!
//! # Two levels
//!
//! Each worker thread first looks in a small table of its own (256 slots,
//! direct-mapped by the same fast hash, compared **byte for byte** against the
//! stored token), then in the shared cache. A client's token usually comes
//! back to the same worker over its keep-alive connection, so most hits cost
//! one fast hash and one comparison, with no lock. A token enters the table
//! when it comes back (a shared hit), not when it is first verified, so
//! one-shot tokens do not push the ones in use out; it enters as the
//! thread's own copy, so a hit counts references on memory no other core
//! writes. The per-thread tables hold
//! at most 256 tokens per worker (~200 KB).

use std::cell::RefCell;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::claims::SessionClaims;
use super::error::VerifyError;
use super::json::OwnedClaim;
use super::keys::VerifyingKey;
use super::options::VerifyOptions;
use super::token::{self, Times};
use super::token_kind::JwtShape;

/// What a verified token proved.
pub(crate) struct Verified {
    pub(crate) claims: SessionClaims,
    key: Arc<VerifyingKey>,
    typ: Option<OwnedClaim>,
    times: Times,
    /// What kind of JWT it is (session, another category, M2M, OAuth), so a
    /// hit is held to the same token-kind rules as a miss.
    pub(crate) shape: JwtShape,
}

impl Verified {
    /// A copy whose claims have their own reference count, for one
    /// thread's table ([`SessionClaims::detached`]).
    fn detached(&self) -> Self {
        Self {
            claims: self.claims.detached(),
            key: self.key.clone(),
            typ: self.typ.clone(),
            times: self.times.clone(),
            shape: self.shape,
        }
    }

    pub(crate) fn new(
        claims: SessionClaims,
        key: Arc<VerifyingKey>,
        typ: Option<OwnedClaim>,
        times: Times,
        shape: JwtShape,
    ) -> Self {
        Self {
            claims,
            key,
            typ,
            times,
            shape,
        }
    }

    /// The token's time claims.
    pub(crate) fn times(&self) -> &Times {
        &self.times
    }

    /// The checks that depend on the clock and the options.
    pub(crate) fn recheck(&self, options: &VerifyOptions, now_ms: i64) -> Result<(), VerifyError> {
        token::check_header_type(
            self.typ.as_ref().map(OwnedClaim::claim),
            options.header_types.as_deref(),
        )?;
        token::check_policy(self.claims.policy(), options)?;
        self.times.check(now_ms, options)
    }
}

/// The part of a token its hash is computed over: the end of the signature.
fn hashed_part(token: &[u8]) -> &[u8] {
    &token[token.len().saturating_sub(48)..]
}

/// A cached token: hashed by [`hashed_part`], equal only to the same bytes.
#[derive(Clone, PartialEq, Eq)]
struct TokenKey(Box<[u8]>);

impl Hash for TokenKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        TokenRef(&self.0).hash(state);
    }
}

/// A token looked up without copying it.
#[derive(PartialEq, Eq)]
struct TokenRef<'a>(&'a [u8]);

impl Hash for TokenRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write(hashed_part(self.0));
    }
}

impl quick_cache::Equivalent<TokenKey> for TokenRef<'_> {
    fn equivalent(&self, key: &TokenKey) -> bool {
        *self.0 == *key.0
    }
}

type Shared = quick_cache::sync::Cache<
    TokenKey,
    Arc<Verified>,
    quick_cache::UnitWeighter,
    foldhash::fast::RandomState,
>;

pub(crate) struct TokenCache {
    shared: Shared,
    capacity: usize,
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
        (self.hasher.hash_one(hashed_part(token)) as usize) % RECENT_SLOTS
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
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl TokenCache {
    /// `None` when `capacity` is 0 (caching disabled).
    pub(crate) fn new(capacity: usize) -> Option<Self> {
        if capacity == 0 {
            return None;
        }
        let shared = Shared::with(
            capacity,
            u64::try_from(capacity).unwrap_or(u64::MAX),
            quick_cache::UnitWeighter,
            foldhash::fast::RandomState::default(),
            quick_cache::sync::DefaultLifecycle::default(),
        );
        Some(Self {
            shared,
            capacity,
            id: next_cache_id(),
        })
    }

    /// The entry for `token`, unless its key has been retired since.
    pub(crate) fn get(&self, token: &[u8]) -> Option<Arc<Verified>> {
        if let Some(hit) = self.recent(token) {
            return Some(hit);
        }
        let hit = self.shared.get(&TokenRef(token))?;
        if hit.key.is_retired() {
            self.shared.remove(&TokenRef(token));
            return None;
        }
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
                    verified: Arc::new(verified.detached()),
                });
            }
        });
    }

    /// Caches a token that just verified. Only the shared cache takes it:
    /// the per-thread table learns a token when it comes back (a shared
    /// hit), so tokens seen once do not push the ones in use out of it, and
    /// the cold path copies the token once, not twice.
    pub(crate) fn insert(&self, token: &[u8], verified: Arc<Verified>) {
        self.shared.insert(TokenKey(token.into()), verified);
    }

    pub(crate) fn remove(&self, token: &[u8]) {
        self.shared.remove(&TokenRef(token));
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
        self.shared.len()
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
        let mut text = claims.as_json().to_owned();
        let whole = crate::verification::json::Span::new(0, text.len()).expect("span");
        let fields = crate::verification::claims::Fields::read(&mut text, whole).expect("fields");
        let times = Times::read(&fields, &text);
        let shape = JwtShape {
            machine: None,
            category: crate::verification::token::Category::Absent,
        };
        Arc::new(Verified::new(claims, key, None, times, shape))
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
        // Not FIFO: tokens admitted while the cache filled may stay, but the
        // bound holds for any stream.
        let kept = (0..10_000)
            .filter(|i| cache.get(format!("token-{i}").as_bytes()).is_some())
            .count();
        assert!(kept <= 64 + 256, "{kept}");
    }

    #[test]
    fn one_shot_tokens_do_not_evict_tokens_in_use() {
        let cache = TokenCache::new(64).expect("enabled");
        let shared = entry();
        cache.insert(b"in-use", shared.clone());
        for i in 0..10_000 {
            // The token in use comes back between the one-shot ones, from
            // another thread (so the per-thread table does not answer).
            if i % 8 == 0 {
                std::thread::scope(|scope| {
                    scope.spawn(|| assert!(cache.get(b"in-use").is_some(), "evicted at {i}"));
                });
            }
            cache.insert(format!("one-shot-{i}").as_bytes(), shared.clone());
        }
        assert!(cache.len() <= 64, "{}", cache.len());
    }

    #[test]
    fn tokens_with_the_same_signature_tail_are_told_apart() {
        let cache = TokenCache::new(16).expect("enabled");
        let tail = "x".repeat(48);
        cache.insert(format!("header.payload-a.{tail}").as_bytes(), entry());
        assert!(cache
            .get(format!("header.payload-a.{tail}").as_bytes())
            .is_some());
        // Same hash, other bytes: a miss, never the other token's entry.
        assert!(cache
            .get(format!("header.payload-b.{tail}").as_bytes())
            .is_none());
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
