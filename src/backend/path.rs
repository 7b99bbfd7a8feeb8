//! Path segments that cannot change the path.
//!
//! The JS SDK inserts ids raw and only rejects `.`/`..`; here every segment is
//! percent-encoded as well, so an id holding `/`, `?`, `#` or `%` stays one
//! segment of the path it was meant for.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::error::Error;

/// Everything but ASCII alphanumerics and `-._~` (RFC 3986's unreserved set).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment: ASCII alphanumerics and `-._~` stay,
/// every other byte (including `/`, `?`, `#`, `%`) becomes `%XX`.
///
/// # Errors
///
/// An empty value, `.` or `..`: these would drop or climb a path segment.
pub(crate) fn encode_segment(value: &str) -> Result<String, Error> {
    match value {
        "" => return Err(Error::invalid_path("an id or path segment is empty")),
        "." | ".." => {
            return Err(Error::invalid_path(format!(
                "`{value}` is not a valid id or path segment"
            )))
        }
        _ => {}
    }
    Ok(utf8_percent_encode(value, SEGMENT).to_string())
}

/// Splits a literal path such as `/users/count` on `/` (empty pieces are
/// dropped, like the JS SDK's `joinPaths`) and encodes each piece.
///
/// # Errors
///
/// A `.` or `..` piece.
pub(crate) fn encode_path(path: &str) -> Result<Vec<String>, Error> {
    path.split('/')
        .filter(|piece| !piece.is_empty())
        .map(encode_segment)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_id_is_unchanged() {
        assert_eq!(encode_segment("user_2abcXYZ").unwrap(), "user_2abcXYZ");
    }

    #[test]
    fn slash_is_encoded() {
        assert_eq!(encode_segment("a/b").unwrap(), "a%2Fb");
    }

    #[test]
    fn query_fragment_and_percent_are_encoded() {
        assert_eq!(encode_segment("a?b#c%d").unwrap(), "a%3Fb%23c%25d");
    }

    #[test]
    fn dot_dot_inside_an_id_is_harmless_and_kept() {
        assert_eq!(encode_segment("..a").unwrap(), "..a");
        assert_eq!(encode_segment("../x").unwrap(), "..%2Fx");
    }

    #[test]
    fn encoded_dots_stay_literal() {
        // `%2e%2e` is sent as `%252e%252e`: a server decodes it once to the
        // text `%2e%2e`, never to `..`.
        assert_eq!(encode_segment("%2e%2e").unwrap(), "%252e%252e");
    }

    #[test]
    fn non_ascii_is_utf8_percent_encoded() {
        assert_eq!(encode_segment("é").unwrap(), "%C3%A9");
    }

    #[test]
    fn empty_fails() {
        let err = encode_segment("").unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
    }

    #[test]
    fn dot_fails() {
        assert!(encode_segment(".").is_err());
    }

    #[test]
    fn dot_dot_fails() {
        let err = encode_segment("..").unwrap_err();
        assert!(err.to_string().contains("`..`"), "{err}");
    }

    #[test]
    fn literal_path_is_split_and_encoded() {
        assert_eq!(
            encode_path("/users//count/").unwrap(),
            vec!["users".to_owned(), "count".to_owned()]
        );
        assert_eq!(encode_path("/a b").unwrap(), vec!["a%20b".to_owned()]);
    }

    #[test]
    fn literal_path_with_dot_dot_fails() {
        assert!(encode_path("/users/../jwks").is_err());
    }
}
