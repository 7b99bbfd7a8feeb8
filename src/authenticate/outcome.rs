//! What a failed token means for the request (Clerk's
//! `handleSessionTokenError`).

use std::borrow::Cow;

use super::handshake::handshake_or_signed_out;
use super::{Outcome, RequestHead};
use crate::clerk::Clerk;
use crate::verification::auth::SignedOut;
use crate::verification::error::{Reason, VerifyError};

/// Where a token came from, as Clerk's messages name it.
#[derive(Clone, Copy)]
pub(crate) enum Carrier {
    Header,
}

impl Carrier {
    fn as_str(self) -> &'static str {
        match self {
            Carrier::Header => "header",
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

/// Clerk's `handleSessionTokenError`: time-claim failures may go through a
/// handshake; everything else signs the request out.
pub(crate) fn session_token_error(
    clerk: &Clerk,
    parts: &dyn RequestHead,
    token: &[u8],
    err: &VerifyError,
    carrier: Carrier,
) -> Outcome {
    let reason: Cow<'static, str> = match err.reason() {
        Reason::TokenExpired => {
            // Refreshing needs the `__refresh_<suffix>` cookie of the cookie path.
            let label = if parts.method() == "GET" {
                "non-eligible-no-refresh-cookie"
            } else {
                "non-eligible-non-get"
            };
            Cow::Owned(format!("session-token-expired-refresh-{label}"))
        }
        Reason::TokenNotActiveYet => Cow::Borrowed("session-token-nbf"),
        Reason::TokenIatInTheFuture => Cow::Borrowed("session-token-iat-in-the-future"),
        _ => return signed_out_for(err, carrier),
    };
    // Only a token that decoded gets here, so it is text.
    let token = std::str::from_utf8(token).ok();
    handshake_or_signed_out(clerk, parts, reason, full_message(err, carrier), token)
}
