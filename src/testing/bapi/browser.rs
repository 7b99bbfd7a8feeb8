//! What the Frontend API stand-in remembers about the browser, and the
//! [`Store`] methods that set it up.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::json;

use super::Store;

/// What the Frontend API stand-in remembers.
#[derive(Debug, Default)]
pub(crate) struct FrontendState {
    /// The session the browser is signed in with at the Frontend API.
    pub(crate) session: Option<String>,
    pub(crate) token_lifetime: Option<Duration>,
    pub(crate) cookie_domain: Option<String>,
    pub(crate) use_nonces: bool,
    /// Directives of handshakes answered with a nonce, by nonce.
    pub(crate) nonces: HashMap<String, Vec<String>>,
    /// Unknown nonces are 404 (once a nonce handshake was made).
    pub(crate) nonces_only: bool,
    /// The `azp` of the session tokens the stand-in mints (handshake,
    /// refresh, `/tokens`): [`StandInBuilder::azp`](crate::testing::StandInBuilder::azp);
    /// `None`, the issuer's default.
    pub(crate) azp: Option<String>,
    /// The instance's cookie suffix (of its publishable key), for suffixed
    /// refresh cookies.
    pub(crate) cookie_suffix: Option<String>,
}

impl Store {
    /// Signs the browser in at the Frontend API stand-in as `user_id` (as if
    /// the user had signed in on the Account Portal): later handshakes hand
    /// the app a session token for a new active session, whose id is
    /// returned. The session refreshes through `POST /v1/sessions/{id}/refresh`.
    pub fn sign_in_browser(&mut self, user_id: &str) -> String {
        let id = self.insert_session(json!({ "user_id": user_id }));
        self.frontend.session = Some(id.clone());
        id
    }

    /// Signs the browser out at the Frontend API stand-in: handshakes clear
    /// the session cookie and set `__client_uat=0`.
    pub fn sign_out_browser(&mut self) {
        self.frontend.session = None;
    }

    /// How long the session tokens of handshakes live. Defaults to 60
    /// seconds, as Clerk's do.
    pub fn set_browser_token_lifetime(&mut self, lifetime: Duration) {
        self.frontend.token_lifetime = Some(lifetime);
    }

    /// Gives the handshake's cookies `Domain=<domain>`. A browser on another
    /// host drops them, so the handshake never succeeds: a stand-in for the
    /// cookie-domain and proxy misconfigurations behind handshake loops.
    /// `None` (the default) sets host-only cookies.
    pub fn set_handshake_cookie_domain(&mut self, domain: Option<&str>) {
        self.frontend.cookie_domain = domain.map(str::to_owned);
    }

    /// Answers handshakes with a `__clerk_handshake_nonce` (whose directives
    /// `GET /v1/clients/handshake_payload` serves, once) instead of a signed
    /// `__clerk_handshake` token. Defaults to the token.
    pub fn use_handshake_nonces(&mut self, nonces: bool) {
        self.frontend.use_nonces = nonces;
    }
}
