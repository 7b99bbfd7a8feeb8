//! WebSockets ([`actix-ws`]) whose session stays honest for the life of the
//! socket: the upgrade is authenticated like any request, and a socket whose
//! session token expires without a fresh one is closed.
//!
//! Clerk's session tokens live 60 seconds; a socket lives for hours. So:
//!
//! 1. **The upgrade is a request like any other.** [`ClerkMiddleware`](crate::ClerkMiddleware)
//!    authenticates it from `Authorization: Bearer`, the `__session` cookie,
//!    or — for a browser's `WebSocket`, which cannot set headers — the
//!    subprotocol list `Sec-WebSocket-Protocol: clerk.session, <token>`
//!    (read on upgrade requests only; the token never needs to be in the
//!    URL, where it would land in access logs). [`handle`] answers a
//!    signed-out upgrade with the usual 401 (shaped by
//!    [`on_rejection`](crate::middleware::ClerkMiddlewareBuilder::on_rejection)) before
//!    upgrading, and selects `clerk.session` when the client offered it.
//! 2. **The socket has a deadline**: the token's `exp` plus the clock skew.
//!    Before it, the client sends a fresh token as a text message
//!    `{"type":"clerk.token","token":"<jwt>"}`; the crate verifies it (the
//!    same pipeline and cache as every request, session tokens only), checks
//!    that it is the same user and the same session, moves the deadline and
//!    answers `{"type":"clerk.token","ok":true,"expiresIn":<seconds>}`.
//!    Without one, the socket is closed with code **4401**, reason
//!    `session-token-expired`.
//!
//! Your handler reads the app's own messages with [`Socket::recv`]; the
//! crate's messages never reach it.
//!
//! ```no_run
//! use actix_web::{rt, web, App, HttpRequest, HttpResponse, HttpServer};
//! use clerk_actix::ws::{self, AggregatedMessage};
//! use clerk_actix::{Clerk, ClerkMiddleware};
//!
//! async fn socket(req: HttpRequest, body: web::Payload) -> actix_web::Result<HttpResponse> {
//!     // 401 (before upgrading) unless signed in.
//!     let (response, mut socket) = ws::handle(&req, body)?;
//!     rt::spawn(async move {
//!         while let Some(message) = socket.recv().await {
//!             if let AggregatedMessage::Text(text) = message {
//!                 // `socket.auth()` is the current session.
//!                 if socket.text(text).await.is_err() {
//!                     break;
//!                 }
//!             }
//!         }
//!     });
//!     Ok(response)
//! }
//!
//! #[actix_web::main]
//! async fn main() -> std::io::Result<()> {
//!     let clerk = Clerk::from_env().expect("set CLERK_SECRET_KEY");
//!     HttpServer::new(move || {
//!         App::new()
//!             .route("/ws", web::get().to(socket))
//!             .wrap(ClerkMiddleware::new(clerk.clone()))
//!     })
//!     .bind(("127.0.0.1", 3000))?
//!     .run()
//!     .await
//! }
//! ```
//!
//! The browser side (with Clerk's `getToken()`):
//!
//! ```js
//! const token = await Clerk.session.getToken();
//! const socket = new WebSocket("wss://api.example.com/ws", ["clerk.session", token]);
//! socket.onmessage = async (event) => {
//!   const message = JSON.parse(event.data);
//!   if (message.type === "clerk.token" || message.type === "hello") {
//!     // Send a fresh token before this one expires.
//!     setTimeout(async () => {
//!       const token = await Clerk.session.getToken({ skipCache: true });
//!       socket.send(JSON.stringify({ type: "clerk.token", token }));
//!     }, Math.max(1, message.expiresIn - 10) * 1000);
//!   }
//! };
//! socket.onclose = (event) => {
//!   if (event.code === 4401) { /* the session expired: reconnect with a fresh token */ }
//! };
//! ```
//!
//! # Defined answers
//!
//! | the client sends | the socket |
//! | --- | --- |
//! | a fresh token of the same user and session | moves the deadline, answers `ok: true` |
//! | a token of another user or session, or one that does not verify | closes with **1008** |
//! | no fresh token by the deadline | closes with **4401** `session-token-expired` |
//! | a `clerk.token` message without a string `token` | ignores it (`log::debug!`); the deadline stays |
//! | a token while the Backend API is down (keys cannot be loaded) | answers `{"type":"clerk.token","ok":false,"error":"unavailable"}` (`log::error!`); the deadline stays |
//! | a message (or a fragmented one, in total) over [`Config::max_message_size`] | closes with **1009** |
//! | invalid UTF-8 in a text message | closes with **1007** |
//! | any other protocol violation | closes with **1002** |
//! | a ping | answers with a pong |
//! | a close | answers with a close; [`recv`](Socket::recv) ends |
//!
//! Text messages are the crate's when they are a JSON object whose `type` is
//! `"clerk.token"`; every other message (text, binary, pong) is the app's and
//! reaches [`recv`](Socket::recv) untouched. Closes are logged with
//! `log::debug!` under the target `clerk_actix::ws`; tokens never are.
//!
//! # Costs
//!
//! One timer per socket, polled by the task that reads the socket: no
//! polling loop, no task of the crate's own. The deadline is enforced while
//! your task waits in [`recv`](Socket::recv) (alone or in a `select!`: it is
//! cancel-safe) and when it sends through the [`Socket`]; keep a `recv`
//! pending, as `actix-ws` requires anyway.
//!
//! [`actix-ws`]: https://docs.rs/actix-ws

mod limit;

use std::cell::Cell;
use std::collections::VecDeque;
use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use actix_ws::{Message, MessageStream, ProtocolError};
use futures_util::future::LocalBoxFuture;
use futures_util::{Sink, Stream};
use serde::Deserialize;
use tokio::time::{Instant, Sleep};

pub use actix_ws::{AggregatedMessage, CloseCode, CloseReason, Closed, Session};
pub use bytestring::ByteString;

use self::limit::FrameLimit;
use crate::actix::extract::SessionAuth;
use crate::authenticate::subprotocol::PROTOCOL;
use crate::clerk::{Accepts, Clerk, Principal, Refusal};
use crate::verification::auth::Auth;
use crate::verification::claims::SessionClaims;
use crate::verification::options::VerifyOptions;

/// Close code of a socket whose session token expired without a fresh one.
pub const SESSION_EXPIRED: u16 = 4401;

const DEFAULT_MAX_MESSAGE: usize = 64 * 1024;

/// Upgrades a signed-in request to a WebSocket [`Socket`] with the default
/// [`Config`]. See the [module docs](self).
///
/// # Errors
///
/// The request's 401 ([`UnauthorizedError`](crate::UnauthorizedError),
/// shaped by the rejection hook) when it is not a signed-in session (machine
/// tokens are not sessions), 503 during an outage, 500 without
/// [`ClerkMiddleware`](crate::ClerkMiddleware), and `actix-ws`'s 400 when it
/// is not a WebSocket upgrade.
///
/// # Examples
///
/// ```
/// use actix_web::{test, web, App, HttpRequest, HttpResponse};
/// use clerk_actix::testing::StandIn;
/// use clerk_actix::{ws, ClerkMiddleware};
///
/// async fn socket(req: HttpRequest, body: web::Payload) -> actix_web::Result<HttpResponse> {
///     let (response, socket) = ws::handle(&req, body)?;
///     actix_web::rt::spawn(async move { drop(socket) });
///     Ok(response)
/// }
///
/// # actix_web::rt::System::new().block_on(async {
/// let stand_in = StandIn::start().unwrap();
/// let app = test::init_service(
///     App::new()
///         .route("/ws", web::get().to(socket))
///         .wrap(ClerkMiddleware::new(stand_in.clerk().unwrap())),
/// )
/// .await;
/// let upgrade = || {
///     test::TestRequest::get()
///         .uri("/ws")
///         .insert_header(("Upgrade", "websocket"))
///         .insert_header(("Connection", "Upgrade"))
///         .insert_header(("Sec-WebSocket-Version", "13"))
///         .insert_header(("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="))
/// };
///
/// // Signed out: a 401, not an upgrade.
/// let res = test::call_service(&app, upgrade().to_request()).await;
/// assert_eq!(res.status(), 401);
///
/// // The token as the second subprotocol: 101, `clerk.session` selected.
/// let token = stand_in.session_token("user_1").sign();
/// let req = upgrade().insert_header(("Sec-WebSocket-Protocol", format!("clerk.session, {token}")));
/// let res = test::call_service(&app, req.to_request()).await;
/// assert_eq!(res.status(), 101);
/// assert_eq!(res.headers().get("Sec-WebSocket-Protocol").unwrap(), "clerk.session");
/// # });
/// ```
pub fn handle(
    req: &HttpRequest,
    body: web::Payload,
) -> Result<(HttpResponse, Socket), actix_web::Error> {
    Config::default().handle(req, body)
}

/// How [`Config::handle`] upgrades: the message size limit, the clock skew
/// and the verification options of fresh tokens.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use actix_web::{web, HttpRequest, HttpResponse};
/// use clerk_actix::ws;
///
/// async fn socket(req: HttpRequest, body: web::Payload) -> actix_web::Result<HttpResponse> {
///     let (response, socket) = ws::Config::new()
///         .max_message_size(16 * 1024)
///         .clock_skew(Duration::from_secs(2))
///         .handle(&req, body)?;
///     actix_web::rt::spawn(async move { drop(socket) });
///     Ok(response)
/// }
/// # let _ = socket;
/// ```
#[derive(Clone)]
#[must_use]
pub struct Config {
    max_message_size: usize,
    clock_skew: Option<Duration>,
    options: Option<Arc<VerifyOptions>>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_message_size: DEFAULT_MAX_MESSAGE,
            clock_skew: None,
            options: None,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("max_message_size", &self.max_message_size)
            .field("clock_skew", &self.clock_skew)
            .field("verify_options", &self.options.is_some())
            .finish()
    }
}

impl Config {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The largest message a client may send, in bytes, whole or in
    /// fragments; a larger one closes the socket with code 1009.
    ///
    /// Defaults to 64 KiB.
    #[doc(alias = "max_frame_size")]
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// How long after the token's `exp` the socket stays open.
    ///
    /// Defaults to the [`Clerk`] handle's clock skew (5 s unless set with
    /// [`VerifyOptions::clock_skew`](crate::VerifyOptions::clock_skew)).
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = Some(skew);
        self
    }

    /// The options fresh tokens are verified with. Set it to what the
    /// middleware's [`options_fn`](crate::middleware::ClerkMiddlewareBuilder::options_fn)
    /// returns for the route, if it returns something.
    ///
    /// Defaults to the [`Clerk`] handle's options.
    pub fn verify_options(mut self, options: impl Into<Arc<VerifyOptions>>) -> Self {
        self.options = Some(options.into());
        self
    }

    /// Upgrades a signed-in request; see [`handle`].
    ///
    /// # Errors
    ///
    /// As [`handle`].
    pub fn handle(
        &self,
        req: &HttpRequest,
        body: web::Payload,
    ) -> Result<(HttpResponse, Socket), actix_web::Error> {
        // Both are ready: they read what the middleware attached.
        let session = SessionAuth::from_request(req, &mut Payload::None).into_inner()?;
        let clerk = Clerk::from_request(req, &mut Payload::None).into_inner()?;
        // The size limit, read from frame headers as they arrive.
        let oversize = Rc::new(Cell::new(false));
        let limited = FrameLimit::new(body.into_inner(), self.max_message_size, oversize.clone());
        let mut limited: Payload = Payload::Stream {
            payload: Box::pin(limited),
        };
        let body = web::Payload::from_request(req, &mut limited).into_inner()?;
        let (response, session_handle, stream) =
            actix_ws::handle_with_protocols(req, body, &[PROTOCOL])?;
        let options = self
            .options
            .clone()
            .unwrap_or_else(|| clerk.shared_verify_options().clone());
        let skew = self.clock_skew.unwrap_or(options.clock_skew);
        let claims = session.claims().clone();
        // A session the middleware let through as pending keeps that view.
        let pending_signed_in = claims.is_pending();
        let exp_ms = exp_millis(&claims);
        let mut socket = Socket {
            session: session_handle,
            stream: stream.max_frame_size(self.max_message_size),
            user_id: claims.user_id().into(),
            session_id: claims.session_id().unwrap_or_default().into(),
            auth: session.into_auth(),
            pending_signed_in,
            clerk,
            options,
            skew,
            exp_ms,
            deadline: Box::pin(tokio::time::sleep_until(Instant::now())),
            max_message_size: self.max_message_size,
            oversize,
            fragments: None,
            refresh: None,
            outbox: VecDeque::new(),
            state: State::Open,
        };
        socket.set_deadline();
        Ok((response, socket))
    }
}

/// An authenticated WebSocket: an `actix-ws` [`Session`] and message stream
/// with the session's [`Auth`] and its deadline. Made by [`handle`]; see the
/// [module docs](self).
///
/// Read with [`recv`](Self::recv) (or as a [`Stream`]); send with
/// [`text`](Self::text) and [`binary`](Self::binary), or from other tasks
/// with a clone of [`session`](Self::session). It is not `Send`: spawn its
/// task with `actix_web::rt::spawn`.
pub struct Socket {
    session: Session,
    stream: MessageStream,
    auth: Auth,
    user_id: Box<str>,
    session_id: Box<str>,
    pending_signed_in: bool,
    clerk: Clerk,
    options: Arc<VerifyOptions>,
    skew: Duration,
    /// The current token's `exp`, in milliseconds.
    exp_ms: i64,
    deadline: Pin<Box<Sleep>>,
    max_message_size: usize,
    /// Set when [`FrameLimit`] ended the stream at a header over the limit.
    oversize: Rc<Cell<bool>>,
    /// A fragmented message being put together.
    fragments: Option<Fragments>,
    /// A fresh token being verified.
    refresh: Option<LocalBoxFuture<'static, Result<Principal, Refusal>>>,
    /// Frames to send before anything else: pongs, the crate's answers, a close.
    outbox: VecDeque<Message>,
    state: State,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Open,
    /// A close is in the outbox; the socket ends once it is sent.
    Closing,
    Ended,
}

struct Fragments {
    text: bool,
    bytes: BytesMut,
}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("user_id", &self.user_id)
            .field("session_id", &self.session_id)
            .field("expires_in", &self.expires_in())
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// A text message the crate reads: `{"type":"clerk.token","token":"…"}`.
#[derive(Deserialize)]
struct TokenMessage<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<&'a str>,
    #[serde(default)]
    token: Option<serde_json::Value>,
}

impl Socket {
    /// The current auth object: the upgrade's, then that of the last fresh
    /// token.
    #[must_use]
    pub fn auth(&self) -> &Auth {
        &self.auth
    }

    /// The user's id (`sub`); it never changes for the socket.
    #[must_use]
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The session's id (`sid`); it never changes for the socket.
    #[must_use]
    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// Time until the current token's `exp` (zero once passed); the socket
    /// closes [`clock_skew`](Config::clock_skew) later. Whole seconds of it
    /// are what the crate's `expiresIn` fields say.
    #[must_use]
    pub fn expires_in(&self) -> Duration {
        let now = self.clerk.config().clock.now_millis();
        Duration::from_millis(u64::try_from(self.exp_ms.saturating_sub(now)).unwrap_or(0))
    }

    /// When the socket closes with 4401 unless a fresh token arrives.
    #[must_use]
    pub fn deadline(&self) -> std::time::Instant {
        self.deadline.deadline().into_std()
    }

    /// A handle to send from other tasks. The deadline is enforced by the
    /// task reading this socket: once it closes the socket, clones get
    /// [`Closed`].
    #[must_use]
    pub fn session(&self) -> Session {
        self.session.clone()
    }

    /// The next message of the app: text (but the crate's `clerk.token`
    /// messages), binary, or pong. `None` once the socket is closed, by the
    /// client, the deadline, a bad message or an error; the close was sent.
    ///
    /// Cancel-safe: a message is never lost when the future is dropped.
    pub async fn recv(&mut self) -> Option<AggregatedMessage> {
        poll_fn(|cx| self.poll_message(cx)).await
    }

    /// Sends a text message; after the deadline, closes the socket with
    /// 4401 instead.
    ///
    /// # Errors
    ///
    /// [`Closed`] once the socket is closed.
    pub async fn text(&mut self, text: impl Into<ByteString>) -> Result<(), Closed> {
        self.send(Message::Text(text.into())).await
    }

    /// Sends a binary message; after the deadline, closes the socket with
    /// 4401 instead.
    ///
    /// # Errors
    ///
    /// [`Closed`] once the socket is closed.
    pub async fn binary(&mut self, bytes: impl Into<Bytes>) -> Result<(), Closed> {
        self.send(Message::Binary(bytes.into())).await
    }

    /// Closes the socket.
    ///
    /// # Errors
    ///
    /// [`Closed`] when it was closed already.
    pub async fn close(mut self, reason: Option<CloseReason>) -> Result<(), Closed> {
        match self.state {
            State::Ended => return Err(Closed),
            // The crate's close (4401, 1008, …) is queued: it goes instead.
            State::Closing => {}
            State::Open => {
                self.outbox.push_back(Message::Close(reason));
                self.state = State::Closing;
            }
        }
        poll_fn(|cx| self.poll_outbox(cx)).await?;
        self.state = State::Ended;
        Ok(())
    }

    async fn send(&mut self, message: Message) -> Result<(), Closed> {
        if self.state == State::Open && Instant::now() >= self.deadline.deadline() {
            self.expire();
        }
        match self.state {
            State::Open => self.outbox.push_back(message),
            // Send the close; the message is dropped.
            State::Closing => {}
            State::Ended => return Err(Closed),
        }
        poll_fn(|cx| self.poll_outbox(cx)).await?;
        if self.state == State::Closing {
            self.state = State::Ended;
            return Err(Closed);
        }
        Ok(())
    }

    /// Sends what is queued. `Err` (and the socket ended) when the
    /// connection is gone.
    fn poll_outbox(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Closed>> {
        while !self.outbox.is_empty() {
            let sent = match Pin::new(&mut self.session).poll_ready(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(())) => match self.outbox.pop_front() {
                    Some(message) => Pin::new(&mut self.session).start_send(message),
                    None => Ok(()),
                },
                Poll::Ready(Err(closed)) => Err(closed),
            };
            if let Err(closed) = sent {
                self.outbox.clear();
                self.state = State::Ended;
                return Poll::Ready(Err(closed));
            }
        }
        Poll::Ready(Ok(()))
    }

    fn poll_message(&mut self, cx: &mut Context<'_>) -> Poll<Option<AggregatedMessage>> {
        loop {
            if self.state == State::Ended {
                return Poll::Ready(None);
            }
            if std::task::ready!(self.poll_outbox(cx)).is_err() {
                return Poll::Ready(None);
            }
            if self.state == State::Closing {
                self.state = State::Ended;
                return Poll::Ready(None);
            }
            // A token sent in time is answered even if checking it takes
            // past the deadline (a key fetch).
            if let Some(refresh) = self.refresh.as_mut() {
                let verified = std::task::ready!(refresh.as_mut().poll(cx));
                self.refresh = None;
                self.refreshed(verified);
                continue;
            }
            if self.deadline.as_mut().poll(cx).is_ready() {
                self.expire();
                continue;
            }
            let message = match std::task::ready!(Pin::new(&mut self.stream).poll_next(cx)) {
                None => {
                    self.state = State::Ended;
                    return Poll::Ready(None);
                }
                Some(Err(err)) => {
                    self.protocol_error(&err);
                    continue;
                }
                Some(Ok(message)) => message,
            };
            if let Some(message) = self.message(message) {
                return Poll::Ready(Some(message));
            }
        }
    }

    /// What becomes of a frame: the app's message, or `None` when the crate
    /// took it (a token, a ping, a close, a fragment).
    fn message(&mut self, message: Message) -> Option<AggregatedMessage> {
        match message {
            Message::Text(text) => {
                if !self.token_message(&text) {
                    return Some(AggregatedMessage::Text(text));
                }
            }
            Message::Binary(bytes) => return Some(AggregatedMessage::Binary(bytes)),
            Message::Continuation(item) => return self.fragment(item),
            Message::Ping(bytes) => self.outbox.push_back(Message::Pong(bytes)),
            Message::Pong(bytes) => return Some(AggregatedMessage::Pong(bytes)),
            Message::Close(reason) => {
                // The code only: the description is the client's text.
                let code = reason.as_ref().map(|r| u16::from(r.code));
                log::debug!(target: "clerk_actix::ws", "closed by the client: {code:?}");
                // Echo the code, as RFC 6455 asks.
                let echo = reason.map(|r| CloseReason::from(r.code));
                self.outbox.push_back(Message::Close(echo));
                self.state = State::Closing;
            }
            Message::Nop => {}
        }
        None
    }

    /// Takes a `clerk.token` message (and starts verifying its token);
    /// `false` for the app's messages.
    fn token_message(&mut self, text: &str) -> bool {
        // Cheap test first: most messages are the app's.
        if memchr::memmem::find(text.as_bytes(), b"clerk.token").is_none() {
            return false;
        }
        let Ok(message) = serde_json::from_str::<TokenMessage<'_>>(text) else {
            return false;
        };
        if message.kind != Some("clerk.token") {
            return false;
        }
        let Some(serde_json::Value::String(token)) = message.token else {
            log::debug!(
                target: "clerk_actix::ws",
                "ignored a clerk.token message without a string token"
            );
            return true;
        };
        let clerk = self.clerk.clone();
        let options = self.options.clone();
        self.refresh = Some(Box::pin(async move {
            clerk
                .verify(token.as_bytes(), &options, Accepts::SessionToken)
                .await
        }));
        true
    }

    /// The outcome of a fresh token.
    fn refreshed(&mut self, verified: Result<Principal, Refusal>) {
        let claims = match verified {
            Ok(Principal::Session(claims)) => claims,
            Err(Refusal::Invalid { error: err, .. }) if err.is_server_fault() => {
                log::error!(
                    target: "clerk_actix::ws",
                    "cannot verify a socket's fresh token: {err}"
                );
                self.outbox.push_back(Message::Text(ByteString::from_static(
                    r#"{"type":"clerk.token","ok":false,"error":"unavailable"}"#,
                )));
                return;
            }
            refused => {
                let reason = match &refused {
                    Err(Refusal::Invalid { error, .. }) => error.reason().as_str(),
                    _ => "token-type-mismatch",
                };
                log::debug!(target: "clerk_actix::ws", "fresh token refused: {reason}");
                self.queue_close(CloseCode::Policy, "session-token-invalid");
                return;
            }
        };
        if claims.user_id() != &*self.user_id || claims.session_id() != Some(&*self.session_id) {
            log::debug!(
                target: "clerk_actix::ws",
                "fresh token of another user or session"
            );
            self.queue_close(CloseCode::Policy, "session-mismatch");
            return;
        }
        let auth =
            Auth::from_claims(claims.clone()).treat_pending_as_signed_out(!self.pending_signed_in);
        if !auth.is_authenticated() {
            log::debug!(target: "clerk_actix::ws", "fresh token of a pending session");
            self.queue_close(CloseCode::Policy, "session-pending");
            return;
        }
        self.exp_ms = exp_millis(&claims);
        self.auth = auth;
        self.set_deadline();
        let answer = format!(
            r#"{{"type":"clerk.token","ok":true,"expiresIn":{}}}"#,
            self.expires_in().as_secs()
        );
        self.outbox.push_back(Message::Text(answer.into()));
    }

    /// One fragment of a message; the whole message once the last arrives.
    fn fragment(&mut self, item: actix_ws::Item) -> Option<AggregatedMessage> {
        use actix_ws::Item;
        let (first, bytes, last) = match item {
            Item::FirstText(bytes) => (Some(true), bytes, false),
            Item::FirstBinary(bytes) => (Some(false), bytes, false),
            Item::Continue(bytes) => (None, bytes, false),
            Item::Last(bytes) => (None, bytes, true),
        };
        if let Some(text) = first {
            self.fragments = Some(Fragments {
                text,
                bytes: BytesMut::new(),
            });
        }
        let Some(fragments) = self.fragments.as_mut() else {
            // The codec refuses a continuation without a first frame.
            self.queue_close(CloseCode::Protocol, "protocol-error");
            return None;
        };
        if fragments.bytes.len() + bytes.len() > self.max_message_size {
            self.fragments = None;
            self.queue_close(CloseCode::Size, "message-too-large");
            return None;
        }
        fragments.bytes.extend_from_slice(&bytes);
        if !last {
            return None;
        }
        let Fragments { text, bytes } = self.fragments.take()?;
        let bytes = bytes.freeze();
        if !text {
            return Some(AggregatedMessage::Binary(bytes));
        }
        match ByteString::try_from(bytes) {
            Ok(text) if self.token_message(&text) => None,
            Ok(text) => Some(AggregatedMessage::Text(text)),
            Err(_) => {
                self.queue_close(CloseCode::Invalid, "invalid-utf8");
                None
            }
        }
    }

    fn protocol_error(&mut self, err: &ProtocolError) {
        log::debug!(target: "clerk_actix::ws", "protocol error: {err}");
        match err {
            ProtocolError::Overflow => self.queue_close(CloseCode::Size, "message-too-large"),
            ProtocolError::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
                self.queue_close(CloseCode::Invalid, "invalid-utf8");
            }
            ProtocolError::Io(_) if self.oversize.get() => {
                self.queue_close(CloseCode::Size, "message-too-large");
            }
            // The connection is gone: nothing to send a close on.
            ProtocolError::Io(_) => self.state = State::Ended,
            _ => self.queue_close(CloseCode::Protocol, "protocol-error"),
        }
    }

    fn expire(&mut self) {
        log::debug!(target: "clerk_actix::ws", "session token expired");
        self.queue_close(CloseCode::Other(SESSION_EXPIRED), "session-token-expired");
    }

    /// Queues a close with `code` and `reason`; the socket ends once it is sent.
    fn queue_close(&mut self, code: CloseCode, reason: &str) {
        self.outbox.push_back(Message::Close(Some(CloseReason {
            code,
            description: Some(reason.to_owned()),
        })));
        self.state = State::Closing;
    }

    /// The deadline from `exp_ms`, the skew and the clerk's clock.
    fn set_deadline(&mut self) {
        let now = self.clerk.config().clock.now_millis();
        let skew = i64::try_from(self.skew.as_millis()).unwrap_or(i64::MAX);
        let left = self.exp_ms.saturating_add(skew).saturating_sub(now);
        let left = Duration::from_millis(u64::try_from(left).unwrap_or(0));
        self.deadline.as_mut().reset(Instant::now() + left);
    }
}

impl Stream for Socket {
    type Item = AggregatedMessage;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_message(cx)
    }
}

/// The token's `exp` in milliseconds; verification required it, so a
/// missing one (which cannot come) reads as expired.
fn exp_millis(claims: &SessionClaims) -> i64 {
    #[derive(Deserialize)]
    struct Exp {
        exp: Option<f64>,
    }
    serde_json::from_str::<Exp>(claims.as_json())
        .ok()
        .and_then(|e| e.exp)
        .map_or(0, |exp| (exp * 1000.0) as i64)
}
