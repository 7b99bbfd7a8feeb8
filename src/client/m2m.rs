//! Machine-to-machine tokens (`/m2m_tokens`, unversioned: no `/v1`).
//!
//! These endpoints are sent with the machine secret key
//! ([`ClerkBuilder::machine_secret_key`](crate::ClerkBuilder::machine_secret_key),
//! `CLERK_MACHINE_SECRET_KEY`) when one is configured, else the secret key.

use serde::Serialize;
use serde_json::{json, Value};

use super::models::{setters, PaginatedList};
use super::request::Method;
use super::ClerkClient;
use crate::backend::error::Error;
use crate::backend::machine_verify::{self as machine_models, M2mToken, Opaque};

/// The body of [`M2mTokensApi::create`].
///
/// Like the JS SDK, it always sends `seconds_until_expiration` and `claims`
/// (`null` when unset) and `token_format` (`opaque` unless set).
///
/// # Examples
///
/// ```
/// use clerk_actix::client::CreateM2mToken;
///
/// let params = CreateM2mToken::default().seconds_until_expiration(3600);
/// assert_eq!(
///     serde_json::to_value(&params)?,
///     serde_json::json!({"seconds_until_expiration": 3600, "claims": null, "token_format": "opaque"})
/// );
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct CreateM2mToken {
    seconds_until_expiration: Option<u64>,
    claims: Option<Value>,
    token_format: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_remaining_ttl_seconds: Option<u64>,
}

impl Default for CreateM2mToken {
    fn default() -> Self {
        Self {
            seconds_until_expiration: None,
            claims: None,
            token_format: "opaque".to_owned(),
            min_remaining_ttl_seconds: None,
        }
    }
}

impl CreateM2mToken {
    /// `jwt` for a JWT (verified without a Backend API call), `opaque` for
    /// an `mt_…` token. Defaults to `opaque`.
    pub fn token_format(mut self, format: impl Into<String>) -> Self {
        self.token_format = format.into();
        self
    }

    setters! {
        /// Lifetime in seconds. Defaults to the machine's default.
        seconds_until_expiration: value(u64);
        /// Custom claims, sent untouched. Defaults to none.
        claims: value(Value);
        /// Reuse a token that still has this long to live. Defaults to always new.
        min_remaining_ttl_seconds: value(u64);
    }
}

/// The query of [`M2mTokensApi::list`].
///
/// # Examples
///
/// ```
/// use clerk_actix::client::ListM2mTokens;
///
/// let live = ListM2mTokens::new("mch_1").revoked(false).expired(false);
/// # let _ = live;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct ListM2mTokens {
    subject: String,
    revoked: Option<bool>,
    expired: Option<bool>,
    limit: Option<u32>,
    offset: Option<u32>,
}

impl ListM2mTokens {
    /// The tokens of machine `subject`.
    pub fn new(subject: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            ..Self::default()
        }
    }

    setters! {
        /// Only revoked (or only unrevoked) tokens. Defaults to both.
        revoked: value(bool);
        /// Only expired (or only unexpired) tokens. Defaults to both.
        expired: value(bool);
        /// At most this many. Defaults to 10.
        limit: value(u32);
        /// Skip this many. Defaults to 0.
        offset: value(u32);
    }
}

/// The M2M token endpoints; from [`ClerkClient::m2m_tokens`].
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "testing")]
/// # actix_web::rt::System::new().block_on(async {
/// use clerk_actix::client::{CreateM2mToken, ListM2mTokens};
/// use clerk_actix::testing::StandIn;
///
/// let stand_in = StandIn::start()?;
/// let machine = stand_in.machine("billing-worker");
/// let clerk = stand_in.clerk_builder().machine_secret_key(machine.secret_key()).build()?;
/// let m2m = clerk.client().m2m_tokens();
/// let token = m2m.create(&CreateM2mToken::default()).await?;
/// assert_eq!(token.subject, machine.id());
/// let verified = m2m.verify(token.token.as_deref().unwrap_or_default()).await?;
/// assert_eq!(verified.id, token.id);
/// assert_eq!(m2m.list(&ListM2mTokens::new(machine.id())).await?.total_count, 1);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct M2mTokensApi {
    pub(crate) client: ClerkClient,
}

impl M2mTokensApi {
    /// `POST /m2m_tokens`: a token for the machine whose secret key is
    /// configured. Never retried.
    ///
    /// # Errors
    ///
    /// [`Error`].
    pub async fn create(&self, params: &CreateM2mToken) -> Result<M2mToken, Error> {
        self.client
            .request(Method::POST, "/m2m_tokens")
            .unversioned()
            .machine_secret_key()
            .json(params)
            .send()
            .await
    }

    /// `GET /m2m_tokens?subject=…`.
    ///
    /// # Errors
    ///
    /// [`Error`].
    pub async fn list(&self, params: &ListM2mTokens) -> Result<PaginatedList<M2mToken>, Error> {
        self.client
            .request(Method::GET, "/m2m_tokens")
            .unversioned()
            .machine_secret_key()
            .query(params)
            .send()
            .await
    }

    /// `POST /m2m_tokens/{id}/revoke` with `{"revocation_reason"}`. Never
    /// retried.
    ///
    /// # Errors
    ///
    /// [`Error`].
    pub async fn revoke(
        &self,
        m2m_token_id: &str,
        reason: Option<&str>,
    ) -> Result<M2mToken, Error> {
        self.client
            .request(Method::POST, "/m2m_tokens")
            .unversioned()
            .machine_secret_key()
            .segment(m2m_token_id)
            .segment("revoke")
            .json(&json!({ "revocation_reason": reason }))
            .send()
            .await
    }

    /// `POST /m2m_tokens/verify` with `{"token"}`. Uncached.
    ///
    /// # Errors
    ///
    /// [`Error`]; 404 for an unknown, revoked or expired token.
    pub async fn verify(&self, token: &str) -> Result<M2mToken, Error> {
        let client = &self.client;
        machine_models::verify(client.api(), &client.settings, Opaque::M2mToken, token).await
    }
}
