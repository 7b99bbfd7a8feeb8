//! Users: `/v1/users`.

use futures_util::future::try_join;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::models::{
    null_default, setters, string_enum, DeletedObject, Metadata, PaginatedList, Pagination,
    TotalCount,
};
use super::organizations::OrganizationMembership;
use super::request::Method;
use super::ClerkClient;
use crate::backend::error::{Error, ErrorKind};

// ---------------------------------------------------------------- models --

/// A user (`"object": "user"`).
///
/// Lenient like every model of this module: unknown fields are ignored and
/// missing ones get their default.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::User;
///
/// let user: User = serde_json::from_str(r#"{
///     "object": "user", "id": "user_1", "first_name": "Ada",
///     "primary_email_address_id": "idn_1",
///     "email_addresses": [{"id": "idn_1", "email_address": "ada@example.com"}],
///     "a_field_from_the_future": true
/// }"#)?;
/// assert_eq!(user.first_name.as_deref(), Some("Ada"));
/// assert_eq!(user.primary_email_address().map(|e| e.email_address.as_str()), Some("ada@example.com"));
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct User {
    /// `user`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// `user_…`.
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    /// Your own id for this user.
    pub external_id: Option<String>,
    /// The id of the primary entry of [`email_addresses`](Self::email_addresses).
    pub primary_email_address_id: Option<String>,
    /// The id of the primary entry of [`phone_numbers`](Self::phone_numbers).
    pub primary_phone_number_id: Option<String>,
    /// The id of the primary entry of [`web3_wallets`](Self::web3_wallets).
    pub primary_web3_wallet_id: Option<String>,
    /// Username.
    pub username: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Locale, e.g. `en-US`.
    pub locale: Option<String>,
    /// Deprecated: use [`image_url`](Self::image_url).
    pub profile_image_url: Option<String>,
    /// Profile image URL.
    pub image_url: Option<String>,
    /// Whether the user uploaded an image.
    #[serde(deserialize_with = "null_default")]
    pub has_image: bool,
    /// Readable by the frontend, writable by the backend.
    #[serde(deserialize_with = "null_default")]
    pub public_metadata: Metadata,
    /// Backend only.
    #[serde(deserialize_with = "null_default")]
    pub private_metadata: Metadata,
    /// Readable and writable by the frontend.
    #[serde(deserialize_with = "null_default")]
    pub unsafe_metadata: Metadata,
    /// Email addresses.
    #[serde(deserialize_with = "null_default")]
    pub email_addresses: Vec<EmailAddress>,
    /// Phone numbers.
    #[serde(deserialize_with = "null_default")]
    pub phone_numbers: Vec<PhoneNumber>,
    /// Web3 wallets.
    #[serde(deserialize_with = "null_default")]
    pub web3_wallets: Vec<Web3Wallet>,
    /// Passkeys.
    #[serde(deserialize_with = "null_default")]
    pub passkeys: Vec<Passkey>,
    /// Whether the user has a password.
    #[serde(deserialize_with = "null_default")]
    pub password_enabled: bool,
    /// Whether a second factor is on.
    #[serde(deserialize_with = "null_default")]
    pub two_factor_enabled: bool,
    /// Whether TOTP is on.
    #[serde(deserialize_with = "null_default")]
    pub totp_enabled: bool,
    /// Whether backup codes are on.
    #[serde(deserialize_with = "null_default")]
    pub backup_code_enabled: bool,
    /// When MFA was last enabled (ms since the epoch).
    pub mfa_enabled_at: Option<i64>,
    /// When MFA was last disabled (ms since the epoch).
    pub mfa_disabled_at: Option<i64>,
    /// When the password last changed (ms since the epoch).
    pub password_last_updated_at: Option<i64>,
    /// OAuth accounts.
    #[serde(deserialize_with = "null_default")]
    pub external_accounts: Vec<ExternalAccount>,
    /// SAML accounts (deprecated by Clerk in favour of enterprise accounts).
    #[serde(deserialize_with = "null_default")]
    pub saml_accounts: Vec<SamlAccount>,
    /// Enterprise SSO accounts.
    #[serde(deserialize_with = "null_default")]
    pub enterprise_accounts: Vec<EnterpriseAccount>,
    /// Organization memberships, when the endpoint includes them.
    #[serde(deserialize_with = "null_default")]
    pub organization_memberships: Vec<OrganizationMembership>,
    /// Last sign-in (ms since the epoch).
    pub last_sign_in_at: Option<i64>,
    /// Whether the user is banned.
    #[serde(deserialize_with = "null_default")]
    pub banned: bool,
    /// Whether the user is locked out.
    #[serde(deserialize_with = "null_default")]
    pub locked: bool,
    /// Whether the user was deprovisioned.
    #[serde(deserialize_with = "null_default")]
    pub deprovisioned: bool,
    /// Seconds until a lockout ends; `None` for a lockout without end.
    pub lockout_expires_in_seconds: Option<i64>,
    /// Verification attempts left before a lockout.
    pub verification_attempts_remaining: Option<i64>,
    /// Last update (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub updated_at: i64,
    /// Creation (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub created_at: i64,
    /// Whether the user may delete themselves.
    #[serde(deserialize_with = "null_default")]
    pub delete_self_enabled: bool,
    /// Whether the user may create organizations.
    #[serde(deserialize_with = "null_default")]
    pub create_organization_enabled: bool,
    /// How many organizations the user may create (0: no limit).
    pub create_organizations_limit: Option<i64>,
    /// Latest session activity (ms since the epoch, day precision).
    pub last_active_at: Option<i64>,
    /// When the legal terms were accepted (ms since the epoch).
    pub legal_accepted_at: Option<i64>,
    /// Whether Device Trust checks are skipped for this user.
    #[serde(deserialize_with = "null_default")]
    pub bypass_client_trust: bool,
    /// SCIM data, as sent.
    pub scim: Option<Value>,
}

impl User {
    /// The primary email address, if any.
    #[must_use]
    pub fn primary_email_address(&self) -> Option<&EmailAddress> {
        let id = self.primary_email_address_id.as_deref()?;
        self.email_addresses
            .iter()
            .find(|e| e.id.as_deref() == Some(id))
    }

    /// The primary phone number, if any.
    #[must_use]
    pub fn primary_phone_number(&self) -> Option<&PhoneNumber> {
        let id = self.primary_phone_number_id.as_deref()?;
        self.phone_numbers
            .iter()
            .find(|p| p.id.as_deref() == Some(id))
    }
}

string_enum! {
    /// The state of a verification.
    ///
    /// Unknown values are kept, not rejected:
    ///
    /// ```
    /// use clerk_actix::client::VerificationStatus;
    ///
    /// let known: VerificationStatus = serde_json::from_str(r#""verified""#)?;
    /// assert_eq!(known, VerificationStatus::Verified);
    /// let unknown: VerificationStatus = serde_json::from_str(r#""unknown_yet""#)?;
    /// assert_eq!(unknown.as_str(), "unknown_yet");
    /// # Ok::<_, serde_json::Error>(())
    /// ```
    pub enum VerificationStatus {
        /// Not verified yet.
        Unverified = "unverified",
        /// Verified.
        Verified = "verified",
        /// Can be transferred to a sign-up or sign-in.
        Transferable = "transferable",
        /// Failed.
        Failed = "failed",
        /// Expired.
        Expired = "expired",
    }
}

/// How an identifier was verified.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::Verification;
///
/// let value: Verification = serde_json::from_str(
///     r#"{"status": "verified", "strategy": "email_code", "attempts": 1, "expire_at": null}"#,
/// )?;
/// assert_eq!(value.status, clerk_actix::client::VerificationStatus::Verified);
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Verification {
    /// The verification type, e.g. `verification_otp`, when sent.
    pub object: Option<String>,
    /// The state.
    pub status: VerificationStatus,
    /// e.g. `email_code`, `from_oauth_google`, `admin`.
    #[serde(deserialize_with = "null_default")]
    pub strategy: String,
    /// Attempts made.
    pub attempts: Option<i64>,
    /// Expiry (ms since the epoch).
    pub expire_at: Option<i64>,
    /// The client the verification happened on.
    pub verified_at_client: Option<String>,
    /// OAuth redirect URL.
    pub external_verification_redirect_url: Option<String>,
    /// Web3 nonce.
    pub nonce: Option<String>,
    /// Phone channel (`sms`, `whatsapp`).
    pub channel: Option<String>,
    /// Error details, as sent.
    pub error: Option<Value>,
}

/// A link between identifiers (e.g. an email that came with an OAuth account).
///
/// # Examples
///
/// ```
/// use clerk_actix::client::IdentificationLink;
///
/// let value: IdentificationLink = serde_json::from_str(
///     r#"{"type": "oauth_google", "id": "idn_1"}"#,
/// )?;
/// assert_eq!(value.link_type, "oauth_google");
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct IdentificationLink {
    /// e.g. `oauth_google`.
    #[serde(rename = "type", deserialize_with = "null_default")]
    pub link_type: String,
    /// The linked identification's id.
    #[serde(deserialize_with = "null_default")]
    pub id: String,
}

/// An email address of a user.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::EmailAddress;
///
/// let value: EmailAddress = serde_json::from_str(
///     r#"{"id": "idn_1", "email_address": "ada@example.com", "verification": null}"#,
/// )?;
/// assert!(value.verification.is_none());
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct EmailAddress {
    /// `email_address`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// `idn_…`.
    pub id: Option<String>,
    /// The address.
    #[serde(deserialize_with = "null_default")]
    pub email_address: String,
    /// Reserved (e.g. by an SSO connection).
    #[serde(deserialize_with = "null_default")]
    pub reserved: bool,
    /// How it was verified; `None` when it is not.
    pub verification: Option<Verification>,
    /// Linked identifications.
    #[serde(deserialize_with = "null_default")]
    pub linked_to: Vec<IdentificationLink>,
    /// Whether it matches an SSO connection.
    pub matches_sso_connection: Option<bool>,
    /// Creation (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub created_at: i64,
    /// Last update (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub updated_at: i64,
}

/// A phone number of a user.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::PhoneNumber;
///
/// let value: PhoneNumber = serde_json::from_str(
///     r#"{"id": "idn_2", "phone_number": "+15555550100", "reserved_for_second_factor": true}"#,
/// )?;
/// assert_eq!(value.reserved_for_second_factor, Some(true));
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PhoneNumber {
    /// `phone_number`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// `idn_…`.
    pub id: Option<String>,
    /// The number, E.164.
    #[serde(deserialize_with = "null_default")]
    pub phone_number: String,
    /// Reserved for a second factor.
    pub reserved_for_second_factor: Option<bool>,
    /// The default second factor.
    pub default_second_factor: Option<bool>,
    /// Reserved.
    #[serde(deserialize_with = "null_default")]
    pub reserved: bool,
    /// How it was verified.
    pub verification: Option<Verification>,
    /// Linked identifications.
    #[serde(deserialize_with = "null_default")]
    pub linked_to: Vec<IdentificationLink>,
    /// Backup codes, when just generated.
    pub backup_codes: Option<Vec<String>>,
    /// Creation (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub created_at: i64,
    /// Last update (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub updated_at: i64,
}

/// A Web3 wallet of a user.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::Web3Wallet;
///
/// let value: Web3Wallet = serde_json::from_str(
///     r#"{"id": "idn_3", "web3_wallet": "0x0000000000000000000000000000000000000000"}"#,
/// )?;
/// assert!(value.web3_wallet.starts_with("0x"));
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Web3Wallet {
    /// `web3_wallet`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// `idn_…`.
    pub id: Option<String>,
    /// The wallet address.
    #[serde(deserialize_with = "null_default")]
    pub web3_wallet: String,
    /// How it was verified.
    pub verification: Option<Verification>,
    /// Creation (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub created_at: i64,
    /// Last update (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub updated_at: i64,
}

/// A passkey of a user.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::Passkey;
///
/// let value: Passkey = serde_json::from_str(
///     r#"{"id": "pk_1", "name": "Laptop", "last_used_at": 1700000000000}"#,
/// )?;
/// assert_eq!(value.name, "Laptop");
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Passkey {
    /// `passkey`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// Its id.
    pub id: Option<String>,
    /// Its name.
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    /// Last use (ms since the epoch).
    pub last_used_at: Option<i64>,
    /// How it was verified.
    pub verification: Option<Verification>,
}

/// An OAuth account of a user (`external_account`, or the older
/// `google_account`/`facebook_account`).
///
/// # Examples
///
/// ```
/// use clerk_actix::client::ExternalAccount;
///
/// let value: ExternalAccount = serde_json::from_str(
///     r#"{"object": "external_account", "id": "eac_1", "provider": "oauth_github", "username": "ada"}"#,
/// )?;
/// assert_eq!(value.provider, "oauth_github");
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ExternalAccount {
    /// `external_account`, `google_account` or `facebook_account`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// `eac_…` (or the `idn_…` identification id for Google/Facebook).
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    /// The `eac_…` id, for Google/Facebook accounts.
    pub external_account_id: Option<String>,
    /// e.g. `oauth_github`, or `google` in older answers.
    #[serde(deserialize_with = "null_default")]
    pub provider: String,
    /// The identification id.
    pub identification_id: Option<String>,
    /// The user's id at the provider.
    pub provider_user_id: Option<String>,
    /// Space-separated scopes.
    pub approved_scopes: Option<String>,
    /// Email at the provider.
    pub email_address: Option<String>,
    /// Whether the provider verified the email.
    pub email_address_verified: Option<bool>,
    /// First name at the provider.
    pub first_name: Option<String>,
    /// Last name at the provider.
    pub last_name: Option<String>,
    /// Deprecated: use [`image_url`](Self::image_url).
    pub avatar_url: Option<String>,
    /// Image URL.
    pub image_url: Option<String>,
    /// Username at the provider.
    pub username: Option<String>,
    /// Phone at the provider.
    pub phone_number: Option<String>,
    /// Public metadata.
    #[serde(deserialize_with = "null_default")]
    pub public_metadata: Metadata,
    /// Label.
    pub label: Option<String>,
    /// Creation (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub created_at: i64,
    /// Last update (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub updated_at: i64,
    /// How it was verified.
    pub verification: Option<Verification>,
}

/// A SAML account of a user.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::SamlAccount;
///
/// let value: SamlAccount = serde_json::from_str(
///     r#"{"object": "saml_account", "id": "samlacc_1", "provider": "saml_okta", "active": true}"#,
/// )?;
/// assert!(value.active);
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SamlAccount {
    /// `saml_account`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// Its id.
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    /// e.g. `saml_okta`.
    #[serde(deserialize_with = "null_default")]
    pub provider: String,
    /// Whether it is active.
    #[serde(deserialize_with = "null_default")]
    pub active: bool,
    /// Email address.
    #[serde(deserialize_with = "null_default")]
    pub email_address: String,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// The user's id at the provider.
    pub provider_user_id: Option<String>,
    /// Last authentication (ms since the epoch).
    pub last_authenticated_at: Option<i64>,
    /// Public metadata.
    #[serde(deserialize_with = "null_default")]
    pub public_metadata: Metadata,
    /// How it was verified.
    pub verification: Option<Verification>,
    /// The connection, as sent.
    pub saml_connection: Option<Value>,
}

/// An enterprise SSO account of a user.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::EnterpriseAccount;
///
/// let value: EnterpriseAccount = serde_json::from_str(
///     r#"{"object": "enterprise_account", "id": "eaa_1", "protocol": "saml", "active": true}"#,
/// )?;
/// assert_eq!(value.protocol.as_deref(), Some("saml"));
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct EnterpriseAccount {
    /// `enterprise_account`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// Its id.
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    /// `oauth` or `saml`.
    pub protocol: Option<String>,
    /// e.g. `saml_okta`.
    #[serde(deserialize_with = "null_default")]
    pub provider: String,
    /// Whether it is active.
    #[serde(deserialize_with = "null_default")]
    pub active: bool,
    /// Email address.
    #[serde(deserialize_with = "null_default")]
    pub email_address: String,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// The user's id at the provider.
    pub provider_user_id: Option<String>,
    /// The connection's id.
    pub enterprise_connection_id: Option<String>,
    /// Public metadata.
    #[serde(deserialize_with = "null_default")]
    pub public_metadata: Metadata,
    /// How it was verified.
    pub verification: Option<Verification>,
    /// The connection, as sent.
    pub enterprise_connection: Option<Value>,
    /// Last authentication (ms since the epoch).
    pub last_authenticated_at: Option<i64>,
}

/// An OAuth access token of a user at a provider
/// (`"object": "oauth_access_token"`).
///
/// `Debug` does not print the token.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::OauthAccessToken;
///
/// let value: OauthAccessToken = serde_json::from_str(
///     r#"{"object": "oauth_access_token", "token": "ya29.x", "provider": "oauth_google", "scopes": ["email"]}"#,
/// )?;
/// assert_eq!(value.scopes, ["email"]);
/// assert!(!format!("{value:?}").contains("ya29"));
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct OauthAccessToken {
    /// `oauth_access_token`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// The external account (`eac_…`).
    pub external_account_id: Option<String>,
    /// The access token.
    #[serde(deserialize_with = "null_default")]
    pub token: String,
    /// e.g. `oauth_google`.
    #[serde(deserialize_with = "null_default")]
    pub provider: String,
    /// Public metadata.
    #[serde(deserialize_with = "null_default")]
    pub public_metadata: Metadata,
    /// Label.
    pub label: Option<String>,
    /// Granted scopes.
    #[serde(deserialize_with = "null_default")]
    pub scopes: Vec<String>,
    /// OAuth 1 token secret.
    pub token_secret: Option<String>,
    /// Expiry (Unix seconds), when the provider gives one.
    pub expires_at: Option<i64>,
}

impl std::fmt::Debug for OauthAccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OauthAccessToken")
            .field("external_account_id", &self.external_account_id)
            .field("provider", &self.provider)
            .field("scopes", &self.scopes)
            .field("token", &"******")
            .finish_non_exhaustive()
    }
}

// ------------------------------------------------------------ parameters --

/// Filters, order and page of [`UsersApi::list`] and [`UsersApi::count`].
///
/// Filters given several values match any of them; different filters must
/// all match. The count ignores `order_by`, `limit` and `offset`.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::ListUsers;
///
/// let params = ListUsers::default()
///     .email_address(["ada@example.com", "grace@example.com"])
///     .order_by("-created_at")
///     .limit(10);
/// # let _ = params;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct ListUsers {
    email_address: Vec<String>,
    phone_number: Vec<String>,
    username: Vec<String>,
    web3_wallet: Vec<String>,
    user_id: Vec<String>,
    external_id: Vec<String>,
    organization_id: Vec<String>,
    query: Option<String>,
    email_address_query: Option<String>,
    phone_number_query: Option<String>,
    username_query: Option<String>,
    name_query: Option<String>,
    banned: Option<bool>,
    last_active_at_before: Option<i64>,
    last_active_at_after: Option<i64>,
    created_at_before: Option<i64>,
    created_at_after: Option<i64>,
    last_sign_in_at_before: Option<i64>,
    last_sign_in_at_after: Option<i64>,
    order_by: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

impl ListUsers {
    setters! {
        /// Users with any of these email addresses. Defaults to no filter.
        email_address: strings;
        /// Users with any of these phone numbers. Defaults to no filter.
        phone_number: strings;
        /// Users with any of these usernames. Defaults to no filter.
        username: strings;
        /// Users with any of these Web3 wallets. Defaults to no filter.
        web3_wallet: strings;
        /// These users (a `+`/`-` prefix includes/excludes). Defaults to no filter.
        user_id: strings;
        /// Users with any of these external ids. Defaults to no filter.
        external_id: strings;
        /// Members of any of these organizations. Defaults to no filter.
        organization_id: strings;
        /// Users whose email, phone, username, Web3 wallet, id, first or last
        /// name contains this text. Defaults to no filter.
        query: string;
        /// Users whose email address contains this text. Defaults to no filter.
        email_address_query: string;
        /// Users whose phone number contains this text. Defaults to no filter.
        phone_number_query: string;
        /// Users whose username contains this text. Defaults to no filter.
        username_query: string;
        /// Users whose first or last name contains this text. Defaults to no filter.
        name_query: string;
        /// Only banned (`true`) or only not banned (`false`) users. Defaults
        /// to both.
        banned: value(bool);
        /// Last active before this time (ms since the epoch). Defaults to no filter.
        last_active_at_before: value(i64);
        /// Last active after this time (ms since the epoch). Defaults to no filter.
        last_active_at_after: value(i64);
        /// Created before this time (ms since the epoch). Defaults to no filter.
        created_at_before: value(i64);
        /// Created after this time (ms since the epoch). Defaults to no filter.
        created_at_after: value(i64);
        /// Last signed in before this time (ms since the epoch). Defaults to no filter.
        last_sign_in_at_before: value(i64);
        /// Last signed in after this time (ms since the epoch). Defaults to no filter.
        last_sign_in_at_after: value(i64);
        /// A field with a `+` (ascending) or `-` (descending) prefix:
        /// `created_at`, `updated_at`, `email_address`, `web3wallet`,
        /// `first_name`, `last_name`, `phone_number`, `username`,
        /// `last_active_at`, `last_sign_in_at`. Defaults to `-created_at`.
        order_by: string;
        /// At most this many users (1–500). Defaults to 10.
        limit: value(u32);
        /// Skip this many users. Defaults to 0.
        offset: value(u32);
    }

    fn for_count(&self) -> Self {
        Self {
            order_by: None,
            limit: None,
            offset: None,
            ..self.clone()
        }
    }
}

/// The body of [`UsersApi::create`].
///
/// # Examples
///
/// ```
/// use clerk_actix::client::CreateUser;
/// use serde_json::json;
///
/// let params = CreateUser::default()
///     .email_address(["ada@example.com"])
///     .first_name("Ada")
///     .public_metadata(json!({"plan": "pro"}));
/// # let _ = params;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct CreateUser {
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    email_address: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    phone_number: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    web3_wallet: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password_digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password_hasher: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    locale: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    skip_password_checks: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    skip_password_requirement: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    skip_legal_checks: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    legal_accepted_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    totp_secret: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    backup_codes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delete_self_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    create_organization_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    create_organizations_limit: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    public_metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    private_metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unsafe_metadata: Option<Value>,
}

impl CreateUser {
    setters! {
        /// Your own id for the user. Defaults to none.
        external_id: string;
        /// Email addresses; the first becomes the primary one. Defaults to none.
        email_address: strings;
        /// Phone numbers (E.164); the first becomes the primary one. Defaults to none.
        phone_number: strings;
        /// Web3 wallets. Defaults to none.
        web3_wallet: strings;
        /// Username. Defaults to none.
        username: string;
        /// Plain-text password. Defaults to none.
        password: string;
        /// A password hash to import, with [`password_hasher`](Self::password_hasher).
        /// Defaults to none.
        password_digest: string;
        /// The hasher of [`password_digest`](Self::password_digest), e.g.
        /// `bcrypt`. Defaults to none.
        password_hasher: string;
        /// First name. Defaults to none.
        first_name: string;
        /// Last name. Defaults to none.
        last_name: string;
        /// Locale, e.g. `en-US`. Defaults to none.
        locale: string;
        /// Skip the password strength checks. Defaults to Clerk's default (no).
        skip_password_checks: value(bool);
        /// Allow no password although the instance requires one. Defaults to
        /// Clerk's default (no).
        skip_password_requirement: value(bool);
        /// Skip the legal acceptance check. Defaults to Clerk's default (no).
        skip_legal_checks: value(bool);
        /// When the user accepted the legal terms (RFC 3339). Defaults to none.
        legal_accepted_at: string;
        /// A TOTP secret to import. Defaults to none.
        totp_secret: string;
        /// Backup codes to import. Defaults to none.
        backup_codes: strings;
        /// The creation time to record (RFC 3339), for imports. Defaults to now.
        created_at: string;
        /// Whether the user may delete themselves. Defaults to the instance setting.
        delete_self_enabled: value(bool);
        /// Whether the user may create organizations. Defaults to the instance setting.
        create_organization_enabled: value(bool);
        /// How many organizations the user may create. Defaults to the instance setting.
        create_organizations_limit: value(i64);
        /// Public metadata, sent untouched. Defaults to `{}`.
        public_metadata: value(Value);
        /// Private metadata, sent untouched. Defaults to `{}`.
        private_metadata: value(Value);
        /// Unsafe metadata, sent untouched. Defaults to `{}`.
        unsafe_metadata: value(Value);
    }
}

/// The body of [`UsersApi::update`] (metadata has its own calls:
/// [`UsersApi::update_metadata`], [`UsersApi::replace_metadata`]).
///
/// # Examples
///
/// ```
/// use clerk_actix::client::UpdateUser;
///
/// let params = UpdateUser::default().first_name("Ada").last_name("Lovelace");
/// # let _ = params;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct UpdateUser {
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    skip_password_checks: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sign_out_of_other_sessions: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password_digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password_hasher: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_email_address_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notify_primary_email_address_changed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_phone_number_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_web3_wallet_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile_image_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    totp_secret: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    backup_codes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    skip_legal_checks: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    legal_accepted_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    locale: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delete_self_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    create_organization_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    create_organizations_limit: Option<i64>,
}

impl UpdateUser {
    setters! {
        /// New first name. Defaults to unchanged.
        first_name: string;
        /// New last name. Defaults to unchanged.
        last_name: string;
        /// New username. Defaults to unchanged.
        username: string;
        /// New password. Defaults to unchanged.
        password: string;
        /// Skip the password strength checks. Defaults to Clerk's default (no).
        skip_password_checks: value(bool);
        /// With a new password: sign the user out of their other sessions.
        /// Defaults to Clerk's default (no).
        sign_out_of_other_sessions: value(bool);
        /// A password hash to import. Defaults to unchanged.
        password_digest: string;
        /// The hasher of the digest, e.g. `bcrypt`. Defaults to none.
        password_hasher: string;
        /// Make this (verified) email address the primary one. Defaults to unchanged.
        primary_email_address_id: string;
        /// Email the old primary address about the change. Defaults to Clerk's default.
        notify_primary_email_address_changed: value(bool);
        /// Make this (verified) phone number the primary one. Defaults to unchanged.
        primary_phone_number_id: string;
        /// Make this Web3 wallet the primary one. Defaults to unchanged.
        primary_web3_wallet_id: string;
        /// An uploaded image's id. Defaults to unchanged.
        profile_image_id: string;
        /// A TOTP secret to import. Defaults to unchanged.
        totp_secret: string;
        /// Backup codes to import. Defaults to unchanged.
        backup_codes: strings;
        /// New external id. Defaults to unchanged.
        external_id: string;
        /// A creation time to record (RFC 3339). Defaults to unchanged.
        created_at: string;
        /// Skip the legal acceptance check. Defaults to Clerk's default (no).
        skip_legal_checks: value(bool);
        /// When the user accepted the legal terms (RFC 3339). Defaults to unchanged.
        legal_accepted_at: string;
        /// Locale. Defaults to unchanged.
        locale: string;
        /// Whether the user may delete themselves. Defaults to unchanged.
        delete_self_enabled: value(bool);
        /// Whether the user may create organizations. Defaults to unchanged.
        create_organization_enabled: value(bool);
        /// How many organizations the user may create. Defaults to unchanged.
        create_organizations_limit: value(i64);
    }
}

/// The body of [`UsersApi::update_metadata`] (merge) and
/// [`UsersApi::replace_metadata`] (replace). The values are sent untouched:
/// your keys keep their spelling.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::UpdateUserMetadata;
/// use serde_json::json;
///
/// // With update_metadata: sets `plan`, deletes `trial`, keeps other keys.
/// let params = UpdateUserMetadata::default().public_metadata(json!({"plan": "pro", "trial": null}));
/// # let _ = params;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct UpdateUserMetadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    public_metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    private_metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unsafe_metadata: Option<Value>,
}

impl UpdateUserMetadata {
    setters! {
        /// Public metadata. Defaults to unchanged.
        public_metadata: value(Value);
        /// Private metadata. Defaults to unchanged.
        private_metadata: value(Value);
        /// Unsafe metadata. Defaults to unchanged.
        unsafe_metadata: value(Value);
    }
}

#[derive(Deserialize)]
struct PasswordCheck {
    #[serde(default)]
    verified: Option<bool>,
}

// ------------------------------------------------------------------- API --

/// The users endpoints; from [`ClerkClient::users`].
///
/// # Examples
///
/// ```no_run
/// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
/// let users = clerk.client().users();
/// let user = users.get("user_123").await?;
/// # let _ = user;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct UsersApi {
    pub(crate) client: ClerkClient,
}

impl UsersApi {
    /// `GET /users` and `GET /users/count`, sent together: one page of users
    /// and the total number matching the filters (`getUserList` of the JS
    /// SDK). The two answers may disagree by a user created in between.
    ///
    /// # Errors
    ///
    /// [`Error`] from either request.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "testing")]
    /// # actix_web::rt::System::new().block_on(async {
    /// use clerk_actix::client::ListUsers;
    /// use clerk_actix::testing::StandIn;
    /// use serde_json::json;
    ///
    /// let stand_in = StandIn::builder()
    ///     .user(json!({"email_addresses": [{"email_address": "ada@example.com"}]}))
    ///     .user(json!({"email_addresses": [{"email_address": "bob@example.com"}]}))
    ///     .start()?;
    /// let client = stand_in.clerk()?.client();
    /// let page = client.users().list(&ListUsers::default().email_address(["ada@example.com"])).await?;
    /// assert_eq!(page.total_count, 1);
    /// assert_eq!(page.data[0].email_addresses[0].email_address, "ada@example.com");
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn list(&self, params: &ListUsers) -> Result<PaginatedList<User>, Error> {
        let (data, total) = try_join(self.list_page(params), self.count(params)).await?;
        Ok(PaginatedList::new(data, total))
    }

    async fn list_page(&self, params: &ListUsers) -> Result<Vec<User>, Error> {
        self.client
            .request(Method::GET, "/users")
            .query(params)
            .send()
            .await
    }

    /// `GET /users/count`: how many users match the filters (`order_by`,
    /// `limit` and `offset` are not sent).
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clerk_actix::client::ListUsers;
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let banned = clerk.client().users().count(&ListUsers::default().banned(true)).await?;
    /// println!("{banned} banned users");
    /// # Ok(()) }
    /// ```
    pub async fn count(&self, params: &ListUsers) -> Result<u64, Error> {
        let count: TotalCount = self
            .client
            .request(Method::GET, "/users/count")
            .query(&params.for_count())
            .send()
            .await?;
        Ok(count.total_count)
    }

    /// `GET /users/{id}`.
    ///
    /// # Errors
    ///
    /// [`Error`]; an unknown id is a 404 (`resource_not_found`).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let user = clerk.client().users().get("user_123").await?;
    /// println!("{:?} {:?}", user.first_name, user.primary_email_address());
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, user_id: &str) -> Result<User, Error> {
        self.client
            .request(Method::GET, "/users")
            .segment(user_id)
            .send()
            .await
    }

    /// `POST /users`. Never retried.
    ///
    /// # Errors
    ///
    /// [`Error`]; Clerk answers 422 with codes such as
    /// `form_identifier_exists` or `form_password_pwned`.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clerk_actix::client::CreateUser;
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let user = clerk
    ///     .client()
    ///     .users()
    ///     .create(&CreateUser::default().email_address(["ada@example.com"]).password("correct horse battery"))
    ///     .await?;
    /// println!("created {}", user.id);
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, params: &CreateUser) -> Result<User, Error> {
        self.client
            .request(Method::POST, "/users")
            .json(params)
            .send()
            .await
    }

    /// `PATCH /users/{id}`. Never retried.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clerk_actix::client::UpdateUser;
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let user = clerk
    ///     .client()
    ///     .users()
    ///     .update("user_123", &UpdateUser::default().username("ada"))
    ///     .await?;
    /// # let _ = user;
    /// # Ok(()) }
    /// ```
    pub async fn update(&self, user_id: &str, params: &UpdateUser) -> Result<User, Error> {
        self.client
            .request(Method::PATCH, "/users")
            .segment(user_id)
            .json(params)
            .send()
            .await
    }

    /// `DELETE /users/{id}`.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let deleted = clerk.client().users().delete("user_123").await?;
    /// assert!(deleted.deleted);
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, user_id: &str) -> Result<DeletedObject, Error> {
        self.client
            .request(Method::DELETE, "/users")
            .segment(user_id)
            .send()
            .await
    }

    /// `PATCH /users/{id}/metadata`: deep-merges into the stored metadata; a
    /// `null` value deletes its key. Never retried.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clerk_actix::client::UpdateUserMetadata;
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// use serde_json::json;
    ///
    /// // Sets `plan`, removes `trial`, keeps every other key.
    /// let params = UpdateUserMetadata::default().public_metadata(json!({"plan": "pro", "trial": null}));
    /// let user = clerk.client().users().update_metadata("user_123", &params).await?;
    /// # let _ = user;
    /// # Ok(()) }
    /// ```
    pub async fn update_metadata(
        &self,
        user_id: &str,
        params: &UpdateUserMetadata,
    ) -> Result<User, Error> {
        self.metadata(Method::PATCH, user_id, params).await
    }

    /// `PUT /users/{id}/metadata`: replaces each metadata field given; the
    /// others are untouched.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clerk_actix::client::UpdateUserMetadata;
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// use serde_json::json;
    ///
    /// // public_metadata becomes exactly {"plan": "pro"}; the other fields stay.
    /// let params = UpdateUserMetadata::default().public_metadata(json!({"plan": "pro"}));
    /// let user = clerk.client().users().replace_metadata("user_123", &params).await?;
    /// # let _ = user;
    /// # Ok(()) }
    /// ```
    pub async fn replace_metadata(
        &self,
        user_id: &str,
        params: &UpdateUserMetadata,
    ) -> Result<User, Error> {
        self.metadata(Method::PUT, user_id, params).await
    }

    async fn metadata(
        &self,
        method: Method,
        user_id: &str,
        params: &UpdateUserMetadata,
    ) -> Result<User, Error> {
        self.client
            .request(method, "/users")
            .segment(user_id)
            .segment("metadata")
            .json(params)
            .send()
            .await
    }

    async fn action(&self, user_id: &str, action: &str) -> Result<User, Error> {
        self.client
            .request(Method::POST, "/users")
            .segment(user_id)
            .segment(action)
            .send()
            .await
    }

    /// `POST /users/{id}/ban`: signs the user out everywhere and blocks
    /// sign-ins.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let user = clerk.client().users().ban("user_123").await?;
    /// assert!(user.banned);
    /// # Ok(()) }
    /// ```
    pub async fn ban(&self, user_id: &str) -> Result<User, Error> {
        self.action(user_id, "ban").await
    }

    /// `POST /users/{id}/unban`.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let user = clerk.client().users().unban("user_123").await?;
    /// assert!(!user.banned);
    /// # Ok(()) }
    /// ```
    pub async fn unban(&self, user_id: &str) -> Result<User, Error> {
        self.action(user_id, "unban").await
    }

    /// `POST /users/{id}/lock`.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let user = clerk.client().users().lock("user_123").await?;
    /// assert!(user.locked);
    /// # Ok(()) }
    /// ```
    pub async fn lock(&self, user_id: &str) -> Result<User, Error> {
        self.action(user_id, "lock").await
    }

    /// `POST /users/{id}/unlock`.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let user = clerk.client().users().unlock("user_123").await?;
    /// assert!(!user.locked);
    /// # Ok(()) }
    /// ```
    pub async fn unlock(&self, user_id: &str) -> Result<User, Error> {
        self.action(user_id, "unlock").await
    }

    /// `POST /users/{id}/verify_password`: `Ok(true)` when the password
    /// matches, `Ok(false)` when Clerk answers 422 `form_password_incorrect`.
    ///
    /// # Errors
    ///
    /// [`Error`] for any other failure (e.g. 404 for an unknown user).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// if clerk.client().users().verify_password("user_123", "correct horse").await? {
    ///     println!("password matches");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn verify_password(&self, user_id: &str, password: &str) -> Result<bool, Error> {
        let result: Result<PasswordCheck, Error> = self
            .client
            .request(Method::POST, "/users")
            .segment(user_id)
            .segment("verify_password")
            .json(&serde_json::json!({ "password": password }))
            .send()
            .await;
        match result {
            Ok(answer) => Ok(answer.verified.unwrap_or(false)),
            Err(e) if is_password_incorrect(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `GET /users/{id}/organization_memberships`.
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
    /// let page = clerk
    ///     .client()
    ///     .users()
    ///     .organization_memberships("user_123", &Pagination::default().limit(50))
    ///     .await?;
    /// for membership in page.data {
    ///     println!("{} in {}", membership.role, membership.organization.slug);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn organization_memberships(
        &self,
        user_id: &str,
        params: &Pagination,
    ) -> Result<PaginatedList<OrganizationMembership>, Error> {
        self.client
            .request(Method::GET, "/users")
            .segment(user_id)
            .segment("organization_memberships")
            .query(params)
            .send()
            .await
    }

    /// `GET /users/{id}/oauth_access_tokens/{provider}?paginated=true`: the
    /// user's access tokens at an OAuth provider. `provider` is e.g.
    /// `oauth_google`; an `oauth_` prefix is added when missing, like the JS
    /// SDK does.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let tokens = clerk.client().users().oauth_access_tokens("user_123", "google").await?;
    /// for token in tokens.data {
    ///     println!("{} {:?}", token.provider, token.scopes);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn oauth_access_tokens(
        &self,
        user_id: &str,
        provider: &str,
    ) -> Result<PaginatedList<OauthAccessToken>, Error> {
        let provider = if provider.starts_with("oauth_") {
            provider.to_owned()
        } else {
            format!("oauth_{provider}")
        };
        self.client
            .request(Method::GET, "/users")
            .segment(user_id)
            .segment("oauth_access_tokens")
            .segment(provider)
            .query_pair("paginated", "true")
            .send()
            .await
    }
}

fn is_password_incorrect(error: &Error) -> bool {
    matches!(error.kind(), ErrorKind::Api(api)
        if api.status() == 422 && api.code() == Some("form_password_incorrect"))
}
