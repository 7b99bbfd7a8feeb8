//! HTTP to the Backend API: awc over rustls, with aws-lc-rs as the TLS crypto provider.
//!
//! awc's `Client` is `!Send` (it holds `Rc`s) and is meant to be used by one
//! thread, so each thread lazily builds its own, sharing one TLS configuration.
//! A `Client` keeps a connection pool; keeping one per thread lets every
//! request on that thread reuse warm connections.

use std::cell::OnceCell;
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix_web::web::Bytes;
use awc::http::Method;

/// The `Clerk-API-Version` header this crate speaks.
pub(crate) const CLERK_API_VERSION_HEADER: &str = "2026-05-12";
/// The `User-Agent` of every request to Clerk.
pub(crate) const USER_AGENT: &str = concat!("clerk-actix/", env!("CARGO_PKG_VERSION"));

/// A secret that prints as its prefix and asterisks.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(Arc<str>);

impl Secret {
    pub(crate) fn new(secret: &str) -> Self {
        Self(secret.into())
    }
}

impl Secret {
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let visible = ["sk_test_", "sk_live_", "ak_", "whsec_"]
            .into_iter()
            .find(|prefix| self.0.starts_with(prefix))
            .unwrap_or("");
        write!(f, "\"{visible}****\"")
    }
}

/// A response whose body was read in full.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: awc::http::header::HeaderMap,
    pub(crate) body: Bytes,
}

impl Response {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Why no response came back.
#[derive(Debug, Clone, PartialEq, Eq, derive_more::Display)]
pub(crate) enum TransportError {
    /// The connection could not be made (refused, DNS, TLS handshake).
    #[display("could not connect to {_0}")]
    Connect(String),
    /// No complete response within the timeout.
    #[display("no response within {}s", _0.as_secs_f32())]
    Timeout(Duration),
    /// The response body exceeded the size limit.
    #[display("the response body is larger than {_0} bytes")]
    TooLarge(usize),
    /// Anything else: a dropped connection, a malformed response.
    #[display("{_0}")]
    Other(String),
}

/// One outgoing request.
pub(crate) struct Request<'a> {
    pub(crate) method: Method,
    pub(crate) url: &'a str,
    pub(crate) headers: Vec<(&'static str, &'a str)>,
    pub(crate) body: Option<Vec<u8>>,
    pub(crate) timeout: Duration,
    pub(crate) limit: usize,
}

thread_local! {
    static CLIENT: OnceCell<Result<awc::Client, String>> = const { OnceCell::new() };
}

fn tls_config() -> Result<Arc<rustls::ClientConfig>, String> {
    static TLS: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    TLS.get_or_init(|| {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup failed: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    })
    .clone()
}

fn build_client() -> Result<awc::Client, String> {
    let connector = awc::Connector::new().rustls_0_23(tls_config()?);
    Ok(awc::Client::builder()
        .connector(connector)
        .disable_redirects()
        .finish())
}

/// This thread's client (rustls, no redirects), for the Frontend API proxy.
pub(crate) fn thread_client() -> Result<awc::Client, String> {
    CLIENT.with(|cell| cell.get_or_init(build_client).clone())
}

fn with_client<R>(f: impl FnOnce(&awc::Client) -> R) -> Result<R, TransportError> {
    CLIENT.with(|cell| match cell.get_or_init(build_client) {
        Ok(client) => Ok(f(client)),
        Err(e) => Err(TransportError::Other(e.clone())),
    })
}

/// Sends `request` and reads the whole body (up to `request.limit` bytes).
pub(crate) async fn send(request: Request<'_>) -> Result<Response, TransportError> {
    let Request {
        method,
        url,
        headers,
        body,
        timeout,
        limit,
    } = request;
    let pending = with_client(|client| {
        let mut req = client.request(method, url).timeout(timeout);
        for (name, value) in headers {
            req = req.insert_header((name, value));
        }
        match body {
            Some(body) => req.send_body(body),
            None => req.send(),
        }
    })?;
    let response = pending.await.map_err(|e| match e {
        awc::error::SendRequestError::Timeout => TransportError::Timeout(timeout),
        awc::error::SendRequestError::Connect(e) => TransportError::Connect(e.to_string()),
        other => TransportError::Other(other.to_string()),
    })?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .timeout(timeout)
        .body()
        .limit(limit)
        .await
        .map_err(|e| match e {
            awc::error::PayloadError::Overflow => TransportError::TooLarge(limit),
            other => TransportError::Other(format!("reading the response failed: {other}")),
        })?;
    Ok(Response {
        status,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_debug_hides_the_key() {
        let secret = Secret::new("sk_test_abcdef");
        assert_eq!(format!("{secret:?}"), "\"sk_test_****\"");
        let other = Secret::new("something");
        assert_eq!(format!("{other:?}"), "\"****\"");
    }
}
