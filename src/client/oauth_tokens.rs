//! OAuth access tokens issued by Clerk as an identity provider
//! (`/oauth_applications/access_tokens/verify`, unversioned: no `/v1`).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::error::Error;
use super::models::null_default;
use super::request::Method;
use super::ClerkClient;

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

/// The OAuth access token endpoint; from [`ClerkClient::oauth_access_tokens`].
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "testing")]
/// # actix_web::rt::System::new().block_on(async {
/// use clerk_actix::testing::StandIn;
///
/// let stand_in = StandIn::start()?;
/// let token = stand_in.oauth_token("user_1", ["profile"]);
/// let verified = stand_in.clerk()?.client().oauth_access_tokens().verify(&token).await?;
/// assert_eq!(verified.subject, "user_1");
/// assert_eq!(stand_in.requests()[0].path(), "/oauth_applications/access_tokens/verify");
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct OAuthAccessTokensApi {
    pub(crate) client: ClerkClient,
}

impl OAuthAccessTokensApi {
    /// `POST /oauth_applications/access_tokens/verify` with
    /// `{"access_token"}`. Uncached.
    ///
    /// # Errors
    ///
    /// [`Error`]; 404 for an unknown, revoked or expired token.
    pub async fn verify(&self, access_token: &str) -> Result<IdpOAuthAccessToken, Error> {
        self.client
            .request(Method::POST, "/oauth_applications/access_tokens/verify")
            .unversioned()
            .json(&json!({ "access_token": access_token }))
            .send()
            .await
    }
}
