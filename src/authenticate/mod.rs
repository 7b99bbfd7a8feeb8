//! Authenticating one request, framework-neutral: where the token comes from,
//! what a failure means (signed out, handshake, outage), and the headers Clerk
//! puts on the answer. This is Clerk's `authenticateRequest` (spec §2.1–2.8);
//! [`authenticate`] is the one entry, which the middleware calls.
//!
//! Vocabulary (leaves, which import no sibling but the cookies' names):
//!
//! * [`head`]: what is read of a request ([`head::RequestHead`]);
//! * [`outcome`]: what is decided ([`outcome::Decision`], [`outcome::Outcome`]);
//! * [`header`]: the token in `Authorization`;
//! * [`subprotocol`]: or, on a WebSocket upgrade, in `Sec-WebSocket-Protocol`;
//! * [`cookies`]: the `Cookie` header and the cookie-set rules;
//! * [`url`]: the public URL and query parameters.
//!
//! Paths:
//!
//! * [`cookie_path`]: requests without a header token, from a browser's
//!   cookies, on [`browser`]'s view of the request;
//! * [`resolve`]: the browser's return from a handshake;
//! * [`refresh`]: refreshing an expired cookie session at the Backend API;
//! * [`session_error`]: what a session token that did not verify means;
//! * [`handshake`]: whether and where a request is sent through a handshake.
//!
//! Dispatch by `acceptsToken` (spec §2.4), here:
//!
//! * session tokens (`One(SessionToken)`): a header token through the
//!   pipeline, else the cookie path;
//! * a list: a header token of a kind not listed (no token counts as a
//!   session token) → signed out, `token-type-mismatch`, `tokenType: null`;
//!   otherwise as "any";
//! * "any": a header token through the pipeline, which sends opaque machine
//!   tokens to the Backend API, machine JWTs to the machine rules, and refuses
//!   other categories (`token-type-mismatch`); no header token → the cookie
//!   path;
//! * one machine kind: no header token → signed out, `No token in header`; a
//!   token of another kind → `token-type-mismatch` with the requested type;
//!   else the machine verification.
//!
//! A machine token that does not verify signs the request out with Clerk's
//! machine code and `<message> (code=<code>, status=<status>)`. Unlike Clerk,
//! a Backend API outage (5xx, 429, no answer) is an outage:
//! [`outcome::Outcome::Unavailable`], a 503, logged with `log::error!`.

pub(crate) mod browser;
pub(crate) mod cookie_path;
pub(crate) mod cookies;
pub(crate) mod handshake;
pub(crate) mod head;
pub(crate) mod header;
pub(crate) mod multi_domain;
pub(crate) mod outcome;
pub(crate) mod refresh;
pub(crate) mod resolve;
pub(crate) mod session_error;
pub(crate) mod subprotocol;
pub(crate) mod url;

use std::borrow::Cow;

use self::browser::BrowserRequest;
use self::head::{Header, RequestHead};
use self::outcome::{Carrier, Decision, Outcome, SESSION};
use self::session_error::session_token_error;
use crate::clerk::{Accepts, Clerk, Principal, Refusal};
use crate::verification::accepts::AcceptsToken;
use crate::verification::options::VerifyOptions;
use crate::verification::token_type::TokenType;

/// Authenticates one request, taking the tokens `accepts` names.
pub(crate) async fn authenticate(
    clerk: &Clerk,
    parts: &dyn RequestHead,
    options: &VerifyOptions,
    accepts: AcceptsToken,
) -> Decision {
    let token = parts
        .header(Header::Authorization)
        .and_then(header::token_in_header)
        .or_else(|| subprotocol::upgrade_token(parts));
    let Some(token) = token else {
        return match accepts {
            AcceptsToken::One(kind) if kind != TokenType::SessionToken => Outcome::signed_out(
                Some(kind),
                Cow::Borrowed("No token in header"),
                String::new(),
                false,
            )
            .into(),
            AcceptsToken::List(kinds) if !kinds.contains(TokenType::SessionToken) => {
                Outcome::type_mismatch(None).into()
            }
            // Boxed: the cookie path's future is three times the bearer
            // path's, and the middleware's future (allocated per request)
            // should stay small for bearer tokens.
            _ => Box::pin(cookie_path::authenticate(clerk, parts, options)).await,
        };
    };
    match clerk
        .verify(token, options, Accepts::request(accepts))
        .await
    {
        Ok(Principal::Session(claims)) => Outcome::SignedIn(claims).into(),
        Ok(Principal::Machine(verified)) => Outcome::Machine(verified).into(),
        Err(Refusal::NotAccepted) => match accepts {
            AcceptsToken::One(kind) => Outcome::type_mismatch(Some(kind)).into(),
            _ => Outcome::type_mismatch(None).into(),
        },
        Err(Refusal::Invalid {
            machine: Some(kind),
            error,
        }) => Outcome::machine_failure(kind, error).into(),
        Err(Refusal::WrongKind) | Ok(Principal::Handshake(_)) => {
            Outcome::type_mismatch(SESSION).into()
        }
        Err(Refusal::Invalid {
            machine: None,
            error,
        }) if error.is_server_fault() => Outcome::Unavailable(error).into(),
        Err(Refusal::Invalid {
            machine: None,
            error,
        }) => {
            // Only a token that decoded gets here, so it is text.
            let token = std::str::from_utf8(token).unwrap_or_default();
            let browser = BrowserRequest::new(clerk, parts);
            // Boxed, like the cookie path: rare, and kept out of the bearer
            // path's future.
            Box::pin(session_token_error(
                &browser,
                options,
                token,
                &error,
                Carrier::Header,
            ))
            .await
        }
    }
}
