//! The browser's return from a handshake (§2.6.1): the cookie directives of
//! the Frontend API, from the signed `__clerk_handshake` token or from the
//! Backend API by `__clerk_handshake_nonce`, become `Set-Cookie` headers
//! (one each) on the answer, and the session token among them signs the
//! request in.

use std::borrow::Cow;
use std::time::Duration;

use serde::Deserialize;

use super::cookies::{session_in_directives, BrowserRequest};
use super::url::clerk_url_without;
use super::{signed_out, BrowserHeaders, Outcome};
use crate::clerk::{Accepts, Rejection};
use crate::client::error::{Error, ErrorKind};
use crate::client::executor::{self, Policy, Prepared};
use crate::client::retry::RetryPolicy;
use crate::verification::error::{Reason, VerifyError};
use crate::verification::options::VerifyOptions;
use crate::verification::token;

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
    /// The answer is this outcome anyway (an outage, a development
    /// configuration error).
    Answer(Outcome),
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
) -> Result<Outcome, Unresolved> {
    let directives = match req.handshake_nonce() {
        Some(nonce) => directives_for_nonce(req, nonce).await?,
        None => match req.handshake_token() {
            Some(token) => directives_of_token(req, token, options).await?,
            None => Vec::new(),
        },
    };
    let mut headers = BrowserHeaders {
        handshake_cors: true,
        ..BrowserHeaders::default()
    };
    if req.is_development() {
        headers.location = Some(clerk_url_without(
            req.parts,
            req.trust_forwarded(),
            &HANDSHAKE_PARAMS,
        ));
    }
    let session_token = session_in_directives(&directives).map(str::to_owned);
    headers.set_cookies = directives;
    let Some(session_token) = session_token.filter(|t| !t.is_empty()) else {
        return Ok(Outcome::WithHeaders(
            Box::new(signed_out("session-token-missing", false)),
            headers,
        ));
    };
    let clerk = req.clerk;
    let claims = match clerk
        .verify(session_token.as_bytes(), options, Accepts::SessionToken)
        .await
    {
        Ok(claims) => claims,
        Err(Rejection::Invalid(err)) if err.reason().is_server_fault() => {
            return Err(Unresolved::Answer(Outcome::Unavailable(err)));
        }
        Err(Rejection::Invalid(err))
            if req.is_development()
                && matches!(
                    err.reason(),
                    Reason::TokenExpired | Reason::TokenNotActiveYet | Reason::TokenIatInTheFuture
                ) =>
        {
            log::error!(
                target: "clerk_actix::handshake",
                "Clerk: clock skew detected: the session token of the handshake does not \
                 verify ({err}). Make sure your system clock is in sync (e.g. turn off and on \
                 automatic time synchronization). Retrying with a clock skew of one day, as \
                 development instances allow."
            );
            let lenient = options.clone().clock_skew(DEV_RETRY_SKEW);
            match clerk
                .verify(session_token.as_bytes(), &lenient, Accepts::SessionToken)
                .await
            {
                Ok(claims) => claims,
                Err(retry) => {
                    log::error!(
                        target: "clerk_actix::handshake",
                        "Clerk: unable to resolve handshake: {}",
                        rejection_text(&retry)
                    );
                    return Err(Unresolved::Continue);
                }
            }
        }
        Err(rejection) => {
            log::error!(
                target: "clerk_actix::handshake",
                "Clerk: unable to resolve handshake: {}",
                rejection_text(&rejection)
            );
            return Err(Unresolved::Continue);
        }
    };
    Ok(Outcome::WithHeaders(
        Box::new(Outcome::SignedIn(claims)),
        headers,
    ))
}

fn rejection_text(rejection: &Rejection) -> Cow<'static, str> {
    match rejection {
        Rejection::Invalid(err) => Cow::Owned(err.to_string()),
        Rejection::WrongKind => {
            Cow::Borrowed("the handshake's session token is not a session token")
        }
    }
}

/// The directives of a handshake token, verified with the instance's keys.
async fn directives_of_token(
    req: &BrowserRequest<'_>,
    token: &str,
    options: &VerifyOptions,
) -> Result<Vec<String>, Unresolved> {
    let clerk = req.clerk;
    let verified = token::verify_handshake(
        token,
        clerk.keys(),
        clerk.config().max_token_bytes,
        options.skip_jwks_cache,
    )
    .await;
    let payload = match verified {
        Ok(payload) => payload,
        Err(err) if err.reason().is_server_fault() => {
            return Err(Unresolved::Answer(Outcome::Unavailable(err)));
        }
        Err(err) if req.is_development() => {
            // Clerk throws here on development instances: the usual cause is
            // a switch of Clerk keys with the old cookies still around.
            let message = if err.reason() == Reason::TokenInvalidSignature {
                "Clerk: Handshake token verification failed due to an invalid signature. If you \
                 have switched Clerk keys locally, clear your cookies and try again."
                    .to_owned()
            } else {
                format!("Clerk: Handshake token verification failed: {err}.")
            };
            return Err(Unresolved::Answer(Outcome::Misconfigured(message)));
        }
        Err(err) => {
            log::error!(
                target: "clerk_actix::handshake",
                "Clerk: unable to resolve handshake: {err}"
            );
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
    let path = format!("/{}/clients/handshake_payload", api.version);
    let mut url = format!("{}{path}?nonce=", api.url);
    url.extend(form_urlencoded::byte_serialize(nonce.as_bytes()));
    let prepared = Prepared {
        method: awc::http::Method::GET,
        url,
        endpoint: format!("GET {path}"),
        body: None,
    };
    let policy = Policy {
        timeout: Some(Duration::from_secs(5)),
        body_limit: 256 * 1024,
        retry: RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        },
    };
    let error = match executor::execute(api, &policy, &prepared).await {
        Ok(body) => {
            return match serde_json::from_slice::<NoncePayload>(&body) {
                Ok(payload) => Ok(payload.directives),
                Err(e) => Err(outage(format!(
                    "GET {path} answered a body that is not a handshake payload: {e}"
                ))),
            }
        }
        Err(error) => error,
    };
    match infrastructure_failure(&error) {
        Some(reason) => {
            log::error!(
                target: "clerk_actix::handshake",
                "Clerk: the handshake payload could not be fetched: {error}"
            );
            Err(Unresolved::Answer(Outcome::Unavailable(VerifyError::new(
                reason,
                format!("The handshake payload could not be fetched from the Backend API: {error}"),
            ))))
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

fn outage(message: String) -> Unresolved {
    log::error!(target: "clerk_actix::handshake", "Clerk: {message}");
    Unresolved::Answer(Outcome::Unavailable(VerifyError::new(
        Reason::BackendApiUnavailable,
        message,
    )))
}

/// `Some` for a failure of the Backend API or of the way to it (what the
/// reason of the 503/500 answer is), `None` for an answer about the nonce.
fn infrastructure_failure(error: &Error) -> Option<Reason> {
    match error.kind() {
        ErrorKind::Api(api) if api.status() >= 500 || api.status() == 429 => {
            Some(Reason::BackendApiUnavailable)
        }
        ErrorKind::Api(api) if api.code() == Some("clerk_key_invalid") || api.status() == 401 => {
            Some(Reason::SecretKeyInvalid)
        }
        ErrorKind::Api(_) => None,
        ErrorKind::MissingSecretKey => Some(Reason::SecretKeyInvalid),
        _ => Some(Reason::BackendApiUnavailable),
    }
}
