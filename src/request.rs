//! Authenticating one request, framework-neutral: where the token comes from,
//! what a failure means (signed out, handshake, outage), and the headers Clerk
//! puts on the answer.
//!
//! This is the header path of Clerk's `authenticateRequest` (spec §2.4–2.5,
//! §2.7–2.8). Requests without a token in the `Authorization` header take the
//! cookie path, which for now answers "signed out" (`session-token-and-uat-missing`,
//! what Clerk answers for a request without cookies) — browser sessions through
//! cookies are the next step and plug in at [`cookie_path`].

use std::borrow::Cow;

use crate::auth::SignedOut;
use crate::b64::form_urlencode_into;
use crate::claims::SessionClaims;
use crate::clerk::Clerk;
use crate::config::{InstanceType, CLERK_API_VERSION_HEADER};
use crate::verify::{self, Reason, VerifyError, VerifyOptions};

const REDIRECT_LOOP_LIMIT: u32 = 3;

/// The request headers authentication may look at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Header {
    Authorization,
    SecFetchDest,
    Accept,
    Cookie,
    Host,
    ForwardedHost,
    ForwardedProto,
}

/// What authentication reads from a request, fetched only when needed: a
/// signed-in bearer request reads the `Authorization` header and nothing else.
pub(crate) trait RequestHead {
    fn method(&self) -> &str;
    fn header(&self, name: Header) -> Option<&[u8]>;
    /// `http` or `https`, as the connection was made.
    fn scheme(&self) -> &str;
    /// Path and query as received, e.g. `/path?x=1`.
    fn path_and_query(&self) -> &str;
}

/// The outcome for one request.
pub(crate) enum Outcome {
    SignedIn(SessionClaims),
    SignedOut(SignedOut),
    /// A browser navigation that Clerk would send through a handshake
    /// redirect to refresh its session.
    Handshake(Handshake),
    /// The keys could not be loaded: the server's problem, not the user's.
    Unavailable(VerifyError),
}

/// A 307 to Clerk's Frontend API.
pub(crate) struct Handshake {
    pub(crate) reason: Cow<'static, str>,
    pub(crate) message: String,
    pub(crate) location: String,
    pub(crate) redirect_count: u32,
}

/// Where a token came from, as Clerk's messages name it.
#[derive(Clone, Copy)]
enum Carrier {
    Header,
}

impl Carrier {
    fn as_str(self) -> &'static str {
        match self {
            Carrier::Header => "header",
        }
    }
}

/// The token of an `Authorization` header: `Bearer <token>` (the scheme in
/// any case) or a bare token. `None` for no header, an empty one, or another
/// scheme (`Basic …`), which then falls through to the cookie path.
pub(crate) fn token_in_header(value: &[u8]) -> Option<&[u8]> {
    let value = value.trim_ascii();
    if value.is_empty() {
        return None;
    }
    // memchr: this runs on every request, over a header of ~1 KB.
    match memchr::memchr(b' ', value) {
        None => Some(value),
        Some(space) => {
            let (scheme, rest) = value.split_at(space);
            if !scheme.eq_ignore_ascii_case(b"bearer") {
                return None;
            }
            let rest = rest.trim_ascii_start();
            let token = memchr::memchr(b' ', rest).map_or(rest, |end| &rest[..end]);
            (!token.is_empty()).then_some(token)
        }
    }
}

/// Authenticates one request.
pub(crate) async fn authenticate(
    clerk: &Clerk,
    parts: &dyn RequestHead,
    options: &VerifyOptions,
) -> Outcome {
    let Some(token) = parts
        .header(Header::Authorization)
        .and_then(token_in_header)
    else {
        return cookie_path(clerk, parts);
    };
    let config = clerk.config();
    let now = config.clock.now_millis();
    if let Some(hit) = clerk.cached(token, options) {
        if hit.session_token {
            return match hit.recheck(options, now) {
                Ok(()) => Outcome::SignedIn(hit.claims.clone()),
                Err(err) => {
                    clerk.forget(token, &err);
                    // It verified once, so it is text.
                    let token = std::str::from_utf8(token).unwrap_or_default();
                    session_token_error(clerk, parts, token, &err, Carrier::Header)
                }
            };
        }
    }
    let Ok(token) = std::str::from_utf8(token) else {
        // Not even text: cannot be a JWT.
        let err = VerifyError::new(
            Reason::TokenInvalid,
            "Invalid JWT form. The header, payload, or signature could not be decoded.",
        );
        return signed_out_for(&err, Carrier::Header);
    };
    let decoded = match verify::decode(token, config.max_token_bytes) {
        Ok(decoded) => decoded,
        Err(err) => return session_token_error(clerk, parts, token, &err, Carrier::Header),
    };
    if !decoded.is_session_token() {
        return Outcome::SignedOut(SignedOut {
            reason: Some(Cow::Borrowed("token-type-mismatch")),
            message: Some(String::new()),
            token_presented: true,
        });
    }
    match clerk.verify_decoded(token, decoded, options, now).await {
        Ok(claims) => Outcome::SignedIn(claims),
        Err(err) if err.reason().is_server_fault() => Outcome::Unavailable(err),
        Err(err) => session_token_error(clerk, parts, token, &err, Carrier::Header),
    }
}

/// No token in the `Authorization` header.
pub(crate) fn cookie_path(_clerk: &Clerk, _parts: &dyn RequestHead) -> Outcome {
    Outcome::SignedOut(SignedOut {
        reason: Some(Cow::Borrowed("session-token-and-uat-missing")),
        message: Some(String::new()),
        token_presented: false,
    })
}

fn full_message(err: &VerifyError, carrier: Carrier) -> String {
    format!(
        "{} (reason={}, token-carrier={})",
        err.message_with_action(),
        err.reason(),
        carrier.as_str()
    )
}

fn signed_out_for(err: &VerifyError, carrier: Carrier) -> Outcome {
    Outcome::SignedOut(SignedOut {
        reason: Some(Cow::Borrowed(err.reason().as_str())),
        message: Some(full_message(err, carrier)),
        token_presented: true,
    })
}

/// Clerk's `handleSessionTokenError`: time-claim failures may go through a
/// handshake; everything else signs the request out.
fn session_token_error(
    clerk: &Clerk,
    parts: &dyn RequestHead,
    token: &str,
    err: &VerifyError,
    carrier: Carrier,
) -> Outcome {
    let reason: Cow<'static, str> = match err.reason() {
        Reason::TokenExpired => {
            // Refreshing needs the `__refresh_<suffix>` cookie of the cookie path.
            let label = if parts.method() == "GET" {
                "non-eligible-no-refresh-cookie"
            } else {
                "non-eligible-non-get"
            };
            Cow::Owned(format!("session-token-expired-refresh-{label}"))
        }
        Reason::TokenNotActiveYet => Cow::Borrowed("session-token-nbf"),
        Reason::TokenIatInTheFuture => Cow::Borrowed("session-token-iat-in-the-future"),
        _ => return signed_out_for(err, carrier),
    };
    handshake_or_signed_out(
        clerk,
        parts,
        reason,
        full_message(err, carrier),
        Some(token),
    )
}

/// A browser navigation: GET, and `Sec-Fetch-Dest: document|iframe` (or no
/// `Sec-Fetch-Dest` and an `Accept` starting with `text/html`).
fn eligible_for_handshake(parts: &dyn RequestHead) -> bool {
    if parts.method() != "GET" {
        return false;
    }
    match parts.header(Header::SecFetchDest) {
        Some(dest) => dest == b"document" || dest == b"iframe",
        None => parts
            .header(Header::Accept)
            .is_some_and(|a| a.starts_with(b"text/html")),
    }
}

fn handshake_or_signed_out(
    clerk: &Clerk,
    parts: &dyn RequestHead,
    reason: Cow<'static, str>,
    message: String,
    session_token: Option<&str>,
) -> Outcome {
    let signed_out = |reason, message| {
        Outcome::SignedOut(SignedOut {
            reason: Some(reason),
            message: Some(message),
            token_presented: session_token.is_some(),
        })
    };
    if !eligible_for_handshake(parts) {
        return signed_out(reason, message);
    }
    let Some(publishable_key) = clerk.publishable_key() else {
        // Without the publishable key there is no Frontend API to send the
        // browser to.
        return signed_out(reason, message);
    };
    let redirect_count = parts
        .header(Header::Cookie)
        .and_then(|c| cookie(c, "__clerk_redirect_count"))
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(0);
    if redirect_count == REDIRECT_LOOP_LIMIT {
        log::info!(
            target: "clerk_actix::handshake",
            "Clerk: refreshing the session token resulted in an infinite redirect loop; \
             answering signed out instead (reason {reason})"
        );
        return signed_out(reason, message);
    }
    let mut location = String::with_capacity(512);
    location.push_str("https://");
    location.push_str(publishable_key.frontend_api().trim_end_matches('/'));
    location.push_str("/v1/client/handshake?redirect_url=");
    form_urlencode_into(&mut location, &clerk_url(parts));
    location.push_str("&__clerk_api_version=");
    location.push_str(CLERK_API_VERSION_HEADER);
    location.push_str("&suffixed_cookies=");
    location.push_str(
        if uses_suffixed_cookies(parts, publishable_key.cookie_suffix()) {
            "true"
        } else {
            "false"
        },
    );
    location.push_str("&__clerk_hs_reason=");
    form_urlencode_into(&mut location, &reason);
    location.push_str("&format=nonce");
    if let Some(token) = session_token {
        location.push_str("&__session=");
        form_urlencode_into(&mut location, token);
    }
    if publishable_key.instance_type() == InstanceType::Development {
        if let Some(db_jwt) = dev_browser_token(parts, publishable_key.cookie_suffix()) {
            location.push_str("&__clerk_db_jwt=");
            form_urlencode_into(&mut location, &db_jwt);
        }
    }
    Outcome::Handshake(Handshake {
        reason,
        message,
        location,
        redirect_count,
    })
}

/// Whether the browser holds this instance's suffixed cookies (`__session_<suffix>`,
/// `__client_uat_<suffix>`).
fn uses_suffixed_cookies(parts: &dyn RequestHead, suffix: &str) -> bool {
    let Some(header) = parts.header(Header::Cookie) else {
        return false;
    };
    ["__session", "__client_uat"]
        .iter()
        .any(|name| cookie(header, &format!("{name}_{suffix}")).is_some())
}

fn dev_browser_token(parts: &dyn RequestHead, suffix: &str) -> Option<String> {
    if let Some((_, query)) = parts.path_and_query().split_once('?') {
        if let Some(value) = query_param(query, "__clerk_db_jwt") {
            return Some(value);
        }
    }
    let header = parts.header(Header::Cookie)?;
    cookie(header, &format!("__clerk_db_jwt_{suffix}")).or_else(|| cookie(header, "__clerk_db_jwt"))
}

/// The first value of a comma-separated forwarded header.
fn first_value(value: &[u8]) -> Option<&str> {
    let value = std::str::from_utf8(value).ok()?;
    let first = value.split(',').next()?;
    (!first.is_empty()).then_some(first)
}

fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']' | b'_')
        })
}

/// The public URL of the request (Clerk's `clerkUrl`): forwarded host and
/// protocol first, without the dev-browser query parameters.
pub(crate) fn clerk_url(parts: &dyn RequestHead) -> String {
    let host = parts
        .header(Header::ForwardedHost)
        .and_then(first_value)
        .filter(|h| valid_host(h))
        .or_else(|| {
            parts
                .header(Header::Host)
                .and_then(|h| std::str::from_utf8(h).ok())
                .filter(|h| valid_host(h))
        })
        .unwrap_or("localhost");
    let scheme = parts
        .header(Header::ForwardedProto)
        .and_then(first_value)
        .filter(|p| matches!(*p, "http" | "https"))
        .unwrap_or(parts.scheme());
    let (path, query) = match parts.path_and_query().split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (parts.path_and_query(), None),
    };
    let mut url = format!("{scheme}://{host}{path}");
    if let Some(query) = query {
        let dropped = |key: &str| key == "__clerk_db_jwt" || key == "__dev_session";
        let has_dropped = query
            .split('&')
            .any(|pair| dropped(&form_urldecode(pair.split('=').next().unwrap_or_default())));
        if has_dropped {
            // Like URLSearchParams.delete: the rest is re-serialised.
            let mut rest = String::new();
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                let key = form_urldecode(key);
                if dropped(&key) {
                    continue;
                }
                if !rest.is_empty() {
                    rest.push('&');
                }
                form_urlencode_into(&mut rest, &key);
                rest.push('=');
                form_urlencode_into(&mut rest, &form_urldecode(value));
            }
            if !rest.is_empty() {
                url.push('?');
                url.push_str(&rest);
            }
        } else {
            url.push('?');
            url.push_str(query);
        }
    }
    url
}

fn form_urldecode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (form_urldecode(key) == name).then(|| form_urldecode(value))
    })
}

/// A cookie's value from a `Cookie` header: the first occurrence wins, names
/// and values are trimmed, values are percent-decoded when they decode.
pub(crate) fn cookie(header: &[u8], name: &str) -> Option<String> {
    let header = std::str::from_utf8(header).ok()?;
    header.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        if key.trim() != name {
            return None;
        }
        let value = value.trim();
        Some(percent_decode(value).unwrap_or_else(|| value.to_owned()))
    })
}

fn percent_decode(value: &str) -> Option<String> {
    if !value.contains('%') {
        return Some(value.to_owned());
    }
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let high = hex(*bytes.get(i + 1)?)?;
            let low = hex(*bytes.get(i + 2)?)?;
            out.push(high << 4 | low);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_parsing() {
        assert_eq!(token_in_header(b"Bearer abc"), Some(&b"abc"[..]));
        assert_eq!(token_in_header(b"bearer abc"), Some(&b"abc"[..]));
        assert_eq!(token_in_header(b"BEARER   abc  "), Some(&b"abc"[..]));
        assert_eq!(token_in_header(b"Bearer a b"), Some(&b"a"[..]));
        assert_eq!(token_in_header(b"abc"), Some(&b"abc"[..]));
        assert_eq!(token_in_header(b"Basic abc"), None);
        assert_eq!(token_in_header(b"Bearer"), Some(&b"Bearer"[..]));
        assert_eq!(token_in_header(b"Bearer "), Some(&b"Bearer"[..]));
        assert_eq!(token_in_header(b""), None);
        assert_eq!(token_in_header(b"   "), None);
    }

    #[test]
    fn cookies_parse_like_clerk() {
        let header = b"a=1; __session = tok%2Fen ; __session=second; bad; q=\"x\"; p=%zz";
        assert_eq!(cookie(header, "__session").as_deref(), Some("tok/en"));
        assert_eq!(cookie(header, "a").as_deref(), Some("1"));
        assert_eq!(cookie(header, "q").as_deref(), Some("\"x\""));
        assert_eq!(cookie(header, "p").as_deref(), Some("%zz"));
        assert_eq!(cookie(header, "bad"), None);
        assert_eq!(cookie(b"\xff\xfe", "a"), None);
    }

    struct Fake {
        headers: Vec<(Header, &'static [u8])>,
        path_and_query: &'static str,
    }

    impl RequestHead for Fake {
        fn method(&self) -> &str {
            "GET"
        }
        fn header(&self, name: Header) -> Option<&[u8]> {
            self.headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| *v)
        }
        fn scheme(&self) -> &str {
            "http"
        }
        fn path_and_query(&self) -> &str {
            self.path_and_query
        }
    }

    #[test]
    fn clerk_url_prefers_forwarded_headers() {
        let parts = Fake {
            headers: vec![
                (Header::Host, b"internal:8080"),
                (Header::ForwardedHost, b"app.example.com,proxy"),
                (Header::ForwardedProto, b"https,http"),
            ],
            path_and_query: "/path?x=1&__clerk_db_jwt=abc&y=a%20b",
        };
        assert_eq!(clerk_url(&parts), "https://app.example.com/path?x=1&y=a+b");
        let plain = Fake {
            headers: vec![
                (Header::Host, b"example.com"),
                (Header::ForwardedHost, b"<script>"),
            ],
            path_and_query: "/path?q=a%20b",
        };
        assert_eq!(clerk_url(&plain), "http://example.com/path?q=a%20b");
    }

    #[test]
    fn form_encoding_matches_url_search_params() {
        let mut out = String::new();
        form_urlencode_into(&mut out, "http://example.com/path a*b~");
        assert_eq!(out, "http%3A%2F%2Fexample.com%2Fpath+a*b%7E");
        assert_eq!(form_urldecode("a+b%2Fc%zz"), "a b/c%zz");
    }
}
