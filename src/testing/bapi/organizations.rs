//! `/v1/organizations…`: organizations, memberships, invitations.

use serde_json::{json, Map, Value};

use super::util::{
    apply_metadata, body_bool, body_int, body_object, body_required, body_str, check_known,
    contains_ci, now_ms, page, paginated, sort_by_field, text, Query,
};
use super::{random_id, Answer, Call, Reply, Store};

const CREATE_PARAMS: &[&str] = &[
    "name",
    "slug",
    "created_by",
    "max_allowed_memberships",
    "public_metadata",
    "private_metadata",
    "created_at",
    "role_set_key",
];
const UPDATE_PARAMS: &[&str] = &[
    "name",
    "slug",
    "max_allowed_memberships",
    "admin_delete_enabled",
    "created_at",
    "role_set_key",
];
const METADATA: &[&str] = &["public_metadata", "private_metadata"];

pub(super) fn route(store: &mut Store, call: &Call<'_>, path: &[&str]) -> Option<Answer> {
    let query = call.query;
    let body = call.body;
    Some(match (call.method, path) {
        ("GET", []) => list(store, query),
        ("POST", []) => create(store, body),
        ("GET", [id_or_slug]) => find(store, id_or_slug).and_then(|i| {
            let org = render(
                store,
                &store.organizations[i],
                query.bool("include_members_count")?,
            );
            Ok(Reply::ok(org))
        }),
        ("PATCH", [id]) => update(store, id, body),
        ("PUT", [id, "logo"]) => logo(store, id, Some(&body["file"])),
        ("DELETE", [id, "logo"]) => logo(store, id, None),
        ("DELETE", [id]) => delete(store, id),
        ("PATCH", [id, "metadata"]) => metadata(store, id, body, true),
        ("PUT", [id, "metadata"]) => metadata(store, id, body, false),
        ("GET", [id, "memberships"]) => list_memberships(store, id, query),
        ("POST", [id, "memberships"]) => create_membership(store, id, body),
        ("PATCH", [id, "memberships", user_id]) => update_membership(store, id, user_id, body),
        ("PATCH", [id, "memberships", user_id, "metadata"]) => {
            membership_metadata(store, id, user_id, body)
        }
        ("DELETE", [id, "memberships", user_id]) => delete_membership(store, id, user_id),
        ("GET", [id, "invitations"]) => list_invitations(store, id, query),
        ("POST", [id, "invitations"]) => create_invitation(store, id, body),
        ("GET", [id, "invitations", invitation_id]) => invitation(store, id, invitation_id)
            .map(|i| Reply::ok(store.organization_invitations[i].clone())),
        ("POST", [id, "invitations", invitation_id, "revoke"]) => {
            revoke_invitation(store, id, invitation_id, body)
        }
        _ => return None,
    })
}

/// By id, or by slug.
fn find(store: &Store, id_or_slug: &str) -> Result<usize, Reply> {
    store
        .organizations
        .iter()
        .position(|o| o["id"] == id_or_slug)
        .or_else(|| {
            store
                .organizations
                .iter()
                .position(|o| o["slug"] == id_or_slug)
        })
        .ok_or_else(Reply::not_found)
}

fn members_count(store: &Store, org_id: &Value) -> usize {
    store
        .memberships
        .iter()
        .filter(|m| &m["organization_id"] == org_id)
        .count()
}

fn render(store: &Store, org: &Value, with_count: Option<bool>) -> Value {
    let mut org = org.clone();
    if with_count == Some(true) {
        org["members_count"] = json!(members_count(store, &org["id"]));
    }
    org
}

fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_matches('-').to_owned()
}

fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

// ------------------------------------------------------------- seeding --

pub(super) fn insert(store: &mut Store, organization: Value) -> String {
    let mut org = match organization {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let id = org
        .get("id")
        .and_then(Value::as_str)
        .map_or_else(|| random_id("org"), str::to_owned);
    let name = org
        .get("name")
        .and_then(Value::as_str)
        .map_or_else(|| id.clone(), str::to_owned);
    let slug = match slugify(&name) {
        s if s.is_empty() => id.clone(),
        s => s,
    };
    let now = now_ms();
    let defaults = json!({
        "object": "organization", "id": id, "name": name, "slug": slug,
        "image_url": "https://img.clerk.com/stand-in", "has_image": false,
        "max_allowed_memberships": 0, "admin_delete_enabled": true,
        "public_metadata": {}, "private_metadata": {}, "created_by": null,
        "role_set_key": null, "created_at": now, "updated_at": now,
    });
    if let Value::Object(defaults) = defaults {
        for (key, value) in defaults {
            org.entry(key).or_insert(value);
        }
    }
    org.insert("id".into(), Value::String(id.clone()));
    store.organizations.push(Value::Object(org));
    id
}

pub(super) fn insert_membership(
    store: &mut Store,
    organization_id: &str,
    user_id: &str,
    role: &str,
    metadata: Map<String, Value>,
) -> String {
    let id = random_id("orgmem");
    let now = now_ms();
    let mut membership = json!({
        "object": "organization_membership", "id": id, "role": role,
        "organization_id": organization_id, "user_id": user_id,
        "public_metadata": {}, "private_metadata": {}, "created_at": now, "updated_at": now,
    });
    for (key, value) in metadata {
        membership[key] = value;
    }
    store.memberships.push(membership);
    id
}

fn role_name(role: &str) -> String {
    let short = role.strip_prefix("org:").unwrap_or(role);
    let mut chars = short.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn permissions(role: &str) -> Vec<&'static str> {
    match role {
        "org:admin" | "admin" => vec![
            "org:sys_profile:manage",
            "org:sys_profile:delete",
            "org:sys_memberships:read",
            "org:sys_memberships:manage",
            "org:sys_domains:read",
            "org:sys_domains:manage",
        ],
        _ => vec!["org:sys_memberships:read"],
    }
}

/// A stored membership as the API answers it.
pub(crate) fn render_membership(store: &Store, membership: &Value) -> Value {
    let role = text(&membership["role"]);
    let organization = store
        .organizations
        .iter()
        .find(|o| o["id"] == membership["organization_id"])
        .cloned()
        .unwrap_or_else(|| json!({"object": "organization", "id": membership["organization_id"]}));
    let user_id = &membership["user_id"];
    let user = store.users.iter().find(|u| &u["id"] == user_id);
    let public_user_data = user.map_or_else(
        || json!({"user_id": user_id}),
        |user| {
            let identifier = user["email_addresses"]
                .get(0)
                .map_or(Value::Null, |e| e["email_address"].clone());
            json!({
                "user_id": user_id,
                "first_name": user["first_name"],
                "last_name": user["last_name"],
                "profile_image_url": user["image_url"],
                "image_url": user["image_url"],
                "has_image": user["has_image"],
                "identifier": identifier,
                "username": user["username"],
                "banned": user["banned"],
            })
        },
    );
    json!({
        "object": "organization_membership",
        "id": membership["id"],
        "role": role,
        "role_name": role_name(role),
        "permissions": permissions(role),
        "public_metadata": membership["public_metadata"],
        "private_metadata": membership["private_metadata"],
        "organization": organization,
        "public_user_data": public_user_data,
        "created_at": membership["created_at"],
        "updated_at": membership["updated_at"],
    })
}

// ------------------------------------------------------- organizations --

fn list(store: &Store, query: Query<'_>) -> Answer {
    let text_query = query.one("query");
    let ids = query.all("organization_id");
    let users = query.all("user_id");
    let with_count = query.bool("include_members_count")?;
    let (field, descending) =
        query.order_by("-created_at", &["name", "created_at", "members_count"])?;
    let paging = query.page()?;
    let mut orgs: Vec<(usize, Value)> = store
        .organizations
        .iter()
        .filter(|org| {
            let id = text(&org["id"]);
            text_query.is_none_or(|q| {
                [id, text(&org["name"]), text(&org["slug"])]
                    .iter()
                    .any(|f| contains_ci(f, q))
            }) && (ids.is_empty() || ids.contains(&id))
                && (users.is_empty()
                    || store.memberships.iter().any(|m| {
                        m["organization_id"] == id && users.contains(&text(&m["user_id"]))
                    }))
        })
        .map(|org| render(store, org, Some(true)))
        .enumerate()
        .collect();
    sort_by_field(&mut orgs, descending, |org| org[field.as_str()].clone());
    let total = orgs.len();
    let data: Vec<Value> = orgs
        .into_iter()
        .map(|(_, mut org)| {
            if with_count != Some(true) {
                if let Value::Object(map) = &mut org {
                    map.remove("members_count");
                }
            }
            org
        })
        .collect();
    paginated(page(&data, paging), total)
}

fn create(store: &mut Store, body: &Value) -> Answer {
    check_known(body, CREATE_PARAMS)?;
    let name = body_required(body, "name")?;
    let slug = match body_str(body, "slug")? {
        Some(slug) if !valid_slug(&slug) => {
            return Err(Reply::invalid(
                "slug",
                "must contain only lowercase letters, digits, - and _.",
            ))
        }
        Some(slug) => slug,
        None => slugify(&name),
    };
    if store
        .organizations
        .iter()
        .any(|o| o["slug"] == slug.as_str())
    {
        return Err(Reply::taken("slug"));
    }
    let created_by = body_str(body, "created_by")?;
    if let Some(user_id) = &created_by {
        if !store.users.iter().any(|u| u["id"] == user_id.as_str()) {
            return Err(Reply::invalid("created_by", "does not match any user."));
        }
    }
    let mut org = json!({"name": name, "slug": slug, "created_by": created_by});
    if let Some(max) = body_int(body, "max_allowed_memberships")? {
        org["max_allowed_memberships"] = json!(max);
    }
    if let Some(key) = body_str(body, "role_set_key")? {
        org["role_set_key"] = json!(key);
    }
    for key in METADATA {
        if let Some(map) = body_object(body, key)? {
            org[*key] = Value::Object(map);
        }
    }
    let id = insert(store, org);
    if let Some(user_id) = created_by {
        insert_membership(store, &id, &user_id, "org:admin", Map::new());
    }
    let index = find(store, &id)?;
    Ok(Reply::ok(store.organizations[index].clone()))
}

fn update(store: &mut Store, id: &str, body: &Value) -> Answer {
    check_known(body, UPDATE_PARAMS)?;
    let index = find_by_id(store, id)?;
    if let Some(slug) = body_str(body, "slug")? {
        if !valid_slug(&slug) {
            return Err(Reply::invalid(
                "slug",
                "must contain only lowercase letters, digits, - and _.",
            ));
        }
        if store
            .organizations
            .iter()
            .any(|o| o["slug"] == slug.as_str() && o["id"] != id)
        {
            return Err(Reply::taken("slug"));
        }
        store.organizations[index]["slug"] = json!(slug);
    }
    let name = body_str(body, "name")?;
    let admin_delete = body_bool(body, "admin_delete_enabled")?;
    let max = body_int(body, "max_allowed_memberships")?;
    let role_set = body_str(body, "role_set_key")?;
    let org = &mut store.organizations[index];
    if let Some(name) = name {
        if name.trim().is_empty() {
            return Err(Reply::invalid("name", "must not be empty."));
        }
        org["name"] = json!(name);
    }
    if let Some(value) = admin_delete {
        org["admin_delete_enabled"] = json!(value);
    }
    if let Some(value) = max {
        org["max_allowed_memberships"] = json!(value);
    }
    if let Some(value) = role_set {
        org["role_set_key"] = json!(value);
    }
    org["updated_at"] = json!(now_ms());
    Ok(Reply::ok(org.clone()))
}

/// By id only (the mutating endpoints take ids).
/// Sets the uploaded `file` as the logo, or removes it (`None`).
fn logo(store: &mut Store, id: &str, file: Option<&Value>) -> Answer {
    let index = find_by_id(store, id)?;
    let org = &mut store.organizations[index];
    org["image_url"] = json!(super::util::image_url(id, file));
    org["has_image"] = json!(file.is_some());
    org["updated_at"] = json!(now_ms());
    Ok(Reply::ok(render(store, &store.organizations[index], None)))
}

fn find_by_id(store: &Store, id: &str) -> Result<usize, Reply> {
    store
        .organizations
        .iter()
        .position(|o| o["id"] == id)
        .ok_or_else(Reply::not_found)
}

fn metadata(store: &mut Store, id: &str, body: &Value, merge: bool) -> Answer {
    let index = find_by_id(store, id)?;
    let org = &mut store.organizations[index];
    apply_metadata(org, body, METADATA, merge)?;
    Ok(Reply::ok(org.clone()))
}

fn delete(store: &mut Store, id: &str) -> Answer {
    let index = find_by_id(store, id)?;
    let org = store.organizations.remove(index);
    store.memberships.retain(|m| m["organization_id"] != id);
    store
        .organization_invitations
        .retain(|i| i["organization_id"] != id);
    Ok(Reply::ok(json!({
        "object": "organization", "id": id, "slug": org["slug"], "deleted": true,
    })))
}

// ---------------------------------------------------------- memberships --

fn membership(store: &Store, org_id: &str, user_id: &str) -> Result<usize, Reply> {
    find_by_id(store, org_id)?;
    store
        .memberships
        .iter()
        .position(|m| m["organization_id"] == org_id && m["user_id"] == user_id)
        .ok_or_else(Reply::not_found)
}

fn list_memberships(store: &Store, org_id: &str, query: Query<'_>) -> Answer {
    find_by_id(store, org_id)?;
    let users = query.all("user_id");
    let roles = query.all("role");
    let emails = query.all("email_address");
    let text_query = query.one("query");
    let (field, descending) = query.order_by(
        "-created_at",
        &[
            "created_at",
            "first_name",
            "last_name",
            "username",
            "email_address",
            "phone_number",
        ],
    )?;
    let paging = query.page()?;
    let mut rows: Vec<(usize, Value)> = store
        .memberships
        .iter()
        .filter(|m| m["organization_id"] == org_id)
        .map(|m| render_membership(store, m))
        .filter(|m| {
            let data = &m["public_user_data"];
            (users.is_empty() || users.contains(&text(&data["user_id"])))
                && (roles.is_empty() || roles.contains(&text(&m["role"])))
                && (emails.is_empty()
                    || emails
                        .iter()
                        .any(|e| e.eq_ignore_ascii_case(text(&data["identifier"]))))
                && text_query.is_none_or(|q| {
                    [
                        "user_id",
                        "identifier",
                        "first_name",
                        "last_name",
                        "username",
                    ]
                    .iter()
                    .any(|f| contains_ci(text(&data[*f]), q))
                })
        })
        .enumerate()
        .collect();
    sort_by_field(&mut rows, descending, |m| match field.as_str() {
        "created_at" => m["created_at"].clone(),
        "email_address" => m["public_user_data"]["identifier"].clone(),
        other => m["public_user_data"][other].clone(),
    });
    let all: Vec<Value> = rows.into_iter().map(|(_, m)| m).collect();
    paginated(page(&all, paging), all.len())
}

fn create_membership(store: &mut Store, org_id: &str, body: &Value) -> Answer {
    check_known(
        body,
        &["user_id", "role", "public_metadata", "private_metadata"],
    )?;
    let index = find_by_id(store, org_id)?;
    let user_id = body_required(body, "user_id")?;
    let role = body_required(body, "role")?;
    if !store.users.iter().any(|u| u["id"] == user_id.as_str()) {
        return Err(Reply::not_found());
    }
    if store
        .memberships
        .iter()
        .any(|m| m["organization_id"] == org_id && m["user_id"] == user_id.as_str())
    {
        return Err(Reply::error(
            422,
            "already_a_member_in_organization",
            "The user is already a member of this organization.",
        ));
    }
    let max = store.organizations[index]["max_allowed_memberships"]
        .as_i64()
        .unwrap_or(0);
    if max > 0 && i64::try_from(members_count(store, &json!(org_id))).unwrap_or(i64::MAX) >= max {
        return Err(Reply::error(
            403,
            "organization_membership_quota_exceeded",
            "The organization has reached its member limit.",
        ));
    }
    let mut metadata = Map::new();
    for key in METADATA {
        if let Some(map) = body_object(body, key)? {
            metadata.insert((*key).to_owned(), Value::Object(map));
        }
    }
    insert_membership(store, org_id, &user_id, &role, metadata);
    let i = membership(store, org_id, &user_id)?;
    Ok(Reply::ok(render_membership(store, &store.memberships[i])))
}

fn update_membership(store: &mut Store, org_id: &str, user_id: &str, body: &Value) -> Answer {
    check_known(body, &["role"])?;
    let i = membership(store, org_id, user_id)?;
    let role = body_required(body, "role")?;
    store.memberships[i]["role"] = json!(role);
    store.memberships[i]["updated_at"] = json!(now_ms());
    Ok(Reply::ok(render_membership(store, &store.memberships[i])))
}

fn membership_metadata(store: &mut Store, org_id: &str, user_id: &str, body: &Value) -> Answer {
    let i = membership(store, org_id, user_id)?;
    apply_metadata(&mut store.memberships[i], body, METADATA, true)?;
    Ok(Reply::ok(render_membership(store, &store.memberships[i])))
}

fn delete_membership(store: &mut Store, org_id: &str, user_id: &str) -> Answer {
    let i = membership(store, org_id, user_id)?;
    let rendered = render_membership(store, &store.memberships[i]);
    store.memberships.remove(i);
    Ok(Reply::ok(rendered))
}

// ---------------------------------------------------------- invitations --

fn invitation(store: &Store, org_id: &str, invitation_id: &str) -> Result<usize, Reply> {
    find_by_id(store, org_id)?;
    store
        .organization_invitations
        .iter()
        .position(|i| i["organization_id"] == org_id && i["id"] == invitation_id)
        .ok_or_else(Reply::not_found)
}

fn list_invitations(store: &Store, org_id: &str, query: Query<'_>) -> Answer {
    find_by_id(store, org_id)?;
    let statuses = query.all("status");
    let email = query.one("email_address");
    let paging = query.page()?;
    let mut rows: Vec<(usize, Value)> = store
        .organization_invitations
        .iter()
        .filter(|i| {
            i["organization_id"] == org_id
                && (statuses.is_empty() || statuses.contains(&text(&i["status"])))
                && email.is_none_or(|e| text(&i["email_address"]).eq_ignore_ascii_case(e))
        })
        .cloned()
        .enumerate()
        .collect();
    sort_by_field(&mut rows, true, |i| i["created_at"].clone());
    let all: Vec<Value> = rows.into_iter().map(|(_, i)| i).collect();
    paginated(page(&all, paging), all.len())
}

fn create_invitation(store: &mut Store, org_id: &str, body: &Value) -> Answer {
    check_known(
        body,
        &[
            "email_address",
            "role",
            "inviter_user_id",
            "public_metadata",
            "private_metadata",
            "redirect_url",
            "expires_in_days",
            "notify",
        ],
    )?;
    find_by_id(store, org_id)?;
    let email = body_required(body, "email_address")?;
    let role = body_required(body, "role")?;
    if !email.contains('@') {
        return Err(Reply::invalid(
            "email_address",
            "must be a valid email address.",
        ));
    }
    let inviter = body_str(body, "inviter_user_id")?;
    let inviter_data = match &inviter {
        Some(user_id) => {
            let Some(user) = store.users.iter().find(|u| u["id"] == user_id.as_str()) else {
                return Err(Reply::invalid(
                    "inviter_user_id",
                    "does not match any user.",
                ));
            };
            json!({
                "user_id": user_id, "first_name": user["first_name"],
                "last_name": user["last_name"], "image_url": user["image_url"],
                "has_image": user["has_image"],
                "identifier": user["email_addresses"].get(0).map_or(Value::Null, |e| e["email_address"].clone()),
            })
        }
        None => Value::Null,
    };
    let days = body_int(body, "expires_in_days")?.unwrap_or(30);
    if !(1..=365).contains(&days) {
        return Err(Reply::invalid(
            "expires_in_days",
            "must be between 1 and 365.",
        ));
    }
    body_bool(body, "notify")?;
    let now = now_ms();
    let id = random_id("orginv");
    let invitation = json!({
        "object": "organization_invitation",
        "id": id,
        "email_address": email,
        "role": role,
        "role_name": role_name(&role),
        "organization_id": org_id,
        "inviter_id": inviter,
        "public_inviter_data": inviter_data,
        "status": "pending",
        "public_metadata": body_object(body, "public_metadata")?.unwrap_or_default(),
        "private_metadata": body_object(body, "private_metadata")?.unwrap_or_default(),
        "url": body_str(body, "redirect_url")?.map(|u| format!("{u}?__clerk_ticket={id}")),
        "expires_at": now + days * 86_400_000,
        "created_at": now,
        "updated_at": now,
    });
    store.organization_invitations.push(invitation.clone());
    Ok(Reply::ok(invitation))
}

fn revoke_invitation(store: &mut Store, org_id: &str, invitation_id: &str, body: &Value) -> Answer {
    check_known(body, &["requesting_user_id"])?;
    body_str(body, "requesting_user_id")?;
    let i = invitation(store, org_id, invitation_id)?;
    let invitation = &mut store.organization_invitations[i];
    if invitation["status"] != "pending" {
        return Err(Reply::error(
            400,
            "organization_invitation_not_pending",
            "Only pending invitations can be revoked.",
        ));
    }
    invitation["status"] = json!("revoked");
    invitation["updated_at"] = json!(now_ms());
    Ok(Reply::ok(invitation.clone()))
}
