//! `/v1/sessions…`

use serde_json::{json, Map, Value};

use super::util::{
    body_int, body_object, body_required, body_str, check_known, list_answer, now_ms, page,
    session_jwt, sort_by_field, text, Query,
};
use super::{random_id, Answer, Call, Reply, Store};

const STATUSES: &[&str] = &[
    "abandoned",
    "active",
    "ended",
    "expired",
    "removed",
    "replaced",
    "revoked",
    "pending",
];

pub(super) fn route(store: &mut Store, call: &Call<'_>, path: &[&str]) -> Option<Answer> {
    Some(match (call.method, path) {
        ("GET", []) => list(store, call.query),
        ("POST", []) => create(store, call.body),
        ("GET", [id]) => find(store, id).map(|i| Reply::ok(store.sessions[i].clone())),
        ("POST", [id, "revoke"]) => revoke(store, id),
        ("POST", [id, "tokens"]) => token(store, id, None, call.body),
        ("POST", [id, "tokens", template]) => token(store, id, Some(template), call.body),
        ("POST", [id, "refresh"]) => refresh(store, id, call),
        _ => return None,
    })
}

fn find(store: &Store, id: &str) -> Result<usize, Reply> {
    store
        .sessions
        .iter()
        .position(|s| s["id"] == id)
        .ok_or_else(Reply::not_found)
}

pub(super) fn insert(store: &mut Store, session: Value) -> String {
    let mut session = match session {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let id = session
        .get("id")
        .and_then(Value::as_str)
        .map_or_else(|| random_id("sess"), str::to_owned);
    let now = now_ms();
    let defaults = json!({
        "object": "session", "id": id, "user_id": "", "client_id": random_id("client"),
        "actor": null, "status": "active", "last_active_organization_id": null,
        "last_active_at": now, "expire_at": now + 7 * 86_400_000,
        "abandon_at": now + 30 * 86_400_000, "created_at": now, "updated_at": now,
        "tasks": null,
    });
    if let Value::Object(defaults) = defaults {
        for (key, value) in defaults {
            session.entry(key).or_insert(value);
        }
    }
    session.insert("id".into(), Value::String(id.clone()));
    store.sessions.push(Value::Object(session));
    id
}

fn list(store: &Store, query: Query<'_>) -> Answer {
    let user_id = query.one("user_id");
    let client_id = query.one("client_id");
    let status = query.one("status");
    if let Some(status) = status {
        if !STATUSES.contains(&status) {
            return Err(Reply::invalid(
                "status",
                &format!("must be one of {}.", STATUSES.join(", ")),
            ));
        }
    }
    let as_page = query.paginated()?;
    let paging = query.page()?;
    let mut rows: Vec<(usize, Value)> = store
        .sessions
        .iter()
        .filter(|s| {
            user_id.is_none_or(|u| s["user_id"] == u)
                && client_id.is_none_or(|c| s["client_id"] == c)
                && status.is_none_or(|st| s["status"] == st)
        })
        .cloned()
        .enumerate()
        .collect();
    sort_by_field(&mut rows, true, |s| s["created_at"].clone());
    let all: Vec<Value> = rows.into_iter().map(|(_, s)| s).collect();
    list_answer(page(&all, paging), all.len(), as_page)
}

fn create(store: &mut Store, body: &Value) -> Answer {
    check_known(body, &["user_id", "active_organization_id"])?;
    let user_id = body_required(body, "user_id")?;
    if !store.users.iter().any(|u| u["id"] == user_id.as_str()) {
        return Err(Reply::not_found());
    }
    let org = body_str(body, "active_organization_id")?;
    let id = insert(
        store,
        json!({"user_id": user_id, "last_active_organization_id": org}),
    );
    let index = find(store, &id)?;
    Ok(Reply::ok(store.sessions[index].clone()))
}

fn revoke(store: &mut Store, id: &str) -> Answer {
    let index = find(store, id)?;
    let session = &mut store.sessions[index];
    session["status"] = json!("revoked");
    session["updated_at"] = json!(now_ms());
    Ok(Reply::ok(session.clone()))
}

fn active(store: &Store, id: &str) -> Result<usize, Reply> {
    let index = find(store, id)?;
    let status = text(&store.sessions[index]["status"]);
    if status == "active" || status == "pending" {
        Ok(index)
    } else {
        Err(Reply::error(
            404,
            "resource_not_found",
            "No active session found with that id.",
        ))
    }
}

fn token(store: &Store, id: &str, template: Option<&str>, body: &Value) -> Answer {
    check_known(body, &["expires_in_seconds"])?;
    let index = active(store, id)?;
    let lifetime = match body_int(body, "expires_in_seconds")? {
        Some(seconds) if seconds <= 0 => {
            return Err(Reply::invalid(
                "expires_in_seconds",
                "must be greater than 0.",
            ))
        }
        Some(seconds) => Some(u64::try_from(seconds).unwrap_or(60)),
        None => None,
    };
    let jwt = session_jwt(
        store.token_issuer.as_ref(),
        &store.sessions[index],
        template,
        lifetime,
        store.frontend.azp.as_deref(),
    );
    Ok(Reply::ok(json!({"object": "token", "jwt": jwt})))
}

fn refresh(store: &Store, id: &str, call: &Call<'_>) -> Answer {
    let body = call.body;
    check_known(
        body,
        &[
            "expired_token",
            "refresh_token",
            "request_origin",
            "request_headers",
            "format",
            "request_originating_ip",
        ],
    )?;
    for required in ["expired_token", "refresh_token", "request_origin"] {
        body_required(body, required)?;
    }
    body_object(body, "request_headers")?;
    body_str(body, "request_originating_ip")?;
    let index = find(store, id)?;
    let status = text(&store.sessions[index]["status"]);
    if status != "active" && status != "pending" {
        return Err(Reply::error(
            401,
            "session_not_active",
            "The session is no longer active.",
        ));
    }
    let jwt = session_jwt(
        store.token_issuer.as_ref(),
        &store.sessions[index],
        None,
        None,
        store.frontend.azp.as_deref(),
    );
    match body_str(body, "format")?.as_deref() {
        None | Some("token") => Ok(Reply::ok(json!({"object": "token", "jwt": jwt}))),
        Some("cookie") => {
            let suffixed = call.query.bool("suffixed_cookies")?.unwrap_or(false);
            let now = now_ms() / 1000;
            let mut cookies = vec![
                format!("__session={jwt}; Path=/; Max-Age=315360000; SameSite=Lax"),
                format!("__client_uat={now}; Path=/; Max-Age=315360000; SameSite=Lax"),
            ];
            // The instance's suffix, as Clerk derives it from the publishable key.
            if let Some(suffix) = store.frontend.cookie_suffix.as_deref().filter(|_| suffixed) {
                cookies.push(format!(
                    "__session_{suffix}={jwt}; Path=/; Max-Age=315360000; SameSite=Lax"
                ));
                cookies.push(format!(
                    "__client_uat_{suffix}={now}; Path=/; Max-Age=315360000; SameSite=Lax"
                ));
            }
            Ok(Reply::ok(json!({"object": "cookies", "cookies": cookies})))
        }
        Some(_) => Err(Reply::invalid("format", "must be token or cookie.")),
    }
}
