//! Call any Backend API operation by its OpenAPI id with wire-form
//! arguments: the entry point for conformance tests that drive every
//! operation from data.
//!
//! [`call`] deserialises the arguments into the operation's parameter types
//! and calls the one typed method for it (no second road to the API), then
//! serialises the decoded answer back to JSON. The table of arms is
//! generated with the rest of the typed API (`cargo xtask generate`).
//!
//! ```
//! # actix_web::rt::System::new().block_on(async {
//! use clerk_actix::testing::{operations, StandIn};
//! use serde_json::json;
//!
//! let stand_in = StandIn::builder().user(json!({"id": "user_1", "first_name": "Ada"})).start()?;
//! let client = stand_in.clerk()?.client();
//! let user = operations::call(&client, "GetUser", json!({"path": {"user_id": "user_1"}})).await?;
//! assert_eq!(user["first_name"], "Ada");
//! assert!(matches!(
//!     operations::call(&client, "NoSuchOperation", json!({})).await,
//!     Err(operations::OperationError::Unknown(_))
//! ));
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::client::{ClerkClient, Error};

#[path = "operations_generated.rs"]
mod generated;

/// Why [`call`] did not give an answer.
#[derive(Debug, derive_more::Display, derive_more::Error)]
#[non_exhaustive]
pub enum OperationError {
    /// No typed method for this operation id (unknown, not typed, or behind
    /// a feature that is off).
    #[display("no typed method for operation {_0}")]
    Unknown(#[error(not(source))] String),
    /// The arguments don't fit the operation's parameters.
    #[display("the arguments do not fit: {_0}")]
    Args(#[error(not(source))] String),
    /// The call itself failed.
    #[display("{_0}")]
    Api(Error),
}

/// Every operation id of the OpenAPI file the crate was generated from, in
/// its order (249 for `2026-05-12`).
#[must_use]
pub fn operation_ids() -> &'static [&'static str] {
    generated::OPERATION_IDS
}

/// Calls the typed method for an OpenAPI operation with wire-form arguments.
///
/// `operation_id` is as in the OpenAPI file (`"GetUserList"`); `args` is
/// `{"path": {..}, "query": {..}, "body": <json or null>}` with the wire
/// names (path and query parameters as the spec writes them, body members
/// as on the wire). Missing keys are allowed: `{}` is a valid `args`.
///
/// # Errors
///
/// [`OperationError::Unknown`] when no typed method exists for the id (or
/// its feature is off), [`OperationError::Args`] when the arguments don't
/// fit its parameters, [`OperationError::Api`] when the call fails.
pub async fn call(
    client: &ClerkClient,
    operation_id: &str,
    args: Value,
) -> Result<Value, OperationError> {
    let args = Args::new(args)?;
    let answer = match generated::dispatch(client, operation_id, &args) {
        Some(call) => call.await,
        None => Err(OperationError::Unknown(operation_id.to_owned())),
    };
    answer
}

/// The three parts of the wire arguments.
struct Args {
    path: Map<String, Value>,
    query: Value,
    body: Value,
}

impl Args {
    fn new(args: Value) -> Result<Self, OperationError> {
        let mut map = match args {
            Value::Object(map) => map,
            Value::Null => Map::new(),
            other => {
                return Err(OperationError::Args(format!(
                    "expected an object {{path, query, body}}, found {other}"
                )))
            }
        };
        let path = match map.remove("path") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(path)) => path,
            Some(other) => {
                return Err(OperationError::Args(format!(
                    "`path` must be an object, found {other}"
                )))
            }
        };
        Ok(Self {
            path,
            query: map.remove("query").unwrap_or(Value::Null),
            body: map.remove("body").unwrap_or(Value::Null),
        })
    }

    /// A path parameter as text; a missing one is empty (and the typed
    /// method then refuses to send).
    fn path(&self, name: &str) -> String {
        match self.path.get(name) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        }
    }
}

/// The wire value decoded as `T`; `null` (a missing part) reads as `{}`.
fn arg<T: DeserializeOwned>(value: &Value) -> Result<T, OperationError> {
    // Generic only where it must be: one `from_value` per try.
    let (value, empty) = arg_value(value);
    match serde_json::from_value::<T>(value) {
        Ok(t) => Ok(t),
        // A list body given as nothing is an empty list.
        Err(e) if empty => {
            serde_json::from_value::<T>(Value::Array(Vec::new())).map_err(|_| args_error(&e))
        }
        Err(e) => Err(args_error(&e)),
    }
}

/// The wire value to decode (`null` reads as `{}`), and whether it is `{}`.
fn arg_value(value: &Value) -> (Value, bool) {
    match value {
        Value::Null => (Value::Object(Map::new()), true),
        other => (
            other.clone(),
            matches!(other, Value::Object(map) if map.is_empty()),
        ),
    }
}

fn args_error(error: &serde_json::Error) -> OperationError {
    OperationError::Args(error.to_string())
}

/// A string member of the body (empty when missing).
fn field(body: &Value, name: &str) -> String {
    opt_field(body, name).unwrap_or_default()
}

/// A string member of the body, if there is one.
fn opt_field(body: &Value, name: &str) -> Option<String> {
    body.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// An integer member of the body (0 when missing).
fn u32_field(body: &Value, name: &str) -> u32 {
    body.get(name)
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0)
}

/// The typed answer serialised back to JSON.
fn out<T: Serialize>(result: Result<T, Error>) -> Result<Value, OperationError> {
    match result {
        Ok(value) => serde_json::to_value(value).map_err(|e| args_error(&e)),
        Err(e) => Err(OperationError::Api(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::bapi::generated::EXAMPLE_ARGS;
    use crate::testing::bapi::spec::operation_of;
    use crate::testing::StandIn;
    use serde_json::json;

    /// Whether a recorded path (`/v1/users/x%2Fy`) fits a template
    /// (`/users/{user_id}`), segment by segment.
    fn fits(template: &str, path: &str) -> bool {
        let path = path.strip_prefix("/v1").unwrap_or(path);
        let sent: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect();
        let wanted: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
        sent.len() == wanted.len()
            && wanted
                .iter()
                .zip(&sent)
                .all(|(t, s)| t.starts_with('{') || t == s)
    }

    #[test]
    fn every_operation_round_trips_through_the_stand_in() {
        actix_web::rt::System::new().block_on(async {
            let stand_in = StandIn::start().unwrap();
            let client = stand_in.clerk().unwrap().client();
            assert_eq!(operation_ids().len(), EXAMPLE_ARGS.len());
            let mut typed = 0;
            let mut served = 0;
            let mut unknown = Vec::new();
            let mut failures = Vec::new();
            for (id, method, template, args) in EXAMPLE_ARGS {
                let args: Value = serde_json::from_str(args).unwrap();
                stand_in.clear_requests();
                let result = call(&client, id, args).await;
                let sent = stand_in.requests();
                match &result {
                    Err(OperationError::Unknown(_)) => {
                        assert!(sent.is_empty(), "{id}: sent without a typed method");
                        unknown.push(*id);
                        continue;
                    }
                    Err(OperationError::Args(e)) => failures.push(format!("{id}: args: {e}")),
                    Err(OperationError::Api(e))
                        if !e.status().is_some_and(|s| (400..500).contains(&s)) =>
                    {
                        failures.push(format!("{id}: {e}"));
                    }
                    // The stateful resources know none of the example ids and
                    // check the example data as Clerk would (e.g. emails);
                    // the spec-served operations must succeed (below).
                    Err(OperationError::Api(_)) | Ok(_) => {}
                }
                typed += 1;
                // What it sent is the operation the spec says (the users list
                // also sends its count).
                let Some(first) = sent.first() else {
                    failures.push(format!("{id}: sent nothing"));
                    continue;
                };
                if first.method() != *method || !fits(template, first.path()) {
                    failures.push(format!(
                        "{id}: sent {} {}, the spec says {method} {template}",
                        first.method(),
                        first.path()
                    ));
                }
                let segments: Vec<String> = first
                    .path()
                    .trim_start_matches("/v1/")
                    .split('/')
                    .map(|s| {
                        percent_encoding::percent_decode_str(s)
                            .decode_utf8_lossy()
                            .into_owned()
                    })
                    .collect();
                let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
                if let Some(spec_id) = operation_of(method, &segments) {
                    assert_eq!(spec_id, *id, "{id}: the stand-in served another operation");
                    assert!(result.is_ok(), "{id}: {result:?}");
                    served += 1;
                }
            }
            assert!(failures.is_empty(), "{}", failures.join("\n"));
            if cfg!(feature = "full") {
                assert!(unknown.is_empty(), "not typed: {unknown:?}");
                assert_eq!(typed, 249);
            }
            assert!(served > 0 || !cfg!(feature = "full"));
            eprintln!(
                "round trip: {typed} typed, {served} served from the spec, {} unknown",
                unknown.len()
            );
        });
    }

    #[test]
    fn a_call_that_does_not_fit_the_spec_gets_clerks_422() {
        actix_web::rt::System::new().block_on(async {
            let stand_in = StandIn::start().unwrap();
            let client = stand_in.clerk().unwrap().client();
            // An unknown query parameter, through the raw request builder.
            let err = client
                .request(crate::client::Method::POST, "/users/ban")
                .json(&json!({"user_ids": ["user_1"], "reason": "spam"}))
                .send::<Value>()
                .await
                .unwrap_err();
            let api = err.api_error().unwrap();
            assert_eq!(api.status(), 422);
            assert_eq!(api.errors()[0].code, "form_param_unknown");
            assert_eq!(api.errors()[0].meta["param_name"], "reason");
            // A missing required member.
            let err = client
                .request(crate::client::Method::POST, "/users/ban")
                .json(&json!({"other": 1}))
                .send::<Value>()
                .await
                .unwrap_err();
            assert_eq!(
                err.api_error().unwrap().errors()[0].code,
                "form_param_unknown"
            );
            let err = client
                .request(crate::client::Method::POST, "/users/ban")
                .json(&json!({}))
                .send::<Value>()
                .await
                .unwrap_err();
            let detail = &err.api_error().unwrap().errors()[0];
            assert_eq!(detail.code, "form_param_missing");
            assert_eq!(detail.meta["param_name"], "user_ids");
            // A value of the wrong type.
            let err = client
                .request(crate::client::Method::POST, "/users/ban")
                .json(&json!({"user_ids": "user_1"}))
                .send::<Value>()
                .await
                .unwrap_err();
            let detail = &err.api_error().unwrap().errors()[0];
            assert_eq!(detail.code, "form_param_format_invalid");
            assert_eq!(detail.meta["param_name"], "user_ids");
            // An unknown query parameter.
            let err = client
                .request(crate::client::Method::GET, "/organization_domains")
                .query(&json!({"limit": 5, "colour": "blue"}))
                .send::<Value>()
                .await
                .unwrap_err();
            assert_eq!(
                err.api_error().unwrap().errors()[0].meta["param_name"],
                "colour"
            );
            let err = client
                .request(crate::client::Method::GET, "/organization_domains")
                .query(&json!({"limit": "ten"}))
                .send::<Value>()
                .await
                .unwrap_err();
            assert_eq!(
                err.api_error().unwrap().errors()[0].meta["param_name"],
                "limit"
            );
        });
    }

    #[test]
    fn args_that_do_not_fit_are_an_args_error() {
        actix_web::rt::System::new().block_on(async {
            let stand_in = StandIn::start().unwrap();
            let client = stand_in.clerk().unwrap().client();
            let err = call(&client, "GetUserList", json!({"query": {"limit": "many"}}))
                .await
                .unwrap_err();
            assert!(matches!(err, OperationError::Args(_)), "{err:?}");
            let err = call(&client, "GetUser", json!("user_1")).await.unwrap_err();
            assert!(matches!(err, OperationError::Args(_)), "{err:?}");
            assert!(stand_in.requests().is_empty());
        });
    }

    #[test]
    fn an_upload_in_wire_form_sends_the_file_and_one_without_it_gets_clerks_422() {
        actix_web::rt::System::new().block_on(async {
            let stand_in = StandIn::builder()
                .organization(json!({"id": "org_1", "name": "Acme"}))
                .start()
                .unwrap();
            let client = stand_in.clerk().unwrap().client();
            // The file in wire form: {name, content_type, base64}.
            let file =
                json!({"name": "logo.png", "content_type": "image/png", "base64": "aGVsbG8="});
            let answer = call(
                &client,
                "UploadOrganizationLogo",
                json!({"path": {"organization_id": "org_1"}, "body": {"file": file}}),
            )
            .await
            .unwrap();
            assert_eq!(answer["id"], "org_1");
            assert_eq!(answer["has_image"], true);
            let sent = stand_in.requests()[0].body().to_owned();
            assert!(
                sent.contains("filename=\"logo.png\"\r\nContent-Type: image/png\r\n\r\nhello\r\n"),
                "{sent}"
            );
            // Bad base64 is an argument error; nothing is sent.
            stand_in.clear_requests();
            let err = call(
                &client,
                "UploadOrganizationLogo",
                json!({"path": {"organization_id": "org_1"}, "body": {"file": {"base64": "!"}}}),
            )
            .await
            .unwrap_err();
            assert!(matches!(err, OperationError::Args(_)), "{err:?}");
            assert!(stand_in.requests().is_empty());
            // A form without its file part: Clerk's 422 naming `file`.
            let err = client
                .request(crate::client::Method::PUT, "/organizations/org_1/logo")
                .multipart(
                    crate::backend::multipart::Form::new()
                        .text_opt("uploader_user_id", Some("user_1")),
                )
                .send::<Value>()
                .await
                .unwrap_err();
            let detail = &err.api_error().unwrap().errors()[0];
            assert_eq!(detail.code, "form_param_missing");
            assert_eq!(detail.meta["param_name"], "file");
            // A JSON body where an upload is due.
            let err = client
                .request(crate::client::Method::POST, "/users/user_1/profile_image")
                .json(&json!({"file": "logo.png"}))
                .send::<Value>()
                .await
                .unwrap_err();
            assert_eq!(err.api_error().unwrap().status(), 400);
        });
    }

    #[cfg(feature = "instance")]
    #[test]
    fn the_interstitial_is_html_sent_without_a_key() {
        actix_web::rt::System::new().block_on(async {
            let stand_in = StandIn::start().unwrap();
            let client = stand_in.clerk().unwrap().client();
            let query = crate::client::types::GetPublicInterstitial::default()
                .publishable_key("pk_test_x")
                .use_domain_for_script(true);
            let page = client
                .miscellaneous()
                .get_public_interstitial(&query)
                .await
                .unwrap();
            assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
            let request = &stand_in.requests()[0];
            assert_eq!(request.path(), "/v1/public/interstitial");
            assert_eq!(
                request.query(),
                "publishable_key=pk_test_x&use_domain_for_script=true"
            );
            assert_eq!(request.header("authorization"), None);
            // The stand-in still validates its query.
            let err = client
                .request(crate::client::Method::GET, "/public/interstitial")
                .public()
                .query_pair("use_domain_for_script", "yes")
                .send_text()
                .await
                .unwrap_err();
            let detail = &err.api_error().unwrap().errors()[0];
            assert_eq!(detail.meta["param_name"], "use_domain_for_script");
            // Through the dispatcher: the page as a JSON string.
            let page = call(
                &client,
                "GetPublicInterstitial",
                json!({"query": {"frontendApi": "x"}}),
            )
            .await
            .unwrap();
            assert!(page.as_str().is_some_and(|p| p.contains("<html>")));
            assert!(stand_in.requests().last().unwrap().query() == "frontendApi=x");
        });
    }
}
