//! Absolute `http(s)` URLs split the way `new URL()` splits them, for the
//! parts this crate reads: configured URLs (checked when a handle is built)
//! and the request's own (the browser path).

/// A host as a URL may carry it: letters, digits, `.`, `-`, `_`, a port's
/// `:` and an IPv6 literal's brackets.
pub(crate) fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']' | b'_')
        })
}

/// An absolute `http(s)` URL, split: what `new URL()` gives for the parts
/// this crate reads.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ParsedUrl<'a> {
    /// Lower-case.
    pub(crate) scheme: String,
    /// Lower-case, without the port.
    pub(crate) host: String,
    pub(crate) port: Option<&'a str>,
    /// `/` when empty.
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) fragment: Option<&'a str>,
}

impl<'a> ParsedUrl<'a> {
    /// `None` for anything but an absolute http(s) URL with a host, or one
    /// with credentials.
    pub(crate) fn parse(url: &'a str) -> Option<Self> {
        let url = url.trim();
        // Only what can go back into a header as it is.
        if !url.bytes().all(|b| b.is_ascii_graphic()) {
            return None;
        }
        let (scheme, rest) = url.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return None;
        }
        let (rest, fragment) = match rest.split_once('#') {
            Some((rest, fragment)) => (rest, Some(fragment)),
            None => (rest, None),
        };
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        let (path, query) = match tail.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (tail, None),
        };
        if authority.contains('@') {
            return None;
        }
        let (host, port) = if authority.starts_with('[') {
            let end = authority.find(']')? + 1;
            let (host, rest) = authority.split_at(end);
            match rest.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None if rest.is_empty() => (host, None),
                None => return None,
            }
        } else {
            match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        if port.is_some_and(|p| !p.bytes().all(|b| b.is_ascii_digit())) {
            return None;
        }
        let port = port.filter(|p| !p.is_empty());
        if !valid_host(host) {
            return None;
        }
        let default_port = if scheme == "https" { "443" } else { "80" };
        Some(Self {
            host: host.to_ascii_lowercase(),
            port: port.filter(|p| *p != default_port),
            path: if path.is_empty() { "/" } else { path },
            query,
            fragment,
            scheme,
        })
    }

    /// `scheme://host[:port]`, as `URL.origin` gives it.
    pub(crate) fn origin(&self) -> String {
        match self.port {
            Some(port) => format!("{}://{}:{port}", self.scheme, self.host),
            None => format!("{}://{}", self.scheme, self.host),
        }
    }

    /// The URL with `pairs` appended to (or set in) its query, as
    /// `searchParams.append` / `.set` would leave it.
    pub(crate) fn with_params(&self, append: &[(&str, &str)], set: &[(&str, &str)]) -> String {
        let mut params: Vec<(String, String)> = self
            .query
            .map(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        for (key, value) in append {
            params.push(((*key).to_owned(), (*value).to_owned()));
        }
        for (key, value) in set {
            match params.iter().position(|(k, _)| k == key) {
                Some(first) => {
                    params[first].1 = (*value).to_owned();
                    let mut seen = 0;
                    params.retain(|(k, _)| {
                        if k == key {
                            seen += 1;
                            seen == 1
                        } else {
                            true
                        }
                    });
                }
                None => params.push(((*key).to_owned(), (*value).to_owned())),
            }
        }
        let mut url = self.origin();
        url.push_str(self.path);
        if !params.is_empty() {
            url.push('?');
            url.push_str(
                &form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(params)
                    .finish(),
            );
        }
        if let Some(fragment) = self.fragment {
            url.push('#');
            url.push_str(fragment);
        }
        url
    }
}
