//! The stand-in's table of Clerk's operations, as types: what the
//! generated table (`cargo xtask generate`, generated.rs) is written in and
//! what the validation ([`super::spec`]) reads.

use serde_json::Value;

/// One operation of the table.
pub(super) struct SpecOp {
    #[cfg_attr(not(test), allow(dead_code))]
    pub(super) id: &'static str,
    pub(super) method: &'static str,
    /// Path segments after `/v1`; `{name}` is a parameter.
    pub(super) path: &'static [&'static str],
    pub(super) query: &'static [QueryParam],
    pub(super) body: Option<BodySpec>,
    pub(super) status: u16,
    /// The list answers `{data, total_count}` with `paginated=true`, a bare
    /// array without.
    pub(super) paginated_list: bool,
    /// Answered by a hand-written, stateful resource once validated.
    pub(super) stateful: bool,
    /// The spec's `security: []`: answered without a key.
    pub(super) public: bool,
    /// The answer is an HTML page (the example is its JSON string).
    pub(super) html: bool,
    /// The answer, as JSON text.
    pub(super) example: &'static str,
}

/// A query parameter.
pub(super) struct QueryParam {
    pub(super) name: &'static str,
    pub(super) kind: Kind,
    pub(super) required: bool,
}

/// A JSON body: an object, or an array of them (bulk operations).
pub(super) struct BodySpec {
    pub(super) array: bool,
    pub(super) required: bool,
    /// Unknown members are refused.
    pub(super) strict: bool,
    /// Sent as `multipart/form-data` (an upload), not JSON.
    pub(super) multipart: bool,
    pub(super) fields: &'static [Field],
}

/// A member of a JSON body.
pub(super) struct Field {
    pub(super) name: &'static str,
    pub(super) kind: Kind,
    pub(super) required: bool,
    pub(super) nullable: bool,
}

/// What a value must look like.
#[allow(dead_code)] // `Number`: no parameter of today's spec is one.
pub(super) enum Kind {
    Any,
    String,
    Integer,
    Number,
    Boolean,
    Object,
    Enum(&'static [&'static str]),
    Array(&'static Kind),
    /// A file part of a `multipart/form-data` body.
    File,
}

impl Kind {
    /// A query value (text).
    pub(super) fn accepts_text(&self, text: &str) -> bool {
        match self {
            Kind::Integer => text.parse::<i64>().is_ok(),
            Kind::Number => text.parse::<f64>().is_ok(),
            Kind::Boolean => matches!(text, "true" | "false"),
            Kind::Enum(values) => values.contains(&text),
            Kind::Array(inner) => inner.accepts_text(text),
            Kind::Any | Kind::String | Kind::Object => true,
            Kind::File => false,
        }
    }

    /// A body value (JSON, not null).
    pub(super) fn accepts(&self, value: &Value) -> bool {
        match self {
            Kind::Any => true,
            Kind::String => value.is_string(),
            Kind::Integer => value.is_i64() || value.is_u64(),
            Kind::Number => value.is_number(),
            Kind::Boolean => value.is_boolean(),
            // A file part reads as `{filename, content_type, size}`.
            Kind::Object | Kind::File => value.is_object(),
            Kind::Enum(values) => value.as_str().is_some_and(|v| values.contains(&v)),
            Kind::Array(inner) => value
                .as_array()
                .is_some_and(|items| items.iter().all(|item| inner.accepts(item))),
        }
    }

    pub(super) fn describe(&self) -> String {
        match self {
            Kind::Any => "a value".into(),
            Kind::String => "a string".into(),
            Kind::Integer => "an integer".into(),
            Kind::Number => "a number".into(),
            Kind::Boolean => "a boolean".into(),
            Kind::Object => "an object".into(),
            Kind::Enum(values) => format!("one of {}", values.join(", ")),
            Kind::Array(inner) => format!("a list of {}", inner.describe()),
            Kind::File => "a file".into(),
        }
    }
}
