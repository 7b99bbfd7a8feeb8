//! Instance-level lists: `/v1/invitations`, `/v1/allowlist_identifiers`,
//! and `/v1/clients/handshake_payload`.

use serde_json::{json, Map, Value};

use super::util::{
    body_bool, body_int, body_object, body_required, body_str, check_known, contains_ci,
    list_answer, now_ms, page, sort_by_field, text, Query,
};
use super::{random_id, Answer, Call, Reply, Store};

const INVITATION_STATUSES: &[&str] = &["pending", "accepted", "revoked", "expired"];

pub(super) fn route(store: &mut Store, call: &Call<'_>, path: &[&str]) -> Option<Answer> {
    Some(match (call.method, path) {
        ("GET", ["invitations"]) => list_invitations(store, call.query),
        ("POST", ["invitations"]) => create_invitation(store, call.body),
        ("POST", ["invitations", id, "revoke"]) => revoke_invitation(store, id),
        ("GET", ["allowlist_identifiers"]) => list_allowlist(store, call.query),
        ("POST", ["allowlist_identifiers"]) => create_allowlist(store, call.body),
        ("DELETE", ["allowlist_identifiers", id]) => delete_allowlist(store, id),
        ("GET", ["clients", "handshake_payload"]) => handshake(store, call.query),
        _ => return None,
    })
}

// ---------------------------------------------------------- invitations --

pub(super) fn insert_invitation(store: &mut Store, invitation: Value) -> String {
    let mut invitation = match invitation {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let id = invitation
        .get("id")
        .and_then(Value::as_str)
        .map_or_else(|| random_id("inv"), str::to_owned);
    let now = now_ms();
    let defaults = json!({
        "object": "invitation", "id": id, "email_address": "", "public_metadata": {},
        "revoked": false, "status": "pending", "url": null,
        "expires_at": now + 30 * 86_400_000, "created_at": now, "updated_at": now,
    });
    if let Value::Object(defaults) = defaults {
        for (key, value) in defaults {
            invitation.entry(key).or_insert(value);
        }
    }
    invitation.insert("id".into(), Value::String(id.clone()));
    store.invitations.push(Value::Object(invitation));
    id
}

fn list_invitations(store: &Store, query: Query<'_>) -> Answer {
    let status = query.one("status");
    if let Some(status) = status {
        if !INVITATION_STATUSES.contains(&status) {
            return Err(Reply::invalid(
                "status",
                &format!("must be one of {}.", INVITATION_STATUSES.join(", ")),
            ));
        }
    }
    let text_query = query.one("query");
    let (field, descending) = query.order_by(
        "-created_at",
        &["created_at", "email_address", "expires_at"],
    )?;
    let as_page = query.paginated()?;
    let paging = query.page()?;
    let mut rows: Vec<(usize, Value)> = store
        .invitations
        .iter()
        .filter(|i| {
            status.is_none_or(|s| i["status"] == s)
                && text_query.is_none_or(|q| contains_ci(text(&i["email_address"]), q))
        })
        .cloned()
        .enumerate()
        .collect();
    sort_by_field(&mut rows, descending, |i| i[field.as_str()].clone());
    let all: Vec<Value> = rows.into_iter().map(|(_, i)| i).collect();
    list_answer(page(&all, paging), all.len(), as_page)
}

fn create_invitation(store: &mut Store, body: &Value) -> Answer {
    check_known(
        body,
        &[
            "email_address",
            "public_metadata",
            "redirect_url",
            "notify",
            "ignore_existing",
            "expires_in_days",
            "template_slug",
        ],
    )?;
    let email = body_required(body, "email_address")?;
    if !email.contains('@') {
        return Err(Reply::invalid(
            "email_address",
            "must be a valid email address.",
        ));
    }
    let ignore_existing = body_bool(body, "ignore_existing")?.unwrap_or(false);
    body_bool(body, "notify")?;
    if let Some(slug) = body_str(body, "template_slug")? {
        if slug != "invitation" && slug != "waitlist_invitation" {
            return Err(Reply::invalid(
                "template_slug",
                "must be invitation or waitlist_invitation.",
            ));
        }
    }
    let pending = store.invitations.iter().any(|i| {
        i["status"] == "pending" && text(&i["email_address"]).eq_ignore_ascii_case(&email)
    });
    if pending && !ignore_existing {
        return Err(Reply::error_with(
            422,
            "duplicate_record",
            "duplicate invitation",
            "There are already pending invitations for the following email addresses",
            json!({"param_name": "email_address", "email_addresses": [email]}),
        ));
    }
    let days = body_int(body, "expires_in_days")?.unwrap_or(30);
    if !(1..=365).contains(&days) {
        return Err(Reply::invalid(
            "expires_in_days",
            "must be between 1 and 365.",
        ));
    }
    let now = now_ms();
    let id = random_id("inv");
    let url = body_str(body, "redirect_url")?
        .map(|u| format!("{u}?__clerk_ticket={id}"))
        .unwrap_or_else(|| format!("https://accounts.stand-in.test/sign-up?__clerk_ticket={id}"));
    let invitation = json!({
        "object": "invitation",
        "id": id,
        "email_address": email,
        "public_metadata": body_object(body, "public_metadata")?.unwrap_or_default(),
        "revoked": false,
        "status": "pending",
        "url": url,
        "expires_at": now + days * 86_400_000,
        "created_at": now,
        "updated_at": now,
    });
    store.invitations.push(invitation.clone());
    Ok(Reply::ok(invitation))
}

fn revoke_invitation(store: &mut Store, id: &str) -> Answer {
    let Some(invitation) = store.invitations.iter_mut().find(|i| i["id"] == id) else {
        return Err(Reply::not_found());
    };
    if invitation["status"] != "pending" {
        return Err(Reply::error(
            400,
            "invitation_not_pending",
            "Only pending invitations can be revoked.",
        ));
    }
    invitation["status"] = json!("revoked");
    invitation["revoked"] = json!(true);
    invitation["updated_at"] = json!(now_ms());
    Ok(Reply::ok(invitation.clone()))
}

// ------------------------------------------------------------ allowlist --

fn list_allowlist(store: &Store, query: Query<'_>) -> Answer {
    let as_page = query.paginated()?;
    let paging = query.page()?;
    let mut rows: Vec<(usize, Value)> = store.allowlist.iter().cloned().enumerate().collect();
    sort_by_field(&mut rows, true, |a| a["created_at"].clone());
    let all: Vec<Value> = rows.into_iter().map(|(_, a)| a).collect();
    list_answer(page(&all, paging), all.len(), as_page)
}

fn identifier_type(identifier: &str) -> &'static str {
    if identifier.contains('@') {
        "email_address"
    } else if identifier.starts_with("0x") {
        "web3_wallet"
    } else {
        "phone_number"
    }
}

fn create_allowlist(store: &mut Store, body: &Value) -> Answer {
    check_known(body, &["identifier", "notify"])?;
    let identifier = body_required(body, "identifier")?;
    body_bool(body, "notify")?;
    if store
        .allowlist
        .iter()
        .any(|a| text(&a["identifier"]).eq_ignore_ascii_case(&identifier))
    {
        return Err(Reply::error_with(
            422,
            "duplicate_record",
            "duplicate allowlist identifier",
            "This identifier is already in the allowlist.",
            json!({"param_name": "identifier"}),
        ));
    }
    let now = now_ms();
    let entry = json!({
        "object": "allowlist_identifier",
        "id": random_id("alid"),
        "identifier": identifier,
        "identifier_type": identifier_type(&identifier),
        "instance_id": "ins_stand_in",
        "invitation_id": null,
        "created_at": now,
        "updated_at": now,
    });
    store.allowlist.push(entry.clone());
    Ok(Reply::ok(entry))
}

fn delete_allowlist(store: &mut Store, id: &str) -> Answer {
    let Some(index) = store.allowlist.iter().position(|a| a["id"] == id) else {
        return Err(Reply::not_found());
    };
    store.allowlist.remove(index);
    Ok(Reply::ok(json!({
        "object": "allowlist_identifier", "id": id, "deleted": true,
    })))
}

// -------------------------------------------------------------- clients --

fn handshake(store: &mut Store, query: Query<'_>) -> Answer {
    let Some(nonce) = query.one("nonce").filter(|n| !n.is_empty()) else {
        return Err(Reply::missing("nonce"));
    };
    // A nonce of the Frontend API stand-in's handshakes: once only.
    if let Some(directives) = store.frontend.nonces.remove(nonce) {
        return Ok(Reply::ok(json!({ "directives": directives })));
    }
    if store.frontend.nonces_only {
        return Err(Reply::not_found());
    }
    Ok(Reply::ok(
        json!({ "directives": store.handshake_directives }),
    ))
}
