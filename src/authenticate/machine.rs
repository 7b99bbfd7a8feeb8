//! Dispatch by `acceptsToken` (spec §2.4): which path a request takes, and
//! what a machine token's failure means for it.
//!
//! * session token (the default): the header path of [`super::authenticate`];
//! * a list: a header token of a kind not listed (no token counts as a
//!   session token) → signed out, `token-type-mismatch`, `tokenType: null`;
//!   otherwise as "any";
//! * "any": an opaque machine token → the Backend API; a JWT → the pipeline,
//!   which routes machine JWTs to the machine rules and refuses other
//!   categories (`token-type-mismatch`); no header token → the cookie path;
//! * one machine kind: no header token → signed out, `No token in header`; a
//!   token of another kind → `token-type-mismatch` with the requested type;
//!   else the machine verification.
//!
//! A machine token that does not verify signs the request out with Clerk's
//! machine code and `<message> (code=<code>, status=<status>)`. Unlike Clerk,
//! a Backend API outage (5xx, 429, no answer) is an outage:
//! [`Outcome::Unavailable`], a 503, logged with `log::error!`.

use std::borrow::Cow;

use super::{cookie_path, header, header_token_refused, Header, Outcome, RequestHead};
use crate::clerk::{Accepts, Clerk, Failure, Rejection};
use crate::verification::auth::SignedOut;
use crate::verification::error::{Reason, VerifyError};
use crate::verification::machine::{self, AcceptsToken};
use crate::verification::options::VerifyOptions;
use crate::verification::token_type::TokenType;

/// Authenticates one request, taking the tokens `accepts` names.
pub(crate) async fn authenticate_accepting(
    clerk: &Clerk,
    parts: &dyn RequestHead,
    options: &VerifyOptions,
    accepts: AcceptsToken,
) -> Outcome {
    let token = parts
        .header(Header::Authorization)
        .and_then(header::token_in_header)
        .or_else(|| super::subprotocol::upgrade_token(parts));
    let max_bytes = clerk.config().max_token_bytes;
    match accepts {
        AcceptsToken::One(TokenType::SessionToken) => {
            super::authenticate(clerk, parts, options).await
        }
        AcceptsToken::One(kind) => match token {
            None => signed_out(
                Some(kind),
                Cow::Borrowed("No token in header"),
                String::new(),
                false,
            ),
            Some(token) if machine::token_kind(token, max_bytes) != kind => {
                type_mismatch(Some(kind))
            }
            Some(token) => match clerk.verify_machine(token, options).await {
                Ok(verified) => Outcome::Machine(verified),
                Err((kind, err)) => machine_failure(kind, err),
            },
        },
        AcceptsToken::List(kinds) => {
            let kind = token.map_or(TokenType::SessionToken, |t| {
                machine::token_kind(t, max_bytes)
            });
            if !kinds.contains(kind) {
                return type_mismatch(None);
            }
            match token {
                None => cookie_path::authenticate(clerk, parts, options).await,
                Some(token) => any_path(clerk, parts, token, options).await,
            }
        }
        AcceptsToken::Any => match token {
            None => cookie_path::authenticate(clerk, parts, options).await,
            Some(token) => any_path(clerk, parts, token, options).await,
        },
    }
}

/// A header token on the "any" path (§2.4a).
async fn any_path(
    clerk: &Clerk,
    parts: &dyn RequestHead,
    token: &[u8],
    options: &VerifyOptions,
) -> Outcome {
    if let Some(kind) = machine::opaque_kind(token) {
        return match clerk.verify_opaque(token, kind, options).await {
            Ok(verified) => Outcome::Machine(verified),
            Err(err) => machine_failure(kind, err),
        };
    }
    match clerk.verify_jwt(token, options, Accepts::Any).await {
        Ok((None, claims)) => Outcome::SignedIn(claims),
        Ok((Some(kind), claims)) => match crate::clerk::machine_from_jwt(kind, &claims, options) {
            Ok(verified) => Outcome::Machine(verified),
            Err((kind, err)) => machine_failure(kind, err),
        },
        Err(Failure {
            machine: Some(kind),
            rejection: Rejection::Invalid(err),
        }) => machine_failure(kind, err),
        Err(Failure { rejection, .. }) => {
            header_token_refused(clerk, parts, options, token, rejection).await
        }
    }
}

fn signed_out(
    token_type: Option<TokenType>,
    reason: Cow<'static, str>,
    message: String,
    token_presented: bool,
) -> Outcome {
    Outcome::SignedOutAs(
        token_type,
        SignedOut {
            reason: Some(reason),
            message: Some(message),
            token_presented,
        },
    )
}

fn type_mismatch(token_type: Option<TokenType>) -> Outcome {
    signed_out(
        token_type,
        Cow::Borrowed("token-type-mismatch"),
        String::new(),
        true,
    )
}

/// A machine token of `kind` that did not verify.
fn machine_failure(kind: TokenType, err: VerifyError) -> Outcome {
    if machine::is_outage(&err) {
        // The middleware logs outages with `log::error!`.
        return Outcome::Unavailable(err);
    }
    if err.reason() == Reason::SecretKeyInvalid {
        log::error!(
            target: "clerk_actix::middleware",
            "the Backend API rejected the secret key while verifying a {kind}: {}",
            err.message()
        );
    }
    signed_out(
        Some(kind),
        Cow::Borrowed(err.reason().as_str()),
        machine::full_message(&err),
        true,
    )
}
