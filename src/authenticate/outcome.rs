//! What a failed token means for the request (Clerk's
//! `handleSessionTokenError`).

use std::borrow::Cow;

use super::cookies::BrowserRequest;
use super::handshake::handshake_or_signed_out;
use super::refresh::{self, Refreshed};
use super::{BrowserHeaders, Outcome};
use crate::verification::auth::SignedOut;
use crate::verification::error::{Reason, VerifyError};
use crate::verification::options::VerifyOptions;

/// Where a token came from, as Clerk's messages name it.
#[derive(Clone, Copy)]
pub(crate) enum Carrier {
    Header,
    Cookie,
}

impl Carrier {
    fn as_str(self) -> &'static str {
        match self {
            Carrier::Header => "header",
            Carrier::Cookie => "cookie",
        }
    }
}

/// `<message> (reason=<code>, token-carrier=<carrier>)`, Clerk's form.
pub(crate) fn full_message(err: &VerifyError, carrier: Carrier) -> String {
    format!(
        "{} (reason={}, token-carrier={})",
        err.message_with_action(),
        err.reason(),
        carrier.as_str()
    )
}

pub(crate) fn signed_out_for(err: &VerifyError, carrier: Carrier) -> Outcome {
    Outcome::SignedOut(SignedOut {
        reason: Some(Cow::Borrowed(err.reason().as_str())),
        message: Some(full_message(err, carrier)),
        token_presented: true,
    })
}

/// A Clerk token of a kind this path does not take.
pub(crate) fn type_mismatch() -> Outcome {
    Outcome::SignedOut(SignedOut {
        reason: Some(Cow::Borrowed("token-type-mismatch")),
        message: Some(String::new()),
        token_presented: true,
    })
}

/// Clerk's `handleSessionTokenError`: an expired token is refreshed when a
/// GET carries the refresh cookie; time-claim failures may go through a
/// handshake; everything else signs the request out.
///
/// `token` is the token that failed (the header's, or the cookie's).
pub(crate) async fn session_token_error(
    req: &BrowserRequest<'_>,
    options: &VerifyOptions,
    token: &str,
    err: &VerifyError,
    carrier: Carrier,
) -> Outcome {
    let reason: Cow<'static, str> = match err.reason() {
        Reason::TokenExpired => {
            let label = if req.parts.method() != "GET" {
                Cow::Borrowed("non-eligible-non-get")
            } else if req.cookies.refresh.is_none() {
                Cow::Borrowed("non-eligible-no-refresh-cookie")
            } else {
                // The session token Clerk refreshes: the cookie's, else the header's.
                let expired = req.session_cookie().unwrap_or(token);
                match refresh::refresh(req, options, expired).await {
                    Refreshed::SignedIn {
                        claims,
                        set_cookies,
                    } => {
                        return Outcome::WithHeaders(
                            Box::new(Outcome::SignedIn(claims)),
                            BrowserHeaders {
                                set_cookies,
                                ..BrowserHeaders::default()
                            },
                        );
                    }
                    Refreshed::Failed(label) => label,
                }
            };
            Cow::Owned(format!("session-token-expired-refresh-{label}"))
        }
        Reason::TokenNotActiveYet => Cow::Borrowed("session-token-nbf"),
        Reason::TokenIatInTheFuture => Cow::Borrowed("session-token-iat-in-the-future"),
        _ => return signed_out_for(err, carrier),
    };
    let fallback = matches!(carrier, Carrier::Header).then_some(token);
    handshake_or_signed_out(req, reason, full_message(err, carrier), fallback)
}
