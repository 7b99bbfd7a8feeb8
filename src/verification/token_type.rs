//! The kinds of token a request can carry.

use std::fmt;

/// The kind of token a request was authenticated with.
///
/// It serialises to Clerk's name for it (the auth object's `tokenType`):
///
/// ```
/// use clerk_actix::machine::TokenType;
///
/// assert_eq!(serde_json::to_string(&TokenType::ApiKey).unwrap(), r#""api_key""#);
/// assert_eq!(
///     serde_json::to_value([TokenType::SessionToken, TokenType::M2mToken, TokenType::OAuthToken])
///         .unwrap(),
///     serde_json::json!(["session_token", "m2m_token", "oauth_token"])
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenType {
    /// A Clerk session token (what Clerk's front-end SDKs send).
    SessionToken,
    /// An API key (`ak_…`), verified at the Backend API.
    ApiKey,
    /// A machine-to-machine token: opaque (`mt_…`, verified at the Backend
    /// API) or a JWT whose `sub` is a machine (`mch_…`).
    M2mToken,
    /// An OAuth access token Clerk issued: opaque (`oat_…`) or a JWT with
    /// `typ: at+jwt`.
    OAuthToken,
}

impl TokenType {
    /// Clerk's name for it, e.g. `session_token`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SessionToken => "session_token",
            Self::ApiKey => "api_key",
            Self::M2mToken => "m2m_token",
            Self::OAuthToken => "oauth_token",
        }
    }

    /// Whether it is a machine token (anything but a session token).
    #[must_use]
    pub fn is_machine(self) -> bool {
        !matches!(self, Self::SessionToken)
    }
}

impl serde::Serialize for TokenType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl fmt::Display for TokenType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
