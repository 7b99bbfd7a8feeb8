//! Every operation of Clerk's OpenAPI file, as the stand-in sees it: each
//! request is validated against the parameters and body the spec gives (an
//! unknown query parameter or body member, a missing required one, or a
//! value of the wrong type gets Clerk's 422 body naming the parameter) before
//! anything answers it. The operations without a stateful resource are then
//! answered with a schema-valid example; the others (`stateful`) go on to
//! their hand-written resources. The table is generated
//! (`cargo xtask generate`, src/testing/bapi/generated.rs).

use serde_json::{json, Value};

use super::generated::OPERATIONS;
use super::spec_table::{BodySpec, SpecOp};
use super::util::decode_segment;
use super::{ApiRequest, Reply};

/// Paths the hand-written resources serve although a spec template matches
/// them (`GET /v1/clients/handshake_payload` is not in the spec).
const HAND_WRITTEN: &[(&str, &[&str])] = &[("GET", &["clients", "handshake_payload"])];

/// The answer for `request` when the spec table serves it, or refuses it:
/// `None` when a stateful resource is to answer (the request was valid) or
/// the spec has no such operation.
pub(super) fn serve(request: &ApiRequest<'_>) -> Option<Reply> {
    let op = operation(request.method, request.path)?;
    if op.stateful {
        return validate(op, request).err();
    }
    Some(answer(op, request).unwrap_or_else(|reply| reply))
}

/// The operation `method path` (still percent-encoded) is, if any.
fn operation(method: &str, path: &str) -> Option<&'static SpecOp> {
    // The machine-auth endpoints are also called without `/v1`.
    let rest = path
        .strip_prefix("/v1/")
        .or_else(|| super::machines_path(path))?;
    let segments: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode_segment)
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    if HAND_WRITTEN
        .iter()
        .any(|(m, p)| *m == method && *p == segments.as_slice())
    {
        return None;
    }
    most_specific(method, &segments)
}

/// The template that fits best: the most literal segments.
fn most_specific(method: &str, segments: &[&str]) -> Option<&'static SpecOp> {
    OPERATIONS
        .iter()
        .filter(|op| op.method == method && matches(op.path, segments))
        .max_by_key(|op| op.path.iter().filter(|s| !s.starts_with('{')).count())
}

/// The request checked against the operation's query and body.
fn validate(op: &SpecOp, request: &ApiRequest<'_>) -> Result<(), Reply> {
    check_query(op, request.query)?;
    check_body(op, request.body, request.multipart)
}

/// Whether `method path` is a public operation (no key needed).
pub(crate) fn is_public(method: &str, path: &str) -> bool {
    operation(method, path).is_some_and(|op| op.public)
}

/// The operation id the table would answer `method path` with (not a
/// stateful one), if any.
#[cfg(test)]
pub(crate) fn operation_of(method: &str, path: &[&str]) -> Option<&'static str> {
    most_specific(method, path)
        .filter(|op| !op.stateful)
        .map(|op| op.id)
}

fn matches(template: &[&str], segments: &[&str]) -> bool {
    template.len() == segments.len()
        && template
            .iter()
            .zip(segments)
            .all(|(t, s)| t.starts_with('{') || t == s)
}

fn answer(op: &SpecOp, request: &ApiRequest<'_>) -> Result<Reply, Reply> {
    validate(op, request)?;
    let mut value: Value = serde_json::from_str(op.example).unwrap_or(Value::Null);
    let paginated = request
        .query
        .iter()
        .any(|(k, v)| k == "paginated" && v == "true");
    if op.paginated_list && paginated {
        if let Value::Array(items) = value {
            let total = items.len();
            value = json!({"data": items, "total_count": total});
        }
    }
    if op.html {
        let page = value.as_str().unwrap_or_default().to_owned();
        return Ok(Reply::html(op.status, page));
    }
    if op.status == 204 {
        return Ok(Reply {
            status: 204,
            body: None,
            headers: Vec::new(),
        });
    }
    Ok(Reply::with_status(op.status, value))
}

fn check_query(op: &SpecOp, query: &[(String, String)]) -> Result<(), Reply> {
    for (key, value) in query {
        let name = key.strip_suffix("[]").unwrap_or(key);
        let Some(param) = op.query.iter().find(|p| p.name == name) else {
            return Err(Reply::unknown_param(key));
        };
        if !param.kind.accepts_text(value) {
            return Err(Reply::invalid(
                param.name,
                &format!("must be {}.", param.kind.describe()),
            ));
        }
    }
    for param in op.query.iter().filter(|p| p.required) {
        let present = query
            .iter()
            .any(|(k, _)| k.strip_suffix("[]").unwrap_or(k) == param.name);
        if !present {
            return Err(Reply::missing(param.name));
        }
    }
    Ok(())
}

fn check_body(op: &SpecOp, body: Option<&Value>, multipart: bool) -> Result<(), Reply> {
    let body = body.filter(|b| !b.is_null());
    let wants_multipart = op.body.as_ref().is_some_and(|b| b.multipart);
    if body.is_some() && multipart != wants_multipart {
        return Err(Reply::error(
            400,
            "request_body_invalid",
            if wants_multipart {
                "The request body must be multipart/form-data."
            } else {
                "The request body must be JSON."
            },
        ));
    }
    let Some(spec) = &op.body else {
        // No body in the spec: any member sent is unknown.
        if let Some(Value::Object(map)) = body {
            if let Some(key) = map.keys().next() {
                return Err(Reply::unknown_param(key));
            }
        }
        return Ok(());
    };
    let Some(body) = body else {
        if spec.required || spec.array {
            if let Some(field) = spec.fields.iter().find(|f| f.required) {
                return Err(Reply::missing(field.name));
            }
        }
        return Ok(());
    };
    if spec.array {
        let Some(items) = body.as_array() else {
            return Err(Reply::error(
                400,
                "request_body_invalid",
                "The request body must be a JSON array.",
            ));
        };
        return items.iter().try_for_each(|item| check_object(spec, item));
    }
    check_object(spec, body)
}

fn check_object(spec: &BodySpec, value: &Value) -> Result<(), Reply> {
    let Some(map) = value.as_object() else {
        return Err(Reply::error(
            400,
            "request_body_invalid",
            "The request body must be a JSON object.",
        ));
    };
    if spec.fields.is_empty() {
        return Ok(());
    }
    for (key, value) in map {
        let Some(field) = spec.fields.iter().find(|f| f.name == key) else {
            if spec.strict {
                return Err(Reply::unknown_param(key));
            }
            continue;
        };
        if value.is_null() {
            if field.required && !field.nullable {
                return Err(Reply::missing(field.name));
            }
            continue;
        }
        if !field.kind.accepts(value) {
            return Err(Reply::invalid(
                field.name,
                &format!("must be {}.", field.kind.describe()),
            ));
        }
    }
    for field in spec.fields.iter().filter(|f| f.required) {
        if map.get(field.name).is_none_or(Value::is_null) && !field.nullable {
            return Err(Reply::missing(field.name));
        }
    }
    Ok(())
}
