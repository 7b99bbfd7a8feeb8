//! The road to the Backend API: where it is, the credentials, the transport,
//! the retry loop, the typed error and the wire models that the verification
//! core itself needs (the JWKS, the machine-token verify endpoints).
//!
//! It is the ground floor: it knows nothing of the [`Clerk`](crate::Clerk)
//! handle or of the typed resource client built on it
//! ([`ClerkClient`](crate::client::ClerkClient)), which both send through
//! [`executor::execute`].
//!
//! * [`executor`]: [`executor::BackendApi`], the named [`executor::Policy`]s
//!   and the loop;
//! * [`transport`]: awc, one client per thread, the secret wrapper;
//! * [`retry`]: which failures are retried, and the backoff;
//! * [`hold`]: endpoints held off after a 429 or a burst of 5xx answers
//!   (shared by the fleet with the `redis` feature);
//! * [`budget`]: the calls that requests may trigger, per process;
//! * [`error`]: the typed [`error::Error`], which also says what a failure
//!   is ([`error::Class`]: an outage, a rejected key, or an answer);
//! * [`multipart`]: the `multipart/form-data` bodies of the uploads;
//! * [`path`], [`query`]: percent-encoding of path segments and queries;
//! * [`jwks`], [`machine_verify`]: the wire models of the JWKS and of the
//!   machine-token verify endpoints.

pub(crate) mod budget;
pub(crate) mod error;
pub(crate) mod executor;
pub(crate) mod hold;
pub(crate) mod jwks;
pub(crate) mod machine_verify;
pub(crate) mod multipart;
pub(crate) mod path;
pub(crate) mod query;
pub(crate) mod retry;
pub(crate) mod transport;

use serde::{Deserialize, Deserializer};

/// Reads `null` (or a missing field, with `#[serde(default)]`) as
/// `T::default()`: Clerk sends `null` for empty lists and strings.
pub(crate) fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
