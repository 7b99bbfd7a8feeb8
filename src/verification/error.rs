//! Why a token did not verify: Clerk's reason codes, and the error that carries one.

use std::borrow::Cow;
use std::fmt;

/// Why verification failed: Clerk's `TokenVerificationErrorReason`s.
///
/// [`as_str`](Self::as_str) gives Clerk's code, e.g. `token-expired`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// `exp` is in the past (beyond the clock skew).
    TokenExpired,
    /// The token is malformed, has the wrong `typ`, or is an M2M token.
    TokenInvalid,
    /// `alg` is not RS256, RS384 or RS512.
    TokenInvalidAlgorithm,
    /// `azp` is missing or not an authorized party.
    TokenInvalidAuthorizedParties,
    /// The signature does not match.
    TokenInvalidSignature,
    /// `nbf` is in the future.
    TokenNotActiveYet,
    /// `iat` is in the future.
    TokenIatInTheFuture,
    /// `sub`, `aud`, or a time claim has the wrong type or value, or the key
    /// cannot check this token's algorithm.
    TokenVerificationFailed,
    /// `iss` is not one of the configured issuers.
    TokenInvalidIssuer,
    /// The Backend API rejected the secret key while fetching the JWKS.
    SecretKeyInvalid,
    /// The JWKS could not be loaded: the Backend API is unreachable or failing.
    JwkRemoteFailedToLoad,
    /// No key in the JWKS has the token's `kid`.
    JwkKidMismatch,
    /// A machine token could not be verified at the Backend API: an answer
    /// other than 2xx, 401 or 404, or no answer at all (Clerk's machine code
    /// `unexpected-error`). [`VerifyError::status`] gives the status.
    UnexpectedError,
    /// Not one of Clerk's codes: a Backend API call that authenticating the
    /// request needs (the handshake payload of a nonce) failed for reasons of
    /// the API or the network (5xx, timeout, no connection). The request is
    /// answered 503, never signed out.
    BackendApiUnavailable,
}

impl Reason {
    /// Clerk's code for this reason, e.g. `token-expired`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TokenExpired => "token-expired",
            Self::TokenInvalid => "token-invalid",
            Self::TokenInvalidAlgorithm => "token-invalid-algorithm",
            Self::TokenInvalidAuthorizedParties => "token-invalid-authorized-parties",
            Self::TokenInvalidSignature => "token-invalid-signature",
            Self::TokenNotActiveYet => "token-not-active-yet",
            Self::TokenIatInTheFuture => "token-iat-in-the-future",
            Self::TokenVerificationFailed => "token-verification-failed",
            Self::TokenInvalidIssuer => "token-invalid-issuer",
            Self::SecretKeyInvalid => "secret-key-invalid",
            Self::JwkRemoteFailedToLoad => "jwk-remote-failed-to-load",
            Self::JwkKidMismatch => "jwk-kid-mismatch",
            Self::UnexpectedError => "unexpected-error",
            Self::BackendApiUnavailable => "backend-api-unavailable",
        }
    }

    /// True when the server, not the token, is at fault: the keys could not be
    /// loaded (Backend API down) or the secret key is wrong. Such a request
    /// deserves a 5xx, not a 401 that would sign the user out.
    #[must_use]
    pub fn is_server_fault(self) -> bool {
        matches!(
            self,
            Self::SecretKeyInvalid | Self::JwkRemoteFailedToLoad | Self::BackendApiUnavailable
        )
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A token that did not verify, or keys that could not be loaded.
///
/// [`reason`](Self::reason) is Clerk's reason code; the message is close to
/// Clerk's own. [`Reason::is_server_fault`] separates an outage from a bad
/// token.
///
/// # Examples
///
/// ```
/// # async fn demo(clerk: clerk_actix::Clerk) {
/// use clerk_actix::Reason;
///
/// match clerk.verify_token("not-a-jwt").await {
///     Ok(claims) => println!("hello {}", claims.user_id()),
///     Err(e) if e.reason().is_server_fault() => eprintln!("Clerk unreachable: {e}"),
///     Err(e) => assert_eq!(e.reason(), Reason::TokenInvalid),
/// }
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyError {
    reason: Reason,
    message: Cow<'static, str>,
    action: Option<&'static str>,
    status: Option<u16>,
    /// The server's fault (an outage, a key problem), not the token's:
    /// from the reason, unless the mapping of a Backend API answer said
    /// otherwise.
    server_fault: bool,
    /// When the crate will call the Backend API again for this (a held-off
    /// endpoint, a spent budget); `None`: on the next request.
    retry_after: Option<std::time::Duration>,
}

impl VerifyError {
    pub(crate) fn new(reason: Reason, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            reason,
            message: message.into(),
            action: None,
            status: None,
            server_fault: reason.is_server_fault(),
            retry_after: None,
        }
    }

    /// Sets [`retry_after`](Self::retry_after).
    pub(crate) fn with_retry_after(mut self, wait: std::time::Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// How long until the crate calls the Backend API for this again, when
    /// it did not call it at all: the endpoint is held off after a 429 or a
    /// burst of 5xx answers, or the budget of calls that requests may
    /// trigger is spent (see
    /// [`ClerkBuilder::backend_call_budget`](crate::ClerkBuilder::backend_call_budget)).
    /// The 503 of such a request carries it in `Retry-After`. `None`
    /// otherwise.
    #[must_use]
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        self.retry_after
    }

    pub(crate) fn with_status(mut self, status: Option<u16>) -> Self {
        self.status = status;
        self
    }

    /// Marks the error as the server's fault or not, whatever its reason
    /// says: a machine token's `unexpected-error` is an outage when the
    /// Backend API did not answer, and a verify endpoint's 401 is Clerk's
    /// `secret-key-invalid` for the token, signed out.
    pub(crate) fn with_server_fault(mut self, server_fault: bool) -> Self {
        self.server_fault = server_fault;
        self
    }

    pub(crate) fn with_action(mut self, action: &'static str) -> Self {
        self.action = Some(action);
        self
    }

    /// Clerk's reason code.
    #[must_use]
    pub fn reason(&self) -> Reason {
        self.reason
    }

    /// What failed, e.g. `JWT signature is invalid.`
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What to do about it, when Clerk suggests something.
    #[must_use]
    pub fn action(&self) -> Option<&'static str> {
        self.action
    }

    /// The HTTP status the Backend API answered with, for a machine token
    /// verified there (`404` for an unknown API key, …); `None` otherwise.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// Message and action, as Clerk joins them.
    /// Whether the token could not be checked through no fault of its own:
    /// the Backend API did not answer (5xx, 429, no connection, a broken
    /// answer), or rejected the secret key, or no key could be loaded. The
    /// middleware answers these with 503 (500 for a rejected key), never a
    /// 401 that would sign the user out.
    ///
    /// ```
    /// # #[cfg(feature = "testing")]
    /// # actix_web::rt::System::new().block_on(async {
    /// use clerk_actix::testing::StandIn;
    ///
    /// let mut stand_in = StandIn::start()?;
    /// let clerk = stand_in.clerk()?;
    /// let unknown = clerk.verify_machine_token("ak_unknown").await.unwrap_err();
    /// assert!(!unknown.is_server_fault()); // Clerk answered: no such key
    /// stand_in.shutdown();
    /// let outage = clerk.verify_machine_token("ak_other").await.unwrap_err();
    /// assert!(outage.is_server_fault()); // nobody answered
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    #[must_use]
    pub fn is_server_fault(&self) -> bool {
        self.server_fault
    }

    pub(crate) fn message_with_action(&self) -> String {
        match self.action {
            Some(action) => format!("{} {action}", self.message),
            None => self.message.to_string(),
        }
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (reason={})", self.message_with_action(), self.reason)
    }
}

impl std::error::Error for VerifyError {}
