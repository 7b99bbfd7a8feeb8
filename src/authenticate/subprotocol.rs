//! The token of a WebSocket upgrade, in its subprotocol list.
//!
//! A browser's `WebSocket` cannot set `Authorization`, and a token in the URL
//! lands in access logs; what it can set is the list of subprotocols. A
//! client offers `Sec-WebSocket-Protocol: clerk.session, <token>`, the
//! token is read here (only on upgrade requests) and then goes exactly where
//! a `Bearer` token goes; the upgrade's answer selects `clerk.session`.

use super::head::{Header, RequestHead};

/// The subprotocol that announces a token as the next value of the list.
pub(crate) const PROTOCOL: &str = "clerk.session";

/// The token of a WebSocket upgrade request's `Sec-WebSocket-Protocol`
/// (its first header), or `None`: not a `GET` with `Upgrade: websocket`, no
/// such header, or no token in it (see [`token_in_protocols`]).
pub(crate) fn upgrade_token(parts: &dyn RequestHead) -> Option<&[u8]> {
    if parts.method() != "GET" || !is_websocket(parts.header(Header::Upgrade)?) {
        return None;
    }
    token_in_protocols(parts.header(Header::SecWebSocketProtocol)?)
}

/// Whether an `Upgrade` header names `websocket` (in any case, among others).
fn is_websocket(upgrade: &[u8]) -> bool {
    upgrade
        .split(|&b| b == b',')
        .any(|p| p.trim_ascii().eq_ignore_ascii_case(b"websocket"))
}

/// The value after `clerk.session` in a comma-separated subprotocol list,
/// spaces around values ignored. `None` without `clerk.session`, when it is
/// the last value, or when the next value is not a token (empty, or with a
/// byte outside `A–Z a–z 0–9 - _ .`: session tokens are JWTs, and the
/// machine tokens' prefixes use the same alphabet). The size is not judged
/// here: the token pipeline caps it, as it does a `Bearer` token.
pub(crate) fn token_in_protocols(list: &[u8]) -> Option<&[u8]> {
    let mut values = list.split(|&b| b == b',').map(<[u8]>::trim_ascii);
    values.find(|v| *v == PROTOCOL.as_bytes())?;
    let token = values.next()?;
    let is_token_byte = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
    (!token.is_empty() && token.iter().all(is_token_byte)).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_in_protocols_second_value_ok() {
        assert_eq!(
            token_in_protocols(b"clerk.session, eyJ.abc-_.x"),
            Some(&b"eyJ.abc-_.x"[..])
        );
        assert_eq!(token_in_protocols(b"clerk.session,tok"), Some(&b"tok"[..]));
        assert_eq!(
            token_in_protocols(b"  clerk.session ,   tok  "),
            Some(&b"tok"[..])
        );
        // Other protocols before and after.
        assert_eq!(
            token_in_protocols(b"graphql-ws, clerk.session, tok, chat"),
            Some(&b"tok"[..])
        );
    }

    #[test]
    fn token_in_protocols_missing_second_value_fails() {
        assert_eq!(token_in_protocols(b"clerk.session"), None);
        assert_eq!(token_in_protocols(b"clerk.session,"), None);
        assert_eq!(token_in_protocols(b"clerk.session, "), None);
        assert_eq!(token_in_protocols(b"clerk.session,,tok"), None);
    }

    #[test]
    fn token_in_protocols_junk_lists_fail() {
        for junk in [
            &b""[..],
            b",",
            b",,,,",
            b"tok",
            b"chat, tok",
            b"Clerk.Session, tok",
            b"clerk.sessionx, tok",
            b"clerk.session tok",
            b"clerk.session, a b",
            b"clerk.session, \"tok\"",
            b"clerk.session, tok;x",
            b"clerk.session, t\xc3\xa9",
            b"clerk.session, \0",
            b"\xff\xfe, clerk.session",
        ] {
            assert_eq!(
                token_in_protocols(junk),
                None,
                "{}",
                String::from_utf8_lossy(junk)
            );
        }
    }

    #[test]
    fn token_in_protocols_oversize_token_passes_to_the_pipeline_ok() {
        // The pipeline's `max_token_bytes` rejects it, as for `Bearer`.
        let big = format!("clerk.session, {}", "a".repeat(64 * 1024));
        assert_eq!(
            token_in_protocols(big.as_bytes()).map(<[u8]>::len),
            Some(64 * 1024)
        );
    }

    struct Upgrade {
        method: &'static str,
        upgrade: Option<&'static [u8]>,
        protocols: Option<&'static [u8]>,
    }

    impl RequestHead for Upgrade {
        fn method(&self) -> &str {
            self.method
        }
        fn header(&self, name: Header) -> Option<&[u8]> {
            match name {
                Header::Upgrade => self.upgrade,
                Header::SecWebSocketProtocol => self.protocols,
                _ => None,
            }
        }
        fn scheme(&self) -> &str {
            "http"
        }
        fn path_and_query(&self) -> &str {
            "/ws"
        }
    }

    #[test]
    fn upgrade_token_only_on_websocket_upgrades() {
        let req = |method, upgrade, protocols| Upgrade {
            method,
            upgrade,
            protocols,
        };
        let list = Some(&b"clerk.session, tok"[..]);
        let ws = Some(&b"websocket"[..]);
        assert_eq!(upgrade_token(&req("GET", ws, list)), Some(&b"tok"[..]));
        assert_eq!(
            upgrade_token(&req("GET", Some(b"WebSocket"), list)),
            Some(&b"tok"[..])
        );
        assert_eq!(
            upgrade_token(&req("GET", Some(b"h2c, websocket"), list)),
            Some(&b"tok"[..])
        );
        assert_eq!(upgrade_token(&req("GET", None, list)), None);
        assert_eq!(upgrade_token(&req("GET", Some(b"h2c"), list)), None);
        assert_eq!(upgrade_token(&req("POST", ws, list)), None);
        assert_eq!(upgrade_token(&req("GET", ws, None)), None);
        assert_eq!(upgrade_token(&req("GET", ws, Some(b"chat"))), None);
    }
}
