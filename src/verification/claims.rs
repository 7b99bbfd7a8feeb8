//! Session-token claims, normalised across the v1 and v2 claim formats.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

/// The verified claims of a Clerk session token.
///
/// Clerk's session tokens come in two shapes: v1 carries the active
/// organization as `org_id`/`org_role`/`org_slug`/`org_permissions`; v2
/// (`"v": 2`) nests it as `o` and encodes permissions as bit masks over the
/// features in `fea`. Both are read into the same accessors here, and every
/// claim, custom ones included, stays available through [`get`](Self::get).
///
/// # Examples
///
/// ```
/// use clerk_actix::session::SessionClaims;
/// use serde_json::json;
///
/// let claims = SessionClaims::from_value(json!({
///     "sub": "user_1", "sid": "sess_1", "v": 2,
///     "fea": "o:reservations", "o": { "id": "org_1", "rol": "admin", "per": "read,manage", "fpm": "3" }
/// }))
/// .unwrap();
/// assert_eq!(claims.org_role(), Some("org:admin"));
/// assert_eq!(
///     claims.org_permissions(),
///     Some(&["org:reservations:read".to_string(), "org:reservations:manage".to_string()][..])
/// );
/// ```
///
/// Cloning is cheap: the claims are shared behind an `Arc`.
#[derive(Clone)]
pub struct SessionClaims {
    inner: Arc<Claims>,
}

/// The claims verification and `has()` read, extracted once; the payload
/// text is kept and parsed into a map only if [`SessionClaims::as_map`] (or
/// serialising the auth object) asks for every claim.
#[derive(Clone)]
struct Claims {
    json: Box<str>,
    map: OnceLock<Map<String, Value>>,
    user_id: Box<str>,
    session_id: Option<Box<str>>,
    session_status: Option<Box<str>>,
    org_id: Option<Box<str>>,
    org_role: Option<Box<str>>,
    org_slug: Option<Box<str>>,
    org_permissions: Option<Vec<String>>,
    features: Option<Box<str>>,
    plans: Option<Box<str>>,
    factor_verification_age: Option<Value>,
    actor: Option<Value>,
    policy: PolicyClaims,
}

/// `azp`, `aud` and `iss`, for checks that may run again (cache hits).
#[derive(Clone, Default)]
pub(crate) struct PolicyClaims {
    pub(crate) azp: Option<Value>,
    pub(crate) aud: Option<Value>,
    pub(crate) iss: Option<Value>,
}

/// `Some(value)` for a present claim, `null` included; absent stays `None`
/// (`#[serde(default)]`). Clerk tells `"nbf": null` from no `nbf`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// The payload members that verification and the auth object read. Other
/// members are skipped without allocating.
#[derive(Deserialize, Default)]
pub(crate) struct Fields {
    #[serde(default, deserialize_with = "present")]
    pub(crate) sub: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub(crate) sid: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub(crate) sts: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub(crate) exp: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub(crate) nbf: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub(crate) iat: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub(crate) azp: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub(crate) aud: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub(crate) iss: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    v: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    o: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    org_id: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    org_role: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    org_slug: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    org_permissions: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    fea: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pla: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    fva: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    act: Option<Value>,
}

impl Fields {
    /// Parses a payload (a JSON object).
    pub(crate) fn parse(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}

fn into_string(value: Option<Value>) -> Option<Box<str>> {
    match value {
        Some(Value::String(s)) => Some(s.into_boxed_str()),
        _ => None,
    }
}

fn as_string(value: Option<&Value>) -> Option<&str> {
    value.and_then(Value::as_str)
}

impl PartialEq for SessionClaims {
    fn eq(&self, other: &Self) -> bool {
        self.inner.json == other.inner.json
    }
}

impl fmt::Debug for SessionClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionClaims")
            .field("user_id", &self.user_id())
            .field("session_id", &self.session_id())
            .field("session_status", &self.session_status())
            .field("org_id", &self.org_id())
            .field("org_role", &self.org_role())
            .finish_non_exhaustive()
    }
}

impl SessionClaims {
    /// The same claims behind a reference count of their own: a worker's
    /// copy, so that workers on other cores never count references on the
    /// same cache line.
    pub(crate) fn detached(&self) -> Self {
        Self {
            inner: Arc::new((*self.inner).clone()),
        }
    }

    /// Claims from a JSON payload, **unverified**: for tests only, hence
    /// behind the `testing` feature. `None` when it is not an object with a
    /// string `sub`.
    ///
    /// Outside tests, claims come only from verification
    /// ([`Clerk::verify_token`](crate::Clerk::verify_token) or the
    /// middleware), so an [`Auth`](crate::Auth) built from them is always
    /// backed by a checked signature.
    #[cfg(feature = "testing")]
    #[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
    #[must_use]
    pub fn from_value(payload: Value) -> Option<Self> {
        if !payload.is_object() {
            return None;
        }
        let json = payload.to_string();
        let fields = Fields::parse(&json).ok()?;
        Self::from_fields(json, fields)
    }

    /// Builds the claims from a parsed payload. `None` without a string `sub`.
    pub(crate) fn from_fields(json: String, fields: Fields) -> Option<Self> {
        let Fields {
            sub,
            sid,
            sts,
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
            act,
            ..
        } = fields;
        let user_id = into_string(sub)?;
        let version_2 = v.as_ref().and_then(Value::as_f64) == Some(2.0);
        let (org_id, org_role, org_slug, org_permissions) = if version_2 {
            match o.as_ref().and_then(Value::as_object) {
                Some(o) => {
                    let field = |name: &str| as_string(o.get(name));
                    let permissions =
                        org_permissions_v2(as_string(fea.as_ref()), field("per"), field("fpm"));
                    (
                        field("id").map(Into::into),
                        field("rol")
                            .filter(|r| !r.is_empty())
                            .map(|r| format!("org:{r}").into_boxed_str()),
                        field("slg").map(Into::into),
                        Some(permissions),
                    )
                }
                None => (None, None, None, None),
            }
        } else {
            let permissions = match org_permissions {
                Some(Value::Array(perms)) => Some(
                    perms
                        .into_iter()
                        .filter_map(|p| match p {
                            Value::String(s) => Some(s),
                            _ => None,
                        })
                        .collect(),
                ),
                _ => None,
            };
            (
                into_string(org_id),
                into_string(org_role),
                into_string(org_slug),
                permissions,
            )
        };
        Some(Self {
            inner: Arc::new(Claims {
                json: json.into_boxed_str(),
                map: OnceLock::new(),
                user_id,
                session_id: into_string(sid),
                session_status: into_string(sts),
                org_id,
                org_role,
                org_slug,
                org_permissions,
                features: into_string(fea),
                plans: into_string(pla),
                factor_verification_age: fva.filter(|v| !v.is_null()),
                actor: act.filter(|v| !v.is_null()),
                policy: PolicyClaims { azp, aud, iss },
            }),
        })
    }

    /// The user's id (`sub`).
    #[must_use]
    pub fn user_id(&self) -> &str {
        &self.inner.user_id
    }

    /// The session id (`sid`). Absent from tokens made from JWT templates.
    #[must_use]
    pub fn session_id(&self) -> Option<&str> {
        self.inner.session_id.as_deref()
    }

    /// The session status (`sts`): `active`, `pending`, …
    #[must_use]
    pub fn session_status(&self) -> Option<&str> {
        self.inner.session_status.as_deref()
    }

    /// Whether the session still has tasks to complete (`sts` is `pending`).
    #[must_use]
    pub fn is_pending(&self) -> bool {
        self.session_status() == Some("pending")
    }

    /// The active organization's id.
    #[must_use]
    pub fn org_id(&self) -> Option<&str> {
        self.inner.org_id.as_deref()
    }

    /// The user's role in the active organization, e.g. `org:admin`.
    #[must_use]
    pub fn org_role(&self) -> Option<&str> {
        self.inner.org_role.as_deref()
    }

    /// The active organization's slug.
    #[must_use]
    pub fn org_slug(&self) -> Option<&str> {
        self.inner.org_slug.as_deref()
    }

    /// The user's permissions in the active organization, e.g.
    /// `org:invoices:read`.
    #[must_use]
    pub fn org_permissions(&self) -> Option<&[String]> {
        self.inner.org_permissions.as_deref()
    }

    /// The features claim (`fea`), e.g. `o:reservations,u:dashboard`.
    #[must_use]
    pub fn features(&self) -> Option<&str> {
        self.inner.features.as_deref()
    }

    /// The plans claim (`pla`), e.g. `u:pro,o:business`.
    #[must_use]
    pub fn plans(&self) -> Option<&str> {
        self.inner.plans.as_deref()
    }

    /// Minutes since the first and second factor were verified (`fva`), −1
    /// for a factor the user has not set up.
    #[must_use]
    pub fn factor_verification_age(&self) -> Option<&Value> {
        self.inner.factor_verification_age.as_ref()
    }

    /// The impersonator (`act`), when someone acts on the user's behalf.
    #[must_use]
    pub fn actor(&self) -> Option<&Value> {
        self.inner.actor.as_ref()
    }

    /// Any claim by name.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.as_map().get(name)
    }

    /// All claims, as they were in the token. Parsed on first use.
    #[must_use]
    pub fn as_map(&self) -> &Map<String, Value> {
        self.inner
            .map
            .get_or_init(|| serde_json::from_str(&self.inner.json).unwrap_or_default())
    }

    /// The claims as JSON text, as they were in the token.
    #[must_use]
    pub fn as_json(&self) -> &str {
        &self.inner.json
    }

    /// The claims deserialised into your own type, e.g. a struct with the
    /// custom claims of your session-token template.
    ///
    /// # Errors
    ///
    /// The serde error when the claims do not fit `T`.
    ///
    /// ```
    /// # use clerk_actix::session::SessionClaims;
    /// #[derive(serde::Deserialize)]
    /// struct Custom { sub: String, plan_tier: Option<String> }
    ///
    /// let claims = SessionClaims::from_value(serde_json::json!({"sub": "user_1", "plan_tier": "gold"})).unwrap();
    /// let custom: Custom = claims.deserialize()?;
    /// assert_eq!(custom.plan_tier.as_deref(), Some("gold"));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.inner.json)
    }

    pub(crate) fn policy(&self) -> &PolicyClaims {
        &self.inner.policy
    }
}

/// A comma-separated `scope:name` list (`fea`, `pla`) split into the
/// organization and user lists.
pub(crate) struct ScopedList<'a> {
    raw: &'a str,
}

impl<'a> ScopedList<'a> {
    /// `None` when an element has no `:`, which Clerk treats as malformed.
    pub(crate) fn parse(raw: &'a str) -> Option<Self> {
        if raw.is_empty() {
            return Some(Self { raw });
        }
        if raw.split(',').all(|el| el.contains(':')) {
            Some(Self { raw })
        } else {
            None
        }
    }

    fn entries(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let raw = self.raw;
        raw.split(',').filter(|el| !el.is_empty()).filter_map(|el| {
            let mut parts = el.split(':');
            Some((parts.next()?, parts.next()?))
        })
    }

    /// Names in organization scope (`o`, `ou`, `uo`), in order.
    pub(crate) fn org(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.entries()
            .filter(|(scope, _)| matches!(*scope, "o" | "ou" | "uo"))
            .map(|(_, name)| name)
    }

    /// Names in user scope (`u`, `ou`, `uo`), in order.
    pub(crate) fn user(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.entries()
            .filter(|(scope, _)| matches!(*scope, "u" | "ou" | "uo"))
            .map(|(_, name)| name)
    }
}

/// v2 permissions: for the i-th organization feature in `fea`, bit j of the
/// i-th decimal mask in `fpm` grants the j-th permission of `per`.
fn org_permissions_v2(fea: Option<&str>, per: Option<&str>, fpm: Option<&str>) -> Vec<String> {
    let (Some(fea), Some(per), Some(fpm)) = (fea, per, fpm) else {
        return Vec::new();
    };
    let Some(features) = ScopedList::parse(fea) else {
        log::debug!(
            target: "clerk_actix::claims",
            "the fea claim has an element without ':'; no organization permissions granted"
        );
        return Vec::new();
    };
    let permissions: Vec<&str> = per.split(',').collect();
    let mut granted = Vec::new();
    for (feature, mask) in features.org().zip(fpm.split(',')) {
        let Some(bits) = decimal_to_bits(mask) else {
            continue;
        };
        for (j, permission) in permissions.iter().enumerate() {
            if bit_is_set(&bits, j) {
                granted.push(format!("org:{feature}:{permission}"));
            }
        }
    }
    granted
}

/// Parses an arbitrary-precision non-negative decimal into little-endian
/// 32-bit limbs. `None` for anything but ASCII digits (after trimming).
fn decimal_to_bits(decimal: &str) -> Option<Vec<u32>> {
    let digits = decimal.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 4096 {
        return None;
    }
    let mut limbs: Vec<u32> = vec![0];
    for digit in digits.bytes() {
        let mut carry = u64::from(digit - b'0');
        for limb in &mut limbs {
            let value = u64::from(*limb) * 10 + carry;
            *limb = value as u32; // low 32 bits
            carry = value >> 32;
        }
        if carry > 0 {
            limbs.push(carry as u32);
        }
    }
    Some(limbs)
}

fn bit_is_set(limbs: &[u32], bit: usize) -> bool {
    limbs
        .get(bit / 32)
        .is_some_and(|limb| limb >> (bit % 32) & 1 == 1)
}

/// Strips any number of leading `org:` and adds exactly one.
pub(crate) fn with_org_prefix(name: &str) -> Cow<'_, str> {
    let mut bare = name;
    while let Some(rest) = bare.strip_prefix("org:") {
        bare = rest;
    }
    if bare.len() + 4 == name.len() {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(format!("org:{bare}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_masks_beyond_2_pow_53() {
        let bits = decimal_to_bits("9007199254740993").expect("digits");
        assert!(bit_is_set(&bits, 0));
        assert!(!bit_is_set(&bits, 1));
        assert!(bit_is_set(&bits, 53));
        assert!(!bit_is_set(&bits, 54));
        assert!(decimal_to_bits("1invalid").is_none());
        assert!(decimal_to_bits("-1").is_none());
        assert!(decimal_to_bits("1.5").is_none());
        assert!(decimal_to_bits("").is_none());
    }

    #[test]
    fn split_by_scope_vectors() {
        let vectors: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/conformance/has.vectors.json"))
                .expect("vectors");
        for case in vectors["split_by_scope_cases"].as_array().expect("cases") {
            let input = case["input"].as_str().unwrap_or_default();
            match ScopedList::parse(input) {
                Some(list) => {
                    let org: Vec<&str> = list.org().collect();
                    let user: Vec<&str> = list.user().collect();
                    assert_eq!(serde_json::json!(org), case["org"], "{input}");
                    assert_eq!(serde_json::json!(user), case["user"], "{input}");
                }
                None => assert!(case.get("error").is_some(), "{input}"),
            }
        }
    }

    #[test]
    fn org_prefix_normalisation() {
        assert_eq!(with_org_prefix("admin"), "org:admin");
        assert_eq!(with_org_prefix("org:admin"), "org:admin");
        assert_eq!(with_org_prefix("org:org:admin"), "org:admin");
        assert_eq!(with_org_prefix("u:x"), "org:u:x");
    }

    #[test]
    fn claims_without_sub_are_rejected() {
        assert!(SessionClaims::from_value(serde_json::json!({"sid": "s"})).is_none());
        assert!(SessionClaims::from_value(serde_json::json!({"sub": 5})).is_none());
        assert!(SessionClaims::from_value(serde_json::json!([1])).is_none());
    }
}
