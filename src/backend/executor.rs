//! The one road to the Backend API: where it is, the credentials, and the
//! loop that sends a request, retries it as the policy allows and turns the
//! answer into bytes or a typed [`Error`]. The typed client
//! ([`RequestBuilder`](super::RequestBuilder)) and the key store's JWKS fetch
//! both send through [`execute`].

use std::fmt;
use std::time::Duration;

use actix_web::web::Bytes;
use awc::http::Method;

use super::budget::Budget;
use super::error::{ApiError, Error, ErrorKind};
use super::hold::Holds;
use super::retry::{self, RetryPolicy};
use super::transport::{self, Secret, TransportError, CLERK_API_VERSION_HEADER, USER_AGENT};

/// Where the Backend API is, and the secret key that opens it.
pub(crate) struct BackendApi {
    /// `https://api.clerk.com`, no trailing slash.
    pub(crate) url: String,
    /// `v1`.
    pub(crate) version: String,
    pub(crate) secret_key: Option<Secret>,
    /// `Bearer <secret key>`, built once.
    authorization: Option<Secret>,
    /// `Bearer <machine secret key>` (`CLERK_MACHINE_SECRET_KEY`), for the
    /// M2M endpoints.
    machine_authorization: Option<Secret>,
    /// The default timeout of one attempt.
    pub(crate) timeout: Duration,
    /// Endpoints held off after a 429 or a burst of 5xx answers.
    pub(crate) holds: Holds,
    /// The calls that requests may trigger.
    pub(crate) budget: Budget,
}

/// Which key a request is sent with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Credential {
    /// The instance's secret key.
    #[default]
    SecretKey,
    /// The machine secret key when one is configured, else the secret key:
    /// what the M2M endpoints take.
    MachineSecretKey,
    /// No key at all: the public endpoints (`GET /v1/public/interstitial`).
    // Only the `instance` group's interstitial sends it.
    #[cfg_attr(not(feature = "instance"), allow(dead_code))]
    Public,
}

impl fmt::Debug for BackendApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackendApi")
            .field("url", &self.url)
            .field("version", &self.version)
            .field("secret_key", &self.secret_key)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl BackendApi {
    pub(crate) fn new(
        url: String,
        version: String,
        secret_key: Option<Secret>,
        timeout: Duration,
    ) -> Self {
        let authorization = secret_key
            .as_ref()
            .map(|secret| Secret::new(&format!("Bearer {}", secret.expose())));
        Self {
            url,
            version,
            secret_key,
            authorization,
            machine_authorization: None,
            timeout,
            holds: Holds::default(),
            budget: Budget::new(0, Duration::ZERO),
        }
    }

    /// Sets the budget of calls that requests may trigger.
    pub(crate) fn with_budget(mut self, budget: Budget) -> Self {
        self.budget = budget;
        self
    }

    /// Sets the machine secret key used by [`Credential::MachineSecretKey`].
    pub(crate) fn with_machine_secret_key(mut self, key: Option<Secret>) -> Self {
        self.machine_authorization =
            key.map(|key| Secret::new(&format!("Bearer {}", key.expose())));
        self
    }

    /// `GET {url}/{version}{path}`, no query, no body.
    pub(crate) fn get(&self, path: &str) -> Prepared {
        Prepared {
            method: Method::GET,
            url: format!("{}/{}{path}", self.url, self.version),
            endpoint: format!("GET /{}{path}", self.version),
            body: None,
            content_type: None,
        }
    }

    /// `GET {url}/{version}{path}?{name}={value}`, the value encoded.
    pub(crate) fn get_with(&self, path: &str, name: &str, value: &str) -> Prepared {
        let mut prepared = self.get(path);
        prepared.url.push('?');
        prepared.url.push_str(
            &form_urlencoded::Serializer::new(String::new())
                .append_pair(name, value)
                .finish(),
        );
        prepared
    }

    /// `POST {url}/{version}{path}?{query}` with a JSON body already
    /// serialised; `query` is written as given.
    pub(crate) fn post(&self, path: &str, query: &str, body: Vec<u8>) -> Prepared {
        Prepared {
            method: Method::POST,
            url: format!("{}/{}{path}?{query}", self.url, self.version),
            endpoint: format!("POST /{}{path}", self.version),
            body: Some(body),
            content_type: None,
        }
    }

    /// `POST {url}{path}` with a JSON body: the unversioned endpoints
    /// (`/api_keys/verify`, …).
    pub(crate) fn post_unversioned(&self, path: &str, body: &serde_json::Value) -> Prepared {
        Prepared {
            method: Method::POST,
            url: format!("{}{path}", self.url),
            endpoint: format!("POST {path}"),
            body: serde_json::to_vec(body).ok(),
            content_type: None,
        }
    }
}

/// Decodes a 2xx answer into `T` (an empty answer decodes as `null`, so
/// `()` or `Option<T>` fit a 204).
///
/// The answer is parsed into a `serde_json::Value` first, and `T` decoded
/// from that: every model then needs its `Deserialize` for one deserializer
/// only (the `Value`'s, which the webhooks and the testing kit use too), not
/// once more for the bytes. With the ~300 typed models that is a large part of
/// the crate's compile time, for a few microseconds per answer.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    body: &[u8],
    endpoint: &str,
) -> Result<T, Error> {
    let value = parse(body, endpoint)?;
    T::deserialize(value).map_err(|e| decode_error(&e, endpoint))
}

fn parse(body: &[u8], endpoint: &str) -> Result<serde_json::Value, Error> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Value::Null);
    }
    serde_json::from_slice(body).map_err(|e| decode_error(&e, endpoint))
}

fn decode_error(error: &serde_json::Error, endpoint: &str) -> Error {
    Error::new(ErrorKind::Decode(error.to_string())).at(endpoint)
}

/// A 2xx answer as text (the HTML of `GET /v1/public/interstitial`).
#[cfg_attr(not(feature = "instance"), allow(dead_code))]
pub(crate) fn text(body: &[u8], endpoint: &str) -> Result<String, Error> {
    String::from_utf8(body.to_vec()).map_err(|e| {
        Error::new(ErrorKind::Decode(format!(
            "the answer is not UTF-8 text: {e}"
        )))
        .at(endpoint)
    })
}

/// The largest answer the client takes by default: 16 MiB (a page of 500
/// users is large).
pub(crate) const DEFAULT_BODY_LIMIT: usize = 16 * 1024 * 1024;

impl Default for Policy {
    /// The client's defaults: the API's timeout, 16 MiB, the default retries.
    fn default() -> Self {
        Self {
            timeout: None,
            body_limit: DEFAULT_BODY_LIMIT,
            retry: RetryPolicy::default(),
        }
    }
}

/// How one kind of call is sent: timeout, size limit, retries.
///
/// The typed client's settings are one (from `ClerkClientBuilder`); the
/// calls that authentication makes on a request's behalf have named ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Policy {
    /// `None`: the [`BackendApi`]'s timeout.
    pub(crate) timeout: Option<Duration>,
    pub(crate) body_limit: usize,
    pub(crate) retry: RetryPolicy,
}

impl Policy {
    /// The JWKS fetch: three quick attempts (a cold start waits on them),
    /// 1 MiB; a 429 asking for more than a second is an outage now, not a
    /// wait.
    pub(crate) fn jwks(timeout: Duration) -> Self {
        Self {
            timeout: Some(timeout),
            body_limit: 1024 * 1024,
            retry: RetryPolicy {
                max_attempts: 3,
                base_delay: Duration::from_millis(125),
                max_delay: Duration::from_secs(1),
            },
        }
    }

    /// The handshake payload of a nonce: a request waits on it, so 5 s and
    /// one quick retry; 256 KiB.
    pub(crate) fn handshake_payload() -> Self {
        Self {
            timeout: Some(Duration::from_secs(5)),
            body_limit: 256 * 1024,
            retry: RetryPolicy {
                max_attempts: 2,
                base_delay: Duration::from_millis(100),
                max_delay: Duration::from_secs(1),
            },
        }
    }

    /// A session refresh: one attempt (it is a POST), 5 s, 64 KiB.
    pub(crate) fn session_refresh() -> Self {
        Self {
            timeout: Some(Duration::from_secs(5)),
            body_limit: 64 * 1024,
            retry: RetryPolicy {
                max_attempts: 1,
                ..RetryPolicy::default()
            },
        }
    }
}

/// A request ready to go.
pub(crate) struct Prepared {
    pub(crate) method: Method,
    pub(crate) url: String,
    /// `GET /v1/users`, for messages.
    pub(crate) endpoint: String,
    pub(crate) body: Option<Vec<u8>>,
    /// The body's `Content-Type`; `None`: `application/json`. A
    /// `multipart/form-data` upload names its boundary here.
    pub(crate) content_type: Option<String>,
}

/// Sends `prepared` with Clerk's headers, retrying as `policy` allows, and
/// returns the body of the 2xx answer.
pub(crate) async fn execute(
    api: &BackendApi,
    policy: &Policy,
    prepared: &Prepared,
) -> Result<Bytes, Error> {
    execute_as(api, policy, prepared, Credential::SecretKey).await
}

/// [`execute`] with the key `credential` names.
pub(crate) async fn execute_as(
    api: &BackendApi,
    policy: &Policy,
    prepared: &Prepared,
    credential: Credential,
) -> Result<Bytes, Error> {
    let machine = match credential {
        Credential::MachineSecretKey => api.machine_authorization.as_ref(),
        Credential::SecretKey | Credential::Public => None,
    };
    let authorization = match credential {
        Credential::Public => None,
        _ => Some(
            machine
                .or(api.authorization.as_ref())
                .ok_or_else(|| Error::new(ErrorKind::MissingSecretKey))?,
        ),
    };
    let content_type = prepared
        .content_type
        .as_deref()
        .unwrap_or("application/json");
    let timeout = policy.timeout.unwrap_or(api.timeout);
    if let Err(left) = api.holds.check(&prepared.endpoint).await {
        return Err(Error::new(ErrorKind::HeldOff(left)).at(&prepared.endpoint));
    }
    let mut attempt: u32 = 1;
    loop {
        let mut headers = vec![
            ("clerk-api-version", CLERK_API_VERSION_HEADER),
            ("content-type", content_type),
            ("user-agent", USER_AGENT),
        ];
        if let Some(authorization) = authorization {
            headers.insert(0, ("authorization", authorization.expose()));
        }
        let result = transport::send(transport::Request {
            method: prepared.method.clone(),
            url: &prepared.url,
            headers,
            body: prepared.body.clone(),
            timeout,
            limit: policy.body_limit,
        })
        .await;
        let failure = match result {
            Ok(response) if (200..300).contains(&response.status) => {
                api.holds.record(&prepared.endpoint, None).await;
                return Ok(response.body);
            }
            Ok(response) => Failure::Api(ApiError::from_response(
                response.status,
                &response.body,
                response.header("cf-ray"),
                response.header("retry-after"),
            )),
            Err(error) => Failure::Transport(error),
        };
        if let Failure::Api(answer) = &failure {
            let failed = (answer.status(), answer.retry_after());
            api.holds.record(&prepared.endpoint, Some(failed)).await;
        }
        let outcome = match &failure {
            Failure::Api(api) => retry::Attempt::Status {
                status: api.status(),
                retry_after: api.retry_after(),
            },
            Failure::Transport(error) => retry::Attempt::Transport(error),
        };
        let Some(delay) = policy
            .retry
            .delay(&prepared.method, &outcome, attempt, retry::jitter())
        else {
            return Err(failure.into_error().at(&prepared.endpoint));
        };
        log::warn!(
            target: "clerk_actix::client",
            "{} failed ({}); retrying in {} ms (attempt {} of {})",
            prepared.endpoint,
            failure.summary(),
            delay.as_millis(),
            attempt + 1,
            policy.retry.max_attempts,
        );
        tokio::time::sleep(delay).await;
        attempt += 1;
    }
}

enum Failure {
    Api(ApiError),
    Transport(TransportError),
}

impl Failure {
    fn into_error(self) -> Error {
        match self {
            Self::Api(api) => Error::new(ErrorKind::Api(api)),
            Self::Transport(error) => Error::from_transport(error),
        }
    }

    fn summary(&self) -> String {
        match self {
            Self::Api(api) => api.to_string(),
            Self::Transport(error) => error.to_string(),
        }
    }
}
