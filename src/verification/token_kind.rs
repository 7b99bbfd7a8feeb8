//! What a token is, before it is verified: an opaque machine token by its
//! prefix, or a JWT by its header and `sub` (spec §4, in Clerk's order: M2M
//! (`mt_…`, or a JWT whose `sub` is a machine `mch_…`), then OAuth (`oat_…`,
//! or a JWT with `typ` `at+jwt` / `application/at+jwt`), then API keys
//! (`ak_…`); prefixes are case-sensitive; anything else is a session token).
//!
//! The pipeline ([`Clerk`](crate::Clerk)) picks the rules from this; the
//! cookie path refuses opaque tokens with it.

use super::json::Claim;
use super::token::{Category, Decoded};
use super::token_type::TokenType;

/// The `typ` values of an OAuth access token in JWT form.
pub(crate) const OAUTH_TYPES: [&str; 2] = ["at+jwt", "application/at+jwt"];

/// The kind of an opaque machine token, by its prefix (case-sensitive).
pub(crate) fn opaque_kind(token: &[u8]) -> Option<TokenType> {
    if token.starts_with(b"mt_") {
        Some(TokenType::M2mToken)
    } else if token.starts_with(b"oat_") {
        Some(TokenType::OAuthToken)
    } else if token.starts_with(b"ak_") {
        Some(TokenType::ApiKey)
    } else {
        None
    }
}

/// What a JWT is, from its header and `sub`: what the pipeline needs to
/// pick the rules, kept in the verified-token cache so a hit is routed the
/// same way without decoding again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct JwtShape {
    /// `Some(M2mToken)` / `Some(OAuthToken)` for a machine JWT.
    pub(crate) machine: Option<TokenType>,
    pub(crate) category: Category,
}

impl JwtShape {
    pub(crate) fn of(decoded: &Decoded) -> Self {
        let category = decoded.category_kind();
        let m2m = decoded
            .member(decoded.fields.sub)
            .and_then(Claim::as_str)
            .is_some_and(|sub| sub.starts_with("mch_"));
        let oauth = decoded
            .typ()
            .and_then(Claim::as_str)
            .is_some_and(|typ| OAUTH_TYPES.contains(&typ));
        let machine = if m2m {
            Some(TokenType::M2mToken)
        } else if oauth {
            Some(TokenType::OAuthToken)
        } else {
            None
        };
        Self { machine, category }
    }

    /// Acceptable as a session token on the request path: no machine JWT,
    /// no category but the session's.
    pub(crate) fn is_session_token(self) -> bool {
        self.machine.is_none() && matches!(self.category, Category::Absent | Category::Session)
    }

    /// The M2M `cat` check: absent or the M2M category.
    pub(crate) fn m2m_category_ok(self) -> bool {
        matches!(self.category, Category::Absent | Category::M2m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_case_sensitive() {
        assert_eq!(opaque_kind(b"mt_1"), Some(TokenType::M2mToken));
        assert_eq!(opaque_kind(b"oat_1"), Some(TokenType::OAuthToken));
        assert_eq!(opaque_kind(b"ak_1"), Some(TokenType::ApiKey));
        for token in [
            &b"M2M_1"[..],
            b"OAUTH_1",
            b"API_KEY_1",
            b"AK_1",
            b"",
            b"mt",
            b"xyz_opaque",
        ] {
            assert_eq!(opaque_kind(token), None);
        }
    }
}
