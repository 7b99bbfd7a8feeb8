//! A WebSocket whose session stays honest: `GET /ws` upgrades only a
//! signed-in session, says hello, echoes, and closes (code 4401) when the
//! session token expires without a fresh one.
//!
//! ```sh
//! cargo run --example websocket
//! ```
//!
//! With `CLERK_SECRET_KEY` and `CLERK_PUBLISHABLE_KEY` in the environment (or
//! `.env`; `CLERK_API_URL` too), it talks to your Clerk instance, and its
//! page at <http://localhost:3000/> loads Clerk's JavaScript and uses
//! `Clerk.session.getToken()`. Without them it runs in local demo mode: a
//! local stand-in of the Clerk Backend API, with Ada signed in, and the page
//! gets its tokens from the app's `POST /demo/token` (which asks the
//! stand-in). Open the printed URL in a browser, or paste the printed lines.
//!
//! The contract (a conformance target, tested in tests/integration/ws.rs):
//!
//! * `GET /ws` upgrades only for a signed-in session, the token taken from
//!   `Authorization: Bearer`, the `__session` cookie, or the subprotocol
//!   pair `Sec-WebSocket-Protocol: clerk.session, <token>`; otherwise 401,
//!   without upgrading.
//! * On open: `{"type":"hello","userId":…,"sessionId":…,"expiresIn":<whole seconds until exp>}`.
//! * `{"type":"echo","text":S}` gets `{"type":"echo","text":S,"userId":…}`.
//! * `{"type":"clerk.token","token":"<jwt>"}` before the deadline (`exp` + 5 s)
//!   moves it and gets `{"type":"clerk.token","ok":true,"expiresIn":…}`; a
//!   token of another user or session, or an invalid one, closes with 1008;
//!   no fresh token by the deadline closes with 4401 `session-token-expired`.
//!
//! `PORT` picks the port (default 3000).

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use clerk_actix::client::GetSessionToken;
use clerk_actix::testing::StandIn;
use clerk_actix::ws::{self, AggregatedMessage};
use clerk_actix::{Clerk, ClerkMiddleware};
use serde::Deserialize;
use serde_json::json;

/// `GET /ws`: 401 unless signed in; then the socket lives in its own task.
async fn socket(req: HttpRequest, body: web::Payload) -> actix_web::Result<HttpResponse> {
    let (response, socket) = ws::handle(&req, body)?;
    actix_web::rt::spawn(serve(socket));
    Ok(response)
}

/// What the app reads from the client.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Incoming {
    Echo { text: String },
}

/// The socket's life: hello, then echo until it closes.
pub(crate) async fn serve(mut socket: ws::Socket) {
    let hello = json!({
        "type": "hello",
        "userId": socket.user_id(),
        "sessionId": socket.session_id(),
        "expiresIn": socket.expires_in().as_secs(),
    });
    if socket.text(hello.to_string()).await.is_err() {
        return;
    }
    while let Some(message) = socket.recv().await {
        let AggregatedMessage::Text(text) = message else {
            log::debug!("ignored a message that is not text");
            continue;
        };
        let Ok(Incoming::Echo { text }) = serde_json::from_str(&text) else {
            log::debug!("ignored a message that is not an echo");
            continue;
        };
        let echo = json!({ "type": "echo", "text": text, "userId": socket.user_id() });
        if socket.text(echo.to_string()).await.is_err() {
            break;
        }
    }
}

/// How the page gets session tokens.
#[derive(Clone)]
pub(crate) enum Tokens {
    /// Clerk's JavaScript, loaded from the instance's Frontend API.
    Clerk {
        publishable_key: String,
        frontend_api: String,
    },
    /// Demo mode: the app's `POST /demo/token`, minted by the stand-in for
    /// this session.
    Demo { session_id: String },
}

/// `GET /`: the page, with the few lines of JavaScript a front end needs.
async fn page(tokens: web::Data<Tokens>) -> HttpResponse {
    let get_token = match tokens.get_ref() {
        Tokens::Clerk { .. } => {
            "async function getToken(fresh) {\n  \
               await window.Clerk.load();\n  \
               if (!window.Clerk.session) { window.Clerk.openSignIn(); throw new Error(\"signed out\"); }\n  \
               return window.Clerk.session.getToken({ skipCache: !!fresh });\n}"
        }
        Tokens::Demo { .. } => {
            "async function getToken() {\n  \
               const res = await fetch(\"/demo/token\", { method: \"POST\" });\n  \
               return res.text();\n}"
        }
    };
    let clerk_js = match tokens.get_ref() {
        Tokens::Clerk {
            publishable_key,
            frontend_api,
        } => format!(
            "<script crossorigin=\"anonymous\" data-clerk-publishable-key=\"{}\" \
             src=\"https://{}/npm/@clerk/clerk-js@5/dist/clerk.browser.js\"></script>",
            escape(publishable_key),
            escape(frontend_api)
        ),
        Tokens::Demo { .. } => String::new(),
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><title>clerk-actix websocket</title>{clerk_js}\n\
             <p id=\"status\">connecting</p><p id=\"hello\"></p><p id=\"echo\"></p>\n\
             <script>\n{get_token}\n{CLIENT}</script>\n"
        ))
}

/// The client: open the socket with the token as the second subprotocol,
/// send a fresh token 10 s before each one expires, reconnect after a 4401.
const CLIENT: &str = r#"
const show = (id, text) => { document.getElementById(id).textContent = text; };
async function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const socket = new WebSocket(scheme + location.host + "/ws", ["clerk.session", await getToken()]);
  let refresh;
  const schedule = (expiresIn) => {
    clearTimeout(refresh);
    refresh = setTimeout(async () => {
      socket.send(JSON.stringify({ type: "clerk.token", token: await getToken(true) }));
    }, Math.max(1, expiresIn - 10) * 1000);
  };
  socket.onopen = () => {
    show("status", "open");
    socket.send(JSON.stringify({ type: "echo", text: "hello from the browser" }));
  };
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "hello") {
      show("hello", `hello ${message.userId} ${message.sessionId}`);
      schedule(message.expiresIn);
    } else if (message.type === "clerk.token" && message.ok) {
      schedule(message.expiresIn);
    } else if (message.type === "echo") {
      show("echo", `echo ${message.text}`);
    }
  };
  socket.onclose = (event) => {
    clearTimeout(refresh);
    show("status", `closed ${event.code} ${event.reason}`);
    if (event.code === 4401) setTimeout(connect, 1000);
  };
}
connect().catch((err) => show("status", `error ${err}`));
"#;

/// `POST /demo/token` (demo mode only): a fresh session token for the demo
/// session, from the stand-in's Backend API. A real front end calls Clerk's
/// `getToken()` instead.
async fn demo_token(clerk: Clerk, tokens: web::Data<Tokens>) -> HttpResponse {
    let Tokens::Demo { session_id } = tokens.get_ref() else {
        return HttpResponse::NotFound().finish();
    };
    match clerk
        .client()
        .sessions()
        .get_token(session_id, &GetSessionToken::default())
        .await
    {
        Ok(token) => HttpResponse::Ok()
            .content_type("text/plain")
            .body(token.jwt),
        Err(e) => {
            log::error!("Clerk Backend API: {e}");
            HttpResponse::BadGateway().finish()
        }
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The routes, shared by `main` and the tests.
pub(crate) fn routes(cfg: &mut web::ServiceConfig, tokens: Tokens) {
    cfg.app_data(web::Data::new(tokens))
        .route("/", web::get().to(page))
        .route("/ws", web::get().to(socket))
        .route("/demo/token", web::post().to(demo_token));
}

/// Local demo mode: the stand-in as Backend API, Ada signed in.
pub(crate) struct Demo {
    pub(crate) stand_in: StandIn,
    pub(crate) session_id: String,
}

impl Demo {
    pub(crate) fn start() -> Result<Self, Box<dyn std::error::Error>> {
        let stand_in = StandIn::builder()
            .user(json!({ "id": "user_demo_ada", "first_name": "Ada", "last_name": "Lovelace" }))
            .start()?;
        let session_id = stand_in
            .with_store(|store| store.insert_session(json!({ "user_id": "user_demo_ada" })));
        Ok(Self {
            stand_in,
            session_id,
        })
    }

    pub(crate) fn tokens(&self) -> Tokens {
        Tokens::Demo {
            session_id: self.session_id.clone(),
        }
    }

    /// The lines to paste, each with the status it answers.
    pub(crate) fn curl_lines(&self, base: &str) -> Vec<String> {
        let token = self
            .stand_in
            .session_token("user_demo_ada")
            .session_id(self.session_id.clone())
            .lifetime(std::time::Duration::from_secs(3600))
            .sign();
        let upgrade = "-H \"Connection: Upgrade\" -H \"Upgrade: websocket\" \
                       -H \"Sec-WebSocket-Version: 13\" -H \"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\"";
        vec![
            format!("curl -i --max-time 2 {base}/ws {upgrade}    # 401: no token, no upgrade"),
            format!(
                "curl -i --max-time 2 {base}/ws {upgrade} -H \"Sec-WebSocket-Protocol: clerk.session, {token}\"    # 101: upgraded, hello sent"
            ),
        ]
    }
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _ = dotenvy::dotenv();
    let port: u16 = match std::env::var("PORT") {
        Ok(port) => port.parse()?,
        Err(_) => 3000,
    };
    let has_keys = std::env::var("CLERK_SECRET_KEY").is_ok_and(|v| !v.trim().is_empty());
    let demo = if has_keys { None } else { Some(Demo::start()?) };
    let (clerk, tokens) = match &demo {
        Some(demo) => (demo.stand_in.clerk()?, demo.tokens()),
        None => {
            let clerk = Clerk::from_env()?;
            let key = clerk
                .publishable_key()
                .ok_or("CLERK_PUBLISHABLE_KEY is not set: the page needs it to load Clerk")?;
            let tokens = Tokens::Clerk {
                publishable_key: key.as_str().to_owned(),
                frontend_api: key.frontend_api().to_owned(),
            };
            (clerk, tokens)
        }
    };
    let server = HttpServer::new({
        let clerk = clerk.clone();
        move || {
            App::new()
                .configure(|cfg| routes(cfg, tokens.clone()))
                .wrap(ClerkMiddleware::new(clerk.clone()))
        }
    })
    .bind(("127.0.0.1", port))?;
    let base = format!("http://localhost:{}", server.addrs()[0].port());
    if let Some(demo) = &demo {
        println!(
            "No CLERK_SECRET_KEY: running in local demo mode. The stand-in at {} plays Clerk's \
             Backend API, with Ada signed in.\nOpen {base}/ in a browser: the page opens the \
             socket and sends a fresh token before each expires. Or:\n",
            demo.stand_in.url()
        );
        for line in demo.curl_lines(&base) {
            println!("  {line}");
        }
        println!();
    }
    println!("Server is running on {base}");
    server.run().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    //! `cargo test --example websocket`: the demo answers its own curl lines.
    //! The sockets themselves: tests/integration/ws.rs; in a real browser:
    //! tests/browser.rs.

    use super::*;
    use actix_web::test;

    #[actix_web::test]
    async fn demo_mode_answers_its_printed_curl_lines() {
        let demo = Demo::start().expect("demo");
        let clerk = demo.stand_in.clerk().expect("clerk");
        let app = test::init_service(
            App::new()
                .configure(|cfg| routes(cfg, demo.tokens()))
                .wrap(ClerkMiddleware::new(clerk)),
        )
        .await;
        for line in demo.curl_lines("http://localhost:3000") {
            let path = line
                .split_whitespace()
                .nth(4)
                .and_then(|url| url.strip_prefix("http://localhost:3000"))
                .expect("url");
            let expected: u16 = line
                .rsplit("# ")
                .next()
                .and_then(|status| status.get(..3))
                .and_then(|status| status.parse().ok())
                .expect("status");
            let mut req = test::TestRequest::get().uri(path);
            for header in line.split('"').skip(1).step_by(2) {
                let (name, value) = header.split_once(": ").expect("header");
                req = req.insert_header((name, value));
            }
            let res = test::call_service(&app, req.to_request()).await;
            assert_eq!(res.status().as_u16(), expected, "{line}");
        }
    }

    #[actix_web::test]
    async fn demo_token_is_a_session_token_of_the_demo_session() {
        let demo = Demo::start().expect("demo");
        let clerk = demo.stand_in.clerk().expect("clerk");
        let app = test::init_service(
            App::new()
                .configure(|cfg| routes(cfg, demo.tokens()))
                .wrap(ClerkMiddleware::new(clerk.clone())),
        )
        .await;
        let req = test::TestRequest::post().uri("/demo/token").to_request();
        let token = test::call_and_read_body(&app, req).await;
        let claims = clerk
            .verify_token(std::str::from_utf8(&token).expect("text"))
            .await
            .expect("verifies");
        assert_eq!(claims.user_id(), "user_demo_ada");
        assert_eq!(claims.session_id(), Some(demo.session_id.as_str()));
    }
}
