//! Enforcement for apps, scopes and resources: 401 when signed out, 403 when
//! signed in without the required authorization.

use std::borrow::Cow;
use std::fmt;
use std::future::{ready, Ready};
use std::rc::Rc;
use std::sync::Arc;

use actix_service::{forward_ready, Service, Transform};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse};
use futures_util::future::LocalBoxFuture;

use crate::actix::error::{ForbiddenError, UnauthorizedError};
use crate::actix::extract::attachment;
use crate::verification::accepts::AcceptsToken;
use crate::verification::auth::Auth;
use crate::verification::authorization::Has;

/// Rejects signed-out requests with [`UnauthorizedError`] (401): the port of
/// `requireAuth`, for [`actix_web::middleware::from_fn`].
///
/// The same check as [`Require::auth`], which is the form this crate teaches
/// (it also takes the permission, role and `has()` checks); this one keeps
/// the seed's name.
///
/// The rejection is returned as a response (not an `Err`), so outer
/// middleware such as CORS still decorates it.
///
/// # Examples
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use actix_web::middleware::from_fn;
/// use actix_web::{test, web, App, HttpResponse};
/// use clerk_actix::testing::TestIssuer;
/// use clerk_actix::{require_auth, Clerk, ClerkMiddleware};
///
/// let issuer = TestIssuer::generate()?;
/// let clerk = Clerk::builder().jwt_key(issuer.public_key_pem()).build()?;
/// let app = test::init_service(
///     App::new()
///         .service(
///             web::scope("/api")
///                 .wrap(from_fn(require_auth))
///                 .route("/me", web::get().to(HttpResponse::Ok)),
///         )
///         .wrap(ClerkMiddleware::new(clerk)),
/// )
/// .await;
/// let call = |token: Option<String>| {
///     let mut req = test::TestRequest::get().uri("/api/me");
///     if let Some(token) = token {
///         req = req.insert_header(("authorization", format!("Bearer {token}")));
///     }
///     test::call_service(&app, req.to_request())
/// };
/// assert_eq!(call(Some(issuer.session("user_1").sign())).await.status(), 200);
/// assert_eq!(call(None).await.status(), 401);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[doc(alias = "requireAuth")]
pub async fn require_auth(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    match refusal(
        &req,
        &Rule::Authenticated,
        None,
        AcceptsToken::SESSION_TOKEN,
        None,
    ) {
        None => Ok(next.call(req).await?.map_into_left_body()),
        Some(refusal) => Ok(refusal.into_response(req).map_into_right_body()),
    }
}

/// Middleware that requires a signed-in request and, optionally, an
/// authorization check: 401 when signed out, 403 when the check fails.
///
/// Wrap an `App`, a `Scope` or a `Resource` with it. It reads the [`Auth`]
/// that [`ClerkMiddleware`](crate::ClerkMiddleware) attached, so
/// `ClerkMiddleware` must be registered on the same or an outer level
/// (outermost = last `.wrap()`).
///
/// # Examples
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use actix_web::{test, web, App, HttpResponse};
/// use clerk_actix::testing::TestIssuer;
/// use clerk_actix::{require_permission, Clerk, ClerkMiddleware, Has, Require};
///
/// let issuer = TestIssuer::generate()?;
/// let clerk = Clerk::builder().jwt_key(issuer.public_key_pem()).build()?;
/// let app = test::init_service(
///     App::new()
///         .service(
///             web::scope("/admin")
///                 .wrap(require_permission("org:admin:manage"))
///                 .route("/users", web::get().to(HttpResponse::Ok)),
///         )
///         .service(
///             web::resource("/billing")
///                 .wrap(Require::has(Has::plan("org:business")).redirect_to("/pricing"))
///                 .route(web::get().to(HttpResponse::Ok)),
///         )
///         .wrap(ClerkMiddleware::new(clerk)),
/// )
/// .await;
/// let call = |uri: &'static str, token: Option<String>| {
///     let mut req = test::TestRequest::get().uri(uri);
///     if let Some(token) = token {
///         req = req.insert_header(("authorization", format!("Bearer {token}")));
///     }
///     test::call_service(&app, req.to_request())
/// };
/// let member = issuer.session("user_1").org("org_1", "org:member").sign();
/// assert_eq!(call("/admin/users", Some(member.clone())).await.status(), 403);
/// assert_eq!(call("/admin/users", None).await.status(), 401);
/// let business = issuer.session("user_2").org("org_1", "org:member").plans(["o:business"]).sign();
/// assert_eq!(call("/billing", Some(business)).await.status(), 200);
/// assert_eq!(call("/billing", Some(member)).await.status(), 403);
/// let signed_out = call("/billing", None).await;
/// assert_eq!(signed_out.status(), 302);
/// assert_eq!(signed_out.headers().get("location").ok_or("no Location")?, "/pricing");
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
#[must_use]
pub struct Require {
    rule: Arc<Rule>,
    redirect: Option<Arc<str>>,
    accepts: AcceptsToken,
    page: Option<Arc<PageRedirect>>,
}

/// [`Require::sign_in_page`]: where signed-out page navigations go.
#[derive(Debug)]
struct PageRedirect {
    sign_in_url: String,
    trust_forwarded: bool,
}

enum Rule {
    Authenticated,
    Has(Has),
    Check(Box<dyn Fn(&Auth) -> bool + Send + Sync>),
}

impl fmt::Debug for Require {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rule = match &*self.rule {
            Rule::Authenticated => "authenticated".to_owned(),
            Rule::Has(has) => format!("{has:?}"),
            Rule::Check(_) => "check(..)".to_owned(),
        };
        f.debug_struct("Require")
            .field("rule", &rule)
            .field("redirect", &self.redirect)
            .field("accepts", &self.accepts)
            .field("page", &self.page)
            .finish()
    }
}

impl Require {
    fn with(rule: Rule) -> Self {
        Self {
            rule: Arc::new(rule),
            redirect: None,
            accepts: AcceptsToken::SESSION_TOKEN,
            page: None,
        }
    }

    /// Which token kinds pass (the check then runs on the auth object of
    /// that kind): e.g. `Require::auth().accepts_token(TokenType::ApiKey)`
    /// for a scope of API-key routes. Requests authenticated another way get
    /// a 401.
    ///
    /// Defaults to session tokens only ([`Require::scope`]: machine tokens
    /// only).
    ///
    /// ```
    /// # actix_web::rt::System::new().block_on(async {
    /// use actix_web::{test, web, App, HttpResponse};
    /// use clerk_actix::machine::{AcceptsToken, TokenType};
    /// use clerk_actix::testing::StandIn;
    /// use clerk_actix::{ClerkMiddleware, Require};
    ///
    /// let stand_in = StandIn::start()?;
    /// let integrations = Require::auth().accepts_token(AcceptsToken::list([TokenType::ApiKey, TokenType::OAuthToken]));
    /// let app = test::init_service(
    ///     App::new()
    ///         .service(web::resource("/sync").wrap(integrations).to(HttpResponse::Ok))
    ///         .wrap(ClerkMiddleware::new(stand_in.clerk()?)),
    /// )
    /// .await;
    /// let call = |token: String| {
    ///     let req = test::TestRequest::get().uri("/sync").insert_header(("authorization", format!("Bearer {token}")));
    ///     test::call_service(&app, req.to_request())
    /// };
    /// assert_eq!(call(stand_in.api_key("user_1", ["sync"])).await.status(), 200);
    /// assert_eq!(call(stand_in.oauth_token("user_1", ["sync"])).await.status(), 200);
    /// // Not a kind this scope takes: signed out for it.
    /// assert_eq!(call(stand_in.m2m_token("mch_1", ["sync"])).await.status(), 401);
    /// assert_eq!(call(stand_in.session_token("user_1").sign()).await.status(), 401);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    #[doc(alias = "acceptsToken")]
    pub fn accepts_token(mut self, accepts: impl Into<AcceptsToken>) -> Self {
        self.accepts = accepts.into();
        self
    }

    /// Requires a machine token (API key, M2M or OAuth token, unless
    /// [`accepts_token`](Self::accepts_token) narrows it) that grants `scope`
    /// ([`Auth::has_scope`]): 401 without one, 403 without the scope.
    ///
    /// ```
    /// # actix_web::rt::System::new().block_on(async {
    /// use actix_web::{test, web, App, HttpResponse};
    /// use clerk_actix::machine::TokenType;
    /// use clerk_actix::testing::StandIn;
    /// use clerk_actix::{ClerkMiddleware, Require};
    ///
    /// let stand_in = StandIn::start()?;
    /// let read_reports = Require::scope("read:reports").accepts_token(TokenType::ApiKey);
    /// let app = test::init_service(
    ///     App::new()
    ///         .service(web::resource("/reports").wrap(read_reports).to(HttpResponse::Ok))
    ///         .wrap(ClerkMiddleware::new(stand_in.clerk()?)),
    /// )
    /// .await;
    /// let call = |token: String| {
    ///     let req = test::TestRequest::get().uri("/reports").insert_header(("authorization", format!("Bearer {token}")));
    ///     test::call_service(&app, req.to_request())
    /// };
    /// assert_eq!(call(stand_in.api_key("user_1", ["read:reports"])).await.status(), 200);
    /// assert_eq!(call(stand_in.api_key("user_1", ["write:reports"])).await.status(), 403);
    /// assert_eq!(call(stand_in.oauth_token("user_1", ["read:reports"])).await.status(), 401);
    /// assert_eq!(call(stand_in.session_token("user_1").sign()).await.status(), 401);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn scope(scope: impl Into<Cow<'static, str>>) -> Self {
        let scope = scope.into();
        Self::check(move |auth| auth.has_scope(&scope)).accepts_token(AcceptsToken::MACHINE)
    }

    /// Requires a signed-in request: 401 otherwise.
    ///
    /// ```
    /// # actix_web::rt::System::new().block_on(async {
    /// use std::time::Duration;
    ///
    /// use actix_web::{test, web, App, HttpResponse};
    /// use clerk_actix::testing::TestIssuer;
    /// use clerk_actix::{Clerk, ClerkMiddleware, Require};
    ///
    /// let issuer = TestIssuer::generate()?;
    /// let clerk = Clerk::builder().jwt_key(issuer.public_key_pem()).build()?;
    /// let app = test::init_service(
    ///     App::new()
    ///         .service(web::scope("/account").wrap(Require::auth()).route("", web::get().to(HttpResponse::Ok)))
    ///         .wrap(ClerkMiddleware::new(clerk)),
    /// )
    /// .await;
    /// let call = |token: Option<String>| {
    ///     let mut req = test::TestRequest::get().uri("/account");
    ///     if let Some(token) = token {
    ///         req = req.insert_header(("authorization", format!("Bearer {token}")));
    ///     }
    ///     test::call_service(&app, req.to_request())
    /// };
    /// assert_eq!(call(Some(issuer.session("user_1").sign())).await.status(), 200);
    /// assert_eq!(call(None).await.status(), 401);
    /// let expired = issuer.session("user_1").expired(Duration::from_secs(60)).sign();
    /// assert_eq!(call(Some(expired)).await.status(), 401);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    #[doc(alias = "requireAuth")]
    pub fn auth() -> Self {
        Self::with(Rule::Authenticated)
    }

    /// Requires a signed-in user that passes `check` ([`Auth::has`]): 401
    /// when signed out, 403 when the check fails.
    ///
    /// ```
    /// # actix_web::rt::System::new().block_on(async {
    /// use actix_web::{test, web, App, HttpResponse};
    /// use clerk_actix::testing::TestIssuer;
    /// use clerk_actix::{Clerk, ClerkMiddleware, Has, Require};
    ///
    /// let issuer = TestIssuer::generate()?;
    /// let clerk = Clerk::builder().jwt_key(issuer.public_key_pem()).build()?;
    /// let app = test::init_service(
    ///     App::new()
    ///         .service(web::resource("/export").wrap(Require::has(Has::plan("user:pro"))).to(HttpResponse::Ok))
    ///         .wrap(ClerkMiddleware::new(clerk)),
    /// )
    /// .await;
    /// let call = |token: Option<String>| {
    ///     let mut req = test::TestRequest::get().uri("/export");
    ///     if let Some(token) = token {
    ///         req = req.insert_header(("authorization", format!("Bearer {token}")));
    ///     }
    ///     test::call_service(&app, req.to_request())
    /// };
    /// assert_eq!(call(Some(issuer.session("user_1").plans(["u:pro"]).sign())).await.status(), 200);
    /// assert_eq!(call(Some(issuer.session("user_2").sign())).await.status(), 403);
    /// assert_eq!(call(None).await.status(), 401);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn has(check: Has) -> Self {
        Self::with(Rule::Has(check))
    }

    /// Requires a signed-in user for whom `check` returns `true`: 401 when
    /// signed out, 403 when it returns `false`.
    ///
    /// ```
    /// # actix_web::rt::System::new().block_on(async {
    /// use actix_web::{test, web, App, HttpResponse};
    /// use clerk_actix::testing::{TestIssuer, TestOrg};
    /// use clerk_actix::{Clerk, ClerkMiddleware, Require};
    ///
    /// let issuer = TestIssuer::generate()?;
    /// let clerk = Clerk::builder().jwt_key(issuer.public_key_pem()).build()?;
    /// let staff_only = Require::check(|auth| auth.org_slug() == Some("staff"));
    /// let app = test::init_service(
    ///     App::new()
    ///         .service(web::resource("/tools").wrap(staff_only).to(HttpResponse::Ok))
    ///         .wrap(ClerkMiddleware::new(clerk)),
    /// )
    /// .await;
    /// let call = |token: Option<String>| {
    ///     let mut req = test::TestRequest::get().uri("/tools");
    ///     if let Some(token) = token {
    ///         req = req.insert_header(("authorization", format!("Bearer {token}")));
    ///     }
    ///     test::call_service(&app, req.to_request())
    /// };
    /// let staff = issuer.session("user_1").organization(TestOrg::new("org_1", "org:member").slug("staff")).sign();
    /// assert_eq!(call(Some(staff)).await.status(), 200);
    /// let customer = issuer.session("user_2").organization(TestOrg::new("org_2", "org:admin").slug("acme")).sign();
    /// assert_eq!(call(Some(customer)).await.status(), 403);
    /// assert_eq!(call(None).await.status(), 401);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn check(check: impl Fn(&Auth) -> bool + Send + Sync + 'static) -> Self {
        Self::with(Rule::Check(Box::new(check)))
    }

    /// Sends signed-out requests to `url` with a 302 instead of answering
    /// 401: for pages rather than APIs. A failed check still answers 403.
    ///
    /// Defaults to answering 401.
    pub fn redirect_to(mut self, url: impl Into<String>) -> Self {
        self.redirect = Some(url.into().into());
        self
    }

    /// Like [`redirect_to`](Self::redirect_to), to the [`Clerk`](crate::Clerk)
    /// handle's sign-in URL (`CLERK_SIGN_IN_URL`), else `/` (what
    /// `@clerk/express`'s `requireAuth` does).
    pub fn redirect_to_sign_in(self, clerk: &crate::clerk::Clerk) -> Self {
        let url = clerk.sign_in_url().unwrap_or("/").to_owned();
        self.redirect_to(url)
    }

    /// For apps that serve pages and APIs alike: a signed-out browser page
    /// navigation (a GET with `Sec-Fetch-Dest: document`/`iframe`, or an
    /// `Accept` starting with `text/html`) is sent with a 302 to the
    /// [`Clerk`](crate::Clerk) handle's sign-in URL (`CLERK_SIGN_IN_URL`,
    /// else `/`) with `redirect_url` set to the page it asked for, so the
    /// sign-in page can send the user back; every other signed-out request
    /// (`fetch`, API clients) still gets 401. A failed check answers 403.
    ///
    /// ```
    /// # actix_web::rt::System::new().block_on(async {
    /// use actix_web::{test, web, App, HttpResponse};
    /// use clerk_actix::testing::TestIssuer;
    /// use clerk_actix::{Clerk, ClerkMiddleware, Require};
    ///
    /// let issuer = TestIssuer::generate()?;
    /// let clerk = Clerk::builder().jwt_key(issuer.public_key_pem()).sign_in_url("/sign-in").build()?;
    /// let app = test::init_service(
    ///     App::new()
    ///         .service(
    ///             web::scope("/dashboard")
    ///                 .wrap(Require::auth().sign_in_page(&clerk))
    ///                 .route("", web::get().to(HttpResponse::Ok)),
    ///         )
    ///         .wrap(ClerkMiddleware::new(clerk)),
    /// )
    /// .await;
    /// let visit = |accept: &'static str| {
    ///     let req = test::TestRequest::get().uri("/dashboard").insert_header(("accept", accept));
    ///     test::call_service(&app, req.to_request())
    /// };
    /// // A page navigation goes to the sign-in page, and is sent back after.
    /// let page = visit("text/html,application/xhtml+xml").await;
    /// assert_eq!(page.status(), 302);
    /// let location = page.headers().get("location").ok_or("no Location")?.to_str()?;
    /// assert!(location.starts_with("/sign-in?redirect_url=http"), "{location}");
    /// assert!(location.ends_with("%2Fdashboard"), "{location}");
    /// // An API call is answered.
    /// assert_eq!(visit("application/json").await.status(), 401);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    ///
    /// Defaults to answering 401 to every signed-out request.
    pub fn sign_in_page(mut self, clerk: &crate::clerk::Clerk) -> Self {
        self.page = Some(Arc::new(PageRedirect {
            sign_in_url: clerk.sign_in_url().unwrap_or("/").to_owned(),
            trust_forwarded: clerk.config().browser.trust_forwarded_headers,
        }));
        self
    }
}

impl PageRedirect {
    /// `<sign-in URL>?redirect_url=<the page>`, for a navigation.
    fn location(&self, req: &ServiceRequest) -> Option<String> {
        if !crate::authenticate::handshake::is_navigation(req) {
            return None;
        }
        let back = crate::authenticate::url::clerk_url(req, self.trust_forwarded);
        let separator = if self.sign_in_url.contains('?') {
            '&'
        } else {
            '?'
        };
        let mut location = format!("{}{separator}redirect_url=", self.sign_in_url);
        location.extend(form_urlencoded::byte_serialize(back.as_bytes()));
        Some(location)
    }
}

/// Requires the organization permission `permission`, e.g.
/// `org:invoices:read`: 401 when signed out, 403 without it. Wrap a scope or
/// resource in it. (`Require::has(Has::permission(..))` is the general form;
/// the [`guard`](crate::guard) of the same name routes instead, no match then
/// 404, and is not a way to protect a route.)
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use actix_web::{test, web, App, HttpResponse};
/// use clerk_actix::testing::TestIssuer;
/// use clerk_actix::{require_permission, Clerk, ClerkMiddleware};
///
/// let issuer = TestIssuer::generate()?;
/// let clerk = Clerk::builder().jwt_key(issuer.public_key_pem()).build()?;
/// let app = test::init_service(
///     App::new()
///         .service(
///             web::resource("/invoices")
///                 .wrap(require_permission("org:invoices:read"))
///                 .to(HttpResponse::Ok),
///         )
///         .wrap(ClerkMiddleware::new(clerk)),
/// )
/// .await;
/// let call = |token: Option<String>| {
///     let mut req = test::TestRequest::get().uri("/invoices");
///     if let Some(token) = token {
///         req = req.insert_header(("authorization", format!("Bearer {token}")));
///     }
///     test::call_service(&app, req.to_request())
/// };
/// let reader = issuer.session("user_1").org("org_1", "org:member").permissions(["org:invoices:read"]).sign();
/// assert_eq!(call(Some(reader)).await.status(), 200);
/// assert_eq!(call(Some(issuer.session("user_2").sign())).await.status(), 403);
/// assert_eq!(call(None).await.status(), 401);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[doc(alias = "requirePermission")]
pub fn require_permission(permission: impl Into<Cow<'static, str>>) -> Require {
    Require::has(Has::permission(permission))
}

/// Requires the organization role `role`, e.g. `org:admin`: 401 when signed
/// out, 403 without it. (`Require::has(Has::role(..))` is the general form.)
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use actix_web::{test, web, App, HttpResponse};
/// use clerk_actix::testing::TestIssuer;
/// use clerk_actix::{require_role, Clerk, ClerkMiddleware};
///
/// let issuer = TestIssuer::generate()?;
/// let clerk = Clerk::builder().jwt_key(issuer.public_key_pem()).build()?;
/// let app = test::init_service(
///     App::new()
///         .service(web::scope("/admin").wrap(require_role("org:admin")).route("", web::get().to(HttpResponse::Ok)))
///         .wrap(ClerkMiddleware::new(clerk)),
/// )
/// .await;
/// let bearer = |token: String| ("authorization", format!("Bearer {token}"));
/// let admin = issuer.session("user_1").org("org_1", "org:admin").sign();
/// let req = test::TestRequest::get().uri("/admin").insert_header(bearer(admin));
/// assert_eq!(test::call_service(&app, req.to_request()).await.status(), 200);
/// let member = issuer.session("user_2").org("org_1", "org:member").sign();
/// let req = test::TestRequest::get().uri("/admin").insert_header(bearer(member));
/// assert_eq!(test::call_service(&app, req.to_request()).await.status(), 403);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[doc(alias = "requireRole")]
pub fn require_role(role: impl Into<Cow<'static, str>>) -> Require {
    Require::has(Has::role(role))
}

/// How a request is refused.
enum Denial {
    /// One of the crate's errors; the response keeps it, so `ErrorHandlers`
    /// recognise it.
    Error(Error),
    /// A redirect to the sign-in page.
    Redirect(HttpResponse),
}

impl Denial {
    fn into_response(self, req: ServiceRequest) -> ServiceResponse {
        match self {
            // `error_response` keeps the error inside the response;
            // `into_response` would drop it.
            Denial::Error(err) => req.error_response(err),
            Denial::Redirect(res) => req.into_response(res),
        }
    }
}

/// Why the request is refused, or `None` to let it through.
fn refusal(
    req: &ServiceRequest,
    rule: &Rule,
    redirect: Option<&str>,
    accepts: AcceptsToken,
    page: Option<&PageRedirect>,
) -> Option<Denial> {
    let extensions = req.extensions();
    let attached = match attachment(&extensions, "a Require wrapper (or require_auth)") {
        Ok(attached) => attached,
        Err(missing) => return Some(Denial::Error(missing.into())),
    };
    let auth = match attached.auth_with(accepts) {
        Ok(auth) => auth,
        Err(unavailable) => return Some(Denial::Error(unavailable.into())),
    };
    if !auth.is_authenticated() {
        log::debug!(
            target: "clerk_actix::rejection",
            "{} {}: signed out ({})",
            req.method(),
            req.path(),
            auth.signed_out_reason().unwrap_or("no token")
        );
        if let Some(location) = page.and_then(|page| page.location(req)) {
            return Some(Denial::Redirect(
                HttpResponse::Found()
                    .insert_header((header::LOCATION, location))
                    .finish(),
            ));
        }
        return Some(match redirect {
            Some(url) => Denial::Redirect(
                HttpResponse::Found()
                    .insert_header((header::LOCATION, url))
                    .finish(),
            ),
            None => {
                Denial::Error(UnauthorizedError::for_auth(&auth, attached.shape(req.head())).into())
            }
        });
    }
    let (allowed, required) = match rule {
        Rule::Authenticated => (true, None),
        Rule::Has(check) => (auth.has(check), Some(check)),
        Rule::Check(check) => (check(&auth), None),
    };
    if allowed {
        None
    } else {
        log::debug!(
            target: "clerk_actix::rejection",
            "{} {}: forbidden for {}",
            req.method(),
            req.path(),
            auth.user_id().unwrap_or_default()
        );
        Some(Denial::Error(
            ForbiddenError::for_auth(&auth, attached.shape(req.head()), required).into(),
        ))
    }
}

impl<S, B> Transform<S, ServiceRequest> for Require
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = RequireService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequireService {
            service: Rc::new(service),
            require: self.clone(),
        }))
    }
}

/// The service [`Require`] wraps around a route.
#[doc(hidden)]
pub struct RequireService<S> {
    service: Rc<S>,
    require: Require,
}

impl<S, B> Service<ServiceRequest> for RequireService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        match refusal(
            &req,
            &self.require.rule,
            self.require.redirect.as_deref(),
            self.require.accepts,
            self.require.page.as_deref(),
        ) {
            None => {
                let service = Rc::clone(&self.service);
                Box::pin(async move { Ok(service.call(req).await?.map_into_left_body()) })
            }
            Some(refusal) => {
                let res = refusal.into_response(req).map_into_right_body();
                Box::pin(async move { Ok(res) })
            }
        }
    }
}
