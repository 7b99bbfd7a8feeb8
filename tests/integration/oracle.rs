//! The request-level scenarios of the @clerk/backend 3.25.0 oracle, through
//! `ClerkMiddleware`: same status (signed-in, signed-out, handshake), same
//! reason, same debug headers and handshake `Location`.

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{test, web, App, HttpResponse};
use clerk_actix::clock::Clock;
use clerk_actix::machine::{AcceptsToken, TokenType};
use clerk_actix::testing::StandIn;
use clerk_actix::{Auth, ClerkMiddleware};

use serde_json::Value;

use crate::fixtures::{self, FROZEN_MS};

/// Scenarios where this crate deliberately or knowingly differs.
fn known_difference(name: &str) -> Option<&'static str> {
    match name {
        "header: lowercase bearer scheme is ignored (falls to cookie path)" => Some(
            "deliberate: the Bearer scheme is case-insensitive (RFC 7235), so the token is verified",
        ),
        _ => None,
    }
}

/// Clerk's `acceptsToken` option, as recorded.
pub(crate) fn accepts_of(value: &Value) -> AcceptsToken {
    fn kind(name: &str) -> TokenType {
        match name {
            "api_key" => TokenType::ApiKey,
            "m2m_token" => TokenType::M2mToken,
            "oauth_token" => TokenType::OAuthToken,
            _ => TokenType::SessionToken,
        }
    }
    match value {
        Value::String(any) if any == "any" => AcceptsToken::Any,
        Value::String(one) => AcceptsToken::One(kind(one)),
        Value::Array(list) => AcceptsToken::list(list.iter().filter_map(Value::as_str).map(kind)),
        _ => AcceptsToken::SESSION_TOKEN,
    }
}

/// The stand-in's machine tokens, as the oracle's stand-in answered them
/// (`machine-verify-responses.bapi-shape.json`), under the recorded tokens.
pub(crate) fn seed_machine_tokens(stand_in: &StandIn) {
    let shapes = fixtures::json("machine-verify-responses.bapi-shape.json");
    let tokens = fixtures::json("machine-tokens.json")["mockTokens"].clone();
    let shape = |prefix: &str| {
        shapes
            .as_object()
            .and_then(|o| o.iter().find(|(k, _)| k.starts_with(prefix)))
            .map(|(_, v)| v.clone())
            .expect("shape")
    };
    stand_in.with_store(|store| {
        let mut key = shape("POST /api_keys/verify");
        key["secret"] = tokens["api_key"].clone();
        store.issue_api_key(key);
        let mut m2m = shape("POST /m2m_tokens/verify");
        m2m["token"] = tokens["m2m_token"].clone();
        let subject = m2m["subject"].as_str().unwrap_or_default().to_owned();
        store.issue_m2m_token(&subject, m2m);
        let mut oauth = shape("POST /oauth_applications/access_tokens/verify");
        oauth["token"] = tokens["oauth_token"].clone();
        store.issue_oauth_token(oauth);
        store.insert_machine(
            serde_json::json!({"name": "oracle", "secret_key": "ak_machine_secret"}),
        );
    });
}

/// The stand-in as the Backend API, without its proxy URL: handshakes go to
/// the Frontend API of the publishable key, as in the recordings.
fn plain_builder(stand_in: &StandIn) -> clerk_actix::ClerkBuilder {
    clerk_actix::Clerk::builder()
        .secret_key(stand_in.secret_key())
        .api_url(stand_in.url())
}

/// A `Set-Cookie` value as a cookie: name, value and the attributes, in any
/// order (this crate builds them with the `cookie` crate, which writes
/// `HttpOnly` before `SameSite`).
fn cookie_parts(value: &str) -> (String, Vec<String>) {
    let mut parts = value.split(';').map(|p| p.trim().to_owned());
    let first = parts.next().unwrap_or_default();
    let mut attributes: Vec<String> = parts.filter(|p| !p.is_empty()).collect();
    attributes.sort();
    (first, attributes)
}

fn same_cookies(ours: &[String], recorded: &[String]) -> bool {
    let mut a: Vec<_> = ours.iter().map(|c| cookie_parts(c)).collect();
    let mut b: Vec<_> = recorded.iter().map(|c| cookie_parts(c)).collect();
    a.sort();
    b.sort();
    a == b
}

async fn app_for(
    clerk: clerk_actix::Clerk,
    accepts: AcceptsToken,
) -> impl actix_web::dev::Service<
    actix_http::Request,
    Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
    Error = actix_web::Error,
> {
    test::init_service(
        App::new()
            .default_service(web::to(move |req: actix_web::HttpRequest| async move {
                let auth = clerk_actix::get_auth_with(&req, accepts)?;
                Ok::<_, actix_web::Error>(
                    HttpResponse::Ok()
                        .insert_header(("x-test-signed-in", auth.is_authenticated().to_string()))
                        .json(auth.treat_pending_as_signed_out(true)),
                )
            }))
            .wrap(
                ClerkMiddleware::builder(clerk)
                    .accepts_token(accepts)
                    .build(),
            ),
    )
    .await
}

fn request_for(request: &Value, url: &str) -> test::TestRequest {
    let mut req = test::TestRequest::default()
        .method(
            request["method"]
                .as_str()
                .unwrap_or("GET")
                .parse()
                .expect("method"),
        )
        .uri(url);
    for (key, value) in request["headers"].as_object().expect("headers") {
        req = req.insert_header((
            HeaderName::try_from(key.as_str()).expect("name"),
            HeaderValue::from_str(value.as_str().unwrap_or_default()).expect("value"),
        ));
    }
    req
}

fn all<B>(res: &actix_web::dev::ServiceResponse<B>, header: &str) -> Vec<String> {
    res.headers()
        .get_all(header)
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

/// One backend-oracle scenario through `ClerkMiddleware`; `Err` says what
/// differs.
pub(crate) async fn replay(case: &Value, stand_in: &StandIn) -> Result<(), String> {
    let name = case["name"].as_str().unwrap_or_default();
    let options = &case["options"];
    let now = case["now_ms"].as_i64().unwrap_or(FROZEN_MS);
    let mut builder = plain_builder(stand_in)
        .publishable_key(options["publishableKey"].as_str().unwrap_or_default())
        .clock(Clock::fixed_millis(now));
    if options.get("jwtKey").is_some() {
        builder = builder.jwt_key(fixtures::text("signing-key.public.pem"));
    }
    if let Some(skew) = options["clockSkewInMs"].as_u64() {
        builder = builder.verify_options(
            clerk_actix::VerifyOptions::default()
                .clock_skew(std::time::Duration::from_millis(skew)),
        );
    }
    if let Some(parties) = options["authorizedParties"].as_array() {
        builder =
            builder.authorized_parties(parties.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    if let Some(key) = options["machineSecretKey"].as_str() {
        builder = builder.machine_secret_key(key);
    }
    builder = crate::multi_domain::apply_options(builder, options);
    let accepts = accepts_of(&options["acceptsToken"]);
    stand_in.with_store(|store| store.clear_canned());
    if let Some(cookies) = case.get("bapiResponseCookies") {
        for request in case["bapiRequests"].as_array().into_iter().flatten() {
            if request["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("/refresh"))
            {
                let path = request["path"].as_str().unwrap_or_default().to_owned();
                stand_in.with_store(|store| {
                    store.canned(
                        "POST",
                        &path,
                        200,
                        serde_json::json!({"object": "cookies", "cookies": cookies}),
                    )
                });
            }
        }
    }
    stand_in.clear_requests();
    let clerk = builder.build().map_err(|e| e.to_string())?;
    let app = app_for(clerk, accepts).await;
    let request = &case["request"];
    let url = request["url"].as_str().unwrap_or_default();
    let res = test::call_service(&app, request_for(request, url).to_request()).await;

    let result = &case["result"];
    let status = result["status"].as_str().unwrap_or_default();
    let recorded_all = |header: &str| -> Vec<String> {
        result["headers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|h| h[0] == header)
            .filter_map(|h| h[1].as_str().map(str::to_owned))
            .collect()
    };
    let recorded = |header: &str| recorded_all(header).into_iter().next();
    let ours = |header: &str| all(&res, header).into_iter().next();
    let check = |what: &str, ours: Option<String>, theirs: Option<String>| {
        if ours == theirs {
            Ok(())
        } else {
            Err(format!("{name}: {what}: ours {ours:?}, Clerk's {theirs:?}"))
        }
    };
    let expected_status = if status == "handshake" { 307 } else { 200 };
    if res.status() != expected_status {
        return Err(format!("{name}: status {} for {status}", res.status()));
    }
    for header in [
        "x-clerk-auth-status",
        "x-clerk-auth-reason",
        "x-clerk-auth-message",
    ] {
        check(header, ours(header), recorded(header))?;
    }
    check("location", ours("location"), recorded("location"))?;
    check(
        "cache-control",
        ours("cache-control"),
        recorded("cache-control"),
    )?;
    let set_cookies = all(&res, "set-cookie");
    if !same_cookies(&set_cookies, &recorded_all("set-cookie")) {
        return Err(format!(
            "{name}: set-cookie: ours {set_cookies:?}, Clerk's {:?}",
            recorded_all("set-cookie")
        ));
    }
    if status == "signed-in" || name.starts_with("machine:") {
        // The auth object serialises to what Clerk's toAuth() gave.
        let expected = &result["toAuth"][0]["authObject"];
        let signed_in = expected["isAuthenticated"].as_bool().unwrap_or_default();
        check(
            "x-test-signed-in",
            ours("x-test-signed-in"),
            Some(signed_in.to_string()),
        )?;
        let body: Value = test::read_body_json(res).await;
        if body != *expected {
            return Err(format!("{name}: auth object {body} vs {expected}"));
        }
    } else if status == "signed-out" {
        check(
            "x-test-signed-in",
            ours("x-test-signed-in"),
            Some("false".to_owned()),
        )?;
    }
    // The Backend API calls Clerk made that are not the JWKS: same method,
    // path and body.
    let theirs: Vec<&Value> = case["bapiRequests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["path"] != "/v1/jwks")
        .collect();
    let ours: Vec<_> = stand_in
        .requests()
        .into_iter()
        .filter(|r| r.path() != "/v1/jwks")
        .collect();
    if theirs.len() != ours.len() {
        return Err(format!(
            "{name}: {} Backend API calls, Clerk made {}",
            ours.len(),
            theirs.len()
        ));
    }
    for (ours, theirs) in ours.iter().zip(theirs) {
        if ours.method() != theirs["method"] || ours.path() != theirs["path"] {
            return Err(format!("{name}: called {} {}", ours.method(), ours.path()));
        }
        if let Some(body) = theirs["body"].as_str() {
            if ours.body() != body {
                return Err(format!("{name}: body {} vs {body}", ours.body()));
            }
        }
        // The machine verify endpoints: the credential and the wire headers
        // too (this crate sends its own User-Agent).
        for header in ["authorization", "clerk-api-version", "content-type"] {
            if let Some(recorded) = theirs[header].as_str() {
                if ours.header(header) != Some(recorded) {
                    return Err(format!(
                        "{name}: {header}: ours {:?}, Clerk's {recorded:?}",
                        ours.header(header)
                    ));
                }
            }
        }
    }
    Ok(())
}

#[actix_web::test]
async fn header_cookie_and_machine_scenarios_agree_with_clerk_backend() {
    let oracle = fixtures::oracle();
    let stand_in = StandIn::builder()
        .issuer(fixtures::clerk_test_issuer())
        .secret_key("sk_test_deadbeef")
        .start()
        .unwrap();
    seed_machine_tokens(&stand_in);
    let mut agree = Vec::new();
    let mut differ = Vec::new();
    let mut failures = Vec::new();
    for case in oracle["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().unwrap_or_default();
        if !["header:", "cookie:", "machine:"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
        {
            continue;
        }
        match (replay(case, &stand_in).await, known_difference(name)) {
            (Ok(()), None) => agree.push(name),
            (Ok(()), Some(why)) => failures.push(format!("{name}: agrees now, drop '{why}'")),
            (Err(_), Some(why)) => differ.push(format!("{name}: {why}")),
            (Err(e), None) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    let count = |prefix: &str| agree.iter().filter(|n| n.starts_with(prefix)).count();
    // 31 header scenarios (the Basic one goes down the cookie path), 26
    // cookie scenarios and 13 machine-token scenarios.
    assert_eq!(agree.len() + differ.len(), 70, "{differ:#?}");
    assert_eq!(differ.len(), 1, "{differ:#?}");
    assert_eq!(count("header:"), 30, "{agree:#?}");
    assert_eq!(count("cookie:"), 26, "{agree:#?}");
    assert_eq!(count("machine:"), 13, "{agree:#?}");
}

/// The browser scenarios of the @clerk/express 2.1.70 oracle (cookies, the
/// handshake redirect), through `ClerkMiddleware`.
#[actix_web::test]
async fn cookie_scenarios_agree_with_clerk_express() {
    let oracle = fixtures::json("oracle.express-2.1.70.json");
    let stand_in = StandIn::builder()
        .issuer(fixtures::clerk_test_issuer())
        .start()
        .unwrap();
    let mut replayed = 0;
    for case in oracle["cases"].as_array().expect("cases") {
        let name = case["name"].as_str().unwrap_or_default();
        let request = &case["request"];
        let headers = request["headers"].as_object().expect("headers");
        let browser = headers.contains_key("cookie")
            || headers.contains_key("sec-fetch-dest") && !headers.contains_key("authorization");
        let no_token = !headers.contains_key("authorization")
            && case["response"]["status"] != 500
            && case["response"]["status"] != 302;
        if !browser && !no_token {
            continue;
        }
        replayed += 1;
        let key = if name.starts_with("dev") {
            "pk_test_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA"
        } else {
            "pk_live_Y2xlcmsuaW5zcGlyZWQucHVtYS03NC5sY2wuZGV2JA"
        };
        let clerk = plain_builder(&stand_in)
            .publishable_key(key)
            .clock(Clock::fixed_millis(FROZEN_MS))
            .build()
            .unwrap();
        let app = app_for(clerk, AcceptsToken::SESSION_TOKEN).await;
        let req = request_for(request, "/path?x=1").insert_header(("host", "127.0.0.1:3000"));
        let res = test::call_service(&app, req.to_request()).await;
        let response = &case["response"];
        assert_eq!(
            res.status(),
            response["status"].as_u64().unwrap() as u16,
            "{name}"
        );
        let recorded: Vec<(String, String)> = response["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h[0].as_str().unwrap().to_owned(),
                    h[1].as_str().unwrap().replace("<port>", "3000"),
                )
            })
            .filter(|(n, _)| n != "content-type")
            .collect();
        for header in [
            "x-clerk-auth-status",
            "x-clerk-auth-reason",
            "x-clerk-auth-message",
            "location",
            "cache-control",
        ] {
            let theirs = recorded
                .iter()
                .find(|(n, _)| n == header)
                .map(|(_, v)| v.clone());
            assert_eq!(
                all(&res, header).into_iter().next(),
                theirs,
                "{name}: {header}"
            );
        }
        let theirs: Vec<String> = response["setCookie"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        assert!(same_cookies(&all(&res, "set-cookie"), &theirs), "{name}");
        if res.status() == 200 {
            let body: Value = test::read_body_json(res).await;
            let expected = &response["body"]["getAuth"];
            for field in ["userId", "sessionId", "isAuthenticated", "tokenType"] {
                assert_eq!(body[field], expected[field], "{name}: {field}");
            }
        }
    }
    assert_eq!(replayed, 6);
}

#[actix_web::test]
async fn auth_object_json_matches_clerk_for_signed_out_requests() {
    let oracle = fixtures::json("oracle.express-2.1.70.json");
    let case = oracle["cases"]
        .as_array()
        .and_then(|cases| {
            cases
                .iter()
                .find(|c| c["name"] == "prod, no cookies -> 200 signed-out")
        })
        .expect("case")
        .clone();
    let mut expected = case["response"]["body"]["getAuth"].clone();
    let signed_out = serde_json::to_value(Auth::signed_out()).expect("json");
    // Express's recording dropped `sessionClaims` (always null when signed out).
    let mut ours = signed_out.clone();
    ours.as_object_mut().map(|o| o.remove("sessionClaims"));
    expected.as_object_mut().map(|o| o.remove("sessionClaims"));
    assert_eq!(ours, expected);
    assert_eq!(signed_out["sessionClaims"], Value::Null);
}

/// A session token without `sid` (a JWT template's, say): Clerk's object has
/// `sessionId: undefined`, so its JSON has no such key; ours neither.
#[actix_web::test]
async fn auth_object_json_omits_session_id_without_sid() {
    let stand_in = StandIn::start().unwrap();
    let clerk = stand_in.clerk().unwrap();
    let token = stand_in.session_token("user_1").without_claim("sid").sign();
    let json =
        serde_json::to_value(Auth::from_claims(clerk.verify_token(&token).await.unwrap())).unwrap();
    assert_eq!(json["userId"], "user_1");
    assert_eq!(json["tokenType"], "session_token");
    assert!(json.get("sessionId").is_none(), "{json}");
    // With one, and signed out (`null` there, as in Clerk's signed-out object).
    let token = stand_in.session_token("user_1").session_id("sess_1").sign();
    let json =
        serde_json::to_value(Auth::from_claims(clerk.verify_token(&token).await.unwrap())).unwrap();
    assert_eq!(json["sessionId"], "sess_1");
    let json = serde_json::to_value(Auth::signed_out()).unwrap();
    assert_eq!(json.get("sessionId"), Some(&Value::Null));
    // `TokenType` serialises to the same strings as the objects' `tokenType`.
    for kind in [
        TokenType::SessionToken,
        TokenType::ApiKey,
        TokenType::M2mToken,
        TokenType::OAuthToken,
    ] {
        assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        let machine = serde_json::to_value(Auth::signed_out().accepting(kind)).unwrap();
        assert_eq!(machine["tokenType"], serde_json::to_value(kind).unwrap());
    }
}
