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

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::claims::{ClaimsView, Fields, SessionClaims};
use super::error::{Reason, VerifyError};
use super::json::{self, json, Claim, Member, Span};
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

/// The header members the checks read. `null` counts as absent.
#[derive(Deserialize)]
struct RawHeader<'a> {
    #[serde(borrow)]
    alg: Option<&'a RawValue>,
    #[serde(borrow)]
    typ: Option<&'a RawValue>,
    #[serde(borrow)]
    kid: Option<&'a RawValue>,
    #[serde(borrow)]
    cat: Option<&'a RawValue>,
}

/// The header members, by position in the decoded text.
#[derive(Clone, Copy)]
struct Header {
    alg: Option<Member>,
    typ: Option<Member>,
    kid: Option<Member>,
    cat: Option<Member>,
}

/// A token split and decoded, before any check that needs a key: one text
/// (the header's JSON, the payload's, then any string of theirs that had
/// escapes, unescaped) and where each member the checks read stands in it.
/// It does not borrow the token: the signature check is handed the token
/// again.
pub(crate) struct Decoded {
    text: String,
    header: Header,
    payload: Span,
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

    /// A member of the header or the payload.
    pub(crate) fn member(&self, member: Option<Member>) -> Option<Claim<'_>> {
        member.map(|m| m.read(&self.text))
    }

    pub(crate) fn kid(&self) -> Option<&str> {
        self.member(self.header.kid).and_then(Claim::as_str)
    }

    pub(crate) fn typ(&self) -> Option<Claim<'_>> {
        self.member(self.header.typ)
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
        self.member(self.header.cat).and_then(Claim::as_str)
    }
}

pub(crate) fn invalid_form() -> VerifyError {
    VerifyError::new(
        Reason::TokenInvalid,
        "Invalid JWT form. The header, payload, or signature could not be decoded.",
    )
}

/// A JSON object's text must begin with `{` (serde would also take a
/// struct from an array).
fn is_object(json: &[u8]) -> bool {
    json.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// Splits and decodes a token: the form checks of step 1. Header and
/// payload are decoded into one buffer and their members found in place.
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
    // Room for both decoded segments and a few unescaped strings.
    let mut bytes = Vec::with_capacity((header_segment.len() + payload_segment.len()) * 3 / 4 + 64);
    encoding::decode_url_safe(header_segment.as_bytes(), &mut bytes).map_err(|_| invalid_form())?;
    let header_end = bytes.len();
    encoding::decode_url_safe(payload_segment.as_bytes(), &mut bytes)
        .map_err(|_| invalid_form())?;
    let (header_json, payload_json) = bytes.split_at(header_end);
    if !is_object(header_json) || !is_object(payload_json) {
        return Err(invalid_form());
    }
    // Valid as a whole and split at a character boundary: exactly when
    // each part is valid on its own.
    let mut text = String::from_utf8(bytes).map_err(|_| invalid_form())?;
    if !text.is_char_boundary(header_end) {
        return Err(invalid_form());
    }
    let payload = Span::new(header_end, text.len()).ok_or_else(invalid_form)?;
    let header = read_header(&mut text, header_end).ok_or_else(invalid_form)?;
    let fields = Fields::read(&mut text, payload).ok_or_else(invalid_form)?;
    let mut signature = Vec::new();
    encoding::decode_url_safe(signature_segment.as_bytes(), &mut signature)
        .map_err(|_| invalid_form())?;
    Ok(Decoded {
        text,
        header,
        payload,
        fields,
        signing_len: header_segment.len() + 1 + payload_segment.len(),
        signature,
    })
}

/// Finds the header members in `text[..end]`.
fn read_header(text: &mut String, end: usize) -> Option<Header> {
    let header = Span::new(0, end)?;
    let slot = |name: &[u8]| match name {
        b"alg" => Some(0),
        b"typ" => Some(1),
        b"kid" => Some(2),
        b"cat" => Some(3),
        _ => None,
    };
    let fast = json::flat(text, header, slot).map(|found| {
        // `null` counts as absent in the header.
        found.map(|member| member.filter(|m| !m.is_null(text)))
    });
    let [alg, typ, kid, cat] = if let Some(found) = fast {
        found
    } else {
        let base: &str = text;
        let raw: RawHeader<'_> = serde_json::from_str(base.get(..end)?).ok()?;
        let at = |value: Option<&RawValue>| match value {
            Some(value) => json::find(base, value).map(Some),
            None => Some(None),
        };
        [at(raw.alg)?, at(raw.typ)?, at(raw.kid)?, at(raw.cat)?]
    };
    let mut place = |found: Option<json::Found>| match found {
        Some(found) => found.place(text, 1).map(Some),
        None => Some(None),
    };
    Some(Header {
        alg: place(alg)?,
        typ: place(typ)?,
        kid: place(kid)?,
        cat: place(cat)?,
    })
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
    let (claims, times) = check_claims(&decoded, options, now_ms)?;
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
        .member(decoded.header.alg)
        .and_then(Claim::as_str)
        .and_then(Alg::from_name)
        .ok_or_else(|| {
            VerifyError::new(
                Reason::TokenInvalidAlgorithm,
                format!(
                    "Invalid JWT algorithm {}. Supported: RS256,RS384,RS512.",
                    json(decoded.member(decoded.header.alg))
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
    typ: Option<Claim<'_>>,
    allowed: Option<&[String]>,
) -> Result<(), VerifyError> {
    let ok = match (typ.map(Claim::as_str), allowed) {
        (None, None) => true,
        (Some(Some(t)), None) => t == "JWT",
        (Some(Some(t)), Some(allowed)) => allowed.iter().any(|a| a == t),
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
    decoded: &Decoded,
    options: &VerifyOptions,
    now_ms: i64,
) -> Result<(SessionClaims, Times), VerifyError> {
    let fields = &decoded.fields;
    check_subject(decoded.member(fields.sub))?;
    check_policy(
        ClaimsView {
            text: &decoded.text,
            azp: fields.azp,
            aud: fields.aud,
            iss: fields.iss,
        },
        options,
    )?;
    let times = Times::read(fields, &decoded.text);
    times.check(now_ms, options)?;
    let claims = SessionClaims::new(&decoded.text, decoded.payload, fields).ok_or_else(|| {
        // `sub` was checked by `check_subject`; this cannot happen.
        VerifyError::new(
            Reason::TokenVerificationFailed,
            "Subject claim (sub) is missing.",
        )
    })?;
    Ok((claims, times))
}

fn check_subject(sub: Option<Claim<'_>>) -> Result<(), VerifyError> {
    if sub.and_then(Claim::as_str).is_some() {
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

/// `aud`, `azp` and `iss`, as configured. Runs again on verified-token cache hits.
pub(crate) fn check_policy(
    claims: ClaimsView<'_>,
    options: &VerifyOptions,
) -> Result<(), VerifyError> {
    if !options.audience.is_empty() {
        check_audience(claims.aud(), &options.audience)?;
    }
    let azp_waived = || {
        options.allow_missing_azp
            && match claims.azp() {
                None => true,
                Some(azp) if azp.is_null() => true,
                Some(azp) => azp.as_str().is_some_and(str::is_empty),
            }
    };
    if !options.authorized_parties.is_empty() && !azp_waived() {
        check_authorized_party(claims.azp(), &options.authorized_parties)?;
    }
    if !options.issuer.is_empty() {
        check_issuer(claims.iss(), &options.issuer)?;
    }
    Ok(())
}

fn check_audience(aud: Option<Claim<'_>>, audience: &[String]) -> Result<(), VerifyError> {
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
    let Some(aud) = aud else {
        return Ok(());
    };
    match aud.as_str() {
        Some(a) if !a.is_empty() => {
            return if audience.iter().any(|x| x == a) {
                Ok(())
            } else {
                Err(failure(""))
            };
        }
        Some(_) => return Ok(()),
        None => {}
    }
    if !aud.is_array() {
        return Ok(());
    }
    match aud.to_value() {
        Value::Array(items) => {
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

fn check_authorized_party(azp: Option<Claim<'_>>, parties: &[String]) -> Result<(), VerifyError> {
    if parties.is_empty() {
        return Ok(());
    }
    match azp.and_then(Claim::as_str) {
        Some(a) if !a.is_empty() && parties.iter().any(|p| p == a) => Ok(()),
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

fn check_issuer(iss: Option<Claim<'_>>, issuers: &[String]) -> Result<(), VerifyError> {
    if issuers.is_empty() {
        return Ok(());
    }
    match iss.and_then(Claim::as_str) {
        Some(i) if issuers.iter().any(|x| x == i) => Ok(()),
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

    fn read(claim: Option<Claim<'_>>) -> Self {
        match claim {
            None => Self::Absent,
            Some(claim) => match claim.as_f64() {
                Some(seconds) => Self::Millis(claim_ms(seconds)),
                None => Self::Invalid(claim.json()),
            },
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
    /// The time claims of `fields`, found in `text`.
    pub(crate) fn read(fields: &Fields, text: &str) -> Self {
        let read = |member: Option<Member>| TimeClaim::read(member.map(|m| m.read(text)));
        let expires_at = read(fields.exp);
        let not_before = read(fields.nbf);
        let issued_at = read(fields.iat);
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
    decoded: Box<Decoded>,
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
    let Decoded {
        mut text, payload, ..
    } = *decoded;
    text.truncate(payload.end());
    text.drain(..payload.start());
    Ok(text)
}

#[cfg(test)]
fn check_times(payload: &Value, now_ms: i64, skew_ms: i64) -> Result<(), VerifyError> {
    let mut text = payload.to_string();
    let whole = Span::new(0, text.len()).expect("a short payload");
    let fields = Fields::read(&mut text, whole).unwrap_or_default();
    Times::read(&fields, &text).check_with_skew(now_ms, skew_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verification::json::OwnedClaim;

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
        assert!(check_header_type(Some(OwnedClaim::of_value(&jwt).claim()), None).is_ok());
        let at = Value::String("at+jwt".into());
        let err = check_header_type(Some(OwnedClaim::of_value(&at).claim()), None).unwrap_err();
        assert_eq!(
            err.message(),
            "Invalid JWT type \"at+jwt\". Expected \"JWT\"."
        );
        let allowed = vec!["JWT".to_owned(), "at+jwt".to_owned()];
        assert!(check_header_type(Some(OwnedClaim::of_value(&at).claim()), Some(&allowed)).is_ok());
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
        assert!(check_audience(
            Some(OwnedClaim::of_value(&serde_json::json!("a")).claim()),
            &audience
        )
        .is_ok());
        assert!(check_audience(
            Some(OwnedClaim::of_value(&serde_json::json!("")).claim()),
            &audience
        )
        .is_ok());
        assert!(check_audience(
            Some(OwnedClaim::of_value(&serde_json::json!(["x", "b"])).claim()),
            &audience
        )
        .is_ok());
        assert!(check_audience(
            Some(OwnedClaim::of_value(&serde_json::json!([])).claim()),
            &audience
        )
        .is_ok());
        assert!(check_audience(
            Some(OwnedClaim::of_value(&serde_json::json!("ab")).claim()),
            &audience
        )
        .is_err());
        assert!(check_audience(
            Some(OwnedClaim::of_value(&serde_json::json!(["x"])).claim()),
            &audience
        )
        .is_err());
        assert!(check_audience(
            Some(OwnedClaim::of_value(&serde_json::json!("x")).claim()),
            &[]
        )
        .is_ok());
    }

    #[test]
    fn authorized_party_rules() {
        let parties = vec![String::new(), "https://a".to_owned()];
        assert!(check_authorized_party(
            Some(OwnedClaim::of_value(&serde_json::json!("https://a")).claim()),
            &parties
        )
        .is_ok());
        assert!(check_authorized_party(
            Some(OwnedClaim::of_value(&serde_json::json!("")).claim()),
            &parties
        )
        .is_err());
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

/// The members found in place against the `Value`s this crate parsed before
/// (the reference): the same tokens decode, and every member reads the same.
#[cfg(test)]
mod read_in_place {
    use super::*;

    #[derive(Deserialize)]
    struct ReferenceHeader {
        alg: Option<Value>,
        typ: Option<Value>,
        kid: Option<Value>,
        cat: Option<Value>,
    }

    fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
        Value::deserialize(d).map(Some)
    }

    macro_rules! reference_fields {
        ($($name:ident),*) => {
            #[derive(Deserialize)]
            struct ReferenceFields {
                $(#[serde(default, deserialize_with = "present")] $name: Option<Value>,)*
            }
            impl ReferenceFields {
                fn by_name(&self) -> Vec<(&'static str, Option<&Value>)> {
                    vec![$((stringify!($name), self.$name.as_ref()),)*]
                }
            }
        };
    }
    reference_fields!(
        sub,
        sid,
        sts,
        exp,
        nbf,
        iat,
        azp,
        aud,
        iss,
        v,
        o,
        org_id,
        org_role,
        org_slug,
        org_permissions,
        fea,
        pla,
        fva,
        act
    );

    fn same(name: &str, json: &str, reference: Option<&Value>, found: Option<Claim<'_>>) {
        let (Some(value), Some(claim)) = (reference, found) else {
            assert_eq!(reference.is_some(), found.is_some(), "{name} in {json}");
            return;
        };
        assert_eq!(claim.as_str(), value.as_str(), "{name} in {json}");
        assert_eq!(claim.as_f64(), value.as_f64(), "{name} in {json}");
        assert_eq!(claim.is_null(), value.is_null(), "{name} in {json}");
        assert_eq!(claim.to_value(), *value, "{name} in {json}");
        assert_eq!(
            claim.json(),
            serde_json::to_string(value).expect("json"),
            "{name} in {json}"
        );
    }

    /// xorshift: a fixed, repeatable stream.
    struct Stream(u64);

    impl Stream {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    const NAMES: [&str; 24] = [
        "sub",
        "sid",
        "sts",
        "exp",
        "nbf",
        "iat",
        "azp",
        "aud",
        "iss",
        "v",
        "o",
        "org_id",
        "org_role",
        "org_slug",
        "org_permissions",
        "fea",
        "pla",
        "fva",
        "act",
        "alg",
        "typ",
        "kid",
        "cat",
        "other",
    ];
    const ATOMS: [&str; 36] = [
        "null",
        "true",
        "false",
        "0",
        "-0",
        "2",
        "1.5",
        "1e3",
        "1E+3",
        "1e400",
        "-1e400",
        "1e-400",
        "18446744073709551616",
        "123456789012345678901234567890",
        r#""""#,
        r#""user_1""#,
        r#""a\"b""#,
        r#""\u00e9\/""#,
        r#""\ud800""#,
        r#""\ud83d\ude00""#,
        r#""\udc00x""#,
        r#""JWT""#,
        r#""RS256""#,
        r#""cl_B7d4PD111AAA""#,
        "[]",
        "{}",
        r#"{"id":"org_1","rol":"admin","per":"read","fpm":"1","slg":"acme"}"#,
        // Plain, but each once differently: UTF-8, a raw tab (invalid), an
        // integer at the edge of the fast read, and invalid numbers.
        r#""é ü""#,
        "\"a\tb\"",
        "123456789012345",
        "-1234567890123456",
        "01",
        "-",
        "1.",
        r#"[1,,2]"#,
        r#" "spaced" "#,
    ];

    fn value(stream: &mut Stream, depth: usize, out: &mut String) {
        match stream.below(if depth > 3 { 1 } else { 4 }) {
            0 => out.push_str(ATOMS[stream.below(ATOMS.len())]),
            1 => {
                out.push('[');
                for i in 0..stream.below(3) {
                    if i > 0 {
                        out.push(',');
                    }
                    value(stream, depth + 1, out);
                }
                out.push(']');
            }
            _ => object(stream, depth + 1, out),
        }
    }

    fn object(stream: &mut Stream, depth: usize, out: &mut String) {
        out.push('{');
        for i in 0..stream.below(5) {
            if i > 0 {
                out.push(',');
            }
            // Sometimes escaped, to match names the way serde does.
            let name = NAMES[stream.below(NAMES.len())];
            if stream.below(8) == 0 {
                out.push_str(&format!("\"\\u{:04x}{}\":", name.as_bytes()[0], &name[1..]));
            } else {
                out.push_str(&format!("\"{name}\":"));
            }
            value(stream, depth, out);
        }
        out.push('}');
    }

    /// Whether the payload decodes.
    fn check(json: &str) -> bool {
        let reference = serde_json::from_str::<ReferenceFields>(json);
        let decodes = reference.is_ok();
        let mut text = json.to_owned();
        let whole = Span::new(0, text.len()).expect("span");
        let fields = Fields::read(&mut text, whole);
        assert_eq!(reference.is_ok(), fields.is_some(), "payload {json}");
        if let (Ok(reference), Some(fields)) = (reference, fields) {
            for ((name, value), (_, member)) in
                reference.by_name().into_iter().zip(fields.by_name())
            {
                same(name, json, value, member.map(|m| m.read(&text)));
            }
        }
        let reference = serde_json::from_str::<ReferenceHeader>(json);
        let mut text = json.to_owned();
        let header = read_header(&mut text, json.len());
        assert_eq!(reference.is_ok(), header.is_some(), "header {json}");
        if let (Ok(reference), Some(header)) = (reference, header) {
            for (name, value, member) in [
                ("alg", &reference.alg, header.alg),
                ("typ", &reference.typ, header.typ),
                ("kid", &reference.kid, header.kid),
                ("cat", &reference.cat, header.cat),
            ] {
                same(name, json, value.as_ref(), member.map(|m| m.read(&text)));
            }
        }
        decodes
    }

    #[test]
    fn generated_payloads_read_as_values() {
        let mut stream = Stream(0x9E37_79B9_7F4A_7C15);
        let (mut decoded, mut flat) = (0, 0);
        for _ in 0..20_000 {
            let mut json = String::new();
            object(&mut stream, 0, &mut json);
            decoded += usize::from(check(&json));
            let whole = Span::new(0, json.len()).expect("span");
            let slot = |name: &[u8]| {
                ["sub", "exp", "o"]
                    .iter()
                    .position(|n| n.as_bytes() == name)
            };
            flat += usize::from(json::flat::<3>(&json, whole, slot).is_some());
        }
        // Both sides of the line are well covered, and both ways to read.
        assert!(
            (5_000..15_000).contains(&decoded),
            "{decoded} of 20000 decode"
        );
        assert!((2_000..15_000).contains(&flat), "{flat} of 20000 read flat");
    }

    #[test]
    fn nesting_limits_match() {
        for name in ["exp", "aud", "other", "typ"] {
            for depth in 120..=132 {
                let nested = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
                let _ = check(&format!(r#"{{"{name}":{nested}}}"#));
                let nested = format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
                let _ = check(&format!(r#"{{"{name}":{nested}}}"#));
            }
        }
    }

    #[test]
    fn edge_payloads_read_as_values() {
        for json in [
            r#"{"sub":"a","sub":"b"}"#,
            r#"{"sub":"a","\u0073ub":"b"}"#,
            r#"{"exp":1e400}"#,
            r#"{"other":1e400}"#,
            r#"{"o":{"id":1e400}}"#,
            r#"{"aud":["\ud800"]}"#,
            r#"{"other":["\ud800"]}"#,
            r#"{"sub":"\ud800"}"#,
            r#"{"sub" : "x" , "nbf" : null }"#,
            " {\"sub\":\"x\"} ",
            r#"{"alg":null,"typ":null}"#,
            r#"{"alg":"RS256","alg":"RS256"}"#,
        ] {
            let _ = check(json);
        }
    }
}
