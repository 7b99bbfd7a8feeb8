//! A stand-in of the Frontend API's handshake, `GET /v1/client/handshake`,
//! for browser tests: the app redirects the browser here, and it answers
//! 307 back to `redirect_url` with a signed `__clerk_handshake` token (or a
//! `__clerk_handshake_nonce` whose directives the Backend API stand-in
//! serves) carrying the cookies of the browser's session, and the
//! dev-browser token of a development instance.

use std::time::Duration;

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::http::header;
use actix_web::HttpResponse;
use serde_json::json;

use super::bapi::Store;
use super::issuer::{random_id, TestIssuer};
use crate::config::PublishableKey;

/// `GET /v1/client/handshake?redirect_url=…`: 307 back with the handshake.
pub(crate) fn handshake(
    issuer: &TestIssuer,
    store: &mut Store,
    publishable_key: &str,
    query: &str,
) -> HttpResponse {
    let params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let param = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let Some(redirect_url) = param("redirect_url")
        .filter(|u| (u.starts_with("http://") || u.starts_with("https://")) && !u.contains('#'))
    else {
        return HttpResponse::BadRequest().body("redirect_url must be an absolute http(s) URL");
    };
    let key = PublishableKey::parse(publishable_key).ok();
    let suffix = key.as_ref().map(|k| k.cookie_suffix().to_owned());
    let development = publishable_key.starts_with("pk_test_");
    let suffixed = param("suffixed_cookies") == Some("true");
    let dev_browser = param("__clerk_db_jwt").map_or_else(|| random_id("dvb"), str::to_owned);
    let state = &store.frontend;
    let cookie = |name: &str, value: &str, max_age: i64, http_only: bool| {
        let mut cookie = Cookie::build(name.to_owned(), value.to_owned())
            .path("/")
            .same_site(SameSite::Lax)
            .http_only(http_only)
            .max_age(time::Duration::seconds(max_age))
            .finish();
        if let Some(domain) = &state.cookie_domain {
            cookie.set_domain(domain.clone());
        }
        cookie.to_string()
    };
    let mut directives = Vec::new();
    let mut extra = Vec::new();
    let mut both = |name: &str, value: &str, max_age: i64, http_only: bool| {
        directives.push(cookie(name, value, max_age, http_only));
        if let Some(suffix) = suffix.as_deref().filter(|_| suffixed) {
            directives.push(cookie(
                &format!("{name}_{suffix}"),
                value,
                max_age,
                http_only,
            ));
        }
    };
    let ten_years = 315_360_000;
    let session = state
        .session
        .as_ref()
        .and_then(|id| store.sessions().iter().find(|s| s["id"] == id.as_str()))
        .filter(|s| s["status"] == "active");
    match session {
        Some(session) => {
            let lifetime = state.token_lifetime.unwrap_or(Duration::from_secs(60));
            let mut token = issuer
                .session(session["user_id"].as_str().unwrap_or_default())
                .session_id(session["id"].as_str().unwrap_or_default())
                .lifetime(lifetime);
            if let Some(azp) = &state.azp {
                token = token.azp(azp.clone());
            }
            let token = token.sign();
            let now = crate::clock::system_millis() / 1000;
            both("__session", &token, ten_years, false);
            both("__client_uat", &now.to_string(), ten_years, false);
            // The refresh cookie is always this instance's (suffixed).
            if let Some(suffix) = &suffix {
                let refresh = cookie(
                    &format!("__refresh_{suffix}"),
                    &random_id("rft"),
                    ten_years,
                    true,
                );
                extra.push(refresh);
            }
        }
        None => {
            both("__session", "", 0, false);
            both("__client_uat", "0", ten_years, false);
        }
    }
    if development {
        both("__clerk_db_jwt", &dev_browser, ten_years, false);
    }
    directives.extend(extra);
    let (name, value) = if state.use_nonces {
        let nonce = random_id("nonce");
        store.frontend.nonces.insert(nonce.clone(), directives);
        store.frontend.nonces_only = true;
        ("__clerk_handshake_nonce", nonce)
    } else {
        let payload = json!({ "handshake": directives }).to_string();
        let token = issuer.session("handshake").raw_payload(payload).sign();
        ("__clerk_handshake", token)
    };
    let mut location = redirect_url.to_owned();
    location.push(if location.contains('?') { '&' } else { '?' });
    let mut pairs = form_urlencoded::Serializer::new(String::new());
    pairs.append_pair(name, &value);
    if development {
        pairs.append_pair("__clerk_db_jwt", &dev_browser);
    }
    location.push_str(&pairs.finish());
    HttpResponse::TemporaryRedirect()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}
