//! The request's public URL (Clerk's `clerkUrl`), and absolute URLs parsed
//! and rebuilt with new query parameters, the way Clerk does both.

use super::head::{Header, RequestHead};
use crate::config::url::valid_host;
pub(crate) use crate::config::url::ParsedUrl;

/// The first value of a comma-separated forwarded header.
fn first_value(value: &[u8]) -> Option<&str> {
    let value = std::str::from_utf8(value).ok()?;
    let first = value.split(',').next()?;
    (!first.is_empty()).then_some(first)
}

/// The public URL of the request (Clerk's `clerkUrl`): forwarded host and
/// protocol first (when trusted), then `Host` and the connection's scheme.
pub(crate) fn clerk_url(parts: &dyn RequestHead, trust_forwarded: bool) -> String {
    clerk_url_without(parts, trust_forwarded, &[])
}

/// The request's public origin, `scheme://host[:port]`.
pub(crate) fn clerk_origin(parts: &dyn RequestHead, trust_forwarded: bool) -> String {
    let (scheme, host) = scheme_and_host(parts, trust_forwarded);
    format!("{scheme}://{host}")
}

fn scheme_and_host(parts: &dyn RequestHead, trust_forwarded: bool) -> (&str, &str) {
    let forwarded = |name| {
        trust_forwarded
            .then(|| parts.header(name))
            .flatten()
            .and_then(first_value)
    };
    let host = forwarded(Header::ForwardedHost)
        .filter(|h| valid_host(h))
        .or_else(|| {
            parts
                .header(Header::Host)
                .and_then(|h| std::str::from_utf8(h).ok())
                .filter(|h| valid_host(h))
        })
        .unwrap_or("localhost");
    let scheme = forwarded(Header::ForwardedProto)
        .filter(|p| matches!(*p, "http" | "https"))
        .unwrap_or(parts.scheme());
    (scheme, host)
}

/// [`clerk_url`] with the query parameters `dropped` removed, as
/// `URLSearchParams.delete` does (the rest is re-serialised, form-encoded).
pub(crate) fn clerk_url_without(
    parts: &dyn RequestHead,
    trust_forwarded: bool,
    dropped: &[&str],
) -> String {
    let (scheme, host) = scheme_and_host(parts, trust_forwarded);
    let (path, query) = match parts.path_and_query().split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (parts.path_and_query(), None),
    };
    // The asterisk form (`OPTIONS *`, or `GET *`) has no leading `/`: pasted
    // after the host it would become part of it (`http://host*`).
    let slash = if path.starts_with('/') { "" } else { "/" };
    let mut url = format!("{scheme}://{host}{slash}{path}");
    if let Some(query) = query {
        push_query_without(&mut url, query, dropped);
    }
    url
}

/// Appends `?query` to `url`, without the keys in `dropped`.
fn push_query_without(url: &mut String, query: &str, dropped: &[&str]) {
    let pairs = form_urlencoded::parse(query.as_bytes());
    if pairs.clone().any(|(key, _)| dropped.contains(&&*key)) {
        let rest = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.filter(|(key, _)| !dropped.contains(&&**key)))
            .finish();
        if !rest.is_empty() {
            url.push('?');
            url.push_str(&rest);
        }
    } else if !query.is_empty() {
        url.push('?');
        url.push_str(query);
    }
}

/// The first value of query parameter `name`, form-decoded.
#[cfg(test)]
fn query_param(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(
            clerk_url_without(&parts, true, &["__clerk_db_jwt"]),
            "https://app.example.com/path?x=1&y=a+b"
        );
        assert_eq!(
            clerk_url(&parts, false),
            "http://internal:8080/path?x=1&__clerk_db_jwt=abc&y=a%20b"
        );
        let plain = Fake {
            headers: vec![
                (Header::Host, b"example.com"),
                (Header::ForwardedHost, b"<script>"),
            ],
            path_and_query: "/path?q=a%20b",
        };
        assert_eq!(clerk_url(&plain, true), "http://example.com/path?q=a%20b");
    }

    #[test]
    fn urls_parse_like_new_url() {
        let url = ParsedUrl::parse("HTTP://LocalHost:3000").unwrap();
        assert_eq!(url.origin(), "http://localhost:3000");
        assert_eq!(
            url.with_params(&[("__clerk_db_jwt", "db")], &[("__clerk_synced", "true")]),
            "http://localhost:3000/?__clerk_db_jwt=db&__clerk_synced=true"
        );
        let url = ParsedUrl::parse(
            "https://a.example:443/p?__clerk_synced=false&x=1&__clerk_synced=no#f",
        )
        .unwrap();
        assert_eq!(url.origin(), "https://a.example");
        assert_eq!(
            url.with_params(&[], &[("__clerk_synced", "true")]),
            "https://a.example/p?__clerk_synced=true&x=1#f"
        );
        assert_eq!(ParsedUrl::parse("https://user:pw@a.example/"), None);
        assert_eq!(ParsedUrl::parse("javascript:alert(1)"), None);
        assert_eq!(ParsedUrl::parse("https://<x>/"), None);
        assert_eq!(ParsedUrl::parse("not a url"), None);
        assert_eq!(ParsedUrl::parse("https://a.example/\r\nSet-Cookie:x"), None);
        assert_eq!(ParsedUrl::parse("https://a.example/é"), None);
        assert_eq!(
            ParsedUrl::parse("http://[::1]:8080/").unwrap().origin(),
            "http://[::1]:8080"
        );
    }

    #[test]
    fn clerk_url_of_the_asterisk_form_keeps_the_host_whole() {
        let parts = Fake {
            headers: vec![(Header::Host, b"app.example.com")],
            path_and_query: "*",
        };
        assert_eq!(clerk_url(&parts, true), "http://app.example.com/*");
        // A path starting `//` stays a path on the request's own host.
        let parts = Fake {
            headers: vec![(Header::Host, b"app.example.com")],
            path_and_query: "//evil.example/me",
        };
        assert_eq!(
            clerk_url(&parts, true),
            "http://app.example.com//evil.example/me"
        );
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
