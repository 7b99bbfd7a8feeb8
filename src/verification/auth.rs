//! The auth object: who made the request, and what they may do.

use std::borrow::{Borrow, Cow};
use std::fmt;
use std::sync::Arc;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use super::accepts::AcceptsToken;
use super::authorization::{Grants, Has};
use super::claims::SessionClaims;
use super::machine::{self, MachineToken};
use super::token_type::TokenType;

/// Clerk's auth object for a request: signed in (with the session's claims) or
/// signed out (with the reason).
///
/// [`ClerkMiddleware`](crate::ClerkMiddleware) attaches one to every request.
/// Read it with [`get_auth`](crate::get_auth) (or
/// [`get_auth_with`](crate::get_auth_with) on routes that take machine
/// tokens), or take it as a handler argument (see "Extractor behaviour").
///
/// It serialises to the JSON of Clerk's auth object (`userId`, `sessionId`,
/// `orgId`, `orgRole`, `orgPermissions`, `sessionClaims`, `isAuthenticated`,
/// …), so `HttpResponse::Ok().json(&auth)` answers like `res.json(req.auth)`.
///
/// # Extractor behaviour
///
/// * `Auth` rejects a signed-out request with
///   [`UnauthorizedError`](crate::UnauthorizedError) (401). It takes
///   session tokens only: a request with an API key, M2M or OAuth token is
///   signed out for it (read those with [`ApiKeyAuth`](crate::machine::ApiKeyAuth),
///   [`MachineAuth`](crate::machine::MachineAuth), … or
///   [`get_auth_with`](crate::get_auth_with)).
/// * `Option<Auth>` is `None` for a signed-out request; use
///   [`OptionalAuth`](crate::OptionalAuth) if a missing middleware should
///   still be an error.
/// * `Result<Auth, AuthError>` ([`AuthError`](crate::error::AuthError)) hands the
///   rejection to the handler.
/// * Without `ClerkMiddleware` in front, extraction fails with a 500 whose
///   body is Clerk's generic error; how to fix it goes to the log
///   (`log::error!`), never to the client.
///
/// # Examples
///
/// ```
/// use clerk_actix::{Auth, Has};
/// use clerk_actix::session::SessionClaims;
/// use serde_json::json;
///
/// let claims = SessionClaims::from_value(json!({
///     "sub": "user_1", "sid": "sess_1",
///     "org_id": "org_1", "org_role": "org:admin", "org_permissions": ["org:invoices:read"]
/// }))
/// .unwrap();
/// let auth = Auth::from_claims(claims);
/// assert_eq!(auth.user_id(), Some("user_1"));
/// assert!(auth.has(Has::permission("org:invoices:read")));
/// assert!(!auth.has(Has::role("org:member")));
/// assert_eq!(serde_json::to_value(&auth).unwrap()["orgId"], "org_1");
/// ```
#[derive(Clone)]
pub struct Auth {
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    Session {
        claims: SessionClaims,
        /// Pending sessions count as signed out (Clerk's default).
        pending_is_signed_out: bool,
    },
    SignedOut(Arc<SignedOut>),
    /// A verified machine token.
    Machine(MachineToken),
    /// Signed out of a machine kind: Clerk's unauthenticated machine object.
    MachineSignedOut(TokenType, Arc<SignedOut>),
    /// Clerk's "invalid token" object (`tokenType: null`).
    InvalidToken(Arc<SignedOut>),
}

/// Why a request is signed out.
#[derive(Debug, Default)]
pub(crate) struct SignedOut {
    pub(crate) reason: Option<Cow<'static, str>>,
    pub(crate) message: Option<String>,
    /// A token came with the request (and was rejected).
    pub(crate) token_presented: bool,
}

impl Auth {
    /// A signed-in auth object for `claims`. Pending sessions count as
    /// signed out.
    ///
    /// Claims can only come from verification ([`Clerk::verify_token`](crate::Clerk::verify_token)),
    /// or, in tests, from `SessionClaims::from_value` (`testing` feature), so
    /// this cannot make a signed-in object out of unverified JSON.
    ///
    /// ```no_run
    /// # async fn demo(clerk: clerk_actix::Clerk, token: &str) -> Result<(), clerk_actix::VerifyError> {
    /// use clerk_actix::Auth;
    ///
    /// let auth = Auth::from_claims(clerk.verify_token(token).await?);
    /// assert!(auth.is_authenticated());
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn from_claims(claims: SessionClaims) -> Self {
        Self {
            kind: Kind::Session {
                claims,
                pending_is_signed_out: true,
            },
        }
    }

    /// A signed-out auth object.
    #[must_use]
    pub fn signed_out() -> Self {
        Self::from_signed_out(SignedOut::default())
    }

    pub(crate) fn from_signed_out(signed_out: SignedOut) -> Self {
        Self {
            kind: Kind::SignedOut(Arc::new(signed_out)),
        }
    }

    /// A signed-in auth object for a verified machine token.
    ///
    /// Machine tokens only come from verification
    /// ([`Clerk::verify_machine_token`](crate::Clerk::verify_machine_token)),
    /// so this cannot make a signed-in object out of unverified input.
    #[must_use]
    pub fn from_machine_token(token: MachineToken) -> Self {
        Self {
            kind: Kind::Machine(token),
        }
    }

    /// Signed out with `token_type` (`None`: the invalid-token object).
    /// A session type gives the signed-out session object.
    pub(crate) fn signed_out_as(token_type: Option<TokenType>, signed_out: SignedOut) -> Self {
        let out = Arc::new(signed_out);
        let kind = match token_type {
            None => Kind::InvalidToken(out),
            Some(TokenType::SessionToken) => Kind::SignedOut(out),
            Some(kind) => Kind::MachineSignedOut(kind, out),
        };
        Self { kind }
    }

    /// This auth object as a route that takes `accepts` sees it: Clerk's
    /// `getAuth(req, { acceptsToken })`. [`AcceptsToken::Any`] keeps it as
    /// is; a token of a kind not accepted reads as signed out (of the
    /// requested machine kind, as a session, or as the invalid-token object
    /// for a list).
    ///
    /// ```
    /// use clerk_actix::Auth;
    /// use clerk_actix::machine::{AcceptsToken, TokenType};
    ///
    /// let anonymous = Auth::signed_out();
    /// let as_api_key = anonymous.accepting(TokenType::ApiKey);
    /// assert_eq!(as_api_key.token_type(), Some(TokenType::ApiKey));
    /// assert!(!as_api_key.is_authenticated());
    /// assert_eq!(anonymous.accepting(AcceptsToken::MACHINE).token_type(), None);
    /// ```
    #[must_use]
    pub fn accepting(&self, accepts: impl Into<AcceptsToken>) -> Self {
        let accepts = accepts.into();
        let current = self.token_type();
        let wanted = match accepts {
            AcceptsToken::Any => return self.clone(),
            AcceptsToken::One(kind) if current == Some(kind) => return self.clone(),
            AcceptsToken::List(kinds) if current.is_some_and(|k| kinds.contains(k)) => {
                return self.clone()
            }
            AcceptsToken::One(kind) => Some(kind),
            AcceptsToken::List(_) => None,
        };
        let presented = self.token_presented();
        let out = SignedOut {
            reason: Some(if presented {
                Cow::Borrowed("token-type-mismatch")
            } else {
                self.signed_out_reason()
                    .map_or(Cow::Borrowed("No token in header"), |r| {
                        Cow::Owned(r.to_owned())
                    })
            }),
            message: Some(String::new()),
            token_presented: presented,
        };
        Self::signed_out_as(wanted, out)
    }

    /// The same auth object with pending sessions (`sts: pending`, a session
    /// with tasks left) counted as signed out or not. Signed-out objects stay
    /// as they are.
    ///
    /// ```
    /// # use clerk_actix::Auth;
    /// # use clerk_actix::session::SessionClaims;
    /// let claims = SessionClaims::from_value(serde_json::json!({"sub": "user_1", "sts": "pending"})).unwrap();
    /// let auth = Auth::from_claims(claims);
    /// assert!(!auth.is_authenticated());
    /// assert_eq!(auth.session_status(), Some("pending"));
    /// assert!(auth.treat_pending_as_signed_out(false).is_authenticated());
    /// ```
    #[must_use]
    pub fn treat_pending_as_signed_out(mut self, signed_out: bool) -> Self {
        if let Kind::Session {
            pending_is_signed_out,
            ..
        } = &mut self.kind
        {
            *pending_is_signed_out = signed_out;
        }
        self
    }

    /// The claims, when signed in.
    #[must_use]
    pub fn claims(&self) -> Option<&SessionClaims> {
        match &self.kind {
            Kind::Session {
                claims,
                pending_is_signed_out,
            } if !(*pending_is_signed_out && claims.is_pending()) => Some(claims),
            _ => None,
        }
    }

    /// Whether the request is signed in (with a session, or with a machine
    /// token).
    #[must_use]
    pub fn is_authenticated(&self) -> bool {
        matches!(self.kind, Kind::Machine(_)) || self.claims().is_some()
    }

    /// The kind of token behind this object; `None` for Clerk's
    /// invalid-token object (a token of a kind the route does not take, see
    /// [`accepting`](Self::accepting)).
    #[must_use]
    pub fn token_type(&self) -> Option<TokenType> {
        match &self.kind {
            Kind::Session { .. } | Kind::SignedOut(_) => Some(TokenType::SessionToken),
            Kind::Machine(token) => Some(token.token_type()),
            Kind::MachineSignedOut(kind, _) => Some(*kind),
            Kind::InvalidToken(_) => None,
        }
    }

    /// The verified machine token, when a machine token authenticated the
    /// request.
    #[must_use]
    pub fn machine(&self) -> Option<&MachineToken> {
        match &self.kind {
            Kind::Machine(token) => Some(token),
            _ => None,
        }
    }

    /// Whether a verified machine token grants `scope` (exact match). Always
    /// `false` for sessions and signed-out requests. Clerk has no such check;
    /// it is what an API-key route needs.
    ///
    /// ```
    /// # use clerk_actix::Auth;
    /// assert!(!Auth::signed_out().has_scope("read:reports"));
    /// ```
    #[must_use]
    pub fn has_scope(&self, scope: &str) -> bool {
        self.machine().is_some_and(|token| token.has_scope(scope))
    }

    /// The signed-in user's id; for machine tokens, the user an API key or
    /// OAuth token belongs to.
    #[must_use]
    pub fn user_id(&self) -> Option<&str> {
        match &self.kind {
            Kind::Machine(token) => token.user_id(),
            _ => self.claims().map(SessionClaims::user_id),
        }
    }

    /// The session's id.
    #[must_use]
    pub fn session_id(&self) -> Option<&str> {
        self.claims().and_then(SessionClaims::session_id)
    }

    /// The session status (`active`, `pending`), also on the signed-out object
    /// of a pending session.
    #[must_use]
    pub fn session_status(&self) -> Option<&str> {
        match &self.kind {
            Kind::Session { claims, .. } => claims.session_status(),
            _ => None,
        }
    }

    /// The active organization's id; for an API key, the organization it
    /// belongs to.
    #[must_use]
    pub fn org_id(&self) -> Option<&str> {
        match &self.kind {
            Kind::Machine(token) => token.org_id(),
            _ => self.claims().and_then(SessionClaims::org_id),
        }
    }

    /// The user's role in the active organization, e.g. `org:admin`.
    #[must_use]
    pub fn org_role(&self) -> Option<&str> {
        self.claims().and_then(SessionClaims::org_role)
    }

    /// The active organization's slug.
    #[must_use]
    pub fn org_slug(&self) -> Option<&str> {
        self.claims().and_then(SessionClaims::org_slug)
    }

    /// The user's permissions in the active organization.
    #[must_use]
    pub fn org_permissions(&self) -> Option<&[String]> {
        self.claims().and_then(SessionClaims::org_permissions)
    }

    /// Minutes since each factor was verified (`[first, second]`, −1 = none).
    #[must_use]
    pub fn factor_verification_age(&self) -> Option<&Value> {
        self.claims()
            .and_then(SessionClaims::factor_verification_age)
    }

    /// The impersonator, when someone acts on the user's behalf.
    #[must_use]
    pub fn actor(&self) -> Option<&Value> {
        self.claims().and_then(SessionClaims::actor)
    }

    /// Clerk's reason code for a signed-out request, e.g.
    /// `token-expired` or `session-token-and-uat-missing`.
    #[must_use]
    pub fn signed_out_reason(&self) -> Option<&str> {
        self.signed_out_part().and_then(|out| out.reason.as_deref())
    }

    /// Clerk's explanation for a signed-out request.
    #[must_use]
    pub fn signed_out_message(&self) -> Option<&str> {
        self.signed_out_part()
            .and_then(|out| out.message.as_deref())
            .filter(|m| !m.is_empty())
    }

    /// Whether a token came with the request and was rejected.
    pub(crate) fn token_presented(&self) -> bool {
        self.signed_out_part().is_none_or(|out| out.token_presented)
    }

    /// Why it is signed out, when it is.
    pub(crate) fn signed_out_state(&self) -> Option<&SignedOut> {
        self.signed_out_part()
    }

    fn signed_out_part(&self) -> Option<&SignedOut> {
        match &self.kind {
            Kind::SignedOut(out) | Kind::MachineSignedOut(_, out) | Kind::InvalidToken(out) => {
                Some(out)
            }
            Kind::Session { .. } | Kind::Machine(_) => None,
        }
    }

    /// Clerk's `has()`: whether the signed-in user passes `check`. Always
    /// `false` when signed out, for machine tokens (see
    /// [`has_scope`](Self::has_scope)), and for a check with nothing in it.
    ///
    /// ```
    /// # use clerk_actix::{Auth, Has};
    /// assert!(!Auth::signed_out().has(Has::role("admin")));
    /// ```
    #[must_use]
    pub fn has(&self, check: impl Borrow<Has>) -> bool {
        let Some(claims) = self.claims() else {
            return false;
        };
        Grants {
            user_id: Some(claims.user_id()),
            org_id: claims.org_id(),
            org_role: claims.org_role(),
            org_permissions: claims.org_permissions(),
            features: claims.features(),
            plans: claims.plans(),
            factor_verification_age: claims.factor_verification_age(),
        }
        .allow(check.borrow())
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(token) = self.machine() {
            return f.debug_struct("Auth").field("machine", token).finish();
        }
        match self.claims() {
            Some(claims) => f
                .debug_struct("Auth")
                .field("user_id", &claims.user_id())
                .field("session_id", &claims.session_id())
                .field("org_id", &claims.org_id())
                .finish_non_exhaustive(),
            None => f
                .debug_struct("Auth")
                .field("signed_out", &self.signed_out_reason())
                .finish_non_exhaustive(),
        }
    }
}

impl Serialize for Auth {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match &self.kind {
            Kind::Machine(token) => {
                token.write_json(&mut map)?;
                return map.end();
            }
            Kind::MachineSignedOut(kind, _) => {
                machine::write_unauthenticated_json(*kind, &mut map)?;
                return map.end();
            }
            Kind::InvalidToken(_) => {
                map.serialize_entry("isAuthenticated", &false)?;
                map.serialize_entry("tokenType", &())?;
                return map.end();
            }
            Kind::Session { .. } | Kind::SignedOut(_) => {}
        }
        map.serialize_entry("tokenType", TokenType::SessionToken.as_str())?;
        match self.claims() {
            Some(claims) => {
                map.serialize_entry("sessionClaims", claims.as_map())?;
                // `sid` absent: no key, as Clerk's `sessionId: undefined`.
                if let Some(session_id) = claims.session_id() {
                    map.serialize_entry("sessionId", session_id)?;
                }
                map.serialize_entry("sessionStatus", &claims.session_status())?;
                map.serialize_entry("userId", claims.user_id())?;
                // Like Clerk's object: absent, not null, when the token has none.
                if let Some(actor) = claims.actor() {
                    map.serialize_entry("actor", actor)?;
                }
                if let Some(org_id) = claims.org_id() {
                    map.serialize_entry("orgId", org_id)?;
                }
                if let Some(role) = claims.org_role() {
                    map.serialize_entry("orgRole", role)?;
                }
                if let Some(slug) = claims.org_slug() {
                    map.serialize_entry("orgSlug", slug)?;
                }
                if let Some(permissions) = claims.org_permissions() {
                    map.serialize_entry("orgPermissions", permissions)?;
                }
                map.serialize_entry("factorVerificationAge", &claims.factor_verification_age())?;
                map.serialize_entry("isAuthenticated", &true)?;
            }
            None => {
                map.serialize_entry("sessionClaims", &())?;
                map.serialize_entry("sessionId", &())?;
                map.serialize_entry("sessionStatus", &self.session_status())?;
                for key in [
                    "userId",
                    "actor",
                    "orgId",
                    "orgRole",
                    "orgSlug",
                    "orgPermissions",
                    "factorVerificationAge",
                ] {
                    map.serialize_entry(key, &())?;
                }
                map.serialize_entry("isAuthenticated", &false)?;
            }
        }
        map.end()
    }
}
