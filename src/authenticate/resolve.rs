//! The browser's return from a handshake (§2.6.1): the cookie directives of
//! the Frontend API, from the signed `__clerk_handshake` token or from the
//! Backend API by `__clerk_handshake_nonce`, become `Set-Cookie` headers
//! (one each) on the answer, and the session token among them signs the
//! request in.

use std::borrow::Cow;
use std::time::Duration;

use serde::Deserialize;

use super::browser::BrowserRequest;
use super::cookies::session_in_directives;
use super::outcome::{signed_out, BrowserHeaders, Decision, Outcome};
use super::url::clerk_url_without;
use crate::backend::budget::Spend;
use crate::backend::error::{Class, Error};
use crate::backend::executor::{self, Policy};
use crate::clerk::{Accepts, Principal, Refusal};
use crate::verification::error::{Reason, VerifyError};
use crate::verification::options::VerifyOptions;

/// The query parameters a development handshake leaves on the page URL.
const HANDSHAKE_PARAMS: [&str; 4] = [
    "__clerk_handshake",
    "__clerk_help",
    "__clerk_db_jwt",
    "__clerk_handshake_nonce",
];

/// One day: the clock skew of the development retry.
const DEV_RETRY_SKEW: Duration = Duration::from_secs(86_400);

/// Why a resolution did not give an outcome.
pub(crate) enum Unresolved {
    /// Clerk logs it and goes on with the rest of the cookie path.
    Continue,
    /// The answer is this outcome anyway (an outage).
    Decision(Outcome),
}

#[derive(Deserialize)]
struct HandshakePayload {
    #[serde(default)]
    handshake: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct NoncePayload {
    #[serde(default)]
    directives: Vec<String>,
}

/// Resolves the handshake of `req`, which has a nonce or a handshake token.
pub(crate) async fn resolve(
    req: &BrowserRequest<'_>,
    options: &VerifyOptions,
) -> Result<Decision, Unresolved> {
    let directives = match req.handshake_nonce() {
        Some(nonce) => directives_for_nonce(req, nonce).await?,
        None => match req.handshake_token() {
            Some(token) => directives_of_token(req, token, options).await?,
            None => Vec::new(),
        },
    };
    let session_token = session_in_directives(&directives).map(str::to_owned);
    let headers = BrowserHeaders {
        handshake_cors: true,
        set_cookies: directives,
    };
    let outcome = match session_token.filter(|t| !t.is_empty()) {
        None => signed_out("session-token-missing", false),
        Some(session_token) => {
            Outcome::SignedIn(verify_session(req, options, &session_token).await?)
        }
    };
    if req.is_development() {
        let location = clerk_url_without(req.parts, req.trust_forwarded(), &HANDSHAKE_PARAMS);
        let signed_out = match outcome {
            Outcome::SignedOut(_, out) => Some(out),
            _ => None,
        };
        return Ok(Decision::BackToPage {
            location,
            headers,
            signed_out,
        });
    }
    Ok(Decision::App(outcome, headers))
}

/// The handshake's session token, verified; on a development instance a
/// clock-skew failure is retried with a day of skew, as Clerk does.
async fn verify_session(
    req: &BrowserRequest<'_>,
    options: &VerifyOptions,
    session_token: &str,
) -> Result<crate::verification::claims::SessionClaims, Unresolved> {
    let clerk = req.clerk;
    let verify = |options| clerk.verify(session_token.as_bytes(), options, Accepts::SessionToken);
    match verify(options).await {
        Ok(Principal::Session(claims)) => Ok(claims),
        Err(Refusal::Invalid { error, .. }) if error.is_server_fault() => {
            Err(Unresolved::Decision(Outcome::Unavailable(error)))
        }
        Err(Refusal::Invalid { error, .. })
            if req.is_development()
                && matches!(
                    error.reason(),
                    Reason::TokenExpired | Reason::TokenNotActiveYet | Reason::TokenIatInTheFuture
                ) =>
        {
            log::error!(
                target: "clerk_actix::handshake",
                "Clerk: clock skew detected: the session token of the handshake does not \
                 verify ({error}). Make sure your system clock is in sync (e.g. turn off and on \
                 automatic time synchronization). Retrying with a clock skew of one day, as \
                 development instances allow."
            );
            let lenient = options.clone().clock_skew(DEV_RETRY_SKEW);
            match verify(&lenient).await {
                Ok(Principal::Session(claims)) => Ok(claims),
                retry => {
                    let why = refusal_text(retry.err().as_ref());
                    log::error!(
                        target: "clerk_actix::handshake",
                        "Clerk: unable to resolve handshake: {why}"
                    );
                    req.note_unresolved(why);
                    Err(Unresolved::Continue)
                }
            }
        }
        other => {
            let why = refusal_text(other.err().as_ref());
            log::error!(
                target: "clerk_actix::handshake",
                "Clerk: unable to resolve handshake: {why}"
            );
            req.note_unresolved(why);
            Err(Unresolved::Continue)
        }
    }
}

fn refusal_text(refusal: Option<&Refusal>) -> Cow<'static, str> {
    match refusal {
        Some(Refusal::Invalid { error, .. }) => Cow::Owned(error.to_string()),
        _ => Cow::Borrowed("the handshake's session token is not a session token"),
    }
}

/// The directives of a handshake token, verified with the instance's keys.
async fn directives_of_token(
    req: &BrowserRequest<'_>,
    token: &str,
    options: &VerifyOptions,
) -> Result<Vec<String>, Unresolved> {
    let verified = req
        .clerk
        .verify(token.as_bytes(), options, Accepts::Handshake)
        .await;
    let payload = match verified {
        Ok(Principal::Handshake(payload)) => payload,
        Err(Refusal::Invalid { error, .. }) if error.is_server_fault() => {
            return Err(Unresolved::Decision(Outcome::Unavailable(error)));
        }
        other => {
            let why = match other {
                Err(Refusal::Invalid { error, .. }) => Cow::Owned(error.to_string()),
                _ => Cow::Borrowed("not a handshake token"),
            };
            if req.is_development() {
                // Clerk throws here on development instances (a 500): the
                // usual cause is a switch of Clerk keys with the old cookies
                // still around. What a request carries never makes a 5xx
                // here: say so in the log and go on without the handshake.
                log::warn!(
                    target: "clerk_actix::handshake",
                    "Clerk: Handshake token verification failed: {why}. If you have switched \
                     Clerk keys locally, clear your cookies and try again."
                );
            } else {
                log::error!(
                    target: "clerk_actix::handshake",
                    "Clerk: unable to resolve handshake: {why}"
                );
            }
            req.note_unresolved(format!("the handshake token did not verify: {why}"));
            return Err(Unresolved::Continue);
        }
    };
    let payload: HandshakePayload =
        serde_json::from_str(&payload).unwrap_or(HandshakePayload { handshake: None });
    Ok(payload.handshake.unwrap_or_default())
}

/// The directives the Backend API holds for `nonce`. An unknown nonce (or
/// any answer that is the request's fault) gives none, as in Clerk; an
/// outage (5xx, timeout, no connection) is an outage.
async fn directives_for_nonce(
    req: &BrowserRequest<'_>,
    nonce: &str,
) -> Result<Vec<String>, Unresolved> {
    let api = &req.clerk.config().api;
    if let Err(wait) = api.budget.take(Spend::HandshakeNonce) {
        return Err(held_off(wait));
    }
    let prepared = api.get_with("/clients/handshake_payload", "nonce", nonce);
    let policy = Policy::handshake_payload();
    let error = match executor::execute(api, &policy, &prepared).await {
        Ok(body) => {
            return match serde_json::from_slice::<NoncePayload>(&body) {
                Ok(payload) => Ok(payload.directives),
                Err(e) => Err(outage(format!(
                    "{} answered a body that is not a handshake payload: {e}",
                    prepared.endpoint
                ))),
            }
        }
        Err(error) => error,
    };
    if let Some(left) = error.held_off() {
        return Err(held_off(left));
    }
    match infrastructure_failure(&error) {
        Some(reason) => {
            log::error!(
                target: "clerk_actix::handshake",
                "Clerk: the handshake payload could not be fetched: {error}"
            );
            Err(Unresolved::Decision(Outcome::Unavailable(
                VerifyError::new(
                    reason,
                    format!(
                        "The handshake payload could not be fetched from the Backend API: {error}"
                    ),
                ),
            )))
        }
        None => {
            log::error!(
                target: "clerk_actix::handshake",
                "Clerk: HandshakeService: error getting handshake payload: {error}"
            );
            Ok(Vec::new())
        }
    }
}

/// No call was made (the endpoint is held off, or the budget is spent;
/// logged where that was decided): an outage of this step, with the wait.
fn held_off(wait: Duration) -> Unresolved {
    Unresolved::Decision(Outcome::Unavailable(
        VerifyError::new(
            Reason::BackendApiUnavailable,
            "The handshake payload was not fetched: the Backend API is held off or the \
             budget of calls is spent",
        )
        .with_retry_after(wait),
    ))
}

fn outage(message: String) -> Unresolved {
    log::error!(target: "clerk_actix::handshake", "Clerk: {message}");
    Unresolved::Decision(Outcome::Unavailable(VerifyError::new(
        Reason::BackendApiUnavailable,
        message,
    )))
}

/// `Some` for a failure of the Backend API or of the way to it (what the
/// reason of the 503/500 answer is), `None` for an answer about the nonce.
fn infrastructure_failure(error: &Error) -> Option<Reason> {
    match error.class() {
        Class::Outage => Some(Reason::BackendApiUnavailable),
        Class::KeyRejected => Some(Reason::SecretKeyInvalid),
        Class::Answer(_) => None,
    }
}
