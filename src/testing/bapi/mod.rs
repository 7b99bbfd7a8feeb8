//! The Backend API resources the stand-in serves, as plain functions over an
//! in-memory [`Store`]: no HTTP here, so each endpoint is easy to test.
//!
//! `handle` receives every authenticated request (the server has already
//! recorded it, applied faults, checked the secret key and served the JWKS)
//! and answers with a [`Reply`] in Clerk's wire format: snake_case JSON, bare
//! arrays or `{data, total_count}` as the real endpoint does, and
//! `{"errors": [...], "clerk_trace_id": ...}` bodies for errors.

use serde_json::{json, Map, Value};

use super::issuer::random_id;

/// The stand-in's data.
#[derive(Debug, Default)]
pub struct Store {
    users: Vec<Value>,
    organizations: Vec<Value>,
}

/// One request, as the resources see it.
pub(crate) struct ApiRequest<'a> {
    pub(crate) method: &'a str,
    /// The full path, e.g. `/v1/users/user_1`.
    pub(crate) path: &'a str,
    /// Decoded query pairs, repeated keys kept.
    pub(crate) query: &'a [(String, String)],
    /// The JSON body, if any.
    pub(crate) body: Option<&'a Value>,
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

    pub(crate) fn with_status(status: u16, body: Value) -> Self {
        Self {
            status,
            body: Some(body),
            headers: Vec::new(),
        }
    }

    /// A Clerk error body: `{"errors":[{code,message,long_message,meta}],"clerk_trace_id"}`.
    pub(crate) fn error(status: u16, code: &str, message: &str) -> Self {
        Self::with_status(
            status,
            json!({
                "errors": [{
                    "code": code,
                    "message": message,
                    "long_message": message,
                    "meta": {},
                }],
                "clerk_trace_id": random_id("trace").trim_start_matches("trace_"),
            }),
        )
    }

    pub(crate) fn not_found() -> Self {
        Self::error(404, "resource_not_found", "Resource not found.")
    }
}

fn now_ms() -> i64 {
    crate::clock::system_millis()
}

impl Store {
    /// Adds a user from (partial) Backend API JSON and returns its id.
    pub(crate) fn insert_user(&mut self, user: Value) -> String {
        let mut user = match user {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let id = user
            .get("id")
            .and_then(Value::as_str)
            .map_or_else(|| random_id("user"), str::to_owned);
        let now = now_ms();
        let defaults = json!({
            "object": "user", "id": id, "username": null, "first_name": null, "last_name": null,
            "image_url": "", "has_image": false, "primary_email_address_id": null,
            "primary_phone_number_id": null, "primary_web3_wallet_id": null,
            "password_enabled": false, "two_factor_enabled": false, "totp_enabled": false,
            "backup_code_enabled": false, "email_addresses": [], "phone_numbers": [],
            "web3_wallets": [], "passkeys": [], "external_accounts": [], "saml_accounts": [],
            "enterprise_accounts": [], "public_metadata": {}, "private_metadata": {},
            "unsafe_metadata": {}, "external_id": null, "last_sign_in_at": null, "banned": false,
            "locked": false, "lockout_expires_in_seconds": null,
            "verification_attempts_remaining": null, "created_at": now, "updated_at": now,
            "delete_self_enabled": true, "create_organization_enabled": true,
            "last_active_at": null, "mfa_enabled_at": null, "mfa_disabled_at": null,
            "legal_accepted_at": null,
        });
        if let Value::Object(defaults) = defaults {
            for (key, value) in defaults {
                user.entry(key).or_insert(value);
            }
        }
        user.insert("id".into(), Value::String(id.clone()));
        self.users.push(Value::Object(user));
        id
    }

    /// Adds an organization from (partial) Backend API JSON and returns its id.
    pub(crate) fn insert_organization(&mut self, organization: Value) -> String {
        let mut org = match organization {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let id = org
            .get("id")
            .and_then(Value::as_str)
            .map_or_else(|| random_id("org"), str::to_owned);
        let now = now_ms();
        let defaults = json!({
            "object": "organization", "id": id, "name": id, "slug": id, "image_url": "",
            "has_image": false, "max_allowed_memberships": 0, "admin_delete_enabled": true,
            "public_metadata": {}, "private_metadata": {}, "created_at": now, "updated_at": now,
        });
        if let Value::Object(defaults) = defaults {
            for (key, value) in defaults {
                org.entry(key).or_insert(value);
            }
        }
        org.insert("id".into(), Value::String(id.clone()));
        self.organizations.push(Value::Object(org));
        id
    }

    /// The users, as stored.
    #[must_use]
    pub fn users(&self) -> &[Value] {
        &self.users
    }

    /// The organizations, as stored.
    #[must_use]
    pub fn organizations(&self) -> &[Value] {
        &self.organizations
    }
}

/// Routes one request to its resource.
pub(crate) fn handle(store: &mut Store, request: &ApiRequest<'_>) -> Reply {
    let Some(rest) = request.path.strip_prefix("/v1/") else {
        return Reply::not_found();
    };
    let segments: Vec<&str> = rest.split('/').collect();
    match (request.method, segments.as_slice()) {
        ("GET", ["users"]) => Reply::ok(Value::Array(store.users.clone())),
        ("GET", ["users", "count"]) => {
            Reply::ok(json!({"object": "total_count", "total_count": store.users.len()}))
        }
        ("GET", ["users", id]) => store
            .users
            .iter()
            .find(|u| u["id"] == *id)
            .map_or_else(Reply::not_found, |u| Reply::ok(u.clone())),
        _ => Reply::not_found(),
    }
}
