//! Property tests: `has()` and claims normalisation (v1 and v2, with v2
//! permission masks of any size) against simple models, and the
//! verified-token cache against verification without it.
//!
//! Case counts are modest so the suite stays fast; a failure prints the
//! shrunk case, and `PROPTEST_CASES` raises the count for a longer run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use clerk_actix::clock::Clock;
use clerk_actix::session::SessionClaims;
use clerk_actix::testing::TestIssuer;
use clerk_actix::{Auth, Clerk, Has, Reason, VerifyOptions};
use proptest::prelude::*;
use serde_json::{json, Value};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(cases),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// `org:` stripped any number of times, then added once: Clerk's rule for
/// roles and permissions, written independently of the crate's.
fn org_prefixed(name: &str) -> String {
    let mut bare = name;
    while let Some(rest) = bare.strip_prefix("org:") {
        bare = rest;
    }
    format!("org:{bare}")
}

fn auth_of(payload: Value) -> Auth {
    Auth::from_claims(SessionClaims::from_value(payload).expect("claims with a sub"))
}

fn name() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "admin",
        "member",
        "org:admin",
        "org:org:admin",
        "billing",
        "org:billing",
        "",
        "org:",
        "ADMIN",
    ])
    .prop_map(str::to_owned)
}

fn permission() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "org:invoices:read",
        "invoices:read",
        "org:org:invoices:read",
        "org:invoices:write",
        "org:members:manage",
        "members:manage",
        "org:",
        "",
    ])
    .prop_map(str::to_owned)
}

proptest! {
    #![proptest_config(config(256))]

    /// v1 claims: `has({role})` and `has({permission})` agree with the model,
    /// and a check with both needs both.
    #[test]
    fn v1_role_and_permission_checks_agree_with_the_model(
        role in proptest::option::of(name()),
        with_org in any::<bool>(),
        permissions in proptest::option::of(prop::collection::vec(permission(), 0..5)),
        asked_role in name(),
        asked_permission in permission(),
    ) {
        let mut payload = json!({"sub": "user_1", "sid": "sess_1"});
        if with_org {
            payload["org_id"] = json!("org_1");
        }
        if let Some(role) = &role {
            payload["org_role"] = json!(role);
        }
        if let Some(permissions) = &permissions {
            payload["org_permissions"] = json!(permissions);
        }
        let auth = auth_of(payload);

        let role_model = with_org
            && role.as_deref().is_some_and(|own| {
                !own.is_empty() && org_prefixed(own) == org_prefixed(&asked_role)
            });
        let permission_model = with_org
            && permissions
                .as_ref()
                .is_some_and(|own| own.iter().any(|p| *p == org_prefixed(&asked_permission)));
        prop_assert_eq!(auth.has(Has::role(asked_role.clone())), role_model);
        prop_assert_eq!(auth.has(Has::permission(asked_permission.clone())), permission_model);
        prop_assert_eq!(
            auth.has(Has::role(asked_role).and_permission(asked_permission)),
            role_model && permission_model
        );
        // Normalisation keeps v1 claims as they are.
        prop_assert_eq!(auth.org_role(), if with_org { role.as_deref() } else { auth.org_role() });
    }
}

/// `bits` (little-endian) as a decimal string, by schoolbook doubling.
fn decimal(bits: &[bool]) -> String {
    // Base 10^9 limbs, little-endian.
    let mut limbs: Vec<u64> = vec![0];
    for &bit in bits.iter().rev() {
        let mut carry = u64::from(bit);
        for limb in &mut limbs {
            let value = *limb * 2 + carry;
            *limb = value % 1_000_000_000;
            carry = value / 1_000_000_000;
        }
        if carry > 0 {
            limbs.push(carry);
        }
    }
    let mut out = limbs.last().unwrap().to_string();
    for limb in limbs.iter().rev().skip(1) {
        out.push_str(&format!("{limb:09}"));
    }
    out
}

#[derive(Debug, Clone)]
struct V2Case {
    /// (scope, name) of each `fea` entry.
    features: Vec<(&'static str, String)>,
    permissions: Vec<String>,
    /// One mask per organization feature (extra or missing ones allowed).
    masks: Vec<Vec<bool>>,
    role: String,
    /// Leading zeros on each mask's decimal.
    zeros: usize,
}

fn v2_case() -> impl Strategy<Value = V2Case> {
    let scope = prop::sample::select(vec!["o", "u", "ou", "uo"]);
    (
        prop::collection::vec((scope, "[a-z]{1,6}"), 0..5),
        // At least one: what an empty `per` means is not pinned down by the
        // recorded vectors (the crate reads it as one empty name).
        prop::collection::vec("[a-z_]{1,8}", 1..90),
        prop::collection::vec(prop::collection::vec(any::<bool>(), 0..120), 0..6),
        "[a-z]{1,8}",
        0usize..3,
    )
        .prop_map(|(features, permissions, masks, role, zeros)| V2Case {
            features,
            permissions,
            masks,
            role,
            zeros,
        })
}

proptest! {
    #![proptest_config(config(192))]

    /// v2 claims: the permissions decoded from `fea`/`per`/`fpm` are exactly
    /// the model's (bit j of the i-th organization feature's mask grants the
    /// j-th permission), for masks of any size, beyond 2^53 included; the
    /// role gains its `org:` prefix; `has()` agrees.
    #[test]
    fn v2_permission_masks_decode_like_the_model(case in v2_case()) {
        let fea: Vec<String> = case.features.iter().map(|(s, n)| format!("{s}:{n}")).collect();
        let fpm: Vec<String> = case
            .masks
            .iter()
            .map(|bits| format!("{}{}", "0".repeat(case.zeros), decimal(bits)))
            .collect();
        let payload = json!({
            "sub": "user_1",
            "v": 2,
            "fea": fea.join(","),
            "o": {
                "id": "org_1",
                "rol": case.role,
                "slg": "acme",
                "per": case.permissions.join(","),
                "fpm": fpm.join(","),
            },
        });
        let auth = auth_of(payload);

        let org_features = case
            .features
            .iter()
            .filter(|(scope, _)| *scope != "u")
            .map(|(_, name)| name);
        let mut model = BTreeSet::new();
        for (feature, bits) in org_features.zip(&case.masks) {
            for (j, permission) in case.permissions.iter().enumerate() {
                if bits.get(j).copied().unwrap_or(false) {
                    model.insert(format!("org:{feature}:{permission}"));
                }
            }
        }
        let decoded: BTreeSet<String> = auth
            .org_permissions()
            .unwrap_or_default()
            .iter()
            .cloned()
            .collect();
        prop_assert_eq!(&decoded, &model);
        let role = format!("org:{}", case.role);
        prop_assert_eq!(auth.org_role(), Some(role.as_str()));
        prop_assert!(auth.has(Has::role(case.role.clone())));
        for permission in &model {
            prop_assert!(auth.has(Has::permission(permission.clone())));
        }
        if let (Some((_, feature)), Some(permission)) =
            (case.features.first(), case.permissions.first())
        {
            let asked = format!("org:{feature}:{permission}");
            prop_assert_eq!(auth.has(Has::permission(asked.clone())), model.contains(&asked));
        }
    }
}

/// Decimal masks with anything but digits grant nothing for that feature.
#[test]
fn v2_masks_that_are_not_decimal_grant_nothing() {
    for mask in ["-1", "0x1f", "1e3", "1.5", " ", "٣"] {
        let auth = auth_of(json!({
            "sub": "user_1", "v": 2, "fea": "o:a",
            "o": {"id": "org_1", "rol": "admin", "per": "read", "fpm": mask},
        }));
        assert_eq!(
            auth.org_permissions().unwrap_or_default(),
            &[] as &[String],
            "{mask:?}"
        );
    }
}

// ------------------------------------------------ verified-token cache --

#[derive(Debug, Clone)]
struct CacheCase {
    /// `exp` relative to the token's `iat`, seconds.
    lifetime: i64,
    /// The first verification, ms after `iat` (it succeeds, and is cached).
    first_at: i64,
    /// The second one, ms after `iat`.
    second_at: i64,
    azp: Option<usize>,
    aud: Option<usize>,
    iss_other: bool,
    first: Policy,
    second: Policy,
    skew_secs: u64,
}

#[derive(Debug, Clone)]
struct Policy {
    parties: Vec<usize>,
    audience: Vec<usize>,
    issuer: Option<bool>,
}

const PARTIES: [&str; 3] = [
    "https://a.example",
    "https://b.example",
    "https://c.example",
];
const AUDIENCES: [&str; 3] = ["api", "web", "admin"];

fn policy() -> impl Strategy<Value = Policy> {
    (
        prop::collection::vec(0usize..3, 0..3),
        prop::collection::vec(0usize..3, 0..3),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(|(parties, audience, issuer)| Policy {
            parties,
            audience,
            issuer,
        })
}

fn cache_case() -> impl Strategy<Value = CacheCase> {
    (
        1i64..120,
        0i64..200_000,
        0i64..200_000,
        proptest::option::of(0usize..3),
        proptest::option::of(0usize..3),
        any::<bool>(),
        policy(),
        policy(),
        0u64..10,
    )
        .prop_map(
            |(lifetime, first_at, second_at, azp, aud, iss_other, first, second, skew_secs)| {
                CacheCase {
                    lifetime,
                    first_at,
                    second_at,
                    azp,
                    aud,
                    iss_other,
                    first,
                    second,
                    skew_secs,
                }
            },
        )
}

fn options(base: &VerifyOptions, policy: &Policy, iss: &str, skew: u64) -> VerifyOptions {
    let mut options = base
        .clone()
        .clock_skew(std::time::Duration::from_secs(skew));
    if !policy.parties.is_empty() {
        options = options.authorized_parties(policy.parties.iter().map(|&i| PARTIES[i]));
    }
    if !policy.audience.is_empty() {
        options = options.audience(policy.audience.iter().map(|&i| AUDIENCES[i]));
    }
    match policy.issuer {
        Some(true) => options.issuer([iss]),
        Some(false) => options.issuer(["https://elsewhere.example"]),
        None => options,
    }
}

struct Fixture {
    issuer: TestIssuer,
    now: Arc<AtomicI64>,
    cached: Clerk,
    uncached: Clerk,
    runtime: actix_web::rt::SystemRunner,
}

fn fixture() -> Fixture {
    let issuer = TestIssuer::generate().unwrap();
    let now = Arc::new(AtomicI64::new(0));
    let clock = {
        let now = now.clone();
        Clock::from_fn(move || now.load(Ordering::SeqCst))
    };
    let build = |capacity| {
        Clerk::builder()
            .jwt_key(issuer.public_key_pem())
            .clock(clock.clone())
            .token_cache_capacity(capacity)
            .build()
            .unwrap()
    };
    Fixture {
        cached: build(10_000),
        uncached: build(0),
        issuer: issuer.clone(),
        now,
        runtime: actix_web::rt::System::new(),
    }
}

proptest! {
    #![proptest_config(config(96))]

    /// A cached token gets the same answer as an uncached verification, at
    /// any later time and under any other options: a hit never outlives
    /// `exp` plus the skew, and a decision under one `azp`/`aud`/`iss` rule
    /// never answers for another.
    #[test]
    fn a_cache_hit_answers_like_a_fresh_verification(case in cache_case()) {
        thread_local! {
            static FIXTURE: Fixture = fixture();
        }
        FIXTURE.with(|f| {
            let iat = 1_800_000_000i64;
            let iss = f.issuer.iss().to_owned();
            let mut token = f
                .issuer
                .session("user_1")
                .issued_at(iat)
                .lifetime(std::time::Duration::from_secs(case.lifetime as u64));
            if let Some(azp) = case.azp {
                token = token.azp(PARTIES[azp]);
            }
            if let Some(aud) = case.aud {
                token = token.claim("aud", AUDIENCES[aud]);
            }
            if case.iss_other {
                token = token.claim("iss", "https://other-issuer.example");
            }
            let token = token.sign();
            let token_iss = if case.iss_other { "https://other-issuer.example" } else { iss.as_str() };
            let base = f.cached.verify_options().clone();
            let first = options(&base, &case.first, token_iss, case.skew_secs);
            let second = options(&base, &case.second, token_iss, case.skew_secs);
            let at = |ms: i64| f.now.store(iat * 1000 + ms, Ordering::SeqCst);

            f.runtime.block_on(async {
                at(case.first_at);
                let cached_first = f.cached.verify_token_with(&token, &first).await;
                let fresh_first = f.uncached.verify_token_with(&token, &first).await;
                prop_assert_eq!(
                    cached_first.as_ref().map(SessionClaims::user_id).map_err(|e| e.reason()),
                    fresh_first.as_ref().map(SessionClaims::user_id).map_err(|e| e.reason())
                );
                at(case.second_at);
                let cached = f.cached.verify_token_with(&token, &second).await;
                let fresh = f.uncached.verify_token_with(&token, &second).await;
                prop_assert_eq!(
                    cached.as_ref().map(SessionClaims::user_id).map_err(|e| e.reason()),
                    fresh.as_ref().map(SessionClaims::user_id).map_err(|e| e.reason())
                );
                let skew_ms = case.skew_secs as i64 * 1000;
                if case.second_at > case.lifetime * 1000 + skew_ms {
                    prop_assert!(cached.is_err(), "a hit outlived exp + skew");
                    let open = case.second.parties.is_empty()
                        && case.second.audience.is_empty()
                        && case.second.issuer.is_none();
                    if open {
                        prop_assert_eq!(
                            cached.map_err(|e| e.reason()).err(),
                            Some(Reason::TokenExpired)
                        );
                    }
                }
                Ok(())
            })
        })?;
    }
}

/// A cookie name: RFC 6265 token characters.
fn cookie_name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_!#$&'*+.^`|~-]{1,12}"
}

/// A cookie value: any printable ASCII but `;`, `,`, `"`, `\\` and space.
fn cookie_value() -> impl Strategy<Value = String> {
    "[!#-+--:<-\\[\\]-~]{0,24}"
}

proptest! {
    #![proptest_config(config(256))]

    /// The first occurrence of a name wins, whatever comes around it, and
    /// the parse never changes a value that has nothing to decode.
    #[test]
    fn cookie_parsing_takes_the_first_occurrence(
        pairs in proptest::collection::vec((cookie_name(), cookie_value()), 1..8),
        pick in any::<prop::sample::Index>(),
        spaces in any::<bool>(),
    ) {
        let separator = if spaces { " ;  " } else { ";" };
        let header = pairs
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join(separator);
        let (name, _) = &pairs[pick.index(pairs.len())];
        let first = pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        let expected = first.map(|v| {
            // Values with an escape are decoded when the escape is
            // well formed and the result UTF-8; else kept as they are.
            percent_decode_like_clerk(&v)
        });
        prop_assert_eq!(clerk_actix::__fuzz::cookie_value(header.as_bytes(), name), expected);
    }

    /// Percent-encoded values round-trip; arbitrary bytes never panic.
    #[test]
    fn cookie_values_decode_and_bytes_never_panic(
        value in "\\PC{0,16}",
        noise in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let encoded: String = value
            .bytes()
            .map(|b| format!("%{b:02X}"))
            .collect();
        let header = format!("a=1; __session={encoded}; b=2");
        prop_assert_eq!(
            clerk_actix::__fuzz::cookie_value(header.as_bytes(), "__session"),
            Some(value.clone())
        );
        let _ = clerk_actix::__fuzz::cookie_value(&noise, "__session");
    }
}

/// `decodeURIComponent` with Clerk's fallback to the raw value.
fn percent_decode_like_clerk(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(byte) if hex.is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit())) => {
                    out.push(byte);
                    i += 3;
                    continue;
                }
                _ => return value.to_owned(),
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| value.to_owned())
}
