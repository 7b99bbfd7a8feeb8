//! Helpers shared by the stand-in's resources: parameter parsing and
//! validation, list paging and ordering, metadata merging.

use std::cmp::Ordering;

use serde_json::{json, Map, Value};

use super::{Answer, Reply};

pub(crate) fn now_ms() -> i64 {
    crate::clock::system_millis()
}

/// The stand-in's URL of an uploaded image (`{"filename", ..}` as the
/// multipart body reads), or of the default image when there is none.
pub(crate) fn image_url(owner_id: &str, file: Option<&Value>) -> String {
    let name = file
        .and_then(|f| f["filename"].as_str())
        .map(|n| percent_encoding::utf8_percent_encode(n, percent_encoding::NON_ALPHANUMERIC));
    match name {
        Some(name) => format!("https://img.clerk.com/stand-in/{owner_id}/{name}"),
        None => "https://img.clerk.com/stand-in".to_owned(),
    }
}

/// Percent-decodes one path segment (invalid escapes are kept as text).
pub(crate) fn decode_segment(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

/// The decoded query pairs of a request.
#[derive(Clone, Copy)]
pub(crate) struct Query<'a>(pub(crate) &'a [(String, String)]);

impl<'a> Query<'a> {
    /// Every value of `key`, in order.
    pub(crate) fn all(&self, key: &str) -> Vec<&'a str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The last value of `key`.
    pub(crate) fn one(&self, key: &str) -> Option<&'a str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `true`/`false`, else 422.
    pub(crate) fn bool(&self, key: &str) -> Result<Option<bool>, Reply> {
        match self.one(key) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(Reply::invalid(key, "must be true or false.")),
        }
    }

    /// An integer, else 422.
    pub(crate) fn int(&self, key: &str) -> Result<Option<i64>, Reply> {
        match self.one(key) {
            None => Ok(None),
            Some(text) => text
                .parse()
                .map(Some)
                .map_err(|_| Reply::invalid(key, "must be an integer.")),
        }
    }

    /// `limit` (1–500, default 10) and `offset` (≥ 0, default 0).
    pub(crate) fn page(&self) -> Result<(usize, usize), Reply> {
        let limit = self.int("limit")?.unwrap_or(10);
        if !(1..=500).contains(&limit) {
            return Err(Reply::invalid("limit", "must be between 1 and 500."));
        }
        let offset = self.int("offset")?.unwrap_or(0);
        if offset < 0 {
            return Err(Reply::invalid("offset", "must be 0 or greater."));
        }
        Ok((
            usize::try_from(limit).unwrap_or(10),
            usize::try_from(offset).unwrap_or(0),
        ))
    }

    /// Whether `paginated=true` was sent.
    pub(crate) fn paginated(&self) -> Result<bool, Reply> {
        Ok(self.bool("paginated")?.unwrap_or(false))
    }

    /// `order_by` as (field, descending), with `default` when absent; the
    /// field must be one of `allowed`.
    pub(crate) fn order_by(
        &self,
        default: &'static str,
        allowed: &[&str],
    ) -> Result<(String, bool), Reply> {
        let text = self.one("order_by").unwrap_or(default);
        let (field, descending) = match text.as_bytes().first() {
            Some(b'-') => (&text[1..], true),
            Some(b'+') => (&text[1..], false),
            _ => (text, false),
        };
        if allowed.contains(&field) {
            Ok((field.to_owned(), descending))
        } else {
            Err(Reply::invalid(
                "order_by",
                &format!("must be one of {}.", allowed.join(", ")),
            ))
        }
    }
}

/// 422 `form_param_unknown` for the first body key not in `known`.
pub(crate) fn check_known(body: &Value, known: &[&str]) -> Result<(), Reply> {
    if let Value::Object(map) = body {
        if let Some(key) = map.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(Reply::unknown_param(key));
        }
    }
    Ok(())
}

/// A string body field: absent/`null` → `None`, non-string → 422.
pub(crate) fn body_str(body: &Value, key: &str) -> Result<Option<String>, Reply> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Reply::invalid(key, "must be a string.")),
    }
}

/// A required, non-empty string body field.
pub(crate) fn body_required(body: &Value, key: &str) -> Result<String, Reply> {
    match body_str(body, key)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(Reply::missing(key)),
    }
}

/// A boolean body field.
pub(crate) fn body_bool(body: &Value, key: &str) -> Result<Option<bool>, Reply> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(Reply::invalid(key, "must be a boolean.")),
    }
}

/// An integer body field.
pub(crate) fn body_int(body: &Value, key: &str) -> Result<Option<i64>, Reply> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| Reply::invalid(key, "must be an integer.")),
        Some(_) => Err(Reply::invalid(key, "must be an integer.")),
    }
}

/// An array-of-strings body field (absent → empty).
pub(crate) fn body_strings(body: &Value, key: &str) -> Result<Vec<String>, Reply> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| Reply::invalid(key, "must be an array of strings."))
            })
            .collect(),
        Some(_) => Err(Reply::invalid(key, "must be an array of strings.")),
    }
}

/// A metadata body field: absent → `None`, an object → it, else 422.
pub(crate) fn body_object(body: &Value, key: &str) -> Result<Option<Map<String, Value>>, Reply> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map.clone())),
        Some(Value::Null) => Ok(Some(Map::new())),
        Some(_) => Err(Reply::invalid(key, "must be an object.")),
    }
}

/// Deep-merges `patch` into `target`: objects merge recursively, `null`
/// deletes a key, anything else replaces.
pub(crate) fn deep_merge(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (key, value) in patch {
        match value {
            Value::Null => {
                target.remove(key);
            }
            Value::Object(inner) => {
                if let Some(Value::Object(existing)) = target.get_mut(key) {
                    deep_merge(existing, inner);
                } else {
                    let mut fresh = Map::new();
                    deep_merge(&mut fresh, inner);
                    target.insert(key.clone(), Value::Object(fresh));
                }
            }
            other => {
                target.insert(key.clone(), other.clone());
            }
        }
    }
}

/// Applies the metadata calls' semantics to `object`: PATCH deep-merges,
/// PUT replaces each field given. Only `fields` are accepted.
pub(crate) fn apply_metadata(
    object: &mut Value,
    body: &Value,
    fields: &[&str],
    merge: bool,
) -> Result<(), Reply> {
    check_known(body, fields)?;
    let mut updates = Vec::new();
    for field in fields {
        if let Some(patch) = body_object(body, field)? {
            updates.push((*field, patch));
        }
    }
    for (field, patch) in updates {
        if merge {
            let mut current = match object.get(field) {
                Some(Value::Object(map)) => map.clone(),
                _ => Map::new(),
            };
            deep_merge(&mut current, &patch);
            object[field] = Value::Object(current);
        } else {
            object[field] = Value::Object(patch);
        }
    }
    object["updated_at"] = json!(now_ms());
    Ok(())
}

/// Orders values by a field, ties in insertion order (reversed when
/// descending, so that "newest first" holds for equal timestamps).
pub(crate) fn sort_by_field<T>(
    items: &mut [(usize, T)],
    descending: bool,
    key: impl Fn(&T) -> Value,
) {
    items.sort_by(|(ia, a), (ib, b)| {
        let order = compare(&key(a), &key(b)).then(ia.cmp(ib));
        if descending {
            order.reverse()
        } else {
            order
        }
    });
}

/// JSON values in a useful order: null first, then numbers, then
/// case-insensitive strings.
pub(crate) fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => a.to_string().cmp(&b.to_string()),
    }
}

/// One page of `items`.
pub(crate) fn page<T: Clone>(items: &[T], (limit, offset): (usize, usize)) -> Vec<T> {
    items.iter().skip(offset).take(limit).cloned().collect()
}

/// `{data, total_count}`.
pub(crate) fn paginated(data: Vec<Value>, total: usize) -> Answer {
    Ok(Reply::ok(json!({ "data": data, "total_count": total })))
}

/// A bare array, or `{data, total_count}` when `paginated=true` was sent.
pub(crate) fn list_answer(data: Vec<Value>, total: usize, as_page: bool) -> Answer {
    if as_page {
        paginated(data, total)
    } else {
        Ok(Reply::ok(Value::Array(data)))
    }
}

/// Case-insensitive "contains".
pub(crate) fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

/// `value` as a string, or "".
pub(crate) fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("")
}

/// A placeholder or signed session token for `session`.
pub(crate) fn session_jwt(
    issuer: Option<&crate::testing::TestIssuer>,
    session: &Value,
    template: Option<&str>,
    lifetime_seconds: Option<u64>,
    azp: Option<&str>,
) -> String {
    let user_id = text(&session["user_id"]);
    let session_id = text(&session["id"]);
    let lifetime = lifetime_seconds.unwrap_or(60);
    if let Some(issuer) = issuer {
        let mut builder = issuer
            .session(user_id)
            .session_id(session_id)
            .lifetime(std::time::Duration::from_secs(lifetime));
        if let Some(org) = session["last_active_organization_id"].as_str() {
            builder = builder.claim("org_id", org);
        }
        if let Some(template) = template {
            builder = builder.claim("template", template);
        }
        if let Some(azp) = azp {
            builder = builder.azp(azp);
        }
        return builder.sign();
    }
    use base64::Engine as _;
    let now = now_ms() / 1000;
    let header = json!({"alg": "none", "typ": "JWT", "kid": "stand_in_placeholder"});
    let mut payload = json!({
        "sub": user_id, "sid": session_id, "iat": now, "nbf": now,
        "exp": now + i64::try_from(lifetime).unwrap_or(60),
    });
    if let Some(template) = template {
        payload["template"] = json!(template);
    }
    format!(
        "{}.{}.placeholder-signature",
        crate::encoding::URL_SAFE.encode(header.to_string()),
        crate::encoding::URL_SAFE.encode(payload.to_string())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_segment_decodes_escapes() {
        assert_eq!(decode_segment("a%2Fb%3F%25"), "a/b?%");
        assert_eq!(decode_segment("%C3%A9"), "é");
    }

    #[test]
    fn decode_segment_keeps_broken_escapes() {
        assert_eq!(decode_segment("100%"), "100%");
        assert_eq!(decode_segment("%zz"), "%zz");
        assert_eq!(decode_segment("%4"), "%4");
    }

    #[test]
    fn deep_merge_merges_and_deletes() {
        let mut target = json!({"a": {"x": 1, "y": 2}, "b": 1, "c": 3});
        let patch = json!({"a": {"y": null, "z": 3}, "b": null, "d": [1]});
        let (Value::Object(target_map), Value::Object(patch_map)) = (&mut target, &patch) else {
            panic!("objects")
        };
        deep_merge(target_map, patch_map);
        assert_eq!(target, json!({"a": {"x": 1, "z": 3}, "c": 3, "d": [1]}));
    }

    #[test]
    fn order_by_parses_sign() {
        let pairs = [("order_by".to_owned(), "-updated_at".to_owned())];
        let q = Query(&pairs);
        assert_eq!(
            q.order_by("-created_at", &["created_at", "updated_at"])
                .unwrap(),
            ("updated_at".to_owned(), true)
        );
        let bad = [("order_by".to_owned(), "+nope".to_owned())];
        assert_eq!(
            Query(&bad)
                .order_by("created_at", &["created_at"])
                .unwrap_err()
                .status,
            422
        );
    }

    #[test]
    fn page_rejects_out_of_range_limit() {
        let pairs = [("limit".to_owned(), "501".to_owned())];
        assert_eq!(Query(&pairs).page().unwrap_err().status, 422);
        let pairs = [("limit".to_owned(), "abc".to_owned())];
        assert_eq!(Query(&pairs).page().unwrap_err().status, 422);
        assert_eq!(Query(&[]).page().unwrap(), (10, 0));
    }
}
