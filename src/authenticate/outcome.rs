//! What authentication decides for one request, as data: the outcome (the
//! auth state the app sees), the answer (the app's, a handshake, or back to
//! the page), the headers the browser path adds, and the constructors every
//! path shares. The actix layer turns it into a response.

use std::borrow::Cow;

use actix_web::cookie::{time, Cookie, SameSite};

use super::cookies::{set_cookie, REDIRECT_COUNT};
use crate::verification::auth::SignedOut;
use crate::verification::claims::SessionClaims;
use crate::verification::error::VerifyError;
use crate::verification::machine::{self, MachineToken};
use crate::verification::token_type::TokenType;

/// The session token type, as a signed-out outcome names it.
pub(crate) const SESSION: Option<TokenType> = Some(TokenType::SessionToken);

/// The auth state a request goes on with.
pub(crate) enum Outcome {
    /// A session token verified.
    SignedIn(SessionClaims),
    /// A machine token verified (§4).
    Machine(MachineToken),
    /// Signed out, as the token type given: [`SESSION`] for the signed-out
    /// session, a machine kind for a machine token that did not verify (or
    /// was missing), `None` for Clerk's invalid-token state.
    SignedOut(Option<TokenType>, SignedOut),
    /// The token could not be checked (the keys or the Backend API are not
    /// there): the server's problem, not the user's.
    Unavailable(VerifyError),
}

impl Outcome {
    /// Signed out as `token_type` with `reason` and `message`.
    pub(crate) fn signed_out(
        token_type: Option<TokenType>,
        reason: Cow<'static, str>,
        message: String,
        token_presented: bool,
    ) -> Self {
        Self::SignedOut(
            token_type,
            SignedOut {
                reason: Some(reason),
                message: Some(message),
                token_presented,
            },
        )
    }

    /// A Clerk token of a kind the path does not take
    /// (`token-type-mismatch`), signed out as `token_type`.
    pub(crate) fn type_mismatch(token_type: Option<TokenType>) -> Self {
        Self::signed_out(
            token_type,
            Cow::Borrowed("token-type-mismatch"),
            String::new(),
            true,
        )
    }

    /// A machine token of `kind` that did not verify: an outage, or signed
    /// out with Clerk's machine code and message.
    pub(crate) fn machine_failure(kind: TokenType, err: VerifyError) -> Self {
        if err.is_server_fault() {
            // The middleware logs outages with `log::error!`.
            return Self::Unavailable(err);
        }
        if err.reason() == crate::verification::error::Reason::SecretKeyInvalid {
            log::error!(
                target: "clerk_actix::middleware",
                "the Backend API rejected the secret key while verifying a {kind}: {}",
                err.message()
            );
        }
        Self::signed_out(
            Some(kind),
            Cow::Borrowed(err.reason().as_str()),
            machine::full_message(&err),
            true,
        )
    }
}

/// Signed out of the session with `reason` and an empty message.
pub(crate) fn signed_out(reason: &'static str, token_presented: bool) -> Outcome {
    Outcome::signed_out(
        SESSION,
        Cow::Borrowed(reason),
        String::new(),
        token_presented,
    )
}

/// What the request gets.
pub(crate) enum Decision {
    /// The app answers, with this auth state; the browser path's headers
    /// (the cookies of a refresh or of a resolved handshake) ride on its
    /// answer.
    App(Outcome, BrowserHeaders),
    /// A browser navigation that Clerk sends through a handshake redirect
    /// to refresh its session; the app is not called.
    Handshake(Handshake),
    /// Development handshake resolution: 307 back to the page without the
    /// handshake parameters (`Cache-Control: no-store`), the cookies set on
    /// the way; the app is not called. `signed_out`: the `x-clerk-auth-*`
    /// of a resolution that did not sign the request in.
    BackToPage {
        location: String,
        headers: BrowserHeaders,
        signed_out: Option<SignedOut>,
    },
}

impl From<Outcome> for Decision {
    fn from(outcome: Outcome) -> Self {
        Self::App(outcome, BrowserHeaders::default())
    }
}

impl Decision {
    /// The answer's status when it redirects: 307.
    pub(crate) const REDIRECT_STATUS: u16 = 307;
}

/// Headers the browser path adds to an answer, as data.
#[derive(Default)]
pub(crate) struct BrowserHeaders {
    /// One `Set-Cookie` header each.
    pub(crate) set_cookies: Vec<String>,
    /// `Access-Control-Allow-Origin: null` and
    /// `Access-Control-Allow-Credentials: true`, as Clerk sends on a
    /// resolved handshake.
    pub(crate) handshake_cors: bool,
}

impl std::fmt::Debug for BrowserHeaders {
    /// Cookie names only: the values are session tokens (Clerk's 3.6.0
    /// redacts tokens from debug output too).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self
            .set_cookies
            .iter()
            .map(|c| c.split(['=', ';']).next().unwrap_or_default())
            .collect();
        f.debug_struct("BrowserHeaders")
            .field("set_cookies", &names)
            .field("handshake_cors", &self.handshake_cors)
            .finish()
    }
}

impl BrowserHeaders {
    /// No header to add (the usual answer to a signed-in request).
    pub(crate) fn is_empty(&self) -> bool {
        !self.handshake_cors && self.set_cookies.is_empty()
    }

    /// Every header, in order: the CORS pair, then the cookies.
    pub(crate) fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> {
        let cors = self.handshake_cors.then_some([
            ("access-control-allow-origin", "null"),
            ("access-control-allow-credentials", "true"),
        ]);
        cors.into_iter()
            .flatten()
            .chain(self.set_cookies.iter().map(|c| ("set-cookie", c.as_str())))
    }
}

/// `x-clerk-auth-status`, `-reason` and `-message` for a request that is not
/// signed in (`status` is `signed-out` or `handshake`). Empty values are left
/// out, as Clerk does.
pub(crate) fn auth_headers<'a>(
    status: &'static str,
    out: &'a SignedOut,
) -> impl Iterator<Item = (&'static str, &'a str)> {
    let reason = out.reason.as_deref().filter(|r| !r.is_empty());
    let message = out.message.as_deref().filter(|m| !m.is_empty());
    [
        Some(("x-clerk-auth-status", status)),
        reason.map(|r| ("x-clerk-auth-reason", r)),
        message.map(|m| ("x-clerk-auth-message", m)),
    ]
    .into_iter()
    .flatten()
}

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
        let counter = Cookie::build(REDIRECT_COUNT, (self.redirect_count + 1).to_string())
            .same_site(SameSite::Lax)
            .http_only(true)
            .max_age(time::Duration::seconds(2))
            .finish();
        let mut headers = vec![
            ("location", Cow::Borrowed(self.location.as_str())),
            ("cache-control", Cow::Borrowed("no-store")),
            ("set-cookie", Cow::Owned(set_cookie(&counter))),
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

/// Where a token came from, as Clerk's messages name it.
#[derive(Clone, Copy)]
pub(crate) enum Carrier {
    Header,
    Cookie,
}

impl Carrier {
    fn as_str(self) -> &'static str {
        match self {
            Carrier::Header => "header",
            Carrier::Cookie => "cookie",
        }
    }
}

/// `<message> (reason=<code>, token-carrier=<carrier>)`, Clerk's form.
pub(crate) fn full_message(err: &VerifyError, carrier: Carrier) -> String {
    format!(
        "{} (reason={}, token-carrier={})",
        err.message_with_action(),
        err.reason(),
        carrier.as_str()
    )
}

/// A session token that did not verify: signed out with its reason and
/// Clerk's full message.
pub(crate) fn signed_out_for(err: &VerifyError, carrier: Carrier) -> Outcome {
    Outcome::signed_out(
        SESSION,
        Cow::Borrowed(err.reason().as_str()),
        full_message(err, carrier),
        true,
    )
}
