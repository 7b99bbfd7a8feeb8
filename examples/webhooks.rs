//! Keep a local user table in sync from Clerk's webhooks.
//!
//! ```sh
//! cargo run --example webhooks
//! ```
//!
//! With `CLERK_WEBHOOK_SIGNING_SECRET` in the environment (or in `.env`), it
//! verifies the webhooks of your Clerk endpoint (Clerk Dashboard > Webhooks >
//! Add Endpoint, URL `https://<your tunnel>/webhooks`, events `user.*`).
//!
//! Without it, it runs in demo mode: it generates a signing secret, prints it,
//! and prints ready-to-paste `curl` lines that post signed sample events
//! (valid for five minutes, Clerk's tolerance):
//!
//! ```sh
//! curl -i -X POST http://localhost:3000/webhooks -H 'svix-id: msg_…' -H 'svix-timestamp: …' \
//!   -H 'svix-signature: v1,…' --data-binary '{"type":"user.created",…}'
//! ```
//!
//! `POST /webhooks` applies `user.created`, `user.updated` and `user.deleted`
//! to an in-memory user store and answers 200 `{"type": <event type>, "id":
//! <data.id or null>}`; a redelivery (same `svix-id`) is answered the same
//! but not applied twice. Anything that fails verification answers 400.
//!
//! `PORT` picks the port (default 3000).

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use actix_web::http::StatusCode;
use actix_web::{web, App, HttpResponse, HttpServer, ResponseError};
use clerk_actix::client::User;
use clerk_actix::testing::{SignedWebhook, WebhookSigner};
use clerk_actix::webhooks::{EventData, Webhook, WebhookRejection, WebhookVerifier};

/// The app's own user table, and the webhook messages already applied.
#[derive(Default)]
struct Store {
    users: HashMap<String, User>,
    processed: HashSet<String>,
}

type SharedStore = web::Data<Mutex<Store>>;

fn lock(store: &Mutex<Store>) -> MutexGuard<'_, Store> {
    // A panic elsewhere while holding the lock leaves the maps usable.
    store
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Applies a verified event to the store.
fn apply(store: &mut Store, webhook: &Webhook) {
    match (webhook.event_type.as_str(), &webhook.data) {
        ("user.created" | "user.updated", EventData::User(user)) => {
            store.users.insert(user.id.clone(), (**user).clone());
        }
        ("user.deleted", EventData::Deleted(deleted)) => {
            if let Some(id) = &deleted.id {
                store.users.remove(id);
            }
        }
        _ => {} // Events this app does not use.
    }
}

/// `POST /webhooks`.
async fn webhooks(webhook: Result<Webhook, WebhookRejection>, store: SharedStore) -> HttpResponse {
    let webhook = match webhook {
        Ok(webhook) => webhook,
        Err(rejection) => {
            // The extractor's own answer (a JSON error saying what failed),
            // always as 400 here: it would say 413 for a body over 1 MiB.
            let mut res = rejection.error_response();
            *res.status_mut() = StatusCode::BAD_REQUEST;
            return res;
        }
    };
    let mut store = lock(&store);
    // Svix retries until it gets a 2xx: skip a message already applied.
    if store.processed.insert(webhook.id().to_owned()) {
        apply(&mut store, &webhook);
        println!(
            "{} {} ({} users in the store)",
            webhook.event_type,
            webhook.data.id().unwrap_or("-"),
            store.users.len()
        );
    }
    HttpResponse::Ok().json(serde_json::json!({
        "type": webhook.event_type,
        "id": webhook.data.id(),
    }))
}

/// The route, shared by `main` and the example's test.
fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/webhooks", web::post().to(webhooks));
}

/// Demo mode: a generated secret and signed sample events.
struct Demo {
    signer: WebhookSigner,
}

impl Demo {
    fn start() -> Result<Self, Box<dyn std::error::Error>> {
        Ok(Self {
            signer: WebhookSigner::generate()?,
        })
    }

    /// The samples to post, each with the status it answers.
    fn samples(&self) -> Vec<(SignedWebhook, u16)> {
        let created = serde_json::json!({
            "type": "user.created", "object": "event", "instance_id": "ins_demo",
            "data": {
                "object": "user", "id": "user_demo_ada", "first_name": "Ada", "last_name": "Lovelace",
                "primary_email_address_id": "idn_demo_ada",
                "email_addresses": [{ "id": "idn_demo_ada", "email_address": "ada@example.com" }],
            },
        });
        let deleted = serde_json::json!({
            "type": "user.deleted", "object": "event", "instance_id": "ins_demo",
            "data": { "object": "user", "id": "user_demo_ada", "deleted": true },
        });
        let forged = WebhookSigner::generate()
            .map(|other| other.sign_event(&created))
            .unwrap_or_else(|_| self.signer.sign("tampered"));
        vec![
            (self.signer.sign_event(&created), 200),
            (self.signer.sign_event(&deleted), 200),
            (forged, 400),
        ]
    }

    /// The lines to paste, each with the status it answers.
    fn curl_lines(&self, url: &str) -> Vec<String> {
        self.samples()
            .iter()
            .map(|(signed, status)| format!("{}    # {status}", signed.curl(url)))
            .collect()
    }
}

/// The crate's diagnostics (outages, configuration advice, a handshake that
/// does not verify) on stderr from `info` up; `RUST_LOG` overrides, e.g.
/// `RUST_LOG=clerk_actix=debug` also shows why each request was signed out.
fn init_logger() {
    let env = env_logger::Env::default().default_filter_or("warn,clerk_actix=info");
    let _ = env_logger::Builder::from_env(env).try_init();
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Like `import 'dotenv/config'`: read .env when there is one.
    let _ = dotenvy::dotenv();
    init_logger();
    let port: u16 = match std::env::var("PORT") {
        Ok(port) => port.parse()?,
        Err(_) => 3000,
    };

    let has_secret =
        std::env::var("CLERK_WEBHOOK_SIGNING_SECRET").is_ok_and(|v| !v.trim().is_empty());
    let demo = if has_secret {
        None
    } else {
        Some(Demo::start()?)
    };
    // Built once, before the server: a bad secret stops the app here.
    let verifier = match &demo {
        Some(demo) => WebhookVerifier::new(demo.signer.secret())?,
        None => WebhookVerifier::from_env()?,
    };
    let store: SharedStore = web::Data::new(Mutex::new(Store::default()));

    let server = HttpServer::new({
        let store = store.clone();
        move || {
            App::new()
                .app_data(web::ThinData(verifier.clone()))
                .app_data(store.clone())
                .configure(routes)
        }
    })
    .bind(("127.0.0.1", port))?;
    let url = format!("http://localhost:{}/webhooks", server.addrs()[0].port());

    if let Some(demo) = &demo {
        println!(
            "No CLERK_WEBHOOK_SIGNING_SECRET: running in demo mode with a generated secret:\n\n  \
             CLERK_WEBHOOK_SIGNING_SECRET={}\n\nSigned sample events (valid for five minutes): \
             Ada is created, then deleted; the last one is signed with another secret.\n",
            demo.signer.secret()
        );
        for line in demo.curl_lines(&url) {
            println!("  {line}\n");
        }
    }
    println!("Listening for webhooks on {url}");
    server.run().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    //! `cargo test --example webhooks`: the demo answers its own curl lines.

    use super::*;
    use actix_web::test;

    /// `cargo run --example webhooks` shows the crate's `info` lines and up
    /// (with `RUST_LOG` unset, as in CI).
    #[actix_web::test]
    async fn logger_shows_the_crates_diagnostics() {
        init_logger();
        assert!(log::log_enabled!(target: "clerk_actix::middleware", log::Level::Info));
        assert!(log::log_enabled!(target: "clerk_actix::machine", log::Level::Warn));
    }

    /// Splits a shell line into words: single quotes, and `\` escapes
    /// outside them (as in `'\''`).
    fn shell_words(line: &str) -> Vec<String> {
        let mut words = Vec::new();
        let mut word: Option<String> = None;
        let mut chars = line.chars();
        let mut quoted = false;
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('\'', _) => {
                    quoted = !quoted;
                    word.get_or_insert_with(String::new);
                }
                ('\\', false) => word.get_or_insert_with(String::new).extend(chars.next()),
                (' ', false) => words.extend(word.take()),
                (c, _) => word.get_or_insert_with(String::new).push(c),
            }
        }
        words.extend(word);
        words
    }

    #[::core::prelude::v1::test]
    fn shell_words_undoes_the_quoting_of_curl_lines() {
        assert_eq!(
            shell_words(r#"curl  -H 'a: b' --data-binary '{"n":"O'\''Brien"}' ''"#),
            [
                "curl",
                "-H",
                "a: b",
                "--data-binary",
                r#"{"n":"O'Brien"}"#,
                ""
            ]
        );
    }

    /// The request a printed line sends, and the status it says it gets.
    fn request_from_line(line: &str) -> (actix_http::Request, u16) {
        let (command, status) = line.rsplit_once("    # ").expect("status comment");
        let words = shell_words(command);
        assert_eq!(&words[..4], ["curl", "-i", "-X", "POST"], "{line}");
        let path = words[4].trim_start_matches("http://localhost:3000");
        let mut req = test::TestRequest::post().uri(path);
        let mut rest = words[5..].iter();
        while let Some(flag) = rest.next() {
            let value = rest.next().expect("a value after each flag");
            match flag.as_str() {
                "-H" => {
                    let (name, value) = value.split_once(": ").expect("header");
                    req = req.insert_header((name.to_owned(), value.to_owned()));
                }
                "--data-binary" => req = req.set_payload(value.clone()),
                other => panic!("unexpected {other} in {line}"),
            }
        }
        (req.to_request(), status.parse().expect("status"))
    }

    #[actix_web::test]
    async fn demo_mode_answers_its_printed_curl_lines() {
        let demo = Demo::start().expect("demo");
        let verifier = WebhookVerifier::new(demo.signer.secret()).expect("verifier");
        let store: SharedStore = web::Data::new(Mutex::new(Store::default()));
        let app = test::init_service(
            App::new()
                .app_data(web::ThinData(verifier))
                .app_data(store.clone())
                .configure(routes),
        )
        .await;
        let lines = demo.curl_lines("http://localhost:3000/webhooks");
        assert_eq!(lines.len(), 3);
        let mut answers = Vec::new();
        for line in &lines {
            let (req, expected) = request_from_line(line);
            let res = test::call_service(&app, req).await;
            assert_eq!(res.status().as_u16(), expected, "{line}");
            let body: serde_json::Value =
                serde_json::from_slice(&test::read_body(res).await).expect("json");
            let users: Vec<String> = lock(&store).users.keys().cloned().collect();
            answers.push((body, users));
        }
        let ada = || vec!["user_demo_ada".to_owned()];
        assert_eq!(
            answers[0],
            (
                serde_json::json!({"type": "user.created", "id": "user_demo_ada"}),
                ada()
            )
        );
        assert_eq!(
            answers[1],
            (
                serde_json::json!({"type": "user.deleted", "id": "user_demo_ada"}),
                vec![]
            )
        );
        assert_eq!(
            answers[2].0["errors"][0]["code"],
            "webhook_signature_invalid"
        );

        // Pasting the first line again is a redelivery: answered, not applied.
        let (again, expected) = request_from_line(&lines[0]);
        let res = test::call_service(&app, again).await;
        assert_eq!(res.status().as_u16(), expected);
        assert!(lock(&store).users.is_empty(), "Ada stays deleted");
    }
}
