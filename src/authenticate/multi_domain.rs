//! The browser path's multi-domain steps: satellite sync (§2.6 steps 1–3),
//! the primary's answer to a syncing satellite (step 4), the satellite's
//! sign-in origin check (§2.3), and organization sync (step 16, §2.9).

use std::borrow::Cow;

use super::browser::BrowserRequest;
use super::handshake::{handshake_or_signed_out, is_navigation, redirect_or_signed_out};
use super::head::Header;
use super::outcome::{signed_out, Decision, Outcome, SESSION};
use super::url::{clerk_url, ParsedUrl};
use crate::config::org_sync::OrgTarget;
use crate::config::DomainRole;
use crate::verification::claims::SessionClaims;

const SATELLITE_NEEDS_SYNCING: &str = "satellite-needs-syncing";

/// Steps 1–3: a satellite's browser navigation that must sync with the
/// primary first; `None` goes on with step 4.
pub(crate) fn satellite_sync(req: &BrowserRequest<'_>) -> Option<Decision> {
    let DomainRole::Satellite { auto_sync, .. } = &req.settings().domain else {
        return None;
    };
    let parts = req.parts;
    let eligible =
        parts.method() == "GET" && parts.header(Header::SecFetchDest) == Some(b"document");
    let synced = req.query.synced.as_deref();
    if !eligible || synced == Some("true") {
        return None;
    }
    let needs_sync = synced == Some("false");
    let has_cookies = req.session_cookie().is_some() || req.client_uat() != 0;
    if !*auto_sync && !has_cookies && !needs_sync {
        return Some(signed_out("session-token-and-uat-missing", false).into());
    }
    if has_cookies && !needs_sync {
        return None;
    }
    let reason = Cow::Borrowed(SATELLITE_NEEDS_SYNCING);
    if !req.is_development() {
        // Production: a handshake at the satellite's Frontend API.
        return Some(handshake_or_signed_out(req, reason, String::new(), None));
    }
    // Development: to the primary's sign-in page, which sends the browser
    // back with `__clerk_synced=true`.
    let here = clerk_url(parts, req.trust_forwarded());
    let location = req
        .clerk
        .sign_in_url()
        .and_then(ParsedUrl::parse)
        .map(|sign_in| sign_in.with_params(&[("__clerk_redirect_url", &here)], &[]));
    Some(redirect_or_signed_out(
        req,
        reason,
        String::new(),
        location,
        req.session_cookie().is_some(),
    ))
}

/// §2.3: on a satellite, a request whose `Origin` is the sign-in URL's
/// origin means the app is misconfigured (Clerk throws, a 500). Here the
/// request is signed out with Clerk's diagnostic, logged.
pub(crate) fn sign_in_origin_conflict(req: &BrowserRequest<'_>) -> Option<Decision> {
    if !matches!(req.settings().domain, DomainRole::Satellite { .. }) {
        return None;
    }
    // Most requests (navigations among them) carry no `Origin`: the
    // sign-in URL is parsed only for those that do.
    let origin = req.parts.header(Header::Origin)?;
    let sign_in = req.clerk.sign_in_url().and_then(ParsedUrl::parse)?;
    if origin != sign_in.origin().as_bytes() {
        return None;
    }
    const DIAGNOSTIC: &str =
        "The signInUrl needs to be on a different origin than your satellite application.";
    log::warn!(
        target: "clerk_actix::satellite",
        "Clerk: {DIAGNOSTIC} (the request's Origin is the sign-in URL's origin; answered \
         signed out)"
    );
    Some(
        Outcome::signed_out(
            SESSION,
            Cow::Borrowed("unexpected-error"),
            DIAGNOSTIC.to_owned(),
            false,
        )
        .into(),
    )
}

/// Step 4 with a `__clerk_redirect_url` that is not an absolute URL: Clerk
/// throws (a 500); here signed out, logged.
pub(crate) fn unusable_redirect_url() -> Decision {
    log::warn!(
        target: "clerk_actix::satellite",
        "Clerk: the __clerk_redirect_url query parameter is not an absolute URL; a satellite \
         sends its full URL (answered signed out)"
    );
    Outcome::signed_out(
        SESSION,
        Cow::Borrowed("primary-responds-to-syncing"),
        "__clerk_redirect_url is not an absolute URL".to_owned(),
        false,
    )
    .into()
}

/// Step 16: a signed-in navigation whose active organization is not the one
/// the path names goes through a handshake that switches it; otherwise (an
/// API request, or past the loop guard) it stays signed in as it is.
pub(crate) fn organization_sync(
    req: &BrowserRequest<'_>,
    claims: &SessionClaims,
) -> Option<Decision> {
    if claims.user_id().is_empty() {
        return None;
    }
    let target = req.org_target()?;
    let must_activate = match target {
        OrgTarget::Id(id) => claims.org_id() != Some(id),
        OrgTarget::Slug(slug) => claims.org_slug() != Some(slug),
        OrgTarget::PersonalAccount => claims.org_id().is_some_and(|o| !o.is_empty()),
    };
    if !must_activate || !req.handshakes_allowed() || !is_navigation(req.parts) {
        return None;
    }
    if req.redirect_count() >= 3 {
        log::warn!(
            target: "clerk_actix::handshake",
            "Clerk: Organization activation handshake loop detected. This is likely due to an \
             invalid organization ID or slug. Skipping organization activation."
        );
        return None;
    }
    match handshake_or_signed_out(
        req,
        Cow::Borrowed("active-organization-mismatch"),
        String::new(),
        None,
    ) {
        handshake @ Decision::Handshake(_) => Some(handshake),
        _ => None,
    }
}
