//! The options a token is verified with.

use std::time::Duration;

/// Options for verifying a session token.
///
/// The defaults check what Clerk checks by default: signature, `sub`, and the
/// time claims with a 5 second skew. Authorized parties, audience and issuer
/// are checked only when set.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use clerk_actix::VerifyOptions;
///
/// let options = VerifyOptions::default()
///     .authorized_parties(["https://app.example.com"])
///     .clock_skew(Duration::from_secs(2));
/// # let _ = options;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct VerifyOptions {
    pub(crate) authorized_parties: Vec<String>,
    pub(crate) audience: Vec<String>,
    pub(crate) issuer: Vec<String>,
    pub(crate) clock_skew: Duration,
    pub(crate) header_types: Option<Vec<String>>,
    pub(crate) skip_jwks_cache: bool,
    pub(crate) allow_missing_azp: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        Self {
            authorized_parties: Vec::new(),
            audience: Vec::new(),
            issuer: Vec::new(),
            clock_skew: Duration::from_secs(5),
            header_types: None,
            skip_jwks_cache: false,
            allow_missing_azp: false,
        }
    }
}

impl VerifyOptions {
    /// Accept only tokens whose `azp` claim is one of `parties` (exact match),
    /// e.g. `["https://app.example.com"]`.
    ///
    /// Defaults to no check.
    pub fn authorized_parties<I, S>(mut self, parties: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.authorized_parties = parties.into_iter().map(Into::into).collect();
        self
    }

    /// With [`authorized_parties`](Self::authorized_parties) set, also accept
    /// tokens that carry no `azp` at all (a token whose `azp` is not in the
    /// list is still refused).
    ///
    /// Session tokens minted for a browser always carry `azp` (the page's
    /// origin); tokens of native and mobile apps have none, because they have
    /// no origin. Turn this on to serve both from one API while web tokens
    /// stay bound to your origins; see SECURITY.md for the trade-off. Clerk
    /// has no such option (it refuses a token without `azp` when authorized
    /// parties are set).
    ///
    /// Defaults to `false`, as in Clerk.
    ///
    /// ```
    /// # actix_web::rt::System::new().block_on(async {
    /// use clerk_actix::testing::TestIssuer;
    /// use clerk_actix::{Clerk, Reason, VerifyOptions};
    ///
    /// let issuer = TestIssuer::generate()?;
    /// let web_only = VerifyOptions::default().authorized_parties(["https://app.example.com"]);
    /// let web_and_mobile = web_only.clone().allow_missing_azp(true);
    /// let clerk = Clerk::builder().jwt_key(issuer.public_key_pem()).build()?;
    /// let mobile = issuer.session("user_1").without_claim("azp").sign();
    /// let elsewhere = issuer.session("user_1").azp("https://evil.example").sign();
    /// let refused = clerk.verify_token_with(&mobile, &web_only).await.unwrap_err();
    /// assert_eq!(refused.reason(), Reason::TokenInvalidAuthorizedParties);
    /// assert!(clerk.verify_token_with(&mobile, &web_and_mobile).await.is_ok());
    /// let refused = clerk.verify_token_with(&elsewhere, &web_and_mobile).await.unwrap_err();
    /// assert_eq!(refused.reason(), Reason::TokenInvalidAuthorizedParties);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn allow_missing_azp(mut self, allow: bool) -> Self {
        self.allow_missing_azp = allow;
        self
    }

    /// When the token has an `aud` claim, it must contain one of `audience`.
    ///
    /// Defaults to no check.
    pub fn audience<I, S>(mut self, audience: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.audience = audience
            .into_iter()
            .map(Into::into)
            .filter(|a: &String| !a.is_empty())
            .collect();
        self
    }

    /// The token's `iss` must be one of `issuers`, e.g.
    /// `["https://clerk.example.com"]`.
    ///
    /// Defaults to no check.
    pub fn issuer<I, S>(mut self, issuers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.issuer = issuers.into_iter().map(Into::into).collect();
        self
    }

    /// Leeway for `exp`, `nbf` and `iat`.
    ///
    /// Defaults to 5 seconds.
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = skew;
        self
    }

    /// The accepted values of the JOSE header `typ`. Once set, a token without
    /// `typ` is rejected too.
    ///
    /// Defaults to `JWT`, with tokens that have no `typ` accepted.
    pub fn header_types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.header_types = Some(types.into_iter().map(Into::into).collect());
        self
    }

    /// Fetch the JWKS for every verification instead of using the cached one.
    /// Slow, and only useful to debug key rotation.
    ///
    /// Defaults to `false`.
    pub fn skip_jwks_cache(mut self, skip: bool) -> Self {
        self.skip_jwks_cache = skip;
        self
    }
}
