//! The Clerk Backend API client: users, organizations, sessions, invitations,
//! the allowlist, the JWKS, API keys, M2M tokens, machines and OAuth access
//! tokens, plus a generic request for every other
//! endpoint.
//!
//! Get a [`ClerkClient`] from your [`Clerk`] handle with [`Clerk::client`]
//! (or tune it with [`ClerkClient::builder`]); it reuses the handle's secret
//! key, API URL and version, and is as cheap to clone as the handle.
//!
//! ```
//! # #[cfg(feature = "testing")]
//! # actix_web::rt::System::new().block_on(async {
//! use clerk_actix::client::{CreateUser, ListUsers, UpdateUserMetadata};
//! use clerk_actix::testing::StandIn;
//! use serde_json::json;
//!
//! # let stand_in = StandIn::start()?;
//! # let clerk = stand_in.clerk()?;
//! // let clerk = clerk_actix::Clerk::from_env()?;
//! let users = clerk.client().users();
//! let ada = users.create(&CreateUser::default().email_address(["ada@example.com"])).await?;
//! users
//!     .update_metadata(&ada.id, &UpdateUserMetadata::default().public_metadata(json!({"plan": "pro"})))
//!     .await?;
//! let page = users.list(&ListUsers::default().limit(10)).await?;
//! assert_eq!(page.total_count, 1);
//! assert_eq!(page.data[0].public_metadata["plan"], "pro");
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! In an actix handler behind [`ClerkMiddleware`](crate::ClerkMiddleware),
//! take a `ClerkClient` argument: the extractor hands out the client of the
//! middleware's handle, with no `app_data` registration (without the
//! middleware it answers 500, [`MissingMiddleware`](crate::error::MissingMiddleware)).
//!
//! ```
//! # #[cfg(feature = "testing")]
//! # actix_web::rt::System::new().block_on(async {
//! use actix_web::{test, web, App, HttpResponse};
//! use clerk_actix::client::{ClerkClient, ListUsers};
//! use clerk_actix::ClerkMiddleware;
//!
//! async fn users(client: ClerkClient) -> actix_web::Result<HttpResponse> {
//!     let page = client
//!         .users()
//!         .list(&ListUsers::default().limit(20))
//!         .await
//!         .map_err(actix_web::error::ErrorBadGateway)?;
//!     Ok(HttpResponse::Ok().json(page))
//! }
//!
//! # let stand_in = clerk_actix::testing::StandIn::start().unwrap();
//! # let clerk = stand_in.clerk().unwrap();
//! let app = test::init_service(
//!     App::new()
//!         .route("/users", web::get().to(users))
//!         .wrap(ClerkMiddleware::new(clerk)),
//! )
//! .await;
//! let req = test::TestRequest::get().uri("/users").to_request();
//! assert_eq!(test::call_service(&app, req).await.status(), 200);
//! # });
//! ```
//!
//! A client tuned with [`ClerkClient::builder`] (timeouts, retries) goes in
//! app data instead: register it with
//! `App::new().app_data(web::Data::new(client))` and take
//! `web::Data<ClerkClient>`. Without the registration, `web::Data` answers
//! 500 on every request.
//!
//! # Conventions
//!
//! Every request follows the wire conventions of `@clerk/backend`:
//!
//! * URL `{api_url}/{api_version}{path}`, e.g. `https://api.clerk.com/v1/users`;
//! * headers `Authorization: Bearer <secret key>`, `Clerk-API-Version:
//!   2026-05-12`, `User-Agent: clerk-actix/<version>` and `Content-Type:
//!   application/json`;
//! * path parameters are percent-encoded, so an id containing `/`, `?`, `#`
//!   or `%` stays one segment; an empty id, `.` or `..` is rejected before
//!   anything is sent ([`ErrorKind::InvalidPath`]);
//! * query keys are snake_case and arrays are repeated keys
//!   (`user_id=a&user_id=b`). Parameters you did not set are left out.
//!   Unlike the JS SDK, an explicit `false` or `0` **is** sent: JavaScript
//!   drops every falsy value because it cannot tell "unset" from `false`,
//!   while here unset is `None`, and `banned=false` is a filter you may mean;
//! * bodies are JSON with snake_case top-level keys; metadata values pass
//!   through untouched, with your own key names. When there is nothing to
//!   send (e.g. `POST /users/{id}/ban`), no body is sent at all;
//! * lists answer one page and the total count ([`PaginatedList`]); list
//!   calls of endpoints that need it send `paginated=true`. The users list
//!   sends `GET /users` and `GET /users/count` together, like the JS SDK.
//!
//! # Errors
//!
//! Each call returns [`Error`]. Its [`kind`](Error::kind) tells an error
//! answer of the API ([`ApiError`]: status, Clerk's `errors[]`, the trace id
//! and `Retry-After`) from a connection failure, a timeout, an answer over
//! the size limit, or an answer that does not decode. The message names the
//! endpoint and never contains the secret key.
//!
//! # Retries
//!
//! Idempotent requests (GET, HEAD, DELETE, PUT) are retried, up to 3
//! attempts in all ([`ClerkClientBuilder::max_attempts`]):
//!
//! * on 429, after `Retry-After` seconds if that is at most 10 s
//!   ([`ClerkClientBuilder::max_retry_delay`]); a longer wait is returned to
//!   you as the 429 error at once, rather than held inside a request handler;
//! * on 5xx, connection failures, timeouts and broken answers, after an
//!   exponential backoff from 250 ms ([`ClerkClientBuilder::retry_base_delay`]),
//!   doubled each time, randomized ×0.5–1.5 and capped at the same 10 s.
//!
//! POST and PATCH are never retried: a lost answer does not mean the change
//! was not made. Each retry is logged with `log::warn!` under the target
//! `clerk_actix::client` (`RUST_LOG=clerk_actix::client=warn`).
//!
//! # Timeouts and limits
//!
//! Each attempt must complete within the handle's HTTP timeout
//! ([`ClerkBuilder::http_timeout`](crate::ClerkBuilder::http_timeout),
//! 10 s by default) or [`ClerkClientBuilder::timeout`]. Answers may be up to
//! 16 MiB ([`ClerkClientBuilder::body_limit`]), well above awc's 2 MiB
//! default, since a page of 500 users is large.
//!
//! # Threads and connections
//!
//! The client sends with awc over rustls. awc's `Client` is `!Send`, so the
//! crate keeps **one `Client` per thread**, built on first use and reused by
//! every request on that thread, whichever `ClerkClient` sends it. Its
//! connection pool keeps connections to the Backend API open, so a request
//! usually skips the TCP and TLS handshakes. Building a client per call would
//! pay both every time. `benches/client.rs` measures one GET against the
//! local stand-in (plain HTTP on 127.0.0.1, so no TLS at all; 2-core machine,
//! criterion medians): a bare awc `Client` reused across requests took about
//! 78 µs, the same request with a fresh `Client` per call about 205 µs, a
//! ratio of about 2.6×, the difference being connection set-up (`ClerkClient`'s own
//! round trip, User decoding included, took about 108 µs). Over the internet,
//! where the TLS handshake adds one or two round trips, the gap is far wider.
//!
//! Because of awc, the futures of this module are not `Send`. Await them
//! where actix runs them: in handlers, in `#[actix_web::main]` or
//! `#[actix_web::test]`, or inside an `actix_web::rt::System`. A
//! `ClerkClient` itself is `Send + Sync` and can be moved between threads.

mod api_keys;
mod generated;
mod invitations;
pub(crate) mod lenient;
mod m2m;
mod machines;
pub(crate) mod models;
mod oauth_tokens;
mod organizations;
pub(crate) mod paging;
mod request;
mod sessions;
mod streams;
mod users;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::clerk::Clerk;

pub use self::api_keys::{ApiKeySecret, ApiKeysApi, CreateApiKey, ListApiKeys, UpdateApiKey};
pub use self::generated::*;
pub use self::invitations::{
    AllowlistIdentifier, AllowlistIdentifiersApi, CreateAllowlistIdentifier, CreateInvitation,
    IdentifierType, Invitation, InvitationsApi, ListInvitations, WaitlistEntry,
};
pub use self::m2m::{CreateM2mToken, ListM2mTokens, M2mTokensApi};
pub use self::machines::{
    CreateMachine, ListMachines, Machine, MachineScope, MachineSecretKey, MachinesApi,
    ScopedMachine, UpdateMachine,
};
pub use self::models::{DeletedObject, Metadata, PaginatedList, Pagination, TotalCount};
pub use self::oauth_tokens::OAuthAccessTokensApi;
pub use self::organizations::{
    CreateOrganization, CreateOrganizationInvitation, CreateOrganizationMembership,
    InvitationStatus, ListOrganizationInvitations, ListOrganizationMemberships, ListOrganizations,
    Organization, OrganizationInvitation, OrganizationMembership, OrganizationsApi, PublicUserData,
    UpdateOrganization, UpdateOrganizationMetadata,
};
pub use self::request::{Method, RequestBuilder};
pub use self::sessions::{
    CreateSession, GetSessionToken, ListSessions, Session, SessionActivity, SessionStatus,
    SessionTask, SessionsApi, Token,
};
pub use self::users::{
    CreateUser, EmailAddress, EnterpriseAccount, ExternalAccount, IdentificationLink, ListUsers,
    OauthAccessToken, Passkey, PhoneNumber, SamlAccount, UpdateUser, UpdateUserMetadata, User,
    UsersApi, Verification, VerificationStatus, Web3Wallet,
};
pub use crate::backend::error::{ApiError, ApiErrorDetail, Error, ErrorKind};
pub use crate::backend::jwks::{Jwk, Jwks};
pub use crate::backend::machine_verify::{ApiKey, IdpOAuthAccessToken, M2mToken};
pub use crate::backend::multipart::FileUpload;

use crate::backend::executor::{BackendApi, Policy as Settings};

/// A Backend API client. See the [module docs](self).
///
/// Cheap to clone (two `Arc`s), like the resource handles it returns
/// ([`users`](Self::users) and the others); `Send + Sync`, so it can go in app
/// data.
///
/// # Examples
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let clerk = clerk_actix::Clerk::from_env()?;
/// let client = clerk.client();
/// let user = client.users().get("user_123").await?;
/// println!("{:?}", user.first_name);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ClerkClient {
    pub(crate) clerk: Clerk,
    pub(crate) settings: Arc<Settings>,
}

impl fmt::Debug for ClerkClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClerkClient")
            .field("api_url", &self.clerk.api_url())
            .field("api_version", &self.clerk.api_version())
            .field("settings", &self.settings)
            .finish()
    }
}

impl Clerk {
    /// A Backend API client with this handle's secret key, API URL and
    /// version, and the default timeout, size limit and retries (see
    /// [`ClerkClient::builder`] to change them).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "testing")]
    /// # actix_web::rt::System::new().block_on(async {
    /// use clerk_actix::testing::StandIn;
    /// use serde_json::json;
    ///
    /// let stand_in = StandIn::builder().user(json!({"id": "user_1", "first_name": "Ada"})).start()?;
    /// let clerk = stand_in.clerk()?;
    /// let user = clerk.client().users().get("user_1").await?;
    /// assert_eq!(user.first_name.as_deref(), Some("Ada"));
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    #[must_use]
    #[doc(alias = "clerkClient")]
    pub fn client(&self) -> ClerkClient {
        ClerkClient::new(self.clone())
    }
}

impl ClerkClient {
    /// A client with the default settings; same as [`Clerk::client`].
    #[must_use]
    pub fn new(clerk: Clerk) -> Self {
        Self {
            clerk,
            settings: Arc::new(Settings::default()),
        }
    }

    /// A builder to change the timeout, size limit or retries.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use clerk_actix::client::ClerkClient;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let clerk = clerk_actix::Clerk::builder().secret_key("sk_test_123").build()?;
    /// let client = ClerkClient::builder(clerk)
    ///     .timeout(Duration::from_secs(3))
    ///     .max_attempts(1) // no retries
    ///     .build();
    /// # let _ = client;
    /// # Ok(()) }
    /// ```
    pub fn builder(clerk: Clerk) -> ClerkClientBuilder {
        ClerkClientBuilder {
            clerk,
            settings: Settings::default(),
        }
    }

    pub(crate) fn api(&self) -> &BackendApi {
        &self.clerk.config().api
    }

    /// The [`Clerk`] handle this client uses.
    #[must_use]
    pub fn clerk(&self) -> &Clerk {
        &self.clerk
    }

    /// The users endpoints.
    #[must_use]
    pub fn users(&self) -> UsersApi {
        UsersApi {
            client: self.clone(),
        }
    }

    /// The organizations endpoints, with memberships and invitations.
    #[must_use]
    pub fn organizations(&self) -> OrganizationsApi {
        OrganizationsApi {
            client: self.clone(),
        }
    }

    /// The sessions endpoints.
    #[must_use]
    pub fn sessions(&self) -> SessionsApi {
        SessionsApi {
            client: self.clone(),
        }
    }

    /// The instance invitations endpoints.
    #[must_use]
    pub fn invitations(&self) -> InvitationsApi {
        InvitationsApi {
            client: self.clone(),
        }
    }

    /// The sign-up allowlist endpoints.
    #[must_use]
    pub fn allowlist_identifiers(&self) -> AllowlistIdentifiersApi {
        AllowlistIdentifiersApi {
            client: self.clone(),
        }
    }

    /// The API keys endpoints (`/api_keys`, no `/v1`).
    #[must_use]
    pub fn api_keys(&self) -> ApiKeysApi {
        ApiKeysApi {
            client: self.clone(),
        }
    }

    /// The M2M token endpoints (`/m2m_tokens`, no `/v1`), sent with the
    /// machine secret key when one is configured.
    #[must_use]
    pub fn m2m_tokens(&self) -> M2mTokensApi {
        M2mTokensApi {
            client: self.clone(),
        }
    }

    /// The machines endpoints.
    #[must_use]
    pub fn machines(&self) -> MachinesApi {
        MachinesApi {
            client: self.clone(),
        }
    }

    /// The OAuth access token endpoint (Clerk as an identity provider).
    #[must_use]
    pub fn oauth_access_tokens(&self) -> OAuthAccessTokensApi {
        OAuthAccessTokensApi {
            client: self.clone(),
        }
    }

    /// `GET /jwks`: the instance's public keys.
    ///
    /// # Errors
    ///
    /// [`Error`]; a wrong secret key is a 401 (`clerk_key_invalid`).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "testing")]
    /// # actix_web::rt::System::new().block_on(async {
    /// use clerk_actix::testing::StandIn;
    ///
    /// let stand_in = StandIn::start()?;
    /// let jwks = stand_in.clerk()?.client().jwks().await?;
    /// assert!(jwks.find(stand_in.issuer().kid()).is_some());
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn jwks(&self) -> Result<Jwks, Error> {
        self.request(Method::GET, "/jwks").send().await
    }

    /// A request to any endpoint, e.g. one this crate has no typed method
    /// for. `path` is relative to `/v1` (`"/sign_in_tokens"`); it is split on
    /// `/` and each piece percent-encoded. Append ids with
    /// [`RequestBuilder::segment`] rather than formatting them into `path`.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "testing")]
    /// # actix_web::rt::System::new().block_on(async {
    /// use clerk_actix::client::Method;
    /// use clerk_actix::testing::StandIn;
    /// use serde_json::{json, Value};
    ///
    /// let stand_in = StandIn::builder().user(json!({"id": "user_1"})).start()?;
    /// let client = stand_in.clerk()?.client();
    /// let count: Value = client
    ///     .request(Method::GET, "/users/count")
    ///     .query(&json!({"user_id": ["user_1", "user_2"]}))
    ///     .send()
    ///     .await?;
    /// assert_eq!(count["total_count"], 1);
    /// assert_eq!(stand_in.requests()[0].query(), "user_id=user_1&user_id=user_2");
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder<'_> {
        RequestBuilder::new(self, method, path)
    }
}

/// Settings of a [`ClerkClient`]; from [`ClerkClient::builder`].
#[derive(Debug)]
#[must_use]
pub struct ClerkClientBuilder {
    clerk: Clerk,
    settings: Settings,
}

impl ClerkClientBuilder {
    /// How long each attempt may take, answer body included. Defaults to
    /// the handle's [`http_timeout`](crate::ClerkBuilder::http_timeout)
    /// (10 s unless set).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = Some(timeout);
        self
    }

    /// The largest answer accepted, in bytes; a larger one fails with
    /// [`ErrorKind::BodyTooLarge`]. Defaults to 16 MiB.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.settings.body_limit = bytes;
        self
    }

    /// Attempts in all for an idempotent request, the first included; 1
    /// turns retries off (0 counts as 1). Defaults to 3.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.settings.retry.max_attempts = attempts.max(1);
        self
    }

    /// The first backoff delay, doubled on each retry. Defaults to 250 ms.
    pub fn retry_base_delay(mut self, delay: Duration) -> Self {
        self.settings.retry.base_delay = delay;
        self
    }

    /// The longest wait between two attempts; a 429 asking for a longer
    /// `Retry-After` is returned instead of retried. Defaults to 10 s.
    pub fn max_retry_delay(mut self, delay: Duration) -> Self {
        self.settings.retry.max_delay = delay;
        self
    }

    /// Builds the client.
    pub fn build(self) -> ClerkClient {
        ClerkClient {
            clerk: self.clerk,
            settings: Arc::new(self.settings),
        }
    }
}
