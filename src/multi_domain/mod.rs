//! Multi-domain apps: satellite domains, organization sync, the Frontend API
//! proxy, and an instance per request.
//!
//! * **Satellite domains**: an app on a second domain that shares sign-in
//!   with its primary. Set `CLERK_IS_SATELLITE=true`, `CLERK_DOMAIN` (the
//!   satellite's host, no scheme) or `CLERK_PROXY_URL`, and
//!   `CLERK_SIGN_IN_URL` (the primary's sign-in page), or the same with
//!   [`ClerkBuilder::is_satellite`](crate::ClerkBuilder::is_satellite),
//!   [`domain`](crate::ClerkBuilder::domain) and
//!   [`sign_in_url`](crate::ClerkBuilder::sign_in_url). A browser's first
//!   visit syncs with the primary only with
//!   [`satellite_auto_sync`](crate::ClerkBuilder::satellite_auto_sync) (or
//!   after the sign-in page asks for it with `__clerk_synced=false`), as in
//!   Clerk.
//! * **Organization sync** ([`OrganizationSync`]): URLs that name an
//!   organization (`/orgs/:slug/…`) activate it through the handshake.
//! * **The Frontend API proxy** ([`FrontendApiProxy`]): Clerk's Frontend API
//!   served from the app's own domain (`/__clerk/…`).
//! * **An instance per request**: [`ClerkMiddlewareBuilder::instance_fn`](crate::middleware::ClerkMiddlewareBuilder::instance_fn)
//!   picks the [`Clerk`](crate::Clerk) handle per request (by host, path,
//!   header); each handle keeps its own keys and key cache.
//!
//! Misconfiguration (a satellite without a domain or proxy URL, a satellite
//! without an absolute sign-in URL, a domain with a scheme, a pattern Clerk
//! would refuse) is a [`ConfigError`](crate::config::ConfigError) when the
//! handle is built, naming the variable.

pub(crate) mod proxy;

pub use self::proxy::{FrontendApiProxy, DEFAULT_PROXY_PATH};
pub use crate::config::org_sync::{is_truthy, OrganizationSync};
