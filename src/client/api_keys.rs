//! API keys (`/api_keys`, unversioned: no `/v1`).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::models::{null_default, setters, DeletedObject, PaginatedList};
use super::request::Method;
use super::ClerkClient;
use crate::backend::error::Error;
use crate::backend::machine_verify::{self as machine_models, ApiKey, Opaque};

// ---------------------------------------------------------------- models --

/// `{"secret": "ak_…"}`, the answer of [`ApiKeysApi::secret`].
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ApiKeySecret {
    /// The secret.
    #[serde(deserialize_with = "null_default")]
    pub secret: String,
}

impl std::fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKeySecret { secret: \"ak_****\" }")
    }
}

// ------------------------------------------------------------ parameters --

/// The body of [`ApiKeysApi::create`].
///
/// # Examples
///
/// ```
/// use clerk_actix::client::CreateApiKey;
///
/// let params = CreateApiKey::new("ci", "user_2vYVtestTESTtestTESTtestTEST")
///     .scopes(["read:reports"])
///     .seconds_until_expiration(86_400);
/// # let _ = params;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct CreateApiKey {
    name: String,
    subject: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    claims: Option<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    scopes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seconds_until_expiration: Option<u64>,
}

impl CreateApiKey {
    /// A key named `name` for `subject` (`user_…`, `org_…` or `mch_…`).
    pub fn new(name: impl Into<String>, subject: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            subject: subject.into(),
            ..Self::default()
        }
    }

    setters! {
        /// A description. Defaults to none.
        description: string;
        /// Custom claims, sent untouched. Defaults to none.
        claims: value(Value);
        /// The scopes it grants. Defaults to none.
        scopes: strings;
        /// The user creating it. Defaults to none.
        created_by: string;
        /// Lifetime in seconds. Defaults to never expiring.
        seconds_until_expiration: value(u64);
    }
}

/// The query of [`ApiKeysApi::list`].
///
/// # Examples
///
/// ```
/// use clerk_actix::client::ListApiKeys;
///
/// let all = ListApiKeys::new("user_1").include_invalid(true).limit(50);
/// # let _ = all;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct ListApiKeys {
    subject: String,
    include_invalid: Option<bool>,
    query: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

impl ListApiKeys {
    /// The keys of `subject`.
    pub fn new(subject: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            ..Self::default()
        }
    }

    setters! {
        /// Include revoked and expired keys. Defaults to no.
        include_invalid: value(bool);
        /// Keys whose name contains this text. Defaults to no filter.
        query: string;
        /// At most this many (1–500). Defaults to 10.
        limit: value(u32);
        /// Skip this many. Defaults to 0.
        offset: value(u32);
    }
}

/// The body of [`ApiKeysApi::update`]; fields left unset are unchanged.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::UpdateApiKey;
///
/// let params = UpdateApiKey::default().scopes(["read:reports", "write:reports"]);
/// # let _ = params;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct UpdateApiKey {
    #[serde(skip_serializing_if = "Option::is_none")]
    claims: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scopes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seconds_until_expiration: Option<u64>,
}

impl UpdateApiKey {
    /// New scopes (replacing the old ones).
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = Some(scopes.into_iter().map(Into::into).collect());
        self
    }

    setters! {
        /// New claims, sent untouched.
        claims: value(Value);
        /// A new subject.
        subject: string;
        /// A new lifetime, in seconds from now.
        seconds_until_expiration: value(u64);
    }
}

// ------------------------------------------------------------------- API --

/// The API keys endpoints; from [`ClerkClient::api_keys`]. These paths have
/// no `/v1`.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "testing")]
/// # actix_web::rt::System::new().block_on(async {
/// use clerk_actix::client::{CreateApiKey, ListApiKeys};
/// use clerk_actix::testing::StandIn;
///
/// let stand_in = StandIn::start()?;
/// let api_keys = stand_in.clerk()?.client().api_keys();
/// let key = api_keys.create(&CreateApiKey::new("ci", "user_1").scopes(["read"])).await?;
/// let secret = key.secret.clone().unwrap_or_default();
/// assert_eq!(api_keys.verify(&secret).await?.id, key.id);
/// api_keys.revoke(&key.id, Some("rotated")).await?;
/// assert!(api_keys.verify(&secret).await.is_err());
/// assert_eq!(api_keys.list(&ListApiKeys::new("user_1").include_invalid(true)).await?.total_count, 1);
/// assert_eq!(stand_in.requests()[0].path(), "/api_keys");
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct ApiKeysApi {
    pub(crate) client: ClerkClient,
}

impl ApiKeysApi {
    /// `POST /api_keys`: the answer carries the secret, shown only here.
    /// Never retried.
    ///
    /// # Errors
    ///
    /// [`Error`].
    pub async fn create(&self, params: &CreateApiKey) -> Result<ApiKey, Error> {
        self.client
            .request(Method::POST, "/api_keys")
            .unversioned()
            .json(params)
            .send()
            .await
    }

    /// `GET /api_keys/{id}`.
    ///
    /// # Errors
    ///
    /// [`Error`]; 404 for an unknown id.
    pub async fn get(&self, api_key_id: &str) -> Result<ApiKey, Error> {
        self.client
            .request(Method::GET, "/api_keys")
            .unversioned()
            .segment(api_key_id)
            .send()
            .await
    }

    /// `GET /api_keys?subject=…`.
    ///
    /// # Errors
    ///
    /// [`Error`].
    pub async fn list(&self, params: &ListApiKeys) -> Result<PaginatedList<ApiKey>, Error> {
        self.client
            .request(Method::GET, "/api_keys")
            .unversioned()
            .query(params)
            .send()
            .await
    }

    /// `PATCH /api_keys/{id}`. Never retried.
    ///
    /// # Errors
    ///
    /// [`Error`].
    pub async fn update(&self, api_key_id: &str, params: &UpdateApiKey) -> Result<ApiKey, Error> {
        self.client
            .request(Method::PATCH, "/api_keys")
            .unversioned()
            .segment(api_key_id)
            .json(params)
            .send()
            .await
    }

    /// `DELETE /api_keys/{id}`.
    ///
    /// # Errors
    ///
    /// [`Error`].
    pub async fn delete(&self, api_key_id: &str) -> Result<DeletedObject, Error> {
        self.client
            .request(Method::DELETE, "/api_keys")
            .unversioned()
            .segment(api_key_id)
            .send()
            .await
    }

    /// `POST /api_keys/{id}/revoke` with `{"revocation_reason"}`. Never
    /// retried.
    ///
    /// A revoked key stays valid for requests to this app for up to
    /// [`machine_token_cache_ttl`](crate::ClerkBuilder::machine_token_cache_ttl)
    /// (30 s by default) if it was verified just before.
    ///
    /// # Errors
    ///
    /// [`Error`].
    pub async fn revoke(&self, api_key_id: &str, reason: Option<&str>) -> Result<ApiKey, Error> {
        self.client
            .request(Method::POST, "/api_keys")
            .unversioned()
            .segment(api_key_id)
            .segment("revoke")
            .json(&json!({ "revocation_reason": reason }))
            .send()
            .await
    }

    /// `GET /api_keys/{id}/secret`.
    ///
    /// # Errors
    ///
    /// [`Error`].
    pub async fn secret(&self, api_key_id: &str) -> Result<ApiKeySecret, Error> {
        self.client
            .request(Method::GET, "/api_keys")
            .unversioned()
            .segment(api_key_id)
            .segment("secret")
            .send()
            .await
    }

    /// `POST /api_keys/verify` with `{"secret"}`: the key, if it is valid.
    /// Uncached; the middleware and
    /// [`Clerk::verify_machine_token`](crate::Clerk::verify_machine_token)
    /// cache what verifies.
    ///
    /// # Errors
    ///
    /// [`Error`]; 404 for an unknown, revoked or expired key.
    pub async fn verify(&self, secret: &str) -> Result<ApiKey, Error> {
        let client = &self.client;
        machine_models::verify(client.api(), &client.settings, Opaque::ApiKey, secret).await
    }
}
