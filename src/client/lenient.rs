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
//!
//! `Serialize` goes the same way back ([`Members::members`] builds the JSON
//! object; `None` members are left out), so the derive's per-serializer
//! code is gone too. The object's keys come out in `serde_json::Map`'s
//! order, which is what `to_value` (the request body, the query) gave anyway.

use serde::de::{DeserializeOwned, Deserializer, Error as _};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

/// The result of decoding one member or model.
pub(crate) type Result<T> = std::result::Result<T, serde_json::Error>;

/// A model read from a JSON object, member by member (written by
/// `cargo xtask generate`).
pub(crate) trait Object: Sized {
    /// Takes the model's members out of `fields`. A member that does not
    /// decode reads as its default here and is reported by [`object`].
    fn from_fields(fields: &mut Fields) -> Self;
}

/// The members of one JSON object, taken out by name, and the first member
/// that did not decode. (No `?` per member in the generated code: that and
/// the clean-up paths it needs were most of each model's code.)
pub(crate) struct Fields {
    map: Map<String, Value>,
    error: Option<serde_json::Error>,
}

impl Fields {
    /// A member where `null` and missing read as `T::default()`.
    pub(crate) fn plain<T: DeserializeOwned + Default>(&mut self, name: &str) -> T {
        self.option(name).unwrap_or_default()
    }

    /// A member where `null` and missing read as `None`.
    pub(crate) fn option<T: DeserializeOwned>(&mut self, name: &str) -> Option<T> {
        match self.map.remove(name) {
            None | Some(Value::Null) => None,
            Some(value) => match T::deserialize(value) {
                Ok(value) => Some(value),
                Err(e) => {
                    self.fail(name, &e);
                    None
                }
            },
        }
    }

    fn fail(&mut self, name: &str, error: &serde_json::Error) {
        if self.error.is_none() {
            self.error = Some(member_error(name, error));
        }
    }
}

/// A model written as a JSON object, member by member (written by
/// `cargo xtask generate`).
pub(crate) trait Members {
    /// Puts the model's members into `out`.
    fn members(&self, out: &mut Out);
}

/// The members of one JSON object being written, and the first member that
/// did not serialize.
pub(crate) struct Out {
    map: Map<String, Value>,
    error: Option<serde_json::Error>,
}

impl Out {
    /// Writes a member.
    pub(crate) fn plain<T: Serialize>(&mut self, name: &str, value: &T) {
        match serde_json::to_value(value) {
            Ok(value) => self.insert(name, value),
            Err(e) => self.fail(&e),
        }
    }

    /// Writes a member unless it is `None`.
    pub(crate) fn option<T: Serialize>(&mut self, name: &str, value: &Option<T>) {
        if let Some(value) = value {
            self.plain(name, value);
        }
    }

    fn insert(&mut self, name: &str, value: Value) {
        self.map.insert(name.to_owned(), value);
    }

    fn fail(&mut self, error: &serde_json::Error) {
        if self.error.is_none() {
            self.error = Some(serde_json::Error::custom(error));
        }
    }
}

/// The body of a generated model's `Serialize::serialize`.
///
/// # Errors
///
/// A member that does not serialize, or the serializer's error.
pub(crate) fn serialize<S: Serializer>(
    model: &dyn Members,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::Error as _;
    match to_map(model) {
        Ok(map) => map.serialize(serializer),
        Err(e) => Err(S::Error::custom(e)),
    }
}

fn to_map(model: &dyn Members) -> Result<Map<String, Value>> {
    let mut out = Out {
        map: Map::new(),
        error: None,
    };
    model.members(&mut out);
    match out.error {
        None => Ok(out.map),
        Some(e) => Err(e),
    }
}

/// `Serialize` and `Deserialize` for a generated model, through [`Members`]
/// and [`Object`]: one line per member, `plain` (missing and `null` read as
/// the default) or `option` (missing and `null` read as `None`, which is left
/// out when written), then the field and its wire name. `params` models (a
/// request's body or query) are only read back by the testing kit's
/// dispatcher, so their `Deserialize` is behind `testing`.
macro_rules! serde_object {
    (params $name:ident { $( $how:ident $field:ident = $wire:literal; )* }) => {
        $crate::client::lenient::serde_object!(@ser $name { $( $how $field = $wire; )* });
        #[cfg(feature = "testing")]
        $crate::client::lenient::serde_object!(@de $name { $( $how $field = $wire; )* });
    };
    ($name:ident { $( $how:ident $field:ident = $wire:literal; )* }) => {
        $crate::client::lenient::serde_object!(@ser $name { $( $how $field = $wire; )* });
        $crate::client::lenient::serde_object!(@de $name { $( $how $field = $wire; )* });
    };
    (@ser $name:ident { $( $how:ident $field:ident = $wire:literal; )* }) => {
        impl $crate::client::lenient::Members for $name {
            // Compiled where the model is serialized, like derived code.
            #[inline]
            #[allow(unused_variables)]
            fn members(&self, out: &mut $crate::client::lenient::Out) {
                $( out.$how($wire, &self.$field); )*
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                $crate::client::lenient::serialize(self, serializer)
            }
        }
    };
    (@de $name:ident { $( $how:ident $field:ident = $wire:literal; )* }) => {
        impl $crate::client::lenient::Object for $name {
            #[inline]
            #[allow(unused_variables)]
            fn from_fields(fields: &mut $crate::client::lenient::Fields) -> Self {
                Self { $( $field: fields.$how($wire), )* }
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::client::lenient::object(deserializer)
            }
        }
    };
}
pub(crate) use serde_object;

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
    let mut fields = fields_of(value)?;
    let model = T::from_fields(&mut fields);
    match fields.error {
        None => Ok(model),
        Some(e) => Err(e),
    }
}

fn fields_of(value: Value) -> Result<Fields> {
    match value {
        Value::Object(map) => Ok(Fields { map, error: None }),
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
    #[derive(Debug, Default, PartialEq)]
    struct Probe {
        name: String,
        count: i64,
        tags: Vec<String>,
        note: Option<String>,
    }

    serde_object!(Probe {
        plain name = "name";
        plain count = "count";
        plain tags = "tags";
        option note = "note";
    });

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
    fn members_write_by_name_and_leave_none_out() {
        let probe = Probe {
            name: "a".into(),
            count: 0,
            tags: Vec::new(),
            note: None,
        };
        let written = serde_json::to_value(&probe).unwrap_or_default();
        assert_eq!(
            written,
            serde_json::json!({"name": "a", "count": 0, "tags": []})
        );
        let again: std::result::Result<Probe, _> = serde_json::from_value(written);
        assert_eq!(again.ok(), Some(probe));
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
