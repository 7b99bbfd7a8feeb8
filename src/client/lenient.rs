//! How the generated models decode: leniently, and with little code.
//!
//! `#[derive(Deserialize)]` writes a map visitor and a sequence visitor per
//! struct, instantiated again for every deserializer the struct meets (the
//! answer's bytes, a `serde_json::Value`, a `&Value`): with the ~300 generated
//! models that was most of the crate's compile time. Here a generated model's
//! `Deserialize` reads any input into a `Value` (one instantiation per
//! deserializer, shared by every model), and the model takes its members out
//! of the object in one non-generic function ([`Object::from_fields`]), each
//! member decoded from its `Value`. The rules are the hand-written models'
//! ones: unknown members are ignored, `null` and missing read alike (as the
//! default, or `None`), and an error names the member.

use serde::de::{DeserializeOwned, Deserializer, Error as _};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The result of decoding one member or model.
pub(crate) type Result<T> = std::result::Result<T, serde_json::Error>;

/// A model read from a JSON object, member by member (written by
/// `cargo xtask generate`).
pub(crate) trait Object: Sized {
    /// Takes the model's members out of `fields`.
    fn from_fields(fields: &mut Fields) -> Result<Self>;
}

/// The members of one JSON object, taken out by name.
pub(crate) struct Fields {
    map: Map<String, Value>,
}

impl Fields {
    /// A member where `null` and missing read as `T::default()`.
    pub(crate) fn or_default<T: DeserializeOwned + Default>(&mut self, name: &str) -> Result<T> {
        match self.map.remove(name) {
            None | Some(Value::Null) => Ok(T::default()),
            Some(value) => T::deserialize(value).map_err(|e| member_error(name, &e)),
        }
    }

    /// A member where `null` and missing read as `None`.
    pub(crate) fn optional<T: DeserializeOwned>(&mut self, name: &str) -> Result<Option<T>> {
        match self.map.remove(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => T::deserialize(value)
                .map(Some)
                .map_err(|e| member_error(name, &e)),
        }
    }
}

fn member_error(name: &str, error: &serde_json::Error) -> serde_json::Error {
    serde_json::Error::custom(format_args!("`{name}`: {error}"))
}

/// The body of a generated model's `Deserialize::deserialize`.
///
/// # Errors
///
/// The deserializer's error, or a member's (named), or an input that is not
/// a JSON object.
pub(crate) fn object<'de, D: Deserializer<'de>, T: Object>(
    deserializer: D,
) -> std::result::Result<T, D::Error> {
    let value = Value::deserialize(deserializer)?;
    from_value(value).map_err(D::Error::custom)
}

fn from_value<T: Object>(value: Value) -> Result<T> {
    match value {
        Value::Object(map) => T::from_fields(&mut Fields { map }),
        other => Err(serde_json::Error::custom(format_args!(
            "invalid type: {}, expected a JSON object",
            kind(&other)
        ))),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::{Fields, Object, Result};

    #[derive(Debug, Default, PartialEq)]
    struct Probe {
        name: String,
        count: i64,
        tags: Vec<String>,
        note: Option<String>,
    }

    impl Object for Probe {
        fn from_fields(fields: &mut Fields) -> Result<Self> {
            Ok(Self {
                name: fields.or_default("name")?,
                count: fields.or_default("count")?,
                tags: fields.or_default("tags")?,
                note: fields.optional("note")?,
            })
        }
    }

    impl<'de> serde::Deserialize<'de> for Probe {
        fn deserialize<D: serde::Deserializer<'de>>(
            deserializer: D,
        ) -> std::result::Result<Self, D::Error> {
            super::object(deserializer)
        }
    }

    #[test]
    fn members_read_leniently() {
        let full: Probe = serde_json::from_str(
            r#"{"name":"a","count":3,"tags":["x"],"note":"n","unknown":{"deep":[1]}}"#,
        )
        .unwrap_or_default();
        assert_eq!(
            full,
            Probe {
                name: "a".into(),
                count: 3,
                tags: vec!["x".into()],
                note: Some("n".into()),
            }
        );
        let nulls: std::result::Result<Probe, _> =
            serde_json::from_str(r#"{"name":null,"count":null,"tags":null,"note":null}"#);
        assert_eq!(nulls.ok(), Some(Probe::default()));
        let empty: std::result::Result<Probe, _> = serde_json::from_value(serde_json::json!({}));
        assert_eq!(empty.ok(), Some(Probe::default()));
    }

    #[test]
    fn a_wrong_member_is_an_error_that_names_it() {
        let wrong = serde_json::from_str::<Probe>(r#"{"count":"three"}"#)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(wrong.starts_with("`count`: invalid type"), "{wrong}");
        let not_an_object = serde_json::from_str::<Probe>("[1, 2]")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            not_an_object.contains("array, expected a JSON object"),
            "{not_an_object}"
        );
    }
}
