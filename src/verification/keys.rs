//! Public keys that session tokens are verified with.
//!
//! Either one PEM key given at start-up (networkless), or the instance's JWKS
//! fetched from the Backend API and shared by every worker:
//!
//! * each key is parsed once, when it arrives, into a form that verifies
//!   without any further parsing;
//! * the key set is trusted for a TTL (5 minutes), then fetched again;
//! * only one fetch runs at a time: concurrent requests that need keys wait for
//!   the fetch in flight instead of starting their own;
//! * a token whose `kid` is unknown triggers a fetch at most once per refetch
//!   interval (10 seconds), so made-up `kid`s cannot hammer the Backend API;
//! * when a fetch fails, keys already known keep verifying (stale-if-error)
//!   and the failure is logged; only a cold start with no keys at all turns a
//!   Backend API outage into an error, and that error says it is an outage
//!   (a 503 with `Retry-After: 1`: the fetch is tried again at most a second
//!   later, or after the refetch interval when that is shorter).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{self, ParsedPublicKey, RsaParameters, RsaPublicKeyComponents};
use base64::Engine as _;
use jsonwebtoken::jwk::{AlgorithmParameters, KeyAlgorithm, PublicKeyUse};

use super::error::{Reason, VerifyError};
use crate::backend::error::{Class, Error as ClientError, ErrorKind};
use crate::backend::executor::{self, BackendApi, Policy};
use crate::backend::jwks::{Jwk, Jwks};
use crate::encoding;

/// The RSA algorithms Clerk signs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Alg {
    Rs256,
    Rs384,
    Rs512,
}

impl Alg {
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name {
            "RS256" => Some(Self::Rs256),
            "RS384" => Some(Self::Rs384),
            "RS512" => Some(Self::Rs512),
            _ => None,
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    fn params(self) -> &'static RsaParameters {
        match self {
            Self::Rs256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Self::Rs384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            Self::Rs512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        }
    }
}

const ALL_ALGS: [Alg; 3] = [Alg::Rs256, Alg::Rs384, Alg::Rs512];

/// One RSA public key, parsed for the algorithms it may verify.
pub(crate) struct VerifyingKey {
    kid: Option<String>,
    /// The JWK's `alg`; a token must use the same one.
    alg: Option<Alg>,
    parsed: [Option<ParsedPublicKey>; 3],
    /// Modulus and exponent, to recognise the same key in a later JWKS.
    n: Vec<u8>,
    e: Vec<u8>,
    /// Set once a refreshed JWKS no longer lists this key.
    retired: AtomicBool,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("bits", &(self.n.len() * 8))
            .finish_non_exhaustive()
    }
}

/// Why a token could not be checked with a key.
pub(crate) enum SignatureError {
    /// The key is for another algorithm than the token's header names.
    AlgMismatch,
    /// The signature does not match.
    Invalid,
}

impl VerifyingKey {
    fn new(kid: Option<String>, alg: Option<Alg>, n: &[u8], e: &[u8]) -> Result<Self, String> {
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        if n.len() < 256 {
            return Err(format!(
                "the RSA key is {} bits; at least 2048 are required",
                n.len() * 8
            ));
        }
        if n.len() > 1024 {
            return Err(format!(
                "the RSA key is {} bits; at most 8192 are supported",
                n.len() * 8
            ));
        }
        let components = RsaPublicKeyComponents { n, e };
        let mut parsed: [Option<ParsedPublicKey>; 3] = [None, None, None];
        for candidate in ALL_ALGS {
            if alg.is_some_and(|alg| alg != candidate) {
                continue;
            }
            let key = components
                .to_parsed_public_key(candidate.params())
                .map_err(|e| format!("the RSA key was rejected: {e}"))?;
            parsed[candidate.index()] = Some(key);
        }
        Ok(Self {
            kid,
            alg,
            parsed,
            n: n.to_vec(),
            e: e.to_vec(),
            retired: AtomicBool::new(false),
        })
    }

    /// Parses a PEM (or bare base64 DER) RSA public key, SPKI or PKCS#1, of any
    /// size from 2048 to 8192 bits. Like Clerk's networkless verification, the
    /// key is taken to be an RS256 key.
    pub(crate) fn from_pem(pem: &str) -> Result<Self, std::borrow::Cow<'static, str>> {
        let der = pem_to_der(pem).ok_or(
            "expected a PEM public key (-----BEGIN PUBLIC KEY----- ...); \
             copy it from Clerk Dashboard > API keys > Show JWT public key",
        )?;
        let (n, e) = rsa_components(&der).ok_or("the PEM does not hold an RSA public key")?;
        Self::new(None, Some(Alg::Rs256), &n, &e).map_err(Into::into)
    }

    /// Builds a key from a JWK. `None` for keys that are not RSA signing keys.
    fn from_jwk(jwk: &Jwk) -> Option<Result<Self, String>> {
        let rsa = match &jwk.algorithm {
            AlgorithmParameters::RSA(rsa) => rsa,
            // jsonwebtoken reads an RSA key without string `n` and `e` as
            // parameters it does not model.
            AlgorithmParameters::Other(other)
                if other.fields.get("kty").and_then(|kty| kty.as_str()) == Some("RSA") =>
            {
                return Some(Err("an RSA key without n or e".to_owned()));
            }
            _ => return None,
        };
        if jwk
            .common
            .public_key_use
            .as_ref()
            .is_some_and(|key_use| *key_use != PublicKeyUse::Signature)
        {
            return None;
        }
        let alg = match jwk.common.key_algorithm {
            None => None,
            Some(KeyAlgorithm::RS256) => Some(Alg::Rs256),
            Some(KeyAlgorithm::RS384) => Some(Alg::Rs384),
            Some(KeyAlgorithm::RS512) => Some(Alg::Rs512),
            Some(_) => return None,
        };
        let (n, e) = (&rsa.n, &rsa.e);
        let (Ok(n), Ok(e)) = (encoding::URL_SAFE.decode(n), encoding::URL_SAFE.decode(e)) else {
            return Some(Err("an RSA key whose n or e is not base64url".to_owned()));
        };
        Some(Self::new(jwk.common.key_id.clone(), alg, &n, &e))
    }

    pub(crate) fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Whether this key was dropped from the instance's JWKS.
    pub(crate) fn is_retired(&self) -> bool {
        self.retired.load(Ordering::Acquire)
    }

    /// Checks `signature` over `message` with the algorithm the token names.
    pub(crate) fn verify(
        &self,
        alg: Alg,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), SignatureError> {
        if self.alg.is_some_and(|own| own != alg) {
            return Err(SignatureError::AlgMismatch);
        }
        let key = self.parsed[alg.index()]
            .as_ref()
            .ok_or(SignatureError::AlgMismatch)?;
        key.verify_sig(message, signature)
            .map_err(|_| SignatureError::Invalid)
    }

    fn same_material(&self, other: &Self) -> bool {
        self.kid == other.kid && self.alg == other.alg && self.n == other.n && self.e == other.e
    }
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// The DER bytes inside a PEM block, or of a bare base64 body. Accepts literal
/// `\n` sequences, which is how multi-line values often end up in `.env` files.
pub(crate) fn pem_to_der(pem: &str) -> Option<Vec<u8>> {
    let text = pem.replace("\\n", "\n");
    let body: String = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with("-----"))
        .collect();
    if body.is_empty() {
        return None;
    }
    encoding::STANDARD.decode(body.as_bytes()).ok()
}

/// Reads `(n, e)` from an RSA public key in SPKI or PKCS#1 DER.
pub(crate) fn rsa_components(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let key = aws_lc_rs::rsa::PublicKey::from_der(der).ok()?;
    Some((
        key.modulus().big_endian_without_leading_zero().to_vec(),
        key.exponent().big_endian_without_leading_zero().to_vec(),
    ))
}

/// Where the keys come from.
#[derive(Debug)]
pub(crate) enum KeyStore {
    /// One key from `CLERK_JWT_KEY`; the token's `kid` is not consulted.
    Local(Arc<VerifyingKey>),
    /// The instance's JWKS.
    Remote(Box<RemoteKeys>),
}

pub(crate) struct RemoteSettings {
    /// The Backend API the JWKS is fetched from, with the secret key.
    pub(crate) api: Arc<BackendApi>,
    pub(crate) ttl: Duration,
    pub(crate) refetch_interval: Duration,
    pub(crate) timeout: Duration,
}

impl KeyStore {
    pub(crate) fn local(key: VerifyingKey) -> Self {
        Self::Local(Arc::new(key))
    }

    pub(crate) fn remote(settings: RemoteSettings) -> Self {
        let (done, _) = tokio::sync::watch::channel(0);
        Self::Remote(Box::new(RemoteKeys {
            url: format!("{}/{}/jwks", settings.api.url, settings.api.version),
            settings,
            set: RwLock::new(Arc::new(KeySet::default())),
            generation: AtomicU64::new(0),
            state: Mutex::new(RefreshState::default()),
            done,
        }))
    }

    /// The key for a token whose header names `kid`.
    pub(crate) async fn key_for(
        &self,
        kid: Option<&str>,
        skip_cache: bool,
    ) -> Result<Arc<VerifyingKey>, VerifyError> {
        match self {
            Self::Local(key) => Ok(key.clone()),
            Self::Remote(remote) => match remote.fresh_key(kid, skip_cache) {
                Some(key) => Ok(key),
                // Boxed: a fetch makes this future large, and the usual
                // request (fresh keys, a known `kid`) should not carry it.
                None => Box::pin(remote.key_for(kid, skip_cache)).await,
            },
        }
    }

    /// Fetches the JWKS now (no-op for a local key).
    pub(crate) async fn refresh(&self) -> Result<(), VerifyError> {
        match self {
            Self::Local(_) => Ok(()),
            Self::Remote(remote) => {
                let seen = remote.generation.load(Ordering::Acquire);
                match remote.refresh(seen, Why::Forced).await {
                    Refresh::Done | Refresh::Busy | Refresh::Limited => Ok(()),
                    Refresh::Failed(e) => Err(e.to_verify_error(&remote.url)),
                }
            }
        }
    }
}

#[derive(Default)]
struct KeySet {
    keys: Vec<Arc<VerifyingKey>>,
    fetched_at: Option<Instant>,
}

impl KeySet {
    fn get(&self, kid: Option<&str>) -> Option<&Arc<VerifyingKey>> {
        let kid = kid?;
        self.keys.iter().find(|k| k.kid() == Some(kid))
    }

    fn is_fresh(&self, now: Instant, ttl: Duration) -> bool {
        self.fetched_at
            .is_some_and(|at| now.saturating_duration_since(at) < ttl)
    }
}

#[derive(Default)]
struct RefreshState {
    in_flight: bool,
    /// The outcome of the fetch that produced the current generation.
    last_outcome: Option<Result<(), FetchError>>,
    last_failed: Option<Instant>,
    /// When the last fetch caused by an unknown `kid` started.
    last_kid_miss: Option<Instant>,
}

/// Why a fetch is wanted; decides the rate limit that applies.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Why {
    /// No keys at all yet.
    Cold,
    /// The key set is older than the TTL.
    Stale,
    /// A token named a `kid` the current set lacks.
    KidMiss,
    /// Asked for explicitly (skip-cache option, warm-up).
    Forced,
}

enum Refresh {
    /// A fetch finished (ours or one we waited for) and succeeded.
    Done,
    /// It failed.
    Failed(FetchError),
    /// Another fetch is running and we chose not to wait.
    Busy,
    /// The rate limit says not now.
    Limited,
}

/// How long to wait before trying again after a failed fetch left us with no
/// keys (or the refetch interval, when that is shorter). The 503 of an outage
/// says the same in `Retry-After` ([`AuthUnavailableError`](crate::error::AuthUnavailableError)),
/// so a client that waits that long reaches a new attempt.
pub(crate) const COLD_RETRY_BACKOFF: Duration = Duration::from_secs(1);

pub(crate) struct RemoteKeys {
    settings: RemoteSettings,
    /// The JWKS URL, for messages.
    url: String,
    set: RwLock<Arc<KeySet>>,
    /// Bumped after every completed fetch; read before the set, so a reader
    /// that saw an old set can tell a newer fetch has finished since.
    generation: AtomicU64,
    state: Mutex<RefreshState>,
    done: tokio::sync::watch::Sender<u64>,
}

impl std::fmt::Debug for RemoteKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteKeys")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl RemoteKeys {
    fn current(&self) -> Arc<KeySet> {
        self.set
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, RefreshState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The key for `kid` when the keys are fresh and list it: no fetch.
    fn fresh_key(&self, kid: Option<&str>, skip_cache: bool) -> Option<Arc<VerifyingKey>> {
        if skip_cache {
            return None;
        }
        let set = self.current();
        if !set.is_fresh(Instant::now(), self.settings.ttl) {
            return None;
        }
        set.get(kid).cloned()
    }

    async fn key_for(
        &self,
        kid: Option<&str>,
        skip_cache: bool,
    ) -> Result<Arc<VerifyingKey>, VerifyError> {
        let seen = self.generation.load(Ordering::Acquire);
        let set = self.current();
        let now = Instant::now();

        if skip_cache {
            return match self.refresh(seen, Why::Forced).await {
                Refresh::Failed(e) => Err(e.to_verify_error(&self.url)),
                _ => self.lookup_after_refresh(kid),
            };
        }

        if set.is_fresh(now, self.settings.ttl) {
            if let Some(key) = set.get(kid) {
                return Ok(key.clone());
            }
            return self.kid_miss(kid, seen).await;
        }

        if set.keys.is_empty() {
            return match self.refresh(seen, Why::Cold).await {
                Refresh::Done => self.lookup_after_refresh(kid),
                Refresh::Failed(e) => Err(e.to_verify_error(&self.url)),
                // Cold fetches always wait, and are limited only after a
                // failure, whose outcome is then still the last one.
                Refresh::Busy | Refresh::Limited => Err(self.last_failure_error()),
            };
        }

        // Stale keys: one request refreshes, everyone else keeps using them.
        let set = match self.refresh(seen, Why::Stale).await {
            Refresh::Done => self.current(),
            Refresh::Failed(_) | Refresh::Busy | Refresh::Limited => set,
        };
        match set.get(kid) {
            Some(key) => Ok(key.clone()),
            None => {
                self.kid_miss(kid, self.generation.load(Ordering::Acquire))
                    .await
            }
        }
    }

    async fn kid_miss(
        &self,
        kid: Option<&str>,
        seen: u64,
    ) -> Result<Arc<VerifyingKey>, VerifyError> {
        match self.refresh(seen, Why::KidMiss).await {
            Refresh::Done | Refresh::Limited | Refresh::Busy => self.lookup_after_refresh(kid),
            Refresh::Failed(e) => Err(e.to_verify_error(&self.url)),
        }
    }

    fn lookup_after_refresh(&self, kid: Option<&str>) -> Result<Arc<VerifyingKey>, VerifyError> {
        self.current()
            .get(kid)
            .cloned()
            .ok_or_else(|| kid_mismatch(kid))
    }

    fn last_failure_error(&self) -> VerifyError {
        match &self.state().last_outcome {
            Some(Err(e)) => e.to_verify_error(&self.url),
            _ => FetchError::Transport("the JWKS has not been loaded yet".to_owned())
                .to_verify_error(&self.url),
        }
    }

    /// Runs or joins a fetch. `seen` is the generation the caller observed
    /// before deciding it needs one: if a fetch has completed since, its
    /// outcome is returned instead of fetching again.
    async fn refresh(&self, seen: u64, why: Why) -> Refresh {
        enum Next {
            Return(Refresh),
            Fetch,
            Wait,
        }
        loop {
            let mut changed = self.done.subscribe();
            let next = {
                let mut state = self.state();
                if self.generation.load(Ordering::Acquire) != seen {
                    Next::Return(match &state.last_outcome {
                        Some(Err(e)) => Refresh::Failed(e.clone()),
                        _ => Refresh::Done,
                    })
                } else if state.in_flight {
                    if why == Why::Stale {
                        Next::Return(Refresh::Busy)
                    } else {
                        Next::Wait
                    }
                } else {
                    let now = Instant::now();
                    if self.limited(&state, why, now) {
                        Next::Return(Refresh::Limited)
                    } else {
                        state.in_flight = true;
                        if why == Why::KidMiss {
                            state.last_kid_miss = Some(now);
                        }
                        Next::Fetch
                    }
                }
            };
            match next {
                Next::Return(refresh) => return refresh,
                Next::Fetch => {
                    let mut flight = InFlight {
                        keys: self,
                        finished: false,
                    };
                    let outcome = self.fetch().await;
                    flight.finish(outcome.clone());
                    return match outcome {
                        Ok(()) => Refresh::Done,
                        Err(e) => Refresh::Failed(e),
                    };
                }
                // Wait for the fetch in flight, then look at its outcome.
                Next::Wait => {
                    if changed.changed().await.is_err() {
                        return Refresh::Busy;
                    }
                }
            }
        }
    }

    fn limited(&self, state: &RefreshState, why: Why, now: Instant) -> bool {
        let since = |at: Option<Instant>| at.map(|at| now.saturating_duration_since(at));
        let recently_failed =
            |backoff: Duration| since(state.last_failed).is_some_and(|elapsed| elapsed < backoff);
        match why {
            Why::Forced => false,
            // Never longer than the refetch interval: once the Backend API is
            // back, a cold instance recovers within one interval.
            Why::Cold => recently_failed(COLD_RETRY_BACKOFF.min(self.settings.refetch_interval)),
            Why::Stale => recently_failed(self.settings.refetch_interval),
            Why::KidMiss => {
                since(state.last_kid_miss).is_some_and(|e| e < self.settings.refetch_interval)
            }
        }
    }

    /// Fetches the JWKS (the executor retries transient failures) and
    /// installs it.
    async fn fetch(&self) -> Result<(), FetchError> {
        let result = self.fetch_once().await;
        let keys = result?;
        let previous = self.current();
        let mut next = Vec::with_capacity(keys.len());
        for key in keys {
            match previous.keys.iter().find(|old| old.same_material(&key)) {
                Some(old) => next.push(old.clone()),
                None => next.push(Arc::new(key)),
            }
        }
        for old in &previous.keys {
            if !next.iter().any(|k| Arc::ptr_eq(k, old)) {
                old.retired.store(true, Ordering::Release);
            }
        }
        let set = Arc::new(KeySet {
            keys: next,
            fetched_at: Some(Instant::now()),
        });
        *self.set.write().unwrap_or_else(PoisonError::into_inner) = set;
        Ok(())
    }

    async fn fetch_once(&self) -> Result<Vec<VerifyingKey>, FetchError> {
        let api = &self.settings.api;
        let policy = Policy::jwks(self.settings.timeout);
        let body = executor::execute(api, &policy, &api.get("/jwks"))
            .await
            .map_err(FetchError::from_client)?;
        // Read key by key: one key Clerk adds in a shape we do not know must
        // not hide the others.
        let jwks: Jwks = serde_json::from_slice(&body).map_err(|_| FetchError::Malformed)?;
        let mut keys = Vec::new();
        for jwk in &jwks.keys {
            match VerifyingKey::from_jwk(jwk) {
                Some(Ok(key)) => keys.push(key),
                Some(Err(reason)) => log::warn!(
                    target: "clerk_actix::jwks",
                    "ignoring JWKS key {:?}: {reason}",
                    jwk.common.key_id
                ),
                None => {}
            }
        }
        if keys.is_empty() {
            return Err(FetchError::NoKeys);
        }
        Ok(keys)
    }
}

/// Clears the in-flight mark and wakes waiters, whether the fetch finished or
/// the request that ran it was dropped half-way.
struct InFlight<'a> {
    keys: &'a RemoteKeys,
    finished: bool,
}

impl InFlight<'_> {
    fn finish(&mut self, outcome: Result<(), FetchError>) {
        self.finished = true;
        let url = &self.keys.url;
        let mut state = self.keys.state();
        if let Err(e) = &outcome {
            state.last_failed = Some(Instant::now());
            if self.keys.current().keys.is_empty() {
                log::error!(
                    target: "clerk_actix::jwks",
                    "fetching the JWKS from {url} failed: {e}; no keys are cached, \
                     so session tokens cannot be verified until it succeeds"
                );
            } else {
                log::warn!(
                    target: "clerk_actix::jwks",
                    "fetching the JWKS from {url} failed: {e}; \
                     still verifying with the keys fetched earlier"
                );
            }
        }
        state.last_outcome = Some(outcome);
        state.in_flight = false;
        let generation = self.keys.generation.fetch_add(1, Ordering::AcqRel) + 1;
        drop(state);
        self.keys.done.send_replace(generation);
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if !self.finished {
            // The request running the fetch went away: let a waiter take over.
            self.keys.state().in_flight = false;
            self.keys.done.send_modify(|_| {});
        }
    }
}

fn kid_mismatch(kid: Option<&str>) -> VerifyError {
    VerifyError::new(
        Reason::JwkKidMismatch,
        format!(
            "Unable to find a signing key in JWKS that matches the kid='{}' of the provided \
             session token. Please make sure that the __session cookie or the HTTP authorization \
             header contain a Clerk-generated session JWT.",
            kid.unwrap_or("undefined")
        ),
    )
    .with_action(
        "Go to your Dashboard and validate your secret and public keys are correct. \
         Contact support@clerk.com if the issue persists.",
    )
}

/// Why a JWKS fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, derive_more::Display)]
enum FetchError {
    /// No answer: connection, timeout, a broken or oversized answer.
    #[display("{_0}")]
    Transport(String),
    #[display("the Backend API answered {_0}")]
    Status(u16),
    #[display("the Backend API rejected the secret key: {_0}")]
    SecretKeyInvalid(String),
    #[display("the Backend API answered with a body that is not a JWKS")]
    Malformed,
    #[display("the JWKS holds no RSA signing keys")]
    NoKeys,
}

impl FetchError {
    fn from_client(error: ClientError) -> Self {
        if let Class::KeyRejected = error.class() {
            let message = error
                .api_error()
                .and_then(|api| api.errors().iter().find(|e| e.code == "clerk_key_invalid"))
                .map(|detail| detail.message.clone())
                .filter(|message| !message.is_empty());
            return Self::SecretKeyInvalid(
                message.unwrap_or_else(|| "Invalid secret key".to_owned()),
            );
        }
        let message = error.to_string();
        match error.into_kind() {
            ErrorKind::Api(api) => Self::Status(api.status()),
            ErrorKind::Connect(message) => Self::Transport(format!("could not connect: {message}")),
            ErrorKind::Timeout(after) => {
                Self::Transport(format!("no response within {}s", after.as_secs_f32()))
            }
            ErrorKind::BodyTooLarge(limit) => {
                Self::Transport(format!("the response body is larger than {limit} bytes"))
            }
            ErrorKind::Decode(_) => Self::Malformed,
            ErrorKind::Transport(message) => Self::Transport(message),
            _ => Self::Transport(message),
        }
    }

    fn to_verify_error(&self, url: &str) -> VerifyError {
        match self {
            Self::SecretKeyInvalid(message) => {
                VerifyError::new(Reason::SecretKeyInvalid, message.clone())
                    .with_action("Contact support@clerk.com")
            }
            Self::Status(status) => VerifyError::new(
                Reason::JwkRemoteFailedToLoad,
                format!("Error loading Clerk JWKS from {url} with code={status}"),
            )
            .with_action("Contact support@clerk.com"),
            Self::NoKeys | Self::Malformed => VerifyError::new(
                Reason::JwkRemoteFailedToLoad,
                "The JWKS endpoint did not contain any signing keys. Contact support@clerk.com."
                    .to_owned(),
            )
            .with_action("Contact support@clerk.com"),
            Self::Transport(e) => VerifyError::new(
                Reason::JwkRemoteFailedToLoad,
                format!("Failed to load JWKS from Clerk Backend API ({url}): {e}"),
            )
            .with_action("Contact support@clerk.com"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = include_str!("../../tests/conformance/signing-key.public.pem");

    #[test]
    fn pem_parses_with_escaped_newlines_and_bare_body() {
        let key = VerifyingKey::from_pem(PEM).expect("pem");
        assert_eq!(key.n.len(), 256);
        let escaped = PEM.replace('\n', "\\n");
        assert!(VerifyingKey::from_pem(&escaped).is_ok());
        let body: String = PEM.lines().filter(|l| !l.starts_with("-----")).collect();
        assert!(VerifyingKey::from_pem(&body).is_ok());
    }

    #[test]
    fn pem_to_jwk_vector() {
        let vector: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/conformance/pem-to-jwk.json"))
                .expect("vector");
        let expected = &vector["expected_jwk"];
        for pem in [
            include_str!("../../tests/conformance/pem-to-jwk.input.pem"),
            vector["pem_body_only"].as_str().unwrap_or_default(),
        ] {
            let der = pem_to_der(pem).expect("pem");
            let (n, e) = rsa_components(&der).expect("rsa");
            assert_eq!(encoding::URL_SAFE.encode(n), expected["n"]);
            assert_eq!(encoding::URL_SAFE.encode(e), expected["e"]);
        }
    }

    #[test]
    fn jwks_fixture_key_parses() {
        let jwks: Jwks =
            serde_json::from_str(include_str!("../../tests/conformance/jwks.json")).expect("jwks");
        let key = VerifyingKey::from_jwk(&jwks.keys[0])
            .expect("rsa")
            .expect("valid");
        assert_eq!(key.kid(), Some("ins_2GIoQhbUpy0hX7B2cVkuTMinXoD"));
        assert_eq!(key.alg, Some(Alg::Rs256));
        // Keys of other types are skipped, not errors.
        let ec: Jwk = serde_json::from_value(serde_json::json!({
            "kty": "EC", "kid": "x", "crv": "P-256", "x": "AA", "y": "AA"
        }))
        .expect("jwk");
        assert!(VerifyingKey::from_jwk(&ec).is_none());
    }

    #[test]
    fn jwks_keys_are_read_one_by_one_and_only_rsa_signing_keys_kept() {
        let jwks: Jwks = serde_json::from_value(serde_json::json!({"keys": [
            {"kty": "RSA", "kid": "no-n", "e": "AQAB"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "kid": "pss", "alg": "PS256", "n": "AQAB", "e": "AQAB"},
            {"kty": "RSA", "kid": "odd-ops", "key_ops": 7, "n": "AQAB", "e": "AQAB"},
            {"kty": "ML-DSA", "kid": "future"},
            7,
        ]}))
        .expect("jwks");
        let kids: Vec<_> = jwks
            .keys
            .iter()
            .map(|k| k.common.key_id.as_deref())
            .collect();
        assert_eq!(
            kids,
            [Some("no-n"), Some("enc"), Some("pss"), Some("future")]
        );
        assert!(matches!(
            VerifyingKey::from_jwk(&jwks.keys[0]),
            Some(Err(reason)) if reason.contains("without n or e")
        ));
        for other in &jwks.keys[1..] {
            assert!(VerifyingKey::from_jwk(other).is_none());
        }
    }

    #[test]
    fn pem_rejects_garbage() {
        assert!(VerifyingKey::from_pem("").is_err());
        assert!(VerifyingKey::from_pem("-----BEGIN PUBLIC KEY-----\n!!!\n").is_err());
        assert!(VerifyingKey::from_pem("aGVsbG8=").is_err());
    }
}
