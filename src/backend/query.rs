//! Query strings the way the Backend API reads them.
//!
//! Parameters are serialized with serde to a JSON object, then flattened:
//!
//! * keys are sent as serialized (the parameter structs of this module use the
//!   wire names, which are snake_case);
//! * arrays become repeated keys (`user_id=a&user_id=b`), never brackets or
//!   commas; an empty array sends nothing;
//! * `None`/`null` and empty strings are dropped, like the JS SDK drops them;
//! * `false` and `0` **are sent** when they were set explicitly. The JS SDK
//!   drops every falsy value because JavaScript cannot tell "not given" from
//!   `false`; in Rust `Option` can, and `banned=false` is a meaningful filter.
//!   Parameters nobody set are `None` and never reach the wire.
//! * values are form-urlencoded like `URLSearchParams`: a space is `+`, a
//!   literal `+` is `%2B` (so `order_by=%2Bcreated_at` keeps its sign).

use serde_json::Value;

/// Flattens a serialized parameter object into query pairs.
///
/// Returns an error message for shapes a query string cannot carry (nested
/// objects, arrays of arrays, a top level that is not an object).
pub(crate) fn to_pairs(value: &Value) -> Result<Vec<(String, String)>, String> {
    let object = match value {
        Value::Object(object) => object,
        Value::Null => return Ok(Vec::new()),
        other => {
            return Err(format!(
                "query parameters must serialize to an object, not {}",
                kind(other)
            ))
        }
    };
    let mut pairs = Vec::new();
    for (key, value) in object {
        match value {
            Value::Array(items) => {
                for item in items {
                    if let Some(text) = scalar(key, item)? {
                        pairs.push((key.clone(), text));
                    }
                }
            }
            other => {
                if let Some(text) = scalar(key, other)? {
                    pairs.push((key.clone(), text));
                }
            }
        }
    }
    Ok(pairs)
}

fn scalar(key: &str, value: &Value) -> Result<Option<String>, String> {
    Ok(match value {
        Value::Null => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        other => {
            return Err(format!(
                "query parameter `{key}` is {}, which a query string cannot carry",
                kind(other)
            ))
        }
    })
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `key=value&key=value`, form-urlencoded, in the given order.
pub(crate) fn encode(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pairs(value: Value) -> Vec<(String, String)> {
        to_pairs(&value).unwrap()
    }

    fn p(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn arrays_become_repeated_keys() {
        assert_eq!(
            pairs(json!({"user_id": ["a", "b"]})),
            vec![p("user_id", "a"), p("user_id", "b")]
        );
    }

    #[test]
    fn empty_array_sends_nothing() {
        assert!(pairs(json!({"user_id": []})).is_empty());
    }

    #[test]
    fn null_and_empty_string_are_dropped() {
        assert!(pairs(json!({"query": null, "order_by": ""})).is_empty());
    }

    #[test]
    fn explicit_false_and_zero_are_sent() {
        assert_eq!(
            pairs(json!({"banned": false, "offset": 0})),
            vec![p("banned", "false"), p("offset", "0")]
        );
    }

    #[test]
    fn true_and_numbers_are_decimal_text() {
        assert_eq!(
            pairs(json!({"paginated": true, "limit": 25})),
            vec![p("limit", "25"), p("paginated", "true")]
        );
    }

    #[test]
    fn nested_object_fails() {
        let err = to_pairs(&json!({"filter": {"a": 1}})).unwrap_err();
        assert!(err.contains("`filter`"), "{err}");
    }

    #[test]
    fn array_of_arrays_fails() {
        assert!(to_pairs(&json!({"x": [[1]]})).is_err());
    }

    #[test]
    fn top_level_array_fails() {
        assert!(to_pairs(&json!([1, 2])).is_err());
    }

    #[test]
    fn null_top_level_is_no_pairs() {
        assert!(pairs(Value::Null).is_empty());
    }

    #[test]
    fn encode_plus_sign_is_percent_encoded() {
        assert_eq!(
            encode(&[p("order_by", "+created_at")]),
            "order_by=%2Bcreated_at"
        );
    }

    #[test]
    fn encode_space_is_plus_and_reserved_are_escaped() {
        assert_eq!(
            encode(&[p("query", "a b&c=d/é~")]),
            "query=a+b%26c%3Dd%2F%C3%A9%7E"
        );
    }

    #[test]
    fn encode_keeps_order_and_unreserved() {
        assert_eq!(
            encode(&[p("email_address", "a.b-c_d*@x.io"), p("limit", "10")]),
            "email_address=a.b-c_d*%40x.io&limit=10"
        );
    }

    #[test]
    fn encode_empty_is_empty() {
        assert_eq!(encode(&[]), "");
    }
}
