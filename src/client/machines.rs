//! Machines (`/v1/machines`): the identities M2M tokens are issued to, the
//! machines each may call (scopes), and their secret keys.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::models::{null_default, setters, DeletedObject, PaginatedList};
use super::request::Method;
use super::ClerkClient;
use crate::backend::error::Error;

/// A machine (`"object": "machine"`).
///
/// # Examples
///
/// ```
/// use clerk_actix::client::Machine;
///
/// let machine: Machine = serde_json::from_str(
///     r#"{"object": "machine", "id": "mch_1", "name": "worker", "scoped_machines": [{"id": "mch_2", "name": "api"}]}"#,
/// )?;
/// assert_eq!(machine.scoped_machines[0].id, "mch_2");
/// # Ok::<_, serde_json::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Machine {
    /// `machine`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// `mch_…`.
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    /// Its name.
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    /// The instance.
    #[serde(deserialize_with = "null_default")]
    pub instance_id: String,
    /// The machines it may call.
    #[serde(deserialize_with = "null_default")]
    pub scoped_machines: Vec<ScopedMachine>,
    /// Default lifetime of its M2M tokens, in seconds.
    pub default_token_ttl: Option<u64>,
    /// Its secret key; only in the answer of create.
    pub secret_key: Option<String>,
    /// Creation (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub created_at: i64,
    /// Last update (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub updated_at: i64,
}

impl std::fmt::Debug for Machine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Machine")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("scoped_machines", &self.scoped_machines)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "ak_****"))
            .finish_non_exhaustive()
    }
}

/// A machine another one may call (in [`Machine::scoped_machines`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ScopedMachine {
    /// `machine`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// `mch_…`.
    #[serde(deserialize_with = "null_default")]
    pub id: String,
    /// Its name.
    #[serde(deserialize_with = "null_default")]
    pub name: String,
    /// The instance.
    #[serde(deserialize_with = "null_default")]
    pub instance_id: String,
    /// Default lifetime of its M2M tokens, in seconds.
    pub default_token_ttl: Option<u64>,
    /// Creation (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub created_at: i64,
    /// Last update (ms since the epoch).
    #[serde(deserialize_with = "null_default")]
    pub updated_at: i64,
}

/// `{"object": "machine_secret_key", "secret": "ak_…"}`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MachineSecretKey {
    /// `machine_secret_key`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// The secret key, for `CLERK_MACHINE_SECRET_KEY`.
    #[serde(deserialize_with = "null_default")]
    pub secret: String,
}

impl std::fmt::Debug for MachineSecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MachineSecretKey { secret: \"ak_****\" }")
    }
}

/// Permission for one machine to call another (`"object": "machine_scope"`);
/// `deleted` is set in the answer of [`MachinesApi::remove_scope`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MachineScope {
    /// `machine_scope`.
    #[serde(deserialize_with = "null_default")]
    pub object: String,
    /// The calling machine.
    #[serde(deserialize_with = "null_default")]
    pub from_machine_id: String,
    /// The machine it may call.
    #[serde(deserialize_with = "null_default")]
    pub to_machine_id: String,
    /// Creation (ms since the epoch).
    pub created_at: Option<i64>,
    /// `true` once removed.
    #[serde(deserialize_with = "null_default")]
    pub deleted: bool,
}

/// The body of [`MachinesApi::create`].
///
/// # Examples
///
/// ```
/// use clerk_actix::client::CreateMachine;
///
/// let params = CreateMachine::new("billing-worker").scoped_machines(["mch_api"]).default_token_ttl(600);
/// # let _ = params;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct CreateMachine {
    name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    scoped_machines: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_token_ttl: Option<u64>,
}

impl CreateMachine {
    /// A machine named `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    setters! {
        /// The machines it may call. Defaults to none.
        scoped_machines: strings;
        /// Default lifetime of its M2M tokens, in seconds. Defaults to 3600.
        default_token_ttl: value(u64);
    }
}

/// The body of [`MachinesApi::update`]; fields left unset are unchanged.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct UpdateMachine {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_token_ttl: Option<u64>,
}

impl UpdateMachine {
    setters! {
        /// A new name.
        name: string;
        /// A new default token lifetime, in seconds.
        default_token_ttl: value(u64);
    }
}

/// The query of [`MachinesApi::list`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "testing", derive(serde::Deserialize), serde(default))]
#[must_use]
pub struct ListMachines {
    query: Option<String>,
    order_by: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

impl ListMachines {
    setters! {
        /// Machines whose name or id contains this text. Defaults to no filter.
        query: string;
        /// `name` or `created_at`, `+`/`-` prefixed. Defaults to `-created_at`.
        order_by: string;
        /// At most this many (1–500). Defaults to 10.
        limit: value(u32);
        /// Skip this many. Defaults to 0.
        offset: value(u32);
    }
}

/// The machines endpoints; from [`ClerkClient::machines`].
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "testing")]
/// # actix_web::rt::System::new().block_on(async {
/// use clerk_actix::client::{CreateMachine, ListMachines};
/// use clerk_actix::testing::StandIn;
///
/// let stand_in = StandIn::start()?;
/// let machines = stand_in.clerk()?.client().machines();
/// let api = machines.create(&CreateMachine::new("api")).await?;
/// let worker = machines.create(&CreateMachine::new("worker")).await?;
/// machines.add_scope(&worker.id, &api.id).await?;
/// assert_eq!(machines.get(&worker.id).await?.scoped_machines[0].id, api.id);
/// let rotated = machines.rotate_secret_key(&worker.id, 0).await?;
/// assert_ne!(Some(rotated.secret), worker.secret_key);
/// assert_eq!(machines.list(&ListMachines::default()).await?.total_count, 2);
/// # Ok::<_, Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct MachinesApi {
    pub(crate) client: ClerkClient,
}

impl MachinesApi {
    /// `POST /machines`: the answer carries the secret key. Never retried.
    ///
    /// # Errors
    ///
    /// [`Error`].
    pub async fn create(&self, params: &CreateMachine) -> Result<Machine, Error> {
        self.client
            .request(Method::POST, "/machines")
            .json(params)
            .send()
            .await
    }

    /// `GET /machines/{id}`.
    ///
    /// # Errors
    ///
    /// [`Error`]; 404 for an unknown id.
    pub async fn get(&self, machine_id: &str) -> Result<Machine, Error> {
        self.client
            .request(Method::GET, "/machines")
            .segment(machine_id)
            .send()
            .await
    }

    /// `GET /machines`.
    ///
    /// # Errors
    ///
    /// [`Error`].
    pub async fn list(&self, params: &ListMachines) -> Result<PaginatedList<Machine>, Error> {
        self.client
            .request(Method::GET, "/machines")
            .query(params)
            .send()
            .await
    }

    /// `PATCH /machines/{id}`. Never retried.
    ///
    /// # Errors
    ///
    /// [`Error`].
    pub async fn update(&self, machine_id: &str, params: &UpdateMachine) -> Result<Machine, Error> {
        self.client
            .request(Method::PATCH, "/machines")
            .segment(machine_id)
            .json(params)
            .send()
            .await
    }

    /// `DELETE /machines/{id}`.
    ///
    /// # Errors
    ///
    /// [`Error`].
    pub async fn delete(&self, machine_id: &str) -> Result<DeletedObject, Error> {
        self.client
            .request(Method::DELETE, "/machines")
            .segment(machine_id)
            .send()
            .await
    }

    /// `POST /machines/{id}/scopes` with `{"to_machine_id"}`: lets the
    /// machine call `to_machine_id`. Never retried.
    ///
    /// # Errors
    ///
    /// [`Error`].
    pub async fn add_scope(
        &self,
        machine_id: &str,
        to_machine_id: &str,
    ) -> Result<MachineScope, Error> {
        self.client
            .request(Method::POST, "/machines")
            .segment(machine_id)
            .segment("scopes")
            .json(&json!({ "to_machine_id": to_machine_id }))
            .send()
            .await
    }

    /// `DELETE /machines/{id}/scopes/{other}`.
    ///
    /// # Errors
    ///
    /// [`Error`].
    pub async fn remove_scope(
        &self,
        machine_id: &str,
        other_machine_id: &str,
    ) -> Result<MachineScope, Error> {
        self.client
            .request(Method::DELETE, "/machines")
            .segment(machine_id)
            .segment("scopes")
            .segment(other_machine_id)
            .send()
            .await
    }

    /// `GET /machines/{id}/secret_key`.
    ///
    /// # Errors
    ///
    /// [`Error`].
    pub async fn secret_key(&self, machine_id: &str) -> Result<MachineSecretKey, Error> {
        self.client
            .request(Method::GET, "/machines")
            .segment(machine_id)
            .segment("secret_key")
            .send()
            .await
    }

    /// `POST /machines/{id}/secret_key/rotate` with `{"previous_token_ttl"}`:
    /// a new secret key; tokens of the old one stay valid for
    /// `previous_token_ttl` seconds (0–28 800). Never retried.
    ///
    /// # Errors
    ///
    /// [`Error`].
    pub async fn rotate_secret_key(
        &self,
        machine_id: &str,
        previous_token_ttl: u32,
    ) -> Result<MachineSecretKey, Error> {
        self.client
            .request(Method::POST, "/machines")
            .segment(machine_id)
            .segment("secret_key")
            .segment("rotate")
            .json(&json!({ "previous_token_ttl": previous_token_ttl }))
            .send()
            .await
    }
}
