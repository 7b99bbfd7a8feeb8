//! `has()`: role, permission, feature, plan and reverification checks.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::claims::{with_org_prefix, ScopedList};

/// An authorization check for [`Auth::has`](crate::Auth::has), the port of
/// Clerk's `has({ role, permission, feature, plan, reverification })`.
///
/// Every part that is set must pass; a check with nothing set never passes.
///
/// * **role**: the active organization role, `admin` and `org:admin` alike.
/// * **permission**: an organization permission, e.g. `org:invoices:read`
///   (`invoices:read` is read as `org:invoices:read`).
/// * **feature** / **plan**: a billing feature or plan, optionally scoped:
///   `org:` (or `o:`, `organization:`) for the organization's, `user:` (or
///   `u:`) for the user's, unscoped for either.
/// * **reverification**: the user verified a factor recently enough.
///
/// # Examples
///
/// ```
/// use clerk_actix::Has;
/// use clerk_actix::session::Reverification;
///
/// let check = Has::permission("org:invoices:read").and_reverification(Reverification::Strict);
/// # let _ = check;
/// let admin = Has::role("admin");
/// # let _ = admin;
/// ```
///
/// Checks can also be read from configuration, in Clerk's JSON shape:
///
/// ```
/// use clerk_actix::Has;
///
/// let check: Has = serde_json::from_str(r#"{"plan": "org:business", "reverification": {"level": "second_factor", "afterMinutes": 30}}"#)?;
/// # let _ = check;
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[must_use]
pub struct Has {
    role: Option<Param>,
    permission: Option<Param>,
    feature: Option<Param>,
    plan: Option<Param>,
    reverification: Option<Option<Reverification>>,
}

/// One asked value; `Invalid` when configuration gave a non-string, which
/// fails the check (as Clerk's `has` does) instead of erroring.
#[derive(Clone, Debug, PartialEq)]
enum Param {
    Value(Cow<'static, str>),
    Invalid,
}

impl Param {
    fn as_str(&self) -> Option<&str> {
        match self {
            Param::Value(v) => Some(v),
            Param::Invalid => None,
        }
    }
}

impl Has {
    /// Passes when the user's active organization role is `role`.
    pub fn role(role: impl Into<Cow<'static, str>>) -> Self {
        Self::default().and_role(role)
    }

    /// Passes when the user has `permission` in the active organization.
    pub fn permission(permission: impl Into<Cow<'static, str>>) -> Self {
        Self::default().and_permission(permission)
    }

    /// Passes when the user or organization has the billing `feature`.
    pub fn feature(feature: impl Into<Cow<'static, str>>) -> Self {
        Self::default().and_feature(feature)
    }

    /// Passes when the user or organization is on `plan`.
    pub fn plan(plan: impl Into<Cow<'static, str>>) -> Self {
        Self::default().and_plan(plan)
    }

    /// Passes when the user verified recently enough.
    pub fn reverification(level: Reverification) -> Self {
        Self::default().and_reverification(level)
    }

    /// Also require the organization role `role`.
    pub fn and_role(mut self, role: impl Into<Cow<'static, str>>) -> Self {
        self.role = Some(Param::Value(role.into()));
        self
    }

    /// Also require the organization permission `permission`.
    pub fn and_permission(mut self, permission: impl Into<Cow<'static, str>>) -> Self {
        self.permission = Some(Param::Value(permission.into()));
        self
    }

    /// Also require the billing feature `feature`.
    pub fn and_feature(mut self, feature: impl Into<Cow<'static, str>>) -> Self {
        self.feature = Some(Param::Value(feature.into()));
        self
    }

    /// Also require the plan `plan`.
    pub fn and_plan(mut self, plan: impl Into<Cow<'static, str>>) -> Self {
        self.plan = Some(Param::Value(plan.into()));
        self
    }

    /// Also require a recent verification.
    pub fn and_reverification(mut self, level: Reverification) -> Self {
        self.reverification = Some(Some(level));
        self
    }
}

impl<'de> Deserialize<'de> for Has {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = serde_json::Map::<String, Value>::deserialize(deserializer)?;
        let param = |name: &str| {
            map.get(name).filter(|v| !v.is_null()).map(|v| match v {
                Value::String(s) => Param::Value(Cow::Owned(s.clone())),
                _ => Param::Invalid,
            })
        };
        Ok(Has {
            role: param("role"),
            permission: param("permission"),
            feature: param("feature"),
            plan: param("plan"),
            reverification: map
                .get("reverification")
                .filter(|v| !v.is_null())
                .map(Reverification::from_json),
        })
    }
}

/// How recently the user must have verified, for sensitive actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reverification {
    /// Within 10 minutes, with the second factor if the user has one.
    Strict,
    /// Within 10 minutes, with both factors if the user has two.
    StrictMfa,
    /// Within 1 hour, with the second factor if the user has one.
    Moderate,
    /// Within 1 day, with the second factor if the user has one.
    Lax,
    /// Within `after_minutes` (more than 0), at `level`.
    Custom {
        /// Which factors must be fresh.
        level: FactorLevel,
        /// How many minutes ago is still recent enough.
        after_minutes: u32,
    },
}

/// Which factors a [`Reverification`] asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FactorLevel {
    /// The first factor (password, email code, …).
    FirstFactor,
    /// The second factor, or the first if the user has no second.
    SecondFactor,
    /// Both factors, or the first if the user has no second.
    MultiFactor,
}

impl Reverification {
    fn from_json(value: &Value) -> Option<Self> {
        match value {
            Value::String(preset) => match preset.as_str() {
                "strict" => Some(Self::Strict),
                "strict_mfa" => Some(Self::StrictMfa),
                "moderate" => Some(Self::Moderate),
                "lax" => Some(Self::Lax),
                _ => None,
            },
            Value::Object(custom) => {
                let level = match custom.get("level")?.as_str()? {
                    "first_factor" => FactorLevel::FirstFactor,
                    "second_factor" => FactorLevel::SecondFactor,
                    "multi_factor" => FactorLevel::MultiFactor,
                    _ => return None,
                };
                let after_minutes = u32::try_from(custom.get("afterMinutes")?.as_u64()?).ok()?;
                Some(Self::Custom {
                    level,
                    after_minutes,
                })
            }
            _ => None,
        }
    }

    fn requirement(self) -> Option<(FactorLevel, f64)> {
        match self {
            Self::Strict => Some((FactorLevel::SecondFactor, 10.0)),
            Self::StrictMfa => Some((FactorLevel::MultiFactor, 10.0)),
            Self::Moderate => Some((FactorLevel::SecondFactor, 60.0)),
            Self::Lax => Some((FactorLevel::SecondFactor, 1440.0)),
            Self::Custom {
                level,
                after_minutes,
            } if after_minutes > 0 => Some((level, f64::from(after_minutes))),
            Self::Custom { .. } => None,
        }
    }
}

/// What `has()` looks at.
#[derive(Default)]
pub(crate) struct Grants<'a> {
    pub(crate) user_id: Option<&'a str>,
    pub(crate) org_id: Option<&'a str>,
    pub(crate) org_role: Option<&'a str>,
    pub(crate) org_permissions: Option<&'a [String]>,
    pub(crate) features: Option<&'a str>,
    pub(crate) plans: Option<&'a str>,
    pub(crate) factor_verification_age: Option<&'a Value>,
}

impl Grants<'_> {
    /// Every asked part passes, and something was asked.
    pub(crate) fn allow(&self, check: &Has) -> bool {
        if self.user_id.is_none() {
            return false;
        }
        let results = [
            self.org(check),
            self.billing(check),
            check.reverification.map(|r| self.reverified(r)),
        ];
        results.contains(&Some(true)) && !results.contains(&Some(false))
    }

    fn org(&self, check: &Has) -> Option<bool> {
        if check.role.is_none() && check.permission.is_none() {
            return None;
        }
        if self.org_id.is_none() {
            return Some(false);
        }
        let role_ok = check.role.as_ref().is_none_or(|asked| {
            match (asked.as_str(), self.org_role.filter(|r| !r.is_empty())) {
                (Some(asked), Some(own)) => with_org_prefix(asked) == with_org_prefix(own),
                _ => false,
            }
        });
        let permission_ok = check.permission.as_ref().is_none_or(|asked| {
            match (asked.as_str(), self.org_permissions) {
                (Some(asked), Some(own)) => {
                    let wanted = with_org_prefix(asked);
                    own.iter().any(|p| *p == wanted)
                }
                _ => false,
            }
        });
        Some(role_ok && permission_ok)
    }

    fn billing(&self, check: &Has) -> Option<bool> {
        if check.feature.is_none() && check.plan.is_none() {
            return None;
        }
        let feature_ok = check
            .feature
            .as_ref()
            .is_none_or(|asked| scoped_lookup(self.features, asked));
        let plan_ok = check
            .plan
            .as_ref()
            .is_none_or(|asked| scoped_lookup(self.plans, asked));
        Some(feature_ok && plan_ok)
    }

    fn reverified(&self, asked: Option<Reverification>) -> bool {
        let Some((level, after_minutes)) = asked.and_then(Reverification::requirement) else {
            return false;
        };
        let Some([first, second]) = self.factor_ages() else {
            return false;
        };
        let fresh = |age: f64| age != -1.0 && after_minutes > age;
        match level {
            FactorLevel::FirstFactor => fresh(first),
            FactorLevel::SecondFactor if second == -1.0 => fresh(first),
            FactorLevel::SecondFactor => fresh(second),
            FactorLevel::MultiFactor if second == -1.0 => fresh(first),
            FactorLevel::MultiFactor => first != -1.0 && fresh(first) && fresh(second),
        }
    }

    /// `fva` when it is two finite ages, each −1 or at least 0, not both −1.
    fn factor_ages(&self) -> Option<[f64; 2]> {
        let ages = self.factor_verification_age?.as_array()?;
        let [first, second] = ages.as_slice() else {
            return None;
        };
        let valid = |v: &Value| {
            v.as_f64()
                .filter(|a| a.is_finite() && (*a == -1.0 || *a >= 0.0))
        };
        let (first, second) = (valid(first)?, valid(second)?);
        if first == -1.0 && second == -1.0 {
            return None;
        }
        Some([first, second])
    }
}

/// Looks `asked` (`name` or `scope:name`) up in a `scope:name` list claim.
fn scoped_lookup(claim: Option<&str>, asked: &Param) -> bool {
    let (Some(claim), Some(asked)) = (claim.filter(|c| !c.is_empty()), asked.as_str()) else {
        return false;
    };
    let Some(list) = ScopedList::parse(claim) else {
        return false;
    };
    let mut parts = asked.split(':');
    let (scope, name) = match (parts.next(), parts.next()) {
        (Some(scope), Some(name)) => (Some(scope), name),
        (Some(name), None) => (None, name),
        _ => return false,
    };
    match scope {
        Some("o" | "org" | "organization") => list.org().any(|n| n == name),
        Some("u" | "user") => list.user().any(|n| n == name),
        Some(_) => false,
        None => list.org().chain(list.user()).any(|n| n == name),
    }
}
