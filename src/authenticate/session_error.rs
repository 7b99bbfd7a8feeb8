//! What a session token that did not verify means for the request: Clerk's
//! `handleSessionTokenError`.

use std::borrow::Cow;

use super::browser::BrowserRequest;
use super::handshake::handshake_or_signed_out;
use super::outcome::{full_message, signed_out_for, BrowserHeaders, Carrier, Decision, Outcome};
use super::refresh::{self, Refreshed};
use crate::verification::error::{Reason, VerifyError};
use crate::verification::options::VerifyOptions;

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
) -> Decision {
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
                        return Decision::App(
                            Outcome::SignedIn(claims),
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
        _ => return signed_out_for(err, carrier).into(),
    };
    let fallback = matches!(carrier, Carrier::Header).then_some(token);
    handshake_or_signed_out(req, reason, full_message(err, carrier), fallback)
}
