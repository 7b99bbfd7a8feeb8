//! Organization sync's settings: the patterns, compiled when the handle is
//! built, and the target a path names. The request path
//! ([`crate::authenticate`]) reads them; [`crate::multi_domain`] re-exports
//! the public part.

use std::sync::Arc;

use super::pattern::{Pattern, PatternError};

/// Organization sync (Clerk's `organizationSyncOptions`): paths that name
/// the organization to activate, and paths of the personal account.
///
/// Patterns use Clerk's syntax (path-to-regexp 6): `:id` or `:slug` names
/// the organization (by id or by slug), `(.*)` matches the rest of a path;
/// case is ignored, a trailing `/` is allowed, and the value is taken from
/// the path as it is (not percent-decoded). The first organization pattern
/// that matches wins; personal-account patterns are tried after them.
///
/// A signed-in browser navigation to such a path whose session has another
/// organization active (or one at all, on a personal-account path) goes
/// through a handshake (`active-organization-mismatch`) that switches it;
/// every handshake on such a path carries the organization. API requests,
/// and a browser past the redirect-loop guard, stay signed in with the
/// token's organization.
///
/// # Examples
///
/// ```
/// use clerk_actix::multi_domain::OrganizationSync;
/// use clerk_actix::Clerk;
///
/// let sync = OrganizationSync::new()
///     .organization_patterns(["/orgs/:slug", "/orgs/:slug/(.*)"])
///     .personal_account_patterns(["/me", "/me/(.*)"]);
/// let clerk = Clerk::builder()
///     .secret_key("sk_test_x")
///     .organization_sync(sync)
///     .build()?;
/// # let _ = clerk;
///
/// // A pattern Clerk refuses is refused when the handle is built.
/// let bad = OrganizationSync::new().organization_patterns(["/orgs/:"]);
/// let err = Clerk::builder().secret_key("sk_test_x").organization_sync(bad).build().unwrap_err();
/// assert!(err.to_string().contains("organization_patterns"));
/// # Ok::<(), clerk_actix::config::ConfigError>(())
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
#[doc(alias = "organizationSyncOptions")]
pub struct OrganizationSync {
    organization: Vec<String>,
    personal: Vec<String>,
}

impl OrganizationSync {
    /// No patterns yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Paths that name an organization with `:id` or `:slug`.
    ///
    /// Defaults to none.
    #[doc(alias = "organizationPatterns")]
    pub fn organization_patterns<I, S>(mut self, patterns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.organization = patterns.into_iter().map(Into::into).collect();
        self
    }

    /// Paths of the personal account (no organization active).
    ///
    /// Defaults to none.
    #[doc(alias = "personalAccountPatterns")]
    pub fn personal_account_patterns<I, S>(mut self, patterns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.personal = patterns.into_iter().map(Into::into).collect();
        self
    }

    /// Compiles the patterns; `Err` names the list and says why.
    pub(crate) fn compile(&self) -> Result<OrgMatcher, (&'static str, String)> {
        let compile = |list: &[String], which: &'static str| {
            list.iter()
                .map(|p| {
                    Pattern::parse(p).map_err(|PatternError(why)| {
                        (which, format!("invalid pattern \"{p}\": {why}"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(OrgMatcher {
            organization: compile(&self.organization, "organization_patterns")?,
            personal: compile(&self.personal, "personal_account_patterns")?,
        })
    }
}

/// The compiled patterns of an [`OrganizationSync`].
#[derive(Debug, Clone)]
pub(crate) struct OrgMatcher {
    organization: Vec<Pattern>,
    personal: Vec<Pattern>,
}

/// What a path asks to activate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OrgTarget<'p> {
    Id(&'p str),
    Slug(&'p str),
    PersonalAccount,
}

impl OrgMatcher {
    /// The target of `path` (Clerk's `findTarget`): the first organization
    /// pattern that matches (`:id` before `:slug`), else a personal-account
    /// pattern.
    pub(crate) fn target<'p>(&self, path: &'p str) -> Option<OrgTarget<'p>> {
        let path = memchr::memchr2(b'?', b'#', path.as_bytes()).map_or(path, |end| &path[..end]);
        for pattern in &self.organization {
            // The first non-empty `id` and `slug` in the path; captures come
            // last first, so each one found replaces the one before.
            let (mut id, mut slug) = (None, None);
            let matched = pattern.matches_with(path, |name, value| match name {
                "id" if !value.is_empty() => id = Some(value),
                "slug" if !value.is_empty() => slug = Some(value),
                _ => {}
            });
            if matched {
                if let Some(id) = id {
                    return Some(OrgTarget::Id(id));
                }
                if let Some(slug) = slug {
                    return Some(OrgTarget::Slug(slug));
                }
                break;
            }
        }
        self.personal
            .iter()
            .any(|p| p.matches_with(path, |_, _| {}))
            .then_some(OrgTarget::PersonalAccount)
    }

    /// The value of the handshake's `organization_id` parameter: the id or
    /// the slug, empty for the personal account.
    pub(crate) fn handshake_param<'p>(target: &OrgTarget<'p>) -> &'p str {
        match target {
            OrgTarget::Id(v) | OrgTarget::Slug(v) => v,
            OrgTarget::PersonalAccount => "",
        }
    }
}

/// Shared between the handle's settings.
pub(crate) type SharedOrgMatcher = Arc<OrgMatcher>;

/// Clerk's truthy parse of a variable such as `CLERK_IS_SATELLITE`: `true` /
/// `false` in any case, else the leading integer (after white space and an
/// optional sign) is greater than 0; anything else is false.
///
/// ```
/// use clerk_actix::multi_domain::is_truthy;
/// assert!(is_truthy("TRUE") && is_truthy("1") && is_truthy(" 2x"));
/// assert!(!is_truthy("yes") && !is_truthy("0") && !is_truthy("-1") && !is_truthy(""));
/// ```
pub fn is_truthy(value: &str) -> bool {
    if value.eq_ignore_ascii_case("true") {
        return true;
    }
    if value.eq_ignore_ascii_case("false") {
        return false;
    }
    let rest = value.trim_start();
    let (negative, rest) = match rest.as_bytes().first() {
        Some(b'-') => (true, &rest[1..]),
        Some(b'+') => (false, &rest[1..]),
        _ => (false, rest),
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || negative {
        return false;
    }
    rest.as_bytes()[..digits].iter().any(|&d| d != b'0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_follow_clerks_order() {
        let m = OrganizationSync::new()
            .organization_patterns(["/orgs/:slug", "/orgs/:slug/(.*)", "/ids/:id"])
            .personal_account_patterns(["/me", "/me/(.*)"])
            .compile()
            .unwrap();
        assert_eq!(m.target("/orgs/acme"), Some(OrgTarget::Slug("acme")));
        assert_eq!(
            m.target("/orgs/acme/settings?x=1"),
            Some(OrgTarget::Slug("acme"))
        );
        assert_eq!(m.target("/ids/org_1"), Some(OrgTarget::Id("org_1")));
        assert_eq!(m.target("/me/profile"), Some(OrgTarget::PersonalAccount));
        assert_eq!(m.target("/"), None);
        assert_eq!(m.target("/orgs"), None);
    }

    #[test]
    fn truthy_like_clerk() {
        for yes in ["true", "True", "1", "10", "+1", " 3", "1abc", "007"] {
            assert!(is_truthy(yes), "{yes}");
        }
        for no in [
            "false", "FALSE", "0", "", "yes", "on", "-2", "0x1", "abc", "00",
        ] {
            assert!(!is_truthy(no), "{no}");
        }
    }
}
