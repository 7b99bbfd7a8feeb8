//! Clerk's handshake: whether a request may be sent through it, and the
//! redirect URL (§2.8.2). The 307 itself is data
//! ([`Handshake`](super::outcome::Handshake)).

use std::borrow::Cow;

use super::browser::BrowserRequest;
use super::head::{Header, RequestHead};
use super::outcome::{Decision, Handshake, Outcome, SESSION};
use super::url::{clerk_origin, clerk_url_without};
use crate::backend::transport::CLERK_API_VERSION_HEADER;

/// After this many handshakes in a row, the request is answered signed out.
const REDIRECT_LOOP_LIMIT: u32 = 3;

/// A browser navigation: GET, and `Sec-Fetch-Dest: document|iframe` (or no
/// `Sec-Fetch-Dest` and an `Accept` starting with `text/html`). Only these
/// may be redirected: a POST form would be replayed to the Frontend API and
/// end in a 405 (Clerk's fix 3.2.7).
pub(crate) fn is_navigation(parts: &dyn RequestHead) -> bool {
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

/// The handshake to the Frontend API, when the request is a browser
/// navigation that can take one; otherwise signed out with the same reason.
///
/// `fallback_token` (the header token) goes into the URL when the request
/// has no session cookie.
pub(crate) fn handshake_or_signed_out(
    req: &BrowserRequest<'_>,
    reason: Cow<'static, str>,
    message: String,
    fallback_token: Option<&str>,
) -> Decision {
    let token = req.session_cookie().or(fallback_token);
    let location = handshake_url(req, &reason, token);
    redirect_or_signed_out(req, reason, message, location, token.is_some())
}

/// [`handshake_or_signed_out`] to a `location` of the caller's (the
/// dev-instance sync flows); `None` signs the request out.
pub(crate) fn redirect_or_signed_out(
    req: &BrowserRequest<'_>,
    reason: Cow<'static, str>,
    message: String,
    location: Option<String>,
    token_presented: bool,
) -> Decision {
    let signed_out =
        |reason, message| Outcome::signed_out(SESSION, reason, message, token_presented).into();
    if !req.handshakes_allowed() || !is_navigation(req.parts) {
        return signed_out(reason, message);
    }
    let Some(location) = location else {
        return signed_out(reason, message);
    };
    let redirect_count = req.redirect_count();
    // Clerk stops only at exactly 3; a counter beyond it (a cookie of
    // another app, a hand-made one) stops here too.
    if redirect_count >= REDIRECT_LOOP_LIMIT {
        match req.unresolved() {
            // Clerk's diagnostic for a satellite that cannot sync.
            None if reason == "satellite-needs-syncing" => log::warn!(
                target: "clerk_actix::handshake",
                "Clerk: Satellite-domain authentication resulted in an infinite redirect loop \
                 ({REDIRECT_LOOP_LIMIT} handshakes in a row); answering signed out instead. Check \
                 that this request is using a configured primary or satellite domain for the \
                 production instance."
            ),
            // The cause is known: say it again here, where people look.
            Some(why) => log::warn!(
                target: "clerk_actix::handshake",
                "Clerk: refreshing the session token resulted in an infinite redirect loop \
                 ({REDIRECT_LOOP_LIMIT} handshakes in a row); answering signed out instead \
                 (reason {reason}). The handshake this browser returned from could not be \
                 resolved: {why}"
            ),
            None => log::warn!(
                target: "clerk_actix::handshake",
                "Clerk: refreshing the session token resulted in an infinite redirect loop \
                 ({REDIRECT_LOOP_LIMIT} handshakes in a row); answering signed out instead \
                 (reason {reason}). This usually means the cookies the handshake sets never \
                 reach this app: check the Clerk keys, the cookie domain and the proxy \
                 configuration."
            ),
        }
        return signed_out(reason, message);
    }
    Decision::Handshake(Handshake {
        reason,
        message,
        location,
        redirect_count,
    })
}

/// Where handshakes go: the proxy (made absolute against the request's
/// public origin when it is a path), else the Frontend API host; `https://`
/// added to a bare host, trailing slashes removed.
pub(crate) fn frontend_api_base(req: &BrowserRequest<'_>) -> Option<String> {
    let base = match &req.settings().proxy_url {
        Some(proxy) if proxy.starts_with('/') => {
            format!("{}{proxy}", clerk_origin(req.parts, req.trust_forwarded()))
        }
        Some(proxy) => proxy.clone(),
        None => req.settings().issuer_frontend_api(req.key?).to_owned(),
    };
    let base = base.trim_end_matches('/');
    Some(if base.starts_with("http") {
        base.to_owned()
    } else {
        format!("https://{base}")
    })
}

/// The Frontend API's handshake URL (§2.8.2), parameters in Clerk's order.
fn handshake_url(
    req: &BrowserRequest<'_>,
    reason: &str,
    session_token: Option<&str>,
) -> Option<String> {
    let base = frontend_api_base(req)?;
    let redirect_url = clerk_url_without(
        req.parts,
        req.trust_forwarded(),
        &["__clerk_db_jwt", "__dev_session"],
    );
    let mut location = String::with_capacity(512);
    location.push_str(&base);
    location.push_str("/v1/client/handshake?redirect_url=");
    push_encoded(&mut location, &redirect_url);
    location.push_str("&__clerk_api_version=");
    location.push_str(CLERK_API_VERSION_HEADER);
    location.push_str("&suffixed_cookies=");
    location.push_str(if req.suffixed() { "true" } else { "false" });
    location.push_str("&__clerk_hs_reason=");
    push_encoded(&mut location, reason);
    location.push_str("&format=nonce");
    if let Some(token) = session_token {
        location.push_str("&__session=");
        push_encoded(&mut location, token);
    }
    if req.is_development() {
        if let Some(db_jwt) = req.dev_browser() {
            location.push_str("&__clerk_db_jwt=");
            push_encoded(&mut location, db_jwt);
        }
    }
    // Organization sync: the organization the path names.
    if let Some(org) = req.org_handshake_param() {
        location.push_str("&organization_id=");
        push_encoded(&mut location, org);
    }
    Some(location)
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
