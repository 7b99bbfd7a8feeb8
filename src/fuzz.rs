//! Entry points for the fuzz targets in `fuzz/` and for the test that replays
//! their seed corpus (`tests/fuzz_corpus.rs`): thin wrappers over crate
//! internals, so that nothing internal has to be made public for them.
//!
//! Not part of the API: hidden, compiled only with `cfg(fuzzing)` or the
//! `testing` feature, and free to change in any release. Each entry point
//! takes arbitrary bytes, must never panic on them, and asserts the
//! invariants that hold for every input (a panic here is a finding).

use std::future::Future;

use futures_util::FutureExt as _;

use crate::backend::executor;
use crate::clerk::{Accepts, Clerk, Principal, Refusal};
use crate::clock::Clock;
use crate::config::PublishableKey;
use crate::verification::peek::Peek;
use crate::verification::token_kind;
use crate::webhooks::{WebhookEvent, WebhookHeaders, WebhookVerifier};

/// Runs a future that must not wait on anything (no network is configured).
fn ready<F: Future>(future: F) -> F::Output {
    match future.now_or_never() {
        Some(output) => output,
        None => panic!("a networkless verification waited on something"),
    }
}

/// `Authorization` header parsing and machine-token recognition.
pub fn authorization_header(data: &[u8]) {
    let Some(token) = crate::authenticate::header::token_in_header(data) else {
        return;
    };
    assert!(!token.is_empty(), "an empty token was taken from {data:?}");
    assert!(!token.contains(&b' '), "a token with a space: {token:?}");
    // A token is an opaque machine token by its prefix, or a JWT peeked at.
    if token_kind::opaque_kind(token).is_none() {
        if let Ok(text) = std::str::from_utf8(token) {
            let peek = Peek::decode(text, 16 * 1024);
            assert_eq!(peek.malformed().is_none(), peek.shape().is_some());
        }
    }
}

/// Token decoding and verification with one fixed key and a frozen clock.
pub struct TokenTarget {
    clerk: Clerk,
}

impl TokenTarget {
    /// A networkless handle verifying with `public_key_pem` at `now_ms`.
    ///
    /// # Panics
    ///
    /// If the key is not a usable PEM RSA public key (a set-up error).
    #[must_use]
    pub fn new(public_key_pem: &str, now_ms: i64) -> Self {
        let clerk = Clerk::builder()
            .jwt_key(public_key_pem)
            .clock(Clock::fixed_millis(now_ms))
            .build();
        match clerk {
            Ok(clerk) => Self { clerk },
            Err(e) => panic!("fuzz key: {e}"),
        }
    }

    /// Decodes and verifies `data` as a session token, then as any JWT, then
    /// as a machine JWT; each twice, so the second answer comes from the
    /// verified-token cache, which must not change it.
    pub fn check(&self, data: &[u8]) {
        let options = self.clerk.verify_options();
        for accepts in [Accepts::SessionToken, Accepts::AnyJwt] {
            let first = ready(self.clerk.verify(data, options, accepts));
            let second = ready(self.clerk.verify(data, options, accepts));
            assert_eq!(
                describe(&first),
                describe(&second),
                "the cache changed the answer"
            );
        }
        if token_kind::opaque_kind(data).is_none() {
            let machine = || match ready(self.clerk.verify(data, options, Accepts::Machine)) {
                Ok(Principal::Machine(token)) => Ok(token.id().to_owned()),
                Ok(_) => Err(None),
                Err(Refusal::Invalid { error, .. }) => Err(Some(error.reason())),
                Err(_) => Err(None),
            };
            assert_eq!(machine(), machine());
        }
        if let Ok(text) = std::str::from_utf8(data) {
            let _ = crate::verification::token::decode(text, 16 * 1024);
        }
    }
}

fn describe<E>(result: &Result<Principal, E>) -> Result<String, ()> {
    match result {
        Ok(Principal::Session(claims)) => Ok(claims.as_json().to_owned()),
        _ => Err(()),
    }
}

/// Publishable-key parsing.
pub fn publishable_key(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(key) = PublishableKey::parse(text) {
        assert!(!key.frontend_api().is_empty(), "an empty Frontend API");
        let again = PublishableKey::parse(key.as_str()).map(|k| k.frontend_api().to_owned());
        assert_eq!(again.as_deref(), Ok(key.frontend_api()));
        let _ = (key.instance_type(), key.cookie_suffix());
    }
}

/// Webhook verification with one fixed secret and a frozen clock.
pub struct WebhookTarget {
    verifier: WebhookVerifier,
}

impl WebhookTarget {
    /// A verifier for `secret` (`whsec_…`) at `now_ms`.
    ///
    /// # Panics
    ///
    /// If the secret is not a valid signing secret (a set-up error).
    #[must_use]
    pub fn new(secret: &str, now_ms: i64) -> Self {
        let verifier = WebhookVerifier::builder()
            .secret(secret)
            .clock(Clock::fixed_millis(now_ms))
            .build();
        match verifier {
            Ok(verifier) => Self { verifier },
            Err(e) => panic!("fuzz secret: {e}"),
        }
    }

    /// `data` is `svix-id`, `svix-timestamp` and `svix-signature`, each
    /// ended by a newline, then the body.
    pub fn check(&self, data: &[u8]) {
        let mut parts = data.splitn(4, |&b| b == b'\n');
        let (Some(id), Some(timestamp), Some(signature)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return;
        };
        let body = parts.next().unwrap_or_default();
        let headers = WebhookHeaders::from_fn(|name| match name {
            "svix-id" => Some(id),
            "svix-timestamp" => Some(timestamp),
            "svix-signature" => Some(signature),
            _ => None,
        });
        let raw = self.verifier.verify_as::<serde_json::Value>(headers, body);
        let typed = self.verifier.verify(headers, body);
        // A typed event verified only where the raw one did.
        if typed.is_ok() {
            assert!(raw.is_ok(), "typed verified, raw did not");
        }
    }
}

/// Backend API JSON decoding: the first byte picks the type, the rest is
/// the body. What decodes must serialise and decode back to itself.
pub fn backend_json(data: &[u8]) {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    match which % 6 {
        0 => round_trip::<crate::client::User>(body),
        1 => round_trip::<crate::client::Organization>(body),
        2 => round_trip::<crate::client::OrganizationMembership>(body),
        3 => round_trip::<crate::client::PaginatedList<crate::client::User>>(body),
        4 => {
            if let Ok(event) = executor::decode::<WebhookEvent>(body, "/fuzz") {
                let _ = event.data.id();
                let _ = serde_json::to_vec(&event);
            }
        }
        _ => {
            let error = crate::client::ApiError::from_response(500, body, None, None);
            let _ = error.to_string();
        }
    }
}

fn round_trip<T>(body: &[u8])
where
    T: serde::de::DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug,
{
    let Ok(value) = executor::decode::<T>(body, "/fuzz") else {
        return;
    };
    let json = match serde_json::to_vec(&value) {
        Ok(json) => json,
        Err(e) => panic!("a decoded value does not serialise: {e}"),
    };
    match executor::decode::<T>(&json, "/fuzz") {
        Ok(again) => assert_eq!(again, value, "the round trip changed the value"),
        Err(e) => panic!("a serialised value does not decode: {e}"),
    }
}

/// A request head made of fuzzed bytes.
struct FuzzedRequest<'a> {
    cookie: &'a [u8],
    referer: Option<&'a [u8]>,
    path_and_query: &'a str,
}

impl crate::authenticate::head::RequestHead for FuzzedRequest<'_> {
    fn method(&self) -> &str {
        "GET"
    }

    fn header(&self, name: crate::authenticate::head::Header) -> Option<&[u8]> {
        use crate::authenticate::head::Header;
        match name {
            Header::Cookie => Some(self.cookie),
            Header::Referer => self.referer,
            Header::SecFetchDest => Some(b"document"),
            Header::Host => Some(b"app.example.com"),
            _ => None,
        }
    }

    fn scheme(&self) -> &str {
        "https"
    }

    fn path_and_query(&self) -> &str {
        self.path_and_query
    }
}

/// The browser path: a fuzzed `Cookie` header (and, after a NUL byte, a
/// `Referer`, and after a second one the path and query) through Clerk's
/// whole cookie dispatch: cookie parsing, the suffixed-cookie rules, the
/// uat/session combinations, the referrer check, a `__clerk_handshake`
/// token, and the handshake redirect URL. Networkless: the key is a fixed
/// PEM, and inputs that would call the Backend API (a handshake nonce, a
/// refresh cookie) are skipped.
pub struct CookieTarget {
    clerk: Clerk,
}

impl CookieTarget {
    /// A development or production instance (by `publishable_key`)
    /// verifying with `public_key_pem` at `now_ms`.
    ///
    /// # Panics
    ///
    /// If the keys are not usable (a set-up error).
    #[must_use]
    pub fn new(public_key_pem: &str, publishable_key: &str, now_ms: i64) -> Self {
        let clerk = Clerk::builder()
            .jwt_key(public_key_pem)
            .secret_key("sk_test_fuzz")
            .publishable_key(publishable_key)
            .clock(Clock::fixed_millis(now_ms))
            .build();
        match clerk {
            Ok(clerk) => Self { clerk },
            Err(e) => panic!("fuzz keys: {e}"),
        }
    }

    /// Authenticates the request `data` describes; checks that a handshake
    /// goes to the Frontend API with the page as `redirect_url`.
    pub fn check(&self, data: &[u8]) {
        let mut parts = data.splitn(3, |&b| b == 0);
        let cookie = parts.next().unwrap_or_default();
        let referer = parts.next();
        let path = parts
            .next()
            .and_then(|p| std::str::from_utf8(p).ok())
            .filter(|p| p.starts_with('/'))
            .unwrap_or("/page?x=1");
        let calls_out = |bytes: &[u8]| {
            let text = String::from_utf8_lossy(bytes);
            text.contains("__clerk_handshake_nonce") || text.contains("__refresh_")
        };
        if calls_out(cookie) || calls_out(path.as_bytes()) {
            return;
        }
        let request = FuzzedRequest {
            cookie,
            referer,
            path_and_query: path,
        };
        let options = self.clerk.verify_options();
        let answer = ready(crate::authenticate::authenticate(
            &self.clerk,
            &request,
            options,
            crate::machine::AcceptsToken::SESSION_TOKEN,
        ));
        if let crate::authenticate::outcome::Decision::Handshake(handshake) = answer {
            let frontend = self
                .clerk
                .publishable_key()
                .map(|pk| format!("https://{}/", pk.frontend_api()));
            assert!(
                frontend.is_some_and(|f| handshake.location.starts_with(&f)),
                "handshake to {}",
                handshake.location
            );
            assert!(
                handshake
                    .location
                    .contains("redirect_url=https%3A%2F%2Fapp.example.com%2F"),
                "handshake back to {}",
                handshake.location
            );
        }
    }
}

/// The value of cookie `name` in a `Cookie` header, as the browser path
/// reads it (first occurrence, trimmed, percent-decoded when it decodes).
#[must_use]
pub fn cookie_value(header: &[u8], name: &str) -> Option<String> {
    crate::authenticate::cookies::cookie(header, name).map(std::borrow::Cow::into_owned)
}

/// Organization sync's path patterns: `data` is a pattern, a NUL byte, and a
/// path. Compiling never panics; a match hands back parameters that are
/// parts of the path.
pub fn org_pattern(data: &[u8]) {
    let mut parts = data.splitn(2, |&b| b == 0);
    let (Some(pattern), path) = (parts.next(), parts.next().unwrap_or_default()) else {
        return;
    };
    let (Ok(pattern), Ok(path)) = (std::str::from_utf8(pattern), std::str::from_utf8(path)) else {
        return;
    };
    let Ok(compiled) = crate::config::pattern::Pattern::parse(pattern) else {
        return;
    };
    if let Some(params) = compiled.matches(path) {
        for (_, value) in params {
            assert!(path.contains(value), "{value:?} is not part of {path:?}");
        }
    }
    let sync = crate::config::org_sync::OrganizationSync::new()
        .organization_patterns([pattern])
        .personal_account_patterns([pattern]);
    if let Ok(matcher) = sync.compile() {
        let _ = matcher.target(path);
    }
}

/// The Frontend API proxy's header handling: `data` is header lines
/// (`name: value`), sent up and, as an answer, back. Hop-by-hop headers and
/// those `Connection` names never pass, the secret key goes up once and
/// never comes back.
pub fn proxy_headers(data: &[u8]) {
    use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
    let mut headers = HeaderMap::new();
    for line in data.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(line[colon + 1..].trim_ascii()),
        ) else {
            continue;
        };
        headers.append(name, value);
    }
    let listed: Vec<String> = headers
        .get_all("connection")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let secret = HeaderValue::from_static("sk_test_fuzz");
    let up = crate::multi_domain::proxy::upstream_headers(
        &headers,
        "app.example",
        "https",
        Some("127.0.0.1"),
        "https://app.example/__clerk",
        "fapi.example",
        &secret,
    );
    let hop = |name: &str| {
        matches!(
            name,
            "connection"
                | "keep-alive"
                | "proxy-authenticate"
                | "proxy-authorization"
                | "te"
                | "trailer"
                | "transfer-encoding"
                | "upgrade"
        ) || listed.iter().any(|l| l == name)
    };
    let secrets: Vec<_> = up.iter().filter(|(n, _)| n == "clerk-secret-key").collect();
    assert_eq!(secrets.len(), 1, "the secret key goes up exactly once");
    assert_eq!(secrets[0].1, secret);
    for (name, _) in &up {
        // The proxy's own headers go up whatever the request listed.
        let ours = [
            "clerk-secret-key",
            "clerk-proxy-url",
            "host",
            "accept-encoding",
            "x-forwarded-host",
            "x-forwarded-proto",
            "x-forwarded-for",
        ];
        assert!(
            !hop(name.as_str()) || ours.contains(&name.as_str()),
            "{name} went up"
        );
    }
    let down = crate::multi_domain::proxy::downstream_headers(
        &headers,
        "https://fapi.example",
        "fapi.example",
        "https://app.example/__clerk",
    );
    for (name, _) in &down {
        assert!(!hop(name.as_str()), "{name} came back");
        assert_ne!(name, "clerk-secret-key", "the secret key came back");
    }
    let cookies = if hop("set-cookie") {
        0
    } else {
        headers.get_all("set-cookie").count()
    };
    let kept = down.iter().filter(|(n, _)| n == "set-cookie").count();
    assert_eq!(cookies, kept, "every Set-Cookie comes back");
}
