//! `/v1/users…`

use serde_json::{json, Map, Value};

use super::organizations::render_membership;
use super::util::{
    apply_metadata, body_bool, body_int, body_object, body_str, body_strings, check_known,
    contains_ci, now_ms, page, paginated, sort_by_field, text, Query,
};
use super::{random_id, Answer, Call, Reply, Store};

const CREATE_PARAMS: &[&str] = &[
    "external_id",
    "first_name",
    "last_name",
    "locale",
    "email_address",
    "email_address_identification_status",
    "phone_number",
    "phone_number_identification_status",
    "web3_wallet",
    "username",
    "password",
    "password_digest",
    "password_hasher",
    "skip_password_checks",
    "skip_password_requirement",
    "totp_secret",
    "backup_codes",
    "public_metadata",
    "private_metadata",
    "unsafe_metadata",
    "delete_self_enabled",
    "legal_accepted_at",
    "skip_legal_checks",
    "skip_user_requirement",
    "create_organization_enabled",
    "create_organizations_limit",
    "created_at",
    "bypass_client_trust",
    "banned",
    "locked",
];

const UPDATE_PARAMS: &[&str] = &[
    "external_id",
    "first_name",
    "last_name",
    "locale",
    "primary_email_address_id",
    "notify_primary_email_address_changed",
    "primary_phone_number_id",
    "primary_web3_wallet_id",
    "username",
    "profile_image_id",
    "password",
    "password_digest",
    "password_hasher",
    "skip_password_checks",
    "sign_out_of_other_sessions",
    "totp_secret",
    "backup_codes",
    "delete_self_enabled",
    "create_organization_enabled",
    "legal_accepted_at",
    "skip_legal_checks",
    "create_organizations_limit",
    "created_at",
    "bypass_client_trust",
];

const METADATA: &[&str] = &["public_metadata", "private_metadata", "unsafe_metadata"];

const ORDER_FIELDS: &[&str] = &[
    "created_at",
    "updated_at",
    "email_address",
    "web3wallet",
    "first_name",
    "last_name",
    "phone_number",
    "username",
    "last_active_at",
    "last_sign_in_at",
];

pub(super) fn route(store: &mut Store, call: &Call<'_>, path: &[&str]) -> Option<Answer> {
    Some(match (call.method, path) {
        ("GET", []) => list(store, call.query),
        ("POST", []) => create(store, call.body),
        ("GET", ["count"]) => count(store, call.query),
        ("GET", [id]) => get(store, id).map(Reply::ok),
        ("PATCH", [id]) => update(store, id, call.body),
        ("DELETE", [id]) => delete(store, id),
        ("PATCH", [id, "metadata"]) => metadata(store, id, call.body, true),
        ("PUT", [id, "metadata"]) => metadata(store, id, call.body, false),
        ("POST", [id, action @ ("ban" | "unban" | "lock" | "unlock")]) => flag(store, id, action),
        ("POST", [id, "verify_password"]) => verify_password(store, id, call.body),
        ("POST", [id, "profile_image"]) => profile_image(store, id, Some(&call.body["file"])),
        ("DELETE", [id, "profile_image"]) => profile_image(store, id, None),
        ("GET", [id, "organization_memberships"]) => memberships(store, id, call.query),
        ("GET", [id, "oauth_access_tokens", _provider]) => get(store, id)
            .and_then(|_| super::util::list_answer(Vec::new(), 0, call.query.paginated()?)),
        _ => return None,
    })
}

fn position(store: &Store, id: &str) -> Result<usize, Reply> {
    store
        .users
        .iter()
        .position(|u| u["id"] == id)
        .ok_or_else(Reply::not_found)
}

fn get(store: &Store, id: &str) -> Result<Value, Reply> {
    position(store, id).map(|i| store.users[i].clone())
}

// ------------------------------------------------------------- seeding --

pub(super) fn insert(store: &mut Store, user: Value) -> String {
    let mut user = match user {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let password = match user.remove("password") {
        Some(Value::String(p)) => Some(p),
        _ => None,
    };
    let id = user
        .get("id")
        .and_then(Value::as_str)
        .map_or_else(|| random_id("user"), str::to_owned);
    let now = now_ms();
    let defaults = json!({
        "object": "user", "id": id, "username": null, "first_name": null, "last_name": null,
        "locale": null, "image_url": "https://img.clerk.com/stand-in", "has_image": false,
        "primary_email_address_id": null, "primary_phone_number_id": null,
        "primary_web3_wallet_id": null, "password_enabled": password.is_some(),
        "two_factor_enabled": false, "totp_enabled": false, "backup_code_enabled": false,
        "email_addresses": [], "phone_numbers": [], "web3_wallets": [], "passkeys": [],
        "external_accounts": [], "saml_accounts": [], "enterprise_accounts": [],
        "public_metadata": {}, "private_metadata": {}, "unsafe_metadata": {},
        "external_id": null, "last_sign_in_at": null, "banned": false, "locked": false,
        "lockout_expires_in_seconds": null, "verification_attempts_remaining": null,
        "created_at": now, "updated_at": now, "delete_self_enabled": true,
        "create_organization_enabled": true, "create_organizations_limit": null,
        "last_active_at": null, "mfa_enabled_at": null, "mfa_disabled_at": null,
        "password_last_updated_at": null, "legal_accepted_at": null,
    });
    if let Value::Object(defaults) = defaults {
        for (key, value) in defaults {
            user.entry(key).or_insert(value);
        }
    }
    user.insert("id".into(), Value::String(id.clone()));
    for (list, object, field, primary) in IDENTIFIERS {
        if let Some(Value::Array(items)) = user.get_mut(*list) {
            for item in items.iter_mut() {
                complete_identifier(item, object, field, now);
            }
        }
        if user.get(*primary).is_none_or(Value::is_null) {
            let first = user[*list]
                .get(0)
                .map(|item| item["id"].clone())
                .unwrap_or(Value::Null);
            user.insert((*primary).to_owned(), first);
        }
    }
    if let Some(password) = password {
        store.passwords.insert(id.clone(), password);
    }
    store.users.push(Value::Object(user));
    id
}

/// (list field, object type, value field, primary id field)
const IDENTIFIERS: &[(&str, &str, &str, &str)] = &[
    (
        "email_addresses",
        "email_address",
        "email_address",
        "primary_email_address_id",
    ),
    (
        "phone_numbers",
        "phone_number",
        "phone_number",
        "primary_phone_number_id",
    ),
    (
        "web3_wallets",
        "web3_wallet",
        "web3_wallet",
        "primary_web3_wallet_id",
    ),
];

fn complete_identifier(item: &mut Value, object: &str, field: &str, now: i64) {
    if let Value::String(value) = item {
        *item = json!({ field: value.clone() });
    }
    let Value::Object(map) = item else { return };
    let defaults = json!({
        "object": object,
        "id": random_id("idn"),
        "reserved": false,
        "verification": {
            "object": "verification_admin", "status": "verified", "strategy": "admin",
            "attempts": null, "expire_at": null,
        },
        "linked_to": [],
        "created_at": now,
        "updated_at": now,
    });
    if let Value::Object(defaults) = defaults {
        for (key, value) in defaults {
            if object == "web3_wallet" && matches!(key.as_str(), "reserved" | "linked_to") {
                continue;
            }
            map.entry(key).or_insert(value);
        }
    }
}

// ---------------------------------------------------------------- list --

fn identifiers<'a>(user: &'a Value, list: &str, field: &str) -> Vec<&'a str> {
    user[list]
        .as_array()
        .map(|items| items.iter().map(|i| text(&i[field])).collect())
        .unwrap_or_default()
}

fn primary(user: &Value, list: &str, field: &str, primary_field: &str) -> Value {
    let primary_id = &user[primary_field];
    user[list]
        .as_array()
        .and_then(|items| items.iter().find(|i| &i["id"] == primary_id))
        .map_or(Value::Null, |i| i[field].clone())
}

/// `+`/`-` prefixed include/exclude lists; bare values include.
fn include_exclude(values: &[&str], candidates: &[&str]) -> bool {
    let includes: Vec<&str> = values
        .iter()
        .filter(|v| !v.starts_with('-'))
        .map(|v| v.trim_start_matches('+'))
        .collect();
    let excludes: Vec<&str> = values.iter().filter_map(|v| v.strip_prefix('-')).collect();
    if candidates.iter().any(|c| excludes.contains(c)) {
        return false;
    }
    includes.is_empty() || candidates.iter().any(|c| includes.contains(c))
}

fn any_ci(wanted: &[&str], have: &[&str]) -> bool {
    wanted
        .iter()
        .any(|w| have.iter().any(|h| h.eq_ignore_ascii_case(w)))
}

fn matching<'s>(store: &'s Store, query: Query<'_>) -> Result<Vec<(usize, &'s Value)>, Reply> {
    let email = query.all("email_address");
    let phone = query.all("phone_number");
    let username = query.all("username");
    let wallet = query.all("web3_wallet");
    let user_ids = query.all("user_id");
    let external = query.all("external_id");
    let orgs = query.all("organization_id");
    let text_query = query.one("query");
    let email_query = query.one("email_address_query");
    let phone_query = query.one("phone_number_query");
    let username_query = query.one("username_query");
    let name_query = query.one("name_query");
    let banned = query.bool("banned")?;
    let ranges = [
        (
            "created_at",
            query.int("created_at_before")?,
            query.int("created_at_after")?,
        ),
        (
            "last_active_at",
            query.int("last_active_at_before")?,
            query.int("last_active_at_after")?,
        ),
        (
            "last_sign_in_at",
            query.int("last_sign_in_at_before")?,
            query.int("last_sign_in_at_after")?,
        ),
    ];
    let mut out = Vec::new();
    for (index, user) in store.users.iter().enumerate() {
        let id = text(&user["id"]);
        let emails = identifiers(user, "email_addresses", "email_address");
        let phones = identifiers(user, "phone_numbers", "phone_number");
        let wallets = identifiers(user, "web3_wallets", "web3_wallet");
        let name = text(&user["username"]);
        let first = text(&user["first_name"]);
        let last = text(&user["last_name"]);
        let ext = text(&user["external_id"]);
        let member_of: Vec<&str> = store
            .memberships
            .iter()
            .filter(|m| m["user_id"] == id)
            .map(|m| text(&m["organization_id"]))
            .collect();
        let keep = (email.is_empty() || any_ci(&email, &emails))
            && (phone.is_empty() || any_ci(&phone, &phones))
            && (username.is_empty() || any_ci(&username, &[name]))
            && (wallet.is_empty() || any_ci(&wallet, &wallets))
            && (user_ids.is_empty() || include_exclude(&user_ids, &[id]))
            && (external.is_empty() || include_exclude(&external, &[ext]))
            && (orgs.is_empty() || (!member_of.is_empty() && include_exclude(&orgs, &member_of)))
            && banned.is_none_or(|b| user["banned"].as_bool().unwrap_or(false) == b)
            && text_query.is_none_or(|q| {
                [id, name, first, last]
                    .iter()
                    .chain(&emails)
                    .chain(&phones)
                    .chain(&wallets)
                    .any(|field| contains_ci(field, q))
            })
            && email_query.is_none_or(|q| emails.iter().any(|e| contains_ci(e, q)))
            && phone_query.is_none_or(|q| phones.iter().any(|p| contains_ci(p, q)))
            && username_query.is_none_or(|q| contains_ci(name, q))
            && name_query.is_none_or(|q| contains_ci(first, q) || contains_ci(last, q))
            && ranges.iter().all(|(field, before, after)| {
                let at = user[*field].as_i64();
                before.is_none_or(|b| at.is_some_and(|t| t < b))
                    && after.is_none_or(|a| at.is_some_and(|t| t > a))
            });
        if keep {
            out.push((index, user));
        }
    }
    Ok(out)
}

fn list(store: &Store, query: Query<'_>) -> Answer {
    let mut users = matching(store, query)?;
    let (field, descending) = query.order_by("-created_at", ORDER_FIELDS)?;
    let paging = query.page()?;
    sort_by_field(&mut users, descending, |user| match field.as_str() {
        "email_address" => primary(
            user,
            "email_addresses",
            "email_address",
            "primary_email_address_id",
        ),
        "phone_number" => primary(
            user,
            "phone_numbers",
            "phone_number",
            "primary_phone_number_id",
        ),
        "web3wallet" => primary(
            user,
            "web3_wallets",
            "web3_wallet",
            "primary_web3_wallet_id",
        ),
        other => user[other].clone(),
    });
    let users: Vec<Value> = users.into_iter().map(|(_, u)| u.clone()).collect();
    Ok(Reply::ok(Value::Array(page(&users, paging))))
}

fn count(store: &Store, query: Query<'_>) -> Answer {
    let total = matching(store, query)?.len();
    Ok(Reply::ok(
        json!({"object": "total_count", "total_count": total}),
    ))
}

// ------------------------------------------------------------ mutations --

fn taken(store: &Store, except: Option<&str>, list: &str, field: &str, value: &str) -> bool {
    store
        .users
        .iter()
        .filter(|u| except.is_none_or(|id| u["id"] != id))
        .any(|u| {
            if list.is_empty() {
                text(&u[field]).eq_ignore_ascii_case(value)
            } else {
                identifiers(u, list, field)
                    .iter()
                    .any(|v| v.eq_ignore_ascii_case(value))
            }
        })
}

fn check_password(body: &Value, password: &str) -> Result<(), Reply> {
    let skip = body_bool(body, "skip_password_checks")?.unwrap_or(false);
    if !skip && password.chars().count() < 8 {
        return Err(Reply::error_with(
            422,
            "form_password_length_too_short",
            "Passwords must be 8 characters or more.",
            "Passwords must be 8 characters or more.",
            json!({"param_name": "password"}),
        ));
    }
    Ok(())
}

fn create(store: &mut Store, body: &Value) -> Answer {
    check_known(body, CREATE_PARAMS)?;
    let emails = body_strings(body, "email_address")?;
    let phones = body_strings(body, "phone_number")?;
    let wallets = body_strings(body, "web3_wallet")?;
    for email in &emails {
        if !email.contains('@') {
            return Err(Reply::invalid(
                "email_address",
                "must be a valid email address.",
            ));
        }
        if taken(store, None, "email_addresses", "email_address", email) {
            return Err(Reply::taken("email_address"));
        }
    }
    for phone in &phones {
        if taken(store, None, "phone_numbers", "phone_number", phone) {
            return Err(Reply::taken("phone_number"));
        }
    }
    let username = body_str(body, "username")?;
    if let Some(name) = &username {
        if taken(store, None, "", "username", name) {
            return Err(Reply::taken("username"));
        }
    }
    let password = body_str(body, "password")?;
    if let Some(password) = &password {
        check_password(body, password)?;
    }
    let mut user = Map::new();
    for key in ["external_id", "first_name", "last_name", "locale"] {
        if let Some(value) = body_str(body, key)? {
            user.insert(key.into(), json!(value));
        }
    }
    if let Some(name) = username {
        user.insert("username".into(), json!(name));
    }
    for key in METADATA {
        if let Some(map) = body_object(body, key)? {
            user.insert((*key).into(), Value::Object(map));
        }
    }
    for key in [
        "delete_self_enabled",
        "create_organization_enabled",
        "banned",
        "locked",
    ] {
        if let Some(value) = body_bool(body, key)? {
            user.insert(key.into(), json!(value));
        }
    }
    if let Some(limit) = body_int(body, "create_organizations_limit")? {
        user.insert("create_organizations_limit".into(), json!(limit));
    }
    user.insert("email_addresses".into(), json!(emails));
    user.insert("phone_numbers".into(), json!(phones));
    user.insert("web3_wallets".into(), json!(wallets));
    let has_password = password.is_some() || body_str(body, "password_digest")?.is_some();
    user.insert("password_enabled".into(), json!(has_password));
    if let Some(password) = password {
        user.insert("password".into(), json!(password));
    }
    let id = insert(store, Value::Object(user));
    get(store, &id).map(Reply::ok)
}

fn update(store: &mut Store, id: &str, body: &Value) -> Answer {
    check_known(body, UPDATE_PARAMS)?;
    let index = position(store, id)?;
    if let Some(name) = body_str(body, "username")? {
        if taken(store, Some(id), "", "username", &name) {
            return Err(Reply::taken("username"));
        }
    }
    if let Some(password) = body_str(body, "password")? {
        check_password(body, &password)?;
        store.passwords.insert(id.to_owned(), password);
        store.users[index]["password_enabled"] = json!(true);
        store.users[index]["password_last_updated_at"] = json!(now_ms());
    }
    let user = &mut store.users[index];
    for (list, _, _, primary_field) in IDENTIFIERS {
        if let Some(wanted) = body_str(body, primary_field)? {
            let known = user[*list]
                .as_array()
                .is_some_and(|items| items.iter().any(|i| i["id"] == wanted.as_str()));
            if !known {
                return Err(Reply::invalid(
                    primary_field,
                    "does not match any of the user's identifiers.",
                ));
            }
            user[*primary_field] = json!(wanted);
        }
    }
    if let Value::Object(map) = body {
        for key in [
            "external_id",
            "first_name",
            "last_name",
            "locale",
            "username",
        ] {
            if let Some(value) = map.get(key) {
                if !(value.is_string() || value.is_null()) {
                    return Err(Reply::invalid(key, "must be a string."));
                }
                user[key] = value.clone();
            }
        }
    }
    for key in ["delete_self_enabled", "create_organization_enabled"] {
        if let Some(value) = body_bool(body, key)? {
            user[key] = json!(value);
        }
    }
    if let Some(limit) = body_int(body, "create_organizations_limit")? {
        user["create_organizations_limit"] = json!(limit);
    }
    user["updated_at"] = json!(now_ms());
    Ok(Reply::ok(user.clone()))
}

fn delete(store: &mut Store, id: &str) -> Answer {
    let index = position(store, id)?;
    let user = store.users.remove(index);
    store.passwords.remove(id);
    store.memberships.retain(|m| m["user_id"] != id);
    store.sessions.retain(|s| s["user_id"] != id);
    Ok(Reply::ok(json!({
        "object": "user", "id": id, "deleted": true, "external_id": user["external_id"],
    })))
}

fn metadata(store: &mut Store, id: &str, body: &Value, merge: bool) -> Answer {
    let index = position(store, id)?;
    let user = &mut store.users[index];
    apply_metadata(user, body, METADATA, merge)?;
    Ok(Reply::ok(user.clone()))
}

/// Sets the uploaded `file` as the profile image, or removes it (`None`).
fn profile_image(store: &mut Store, id: &str, file: Option<&Value>) -> Answer {
    let index = position(store, id)?;
    let user = &mut store.users[index];
    user["image_url"] = json!(super::util::image_url(id, file));
    user["has_image"] = json!(file.is_some());
    user["updated_at"] = json!(now_ms());
    Ok(Reply::ok(user.clone()))
}

fn flag(store: &mut Store, id: &str, action: &str) -> Answer {
    let index = position(store, id)?;
    let (field, value) = match action {
        "ban" => ("banned", true),
        "unban" => ("banned", false),
        "lock" => ("locked", true),
        _ => ("locked", false),
    };
    if action == "ban" {
        for session in store.sessions.iter_mut().filter(|s| s["user_id"] == id) {
            if session["status"] == "active" {
                session["status"] = json!("revoked");
            }
        }
    }
    let user = &mut store.users[index];
    user[field] = json!(value);
    if field == "locked" {
        user["lockout_expires_in_seconds"] = Value::Null;
    }
    user["updated_at"] = json!(now_ms());
    Ok(Reply::ok(user.clone()))
}

fn verify_password(store: &Store, id: &str, body: &Value) -> Answer {
    check_known(body, &["password"])?;
    position(store, id)?;
    let Some(given) = body_str(body, "password")? else {
        return Err(Reply::missing("password"));
    };
    if store.passwords.get(id) == Some(&given) {
        Ok(Reply::ok(json!({"verified": true})))
    } else {
        Err(Reply::error_with(
            422,
            "form_password_incorrect",
            "Password is incorrect. Try again, or use another method.",
            "Password is incorrect. Try again, or use another method.",
            json!({"param_name": "password"}),
        ))
    }
}

fn memberships(store: &Store, id: &str, query: Query<'_>) -> Answer {
    position(store, id)?;
    let paging = query.page()?;
    let all: Vec<Value> = store
        .memberships
        .iter()
        .filter(|m| m["user_id"] == id)
        .map(|m| render_membership(store, m))
        .collect();
    paginated(page(&all, paging), all.len())
}
