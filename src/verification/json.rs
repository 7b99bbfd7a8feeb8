//! A token's JSON read in place: each member the checks read is found once,
//! by position in the decoded text, and interpreted only when asked. No
//! `serde_json::Value` is built on the way to a verified token; one is
//! parsed from a member's text only for an error message or a rare shape
//! (an `aud` array, the v1 permissions).

use std::borrow::Cow;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

/// A range of a text, by byte offsets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    start: u32,
    end: u32,
}

impl Span {
    pub(crate) fn new(start: usize, end: usize) -> Option<Self> {
        Some(Self {
            start: u32::try_from(start).ok()?,
            end: u32::try_from(end).ok()?,
        })
    }

    pub(crate) fn start(self) -> usize {
        self.start as usize
    }

    pub(crate) fn end(self) -> usize {
        self.end as usize
    }

    /// The same range in a text that begins `by` bytes later.
    fn shifted_back(self, by: usize) -> Option<Self> {
        Self::new(self.start().checked_sub(by)?, self.end().checked_sub(by)?)
    }

    pub(crate) fn of(self, text: &str) -> &str {
        text.get(self.start()..self.end()).unwrap_or_default()
    }
}

/// Where one member's value stands in a text: its JSON, and for a JSON
/// string the string itself (inside the quotes, or an unescaped copy
/// appended to the text when the JSON has escapes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Member {
    raw: Span,
    text: Option<Span>,
}

impl Member {
    /// The member in `text`.
    pub(crate) fn read(self, text: &str) -> Claim<'_> {
        Claim {
            raw: self.raw.of(text),
            text: self.text.map(|span| span.of(text)),
        }
    }

    /// Where the string is, when the member is a JSON string.
    pub(crate) fn text_span(self) -> Option<Span> {
        self.text
    }

    /// The same member in a text that begins `by` bytes later.
    pub(crate) fn shifted_back(self, by: usize) -> Option<Self> {
        Some(Self {
            raw: self.raw.shifted_back(by)?,
            text: match self.text {
                Some(span) => Some(span.shifted_back(by)?),
                None => None,
            },
        })
    }
}

/// One member's value: its JSON text, and its string when it is a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Claim<'a> {
    raw: &'a str,
    text: Option<&'a str>,
}

impl<'a> Claim<'a> {
    /// The string, when the value is a JSON string.
    pub(crate) fn as_str(self) -> Option<&'a str> {
        self.text
    }

    /// The number, when the value is a JSON number, read as
    /// `serde_json::Value::as_f64` reads it.
    pub(crate) fn as_f64(self) -> Option<f64> {
        if let Some(integer) = small_integer(self.raw.as_bytes()) {
            return Some(integer as f64);
        }
        match self.raw.as_bytes().first() {
            Some(b'-' | b'0'..=b'9') => serde_json::from_str::<f64>(self.raw).ok(),
            _ => None,
        }
    }

    pub(crate) fn is_null(self) -> bool {
        self.raw == "null"
    }

    pub(crate) fn is_array(self) -> bool {
        self.raw.starts_with('[')
    }

    pub(crate) fn is_object(self) -> bool {
        self.raw.starts_with('{')
    }

    /// The value's JSON text, as it stands in the token.
    pub(crate) fn raw(self) -> &'a str {
        self.raw
    }

    /// JavaScript truthiness: `null`, `false`, `""` and zero are false.
    pub(crate) fn is_truthy(self) -> bool {
        match self.raw {
            "null" | "false" => false,
            _ => match self.text {
                Some(text) => !text.is_empty(),
                None => self.as_f64() != Some(0.0),
            },
        }
    }

    /// The value as a `serde_json::Value`, for the rare shapes and messages.
    pub(crate) fn to_value(self) -> Value {
        serde_json::from_str(self.raw).unwrap_or(Value::Null)
    }

    /// `JSON.stringify` of the value, as Clerk's messages print it.
    pub(crate) fn json(self) -> String {
        serde_json::to_string(&self.to_value()).unwrap_or_else(|_| "undefined".to_owned())
    }
}

/// A JSON integer of at most 15 digits (a time claim): it parses exactly,
/// and cannot be out of range. `None` for any other text.
fn small_integer(raw: &[u8]) -> Option<i64> {
    let (negative, digits) = match raw {
        [b'-', digits @ ..] => (true, digits),
        digits => (false, digits),
    };
    if digits.is_empty() || digits.len() > 15 || (digits[0] == b'0' && digits.len() > 1) {
        return None;
    }
    let mut value: i64 = 0;
    for &digit in digits {
        if !digit.is_ascii_digit() {
            return None;
        }
        value = value * 10 + i64::from(digit - b'0');
    }
    match (negative, value) {
        // serde_json reads `-0` as the float -0.0.
        (true, 0) => None,
        (true, value) => Some(-value),
        (false, value) => Some(value),
    }
}

/// `JSON.stringify` of an optional member: `undefined` when absent.
pub(crate) fn json(claim: Option<Claim<'_>>) -> String {
    claim.map_or_else(|| "undefined".to_owned(), Claim::json)
}

/// A member's value found while parsing, before escaped strings are
/// copied out. `string` is where a string stands inside its quotes, and
/// whether its JSON has escapes.
pub(crate) struct Found {
    raw: Span,
    string: Option<(Span, bool)>,
    /// A small integer, `true`, `false` or `null`: nothing more to check.
    plain: bool,
}

/// Where `raw` (borrowed from `base`) stands in `base`.
pub(crate) fn find(base: &str, raw: &RawValue) -> Option<Found> {
    let text = raw.get();
    let start = (text.as_ptr() as usize).checked_sub(base.as_ptr() as usize)?;
    let end = start + text.len();
    if end > base.len() {
        return None;
    }
    let string = match text.as_bytes() {
        [b'"', inner @ .., b'"'] => Some((Span::new(start + 1, end - 1)?, inner.contains(&b'\\'))),
        _ => None,
    };
    Some(Found {
        raw: Span::new(start, end)?,
        string,
        plain: false,
    })
}

impl Found {
    /// The member, an escaped string unescaped onto the end of `text`.
    /// `None` when the member would not parse into a `Value` (see
    /// [`parses`]); `depth` is where it stands.
    pub(crate) fn place(self, text: &mut String, depth: usize) -> Option<Member> {
        let string = match self.string {
            // A small integer (a time claim) is always in range.
            None if self.plain || small_integer(self.raw.of(text).as_bytes()).is_some() => None,
            None if parses(self.raw.of(text), depth) => None,
            None => return None,
            Some((inner, false)) => Some(inner),
            Some((_, true)) => {
                let unescaped: String = serde_json::from_str(self.raw.of(text)).ok()?;
                let start = text.len();
                text.push_str(&unescaped);
                Some(Span::new(start, text.len())?)
            }
        };
        Some(Member {
            raw: self.raw,
            text: string,
        })
    }
}

/// Whether a member's JSON parses into a `serde_json::Value`, checked
/// without building one: numbers in range, string escapes, nesting. A
/// member found by position was only checked for syntax; this keeps every
/// token that failed to decode before failing now.
///
/// `depth` is how deep the member stands (1 for a member of the header or
/// the payload), as parsing the whole object counts it.
pub(crate) fn parses(raw: &str, depth: usize) -> bool {
    let mut deserializer = serde_json::Deserializer::from_str(raw);
    Valid { depth }.deserialize(&mut deserializer).is_ok() && deserializer.end().is_ok()
}

/// serde_json's nesting limit: a `Value` nested deeper fails to parse.
const MAX_DEPTH: usize = 128;

struct Valid {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Valid {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Valid {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let depth = self.nested()?;
        while seq.next_element_seed(Valid { depth })?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let depth = self.nested()?;
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value_seed(Valid { depth })?;
        }
        Ok(())
    }
}

impl Valid {
    fn nested<E: de::Error>(&self) -> Result<usize, E> {
        if self.depth + 1 >= MAX_DEPTH {
            return Err(E::custom("recursion limit exceeded"));
        }
        Ok(self.depth + 1)
    }
}

/// The members with a `slot` (their index in the answer) of the JSON object at `object` in `text`,
/// found without serde when the object has a token's usual shape: no
/// whitespace, no string with an escape, numbers that are small integers.
/// `None` for any other shape, a repeated wanted name included: the caller
/// then parses with serde, which decides (and gives the same members).
/// A nested value is checked with serde on its own.
pub(crate) fn flat<const N: usize>(
    text: &str,
    object: Span,
    slot: impl Fn(&[u8]) -> Option<usize>,
) -> Option<[Option<Found>; N]> {
    let bytes = text.as_bytes().get(object.start()..object.end())?;
    let at = object.start();
    let mut found = [const { None }; N];
    let mut i = 1;
    match bytes {
        [b'{', b'}'] => return Some(found),
        [b'{', ..] => {}
        _ => return None,
    }
    loop {
        // "name":
        if bytes.get(i) != Some(&b'"') {
            return None;
        }
        let name_end = plain_string_end(bytes, i + 1)?;
        let name = bytes.get(i + 1..name_end)?;
        i = name_end + 1;
        if bytes.get(i) != Some(&b':') {
            return None;
        }
        i += 1;
        let start = i;
        let string = match *bytes.get(i)? {
            b'"' => {
                let end = plain_string_end(bytes, i + 1)?;
                i = end + 1;
                Some((Span::new(at + start + 1, at + end)?, false))
            }
            b'-' | b'0'..=b'9' => {
                let end = start
                    + 1
                    + bytes
                        .get(start + 1..)?
                        .iter()
                        .take_while(|b| b.is_ascii_digit())
                        .count();
                small_integer(bytes.get(start..end)?)?;
                i = end;
                None
            }
            b't' if bytes.get(i..i + 4) == Some(b"true") => {
                i += 4;
                None
            }
            b'f' if bytes.get(i..i + 5) == Some(b"false") => {
                i += 5;
                None
            }
            b'n' if bytes.get(i..i + 4) == Some(b"null") => {
                i += 4;
                None
            }
            b'[' | b'{' => {
                i = nested_end(bytes, i)?;
                // Checked as the whole parse checks it: syntax for a member
                // nobody reads; a read member is checked when placed.
                let raw = std::str::from_utf8(bytes.get(start..i)?).ok()?;
                if slot(name).is_none() && serde_json::from_str::<IgnoredAny>(raw).is_err() {
                    return None;
                }
                None
            }
            _ => return None,
        };
        if let Some(slot) = slot(name) {
            let slot = found.get_mut(slot)?;
            if slot.is_some() {
                return None;
            }
            *slot = Some(Found {
                raw: Span::new(at + start, at + i)?,
                plain: string.is_none() && !matches!(bytes.get(start), Some(b'[' | b'{')),
                string,
            });
        }
        match bytes.get(i) {
            Some(b',') => i += 1,
            Some(b'}') if i + 1 == bytes.len() => return Some(found),
            _ => return None,
        }
    }
}

/// The index of the `"` that ends a string starting at `from`, when the
/// string has no escape and no control character.
fn plain_string_end(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    // Eight bytes at a time while none is `"`, `\` or a control character
    // (each test is exact about whether such a byte is in the word).
    let mut i = from;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let zero = |v: u64| v.wrapping_sub(ONES) & !v;
        let special = zero(x ^ (ONES * u64::from(b'"')))
            | zero(x ^ (ONES * u64::from(b'\\')))
            | (x.wrapping_sub(ONES * 0x20) & !x);
        if special & HIGH != 0 {
            // The lowest flagged byte is the first such byte (a flag can
            // be wrong only above a right one).
            let at = i + (special & HIGH).trailing_zeros() as usize / 8;
            return (bytes.get(at) == Some(&b'"')).then_some(at);
        }
        i += 8;
    }
    let rest = bytes.get(i..)?;
    let len = rest
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
    (rest[len] == b'"').then_some(i + len)
}

/// The index after the array or object starting at `from`, by bracket
/// depth; `None` when a string in it has an escape. Its syntax is checked
/// by the caller.
fn nested_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = from;
    loop {
        match *bytes.get(i)? {
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b'"' => i = plain_string_end(bytes, i + 1)?,
            _ => {}
        }
        i += 1;
    }
}

impl Found {
    pub(crate) fn is_null(&self, text: &str) -> bool {
        self.raw.of(text) == "null"
    }
}

/// A member kept on its own (a header `typ` in the verified-token cache).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OwnedClaim {
    raw: Box<str>,
    /// The string when it had escapes; else the string is inside `raw`'s quotes.
    unescaped: Option<Box<str>>,
}

impl OwnedClaim {
    pub(crate) fn new(claim: Claim<'_>) -> Self {
        let inner = claim.raw.get(1..claim.raw.len().saturating_sub(1));
        let unescaped = match claim.text {
            Some(text) if inner != Some(text) => Some(text.into()),
            _ => None,
        };
        Self {
            raw: claim.raw.into(),
            unescaped,
        }
    }

    /// A value's member, as a token carrying it would hold it (tests).
    #[cfg(test)]
    pub(crate) fn of_value(value: &Value) -> Self {
        let raw = value.to_string();
        let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or_default();
        let unescaped = value.as_str().filter(|s| *s != inner).map(Into::into);
        Self {
            raw: raw.into(),
            unescaped,
        }
    }

    pub(crate) fn claim(&self) -> Claim<'_> {
        let text = match &self.unescaped {
            Some(text) => Some(&**text),
            None if self.raw.len() >= 2 && self.raw.starts_with('"') => {
                self.raw.get(1..self.raw.len() - 1)
            }
            None => None,
        };
        Claim {
            raw: &self.raw,
            text,
        }
    }
}

/// Members of a JSON object found by name, the last of a repeated name
/// winning (as `JSON.parse` and `serde_json::Map` do), without allocating.
/// `names` lists the members wanted; the answer has one slot per name.
pub(crate) fn members<'a, const N: usize>(
    object: &'a str,
    names: [&'static str; N],
) -> Result<[Option<&'a RawValue>; N], serde_json::Error> {
    struct Wanted<const N: usize>([&'static str; N]);

    impl<'de, const N: usize> Visitor<'de> for Wanted<N> {
        type Value = [Option<&'de RawValue>; N];

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut found = [None; N];
            while let Some(Name(name)) = map.next_key::<Name<'de>>()? {
                let value: &'de RawValue = map.next_value()?;
                if let Some(slot) = self.0.iter().position(|n| *n == name) {
                    found[slot] = Some(value);
                }
            }
            Ok(found)
        }
    }

    let mut deserializer = serde_json::Deserializer::from_str(object);
    let found = deserializer.deserialize_map(Wanted(names))?;
    deserializer.end()?;
    Ok(found)
}

/// An object member's name, borrowed when it has no escapes.
struct Name<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Name<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Name<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Name(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Name(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(text: &str) -> (String, Member) {
        let mut text = text.to_owned();
        let raw: &RawValue = serde_json::from_str(&text).expect("json");
        let found = find(&text, raw).expect("found");
        let member = found.place(&mut text, 1).expect("placed");
        (text, member)
    }

    #[test]
    fn strings_are_read_in_place_or_unescaped() {
        let (text, member) = claim(r#""user_1""#);
        assert_eq!(member.read(&text).as_str(), Some("user_1"));
        assert_eq!(text, r#""user_1""#, "nothing appended");
        let (text, member) = claim(r#""a\"b\u00e9""#);
        assert_eq!(member.read(&text).as_str(), Some("a\"bé"));
        assert_eq!(member.read(&text).json(), r#""a\"bé""#);
        let owned = OwnedClaim::new(member.read(&text));
        assert_eq!(owned.claim(), member.read(&text));
        let (text, member) = claim(r#""JWT""#);
        assert_eq!(
            OwnedClaim::new(member.read(&text)).claim().as_str(),
            Some("JWT")
        );
    }

    #[test]
    fn numbers_read_as_value_reads_them() {
        for raw in [
            "0",
            "-0",
            "123456789012345",
            "-123456789012345",
            "1234567890123456",
            "-1",
            "1.5",
            "1e3",
            "1E+3",
            "18446744073709551616",
            "9007199254740993",
        ] {
            let (text, member) = claim(raw);
            let value: Value = serde_json::from_str(raw).expect("json");
            assert_eq!(member.read(&text).as_f64(), value.as_f64(), "{raw}");
        }
        for raw in ["\"1\"", "null", "true", "[1]", "{}"] {
            let (text, member) = claim(raw);
            assert_eq!(member.read(&text).as_f64(), None, "{raw}");
        }
    }

    #[test]
    fn truthiness_is_javascript_s() {
        for (raw, truthy) in [
            ("null", false),
            ("false", false),
            ("\"\"", false),
            ("0", false),
            ("-0", false),
            ("0.0", false),
            ("true", true),
            ("\"x\"", true),
            ("1", true),
            ("[]", true),
            ("{}", true),
        ] {
            let (text, member) = claim(raw);
            assert_eq!(member.read(&text).is_truthy(), truthy, "{raw}");
        }
    }

    #[test]
    fn string_ends_are_found_word_by_word_as_byte_by_byte() {
        let reference = |bytes: &[u8], from: usize| {
            let rest = bytes.get(from..)?;
            let len = rest
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
            (rest[len] == b'"').then_some(from + len)
        };
        for len in 0..40 {
            for at in 0..=len {
                for special in [b'"', b'\\', 0x00, 0x1f, 0x20, 0x21, 0x7f, 0x80, 0xff, b'a'] {
                    let mut bytes = vec![b'x'; len];
                    bytes.insert(at, special);
                    bytes.push(b'"');
                    for from in 0..3.min(bytes.len()) {
                        assert_eq!(
                            plain_string_end(&bytes, from),
                            reference(&bytes, from),
                            "{bytes:?} from {from}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn members_take_the_last_of_a_repeated_name() {
        let object = r#"{"id":"a","x":[1,{"id":"no"}],"\u0069d":"b","rol":null}"#;
        let [id, rol, slg] = members(object, ["id", "rol", "slg"]).expect("object");
        assert_eq!(id.map(RawValue::get), Some(r#""b""#));
        assert_eq!(rol.map(RawValue::get), Some("null"));
        assert!(slg.is_none());
        assert!(members("[1]", ["id"]).is_err());
        assert!(members("{} x", ["id"]).is_err());
    }
}
