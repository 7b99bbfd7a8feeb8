//! The instance's public keys: `GET /v1/jwks`.

use serde::{Deserialize, Serialize};

use super::null_default;

/// A JSON Web Key Set: `{"keys": [...]}`.
///
/// Token verification fetches and caches these keys by itself
/// ([`Clerk::verify_token`](crate::Clerk::verify_token)); this is for
/// callers that want the raw set.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::Jwks;
///
/// let jwks: Jwks = serde_json::from_str(
///     r#"{"keys": [{"use": "sig", "kty": "RSA", "kid": "ins_1", "alg": "RS256", "n": "AQAB", "e": "AQAB"}]}"#,
/// )?;
/// assert_eq!(jwks.keys[0].kid.as_deref(), Some("ins_1"));
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Jwks {
    /// The keys.
    #[serde(deserialize_with = "null_default")]
    pub keys: Vec<Jwk>,
}

/// One public key (RSA, EC or OKP), with every member optional.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::Jwk;
///
/// let value: Jwk = serde_json::from_str(
///     r#"{"kty": "EC", "kid": "k1", "alg": "ES256", "crv": "P-256", "x": "AQ", "y": "Ag"}"#,
/// )?;
/// assert_eq!(value.crv.as_deref(), Some("P-256"));
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Jwk {
    /// `RSA`, `EC` or `OKP`.
    pub kty: Option<String>,
    /// The key id (Clerk uses the instance id, `ins_…`).
    pub kid: Option<String>,
    /// e.g. `RS256`.
    pub alg: Option<String>,
    /// `sig`.
    #[serde(rename = "use")]
    pub key_use: Option<String>,
    /// RSA modulus (base64url).
    pub n: Option<String>,
    /// RSA exponent (base64url).
    pub e: Option<String>,
    /// EC/OKP curve.
    pub crv: Option<String>,
    /// EC/OKP x coordinate.
    pub x: Option<String>,
    /// EC y coordinate.
    pub y: Option<String>,
    /// Certificate chain.
    pub x5c: Option<Vec<String>>,
    /// SHA-1 certificate thumbprint.
    pub x5t: Option<String>,
    /// SHA-256 certificate thumbprint.
    #[serde(rename = "x5t#S256")]
    pub x5t_s256: Option<String>,
    /// Certificate URL.
    pub x5u: Option<String>,
}
