//! A test token issuer: an RSA key pair and a session-token builder.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{self, KeyPair as _};
use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::clock::Clock;
use crate::encoding;
use crate::verification::keys::{pem_to_der, rsa_components};

use super::TestingError;

/// Signs Clerk-shaped session tokens with its own RSA key, and publishes the
/// matching JWKS and PEM public key.
///
/// # Examples
///
/// ```
/// use clerk_actix::testing::TestIssuer;
///
/// let issuer = TestIssuer::generate()?;
/// let token = issuer.session("user_123").org("org_1", "admin").sign();
/// assert_eq!(token.split('.').count(), 3);
/// assert_eq!(issuer.jwks()["keys"][0]["kid"], issuer.kid());
/// # Ok::<(), clerk_actix::testing::TestingError>(())
/// ```
#[derive(Clone)]
pub struct TestIssuer {
    inner: Arc<IssuerKey>,
}

struct IssuerKey {
    key_pair: KeyPair,
    kid: String,
    n: Vec<u8>,
    e: Vec<u8>,
    spki_der: Vec<u8>,
    iss: String,
}

impl fmt::Debug for TestIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestIssuer")
            .field("kid", &self.inner.kid)
            .field("iss", &self.inner.iss)
            .finish_non_exhaustive()
    }
}

pub(crate) fn random_id(prefix: &str) -> String {
    let mut bytes = [0u8; 12];
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    let mut id = String::with_capacity(prefix.len() + 1 + 24);
    id.push_str(prefix);
    id.push('_');
    for byte in bytes {
        id.push_str(&format!("{byte:02x}"));
    }
    id
}

impl TestIssuer {
    /// A fresh RSA-2048 key with a random `kid` (`ins_test_…`).
    ///
    /// # Errors
    ///
    /// [`TestingError`] if the key cannot be generated.
    pub fn generate() -> Result<Self, TestingError> {
        let key_pair = KeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| TestingError::new("could not generate an RSA key"))?;
        Self::from_key_pair(key_pair, random_id("ins_test"))
    }

    /// An issuer with an existing private key: PEM (PKCS#8
    /// `BEGIN PRIVATE KEY` or PKCS#1 `BEGIN RSA PRIVATE KEY`) and the `kid`
    /// its tokens carry.
    ///
    /// # Errors
    ///
    /// [`TestingError`] if the PEM is not an RSA private key.
    pub fn from_private_key_pem(pem: &str, kid: impl Into<String>) -> Result<Self, TestingError> {
        let der = pem_to_der(pem).ok_or_else(|| TestingError::new("not a PEM private key"))?;
        let key_pair = KeyPair::from_pkcs8(&der)
            .or_else(|_| KeyPair::from_der(&der))
            .map_err(|e| TestingError::new(format!("not an RSA private key: {e}")))?;
        Self::from_key_pair(key_pair, kid.into())
    }

    fn from_key_pair(key_pair: KeyPair, kid: String) -> Result<Self, TestingError> {
        let public = key_pair.public_key();
        let spki_der = public
            .as_der()
            .map_err(|_| TestingError::new("could not encode the public key"))?
            .as_ref()
            .to_vec();
        let (n, e) = rsa_components(&spki_der)
            .ok_or_else(|| TestingError::new("could not read the public key"))?;
        Ok(Self {
            inner: Arc::new(IssuerKey {
                key_pair,
                kid,
                n,
                e,
                spki_der,
                iss: "https://clerk.stand-in.test".to_owned(),
            }),
        })
    }

    /// The `kid` in the header of the tokens this issuer signs.
    #[must_use]
    pub fn kid(&self) -> &str {
        &self.inner.kid
    }

    /// The `iss` claim of the tokens this issuer signs.
    #[must_use]
    pub fn iss(&self) -> &str {
        &self.inner.iss
    }

    /// The public key as a JWK, the way Clerk's JWKS lists it.
    #[must_use]
    pub fn jwk(&self) -> Value {
        json!({
            "use": "sig",
            "kty": "RSA",
            "kid": self.inner.kid,
            "alg": "RS256",
            "n": encoding::URL_SAFE.encode(&self.inner.n),
            "e": encoding::URL_SAFE.encode(&self.inner.e),
        })
    }

    /// The JWKS (`{"keys": [...]}`) the Backend API would serve.
    #[must_use]
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.jwk()] })
    }

    /// The public key in PEM, as `CLERK_JWT_KEY` holds it.
    #[must_use]
    pub fn public_key_pem(&self) -> String {
        let body = base64::engine::general_purpose::STANDARD.encode(&self.inner.spki_der);
        let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
        for line in body.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str("-----END PUBLIC KEY-----\n");
        pem
    }

    /// Starts a session token for `user_id`: a fresh session id, issued now,
    /// valid for 60 seconds, `azp` `http://localhost:3000`.
    pub fn session(&self, user_id: impl Into<String>) -> SessionTokenBuilder {
        SessionTokenBuilder::new(self.clone(), user_id.into())
    }

    fn sign_rs(&self, alg: RsAlg, message: &[u8]) -> Vec<u8> {
        let encoding: &'static dyn signature::RsaEncoding = match alg {
            RsAlg::Rs256 => &signature::RSA_PKCS1_SHA256,
            RsAlg::Rs384 => &signature::RSA_PKCS1_SHA384,
            RsAlg::Rs512 => &signature::RSA_PKCS1_SHA512,
        };
        let mut sig = vec![0; self.inner.key_pair.public_modulus_len()];
        let rng = aws_lc_rs::rand::SystemRandom::new();
        match self.inner.key_pair.sign(encoding, &rng, message, &mut sig) {
            Ok(()) => sig,
            // Signing with a valid key cannot fail; an empty signature will
            // simply not verify.
            Err(_) => Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RsAlg {
    Rs256,
    Rs384,
    Rs512,
}

/// The active organization of a test token.
///
/// # Examples
///
/// ```
/// use clerk_actix::testing::TestOrg;
///
/// let org = TestOrg::new("org_1", "admin")
///     .slug("acme")
///     .permissions(["org:invoices:read", "org:invoices:manage"]);
/// # let _ = org;
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct TestOrg {
    id: String,
    role: String,
    slug: Option<String>,
    permissions: Vec<String>,
    features: Vec<String>,
}

impl TestOrg {
    /// An organization `id` in which the user has `role` (`admin` or `org:admin`).
    pub fn new(id: impl Into<String>, role: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            role: role.into(),
            ..Self::default()
        }
    }

    /// The organization's slug.
    pub fn slug(mut self, slug: impl Into<String>) -> Self {
        self.slug = Some(slug.into());
        self
    }

    /// Permissions of the user in the organization, `org:<feature>:<action>`.
    pub fn permissions<I, S>(mut self, permissions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.permissions
            .extend(permissions.into_iter().map(Into::into));
        self
    }

    /// Organization billing features (without permissions), e.g. `analytics`.
    pub fn features<I, S>(mut self, features: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.features.extend(features.into_iter().map(Into::into));
        self
    }

    fn bare_role(&self) -> &str {
        let mut role = self.role.as_str();
        while let Some(rest) = role.strip_prefix("org:") {
            role = rest;
        }
        role
    }
}

/// A part of a token, for [`SessionTokenBuilder::corrupt`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Segment {
    /// The JOSE header.
    Header,
    /// The claims.
    Payload,
    /// The signature.
    Signature,
}

#[derive(Clone)]
enum Signer {
    /// The builder's own issuer.
    Own,
    /// Another issuer's key.
    Other(TestIssuer),
    /// HMAC-SHA256 keyed with the issuer's public key PEM: the algorithm
    /// confusion attack on verifiers that trust `alg`.
    HmacWithPublicKey,
    /// No signature at all (`alg: none`).
    Unsigned,
}

/// Builds a session token; see [`TestIssuer::session`].
///
/// Claims follow Clerk's v2 session token (`v: 2`, organization in `o`,
/// permissions as bit masks over `fea`); [`v1`](Self::v1) switches to the
/// older `org_*` claims. The `raw`-style methods build hostile tokens.
#[derive(Clone)]
#[must_use]
pub struct SessionTokenBuilder {
    issuer: TestIssuer,
    header: Map<String, Value>,
    claims: Map<String, Value>,
    org: Option<TestOrg>,
    user_features: Vec<String>,
    plans: Vec<String>,
    v1: bool,
    alg: RsAlg,
    signer: Signer,
    header_override: Option<String>,
    payload_override: Option<String>,
    corrupt: Option<Segment>,
}

impl fmt::Debug for SessionTokenBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionTokenBuilder")
            .field("header", &self.header)
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

impl SessionTokenBuilder {
    fn new(issuer: TestIssuer, user_id: String) -> Self {
        let now = Clock::system().now_millis() / 1000;
        let mut header = Map::new();
        header.insert("alg".into(), "RS256".into());
        header.insert("kid".into(), issuer.kid().into());
        header.insert("typ".into(), "JWT".into());
        let mut claims = Map::new();
        claims.insert("azp".into(), "http://localhost:3000".into());
        claims.insert("exp".into(), (now + 60).into());
        claims.insert("iat".into(), now.into());
        claims.insert("iss".into(), issuer.iss().into());
        claims.insert("nbf".into(), (now - 10).into());
        claims.insert("sid".into(), random_id("sess_test").into());
        claims.insert("sts".into(), "active".into());
        claims.insert("sub".into(), user_id.into());
        claims.insert("v".into(), 2.into());
        Self {
            issuer,
            header,
            claims,
            org: None,
            user_features: Vec::new(),
            plans: Vec::new(),
            v1: false,
            alg: RsAlg::Rs256,
            signer: Signer::Own,
            header_override: None,
            payload_override: None,
            corrupt: None,
        }
    }

    /// The session id (`sid`).
    pub fn session_id(self, sid: impl Into<String>) -> Self {
        self.claim("sid", sid.into())
    }

    /// The authorized party (`azp`), the origin of the front end.
    pub fn azp(self, origin: impl Into<String>) -> Self {
        self.claim("azp", origin.into())
    }

    /// Issued at `unix_seconds`; `nbf` 10 s before, `exp` 60 s after.
    pub fn issued_at(mut self, unix_seconds: i64) -> Self {
        self.claims.insert("iat".into(), unix_seconds.into());
        self.claims.insert("nbf".into(), (unix_seconds - 10).into());
        self.claims.insert("exp".into(), (unix_seconds + 60).into());
        self
    }

    /// Expires `lifetime` after `iat`.
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        let iat = self.claims.get("iat").and_then(Value::as_i64).unwrap_or(0);
        let secs = i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX / 2);
        self.claims.insert("exp".into(), (iat + secs).into());
        self
    }

    /// Expired `ago` before now (issued a minute before that).
    pub fn expired(self, ago: Duration) -> Self {
        let now = Clock::system().now_millis() / 1000;
        let ago = i64::try_from(ago.as_secs()).unwrap_or(0);
        self.issued_at(now - ago - 60)
    }

    /// The active organization.
    pub fn org(mut self, id: impl Into<String>, role: impl Into<String>) -> Self {
        self.org = Some(TestOrg::new(id, role));
        self
    }

    /// The active organization, with slug, permissions and features.
    pub fn organization(mut self, org: TestOrg) -> Self {
        self.org = Some(org);
        self
    }

    /// Organization permissions (`org:<feature>:<action>`), added to the
    /// organization set with [`org`](Self::org).
    pub fn permissions<I, S>(mut self, permissions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        if let Some(org) = self.org.take() {
            self.org = Some(org.permissions(permissions));
        }
        self
    }

    /// User billing features, e.g. `dashboard` (`u:dashboard` in `fea`).
    pub fn user_features<I, S>(mut self, features: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.user_features
            .extend(features.into_iter().map(Into::into));
        self
    }

    /// Plans, scoped: `u:pro`, `o:business`.
    pub fn plans<I, S>(mut self, plans: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.plans.extend(plans.into_iter().map(Into::into));
        self
    }

    /// Session status `pending` (the session has tasks left).
    pub fn pending(self) -> Self {
        self.claim("sts", "pending")
    }

    /// Minutes since the first and second factor were verified (−1: none).
    pub fn factor_verification_age(self, first: i64, second: i64) -> Self {
        self.claim("fva", json!([first, second]))
    }

    /// An impersonator (`act`) acting on the user's behalf.
    pub fn actor(self, actor_sub: impl Into<String>) -> Self {
        self.claim("act", json!({ "sub": actor_sub.into() }))
    }

    /// Encode the organization the v1 way (`org_id`, `org_role`, `org_slug`,
    /// `org_permissions`), without `v`.
    pub fn v1(mut self) -> Self {
        self.v1 = true;
        self.claims.remove("v");
        self
    }

    /// Any claim; replaces a claim of the same name.
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.claims.insert(name.into(), value.into());
        self
    }

    /// Removes a claim.
    pub fn without_claim(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Any JOSE header member (`alg`, `kid`, `typ`, `cat`, …). Setting `alg`
    /// to `RS384`/`RS512` also signs with it; any other `alg` keeps an RS256
    /// signature under the false header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        let name = name.into();
        let value = value.into();
        if name == "alg" {
            self.alg = match value.as_str() {
                Some("RS384") => RsAlg::Rs384,
                Some("RS512") => RsAlg::Rs512,
                _ => RsAlg::Rs256,
            };
            if value.as_str() == Some("none") {
                self.signer = Signer::Unsigned;
            }
        }
        self.header.insert(name, value);
        self
    }

    /// Removes a JOSE header member (e.g. `typ` or `kid`).
    pub fn without_header(mut self, name: &str) -> Self {
        self.header.remove(name);
        self
    }

    /// Signed with another issuer's key (the header still names this issuer's `kid`).
    pub fn signed_by(mut self, other: &TestIssuer) -> Self {
        self.signer = Signer::Other(other.clone());
        self
    }

    /// `alg: HS256`, HMAC-signed with the issuer's public key PEM as the
    /// secret: the classic algorithm-confusion attack.
    pub fn hs256_with_public_key(mut self) -> Self {
        self.header.insert("alg".into(), "HS256".into());
        self.signer = Signer::HmacWithPublicKey;
        self
    }

    /// Replaces the header with `raw` (base64url-encoded as is, JSON or not).
    pub fn raw_header(mut self, raw: impl Into<String>) -> Self {
        self.header_override = Some(raw.into());
        self
    }

    /// Replaces the payload with `raw` (base64url-encoded as is, JSON or not).
    pub fn raw_payload(mut self, raw: impl Into<String>) -> Self {
        self.payload_override = Some(raw.into());
        self
    }

    /// Replaces one segment with text that is not base64url.
    pub fn corrupt(mut self, segment: Segment) -> Self {
        self.corrupt = Some(segment);
        self
    }

    /// The claims as they will be signed.
    #[must_use]
    pub fn claims(&self) -> Map<String, Value> {
        let mut claims = self.claims.clone();
        let org_features: Vec<String> = self
            .org
            .as_ref()
            .map(|org| {
                let mut features: Vec<String> = Vec::new();
                for permission in &org.permissions {
                    if let Some(feature) = permission_feature(permission) {
                        if !features.iter().any(|f| f == feature) {
                            features.push(feature.to_owned());
                        }
                    }
                }
                for feature in &org.features {
                    if !features.contains(feature) {
                        features.push(feature.clone());
                    }
                }
                features
            })
            .unwrap_or_default();
        let fea: Vec<String> = org_features
            .iter()
            .map(|f| format!("o:{f}"))
            .chain(self.user_features.iter().map(|f| format!("u:{f}")))
            .collect();
        if !fea.is_empty() {
            claims.insert("fea".into(), fea.join(",").into());
        }
        if !self.plans.is_empty() {
            claims.insert("pla".into(), self.plans.join(",").into());
        }
        if let Some(org) = &self.org {
            if self.v1 {
                claims.insert("org_id".into(), org.id.clone().into());
                claims.insert("org_role".into(), format!("org:{}", org.bare_role()).into());
                if let Some(slug) = &org.slug {
                    claims.insert("org_slug".into(), slug.clone().into());
                }
                claims.insert("org_permissions".into(), json!(org.permissions));
            } else {
                let mut actions: Vec<&str> = Vec::new();
                for permission in &org.permissions {
                    if let Some(action) = permission_action(permission) {
                        if !actions.contains(&action) {
                            actions.push(action);
                        }
                    }
                }
                let masks: Vec<String> = org_features
                    .iter()
                    .map(|feature| {
                        let mut mask: u128 = 0;
                        for permission in &org.permissions {
                            if permission_feature(permission) == Some(feature.as_str()) {
                                if let Some(bit) = permission_action(permission)
                                    .and_then(|a| actions.iter().position(|x| *x == a))
                                {
                                    mask |= 1u128 << bit.min(127);
                                }
                            }
                        }
                        mask.to_string()
                    })
                    .collect();
                let mut o = Map::new();
                o.insert("id".into(), org.id.clone().into());
                o.insert("rol".into(), org.bare_role().into());
                if let Some(slug) = &org.slug {
                    o.insert("slg".into(), slug.clone().into());
                }
                if !actions.is_empty() {
                    o.insert("per".into(), actions.join(",").into());
                    o.insert("fpm".into(), masks.join(",").into());
                }
                claims.insert("o".into(), Value::Object(o));
            }
        }
        claims
    }

    /// Signs the token.
    #[must_use]
    pub fn sign(&self) -> String {
        let header = self
            .header_override
            .clone()
            .unwrap_or_else(|| Value::Object(self.header.clone()).to_string());
        let payload = self
            .payload_override
            .clone()
            .unwrap_or_else(|| Value::Object(self.claims()).to_string());
        let mut header = encoding::URL_SAFE.encode(header);
        let mut payload = encoding::URL_SAFE.encode(payload);
        let signing_input = format!("{header}.{payload}");
        let signature = match &self.signer {
            Signer::Own => self.issuer.sign_rs(self.alg, signing_input.as_bytes()),
            Signer::Other(issuer) => issuer.sign_rs(self.alg, signing_input.as_bytes()),
            Signer::HmacWithPublicKey => {
                let pem = self.issuer.public_key_pem();
                let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, pem.as_bytes());
                aws_lc_rs::hmac::sign(&key, signing_input.as_bytes())
                    .as_ref()
                    .to_vec()
            }
            Signer::Unsigned => Vec::new(),
        };
        let mut signature = encoding::URL_SAFE.encode(signature);
        match self.corrupt {
            Some(Segment::Header) => header = "!!not-base64!!".to_owned(),
            Some(Segment::Payload) => payload = "!!not-base64!!".to_owned(),
            Some(Segment::Signature) => signature = "!!not-base64!!".to_owned(),
            None => {}
        }
        format!("{header}.{payload}.{signature}")
    }
}

fn permission_feature(permission: &str) -> Option<&str> {
    let rest = permission.strip_prefix("org:").unwrap_or(permission);
    rest.split_once(':').map(|(feature, _)| feature)
}

fn permission_action(permission: &str) -> Option<&str> {
    let rest = permission.strip_prefix("org:").unwrap_or(permission);
    rest.split_once(':').map(|(_, action)| action)
}
