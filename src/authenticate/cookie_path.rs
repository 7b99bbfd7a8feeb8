//! Requests without a token in `Authorization`: the browser path of Clerk's
//! `authenticateRequestWithTokenInCookie` (§2.6), every step in its order.
//!
//! With handshakes off (API-only, or no publishable key) the steps that
//! exist only to drive a handshake (0, 4–6, 15) are skipped, and the others
//! sign the request out where Clerk would redirect.

use std::borrow::Cow;
use std::sync::Once;

use super::browser::BrowserRequest;
use super::handshake::{frontend_api_base, handshake_or_signed_out, redirect_or_signed_out};
use super::head::{Header, RequestHead};
use super::multi_domain;
use super::outcome::{signed_out, Carrier, Decision, Outcome, SESSION};
use super::resolve::{self, Unresolved};
use super::session_error::session_token_error;
use super::url::{clerk_origin, ParsedUrl};
use crate::clerk::{Accepts, Clerk, Principal, Refusal};
use crate::config::{DomainRole, InstanceType};
use crate::verification::options::VerifyOptions;
use crate::verification::token_kind;

/// Dev account-portal hosts of the legacy form, `accounts.<x>.lcl.dev`.
const LEGACY_DEV_SUFFIXES: [&str; 3] = [".lcl.dev", ".lclstage.dev", ".lclclerk.com"];
/// Dev account-portal hosts of the current form, `<x>.accounts.dev`.
const CURRENT_DEV_SUFFIXES: [&str; 3] = [
    ".accounts.dev",
    ".accountsstage.dev",
    ".accounts.lclclerk.com",
];

static MISSING_AZP_WARNING: Once = Once::new();

/// Authenticates a request without an `Authorization` token.
pub(crate) async fn authenticate(
    clerk: &Clerk,
    parts: &dyn RequestHead,
    options: &VerifyOptions,
) -> Decision {
    let mut req = BrowserRequest::new(clerk, parts);
    // What the chosen session cookie is, peeked at when the set was chosen;
    // step 13 verifies it without decoding it again.
    let peeked = req.peek.take();
    let handshakes = req.handshakes_allowed();

    // §2.3: a satellite's sign-in page on the request's own origin.
    if let Some(answer) = multi_domain::sign_in_origin_conflict(&req) {
        return answer;
    }

    // 0. Back from a handshake.
    if handshakes && (req.handshake_nonce().is_some() || req.handshake_token().is_some()) {
        // Boxed: the rare branches stay out of every request's future.
        match Box::pin(resolve::resolve(&req, options)).await {
            Ok(answer) => return answer,
            Err(Unresolved::Decision(outcome)) => return outcome.into(),
            Err(Unresolved::Continue) => {}
        }
    }

    // 1–3. A satellite's navigation syncs with the primary first.
    if handshakes {
        if let Some(answer) = multi_domain::satellite_sync(&req) {
            return answer;
        }
    }

    let primary = req.settings().domain == DomainRole::Primary;
    if handshakes && req.is_development() {
        // 4. A satellite sent the browser here to sync: send it back.
        if let Some(back) = req.query.redirect_url.as_deref().filter(|_| primary) {
            let Some(back) = ParsedUrl::parse(back) else {
                return multi_domain::unusable_redirect_url();
            };
            let append: Vec<(&str, &str)> = req
                .dev_browser()
                .map(|db| ("__clerk_db_jwt", db))
                .into_iter()
                .collect();
            let location = back.with_params(&append, &[("__clerk_synced", "true")]);
            return redirect_or_signed_out(
                &req,
                Cow::Borrowed("primary-responds-to-syncing"),
                String::new(),
                Some(location),
                req.session_cookie().is_some(),
            );
        }
        // 5. The Frontend API handed over a dev-browser token.
        if req.query.dev_browser.is_some() {
            return handshake(&req, "dev-browser-sync");
        }
        // 6. No dev browser yet.
        if req.dev_browser().is_none() {
            return handshake(&req, "dev-browser-missing");
        }
    }

    // 7–9. The session cookie and `__client_uat` must agree.
    let client_uat = req.client_uat();
    let token = match (client_uat, req.session_cookie()) {
        (0, None) => return signed_out("session-token-and-uat-missing", false).into(),
        (0, Some(_)) => return handshake(&req, "session-token-but-no-client-uat"),
        (_, None) => return handshake(&req, "client-uat-but-no-session-token"),
        (_, Some(token)) => token,
    };

    // 10. Decode (peeked at once, when the cookie set was chosen); 11.
    // session tokens only. Opaque machine tokens (API keys, M2M, OAuth) are
    // never taken from a cookie (Clerk's fix 3.11.7).
    if token_kind::opaque_kind(token.as_bytes()).is_some() {
        return Outcome::type_mismatch(SESSION).into();
    }
    let peek = peeked.unwrap_or_else(|| clerk.peek(token));
    if let Some(err) = peek.malformed() {
        let err = err.clone();
        return Box::pin(session_token_error(
            &req,
            options,
            token,
            &err,
            Carrier::Cookie,
        ))
        .await;
    }
    if !peek.is_session_token() {
        return Outcome::type_mismatch(SESSION).into();
    }

    // 12. Issued before the client last changed: stale.
    if peek.iat().is_some_and(|iat| iat < client_uat as f64) {
        return handshake(&req, "session-token-iat-before-client-uat");
    }

    // 13. Verify, through the one pipeline.
    let lenient;
    let has_azp = peek.has_azp();
    let options = if !has_azp
        && req.settings().cookie_tokens_without_azp
        && !options.authorized_parties.is_empty()
    {
        lenient = options.clone().authorized_parties(Vec::<String>::new());
        &lenient
    } else {
        options
    };
    // A cached token is answered here; verifying a new one is boxed, so
    // the cached path's future does not carry it.
    let verified = match clerk.verify_now(token, &peek, options, Accepts::SessionToken) {
        Some(answer) => answer,
        None => Box::pin(clerk.verify_peeked(token, peek, options, Accepts::SessionToken)).await,
    };
    let claims = match verified {
        Ok(Principal::Session(claims)) => claims,
        Ok(_) | Err(Refusal::WrongKind | Refusal::NotAccepted) => {
            return Outcome::type_mismatch(SESSION).into()
        }
        Err(Refusal::Invalid { error, .. }) if error.is_server_fault() => {
            return Outcome::Unavailable(error).into()
        }
        Err(Refusal::Invalid { error, .. }) => {
            return Box::pin(session_token_error(
                &req,
                options,
                token,
                &error,
                Carrier::Cookie,
            ))
            .await
        }
    };

    // 14. A cookie token without `azp`: signed in, with a warning once.
    if !has_azp {
        MISSING_AZP_WARNING.call_once(|| {
            log::warn!(
                target: "clerk_actix::cookie",
                "Clerk: Session token from cookie is missing the azp claim. In a future \
                 version of Clerk, this token will be considered invalid. Please contact \
                 Clerk support if you see this warning."
            );
        });
    }

    // 15. A navigation from another site: sync through a handshake.
    if handshakes && primary && cross_origin_navigation(&req) {
        return handshake_or_signed_out(
            &req,
            Cow::Borrowed("primary-domain-cross-origin-sync"),
            "Cross-origin request from satellite domain requires handshake".to_owned(),
            None,
        );
    }

    // 16. Organization sync: the organization the URL names.
    if let Some(answer) = multi_domain::organization_sync(&req, &claims) {
        return answer;
    }

    // 17.
    Outcome::SignedIn(claims).into()
}

fn handshake(req: &BrowserRequest<'_>, reason: &'static str) -> Decision {
    handshake_or_signed_out(req, Cow::Borrowed(reason), String::new(), None)
}

/// §2.6 step 15: a GET document request whose `Referer` is another origin
/// that is not one of Clerk's, on the first visit of a redirect chain.
fn cross_origin_navigation(req: &BrowserRequest<'_>) -> bool {
    let parts = req.parts;
    if parts.method() != "GET"
        || parts.header(Header::SecFetchDest) != Some(b"document")
        || req.redirect_count() != 0
    {
        return false;
    }
    let Some(referrer) = parts
        .header(Header::Referer)
        .and_then(|r| std::str::from_utf8(r).ok())
        .and_then(ParsedUrl::parse)
    else {
        return false;
    };
    let own = clerk_origin(parts, req.trust_forwarded());
    let own = ParsedUrl::parse(&own).map(|u| u.origin());
    if own.as_deref() == Some(referrer.origin().as_str()) {
        return false;
    }
    !known_clerk_referrer(req, &referrer)
}

/// The exact list of Clerk origins a navigation may come from (Clerk's fix
/// 3.12.0): not any `accounts.*` host.
fn known_clerk_referrer(req: &BrowserRequest<'_>, referrer: &ParsedUrl<'_>) -> bool {
    let host = referrer.host.as_str();
    let frontend_host = frontend_api_base(req)
        .as_deref()
        .and_then(ParsedUrl::parse)
        .map(|u| u.host);
    if frontend_host.as_deref() == Some(host) {
        return true;
    }
    if req.instance() != InstanceType::Production {
        let legacy =
            host.starts_with("accounts.") && LEGACY_DEV_SUFFIXES.iter().any(|s| host.ends_with(s));
        let current = CURRENT_DEV_SUFFIXES
            .iter()
            .any(|s| host.ends_with(s) && !host.ends_with(&format!(".clerk{s}")));
        if legacy || current {
            return true;
        }
    }
    let Some(key) = req.key else {
        return false;
    };
    let accounts = accounts_host(key.frontend_api());
    referrer.origin() == format!("https://{accounts}")
}

/// The Account Portal host of a Frontend API host: `clerk.accountsstage.` →
/// `accountsstage.`, else `clerk.accounts.` or `clerk.` → `accounts.`.
fn accounts_host(frontend_api: &str) -> String {
    if let Some(at) = frontend_api.find("clerk.accountsstage.") {
        let mut host = frontend_api.to_owned();
        host.replace_range(at..at + "clerk.".len(), "");
        return host;
    }
    for from in ["clerk.accounts.", "clerk."] {
        if let Some(at) = frontend_api.find(from) {
            let mut host = frontend_api.to_owned();
            host.replace_range(at..at + from.len(), "accounts.");
            return host;
        }
    }
    frontend_api.to_owned()
}

#[cfg(test)]
mod tests {
    use super::accounts_host;

    #[test]
    fn accounts_hosts_derive_like_clerk() {
        assert_eq!(
            accounts_host("clerk.inspired.puma-74.lcl.dev"),
            "accounts.inspired.puma-74.lcl.dev"
        );
        assert_eq!(
            accounts_host("foo-bar-13.clerk.accounts.dev"),
            "foo-bar-13.accounts.dev"
        );
        assert_eq!(
            accounts_host("foo.clerk.accountsstage.dev"),
            "foo.accountsstage.dev"
        );
        assert_eq!(accounts_host("clerk.example.com"), "accounts.example.com");
    }
}
