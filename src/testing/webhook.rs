//! Signs webhooks the way Clerk (through Svix) does, so webhook handlers can
//! be tested offline.

use std::fmt;

use aws_lc_rs::hmac;
use base64::Engine as _;

use super::issuer::random_id;
use super::TestingError;
use crate::clock::system_millis;
use crate::webhooks::{self, WebhookHeaders, WebhookVerifier, WebhookVerifierBuilder};

/// Signs webhook bodies with a signing secret, as Clerk does.
///
/// Give it your endpoint's secret (or [`generate`](Self::generate) one),
/// sign a body or an event at any time, and send the result to your handler:
/// [`SignedWebhook::test_request`] builds the actix test request,
/// [`SignedWebhook::headers`] gives the three headers.
///
/// `Debug` never shows the secret.
///
/// # Examples
///
/// ```
/// use actix_web::{test, web, App, HttpResponse};
/// use clerk_actix::testing::WebhookSigner;
/// use clerk_actix::webhooks::Webhook;
///
/// async fn hook(webhook: Webhook) -> HttpResponse {
///     HttpResponse::Ok().body(webhook.data.id().unwrap_or_default().to_owned())
/// }
///
/// # actix_web::rt::System::new().block_on(async {
/// let signer = WebhookSigner::generate().unwrap();
/// let verifier = signer.verifier_builder().build().unwrap();
/// let app = test::init_service(
///     App::new().app_data(web::ThinData(verifier)).route("/webhooks", web::post().to(hook)),
/// )
/// .await;
///
/// let signed = signer.sign_event(&serde_json::json!({
///     "type": "user.created", "object": "event", "data": {"object": "user", "id": "user_1"}
/// }));
/// let res = test::call_service(&app, signed.test_request().uri("/webhooks").to_request()).await;
/// assert_eq!(res.status(), 200);
/// assert_eq!(test::read_body(res).await, "user_1");
///
/// // Signed an hour ago: outside the ±5 minute tolerance.
/// let stale = signer.sign_at("msg_old", signed.timestamp() - 3600, signed.body().to_vec());
/// let res = test::call_service(&app, stale.test_request().uri("/webhooks").to_request()).await;
/// assert_eq!(res.status(), 400);
/// # });
/// ```
#[derive(Clone)]
pub struct WebhookSigner {
    secret: String,
    key: hmac::Key,
}

impl fmt::Debug for WebhookSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSigner")
            .field("secret", &"whsec_****")
            .finish()
    }
}

impl WebhookSigner {
    /// A signer for `secret` (`whsec_…`, the prefix optional), parsed as the
    /// verifier parses it.
    ///
    /// # Errors
    ///
    /// [`TestingError`] when the secret is empty or not base64.
    ///
    /// # Examples
    ///
    /// ```
    /// use clerk_actix::testing::WebhookSigner;
    ///
    /// let signer = WebhookSigner::new("whsec_dGVzdF9zaWduaW5nX3NlY3JldF8zMl9jaGFyc19sb25n").unwrap();
    /// let signed = signer.sign_at("msg_123", 1_700_000_000, r#"{"type":"user.created","data":{"id":"user_123"}}"#);
    /// assert_eq!(signed.signature(), "v1,kLln/mW/qoI9eUisvvoz9O/1VqBkTyNgcAAorkVSisc=");
    /// ```
    pub fn new(secret: &str) -> Result<Self, TestingError> {
        let key = webhooks::parse_secret(secret)
            .map_err(|reason| TestingError::new(format!("invalid webhook secret: {reason}")))?;
        Ok(Self {
            secret: secret.trim().to_owned(),
            key,
        })
    }

    /// A signer with a fresh random secret (32 bytes, `whsec_…`).
    ///
    /// # Errors
    ///
    /// [`TestingError`] if the system's random generator fails.
    ///
    /// # Examples
    ///
    /// ```
    /// use clerk_actix::testing::WebhookSigner;
    ///
    /// let signer = WebhookSigner::generate().unwrap();
    /// assert!(signer.secret().starts_with("whsec_"));
    /// ```
    pub fn generate() -> Result<Self, TestingError> {
        let mut key = [0u8; 32];
        aws_lc_rs::rand::fill(&mut key)
            .map_err(|_| TestingError::new("could not generate a webhook secret"))?;
        let secret = format!(
            "whsec_{}",
            base64::engine::general_purpose::STANDARD.encode(key)
        );
        Self::new(&secret)
    }

    /// The signing secret, e.g. to export as `CLERK_WEBHOOK_SIGNING_SECRET`.
    #[must_use]
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// A [`WebhookVerifier`] builder with this signer's secret.
    ///
    /// ```
    /// use clerk_actix::testing::WebhookSigner;
    ///
    /// let signer = WebhookSigner::generate().unwrap();
    /// let verifier = signer.verifier_builder().build().unwrap();
    /// let signed = signer.sign(r#"{"type":"user.created","data":{}}"#);
    /// assert!(verifier.verify(signed.webhook_headers(), signed.body()).is_ok());
    /// ```
    pub fn verifier_builder(&self) -> WebhookVerifierBuilder {
        WebhookVerifier::builder().secret(self.secret.clone())
    }

    /// Signs `body` now, with a fresh `msg_…` id.
    #[must_use]
    pub fn sign(&self, body: impl Into<Vec<u8>>) -> SignedWebhook {
        self.sign_at(random_id("msg"), system_millis().div_euclid(1000), body)
    }

    /// Signs `body` as message `id` sent at `timestamp` (seconds since the
    /// Unix epoch).
    #[must_use]
    pub fn sign_at(
        &self,
        id: impl Into<String>,
        timestamp: i64,
        body: impl Into<Vec<u8>>,
    ) -> SignedWebhook {
        let id = id.into();
        let body = body.into();
        let signature = webhooks::sign_entry(&self.key, &id, timestamp, &body);
        SignedWebhook {
            id,
            timestamp,
            timestamp_text: timestamp.to_string(),
            signature,
            body,
        }
    }

    /// Signs an event (serialised compactly) now, with a fresh `msg_…` id.
    ///
    /// ```
    /// use clerk_actix::testing::WebhookSigner;
    ///
    /// let signer = WebhookSigner::generate().unwrap();
    /// let signed = signer.sign_event(&serde_json::json!({"type": "session.created", "data": {"id": "sess_1"}}));
    /// assert!(signed.id().starts_with("msg_"));
    /// assert_eq!(signed.body(), br#"{"data":{"id":"sess_1"},"type":"session.created"}"#);
    /// ```
    #[must_use]
    pub fn sign_event(&self, event: &serde_json::Value) -> SignedWebhook {
        self.sign(event.to_string())
    }
}

/// A signed webhook message: its id, timestamp, signature header and body.
///
/// # Examples
///
/// ```
/// use clerk_actix::testing::WebhookSigner;
///
/// let signer = WebhookSigner::generate().unwrap();
/// let signed = signer.sign_at("msg_1", 1_700_000_000, "{}");
/// let headers = signed.headers();
/// assert_eq!(headers[0], ("svix-id", "msg_1".to_owned()));
/// assert_eq!(headers[1], ("svix-timestamp", "1700000000".to_owned()));
/// assert!(headers[2].1.starts_with("v1,"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedWebhook {
    id: String,
    timestamp: i64,
    timestamp_text: String,
    signature: String,
    body: Vec<u8>,
}

impl SignedWebhook {
    /// The message id (`svix-id`).
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The timestamp (`svix-timestamp`), seconds since the Unix epoch.
    #[must_use]
    pub fn timestamp(&self) -> i64 {
        self.timestamp
    }

    /// The signature header (`svix-signature`): one `v1,<base64>` entry.
    #[must_use]
    pub fn signature(&self) -> &str {
        &self.signature
    }

    /// The body, as signed.
    #[must_use]
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The `svix-id`, `svix-timestamp` and `svix-signature` headers.
    #[must_use]
    pub fn headers(&self) -> [(&'static str, String); 3] {
        [
            ("svix-id", self.id.clone()),
            ("svix-timestamp", self.timestamp_text.clone()),
            ("svix-signature", self.signature.clone()),
        ]
    }

    /// The headers for [`WebhookVerifier::verify`].
    #[must_use]
    pub fn webhook_headers(&self) -> WebhookHeaders<'_> {
        WebhookHeaders::new(&self.id, &self.timestamp_text, &self.signature)
    }

    /// A `POST` test request with the three headers,
    /// `Content-Type: application/json` and the body; set its URI with
    /// `.uri(..)`.
    #[must_use]
    pub fn test_request(&self) -> actix_web::test::TestRequest {
        let mut req = actix_web::test::TestRequest::post()
            .insert_header(("content-type", "application/json"));
        for header in self.headers() {
            req = req.insert_header(header);
        }
        req.set_payload(self.body.clone())
    }

    /// A ready-to-paste `curl` line that posts this webhook to `url`.
    ///
    /// ```
    /// use clerk_actix::testing::WebhookSigner;
    ///
    /// let signer = WebhookSigner::generate().unwrap();
    /// let line = signer.sign_at("msg_1", 1_700_000_000, r#"{"name":"O'Brien"}"#).curl("http://localhost:3000/webhooks");
    /// assert!(line.starts_with("curl -i -X POST http://localhost:3000/webhooks"));
    /// assert!(line.contains(r#"--data-binary '{"name":"O'\''Brien"}'"#));
    /// ```
    #[must_use]
    pub fn curl(&self, url: &str) -> String {
        let mut line = format!("curl -i -X POST {url} -H 'Content-Type: application/json'");
        for (name, value) in self.headers() {
            line.push_str(&format!(" -H {}", shell_quote(&format!("{name}: {value}"))));
        }
        line.push_str(" --data-binary ");
        line.push_str(&shell_quote(&String::from_utf8_lossy(&self.body)));
        line
    }
}

/// Single-quotes `text` for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}
