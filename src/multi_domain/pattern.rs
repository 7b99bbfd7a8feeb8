//! Clerk's path patterns (path-to-regexp 6, the syntax `organizationSyncOptions`
//! takes), compiled once and matched without a regular-expression engine.
//!
//! The subset: literal text (`\` escapes a character), named parameters
//! `:name` (one path segment, at least one character), `:name?` (an optional
//! segment), and the catch-all group `(.*)` alone or after a name
//! (`:rest(.*)`). Matching ignores ASCII case, allows one trailing `/`, and
//! hands parameters back as they are in the path (percent-encoded, not
//! decoded), as Clerk does. Other path-to-regexp syntax (custom regular
//! expressions, `{…}` groups, `*`/`+` repeats) is refused when the pattern is
//! configured, with the reason.

use std::fmt;

/// The characters path-to-regexp stops a parameter at.
const DELIMITERS: &[u8] = b"/#?";
/// The characters that become a parameter's prefix when they precede it.
const PREFIXES: &[u8] = b"./";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// Text that must be there (compared ignoring ASCII case).
    Literal(String),
    Param(Param),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Param {
    /// `None` for the unnamed group `(.*)`.
    name: Option<String>,
    /// `/` or `.` before the parameter: part of what is optional with it.
    prefix: Option<u8>,
    /// `(.*)`: anything, including nothing and `/`; else one segment.
    any: bool,
    optional: bool,
    /// Text the segment may not contain (path-to-regexp's rule for a
    /// parameter following text that has no delimiter).
    forbid: Option<String>,
}

/// One compiled path pattern.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    source: String,
    tokens: Vec<Token>,
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// Why a pattern was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PatternError(pub(crate) String);

impl Pattern {
    /// Compiles `source`.
    pub(crate) fn parse(source: &str) -> Result<Self, PatternError> {
        let err = |what: String| Err(PatternError(what));
        let bytes = source.as_bytes();
        let mut tokens: Vec<Token> = Vec::new();
        let mut text = String::new();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            match c {
                b'\\' => {
                    let Some(next) = source[i + 1..].chars().next() else {
                        return err(format!("nothing to escape at {i}"));
                    };
                    text.push(next);
                    i += 1 + next.len_utf8();
                }
                b'*' | b'+' | b'?' => {
                    return err(format!(
                        "unexpected {:?} at {i} (repeats are not supported; use (.*))",
                        c as char
                    ))
                }
                b'{' | b'}' => {
                    return err(format!("groups {{…}} are not supported (at {i})"));
                }
                b':' | b'(' => {
                    let mut name = None;
                    if c == b':' {
                        let start = i + 1;
                        let mut end = start;
                        while end < bytes.len()
                            && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_')
                        {
                            end += 1;
                        }
                        if end == start {
                            return err(format!("missing parameter name at {i}"));
                        }
                        name = Some(source[start..end].to_owned());
                        i = end;
                    }
                    let mut any = false;
                    if bytes.get(i) == Some(&b'(') {
                        let Some(close) = source[i..].find(')') else {
                            return err(format!("unbalanced pattern at {i}"));
                        };
                        let group = &source[i + 1..i + close];
                        if group != ".*" {
                            return err(format!(
                                "the group ({group}) at {i} is not supported; only (.*) is"
                            ));
                        }
                        any = true;
                        i += close + 1;
                    }
                    let mut optional = false;
                    match bytes.get(i) {
                        Some(b'?') => {
                            optional = true;
                            i += 1;
                        }
                        Some(b'*' | b'+') => {
                            return err(format!(
                                "repeated parameters are not supported (at {i}); use (.*)"
                            ))
                        }
                        _ => {}
                    }
                    // The character before the parameter is its prefix
                    // when it is `/` or `.`.
                    let prefix = match text.as_bytes().last() {
                        Some(&p) if PREFIXES.contains(&p) => {
                            text.pop();
                            Some(p)
                        }
                        _ => None,
                    };
                    if !text.is_empty() {
                        tokens.push(Token::Literal(std::mem::take(&mut text)));
                    }
                    if prefix.is_none() && !any && matches!(tokens.last(), Some(Token::Param(_))) {
                        return err(format!(
                            "two parameters need text between them (before {i})"
                        ));
                    }
                    // A segment following text with no delimiter may not
                    // contain that text.
                    let forbid = match (prefix, tokens.last()) {
                        (Some(b'.'), _) => Some(".".to_owned()),
                        (None, Some(Token::Literal(before)))
                            if !before.bytes().any(|b| DELIMITERS.contains(&b)) =>
                        {
                            Some(before.clone())
                        }
                        _ => None,
                    };
                    tokens.push(Token::Param(Param {
                        name,
                        prefix,
                        any,
                        optional,
                        forbid: forbid.filter(|_| !any),
                    }));
                }
                _ => {
                    let ch = source[i..].chars().next().unwrap_or_default();
                    text.push(ch);
                    i += ch.len_utf8().max(1);
                }
            }
        }
        if !text.is_empty() {
            tokens.push(Token::Literal(text));
        }
        Ok(Self {
            source: source.to_owned(),
            tokens,
        })
    }

    /// Matches a whole path (one trailing `/` allowed); the named
    /// parameters on success, raw.
    pub(crate) fn matches<'p>(&self, path: &'p str) -> Option<Vec<(&str, &'p str)>> {
        let mut params = Vec::new();
        match_from(&self.tokens, path.as_bytes(), 0, &mut params).then(|| {
            params
                .into_iter()
                .rev()
                .map(|(name, (start, end))| (name, &path[start..end]))
                .collect()
        })
    }
}

type Captures<'t> = Vec<(&'t str, (usize, usize))>;

fn eq_ignore_case(path: &[u8], at: usize, text: &[u8]) -> bool {
    path.len() >= at + text.len() && path[at..at + text.len()].eq_ignore_ascii_case(text)
}

/// Backtracking match of `tokens` against `path[at..]`; captures are pushed
/// innermost first.
fn match_from<'t>(tokens: &'t [Token], path: &[u8], at: usize, out: &mut Captures<'t>) -> bool {
    let Some((token, rest)) = tokens.split_first() else {
        // The end: nothing left, or one delimiter.
        return at == path.len() || (at + 1 == path.len() && DELIMITERS.contains(&path[at]));
    };
    match token {
        Token::Literal(text) => {
            eq_ignore_case(path, at, text.as_bytes())
                && match_from(rest, path, at + text.len(), out)
        }
        Token::Param(param) => {
            let mut start = at;
            if let Some(prefix) = param.prefix {
                if path.get(at) == Some(&prefix) {
                    start += 1;
                } else {
                    return param.optional && match_from(rest, path, at, out);
                }
            }
            let mut found = false;
            if param.any {
                // Greedy: the longest first. `.` takes any byte but a newline.
                let limit = path[start..]
                    .iter()
                    .position(|&b| b == b'\n' || b == b'\r')
                    .map_or(path.len(), |p| start + p);
                for end in (start..=limit).rev() {
                    if match_from(rest, path, end, out) {
                        capture(param, start, end, out);
                        found = true;
                        break;
                    }
                }
            } else {
                // Lazy: the shortest first, one character at least.
                let mut end = start;
                while end < path.len() && !DELIMITERS.contains(&path[end]) {
                    if let Some(forbid) = &param.forbid {
                        if eq_ignore_case(path, end, forbid.as_bytes()) {
                            break;
                        }
                    }
                    end += 1;
                    if match_from(rest, path, end, out) {
                        capture(param, start, end, out);
                        found = true;
                        break;
                    }
                }
            }
            found || (param.optional && match_from(rest, path, at, out))
        }
    }
}

fn capture<'t>(param: &'t Param, start: usize, end: usize, out: &mut Captures<'t>) {
    if let Some(name) = &param.name {
        out.push((name.as_str(), (start, end)));
    }
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    fn params(pattern: &str, path: &str) -> Option<Vec<(String, String)>> {
        Pattern::parse(pattern).unwrap().matches(path).map(|p| {
            p.into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
    }

    fn one(name: &str, value: &str) -> Option<Vec<(String, String)>> {
        Some(vec![(name.to_owned(), value.to_owned())])
    }

    #[test]
    fn a_segment_parameter_takes_one_segment() {
        assert_eq!(params("/orgs/:slug", "/orgs/acme"), one("slug", "acme"));
        assert_eq!(params("/orgs/:slug", "/orgs/acme/"), one("slug", "acme"));
        assert_eq!(params("/orgs/:slug", "/orgs/acme/x"), None);
        assert_eq!(params("/orgs/:slug", "/orgs/"), None);
        assert_eq!(params("/orgs/:slug", "/orgs"), None);
        assert_eq!(params("/orgs/:slug", "/ORGS/Acme"), one("slug", "Acme"));
        // Not decoded.
        assert_eq!(params("/orgs/:slug", "/orgs/a%20b"), one("slug", "a%20b"));
    }

    #[test]
    fn the_catch_all_takes_the_rest() {
        let p = "/orgs/:slug/(.*)";
        assert_eq!(params(p, "/orgs/acme/settings/x"), one("slug", "acme"));
        assert_eq!(params(p, "/orgs/acme/"), one("slug", "acme"));
        assert_eq!(params(p, "/orgs/acme"), None);
        assert_eq!(params("/me", "/me/"), Some(vec![]));
        assert_eq!(params("/me/(.*)", "/me/profile"), Some(vec![]));
        assert_eq!(params("/me/(.*)", "/me"), None);
        assert_eq!(params("/a/:rest(.*)", "/a/b/c"), one("rest", "b/c"));
    }

    #[test]
    fn optional_and_prefixed_parameters() {
        assert_eq!(params("/orgs/:id?", "/orgs"), Some(vec![]));
        assert_eq!(params("/orgs/:id?", "/orgs/x"), one("id", "x"));
        assert_eq!(params("/file.:ext", "/file.json"), one("ext", "json"));
        assert_eq!(params("/org-:id", "/org-1"), one("id", "1"));
        assert_eq!(params("/a\\:b", "/a:b"), Some(vec![]));
    }

    #[test]
    fn unsupported_and_invalid_patterns_are_refused() {
        for bad in [
            "/orgs/:",
            "/orgs/(\\d+)",
            "/orgs/*",
            "/{a}",
            "/:a:b",
            "/x(",
            "/:id+",
        ] {
            assert!(Pattern::parse(bad).is_err(), "{bad}");
        }
    }
}
