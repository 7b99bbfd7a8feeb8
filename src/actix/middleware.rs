//! `ClerkMiddleware`: authenticates every request and attaches the auth object.

use std::fmt;
use std::future::{ready, Ready};
use std::rc::Rc;
use std::sync::Arc;

use actix_service::{forward_ready, Service, Transform};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{Error, HttpMessage, HttpResponse, HttpResponseBuilder};
use futures_util::future::LocalBoxFuture;

use crate::actix::error::{is_rejection, AuthUnavailableError, Rejection, Shape, Shaper};
use crate::actix::extract::{Attached, AttachedSettings};
use crate::authenticate::head::{Header, RequestHead};
use crate::authenticate::outcome::{auth_headers, BrowserHeaders, Decision, Handshake, Outcome};
use crate::authenticate::{self};
use crate::clerk::Clerk;
use crate::client::ClerkClient;
use crate::verification::accepts::AcceptsToken;
use crate::verification::auth::{Auth, SignedOut};
use crate::verification::options::VerifyOptions;

type OptionsFn = dyn Fn(&ServiceRequest) -> Option<Arc<VerifyOptions>> + Send + Sync;
type InstanceFn = dyn Fn(&ServiceRequest) -> Option<Clerk> + Send + Sync;
// The rejection hook's type lives with the rejections (`error.rs`).
type AuthHook = dyn Fn(&ServiceRequest, &Auth) -> Result<(), Error> + Send + Sync;

/// Authenticates every request with Clerk and attaches the [`Auth`] object;
/// the port of `clerkMiddleware()`.
///
/// It never rejects a request by itself: signed-out requests go on, with
/// `x-clerk-auth-status`, `x-clerk-auth-reason` and `x-clerk-auth-message` on
/// the response. Enforce with the [`Auth`] extractor, [`Require`](crate::Require)
/// / [`require_auth`](crate::require_auth), or the [`guard`](crate::guard)s.
///
/// When the Backend API is unreachable and no key is cached yet, a request
/// that carries a token cannot be checked: the middleware logs it
/// (`log::error!`) and attaches an "unavailable" state. Only what reads auth
/// (the extractors, [`Require`](crate::Require), [`get_auth`](crate::get_auth))
/// then answers **503** (500 for a rejected secret
/// key), never a 401 that would sign users out for an outage; routes that
/// never look at auth are served, and an `on_authenticated` hook does not
/// run.
///
/// One case answers without reaching your handler: a browser page navigation
/// (GET, `Sec-Fetch-Dest: document`) whose session needs the Frontend API (no
/// session cookie yet, an expired or stale token, a dev browser to set up),
/// with a publishable key configured, gets Clerk's **307** handshake
/// redirect; on a development instance, the browser's return from it is a
/// 307 back to the page, without the handshake parameters.
///
/// Requests without an `Authorization` token are read from the browser's
/// cookies (`__session`, `__client_uat`, …) as Clerk reads them; the cookies
/// of a resolved handshake or of a refreshed session (one `Set-Cookie`
/// header each) are added to the response of your handler.
///
/// # Examples
///
/// ```no_run
/// use actix_web::{web, App, HttpServer, Responder};
/// use clerk_actix::{Auth, Clerk, ClerkMiddleware};
///
/// async fn me(auth: Auth) -> impl Responder {
///     format!("signed in as {}", auth.user_id().unwrap_or_default())
/// }
///
/// #[actix_web::main]
/// async fn main() -> std::io::Result<()> {
///     // Built once, outside the factory: all workers share the key cache.
///     let clerk = Clerk::from_env().expect("Clerk configuration");
///     HttpServer::new(move || {
///         App::new()
///             .wrap(ClerkMiddleware::new(clerk.clone()))
///             .route("/me", web::get().to(me))
///     })
///     .bind(("127.0.0.1", 3000))?
///     .run()
///     .await
/// }
/// ```
///
/// On the networkless testing kit: the middleware rejects no one by itself;
/// the route that takes [`Auth`] does, and a signed-out answer says why.
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use actix_web::{test, web, App};
/// use clerk_actix::testing::TestIssuer;
/// use clerk_actix::{Auth, Clerk, ClerkMiddleware};
///
/// let issuer = TestIssuer::generate()?;
/// let clerk = Clerk::builder().jwt_key(issuer.public_key_pem()).build()?;
/// let app = test::init_service(
///     App::new()
///         .route("/me", web::get().to(|auth: Auth| async move { auth.user_id().unwrap_or_default().to_owned() }))
///         .route("/public", web::get().to(|| async { "hello" }))
///         .wrap(ClerkMiddleware::new(clerk)),
/// )
/// .await;
/// let token = issuer.session("user_1").sign();
/// let me = test::TestRequest::get().uri("/me").insert_header(("authorization", format!("Bearer {token}")));
/// let res = test::call_service(&app, me.to_request()).await;
/// assert_eq!(res.status(), 200);
/// assert_eq!(test::read_body(res).await, "user_1");
/// let res = test::call_service(&app, test::TestRequest::get().uri("/me").to_request()).await;
/// assert_eq!(res.status(), 401);
/// let res = test::call_service(&app, test::TestRequest::get().uri("/public").to_request()).await;
/// assert_eq!(res.status(), 200);
/// assert_eq!(res.headers().get("x-clerk-auth-status").unwrap(), "signed-out");
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
///
/// # Order
///
/// `.wrap()`s run last-registered first. Register `ClerkMiddleware` last on
/// the `App` (outermost), or on a scope enclosing the routes, so that it runs
/// before the guards, extractors and wrap helpers that read [`Auth`].
#[derive(Clone)]
#[must_use]
#[doc(alias = "clerkMiddleware")]
pub struct ClerkMiddleware {
    settings: Arc<Settings>,
}

#[derive(Clone)]
struct Settings {
    clerk: Clerk,
    instance: Option<Arc<InstanceFn>>,
    proxy_path: Option<String>,
    options: Option<Arc<OptionsFn>>,
    on_authenticated: Option<Arc<AuthHook>>,
    on_rejection: Option<Shaper>,
    treat_pending_as_signed_out: bool,
    accepts: AcceptsToken,
    client: Option<ClerkClient>,
}

impl fmt::Debug for ClerkMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClerkMiddleware")
            .field("clerk", &self.settings.clerk)
            .field(
                "treat_pending_as_signed_out",
                &self.settings.treat_pending_as_signed_out,
            )
            .finish_non_exhaustive()
    }
}

impl ClerkMiddleware {
    /// The middleware with default options.
    pub fn new(clerk: Clerk) -> Self {
        Self::builder(clerk).build()
    }

    /// Configures the middleware.
    pub fn builder(clerk: Clerk) -> ClerkMiddlewareBuilder {
        ClerkMiddlewareBuilder {
            clerk,
            instance: None,
            proxy_path: None,
            options: None,
            on_authenticated: None,
            on_rejection: None,
            treat_pending_as_signed_out: true,
            accepts: AcceptsToken::Any,
            client: None,
        }
    }
}

/// Configures a [`ClerkMiddleware`].
///
/// # Examples
///
/// Per-request options and a hook after authentication, on the networkless
/// testing kit:
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use std::sync::Arc;
/// use actix_web::{test, web, App, HttpResponse};
/// use clerk_actix::testing::TestIssuer;
/// use clerk_actix::{Auth, Clerk, ClerkMiddleware, Has};
///
/// let issuer = TestIssuer::generate()?;
/// let clerk = Clerk::builder().jwt_key(issuer.public_key_pem()).build()?;
/// let admin_app = Arc::new(clerk.verify_options().clone().authorized_parties(["https://admin.example.com"]));
/// let middleware = ClerkMiddleware::builder(clerk)
///     // Per request: a stricter `azp` for the admin host.
///     .options_fn(move |req| (req.connection_info().host() == "admin.example.com").then(|| admin_app.clone()))
///     // After authentication: may end the request.
///     .on_authenticated(|req, auth| {
///         if req.path().starts_with("/internal") && !auth.has(Has::role("org:admin")) {
///             return Err(actix_web::error::ErrorNotFound("not found"));
///         }
///         Ok(())
///     })
///     .build();
/// let app = test::init_service(
///     App::new().default_service(web::to(|_: Auth| async { HttpResponse::Ok() })).wrap(middleware),
/// )
/// .await;
/// let call = |host: &str, path: &str, token: &str| {
///     let req = test::TestRequest::get()
///         .uri(path)
///         .insert_header(("host", host.to_owned()))
///         .insert_header(("authorization", format!("Bearer {token}")));
///     test::call_service(&app, req.to_request())
/// };
/// let member = issuer.session("user_1").org("org_1", "org:member").azp("https://app.example.com").sign();
/// let admin = issuer.session("user_2").org("org_1", "org:admin").azp("https://admin.example.com").sign();
/// assert_eq!(call("app.example.com", "/reports", &member).await.status(), 200);
/// assert_eq!(call("app.example.com", "/internal/x", &member).await.status(), 404);
/// assert_eq!(call("admin.example.com", "/internal/x", &admin).await.status(), 200);
/// // The admin host takes only tokens minted for it.
/// assert_eq!(call("admin.example.com", "/reports", &member).await.status(), 401);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[must_use]
pub struct ClerkMiddlewareBuilder {
    clerk: Clerk,
    instance: Option<Arc<InstanceFn>>,
    proxy_path: Option<String>,
    options: Option<Arc<OptionsFn>>,
    on_authenticated: Option<Arc<AuthHook>>,
    on_rejection: Option<Shaper>,
    treat_pending_as_signed_out: bool,
    accepts: AcceptsToken,
    client: Option<ClerkClient>,
}

impl fmt::Debug for ClerkMiddlewareBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClerkMiddlewareBuilder")
            .field("clerk", &self.clerk)
            .finish_non_exhaustive()
    }
}

impl ClerkMiddlewareBuilder {
    /// Chooses the Clerk instance per request (multi-tenant hosts): a
    /// function of the request (its host, a path prefix, a header) that
    /// returns the [`Clerk`] handle to authenticate it with; `None` keeps the
    /// handle given to [`ClerkMiddleware::builder`]. Build every handle once,
    /// before `HttpServer::new`, and return clones of them (a clone shares
    /// the handle's keys and key cache): each instance then keeps its own
    /// keys, and a token of one instance never verifies at another.
    ///
    /// ```
    /// use clerk_actix::{Clerk, ClerkMiddleware};
    ///
    /// let acme = Clerk::builder().secret_key("sk_test_acme").build()?;
    /// let globex = Clerk::builder().secret_key("sk_test_globex").build()?;
    /// let middleware = ClerkMiddleware::builder(acme)
    ///     .instance_fn(move |req| {
    ///         (req.connection_info().host() == "globex.example.com").then(|| globex.clone())
    ///     })
    ///     .build();
    /// # let _ = middleware;
    /// # Ok::<(), clerk_actix::config::ConfigError>(())
    /// ```
    ///
    /// Defaults to the one handle for every request.
    pub fn instance_fn<F>(mut self, select: F) -> Self
    where
        F: Fn(&ServiceRequest) -> Option<Clerk> + Send + Sync + 'static,
    {
        self.instance = Some(Arc::new(select));
        self
    }

    /// Leaves the [`FrontendApiProxy`](crate::multi_domain::FrontendApiProxy)'s
    /// path alone: its requests go on unauthenticated (Clerk's proxy
    /// requests are the Frontend API's to judge), with no `x-clerk-auth-*`.
    ///
    /// Defaults to none.
    pub fn frontend_api_proxy(mut self, proxy: &crate::multi_domain::FrontendApiProxy) -> Self {
        self.proxy_path = Some(proxy.mount_path().to_owned());
        self
    }

    /// Chooses verification options per request (the port of
    /// `clerkMiddleware((req) => options)`); `None` keeps the [`Clerk`]
    /// handle's defaults. Return a shared `Arc` built ahead of time: nothing is
    /// cloned per request.
    ///
    /// Defaults to the handle's options for every request.
    pub fn options_fn<F>(mut self, options: F) -> Self
    where
        F: Fn(&ServiceRequest) -> Option<Arc<VerifyOptions>> + Send + Sync + 'static,
    {
        self.options = Some(Arc::new(options));
        self
    }

    /// Runs after authentication, before the rest of the app (the port of
    /// `clerkMiddleware(handler)`); an `Err` ends the request with its error
    /// response. For async work, add an
    /// [`actix_web::middleware::from_fn`] middleware after this one instead.
    ///
    /// Defaults to none.
    pub fn on_authenticated<F>(mut self, hook: F) -> Self
    where
        F: Fn(&ServiceRequest, &Auth) -> Result<(), Error> + Send + Sync + 'static,
    {
        self.on_authenticated = Some(Arc::new(hook));
        self
    }

    /// Answers every rejection the crate makes (401, 403, and the 503 of an
    /// outage) in the API's own format: from the extractors, [`Require`](crate::Require)
    /// and its aliases, and `require_auth`, for every request behind this
    /// middleware.
    ///
    /// The hook gets the [`Rejection`] (status, Clerk's signed-out reason, the
    /// auth object) and a response builder with the status and the crate's
    /// headers already set (`WWW-Authenticate`, `Retry-After`, and
    /// `x-clerk-auth-*` on a 401); add a body to it, or build a response of
    /// your own to drop them. The response still carries the crate's error,
    /// so `ErrorHandlers` can recognise it.
    ///
    /// ```
    /// # actix_web::rt::System::new().block_on(async {
    /// use actix_web::{test, web, App};
    /// use clerk_actix::testing::TestIssuer;
    /// use clerk_actix::{require_permission, Auth, Clerk, ClerkMiddleware};
    /// use serde_json::{json, Value};
    ///
    /// let issuer = TestIssuer::generate()?;
    /// let clerk = Clerk::builder().jwt_key(issuer.public_key_pem()).build()?;
    /// let middleware = ClerkMiddleware::builder(clerk)
    ///     .on_rejection(|rejection, mut res| {
    ///         res.json(json!({
    ///             "error": rejection.status().canonical_reason(),
    ///             "reason": rejection.reason(),
    ///         }))
    ///     })
    ///     .build();
    /// let app = test::init_service(
    ///     App::new()
    ///         .route("/me", web::get().to(|_: Auth| async { "me" }))
    ///         .service(web::resource("/admin").wrap(require_permission("org:admin:manage")).to(|| async { "admin" }))
    ///         .wrap(middleware),
    /// )
    /// .await;
    /// let res = test::call_service(&app, test::TestRequest::get().uri("/me").to_request()).await;
    /// assert_eq!(res.status(), 401);
    /// assert!(res.headers().contains_key("www-authenticate"), "the crate's headers stay");
    /// let body: Value = test::read_body_json(res).await;
    /// assert_eq!(body, json!({"error": "Unauthorized", "reason": "session-token-and-uat-missing"}));
    /// let token = issuer.session("user_1").sign();
    /// let req = test::TestRequest::get().uri("/admin").insert_header(("authorization", format!("Bearer {token}")));
    /// let res = test::call_service(&app, req.to_request()).await;
    /// assert_eq!(res.status(), 403);
    /// let body: Value = test::read_body_json(res).await;
    /// assert_eq!(body["error"], "Forbidden");
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    ///
    /// Defaults to the crate's JSON bodies (`{"errors":[{"code":"unauthorized",..}]}`).
    pub fn on_rejection<F>(mut self, hook: F) -> Self
    where
        F: Fn(&Rejection<'_>, HttpResponseBuilder) -> HttpResponse + Send + Sync + 'static,
    {
        self.on_rejection = Some(Arc::new(hook));
        self
    }

    /// Whether sessions with pending tasks (`sts: pending`) count as signed
    /// out. [`Auth::treat_pending_as_signed_out`] changes it for one read.
    ///
    /// Defaults to `true`, as in Clerk.
    pub fn treat_pending_as_signed_out(mut self, signed_out: bool) -> Self {
        self.treat_pending_as_signed_out = signed_out;
        self
    }

    /// Which token kinds the middleware verifies. Tokens of other kinds
    /// are never sent to the Backend API: the request reads as signed out on
    /// every route (`token-type-mismatch` for a machine JWT or a kind not
    /// listed; with session tokens only, an opaque `ak_…` is not a JWT at
    /// all, `token-invalid`, as in Clerk's session-token path).
    ///
    /// `clerkMiddleware` always takes any kind, and so does this one by
    /// default: one verification per request, which every route reads
    /// through the kinds it accepts ([`get_auth_with`](crate::get_auth_with),
    /// the typed extractors). Narrow it when no route takes machine tokens,
    /// so that `ak_…` or `mt_…` headers cost no Backend API call.
    ///
    /// Defaults to [`AcceptsToken::Any`].
    ///
    /// ```
    /// # actix_web::rt::System::new().block_on(async {
    /// use actix_web::{test, web, App};
    /// use clerk_actix::machine::AcceptsToken;
    /// use clerk_actix::testing::StandIn;
    /// use clerk_actix::{get_auth_with, ClerkMiddleware};
    ///
    /// let stand_in = StandIn::start()?;
    /// let sessions_only = ClerkMiddleware::builder(stand_in.clerk()?)
    ///     .accepts_token(AcceptsToken::SESSION_TOKEN)
    ///     .build();
    /// let app = test::init_service(
    ///     App::new()
    ///         .route("/", web::get().to(|req: actix_web::HttpRequest| async move {
    ///             let auth = get_auth_with(&req, AcceptsToken::Any)?;
    ///             Ok::<_, actix_web::Error>(auth.is_authenticated().to_string())
    ///         }))
    ///         .wrap(sessions_only),
    /// )
    /// .await;
    /// let key = stand_in.api_key("user_1", ["read"]);
    /// let req = test::TestRequest::get().uri("/").insert_header(("authorization", format!("Bearer {key}")));
    /// let res = test::call_service(&app, req.to_request()).await;
    /// assert_eq!(res.status(), 200);
    /// assert!(res.headers().contains_key("x-clerk-auth-reason"), "signed out");
    /// assert_eq!(test::read_body(res).await, "false");
    /// assert_eq!(stand_in.count("/api_keys/verify"), 0, "no Backend API call");
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    #[doc(alias = "acceptsToken")]
    pub fn accepts_token(mut self, accepts: impl Into<AcceptsToken>) -> Self {
        self.accepts = accepts.into();
        self
    }

    /// The Backend API client that the [`ClerkClient`] extractor hands to
    /// handlers: tune its timeout, attempts and size limit with
    /// [`ClerkClient::builder`] (a hanging Backend API then holds a request
    /// no longer than you allow).
    ///
    /// Defaults to the handle's client ([`Clerk::client`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use clerk_actix::client::ClerkClient;
    /// use clerk_actix::ClerkMiddleware;
    ///
    /// # let clerk = clerk_actix::Clerk::builder().secret_key("sk_test_x").build().unwrap();
    /// let client = ClerkClient::builder(clerk.clone())
    ///     .timeout(Duration::from_secs(2))
    ///     .max_attempts(1)
    ///     .build();
    /// let middleware = ClerkMiddleware::builder(clerk).client(client).build();
    /// # let _ = middleware;
    /// ```
    pub fn client(mut self, client: ClerkClient) -> Self {
        self.client = Some(client);
        self
    }

    /// Builds the middleware.
    pub fn build(self) -> ClerkMiddleware {
        ClerkMiddleware {
            settings: Arc::new(Settings {
                clerk: self.clerk,
                instance: self.instance,
                proxy_path: self.proxy_path,
                options: self.options,
                on_authenticated: self.on_authenticated,
                on_rejection: self.on_rejection,
                treat_pending_as_signed_out: self.treat_pending_as_signed_out,
                accepts: self.accepts,
                client: self.client,
            }),
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for ClerkMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = ClerkMiddlewareService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        let settings = &self.settings;
        ready(Ok(ClerkMiddlewareService {
            service: Rc::new(service),
            settings: Rc::new(Settings::clone(settings)),
            attached: Rc::new(AttachedSettings {
                clerk: settings.clerk.clone(),
                shaper: settings.on_rejection.clone(),
                client: settings.client.clone(),
            }),
        }))
    }
}

/// The service [`ClerkMiddleware`] wraps around your app.
#[doc(hidden)]
///
/// One per worker: its requests run on the worker's thread, so they count
/// their references to the settings without atomics, and workers on other
/// cores never write the same cache line.
pub struct ClerkMiddlewareService<S> {
    service: Rc<S>,
    settings: Rc<Settings>,
    attached: Rc<AttachedSettings>,
}

impl<S, B> Service<ServiceRequest> for ClerkMiddlewareService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        let settings = Rc::clone(&self.settings);
        let attached = Rc::clone(&self.attached);
        Box::pin(async move {
            if let Some(prefix) = &settings.proxy_path {
                if crate::multi_domain::proxy::path_is_under(req.path(), prefix) {
                    return Ok(service.call(req).await?.map_into_left_body());
                }
            }
            let selected = settings.instance.as_ref().and_then(|f| f(&req));
            let clerk = selected.as_ref().unwrap_or(&settings.clerk);
            let custom = settings.options.as_ref().and_then(|f| f(&req));
            let options = custom
                .as_ref()
                .unwrap_or_else(|| clerk.shared_verify_options());
            let answer = authenticate::authenticate(clerk, &req, options, settings.accepts).await;
            let shaper = settings.on_rejection.as_ref();
            let (outcome, browser) = match answer {
                Decision::App(outcome, browser) => (outcome, browser),
                Decision::Handshake(handshake) => {
                    let res = handshake_response(&handshake);
                    return Ok(req.into_response(res).map_into_right_body());
                }
                Decision::BackToPage {
                    location,
                    headers,
                    signed_out,
                } => {
                    // Development: back to the page without the handshake
                    // parameters, the cookies set on the way (Express answers
                    // any Location with a 307 and ends the request).
                    let status = StatusCode::from_u16(Decision::REDIRECT_STATUS)
                        .unwrap_or(StatusCode::TEMPORARY_REDIRECT);
                    let mut res = HttpResponse::new(status);
                    let redirect = [
                        ("location", location.as_str()),
                        ("cache-control", "no-store"),
                    ];
                    append_always(
                        res.headers_mut(),
                        Some(to_header_values(redirect.into_iter())),
                    );
                    append_always(res.headers_mut(), Some(browser_headers(&headers)));
                    append_always(
                        res.headers_mut(),
                        signed_out
                            .as_ref()
                            .map(|out| debug_headers("signed-out", out)),
                    );
                    return Ok(req.into_response(res).map_into_right_body());
                }
            };
            let (auth, signed_out_headers) = match outcome {
                Outcome::SignedIn(claims) => (
                    Ok(Auth::from_claims(claims)
                        .treat_pending_as_signed_out(settings.treat_pending_as_signed_out)),
                    None,
                ),
                Outcome::Machine(token) => (Ok(Auth::from_machine_token(token)), None),
                Outcome::SignedOut(token_type, out) => {
                    let headers = debug_headers("signed-out", &out);
                    log::debug!(
                        target: "clerk_actix::rejection",
                        "signed out: {}",
                        out.reason.as_deref().unwrap_or_default()
                    );
                    (Ok(Auth::signed_out_as(token_type, out)), Some(headers))
                }
                Outcome::Unavailable(cause) => {
                    if cause.retry_after().is_some() {
                        // No call was made (a hold, the budget): logged
                        // once where that was decided, not per request.
                        log::debug!(
                            target: "clerk_actix::middleware",
                            "cannot verify the request's token: {cause}"
                        );
                    } else {
                        log::error!(
                            target: "clerk_actix::middleware",
                            "cannot verify the request's token: {cause}"
                        );
                    }
                    // Only what reads auth answers 503; other routes are served.
                    let shape = shaper.map(|hook| Shape::new(hook, req.head()));
                    (Err(AuthUnavailableError::new(cause).shaped(shape)), None)
                }
            };
            // The browser path's cookies go on every answer, rejections
            // included (a refreshed session stays refreshed after a 403).
            let browser_extra = (!browser.is_empty()).then(|| browser_headers(&browser));

            // Routes read the request's auth through the kinds they accept
            // (`Attached::auth_with`); the hook, like `get_auth`, sees the
            // session view of it.
            // During an outage the hook does not run: the request goes on
            // as without it, and what reads auth answers 503.
            if let (Some(hook), Ok(auth)) = (&settings.on_authenticated, &auth) {
                if let Err(err) = hook(&req, &auth.accepting(AcceptsToken::SESSION_TOKEN)) {
                    let mut res = req.error_response(err);
                    append(&mut res, signed_out_headers);
                    append_always(res.headers_mut(), browser_extra);
                    return Ok(res.map_into_right_body());
                }
            }
            req.extensions_mut().insert(Attached {
                auth,
                selected,
                settings: attached,
            });
            let mut res = service.call(req).await?;
            if signed_out_headers.is_some() || browser_extra.is_some() {
                append(&mut res, signed_out_headers);
                append_always(res.headers_mut(), browser_extra);
            }
            Ok(res.map_into_left_body())
        })
    }
}

const SEC_FETCH_DEST: HeaderName = HeaderName::from_static("sec-fetch-dest");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");

impl RequestHead for ServiceRequest {
    fn method(&self) -> &str {
        self.head().method.as_str()
    }

    fn header(&self, name: Header) -> Option<&[u8]> {
        let name = match name {
            Header::Authorization => &header::AUTHORIZATION,
            Header::SecFetchDest => &SEC_FETCH_DEST,
            Header::Accept => &header::ACCEPT,
            Header::Cookie => &header::COOKIE,
            Header::Host => &header::HOST,
            Header::ForwardedHost => &X_FORWARDED_HOST,
            Header::ForwardedProto => &X_FORWARDED_PROTO,
            Header::Referer => &header::REFERER,
            Header::Origin => &header::ORIGIN,
            Header::Upgrade => &header::UPGRADE,
            Header::SecWebSocketProtocol => &header::SEC_WEBSOCKET_PROTOCOL,
        };
        self.headers().get(name).map(HeaderValue::as_bytes)
    }

    fn for_each_header(&self, f: &mut dyn FnMut(&str, &[u8])) {
        for (name, value) in self.headers() {
            f(name.as_str(), value.as_bytes());
        }
    }

    fn scheme(&self) -> &str {
        // An absolute request target (HTTP/2, proxies) names its scheme.
        if let Some(scheme @ ("http" | "https")) = self.uri().scheme_str() {
            return scheme;
        }
        if self.app_config().secure() {
            "https"
        } else {
            "http"
        }
    }

    fn path_and_query(&self) -> &str {
        self.uri()
            .path_and_query()
            .map_or_else(|| self.path(), |pq| pq.as_str())
    }
}

/// `x-clerk-auth-*`; values that cannot be header values are left out, as Clerk does.
fn debug_headers(status: &'static str, out: &SignedOut) -> Vec<(HeaderName, HeaderValue)> {
    to_header_values(auth_headers(status, out))
}

/// Header pairs as actix types; values that cannot be header values are
/// left out.
fn to_header_values<'a>(
    headers: impl Iterator<Item = (&'static str, &'a str)>,
) -> Vec<(HeaderName, HeaderValue)> {
    headers
        .filter_map(|(name, value)| {
            Some((
                HeaderName::from_static(name),
                HeaderValue::from_str(value).ok()?,
            ))
        })
        .collect()
}

/// Adds `x-clerk-auth-*` to a signed-out request's response, unless it is
/// one of the crate's rejections, which carries the headers it chose.
fn append<B>(res: &mut ServiceResponse<B>, extra: Option<Vec<(HeaderName, HeaderValue)>>) {
    if res.response().error().is_some_and(is_rejection) {
        return;
    }
    append_always(res.headers_mut(), extra);
}

/// The browser path's headers; values that cannot be header values are left out.
fn browser_headers(browser: &BrowserHeaders) -> Vec<(HeaderName, HeaderValue)> {
    to_header_values(browser.headers())
}

fn append_always(headers: &mut HeaderMap, extra: Option<Vec<(HeaderName, HeaderValue)>>) {
    for (name, value) in extra.into_iter().flatten() {
        headers.append(name, value);
    }
}

fn handshake_response(handshake: &Handshake) -> HttpResponse {
    let status = StatusCode::from_u16(Handshake::STATUS).unwrap_or(StatusCode::TEMPORARY_REDIRECT);
    let mut res = HttpResponse::build(status);
    for (name, value) in handshake.headers() {
        if let Ok(value) = HeaderValue::from_str(&value) {
            res.append_header((HeaderName::from_static(name), value));
        }
    }
    res.finish()
}
