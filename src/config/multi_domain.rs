//! The multi-domain settings of a [`ClerkBuilder`]: read from Clerk's
//! variables, set with its builder methods, and checked when the handle is
//! built (a misconfigured satellite fails at start, not on a request).

use std::borrow::Cow;
use std::sync::Arc;

use super::org_sync::{is_truthy, OrganizationSync, SharedOrgMatcher};
use super::url::ParsedUrl;
use super::{
    env_var, BrowserSettings, ClerkBuilder, ConfigError, DomainRole, InstanceType, Origin,
    PublishableKey,
};

/// What [`ClerkBuilder`] holds for multi-domain apps.
#[derive(Debug, Clone, Default)]
pub(crate) struct MultiDomain {
    is_satellite: Option<(bool, Origin)>,
    domain: Option<(String, Origin)>,
    sign_up_url: Option<(String, Origin)>,
    auto_sync: bool,
    organization_sync: Option<OrganizationSync>,
}

/// The checked settings.
pub(crate) struct CheckedMultiDomain {
    pub(crate) role: DomainRole,
    pub(crate) sign_up_url: Option<String>,
    pub(crate) organization_sync: Option<SharedOrgMatcher>,
}

impl MultiDomain {
    pub(crate) fn from_env() -> Self {
        Self {
            is_satellite: env_var("CLERK_IS_SATELLITE")
                .map(|(value, origin)| (is_truthy(value.trim()), origin)),
            domain: env_var("CLERK_DOMAIN"),
            sign_up_url: env_var("CLERK_SIGN_UP_URL"),
            ..Self::default()
        }
    }

    /// Checks the settings against the rest of the configuration, as Clerk's
    /// `authenticateRequest` does on every request (§2.3), but once.
    pub(crate) fn check(
        self,
        sign_in_url: Option<(&str, Origin)>,
        has_proxy_url: bool,
        publishable_key: Option<&PublishableKey>,
    ) -> Result<CheckedMultiDomain, ConfigError> {
        let invalid = |origin: Origin, reason: Cow<'static, str>| ConfigError::InvalidSetting {
            origin: origin.to_string(),
            reason,
        };
        let domain = self
            .domain
            .map(|(domain, origin)| check_domain(domain.trim(), origin))
            .transpose()?;
        let organization_sync = self
            .organization_sync
            .map(|sync| {
                sync.compile()
                    .map_err(|(which, why)| invalid(Origin::Builder(which), Cow::Owned(why)))
            })
            .transpose()?
            .map(Arc::new);
        let sign_up_url = self.sign_up_url.map(|(url, _)| url.trim().to_owned());
        let role = match self.is_satellite {
            Some((true, origin)) => {
                // Name the variables in the form the satellite flag came in.
                let name = |env: &'static str, setter: &'static str| match origin {
                    Origin::Env(_) => Origin::Env(env),
                    Origin::Builder(_) => Origin::Builder(setter),
                };
                if domain.is_none() && !has_proxy_url {
                    return Err(invalid(
                        origin,
                        "a satellite application needs a domain or a proxy URL: set \
                         CLERK_DOMAIN (the satellite's host, e.g. satellite.example.com) or \
                         CLERK_PROXY_URL, or call ClerkBuilder::domain / ClerkBuilder::proxy_url"
                            .into(),
                    ));
                }
                let Some(key) = publishable_key else {
                    return Err(invalid(
                        name("CLERK_PUBLISHABLE_KEY", "publishable_key"),
                        "a satellite application needs the publishable key (its Frontend API \
                         and cookie suffix)"
                            .into(),
                    ));
                };
                match sign_in_url {
                    None => {
                        return Err(invalid(
                            name("CLERK_SIGN_IN_URL", "sign_in_url"),
                            "a satellite application needs the primary's sign-in URL, e.g. \
                             https://primary.example.com/sign-in"
                                .into(),
                        ))
                    }
                    Some((url, origin)) if ParsedUrl::parse(url).is_none() => {
                        return Err(invalid(
                            origin,
                            "a satellite's sign-in URL must be absolute (the primary's \
                             sign-in page, e.g. https://primary.example.com/sign-in)"
                                .into(),
                        ))
                    }
                    Some(_) => {}
                }
                let frontend_api = match (&domain, key.instance_type()) {
                    (Some(domain), InstanceType::Production) => Some(format!("clerk.{domain}")),
                    _ => None,
                };
                DomainRole::Satellite {
                    frontend_api,
                    auto_sync: self.auto_sync,
                }
            }
            _ => DomainRole::Primary,
        };
        Ok(CheckedMultiDomain {
            role,
            sign_up_url,
            organization_sync,
        })
    }
}

/// A host (and port), as Clerk takes `domain`: no scheme, no path. A scheme
/// would make Clerk's handshakes go to `https://clerk.https://…`, which fails
/// only in production.
fn check_domain(domain: &str, origin: Origin) -> Result<String, ConfigError> {
    let invalid = |reason: &'static str| ConfigError::InvalidSetting {
        origin: origin.to_string(),
        reason: reason.into(),
    };
    if domain.contains("://") {
        return Err(invalid(
            "give the domain without a scheme, e.g. satellite.example.com, not \
             https://satellite.example.com",
        ));
    }
    let host = domain.trim_end_matches('/');
    let valid = !host.is_empty()
        && host.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']' | b'_')
        });
    if !valid {
        return Err(invalid(
            "expected a host such as satellite.example.com (no path, no spaces)",
        ));
    }
    Ok(host.to_owned())
}

impl ClerkBuilder {
    /// Whether this app is a satellite domain (Clerk's `isSatellite`): it
    /// shares sign-in with a primary domain. A satellite needs a
    /// [`domain`](Self::domain) or a [`proxy_url`](Self::proxy_url), the
    /// primary's [`sign_in_url`](Self::sign_in_url) (absolute) and a
    /// publishable key; [`build`](Self::build) says which is missing.
    ///
    /// Defaults to `CLERK_IS_SATELLITE` (`true`/`false` in any case, or an
    /// integer above 0), else `false`.
    ///
    /// ```
    /// use clerk_actix::Clerk;
    ///
    /// let satellite = Clerk::builder()
    ///     .secret_key("sk_live_x")
    ///     .publishable_key("pk_live_Y2xlcmsuZXhhbXBsZS5jb20k")
    ///     .is_satellite(true)
    ///     .domain("satellite.example.org")
    ///     .sign_in_url("https://example.com/sign-in")
    ///     .build()?;
    /// assert!(satellite.is_satellite());
    ///
    /// let err = Clerk::builder().secret_key("sk_live_x").is_satellite(true).build().unwrap_err();
    /// assert!(err.to_string().contains("needs a domain or a proxy URL"));
    /// # Ok::<(), clerk_actix::config::ConfigError>(())
    /// ```
    #[doc(alias = "isSatellite")]
    pub fn is_satellite(mut self, satellite: bool) -> Self {
        self.multi.is_satellite = Some((satellite, Origin::Builder("is_satellite")));
        self
    }

    /// The satellite's domain (Clerk's `domain`): its host, without a scheme
    /// (`satellite.example.org`). On a production instance, handshakes go to
    /// `clerk.<domain>`.
    ///
    /// Defaults to `CLERK_DOMAIN`, else none.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.multi.domain = Some((domain.into(), Origin::Builder("domain")));
        self
    }

    /// The sign-up page (Clerk's `signUpUrl`), for the app to read back with
    /// [`Clerk::sign_up_url`](crate::Clerk::sign_up_url).
    ///
    /// Defaults to `CLERK_SIGN_UP_URL`, else none.
    pub fn sign_up_url(mut self, url: impl Into<String>) -> Self {
        self.multi.sign_up_url = Some((url.into(), Origin::Builder("sign_up_url")));
        self
    }

    /// Whether a satellite syncs with the primary on a browser's first visit
    /// (Clerk's `satelliteAutoSync`). Off, a first visit without Clerk
    /// cookies is simply signed out, and the sync happens when the primary's
    /// sign-in sends the browser back with `__clerk_synced=false`.
    ///
    /// Defaults to `false`, as in Clerk.
    #[doc(alias = "satelliteAutoSync")]
    pub fn satellite_auto_sync(mut self, auto_sync: bool) -> Self {
        self.multi.auto_sync = auto_sync;
        self
    }

    /// Organization sync (Clerk's `organizationSyncOptions`): see
    /// [`OrganizationSync`].
    ///
    /// Defaults to none.
    #[doc(alias = "organizationSyncOptions")]
    pub fn organization_sync(mut self, sync: OrganizationSync) -> Self {
        self.multi.organization_sync = Some(sync);
        self
    }
}

impl BrowserSettings {
    /// The Frontend API this app's sessions come from: `clerk.<domain>` on
    /// a production satellite with a domain, else the publishable key's.
    pub(crate) fn issuer_frontend_api<'a>(&'a self, key: &'a PublishableKey) -> &'a str {
        match &self.domain {
            DomainRole::Satellite {
                frontend_api: Some(api),
                ..
            } => api,
            _ => key.frontend_api(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clerk::Clerk;

    const PK_LIVE: &str = "pk_live_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA";
    const PK_TEST: &str = "pk_test_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA";

    fn satellite(pk: &str) -> ClerkBuilder {
        Clerk::builder()
            .secret_key("sk_live_x")
            .publishable_key(pk)
            .is_satellite(true)
    }

    fn err(builder: ClerkBuilder) -> String {
        builder.build().unwrap_err().to_string()
    }

    #[test]
    fn a_satellite_needs_a_domain_or_proxy_and_a_sign_in_url() {
        let e = err(satellite(PK_LIVE).sign_in_url("https://p.example/sign-in"));
        assert!(
            e.contains("ClerkBuilder::is_satellite") && e.contains("domain"),
            "{e}"
        );
        let e = err(satellite(PK_LIVE).domain("s.example"));
        assert!(e.contains("ClerkBuilder::sign_in_url"), "{e}");
        let e = err(satellite(PK_TEST)
            .domain("s.example")
            .sign_in_url("/sign-in"));
        assert!(
            e.contains("ClerkBuilder::sign_in_url") && e.contains("absolute"),
            "{e}"
        );
        let e = err(satellite(PK_LIVE)
            .domain("https://s.example")
            .sign_in_url("https://p.example/sign-in"));
        assert!(
            e.contains("ClerkBuilder::domain") && e.contains("without a scheme"),
            "{e}"
        );
        let e = err(Clerk::builder()
            .secret_key("sk_live_x")
            .is_satellite(true)
            .domain("s.example")
            .sign_in_url("https://p.example/sign-in"));
        assert!(e.contains("ClerkBuilder::publishable_key"), "{e}");
        // With a proxy URL instead of a domain.
        let clerk = satellite(PK_TEST)
            .proxy_url("/__clerk")
            .sign_in_url("https://p.example/sign-in")
            .build()
            .unwrap();
        assert!(clerk.is_satellite());
    }

    #[test]
    fn a_production_satellite_goes_to_clerk_dot_domain() {
        let clerk = satellite(PK_LIVE)
            .domain("s.example")
            .sign_in_url("https://p.example/sign-in")
            .build()
            .unwrap();
        assert_eq!(
            clerk.config().browser.domain,
            DomainRole::Satellite {
                frontend_api: Some("clerk.s.example".into()),
                auto_sync: false
            }
        );
        let dev = satellite(PK_TEST)
            .domain("s.example")
            .sign_in_url("https://p.example/sign-in")
            .satellite_auto_sync(true)
            .build()
            .unwrap();
        assert_eq!(
            dev.config().browser.domain,
            DomainRole::Satellite {
                frontend_api: None,
                auto_sync: true
            }
        );
        // Not a satellite: the domain changes nothing.
        let primary = Clerk::builder()
            .secret_key("sk_live_x")
            .publishable_key(PK_LIVE)
            .domain("s.example")
            .is_satellite(false)
            .build()
            .unwrap();
        assert!(!primary.is_satellite());
    }
}
