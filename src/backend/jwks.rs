//! The instance's public keys: `GET /v1/jwks`.
//!
//! One model for the JWKS, used by the typed client
//! ([`ClerkClient::jwks`](crate::client::ClerkClient::jwks)) and by the key
//! store that verification fetches from: each key is a
//! [`jsonwebtoken::jwk::Jwk`], and the set is decoded key by key, so a key
//! that jsonwebtoken cannot read drops that key only, never the set.

use std::fmt;

use serde::de::{Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

pub use jsonwebtoken::jwk::Jwk;

/// A JSON Web Key Set: `{"keys": [...]}`, each key a
/// [`Jwk`](jsonwebtoken::jwk::Jwk) from jsonwebtoken's `jwk` module.
///
/// Token verification fetches and caches these keys by itself
/// ([`Clerk::verify_token`](crate::Clerk::verify_token)); this is for
/// callers that want the raw set.
///
/// Unlike [`jsonwebtoken::jwk::JwkSet`], it is read key by key: a key that
/// cannot be read as a JWK (a member of the wrong type, a non-object) is
/// left out and the others are kept, and `"keys": null` or no `keys` reads as
/// an empty set. Key types jsonwebtoken does not model (a new `kty`, an
/// unknown curve) are kept, as
/// [`AlgorithmParameters::Other`](jsonwebtoken::jwk::AlgorithmParameters::Other).
/// It converts into a `JwkSet` with [`From`].
///
/// # Examples
///
/// ```
/// use clerk_actix::client::Jwks;
/// use jsonwebtoken::jwk::AlgorithmParameters;
///
/// let jwks: Jwks = serde_json::from_str(
///     r#"{"keys": [{"use": "sig", "kty": "RSA", "kid": "ins_1", "alg": "RS256", "n": "AQAB", "e": "AQAB"},
///                  {"kty": "RSA", "kid": "broken", "n": 7}, 7]}"#,
/// )?;
/// assert_eq!(jwks.keys.len(), 2);
/// assert_eq!(jwks.find("ins_1").and_then(|k| k.common.key_id.as_deref()), Some("ins_1"));
/// assert!(matches!(jwks.keys[0].algorithm, AlgorithmParameters::RSA(_)));
/// // The RSA key whose `n` is not a string is kept, as parameters jsonwebtoken does not model.
/// assert!(matches!(jwks.keys[1].algorithm, AlgorithmParameters::Other(_)));
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Jwks {
    /// The keys.
    #[serde(deserialize_with = "each_key")]
    pub keys: Vec<Jwk>,
}

impl Jwks {
    /// The key whose `kid` is `kid`, if any.
    #[must_use]
    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys
            .iter()
            .find(|key| key.common.key_id.as_deref() == Some(kid))
    }
}

impl From<Jwks> for jsonwebtoken::jwk::JwkSet {
    fn from(jwks: Jwks) -> Self {
        Self { keys: jwks.keys }
    }
}

/// Reads the `keys` array one element at a time: an element that is not a
/// JWK is skipped instead of failing the whole set; `null` is an empty set.
fn each_key<'de, D>(deserializer: D) -> Result<Vec<Jwk>, D::Error>
where
    D: Deserializer<'de>,
{
    struct Keys;

    impl<'de> Visitor<'de> for Keys {
        type Value = Vec<Jwk>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array of JWKs")
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }

        fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<Self::Value, D::Error> {
            inner.deserialize_seq(self)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut keys = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
            while let Some(value) = seq.next_element::<serde_json::Value>()? {
                // One key in a shape jsonwebtoken cannot read must not hide the others.
                if let Ok(key) = serde_json::from_value::<Jwk>(value) {
                    keys.push(key);
                }
            }
            Ok(keys)
        }
    }

    deserializer.deserialize_option(Keys)
}
