//! Organizations, their memberships and invitations: `/v1/organizations`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::models::{null_default, setters, string_enum, DeletedObject, Metadata, PaginatedList};
use super::request::Method;
use super::ClerkClient;
use crate::backend::error::Error;

// ---------------------------------------------------------------- models --

/// An organization (`"object": "organization"`).
///
/// # Examples
///
/// ```
/// use clerk_actix::client::Organization;
///
/// let org: Organization = serde_json::from_str(
///     r#"{"object": "organization", "id": "org_1", "name": "Acme", "slug": "acme", "members_count": 3}"#,
/// )?;
/// assert_eq!((org.slug.as_str(), org.members_count), ("acme", Some(3)));
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Organization {
    /// `organization`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// `org_…`.
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    /// Name.
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    /// Slug, unique in the instance.
    #[serde(deserialize_with = "null_default")]
    pub slug: String,
    /// Logo URL.
    pub image_url: Option<String>,
    /// Whether a logo was uploaded.
    #[serde(deserialize_with = "null_default")]
    pub has_image: bool,
    /// Member count, when asked for (`include_members_count`).
    pub members_count: Option<u64>,
    /// Whether no member holds an elevated role, when asked for.
    pub missing_member_with_elevated_permissions: Option<bool>,
    /// Pending invitations, when sent.
    pub pending_invitations_count: Option<u64>,
    /// Member limit (0: the instance default).
    #[serde(deserialize_with = "null_default")]
    pub max_allowed_memberships: i64,
    /// Whether admins may delete the organization.
    #[serde(deserialize_with = "null_default")]
    pub admin_delete_enabled: bool,
    /// Public metadata.
    #[serde(deserialize_with = "null_default")]
    pub public_metadata: Metadata,
    /// Private metadata.
    #[serde(deserialize_with = "null_default")]
    pub private_metadata: Metadata,
    /// The creator's user id.
    pub created_by: Option<String>,
    /// Creation (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub created_at: i64,
    /// Last update (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub updated_at: i64,
    /// Latest activity (ms since the epoch).
    pub last_active_at: Option<i64>,
    /// The role set in use.
    pub role_set_key: Option<String>,
}

/// A user's membership in an organization.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::OrganizationMembership;
///
/// let value: OrganizationMembership = serde_json::from_str(
///     r#"{"object": "organization_membership", "id": "orgmem_1", "role": "org:admin", "organization": {"id": "org_1", "slug": "acme"}, "public_user_data": {"user_id": "user_1"}}"#,
/// )?;
/// assert_eq!(value.organization.slug, "acme");
/// assert_eq!(value.public_user_data.map(|u| u.user_id).as_deref(), Some("user_1"));
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct OrganizationMembership {
    /// `organization_membership`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// `orgmem_…`.
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    /// e.g. `org:admin`.
    #[serde(deserialize_with = "null_default")]
    pub role: String,
    /// e.g. `Admin`.
    pub role_name: Option<String>,
    /// e.g. `org:sys_memberships:manage`.
    #[serde(deserialize_with = "null_default")]
    pub permissions: Vec<String>,
    /// Public metadata.
    #[serde(deserialize_with = "null_default")]
    pub public_metadata: Metadata,
    /// Private metadata.
    #[serde(deserialize_with = "null_default")]
    pub private_metadata: Metadata,
    /// The organization.
    #[serde(deserialize_with = "null_default")]
    pub organization: Organization,
    /// The member's public data.
    pub public_user_data: Option<PublicUserData>,
    /// Creation (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub created_at: i64,
    /// Last update (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub updated_at: i64,
}

/// The public data of a member or inviter.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::PublicUserData;
///
/// let value: PublicUserData = serde_json::from_str(
///     r#"{"user_id": "user_1", "first_name": "Ada", "identifier": "ada@example.com"}"#,
/// )?;
/// assert_eq!(value.identifier.as_deref(), Some("ada@example.com"));
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PublicUserData {
    /// `user_…`.
    #[serde(deserialize_with = "null_default")]
    pub user_id: String,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Deprecated: use [`image_url`](Self::image_url).
    pub profile_image_url: Option<String>,
    /// Image URL.
    pub image_url: Option<String>,
    /// Whether an image was uploaded.
    #[serde(deserialize_with = "null_default")]
    pub has_image: bool,
    /// The primary identifier (email, phone, username…).
    pub identifier: Option<String>,
    /// Username.
    pub username: Option<String>,
    /// Whether the user is banned.
    pub banned: Option<bool>,
    /// Whether the user was deprovisioned.
    pub deprovisioned: Option<bool>,
}

string_enum! {
    /// The state of an invitation.
    ///
    /// Unknown values are kept, not rejected:
    ///
    /// ```
    /// use clerk_actix::client::InvitationStatus;
    ///
    /// let known: InvitationStatus = serde_json::from_str(r#""pending""#)?;
    /// assert_eq!(known, InvitationStatus::Pending);
    /// let unknown: InvitationStatus = serde_json::from_str(r#""archived""#)?;
    /// assert_eq!(unknown.as_str(), "archived");
    /// # Ok::<_, serde_json::Error>(())
    /// ```
    pub enum InvitationStatus {
        /// Sent, not yet used.
        Pending = "pending",
        /// Accepted.
        Accepted = "accepted",
        /// Revoked.
        Revoked = "revoked",
        /// Expired.
        Expired = "expired",
    }
}

/// An invitation to join an organization.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::OrganizationInvitation;
///
/// let value: OrganizationInvitation = serde_json::from_str(
///     r#"{"object": "organization_invitation", "id": "orginv_1", "email_address": "ada@example.com", "role": "org:member", "status": "pending"}"#,
/// )?;
/// assert_eq!(value.status, Some(clerk_actix::client::InvitationStatus::Pending));
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct OrganizationInvitation {
    /// `organization_invitation`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// `orginv_…`.
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    /// The invitee.
    #[serde(deserialize_with = "null_default")]
    pub email_address: String,
    /// The role on acceptance, e.g. `org:member`.
    #[serde(deserialize_with = "null_default")]
    pub role: String,
    /// e.g. `Member`.
    pub role_name: Option<String>,
    /// The organization.
    pub organization_id: Option<String>,
    /// The inviter's user id.
    pub inviter_id: Option<String>,
    /// The inviter's public data.
    pub public_inviter_data: Option<PublicUserData>,
    /// The organization's public data (in user-scoped lists).
    pub public_organization_data: Option<Value>,
    /// The state.
    pub status: Option<InvitationStatus>,
    /// Public metadata.
    #[serde(deserialize_with = "null_default")]
    pub public_metadata: Metadata,
    /// Private metadata.
    #[serde(deserialize_with = "null_default")]
    pub private_metadata: Metadata,
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

// ------------------------------------------------------------ parameters --

/// Filters, order and page of [`OrganizationsApi::list`].
///
/// # Examples
///
/// ```
/// use clerk_actix::client::ListOrganizations;
///
/// let params = ListOrganizations::default().query("acme").include_members_count(true).limit(20);
/// # let _ = params;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct ListOrganizations {
    query: Option<String>,
    organization_id: Vec<String>,
    user_id: Vec<String>,
    include_members_count: Option<bool>,
    include_missing_member_with_elevated_permissions: Option<bool>,
    order_by: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

impl ListOrganizations {
    setters! {
        /// Organizations whose id, name or slug contains this text. Defaults to no filter.
        query: string;
        /// These organizations. Defaults to no filter.
        organization_id: strings;
        /// Organizations any of these users belong to. Defaults to no filter.
        user_id: strings;
        /// Fill [`Organization::members_count`]. Defaults to no.
        include_members_count: value(bool);
        /// Fill [`Organization::missing_member_with_elevated_permissions`].
        /// Defaults to no.
        include_missing_member_with_elevated_permissions: value(bool);
        /// `name`, `created_at` or `members_count` with a `+`/`-` prefix.
        /// Defaults to `-created_at`.
        order_by: string;
        /// At most this many (1–500). Defaults to 10.
        limit: value(u32);
        /// Skip this many. Defaults to 0.
        offset: value(u32);
    }
}

/// The body of [`OrganizationsApi::create`].
///
/// # Examples
///
/// ```
/// use clerk_actix::client::CreateOrganization;
///
/// let params = CreateOrganization::new("Acme").slug("acme").created_by("user_123");
/// # let _ = params;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct CreateOrganization {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    slug: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_allowed_memberships: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role_set_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    public_metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    private_metadata: Option<Value>,
}

impl CreateOrganization {
    /// An organization named `name` (required by Clerk).
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    setters! {
        /// The slug. Defaults to one derived from the name.
        slug: string;
        /// The creator, who becomes its first admin. Defaults to none.
        created_by: string;
        /// Member limit. Defaults to the instance setting.
        max_allowed_memberships: value(i64);
        /// The role set. Defaults to the instance's default role set.
        role_set_key: string;
        /// Public metadata, sent untouched. Defaults to `{}`.
        public_metadata: value(Value);
        /// Private metadata, sent untouched. Defaults to `{}`.
        private_metadata: value(Value);
    }
}

/// The body of [`OrganizationsApi::update`].
///
/// # Examples
///
/// ```
/// use clerk_actix::client::UpdateOrganization;
///
/// let params = UpdateOrganization::default().name("Acme Inc.");
/// # let _ = params;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct UpdateOrganization {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    slug: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    admin_delete_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_allowed_memberships: Option<i64>,
}

impl UpdateOrganization {
    setters! {
        /// New name. Defaults to unchanged.
        name: string;
        /// New slug. Defaults to unchanged.
        slug: string;
        /// Whether admins may delete the organization. Defaults to unchanged.
        admin_delete_enabled: value(bool);
        /// New member limit. Defaults to unchanged.
        max_allowed_memberships: value(i64);
    }
}

/// The body of the organization and membership metadata calls; the values
/// are sent untouched.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::UpdateOrganizationMetadata;
/// use serde_json::json;
///
/// let params = UpdateOrganizationMetadata::default().private_metadata(json!({"crm_id": 42}));
/// # let _ = params;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct UpdateOrganizationMetadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    public_metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    private_metadata: Option<Value>,
}

impl UpdateOrganizationMetadata {
    setters! {
        /// Public metadata. Defaults to unchanged.
        public_metadata: value(Value);
        /// Private metadata. Defaults to unchanged.
        private_metadata: value(Value);
    }
}

/// Filters, order and page of [`OrganizationsApi::list_memberships`].
///
/// # Examples
///
/// ```
/// use clerk_actix::client::ListOrganizationMemberships;
///
/// let admins = ListOrganizationMemberships::default().role(["org:admin"]);
/// # let _ = admins;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct ListOrganizationMemberships {
    user_id: Vec<String>,
    email_address: Vec<String>,
    phone_number: Vec<String>,
    username: Vec<String>,
    web3_wallet: Vec<String>,
    role: Vec<String>,
    query: Option<String>,
    email_address_query: Option<String>,
    phone_number_query: Option<String>,
    username_query: Option<String>,
    name_query: Option<String>,
    last_active_at_before: Option<i64>,
    last_active_at_after: Option<i64>,
    created_at_before: Option<i64>,
    created_at_after: Option<i64>,
    order_by: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

impl ListOrganizationMemberships {
    setters! {
        /// Memberships of these users. Defaults to no filter.
        user_id: strings;
        /// Members with any of these email addresses. Defaults to no filter.
        email_address: strings;
        /// Members with any of these phone numbers. Defaults to no filter.
        phone_number: strings;
        /// Members with any of these usernames. Defaults to no filter.
        username: strings;
        /// Members with any of these Web3 wallets. Defaults to no filter.
        web3_wallet: strings;
        /// Memberships with any of these roles. Defaults to no filter.
        role: strings;
        /// Members whose identifiers or names contain this text. Defaults to no filter.
        query: string;
        /// Members whose email contains this text. Defaults to no filter.
        email_address_query: string;
        /// Members whose phone number contains this text. Defaults to no filter.
        phone_number_query: string;
        /// Members whose username contains this text. Defaults to no filter.
        username_query: string;
        /// Members whose name contains this text. Defaults to no filter.
        name_query: string;
        /// Last active before this time (ms since the epoch). Defaults to no filter.
        last_active_at_before: value(i64);
        /// Last active after this time (ms since the epoch). Defaults to no filter.
        last_active_at_after: value(i64);
        /// Joined before this time (ms since the epoch). Defaults to no filter.
        created_at_before: value(i64);
        /// Joined after this time (ms since the epoch). Defaults to no filter.
        created_at_after: value(i64);
        /// `phone_number`, `email_address`, `created_at`, `first_name`,
        /// `last_name` or `username`, with a `+`/`-` prefix. Defaults to the
        /// API's order.
        order_by: string;
        /// At most this many (1–500). Defaults to 10.
        limit: value(u32);
        /// Skip this many. Defaults to 0.
        offset: value(u32);
    }
}

/// The body of [`OrganizationsApi::create_membership`].
///
/// # Examples
///
/// ```
/// use clerk_actix::client::CreateOrganizationMembership;
///
/// let params = CreateOrganizationMembership::new("user_123", "org:member");
/// # let _ = params;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct CreateOrganizationMembership {
    user_id: String,
    role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    public_metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    private_metadata: Option<Value>,
}

impl CreateOrganizationMembership {
    /// Adds `user_id` with `role` (e.g. `org:admin`, `org:member`).
    pub fn new(user_id: impl Into<String>, role: impl Into<String>) -> Self {
        Self {
            user_id: user_id.into(),
            role: role.into(),
            ..Self::default()
        }
    }

    setters! {
        /// Public metadata of the membership. Defaults to `{}`.
        public_metadata: value(Value);
        /// Private metadata of the membership. Defaults to `{}`.
        private_metadata: value(Value);
    }
}

/// Filters and page of [`OrganizationsApi::list_invitations`].
///
/// # Examples
///
/// ```
/// use clerk_actix::client::ListOrganizationInvitations;
///
/// let pending = ListOrganizationInvitations::default().status(["pending"]);
/// # let _ = pending;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct ListOrganizationInvitations {
    status: Vec<String>,
    email_address: Option<String>,
    order_by: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

impl ListOrganizationInvitations {
    setters! {
        /// Invitations in any of these states (`pending`, `accepted`,
        /// `revoked`, `expired`). Defaults to all.
        status: strings;
        /// Invitations to this address. Defaults to no filter.
        email_address: string;
        /// `created_at` or `email_address` with a `+`/`-` prefix. Defaults to
        /// the API's order.
        order_by: string;
        /// At most this many (1–500). Defaults to 10.
        limit: value(u32);
        /// Skip this many. Defaults to 0.
        offset: value(u32);
    }
}

/// The body of [`OrganizationsApi::create_invitation`].
///
/// # Examples
///
/// ```
/// use clerk_actix::client::CreateOrganizationInvitation;
///
/// let params = CreateOrganizationInvitation::new("ada@example.com", "org:member")
///     .inviter_user_id("user_123")
///     .redirect_url("https://example.com/accept");
/// # let _ = params;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct CreateOrganizationInvitation {
    email_address: String,
    role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    inviter_user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    redirect_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_in_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notify: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    public_metadata: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    private_metadata: Option<Value>,
}

impl CreateOrganizationInvitation {
    /// Invites `email_address` with `role` (e.g. `org:member`).
    pub fn new(email_address: impl Into<String>, role: impl Into<String>) -> Self {
        Self {
            email_address: email_address.into(),
            role: role.into(),
            ..Self::default()
        }
    }

    setters! {
        /// The inviting user. Defaults to none.
        inviter_user_id: string;
        /// Where the invitation link leads. Defaults to the instance setting.
        redirect_url: string;
        /// Days until the invitation expires. Defaults to Clerk's default (30).
        expires_in_days: value(u32);
        /// Whether Clerk emails the invitee. Defaults to Clerk's default (yes).
        notify: value(bool);
        /// Public metadata, copied to the membership. Defaults to `{}`.
        public_metadata: value(Value);
        /// Private metadata, copied to the membership. Defaults to `{}`.
        private_metadata: value(Value);
    }
}

// ------------------------------------------------------------------- API --

/// The organizations endpoints; from [`ClerkClient::organizations`].
///
/// # Examples
///
/// ```no_run
/// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
/// let organizations = clerk.client().organizations();
/// let org = organizations.get("acme").await?;
/// # let _ = org;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct OrganizationsApi {
    pub(crate) client: ClerkClient,
}

impl OrganizationsApi {
    /// `GET /organizations`.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "testing")]
    /// # actix_web::rt::System::new().block_on(async {
    /// use clerk_actix::client::{CreateOrganization, ListOrganizations};
    /// use clerk_actix::testing::StandIn;
    ///
    /// let stand_in = StandIn::start()?;
    /// let client = stand_in.clerk()?.client();
    /// client.organizations().create(&CreateOrganization::new("Acme")).await?;
    /// let page = client.organizations().list(&ListOrganizations::default().query("acm")).await?;
    /// assert_eq!((page.total_count, page.data[0].slug.as_str()), (1, "acme"));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn list(
        &self,
        params: &ListOrganizations,
    ) -> Result<PaginatedList<Organization>, Error> {
        self.client
            .request(Method::GET, "/organizations")
            .query(params)
            .send()
            .await
    }

    /// `GET /organizations/{id_or_slug}`: takes an id (`org_…`) or a slug.
    ///
    /// # Errors
    ///
    /// [`Error`]; 404 for an unknown id or slug.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let by_slug = clerk.client().organizations().get("acme").await?;
    /// let by_id = clerk.client().organizations().get(&by_slug.id).await?;
    /// # let _ = by_id;
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, id_or_slug: &str) -> Result<Organization, Error> {
        self.client
            .request(Method::GET, "/organizations")
            .segment(id_or_slug)
            .send()
            .await
    }

    /// `POST /organizations`. Never retried.
    ///
    /// # Errors
    ///
    /// [`Error`]; 422 `form_param_missing` without a name.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clerk_actix::client::CreateOrganization;
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let org = clerk
    ///     .client()
    ///     .organizations()
    ///     .create(&CreateOrganization::new("Acme").created_by("user_123"))
    ///     .await?;
    /// println!("{} ({})", org.id, org.slug);
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, params: &CreateOrganization) -> Result<Organization, Error> {
        self.client
            .request(Method::POST, "/organizations")
            .json(params)
            .send()
            .await
    }

    /// `PATCH /organizations/{id}`. Never retried.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clerk_actix::client::UpdateOrganization;
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let org = clerk
    ///     .client()
    ///     .organizations()
    ///     .update("org_123", &UpdateOrganization::default().max_allowed_memberships(50))
    ///     .await?;
    /// # let _ = org;
    /// # Ok(()) }
    /// ```
    pub async fn update(
        &self,
        organization_id: &str,
        params: &UpdateOrganization,
    ) -> Result<Organization, Error> {
        self.client
            .request(Method::PATCH, "/organizations")
            .segment(organization_id)
            .json(params)
            .send()
            .await
    }

    /// `PATCH /organizations/{id}/metadata`: deep merge; `null` deletes a key.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clerk_actix::client::UpdateOrganizationMetadata;
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// use serde_json::json;
    ///
    /// let params = UpdateOrganizationMetadata::default().public_metadata(json!({"tier": "gold"}));
    /// let org = clerk.client().organizations().update_metadata("org_123", &params).await?;
    /// # let _ = org;
    /// # Ok(()) }
    /// ```
    pub async fn update_metadata(
        &self,
        organization_id: &str,
        params: &UpdateOrganizationMetadata,
    ) -> Result<Organization, Error> {
        self.metadata(Method::PATCH, organization_id, params).await
    }

    /// `PUT /organizations/{id}/metadata`: replaces each field given.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clerk_actix::client::UpdateOrganizationMetadata;
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// use serde_json::json;
    ///
    /// let params = UpdateOrganizationMetadata::default().private_metadata(json!({}));
    /// let org = clerk.client().organizations().replace_metadata("org_123", &params).await?;
    /// # let _ = org;
    /// # Ok(()) }
    /// ```
    pub async fn replace_metadata(
        &self,
        organization_id: &str,
        params: &UpdateOrganizationMetadata,
    ) -> Result<Organization, Error> {
        self.metadata(Method::PUT, organization_id, params).await
    }

    async fn metadata(
        &self,
        method: Method,
        organization_id: &str,
        params: &UpdateOrganizationMetadata,
    ) -> Result<Organization, Error> {
        self.client
            .request(method, "/organizations")
            .segment(organization_id)
            .segment("metadata")
            .json(params)
            .send()
            .await
    }

    /// `DELETE /organizations/{id}`.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let deleted = clerk.client().organizations().delete("org_123").await?;
    /// assert!(deleted.deleted);
    /// # Ok(()) }
    /// ```
    pub async fn delete(&self, organization_id: &str) -> Result<DeletedObject, Error> {
        self.client
            .request(Method::DELETE, "/organizations")
            .segment(organization_id)
            .send()
            .await
    }

    /// `GET /organizations/{id}/memberships`.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clerk_actix::client::ListOrganizationMemberships;
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let admins = clerk
    ///     .client()
    ///     .organizations()
    ///     .list_memberships("org_123", &ListOrganizationMemberships::default().role(["org:admin"]))
    ///     .await?;
    /// println!("{} admins", admins.total_count);
    /// # Ok(()) }
    /// ```
    pub async fn list_memberships(
        &self,
        organization_id: &str,
        params: &ListOrganizationMemberships,
    ) -> Result<PaginatedList<OrganizationMembership>, Error> {
        self.client
            .request(Method::GET, "/organizations")
            .segment(organization_id)
            .segment("memberships")
            .query(params)
            .send()
            .await
    }

    /// `POST /organizations/{id}/memberships`. Never retried.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clerk_actix::client::CreateOrganizationMembership;
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let membership = clerk
    ///     .client()
    ///     .organizations()
    ///     .create_membership("org_123", &CreateOrganizationMembership::new("user_123", "org:member"))
    ///     .await?;
    /// # let _ = membership;
    /// # Ok(()) }
    /// ```
    pub async fn create_membership(
        &self,
        organization_id: &str,
        params: &CreateOrganizationMembership,
    ) -> Result<OrganizationMembership, Error> {
        self.client
            .request(Method::POST, "/organizations")
            .segment(organization_id)
            .segment("memberships")
            .json(params)
            .send()
            .await
    }

    /// `PATCH /organizations/{id}/memberships/{user_id}`: changes the role.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let membership = clerk
    ///     .client()
    ///     .organizations()
    ///     .update_membership("org_123", "user_123", "org:admin")
    ///     .await?;
    /// assert_eq!(membership.role, "org:admin");
    /// # Ok(()) }
    /// ```
    pub async fn update_membership(
        &self,
        organization_id: &str,
        user_id: &str,
        role: &str,
    ) -> Result<OrganizationMembership, Error> {
        self.client
            .request(Method::PATCH, "/organizations")
            .segment(organization_id)
            .segment("memberships")
            .segment(user_id)
            .json(&serde_json::json!({ "role": role }))
            .send()
            .await
    }

    /// `PATCH /organizations/{id}/memberships/{user_id}/metadata`: deep merge.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clerk_actix::client::UpdateOrganizationMetadata;
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// use serde_json::json;
    ///
    /// let params = UpdateOrganizationMetadata::default().public_metadata(json!({"team": "core"}));
    /// let membership = clerk
    ///     .client()
    ///     .organizations()
    ///     .update_membership_metadata("org_123", "user_123", &params)
    ///     .await?;
    /// # let _ = membership;
    /// # Ok(()) }
    /// ```
    pub async fn update_membership_metadata(
        &self,
        organization_id: &str,
        user_id: &str,
        params: &UpdateOrganizationMetadata,
    ) -> Result<OrganizationMembership, Error> {
        self.client
            .request(Method::PATCH, "/organizations")
            .segment(organization_id)
            .segment("memberships")
            .segment(user_id)
            .segment("metadata")
            .json(params)
            .send()
            .await
    }

    /// `DELETE /organizations/{id}/memberships/{user_id}`: returns the
    /// removed membership.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let removed = clerk.client().organizations().delete_membership("org_123", "user_123").await?;
    /// # let _ = removed;
    /// # Ok(()) }
    /// ```
    pub async fn delete_membership(
        &self,
        organization_id: &str,
        user_id: &str,
    ) -> Result<OrganizationMembership, Error> {
        self.client
            .request(Method::DELETE, "/organizations")
            .segment(organization_id)
            .segment("memberships")
            .segment(user_id)
            .send()
            .await
    }

    /// `GET /organizations/{id}/invitations`.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clerk_actix::client::ListOrganizationInvitations;
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let pending = clerk
    ///     .client()
    ///     .organizations()
    ///     .list_invitations("org_123", &ListOrganizationInvitations::default().status(["pending"]))
    ///     .await?;
    /// # let _ = pending;
    /// # Ok(()) }
    /// ```
    pub async fn list_invitations(
        &self,
        organization_id: &str,
        params: &ListOrganizationInvitations,
    ) -> Result<PaginatedList<OrganizationInvitation>, Error> {
        self.client
            .request(Method::GET, "/organizations")
            .segment(organization_id)
            .segment("invitations")
            .query(params)
            .send()
            .await
    }

    /// `GET /organizations/{id}/invitations/{invitation_id}`.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let invitation = clerk.client().organizations().get_invitation("org_123", "orginv_123").await?;
    /// println!("{:?}", invitation.status);
    /// # Ok(()) }
    /// ```
    pub async fn get_invitation(
        &self,
        organization_id: &str,
        invitation_id: &str,
    ) -> Result<OrganizationInvitation, Error> {
        self.client
            .request(Method::GET, "/organizations")
            .segment(organization_id)
            .segment("invitations")
            .segment(invitation_id)
            .send()
            .await
    }

    /// `POST /organizations/{id}/invitations`. Never retried.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clerk_actix::client::CreateOrganizationInvitation;
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let invitation = clerk
    ///     .client()
    ///     .organizations()
    ///     .create_invitation("org_123", &CreateOrganizationInvitation::new("ada@example.com", "org:member"))
    ///     .await?;
    /// println!("{:?}", invitation.url);
    /// # Ok(()) }
    /// ```
    pub async fn create_invitation(
        &self,
        organization_id: &str,
        params: &CreateOrganizationInvitation,
    ) -> Result<OrganizationInvitation, Error> {
        self.client
            .request(Method::POST, "/organizations")
            .segment(organization_id)
            .segment("invitations")
            .json(params)
            .send()
            .await
    }

    /// `POST /organizations/{id}/invitations/{invitation_id}/revoke`, with
    /// `requesting_user_id` when given (no body otherwise). Never retried.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let invitation = clerk
    ///     .client()
    ///     .organizations()
    ///     .revoke_invitation("org_123", "orginv_123", Some("user_123"))
    ///     .await?;
    /// # let _ = invitation;
    /// # Ok(()) }
    /// ```
    pub async fn revoke_invitation(
        &self,
        organization_id: &str,
        invitation_id: &str,
        requesting_user_id: Option<&str>,
    ) -> Result<OrganizationInvitation, Error> {
        let mut request = self
            .client
            .request(Method::POST, "/organizations")
            .segment(organization_id)
            .segment("invitations")
            .segment(invitation_id)
            .segment("revoke");
        if let Some(user_id) = requesting_user_id {
            request = request.json(&serde_json::json!({ "requesting_user_id": user_id }));
        }
        request.send().await
    }
}
