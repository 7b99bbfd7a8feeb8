//! The request's public URL, its query parameters and its cookies, read the
//! way Clerk reads them.

use std::borrow::Cow;

use super::{Header, RequestHead};

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

/// Query parameters the public URL leaves out (dev-browser hand-over).
fn dropped(key: &str) -> bool {
    key == "__clerk_db_jwt" || key == "__dev_session"
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
    // The asterisk form (`OPTIONS *`, or `GET *`) has no leading `/`: pasted
    // after the host it would become part of it (`http://host*`).
    let slash = if path.starts_with('/') { "" } else { "/" };
    let mut url = format!("{scheme}://{host}{slash}{path}");
    if let Some(query) = query {
        let pairs = form_urlencoded::parse(query.as_bytes());
        if pairs.clone().any(|(key, _)| dropped(&key)) {
            // Like URLSearchParams.delete: the rest is re-serialised.
            let rest = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs.filter(|(key, _)| !dropped(key)))
                .finish();
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

/// The first value of query parameter `name`, form-decoded.
pub(crate) fn query_param(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// A cookie's value from a `Cookie` header: the first occurrence wins, names
/// and values are trimmed, values are percent-decoded when they decode (a
/// broken escape or non-UTF-8 result keeps the raw value, as Clerk's
/// `decodeURIComponent` fallback does).
pub(crate) fn cookie(header: &[u8], name: &str) -> Option<String> {
    let header = std::str::from_utf8(header).ok()?;
    header.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        if key.trim() != name {
            return None;
        }
        let value = value.trim();
        Some(strict_percent_decode(value).map_or_else(|| value.to_owned(), Cow::into_owned))
    })
}

/// `decodeURIComponent`: `None` on an escape that is not `%XX` or bytes that
/// are not UTF-8, where `percent-encoding` alone would pass them through.
fn strict_percent_decode(value: &str) -> Option<Cow<'_, str>> {
    let bytes = value.as_bytes();
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
        assert_eq!(cookie(b"a=%C3%A9", "a").as_deref(), Some("é"));
        assert_eq!(cookie(b"a=%FF", "a").as_deref(), Some("%FF"));
        assert_eq!(cookie(b"a=100%", "a").as_deref(), Some("100%"));
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
    fn clerk_url_of_the_asterisk_form_keeps_the_host_whole() {
        let parts = Fake {
            headers: vec![(Header::Host, b"app.example.com")],
            path_and_query: "*",
        };
        assert_eq!(clerk_url(&parts), "http://app.example.com/*");
        // A path starting `//` stays a path on the request's own host.
        let parts = Fake {
            headers: vec![(Header::Host, b"app.example.com")],
            path_and_query: "//evil.example/me",
        };
        assert_eq!(clerk_url(&parts), "http://app.example.com//evil.example/me");
    }

    #[test]
    fn query_params_decode_like_url_search_params() {
        assert_eq!(
            query_param("a=1&b=x+y%2Fz%zz", "b").as_deref(),
            Some("x y/z%zz")
        );
        assert_eq!(query_param("a=1", "b"), None);
    }
}
