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
    /// Text that must be there (lower case; compared ignoring ASCII case).
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
        // Text is compared ignoring ASCII case: lower-cased once here.
        for token in &mut tokens {
            if let Token::Literal(text) = token {
                text.make_ascii_lowercase();
            }
        }
        Ok(Self {
            source: source.to_owned(),
            tokens,
        })
    }

    /// Matches a whole path (one trailing `/` allowed); the named
    /// parameters on success, raw. (The request path uses
    /// [`matches_with`](Self::matches_with), which does not allocate.)
    #[cfg(any(test, fuzzing, feature = "testing"))]
    pub(crate) fn matches<'p>(&self, path: &'p str) -> Option<Vec<(&str, &'p str)>> {
        let mut params = Vec::new();
        self.matches_with(path, |name, value| params.push((name, value)))
            .then(|| {
                params.reverse();
                params
            })
    }

    /// Whether the whole path matches, as [`matches`](Self::matches), with
    /// no allocation: `capture` gets each named parameter, the last in the
    /// path first (only when the path matches).
    pub(crate) fn matches_with<'s, 'p>(
        &'s self,
        path: &'p str,
        mut capture: impl FnMut(&'s str, &'p str),
    ) -> bool {
        match_from(&self.tokens, path.as_bytes(), 0, &mut |name, start, end| {
            capture(name, &path[start..end]);
        })
    }
}

/// Where a match's named parameters go, innermost first. A capture is made
/// only once the rest of the pattern has matched, so a failed branch never
/// makes one: there is nothing to take back.
type Captures<'c, 't> = dyn FnMut(&'t str, usize, usize) + 'c;

fn eq_ignore_case(path: &[u8], at: usize, text: &[u8]) -> bool {
    path.len() >= at + text.len() && path[at..at + text.len()].eq_ignore_ascii_case(text)
}

/// Whether `path[at..]` starts with `lower` (lower case), ignoring ASCII case.
fn eq_lowercase(path: &[u8], at: usize, lower: &[u8]) -> bool {
    path.get(at..at + lower.len()).is_some_and(|part| {
        part.iter()
            .zip(lower)
            .all(|(p, l)| p.to_ascii_lowercase() == *l)
    })
}

/// Backtracking match of `tokens` against `path[at..]`; captures are made
/// innermost first.
///
/// Steps with one way to go (text, and a segment that what follows ends at
/// a delimiter) are taken in a loop, their captures held back until the
/// rest has matched; a parameter with a choice (optional, `(.*)`, or a
/// segment whose end must be searched for) recurses.
fn match_from<'t>(
    tokens: &'t [Token],
    path: &[u8],
    mut at: usize,
    out: &mut Captures<'_, 't>,
) -> bool {
    let mut held: [(&'t str, usize, usize); 4] = [("", 0, 0); 4];
    let mut count = 0;
    let mut tokens = tokens;
    let matched = loop {
        let Some((token, rest)) = tokens.split_first() else {
            // The end: nothing left, or one delimiter.
            break at == path.len() || (at + 1 == path.len() && DELIMITERS.contains(&path[at]));
        };
        match token {
            Token::Literal(text) => {
                if !eq_lowercase(path, at, text.as_bytes()) {
                    break false;
                }
                at += text.len();
            }
            Token::Param(param)
                if !param.any
                    && !param.optional
                    && count < held.len()
                    && needs_delimiter_next(rest) =>
            {
                let mut start = at;
                if let Some(prefix) = param.prefix {
                    if path.get(at) != Some(&prefix) {
                        break false;
                    }
                    start += 1;
                }
                let end = segment_end(param, path, start);
                if end == start || !(end == path.len() || DELIMITERS.contains(&path[end])) {
                    break false;
                }
                if let Some(name) = &param.name {
                    held[count] = (name.as_str(), start, end);
                    count += 1;
                }
                at = end;
            }
            Token::Param(param) => break match_param(param, rest, path, at, out),
        }
        tokens = rest;
    };
    if matched {
        for &(name, start, end) in held[..count].iter().rev() {
            out(name, start, end);
        }
    }
    matched
}

/// Where a segment parameter starting at `start` stops: at a delimiter, at
/// its forbidden text, or at the end of the path.
fn segment_end(param: &Param, path: &[u8], start: usize) -> usize {
    let mut end = start;
    while end < path.len() && !DELIMITERS.contains(&path[end]) {
        if let Some(forbid) = &param.forbid {
            if eq_ignore_case(path, end, forbid.as_bytes()) {
                break;
            }
        }
        end += 1;
    }
    end
}

/// A parameter with a choice, then `rest`.
fn match_param<'t>(
    param: &'t Param,
    rest: &'t [Token],
    path: &[u8],
    at: usize,
    out: &mut Captures<'_, 't>,
) -> bool {
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
    } else if needs_delimiter_next(rest) {
        // What follows starts with a delimiter (or nothing does): of the
        // lazy loop's ends below, only the segment's whole length can
        // match, so it is the one tried.
        let end = segment_end(param, path, start);
        let whole = end == path.len() || DELIMITERS.contains(&path[end]);
        if end > start && whole && match_from(rest, path, end, out) {
            capture(param, start, end, out);
            found = true;
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

fn capture<'t>(param: &'t Param, start: usize, end: usize, out: &mut Captures<'_, 't>) {
    if let Some(name) = &param.name {
        out(name.as_str(), start, end);
    }
}

/// Whether `rest` matches only at the end of the path or at a delimiter:
/// nothing left, text starting with a delimiter, or a required parameter
/// whose prefix is `/`.
fn needs_delimiter_next(rest: &[Token]) -> bool {
    match rest.first() {
        None => true,
        Some(Token::Literal(text)) => text
            .as_bytes()
            .first()
            .is_some_and(|b| DELIMITERS.contains(b)),
        Some(Token::Param(next)) => next.prefix == Some(b'/') && !next.optional,
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
    fn many_parameters_come_back_in_path_order() {
        let five: Vec<_> = ["a", "b", "c", "d", "e"]
            .iter()
            .zip(["1", "2", "3", "4", "5"])
            .map(|(k, v)| ((*k).to_owned(), v.to_owned()))
            .collect();
        assert_eq!(params("/:a/:b/:c/:d/:e", "/1/2/3/4/5"), Some(five.clone()));
        assert_eq!(params("/:a/:b/:c/:d/:e/", "/1/2/3/4/5/"), Some(five));
        assert_eq!(params("/:a/:b/:c/:d/:e", "/1/2/3/4"), None);
        assert_eq!(
            params("/:a/:b/:c/:d/:e/(.*)", "/1/2/3/4/5/x/y").map(|p| p.len()),
            Some(5)
        );
    }

    /// The matcher without its shortcut for a segment followed by a
    /// delimiter: every end of the segment tried, shortest first.
    fn reference(
        tokens: &[super::Token],
        path: &[u8],
        at: usize,
        out: &mut Vec<(usize, usize)>,
    ) -> bool {
        use super::{eq_ignore_case, Token, DELIMITERS};
        let Some((token, rest)) = tokens.split_first() else {
            return at == path.len() || (at + 1 == path.len() && DELIMITERS.contains(&path[at]));
        };
        match token {
            Token::Literal(text) => {
                eq_ignore_case(path, at, text.as_bytes())
                    && reference(rest, path, at + text.len(), out)
            }
            Token::Param(param) => {
                let mut start = at;
                if let Some(prefix) = param.prefix {
                    if path.get(at) == Some(&prefix) {
                        start += 1;
                    } else {
                        return param.optional && reference(rest, path, at, out);
                    }
                }
                let mut found = false;
                if param.any {
                    let limit = path[start..]
                        .iter()
                        .position(|&b| b == b'\n' || b == b'\r')
                        .map_or(path.len(), |p| start + p);
                    for end in (start..=limit).rev() {
                        if reference(rest, path, end, out) {
                            if param.name.is_some() {
                                out.push((start, end));
                            }
                            found = true;
                            break;
                        }
                    }
                } else {
                    let mut end = start;
                    while end < path.len() && !DELIMITERS.contains(&path[end]) {
                        if let Some(forbid) = &param.forbid {
                            if eq_ignore_case(path, end, forbid.as_bytes()) {
                                break;
                            }
                        }
                        end += 1;
                        if reference(rest, path, end, out) {
                            if param.name.is_some() {
                                out.push((start, end));
                            }
                            found = true;
                            break;
                        }
                    }
                }
                found || (param.optional && reference(rest, path, at, out))
            }
        }
    }

    #[test]
    fn the_segment_shortcut_matches_as_the_full_search_does() {
        let patterns = [
            "/orgs/:slug",
            "/orgs/:slug/(.*)",
            "/orgs/:id/settings",
            "/:a/:b",
            "/:a/:b/:c",
            "/:a/:b?",
            "/:a?/b",
            "/a-:id",
            "/:a-:b",
            "/:a.:b",
            "/file.:ext",
            "/:a/(.*)",
            "/:a#x",
            "/:a?x",
            "/:rest(.*)",
            "/(.*)/:a",
            "/a",
        ];
        let alphabet = ["/", "a", "b", "-", ".", "?", "#", "x"];
        // Every string of up to 5 of these.
        let mut paths = vec![String::new()];
        let mut level = vec![String::new()];
        for _ in 0..5 {
            level = level
                .iter()
                .flat_map(|p| alphabet.iter().map(move |c| format!("{p}{c}")))
                .collect();
            paths.extend(level.iter().cloned());
        }
        let mut compared = 0;
        for source in patterns {
            let pattern = Pattern::parse(source).unwrap();
            for path in &paths {
                let mut expected = Vec::new();
                let full = reference(&pattern.tokens, path.as_bytes(), 0, &mut expected);
                let mut got = Vec::new();
                let fast = pattern.matches_with(path, |_, value| {
                    let start = value.as_ptr() as usize - path.as_ptr() as usize;
                    got.push((start, start + value.len()));
                });
                assert_eq!((fast, &got), (full, &expected), "{source} on {path:?}");
                compared += 1;
            }
        }
        assert!(compared > 100_000, "{compared}");
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
