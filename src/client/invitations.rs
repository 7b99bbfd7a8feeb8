//! Instance invitations (`/v1/invitations`) and the sign-up allowlist
//! (`/v1/allowlist_identifiers`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::models::{
    null_default, setters, string_enum, DeletedObject, Metadata, PaginatedList, Pagination,
};
use super::organizations::InvitationStatus;
use super::request::Method;
use super::ClerkClient;
use crate::backend::error::Error;

// ---------------------------------------------------------------- models --

/// An invitation to sign up (`"object": "invitation"`).
///
/// # Examples
///
/// ```
/// use clerk_actix::client::Invitation;
///
/// let value: Invitation = serde_json::from_str(
///     r#"{"object": "invitation", "id": "inv_1", "email_address": "ada@example.com", "status": "revoked", "revoked": true}"#,
/// )?;
/// assert_eq!(value.status, clerk_actix::client::InvitationStatus::Revoked);
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Invitation {
    /// `invitation`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// `inv_…`.
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    /// The invitee.
    #[serde(deserialize_with = "null_default")]
    pub email_address: String,
    /// Public metadata, copied to the user on sign-up.
    #[serde(deserialize_with = "null_default")]
    pub public_metadata: Metadata,
    /// Whether it was revoked.
    pub revoked: Option<bool>,
    /// The state.
    pub status: InvitationStatus,
    /// The invitation link.
    pub url: Option<String>,
    /// Expiry (ms since the epoch).
    pub expires_at: Option<i64>,
    /// Creation (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub created_at: i64,
    /// Last update (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub updated_at: i64,
}

string_enum! {
    /// What kind of identifier an allowlist entry is.
    ///
    /// Unknown values are kept, not rejected:
    ///
    /// ```
    /// use clerk_actix::client::IdentifierType;
    ///
    /// let known: IdentifierType = serde_json::from_str(r#""email_address""#)?;
    /// assert_eq!(known, IdentifierType::EmailAddress);
    /// let unknown: IdentifierType = serde_json::from_str(r#""passkey""#)?;
    /// assert_eq!(unknown.as_str(), "passkey");
    /// # Ok::<_, serde_json::Error>(())
    /// ```
    pub enum IdentifierType {
        /// An email address (or `*@domain`).
        EmailAddress = "email_address",
        /// A phone number.
        PhoneNumber = "phone_number",
        /// A Web3 wallet.
        Web3Wallet = "web3_wallet",
    }
}

/// An identifier allowed to sign up (`"object": "allowlist_identifier"`).
///
/// # Examples
///
/// ```
/// use clerk_actix::client::AllowlistIdentifier;
///
/// let value: AllowlistIdentifier = serde_json::from_str(
///     r#"{"object": "allowlist_identifier", "id": "alid_1", "identifier": "*@example.com", "identifier_type": "email_address"}"#,
/// )?;
/// assert_eq!(value.identifier_type, clerk_actix::client::IdentifierType::EmailAddress);
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AllowlistIdentifier {
    /// `allowlist_identifier`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// `alid_…`.
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    /// The identifier, e.g. `ada@example.com` or `*@example.com`.
    #[serde(deserialize_with = "null_default")]
    pub identifier: String,
    /// Its kind.
    pub identifier_type: IdentifierType,
    /// The instance.
    pub instance_id: Option<String>,
    /// The invitation sent for it, if any.
    pub invitation_id: Option<String>,
    /// Creation (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub created_at: i64,
    /// Last update (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub updated_at: i64,
}

/// A waitlist entry (`"object": "waitlist_entry"`), for use with
/// [`ClerkClient::request`] on `/waitlist_entries`.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::WaitlistEntry;
///
/// let value: WaitlistEntry = serde_json::from_str(
///     r#"{"object": "waitlist_entry", "id": "wle_1", "email_address": "ada@example.com", "status": "pending"}"#,
/// )?;
/// assert_eq!(value.status, "pending");
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct WaitlistEntry {
    /// `waitlist_entry`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// `wle_…`.
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    /// The address that joined.
    #[serde(deserialize_with = "null_default")]
    pub email_address: String,
    /// `pending`, `invited`, `rejected`, `completed`…
    #[serde(deserialize_with = "null_default")]
    pub status: String,
    /// Whether it can no longer change.
    pub is_locked: Option<bool>,
    /// The invitation sent, if any.
    pub invitation: Option<Invitation>,
    /// Creation (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub created_at: i64,
    /// Last update (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub updated_at: i64,
}

// ------------------------------------------------------------ parameters --

/// Filters, order and page of [`InvitationsApi::list`].
///
/// # Examples
///
/// ```
/// use clerk_actix::client::ListInvitations;
///
/// let pending = ListInvitations::default().status("pending").limit(50);
/// # let _ = pending;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct ListInvitations {
    status: Option<String>,
    query: Option<String>,
    order_by: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

impl ListInvitations {
    setters! {
        /// Invitations in this state (`pending`, `accepted`, `revoked`,
        /// `expired`). Defaults to all.
        status: string;
        /// Invitations whose email address contains this text. Defaults to no filter.
        query: string;
        /// `created_at`, `email_address` or `expires_at` with a `+`/`-`
        /// prefix. Defaults to `-created_at`.
        order_by: string;
        /// At most this many (1–500). Defaults to 10.
        limit: value(u32);
        /// Skip this many. Defaults to 0.
        offset: value(u32);
    }
}

/// The body of [`InvitationsApi::create`].
///
/// # Examples
///
/// ```
/// use clerk_actix::client::CreateInvitation;
///
/// let params = CreateInvitation::new("ada@example.com")
///     .redirect_url("https://example.com/sign-up")
///     .expires_in_days(7);
/// # let _ = params;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct CreateInvitation {
    email_address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    redirect_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_in_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notify: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ignore_existing: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    template_slug: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    public_metadata: Option<Value>,
}

impl CreateInvitation {
    /// Invites `email_address`.
    pub fn new(email_address: impl Into<String>) -> Self {
        Self {
            email_address: email_address.into(),
            ..Self::default()
        }
    }

    setters! {
        /// Where the invitation link leads. Defaults to the sign-up page.
        redirect_url: string;
        /// Days until it expires. Defaults to Clerk's default.
        expires_in_days: value(u32);
        /// Whether Clerk emails the invitee. Defaults to Clerk's default (yes).
        notify: value(bool);
        /// Create it even if one is pending for this address. Defaults to no.
        ignore_existing: value(bool);
        /// `invitation` or `waitlist_invitation`. Defaults to `invitation`.
        template_slug: string;
        /// Public metadata for the new user, sent untouched. Defaults to `{}`.
        public_metadata: value(Value);
    }
}

/// The body of [`AllowlistIdentifiersApi::create`].
///
/// # Examples
///
/// ```
/// use clerk_actix::client::CreateAllowlistIdentifier;
///
/// let whole_domain = CreateAllowlistIdentifier::new("*@example.com");
/// # let _ = whole_domain;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct CreateAllowlistIdentifier {
    identifier: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    notify: Option<bool>,
}

impl CreateAllowlistIdentifier {
    /// Allows `identifier`: an email address, `*@domain`, a phone number or a
    /// Web3 wallet.
    pub fn new(identifier: impl Into<String>) -> Self {
        Self {
            identifier: identifier.into(),
            notify: None,
        }
    }

    setters! {
        /// Whether Clerk tells the owner of the identifier. Defaults to no.
        notify: value(bool);
    }
}

// ------------------------------------------------------------------- API --

/// The invitations endpoints; from [`ClerkClient::invitations`].
///
/// # Examples
///
/// ```no_run
/// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
/// let invitations = clerk.client().invitations();
/// let invitation = invitations.revoke("inv_123").await?;
/// # let _ = invitation;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct InvitationsApi {
    pub(crate) client: ClerkClient,
}

impl InvitationsApi {
    /// `GET /invitations?paginated=true`.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clerk_actix::client::ListInvitations;
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let pending = clerk.client().invitations().list(&ListInvitations::default().status("pending")).await?;
    /// for invitation in pending.data {
    ///     println!("{}", invitation.email_address);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list(&self, params: &ListInvitations) -> Result<PaginatedList<Invitation>, Error> {
        self.client
            .request(Method::GET, "/invitations")
            .query(params)
            .query_pair("paginated", "true")
            .send()
            .await
    }

    /// `POST /invitations`. Never retried.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clerk_actix::client::CreateInvitation;
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let invitation = clerk
    ///     .client()
    ///     .invitations()
    ///     .create(&CreateInvitation::new("ada@example.com").expires_in_days(7))
    ///     .await?;
    /// println!("{:?}", invitation.url);
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, params: &CreateInvitation) -> Result<Invitation, Error> {
        self.client
            .request(Method::POST, "/invitations")
            .json(params)
            .send()
            .await
    }

    /// `POST /invitations/{id}/revoke`. Never retried.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let invitation = clerk.client().invitations().revoke("inv_123").await?;
    /// # let _ = invitation;
    /// # Ok(()) }
    /// ```
    pub async fn revoke(&self, invitation_id: &str) -> Result<Invitation, Error> {
        self.client
            .request(Method::POST, "/invitations")
            .segment(invitation_id)
            .segment("revoke")
            .send()
            .await
    }
}

/// The allowlist endpoints; from [`ClerkClient::allowlist_identifiers`].
///
/// # Examples
///
/// ```no_run
/// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
/// let allowlist_identifiers = clerk.client().allowlist_identifiers();
/// let deleted = allowlist_identifiers.delete("alid_123").await?;
/// # let _ = deleted;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct AllowlistIdentifiersApi {
    pub(crate) client: ClerkClient,
}

impl AllowlistIdentifiersApi {
    /// `GET /allowlist_identifiers?paginated=true`.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clerk_actix::client::Pagination;
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let page = clerk.client().allowlist_identifiers().list(&Pagination::default()).await?;
    /// for entry in page.data {
    ///     println!("{} ({})", entry.identifier, entry.identifier_type);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list(
        &self,
        params: &Pagination,
    ) -> Result<PaginatedList<AllowlistIdentifier>, Error> {
        self.client
            .request(Method::GET, "/allowlist_identifiers")
            .query(params)
            .query_pair("paginated", "true")
            .send()
            .await
    }

    /// `POST /allowlist_identifiers`. Never retried.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clerk_actix::client::CreateAllowlistIdentifier;
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let entry = clerk
    ///     .client()
    ///     .allowlist_identifiers()
    ///     .create(&CreateAllowlistIdentifier::new("*@example.com"))
    ///     .await?;
    /// # let _ = entry;
    /// # Ok(()) }
    /// ```
    pub async fn create(
        &self,
        params: &CreateAllowlistIdentifier,
    ) -> Result<AllowlistIdentifier, Error> {
        self.client
            .request(Method::POST, "/allowlist_identifiers")
            .json(params)
            .send()
            .await
    }

    /// `DELETE /allowlist_identifiers/{id}`.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let deleted = clerk.client().allowlist_identifiers().delete("alid_123").await?;
    /// assert!(deleted.deleted);
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, identifier_id: &str) -> Result<DeletedObject, Error> {
        self.client
            .request(Method::DELETE, "/allowlist_identifiers")
            .segment(identifier_id)
            .send()
            .await
    }
}
