//! The Backend API client against the stand-in: the exact request of every
//! method (line, headers, body), answers, pagination, path encoding.

use std::time::Duration;

use clerk_actix::client::{
    ClerkClient, CreateAllowlistIdentifier, CreateInvitation, CreateOrganization,
    CreateOrganizationInvitation, CreateOrganizationMembership, CreateSession, CreateUser,
    ErrorKind, GetSessionToken, InvitationStatus, ListInvitations, ListOrganizationInvitations,
    ListOrganizationMemberships, ListOrganizations, ListSessions, ListUsers, Method, Pagination,
    SessionStatus, UpdateOrganization, UpdateOrganizationMetadata, UpdateUser, UpdateUserMetadata,
};
use clerk_actix::testing::{RecordedRequest, StandIn};
use serde_json::{json, Value};

/// A client of `stand_in` whose retries wait milliseconds, not seconds.
pub(crate) fn client(stand_in: &StandIn) -> ClerkClient {
    ClerkClient::builder(stand_in.clerk().unwrap())
        .retry_base_delay(Duration::from_millis(5))
        .build()
}

/// The one request the stand-in received since the last clear; clears.
fn only(stand_in: &StandIn) -> RecordedRequest {
    let requests = stand_in.requests();
    assert_eq!(requests.len(), 1, "{requests:#?}");
    stand_in.clear_requests();
    requests.into_iter().next().unwrap()
}

/// Asserts the request line, the four Clerk headers and the body.
fn check(stand_in: &StandIn, req: &RecordedRequest, line: &str, body: Option<Value>) {
    let target = if req.query().is_empty() {
        req.path().to_owned()
    } else {
        format!("{}?{}", req.path(), req.query())
    };
    assert_eq!(format!("{} {}", req.method(), target), line);
    let bearer = format!("Bearer {}", stand_in.secret_key());
    assert_eq!(req.header("authorization"), Some(bearer.as_str()));
    assert_eq!(req.header("clerk-api-version"), Some("2026-05-12"));
    assert_eq!(
        req.header("user-agent"),
        Some(concat!("clerk-actix/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(req.header("content-type"), Some("application/json"));
    match body {
        None => assert_eq!(req.body(), "", "expected no body on {line}"),
        Some(expected) => assert_eq!(req.json(), Some(expected), "body of {line}"),
    }
}

/// One call's single request.
fn check_only(stand_in: &StandIn, line: &str, body: Option<Value>) {
    let req = only(stand_in);
    check(stand_in, &req, line, body);
}

fn seeded() -> StandIn {
    StandIn::builder()
        .user(
            json!({"id": "user_1", "first_name": "Ada", "email_addresses": ["ada@example.com"],
                     "created_at": 1_000, "password": "correct horse"}),
        )
        .user(
            json!({"id": "user_2", "first_name": "Bob", "email_addresses": ["bob@example.com"],
                     "created_at": 2_000}),
        )
        .user(
            json!({"id": "user_3", "first_name": "Cy", "email_addresses": ["cy@example.com"],
                     "created_at": 3_000}),
        )
        .organization(json!({"id": "org_1", "name": "Acme", "slug": "acme"}))
        .start()
        .unwrap()
}

// ---------------------------------------------------------------- users --

#[actix_web::test]
async fn users_list_sends_list_and_count_and_combines_them() {
    let stand_in = seeded();
    let client = client(&stand_in);
    let page = client
        .users()
        .list(
            &ListUsers::default()
                .email_address(["ada@example.com", "bob@example.com"])
                .banned(false)
                .order_by("+created_at")
                .limit(1)
                .offset(1),
        )
        .await
        .unwrap();
    assert_eq!(page.total_count, 2);
    assert_eq!(page.data.len(), 1);
    assert_eq!(page.data[0].id, "user_2");
    let mut requests = stand_in.requests();
    assert_eq!(requests.len(), 2);
    requests.sort_by(|a, b| a.path().cmp(b.path()));
    check(
        &stand_in,
        &requests[0],
        "GET /v1/users?banned=false&email_address=ada%40example.com&email_address=bob%40example.com\
         &limit=1&offset=1&order_by=%2Bcreated_at",
        None,
    );
    check(
        &stand_in,
        &requests[1],
        "GET /v1/users/count?banned=false&email_address=ada%40example.com&email_address=bob%40example.com",
        None,
    );
}

#[actix_web::test]
async fn users_list_pages_through_everything() {
    let stand_in = seeded();
    let client = client(&stand_in);
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let page = client
            .users()
            .list(&ListUsers::default().limit(2).offset(offset))
            .await
            .unwrap();
        assert_eq!(page.total_count, 3);
        if page.data.is_empty() {
            break;
        }
        offset += u32::try_from(page.data.len()).unwrap();
        seen.extend(page.data.into_iter().map(|u| u.id));
    }
    // Default order: newest first.
    assert_eq!(seen, ["user_3", "user_2", "user_1"]);
}

#[actix_web::test]
async fn users_list_without_parameters_sends_no_query() {
    let stand_in = seeded();
    let page = client(&stand_in)
        .users()
        .list(&ListUsers::default())
        .await
        .unwrap();
    assert_eq!((page.data.len(), page.total_count), (3, 3));
    assert!(stand_in.requests().iter().all(|r| r.query().is_empty()));
}

#[actix_web::test]
async fn users_count_get_and_create() {
    let stand_in = seeded();
    let users = client(&stand_in);
    let users = users.users();
    let count = users
        .count(&ListUsers::default().query("ada").limit(5))
        .await
        .unwrap();
    assert_eq!(count, 1);
    check_only(&stand_in, "GET /v1/users/count?query=ada", None);

    let user = users.get("user_1").await.unwrap();
    assert_eq!(user.first_name.as_deref(), Some("Ada"));
    assert_eq!(
        user.primary_email_address().unwrap().email_address,
        "ada@example.com"
    );
    check_only(&stand_in, "GET /v1/users/user_1", None);

    let created = users
        .create(
            &CreateUser::default()
                .email_address(["grace@example.com"])
                .first_name("Grace")
                .password("analytical engine")
                .public_metadata(json!({"camelCase": {"keepMe": 1}})),
        )
        .await
        .unwrap();
    assert!(created.id.starts_with("user_"));
    assert!(created.password_enabled);
    assert_eq!(created.public_metadata["camelCase"]["keepMe"], 1);
    check_only(
        &stand_in,
        "POST /v1/users",
        Some(json!({
            "email_address": ["grace@example.com"],
            "first_name": "Grace",
            "password": "analytical engine",
            "public_metadata": {"camelCase": {"keepMe": 1}},
        })),
    );
}

#[actix_web::test]
async fn users_update_delete_and_metadata() {
    let stand_in = seeded();
    let client = client(&stand_in);
    let users = client.users();

    let user = users
        .update("user_2", &UpdateUser::default().last_name("Builder"))
        .await
        .unwrap();
    assert_eq!(user.last_name.as_deref(), Some("Builder"));
    check_only(
        &stand_in,
        "PATCH /v1/users/user_2",
        Some(json!({"last_name": "Builder"})),
    );

    users
        .update_metadata(
            "user_2",
            &UpdateUserMetadata::default()
                .public_metadata(json!({"plan": "pro", "Nested": {"a": 1, "b": 2}})),
        )
        .await
        .unwrap();
    stand_in.clear_requests();
    let merged = users
        .update_metadata(
            "user_2",
            &UpdateUserMetadata::default()
                .public_metadata(json!({"plan": null, "Nested": {"b": 3}}))
                .private_metadata(json!({"secret": true})),
        )
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&merged.public_metadata).unwrap(),
        json!({"Nested": {"a": 1, "b": 3}})
    );
    assert_eq!(merged.private_metadata["secret"], true);
    check_only(
        &stand_in,
        "PATCH /v1/users/user_2/metadata",
        Some(
            json!({"public_metadata": {"plan": null, "Nested": {"b": 3}},
                    "private_metadata": {"secret": true}}),
        ),
    );

    let replaced = users
        .replace_metadata(
            "user_2",
            &UpdateUserMetadata::default().public_metadata(json!({"only": 1})),
        )
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&replaced.public_metadata).unwrap(),
        json!({"only": 1})
    );
    assert_eq!(replaced.private_metadata["secret"], true);
    check_only(
        &stand_in,
        "PUT /v1/users/user_2/metadata",
        Some(json!({"public_metadata": {"only": 1}})),
    );

    let deleted = users.delete("user_2").await.unwrap();
    assert!(deleted.deleted);
    assert_eq!(deleted.object, "user");
    assert_eq!(deleted.id.as_deref(), Some("user_2"));
    check_only(&stand_in, "DELETE /v1/users/user_2", None);
    assert_eq!(users.get("user_2").await.unwrap_err().status(), Some(404));
}

#[actix_web::test]
async fn users_ban_unban_lock_unlock_send_no_body() {
    let stand_in = seeded();
    let client = client(&stand_in);
    let users = client.users();
    assert!(users.ban("user_1").await.unwrap().banned);
    check_only(&stand_in, "POST /v1/users/user_1/ban", None);
    assert!(!users.unban("user_1").await.unwrap().banned);
    check_only(&stand_in, "POST /v1/users/user_1/unban", None);
    assert!(users.lock("user_1").await.unwrap().locked);
    check_only(&stand_in, "POST /v1/users/user_1/lock", None);
    assert!(!users.unlock("user_1").await.unwrap().locked);
    check_only(&stand_in, "POST /v1/users/user_1/unlock", None);
}

#[actix_web::test]
async fn users_verify_password_true_false() {
    let stand_in = seeded();
    let client = client(&stand_in);
    assert!(client
        .users()
        .verify_password("user_1", "correct horse")
        .await
        .unwrap());
    check_only(
        &stand_in,
        "POST /v1/users/user_1/verify_password",
        Some(json!({"password": "correct horse"})),
    );
    assert!(!client
        .users()
        .verify_password("user_1", "wrong")
        .await
        .unwrap());
    let missing = client
        .users()
        .verify_password("user_404", "x")
        .await
        .unwrap_err();
    assert_eq!(missing.status(), Some(404));
}

#[actix_web::test]
async fn users_organization_memberships_and_oauth_tokens() {
    let stand_in = seeded();
    stand_in.with_store(|store| {
        store.insert_membership("org_1", "user_1", "org:admin");
    });
    let client = client(&stand_in);
    let page = client
        .users()
        .organization_memberships("user_1", &Pagination::default().limit(5))
        .await
        .unwrap();
    assert_eq!(page.total_count, 1);
    assert_eq!(page.data[0].organization.slug, "acme");
    assert_eq!(page.data[0].role, "org:admin");
    assert_eq!(
        page.data[0].public_user_data.as_ref().unwrap().user_id,
        "user_1"
    );
    check_only(
        &stand_in,
        "GET /v1/users/user_1/organization_memberships?limit=5",
        None,
    );

    let tokens = client
        .users()
        .oauth_access_tokens("user_1", "google")
        .await
        .unwrap();
    assert_eq!(tokens.total_count, 0);
    check_only(
        &stand_in,
        "GET /v1/users/user_1/oauth_access_tokens/oauth_google?paginated=true",
        None,
    );
}

// -------------------------------------------------------- organizations --

#[actix_web::test]
async fn organizations_crud() {
    let stand_in = seeded();
    let client = client(&stand_in);
    let orgs = client.organizations();

    let created = orgs
        .create(
            &CreateOrganization::new("Globex")
                .slug("globex")
                .created_by("user_1")
                .max_allowed_memberships(5)
                .public_metadata(json!({"tier": "gold"})),
        )
        .await
        .unwrap();
    assert_eq!(created.slug, "globex");
    assert_eq!(created.created_by.as_deref(), Some("user_1"));
    check_only(
        &stand_in,
        "POST /v1/organizations",
        Some(
            json!({"name": "Globex", "slug": "globex", "created_by": "user_1",
                    "max_allowed_memberships": 5, "public_metadata": {"tier": "gold"}}),
        ),
    );

    let page = orgs
        .list(
            &ListOrganizations::default()
                .query("glob")
                .include_members_count(true)
                .limit(2),
        )
        .await
        .unwrap();
    assert_eq!(page.total_count, 1);
    assert_eq!(page.data[0].members_count, Some(1));
    check_only(
        &stand_in,
        "GET /v1/organizations?include_members_count=true&limit=2&query=glob",
        None,
    );

    assert_eq!(orgs.get("globex").await.unwrap().id, created.id);
    check_only(&stand_in, "GET /v1/organizations/globex", None);
    assert_eq!(orgs.get(&created.id).await.unwrap().name, "Globex");
    stand_in.clear_requests();

    let updated = orgs
        .update(
            &created.id,
            &UpdateOrganization::default()
                .name("Globex Corp")
                .admin_delete_enabled(false),
        )
        .await
        .unwrap();
    assert_eq!(updated.name, "Globex Corp");
    assert!(!updated.admin_delete_enabled);
    check_only(
        &stand_in,
        &format!("PATCH /v1/organizations/{}", created.id),
        Some(json!({"name": "Globex Corp", "admin_delete_enabled": false})),
    );

    let merged = orgs
        .update_metadata(
            &created.id,
            &UpdateOrganizationMetadata::default().public_metadata(json!({"region": "eu"})),
        )
        .await
        .unwrap();
    assert_eq!(merged.public_metadata["tier"], "gold");
    assert_eq!(merged.public_metadata["region"], "eu");
    check_only(
        &stand_in,
        &format!("PATCH /v1/organizations/{}/metadata", created.id),
        Some(json!({"public_metadata": {"region": "eu"}})),
    );

    let replaced = orgs
        .replace_metadata(
            &created.id,
            &UpdateOrganizationMetadata::default().public_metadata(json!({"region": "us"})),
        )
        .await
        .unwrap();
    assert!(replaced.public_metadata.get("tier").is_none());
    check_only(
        &stand_in,
        &format!("PUT /v1/organizations/{}/metadata", created.id),
        Some(json!({"public_metadata": {"region": "us"}})),
    );

    let deleted = orgs.delete(&created.id).await.unwrap();
    assert!(deleted.deleted);
    assert_eq!(deleted.slug.as_deref(), Some("globex"));
    check_only(
        &stand_in,
        &format!("DELETE /v1/organizations/{}", created.id),
        None,
    );
}

#[actix_web::test]
async fn organization_memberships_crud() {
    let stand_in = seeded();
    let client = client(&stand_in);
    let orgs = client.organizations();

    let membership = orgs
        .create_membership(
            "org_1",
            &CreateOrganizationMembership::new("user_2", "org:member"),
        )
        .await
        .unwrap();
    assert_eq!(membership.role, "org:member");
    assert_eq!(membership.organization.id, "org_1");
    check_only(
        &stand_in,
        "POST /v1/organizations/org_1/memberships",
        Some(json!({"user_id": "user_2", "role": "org:member"})),
    );
    orgs.create_membership(
        "org_1",
        &CreateOrganizationMembership::new("user_1", "org:admin"),
    )
    .await
    .unwrap();
    stand_in.clear_requests();

    let admins = orgs
        .list_memberships(
            "org_1",
            &ListOrganizationMemberships::default()
                .role(["org:admin", "org:owner"])
                .limit(10),
        )
        .await
        .unwrap();
    assert_eq!(admins.total_count, 1);
    assert_eq!(
        admins.data[0].public_user_data.as_ref().unwrap().user_id,
        "user_1"
    );
    check_only(
        &stand_in,
        "GET /v1/organizations/org_1/memberships?limit=10&role=org%3Aadmin&role=org%3Aowner",
        None,
    );

    let promoted = orgs
        .update_membership("org_1", "user_2", "org:admin")
        .await
        .unwrap();
    assert_eq!(promoted.role, "org:admin");
    check_only(
        &stand_in,
        "PATCH /v1/organizations/org_1/memberships/user_2",
        Some(json!({"role": "org:admin"})),
    );

    let with_metadata = orgs
        .update_membership_metadata(
            "org_1",
            "user_2",
            &UpdateOrganizationMetadata::default().public_metadata(json!({"team": "core"})),
        )
        .await
        .unwrap();
    assert_eq!(with_metadata.public_metadata["team"], "core");
    check_only(
        &stand_in,
        "PATCH /v1/organizations/org_1/memberships/user_2/metadata",
        Some(json!({"public_metadata": {"team": "core"}})),
    );

    let removed = orgs.delete_membership("org_1", "user_2").await.unwrap();
    assert_eq!(removed.id, membership.id);
    check_only(
        &stand_in,
        "DELETE /v1/organizations/org_1/memberships/user_2",
        None,
    );
}

#[actix_web::test]
async fn organization_invitations_crud() {
    let stand_in = seeded();
    let client = client(&stand_in);
    let orgs = client.organizations();

    let invitation = orgs
        .create_invitation(
            "org_1",
            &CreateOrganizationInvitation::new("dee@example.com", "org:member")
                .inviter_user_id("user_1")
                .redirect_url("https://app.example.com/join")
                .expires_in_days(7),
        )
        .await
        .unwrap();
    assert_eq!(invitation.status, Some(InvitationStatus::Pending));
    assert_eq!(invitation.organization_id.as_deref(), Some("org_1"));
    check_only(
        &stand_in,
        "POST /v1/organizations/org_1/invitations",
        Some(
            json!({"email_address": "dee@example.com", "role": "org:member",
                    "inviter_user_id": "user_1", "redirect_url": "https://app.example.com/join",
                    "expires_in_days": 7}),
        ),
    );

    let fetched = orgs.get_invitation("org_1", &invitation.id).await.unwrap();
    assert_eq!(fetched.email_address, "dee@example.com");
    check_only(
        &stand_in,
        &format!("GET /v1/organizations/org_1/invitations/{}", invitation.id),
        None,
    );

    let pending = orgs
        .list_invitations(
            "org_1",
            &ListOrganizationInvitations::default().status(["pending", "expired"]),
        )
        .await
        .unwrap();
    assert_eq!(pending.total_count, 1);
    check_only(
        &stand_in,
        "GET /v1/organizations/org_1/invitations?status=pending&status=expired",
        None,
    );

    let revoked = orgs
        .revoke_invitation("org_1", &invitation.id, Some("user_1"))
        .await
        .unwrap();
    assert_eq!(revoked.status, Some(InvitationStatus::Revoked));
    check_only(
        &stand_in,
        &format!(
            "POST /v1/organizations/org_1/invitations/{}/revoke",
            invitation.id
        ),
        Some(json!({"requesting_user_id": "user_1"})),
    );

    let second = orgs
        .create_invitation(
            "org_1",
            &CreateOrganizationInvitation::new("eve@example.com", "org:member"),
        )
        .await
        .unwrap();
    stand_in.clear_requests();
    orgs.revoke_invitation("org_1", &second.id, None)
        .await
        .unwrap();
    check_only(
        &stand_in,
        &format!(
            "POST /v1/organizations/org_1/invitations/{}/revoke",
            second.id
        ),
        None,
    );
}

// ------------------------------------------------------------- sessions --

#[actix_web::test]
async fn sessions_list_get_revoke_create() {
    let stand_in = seeded();
    let client = client(&stand_in);
    let sessions = client.sessions();

    let created = sessions
        .create(&CreateSession::new("user_1"))
        .await
        .unwrap();
    assert_eq!(created.status, SessionStatus::Active);
    assert_eq!(created.user_id, "user_1");
    check_only(
        &stand_in,
        "POST /v1/sessions",
        Some(json!({"user_id": "user_1"})),
    );

    let page = sessions
        .list(&ListSessions::default().user_id("user_1").status("active"))
        .await
        .unwrap();
    assert_eq!(page.total_count, 1);
    assert_eq!(page.data[0].id, created.id);
    check_only(
        &stand_in,
        "GET /v1/sessions?status=active&user_id=user_1&paginated=true",
        None,
    );

    assert_eq!(sessions.get(&created.id).await.unwrap().id, created.id);
    check_only(&stand_in, &format!("GET /v1/sessions/{}", created.id), None);

    let revoked = sessions.revoke(&created.id).await.unwrap();
    assert_eq!(revoked.status, SessionStatus::Revoked);
    check_only(
        &stand_in,
        &format!("POST /v1/sessions/{}/revoke", created.id),
        None,
    );
}

#[actix_web::test]
async fn session_tokens_with_and_without_template() {
    let stand_in = seeded();
    let session_id =
        stand_in.with_store(|store| store.insert_session(json!({"user_id": "user_1"})));
    let client = client(&stand_in);
    let sessions = client.sessions();

    let token = sessions
        .get_token(&session_id, &GetSessionToken::default())
        .await
        .unwrap();
    assert_eq!(token.object, "token");
    assert_eq!(token.jwt.split('.').count(), 3);
    assert!(!format!("{token:?}").contains(&token.jwt));
    check_only(
        &stand_in,
        &format!("POST /v1/sessions/{session_id}/tokens"),
        None,
    );

    sessions
        .get_token(
            &session_id,
            &GetSessionToken::default()
                .template("supabase")
                .expires_in_seconds(60),
        )
        .await
        .unwrap();
    check_only(
        &stand_in,
        &format!("POST /v1/sessions/{session_id}/tokens/supabase"),
        Some(json!({"expires_in_seconds": 60})),
    );
}

#[actix_web::test]
async fn session_token_signed_by_the_stand_in_verifies() {
    let stand_in = seeded();
    let session_id = stand_in.with_store(|store| {
        store.set_token_issuer(stand_in.issuer().clone());
        store.insert_session(json!({"user_id": "user_1"}))
    });
    let clerk = stand_in.clerk().unwrap();
    let token = clerk
        .client()
        .sessions()
        .get_token(&session_id, &GetSessionToken::default())
        .await
        .unwrap();
    let claims = clerk.verify_token(&token.jwt).await.unwrap();
    assert_eq!(claims.user_id(), "user_1");
}

// ------------------------------------------- invitations, allowlist, JWKS --

#[actix_web::test]
async fn invitations_list_create_revoke() {
    let stand_in = seeded();
    let client = client(&stand_in);
    let invitations = client.invitations();

    let invitation = invitations
        .create(
            &CreateInvitation::new("fay@example.com")
                .redirect_url("https://app.example.com/sign-up")
                .public_metadata(json!({"referrer": "Ada"}))
                .notify(false),
        )
        .await
        .unwrap();
    assert_eq!(invitation.status, InvitationStatus::Pending);
    assert_eq!(invitation.public_metadata["referrer"], "Ada");
    check_only(
        &stand_in,
        "POST /v1/invitations",
        Some(json!({"email_address": "fay@example.com",
                    "redirect_url": "https://app.example.com/sign-up",
                    "public_metadata": {"referrer": "Ada"}, "notify": false})),
    );

    let page = invitations
        .list(&ListInvitations::default().status("pending").limit(20))
        .await
        .unwrap();
    assert_eq!(page.total_count, 1);
    check_only(
        &stand_in,
        "GET /v1/invitations?limit=20&status=pending&paginated=true",
        None,
    );

    let revoked = invitations.revoke(&invitation.id).await.unwrap();
    assert_eq!(revoked.status, InvitationStatus::Revoked);
    assert_eq!(revoked.revoked, Some(true));
    check_only(
        &stand_in,
        &format!("POST /v1/invitations/{}/revoke", invitation.id),
        None,
    );
}

#[actix_web::test]
async fn allowlist_list_create_delete() {
    let stand_in = seeded();
    let client = client(&stand_in);
    let allowlist = client.allowlist_identifiers();

    let entry = allowlist
        .create(&CreateAllowlistIdentifier::new("*@example.com").notify(false))
        .await
        .unwrap();
    assert_eq!(entry.identifier, "*@example.com");
    assert_eq!(entry.identifier_type.as_str(), "email_address");
    check_only(
        &stand_in,
        "POST /v1/allowlist_identifiers",
        Some(json!({"identifier": "*@example.com", "notify": false})),
    );

    let page = allowlist.list(&Pagination::default()).await.unwrap();
    assert_eq!(page.total_count, 1);
    check_only(
        &stand_in,
        "GET /v1/allowlist_identifiers?paginated=true",
        None,
    );

    let deleted = allowlist.delete(&entry.id).await.unwrap();
    assert!(deleted.deleted);
    check_only(
        &stand_in,
        &format!("DELETE /v1/allowlist_identifiers/{}", entry.id),
        None,
    );
}

#[actix_web::test]
async fn jwks_lists_the_stand_in_key() {
    let stand_in = seeded();
    let jwks = client(&stand_in).jwks().await.unwrap();
    assert_eq!(jwks.keys.len(), 1);
    let key = &jwks.keys[0];
    assert_eq!(key.common.key_id.as_deref(), Some(stand_in.issuer().kid()));
    assert!(matches!(
        key.algorithm,
        jsonwebtoken::jwk::AlgorithmParameters::RSA(_)
    ));
    check_only(&stand_in, "GET /v1/jwks", None);
}

// ------------------------------------------------------ generic request --

#[actix_web::test]
async fn generic_request_query_body_and_segments() {
    let stand_in = seeded();
    let client = client(&stand_in);

    let count: Value = client
        .request(Method::GET, "/users/count")
        .query(&json!({"user_id": ["user_1", "user_2"], "query": null, "banned": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(count["total_count"], 2);
    check_only(
        &stand_in,
        "GET /v1/users/count?banned=false&user_id=user_1&user_id=user_2",
        None,
    );

    // An empty object sends no body at all.
    let user: Value = client
        .request(Method::POST, "/users")
        .segment("user_1")
        .segment("ban")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(user["banned"], true);
    check_only(&stand_in, "POST /v1/users/user_1/ban", None);

    // A GET never sends a body.
    let _: Value = client
        .request(Method::GET, "/users/user_1")
        .json(&json!({"ignored": true}))
        .send()
        .await
        .unwrap();
    check_only(&stand_in, "GET /v1/users/user_1", None);
}

#[actix_web::test]
async fn generic_request_unversioned_drops_v1() {
    let stand_in = seeded();
    let page: Value = client(&stand_in)
        .request(Method::GET, "/m2m_tokens")
        .unversioned()
        .query_pair("subject", "mch_1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        page,
        serde_json::json!({"m2m_tokens": [], "total_count": 0})
    );
    check_only(&stand_in, "GET /m2m_tokens?subject=mch_1", None);
}

#[actix_web::test]
async fn generic_request_bad_query_fails_before_sending() {
    let stand_in = seeded();
    let error = client(&stand_in)
        .request(Method::GET, "/users")
        .query(&json!({"nested": {"a": 1}}))
        .send::<Value>()
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::InvalidRequest(_)),
        "{error}"
    );
    assert!(stand_in.requests().is_empty());
}

// -------------------------------------------------------- path encoding --

#[actix_web::test]
async fn ids_with_slash_query_hash_percent_stay_one_segment() {
    let stand_in = seeded();
    let client = client(&stand_in);
    for (id, encoded) in [
        ("user_1/ban", "user_1%2Fban"),
        ("../jwks", "..%2Fjwks"),
        ("user_1?x=1", "user_1%3Fx%3D1"),
        ("user_1#frag", "user_1%23frag"),
        ("100%", "100%25"),
    ] {
        let error = client.users().get(id).await.unwrap_err();
        assert_eq!(error.status(), Some(404), "{id}");
        check_only(&stand_in, &format!("GET /v1/users/{encoded}"), None);
    }
}

#[actix_web::test]
async fn an_id_with_a_slash_round_trips() {
    let stand_in = StandIn::builder()
        .user(json!({"id": "user/../odd"}))
        .start()
        .unwrap();
    let user = client(&stand_in).users().get("user/../odd").await.unwrap();
    assert_eq!(user.id, "user/../odd");
}

#[actix_web::test]
async fn dot_segments_and_empty_ids_fail_before_sending() {
    let stand_in = seeded();
    let client = client(&stand_in);
    for id in ["", ".", ".."] {
        let error = client.users().get(id).await.unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::InvalidPath(_)),
            "{id:?}: {error}"
        );
        assert!(error.to_string().contains("nothing was sent"), "{error}");
        let error = client.users().delete(id).await.unwrap_err();
        assert!(matches!(error.kind(), ErrorKind::InvalidPath(_)));
    }
    let error = client
        .request(Method::GET, "/users/../jwks")
        .send::<Value>()
        .await
        .unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::InvalidPath(_)));
    assert!(stand_in.requests().is_empty());
}

// ------------------------------------------------------- plain programs --

#[test]
fn works_from_a_plain_actix_main_and_across_threads() {
    let stand_in = seeded();
    let client = client(&stand_in);
    let threads: Vec<_> = (0..3)
        .map(|_| {
            let client = client.clone();
            std::thread::spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let mut ids = Vec::new();
                    for _ in 0..5 {
                        ids.push(client.users().get("user_1").await.unwrap().id);
                    }
                    ids
                })
            })
        })
        .collect();
    for thread in threads {
        assert_eq!(thread.join().unwrap(), vec!["user_1"; 5]);
    }
    assert_eq!(stand_in.count("/v1/users/user_1"), 15);
}
