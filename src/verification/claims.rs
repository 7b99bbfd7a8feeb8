//! Session-token claims, normalised across the v1 and v2 claim formats.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::json::{self, Claim, Member, Span};

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

/// The claims verification and `has()` read, found once in the payload
/// text: each string by its position in `text` (the payload's JSON, then any
/// string that had escapes, unescaped, and the `org:`-prefixed v2 role). The
/// payload is parsed into a map only if [`SessionClaims::as_map`] (or
/// serialising the auth object) asks for every claim.
#[derive(Clone)]
struct Claims {
    text: String,
    /// The payload's JSON is `text[..json_len]`.
    json_len: usize,
    map: OnceLock<Map<String, Value>>,
    user_id: Span,
    session_id: Option<Span>,
    session_status: Option<Span>,
    org_id: Option<Span>,
    org_role: Option<Span>,
    org_slug: Option<Span>,
    org_permissions: Option<Vec<String>>,
    features: Option<Span>,
    plans: Option<Span>,
    factor_verification_age: Option<Value>,
    actor: Option<Value>,
    policy: PolicyClaims,
}

/// `azp`, `aud` and `iss`, for checks that may run again (cache hits), by
/// position in the claims' text.
#[derive(Clone, Copy, Default)]
pub(crate) struct PolicyClaims {
    azp: Option<Member>,
    aud: Option<Member>,
    iss: Option<Member>,
}

/// The claims the configurable checks read.
#[derive(Clone, Copy)]
pub(crate) struct ClaimsView<'a> {
    /// The text the members stand in.
    pub(crate) text: &'a str,
    pub(crate) azp: Option<Member>,
    pub(crate) aud: Option<Member>,
    pub(crate) iss: Option<Member>,
}

impl<'a> ClaimsView<'a> {
    pub(crate) fn azp(self) -> Option<Claim<'a>> {
        self.azp.map(|m| m.read(self.text))
    }

    pub(crate) fn aud(self) -> Option<Claim<'a>> {
        self.aud.map(|m| m.read(self.text))
    }

    pub(crate) fn iss(self) -> Option<Claim<'a>> {
        self.iss.map(|m| m.read(self.text))
    }
}

/// `Some(value)` for a present member, `null` included; absent stays `None`
/// (`#[serde(default)]`). Clerk tells `"nbf": null` from no `nbf`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

/// The payload members verification and the auth object read, and where
/// they stand. Other members are skipped without allocating; a repeated
/// member is a decode error, as it always was here.
macro_rules! payload_members {
    ($($name:ident),* $(,)?) => {
        #[derive(Deserialize)]
        struct RawFields<'a> {
            $(
                #[serde(default, borrow, deserialize_with = "present")]
                $name: Option<&'a RawValue>,
            )*
        }

        /// The payload members that verification and the auth object read,
        /// by position in the decoded text.
        #[derive(Clone, Copy, Default, Debug)]
        pub(crate) struct Fields {
            $(pub(crate) $name: Option<Member>,)*
        }

        impl Fields {
            /// Finds the members of the payload at `payload` in `text`; a
            /// string with escapes is unescaped onto the end of `text`.
            /// `None` when the payload is no JSON object or a member would
            /// not parse into a `Value`.
            pub(crate) fn read(text: &mut String, payload: Span) -> Option<Self> {
                // Positions first (the parse borrows `text`), then the
                // members placed (which may append to it).
                let [$($name,)*] = match json::flat(text, payload, payload_slot) {
                    Some(found) => found,
                    None => {
                        let base: &str = text;
                        let raw: RawFields<'_> = serde_json::from_str(payload.of(base)).ok()?;
                        [$(match raw.$name {
                            Some(value) => Some(json::find(base, value)?),
                            None => None,
                        },)*]
                    }
                };
                Some(Self {
                    $($name: match $name {
                        Some(found) => Some(found.place(text, 1)?),
                        None => None,
                    },)*
                })
            }

            /// The member names, in slot order.
            #[cfg(test)]
            pub(crate) const NAMES: &'static [&'static str] = &[$(stringify!($name),)*];

            /// Every member, by name.
            #[cfg(test)]
            pub(crate) fn by_name(&self) -> Vec<(&'static str, Option<Member>)> {
                vec![$((stringify!($name), self.$name),)*]
            }
        }
    };
}

/// A payload member's slot in [`Fields`]' order (a match on the bytes: a
/// token names ~10 members, each looked up here).
fn payload_slot(name: &[u8]) -> Option<usize> {
    Some(match name {
        b"sub" => 0,
        b"sid" => 1,
        b"sts" => 2,
        b"exp" => 3,
        b"nbf" => 4,
        b"iat" => 5,
        b"azp" => 6,
        b"aud" => 7,
        b"iss" => 8,
        b"v" => 9,
        b"o" => 10,
        b"org_id" => 11,
        b"org_role" => 12,
        b"org_slug" => 13,
        b"org_permissions" => 14,
        b"fea" => 15,
        b"pla" => 16,
        b"fva" => 17,
        b"act" => 18,
        _ => return None,
    })
}

payload_members!(
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
    act,
);

impl PartialEq for SessionClaims {
    fn eq(&self, other: &Self) -> bool {
        self.as_json() == other.as_json()
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
        let mut text = payload.to_string();
        let payload = Span::new(0, text.len())?;
        let fields = Fields::read(&mut text, payload)?;
        Self::new(&text, payload, &fields)
    }

    /// The claims of a payload whose members were found by
    /// [`Fields::read`]: `payload` in `text`, the unescaped strings after it.
    /// `None` without a string `sub`.
    pub(crate) fn new(text: &str, payload: Span, fields: &Fields) -> Option<Self> {
        let from = payload.start();
        let mut own = text.get(from..)?.to_owned();
        let json_len = payload.end() - from;
        let here = |member: Option<Member>| member.and_then(|m| m.shifted_back(from));
        // A member's string, when it is one.
        let string = |member: Option<Member>| here(member).and_then(Member::text_span);
        let user_id = string(fields.sub)?;
        let version_2 = here(fields.v).and_then(|v| v.read(&own).as_f64()) == Some(2.0);
        let (org_id, org_role, org_slug, org_permissions) = if version_2 {
            organization_v2(&mut own, here(fields.o), here(fields.fea)).unwrap_or_default()
        } else {
            let permissions = here(fields.org_permissions)
                .map(|m| m.read(&own))
                .filter(|claim| claim.is_array())
                .map(|claim| match claim.to_value() {
                    Value::Array(perms) => perms
                        .into_iter()
                        .filter_map(|p| match p {
                            Value::String(s) => Some(s),
                            _ => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                });
            (
                string(fields.org_id),
                string(fields.org_role),
                string(fields.org_slug),
                permissions,
            )
        };
        let value = |own: &str, member: Option<Member>| {
            here(member)
                .map(|m| m.read(own))
                .filter(|claim| !claim.is_null())
                .map(Claim::to_value)
        };
        Some(Self {
            inner: Arc::new(Claims {
                session_id: string(fields.sid),
                session_status: string(fields.sts),
                org_id,
                org_role,
                org_slug,
                org_permissions,
                features: string(fields.fea),
                plans: string(fields.pla),
                factor_verification_age: value(&own, fields.fva),
                actor: value(&own, fields.act),
                policy: PolicyClaims {
                    azp: here(fields.azp),
                    aud: here(fields.aud),
                    iss: here(fields.iss),
                },
                user_id,
                json_len,
                map: OnceLock::new(),
                text: own,
            }),
        })
    }

    fn text(&self, span: Option<Span>) -> Option<&str> {
        span.map(|span| span.of(&self.inner.text))
    }

    /// The user's id (`sub`).
    #[must_use]
    pub fn user_id(&self) -> &str {
        self.inner.user_id.of(&self.inner.text)
    }

    /// The session id (`sid`). Absent from tokens made from JWT templates.
    #[must_use]
    pub fn session_id(&self) -> Option<&str> {
        self.text(self.inner.session_id)
    }

    /// The session status (`sts`): `active`, `pending`, …
    #[must_use]
    pub fn session_status(&self) -> Option<&str> {
        self.text(self.inner.session_status)
    }

    /// Whether the session still has tasks to complete (`sts` is `pending`).
    #[must_use]
    pub fn is_pending(&self) -> bool {
        self.session_status() == Some("pending")
    }

    /// The active organization's id.
    #[must_use]
    pub fn org_id(&self) -> Option<&str> {
        self.text(self.inner.org_id)
    }

    /// The user's role in the active organization, e.g. `org:admin`.
    #[must_use]
    pub fn org_role(&self) -> Option<&str> {
        self.text(self.inner.org_role)
    }

    /// The active organization's slug.
    #[must_use]
    pub fn org_slug(&self) -> Option<&str> {
        self.text(self.inner.org_slug)
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
        self.text(self.inner.features)
    }

    /// The plans claim (`pla`), e.g. `u:pro,o:business`.
    #[must_use]
    pub fn plans(&self) -> Option<&str> {
        self.text(self.inner.plans)
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
            .get_or_init(|| serde_json::from_str(self.as_json()).unwrap_or_default())
    }

    /// The claims as JSON text, as they were in the token.
    #[must_use]
    pub fn as_json(&self) -> &str {
        self.inner
            .text
            .get(..self.inner.json_len)
            .unwrap_or_default()
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
        serde_json::from_str(self.as_json())
    }

    /// `azp`, `aud` and `iss`, for the checks that run again on cache hits.
    pub(crate) fn policy(&self) -> ClaimsView<'_> {
        let PolicyClaims { azp, aud, iss } = self.inner.policy;
        ClaimsView {
            text: &self.inner.text,
            azp,
            aud,
            iss,
        }
    }
}

/// The active organization's id, role, slug and permissions.
type Organization = (
    Option<Span>,
    Option<Span>,
    Option<Span>,
    Option<Vec<String>>,
);

/// The v2 organization claims from `o` (`id`, `rol`, `slg`, and the
/// permissions of `per`/`fpm` over `fea`), found in `own`; the role gets its
/// `org:` prefix onto the end of `own`. `None` when `o` is no object.
fn organization_v2(
    own: &mut String,
    o: Option<Member>,
    fea: Option<Member>,
) -> Option<Organization> {
    // Positions first (the parse borrows `own`), then the strings placed.
    let found = {
        let base: &str = own;
        let object = o?.read(base);
        if !object.is_object() {
            return None;
        }
        json::members(object.raw(), ["id", "rol", "per", "fpm", "slg"])
            .ok()?
            .map(|member| member.and_then(|value| json::find(base, value)))
    };
    let [id, rol, per, fpm, slg] = found.map(|found| {
        found
            .and_then(|found| found.place(own, 2))
            .and_then(Member::text_span)
    });
    let text = |span: Option<Span>| span.map(|span| span.of(own));
    let permissions = org_permissions_v2(
        fea.and_then(|fea| fea.read(own).as_str()),
        text(per),
        text(fpm),
    );
    let role = match text(rol).filter(|rol| !rol.is_empty()) {
        Some(rol) => {
            let prefixed = format!("org:{rol}");
            let start = own.len();
            own.push_str(&prefixed);
            Span::new(start, own.len())
        }
        None => None,
    };
    Some((id, role, slg, Some(permissions)))
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
    fn payload_slots_follow_the_members() {
        for (i, name) in Fields::NAMES.iter().enumerate() {
            assert_eq!(payload_slot(name.as_bytes()), Some(i), "{name}");
        }
        assert_eq!(Fields::NAMES.len(), 19);
        assert_eq!(payload_slot(b"other"), None);
    }

    #[test]
    fn claims_without_sub_are_rejected() {
        assert!(SessionClaims::from_value(serde_json::json!({"sid": "s"})).is_none());
        assert!(SessionClaims::from_value(serde_json::json!({"sub": 5})).is_none());
        assert!(SessionClaims::from_value(serde_json::json!([1])).is_none());
    }
}
