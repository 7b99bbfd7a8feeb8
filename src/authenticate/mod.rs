//! Authenticating one request, framework-neutral: where the token comes from,
//! what a failure means (signed out, handshake, outage), and the headers Clerk
//! puts on the answer.
//!
//! This is the header path of Clerk's `authenticateRequest` (spec §2.4–2.5,
//! §2.7–2.8):
//!
//! * [`header`]: the token in `Authorization`;
//! * [`outcome`]: what a failed token means (signed out, or a handshake);
//! * [`handshake`]: the handshake redirect, as data;
//! * [`url`]: the public URL, query parameters and cookies.
//!
//! Requests without a token in the `Authorization` header take the cookie
//! path, which for now answers "signed out" (`session-token-and-uat-missing`,
//! what Clerk answers for a request without cookies); browser sessions
//! through cookies plug in at [`cookie_path`].

pub(crate) mod handshake;
pub(crate) mod header;
pub(crate) mod machine;
pub(crate) mod outcome;
pub(crate) mod url;

use std::borrow::Cow;

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
    else {
        return cookie_path(clerk, parts);
    };
    match clerk.verify(token, options, Accepts::SessionToken).await {
        Ok(claims) => Outcome::SignedIn(claims),
        Err(rejection) => header_token_refused(clerk, parts, token, rejection),
    }
}

/// What a refused session token from the `Authorization` header means.
pub(crate) fn header_token_refused(
    clerk: &Clerk,
    parts: &dyn RequestHead,
    token: &[u8],
    rejection: Rejection,
) -> Outcome {
    match rejection {
        Rejection::WrongKind => type_mismatch(),
        Rejection::Invalid(err) if err.reason().is_server_fault() => Outcome::Unavailable(err),
        Rejection::Invalid(err) => session_token_error(clerk, parts, token, &err, Carrier::Header),
    }
}

/// No token in the `Authorization` header.
pub(crate) fn cookie_path(_clerk: &Clerk, _parts: &dyn RequestHead) -> Outcome {
    Outcome::SignedOut(SignedOut {
        reason: Some(Cow::Borrowed("session-token-and-uat-missing")),
        message: Some(String::new()),
        token_presented: false,
    })
}
