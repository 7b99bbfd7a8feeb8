//! The Frontend API proxy (Clerk's `frontendApiProxy`): Clerk's Frontend API
//! served from the app's own domain, so that ad blockers and third-party
//! cookie rules do not break sign-in.

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::Stream;

use crate::clerk::Clerk;
use crate::config::{ConfigError, PublishableKey};

/// The default mount path, Clerk's.
pub const DEFAULT_PROXY_PATH: &str = "/__clerk";

/// Headers that belong to one connection, never forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// The Frontend API proxy, an actix service to mount on the app (Clerk's
/// `frontendApiProxy`): every request under its path (default `/__clerk`),
/// any method, is forwarded to Clerk's Frontend API with Clerk's proxy
/// headers (`Clerk-Proxy-Url`, `Clerk-Secret-Key`, `X-Forwarded-*`), the body
/// streamed both ways, hop-by-hop headers dropped, and every `Set-Cookie`
/// of the answer kept.
///
/// Mount it with [`App::service`](actix_web::App::service), and tell the
/// [`ClerkMiddleware`](crate::ClerkMiddleware) to leave its path alone
/// ([`ClerkMiddlewareBuilder::frontend_api_proxy`](crate::middleware::ClerkMiddlewareBuilder::frontend_api_proxy));
/// point the handshakes at it with `CLERK_PROXY_URL=/__clerk` (or
/// [`ClerkBuilder::proxy_url`](crate::ClerkBuilder::proxy_url)), and the
/// front end with Clerk's `proxyUrl`.
///
/// Bounded: a request body larger than [`body_limit`](Self::body_limit) is
/// refused with 413, an upstream that does not answer within
/// [`timeout`](Self::timeout) or cannot be reached gets a 502 with a
/// generic body (the cause is logged), and the secret key never goes back
/// to the client.
///
/// # Examples
///
/// ```
/// use actix_web::{test, web, App, HttpResponse};
/// use clerk_actix::multi_domain::FrontendApiProxy;
/// use clerk_actix::{Clerk, ClerkMiddleware};
///
/// # actix_web::rt::System::new().block_on(async {
/// let clerk = Clerk::builder()
///     .secret_key("sk_test_x")
///     .publishable_key("pk_test_Y2xlcmsuZXhhbXBsZS5jb20k")
///     .proxy_url("/__clerk")
///     .build()?;
/// // Where the proxy forwards to (here: nowhere that answers).
/// let proxy = FrontendApiProxy::new(&clerk)?.fapi_url("http://127.0.0.1:9")?;
/// let app = test::init_service(
///     App::new()
///         .service(proxy.clone())
///         .route("/", web::get().to(HttpResponse::Ok))
///         .wrap(ClerkMiddleware::builder(clerk).frontend_api_proxy(&proxy).build()),
/// )
/// .await;
/// let res = test::call_service(&app, test::TestRequest::get().uri("/__clerk/v1/client").to_request()).await;
/// assert_eq!(res.status(), 502);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
#[must_use]
#[doc(alias = "frontendApiProxy")]
pub struct FrontendApiProxy {
    path: String,
    fapi_url: String,
    fapi_host: String,
    secret_key: HeaderValue,
    body_limit: usize,
    timeout: Duration,
}

impl std::fmt::Debug for FrontendApiProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrontendApiProxy")
            .field("path", &self.path)
            .field("fapi_url", &self.fapi_url)
            .field("body_limit", &self.body_limit)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl FrontendApiProxy {
    /// The proxy of `clerk`'s instance, at `/__clerk`, forwarding to
    /// `CLERK_FAPI_URL` when set, else the Frontend API host Clerk derives
    /// from the publishable key (`https://frontend-api.clerk.dev` for
    /// production and development instances).
    ///
    /// # Errors
    ///
    /// [`ConfigError`] when the handle has no secret key or no publishable
    /// key, or `CLERK_FAPI_URL` is not an http(s) URL.
    pub fn new(clerk: &Clerk) -> Result<Self, ConfigError> {
        let missing = |what: &'static str, origin: &str| ConfigError::InvalidSetting {
            origin: origin.to_owned(),
            reason: what.into(),
        };
        let key = clerk.publishable_key().ok_or_else(|| {
            missing(
                "the Frontend API proxy needs the publishable key",
                "CLERK_PUBLISHABLE_KEY",
            )
        })?;
        let secret = clerk
            .config()
            .api
            .secret_key
            .as_ref()
            .and_then(|s| HeaderValue::from_str(s.expose()).ok())
            .ok_or_else(|| {
                missing(
                    "the Frontend API proxy needs the secret key",
                    "CLERK_SECRET_KEY",
                )
            })?;
        let mut secret = secret;
        secret.set_sensitive(true);
        let proxy = Self {
            path: DEFAULT_PROXY_PATH.to_owned(),
            fapi_url: String::new(),
            fapi_host: String::new(),
            secret_key: secret,
            body_limit: 4 * 1024 * 1024,
            timeout: Duration::from_secs(30),
        };
        match std::env::var("CLERK_FAPI_URL")
            .ok()
            .filter(|v| !v.trim().is_empty())
        {
            Some(url) => proxy.with_fapi_url(url.trim(), "CLERK_FAPI_URL"),
            None => proxy.with_fapi_url(fapi_url_of(key), "CLERK_PUBLISHABLE_KEY"),
        }
    }

    /// Where requests go (Clerk's `CLERK_FAPI_URL`): an http(s) URL without
    /// credentials, query or fragment.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] naming `FrontendApiProxy::fapi_url` for another value.
    ///
    /// Defaults to `CLERK_FAPI_URL`, else the host derived from the
    /// publishable key.
    pub fn fapi_url(self, url: impl AsRef<str>) -> Result<Self, ConfigError> {
        self.with_fapi_url(url.as_ref(), "FrontendApiProxy::fapi_url")
    }

    fn with_fapi_url(mut self, url: &str, origin: &str) -> Result<Self, ConfigError> {
        let invalid = || ConfigError::InvalidSetting {
            origin: origin.to_owned(),
            reason: "expected an http(s) URL without credentials, query or fragment, such as \
                     https://frontend-api.clerk.dev"
                .into(),
        };
        let url = url.trim_end_matches('/');
        let uri: awc::http::Uri = url.parse().map_err(|_| invalid())?;
        let host = uri.authority().map(|a| a.as_str().to_owned());
        match (uri.scheme_str(), host) {
            (Some("http" | "https"), Some(host))
                if !host.contains('@') && uri.query().is_none() && !url.contains('#') =>
            {
                self.fapi_url = url.to_owned();
                self.fapi_host = host;
                Ok(self)
            }
            _ => Err(invalid()),
        }
    }

    /// The mount path; trailing slashes are dropped, and an empty path is
    /// [`DEFAULT_PROXY_PATH`].
    ///
    /// Defaults to `/__clerk`.
    pub fn path(mut self, path: impl AsRef<str>) -> Self {
        let path = path.as_ref().trim_end_matches('/');
        self.path = if path.is_empty() {
            DEFAULT_PROXY_PATH.to_owned()
        } else if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        self
    }

    /// The largest request body forwarded; larger bodies are refused with
    /// 413 (before anything is sent when `Content-Length` says so, else when
    /// the limit is crossed).
    ///
    /// Defaults to 4 MiB.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// How long the Frontend API may take to answer (up to its response
    /// head; the body then streams). Past it: 502.
    ///
    /// Defaults to 30 seconds.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The mount path.
    #[must_use]
    pub fn mount_path(&self) -> &str {
        &self.path
    }

    /// Whether `path` is the proxy's (its path, or below it).
    #[must_use]
    pub fn handles(&self, path: &str) -> bool {
        path_is_under(path, &self.path)
    }
}

/// `path` is `prefix` or below it.
pub(crate) fn path_is_under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Clerk's `fapiUrlFromPublishableKey`.
fn fapi_url_of(key: &PublishableKey) -> &'static str {
    let api = key.frontend_api();
    let legacy = [".lcl.dev", ".lclstage.dev", ".lclclerk.com"];
    if api.starts_with("clerk.") && legacy.iter().any(|s| api.ends_with(s)) {
        return "https://frontend-api.clerk.dev";
    }
    let local = [
        ".lcl.dev",
        "lclstage.dev",
        ".lclclerk.com",
        ".accounts.lclclerk.com",
    ];
    if local.iter().any(|s| api.ends_with(s)) {
        return "https://frontend-api.lclclerk.com";
    }
    if api.ends_with(".accountsstage.dev") {
        return "https://frontend-api.clerkstage.dev";
    }
    "https://frontend-api.clerk.dev"
}

impl HttpServiceFactory for FrontendApiProxy {
    fn register(self, config: &mut AppService) {
        let path = self.path.clone();
        let proxy = Rc::new(self);
        let handler = move |req: HttpRequest, body: web::Payload| {
            let proxy = Rc::clone(&proxy);
            async move { forward(&proxy, &req, body).await }
        };
        web::scope(&path)
            .default_service(web::to(handler))
            .register(config);
    }
}

/// A JSON error in Clerk's shape, `no-store`.
fn error_response(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("cache-control", "no-store"))
        .json(serde_json::json!({"errors": [{"code": code, "message": message}]}))
}

/// The names a `Connection` header lists: hop-by-hop too.
fn connection_listed(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all("connection")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect()
}

/// The first value of a comma-separated header, trimmed.
fn first(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?;
    let first = value.split(',').next()?.trim();
    (!first.is_empty()).then(|| first.to_owned())
}

/// The headers sent upstream (Clerk's `clerkFrontendApiProxy`): the
/// request's, minus hop-by-hop ones, plus the proxy's.
pub(crate) fn upstream_headers(
    incoming: &HeaderMap,
    request_host: &str,
    request_scheme: &str,
    peer: Option<&str>,
    proxy_url: &str,
    fapi_host: &str,
    secret_key: &HeaderValue,
) -> Vec<(HeaderName, HeaderValue)> {
    let listed = connection_listed(incoming);
    let skip = |name: &str| {
        HOP_BY_HOP.contains(&name)
            || listed.iter().any(|l| l == name)
            || matches!(
                name,
                "host"
                    | "clerk-proxy-url"
                    | "clerk-secret-key"
                    | "accept-encoding"
                    | "x-forwarded-for"
                    | "content-length"
            )
    };
    let mut out: Vec<(HeaderName, HeaderValue)> = incoming
        .iter()
        .filter(|(name, _)| !skip(name.as_str()))
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    let mut set = |name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            out.push((HeaderName::from_static(name), value));
        }
    };
    set("clerk-proxy-url", proxy_url);
    set("host", fapi_host);
    set("accept-encoding", "identity");
    if !incoming.contains_key("x-forwarded-host") {
        set("x-forwarded-host", request_host);
    }
    if !incoming.contains_key("x-forwarded-proto") {
        set("x-forwarded-proto", request_scheme);
    }
    let client_ip = first(incoming, "cf-connecting-ip")
        .or_else(|| first(incoming, "x-real-ip"))
        .or_else(|| first(incoming, "x-forwarded-for"))
        .or_else(|| peer.map(str::to_owned));
    if let Some(ip) = client_ip {
        set("x-forwarded-for", &ip);
    }
    let mut secret = secret_key.clone();
    secret.set_sensitive(true);
    out.push((HeaderName::from_static("clerk-secret-key"), secret));
    out
}

/// The answer's headers sent back: the upstream's, minus hop-by-hop ones and
/// `Content-Length` (the body streams), every `Set-Cookie` kept, a
/// `Location` on the Frontend API rewritten to the proxy.
pub(crate) fn downstream_headers(
    upstream: &HeaderMap,
    fapi_url: &str,
    fapi_host: &str,
    proxy_url: &str,
) -> Vec<(HeaderName, HeaderValue)> {
    let listed = connection_listed(upstream);
    let mut out = Vec::new();
    for (name, value) in upstream {
        let lower = name.as_str();
        if HOP_BY_HOP.contains(&lower)
            || listed.iter().any(|l| l == lower)
            || lower == "content-length"
            || lower == "clerk-secret-key"
        {
            continue;
        }
        if lower == "location" {
            if let Some(rewritten) = value
                .to_str()
                .ok()
                .and_then(|l| rewrite_location(l, fapi_url, fapi_host, proxy_url))
                .and_then(|l| HeaderValue::from_str(&l).ok())
            {
                out.push((name.clone(), rewritten));
                continue;
            }
        }
        out.push((name.clone(), value.clone()));
    }
    out
}

/// A `Location` on the Frontend API host (absolute, or a path), moved under
/// the proxy URL.
fn rewrite_location(
    location: &str,
    fapi_url: &str,
    fapi_host: &str,
    proxy_url: &str,
) -> Option<String> {
    let rest = if location.starts_with('/') && !location.starts_with("//") {
        location
    } else {
        let after_scheme = location
            .strip_prefix("https://")
            .or_else(|| location.strip_prefix("http://"))?;
        let end = after_scheme
            .find(['/', '?', '#'])
            .unwrap_or(after_scheme.len());
        if !after_scheme[..end].eq_ignore_ascii_case(fapi_host) {
            return None;
        }
        &after_scheme[end..]
    };
    let _ = fapi_url;
    let rest = if rest.starts_with('/') || rest.is_empty() {
        rest.to_owned()
    } else {
        format!("/{rest}")
    };
    Some(format!("{proxy_url}{rest}"))
}

/// The request body, counted: past `limit` it ends with an error (and
/// `over` says why).
struct Limited {
    body: web::Payload,
    seen: usize,
    limit: usize,
    over: Rc<Cell<bool>>,
}

impl Stream for Limited {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match Pin::new(&mut self.body).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                self.seen = self.seen.saturating_add(chunk.len());
                if self.seen > self.limit {
                    self.over.set(true);
                    return Poll::Ready(Some(Err(std::io::Error::other("request body too large"))));
                }
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => {
                Poll::Ready(Some(Err(std::io::Error::other(e.to_string()))))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The request's public origin, as Clerk's proxy derives it: both forwarded
/// headers, else the request's own.
fn public_origin(req: &HttpRequest) -> String {
    let headers = req.headers();
    match (
        first(headers, "x-forwarded-proto"),
        first(headers, "x-forwarded-host"),
    ) {
        (Some(proto), Some(host)) => format!("{proto}://{host}"),
        _ => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
    }
}

async fn forward(proxy: &FrontendApiProxy, req: &HttpRequest, body: web::Payload) -> HttpResponse {
    let too_large = || {
        error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "proxy_request_too_large",
            "The request body is larger than the proxy forwards.",
        )
    };
    let declared = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > proxy.body_limit as u64) {
        return too_large();
    }
    let path = req.path();
    let target_path = path.get(proxy.path.len()..).unwrap_or_default();
    let target_path = if target_path.is_empty() {
        "/"
    } else {
        target_path
    };
    let mut target = format!("{}{target_path}", proxy.fapi_url);
    if let Some(query) = req.uri().query() {
        target.push('?');
        target.push_str(query);
    }
    let target_uri = match target.parse::<awc::http::Uri>() {
        Ok(uri) if uri.authority().map(|a| a.as_str()) == Some(proxy.fapi_host.as_str()) => uri,
        _ => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "proxy_request_failed",
                "Resolved target does not match the expected host",
            )
        }
    };
    let origin = public_origin(req);
    let proxy_url = format!("{origin}{}", proxy.path);
    let info = req.connection_info().clone();
    let peer = req.peer_addr().map(|a| a.ip().to_string());
    let headers = upstream_headers(
        req.headers(),
        info.host(),
        info.scheme(),
        peer.as_deref(),
        &proxy_url,
        &proxy.fapi_host,
        &proxy.secret_key,
    );
    let client = match crate::backend::transport::thread_client() {
        Ok(client) => client,
        Err(e) => {
            log::error!(target: "clerk_actix::proxy", "Frontend API proxy: {e}");
            return bad_gateway();
        }
    };
    let method = Method::from_bytes(req.method().as_str().as_bytes()).unwrap_or(Method::GET);
    let mut upstream = client
        .request(method, target_uri)
        .timeout(proxy.timeout)
        .no_decompress();
    for (name, value) in headers {
        upstream = upstream.append_header((name, value));
    }
    let over = Rc::new(Cell::new(false));
    let limited = Limited {
        body,
        seen: 0,
        limit: proxy.body_limit,
        over: Rc::clone(&over),
    };
    let sent = if declared == Some(0) || !has_body(req) {
        upstream.send().await
    } else {
        upstream.send_stream(limited).await
    };
    let answer = match sent {
        Ok(answer) => answer,
        Err(_) if over.get() => return too_large(),
        Err(e) => {
            // The cause for the operator; a generic body for the client.
            log::error!(
                target: "clerk_actix::proxy",
                "Frontend API proxy: {} {} failed: {e}",
                req.method(),
                proxy.fapi_host
            );
            return bad_gateway();
        }
    };
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut res = HttpResponse::build(status);
    for (name, value) in downstream_headers(
        answer.headers(),
        &proxy.fapi_url,
        &proxy.fapi_host,
        &proxy_url,
    ) {
        res.append_header((name, value));
    }
    res.streaming(answer)
}

/// Whether the request has a body to stream (a `Content-Length` above 0,
/// or a chunked body).
fn has_body(req: &HttpRequest) -> bool {
    req.headers().contains_key("transfer-encoding")
        || req
            .headers()
            .get("content-length")
            .is_some_and(|v| v.as_bytes() != b"0")
}

fn bad_gateway() -> HttpResponse {
    error_response(
        StatusCode::BAD_GATEWAY,
        "proxy_request_failed",
        "Failed to proxy request to Clerk FAPI",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_under_the_proxy() {
        assert!(path_is_under("/__clerk", "/__clerk"));
        assert!(path_is_under("/__clerk/v1/client", "/__clerk"));
        assert!(!path_is_under("/__clerkx", "/__clerk"));
        assert!(!path_is_under("/", "/__clerk"));
    }

    #[test]
    fn locations_on_the_frontend_api_move_under_the_proxy() {
        let f = |l| {
            rewrite_location(
                l,
                "https://fapi.example",
                "fapi.example",
                "https://app.example/__clerk",
            )
        };
        assert_eq!(
            f("https://fapi.example/v1/x?y=1#z").as_deref(),
            Some("https://app.example/__clerk/v1/x?y=1#z")
        );
        assert_eq!(
            f("/v1/x").as_deref(),
            Some("https://app.example/__clerk/v1/x")
        );
        assert_eq!(f("https://elsewhere.example/v1/x"), None);
        assert_eq!(f("//elsewhere.example/v1/x"), None);
    }

    #[test]
    fn upstream_headers_drop_hop_by_hop_and_set_clerks() {
        let mut incoming = HeaderMap::new();
        for (n, v) in [
            ("connection", "keep-alive, x-private"),
            ("x-private", "1"),
            ("keep-alive", "5"),
            ("cookie", "a=b"),
            ("clerk-secret-key", "sk_from_the_client"),
            ("x-real-ip", "203.0.113.9"),
        ] {
            incoming.append(HeaderName::from_static(n), HeaderValue::from_static(v));
        }
        let secret = HeaderValue::from_static("sk_test_secret");
        let out = upstream_headers(
            &incoming,
            "app.example",
            "https",
            Some("127.0.0.1"),
            "https://app.example/__clerk",
            "fapi.example",
            &secret,
        );
        let get = |n: &str| -> Vec<&str> {
            out.iter()
                .filter(|(k, _)| k == n)
                .filter_map(|(_, v)| v.to_str().ok())
                .collect()
        };
        assert!(get("connection").is_empty() && get("x-private").is_empty());
        assert!(get("keep-alive").is_empty());
        assert_eq!(get("cookie"), ["a=b"]);
        assert_eq!(get("clerk-secret-key"), ["sk_test_secret"]);
        assert_eq!(get("clerk-proxy-url"), ["https://app.example/__clerk"]);
        assert_eq!(get("host"), ["fapi.example"]);
        assert_eq!(get("x-forwarded-for"), ["203.0.113.9"]);
        assert_eq!(get("x-forwarded-host"), ["app.example"]);
        assert_eq!(get("x-forwarded-proto"), ["https"]);
        assert_eq!(get("accept-encoding"), ["identity"]);
    }

    #[test]
    fn fapi_hosts_derive_like_clerk() {
        let key = |host: &str| {
            use base64::Engine as _;
            let enc = base64::engine::general_purpose::STANDARD_NO_PAD.encode(format!("{host}$"));
            PublishableKey::parse(&format!("pk_test_{enc}")).unwrap()
        };
        assert_eq!(
            fapi_url_of(&key("clerk.inspired.puma-74.lcl.dev")),
            "https://frontend-api.clerk.dev"
        );
        assert_eq!(
            fapi_url_of(&key("foo.accounts.lclclerk.com")),
            "https://frontend-api.lclclerk.com"
        );
        assert_eq!(
            fapi_url_of(&key("foo.clerk.accountsstage.dev")),
            "https://frontend-api.clerkstage.dev"
        );
        assert_eq!(
            fapi_url_of(&key("foo-13.clerk.accounts.dev")),
            "https://frontend-api.clerk.dev"
        );
    }
}
