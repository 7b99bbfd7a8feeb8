//! The Backend API resources the stand-in serves, as plain functions over an
//! in-memory [`Store`]: no HTTP here, so each endpoint is easy to test.
//!
//! `handle` receives every authenticated request (the server has already
//! recorded it, applied faults, checked the secret key and served the JWKS)
//! and answers with a [`Reply`] in Clerk's wire format: snake_case JSON,
//! timestamps in milliseconds, bare arrays or `{data, total_count}` as the
//! real endpoint does, and `{"errors": [...], "clerk_trace_id": ...}` bodies
//! for errors (404 `resource_not_found` for unknown ids and routes, 422 with
//! `param_name` for bad parameters).

mod browser;
mod directory;
pub(super) mod generated;
mod machines;
mod organizations;
mod sessions;
pub(super) mod spec;
mod spec_table;
mod users;
mod util;

use std::collections::HashMap;
use std::fmt;

use serde_json::{json, Map, Value};

use super::issuer::{random_id, TestIssuer};

use self::util::{decode_segment, Query};

/// The stand-in's data: users, organizations with their memberships and
/// invitations, sessions, instance invitations, allowlist identifiers and
/// handshake directives.
///
/// Tests seed and inspect it through
/// [`StandIn::with_store`](super::StandIn::with_store) (or
/// [`StandInBuilder::user`](super::StandInBuilder::user) /
/// [`organization`](super::StandInBuilder::organization) before start).
/// Seeded objects are Backend API JSON; missing fields get defaults.
///
/// # Examples
///
/// ```
/// use clerk_actix::testing::StandIn;
/// use serde_json::json;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let stand_in = StandIn::start()?;
/// let (user, org) = stand_in.with_store(|store| {
///     let user = store.insert_user(json!({"first_name": "Ada", "password": "correct horse"}));
///     let org = store.insert_organization(json!({"name": "Acme", "slug": "acme"}));
///     store.insert_membership(&org, &user, "org:admin");
///     store.insert_session(json!({"user_id": user}));
///     (user, org)
/// });
/// assert!(user.starts_with("user_") && org.starts_with("org_"));
/// assert_eq!(stand_in.with_store(|store| store.sessions().len()), 1);
/// # Ok(()) }
/// ```
#[derive(Default)]
pub struct Store {
    users: Vec<Value>,
    /// User id → password, for `verify_password`.
    passwords: HashMap<String, String>,
    organizations: Vec<Value>,
    /// Stored without the organization and user data, which are rendered
    /// from their current state on each answer.
    memberships: Vec<Value>,
    organization_invitations: Vec<Value>,
    sessions: Vec<Value>,
    invitations: Vec<Value>,
    allowlist: Vec<Value>,
    handshake_directives: Vec<String>,
    /// The Frontend API stand-in's state (`GET /v1/client/handshake`).
    pub(crate) frontend: browser::FrontendState,
    token_issuer: Option<TestIssuer>,
    /// (method, path, status, body) answered instead of the resource.
    canned: Vec<(String, String, u16, Value)>,
    /// Machine authentication, secrets included.
    api_keys: Vec<Value>,
    machines: Vec<Value>,
    m2m_tokens: Vec<Value>,
    oauth_tokens: Vec<Value>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("users", &self.users.len())
            .field("organizations", &self.organizations.len())
            .field("memberships", &self.memberships.len())
            .field(
                "organization_invitations",
                &self.organization_invitations.len(),
            )
            .field("sessions", &self.sessions.len())
            .field("invitations", &self.invitations.len())
            .field("allowlist", &self.allowlist.len())
            .finish_non_exhaustive()
    }
}

/// One request, as the resources see it.
pub(crate) struct ApiRequest<'a> {
    pub(crate) method: &'a str,
    /// The full path, still percent-encoded, e.g. `/v1/users/user_1`.
    pub(crate) path: &'a str,
    /// Decoded query pairs, repeated keys kept.
    pub(crate) query: &'a [(String, String)],
    /// The JSON body, if any. A `multipart/form-data` body reads as an
    /// object of its parts: text as strings, files as
    /// `{"filename", "content_type", "size"}`.
    pub(crate) body: Option<&'a Value>,
    /// The body came as `multipart/form-data`.
    pub(crate) multipart: bool,
    /// The bearer key the request was sent with.
    pub(crate) credential: Option<&'a str>,
}

/// An answer: status, optional JSON body, extra headers.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Option<Value>,
    pub(crate) headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub(crate) fn ok(body: Value) -> Self {
        Self::with_status(200, body)
    }

    /// An HTML page.
    pub(crate) fn html(status: u16, page: String) -> Self {
        Self {
            status,
            body: Some(Value::String(page)),
            headers: vec![("content-type", "text/html; charset=utf-8".to_owned())],
        }
    }

    pub(crate) fn with_status(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
            headers: Vec::new(),
        }
    }

    /// A Clerk error body: `{"errors":[{code,message,long_message,meta}],"clerk_trace_id"}`.
    pub(crate) fn error(status: u16, code: &str, message: &str) -> Self {
        Self::error_with(status, code, message, message, json!({}))
    }

    /// A Clerk error body with a long message and `meta`.
    pub(crate) fn error_with(
        status: u16,
        code: &str,
        message: &str,
        long_message: &str,
        meta: Value,
    ) -> Self {
        Self::with_status(
            status,
            json!({
                "errors": [{
                    "code": code,
                    "message": message,
                    "long_message": long_message,
                    "meta": meta,
                }],
                "clerk_trace_id": random_id("trace").trim_start_matches("trace_"),
            }),
        )
    }

    pub(crate) fn not_found() -> Self {
        Self::error_with(
            404,
            "resource_not_found",
            "not found",
            "Resource not found",
            json!({}),
        )
    }

    /// 422 `form_param_missing` for `param`.
    pub(crate) fn missing(param: &str) -> Self {
        Self::error_with(
            422,
            "form_param_missing",
            "missing required parameter",
            &format!("{param} must be included."),
            json!({ "param_name": param }),
        )
    }

    /// 422 `form_param_format_invalid` for `param`.
    pub(crate) fn invalid(param: &str, why: &str) -> Self {
        Self::error_with(
            422,
            "form_param_format_invalid",
            "is invalid",
            &format!("{param} {why}"),
            json!({ "param_name": param }),
        )
    }

    /// 422 `form_param_unknown` for `param`.
    pub(crate) fn unknown_param(param: &str) -> Self {
        Self::error_with(
            422,
            "form_param_unknown",
            "is unknown",
            &format!("{param} is not a valid parameter for this request."),
            json!({ "param_name": param }),
        )
    }

    /// 422 `form_identifier_exists` for `param`.
    pub(crate) fn taken(param: &str) -> Self {
        Self::error_with(
            422,
            "form_identifier_exists",
            "That identifier is taken. Please try another.",
            "That identifier is taken. Please try another.",
            json!({ "param_name": param }),
        )
    }
}

/// A handler's result: the error variant is already the answer.
pub(crate) type Answer = Result<Reply, Reply>;

impl Store {
    /// Adds a user from (partial) Backend API JSON and returns its id.
    ///
    /// Missing fields get defaults and a missing `id` a fresh `user_…`.
    /// Entries of `email_addresses`, `phone_numbers` and `web3_wallets` get
    /// ids, verifications and timestamps when they lack them, and the first
    /// one becomes primary unless the user names another. A top-level
    /// `"password"` is removed from the JSON and kept for
    /// `POST /v1/users/{id}/verify_password`.
    pub fn insert_user(&mut self, user: Value) -> String {
        users::insert(self, user)
    }

    /// Adds an organization from (partial) Backend API JSON and returns its
    /// id. A missing `slug` is derived from the name (or the id).
    pub fn insert_organization(&mut self, organization: Value) -> String {
        organizations::insert(self, organization)
    }

    /// Adds `user_id` to `organization_id` with `role` (e.g. `org:admin`)
    /// and returns the membership id. Neither id is checked.
    pub fn insert_membership(
        &mut self,
        organization_id: &str,
        user_id: &str,
        role: &str,
    ) -> String {
        organizations::insert_membership(self, organization_id, user_id, role, Map::new())
    }

    /// Adds a session from (partial) Backend API JSON (at least `user_id`)
    /// and returns its id. Defaults: `active`, a fresh `client_…`, expiring
    /// in 7 days.
    pub fn insert_session(&mut self, session: Value) -> String {
        sessions::insert(self, session)
    }

    /// Adds an instance invitation from (partial) Backend API JSON (at
    /// least `email_address`) and returns its id.
    pub fn insert_invitation(&mut self, invitation: Value) -> String {
        directory::insert_invitation(self, invitation)
    }

    /// Sets the password `POST /v1/users/{id}/verify_password` checks.
    pub fn set_password(&mut self, user_id: &str, password: &str) {
        self.passwords
            .insert(user_id.to_owned(), password.to_owned());
    }

    /// The directives `GET /v1/clients/handshake_payload` answers (e.g.
    /// `Set-Cookie` values). Defaults to none.
    pub fn set_handshake_directives<I, S>(&mut self, directives: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.handshake_directives = directives.into_iter().map(Into::into).collect();
    }

    /// Signs the tokens of `POST /v1/sessions/{id}/tokens` and
    /// `/refresh` with `issuer`, so they verify against the stand-in's JWKS
    /// when it is the stand-in's own issuer. Without it they are
    /// placeholders that look like JWTs but carry no valid signature.
    pub fn set_token_issuer(&mut self, issuer: TestIssuer) {
        self.token_issuer = Some(issuer);
    }

    /// Answers every `method` request to `path` (e.g. `"POST"`,
    /// `"/v1/users"`) with `status` and `body`, instead of the resource,
    /// until [`clear_canned`](Self::clear_canned): for answers the resources
    /// never give, such as a recorded error body.
    ///
    /// ```
    /// # use clerk_actix::testing::StandIn;
    /// # use serde_json::json;
    /// # let stand_in = StandIn::start().unwrap();
    /// stand_in.with_store(|store| {
    ///     store.canned("POST", "/v1/users", 422, json!({"errors": [{"code": "form_password_pwned"}]}))
    /// });
    /// ```
    pub fn canned(&mut self, method: &str, path: &str, status: u16, body: Value) {
        self.canned
            .push((method.to_owned(), path.to_owned(), status, body));
    }

    /// Removes every canned answer.
    pub fn clear_canned(&mut self) {
        self.canned.clear();
    }

    /// Issues an API key from (partial) Backend API JSON (`subject`,
    /// `name`, `scopes`, `claims`, `seconds_until_expiration`, …) and returns
    /// its secret (`ak_…`), which `POST /api_keys/verify` accepts. A
    /// `"secret"` in the JSON is used instead of a fresh one.
    pub fn issue_api_key(&mut self, key: Value) -> String {
        machines::insert_api_key(self, key)
    }

    /// Adds a machine from (partial) Backend API JSON and returns its id
    /// (`mch_…`); [`machine_secret_key`](Self::machine_secret_key) gives the
    /// key the M2M endpoints accept for it (a `"secret_key"` in the JSON, or
    /// a fresh one).
    pub fn insert_machine(&mut self, machine: Value) -> String {
        machines::insert_machine(self, machine)
    }

    /// The secret key of machine `machine_id`.
    #[must_use]
    pub fn machine_secret_key(&self, machine_id: &str) -> Option<&str> {
        self.machines
            .iter()
            .find(|m| m["id"] == machine_id)
            .and_then(|m| m["secret_key"].as_str())
    }

    /// Issues an opaque M2M token (`mt_…`) to machine `machine_id` (which
    /// need not be stored) from (partial) JSON (`scopes`, `claims`,
    /// `seconds_until_expiration`) and returns it. Scopes default to the
    /// machine's scoped machines; expiry to its default TTL (1 hour). A
    /// `"token"` in the JSON is used instead of a fresh one.
    pub fn issue_m2m_token(&mut self, machine_id: &str, token: Value) -> String {
        machines::insert_m2m_token(self, machine_id, token)
    }

    /// Issues an opaque OAuth access token (`oat_…`) from (partial) JSON
    /// (`subject`, `client_id`, `scopes`, `aud`, `expiration`) and returns
    /// it. Expires in an hour unless `expiration` says otherwise. A
    /// `"token"` in the JSON is used instead of a fresh one.
    pub fn issue_oauth_token(&mut self, token: Value) -> String {
        machines::insert_oauth_token(self, token)
    }

    /// Revokes the API key, M2M token or OAuth token `secret`; `false` when
    /// no such token was issued.
    pub fn revoke_token(&mut self, secret: &str) -> bool {
        machines::revoke_secret(self, secret)
    }

    /// The API keys, as stored (secrets included).
    #[must_use]
    pub fn api_keys(&self) -> &[Value] {
        &self.api_keys
    }

    /// The machines, as stored (secret keys included).
    #[must_use]
    pub fn machines(&self) -> &[Value] {
        &self.machines
    }

    /// The users, as stored.
    #[must_use]
    pub fn users(&self) -> &[Value] {
        &self.users
    }

    /// One user, by id.
    #[must_use]
    pub fn user(&self, user_id: &str) -> Option<&Value> {
        self.users.iter().find(|u| u["id"] == user_id)
    }

    /// The organizations, as stored.
    #[must_use]
    pub fn organizations(&self) -> &[Value] {
        &self.organizations
    }

    /// The sessions, as stored.
    #[must_use]
    pub fn sessions(&self) -> &[Value] {
        &self.sessions
    }

    /// The instance invitations, as stored.
    #[must_use]
    pub fn invitations(&self) -> &[Value] {
        &self.invitations
    }

    /// The allowlist identifiers, as stored.
    #[must_use]
    pub fn allowlist_identifiers(&self) -> &[Value] {
        &self.allowlist
    }

    /// The memberships, as answered by the API (with the organization and
    /// the member's public data).
    #[must_use]
    pub fn memberships(&self) -> Vec<Value> {
        self.memberships
            .iter()
            .map(|m| organizations::render_membership(self, m))
            .collect()
    }

    /// The organization invitations, as stored.
    #[must_use]
    pub fn organization_invitations(&self) -> &[Value] {
        &self.organization_invitations
    }
}

/// Routes one request to its resource.
pub(crate) fn handle(store: &mut Store, request: &ApiRequest<'_>) -> Reply {
    let canned = store
        .canned
        .iter()
        .find(|(method, path, _, _)| method == request.method && path == request.path);
    if let Some((_, _, status, body)) = canned {
        return Reply::with_status(*status, body.clone());
    }
    // The operations without a stateful resource: served from the spec.
    if let Some(reply) = spec::serve(request) {
        return reply;
    }
    // The machine-auth endpoints are called without `/v1`.
    let rest = request
        .path
        .strip_prefix("/v1/")
        .or_else(|| machines_path(request.path));
    let Some(rest) = rest else {
        return Reply::not_found();
    };
    let segments: Vec<String> = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(decode_segment)
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let empty = Value::Object(Map::new());
    let body = match request.body {
        None | Some(Value::Null) => &empty,
        Some(body @ Value::Object(_)) => body,
        Some(_) => {
            return Reply::error(
                400,
                "request_body_invalid",
                "The request body must be a JSON object.",
            )
        }
    };
    let call = Call {
        method: request.method,
        query: Query(request.query),
        body,
    };
    let answer = match segments.first().copied() {
        Some("users") => users::route(store, &call, &segments[1..]),
        Some("organizations") => organizations::route(store, &call, &segments[1..]),
        Some("sessions") => sessions::route(store, &call, &segments[1..]),
        Some("invitations" | "allowlist_identifiers" | "clients") => {
            directory::route(store, &call, &segments)
        }
        Some("api_keys" | "m2m_tokens" | "oauth_applications" | "machines") => {
            machines::route(store, &call, &segments, request.credential)
        }
        _ => None,
    };
    match answer {
        Some(Ok(reply) | Err(reply)) => reply,
        None => Reply::not_found(),
    }
}

/// The path without its `/`, for the unversioned machine-auth endpoints.
fn machines_path(path: &str) -> Option<&str> {
    let rest = path.strip_prefix('/')?;
    [
        "api_keys",
        "m2m_tokens",
        "oauth_applications/access_tokens/verify",
    ]
    .iter()
    .any(|prefix| {
        rest.strip_prefix(prefix)
            .is_some_and(|tail| tail.is_empty() || tail.starts_with('/'))
    })
    .then_some(rest)
}

/// Whether `key` is a machine's secret key, accepted by the M2M endpoints.
pub(crate) fn is_machine_credential(store: &Store, path: &str, key: &str) -> bool {
    let m2m = path.starts_with("/m2m_tokens") || path.starts_with("/v1/m2m_tokens");
    m2m && machines::machine_of_secret(store, key).is_some()
}

/// A request after routing: method, query, body (an object; `{}` when none).
pub(crate) struct Call<'a> {
    pub(crate) method: &'a str,
    pub(crate) query: Query<'a>,
    pub(crate) body: &'a Value,
}

#[cfg(test)]
mod tests;
