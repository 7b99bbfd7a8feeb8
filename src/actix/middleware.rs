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
use actix_web::{Error, HttpMessage, HttpResponse};
use futures_util::future::LocalBoxFuture;

use crate::actix::error::AuthUnavailableError;
use crate::authenticate::handshake::Handshake;
use crate::authenticate::{self, auth_headers, BrowserHeaders, Header, Outcome, RequestHead};
use crate::clerk::Clerk;
use crate::verification::auth::{Auth, SignedOut};
use crate::verification::options::VerifyOptions;

type OptionsFn = dyn Fn(&ServiceRequest) -> Option<Arc<VerifyOptions>> + Send + Sync;
type AuthHook = dyn Fn(&ServiceRequest, &Auth) -> Result<(), Error> + Send + Sync;

/// Authenticates every request with Clerk and attaches the [`Auth`] object;
/// the port of `clerkMiddleware()`.
///
/// It never rejects a request by itself: signed-out requests go on, with
/// `x-clerk-auth-status`, `x-clerk-auth-reason` and `x-clerk-auth-message` on
/// the response. Enforce with the [`Auth`] extractor, [`Require`](crate::Require)
/// / [`require_auth`](crate::require_auth), or the [`guard`](crate::guard)s.
///
/// Two cases answer without reaching your handler:
///
/// * the Backend API is unreachable and no key is cached yet: **503** (500 for
///   a rejected secret key), logged with `log::error!` — never a 401 that
///   would sign users out for an outage;
/// * a browser page navigation (GET, `Sec-Fetch-Dest: document`) whose
///   session needs the Frontend API (no session cookie yet, an expired or
///   stale token, a dev browser to set up), with a publishable key
///   configured: Clerk's **307** handshake redirect; on a development
///   instance, the browser's return from it is a 307 back to the page,
///   without the handshake parameters.
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

struct Settings {
    clerk: Clerk,
    options: Option<Box<OptionsFn>>,
    on_authenticated: Option<Box<AuthHook>>,
    treat_pending_as_signed_out: bool,
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
            options: None,
            on_authenticated: None,
            treat_pending_as_signed_out: true,
        }
    }
}

/// Configures a [`ClerkMiddleware`].
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use actix_web::HttpResponse;
/// use clerk_actix::{Clerk, ClerkMiddleware, Has, VerifyOptions};
///
/// # let clerk = Clerk::builder().secret_key("sk_test_x").build().unwrap();
/// let admin_app = Arc::new(clerk.verify_options().clone().authorized_parties(["https://admin.example.com"]));
/// let middleware = ClerkMiddleware::builder(clerk)
///     // Per request: a stricter `azp` for the admin host.
///     .options_fn(move |req| {
///         (req.connection_info().host() == "admin.example.com").then(|| admin_app.clone())
///     })
///     // After authentication: may end the request.
///     .on_authenticated(|req, auth| {
///         if req.path().starts_with("/internal") && !auth.has(Has::role("admin")) {
///             return Err(actix_web::error::ErrorNotFound("not found"));
///         }
///         Ok(())
///     })
///     .build();
/// # let _ = middleware;
/// ```
#[must_use]
pub struct ClerkMiddlewareBuilder {
    clerk: Clerk,
    options: Option<Box<OptionsFn>>,
    on_authenticated: Option<Box<AuthHook>>,
    treat_pending_as_signed_out: bool,
}

impl fmt::Debug for ClerkMiddlewareBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClerkMiddlewareBuilder")
            .field("clerk", &self.clerk)
            .finish_non_exhaustive()
    }
}

impl ClerkMiddlewareBuilder {
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
        self.options = Some(Box::new(options));
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
        self.on_authenticated = Some(Box::new(hook));
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

    /// Builds the middleware.
    pub fn build(self) -> ClerkMiddleware {
        ClerkMiddleware {
            settings: Arc::new(Settings {
                clerk: self.clerk,
                options: self.options,
                on_authenticated: self.on_authenticated,
                treat_pending_as_signed_out: self.treat_pending_as_signed_out,
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
        ready(Ok(ClerkMiddlewareService {
            service: Rc::new(service),
            settings: self.settings.clone(),
        }))
    }
}

/// The service [`ClerkMiddleware`] wraps around your app.
#[doc(hidden)]
pub struct ClerkMiddlewareService<S> {
    service: Rc<S>,
    settings: Arc<Settings>,
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
        let settings = Arc::clone(&self.settings);
        Box::pin(async move {
            let custom = settings.options.as_ref().and_then(|f| f(&req));
            let options = custom
                .as_ref()
                .unwrap_or_else(|| settings.clerk.shared_verify_options());
            let outcome = authenticate::authenticate(&settings.clerk, &req, options).await;
            // Cookies of a refresh or a resolved handshake ride on every answer.
            let (outcome, browser) = outcome.split_headers();
            let (auth, mut signed_out_headers) = match outcome {
                Outcome::SignedIn(claims) => (
                    Auth::from_claims(claims)
                        .treat_pending_as_signed_out(settings.treat_pending_as_signed_out),
                    None,
                ),
                Outcome::SignedOut(out) => {
                    let headers = debug_headers("signed-out", &out);
                    log::debug!(
                        target: "clerk_actix::rejection",
                        "signed out: {}",
                        out.reason.as_deref().unwrap_or_default()
                    );
                    (Auth::from_signed_out(out), Some(headers))
                }
                Outcome::Handshake(handshake) => {
                    let res = handshake_response(&handshake);
                    return Ok(req.into_response(res).map_into_right_body());
                }
                Outcome::Unavailable(cause) => {
                    log::error!(
                        target: "clerk_actix::middleware",
                        "cannot verify session tokens: {cause}"
                    );
                    let err = AuthUnavailableError::new(cause);
                    return Ok(req.error_response(err).map_into_right_body());
                }
                Outcome::Misconfigured(message) => {
                    log::error!(target: "clerk_actix::middleware", "{message}");
                    let err = actix_web::error::ErrorInternalServerError(
                        "Clerk authentication is misconfigured; see the server log",
                    );
                    return Ok(req.error_response(err).map_into_right_body());
                }
                Outcome::WithHeaders(..) => {
                    // `split_headers` took the only level there is.
                    let err = actix_web::error::ErrorInternalServerError("unexpected outcome");
                    return Ok(req.error_response(err).map_into_right_body());
                }
            };
            if let Some(browser) = &browser {
                let extra = browser_headers(browser);
                if browser.location.is_some() {
                    // Development: back to the page without the handshake
                    // parameters, the cookies set on the way (Express answers
                    // any Location with a 307 and ends the request).
                    let status = StatusCode::from_u16(BrowserHeaders::REDIRECT_STATUS)
                        .unwrap_or(StatusCode::TEMPORARY_REDIRECT);
                    let mut res = HttpResponse::new(status);
                    append(res.headers_mut(), Some(extra));
                    append(res.headers_mut(), signed_out_headers);
                    return Ok(req.into_response(res).map_into_right_body());
                }
                signed_out_headers
                    .get_or_insert_with(Vec::new)
                    .extend(extra);
            }

            if let Some(hook) = &settings.on_authenticated {
                if let Err(err) = hook(&req, &auth) {
                    let mut res = req.error_response(err);
                    append(res.headers_mut(), signed_out_headers);
                    return Ok(res.map_into_right_body());
                }
            }
            req.extensions_mut().insert(auth);
            let mut res = service.call(req).await?;
            append(res.headers_mut(), signed_out_headers);
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
    auth_headers(status, out)
        .filter_map(|(name, value)| {
            Some((
                HeaderName::from_static(name),
                HeaderValue::from_str(value).ok()?,
            ))
        })
        .collect()
}

/// The browser path's headers; values that cannot be header values are left out.
fn browser_headers(browser: &BrowserHeaders) -> Vec<(HeaderName, HeaderValue)> {
    browser
        .headers()
        .filter_map(|(name, value)| {
            Some((
                HeaderName::from_static(name),
                HeaderValue::from_str(value).ok()?,
            ))
        })
        .collect()
}

fn append(headers: &mut HeaderMap, extra: Option<Vec<(HeaderName, HeaderValue)>>) {
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
