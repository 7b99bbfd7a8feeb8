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
    generated::dispatch(client, operation_id, &args).await
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
    let value = match value {
        Value::Null => Value::Object(Map::new()),
        other => other.clone(),
    };
    match serde_json::from_value::<T>(value.clone()) {
        Ok(t) => Ok(t),
        // A list body given as nothing is an empty list.
        Err(e) => match value {
            Value::Object(map) if map.is_empty() => {
                serde_json::from_value::<T>(Value::Array(Vec::new()))
                    .map_err(|_| OperationError::Args(e.to_string()))
            }
            _ => Err(OperationError::Args(e.to_string())),
        },
    }
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
    let value = result.map_err(OperationError::Api)?;
    serde_json::to_value(value).map_err(|e| OperationError::Args(e.to_string()))
}
