//! The typed webhook event: `{type, object, data, event_attributes, timestamp, instance_id}`.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::client::{
    DeletedObject, Organization, OrganizationInvitation, OrganizationMembership, Session, User,
    WaitlistEntry,
};

/// Reads `null` (or, with `#[serde(default)]`, a missing field) as the default.
fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A Clerk webhook event, as Clerk's `verifyWebhook` returns it.
///
/// Decoding never fails for a JSON object: an unknown `type` gives
/// [`EventData::Other`] with the JSON as sent, and `data` that does not fit
/// the model of a known type gives [`EventData::Undecoded`], with the JSON
/// as sent and the serde error that says why; a missing `object` reads as
/// `"event"` (what Clerk returns).
///
/// # Examples
///
/// ```
/// use clerk_actix::webhooks::{EventData, WebhookEvent};
///
/// let event: WebhookEvent = serde_json::from_str(r#"{
///     "type": "user.created", "object": "event", "timestamp": 1654012591835,
///     "instance_id": "ins_123",
///     "data": {"object": "user", "id": "user_29w83sxmDNGwOuEthce5gg56FcC", "first_name": "Example"},
///     "event_attributes": {"http_request": {"client_ip": "0.0.0.0", "user_agent": "curl/8"}}
/// }"#)?;
/// let EventData::User(user) = &event.data else { panic!("a user") };
/// assert_eq!(user.first_name.as_deref(), Some("Example"));
/// assert_eq!(event.data.id(), Some("user_29w83sxmDNGwOuEthce5gg56FcC"));
/// let request = event.event_attributes.and_then(|a| a.http_request).unwrap();
/// assert_eq!(request.user_agent.as_deref(), Some("curl/8"));
///
/// let future: WebhookEvent = serde_json::from_str(r#"{"type": "billing.invented", "data": {"id": "x_1"}}"#)?;
/// assert!(matches!(future.data, EventData::Other(_)));
/// assert_eq!(future.object, "event");
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct WebhookEvent {
    /// The event type, e.g. `user.created` (`type` in the JSON).
    #[serde(rename = "type")]
    pub event_type: String,
    /// `event`.
    pub object: String,
    /// The object the event is about.
    pub data: EventData,
    /// Where the change came from (Clerk's `event_attributes`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_attributes: Option<EventAttributes>,
    /// When the event happened, in milliseconds since the Unix epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    /// The Clerk instance, `ins_…`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
}

impl<'de> Deserialize<'de> for WebhookEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut object = Map::<String, Value>::deserialize(deserializer)?;
        let mut string = |key: &str| match object.remove(key) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        };
        let event_type = string("type").unwrap_or_default();
        let kind = string("object").unwrap_or_else(|| "event".to_owned());
        let instance_id = string("instance_id");
        let timestamp = object.get("timestamp").and_then(Value::as_i64);
        let event_attributes = object
            .get("event_attributes")
            .filter(|v| v.is_object())
            .and_then(|v| EventAttributes::deserialize(v).ok());
        let data = EventData::decode(&event_type, object.remove("data").unwrap_or(Value::Null));
        Ok(Self {
            event_type,
            object: kind,
            data,
            event_attributes,
            timestamp,
            instance_id,
        })
    }
}

/// Clerk's `event_attributes`: details of the request that caused the event.
///
/// # Examples
///
/// ```
/// use clerk_actix::webhooks::EventAttributes;
///
/// let attributes: EventAttributes = serde_json::from_str(
///     r#"{"http_request": {"client_ip": "192.0.2.1", "user_agent": "Mozilla/5.0"}}"#,
/// )?;
/// assert_eq!(attributes.http_request.unwrap().client_ip.as_deref(), Some("192.0.2.1"));
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct EventAttributes {
    /// The HTTP request, when a request caused the event.
    pub http_request: Option<HttpRequestAttributes>,
}

/// The request behind an event.
///
/// # Examples
///
/// ```
/// use clerk_actix::webhooks::HttpRequestAttributes;
///
/// let request: HttpRequestAttributes = serde_json::from_str(r#"{"client_ip": "192.0.2.1"}"#)?;
/// assert_eq!(request.user_agent, None);
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct HttpRequestAttributes {
    /// The client's IP address.
    pub client_ip: Option<String>,
    /// The client's `User-Agent`.
    pub user_agent: Option<String>,
}

/// The `data` of an event, typed by the event's `type`.
///
/// The part of `type` before the first `.` picks the model (`user.created`,
/// `user.updated` → [`User`](Self::User)); `data` with `"deleted": true` is a
/// [`DeletedObject`] whatever the type. Types this version does not know
/// (`organizationDomain.*`, billing events, …) are kept as sent in
/// [`Other`](Self::Other); data of a known type that does not fit its model
/// is [`Undecoded`](Self::Undecoded), which says why (and is logged at
/// `warn`, target `clerk_actix::webhooks`).
///
/// It serialises as the inner object.
///
/// # Examples
///
/// ```
/// use clerk_actix::webhooks::{EventData, WebhookEvent};
///
/// let event: WebhookEvent = serde_json::from_str(
///     r#"{"type": "user.deleted", "data": {"object": "user", "id": "user_1", "deleted": true}}"#,
/// )?;
/// match &event.data {
///     EventData::Deleted(deleted) => assert_eq!(deleted.id.as_deref(), Some("user_1")),
///     other => panic!("unexpected {other:?}"),
/// }
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum EventData {
    /// `user.created`, `user.updated`.
    User(Box<User>),
    /// `session.created`, `session.ended`, `session.removed`, `session.revoked`, …
    Session(Box<Session>),
    /// `organization.created`, `organization.updated`.
    Organization(Box<Organization>),
    /// `organizationMembership.created`, `.updated`, `.deleted`.
    OrganizationMembership(Box<OrganizationMembership>),
    /// `organizationInvitation.created`, `.accepted`, `.revoked`.
    OrganizationInvitation(Box<OrganizationInvitation>),
    /// `email.created`.
    Email(Box<Email>),
    /// `sms.created`.
    Sms(Box<SmsMessage>),
    /// `role.created`, `role.updated`.
    Role(Box<Role>),
    /// `permission.created`, `permission.updated`.
    Permission(Box<Permission>),
    /// `waitlistEntry.created`, `waitlistEntry.updated`.
    WaitlistEntry(Box<WaitlistEntry>),
    /// `organizationDomain.created`, `organizationDomain.updated`.
    OrganizationDomain(Box<crate::client::types::OrganizationDomain>),
    /// `subscription.created`, `.updated`, `.active`, `.pastDue`.
    #[cfg(feature = "billing")]
    #[cfg_attr(docsrs, doc(cfg(feature = "billing")))]
    Subscription(Box<super::billing::SubscriptionEventPayload>),
    /// `subscriptionItem.*`: `abandoned`, `active`, `canceled`, `ended`,
    /// `freeTrialEnding`, `incomplete`, `pastDue`, `upcoming`, `updated`.
    #[cfg(feature = "billing")]
    #[cfg_attr(docsrs, doc(cfg(feature = "billing")))]
    SubscriptionItem(Box<super::billing::BillingSubscriptionItemEventPayload>),
    /// `paymentAttempt.created`, `paymentAttempt.updated`.
    #[cfg(feature = "billing")]
    #[cfg_attr(docsrs, doc(cfg(feature = "billing")))]
    PaymentAttempt(Box<super::billing::PaymentAttemptEventPayload>),
    /// A deleted object, `{"object": "user", "id": "user_…", "deleted": true}`
    /// (`user.deleted`, `organization.deleted`, …).
    Deleted(DeletedObject),
    /// An event type this version does not know: the JSON as sent.
    Other(Value),
    /// A known event type whose `data` does not fit its model: the JSON as
    /// sent and the decode error.
    ///
    /// ```
    /// use clerk_actix::webhooks::{EventData, WebhookEvent};
    ///
    /// let event: WebhookEvent =
    ///     serde_json::from_str(r#"{"type": "user.created", "data": {"id": 42}}"#)?;
    /// let EventData::Undecoded(undecoded) = &event.data else { panic!("undecoded") };
    /// assert_eq!(undecoded.model(), "User");
    /// assert!(undecoded.error().contains("expected a string"), "{}", undecoded.error());
    /// assert_eq!(undecoded.data()["id"], 42);
    /// # Ok::<_, serde_json::Error>(())
    /// ```
    Undecoded(Box<UndecodedData>),
}

/// The `data` of a known event type that does not fit its model
/// ([`EventData::Undecoded`]): what was sent, which model it was decoded
/// as, and the serde error.
///
/// It serialises as the data as sent.
#[derive(Clone, Debug, PartialEq)]
pub struct UndecodedData {
    model: &'static str,
    error: String,
    data: Value,
}

impl UndecodedData {
    /// The model `data` was decoded as, e.g. `User`.
    #[must_use]
    pub fn model(&self) -> &'static str {
        self.model
    }

    /// Why it does not fit: the serde error, e.g. `invalid type: integer
    /// `42`, expected a string`.
    #[must_use]
    pub fn error(&self) -> &str {
        &self.error
    }

    /// The `data` as sent.
    #[must_use]
    pub fn data(&self) -> &Value {
        &self.data
    }

    /// The `data` as sent, taken out.
    #[must_use]
    pub fn into_data(self) -> Value {
        self.data
    }
}

impl Serialize for UndecodedData {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.data.serialize(serializer)
    }
}

impl EventData {
    /// Decodes `data` for an event of type `event_type`; never fails.
    fn decode(event_type: &str, data: Value) -> Self {
        if data.get("deleted") == Some(&Value::Bool(true)) {
            return typed(event_type, data, "DeletedObject", Self::Deleted);
        }
        let prefix = event_type.split('.').next().unwrap_or_default();
        let t = event_type;
        match prefix {
            "user" => boxed(t, data, "User", Self::User),
            "session" => boxed(t, data, "Session", Self::Session),
            "organization" => boxed(t, data, "Organization", Self::Organization),
            "organizationMembership" => boxed(
                t,
                data,
                "OrganizationMembership",
                Self::OrganizationMembership,
            ),
            "organizationInvitation" => boxed(
                t,
                data,
                "OrganizationInvitation",
                Self::OrganizationInvitation,
            ),
            "email" => boxed(t, data, "Email", Self::Email),
            "sms" => boxed(t, data, "SmsMessage", Self::Sms),
            "role" => boxed(t, data, "Role", Self::Role),
            "permission" => boxed(t, data, "Permission", Self::Permission),
            "waitlistEntry" => boxed(t, data, "WaitlistEntry", Self::WaitlistEntry),
            "organizationDomain" => boxed(t, data, "OrganizationDomain", Self::OrganizationDomain),
            #[cfg(feature = "billing")]
            "subscription" => boxed(t, data, "SubscriptionEventPayload", Self::Subscription),
            #[cfg(feature = "billing")]
            "subscriptionItem" => boxed(
                t,
                data,
                "BillingSubscriptionItemEventPayload",
                Self::SubscriptionItem,
            ),
            #[cfg(feature = "billing")]
            "paymentAttempt" => boxed(t, data, "PaymentAttemptEventPayload", Self::PaymentAttempt),
            _ => Self::Other(data),
        }
    }

    /// The id of the object (`data.id`), if it has a non-empty one.
    ///
    /// ```
    /// use clerk_actix::webhooks::WebhookEvent;
    ///
    /// let event: WebhookEvent = serde_json::from_str(r#"{"type": "x.y", "data": {"id": "x_1"}}"#)?;
    /// assert_eq!(event.data.id(), Some("x_1"));
    /// # Ok::<_, serde_json::Error>(())
    /// ```
    #[must_use]
    pub fn id(&self) -> Option<&str> {
        let id = match self {
            Self::User(v) => v.id.as_str(),
            Self::Session(v) => v.id.as_str(),
            Self::Organization(v) => v.id.as_str(),
            Self::OrganizationMembership(v) => v.id.as_str(),
            Self::OrganizationInvitation(v) => v.id.as_str(),
            Self::Email(v) => v.id.as_str(),
            Self::Sms(v) => v.id.as_str(),
            Self::Role(v) => v.id.as_str(),
            Self::Permission(v) => v.id.as_str(),
            Self::WaitlistEntry(v) => v.id.as_str(),
            Self::OrganizationDomain(v) => v.id.as_str(),
            #[cfg(feature = "billing")]
            Self::Subscription(v) => v.id.as_str(),
            #[cfg(feature = "billing")]
            Self::SubscriptionItem(v) => v.id.as_str(),
            #[cfg(feature = "billing")]
            Self::PaymentAttempt(v) => v.id.as_str(),
            Self::Deleted(v) => v.id.as_deref().unwrap_or_default(),
            Self::Other(v) => v.get("id").and_then(Value::as_str).unwrap_or_default(),
            Self::Undecoded(v) => v.data.get("id").and_then(Value::as_str).unwrap_or_default(),
        };
        Some(id).filter(|id| !id.is_empty())
    }
}

/// `data` as the `model` of a known event type, or why it is not one.
fn typed<T: for<'de> Deserialize<'de>>(
    event_type: &str,
    data: Value,
    model: &'static str,
    wrap: impl FnOnce(T) -> EventData,
) -> EventData {
    // From an owned copy, not `&data`: the models then need their
    // `Deserialize` for one deserializer (the client's), not a second one.
    match T::deserialize(data.clone()) {
        Ok(value) => wrap(value),
        Err(error) => {
            // The type and the model only: serde's message may quote a value
            // from the data, which is the user's (it is in `error()`).
            log::warn!(
                target: "clerk_actix::webhooks",
                "webhook event `{event_type}`: its data does not fit the {model} model; \
                 EventData::Undecoded carries the data and the serde error"
            );
            EventData::Undecoded(Box::new(UndecodedData {
                model,
                error: error.to_string(),
                data,
            }))
        }
    }
}

fn boxed<T: for<'de> Deserialize<'de>>(
    event_type: &str,
    data: Value,
    model: &'static str,
    wrap: impl FnOnce(Box<T>) -> EventData,
) -> EventData {
    typed(event_type, data, model, |value| wrap(Box::new(value)))
}

/// An email Clerk sent or would send (`email.created`), e.g. a
/// verification code, when email delivery is yours.
///
/// # Examples
///
/// ```
/// use clerk_actix::webhooks::Email;
///
/// let email: Email = serde_json::from_str(
///     r#"{"object": "email", "id": "ema_1", "to_email_address": "ada@example.com", "slug": "verification_code", "delivered_by_clerk": false}"#,
/// )?;
/// assert_eq!(email.slug.as_deref(), Some("verification_code"));
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Email {
    /// `email`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// The email's id.
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    /// The template, e.g. `verification_code`.
    pub slug: Option<String>,
    /// The sender's name (before `@`).
    pub from_email_name: Option<String>,
    /// The reply-to name.
    pub reply_to_email_name: Option<String>,
    /// The recipient.
    pub to_email_address: Option<String>,
    /// The recipient's email address object, `idn_…`.
    pub email_address_id: Option<String>,
    /// The recipient's user, if any.
    pub user_id: Option<String>,
    /// The subject.
    pub subject: Option<String>,
    /// The HTML body.
    pub body: Option<String>,
    /// The plain-text body.
    pub body_plain: Option<String>,
    /// The delivery status, e.g. `queued`.
    pub status: Option<String>,
    /// The template's variables (code, URLs, …).
    pub data: Option<Value>,
    /// Whether Clerk delivers it (`false`: you must).
    #[serde(deserialize_with = "null_default")]
    pub delivered_by_clerk: bool,
}

/// An SMS Clerk sent or would send (`sms.created`).
///
/// # Examples
///
/// ```
/// use clerk_actix::webhooks::SmsMessage;
///
/// let sms: SmsMessage = serde_json::from_str(
///     r#"{"object": "sms_message", "id": "sms_1", "to_phone_number": "+15555550100", "message": "123456 is your code"}"#,
/// )?;
/// assert_eq!(sms.message.as_deref(), Some("123456 is your code"));
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SmsMessage {
    /// `sms_message`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// The message's id.
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    /// The template, e.g. `verification_code`.
    pub slug: Option<String>,
    /// The sender.
    pub from_phone_number: Option<String>,
    /// The recipient.
    pub to_phone_number: Option<String>,
    /// The recipient's phone number object, `idn_…`.
    pub phone_number_id: Option<String>,
    /// The recipient's user, if any.
    pub user_id: Option<String>,
    /// The text.
    pub message: Option<String>,
    /// The delivery status, e.g. `queued`.
    pub status: Option<String>,
    /// The template's variables.
    pub data: Option<Value>,
    /// Whether Clerk delivers it (`false`: you must).
    #[serde(deserialize_with = "null_default")]
    pub delivered_by_clerk: bool,
}

/// An organization role (`role.created`, `role.updated`).
///
/// # Examples
///
/// ```
/// use clerk_actix::webhooks::Role;
///
/// let role: Role = serde_json::from_str(
///     r#"{"object": "role", "id": "role_1", "key": "org:editor", "name": "Editor", "permissions": [{"key": "org:posts:edit"}]}"#,
/// )?;
/// assert_eq!(role.permissions[0].key, "org:posts:edit");
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Role {
    /// `role`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// `role_…`.
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    /// The key used in tokens and `has()`, e.g. `org:admin`.
    #[serde(deserialize_with = "null_default")]
    pub key: String,
    /// The display name.
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    /// The description.
    pub description: Option<String>,
    /// The role's permissions.
    #[serde(deserialize_with = "null_default")]
    pub permissions: Vec<Permission>,
    /// Whether an organization's creator may get this role.
    pub is_creator_eligible: Option<bool>,
    /// Creation (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub created_at: i64,
    /// Last update (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub updated_at: i64,
}

/// An organization permission (`permission.created`, `permission.updated`).
///
/// # Examples
///
/// ```
/// use clerk_actix::webhooks::Permission;
///
/// let permission: Permission = serde_json::from_str(
///     r#"{"object": "permission", "id": "perm_1", "key": "org:posts:edit", "type": "user"}"#,
/// )?;
/// assert_eq!(permission.permission_type.as_deref(), Some("user"));
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Permission {
    /// `permission`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// `perm_…`.
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    /// The key used in tokens and `has()`, e.g. `org:posts:edit`.
    #[serde(deserialize_with = "null_default")]
    pub key: String,
    /// The display name.
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    /// The description.
    pub description: Option<String>,
    /// `system` or `user` (`type` in the JSON).
    #[serde(rename = "type")]
    pub permission_type: Option<String>,
    /// Creation (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub created_at: i64,
    /// Last update (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub updated_at: i64,
}
