//! Which kinds of token a route, a check or the middleware takes: Clerk's
//! `acceptsToken`.

use std::fmt;

use super::token_type::TokenType;

/// A set of token types, for [`AcceptsToken::List`].
///
/// # Examples
///
/// ```
/// use clerk_actix::machine::{TokenType, TokenTypes};
///
/// let set = TokenTypes::from_iter([TokenType::ApiKey, TokenType::OAuthToken]);
/// assert!(set.contains(TokenType::ApiKey));
/// assert!(!set.contains(TokenType::SessionToken));
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TokenTypes(u8);

impl TokenTypes {
    /// No type at all: every token is refused.
    pub const NONE: Self = Self(0);
    /// The three machine types: API keys, M2M tokens, OAuth tokens.
    pub const MACHINE: Self = Self(0b1110);

    fn bit(kind: TokenType) -> u8 {
        match kind {
            TokenType::SessionToken => 1,
            TokenType::ApiKey => 2,
            TokenType::M2mToken => 4,
            TokenType::OAuthToken => 8,
        }
    }

    /// The set with `kind` added.
    #[must_use]
    pub fn with(self, kind: TokenType) -> Self {
        Self(self.0 | Self::bit(kind))
    }

    /// Whether `kind` is in the set.
    #[must_use]
    pub fn contains(self, kind: TokenType) -> bool {
        self.0 & Self::bit(kind) != 0
    }

    fn iter(self) -> impl Iterator<Item = TokenType> {
        [
            TokenType::SessionToken,
            TokenType::ApiKey,
            TokenType::M2mToken,
            TokenType::OAuthToken,
        ]
        .into_iter()
        .filter(move |kind| self.contains(*kind))
    }
}

impl FromIterator<TokenType> for TokenTypes {
    fn from_iter<I: IntoIterator<Item = TokenType>>(iter: I) -> Self {
        iter.into_iter().fold(Self::NONE, Self::with)
    }
}

impl fmt::Debug for TokenTypes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// Which kinds of token a route, a check or the middleware takes: Clerk's
/// `acceptsToken`.
///
/// [`get_auth_with`](crate::get_auth_with), the typed extractors
/// ([`ApiKeyAuth`](crate::machine::ApiKeyAuth) and the others),
/// [`Require::accepts_token`](crate::Require::accepts_token) and the
/// [guards](crate::guard) take one. The rules are Clerk's (`getAuth`):
///
/// * [`Any`](Self::Any): the request's auth object, whatever authenticated it;
/// * [`One`](Self::One): that kind only; a request authenticated another way
///   reads as signed out *of that kind* (an unauthenticated API-key object for
///   `One(ApiKey)`, a signed-out session for `One(SessionToken)`);
/// * [`List`](Self::List): the kinds listed; any other reads as Clerk's
///   "invalid token" object (`tokenType: null`).
///
/// The default is `One(SessionToken)`, as in Clerk: a route that does not say
/// otherwise serves session tokens only.
///
/// # Examples
///
/// ```
/// use clerk_actix::machine::{AcceptsToken, TokenType};
///
/// let integrations = AcceptsToken::list([TokenType::ApiKey, TokenType::OAuthToken]);
/// assert!(integrations.accepts(TokenType::OAuthToken));
/// assert!(!integrations.accepts(TokenType::SessionToken));
/// assert_eq!(AcceptsToken::default(), AcceptsToken::One(TokenType::SessionToken));
/// assert_eq!(AcceptsToken::from(TokenType::M2mToken), AcceptsToken::One(TokenType::M2mToken));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[doc(alias = "acceptsToken")]
pub enum AcceptsToken {
    /// Every kind (`'any'`).
    Any,
    /// One kind.
    One(TokenType),
    /// The kinds in the set (an array in Clerk).
    List(TokenTypes),
}

impl Default for AcceptsToken {
    fn default() -> Self {
        Self::SESSION_TOKEN
    }
}

impl From<TokenType> for AcceptsToken {
    fn from(kind: TokenType) -> Self {
        Self::One(kind)
    }
}

impl From<TokenTypes> for AcceptsToken {
    fn from(kinds: TokenTypes) -> Self {
        Self::List(kinds)
    }
}

impl AcceptsToken {
    /// Session tokens only: the default.
    pub const SESSION_TOKEN: Self = Self::One(TokenType::SessionToken);
    /// Any machine token (API keys, M2M and OAuth tokens), no session token.
    pub const MACHINE: Self = Self::List(TokenTypes::MACHINE);

    /// The kinds in `kinds` (Clerk's array form).
    #[must_use]
    pub fn list(kinds: impl IntoIterator<Item = TokenType>) -> Self {
        Self::List(kinds.into_iter().collect())
    }

    /// Whether a token of `kind` is taken.
    #[must_use]
    pub fn accepts(self, kind: TokenType) -> bool {
        match self {
            Self::Any => true,
            Self::One(one) => one == kind,
            Self::List(set) => set.contains(kind),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_rules() {
        assert!(AcceptsToken::Any.accepts(TokenType::ApiKey));
        assert!(!AcceptsToken::SESSION_TOKEN.accepts(TokenType::ApiKey));
        assert!(AcceptsToken::MACHINE.accepts(TokenType::M2mToken));
        assert!(!AcceptsToken::MACHINE.accepts(TokenType::SessionToken));
        assert!(!AcceptsToken::list([]).accepts(TokenType::SessionToken));
        assert_eq!(
            format!("{:?}", TokenTypes::MACHINE),
            "{ApiKey, M2mToken, OAuthToken}"
        );
    }
}
