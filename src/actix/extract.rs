//! Reading what the middleware attached: `get_auth`, and the
//! extractors (`Auth`, `OptionalAuth`, `SessionAuth`, `Clerk`, `ClerkClient`).

use std::future::{ready, Ready};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::dev::{Extensions, Payload, ServiceRequest};
use actix_web::guard::GuardContext;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use actix_web::dev::RequestHead;

use crate::actix::error::{
    AuthError, AuthUnavailableError, MissingMiddleware, Shape, Shaper, UnauthorizedError,
};
use crate::clerk::Clerk;
use crate::client::ClerkClient;
use crate::verification::accepts::AcceptsToken;
use crate::verification::auth::Auth;
use crate::verification::claims::SessionClaims;

/// What [`ClerkMiddleware`](crate::ClerkMiddleware) attaches to every request
/// it authenticates: one extension, read by everything in this module.
pub(crate) struct Attached {
    /// The auth object, or why there is none (an outage).
    pub(crate) auth: Result<Auth, AuthUnavailableError>,
    /// The handle the middleware's `instance_fn` chose for this request.
    pub(crate) selected: Option<Clerk>,
    pub(crate) settings: Rc<AttachedSettings>,
}

/// What every request a middleware worker authenticates carries beside its
/// auth object, shared on the worker's thread.
pub(crate) struct AttachedSettings {
    pub(crate) clerk: Clerk,
    /// The rejection hook.
    pub(crate) shaper: Option<Shaper>,
    /// The client the `ClerkClient` extractor hands out, when the middleware
    /// was given one.
    pub(crate) client: Option<ClerkClient>,
}

impl Attached {
    /// The handle that authenticated the request.
    pub(crate) fn clerk(&self) -> &Clerk {
        self.selected.as_ref().unwrap_or(&self.settings.clerk)
    }

    /// The client the `ClerkClient` extractor hands out: the middleware's,
    /// else the handle's.
    fn client(&self) -> ClerkClient {
        self.settings
            .client
            .clone()
            .unwrap_or_else(|| self.clerk().client())
    }

    /// The auth object as a route taking `accepts` sees it. The middleware
    /// verified the token whatever its kind, once; a route that says nothing
    /// takes session tokens only, so an API key never passes for a session.
    pub(crate) fn auth_with(&self, accepts: AcceptsToken) -> Result<Auth, AuthError> {
        match &self.auth {
            Ok(auth) => Ok(auth.accepting(accepts)),
            Err(unavailable) => Err(AuthError::Unavailable(unavailable.clone())),
        }
    }

    fn auth(&self) -> Result<Auth, AuthError> {
        self.auth_with(AcceptsToken::SESSION_TOKEN)
    }

    /// `auth` when signed in, else the rejection a handler should answer with.
    fn signed_in(&self, head: &RequestHead) -> Result<Auth, AuthError> {
        let auth = self.auth()?;
        if auth.is_authenticated() {
            Ok(auth)
        } else {
            Err(UnauthorizedError::for_auth(&auth, self.shape(head)).into())
        }
    }

    /// The rejection hook with what it sees of the request, when a hook is set.
    pub(crate) fn shape(&self, head: &RequestHead) -> Option<Shape> {
        self.settings
            .shaper
            .as_ref()
            .map(|hook| Shape::new(hook, head))
    }
}

/// Logs, once per process, that something read the request's Clerk state
/// where `ClerkMiddleware` does not run, naming the fix.
pub(crate) fn warn_missing_middleware(what: &str) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        log::warn!(
            target: "clerk_actix::middleware",
            "Clerk: {what} ran on a request that ClerkMiddleware did not authenticate; \
             register ClerkMiddleware on the App or on a scope enclosing this route \
             (App::new().wrap(ClerkMiddleware::new(clerk)))"
        );
    }
}

fn attached(extensions: &Extensions) -> Result<&Attached, MissingMiddleware> {
    extensions.get::<Attached>().ok_or(MissingMiddleware)
}

/// Reads what [`ClerkMiddleware`](crate::ClerkMiddleware) attached, for the
/// crate's own readers ([`get_auth`], the guards, the machine extractors) on
/// each request type they see.
pub(crate) trait AuthExt {
    /// The session view of the attached auth object.
    fn get_auth(&self) -> Result<Auth, AuthError>;

    /// The attached auth object as a route taking `accepts` sees it.
    fn get_auth_with(&self, accepts: AcceptsToken) -> Result<Auth, AuthError>;
}

impl AuthExt for HttpRequest {
    fn get_auth(&self) -> Result<Auth, AuthError> {
        attached(&self.extensions())?.auth()
    }

    fn get_auth_with(&self, accepts: AcceptsToken) -> Result<Auth, AuthError> {
        attached(&self.extensions())?.auth_with(accepts)
    }
}

impl AuthExt for ServiceRequest {
    fn get_auth(&self) -> Result<Auth, AuthError> {
        attached(&self.extensions())?.auth()
    }

    fn get_auth_with(&self, accepts: AcceptsToken) -> Result<Auth, AuthError> {
        attached(&self.extensions())?.auth_with(accepts)
    }
}

impl AuthExt for GuardContext<'_> {
    fn get_auth(&self) -> Result<Auth, AuthError> {
        attached(&self.req_data())?.auth()
    }

    fn get_auth_with(&self, accepts: AcceptsToken) -> Result<Auth, AuthError> {
        attached(&self.req_data())?.auth_with(accepts)
    }
}

/// The [`Auth`] object that [`ClerkMiddleware`](crate::ClerkMiddleware)
/// attached to `req`: the port of `getAuth(req)`, signed in or signed out, as
/// a route that takes session tokens sees it (see
/// [`get_auth_with`](crate::get_auth_with) for other kinds). In a
/// middleware, pass `service_request.request()`.
///
/// # Errors
///
/// [`AuthError::MissingMiddleware`] (a 500 as a response) when
/// `ClerkMiddleware` did not run for this request;
/// [`AuthError::Unavailable`] (a 503) when the Backend API is down and the
/// request's token could not be checked.
///
/// # Examples
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use actix_web::{test, web, App, HttpRequest, HttpResponse};
/// use clerk_actix::testing::TestIssuer;
/// use clerk_actix::{get_auth, ClerkMiddleware, Has};
///
/// async fn reports(req: HttpRequest) -> actix_web::Result<HttpResponse> {
///     let auth = get_auth(&req)?;
///     if !auth.has(Has::permission("org:reports:read")) {
///         return Ok(HttpResponse::Forbidden().finish());
///     }
///     Ok(HttpResponse::Ok().json(&auth))
/// }
///
/// let issuer = TestIssuer::generate()?;
/// let app = test::init_service(
///     App::new()
///         .route("/reports", web::get().to(reports))
///         .wrap(ClerkMiddleware::new(clerk_actix::Clerk::builder().jwt_key(issuer.public_key_pem()).build()?)),
/// )
/// .await;
/// let member = issuer.session("user_1").org("org_1", "org:member").permissions(["org:reports:read"]).sign();
/// let req = test::TestRequest::get().uri("/reports").insert_header(("authorization", format!("Bearer {member}")));
/// assert_eq!(test::call_service(&app, req.to_request()).await.status(), 200);
/// let guest = issuer.session("user_2").sign();
/// let req = test::TestRequest::get().uri("/reports").insert_header(("authorization", format!("Bearer {guest}")));
/// assert_eq!(test::call_service(&app, req.to_request()).await.status(), 403);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[doc(alias = "getAuth")]
pub fn get_auth(req: &HttpRequest) -> Result<Auth, AuthError> {
    req.get_auth()
}

/// What the extractors and wrap helpers read: the attachment, or the error
/// they answer with.
pub(crate) fn attachment<'e>(
    extensions: &'e Extensions,
    reader: &str,
) -> Result<&'e Attached, MissingMiddleware> {
    attached(extensions).inspect_err(|_| warn_missing_middleware(reader))
}

/// The extractor: a signed-in session, else [`UnauthorizedError`] (401).
/// See [`Auth`]'s "Extractor behaviour".
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use actix_web::{test, web, App};
/// use clerk_actix::testing::TestIssuer;
/// use clerk_actix::{Auth, Clerk, ClerkMiddleware};
///
/// async fn me(auth: Auth) -> String {
///     auth.user_id().unwrap_or_default().to_owned()
/// }
///
/// let issuer = TestIssuer::generate()?;
/// let clerk = Clerk::builder().jwt_key(issuer.public_key_pem()).build()?;
/// let app = test::init_service(App::new().route("/me", web::get().to(me)).wrap(ClerkMiddleware::new(clerk))).await;
/// let call = |token: Option<String>| {
///     let mut req = test::TestRequest::get().uri("/me");
///     if let Some(token) = token {
///         req = req.insert_header(("authorization", format!("Bearer {token}")));
///     }
///     test::call_service(&app, req.to_request())
/// };
/// let res = call(Some(issuer.session("user_1").sign())).await;
/// assert_eq!(res.status(), 200);
/// assert_eq!(test::read_body(res).await, "user_1");
/// assert_eq!(call(None).await.status(), 401);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
impl FromRequest for Auth {
    type Error = AuthError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            attachment(&req.extensions(), "the Auth extractor (or Option<Auth>)")
                .map_err(AuthError::from)
                .and_then(|attached| attached.signed_in(req.head())),
        )
    }
}

/// An extractor for routes that serve signed-in and signed-out requests
/// alike: `Some(auth)` when signed in, `None` when not.
///
/// Unlike `Option<Auth>`, it still fails when `ClerkMiddleware` is missing
/// (500) or the Backend API is down (503), so a setup mistake or an outage
/// cannot pass for an anonymous visitor.
///
/// # Examples
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use actix_web::{test, web, App};
/// use clerk_actix::testing::TestIssuer;
/// use clerk_actix::{Clerk, ClerkMiddleware, OptionalAuth};
///
/// async fn home(auth: OptionalAuth) -> String {
///     match auth.into_inner() {
///         Some(auth) => format!("welcome back, {}", auth.user_id().unwrap_or_default()),
///         None => "welcome, stranger".to_owned(),
///     }
/// }
///
/// let issuer = TestIssuer::generate()?;
/// let clerk = Clerk::builder().jwt_key(issuer.public_key_pem()).build()?;
/// let app = test::init_service(App::new().route("/", web::get().to(home)).wrap(ClerkMiddleware::new(clerk))).await;
/// let call = |token: Option<String>| {
///     let mut req = test::TestRequest::get().uri("/");
///     if let Some(token) = token {
///         req = req.insert_header(("authorization", format!("Bearer {token}")));
///     }
///     test::call_service(&app, req.to_request())
/// };
/// let res = call(Some(issuer.session("user_1").sign())).await;
/// assert_eq!(res.status(), 200);
/// assert_eq!(test::read_body(res).await, "welcome back, user_1");
/// let res = call(None).await;
/// assert_eq!(res.status(), 200);
/// assert_eq!(test::read_body(res).await, "welcome, stranger");
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct OptionalAuth(pub Option<Auth>);

impl OptionalAuth {
    /// The auth object when signed in.
    #[must_use]
    pub fn into_inner(self) -> Option<Auth> {
        self.0
    }
}

impl std::ops::Deref for OptionalAuth {
    type Target = Option<Auth>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl FromRequest for OptionalAuth {
    type Error = AuthError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            attachment(&req.extensions(), "the OptionalAuth extractor")
                .map_err(AuthError::from)
                .and_then(|attached| attached.auth())
                .map(|auth| OptionalAuth(auth.is_authenticated().then_some(auth))),
        )
    }
}

/// A signed-in session, without `Option`s: the extractor for handlers that
/// need the user. Signed-out requests get a 401, like [`Auth`].
///
/// # Examples
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use actix_web::{test, web, App};
/// use clerk_actix::testing::TestIssuer;
/// use clerk_actix::{Clerk, ClerkMiddleware, SessionAuth};
///
/// async fn me(session: SessionAuth) -> String {
///     format!("{} in session {}", session.user_id(), session.session_id())
/// }
///
/// let issuer = TestIssuer::generate()?;
/// let clerk = Clerk::builder().jwt_key(issuer.public_key_pem()).build()?;
/// let app = test::init_service(App::new().route("/me", web::get().to(me)).wrap(ClerkMiddleware::new(clerk))).await;
/// let call = |token: Option<String>| {
///     let mut req = test::TestRequest::get().uri("/me");
///     if let Some(token) = token {
///         req = req.insert_header(("authorization", format!("Bearer {token}")));
///     }
///     test::call_service(&app, req.to_request())
/// };
/// let res = call(Some(issuer.session("user_1").session_id("sess_1").sign())).await;
/// assert_eq!(res.status(), 200);
/// assert_eq!(test::read_body(res).await, "user_1 in session sess_1");
/// assert_eq!(call(None).await.status(), 401);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct SessionAuth {
    auth: Auth,
    claims: SessionClaims,
}

impl SessionAuth {
    /// The user's id (`sub`), e.g. `user_2abc…`.
    #[must_use]
    pub fn user_id(&self) -> &str {
        self.claims.user_id()
    }

    /// The session's id (`sid`), e.g. `sess_2abc…`.
    #[must_use]
    pub fn session_id(&self) -> &str {
        // A session token without `sid` does not make a `SessionAuth`.
        self.claims.session_id().unwrap_or_default()
    }

    /// The verified claims.
    #[must_use]
    pub fn claims(&self) -> &SessionClaims {
        &self.claims
    }

    /// The full auth object, for `has()`, the organization, and serialising.
    #[must_use]
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// The auth object, by value.
    #[must_use]
    pub fn into_auth(self) -> Auth {
        self.auth
    }
}

impl std::ops::Deref for SessionAuth {
    type Target = Auth;

    fn deref(&self) -> &Auth {
        &self.auth
    }
}

impl FromRequest for SessionAuth {
    type Error = AuthError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            attachment(&req.extensions(), "the SessionAuth extractor")
                .map_err(AuthError::from)
                .and_then(|attached| {
                    let auth = attached.signed_in(req.head())?;
                    match auth.claims() {
                        Some(claims) if claims.session_id().is_some() => Ok(SessionAuth {
                            claims: claims.clone(),
                            auth,
                        }),
                        _ => Err(
                            UnauthorizedError::for_auth(&auth, attached.shape(req.head())).into(),
                        ),
                    }
                }),
        )
    }
}

/// The [`Clerk`] handle the middleware was built with, in any handler behind
/// it, with no `app_data` registration.
///
/// Without `ClerkMiddleware` in front, the extractor fails with a 500 (and
/// logs how to fix it).
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use actix_web::{test, web, App};
/// use clerk_actix::{Clerk, ClerkMiddleware};
///
/// async fn instance(clerk: Clerk) -> String {
///     clerk.api_url().to_owned()
/// }
///
/// let clerk = Clerk::builder().secret_key("sk_test_x").build()?;
/// let app = test::init_service(
///     App::new()
///         .service(web::scope("/app").wrap(ClerkMiddleware::new(clerk)).route("/instance", web::get().to(instance)))
///         .route("/outside", web::get().to(instance)),
/// )
/// .await;
/// let res = test::call_service(&app, test::TestRequest::get().uri("/app/instance").to_request()).await;
/// assert_eq!(res.status(), 200);
/// assert_eq!(test::read_body(res).await, "https://api.clerk.com");
/// let res = test::call_service(&app, test::TestRequest::get().uri("/outside").to_request()).await;
/// assert_eq!(res.status(), 500);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
impl FromRequest for Clerk {
    type Error = MissingMiddleware;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(attachment(&req.extensions(), "the Clerk extractor").map(|a| a.clerk().clone()))
    }
}

/// A Backend API client for the middleware's [`Clerk`] handle, in any
/// handler behind it, with no `app_data` registration.
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use actix_web::{test, web, App, HttpResponse};
/// use clerk_actix::client::ClerkClient;
/// use clerk_actix::testing::StandIn;
/// use clerk_actix::{ClerkMiddleware, SessionAuth};
/// use serde_json::json;
///
/// async fn profile(session: SessionAuth, client: ClerkClient) -> HttpResponse {
///     match client.users().get(session.user_id()).await {
///         Ok(user) => HttpResponse::Ok().json(user),
///         Err(e) if e.status() == Some(404) => HttpResponse::NotFound().finish(),
///         Err(e) => {
///             log::error!("Clerk Backend API: {e}");
///             HttpResponse::BadGateway().finish()
///         }
///     }
/// }
///
/// let stand_in = StandIn::builder().user(json!({"id": "user_1", "first_name": "Ada"})).start()?;
/// let app = test::init_service(
///     App::new().route("/profile", web::get().to(profile)).wrap(ClerkMiddleware::new(stand_in.clerk()?)),
/// )
/// .await;
/// let call = |token: Option<String>| {
///     let mut req = test::TestRequest::get().uri("/profile");
///     if let Some(token) = token {
///         req = req.insert_header(("authorization", format!("Bearer {token}")));
///     }
///     test::call_service(&app, req.to_request())
/// };
/// assert_eq!(call(Some(stand_in.session_token("user_1").sign())).await.status(), 200);
/// // Signed in, but Clerk has no such user.
/// assert_eq!(call(Some(stand_in.session_token("user_2").sign())).await.status(), 404);
/// assert_eq!(call(None).await.status(), 401);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
impl FromRequest for ClerkClient {
    type Error = MissingMiddleware;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(attachment(&req.extensions(), "the ClerkClient extractor").map(Attached::client))
    }
}
