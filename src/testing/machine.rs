//! Machine tokens in the testing kit: the issuer mints M2M and OAuth JWTs,
//! the stand-in issues (and revokes) opaque API keys, M2M tokens and OAuth
//! tokens that its verify endpoints accept.

use std::fmt;
use std::time::Duration;

use serde_json::{json, Value};

use super::issuer::{random_id, SessionTokenBuilder, TestIssuer};
use super::server::StandIn;

const M2M_CATEGORY: &str = "cl_B7d4PD333AAA";

/// Builds an M2M or OAuth access-token JWT; from [`TestIssuer::m2m_jwt`] or
/// [`TestIssuer::oauth_jwt`].
///
/// # Examples
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use clerk_actix::testing::StandIn;
/// use clerk_actix::machine::TokenType;
///
/// let stand_in = StandIn::start()?;
/// let jwt = stand_in.issuer().m2m_jwt("mch_worker").scopes(["mch_api"]).sign();
/// let token = stand_in.clerk()?.verify_machine_token(&jwt).await?;
/// assert_eq!(token.token_type(), TokenType::M2mToken);
/// assert_eq!(token.machine_id(), Some("mch_worker"));
/// assert_eq!(token.scopes(), ["mch_api"]);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
#[must_use]
pub struct MachineJwtBuilder {
    token: SessionTokenBuilder,
    m2m: bool,
}

impl fmt::Debug for MachineJwtBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MachineJwtBuilder")
            .field("m2m", &self.m2m)
            .field("token", &self.token)
            .finish()
    }
}

impl TestIssuer {
    /// An M2M JWT for machine `machine_id` (`mch_…`): header `cat` M2M,
    /// `jti` `mt_…`, valid for an hour, no scopes.
    pub fn m2m_jwt(&self, machine_id: impl Into<String>) -> MachineJwtBuilder {
        let token = self
            .session(machine_id)
            .without_claim("sid")
            .without_claim("sts")
            .without_claim("v")
            .without_claim("azp")
            .header("cat", M2M_CATEGORY)
            .claim("jti", random_id("mt"))
            .lifetime(Duration::from_secs(3600));
        MachineJwtBuilder { token, m2m: true }
    }

    /// An OAuth access-token JWT (`typ: at+jwt`) granted by `user_id` to
    /// OAuth application `client_id`, `jti` `oat_…`, valid for an hour, no
    /// scopes.
    pub fn oauth_jwt(
        &self,
        user_id: impl Into<String>,
        client_id: impl Into<String>,
    ) -> MachineJwtBuilder {
        let token = self
            .session(user_id)
            .without_claim("sts")
            .without_claim("v")
            .header("typ", "at+jwt")
            .claim("client_id", client_id.into())
            .claim("jti", random_id("oat"))
            .lifetime(Duration::from_secs(3600));
        MachineJwtBuilder { token, m2m: false }
    }
}

impl MachineJwtBuilder {
    /// The scopes: for M2M, the machines it may call (`scopes` and `aud`);
    /// for OAuth, `scope`.
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        if self.m2m {
            self.token = self
                .token
                .claim("aud", json!(scopes))
                .claim("scopes", scopes.join(" "));
        } else {
            self.token = self.token.claim("scope", scopes.join(" "));
        }
        self
    }

    /// The `aud` claim.
    pub fn audience<I, S>(mut self, audience: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let audience: Vec<String> = audience.into_iter().map(Into::into).collect();
        self.token = self.token.claim("aud", json!(audience));
        self
    }

    /// Any claim; replaces a claim of the same name.
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.token = self.token.claim(name, value);
        self
    }

    /// Any JOSE header member (`cat`, `typ`, `alg`, …).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.token = self.token.header(name, value);
        self
    }

    /// Removes a JOSE header member.
    pub fn without_header(mut self, name: &str) -> Self {
        self.token = self.token.without_header(name);
        self
    }

    /// Issued at `unix_seconds` (`nbf` 10 s before), valid for an hour.
    pub fn issued_at(mut self, unix_seconds: i64) -> Self {
        self.token = self
            .token
            .issued_at(unix_seconds)
            .lifetime(Duration::from_secs(3600));
        self
    }

    /// Expires `lifetime` after `iat`.
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.token = self.token.lifetime(lifetime);
        self
    }

    /// Expired `ago` before now.
    pub fn expired(mut self, ago: Duration) -> Self {
        self.token = self.token.expired(ago);
        self
    }

    /// Signed with another issuer's key.
    pub fn signed_by(mut self, other: &TestIssuer) -> Self {
        self.token = self.token.signed_by(other);
        self
    }

    /// Signs the token.
    #[must_use]
    pub fn sign(&self) -> String {
        self.token.sign()
    }
}

/// A machine stored in the stand-in; from [`StandIn::machine`].
#[derive(Clone, PartialEq, Eq)]
pub struct TestMachine {
    id: String,
    secret_key: String,
}

impl fmt::Debug for TestMachine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestMachine")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl TestMachine {
    /// `mch_…`.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Its secret key, for
    /// [`ClerkBuilder::machine_secret_key`](crate::ClerkBuilder::machine_secret_key).
    #[must_use]
    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }
}

impl StandIn {
    /// Issues an API key for `subject` (`user_…`, `org_…`, `mch_…`) with
    /// `scopes` and returns its secret (`ak_…`).
    ///
    /// ```
    /// # use clerk_actix::testing::StandIn;
    /// let stand_in = StandIn::start().unwrap();
    /// let secret = stand_in.api_key("user_1", ["read:reports"]);
    /// assert!(secret.starts_with("ak_"));
    /// ```
    pub fn api_key<I, S>(&self, subject: &str, scopes: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        self.with_store(|store| {
            store.issue_api_key(json!({"subject": subject, "name": "test key", "scopes": scopes}))
        })
    }

    /// Issues an opaque M2M token (`mt_…`) to machine `machine_id`, allowed
    /// to call the machines `scopes`.
    pub fn m2m_token<I, S>(&self, machine_id: &str, scopes: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        self.with_store(|store| store.issue_m2m_token(machine_id, json!({ "scopes": scopes })))
    }

    /// Issues an opaque OAuth access token (`oat_…`) granted by `user_id`
    /// with `scopes`, for the client `client_stand_in`.
    pub fn oauth_token<I, S>(&self, user_id: &str, scopes: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        self.with_store(|store| {
            store.issue_oauth_token(json!({"subject": user_id, "scopes": scopes}))
        })
    }

    /// Stores a machine named `name`, with a secret key of its own.
    pub fn machine(&self, name: &str) -> TestMachine {
        self.with_store(|store| {
            let id = store.insert_machine(json!({ "name": name }));
            let secret_key = store.machine_secret_key(&id).unwrap_or_default().to_owned();
            TestMachine { id, secret_key }
        })
    }

    /// Revokes an API key, M2M token or OAuth token the stand-in issued;
    /// `false` for one it did not.
    pub fn revoke(&self, secret: &str) -> bool {
        self.with_store(|store| store.revoke_token(secret))
    }
}
