//! A look at a token before it is verified: from the verified-token cache
//! when the token is there, else decoded (form only, no key, no check).
//!
//! The browser path reads a session cookie's issuer, times and kind to pick
//! the cookie set and the next step before it verifies the token; the
//! refresh reads the expired token's `sid`. A peek is made by
//! [`Clerk::peek`](crate::Clerk) and handed back to the pipeline with the
//! token, so a request decodes its token once at most.

use std::sync::Arc;

use super::cache::Verified;
use super::error::VerifyError;
use super::json::Claim;
use super::token::{self, Decoded};
use super::token_kind::JwtShape;

/// What is known of a token without verifying it.
pub(crate) struct Peek {
    /// Read by the pipeline only ([`Clerk`](crate::Clerk)).
    pub(crate) seen: Seen,
}

/// Where a peek's knowledge comes from.
pub(crate) enum Seen {
    /// The token verified before: its claims, unchecked now.
    Cached(Arc<Verified>),
    /// Decoded (the form checks passed).
    Decoded(Box<Decoded>),
    /// Not a JWT: why.
    Malformed(VerifyError),
}

impl Peek {
    /// Decodes `token`, with the size cap.
    pub(crate) fn decode(token: &str, max_bytes: usize) -> Self {
        let seen = match token::decode(token, max_bytes) {
            Ok(decoded) => Seen::Decoded(Box::new(decoded)),
            Err(err) => Seen::Malformed(err),
        };
        Self { seen }
    }

    pub(crate) fn cached(verified: Arc<Verified>) -> Self {
        Self {
            seen: Seen::Cached(verified),
        }
    }

    /// Why the token is not a JWT; `None` when it is one.
    pub(crate) fn malformed(&self) -> Option<&VerifyError> {
        match &self.seen {
            Seen::Malformed(err) => Some(err),
            _ => None,
        }
    }

    /// What the token is; `None` when it is not a JWT.
    pub(crate) fn shape(&self) -> Option<JwtShape> {
        match &self.seen {
            Seen::Cached(verified) => Some(verified.shape),
            Seen::Decoded(decoded) => Some(JwtShape::of(decoded)),
            Seen::Malformed(_) => None,
        }
    }

    /// A session token: a JWT, no machine token, no category but the
    /// session's (§2.6 step 11).
    pub(crate) fn is_session_token(&self) -> bool {
        self.shape().is_some_and(JwtShape::is_session_token)
    }

    /// The `iss` claim.
    pub(crate) fn iss(&self) -> Option<Claim<'_>> {
        match &self.seen {
            Seen::Cached(verified) => verified.claims.policy().iss(),
            Seen::Decoded(decoded) => decoded.member(decoded.fields.iss),
            Seen::Malformed(_) => None,
        }
    }

    /// `iat`, when it is a number.
    pub(crate) fn iat(&self) -> Option<f64> {
        match &self.seen {
            Seen::Cached(verified) => verified.times().issued_at_secs(),
            Seen::Decoded(decoded) => decoded.member(decoded.fields.iat).and_then(Claim::as_f64),
            Seen::Malformed(_) => None,
        }
    }

    /// `exp`, when it is a number.
    pub(crate) fn exp(&self) -> Option<f64> {
        match &self.seen {
            Seen::Cached(verified) => verified.times().expires_at_secs(),
            Seen::Decoded(decoded) => decoded.member(decoded.fields.exp).and_then(Claim::as_f64),
            Seen::Malformed(_) => None,
        }
    }

    /// `sid`, when it is a string that is not empty.
    pub(crate) fn sid(&self) -> Option<&str> {
        match &self.seen {
            Seen::Cached(verified) => verified.claims.session_id(),
            Seen::Decoded(decoded) => decoded.member(decoded.fields.sid).and_then(Claim::as_str),
            Seen::Malformed(_) => None,
        }
        .filter(|sid| !sid.is_empty())
    }

    /// `azp` is present and not empty.
    pub(crate) fn has_azp(&self) -> bool {
        let azp = match &self.seen {
            Seen::Cached(verified) => verified.claims.policy().azp(),
            Seen::Decoded(decoded) => decoded.member(decoded.fields.azp),
            Seen::Malformed(_) => None,
        };
        match azp {
            None => false,
            Some(azp) if azp.is_null() => false,
            Some(azp) => azp.as_str().is_none_or(|s| !s.is_empty()),
        }
    }
}
