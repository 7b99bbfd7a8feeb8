//! Calls the Clerk Backend API: lists users, creates one, updates its
//! metadata, then deletes it.
//!
//! ```sh
//! # against a local stand-in of the Backend API (no account needed):
//! cargo run --example backend_api --features testing
//! # against your instance (creates and deletes one test user):
//! CLERK_SECRET_KEY=sk_test_... cargo run --example backend_api --features testing
//! ```

use clerk_actix::client::{CreateUser, ListUsers, UpdateUserMetadata};
use clerk_actix::testing::StandIn;
use clerk_actix::Clerk;
use serde_json::json;

/// The crate's diagnostics (outages, configuration advice, a handshake that
/// does not verify) on stderr from `info` up; `RUST_LOG` overrides, e.g.
/// `RUST_LOG=clerk_actix=debug` also shows why each request was signed out.
fn init_logger() {
    let env = env_logger::Env::default().default_filter_or("warn,clerk_actix=info");
    let _ = env_logger::Builder::from_env(env).try_init();
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _ = dotenvy::dotenv();
    init_logger();
    // Keep the stand-in alive for as long as the client talks to it.
    let (clerk, _stand_in) = if std::env::var_os("CLERK_SECRET_KEY").is_some() {
        println!("Using the Backend API of your instance (CLERK_SECRET_KEY).");
        (Clerk::from_env()?, None)
    } else {
        let stand_in = StandIn::builder()
            .user(json!({"first_name": "Ada", "email_addresses": ["ada@example.com"]}))
            .start()?;
        println!(
            "CLERK_SECRET_KEY is not set: using a local stand-in of the Backend API at {}.",
            stand_in.url()
        );
        (stand_in.clerk()?, Some(stand_in))
    };
    let users = clerk.client().users();

    let page = users.list(&ListUsers::default().limit(5)).await?;
    println!("{} users; the first {}:", page.total_count, page.data.len());
    for user in &page.data {
        let email = user
            .primary_email_address()
            .map_or("-", |e| e.email_address.as_str());
        println!("  {} {email}", user.id);
    }

    let created = users
        .create(
            &CreateUser::default()
                .email_address(["clerk-actix-example+clerk_test@example.com"])
                .first_name("Example")
                .skip_password_requirement(true),
        )
        .await?;
    println!("created {}", created.id);

    let updated = users
        .update_metadata(
            &created.id,
            &UpdateUserMetadata::default().public_metadata(json!({"plan": "pro"})),
        )
        .await?;
    println!("public metadata is now {:?}", updated.public_metadata);

    let deleted = users.delete(&created.id).await?;
    println!(
        "deleted {} ({})",
        deleted.id.as_deref().unwrap_or("?"),
        deleted.deleted
    );
    Ok(())
}
