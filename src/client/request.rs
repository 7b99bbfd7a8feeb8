//! Building, sending and retrying one Backend API request.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::ClerkClient;
use crate::backend::error::Error;
use crate::backend::executor::{self, Credential, Prepared};
use crate::backend::{path, query};

pub use awc::http::Method;

/// A request to any Backend API endpoint, for those this crate has no typed
/// method for. Clerk's Backend API reference
/// (<https://clerk.com/docs/reference/backend-api>) lists them all; the
/// typed methods follow its OpenAPI file of version `2026-05-12`, which is
/// not part of this package.
///
/// Made by [`ClerkClient::request`]. It follows the same conventions as the
/// typed methods: headers, `/v1` prefix, percent-encoded path segments,
/// query encoding (see the [module docs](super#conventions)), retries of
/// idempotent methods, typed errors.
///
/// Problems found while building (a `..` segment, parameters that do not
/// serialize) are reported by [`send`](Self::send), before anything is sent.
///
/// # Examples
///
/// ```no_run
/// use clerk_actix::client::Method;
/// use serde_json::{json, Value};
///
/// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
/// let client = clerk.client();
/// // POST /v1/sign_in_tokens
/// let token: Value = client
///     .request(Method::POST, "/sign_in_tokens")
///     .json(&json!({"user_id": "user_123", "expires_in_seconds": 600}))
///     .send()
///     .await?;
/// // GET /v1/users/{id}/billing/subscription, with the id percent-encoded
/// let subscription: Value = client
///     .request(Method::GET, "/users")
///     .segment("user_123")
///     .segment("billing")
///     .segment("subscription")
///     .send()
///     .await?;
/// # let _ = (token, subscription);
/// # Ok(()) }
/// ```
#[must_use = "a request does nothing until `send` is awaited"]
pub struct RequestBuilder<'a> {
    client: &'a ClerkClient,
    method: Method,
    segments: Vec<String>,
    query: Vec<(String, String)>,
    body: Option<Value>,
    /// A `multipart/form-data` body: its content type and bytes.
    form: Option<(String, Vec<u8>)>,
    versioned: bool,
    credential: Credential,
    error: Option<Error>,
}

impl std::fmt::Debug for RequestBuilder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("method", &self.method)
            .field("segments", &self.segments)
            .field("versioned", &self.versioned)
            .finish_non_exhaustive()
    }
}

impl<'a> RequestBuilder<'a> {
    pub(crate) fn new(client: &'a ClerkClient, method: Method, path: &str) -> Self {
        let (segments, error) = match path::encode_path(path) {
            Ok(segments) => (segments, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        Self {
            client,
            method,
            segments,
            query: Vec::new(),
            body: None,
            form: None,
            versioned: true,
            credential: Credential::SecretKey,
            error,
        }
    }

    fn fail(mut self, error: Error) -> Self {
        self.error.get_or_insert(error);
        self
    }

    /// Appends one path segment, typically an id, percent-encoded so that it
    /// stays one segment whatever it contains (`/`, `?`, `#`, `%`).
    ///
    /// An empty value, `.` or `..` makes [`send`](Self::send) fail with
    /// [`ErrorKind::InvalidPath`](super::ErrorKind::InvalidPath) without sending anything.
    pub fn segment(mut self, value: impl AsRef<str>) -> Self {
        match path::encode_segment(value.as_ref()) {
            Ok(segment) => {
                self.segments.push(segment);
                self
            }
            Err(e) => self.fail(e),
        }
    }

    /// Adds query parameters from any serializable struct or map, e.g. one of
    /// this module's parameter structs or `serde_json::json!({...})`.
    ///
    /// Keys are sent as serialized; arrays become repeated keys; `None`,
    /// `null` and empty strings are left out; `false` and `0` are sent.
    pub fn query<Q: Serialize + ?Sized>(self, params: &Q) -> Self {
        self.query_value(serde_json::to_value(params))
    }

    // The non-generic rest of `query`: one copy, not one per parameter type.
    fn query_value(mut self, value: Result<Value, serde_json::Error>) -> Self {
        let pairs = value
            .map_err(|e| e.to_string())
            .and_then(|value| query::to_pairs(&value));
        match pairs {
            Ok(pairs) => {
                self.query.extend(pairs);
                self
            }
            Err(e) => self.fail(Error::invalid_request(e)),
        }
    }

    /// Adds one query parameter (repeat the call for repeated keys).
    pub fn query_pair(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((key.into(), value.into()));
        self
    }

    /// Sets the JSON body. It is sent as serialized (keys are not renamed;
    /// metadata stays as you wrote it). An empty object or `null` sends no
    /// body at all, and a GET or HEAD never sends one.
    pub fn json<B: Serialize + ?Sized>(self, body: &B) -> Self {
        self.json_value(serde_json::to_value(body))
    }

    // The non-generic rest of `json`.
    fn json_value(mut self, value: Result<Value, serde_json::Error>) -> Self {
        match value {
            Ok(value) => {
                self.body = Some(value);
                self
            }
            Err(e) => self.fail(Error::invalid_request(format!(
                "the body does not serialize to JSON: {e}"
            ))),
        }
    }

    /// Sets a `multipart/form-data` body (the uploads), sent instead of any
    /// JSON body.
    pub(crate) fn multipart(mut self, form: crate::backend::multipart::Form<'_>) -> Self {
        self.form = Some(form.encode());
        self
    }

    /// Sends the request without any key: the public endpoints.
    #[cfg_attr(not(feature = "instance"), allow(dead_code))]
    pub(crate) fn public(mut self) -> Self {
        self.credential = Credential::Public;
        self
    }

    /// Leaves out the `/v1` version segment, for the unversioned endpoints
    /// (`/api_keys`, `/m2m_tokens`, `/oauth_applications/access_tokens/verify`).
    pub fn unversioned(mut self) -> Self {
        self.versioned = false;
        self
    }

    /// Sends the request with the machine secret key
    /// ([`ClerkBuilder::machine_secret_key`](crate::ClerkBuilder::machine_secret_key),
    /// `CLERK_MACHINE_SECRET_KEY`) instead of the secret key, when one is
    /// configured: what the M2M endpoints (`/m2m_tokens`) take.
    pub fn machine_secret_key(mut self) -> Self {
        self.credential = Credential::MachineSecretKey;
        self
    }

    /// Sends the request and decodes the JSON answer into `T`
    /// (`serde_json::Value` takes anything; an empty answer decodes as `null`,
    /// so `()` or `Option<T>` fit a 204).
    ///
    /// # Errors
    ///
    /// See [`ErrorKind`](super::ErrorKind): a missing secret key or invalid path (nothing sent),
    /// an error answer of the API, a transport failure (after the retries an
    /// idempotent request gets), or an answer that does not decode as `T`.
    pub async fn send<T: DeserializeOwned>(self) -> Result<T, Error> {
        let credential = self.credential;
        let (client, prepared) = self.prepare()?;
        let body =
            executor::execute_as(client.api(), &client.settings, &prepared, credential).await?;
        executor::decode(&body, &prepared.endpoint)
    }

    /// Sends the request and returns the answer as text (an HTML page).
    #[cfg_attr(not(feature = "instance"), allow(dead_code))]
    pub(crate) async fn send_text(self) -> Result<String, Error> {
        let credential = self.credential;
        let (client, prepared) = self.prepare()?;
        let body =
            executor::execute_as(client.api(), &client.settings, &prepared, credential).await?;
        executor::text(&body, &prepared.endpoint)
    }

    fn prepare(self) -> Result<(&'a ClerkClient, Prepared), Error> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let api = self.client.api();
        let mut path = String::new();
        if self.versioned {
            path.push('/');
            path.push_str(&api.version);
        }
        for segment in &self.segments {
            path.push('/');
            path.push_str(segment);
        }
        if path.is_empty() {
            path.push('/');
        }
        let endpoint = format!("{} {}", self.method, path);
        let mut url = format!("{}{}", api.url, path);
        if !self.query.is_empty() {
            url.push('?');
            url.push_str(&query::encode(&self.query));
        }
        let (content_type, form) = match self.form {
            Some((content_type, bytes)) => (Some(content_type), Some(bytes)),
            None => (None, None),
        };
        let body = match self.body {
            _ if form.is_some() => form,
            _ if matches!(self.method, Method::GET | Method::HEAD) => None,
            None | Some(Value::Null) => None,
            Some(Value::Object(map)) if map.is_empty() => None,
            Some(value) => Some(serde_json::to_vec(&value).map_err(|e| {
                Error::invalid_request(format!("the body does not serialize to JSON: {e}"))
            })?),
        };
        Ok((
            self.client,
            Prepared {
                method: self.method,
                url,
                endpoint,
                body,
                content_type,
            },
        ))
    }
}
