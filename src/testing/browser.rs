//! A scripted browser for page tests: a cookie jar and redirect following,
//! so that a test can walk Clerk's browser path (the handshake through the
//! stand-in's Frontend API, the cookies it sets, a refresh) the way a real
//! browser does, without writing either.

use std::future::Future;
use std::time::{Duration, SystemTime};

use actix_service::Service;
use actix_web::body::MessageBody;
use actix_web::cookie::Cookie;
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderMap};
use actix_web::http::StatusCode;
use actix_web::test as actix_test;
use actix_web::web::Bytes;

use super::TestingError;

/// What a navigation asks for, as a browser's address bar does: the
/// middleware sends only such requests through Clerk's handshake.
const ACCEPT_HTML: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
/// The largest response body read from a server.
const BODY_LIMIT: usize = 8 * 1024 * 1024;

/// A browser for tests: it keeps cookies and follows redirects, across the
/// app under test and other servers (the [`StandIn`](super::StandIn)'s
/// Frontend API for the handshake).
///
/// * **Navigations.** [`visit`](Self::visit) opens a URL the way an address
///   bar does (`GET`, `Accept: text/html`, `Sec-Fetch-Dest: document`), so
///   the middleware treats it as a page load, and follows `301`, `302`,
///   `303`, `307` and `308` up to [`max_redirects`](Self::max_redirects).
/// * **Cookies.** Every `Set-Cookie` is kept by name, domain and path, as
///   RFC 6265 says: `Domain` and host-only cookies, `Path` (and the default
///   path), `Max-Age`/`Expires` (`Max-Age=0` or a past date deletes), and
///   `Secure` (sent over `https` and to `localhost`/`127.0.0.1` only). Later
///   requests send the cookies that match, longest path first.
/// * **Two ways to reach the app.** [`visit`](Self::visit) drives an
///   [`actix_web::test::init_service`] service for the URL's origin and
///   reaches every other origin (the stand-in) over the network;
///   [`visit_url`](Self::visit_url) does everything over the network, for an
///   app running in an `HttpServer`.
///
/// `SameSite` is not enforced: every request is a top-level navigation,
/// which sends `Lax` cookies anyway.
///
/// # Examples
///
/// The first visit goes through the handshake (two redirects via the
/// stand-in's Frontend API) and lands signed in; the second is served from
/// the cookies it set.
///
/// ```
/// use actix_web::{test, web, App, HttpRequest, HttpResponse};
/// use clerk_actix::testing::{Browser, StandIn};
/// use clerk_actix::{get_auth, ClerkMiddleware};
///
/// async fn page(req: HttpRequest) -> HttpResponse {
///     let user = get_auth(&req).ok().and_then(|a| a.user_id().map(str::to_owned));
///     HttpResponse::Ok().body(format!("signed in as {}", user.unwrap_or_default()))
/// }
///
/// # actix_web::rt::System::new().block_on(async {
/// let stand_in = StandIn::start().unwrap();
/// stand_in.with_store(|store| store.sign_in_browser("user_1"));
/// let app = test::init_service(
///     App::new()
///         .route("/", web::get().to(page))
///         .wrap(ClerkMiddleware::new(stand_in.clerk().unwrap())),
/// )
/// .await;
///
/// let mut browser = Browser::new();
/// let first = browser.visit(&app, "http://app.example.com/").await.unwrap();
/// assert_eq!(first.status(), 200);
/// assert_eq!(first.text(), "signed in as user_1");
/// assert!(first.visited().iter().any(|url| url.contains("/v1/client/handshake")));
/// assert!(browser.cookie("__session").is_some());
///
/// let second = browser.visit(&app, "http://app.example.com/").await.unwrap();
/// assert_eq!(second.text(), "signed in as user_1");
/// assert_eq!(second.visited().len(), 1); // no redirect
/// # });
/// ```
pub struct Browser {
    jar: Vec<JarCookie>,
    max_redirects: usize,
    client: Option<awc::Client>,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Cookie values are session tokens: names only.
        f.debug_struct("Browser")
            .field(
                "cookies",
                &self.jar.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            )
            .field("max_redirects", &self.max_redirects)
            .finish_non_exhaustive()
    }
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Clone, Debug)]
struct JarCookie {
    name: String,
    value: String,
    /// Lowercase, without a leading dot.
    domain: String,
    host_only: bool,
    path: String,
    secure: bool,
    expires: Option<SystemTime>,
}

/// The parts of a URL the browser needs.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Target {
    scheme: String,
    /// `host[:port]` as written, for `Host`.
    authority: String,
    /// Lowercase, without the port.
    host: String,
    /// Path and query, starting with `/`.
    path_and_query: String,
}

impl Target {
    fn parse(url: &str) -> Result<Self, TestingError> {
        let url = url.split('#').next().unwrap_or_default();
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| TestingError::new(format!("not an absolute URL: {url}")))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(TestingError::new(format!("not an http(s) URL: {url}")));
        }
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path_and_query) = rest.split_at(end);
        if authority.is_empty() {
            return Err(TestingError::new(format!("no host in {url}")));
        }
        let host = match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or_default(),
            None => authority.split(':').next().unwrap_or_default(),
        }
        .to_ascii_lowercase();
        let path_and_query = match path_and_query.strip_prefix('?') {
            Some(query) => format!("/?{query}"),
            None if path_and_query.is_empty() => "/".to_owned(),
            None => path_and_query.to_owned(),
        };
        Ok(Self {
            scheme,
            authority: authority.to_owned(),
            host,
            path_and_query,
        })
    }

    fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.authority.to_ascii_lowercase())
    }

    fn url(&self) -> String {
        format!(
            "{}://{}{}",
            self.scheme, self.authority, self.path_and_query
        )
    }

    fn path(&self) -> &str {
        self.path_and_query
            .split('?')
            .next()
            .unwrap_or(&self.path_and_query)
    }

    /// `location` against this URL.
    fn resolve(&self, location: &str) -> Result<Self, TestingError> {
        if location.contains("://") {
            return Self::parse(location);
        }
        if let Some(rest) = location.strip_prefix("//") {
            return Self::parse(&format!("{}://{rest}", self.scheme));
        }
        if location.starts_with('/') {
            return Self::parse(&format!("{}{location}", self.origin()));
        }
        if location.starts_with('?') {
            return Self::parse(&format!("{}{}{location}", self.origin(), self.path()));
        }
        let path = self.path();
        let directory = &path[..path.rfind('/').map_or(0, |i| i + 1)];
        Self::parse(&format!("{}{directory}{location}", self.origin()))
    }

    /// Where cookies may be sent without `https` (as browsers treat
    /// `localhost` as a secure context).
    fn secure_context(&self) -> bool {
        self.scheme == "https" || matches!(self.host.as_str(), "localhost" | "127.0.0.1" | "::1")
    }
}

/// RFC 6265 §5.1.4's default path: the request path up to its last `/`.
fn default_path(path: &str) -> String {
    match path.rfind('/') {
        Some(0) | None => "/".to_owned(),
        Some(i) => path[..i].to_owned(),
    }
}

fn path_matches(request: &str, cookie: &str) -> bool {
    request == cookie
        || (request.starts_with(cookie)
            && (cookie.ends_with('/') || request[cookie.len()..].starts_with('/')))
}

impl JarCookie {
    fn matches(&self, target: &Target, now: SystemTime) -> bool {
        let domain_ok = if self.host_only {
            target.host == self.domain
        } else {
            target.host == self.domain || target.host.ends_with(&format!(".{}", self.domain))
        };
        domain_ok
            && path_matches(target.path(), &self.path)
            && (!self.secure || target.secure_context())
            && self.expires.is_none_or(|at| at > now)
    }
}

/// A page the browser ended on, after any redirects.
#[derive(Debug)]
pub struct Page {
    status: StatusCode,
    url: String,
    headers: HeaderMap,
    body: Bytes,
    visited: Vec<String>,
}

impl Page {
    /// The status of the last response.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The URL of the last response.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A header of the last response (the first, if it repeats).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// All headers of the last response.
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body of the last response.
    #[must_use]
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as text (invalid UTF-8 replaced).
    #[must_use]
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Every URL requested, in order: the first, each redirect's target, and
    /// the last ([`url`](Self::url)).
    #[must_use]
    pub fn visited(&self) -> &[String] {
        &self.visited
    }
}

type Answer = Result<(StatusCode, HeaderMap, Bytes), TestingError>;

impl Browser {
    /// A browser with no cookies.
    #[must_use]
    pub fn new() -> Self {
        Self {
            jar: Vec::new(),
            max_redirects: 20,
            client: None,
        }
    }

    /// How many redirects one visit follows before it fails. Defaults to 20,
    /// as Chromium's.
    #[must_use]
    pub fn max_redirects(mut self, max: usize) -> Self {
        self.max_redirects = max;
        self
    }

    /// The value of the cookie `name`, on any domain and path.
    #[must_use]
    pub fn cookie(&self, name: &str) -> Option<&str> {
        let now = SystemTime::now();
        self.jar
            .iter()
            .find(|c| c.name == name && c.expires.is_none_or(|at| at > now))
            .map(|c| c.value.as_str())
    }

    /// The names of the cookies in the jar, sorted.
    #[must_use]
    pub fn cookie_names(&self) -> Vec<String> {
        let now = SystemTime::now();
        let mut names: Vec<String> = self
            .jar
            .iter()
            .filter(|c| c.expires.is_none_or(|at| at > now))
            .map(|c| c.name.clone())
            .collect();
        names.sort();
        names
    }

    /// The `Cookie` header the browser would send to `url`, if any.
    ///
    /// # Errors
    ///
    /// [`TestingError`] if `url` is not an absolute `http(s)` URL.
    pub fn cookie_header(&self, url: &str) -> Result<Option<String>, TestingError> {
        Ok(self.cookies_for(&Target::parse(url)?))
    }

    /// Stores a cookie as if `url` had answered `Set-Cookie: <set_cookie>`,
    /// e.g. to start from an expired session token.
    ///
    /// # Errors
    ///
    /// [`TestingError`] if `url` is not an absolute `http(s)` URL or the
    /// cookie does not parse.
    pub fn set_cookie(&mut self, url: &str, set_cookie: &str) -> Result<(), TestingError> {
        let target = Target::parse(url)?;
        self.store(&target, set_cookie)
            .ok_or_else(|| TestingError::new("the cookie does not parse, or not for this URL"))
    }

    /// Forgets every cookie.
    pub fn clear_cookies(&mut self) {
        self.jar.clear();
    }

    /// Navigates to `url`: the URL's origin is served by `app` (an
    /// [`actix_web::test::init_service`] service), any other origin a
    /// redirect leads to (the stand-in's Frontend API) is reached over the
    /// network. Redirects are followed and cookies kept; the page the
    /// browser ends on is returned, whatever its status.
    ///
    /// An error the service returns is answered as the server would
    /// (`ResponseError::error_response`).
    ///
    /// # Errors
    ///
    /// [`TestingError`] for a URL that is not absolute `http(s)`, a server
    /// that cannot be reached, or more than
    /// [`max_redirects`](Self::max_redirects) redirects.
    pub async fn visit<S, B>(&mut self, app: &S, url: &str) -> Result<Page, TestingError>
    where
        S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
        B: MessageBody,
    {
        let origin = Target::parse(url)?.origin();
        self.navigate(
            url,
            Some(&origin),
            |req: actix_test::TestRequest| async move {
                match app.call(req.to_request()).await {
                    Ok(res) => {
                        let (status, headers) = (res.status(), res.headers().clone());
                        let body = actix_web::body::to_bytes(res.into_body())
                            .await
                            .map_err(|_| TestingError::new("the app's response body failed"))?;
                        Ok((status, headers, body))
                    }
                    Err(err) => {
                        let res = err.error_response();
                        let (status, headers) = (res.status(), res.headers().clone());
                        let body = actix_web::body::to_bytes(res.into_body())
                            .await
                            .map_err(|_| TestingError::new("the app's response body failed"))?;
                        Ok((status, headers, body))
                    }
                }
            },
        )
        .await
    }

    /// Navigates to `url` over the network, for an app running in an
    /// `HttpServer` (`no_run`: it needs one):
    ///
    /// ```no_run
    /// # use clerk_actix::testing::Browser;
    /// # actix_web::rt::System::new().block_on(async {
    /// let mut browser = Browser::new();
    /// let page = browser.visit_url("http://127.0.0.1:3000/").await.unwrap();
    /// println!("{}: {}", page.status(), page.text());
    /// # });
    /// ```
    ///
    /// # Errors
    ///
    /// As [`visit`](Self::visit).
    pub async fn visit_url(&mut self, url: &str) -> Result<Page, TestingError> {
        self.navigate(url, None, |_req: actix_test::TestRequest| async {
            Err(TestingError::new("no app service"))
        })
        .await
    }

    async fn navigate<F, Fut>(
        &mut self,
        url: &str,
        app_origin: Option<&str>,
        call_app: F,
    ) -> Result<Page, TestingError>
    where
        F: Fn(actix_test::TestRequest) -> Fut,
        Fut: Future<Output = Answer>,
    {
        let mut target = Target::parse(url)?;
        let mut visited = Vec::new();
        loop {
            visited.push(target.url());
            let cookies = self.cookies_for(&target);
            let (status, headers, body) = if app_origin == Some(target.origin().as_str()) {
                let mut req = actix_test::TestRequest::get()
                    .uri(&target.url())
                    .insert_header((header::HOST, target.authority.clone()))
                    .insert_header((header::ACCEPT, ACCEPT_HTML))
                    .insert_header(("sec-fetch-dest", "document"))
                    .insert_header(("sec-fetch-mode", "navigate"));
                if let Some(cookies) = cookies {
                    req = req.insert_header((header::COOKIE, cookies));
                }
                call_app(req).await?
            } else {
                self.fetch(&target, cookies).await?
            };
            for value in headers.get_all(header::SET_COOKIE) {
                if let Ok(value) = value.to_str() {
                    // A cookie a browser would refuse is ignored, as there.
                    let _ = self.store(&target, value);
                }
            }
            let location = headers
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .filter(|_| {
                    matches!(
                        status,
                        StatusCode::MOVED_PERMANENTLY
                            | StatusCode::FOUND
                            | StatusCode::SEE_OTHER
                            | StatusCode::TEMPORARY_REDIRECT
                            | StatusCode::PERMANENT_REDIRECT
                    )
                });
            let Some(location) = location else {
                return Ok(Page {
                    status,
                    url: target.url(),
                    headers,
                    body,
                    visited,
                });
            };
            if visited.len() > self.max_redirects {
                return Err(TestingError::new(format!(
                    "more than {} redirects: {}",
                    self.max_redirects,
                    visited.join(" -> ")
                )));
            }
            target = target.resolve(location)?;
        }
    }

    /// One request over the network.
    async fn fetch(&mut self, target: &Target, cookies: Option<String>) -> Answer {
        let client = self.client.get_or_insert_with(|| {
            awc::Client::builder()
                .disable_redirects()
                .timeout(Duration::from_secs(30))
                .finish()
        });
        let mut req = client
            .get(target.url())
            .insert_header((header::ACCEPT, ACCEPT_HTML))
            .insert_header(("sec-fetch-dest", "document"))
            .insert_header(("sec-fetch-mode", "navigate"));
        if let Some(cookies) = cookies {
            req = req.insert_header((header::COOKIE, cookies));
        }
        let mut res = req
            .send()
            .await
            .map_err(|e| TestingError::new(format!("GET {}: {e}", target.origin())))?;
        let body = res
            .body()
            .limit(BODY_LIMIT)
            .await
            .map_err(|e| TestingError::new(format!("GET {}: {e}", target.origin())))?;
        Ok((res.status(), res.headers().clone(), body))
    }

    /// The `Cookie` header for `target`: matching cookies, longest path
    /// first.
    fn cookies_for(&self, target: &Target) -> Option<String> {
        let now = SystemTime::now();
        let mut matching: Vec<&JarCookie> =
            self.jar.iter().filter(|c| c.matches(target, now)).collect();
        matching.sort_by_key(|c| std::cmp::Reverse(c.path.len()));
        let header = matching
            .iter()
            .map(|c| format!("{}={}", c.name, c.value))
            .collect::<Vec<_>>()
            .join("; ");
        (!header.is_empty()).then_some(header)
    }

    /// Keeps (or deletes) the cookie of one `Set-Cookie` from `target`;
    /// `None` when a browser would refuse it.
    fn store(&mut self, target: &Target, set_cookie: &str) -> Option<()> {
        let cookie = Cookie::parse(set_cookie.to_owned()).ok()?;
        let (domain, host_only) = match cookie.domain() {
            Some(domain) if !domain.trim_start_matches('.').is_empty() => {
                let domain = domain.trim_start_matches('.').to_ascii_lowercase();
                // A server may set cookies for itself and its parents only.
                let ok = target.host == domain || target.host.ends_with(&format!(".{domain}"));
                if !ok {
                    return None;
                }
                (domain, false)
            }
            _ => (target.host.clone(), true),
        };
        let path = cookie
            .path()
            .filter(|p| p.starts_with('/'))
            .map_or_else(|| default_path(target.path()), str::to_owned);
        let now = SystemTime::now();
        let expires = match (cookie.max_age(), cookie.expires_datetime()) {
            (Some(max_age), _) => Some(match u64::try_from(max_age.whole_seconds()) {
                Ok(secs) if secs > 0 => now + Duration::from_secs(secs),
                _ => SystemTime::UNIX_EPOCH,
            }),
            (None, Some(at)) => Some(
                u64::try_from(at.unix_timestamp()).map_or(SystemTime::UNIX_EPOCH, |secs| {
                    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
                }),
            ),
            (None, None) => None,
        };
        let secure = cookie.secure().unwrap_or(false);
        if secure && !target.secure_context() {
            return None;
        }
        self.jar
            .retain(|c| !(c.name == cookie.name() && c.domain == domain && c.path == path));
        if expires.is_some_and(|at| at <= now) {
            return Some(()); // a deletion
        }
        self.jar.push(JarCookie {
            name: cookie.name().to_owned(),
            value: cookie.value().to_owned(),
            domain,
            host_only,
            path,
            secure,
            expires,
        });
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> Target {
        Target::parse(url).expect("url")
    }

    #[test]
    fn urls_parse_and_resolve_like_a_browser() {
        let t = target("http://App.example.com:8080?x=1#frag");
        assert_eq!(t.host, "app.example.com");
        assert_eq!(t.path_and_query, "/?x=1");
        assert_eq!(t.origin(), "http://app.example.com:8080");
        let page = target("https://a.example/dir/page?q");
        assert_eq!(
            page.resolve("/x").expect("url").url(),
            "https://a.example/x"
        );
        assert_eq!(
            page.resolve("other").expect("url").url(),
            "https://a.example/dir/other"
        );
        assert_eq!(
            page.resolve("?y=2").expect("url").url(),
            "https://a.example/dir/page?y=2"
        );
        assert_eq!(
            page.resolve("//b.example/z").expect("url").url(),
            "https://b.example/z"
        );
        assert!(Target::parse("/relative").is_err());
        assert!(Target::parse("ftp://x/").is_err());
    }

    #[test]
    fn cookies_follow_domain_path_secure_and_deletions() {
        let mut browser = Browser::new();
        let page = target("http://app.example.com/account/page");
        assert!(browser.store(&page, "host=1").is_some());
        assert!(browser
            .store(&page, "wide=2; Domain=.example.com; Path=/")
            .is_some());
        assert!(browser
            .store(&page, "foreign=3; Domain=other.com")
            .is_none());
        assert!(browser.store(&page, "safe=4; Secure; Path=/").is_none());
        assert_eq!(
            browser.cookies_for(&target("http://app.example.com/account/x")),
            Some("host=1; wide=2".to_owned())
        );
        assert_eq!(
            browser.cookies_for(&target("http://sub.example.com/")),
            Some("wide=2".to_owned())
        );
        assert_eq!(
            browser.cookies_for(&target("http://app.example.com/")),
            Some("wide=2".to_owned())
        );
        assert!(browser
            .store(&page, "wide=; Domain=example.com; Path=/; Max-Age=0")
            .is_some());
        assert!(browser
            .store(
                &page,
                "host=; Path=/account; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
            )
            .is_some());
        assert_eq!(browser.cookies_for(&page), None);
        let local = target("http://127.0.0.1:3000/");
        assert!(browser.store(&local, "safe=4; Secure; Path=/").is_some());
        assert_eq!(browser.cookie("safe"), Some("4"));
        assert_eq!(browser.cookie_names(), ["safe"]);
    }
}
