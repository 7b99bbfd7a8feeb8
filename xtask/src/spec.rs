//! The mapping file and a few helpers over the parsed OpenAPI document.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_yaml_ng::Value;

#[derive(Debug, Deserialize)]
pub struct Mapping {
    pub tags: BTreeMap<String, String>,
    pub groups: BTreeMap<String, Group>,
    #[serde(default)]
    pub operations: BTreeMap<String, OperationOverride>,
    #[serde(default)]
    pub handwritten: BTreeMap<String, String>,
    #[serde(default)]
    pub models: BTreeMap<String, String>,
    /// Generated operations the stand-in serves with a hand-written,
    /// stateful route rather than from the spec.
    #[serde(default)]
    pub stateful: Vec<String>,
    /// Query parameters the Backend API takes (and @clerk/backend sends)
    /// that the spec does not list: the stand-in accepts them.
    #[serde(default)]
    pub unlisted_query: BTreeMap<String, Vec<String>>,
    pub webhooks: Webhooks,
}

/// The webhook payload models to generate.
#[derive(Debug, Deserialize)]
pub struct Webhooks {
    /// The payload schemas to generate, with what they need.
    pub roots: Vec<String>,
    /// Schemas that have a model already.
    #[serde(default)]
    pub models: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
pub struct Group {
    pub api: String,
    pub feature: String,
    #[serde(default)]
    pub existing: bool,
    pub doc: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct OperationOverride {
    pub group: Option<String>,
    pub method: Option<String>,
    pub js: Option<String>,
    #[serde(default)]
    pub paginated: bool,
    /// The answer is text (an HTML page), not JSON: the method returns a
    /// `String`.
    #[serde(default)]
    pub text: bool,
}

pub fn get<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value.as_mapping()?.get(key)
}

pub fn str_of<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    get(value, key)?.as_str()
}

pub fn bool_of(value: &Value, key: &str) -> bool {
    get(value, key).and_then(Value::as_bool).unwrap_or(false)
}

pub fn seq_of<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    get(value, key)
        .and_then(Value::as_sequence)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Entries of a mapping, in file order, with string keys (numbers, as YAML
/// may read `200`, become their text).
pub fn entries(value: Option<&Value>) -> Vec<(String, &Value)> {
    let Some(map) = value.and_then(Value::as_mapping) else {
        return Vec::new();
    };
    map.iter()
        .map(|(k, v)| {
            let key = match k {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => String::new(),
            };
            (key, v)
        })
        .collect()
}

/// Follows a `$ref` (`#/components/...`) to its target.
pub fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    let mut value = value;
    for _ in 0..8 {
        let Some(reference) = str_of(value, "$ref") else {
            return value;
        };
        let mut target = doc;
        for part in reference.trim_start_matches("#/").split('/') {
            match get(target, part) {
                Some(next) => target = next,
                None => return value,
            }
        }
        value = target;
    }
    value
}

/// The JSON form of a YAML value (examples).
pub fn to_json(value: &Value) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}
