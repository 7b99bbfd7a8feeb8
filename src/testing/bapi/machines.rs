//! Machine authentication: `/api_keys…`, `/m2m_tokens…` and
//! `/oauth_applications/access_tokens/verify` (unversioned, as the JS SDK
//! calls them; the `/v1` forms the OpenAPI file lists are served too), and
//! `/v1/machines…`.
//!
//! Secrets are stored with their objects and never rendered except where the
//! real API shows them (create, get secret). Verify answers 404 for unknown,
//! revoked and expired tokens.

use serde_json::{json, Map, Value};

use super::util::{
    body_int, body_required, body_str, body_strings, check_known, now_ms, page, paginated, Query,
};
use super::{Answer, Call, Reply, Store};

/// `prefix_` and `bytes` random bytes in hex.
fn hex_id(prefix: &str, bytes: usize) -> String {
    let mut raw = vec![0u8; bytes];
    let _ = aws_lc_rs::rand::fill(&mut raw);
    let mut id = String::with_capacity(prefix.len() + 1 + 2 * bytes);
    id.push_str(prefix);
    id.push('_');
    for byte in raw {
        id.push_str(&format!("{byte:02x}"));
    }
    id
}

/// A string the caller chose (e.g. a recorded token), else `None`.
fn given(object: &Map<String, Value>, field: &str) -> Option<String> {
    object.get(field).and_then(Value::as_str).map(str::to_owned)
}

/// The public form of a stored token object: without its secret.
fn public(object: &Value, secret_field: &str) -> Value {
    let mut object = object.clone();
    if let Value::Object(map) = &mut object {
        map.remove(secret_field);
        let expired = map
            .get("expiration")
            .and_then(Value::as_i64)
            .is_some_and(|exp| exp <= now_ms());
        map.insert("expired".into(), expired.into());
    }
    object
}

fn valid(object: &Value) -> bool {
    object["revoked"] != true
        && object["expiration"]
            .as_i64()
            .is_none_or(|exp| exp > now_ms())
}

fn expiration(body: &Value) -> Result<Option<i64>, Reply> {
    match body.get("seconds_until_expiration") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(secs) if secs > 0.0 => Ok(Some(now_ms() + (secs * 1000.0) as i64)),
            _ => Err(Reply::invalid(
                "seconds_until_expiration",
                "must be greater than 0.",
            )),
        },
        Some(_) => Err(Reply::invalid(
            "seconds_until_expiration",
            "must be a number.",
        )),
    }
}

// ------------------------------------------------------------- store --

pub(super) fn insert_api_key(store: &mut Store, key: Value) -> String {
    let key = match key {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let now = now_ms();
    let secret = given(&key, "secret").unwrap_or_else(|| hex_id("ak", 24));
    let mut object = json!({
        "object": "api_key", "id": hex_id("ak", 16), "type": "api_key", "name": "api key",
        "subject": "", "description": null, "claims": null, "scopes": [], "revoked": false,
        "revocation_reason": null, "expired": false, "expiration": null, "created_by": null,
        "last_used_at": null, "created_at": now, "updated_at": now,
    });
    if let Value::Object(map) = &mut object {
        if let Some(secs) = key.get("seconds_until_expiration").and_then(Value::as_f64) {
            map.insert("expiration".into(), (now + (secs * 1000.0) as i64).into());
        }
        for (name, value) in key {
            if name != "seconds_until_expiration" {
                map.insert(name, value);
            }
        }
        map.insert("secret".into(), secret.clone().into());
    }
    store.api_keys.push(object);
    secret
}

pub(super) fn insert_machine(store: &mut Store, machine: Value) -> String {
    let machine = match machine {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let now = now_ms();
    let id = machine
        .get("id")
        .and_then(Value::as_str)
        .map_or_else(|| hex_id("mch", 14), str::to_owned);
    let mut object = json!({
        "object": "machine", "id": id, "name": "machine", "instance_id": "ins_stand_in",
        "default_token_ttl": 3600, "scoped_machines": [], "created_at": now, "updated_at": now,
    });
    if let Value::Object(map) = &mut object {
        for (name, value) in machine {
            map.insert(name, value);
        }
        if !map.get("secret_key").is_some_and(Value::is_string) {
            map.insert("secret_key".into(), hex_id("ak", 24).into());
        }
    }
    store.machines.push(object);
    id
}

pub(super) fn insert_m2m_token(store: &mut Store, machine_id: &str, token: Value) -> String {
    let token = match token {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let now = now_ms();
    let ttl = store
        .machines
        .iter()
        .find(|m| m["id"] == machine_id)
        .and_then(|m| m["default_token_ttl"].as_i64())
        .unwrap_or(3600);
    let scopes: Vec<Value> = store
        .machines
        .iter()
        .find(|m| m["id"] == machine_id)
        .and_then(|m| m["scoped_machines"].as_array())
        .map(|scoped| scoped.iter().map(|s| s["id"].clone()).collect())
        .unwrap_or_default();
    let secret = given(&token, "token").unwrap_or_else(|| hex_id("mt", 24));
    let mut object = json!({
        "object": "machine_to_machine_token", "id": hex_id("mt", 16), "subject": machine_id,
        "claims": null, "scopes": scopes, "revoked": false, "revocation_reason": null,
        "expired": false, "expiration": now + ttl * 1000, "last_used_at": null,
        "created_at": now, "updated_at": now,
    });
    if let Value::Object(map) = &mut object {
        if let Some(secs) = token
            .get("seconds_until_expiration")
            .and_then(Value::as_f64)
        {
            map.insert("expiration".into(), (now + (secs * 1000.0) as i64).into());
        }
        for (name, value) in token {
            if !matches!(
                name.as_str(),
                "seconds_until_expiration" | "token_format" | "min_remaining_ttl_seconds"
            ) {
                map.insert(name, value);
            }
        }
        map.insert("token".into(), secret.clone().into());
    }
    store.m2m_tokens.push(object);
    secret
}

pub(super) fn insert_oauth_token(store: &mut Store, token: Value) -> String {
    let token = match token {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let now = now_ms();
    let secret = given(&token, "token").unwrap_or_else(|| hex_id("oat", 24));
    let mut object = json!({
        "object": "clerk_idp_oauth_access_token", "id": hex_id("oat", 16),
        "client_id": "client_stand_in", "type": "oauth:access_token", "subject": "",
        "scopes": [], "revoked": false, "revocation_reason": null, "expired": false,
        "expiration": now + 3_600_000, "created_at": now, "updated_at": now,
    });
    if let Value::Object(map) = &mut object {
        for (name, value) in token {
            map.insert(name, value);
        }
        map.insert("token".into(), secret.clone().into());
    }
    store.oauth_tokens.push(object);
    secret
}

/// Revokes the API key, M2M token or OAuth token whose secret is `secret`.
pub(super) fn revoke_secret(store: &mut Store, secret: &str) -> bool {
    let lists = [
        (&mut store.api_keys, "secret"),
        (&mut store.m2m_tokens, "token"),
        (&mut store.oauth_tokens, "token"),
    ];
    for (list, field) in lists {
        if let Some(object) = list.iter_mut().find(|o| o[field] == secret) {
            object["revoked"] = true.into();
            object["updated_at"] = now_ms().into();
            return true;
        }
    }
    false
}

/// Whether `key` is the secret key of a machine (for the M2M endpoints).
pub(crate) fn machine_of_secret<'a>(store: &'a Store, key: &str) -> Option<&'a str> {
    store
        .machines
        .iter()
        .find(|m| m["secret_key"] == key)
        .and_then(|m| m["id"].as_str())
}

// ------------------------------------------------------------ routes --

/// `/api_keys…`, `/m2m_tokens…`, `/oauth_applications/access_tokens/verify`
/// and `/machines…`, with or without `/v1`.
pub(super) fn route(
    store: &mut Store,
    call: &Call<'_>,
    path: &[&str],
    credential: Option<&str>,
) -> Option<Answer> {
    Some(match (call.method, path) {
        ("POST", ["api_keys", "verify"]) => verify(store, ApiList::ApiKeys, call.body, "secret"),
        ("POST", ["api_keys"]) => create_api_key(store, call.body),
        ("GET", ["api_keys"]) => list_api_keys(store, call.query),
        ("GET", ["api_keys", id]) => {
            find(&store.api_keys, id).map(|i| Reply::ok(public(&store.api_keys[i], "secret")))
        }
        ("PATCH", ["api_keys", id]) => update_api_key(store, id, call.body),
        ("DELETE", ["api_keys", id]) => find(&store.api_keys, id).map(|i| {
            store.api_keys.remove(i);
            Reply::ok(json!({"object": "api_key", "id": id, "deleted": true}))
        }),
        ("GET", ["api_keys", id, "secret"]) => find(&store.api_keys, id)
            .map(|i| Reply::ok(json!({"secret": store.api_keys[i]["secret"]}))),
        ("POST", ["api_keys", id, "revoke"]) => revoke(store, ApiList::ApiKeys, id, call.body),
        ("POST", ["m2m_tokens", "verify"]) => verify(store, ApiList::M2m, call.body, "token"),
        ("POST", ["m2m_tokens"]) => create_m2m_token(store, call.body, credential),
        ("GET", ["m2m_tokens"]) => list_m2m_tokens(store, call.query),
        ("POST", ["m2m_tokens", id, "revoke"]) => revoke(store, ApiList::M2m, id, call.body),
        ("POST", ["oauth_applications", "access_tokens", "verify"]) => {
            verify(store, ApiList::OAuth, call.body, "access_token")
        }
        ("GET", ["machines"]) => list_machines(store, call.query),
        ("POST", ["machines"]) => create_machine(store, call.body),
        ("GET", ["machines", id]) => {
            find(&store.machines, id).map(|i| Reply::ok(public(&store.machines[i], "secret_key")))
        }
        ("PATCH", ["machines", id]) => update_machine(store, id, call.body),
        ("DELETE", ["machines", id]) => find(&store.machines, id).map(|i| {
            store.machines.remove(i);
            Reply::ok(json!({"object": "machine", "id": id, "deleted": true}))
        }),
        ("GET", ["machines", id, "secret_key"]) => find(&store.machines, id).map(|i| {
            Reply::ok(
                json!({"object": "machine_secret_key", "secret": store.machines[i]["secret_key"]}),
            )
        }),
        ("POST", ["machines", id, "secret_key", "rotate"]) => rotate(store, id, call.body),
        ("POST", ["machines", id, "scopes"]) => add_scope(store, id, call.body),
        ("DELETE", ["machines", id, "scopes", other]) => remove_scope(store, id, other),
        _ => return None,
    })
}

#[derive(Clone, Copy)]
enum ApiList {
    ApiKeys,
    M2m,
    OAuth,
}

impl ApiList {
    fn items(self, store: &mut Store) -> &mut Vec<Value> {
        match self {
            ApiList::ApiKeys => &mut store.api_keys,
            ApiList::M2m => &mut store.m2m_tokens,
            ApiList::OAuth => &mut store.oauth_tokens,
        }
    }

    fn secret_field(self) -> &'static str {
        match self {
            ApiList::ApiKeys => "secret",
            _ => "token",
        }
    }
}

fn find(items: &[Value], id: &str) -> Result<usize, Reply> {
    items
        .iter()
        .position(|o| o["id"] == id)
        .ok_or_else(Reply::not_found)
}

fn verify(store: &mut Store, list: ApiList, body: &Value, field: &str) -> Answer {
    check_known(body, &[field])?;
    let secret = body_required(body, field)?;
    let secret_field = list.secret_field();
    let items = list.items(store);
    let Some(object) = items
        .iter_mut()
        .find(|o| o[secret_field] == secret.as_str())
    else {
        return Err(Reply::not_found());
    };
    if !valid(object) {
        return Err(Reply::not_found());
    }
    object["last_used_at"] = now_ms().into();
    Ok(Reply::ok(public(object, secret_field)))
}

fn revoke(store: &mut Store, list: ApiList, id: &str, body: &Value) -> Answer {
    check_known(body, &["revocation_reason"])?;
    let reason = body_str(body, "revocation_reason")?;
    let secret_field = list.secret_field();
    let items = list.items(store);
    let index = find(items, id)?;
    let object = &mut items[index];
    object["revoked"] = true.into();
    object["revocation_reason"] = reason.map_or(Value::Null, Value::String);
    object["updated_at"] = now_ms().into();
    Ok(Reply::ok(public(object, secret_field)))
}

fn subject_ok(subject: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|p| subject.starts_with(p))
}

fn create_api_key(store: &mut Store, body: &Value) -> Answer {
    check_known(
        body,
        &[
            "type",
            "name",
            "subject",
            "description",
            "claims",
            "scopes",
            "created_by",
            "seconds_until_expiration",
        ],
    )?;
    let name = body_required(body, "name")?;
    let subject = body_required(body, "subject")?;
    if !subject_ok(&subject, &["user_", "org_", "mch_", "scim_"]) {
        return Err(Reply::invalid(
            "subject",
            "must be a user, organization or machine id.",
        ));
    }
    let scopes = body_strings(body, "scopes")?;
    let expiration = expiration(body)?;
    let secret = insert_api_key(
        store,
        json!({
            "name": name, "subject": subject, "scopes": scopes,
            "claims": body.get("claims").cloned().unwrap_or(Value::Null),
            "description": body_str(body, "description")?,
            "created_by": body_str(body, "created_by")?,
            "expiration": expiration,
        }),
    );
    let object = store
        .api_keys
        .iter()
        .find(|k| k["secret"] == secret.as_str())
        .cloned()
        .unwrap_or(Value::Null);
    // The one answer that shows the secret.
    let mut shown = public(&object, "secret");
    shown["secret"] = secret.into();
    Ok(Reply::ok(shown))
}

fn list_api_keys(store: &Store, query: Query<'_>) -> Answer {
    let Some(subject) = query.one("subject") else {
        return Err(Reply::missing("subject"));
    };
    let include_invalid = query.bool("include_invalid")?.unwrap_or(false);
    let matching: Vec<Value> = store
        .api_keys
        .iter()
        .filter(|k| k["subject"] == subject && (include_invalid || valid(k)))
        .filter(|k| {
            query
                .one("query")
                .is_none_or(|q| k["name"].as_str().unwrap_or_default().contains(q))
        })
        .map(|k| public(k, "secret"))
        .collect();
    paginated(page(&matching, query.page()?), matching.len())
}

fn update_api_key(store: &mut Store, id: &str, body: &Value) -> Answer {
    check_known(
        body,
        &["claims", "scopes", "subject", "seconds_until_expiration"],
    )?;
    let index = find(&store.api_keys, id)?;
    let expiration = expiration(body)?;
    let scopes = body
        .get("scopes")
        .map(|_| body_strings(body, "scopes"))
        .transpose()?;
    let subject = body_str(body, "subject")?;
    let object = &mut store.api_keys[index];
    if let Some(claims) = body.get("claims") {
        object["claims"] = claims.clone();
    }
    if let Some(scopes) = scopes {
        object["scopes"] = json!(scopes);
    }
    if let Some(subject) = subject {
        object["subject"] = subject.into();
    }
    if expiration.is_some() {
        object["expiration"] = expiration.into();
    }
    object["updated_at"] = now_ms().into();
    Ok(Reply::ok(public(object, "secret")))
}

fn create_m2m_token(store: &mut Store, body: &Value, credential: Option<&str>) -> Answer {
    check_known(
        body,
        &[
            "seconds_until_expiration",
            "claims",
            "token_format",
            "min_remaining_ttl_seconds",
        ],
    )?;
    // The machine is the one whose secret key made the call.
    let Some(machine) = credential
        .and_then(|key| machine_of_secret(store, key))
        .map(str::to_owned)
    else {
        return Err(Reply::error(
            401,
            "authentication_invalid",
            "M2M tokens are created with a machine secret key.",
        ));
    };
    if let Some(format) = body_str(body, "token_format")? {
        if format != "opaque" {
            return Err(Reply::invalid(
                "token_format",
                "is not supported by the stand-in (opaque only).",
            ));
        }
    }
    expiration(body)?;
    let token = insert_m2m_token(store, &machine, body.clone());
    let object = store
        .m2m_tokens
        .iter()
        .find(|t| t["token"] == token.as_str())
        .cloned()
        .unwrap_or(Value::Null);
    let mut shown = public(&object, "token");
    shown["token"] = token.into();
    Ok(Reply::with_status(201, shown))
}

fn list_m2m_tokens(store: &Store, query: Query<'_>) -> Answer {
    let Some(subject) = query.one("subject") else {
        return Err(Reply::missing("subject"));
    };
    let revoked = query.bool("revoked")?;
    let expired = query.bool("expired")?;
    let matching: Vec<Value> = store
        .m2m_tokens
        .iter()
        .filter(|t| t["subject"] == subject)
        .map(|t| public(t, "token"))
        .filter(|t| revoked.is_none_or(|r| t["revoked"] == r))
        .filter(|t| expired.is_none_or(|e| t["expired"] == e))
        .collect();
    let total = matching.len();
    Ok(Reply::ok(json!({
        "m2m_tokens": page(&matching, query.page()?),
        "total_count": total,
    })))
}

fn render_machine(store: &Store, machine: &Value) -> Value {
    let mut shown = public(machine, "secret_key");
    if let Value::Object(map) = &mut shown {
        map.remove("expired");
        let scoped: Vec<Value> = machine["scoped_machines"]
            .as_array()
            .map(|ids| {
                ids.iter()
                    .filter_map(|s| store.machines.iter().find(|m| m["id"] == s["id"]))
                    .map(|m| {
                        let mut m = public(m, "secret_key");
                        if let Value::Object(map) = &mut m {
                            map.remove("expired");
                            map.remove("scoped_machines");
                        }
                        m
                    })
                    .collect()
            })
            .unwrap_or_default();
        map.insert("scoped_machines".into(), Value::Array(scoped));
    }
    shown
}

fn list_machines(store: &Store, query: Query<'_>) -> Answer {
    let matching: Vec<Value> = store
        .machines
        .iter()
        .rev()
        .filter(|m| {
            query.one("query").is_none_or(|q| {
                m["name"].as_str().unwrap_or_default().contains(q)
                    || m["id"].as_str().unwrap_or_default().contains(q)
            })
        })
        .map(|m| render_machine(store, m))
        .collect();
    paginated(page(&matching, query.page()?), matching.len())
}

fn create_machine(store: &mut Store, body: &Value) -> Answer {
    check_known(body, &["name", "scoped_machines", "default_token_ttl"])?;
    let name = body_required(body, "name")?;
    let scoped = body_strings(body, "scoped_machines")?;
    let ttl = body_int(body, "default_token_ttl")?.unwrap_or(3600);
    if ttl < 1 {
        return Err(Reply::invalid("default_token_ttl", "must be at least 1."));
    }
    for id in &scoped {
        find(&store.machines, id)?;
    }
    let scoped: Vec<Value> = scoped.into_iter().map(|id| json!({"id": id})).collect();
    let id = insert_machine(
        store,
        json!({"name": name, "default_token_ttl": ttl, "scoped_machines": scoped}),
    );
    let index = find(&store.machines, &id)?;
    let mut shown = render_machine(store, &store.machines[index]);
    shown["secret_key"] = store.machines[index]["secret_key"].clone();
    Ok(Reply::ok(shown))
}

fn update_machine(store: &mut Store, id: &str, body: &Value) -> Answer {
    check_known(body, &["name", "default_token_ttl"])?;
    let index = find(&store.machines, id)?;
    let name = body_str(body, "name")?;
    let ttl = body_int(body, "default_token_ttl")?;
    let machine = &mut store.machines[index];
    if let Some(name) = name {
        machine["name"] = name.into();
    }
    if let Some(ttl) = ttl {
        machine["default_token_ttl"] = ttl.into();
    }
    machine["updated_at"] = now_ms().into();
    Ok(Reply::ok(render_machine(store, &store.machines[index])))
}

fn rotate(store: &mut Store, id: &str, body: &Value) -> Answer {
    check_known(body, &["previous_token_ttl"])?;
    let ttl = body_int(body, "previous_token_ttl")?
        .ok_or_else(|| Reply::missing("previous_token_ttl"))?;
    if !(0..=28_800).contains(&ttl) {
        return Err(Reply::invalid(
            "previous_token_ttl",
            "must be between 0 and 28800.",
        ));
    }
    let index = find(&store.machines, id)?;
    let secret = hex_id("ak", 24);
    store.machines[index]["secret_key"] = secret.clone().into();
    Ok(Reply::ok(
        json!({"object": "machine_secret_key", "secret": secret}),
    ))
}

fn add_scope(store: &mut Store, id: &str, body: &Value) -> Answer {
    check_known(body, &["to_machine_id"])?;
    let to = body_required(body, "to_machine_id")?;
    find(&store.machines, &to)?;
    let index = find(&store.machines, id)?;
    let machine = &mut store.machines[index];
    let scoped = machine["scoped_machines"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if !scoped.iter().any(|s| s["id"] == to.as_str()) {
        let mut scoped = scoped;
        scoped.push(json!({"id": to}));
        machine["scoped_machines"] = Value::Array(scoped);
    }
    Ok(Reply::ok(json!({
        "object": "machine_scope", "from_machine_id": id, "to_machine_id": to,
        "created_at": now_ms(),
    })))
}

fn remove_scope(store: &mut Store, id: &str, other: &str) -> Answer {
    let index = find(&store.machines, id)?;
    let machine = &mut store.machines[index];
    let scoped = machine["scoped_machines"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if !scoped.iter().any(|s| s["id"] == other) {
        return Err(Reply::not_found());
    }
    let kept: Vec<Value> = scoped.into_iter().filter(|s| s["id"] != other).collect();
    machine["scoped_machines"] = Value::Array(kept);
    Ok(Reply::ok(json!({
        "object": "machine_scope", "from_machine_id": id, "to_machine_id": other,
        "deleted": true,
    })))
}
