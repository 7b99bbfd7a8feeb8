//! The token in an `Authorization` header.

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
}
