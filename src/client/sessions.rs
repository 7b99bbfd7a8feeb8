//! Sessions and session tokens: `/v1/sessions`.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::models::{null_default, setters, string_enum, PaginatedList};
use super::request::Method;
use super::ClerkClient;
use crate::backend::error::Error;

// ---------------------------------------------------------------- models --

string_enum! {
    /// The state of a session.
    ///
    /// Unknown values are kept, not rejected:
    ///
    /// ```
    /// use clerk_actix::client::SessionStatus;
    ///
    /// let known: SessionStatus = serde_json::from_str(r#""active""#)?;
    /// assert_eq!(known, SessionStatus::Active);
    /// let unknown: SessionStatus = serde_json::from_str(r#""paused""#)?;
    /// assert_eq!(unknown.as_str(), "paused");
    /// # Ok::<_, serde_json::Error>(())
    /// ```
    pub enum SessionStatus {
        /// Signed in.
        Active = "active",
        /// Revoked from the backend.
        Revoked = "revoked",
        /// Signed out.
        Ended = "ended",
        /// Past its lifetime.
        Expired = "expired",
        /// Removed by the user.
        Removed = "removed",
        /// Inactive for too long.
        Abandoned = "abandoned",
        /// Replaced by another session.
        Replaced = "replaced",
        /// Signed in, with tasks left to do.
        Pending = "pending",
    }
}

/// A session (`"object": "session"`).
///
/// # Examples
///
/// ```
/// use clerk_actix::client::{Session, SessionStatus};
///
/// let session: Session = serde_json::from_str(
///     r#"{"object": "session", "id": "sess_1", "user_id": "user_1", "status": "some_new_status"}"#,
/// )?;
/// assert_eq!(session.status, SessionStatus::Other("some_new_status".into()));
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Session {
    /// `session`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// `sess_…`.
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    /// The user.
    #[serde(deserialize_with = "null_default")]
    pub user_id: String,
    /// The client (browser/device).
    #[serde(deserialize_with = "null_default")]
    pub client_id: String,
    /// Impersonation: the actor's claims.
    pub actor: Option<Value>,
    /// The state.
    pub status: SessionStatus,
    /// The active organization.
    pub last_active_organization_id: Option<String>,
    /// Latest activity (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub last_active_at: i64,
    /// Where the latest activity came from.
    pub latest_activity: Option<SessionActivity>,
    /// Expiry (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub expire_at: i64,
    /// Abandonment (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub abandon_at: i64,
    /// Last update (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub updated_at: i64,
    /// Creation (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub created_at: i64,
    /// Tasks left before the session becomes active.
    pub tasks: Option<Vec<SessionTask>>,
}

/// Where a session's latest activity came from.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::SessionActivity;
///
/// let value: SessionActivity = serde_json::from_str(
///     r#"{"id": "sess_activity_1", "is_mobile": false, "browser_name": "Firefox", "city": "Athens"}"#,
/// )?;
/// assert_eq!(value.browser_name.as_deref(), Some("Firefox"));
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SessionActivity {
    /// `session_activity`.
    pub object: Option<String>,
    /// Its id.
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    /// Device type.
    pub device_type: Option<String>,
    /// Whether it is a mobile device.
    #[serde(deserialize_with = "null_default")]
    pub is_mobile: bool,
    /// Browser name.
    pub browser_name: Option<String>,
    /// Browser version.
    pub browser_version: Option<String>,
    /// IP address.
    pub ip_address: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Country.
    pub country: Option<String>,
}

/// A task left on a pending session.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::SessionTask;
///
/// let value: SessionTask = serde_json::from_str(
///     r#"{"key": "choose-organization"}"#,
/// )?;
/// assert_eq!(value.key, "choose-organization");
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SessionTask {
    /// e.g. `choose-organization`.
    #[serde(deserialize_with = "null_default")]
    pub key: String,
}

/// A session token: `{"object": "token", "jwt": "…"}`.
///
/// `Debug` does not print the token.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::Token;
///
/// let value: Token = serde_json::from_str(
///     r#"{"object": "token", "jwt": "eyJhbGciOi.e30.c2ln"}"#,
/// )?;
/// assert!(value.jwt.starts_with("eyJ"));
/// assert!(!format!("{value:?}").contains("eyJ"));
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Token {
    /// `token`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// The JWT.
    #[serde(deserialize_with = "null_default")]
    pub jwt: String,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("object", &self.object)
            .field("jwt", &"******")
            .finish()
    }
}

// ------------------------------------------------------------ parameters --

/// Filters and page of [`SessionsApi::list`].
///
/// # Examples
///
/// ```
/// use clerk_actix::client::ListSessions;
///
/// let active = ListSessions::default().user_id("user_123").status("active");
/// # let _ = active;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct ListSessions {
    client_id: Option<String>,
    user_id: Option<String>,
    status: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

impl ListSessions {
    setters! {
        /// Sessions of this client. Defaults to no filter.
        client_id: string;
        /// Sessions of this user. Defaults to no filter.
        user_id: string;
        /// Sessions in this state (`active`, `revoked`, `ended`, …). Defaults to all.
        status: string;
        /// At most this many (1–500). Defaults to 10.
        limit: value(u32);
        /// Skip this many. Defaults to 0.
        offset: value(u32);
    }
}

/// Options of [`SessionsApi::get_token`].
///
/// # Examples
///
/// ```
/// use clerk_actix::client::GetSessionToken;
///
/// let for_supabase = GetSessionToken::default().template("supabase").expires_in_seconds(60);
/// # let _ = for_supabase;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct GetSessionToken {
    template: Option<String>,
    expires_in_seconds: Option<u64>,
}

impl GetSessionToken {
    setters! {
        /// The JWT template's name. Defaults to none: a plain session token.
        template: string;
        /// The token's lifetime. Defaults to the template's or the instance's.
        expires_in_seconds: value(u64);
    }
}

/// The body of [`SessionsApi::create`].
///
/// # Examples
///
/// ```
/// use clerk_actix::client::CreateSession;
///
/// let params = CreateSession::new("user_123");
/// # let _ = params;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct CreateSession {
    user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    active_organization_id: Option<String>,
}

impl CreateSession {
    /// A session for `user_id`.
    pub fn new(user_id: impl Into<String>) -> Self {
        Self {
            user_id: user_id.into(),
            active_organization_id: None,
        }
    }

    setters! {
        /// The organization to activate. Defaults to none.
        active_organization_id: string;
    }
}

// ------------------------------------------------------------------- API --

/// The sessions endpoints; from [`ClerkClient::sessions`].
///
/// # Examples
///
/// ```no_run
/// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
/// let sessions = clerk.client().sessions();
/// let session = sessions.get("sess_123").await?;
/// # let _ = session;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct SessionsApi {
    pub(crate) client: ClerkClient,
}

impl SessionsApi {
    /// `GET /sessions?paginated=true`: one page and the total count, newest
    /// first.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clerk_actix::client::ListSessions;
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let active = clerk
    ///     .client()
    ///     .sessions()
    ///     .list(&ListSessions::default().user_id("user_123").status("active"))
    ///     .await?;
    /// println!("{} active sessions", active.total_count);
    /// # Ok(()) }
    /// ```
    pub async fn list(&self, params: &ListSessions) -> Result<PaginatedList<Session>, Error> {
        self.client
            .request(Method::GET, "/sessions")
            .query(params)
            .query_pair("paginated", "true")
            .send()
            .await
    }

    /// `GET /sessions/{id}`.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let session = clerk.client().sessions().get("sess_123").await?;
    /// println!("{} {}", session.user_id, session.status);
    /// # Ok(()) }
    /// ```
    pub async fn get(&self, session_id: &str) -> Result<Session, Error> {
        self.client
            .request(Method::GET, "/sessions")
            .segment(session_id)
            .send()
            .await
    }

    /// `POST /sessions/{id}/revoke`: the session ends at once (status
    /// `revoked`). Never retried.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let session = clerk.client().sessions().revoke("sess_123").await?;
    /// # let _ = session;
    /// # Ok(()) }
    /// ```
    pub async fn revoke(&self, session_id: &str) -> Result<Session, Error> {
        self.client
            .request(Method::POST, "/sessions")
            .segment(session_id)
            .segment("revoke")
            .send()
            .await
    }

    /// `POST /sessions`: a new active session. Clerk allows this only on
    /// development instances, for tests.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clerk_actix::client::CreateSession;
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let session = clerk.client().sessions().create(&CreateSession::new("user_123")).await?;
    /// # let _ = session;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, params: &CreateSession) -> Result<Session, Error> {
        self.client
            .request(Method::POST, "/sessions")
            .json(params)
            .send()
            .await
    }

    /// `POST /sessions/{id}/tokens[/{template}]`: a fresh session token, or a
    /// token from a JWT template. The body `{"expires_in_seconds": N}` is
    /// sent only when set; otherwise there is no body. Never retried.
    ///
    /// # Errors
    ///
    /// [`Error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use clerk_actix::client::GetSessionToken;
    /// # async fn run(clerk: clerk_actix::Clerk) -> Result<(), clerk_actix::client::Error> {
    /// let token = clerk
    ///     .client()
    ///     .sessions()
    ///     .get_token("sess_123", &GetSessionToken::default().template("supabase"))
    ///     .await?;
    /// println!("{}", token.jwt);
    /// # Ok(()) }
    /// ```
    pub async fn get_token(
        &self,
        session_id: &str,
        options: &GetSessionToken,
    ) -> Result<Token, Error> {
        let mut request = self
            .client
            .request(Method::POST, "/sessions")
            .segment(session_id)
            .segment("tokens");
        if let Some(template) = options.template.as_deref().filter(|t| !t.is_empty()) {
            request = request.segment(template);
        }
        if let Some(seconds) = options.expires_in_seconds {
            request = request.json(&serde_json::json!({ "expires_in_seconds": seconds }));
        }
        request.send().await
    }
}
