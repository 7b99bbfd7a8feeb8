//! What an opaque machine token must look like before the Backend API is
//! asked about it, and what a request gets when the call is not made.
//!
//! Refused here, without a call (answered as Clerk answers an unknown
//! token: `token-invalid`, "API key not found", …), is only what cannot be
//! a Clerk token: nothing after the prefix, more than [`MAX_BODY`] bytes
//! after it, or a byte outside the base64 alphabets and `_`, `-`, `=`
//! (Clerk's tokens are random strings of letters and digits; the
//! conformance vectors hold base64 with `/`, `+` and `=`, so those stay).

use std::time::Duration;

use super::error::{Reason, VerifyError};
use super::machine::not_found_message;
use super::token_type::TokenType;

/// The longest body after the prefix that is still sent to the Backend
/// API (Clerk's tokens are a few dozen characters).
pub(crate) const MAX_BODY: usize = 512;

/// Whether `token` (prefix included) can be a token of `kind`.
pub(crate) fn plausible(token: &[u8], kind: TokenType) -> bool {
    let prefix = match kind {
        TokenType::ApiKey => 3,
        TokenType::M2mToken => 3,
        _ => 4,
    };
    let body = token.get(prefix..).unwrap_or_default();
    !body.is_empty()
        && body.len() <= MAX_BODY
        && body
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+' | b'/' | b'='))
}

/// The answer for a token that cannot be one: Clerk's answer for an unknown
/// token, without its status (nothing was asked).
pub(crate) fn refused_locally(kind: TokenType) -> VerifyError {
    VerifyError::new(Reason::TokenInvalid, not_found_message(kind))
}

/// The answer when the budget of calls is spent: an outage, with the wait.
pub(crate) fn budget_spent(wait: Duration) -> VerifyError {
    VerifyError::new(Reason::UnexpectedError, "Unexpected error")
        .with_server_fault(true)
        .with_retry_after(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plausible_tokens_ok() {
        for token in [
            "ak_LCWGdaM8mv8K4PC/57IICZQXAeWfCgF30DZaFXHoGn9=",
            "ak_unknown",
            "ak_unknown_3_14",
            "mt_8XOIucKvqHVr5tYP123456789abcdefghij",
            "oat_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE",
        ] {
            let kind = crate::verification::token_kind::opaque_kind(token.as_bytes()).unwrap();
            assert!(plausible(token.as_bytes(), kind), "{token}");
        }
    }

    #[test]
    fn impossible_tokens_fails() {
        let long = format!("ak_{}", "a".repeat(MAX_BODY + 1));
        for token in [
            "ak_",
            "ak_a b",
            "ak_<script>",
            "oat_é",
            "mt_a.b",
            long.as_str(),
        ] {
            let kind = crate::verification::token_kind::opaque_kind(token.as_bytes()).unwrap();
            assert!(!plausible(token.as_bytes(), kind), "{token}");
        }
    }
}
