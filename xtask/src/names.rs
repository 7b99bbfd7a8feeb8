//! Rust spellings of OpenAPI names.

/// Splits `JWTTemplate`, `verification_otp`, `getOAuthAccessToken`,
/// `JWKS.ed25519.PublicKey` into words.
pub fn words(name: &str) -> Vec<String> {
    let name = name.replace("OAuth", "Oauth");
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_ascii_uppercase() && !current.is_empty() {
            let prev = chars[i - 1];
            // `URLs` stays one word: a plural `s` after an acronym.
            let plural = chars.get(i + 1) == Some(&'s')
                && !chars.get(i + 2).is_some_and(|n| n.is_ascii_lowercase());
            let next_lower = !plural && chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                words.push(std::mem::take(&mut current));
            }
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

pub fn pascal(name: &str) -> String {
    let mut out = String::new();
    for word in words(name) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars.map(|c| c.to_ascii_lowercase()));
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    out
}

pub fn snake(name: &str) -> String {
    words(name)
        .iter()
        .map(|w| w.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join("_")
}

const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "self", "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where",
    "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// A field or argument name: the wire name when it is a valid identifier
/// (keywords raw), else its snake_case form.
pub fn field(wire: &str) -> String {
    let valid = wire
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !wire.starts_with(|c: char| c.is_ascii_digit())
        && !wire.is_empty();
    let name = if valid { wire.to_string() } else { snake(wire) };
    let name = if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("f_{name}")
    } else {
        name
    };
    if KEYWORDS.contains(&name.as_str()) {
        if name == "self" || name == "Self" || name == "crate" || name == "super" {
            format!("{name}_")
        } else {
            format!("r#{name}")
        }
    } else {
        name
    }
}

/// A Rust string literal.
pub fn lit(text: &str) -> String {
    format!("{text:?}")
}

/// Doc comment lines (`///`) for free text from the spec.
pub fn doc(text: &str, indent: &str) -> String {
    let mut out = String::new();
    for line in text.trim().lines() {
        let line = line.trim_end();
        if line.is_empty() {
            out.push_str(indent);
            out.push_str("///\n");
        } else {
            out.push_str(indent);
            out.push_str("/// ");
            out.push_str(&escape_doc(line));
            out.push('\n');
        }
    }
    out
}

/// Keeps rustdoc from reading spec prose as code blocks, HTML, intra-doc
/// links or bare URLs.
fn escape_doc(line: &str) -> String {
    let text = line.trim_start().replace('<', "&lt;").replace('>', "&gt;");
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '[' {
            // A Markdown link `[text](url)` stays; other brackets are escaped.
            let close = chars[i..].iter().position(|&c| c == ']').map(|p| p + i);
            match close {
                Some(close) if chars.get(close + 1) == Some(&'(') => {
                    let end = chars[close..]
                        .iter()
                        .position(|&c| c == ')')
                        .map(|p| p + close);
                    let end = end.unwrap_or(chars.len() - 1);
                    out.extend(&chars[i..=end]);
                    i = end + 1;
                    continue;
                }
                _ => out.push_str("\\["),
            }
        } else if c == ']' {
            out.push_str("\\]");
        } else if (text[char_offset(&chars, i)..].starts_with("https://")
            || text[char_offset(&chars, i)..].starts_with("http://"))
            && (i == 0 || chars[i - 1] != '(')
        {
            let end = chars[i..]
                .iter()
                .position(|c| c.is_whitespace() || *c == ')' || *c == '`')
                .map_or(chars.len(), |p| p + i);
            let mut url: String = chars[i..end].iter().collect();
            let mut tail = String::new();
            while url.ends_with(['.', ',', ';', ':']) {
                tail.insert(0, url.pop().unwrap_or('.'));
            }
            out.push('<');
            out.push_str(&url);
            out.push('>');
            out.push_str(&tail);
            i = end;
            continue;
        } else if c == '`' && chars.get(i + 1) == Some(&'`') && chars.get(i + 2) == Some(&'`') {
            out.push_str("\\`\\`\\`");
            i += 3;
            continue;
        } else {
            out.push(c);
        }
        i += 1;
    }
    out
}

fn char_offset(chars: &[char], i: usize) -> usize {
    chars[..i].iter().map(|c| c.len_utf8()).sum()
}
