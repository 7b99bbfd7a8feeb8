//! What the three machine-token verify endpoints answer: [`ApiKey`],
//! [`M2mToken`], [`IdpOAuthAccessToken`], and the requests that get them.
//!
//! The typed client ([`ApiKeysApi`](super::ApiKeysApi) and the others) and
//! the request pipeline's opaque-token verification both call
//! [`verify`] here: one owner for each endpoint's path, body and credential.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::error::Error;
use super::executor::{self, BackendApi, Credential, Policy};
use super::null_default;

/// An API key (`"object": "api_key"`).
///
/// # Examples
///
/// ```
/// use clerk_actix::client::ApiKey;
///
/// let key: ApiKey = serde_json::from_str(
///     r#"{"object": "api_key", "id": "ak_1", "name": "ci", "subject": "user_1", "scopes": ["read"], "revoked": false}"#,
/// )?;
/// assert_eq!(key.scopes, ["read"]);
/// assert_eq!(key.secret, None);
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ApiKey {
    /// `api_key`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// `ak_…`.
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    /// `api_key`.
    #[serde(rename = "type", deserialize_with = "null_default")]
    pub key_type: String,
    /// Its name.
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    /// Who it stands for: `user_…`, `org_…` or `mch_…`.
    #[serde(deserialize_with = "null_default")]
    pub subject: String,
    /// A description.
    pub description: Option<String>,
    /// Custom claims, as stored.
    pub claims: Option<Value>,
    /// The scopes it grants.
    #[serde(deserialize_with = "null_default")]
    pub scopes: Vec<String>,
    /// The secret (`ak_…`); only in the answers of create and get secret.
    pub secret: Option<String>,
    /// Whether it was revoked.
    #[serde(deserialize_with = "null_default")]
    pub revoked: bool,
    /// Why, when revoked.
    pub revocation_reason: Option<String>,
    /// Whether it expired.
    #[serde(deserialize_with = "null_default")]
    pub expired: bool,
    /// Expiry (ms since the epoch); `None` for a key that does not expire.
    pub expiration: Option<i64>,
    /// The user who created it.
    pub created_by: Option<String>,
    /// Last use (ms since the epoch).
    pub last_used_at: Option<i64>,
    /// Creation (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub created_at: i64,
    /// Last update (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub updated_at: i64,
}

/// An M2M token (`"object": "machine_to_machine_token"`).
///
/// # Examples
///
/// ```
/// use clerk_actix::client::M2mToken;
///
/// let token: M2mToken = serde_json::from_str(
///     r#"{"object": "machine_to_machine_token", "id": "mt_1", "subject": "mch_1", "scopes": ["mch_2"]}"#,
/// )?;
/// assert_eq!(token.subject, "mch_1");
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct M2mToken {
    /// `machine_to_machine_token`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// `mt_…`.
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    /// The machine it was issued to (`mch_…`).
    #[serde(deserialize_with = "null_default")]
    pub subject: String,
    /// Custom claims, as stored.
    pub claims: Option<Value>,
    /// The machines it may call (`mch_…`).
    #[serde(deserialize_with = "null_default")]
    pub scopes: Vec<String>,
    /// The token itself; only in the answer of create.
    pub token: Option<String>,
    /// Whether it was revoked.
    #[serde(deserialize_with = "null_default")]
    pub revoked: bool,
    /// Why, when revoked.
    pub revocation_reason: Option<String>,
    /// Whether it expired.
    #[serde(deserialize_with = "null_default")]
    pub expired: bool,
    /// Expiry (ms since the epoch).
    pub expiration: Option<i64>,
    /// Last use (ms since the epoch).
    pub last_used_at: Option<i64>,
    /// Creation (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub created_at: i64,
    /// Last update (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub updated_at: i64,
}

impl std::fmt::Debug for M2mToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("M2mToken")
            .field("id", &self.id)
            .field("subject", &self.subject)
            .field("scopes", &self.scopes)
            .field("token", &self.token.as_ref().map(|_| "mt_****"))
            .field("revoked", &self.revoked)
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

/// An OAuth access token Clerk issued (`"object": "clerk_idp_oauth_access_token"`).
///
/// # Examples
///
/// ```
/// use clerk_actix::client::IdpOAuthAccessToken;
///
/// let token: IdpOAuthAccessToken = serde_json::from_str(
///     r#"{"object": "clerk_idp_oauth_access_token", "id": "oat_1", "client_id": "client_1", "subject": "user_1", "scopes": ["profile"]}"#,
/// )?;
/// assert_eq!(token.client_id, "client_1");
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct IdpOAuthAccessToken {
    /// `clerk_idp_oauth_access_token`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// `oat_…`.
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    /// The OAuth application's client id.
    #[serde(deserialize_with = "null_default")]
    pub client_id: String,
    /// `oauth:access_token`.
    #[serde(rename = "type", deserialize_with = "null_default")]
    pub token_type: String,
    /// The user it was issued for.
    #[serde(deserialize_with = "null_default")]
    pub subject: String,
    /// The scopes granted.
    #[serde(deserialize_with = "null_default")]
    pub scopes: Vec<String>,
    /// The audiences it is meant for.
    #[serde(deserialize_with = "null_default")]
    pub aud: Vec<String>,
    /// The actor chain (RFC 8693), when a party acts on the user's behalf.
    pub act: Option<Value>,
    /// Whether it was revoked.
    #[serde(deserialize_with = "null_default")]
    pub revoked: bool,
    /// Why, when revoked.
    pub revocation_reason: Option<String>,
    /// Whether it expired.
    #[serde(deserialize_with = "null_default")]
    pub expired: bool,
    /// Expiry (ms since the epoch).
    pub expiration: Option<i64>,
    /// Creation (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub created_at: i64,
    /// Last update (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub updated_at: i64,
}

/// The kinds of opaque token the Backend API verifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Opaque {
    ApiKey,
    M2mToken,
    OAuthToken,
}

impl Opaque {
    /// Path (no `/v1`), body member, and the key that opens it.
    fn endpoint(self) -> (&'static str, &'static str, Credential) {
        match self {
            Opaque::ApiKey => ("/api_keys/verify", "secret", Credential::SecretKey),
            Opaque::M2mToken => ("/m2m_tokens/verify", "token", Credential::MachineSecretKey),
            Opaque::OAuthToken => (
                "/oauth_applications/access_tokens/verify",
                "access_token",
                Credential::SecretKey,
            ),
        }
    }
}

/// `POST {api_url}/<kind>/verify` with the token, decoded as `T`.
pub(crate) async fn verify<T: DeserializeOwned>(
    api: &BackendApi,
    policy: &Policy,
    kind: Opaque,
    token: &str,
) -> Result<T, Error> {
    let (path, member, credential) = kind.endpoint();
    let prepared = api.post_unversioned(path, &json!({ member: token }));
    let body = executor::execute_as(api, policy, &prepared, credential).await?;
    executor::decode(&body, &prepared.endpoint)
}
