//! The client's models decode every response body in tests/fixtures/ (from
//! Clerk's JS SDK) and the examples synthesized from the OpenAPI schemas
//! (tests/fixtures/openapi/, written by its generate.py).

use std::path::PathBuf;

use clerk_actix::client::{
    AllowlistIdentifier, ApiErrorDetail, DeletedObject, IdentifierType, Invitation,
    InvitationStatus, Jwks, OauthAccessToken, Organization, OrganizationInvitation,
    OrganizationMembership, PaginatedList, Session, SessionStatus, Token, TotalCount, User,
    VerificationStatus, WaitlistEntry,
};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn decode<T: DeserializeOwned>(name: &str) -> T {
    let text = std::fs::read_to_string(dir().join(name)).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The SDK fixtures this file decodes; a new fixture must be added here.
const SDK_FIXTURES: &[&str] = &[
    "deleted-domain.json",
    "error-422.json",
    "jwks.json",
    "oauth-access-tokens-paginated.json",
    "organization-invitations-bulk-paginated.json",
    "session-token.json",
    "user.json",
    "users-count.json",
    "waitlist-entries-bulk.json",
];

#[test]
fn every_sdk_fixture_is_covered() {
    let mut found: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    found.sort();
    assert_eq!(found, SDK_FIXTURES);
}

#[test]
fn user_fixture_decodes_old_and_partial_shape() {
    let user: User = decode("user.json");
    assert_eq!(user.id, "user_cafebabe");
    assert_eq!(user.first_name.as_deref(), Some("John"));
    assert_eq!(user.username, None);
    assert!(user.two_factor_enabled);
    assert!(!user.has_image, "absent in the fixture: defaults to false");
    assert_eq!(
        user.primary_email_address().unwrap().email_address,
        "john.doe@clerk.test"
    );
    let verification = user.email_addresses[0].verification.as_ref().unwrap();
    assert_eq!(verification.status, VerificationStatus::Verified);
    assert_eq!(verification.strategy, "from_oauth_google");
    assert_eq!(
        user.email_addresses[0].linked_to[0].link_type,
        "oauth_google"
    );
    assert_eq!(
        user.primary_phone_number().unwrap().phone_number,
        "+311-555-2368"
    );
    assert_eq!(
        user.web3_wallets[0]
            .verification
            .as_ref()
            .unwrap()
            .nonce
            .as_deref(),
        Some("l6i2keszfr0yftb0aghwxye8xdxmec2x4m86elc5")
    );
    assert_eq!(user.external_accounts.len(), 2);
    assert_eq!(user.external_accounts[0].object, "google_account");
    assert_eq!(
        user.external_accounts[0].external_account_id.as_deref(),
        Some("eac_2abcGoogleExternalAccount0000")
    );
    assert_eq!(
        user.enterprise_accounts[0].protocol.as_deref(),
        Some("saml")
    );
    assert_eq!(user.saml_accounts[0].provider, "saml_microsoft");
    assert_eq!(user.public_metadata["zodiac_sign"], "leo");
    assert_eq!(user.created_at, 1_611_948_436);
}

#[test]
fn small_sdk_fixtures_decode() {
    let jwks: Jwks = decode("jwks.json");
    assert_eq!(jwks.keys[0].common.key_id.as_deref(), Some("ins_1234"));
    assert_eq!(
        jwks.keys[0].common.public_key_use,
        Some(jsonwebtoken::jwk::PublicKeyUse::Signature)
    );

    let count: TotalCount = decode("users-count.json");
    assert_eq!(
        (count.object.as_str(), count.total_count),
        ("total_count", 2)
    );

    let token: Token = decode("session-token.json");
    assert_eq!(token.object, "token");
    assert!(token.jwt.starts_with("eyJ"));

    let deleted: DeletedObject = decode("deleted-domain.json");
    assert_eq!(deleted.object, "domain");
    assert_eq!(deleted.id.as_deref(), Some("dmn_123"));
    assert!(deleted.deleted);

    #[derive(Deserialize)]
    struct Errors {
        errors: Vec<ApiErrorDetail>,
        clerk_trace_id: String,
    }
    let errors: Errors = decode("error-422.json");
    assert_eq!(errors.errors[0].code, "whatever_error");
    assert_eq!(errors.errors[0].meta["param_name"], "some param");
    assert_eq!(errors.clerk_trace_id, "trace_id_123");
}

#[test]
fn list_fixtures_decode_in_both_shapes() {
    let tokens: PaginatedList<OauthAccessToken> = decode("oauth-access-tokens-paginated.json");
    assert_eq!(tokens.total_count, 1);
    assert_eq!(tokens.data[0].provider, "oauth_google");
    assert_eq!(tokens.data[0].scopes, ["email", "profile"]);
    assert!(!format!("{:?}", tokens.data[0]).contains("<token>"));

    let invitations: PaginatedList<OrganizationInvitation> =
        decode("organization-invitations-bulk-paginated.json");
    assert_eq!(invitations.total_count, 2);
    assert_eq!(invitations.data[1].email_address, "two@example.com");
    assert_eq!(invitations.data[0].status, Some(InvitationStatus::Pending));
    assert_eq!(invitations.data[0].expires_at, Some(1_643_673_600));

    let entries: PaginatedList<WaitlistEntry> = decode("waitlist-entries-bulk.json");
    assert_eq!(entries.total_count, 2);
    assert_eq!(entries.data[0].id, "wle_123");
    assert!(entries.data[0].invitation.is_none());
    let bare: Vec<WaitlistEntry> = decode("waitlist-entries-bulk.json");
    assert_eq!(bare.len(), 2);
}

// ------------------------------------------------------------- OpenAPI --

fn both<T: DeserializeOwned>(schema: &str) -> (T, T) {
    (
        decode(&format!("openapi/{schema}.full.json")),
        decode(&format!("openapi/{schema}.required.json")),
    )
}

#[test]
fn openapi_user_examples_decode() {
    let (full, required): (User, User) = both("User");
    assert_eq!(full.id, "id_example");
    assert_eq!(full.last_active_at, Some(1_700_690_400_000));
    assert_eq!(
        full.email_addresses[0]
            .verification
            .as_ref()
            .unwrap()
            .status,
        VerificationStatus::Unverified
    );
    assert_eq!(full.organization_memberships.len(), 1);
    assert_eq!(full.passkeys.len(), 1);
    assert!(full.bypass_client_trust);
    assert_eq!(required.object, "user");
    assert_eq!(required.first_name, None);
    assert!(required.email_addresses.is_empty());
}

#[test]
fn openapi_organization_examples_decode() {
    let (full, required): (Organization, Organization) = both("Organization");
    assert_eq!(full.object, "organization");
    assert_eq!(full.members_count, Some(1_700_000_000_000));
    assert_eq!(full.role_set_key.as_deref(), Some("role_set_key_example"));
    assert_eq!(required.created_by, None);
    assert_eq!(required.slug, "slug_example");
}

#[test]
fn openapi_membership_examples_decode() {
    let (full, required): (OrganizationMembership, OrganizationMembership) =
        both("OrganizationMembership");
    assert_eq!(full.object, "organization_membership");
    assert_eq!(full.permissions, ["permissions_example"]);
    assert_eq!(
        full.public_user_data.as_ref().unwrap().user_id,
        "user_id_example"
    );
    assert!(required.public_user_data.is_none());
}

#[test]
fn openapi_session_examples_decode() {
    let (full, required): (Session, Session) = both("Session");
    assert_eq!(full.status, SessionStatus::Active);
    assert_eq!(full.tasks.as_ref().unwrap()[0].key, "key_example");
    assert!(full.latest_activity.is_some());
    assert_eq!(required.user_id, "user_id_example");
    assert_eq!(required.actor, None);
}

#[test]
fn openapi_invitation_examples_decode() {
    let (full, required): (Invitation, Invitation) = both("Invitation");
    assert_eq!(full.status, InvitationStatus::Pending);
    assert_eq!(full.revoked, Some(false));
    assert_eq!(required.object, "invitation");
    let (full, _): (OrganizationInvitation, OrganizationInvitation) =
        both("OrganizationInvitation");
    assert_eq!(full.object, "organization_invitation");
    let (full, _): (AllowlistIdentifier, AllowlistIdentifier) = both("AllowlistIdentifier");
    assert_eq!(full.identifier_type, IdentifierType::EmailAddress);
}

#[test]
fn openapi_small_shapes_decode() {
    let (deleted, _): (DeletedObject, DeletedObject) = both("DeletedObject");
    assert!(deleted.deleted);
    let (count, _): (TotalCount, TotalCount) = both("TotalCount");
    assert_eq!(count.object, "total_count");
    let (token, _): (Token, Token) = both("Token");
    assert_eq!(token.jwt, "jwt_example");
    #[derive(Deserialize)]
    struct Errors {
        errors: Vec<ApiErrorDetail>,
    }
    let (errors, _): (Errors, Errors) = both("ClerkErrors");
    assert_eq!(errors.errors[0].code, "code_example");
}

// ----------------------------------------------------------- leniency --

#[test]
fn unknown_fields_enum_values_and_nulls_are_tolerated() {
    let user: User = serde_json::from_value(json!({
        "object": "user", "id": "user_1", "brand_new_field": {"x": 1},
        "email_addresses": null, "public_metadata": null, "banned": null,
        "phone_numbers": [{"phone_number": "+1", "verification": {"status": "quantum"}}],
        "created_at": null,
    }))
    .unwrap();
    assert!(user.email_addresses.is_empty());
    assert!(user.public_metadata.is_empty());
    assert!(!user.banned);
    assert_eq!(
        user.phone_numbers[0].verification.as_ref().unwrap().status,
        VerificationStatus::Other("quantum".into())
    );
    let session: Session =
        serde_json::from_value(json!({"id": "sess_1", "status": "hibernating"})).unwrap();
    assert_eq!(session.status.as_str(), "hibernating");
    let entry: AllowlistIdentifier =
        serde_json::from_value(json!({"identifier": "x", "identifier_type": "passkey"})).unwrap();
    assert_eq!(
        entry.identifier_type,
        IdentifierType::Other("passkey".into())
    );
}

#[test]
fn models_serialize_back_to_wire_names() {
    let user: User = decode("user.json");
    let value: Value = serde_json::to_value(&user).unwrap();
    assert_eq!(value["primary_email_address_id"], "idn_email_address");
    assert_eq!(
        value["email_addresses"][0]["linked_to"][0]["type"],
        "oauth_google"
    );
    assert_eq!(
        value["email_addresses"][0]["verification"]["status"],
        "verified"
    );
}
