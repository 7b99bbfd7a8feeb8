//! The local stand-in of the Clerk Backend API.

use std::fmt;
use std::io;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::http::{header, StatusCode};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::Engine as _;
use serde_json::Value;

use super::bapi::{self, ApiRequest, Reply, Store};
use super::issuer::{random_id, SessionTokenBuilder, TestIssuer};
use super::TestingError;
use crate::clerk::Clerk;
use crate::config::ClerkBuilder;
use crate::encoding;

/// A local stand-in of the Clerk Backend API, on `127.0.0.1` and a random
/// port, in a thread of its own.
///
/// It serves the JWKS of its [`TestIssuer`] and the users, organizations,
/// memberships, sessions, invitations and allowlist endpoints, in Clerk's wire
/// format, from an in-memory store. It checks the secret key (401 otherwise),
/// records every request, and can be told to fail ([`Fault`]).
///
/// Dropping it stops the server.
///
/// # Examples
///
/// ```
/// use clerk_actix::testing::StandIn;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let stand_in = StandIn::start()?;
/// let clerk = stand_in.clerk()?;            // points at the stand-in
/// let token = stand_in.issuer().session("user_1").sign();
/// # actix_web::rt::System::new().block_on(async move {
/// let claims = clerk.verify_token(&token).await?;
/// assert_eq!(claims.user_id(), "user_1");
/// assert_eq!(stand_in.requests()[0].path(), "/v1/jwks");
/// # Ok(()) })
/// # }
/// ```
pub struct StandIn {
    shared: Arc<Shared>,
    /// The default `azp` of `session_token`s.
    azp: Option<String>,
    url: String,
    handle: Option<ServerHandle>,
    thread: Option<JoinHandle<()>>,
    /// Held by the stand-in and by every worker's app (so by every open
    /// connection): `shutdown` waits until it is the only holder left.
    serving: Arc<Serving>,
}

/// What the stand-in's app holds while a worker can still answer.
struct Serving;

impl fmt::Debug for StandIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StandIn")
            .field("url", &self.url)
            .field("issuer", &self.shared.issuer)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Shared {
    issuer: TestIssuer,
    /// The issuers whose keys `/v1/jwks` lists.
    published: Mutex<Vec<TestIssuer>>,
    secret_key: String,
    publishable_key: Mutex<String>,
    requests: Mutex<Vec<RecordedRequest>>,
    faults: Mutex<Vec<Fault>>,
    store: Mutex<Store>,
}

/// How long [`StandIn::shutdown`] waits for the worker to close its
/// connections (it is told to stop at once; this bound is never reached in
/// practice).
const SHUTDOWN_WAIT: Duration = Duration::from_secs(10);
const SHUTDOWN_POLL: Duration = Duration::from_millis(1);

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Configures a [`StandIn`] before it starts.
///
/// # Examples
///
/// ```
/// use clerk_actix::testing::{StandIn, TestIssuer};
/// use serde_json::json;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let stand_in = StandIn::builder()
///     .secret_key("sk_test_my_tests")
///     .user(json!({"first_name": "Ada", "email_addresses": [{"email_address": "ada@example.com"}]}))
///     .start()?;
/// assert_eq!(stand_in.secret_key(), "sk_test_my_tests");
/// # Ok(()) }
/// ```
#[must_use]
#[derive(Default)]
pub struct StandInBuilder {
    issuer: Option<TestIssuer>,
    secret_key: Option<String>,
    azp: Option<String>,
    store: Store,
}

impl fmt::Debug for StandInBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StandInBuilder").finish_non_exhaustive()
    }
}

impl StandInBuilder {
    /// Sign and publish keys with `issuer` instead of a freshly generated one.
    pub fn issuer(mut self, issuer: TestIssuer) -> Self {
        self.issuer = Some(issuer);
        self
    }

    /// The secret key the stand-in accepts. Defaults to a random `sk_test_…`.
    pub fn secret_key(mut self, key: impl Into<String>) -> Self {
        self.secret_key = Some(key.into());
        self
    }

    /// The `azp` (authorized party) of every session token the stand-in
    /// mints: those of [`StandIn::session_token`], of its Frontend API's
    /// handshake, of session refreshes and of `POST /v1/sessions/{id}/tokens`.
    /// For apps configured with `authorized_parties` on an origin of their
    /// own; a token can still set its own with [`SessionTokenBuilder::azp`].
    /// Defaults to [`TestIssuer`]'s default, `http://localhost:3000`.
    ///
    /// ```
    /// # use clerk_actix::testing::StandIn;
    /// let stand_in = StandIn::builder().azp("https://app.example.com").start()?;
    /// let clerk = stand_in
    ///     .clerk_builder()
    ///     .authorized_parties(["https://app.example.com"])
    ///     .build()?;
    /// let token = stand_in.session_token("user_1").sign();
    /// # actix_web::rt::System::new().block_on(async {
    /// assert_eq!(clerk.verify_token(&token).await.unwrap().user_id(), "user_1");
    /// # });
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// ```
    pub fn azp(mut self, origin: impl Into<String>) -> Self {
        self.azp = Some(origin.into());
        self
    }

    /// Adds a user, given as (partial) Backend API JSON; missing fields get
    /// defaults, a missing `id` a fresh `user_…`.
    pub fn user(mut self, user: Value) -> Self {
        self.store.insert_user(user);
        self
    }

    /// Adds an organization, given as (partial) Backend API JSON.
    pub fn organization(mut self, organization: Value) -> Self {
        self.store.insert_organization(organization);
        self
    }

    /// Starts the server.
    ///
    /// # Errors
    ///
    /// [`TestingError`] if no port can be bound or no key generated.
    pub fn start(self) -> Result<StandIn, TestingError> {
        let issuer = match self.issuer {
            Some(issuer) => issuer,
            None => TestIssuer::generate()?,
        };
        let secret_key = self
            .secret_key
            .unwrap_or_else(|| random_id("sk_test_standin"));
        let mut store = self.store;
        // Session tokens from `/sessions/{id}/tokens` verify against the stand-in's own JWKS.
        store.set_token_issuer(issuer.clone());
        let shared = Arc::new(Shared {
            published: Mutex::new(vec![issuer.clone()]),
            issuer,
            secret_key,
            publishable_key: Mutex::new(String::new()),
            requests: Mutex::new(Vec::new()),
            faults: Mutex::new(Vec::new()),
            store: Mutex::new(store),
        });
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
            .map_err(|e| TestingError::new(format!("could not bind 127.0.0.1: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| TestingError::new(e.to_string()))?
            .port();
        let url = format!("http://127.0.0.1:{port}");
        // The Frontend API of the key is the issuer's host, so that the
        // session cookies of the stand-in's tokens count as this instance's
        // (§2.2); handshakes reach the stand-in through the proxy URL.
        let frontend_api = shared
            .issuer
            .iss()
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .to_owned();
        let publishable_key = format!(
            "pk_test_{}",
            encoding::STANDARD.encode(format!("{frontend_api}$"))
        );
        {
            // What the stand-in mints for browsers: the builder's `azp`, and
            // cookies with the suffix of the instance's publishable key.
            let frontend = &mut lock(&shared.store).frontend;
            frontend.azp.clone_from(&self.azp);
            frontend.cookie_suffix = crate::config::PublishableKey::parse(&publishable_key)
                .ok()
                .map(|key| key.cookie_suffix().to_owned());
        }
        *lock(&shared.publishable_key) = publishable_key;

        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<io::Result<ServerHandle>>();
        let app_shared = shared.clone();
        let serving = Arc::new(Serving);
        let app_serving = serving.clone();
        let thread = std::thread::Builder::new()
            .name("clerk-stand-in".to_owned())
            .spawn(move || {
                let system = actix_web::rt::System::new();
                let error_tx = ready_tx.clone();
                let outcome = system.block_on(async move {
                    let data = web::Data::from(app_shared);
                    let server = HttpServer::new(move || {
                        App::new()
                            .app_data(data.clone())
                            .app_data(app_serving.clone())
                            .app_data(web::PayloadConfig::new(8 * 1024 * 1024))
                            .default_service(web::to(dispatch))
                    })
                    .workers(1)
                    .disable_signals()
                    .shutdown_timeout(1)
                    .listen(listener)?
                    .run();
                    let _ = ready_tx.send(Ok(server.handle()));
                    server.await
                });
                if let Err(e) = outcome {
                    let _ = error_tx.send(Err(e));
                }
            })
            .map_err(|e| TestingError::new(format!("could not start a thread: {e}")))?;
        let handle = ready_rx
            .recv()
            .map_err(|_| TestingError::new("the stand-in thread stopped"))?
            .map_err(|e| TestingError::new(format!("the stand-in did not start: {e}")))?;
        Ok(StandIn {
            shared,
            azp: self.azp,
            url,
            handle: Some(handle),
            thread: Some(thread),
            serving,
        })
    }
}

impl StandIn {
    /// Starts a stand-in with a fresh issuer and an empty store.
    ///
    /// # Errors
    ///
    /// [`TestingError`] if no port can be bound or no key generated.
    pub fn start() -> Result<Self, TestingError> {
        Self::builder().start()
    }

    /// Configures a stand-in; see [`StandInBuilder`].
    pub fn builder() -> StandInBuilder {
        StandInBuilder::default()
    }

    /// `http://127.0.0.1:<port>`, to use as `CLERK_API_URL`.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The issuer whose keys the stand-in publishes.
    #[must_use]
    pub fn issuer(&self) -> &TestIssuer {
        &self.shared.issuer
    }

    /// Starts a session token signed by the stand-in's issuer (with the
    /// builder's default [`azp`](StandInBuilder::azp), if set).
    pub fn session_token(&self, user_id: impl Into<String>) -> SessionTokenBuilder {
        let token = self.shared.issuer.session(user_id);
        match &self.azp {
            Some(azp) => token.azp(azp.clone()),
            None => token,
        }
    }

    /// The secret key the stand-in accepts.
    #[must_use]
    pub fn secret_key(&self) -> &str {
        &self.shared.secret_key
    }

    /// A development publishable key whose Frontend API is the host of the
    /// issuer's `iss` (`clerk.stand-in.test`); [`clerk_builder`](Self::clerk_builder)
    /// makes the stand-in the proxy URL, so handshakes come here.
    #[must_use]
    pub fn publishable_key(&self) -> String {
        lock(&self.shared.publishable_key).clone()
    }

    /// A builder with the secret key, publishable key and API URL of the
    /// stand-in, to adjust before building. The stand-in is also the proxy
    /// URL, so that handshake redirects go to its stand-in of the Frontend
    /// API (`GET /v1/client/handshake`).
    pub fn clerk_builder(&self) -> ClerkBuilder {
        Clerk::builder()
            .secret_key(self.secret_key())
            .publishable_key(self.publishable_key())
            .api_url(self.url())
            .proxy_url(self.url())
    }

    /// A [`Clerk`] handle that talks to the stand-in.
    ///
    /// # Errors
    ///
    /// Never in practice: the configuration is built from valid values.
    pub fn clerk(&self) -> Result<Clerk, crate::config::ConfigError> {
        self.clerk_builder().build()
    }

    /// Replaces the keys `/v1/jwks` lists, e.g. to rotate keys in a test:
    /// publish the old and the new issuer, then only the new one.
    ///
    /// ```
    /// # use clerk_actix::testing::{StandIn, TestIssuer};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let stand_in = StandIn::start()?;
    /// let next = TestIssuer::generate()?;
    /// stand_in.publish_keys([stand_in.issuer().clone(), next.clone()]);
    /// # Ok(()) }
    /// ```
    pub fn publish_keys(&self, issuers: impl IntoIterator<Item = TestIssuer>) {
        *lock(&self.shared.published) = issuers.into_iter().collect();
    }

    /// Every request received so far, oldest first.
    #[must_use]
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// How many requests went to `path` (e.g. `/v1/jwks`).
    #[must_use]
    pub fn count(&self, path: &str) -> usize {
        lock(&self.shared.requests)
            .iter()
            .filter(|r| r.path == path)
            .count()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        lock(&self.shared.requests).clear();
    }

    /// Adds a fault; faults are tried in the order they were added.
    pub fn inject(&self, fault: Fault) {
        lock(&self.shared.faults).push(fault);
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// Reads or changes the stand-in's data directly.
    pub fn with_store<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        f(&mut lock(&self.shared.store))
    }

    /// Stops the server; when it returns, nothing answers any more: new
    /// connections are refused and kept-alive ones (a client's pool) are
    /// closed, so every later request fails as in an outage. Dropping the
    /// stand-in does the same.
    pub fn shutdown(&mut self) {
        if let Some(handle) = self.handle.take() {
            // `stop` sends the command right away; the returned future only
            // reports completion, which joining the thread waits for.
            drop(handle.stop(false));
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        // The server thread ends before its worker thread has dropped the
        // connections it holds: until then a kept-alive connection is still
        // answered. Wait (boundedly) for the worker to let go of the app.
        let mut waited = Duration::ZERO;
        while Arc::strong_count(&self.serving) > 1 && waited < SHUTDOWN_WAIT {
            std::thread::sleep(SHUTDOWN_POLL);
            waited += SHUTDOWN_POLL;
        }
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A request the stand-in received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl RecordedRequest {
    /// `GET`, `POST`, …
    #[must_use]
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The path, e.g. `/v1/users`.
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The raw query string (without `?`).
    #[must_use]
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The query as decoded pairs, repeated keys kept.
    #[must_use]
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        web::Query::<Vec<(String, String)>>::from_query(&self.query)
            .map(web::Query::into_inner)
            .unwrap_or_default()
    }

    /// A header's value (name is case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (empty when there was none).
    #[must_use]
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The body parsed as JSON.
    #[must_use]
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }
}

/// A failure the stand-in produces on purpose.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use clerk_actix::testing::Fault;
///
/// let outage = Fault::status(503).on_path("/v1/jwks");
/// let one_slow_answer = Fault::delay(Duration::from_millis(200)).times(1);
/// let throttled = Fault::rate_limited(2).times(1);
/// # let _ = (outage, one_slow_answer, throttled);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct Fault {
    kind: FaultKind,
    path_prefix: Option<String>,
    remaining: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum FaultKind {
    Status(u16),
    RateLimited(u64),
    Delay(Duration),
    Drop,
}

impl Fault {
    /// Answer with `status` and a Clerk error body.
    pub fn status(status: u16) -> Self {
        Self::new(FaultKind::Status(status))
    }

    /// Answer 429 with `Retry-After: <seconds>`.
    pub fn rate_limited(retry_after_seconds: u64) -> Self {
        Self::new(FaultKind::RateLimited(retry_after_seconds))
    }

    /// Wait `delay`, then answer normally.
    pub fn delay(delay: Duration) -> Self {
        Self::new(FaultKind::Delay(delay))
    }

    /// Start a response and break the connection before it is complete.
    pub fn drop_connection() -> Self {
        Self::new(FaultKind::Drop)
    }

    fn new(kind: FaultKind) -> Self {
        Self {
            kind,
            path_prefix: None,
            remaining: None,
        }
    }

    /// Only for requests whose path starts with `prefix`.
    pub fn on_path(mut self, prefix: impl Into<String>) -> Self {
        self.path_prefix = Some(prefix.into());
        self
    }

    /// Only for the next `n` matching requests (default: until cleared).
    pub fn times(mut self, n: usize) -> Self {
        self.remaining = Some(n);
        self
    }
}

impl Shared {
    fn take_fault(&self, path: &str) -> Option<FaultKind> {
        let mut faults = lock(&self.faults);
        let fault = faults.iter_mut().find(|f| {
            f.remaining != Some(0)
                && f.path_prefix
                    .as_deref()
                    .is_none_or(|prefix| path.starts_with(prefix))
        })?;
        if let Some(n) = &mut fault.remaining {
            *n -= 1;
        }
        Some(fault.kind.clone())
    }
}

async fn dispatch(req: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let recorded = RecordedRequest {
        method: req.method().to_string(),
        path: req.path().to_owned(),
        query: req.query_string().to_owned(),
        headers: req
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    lock(&shared.requests).push(recorded);

    if let Some(fault) = shared.take_fault(req.path()) {
        match fault {
            FaultKind::Status(status) => {
                return Reply::error(status, "unexpected_error", "Injected failure.")
                    .into_response();
            }
            FaultKind::RateLimited(seconds) => {
                let mut reply = Reply::error(429, "too_many_requests", "Too many requests.");
                reply.headers.push(("retry-after", seconds.to_string()));
                return reply.into_response();
            }
            FaultKind::Delay(delay) => actix_web::rt::time::sleep(delay).await,
            FaultKind::Drop => {
                let broken = futures_util::stream::once(async {
                    Err::<web::Bytes, _>(io::Error::new(
                        io::ErrorKind::ConnectionReset,
                        "injected connection drop",
                    ))
                });
                return HttpResponse::Ok()
                    .content_type("application/json")
                    .streaming(broken);
            }
        }
    }

    // The Frontend API stand-in: browsers, not the secret key.
    if req.method() == actix_web::http::Method::GET && req.path() == "/v1/client/handshake" {
        let publishable_key = lock(&shared.publishable_key).clone();
        return super::frontend::handshake(
            &shared.issuer,
            &mut lock(&shared.store),
            &publishable_key,
            req.query_string(),
        );
    }

    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let authorized = bearer == Some(shared.secret_key.as_str())
        || bapi::spec::is_public(req.method().as_str(), req.path())
        || bearer
            .is_some_and(|key| bapi::is_machine_credential(&lock(&shared.store), req.path(), key));
    if !authorized {
        return Reply::error(
            401,
            "clerk_key_invalid",
            "The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct.",
        )
        .into_response();
    }

    let path = req.path();
    if req.method() == actix_web::http::Method::GET && path == "/v1/jwks" {
        let keys: Vec<Value> = lock(&shared.published)
            .iter()
            .map(TestIssuer::jwk)
            .collect();
        return Reply::ok(serde_json::json!({ "keys": keys })).into_response();
    }

    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let multipart = content_type
        .to_ascii_lowercase()
        .starts_with("multipart/form-data");
    let json_body = if multipart {
        match multipart_body(content_type, &body) {
            Ok(value) => Some(value),
            Err(reply) => return reply.into_response(),
        }
    } else if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(value) => Some(value),
            Err(_) => {
                return Reply::error(400, "request_body_invalid", "The request body is not JSON.")
                    .into_response()
            }
        }
    };
    let query = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default();
    let api_request = ApiRequest {
        method: req.method().as_str(),
        path,
        query: &query,
        body: json_body.as_ref(),
        multipart,
        credential: bearer,
    };
    let reply = bapi::handle(&mut lock(&shared.store), &api_request);
    reply.into_response()
}

/// A `multipart/form-data` body as the object [`ApiRequest`] describes.
fn multipart_body(content_type: &str, body: &[u8]) -> Result<Value, Reply> {
    let parts = crate::backend::multipart::parse(content_type, body).map_err(|why| {
        Reply::error(
            400,
            "request_body_invalid",
            &format!("The multipart/form-data body is malformed: {why}."),
        )
    })?;
    let mut members = serde_json::Map::new();
    for part in parts {
        let value = match &part.filename {
            Some(filename) => serde_json::json!({
                "filename": filename,
                "content_type": part.content_type,
                "size": part.data.len(),
            }),
            None => Value::String(String::from_utf8_lossy(&part.data).into_owned()),
        };
        members.insert(part.name, value);
    }
    Ok(Value::Object(members))
}

impl Reply {
    fn into_response(self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = HttpResponse::build(status);
        for (name, value) in &self.headers {
            response.insert_header((*name, value.as_str()));
        }
        let text = self.headers.iter().any(|(n, _)| *n == "content-type");
        match self.body {
            Some(Value::String(page)) if text => response.body(page),
            Some(body) => response.json(body),
            None => response.finish(),
        }
    }
}

impl From<io::Error> for TestingError {
    fn from(e: io::Error) -> Self {
        TestingError::new(e.to_string())
    }
}

impl StandIn {
    /// A `Cookie` header a signed-in browser of this stand-in's development
    /// instance sends: `__session=<token>`, `__client_uat=<its iat>` and a
    /// dev-browser token (`__clerk_db_jwt`), for tests of cookie-protected
    /// pages without a browser.
    ///
    /// ```
    /// # use clerk_actix::testing::StandIn;
    /// # let stand_in = StandIn::start().unwrap();
    /// let token = stand_in.session_token("user_1").sign();
    /// let cookie = stand_in.browser_cookies(&token);
    /// assert!(cookie.starts_with("__session="));
    /// ```
    #[must_use]
    pub fn browser_cookies(&self, session_token: &str) -> String {
        let iat = session_token
            .split('.')
            .nth(1)
            .and_then(|payload| encoding::URL_SAFE.decode(payload).ok())
            .and_then(|json| serde_json::from_slice::<Value>(&json).ok())
            .and_then(|claims| claims["iat"].as_i64())
            .unwrap_or(1);
        format!("__session={session_token}; __client_uat={iat}; __clerk_db_jwt=dvb_stand_in")
    }
}
