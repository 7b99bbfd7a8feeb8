//! OAuth access tokens issued by Clerk as an identity provider
//! (`/oauth_applications/access_tokens/verify`, unversioned: no `/v1`).

use super::ClerkClient;
use crate::backend::error::Error;
use crate::backend::machine_verify::{self as machine_models, IdpOAuthAccessToken, Opaque};

/// The OAuth access token endpoint; from [`ClerkClient::oauth_access_tokens`].
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "testing")]
/// # actix_web::rt::System::new().block_on(async {
/// use clerk_actix::testing::StandIn;
///
/// let stand_in = StandIn::start()?;
/// let token = stand_in.oauth_token("user_1", ["profile"]);
/// let verified = stand_in.clerk()?.client().oauth_access_tokens().verify(&token).await?;
/// assert_eq!(verified.subject, "user_1");
/// assert_eq!(stand_in.requests()[0].path(), "/oauth_applications/access_tokens/verify");
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct OAuthAccessTokensApi {
    pub(crate) client: ClerkClient,
}

impl OAuthAccessTokensApi {
    /// `POST /oauth_applications/access_tokens/verify` with
    /// `{"access_token"}`. Uncached.
    ///
    /// # Errors
    ///
    /// [`Error`]; 404 for an unknown, revoked or expired token.
    pub async fn verify(&self, access_token: &str) -> Result<IdpOAuthAccessToken, Error> {
        let client = &self.client;
        machine_models::verify(
            client.api(),
            &client.settings,
            Opaque::OAuthToken,
            access_token,
        )
        .await
    }
}
