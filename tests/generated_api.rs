//! The generated Backend API methods against the stand-in: ids percent-
//! encoded as one path segment per character class, list streams, and
//! broken answers as typed errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use clerk_actix::client::{types, ErrorKind};
use clerk_actix::testing::StandIn;
use futures_util::{StreamExt, TryStreamExt};
use serde_json::json;

fn run<F: std::future::Future<Output = ()>>(f: F) {
    actix_web::rt::System::new().block_on(f);
}

/// `DELETE /v1/users/{user_id}/totp` with `id`: what was sent, and whether
/// the stand-in read it back as the same single segment.
fn sent_path(id: &'static str) -> String {
    let mut path = String::new();
    run(async {
        let stand_in = StandIn::start().unwrap();
        let users = stand_in.clerk().unwrap().client().users();
        let answer = users.delete_totp(id).await;
        assert!(answer.is_ok(), "{id:?}: {answer:?}");
        let request = &stand_in.requests()[0];
        assert_eq!(request.method(), "DELETE");
        path = request.path().to_owned();
    });
    path
}

#[test]
fn slash_in_an_id_stays_one_segment() {
    assert_eq!(sent_path("a/b"), "/v1/users/a%2Fb/totp");
}

#[test]
fn question_mark_and_hash_in_an_id_stay_in_the_path() {
    assert_eq!(sent_path("a?b#c"), "/v1/users/a%3Fb%23c/totp");
}

#[test]
fn percent_in_an_id_is_encoded_not_decoded() {
    assert_eq!(sent_path("100%25"), "/v1/users/100%2525/totp");
}

#[test]
fn space_in_an_id_is_encoded() {
    assert_eq!(sent_path("ada lovelace"), "/v1/users/ada%20lovelace/totp");
}

#[test]
fn non_ascii_in_an_id_is_utf8_percent_encoded() {
    assert_eq!(sent_path("usér_ü"), "/v1/users/us%C3%A9r_%C3%BC/totp");
}

#[test]
fn dot_dot_as_an_id_is_refused_before_sending() {
    run(async {
        let stand_in = StandIn::start().unwrap();
        let users = stand_in.clerk().unwrap().client().users();
        let err = users.delete_totp("..").await.unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::InvalidPath(_)), "{err:?}");
        assert!(stand_in.requests().is_empty());
    });
}

#[test]
fn a_generated_list_stream_fetches_pages_lazily_until_total_count() {
    run(async {
        let stand_in = StandIn::start().unwrap();
        // Every page answers two items of a total of five.
        let item = json!({"object": "organization_invitation", "id": "orginv_1", "email_address": "a@example.com"});
        stand_in.with_store(|store| {
            store.canned(
                "GET",
                "/v1/organization_invitations",
                200,
                json!({"data": [item, item], "total_count": 5}),
            );
        });
        let organizations = stand_in.clerk().unwrap().client().organizations();
        let query = types::ListInstanceOrganizationInvitations::default().limit(2);
        let first: Vec<_> = organizations
            .list_instance_invitations_stream(query.clone())
            .take(1)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(stand_in.requests().len(), 1, "one page for one item");
        stand_in.clear_requests();
        let all: Vec<_> = organizations
            .list_instance_invitations_stream(query)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(
            all.len(),
            6,
            "three pages of two, stopping at total_count 5"
        );
        let offsets: Vec<String> = stand_in
            .requests()
            .iter()
            .map(|r| r.query().to_owned())
            .collect();
        assert_eq!(
            offsets,
            ["limit=2&offset=0", "limit=2&offset=2", "limit=2&offset=4"]
        );
    });
}

#[test]
fn a_stream_ends_on_a_short_page_and_yields_the_error() {
    run(async {
        let stand_in = StandIn::start().unwrap();
        let organizations = stand_in.clerk().unwrap().client().organizations();
        // The spec's example: one item, shorter than the page size.
        let all: Vec<_> = organizations
            .list_instance_invitations_stream(types::ListInstanceOrganizationInvitations::default())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(stand_in.requests()[0].query(), "limit=100&offset=0");
        stand_in.with_store(|store| {
            store.canned(
                "GET",
                "/v1/organization_invitations",
                500,
                json!({"errors": []}),
            );
        });
        let results: Vec<_> = organizations
            .list_instance_invitations_stream(types::ListInstanceOrganizationInvitations::default())
            .collect()
            .await;
        assert_eq!(results.len(), 1);
        assert!(results[0].is_err());
    });
}

#[test]
fn a_malformed_answer_is_a_typed_error_naming_the_endpoint() {
    run(async {
        let stand_in = StandIn::start().unwrap();
        stand_in.with_store(|store| {
            store.canned(
                "POST",
                "/v1/users/user_1/remove_password",
                200,
                json!("not a user"),
            );
        });
        let users = stand_in.clerk().unwrap().client().users();
        let err = users
            .remove_password("user_1", &types::RemoveUserPassword::default())
            .await
            .unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Decode(_)), "{err:?}");
        assert_eq!(
            err.endpoint(),
            Some("POST /v1/users/user_1/remove_password")
        );
    });
}

#[test]
fn unknown_fields_and_enum_values_decode() {
    run(async {
        let stand_in = StandIn::start().unwrap();
        stand_in.with_store(|store| {
            store.canned(
                "GET",
                "/v1/users/user_1/trusted_devices",
                200,
                json!({"data": [{"id": "td_1", "from_the_future": [1, 2], "status": "quantum"}], "total_count": 1}),
            );
        });
        let users = stand_in.clerk().unwrap().client().users();
        let page = users.list_trusted_devices("user_1").await.unwrap();
        assert_eq!(page.total_count, 1);
        assert_eq!(page.data[0].id, "td_1");
    });
}

#[test]
fn a_profile_image_is_uploaded_as_multipart_form_data() {
    run(async {
        let stand_in = StandIn::builder()
            .user(json!({"id": "user_1", "first_name": "Ada"}))
            .start()
            .unwrap();
        let users = stand_in.clerk().unwrap().client().users();
        let image = clerk_actix::client::FileUpload::new(
            b"\x89PNG\r\n\x1a\nimage".to_vec(),
            "ada.png",
            "image/png",
        );
        let user = users
            .set_profile_image("user_1", &types::SetUserProfileImage::new(image))
            .await
            .unwrap();
        // The stand-in's user now has the image.
        assert_eq!(user.id, "user_1");
        assert!(user.has_image);
        let url = user.image_url.unwrap_or_default();
        assert!(url.ends_with("/user_1/ada%2Epng"), "{url}");
        let request = &stand_in.requests()[0];
        assert_eq!(request.method(), "POST");
        assert_eq!(request.path(), "/v1/users/user_1/profile_image");
        let content_type = request.header("content-type").unwrap();
        let boundary = content_type
            .strip_prefix("multipart/form-data; boundary=")
            .unwrap();
        assert!(request.header("authorization").is_some());
        let expected = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ada.png\"\r\nContent-Type: image/png\r\n\r\n\u{fffd}PNG\r\n\u{1a}\nimage\r\n--{boundary}--\r\n"
        );
        assert_eq!(request.body(), expected);
        let user = users.delete_profile_image("user_1").await.unwrap();
        assert!(!user.has_image);
    });
}

#[test]
fn an_organization_logo_upload_sends_the_file_then_the_uploader() {
    run(async {
        let stand_in = StandIn::builder()
            .organization(json!({"id": "org_1", "name": "Acme"}))
            .start()
            .unwrap();
        let organizations = stand_in.clerk().unwrap().client().organizations();
        let logo = clerk_actix::client::FileUpload::new(b"gif".to_vec(), "logo.gif", "image/gif");
        let body = types::UploadOrganizationLogo::new(logo).uploader_user_id("user_1");
        let organization = organizations.upload_logo("org_1", &body).await.unwrap();
        assert_eq!(organization.id, "org_1");
        assert!(organization.has_image);
        let request = &stand_in.requests()[0];
        assert_eq!(request.method(), "PUT");
        assert_eq!(request.path(), "/v1/organizations/org_1/logo");
        let sent = request.body();
        let file = sent.find("name=\"file\"; filename=\"logo.gif\"").unwrap();
        let uploader = sent
            .find("name=\"uploader_user_id\"\r\n\r\nuser_1\r\n")
            .unwrap();
        assert!(file < uploader, "{sent}");
        // Without the uploader, its part is left out.
        stand_in.clear_requests();
        let logo = clerk_actix::client::FileUpload::new(b"gif".to_vec(), "logo.gif", "image/gif");
        organizations
            .upload_logo("org_1", &types::UploadOrganizationLogo::new(logo))
            .await
            .unwrap();
        assert!(!stand_in.requests()[0].body().contains("uploader_user_id"));
    });
}
