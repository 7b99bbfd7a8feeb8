//! Clerk's handshake, as data: whether a request may be sent through it, the
//! redirect URL, and the 307 answer with its headers. The actix layer only
//! copies them into an `HttpResponse`.

use std::borrow::Cow;

use super::url::{clerk_url, cookie, query_param};
use super::{auth_headers, Header, Outcome, RequestHead};
use crate::clerk::Clerk;
use crate::client::transport::CLERK_API_VERSION_HEADER;
use crate::config::InstanceType;
use crate::verification::auth::SignedOut;

/// After this many handshakes in a row, the request is answered signed out.
const REDIRECT_LOOP_LIMIT: u32 = 3;
const REDIRECT_COUNT_COOKIE: &str = "__clerk_redirect_count";

/// A 307 to Clerk's Frontend API, which refreshes the session and sends the
/// browser back.
pub(crate) struct Handshake {
    pub(crate) reason: Cow<'static, str>,
    pub(crate) message: String,
    pub(crate) location: String,
    pub(crate) redirect_count: u32,
}

impl Handshake {
    /// The answer's status: 307 Temporary Redirect.
    pub(crate) const STATUS: u16 = 307;

    /// The answer's headers, in order: `Location`, `Cache-Control`, the
    /// redirect-count cookie, then `x-clerk-auth-*`.
    pub(crate) fn headers(&self) -> Vec<(&'static str, Cow<'_, str>)> {
        let mut headers = vec![
            ("location", Cow::Borrowed(self.location.as_str())),
            ("cache-control", Cow::Borrowed("no-store")),
            (
                "set-cookie",
                Cow::Owned(format!(
                    "{REDIRECT_COUNT_COOKIE}={}; SameSite=Lax; HttpOnly; Max-Age=2",
                    self.redirect_count + 1
                )),
            ),
        ];
        let out = SignedOut {
            reason: Some(self.reason.clone()),
            message: Some(self.message.clone()),
            token_presented: true,
        };
        headers.extend(
            auth_headers("handshake", &out)
                .map(|(name, value)| (name, Cow::Owned(value.to_owned()))),
        );
        headers
    }
}

/// A browser navigation: GET, and `Sec-Fetch-Dest: document|iframe` (or no
/// `Sec-Fetch-Dest` and an `Accept` starting with `text/html`).
fn eligible_for_handshake(parts: &dyn RequestHead) -> bool {
    if parts.method() != "GET" {
        return false;
    }
    match parts.header(Header::SecFetchDest) {
        Some(dest) => dest == b"document" || dest == b"iframe",
        None => parts
            .header(Header::Accept)
            .is_some_and(|a| a.starts_with(b"text/html")),
    }
}

fn push_encoded(out: &mut String, value: &str) {
    out.extend(form_urlencoded::byte_serialize(value.as_bytes()));
}

/// The handshake, when the request is a browser navigation that can take
/// one; otherwise signed out with the same reason.
pub(crate) fn handshake_or_signed_out(
    clerk: &Clerk,
    parts: &dyn RequestHead,
    reason: Cow<'static, str>,
    message: String,
    session_token: Option<&str>,
) -> Outcome {
    let signed_out = |reason, message| {
        Outcome::SignedOut(SignedOut {
            reason: Some(reason),
            message: Some(message),
            token_presented: session_token.is_some(),
        })
    };
    if !eligible_for_handshake(parts) {
        return signed_out(reason, message);
    }
    let Some(publishable_key) = clerk.publishable_key() else {
        // Without the publishable key there is no Frontend API to send the
        // browser to.
        return signed_out(reason, message);
    };
    let redirect_count = parts
        .header(Header::Cookie)
        .and_then(|c| cookie(c, REDIRECT_COUNT_COOKIE))
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(0);
    if redirect_count == REDIRECT_LOOP_LIMIT {
        log::info!(
            target: "clerk_actix::handshake",
            "Clerk: refreshing the session token resulted in an infinite redirect loop; \
             answering signed out instead (reason {reason})"
        );
        return signed_out(reason, message);
    }
    let mut location = String::with_capacity(512);
    location.push_str("https://");
    location.push_str(publishable_key.frontend_api().trim_end_matches('/'));
    location.push_str("/v1/client/handshake?redirect_url=");
    push_encoded(&mut location, &clerk_url(parts));
    location.push_str("&__clerk_api_version=");
    location.push_str(CLERK_API_VERSION_HEADER);
    location.push_str("&suffixed_cookies=");
    location.push_str(
        if uses_suffixed_cookies(parts, publishable_key.cookie_suffix()) {
            "true"
        } else {
            "false"
        },
    );
    location.push_str("&__clerk_hs_reason=");
    push_encoded(&mut location, &reason);
    location.push_str("&format=nonce");
    if let Some(token) = session_token {
        location.push_str("&__session=");
        push_encoded(&mut location, token);
    }
    if publishable_key.instance_type() == InstanceType::Development {
        if let Some(db_jwt) = dev_browser_token(parts, publishable_key.cookie_suffix()) {
            location.push_str("&__clerk_db_jwt=");
            push_encoded(&mut location, &db_jwt);
        }
    }
    Outcome::Handshake(Handshake {
        reason,
        message,
        location,
        redirect_count,
    })
}

/// Whether the browser holds this instance's suffixed cookies (`__session_<suffix>`,
/// `__client_uat_<suffix>`).
fn uses_suffixed_cookies(parts: &dyn RequestHead, suffix: &str) -> bool {
    let Some(header) = parts.header(Header::Cookie) else {
        return false;
    };
    ["__session", "__client_uat"]
        .iter()
        .any(|name| cookie(header, &format!("{name}_{suffix}")).is_some())
}

fn dev_browser_token(parts: &dyn RequestHead, suffix: &str) -> Option<String> {
    if let Some((_, query)) = parts.path_and_query().split_once('?') {
        if let Some(value) = query_param(query, "__clerk_db_jwt") {
            return Some(value);
        }
    }
    let header = parts.header(Header::Cookie)?;
    cookie(header, &format!("__clerk_db_jwt_{suffix}")).or_else(|| cookie(header, "__clerk_db_jwt"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn form_encoding_matches_url_search_params() {
        let mut out = String::new();
        super::push_encoded(&mut out, "http://example.com/path a*b~");
        assert_eq!(out, "http%3A%2F%2Fexample.com%2Fpath+a*b%7E");
    }
}
