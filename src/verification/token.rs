//! Session-token verification: the checks of Clerk's `verifyToken`, in its order.
//!
//! 1. size cap, then form: three base64url segments, header and payload JSON objects;
//! 2. the header `cat` must not mark an M2M token (checked by the pipeline,
//!    with the token-kind rules of [`machine`](super::machine));
//! 3. the key: the PEM key, or the JWKS key named by `kid`;
//! 4. `typ` (absent, or one of the allowed header types, `JWT` by default);
//! 5. `alg`: RS256, RS384 or RS512 only, and the key's own `alg`;
//! 6. the signature — before any claim is looked at;
//! 7. `sub` is a string; `aud`, `azp`, `iss` when configured;
//! 8. `exp`, `nbf`, `iat` against the clock, with the clock skew.
//!
//! The first failing check decides the [`Reason`].

use std::sync::Arc;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;

use super::claims::{Fields, PolicyClaims, SessionClaims};
use super::error::{Reason, VerifyError};
use super::keys::{Alg, KeyStore, SignatureError, VerifyingKey};
use super::options::VerifyOptions;
use crate::clock::UtcString;
use crate::encoding;

const M2M_CATEGORY: &str = "cl_B7d4PD333AAA";
const SESSION_CATEGORY: &str = "cl_B7d4PD111AAA";
const IGNORE_CATEGORY: &str = "cl_I7d4PD111III";

/// The header `cat` of a JWT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Category {
    Absent,
    /// The session or the "ignore" category.
    Session,
    /// The M2M category.
    M2m,
    /// Any other, e.g. a JWT template's.
    Other,
}

const ENSURE_CLERK_JWT: &str = "Make sure that this is a valid Clerk-generated JWT.";

#[derive(Deserialize)]
struct RawHeader {
    alg: Option<Value>,
    typ: Option<Value>,
    kid: Option<Value>,
    cat: Option<Value>,
}

/// A token split and decoded, before any check that needs a key. It does
/// not borrow the token: the signature check is handed the token again.
pub(crate) struct Decoded {
    header: RawHeader,
    /// The payload's JSON text.
    payload_json: String,
    /// The payload members that verification reads.
    pub(crate) fields: Fields,
    /// The length of `header.payload`, the signed part of the token.
    signing_len: usize,
    signature: Vec<u8>,
}

impl Decoded {
    /// The signed part of `token`, the token this was decoded from.
    fn signing_input<'t>(&self, token: &'t str) -> &'t [u8] {
        token.as_bytes().get(..self.signing_len).unwrap_or_default()
    }

    pub(crate) fn kid(&self) -> Option<&str> {
        self.header.kid.as_ref().and_then(Value::as_str)
    }

    pub(crate) fn typ(&self) -> Option<&Value> {
        self.header.typ.as_ref()
    }

    /// The header `cat`, classified.
    pub(crate) fn category_kind(&self) -> Category {
        match self.category() {
            None => Category::Absent,
            Some(SESSION_CATEGORY | IGNORE_CATEGORY) => Category::Session,
            Some(M2M_CATEGORY) => Category::M2m,
            Some(_) => Category::Other,
        }
    }

    pub(crate) fn category(&self) -> Option<&str> {
        self.header.cat.as_ref().and_then(Value::as_str)
    }
}

pub(crate) fn invalid_form() -> VerifyError {
    VerifyError::new(
        Reason::TokenInvalid,
        "Invalid JWT form. The header, payload, or signature could not be decoded.",
    )
}

/// A base64url segment holding a JSON object, as text.
fn decode_json_segment(segment: &str) -> Result<String, VerifyError> {
    let bytes = encoding::URL_SAFE
        .decode(segment)
        .map_err(|_| invalid_form())?;
    // Header and payload must be JSON objects (serde would also take a struct
    // from an array).
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(invalid_form());
    }
    String::from_utf8(bytes).map_err(|_| invalid_form())
}

/// Splits and decodes a token: the form checks of step 1.
pub(crate) fn decode(token: &str, max_bytes: usize) -> Result<Decoded, VerifyError> {
    if token.len() > max_bytes {
        return Err(VerifyError::new(
            Reason::TokenInvalid,
            format!("Invalid JWT form. The token is longer than {max_bytes} bytes."),
        ));
    }
    // memchr: the token is ~1 KB, and core's `split` scans it bytewise.
    let mut dots = memchr::memchr_iter(b'.', token.as_bytes());
    let (Some(first), Some(second), None) = (dots.next(), dots.next(), dots.next()) else {
        return Err(VerifyError::new(
            Reason::TokenInvalid,
            "Invalid JWT form. A JWT consists of three parts separated by dots.",
        ));
    };
    let (header_segment, payload_segment, signature_segment) = (
        &token[..first],
        &token[first + 1..second],
        &token[second + 1..],
    );
    let header: RawHeader =
        serde_json::from_str(&decode_json_segment(header_segment)?).map_err(|_| invalid_form())?;
    let payload_json = decode_json_segment(payload_segment)?;
    let fields = Fields::parse(&payload_json).map_err(|_| invalid_form())?;
    let signature = encoding::URL_SAFE
        .decode(signature_segment)
        .map_err(|_| invalid_form())?;
    Ok(Decoded {
        header,
        payload_json,
        fields,
        signing_len: header_segment.len() + 1 + payload_segment.len(),
        signature,
    })
}

/// `JSON.stringify` of an optional claim, as Clerk's messages print it.
fn json(value: Option<&Value>) -> String {
    match value {
        Some(v) => serde_json::to_string(v).unwrap_or_else(|_| "undefined".to_owned()),
        None => "undefined".to_owned(),
    }
}

/// Step 2, which runs before any key is fetched: a session token must not
/// carry the M2M category. (The pipeline applies it, with the token-kind
/// rules, in [`Clerk`](crate::Clerk)'s one place.)
pub(crate) fn session_category_error() -> VerifyError {
    VerifyError::new(Reason::TokenInvalid, "Invalid session token category.")
        .with_action(ENSURE_CLERK_JWT)
}

/// Steps 3–8 on a token [`decode`]d already, whose category was checked:
/// the claims, and the key that verified them.
pub(crate) async fn verify_decoded(
    // Boxed: a `Decoded` is ~800 bytes, and this future would carry it.
    decoded: Box<Decoded>,
    token: &str,
    keys: &KeyStore,
    options: &VerifyOptions,
    now_ms: i64,
) -> Result<(SessionClaims, Arc<VerifyingKey>, Times), VerifyError> {
    let key = keys.key_for(decoded.kid(), options.skip_jwks_cache).await?;
    check_signed(
        &decoded,
        token,
        |alg, message, signature| key.verify(alg, message, signature),
        options,
    )?;
    let Decoded {
        payload_json,
        fields,
        ..
    } = *decoded;
    let (claims, times) = check_claims(payload_json, fields, options, now_ms)?;
    Ok((claims, key, times))
}

/// Steps 4–6: `typ`, `alg`, signature.
pub(crate) fn check_signed(
    decoded: &Decoded,
    token: &str,
    verify_signature: impl FnOnce(Alg, &[u8], &[u8]) -> Result<(), SignatureError>,
    options: &VerifyOptions,
) -> Result<(), VerifyError> {
    check_header_type(decoded.typ(), options.header_types.as_deref())?;
    let alg = decoded
        .header
        .alg
        .as_ref()
        .and_then(Value::as_str)
        .and_then(Alg::from_name)
        .ok_or_else(|| {
            VerifyError::new(
                Reason::TokenInvalidAlgorithm,
                format!(
                    "Invalid JWT algorithm {}. Supported: RS256,RS384,RS512.",
                    json(decoded.header.alg.as_ref())
                ),
            )
            .with_action(ENSURE_CLERK_JWT)
        })?;
    match verify_signature(alg, decoded.signing_input(token), &decoded.signature) {
        Ok(()) => Ok(()),
        Err(SignatureError::Invalid) => Err(VerifyError::new(
            Reason::TokenInvalidSignature,
            "JWT signature is invalid.",
        )),
        Err(SignatureError::AlgMismatch) => Err(VerifyError::new(
            Reason::TokenVerificationFailed,
            "Error verifying JWT signature. Error: JWK \"alg\" does not match the requested algorithm",
        )
        .with_action(ENSURE_CLERK_JWT)),
    }
}

pub(crate) fn check_header_type(
    typ: Option<&Value>,
    allowed: Option<&[String]>,
) -> Result<(), VerifyError> {
    let ok = match (typ, allowed) {
        (None, None) => true,
        (Some(Value::String(t)), None) => t == "JWT",
        (Some(Value::String(t)), Some(allowed)) => allowed.iter().any(|a| a == t),
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let expected = allowed.map_or_else(|| "JWT".to_owned(), |a| a.join(", "));
    Err(VerifyError::new(
        Reason::TokenInvalid,
        format!("Invalid JWT type {}. Expected \"{expected}\".", json(typ)),
    )
    .with_action(ENSURE_CLERK_JWT))
}

/// Steps 7–8: claims, after the signature checked out.
pub(crate) fn check_claims(
    json: String,
    fields: Fields,
    options: &VerifyOptions,
    now_ms: i64,
) -> Result<(SessionClaims, Times), VerifyError> {
    check_subject(fields.sub.as_ref())?;
    check_policy(
        ClaimsView {
            azp: fields.azp.as_ref(),
            aud: fields.aud.as_ref(),
            iss: fields.iss.as_ref(),
        },
        options,
    )?;
    let times = Times::read(&fields);
    times.check(now_ms, options)?;
    let claims = SessionClaims::from_fields(json, fields).ok_or_else(|| {
        // `sub` was checked by `check_subject`; this cannot happen.
        VerifyError::new(
            Reason::TokenVerificationFailed,
            "Subject claim (sub) is missing.",
        )
    })?;
    Ok((claims, times))
}

fn check_subject(sub: Option<&Value>) -> Result<(), VerifyError> {
    if matches!(sub, Some(Value::String(_))) {
        return Ok(());
    }
    Err(VerifyError::new(
        Reason::TokenVerificationFailed,
        format!(
            "Subject claim (sub) is required and must be a string. Received {}.",
            json(sub)
        ),
    )
    .with_action(ENSURE_CLERK_JWT))
}

/// The claims the configurable checks read.
#[derive(Clone, Copy)]
pub(crate) struct ClaimsView<'a> {
    pub(crate) azp: Option<&'a Value>,
    pub(crate) aud: Option<&'a Value>,
    pub(crate) iss: Option<&'a Value>,
}

impl PolicyClaims {
    pub(crate) fn view(&self) -> ClaimsView<'_> {
        ClaimsView {
            azp: self.azp.as_ref(),
            aud: self.aud.as_ref(),
            iss: self.iss.as_ref(),
        }
    }
}

/// `aud`, `azp` and `iss`, as configured. Runs again on verified-token cache hits.
pub(crate) fn check_policy(
    claims: ClaimsView<'_>,
    options: &VerifyOptions,
) -> Result<(), VerifyError> {
    if !options.audience.is_empty() {
        check_audience(claims.aud, &options.audience)?;
    }
    let azp_waived = || {
        options.allow_missing_azp
            && match claims.azp {
                None | Some(Value::Null) => true,
                Some(Value::String(azp)) => azp.is_empty(),
                Some(_) => false,
            }
    };
    if !options.authorized_parties.is_empty() && !azp_waived() {
        check_authorized_party(claims.azp, &options.authorized_parties)?;
    }
    if !options.issuer.is_empty() {
        check_issuer(claims.iss, &options.issuer)?;
    }
    Ok(())
}

fn check_audience(aud: Option<&Value>, audience: &[String]) -> Result<(), VerifyError> {
    if audience.is_empty() {
        return Ok(());
    }
    let failure = |kind: &str| {
        VerifyError::new(
            Reason::TokenVerificationFailed,
            format!(
                "Invalid JWT audience claim{kind} (aud) {}. Is not included in \"{}\".",
                json(aud),
                serde_json::to_string(audience).unwrap_or_default()
            ),
        )
        .with_action(ENSURE_CLERK_JWT)
    };
    match aud {
        Some(Value::String(a)) if !a.is_empty() => {
            if audience.iter().any(|x| x == a) {
                Ok(())
            } else {
                Err(failure(""))
            }
        }
        Some(Value::Array(items)) => {
            let strings: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            let non_empty = items.iter().any(|v| match v {
                Value::String(s) => !s.is_empty(),
                Value::Null | Value::Bool(false) => false,
                Value::Number(n) => n.as_f64() != Some(0.0),
                _ => true,
            });
            if !non_empty || strings.len() != items.len() {
                // Clerk checks arrays of strings only.
                return Ok(());
            }
            if strings.iter().any(|s| audience.iter().any(|x| x == s)) {
                Ok(())
            } else {
                Err(failure(" array"))
            }
        }
        _ => Ok(()),
    }
}

fn check_authorized_party(azp: Option<&Value>, parties: &[String]) -> Result<(), VerifyError> {
    if parties.is_empty() {
        return Ok(());
    }
    match azp {
        Some(Value::String(a)) if !a.is_empty() && parties.iter().any(|p| p == a) => Ok(()),
        _ => Err(VerifyError::new(
            Reason::TokenInvalidAuthorizedParties,
            format!(
                "Invalid JWT Authorized party claim (azp) {}. Expected \"{}\".",
                json(azp),
                parties.join(",")
            ),
        )),
    }
}

fn check_issuer(iss: Option<&Value>, issuers: &[String]) -> Result<(), VerifyError> {
    if issuers.is_empty() {
        return Ok(());
    }
    match iss {
        Some(Value::String(i)) if issuers.iter().any(|x| x == i) => Ok(()),
        _ => Err(VerifyError::new(
            Reason::TokenInvalidIssuer,
            format!(
                "Invalid JWT issuer claim (iss) {}. Expected \"{}\".",
                json(iss),
                issuers.join(",")
            ),
        )
        .with_action(ENSURE_CLERK_JWT)),
    }
}

/// A time claim in whole milliseconds: JavaScript's `setUTCSeconds` drops the
/// fraction of a second.
fn claim_ms(seconds: f64) -> f64 {
    seconds.trunc() * 1000.0
}

/// One time claim, as found in the payload.
#[derive(Clone, Debug, PartialEq)]
enum TimeClaim {
    Absent,
    /// Whole milliseconds.
    Millis(f64),
    /// Not a number: its JSON, for the message.
    Invalid(String),
}

impl TimeClaim {
    fn seconds(&self) -> Option<f64> {
        match self {
            Self::Millis(ms) => Some(ms / 1000.0),
            _ => None,
        }
    }

    fn read(claim: Option<&Value>) -> Self {
        match claim {
            None => Self::Absent,
            Some(Value::Number(n)) => n
                .as_f64()
                .map_or(Self::Absent, |s| Self::Millis(claim_ms(s))),
            Some(other) => Self::Invalid(json(Some(other))),
        }
    }

    /// The value, or the type error in Clerk's words.
    fn value(&self, name: &str, label: &str, required: bool) -> Result<Option<f64>, VerifyError> {
        let invalid = |shown: &str| {
            VerifyError::new(
                Reason::TokenVerificationFailed,
                format!("Invalid JWT {label} claim ({name}) {shown}. Expected number."),
            )
            .with_action(ENSURE_CLERK_JWT)
        };
        match self {
            Self::Millis(ms) => Ok(Some(*ms)),
            Self::Absent if required => Err(invalid("undefined")),
            Self::Absent => Ok(None),
            Self::Invalid(shown) => Err(invalid(shown)),
        }
    }
}

/// The time claims of a token (`exp`, `nbf`, `iat`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Times {
    expires_at: TimeClaim,
    not_before: TimeClaim,
    issued_at: TimeClaim,
    /// `(max(nbf, iat), exp)` in ms when every claim is a number or absent
    /// (`exp` present): the whole check is then two comparisons.
    window: Option<(f64, f64)>,
}

impl Times {
    pub(crate) fn read(fields: &Fields) -> Self {
        let expires_at = TimeClaim::read(fields.exp.as_ref());
        let not_before = TimeClaim::read(fields.nbf.as_ref());
        let issued_at = TimeClaim::read(fields.iat.as_ref());
        let start = |claim: &TimeClaim| match claim {
            TimeClaim::Absent => Some(f64::NEG_INFINITY),
            TimeClaim::Millis(ms) => Some(*ms),
            TimeClaim::Invalid(_) => None,
        };
        let window = match (&expires_at, start(&not_before), start(&issued_at)) {
            (TimeClaim::Millis(exp), Some(nbf), Some(iat)) => Some((nbf.max(iat), *exp)),
            _ => None,
        };
        Self {
            expires_at,
            not_before,
            issued_at,
            window,
        }
    }

    /// `iat` in seconds (whole), when it is a number.
    pub(crate) fn issued_at_secs(&self) -> Option<f64> {
        self.issued_at.seconds()
    }

    /// `exp` in seconds (whole), when it is a number.
    pub(crate) fn expires_at_secs(&self) -> Option<f64> {
        self.expires_at.seconds()
    }

    /// `exp`, `nbf`, `iat` against `now_ms`, with the options' clock skew, in
    /// Clerk's order: each claim's type, then its value.
    pub(crate) fn check(&self, now_ms: i64, options: &VerifyOptions) -> Result<(), VerifyError> {
        let skew_ms = i64::try_from(options.clock_skew.as_millis()).unwrap_or(i64::MAX);
        self.check_with_skew(now_ms, skew_ms)
    }

    fn check_with_skew(&self, now_ms: i64, skew_ms: i64) -> Result<(), VerifyError> {
        let now = now_ms as f64;
        let skew = skew_ms as f64;
        // The usual case, answered by two comparisons; a failure goes
        // through the checks below for its error.
        if let Some((start, expires_at)) = self.window {
            if expires_at > now - skew && start <= now + skew {
                return Ok(());
            }
        }
        let expires_at = self
            .expires_at
            .value("exp", "expiry date", true)?
            .unwrap_or(f64::NEG_INFINITY);
        if expires_at <= now - skew {
            return Err(VerifyError::new(
                Reason::TokenExpired,
                format!(
                    "JWT is expired. Expiry date: {}, Current date: {}.",
                    UtcString(expires_at),
                    UtcString(now)
                ),
            ));
        }
        if let Some(not_before) = self
            .not_before
            .value("nbf", "not before date", false)?
            .filter(|nbf| *nbf > now + skew)
        {
            return Err(VerifyError::new(
                Reason::TokenNotActiveYet,
                format!(
                    "JWT cannot be used prior to not before date claim (nbf). \
                     Not before date: {}; Current date: {};",
                    UtcString(not_before),
                    UtcString(now)
                ),
            ));
        }
        if let Some(issued_at) = self
            .issued_at
            .value("iat", "issued at date", false)?
            .filter(|iat| *iat > now + skew)
        {
            return Err(VerifyError::new(
                Reason::TokenIatInTheFuture,
                format!(
                    "JWT issued at date claim (iat) is in the future. \
                     Issued at date: {}; Current date: {};",
                    UtcString(issued_at),
                    UtcString(now)
                ),
            ));
        }
        Ok(())
    }
}

/// Verifies a handshake token (`verifyHandshakeToken`): its form, its
/// category (none, session or "ignore"; a JWT-template or M2M token is
/// refused, Clerk's fix 3.16.9), the key, `typ` (absent or `JWT`), `alg` and
/// the signature, on a token [`decode`]d already. It carries no claims to
/// check. Returns the payload JSON.
pub(crate) async fn verify_handshake(
    decoded: Decoded,
    token: &str,
    keys: &KeyStore,
    skip_jwks_cache: bool,
) -> Result<String, VerifyError> {
    if !matches!(
        decoded.category_kind(),
        Category::Absent | Category::Session
    ) {
        return Err(VerifyError::new(
            Reason::TokenInvalid,
            "Invalid handshake token category.",
        ));
    }
    let key = keys.key_for(decoded.kid(), skip_jwks_cache).await?;
    check_signed(
        &decoded,
        token,
        |alg, message, signature| key.verify(alg, message, signature),
        &VerifyOptions::default(),
    )?;
    Ok(decoded.payload_json)
}

#[cfg(test)]
fn check_times(payload: &Value, now_ms: i64, skew_ms: i64) -> Result<(), VerifyError> {
    let fields = Fields::parse(&payload.to_string()).unwrap_or_default();
    Times::read(&fields).check_with_skew(now_ms, skew_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(value: Value) -> Value {
        value
    }

    #[test]
    fn exp_boundary_is_exclusive_at_skew() {
        let payload = claims(serde_json::json!({"sub": "u", "exp": 100}));
        assert!(check_times(&payload, 104_999, 5_000).is_ok());
        let err = check_times(&payload, 105_000, 5_000).unwrap_err();
        assert_eq!(err.reason(), Reason::TokenExpired);
        assert_eq!(
            check_times(&payload, 100_000, 0).unwrap_err().reason(),
            Reason::TokenExpired
        );
    }

    #[test]
    fn exp_not_a_number_fails() {
        for exp in [serde_json::json!("100"), Value::Null] {
            let payload = claims(serde_json::json!({"sub": "u", "exp": exp}));
            let err = check_times(&payload, 0, 0).unwrap_err();
            assert_eq!(err.reason(), Reason::TokenVerificationFailed);
        }
        let payload = claims(serde_json::json!({"sub": "u"}));
        assert_eq!(
            check_times(&payload, 0, 0).unwrap_err().reason(),
            Reason::TokenVerificationFailed
        );
    }

    #[test]
    fn nbf_and_iat_are_optional_but_typed() {
        let payload = claims(serde_json::json!({"exp": 1000, "nbf": null}));
        assert_eq!(
            check_times(&payload, 0, 0).unwrap_err().reason(),
            Reason::TokenVerificationFailed
        );
        let payload = claims(serde_json::json!({"exp": 1000, "iat": 10}));
        assert_eq!(
            check_times(&payload, 0, 5_000).unwrap_err().reason(),
            Reason::TokenIatInTheFuture
        );
        assert!(check_times(&payload, 5_000, 5_000).is_ok());
    }

    #[test]
    fn header_type_rules() {
        let jwt = Value::String("JWT".into());
        assert!(check_header_type(None, None).is_ok());
        assert!(check_header_type(Some(&jwt), None).is_ok());
        let at = Value::String("at+jwt".into());
        let err = check_header_type(Some(&at), None).unwrap_err();
        assert_eq!(
            err.message(),
            "Invalid JWT type \"at+jwt\". Expected \"JWT\"."
        );
        let allowed = vec!["JWT".to_owned(), "at+jwt".to_owned()];
        assert!(check_header_type(Some(&at), Some(&allowed)).is_ok());
        let err = check_header_type(None, Some(&allowed)).unwrap_err();
        assert_eq!(
            err.message(),
            "Invalid JWT type undefined. Expected \"JWT, at+jwt\"."
        );
    }

    #[test]
    fn audience_rules() {
        let audience = vec!["a".to_owned(), "b".to_owned()];
        assert!(check_audience(None, &audience).is_ok());
        assert!(check_audience(Some(&serde_json::json!("a")), &audience).is_ok());
        assert!(check_audience(Some(&serde_json::json!("")), &audience).is_ok());
        assert!(check_audience(Some(&serde_json::json!(["x", "b"])), &audience).is_ok());
        assert!(check_audience(Some(&serde_json::json!([])), &audience).is_ok());
        assert!(check_audience(Some(&serde_json::json!("ab")), &audience).is_err());
        assert!(check_audience(Some(&serde_json::json!(["x"])), &audience).is_err());
        assert!(check_audience(Some(&serde_json::json!("x")), &[]).is_ok());
    }

    #[test]
    fn authorized_party_rules() {
        let parties = vec![String::new(), "https://a".to_owned()];
        assert!(check_authorized_party(Some(&serde_json::json!("https://a")), &parties).is_ok());
        assert!(check_authorized_party(Some(&serde_json::json!("")), &parties).is_err());
        assert!(check_authorized_party(None, &parties).is_err());
        assert!(check_authorized_party(None, &[]).is_ok());
    }

    #[test]
    fn decode_rejects_bad_forms() {
        for token in [
            "",
            "a",
            "a.b",
            "a.b.c.d",
            "aaa.bbb.ccc",
            "YWJj.YWJj.YWJj",
            "..",
            "e30.e30.*",
        ] {
            let err = decode(token, 1 << 14).err().map(|e| e.reason());
            assert_eq!(err, Some(Reason::TokenInvalid), "{token}");
        }
        // `[]` as the header
        assert!(decode("W10.e30.", 1 << 14).is_err());
        // `{}` header and payload, empty signature: decodes
        let decoded = decode("e30.e30.", 1 << 14)
            .ok()
            .map(|d| d.signing_input("e30.e30.").to_owned());
        assert_eq!(decoded.as_deref(), Some(&b"e30.e30"[..]));
        assert!(decode("e30.e30.", 4).is_err());
    }
}
