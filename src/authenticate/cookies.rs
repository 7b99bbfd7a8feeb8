//! The browser's cookies, read the way Clerk reads them: RFC 6265 parsing of
//! the `Cookie` header, and the choice between this instance's suffixed
//! cookies (`__session_<suffix>`) and the un-suffixed ones (§2.1–§2.2).
//!
//! The parser is written here rather than taken from the `cookie` crate: that
//! crate strips the double quotes around a value and rejects a value whose
//! percent-escapes do not decode, where Clerk keeps both as they are (the
//! RFC 6265 cases of `clerkRequest.test.ts`). `Set-Cookie` values this crate
//! makes are built with the `cookie` crate ([`set_cookie`]). The request as
//! the browser path reads it is [`super::browser`]'s.

use std::borrow::Cow;

use crate::config::InstanceType;
use crate::verification::json::Claim;
use crate::verification::peek::Peek;

pub(crate) const SESSION: &str = "__session";
pub(crate) const CLIENT_UAT: &str = "__client_uat";
pub(crate) const DEV_BROWSER: &str = "__clerk_db_jwt";
pub(crate) const REFRESH: &str = "__refresh";
pub(crate) const HANDSHAKE: &str = "__clerk_handshake";
pub(crate) const HANDSHAKE_NONCE: &str = "__clerk_handshake_nonce";
pub(crate) const REDIRECT_COUNT: &str = "__clerk_redirect_count";
/// `__clerk_synced`: a satellite back from syncing with its primary.
pub(crate) const SYNCED: &str = "__clerk_synced";

/// A cookie's value from a `Cookie` header: the first occurrence wins, names
/// and values are trimmed, values are percent-decoded when they decode (a
/// broken escape keeps the raw value, as Clerk's `decodeURIComponent`
/// fallback does), surrounding quotes are kept, and pairs without `=` or
/// that are not UTF-8 are skipped.
#[cfg(any(test, fuzzing, feature = "testing"))]
pub(crate) fn cookie<'h>(header: &'h [u8], name: &str) -> Option<Cow<'h, str>> {
    pairs(header)
        .filter(|(key, _)| *key == name)
        .find_map(|(_, raw)| value(raw))
}

/// Every `name=value` pair of a `Cookie` header, in order, the name trimmed
/// and the value as received. Pairs without `=`, or whose name is not
/// UTF-8, are skipped. A value is read ([`value`]) only when its name is
/// wanted, so the other cookies of the site cost a scan for `;` and no more.
fn pairs(header: &[u8]) -> impl Iterator<Item = (&str, &[u8])> {
    let mut rest = Some(header);
    std::iter::from_fn(move || loop {
        let chunk = rest?;
        let pair = match memchr::memchr(b';', chunk) {
            Some(end) => {
                rest = Some(&chunk[end + 1..]);
                &chunk[..end]
            }
            None => {
                rest = None;
                chunk
            }
        };
        let Some(eq) = memchr::memchr(b'=', pair) else {
            continue;
        };
        let Ok(name) = std::str::from_utf8(&pair[..eq]) else {
            continue;
        };
        return Some((name.trim(), &pair[eq + 1..]));
    })
}

/// A cookie's value: trimmed, percent-decoded when it decodes (else kept
/// as it is); `None` when it is not UTF-8.
fn value(raw: &[u8]) -> Option<Cow<'_, str>> {
    let value = std::str::from_utf8(raw).ok()?.trim();
    Some(strict_percent_decode(value).unwrap_or(Cow::Borrowed(value)))
}

/// `decodeURIComponent`: `None` on an escape that is not `%XX` or bytes that
/// are not UTF-8, where `percent-encoding` alone would pass them through.
fn strict_percent_decode(value: &str) -> Option<Cow<'_, str>> {
    let bytes = value.as_bytes();
    // The usual case (a JWT, a number): nothing to decode.
    if memchr::memchr(b'%', bytes).is_none() {
        return Some(Cow::Borrowed(value));
    }
    let well_formed = memchr::memchr_iter(b'%', bytes).all(|at| {
        bytes
            .get(at + 1..at + 3)
            .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    if !well_formed {
        return None;
    }
    percent_encoding::percent_decode_str(value)
        .decode_utf8()
        .ok()
}

/// The cookies authentication reads, from one pass over the header.
#[derive(Default)]
pub(crate) struct BrowserCookies<'h> {
    session: Option<Cow<'h, str>>,
    session_suffixed: Option<Cow<'h, str>>,
    client_uat: Option<Cow<'h, str>>,
    client_uat_suffixed: Option<Cow<'h, str>>,
    dev_browser: Option<Cow<'h, str>>,
    dev_browser_suffixed: Option<Cow<'h, str>>,
    /// `__refresh_<suffix>`: never read un-suffixed.
    pub(crate) refresh: Option<Cow<'h, str>>,
    pub(crate) handshake: Option<Cow<'h, str>>,
    pub(crate) handshake_nonce: Option<Cow<'h, str>>,
    redirect_count: Option<Cow<'h, str>>,
}

/// Which of the two cookie sets the request is read with (§2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Set {
    Suffixed,
    Unsuffixed,
}

impl<'h> BrowserCookies<'h> {
    /// Reads `header`; `suffix` is the instance's cookie suffix (`None`
    /// without a publishable key: only un-suffixed cookies are read).
    pub(crate) fn parse(header: Option<&'h [u8]>, suffix: Option<&str>) -> Self {
        let mut cookies = Self::default();
        let Some(header) = header else {
            return cookies;
        };
        for (name, raw) in pairs(header) {
            let slot = match name {
                SESSION => &mut cookies.session,
                CLIENT_UAT => &mut cookies.client_uat,
                DEV_BROWSER => &mut cookies.dev_browser,
                HANDSHAKE => &mut cookies.handshake,
                HANDSHAKE_NONCE => &mut cookies.handshake_nonce,
                REDIRECT_COUNT => &mut cookies.redirect_count,
                _ => {
                    // `<base>_<suffix>`; the suffix may itself hold `_`.
                    let Some(base) = suffix
                        .and_then(|suffix| name.strip_suffix(suffix))
                        .and_then(|rest| rest.strip_suffix('_'))
                    else {
                        continue;
                    };
                    match base {
                        SESSION => &mut cookies.session_suffixed,
                        CLIENT_UAT => &mut cookies.client_uat_suffixed,
                        DEV_BROWSER => &mut cookies.dev_browser_suffixed,
                        REFRESH => &mut cookies.refresh,
                        _ => continue,
                    }
                }
            };
            // The first occurrence of a name wins.
            if slot.is_none() {
                *slot = value(raw);
            }
        }
        cookies
    }

    /// `__clerk_redirect_count` as a number, else 0.
    pub(crate) fn redirect_count(&self) -> u32 {
        self.redirect_count
            .as_deref()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// Clerk's `usesSuffixedCookies()`: its eight rules, in order.
    /// `frontend_api` is the host of the publishable key (never the proxy).
    /// Also gives what it decoded of the chosen set's session token.
    pub(crate) fn which(
        &self,
        frontend_api: &str,
        instance: InstanceType,
        now_ms: &dyn Fn() -> i64,
        peek: &dyn Fn(&str) -> Option<Peek>,
    ) -> (Set, Option<Peek>) {
        let mut unsuffixed = None;
        let mut suffixed = None;
        let set = self.rules(
            frontend_api,
            instance,
            now_ms,
            peek,
            &mut unsuffixed,
            &mut suffixed,
        );
        let peek = match set {
            Set::Unsuffixed => unsuffixed,
            Set::Suffixed => suffixed,
        };
        (set, peek)
    }

    fn rules(
        &self,
        frontend_api: &str,
        instance: InstanceType,
        now_ms: &dyn Fn() -> i64,
        peek: &dyn Fn(&str) -> Option<Peek>,
        session_peek: &mut Option<Peek>,
        suffixed_peek: &mut Option<Peek>,
    ) -> Set {
        let session = self.session.as_deref().filter(|s| !s.is_empty());
        *session_peek = session.and_then(peek);
        let session_peek = &*session_peek;
        if session.is_some() {
            // 1. A malformed un-suffixed token: read un-suffixed (and sign
            //    out), rather than send it through a handshake.
            let issuer = session_peek.as_ref().and_then(Peek::iss);
            if !issuer.is_some_and(Claim::is_truthy) {
                return Set::Unsuffixed;
            }
            // 2. Another instance's token (same eTLD+1): trust ours.
            let ours = issuer
                .and_then(Claim::as_str)
                .is_some_and(|iss| issuer_is(iss, frontend_api));
            if !ours {
                return Set::Suffixed;
            }
        }
        let uat_suffixed = self.client_uat_suffixed.as_deref();
        let uat = self.client_uat.as_deref();
        let session_suffixed = self.session_suffixed.as_deref().filter(|s| !s.is_empty());
        // 3. Nothing suffixed.
        if uat_suffixed.is_none() && session_suffixed.is_none() {
            return Set::Unsuffixed;
        }
        *suffixed_peek = session_suffixed.and_then(peek);
        let suffixed_peek = &*suffixed_peek;
        // `payload.iat || 0`
        let iat = |peek: &Option<Peek>| peek.as_ref().and_then(Peek::iat).unwrap_or(0.0);
        let (iat, suffixed_iat) = (iat(session_peek), iat(suffixed_peek));
        // 4. Both signed in, the un-suffixed token is newer.
        if uat_suffixed != Some("0") && uat != Some("0") && iat > suffixed_iat {
            return Set::Unsuffixed;
        }
        // 5. Suffixed signed out, un-suffixed signed in.
        if uat_suffixed == Some("0") && uat != Some("0") {
            return Set::Unsuffixed;
        }
        // 6. Development: suffixed signed in with an expired token, un-suffixed signed out.
        if instance != InstanceType::Production {
            let expired = suffixed_peek
                .as_ref()
                .and_then(Peek::exp)
                .is_some_and(|exp| exp <= (now_ms() / 1000) as f64);
            if uat_suffixed != Some("0") && uat == Some("0") && expired {
                return Set::Unsuffixed;
            }
        }
        // 7. A suffixed session without its client_uat.
        if uat_suffixed.is_none() && session_suffixed.is_some() {
            return Set::Unsuffixed;
        }
        // 8.
        Set::Suffixed
    }

    /// The session token cookie of `set` (empty counts as absent).
    pub(crate) fn session(&self, set: Set) -> Option<&str> {
        match set {
            Set::Suffixed => self.session_suffixed.as_deref(),
            Set::Unsuffixed => self.session.as_deref(),
        }
        .filter(|s| !s.is_empty())
    }

    /// `__client_uat` of `set`, as `parseInt` reads it; 0 when absent or not
    /// a number.
    pub(crate) fn client_uat(&self, set: Set) -> i64 {
        let raw = match set {
            Set::Suffixed => self.client_uat_suffixed.as_deref(),
            Set::Unsuffixed => self.client_uat.as_deref(),
        };
        raw.map_or(0, parse_int)
    }

    /// The dev-browser cookie of `set`.
    pub(crate) fn dev_browser(&self, set: Set) -> Option<&str> {
        match set {
            Set::Suffixed => self.dev_browser_suffixed.as_deref(),
            Set::Unsuffixed => self.dev_browser.as_deref(),
        }
        .filter(|s| !s.is_empty())
    }
}

/// Whether `iss.replace(/https?:\/\//gi, '') === host`, without building
/// the replaced string.
fn issuer_is(iss: &str, host: &str) -> bool {
    let scheme_at = |rest: &str| {
        let starts = |prefix: &str| {
            rest.get(..prefix.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
        };
        if starts("https://") {
            8
        } else if starts("http://") {
            7
        } else {
            0
        }
    };
    let (mut rest, mut want) = (iss, host);
    loop {
        let skip = scheme_at(rest);
        if skip > 0 {
            rest = &rest[skip..];
            continue;
        }
        match (rest.chars().next(), want.chars().next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == b => {
                rest = &rest[a.len_utf8()..];
                want = &want[b.len_utf8()..];
            }
            _ => return false,
        }
    }
}

/// JavaScript's `Number.parseInt(value) || 0` for base 10: leading
/// whitespace, an optional sign, then digits; anything else is 0.
pub(crate) fn parse_int(value: &str) -> i64 {
    let value = value.trim_start();
    let (negative, digits) = match value.as_bytes().first() {
        Some(b'-') => (true, &value[1..]),
        Some(b'+') => (false, &value[1..]),
        _ => (false, value),
    };
    let end = digits
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    let number = digits[..end].parse::<i64>().unwrap_or(0);
    if negative {
        -number
    } else {
        number
    }
}

/// The name and value of a `Set-Cookie` directive, as Clerk reads them:
/// `x.split(';')[0].split('=')`, so the value stops at the next `=`.
pub(crate) fn directive_name_value(directive: &str) -> (&str, &str) {
    let first = directive.split(';').next().unwrap_or_default();
    let mut parts = first.split('=');
    let name = parts.next().unwrap_or_default();
    let value = parts.next().unwrap_or_default();
    (name, value)
}

/// The session token among `Set-Cookie` directives (a handshake's, a
/// refresh's): the value of the last one whose name starts with `__session`
/// (so `__session_<suffix>` counts).
pub(crate) fn session_in_directives(directives: &[String]) -> Option<&str> {
    directives
        .iter()
        .map(|d| directive_name_value(d))
        .rev()
        .find(|(name, _)| name.starts_with(SESSION))
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value, built with the `cookie` crate.
pub(crate) fn set_cookie(cookie: &actix_web::cookie::Cookie<'_>) -> String {
    cookie.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_parse_like_clerk() {
        let header = b"a=1; __session = tok%2Fen ; __session=second; bad; q=\"x\"; p=%zz";
        assert_eq!(cookie(header, "__session").as_deref(), Some("tok/en"));
        assert_eq!(cookie(header, "a").as_deref(), Some("1"));
        assert_eq!(cookie(header, "q").as_deref(), Some("\"x\""));
        assert_eq!(cookie(header, "p").as_deref(), Some("%zz"));
        assert_eq!(cookie(header, "bad"), None);
        assert_eq!(cookie(b"\xff\xfe", "a"), None);
        // Another app's cookie that is not UTF-8 hides nothing else, and
        // is itself skipped.
        let header = b"other=\xff\xfe; __session=tok; \xff=1; __client_uat=5";
        assert_eq!(cookie(header, "__session").as_deref(), Some("tok"));
        assert_eq!(cookie(header, "other"), None);
        let cookies = BrowserCookies::parse(Some(header), None);
        assert_eq!(cookies.session(Set::Unsuffixed), Some("tok"));
        assert_eq!(cookies.client_uat(Set::Unsuffixed), 5);
        assert_eq!(cookie(b"a=%C3%A9", "a").as_deref(), Some("é"));
        assert_eq!(cookie(b"a=%FF", "a").as_deref(), Some("%FF"));
        assert_eq!(cookie(b"a=100%", "a").as_deref(), Some("100%"));
        assert_eq!(cookie(b"a=b=c", "a").as_deref(), Some("b=c"));
        assert_eq!(cookie(b"", "a"), None);
    }

    /// The RFC 6265 cases of Clerk's `clerkRequest.test.ts` (3.16.7, #9466).
    #[test]
    fn encoded_delimiters_never_make_new_cookies() {
        let header = b"theme=dark%3B%20__session%3Devil; other=1";
        assert_eq!(
            cookie(header, "theme").as_deref(),
            Some("dark; __session=evil")
        );
        assert_eq!(cookie(header, "__session"), None);
        let parsed = BrowserCookies::parse(Some(header), Some("abc"));
        assert_eq!(parsed.session(Set::Unsuffixed), None);
        let dup = b"__session=first; __session=second";
        assert_eq!(cookie(dup, "__session").as_deref(), Some("first"));
        let parsed = BrowserCookies::parse(Some(dup), None);
        assert_eq!(parsed.session(Set::Unsuffixed), Some("first"));
    }

    /// The `cookie` crate is not used for parsing: it fails these cases.
    #[test]
    fn the_cookie_crate_would_strip_quotes() {
        let parsed = actix_web::cookie::Cookie::parse("q=\"x\"").unwrap();
        assert_eq!(parsed.value(), "x");
        // Clerk keeps "%FF" as it is; the crate refuses the cookie.
        assert!(actix_web::cookie::Cookie::parse_encoded("p=%FF").is_err());
    }

    #[test]
    fn suffixed_names_are_read_for_our_suffix_only() {
        let header = b"__session_abc=mine; __session_zzz=theirs; __client_uat_abc=5; __refresh_abc=r; __refresh=x; __clerk_db_jwt_abc=db";
        let parsed = BrowserCookies::parse(Some(header), Some("abc"));
        assert_eq!(parsed.session(Set::Suffixed), Some("mine"));
        assert_eq!(parsed.client_uat(Set::Suffixed), 5);
        assert_eq!(parsed.refresh.as_deref(), Some("r"));
        assert_eq!(parsed.dev_browser(Set::Suffixed), Some("db"));
        assert_eq!(parsed.dev_browser(Set::Unsuffixed), None);
        // URL-safe base64 suffixes hold `_` and `-`.
        let parsed = BrowserCookies::parse(Some(b"__refresh__egr-CO2=r2"), Some("_egr-CO2"));
        assert_eq!(parsed.refresh.as_deref(), Some("r2"));
    }

    /// A JWT with `payload` (form only: the cookie rules never verify).
    fn jwt(payload: serde_json::Value) -> String {
        use base64::Engine as _;
        let enc = |v: serde_json::Value| crate::encoding::URL_SAFE.encode(v.to_string());
        format!(
            "{}.{}.c2ln",
            enc(serde_json::json!({"alg": "RS256", "typ": "JWT"})),
            enc(payload)
        )
    }

    const FAPI: &str = "clerk.inspired.puma-74.lcl.dev";
    const NOW: i64 = 1_666_648_250_000;

    fn which(header: &str, instance: InstanceType) -> Set {
        BrowserCookies::parse(Some(header.as_bytes()), Some("sfx"))
            .which(FAPI, instance, &|| NOW, &|t| {
                Some(Peek::decode(t, 16 * 1024))
            })
            .0
    }

    /// The cases of Clerk's `authenticateContext.test.ts` (§6.6).
    #[test]
    fn suffixed_or_unsuffixed_like_clerk() {
        use InstanceType::{Development as Dev, Production as Prod};
        let iss = format!("https://{FAPI}");
        let old = jwt(serde_json::json!({"iss": iss, "iat": 100, "exp": 200}));
        let new = jwt(serde_json::json!({"iss": iss, "iat": 150, "exp": 1_700_000_000}));
        let foreign = jwt(serde_json::json!({"iss": "https://clerk.other.dev", "iat": 1}));
        let numeric = jwt(serde_json::json!({"iss": 5, "iat": 1}));
        let no_iss = jwt(serde_json::json!({"iat": 1}));
        let cases = [
            // Un-suffixed cookies only.
            (
                format!("__session={new}; __client_uat=1"),
                Prod,
                Set::Unsuffixed,
            ),
            // ClerkJS downgrade: a newer un-suffixed session.
            (
                format!("__session={new}; __client_uat=1; __session_sfx={old}; __client_uat_sfx=1"),
                Dev,
                Set::Unsuffixed,
            ),
            // Suffixed signed out, un-suffixed signed in.
            (
                format!("__session={old}; __client_uat=1; __session_sfx={old}; __client_uat_sfx=0"),
                Dev,
                Set::Unsuffixed,
            ),
            // Suffixed session, both signed out.
            (
                format!("__session_sfx={old}; __client_uat_sfx=0; __client_uat=0"),
                Prod,
                Set::Suffixed,
            ),
            // Both valid and equally new.
            (
                format!("__session={new}; __client_uat=1; __session_sfx={new}; __client_uat_sfx=1"),
                Prod,
                Set::Suffixed,
            ),
            // Another app's un-suffixed cookie on the same eTLD+1.
            (
                format!(
                    "__session={foreign}; __client_uat=1; __session_sfx={new}; __client_uat_sfx=1"
                ),
                Prod,
                Set::Suffixed,
            ),
            // A non-string issuer never throws: suffixed.
            (
                format!("__session={numeric}; __session_sfx={new}; __client_uat_sfx=1"),
                Prod,
                Set::Suffixed,
            ),
            // A malformed un-suffixed token: un-suffixed (signed out, no handshake).
            (
                format!("__session={no_iss}; __session_sfx={new}; __client_uat_sfx=1"),
                Prod,
                Set::Unsuffixed,
            ),
            (
                "__session=garbage; __client_uat_sfx=1".to_owned(),
                Prod,
                Set::Unsuffixed,
            ),
            // Without the suffixed session, signed-out suffixed uat.
            (
                "__client_uat_sfx=0; __client_uat=0".to_owned(),
                Prod,
                Set::Suffixed,
            ),
            // Development: suffixed signed in but expired, un-suffixed signed out.
            (
                format!("__session_sfx={old}; __client_uat_sfx=1; __client_uat=0"),
                Dev,
                Set::Unsuffixed,
            ),
            (
                format!("__session_sfx={old}; __client_uat_sfx=1; __client_uat=0"),
                Prod,
                Set::Suffixed,
            ),
            // A suffixed session without its client_uat.
            (format!("__session_sfx={new}"), Prod, Set::Unsuffixed),
        ];
        for (header, instance, expected) in cases {
            assert_eq!(
                which(&header, instance),
                expected,
                "{header} ({instance:?})"
            );
        }
    }

    #[test]
    fn parse_int_is_javascripts() {
        assert_eq!(parse_int("12345"), 12345);
        assert_eq!(parse_int(" 12abc"), 12);
        assert_eq!(parse_int("abc"), 0);
        assert_eq!(parse_int(""), 0);
        assert_eq!(parse_int("-3"), -3);
        assert_eq!(parse_int("99999999999999999999999"), 0);
    }

    #[test]
    fn schemes_are_stripped_everywhere() {
        assert!(issuer_is("https://clerk.example.com", "clerk.example.com"));
        assert!(issuer_is("HTTP://a/https://b", "a/b"));
        assert!(issuer_is("hthttp://tp://", "http://"));
        assert!(issuer_is("é", "é"));
        assert!(!issuer_is(
            "https://clerk.example.com.evil",
            "clerk.example.com"
        ));
        assert!(!issuer_is("https://clerk.example.co", "clerk.example.com"));
        assert!(!issuer_is("", "a"));
    }

    #[test]
    fn directives_split_like_clerk() {
        assert_eq!(
            directive_name_value("__session_x=abc; Path=/"),
            ("__session_x", "abc")
        );
        assert_eq!(directive_name_value("a=b=c"), ("a", "b"));
        assert_eq!(directive_name_value(""), ("", ""));
    }
}
