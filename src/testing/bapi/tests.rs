//! The resources, called without HTTP.

use serde_json::{json, Value};

use super::{handle, ApiRequest, Reply, Store};

fn call(store: &mut Store, method: &str, target: &str, body: Option<Value>) -> Reply {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let query: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let decode = |t: &str| super::util::decode_segment(&t.replace('+', " "));
            (decode(k), decode(v))
        })
        .collect();
    handle(
        store,
        &ApiRequest {
            method,
            path,
            query: &query,
            body: body.as_ref(),
            multipart: false,
            credential: None,
        },
    )
}

fn ok(reply: Reply) -> Value {
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body.unwrap()
}

fn error_code(reply: &Reply) -> (u16, String) {
    let body = reply.body.as_ref().unwrap();
    assert!(body["clerk_trace_id"].is_string(), "{body}");
    (
        reply.status,
        body["errors"][0]["code"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn unknown_route_is_404_resource_not_found() {
    let mut store = Store::default();
    let reply = call(&mut store, "GET", "/v1/nothing/here", None);
    assert_eq!(error_code(&reply), (404, "resource_not_found".into()));
    let reply = call(&mut store, "GET", "/v2/users", None);
    assert_eq!(reply.status, 404);
}

#[test]
fn user_create_fills_identifiers_and_primary_ids() {
    let mut store = Store::default();
    let user = ok(call(
        &mut store,
        "POST",
        "/v1/users",
        Some(json!({"email_address": ["a@x.io", "b@x.io"], "phone_number": ["+15555550100"]})),
    ));
    assert_eq!(user["object"], "user");
    let emails = user["email_addresses"].as_array().unwrap();
    assert_eq!(emails.len(), 2);
    assert!(emails[0]["id"].as_str().unwrap().starts_with("idn_"));
    assert_eq!(emails[0]["object"], "email_address");
    assert_eq!(emails[0]["verification"]["status"], "verified");
    assert_eq!(user["primary_email_address_id"], emails[0]["id"]);
    assert_eq!(
        user["primary_phone_number_id"],
        user["phone_numbers"][0]["id"]
    );
    assert!(user["created_at"].as_i64().unwrap() > 1_600_000_000_000);
}

#[test]
fn user_create_rejects_unknown_param_and_taken_email() {
    let mut store = Store::default();
    let reply = call(
        &mut store,
        "POST",
        "/v1/users",
        Some(json!({"emailAddress": ["a@x.io"]})),
    );
    assert_eq!(error_code(&reply), (422, "form_param_unknown".into()));
    assert_eq!(
        reply.body.unwrap()["errors"][0]["meta"]["param_name"],
        "emailAddress"
    );
    ok(call(
        &mut store,
        "POST",
        "/v1/users",
        Some(json!({"email_address": ["a@x.io"]})),
    ));
    let reply = call(
        &mut store,
        "POST",
        "/v1/users",
        Some(json!({"email_address": ["A@x.io"]})),
    );
    assert_eq!(error_code(&reply), (422, "form_identifier_exists".into()));
}

#[test]
fn user_create_rejects_short_password() {
    let mut store = Store::default();
    let reply = call(
        &mut store,
        "POST",
        "/v1/users",
        Some(json!({"password": "short"})),
    );
    assert_eq!(
        error_code(&reply),
        (422, "form_password_length_too_short".into())
    );
}

#[test]
fn users_list_is_a_bare_array_newest_first_and_paged() {
    let mut store = Store::default();
    for name in ["a", "b", "c"] {
        store.insert_user(json!({"id": format!("user_{name}"), "first_name": name}));
    }
    let list = ok(call(&mut store, "GET", "/v1/users", None));
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["user_c", "user_b", "user_a"]);
    let list = ok(call(
        &mut store,
        "GET",
        "/v1/users?order_by=%2Bfirst_name&limit=1&offset=1",
        None,
    ));
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], "user_b");
}

#[test]
fn users_filters_combine_and_user_id_excludes() {
    let mut store = Store::default();
    store.insert_user(json!({"id": "user_1", "email_addresses": ["one@x.io"], "banned": true}));
    store.insert_user(json!({"id": "user_2", "email_addresses": ["two@x.io"]}));
    store.insert_user(json!({"id": "user_3", "username": "three"}));
    let count = |store: &mut Store, q: &str| {
        ok(call(store, "GET", &format!("/v1/users/count?{q}"), None))["total_count"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(count(&mut store, ""), 3);
    assert_eq!(
        count(&mut store, "email_address=one@x.io&email_address=two@x.io"),
        2
    );
    assert_eq!(count(&mut store, "user_id=-user_1"), 2);
    assert_eq!(count(&mut store, "banned=true"), 1);
    assert_eq!(count(&mut store, "banned=false"), 2);
    assert_eq!(count(&mut store, "query=THR"), 1);
    assert_eq!(count(&mut store, "email_address_query=two"), 1);
    let reply = call(&mut store, "GET", "/v1/users?banned=maybe", None);
    assert_eq!(
        error_code(&reply),
        (422, "form_param_format_invalid".into())
    );
}

#[test]
fn percent_encoded_ids_are_decoded_once() {
    let mut store = Store::default();
    store.insert_user(json!({"id": "user/../x"}));
    let user = ok(call(&mut store, "GET", "/v1/users/user%2F..%2Fx", None));
    assert_eq!(user["id"], "user/../x");
}

#[test]
fn metadata_patch_merges_and_put_replaces() {
    let mut store = Store::default();
    store.insert_user(json!({"id": "user_1", "public_metadata": {"a": 1, "nested": {"x": 1, "y": 2}}, "private_metadata": {"keep": true}}));
    let user = ok(call(
        &mut store,
        "PATCH",
        "/v1/users/user_1/metadata",
        Some(json!({"public_metadata": {"a": null, "nested": {"y": null, "z": 3}, "b": 2}})),
    ));
    assert_eq!(
        user["public_metadata"],
        json!({"nested": {"x": 1, "z": 3}, "b": 2})
    );
    assert_eq!(user["private_metadata"], json!({"keep": true}));
    let user = ok(call(
        &mut store,
        "PUT",
        "/v1/users/user_1/metadata",
        Some(json!({"public_metadata": {"only": 1}})),
    ));
    assert_eq!(user["public_metadata"], json!({"only": 1}));
    assert_eq!(user["private_metadata"], json!({"keep": true}));
}

#[test]
fn verify_password_checks_the_seeded_password() {
    let mut store = Store::default();
    store.insert_user(json!({"id": "user_1", "password": "correct horse"}));
    assert!(store.users()[0].get("password").is_none());
    assert_eq!(store.users()[0]["password_enabled"], true);
    let good = ok(call(
        &mut store,
        "POST",
        "/v1/users/user_1/verify_password",
        Some(json!({"password": "correct horse"})),
    ));
    assert_eq!(good, json!({"verified": true}));
    let bad = call(
        &mut store,
        "POST",
        "/v1/users/user_1/verify_password",
        Some(json!({"password": "nope"})),
    );
    assert_eq!(error_code(&bad), (422, "form_password_incorrect".into()));
}

#[test]
fn ban_revokes_active_sessions() {
    let mut store = Store::default();
    store.insert_user(json!({"id": "user_1"}));
    store.insert_session(json!({"id": "sess_1", "user_id": "user_1"}));
    let user = ok(call(&mut store, "POST", "/v1/users/user_1/ban", None));
    assert_eq!(user["banned"], true);
    assert_eq!(store.sessions()[0]["status"], "revoked");
}

#[test]
fn organization_without_name_is_422_like_clerk() {
    let mut store = Store::default();
    let reply = call(
        &mut store,
        "POST",
        "/v1/organizations",
        Some(json!({"slug": "acme"})),
    );
    let body = reply.body.as_ref().unwrap();
    assert_eq!(reply.status, 422);
    let error = &body["errors"][0];
    assert_eq!(error["code"], "form_param_missing");
    assert_eq!(error["meta"]["param_name"], "name");
    for field in ["message", "long_message"] {
        assert!(error[field].is_string());
    }
}

#[test]
fn organizations_by_slug_with_count_and_paginated_list() {
    let mut store = Store::default();
    store.insert_user(json!({"id": "user_1"}));
    let org = ok(call(
        &mut store,
        "POST",
        "/v1/organizations",
        Some(json!({"name": "Acme Inc.", "created_by": "user_1"})),
    ));
    assert_eq!(org["slug"], "acme-inc");
    let by_slug = ok(call(
        &mut store,
        "GET",
        "/v1/organizations/acme-inc?include_members_count=true",
        None,
    ));
    assert_eq!(by_slug["id"], org["id"]);
    assert_eq!(by_slug["members_count"], 1);
    let list = ok(call(&mut store, "GET", "/v1/organizations", None));
    assert_eq!(list["total_count"], 1);
    assert!(list["data"][0].get("members_count").is_none());
    let memberships = ok(call(
        &mut store,
        "GET",
        "/v1/users/user_1/organization_memberships",
        None,
    ));
    assert_eq!(memberships["data"][0]["role"], "org:admin");
    assert_eq!(memberships["data"][0]["organization"]["id"], org["id"]);
}

#[test]
fn membership_lifecycle() {
    let mut store = Store::default();
    store.insert_user(json!({"id": "user_1", "first_name": "Ada"}));
    store.insert_organization(json!({"id": "org_1", "name": "Acme"}));
    let m = ok(call(
        &mut store,
        "POST",
        "/v1/organizations/org_1/memberships",
        Some(json!({"user_id": "user_1", "role": "org:member"})),
    ));
    assert_eq!(m["public_user_data"]["first_name"], "Ada");
    assert_eq!(m["role_name"], "Member");
    let again = call(
        &mut store,
        "POST",
        "/v1/organizations/org_1/memberships",
        Some(json!({"user_id": "user_1", "role": "org:member"})),
    );
    assert_eq!(
        error_code(&again),
        (422, "already_a_member_in_organization".into())
    );
    let m = ok(call(
        &mut store,
        "PATCH",
        "/v1/organizations/org_1/memberships/user_1",
        Some(json!({"role": "org:admin"})),
    ));
    assert_eq!(m["role"], "org:admin");
    let removed = ok(call(
        &mut store,
        "DELETE",
        "/v1/organizations/org_1/memberships/user_1",
        None,
    ));
    assert_eq!(removed["object"], "organization_membership");
    let list = ok(call(
        &mut store,
        "GET",
        "/v1/organizations/org_1/memberships",
        None,
    ));
    assert_eq!(list["total_count"], 0);
    let gone = call(
        &mut store,
        "DELETE",
        "/v1/organizations/org_1/memberships/user_1",
        None,
    );
    assert_eq!(gone.status, 404);
}

#[test]
fn sessions_list_shapes_follow_paginated() {
    let mut store = Store::default();
    store.insert_session(json!({"user_id": "user_1"}));
    store.insert_session(json!({"user_id": "user_2", "status": "ended"}));
    let bare = ok(call(&mut store, "GET", "/v1/sessions?user_id=user_1", None));
    assert_eq!(bare.as_array().unwrap().len(), 1);
    let page = ok(call(
        &mut store,
        "GET",
        "/v1/sessions?paginated=true&status=ended",
        None,
    ));
    assert_eq!(page["total_count"], 1);
    assert_eq!(page["data"][0]["user_id"], "user_2");
}

#[test]
fn session_tokens_and_refresh() {
    let mut store = Store::default();
    let id = store.insert_session(json!({"user_id": "user_1"}));
    let token = ok(call(
        &mut store,
        "POST",
        &format!("/v1/sessions/{id}/tokens/supabase"),
        Some(json!({"expires_in_seconds": 30})),
    ));
    assert_eq!(token["object"], "token");
    assert_eq!(token["jwt"].as_str().unwrap().split('.').count(), 3);
    let bad = call(
        &mut store,
        "POST",
        &format!("/v1/sessions/{id}/tokens"),
        Some(json!({"expires_in_seconds": 0})),
    );
    assert_eq!(bad.status, 422);
    let refresh_body = json!({"expired_token": "x", "refresh_token": "y", "request_origin": "http://localhost", "format": "cookie"});
    let cookies = ok(call(
        &mut store,
        "POST",
        &format!("/v1/sessions/{id}/refresh"),
        Some(refresh_body),
    ));
    assert_eq!(cookies["object"], "cookies");
    assert!(cookies["cookies"][0]
        .as_str()
        .unwrap()
        .starts_with("__session="));
    let missing = call(
        &mut store,
        "POST",
        &format!("/v1/sessions/{id}/refresh"),
        Some(json!({})),
    );
    assert_eq!(error_code(&missing), (422, "form_param_missing".into()));
    ok(call(
        &mut store,
        "POST",
        &format!("/v1/sessions/{id}/revoke"),
        None,
    ));
    let revoked = call(
        &mut store,
        "POST",
        &format!("/v1/sessions/{id}/tokens"),
        None,
    );
    assert_eq!(revoked.status, 404);
}

#[test]
fn signed_tokens_with_an_issuer() {
    let issuer = crate::testing::TestIssuer::generate().unwrap();
    let mut store = Store::default();
    store.set_token_issuer(issuer);
    let id = store.insert_session(json!({"user_id": "user_1"}));
    let token = ok(call(
        &mut store,
        "POST",
        &format!("/v1/sessions/{id}/tokens"),
        None,
    ));
    let jwt = token["jwt"].as_str().unwrap();
    assert!(!jwt.ends_with("placeholder-signature"));
}

#[test]
fn invitations_and_allowlist() {
    let mut store = Store::default();
    let inv = ok(call(
        &mut store,
        "POST",
        "/v1/invitations",
        Some(json!({"email_address": "a@x.io"})),
    ));
    assert_eq!(inv["status"], "pending");
    let dup = call(
        &mut store,
        "POST",
        "/v1/invitations",
        Some(json!({"email_address": "a@x.io"})),
    );
    assert_eq!(error_code(&dup), (422, "duplicate_record".into()));
    let id = inv["id"].as_str().unwrap();
    let revoked = ok(call(
        &mut store,
        "POST",
        &format!("/v1/invitations/{id}/revoke"),
        None,
    ));
    assert_eq!(
        (revoked["status"].as_str(), revoked["revoked"].as_bool()),
        (Some("revoked"), Some(true))
    );
    let entry = ok(call(
        &mut store,
        "POST",
        "/v1/allowlist_identifiers",
        Some(json!({"identifier": "+15555550100"})),
    ));
    assert_eq!(entry["identifier_type"], "phone_number");
    let list = ok(call(
        &mut store,
        "GET",
        "/v1/allowlist_identifiers?paginated=true",
        None,
    ));
    assert_eq!(list["total_count"], 1);
    let id = entry["id"].as_str().unwrap();
    let deleted = ok(call(
        &mut store,
        "DELETE",
        &format!("/v1/allowlist_identifiers/{id}"),
        None,
    ));
    assert_eq!(deleted["deleted"], true);
}

#[test]
fn handshake_payload_needs_a_nonce() {
    let mut store = Store::default();
    store.set_handshake_directives(["__session=abc; Path=/"]);
    let payload = ok(call(
        &mut store,
        "GET",
        "/v1/clients/handshake_payload?nonce=n1",
        None,
    ));
    assert_eq!(payload, json!({"directives": ["__session=abc; Path=/"]}));
    let reply = call(&mut store, "GET", "/v1/clients/handshake_payload", None);
    assert_eq!(error_code(&reply), (422, "form_param_missing".into()));
}

#[test]
fn non_object_body_is_400() {
    let mut store = Store::default();
    let reply = call(&mut store, "POST", "/v1/users", Some(json!([1])));
    assert_eq!(error_code(&reply), (400, "request_body_invalid".into()));
}

// The stateful routes are validated against the spec before they answer:
// one test per failure kind, each checking that the resource was left alone.

/// A 422's code and the parameter it names.
fn refusal(reply: &Reply) -> (&str, &str) {
    assert_eq!(reply.status, 422, "{:?}", reply.body);
    let detail = &reply.body.as_ref().unwrap()["errors"][0];
    (
        detail["code"].as_str().unwrap(),
        detail["meta"]["param_name"].as_str().unwrap(),
    )
}

#[test]
fn a_stateful_route_refuses_an_unknown_query_parameter() {
    let mut store = Store::default();
    let id = store.insert_user(json!({"first_name": "Ada"}));
    let reply = call(
        &mut store,
        "GET",
        &format!("/v1/users/{id}?expand=all"),
        None,
    );
    assert_eq!(refusal(&reply), ("form_param_unknown", "expand"));
}

#[test]
fn a_stateful_route_refuses_a_query_value_of_the_wrong_type() {
    let mut store = Store::default();
    store.insert_user(json!({"first_name": "Ada"}));
    let reply = call(&mut store, "GET", "/v1/users?limit=many", None);
    assert_eq!(refusal(&reply), ("form_param_format_invalid", "limit"));
}

#[test]
fn a_stateful_route_refuses_a_missing_required_member() {
    let mut store = Store::default();
    let reply = call(
        &mut store,
        "POST",
        "/v1/organizations",
        Some(json!({"slug": "acme"})),
    );
    assert_eq!(refusal(&reply), ("form_param_missing", "name"));
    assert!(store.organizations().is_empty());
}

#[test]
fn a_stateful_route_refuses_a_member_of_the_wrong_type() {
    let mut store = Store::default();
    let id = store.insert_user(json!({"first_name": "Ada"}));
    let reply = call(
        &mut store,
        "PATCH",
        &format!("/v1/users/{id}"),
        Some(json!({"first_name": 5})),
    );
    assert_eq!(refusal(&reply), ("form_param_format_invalid", "first_name"));
    assert_eq!(store.user(&id).unwrap()["first_name"], "Ada");
}

#[test]
fn a_stateful_route_refuses_an_unknown_body_member() {
    let mut store = Store::default();
    let id = store.insert_organization(json!({"name": "Acme"}));
    let reply = call(
        &mut store,
        "PATCH",
        &format!("/v1/organizations/{id}"),
        Some(json!({"name": "Acme 2", "colour": "red"})),
    );
    assert_eq!(refusal(&reply), ("form_param_unknown", "colour"));
    assert_eq!(store.organizations()[0]["name"], "Acme");
}

#[test]
fn an_unversioned_machine_route_is_validated_too() {
    let mut store = Store::default();
    let secret = store.issue_api_key(json!({"subject": "user_1"}));
    let reply = call(
        &mut store,
        "POST",
        "/api_keys/verify",
        Some(json!({"secret": secret, "scopes": ["read"]})),
    );
    assert_eq!(refusal(&reply), ("form_param_unknown", "scopes"));
    let reply = call(
        &mut store,
        "POST",
        "/api_keys/verify",
        Some(json!({"secret": secret})),
    );
    assert_eq!(reply.status, 200);
}
