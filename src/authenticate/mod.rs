//! Authenticating one request, framework-neutral: where the token comes from,
//! what a failure means (signed out, handshake, outage), and the headers Clerk
//! puts on the answer.
//!
//! This is Clerk's `authenticateRequest` (spec §2.1–2.8):
//!
//! * [`header`]: the token in `Authorization`;
//! * [`subprotocol`]: or, on a WebSocket upgrade, in `Sec-WebSocket-Protocol`;
//! * [`cookie_path`]: requests without one, from a browser's cookies;
//! * [`cookies`]: the cookies and query parameters the browser path reads;
//! * [`resolve`]: the browser's return from a handshake;
//! * [`refresh`]: refreshing an expired cookie session at the Backend API;
//! * [`outcome`]: what a failed token means (signed out, or a handshake);
//! * [`handshake`]: the handshake redirect, as data;
//! * [`url`]: the public URL and query parameters.

pub(crate) mod cookie_path;
pub(crate) mod cookies;
pub(crate) mod handshake;
pub(crate) mod header;
pub(crate) mod machine;
pub(crate) mod outcome;
pub(crate) mod refresh;
pub(crate) mod resolve;
pub(crate) mod subprotocol;
pub(crate) mod url;

use std::borrow::Cow;

use self::cookies::BrowserRequest;
use self::handshake::Handshake;
use self::outcome::{session_token_error, type_mismatch, Carrier};
use crate::clerk::{Accepts, Clerk, Rejection};
use crate::verification::auth::SignedOut;
use crate::verification::claims::SessionClaims;
use crate::verification::error::VerifyError;
use crate::verification::machine::MachineToken;
use crate::verification::options::VerifyOptions;
use crate::verification::token_type::TokenType;

/// The request headers authentication may look at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Header {
    Authorization,
    SecFetchDest,
    Accept,
    Cookie,
    Host,
    ForwardedHost,
    ForwardedProto,
    Referer,
    Upgrade,
    SecWebSocketProtocol,
}

/// What authentication reads from a request, fetched only when needed: a
/// signed-in bearer request reads the `Authorization` header and nothing else.
pub(crate) trait RequestHead {
    fn method(&self) -> &str;
    fn header(&self, name: Header) -> Option<&[u8]>;
    /// `http` or `https`, as the connection was made.
    fn scheme(&self) -> &str;
    /// Path and query as received, e.g. `/path?x=1`.
    fn path_and_query(&self) -> &str;
    /// Calls `f` with every header (lower-case name, value); repeated
    /// headers once each. Only a session refresh reads them all (Clerk
    /// forwards them to the Backend API).
    fn for_each_header(&self, f: &mut dyn FnMut(&str, &[u8])) {
        let _ = f;
    }
}

/// The outcome for one request.
pub(crate) enum Outcome {
    SignedIn(SessionClaims),
    SignedOut(SignedOut),
    /// A browser navigation that Clerk would send through a handshake
    /// redirect to refresh its session.
    Handshake(Handshake),
    /// The keys could not be loaded: the server's problem, not the user's.
    Unavailable(VerifyError),
    /// A machine token verified (§4).
    Machine(MachineToken),
    /// Signed out with a token type other than the session's: a machine
    /// token that did not verify, or (`None`) Clerk's invalid-token state.
    SignedOutAs(Option<TokenType>, SignedOut),
    /// A signed-in or signed-out outcome whose answer carries headers of
    /// the browser path: the cookies of a session refresh or of a resolved
    /// handshake and, on development instances, a redirect back to the page.
    WithHeaders(Box<Outcome>, BrowserHeaders),
    /// A configuration problem Clerk answers with a 500 (it throws): a
    /// handshake token that does not verify on a development instance. The
    /// message is for the log, not for the client.
    Misconfigured(String),
}

impl Outcome {
    /// The outcome, and the browser headers its answer carries, if any.
    pub(crate) fn split_headers(self) -> (Outcome, Option<BrowserHeaders>) {
        match self {
            Outcome::WithHeaders(inner, headers) => (*inner, Some(headers)),
            other => (other, None),
        }
    }
}

/// Headers the browser path adds to an answer, as data.
#[derive(Default)]
pub(crate) struct BrowserHeaders {
    /// One `Set-Cookie` header each.
    pub(crate) set_cookies: Vec<String>,
    /// Development handshake resolution: the page again, without the
    /// handshake parameters. The answer is then a 307 with
    /// `Cache-Control: no-store`, and the app is not called.
    pub(crate) location: Option<String>,
    /// `Access-Control-Allow-Origin: null` and
    /// `Access-Control-Allow-Credentials: true`, as Clerk sends on a
    /// resolved handshake.
    pub(crate) handshake_cors: bool,
}

impl std::fmt::Debug for BrowserHeaders {
    /// Cookie names only: the values are session tokens (Clerk's 3.6.0
    /// redacts tokens from debug output too).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self
            .set_cookies
            .iter()
            .map(|c| c.split(['=', ';']).next().unwrap_or_default())
            .collect();
        f.debug_struct("BrowserHeaders")
            .field("set_cookies", &names)
            .field("location", &self.location.is_some())
            .field("handshake_cors", &self.handshake_cors)
            .finish()
    }
}

impl BrowserHeaders {
    /// The answer's status when it redirects: 307.
    pub(crate) const REDIRECT_STATUS: u16 = 307;

    /// Every header, in order: `Location` and `Cache-Control` when
    /// redirecting, the CORS pair, then the cookies.
    pub(crate) fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let location = self
            .location
            .as_deref()
            .into_iter()
            .flat_map(|location| [("location", location), ("cache-control", "no-store")]);
        let cors = self.handshake_cors.then_some([
            ("access-control-allow-origin", "null"),
            ("access-control-allow-credentials", "true"),
        ]);
        location
            .chain(cors.into_iter().flatten())
            .chain(self.set_cookies.iter().map(|c| ("set-cookie", c.as_str())))
    }
}

/// `x-clerk-auth-status`, `-reason` and `-message` for a request that is not
/// signed in (`status` is `signed-out` or `handshake`). Empty values are left
/// out, as Clerk does.
pub(crate) fn auth_headers<'a>(
    status: &'static str,
    out: &'a SignedOut,
) -> impl Iterator<Item = (&'static str, &'a str)> {
    let reason = out.reason.as_deref().filter(|r| !r.is_empty());
    let message = out.message.as_deref().filter(|m| !m.is_empty());
    [
        Some(("x-clerk-auth-status", status)),
        reason.map(|r| ("x-clerk-auth-reason", r)),
        message.map(|m| ("x-clerk-auth-message", m)),
    ]
    .into_iter()
    .flatten()
}

/// Authenticates one request.
pub(crate) async fn authenticate(
    clerk: &Clerk,
    parts: &dyn RequestHead,
    options: &VerifyOptions,
) -> Outcome {
    let Some(token) = parts
        .header(Header::Authorization)
        .and_then(header::token_in_header)
        .or_else(|| subprotocol::upgrade_token(parts))
    else {
        return cookie_path::authenticate(clerk, parts, options).await;
    };
    match clerk.verify(token, options, Accepts::SessionToken).await {
        Ok(claims) => Outcome::SignedIn(claims),
        Err(rejection) => header_token_refused(clerk, parts, options, token, rejection).await,
    }
}

/// What a refused session token from the `Authorization` header means.
pub(crate) async fn header_token_refused(
    clerk: &Clerk,
    parts: &dyn RequestHead,
    options: &VerifyOptions,
    token: &[u8],
    rejection: Rejection,
) -> Outcome {
    match rejection {
        Rejection::WrongKind => type_mismatch(),
        Rejection::Invalid(err) if err.reason().is_server_fault() => Outcome::Unavailable(err),
        Rejection::Invalid(err) => {
            // Only a token that decoded gets here, so it is text.
            let token = std::str::from_utf8(token).unwrap_or_default();
            let browser = BrowserRequest::new(clerk, parts);
            // Boxed, like the cookie path: rare, and kept out of the bearer
            // path's future.
            Box::pin(session_token_error(
                &browser,
                options,
                token,
                &err,
                Carrier::Header,
            ))
            .await
        }
    }
}

/// Signed out with `reason` and an empty message.
pub(crate) fn signed_out(reason: &'static str, token_presented: bool) -> Outcome {
    Outcome::SignedOut(SignedOut {
        reason: Some(Cow::Borrowed(reason)),
        message: Some(String::new()),
        token_presented,
    })
}
