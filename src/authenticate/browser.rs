//! One request as the browser path reads it: the cookies of the set §2.2
//! chooses, Clerk's query parameters, the instance and its settings.

use super::cookies::{BrowserCookies, Set, DEV_BROWSER, HANDSHAKE, HANDSHAKE_NONCE};
use super::head::{Header, RequestHead};
use crate::clerk::Clerk;
use crate::config::org_sync::{OrgMatcher, OrgTarget};
use crate::config::{BrowserSettings, InstanceType, PublishableKey};
use crate::verification::peek::Peek;

/// The Clerk query parameters of a request.
#[derive(Default)]
pub(crate) struct ClerkQuery {
    pub(crate) dev_browser: Option<String>,
    pub(crate) handshake: Option<String>,
    pub(crate) handshake_nonce: Option<String>,
    /// `__clerk_redirect_url`: a satellite asking the primary to sync.
    pub(crate) redirect_url: Option<String>,
    /// `__clerk_synced`: a satellite's sync asked for or done.
    pub(crate) synced: Option<String>,
}

impl ClerkQuery {
    pub(crate) fn parse(path_and_query: &str) -> Self {
        let mut query = Self::default();
        let Some((_, raw)) = path_and_query.split_once('?') else {
            return query;
        };
        // Most requests have none: skip the decoding.
        if memchr::memmem::find(raw.as_bytes(), b"__clerk").is_none() {
            return query;
        }
        for (key, value) in form_urlencoded::parse(raw.as_bytes()) {
            let slot = match &*key {
                DEV_BROWSER => &mut query.dev_browser,
                HANDSHAKE => &mut query.handshake,
                HANDSHAKE_NONCE => &mut query.handshake_nonce,
                "__clerk_redirect_url" => &mut query.redirect_url,
                super::cookies::SYNCED => &mut query.synced,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(value.into_owned());
            }
        }
        query
    }
}

/// One request as the browser path reads it: cookies (of the set §2.2
/// chooses), Clerk's query parameters, the instance and its settings.
pub(crate) struct BrowserRequest<'r> {
    pub(crate) clerk: &'r Clerk,
    pub(crate) parts: &'r dyn RequestHead,
    /// `None`: no publishable key, so no Frontend API and no cookie suffix.
    pub(crate) key: Option<&'r PublishableKey>,
    pub(crate) cookies: BrowserCookies<'r>,
    pub(crate) set: Set,
    /// What the chosen set's session token is (`None`: absent), peeked at
    /// once; the cookie path takes it to verify the token.
    pub(crate) peek: Option<Peek>,
    pub(crate) query: ClerkQuery,
    /// Why the handshake this request returned from could not be resolved,
    /// for the loop guard's warning.
    unresolved: std::cell::RefCell<Option<String>>,
}

impl<'r> BrowserRequest<'r> {
    pub(crate) fn new(clerk: &'r Clerk, parts: &'r dyn RequestHead) -> Self {
        let key = clerk.publishable_key();
        // Read only by rule 6 (development, suffixed cookies).
        let now_ms = || clerk.config().clock.now_millis();
        let cookies = BrowserCookies::parse(
            parts.header(Header::Cookie),
            key.map(PublishableKey::cookie_suffix),
        );
        let read = |token: &str| Some(clerk.peek(token));
        let (set, peek) = match key {
            Some(key) => cookies.which(
                clerk.config().browser.issuer_frontend_api(key),
                key.instance_type(),
                &now_ms,
                &read,
            ),
            None => (
                Set::Unsuffixed,
                cookies.session(Set::Unsuffixed).and_then(read),
            ),
        };
        Self {
            clerk,
            parts,
            key,
            cookies,
            set,
            peek,
            query: ClerkQuery::parse(parts.path_and_query()),
            unresolved: std::cell::RefCell::new(None),
        }
    }

    pub(crate) fn settings(&self) -> &'r BrowserSettings {
        &self.clerk.config().browser
    }

    /// Development or production, from the publishable key (else the secret
    /// key's prefix, else production).
    pub(crate) fn instance(&self) -> InstanceType {
        self.clerk
            .instance_type()
            .unwrap_or(InstanceType::Production)
    }

    pub(crate) fn is_development(&self) -> bool {
        self.instance() == InstanceType::Development
    }

    /// Whether the request may be sent through a handshake at all: a
    /// publishable key (the Frontend API to go to) and not API-only.
    pub(crate) fn handshakes_allowed(&self) -> bool {
        self.key.is_some() && !self.settings().api_only
    }

    pub(crate) fn trust_forwarded(&self) -> bool {
        self.settings().trust_forwarded_headers
    }

    pub(crate) fn suffixed(&self) -> bool {
        self.set == Set::Suffixed
    }

    /// `__session` (of the chosen set).
    pub(crate) fn session_cookie(&self) -> Option<&str> {
        self.cookies.session(self.set)
    }

    /// `__client_uat` (of the chosen set), as a number.
    pub(crate) fn client_uat(&self) -> i64 {
        self.cookies.client_uat(self.set)
    }

    /// The dev-browser token: query `__clerk_db_jwt`, else the cookie.
    pub(crate) fn dev_browser(&self) -> Option<&str> {
        self.query
            .dev_browser
            .as_deref()
            .or_else(|| self.cookies.dev_browser(self.set))
    }

    /// `__clerk_handshake`: query, else cookie (never suffixed).
    pub(crate) fn handshake_token(&self) -> Option<&str> {
        self.query
            .handshake
            .as_deref()
            .or(self.cookies.handshake.as_deref())
            .filter(|t| !t.is_empty())
    }

    /// `__clerk_handshake_nonce`: query, else cookie.
    pub(crate) fn handshake_nonce(&self) -> Option<&str> {
        self.query
            .handshake_nonce
            .as_deref()
            .or(self.cookies.handshake_nonce.as_deref())
            .filter(|t| !t.is_empty())
    }

    /// Records why this request's handshake could not be resolved (already
    /// logged where it happened).
    pub(crate) fn note_unresolved(&self, why: impl Into<String>) {
        *self.unresolved.borrow_mut() = Some(why.into());
    }

    /// Why this request's handshake could not be resolved, if it was.
    pub(crate) fn unresolved(&self) -> Option<String> {
        self.unresolved.borrow().clone()
    }

    /// The organization the path names (organization sync, §2.9), if any.
    pub(crate) fn org_target(&self) -> Option<OrgTarget<'r>> {
        let matcher = self.settings().organization_sync.as_deref()?;
        matcher.target(self.parts.path_and_query())
    }

    /// The handshake's `organization_id` parameter, if the path names one.
    pub(crate) fn org_handshake_param(&self) -> Option<&'r str> {
        self.org_target().map(|t| OrgMatcher::handshake_param(&t))
    }

    pub(crate) fn redirect_count(&self) -> u32 {
        self.cookies.redirect_count()
    }
}
