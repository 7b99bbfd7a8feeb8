//! Refreshing an expired session at the Backend API (§2.7.1): a GET that
//! carries this instance's `__refresh_<suffix>` cookie next to an expired
//! session token gets new cookies from
//! `POST /v1/sessions/{sid}/refresh`, and is signed in with them.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::browser::BrowserRequest;
use super::cookies::session_in_directives;
use super::url::clerk_origin;
use crate::backend::budget::Spend;
use crate::backend::error::{Error, ErrorKind};
use crate::backend::executor::{self, Policy};
use crate::backend::path::encode_segment;
use crate::clerk::{Accepts, Principal};
use crate::verification::claims::SessionClaims;
use crate::verification::options::VerifyOptions;

/// What a refresh gave.
pub(crate) enum Refreshed {
    /// New cookies, whose session token verified.
    SignedIn {
        claims: SessionClaims,
        set_cookies: Vec<String>,
    },
    /// Clerk's `RefreshTokenErrorReason`, the tail of the handshake reason
    /// `session-token-expired-refresh-<label>`.
    Failed(Cow<'static, str>),
}

/// The body Clerk sends, in its field order.
#[derive(Serialize)]
struct Body<'a> {
    format: &'static str,
    expired_token: &'a str,
    refresh_token: &'a str,
    request_origin: String,
    request_headers: BTreeMap<String, [String; 1]>,
}

#[derive(Deserialize)]
struct RefreshAnswer {
    #[serde(default)]
    cookies: Vec<String>,
}

/// Refreshes `expired` (the request's session token) with the refresh
/// cookie, and verifies the new session token.
pub(crate) async fn refresh(
    req: &BrowserRequest<'_>,
    options: &VerifyOptions,
    expired: &str,
) -> Refreshed {
    let fail = |label: &'static str| Refreshed::Failed(Cow::Borrowed(label));
    let Some(refresh_token) = req.cookies.refresh.as_deref().filter(|t| !t.is_empty()) else {
        return fail("missing-refresh-token");
    };
    if expired.is_empty() {
        return fail("missing-session-token");
    }
    let peek = req.clerk.peek(expired);
    if peek.malformed().is_some() {
        return fail("expired-session-token-decode-failed");
    }
    let Some(sid) = peek.sid() else {
        return fail("expired-session-token-missing-sid-claim");
    };
    let Ok(segment) = encode_segment(sid) else {
        return fail("expired-session-token-missing-sid-claim");
    };
    let mut request_headers = BTreeMap::new();
    req.parts.for_each_header(&mut |name, value| {
        let value = String::from_utf8_lossy(value).into_owned();
        request_headers
            .entry(name.to_ascii_lowercase())
            .and_modify(|[joined]: &mut [String; 1]| {
                joined.push_str(", ");
                joined.push_str(&value);
            })
            .or_insert([value]);
    });
    let body = Body {
        format: "cookie",
        expired_token: expired,
        refresh_token,
        request_origin: clerk_origin(req.parts, req.trust_forwarded()),
        request_headers,
    };
    let Ok(body) = serde_json::to_vec(&body) else {
        return fail("unexpected-sdk-error");
    };
    let api = &req.clerk.config().api;
    if api.budget.take(Spend::SessionRefresh).is_err() {
        // As when the Backend API cannot be reached; logged by the budget.
        return fail("fetch-error");
    }
    let query = if req.suffixed() {
        "suffixed_cookies=true"
    } else {
        "suffixed_cookies=false"
    };
    let prepared = api.post(&format!("/sessions/{segment}/refresh"), query, body);
    let answer = match executor::execute(api, &Policy::session_refresh(), &prepared).await {
        Ok(bytes) => serde_json::from_slice::<RefreshAnswer>(&bytes),
        Err(err) => return Refreshed::Failed(label_of(&err)),
    };
    let set_cookies = match answer {
        Ok(answer) if !answer.cookies.is_empty() => answer.cookies,
        Ok(_) => return fail("unexpected-sdk-error"),
        Err(_) => return fail("unexpected-bapi-error"),
    };
    let token = session_in_directives(&set_cookies).unwrap_or_default();
    match req
        .clerk
        .verify(token.as_bytes(), options, Accepts::SessionToken)
        .await
    {
        Ok(Principal::Session(claims)) => Refreshed::SignedIn {
            claims,
            set_cookies,
        },
        refused => {
            let why = match refused {
                Err(crate::clerk::Refusal::Invalid { error, .. }) => error.to_string(),
                _ => "it is not a session token".to_owned(),
            };
            log::warn!(
                target: "clerk_actix::refresh",
                "Clerk: the session token of a refresh does not verify: {why}"
            );
            fail("invalid-session-token")
        }
    }
}

/// Clerk's label for a failed call: the first error's code
/// (`unexpected_error`, which is also what a network failure becomes, is
/// `fetch-error`), `unexpected-bapi-error` for an error without a list.
fn label_of(err: &Error) -> Cow<'static, str> {
    log::warn!(
        target: "clerk_actix::refresh",
        "Clerk: refreshing an expired session failed: {err}"
    );
    match err.kind() {
        ErrorKind::Api(api) => match api.code() {
            Some("unexpected_error") => Cow::Borrowed("fetch-error"),
            Some(code) => Cow::Owned(code.to_owned()),
            None => Cow::Borrowed("unexpected-bapi-error"),
        },
        ErrorKind::MissingSecretKey => Cow::Borrowed("missing-api-client"),
        ErrorKind::Connect(_) | ErrorKind::Timeout(_) | ErrorKind::Transport(_) => {
            Cow::Borrowed("fetch-error")
        }
        _ => Cow::Borrowed("unexpected-bapi-error"),
    }
}
