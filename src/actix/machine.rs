//! Machine tokens in actix: `get_auth_with`, and the typed extractors
//! [`ApiKeyAuth`], [`M2mAuth`], [`OAuthAuth`] and [`MachineAuth`].
//!
//! [`ClerkMiddleware`](crate::ClerkMiddleware) authenticates every request
//! with "any" token kind, like `clerkMiddleware`: at most one verification
//! per request, whatever the routes want. Each route then reads the result
//! through the kinds it accepts ([`AcceptsToken`]); a route that says nothing
//! takes session tokens only, so an API key never passes for a user session.

use std::future::{ready, Ready};
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::actix::error::{AuthError, UnauthorizedError};
use crate::actix::extract::{attachment, AuthExt};
use crate::verification::accepts::AcceptsToken;
use crate::verification::auth::Auth;
use crate::verification::machine::MachineToken;
use crate::verification::token_type::TokenType;

/// The auth object of `req` for a route that takes `accepts`: Clerk's
/// `getAuth(req, { acceptsToken })`; [`get_auth`](crate::get_auth) is
/// `get_auth_with(req, AcceptsToken::SESSION_TOKEN)`.
///
/// # Errors
///
/// [`AuthError::MissingMiddleware`] when `ClerkMiddleware` did not run;
/// [`AuthError::Unavailable`] during a Backend API outage.
///
/// # Examples
///
/// ```
/// # actix_web::rt::System::new().block_on(async {
/// use actix_web::{test, web, App, HttpRequest, HttpResponse};
/// use clerk_actix::machine::AcceptsToken;
/// use clerk_actix::testing::StandIn;
/// use clerk_actix::{get_auth_with, ClerkMiddleware};
///
/// async fn whoami(req: HttpRequest) -> actix_web::Result<HttpResponse> {
///     let auth = get_auth_with(&req, AcceptsToken::Any)?;
///     if !auth.is_authenticated() {
///         return Ok(HttpResponse::Unauthorized().finish());
///     }
///     Ok(HttpResponse::Ok().json(&auth))
/// }
///
/// let stand_in = StandIn::start()?;
/// let app = test::init_service(
///     App::new().route("/whoami", web::get().to(whoami)).wrap(ClerkMiddleware::new(stand_in.clerk()?)),
/// )
/// .await;
/// let call = |token: String| {
///     let req = test::TestRequest::get().uri("/whoami").insert_header(("authorization", format!("Bearer {token}")));
///     test::call_service(&app, req.to_request())
/// };
/// assert_eq!(call(stand_in.api_key("user_1", ["read:reports"])).await.status(), 200);
/// assert_eq!(call(stand_in.session_token("user_1").sign()).await.status(), 200);
/// assert_eq!(call("ak_unknown".to_owned()).await.status(), 401);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[doc(alias = "getAuth")]
pub fn get_auth_with(
    req: &HttpRequest,
    accepts: impl Into<AcceptsToken>,
) -> Result<Auth, AuthError> {
    req.get_auth_with(accepts.into())
}

fn extract(req: &HttpRequest, accepts: AcceptsToken) -> Result<MachineToken, AuthError> {
    let extensions = req.extensions();
    let attached = attachment(&extensions, "a machine-token extractor")?;
    let auth = attached.auth_with(accepts)?;
    match auth.machine() {
        Some(token) => Ok(token.clone()),
        None => Err(UnauthorizedError::for_auth(&auth, attached.shape(req.head())).into()),
    }
}

macro_rules! machine_extractor {
    (
        $(#[$meta:meta])*
        $name:ident, $accepts:expr
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug)]
        pub struct $name(MachineToken);

        impl $name {
            /// The verified token.
            #[must_use]
            pub fn token(&self) -> &MachineToken {
                &self.0
            }

            /// The token's id.
            #[must_use]
            pub fn id(&self) -> &str {
                self.0.id()
            }

            /// Who the token stands for (`user_…`, `org_…`, `mch_…`).
            #[must_use]
            pub fn subject(&self) -> &str {
                self.0.subject()
            }

            /// The scopes it grants.
            #[must_use]
            pub fn scopes(&self) -> &[String] {
                self.0.scopes()
            }

            /// Whether it grants `scope`.
            #[must_use]
            pub fn has_scope(&self, scope: &str) -> bool {
                self.0.has_scope(scope)
            }

            /// As an [`Auth`] object (e.g. to answer with its JSON).
            #[must_use]
            pub fn into_auth(self) -> Auth {
                Auth::from_machine_token(self.0)
            }
        }

        impl Deref for $name {
            type Target = MachineToken;

            fn deref(&self) -> &MachineToken {
                &self.0
            }
        }

        /// The JSON of Clerk's machine auth object.
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                Auth::from_machine_token(self.0.clone()).serialize(serializer)
            }
        }

        impl FromRequest for $name {
            type Error = AuthError;
            type Future = Ready<Result<Self, Self::Error>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                ready(extract(req, $accepts).map($name))
            }
        }
    };
}

machine_extractor! {
    /// A request authenticated with an API key (`ak_…`).
    ///
    /// # Extractor behaviour
    ///
    /// Any other request (signed out, a session, another machine token)
    /// is refused with [`UnauthorizedError`] (401); take
    /// `Option<ApiKeyAuth>` to serve both. Without
    /// [`ClerkMiddleware`](crate::ClerkMiddleware), 500.
    ///
    /// # Examples
    ///
    /// ```
    /// # actix_web::rt::System::new().block_on(async {
    /// use actix_web::{test, web, App, HttpResponse, Responder};
    /// use clerk_actix::machine::ApiKeyAuth;
    /// use clerk_actix::testing::StandIn;
    /// use clerk_actix::ClerkMiddleware;
    ///
    /// async fn reports(key: ApiKeyAuth) -> impl Responder {
    ///     if !key.has_scope("read:reports") {
    ///         return HttpResponse::Forbidden().finish();
    ///     }
    ///     HttpResponse::Ok().body(format!("reports of {}", key.subject()))
    /// }
    ///
    /// let stand_in = StandIn::start()?;
    /// let app = test::init_service(
    ///     App::new().route("/reports", web::get().to(reports)).wrap(ClerkMiddleware::new(stand_in.clerk()?)),
    /// )
    /// .await;
    /// let call = |token: String| {
    ///     let req = test::TestRequest::get().uri("/reports").insert_header(("authorization", format!("Bearer {token}")));
    ///     test::call_service(&app, req.to_request())
    /// };
    /// assert_eq!(call(stand_in.api_key("org_1", ["read:reports"])).await.status(), 200);
    /// assert_eq!(call(stand_in.api_key("org_1", ["write:reports"])).await.status(), 403);
    /// assert_eq!(call(stand_in.session_token("user_1").sign()).await.status(), 401);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    ApiKeyAuth, AcceptsToken::One(TokenType::ApiKey)
}

impl ApiKeyAuth {
    /// The key's name.
    #[must_use]
    pub fn name(&self) -> &str {
        self.0.name().unwrap_or_default()
    }

    /// Its custom claims, as stored (`None` when it has none).
    #[must_use]
    pub fn claims(&self) -> Option<&Value> {
        self.0.claims()
    }
}

machine_extractor! {
    /// A request authenticated with an M2M token (`mt_…` or an M2M JWT).
    ///
    /// # Extractor behaviour
    ///
    /// Any other request is refused with [`UnauthorizedError`] (401); take
    /// `Option<M2mAuth>` to serve both.
    ///
    /// # Examples
    ///
    /// ```
    /// # actix_web::rt::System::new().block_on(async {
    /// use actix_web::{test, web, App};
    /// use clerk_actix::machine::M2mAuth;
    /// use clerk_actix::testing::StandIn;
    /// use clerk_actix::ClerkMiddleware;
    ///
    /// async fn job(caller: M2mAuth) -> String {
    ///     format!("called by machine {}", caller.machine_id())
    /// }
    ///
    /// let stand_in = StandIn::start()?;
    /// let app = test::init_service(
    ///     App::new().route("/job", web::post().to(job)).wrap(ClerkMiddleware::new(stand_in.clerk()?)),
    /// )
    /// .await;
    /// let call = |token: String| {
    ///     let req = test::TestRequest::post().uri("/job").insert_header(("authorization", format!("Bearer {token}")));
    ///     test::call_service(&app, req.to_request())
    /// };
    /// let res = call(stand_in.m2m_token("mch_worker", ["mch_api"])).await;
    /// assert_eq!(res.status(), 200);
    /// assert_eq!(test::read_body(res).await, "called by machine mch_worker");
    /// assert_eq!(call(stand_in.api_key("mch_worker", ["mch_api"])).await.status(), 401);
    /// assert_eq!(call(stand_in.session_token("user_1").sign()).await.status(), 401);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    M2mAuth, AcceptsToken::One(TokenType::M2mToken)
}

impl M2mAuth {
    /// The calling machine (`mch_…`), the token's subject.
    #[must_use]
    pub fn machine_id(&self) -> &str {
        self.0.subject()
    }

    /// Its custom claims (`None` when it has none).
    #[must_use]
    pub fn claims(&self) -> Option<&Value> {
        self.0.claims()
    }
}

machine_extractor! {
    /// A request authenticated with an OAuth access token Clerk issued
    /// (`oat_…` or a JWT with `typ: at+jwt`).
    ///
    /// # Extractor behaviour
    ///
    /// Any other request is refused with [`UnauthorizedError`] (401); take
    /// `Option<OAuthAuth>` to serve both.
    ///
    /// # Examples
    ///
    /// ```
    /// # actix_web::rt::System::new().block_on(async {
    /// use actix_web::{test, web, App};
    /// use clerk_actix::machine::OAuthAuth;
    /// use clerk_actix::testing::StandIn;
    /// use clerk_actix::ClerkMiddleware;
    ///
    /// async fn profile(token: OAuthAuth) -> String {
    ///     format!("{} via {}", token.user_id(), token.client_id())
    /// }
    ///
    /// let stand_in = StandIn::start()?;
    /// let app = test::init_service(
    ///     App::new().route("/profile", web::get().to(profile)).wrap(ClerkMiddleware::new(stand_in.clerk()?)),
    /// )
    /// .await;
    /// let call = |token: String| {
    ///     let req = test::TestRequest::get().uri("/profile").insert_header(("authorization", format!("Bearer {token}")));
    ///     test::call_service(&app, req.to_request())
    /// };
    /// assert_eq!(call(stand_in.oauth_token("user_1", ["profile"])).await.status(), 200);
    /// assert_eq!(call(stand_in.session_token("user_1").sign()).await.status(), 401);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    OAuthAuth, AcceptsToken::One(TokenType::OAuthToken)
}

impl OAuthAuth {
    /// The user who granted the token, its subject.
    #[must_use]
    pub fn user_id(&self) -> &str {
        self.0.subject()
    }

    /// The OAuth application's client id.
    #[must_use]
    pub fn client_id(&self) -> &str {
        self.0.client_id().unwrap_or_default()
    }
}

machine_extractor! {
    /// A request authenticated with any machine token: an API key, an M2M
    /// token or an OAuth access token. [`token_type`](MachineToken::token_type)
    /// tells which.
    ///
    /// # Extractor behaviour
    ///
    /// Signed-out and session requests are refused with
    /// [`UnauthorizedError`] (401).
    ///
    /// # Examples
    ///
    /// ```
    /// # actix_web::rt::System::new().block_on(async {
    /// use actix_web::{test, web, App};
    /// use clerk_actix::machine::MachineAuth;
    /// use clerk_actix::testing::StandIn;
    /// use clerk_actix::ClerkMiddleware;
    ///
    /// async fn caller(machine: MachineAuth) -> String {
    ///     format!("{} {}", machine.token_type(), machine.subject())
    /// }
    ///
    /// let stand_in = StandIn::start()?;
    /// let app = test::init_service(
    ///     App::new().route("/caller", web::get().to(caller)).wrap(ClerkMiddleware::new(stand_in.clerk()?)),
    /// )
    /// .await;
    /// let call = |token: String| {
    ///     let req = test::TestRequest::get().uri("/caller").insert_header(("authorization", format!("Bearer {token}")));
    ///     test::call_service(&app, req.to_request())
    /// };
    /// assert_eq!(call(stand_in.api_key("user_1", ["read"])).await.status(), 200);
    /// assert_eq!(call(stand_in.m2m_token("mch_worker", ["mch_api"])).await.status(), 200);
    /// assert_eq!(call(stand_in.oauth_token("user_1", ["read"])).await.status(), 200);
    /// assert_eq!(call(stand_in.session_token("user_1").sign()).await.status(), 401);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    MachineAuth, AcceptsToken::MACHINE
}
