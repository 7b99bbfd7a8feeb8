//! Response shapes shared by every resource, and the helpers that keep the
//! models lenient.
//!
//! Clerk adds fields and enum values over time, and real answers are often
//! partial; a strict model turns that into a production outage (clerk-rs
//! users met exactly this). So every model here:
//!
//! * ignores unknown fields;
//! * uses `#[serde(default)]`, so a missing field gets its default, and reads
//!   `null` as the default for non-`Option` fields (`null_default`);
//! * keeps unknown enum values in an `Other(String)` variant.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

pub(crate) use crate::backend::null_default;

/// Metadata as Clerk stores it: a JSON object whose keys are yours.
pub type Metadata = Map<String, Value>;

/// Defines a string enum that keeps unknown values in `Other(String)`.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version of the crate does not know.
            Other(String),
        }

        impl $name {
            /// The wire value, e.g. as sent in a query parameter.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )+
                    Self::Other(other) => other,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $( $text => Self::$variant, )+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::Other(String::new())
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = Option::<String>::deserialize(deserializer)?.unwrap_or_default();
                Ok(Self::from(text.as_str()))
            }
        }
    };
}
pub(crate) use string_enum;

/// Builder setters for parameter structs whose fields are `Option<_>` or
/// `Vec<String>`.
macro_rules! setters {
    ($( $(#[$doc:meta])* $name:ident: $kind:ident $(($ty:ty))?; )*) => {
        $( $crate::client::models::setters!(@one $(#[$doc])* $name $kind $($ty)?); )*
    };
    (@one $(#[$doc:meta])* $name:ident string) => {
        $(#[$doc])*
        pub fn $name(mut self, value: impl Into<String>) -> Self {
            self.$name = Some(value.into());
            self
        }
    };
    (@one $(#[$doc:meta])* $name:ident strings) => {
        $(#[$doc])*
        pub fn $name<I, S>(mut self, values: I) -> Self
        where
            I: IntoIterator<Item = S>,
            S: Into<String>,
        {
            self.$name = values.into_iter().map(Into::into).collect();
            self
        }
    };
    (@one $(#[$doc:meta])* $name:ident value $ty:ty) => {
        $(#[$doc])*
        pub fn $name(mut self, value: $ty) -> Self {
            self.$name = Some(value);
            self
        }
    };
}
pub(crate) use setters;

/// One page of a list, with the total number of matches.
///
/// Decodes both list shapes of the Backend API: `{"data": [...],
/// "total_count": N}` and a bare array (whose `total_count` is its length).
///
/// # Examples
///
/// ```
/// use clerk_actix::client::{Organization, PaginatedList};
///
/// let page: PaginatedList<Organization> = serde_json::from_str(
///     r#"{"data": [{"object": "organization", "id": "org_1", "name": "Acme"}], "total_count": 7}"#,
/// )?;
/// assert_eq!(page.data[0].name, "Acme");
/// assert_eq!(page.total_count, 7);
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct PaginatedList<T> {
    /// The items of this page.
    pub data: Vec<T>,
    /// How many items match, over all pages.
    pub total_count: u64,
}

impl<T> Default for PaginatedList<T> {
    fn default() -> Self {
        Self {
            data: Vec::new(),
            total_count: 0,
        }
    }
}

impl<T> PaginatedList<T> {
    pub(crate) fn new(data: Vec<T>, total_count: u64) -> Self {
        Self { data, total_count }
    }
}

impl<T> IntoIterator for PaginatedList<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.data.into_iter()
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for PaginatedList<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Array(items) => {
                let total = items.len() as u64;
                let data = serde_json::from_value(Value::Array(items)).map_err(D::Error::custom)?;
                Ok(Self::new(data, total))
            }
            Value::Object(mut object) => {
                // `GET /m2m_tokens` names its items `m2m_tokens`.
                let items = object
                    .remove("data")
                    .or_else(|| object.remove("m2m_tokens"));
                let data = match items {
                    None | Some(Value::Null) => Vec::new(),
                    Some(items) => serde_json::from_value(items).map_err(D::Error::custom)?,
                };
                let total_count = match object.remove("total_count") {
                    Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
                    _ => data.len() as u64,
                };
                Ok(Self::new(data, total_count))
            }
            other => Err(D::Error::custom(format!(
                "expected a list (an array or {{data, total_count}}), found {other}"
            ))),
        }
    }
}

/// The answer to a delete: `{"object": "user", "id": "user_1", "deleted": true}`.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::DeletedObject;
///
/// let value: DeletedObject = serde_json::from_str(
///     r#"{"object": "user", "id": "user_1", "deleted": true}"#,
/// )?;
/// assert!(value.deleted);
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct DeletedObject {
    /// The type of what was deleted, e.g. `user`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// Its id.
    pub id: Option<String>,
    /// Its slug (organizations).
    pub slug: Option<String>,
    /// `true`.
    #[serde(deserialize_with = "null_default")]
    pub deleted: bool,
    /// Its external id (users).
    pub external_id: Option<String>,
}

/// `{"object": "total_count", "total_count": N}`.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::TotalCount;
///
/// let value: TotalCount = serde_json::from_str(
///     r#"{"object": "total_count", "total_count": 42}"#,
/// )?;
/// assert_eq!(value.total_count, 42);
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct TotalCount {
    /// `total_count`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// The count.
    #[serde(deserialize_with = "null_default")]
    pub total_count: u64,
}

/// Limit and offset, for lists that take nothing else.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::Pagination;
///
/// let second_page = Pagination::default().limit(20).offset(20);
/// # let _ = second_page;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct Pagination {
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<u32>,
}

impl Pagination {
    /// At most this many items (1–500). Defaults to the API's default, 10.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Skip this many items. Defaults to 0.
    pub fn offset(mut self, offset: u32) -> Self {
        self.offset = Some(offset);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::client::VerificationStatus as Color;

    #[test]
    fn string_enum_known_and_unknown_values() {
        assert_eq!(
            serde_json::from_value::<Color>(json!("verified")).unwrap(),
            Color::Verified
        );
        assert_eq!(Color::Verified.to_string(), "verified");
        let other = serde_json::from_value::<Color>(json!("blue")).unwrap();
        assert_eq!(other, Color::Other("blue".into()));
        assert_eq!(serde_json::to_value(&other).unwrap(), json!("blue"));
        assert_eq!(
            serde_json::from_value::<Color>(Value::Null).unwrap(),
            Color::default()
        );
    }

    #[test]
    fn paginated_list_reads_both_shapes() {
        let page: PaginatedList<Value> =
            serde_json::from_value(json!({"data": [1, 2], "total_count": 9})).unwrap();
        assert_eq!((page.data.len(), page.total_count), (2, 9));
        let bare: PaginatedList<Value> = serde_json::from_value(json!([1, 2, 3])).unwrap();
        assert_eq!((bare.data.len(), bare.total_count), (3, 3));
        let empty: PaginatedList<Value> = serde_json::from_value(json!({})).unwrap();
        assert_eq!(empty, PaginatedList::default());
    }

    #[test]
    fn paginated_list_rejects_a_string() {
        assert!(serde_json::from_value::<PaginatedList<Value>>(json!("x")).is_err());
    }

    #[test]
    fn paginated_list_item_errors_are_reported() {
        let err = serde_json::from_value::<PaginatedList<TotalCount>>(json!({"data": [1]}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected struct TotalCount"), "{err}");
    }

    #[test]
    fn null_fields_become_defaults() {
        let deleted: DeletedObject =
            serde_json::from_value(json!({"object": null, "deleted": null})).unwrap();
        assert_eq!(deleted, DeletedObject::default());
    }
}
