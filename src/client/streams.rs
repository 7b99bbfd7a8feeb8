//! Streams over every item of the hand-written offset-paginated lists; the
//! generated lists have theirs next to them (`*_stream`).

use futures_util::Stream;
use serde::Serialize;
use serde_json::Value;

use super::paging;
use super::{
    AllowlistIdentifier, AllowlistIdentifiersApi, ApiKey, ApiKeysApi, Error, Invitation,
    InvitationsApi, ListApiKeys, ListInvitations, ListM2mTokens, ListMachines,
    ListOrganizationInvitations, ListOrganizationMemberships, ListOrganizations, ListSessions,
    ListUsers, M2mToken, M2mTokensApi, Machine, MachinesApi, Organization, OrganizationInvitation,
    OrganizationMembership, OrganizationsApi, Pagination, Session, SessionsApi, User, UsersApi,
};

/// The `limit` and `offset` a parameter struct would send.
fn window<P: Serialize>(params: &P) -> (Option<i64>, Option<i64>) {
    let value = serde_json::to_value(params).unwrap_or(Value::Null);
    (
        value.get("limit").and_then(Value::as_i64),
        value.get("offset").and_then(Value::as_i64),
    )
}

fn to_u32(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

macro_rules! list_stream {
    (
        $(#[$doc:meta])*
        $api:ty, $name:ident => $list:ident($($arg:ident),*), $params:ty, $item:ty
    ) => {
        impl $api {
            #[doc = concat!("Every item of [`", stringify!($list), "`](Self::", stringify!($list), "), as a stream that")]
            /// fetches the pages one after the other, when the previous one is
            /// used up.
            ///
            /// The params' `limit` is the page size (100 if unset), their
            /// `offset` where to start. The stream ends on a short or empty
            /// page or at `total_count`, and after the first error (which it
            /// yields).
            $(#[$doc])*
            pub fn $name<'a>(
                &'a self,
                $($arg: &'a str,)*
                params: $params,
            ) -> impl Stream<Item = Result<$item, Error>> + 'a {
                let (limit, offset) = window(&params);
                paging::items(limit, offset, move |limit, offset| {
                    let page = params.clone().limit(to_u32(limit)).offset(to_u32(offset));
                    async move { self.$list($($arg,)* &page).await }
                })
            }
        }
    };
}

list_stream! {
    ///
    /// # Examples
    ///
    /// ```
    /// # actix_web::rt::System::new().block_on(async {
    /// use clerk_actix::client::ListUsers;
    /// use clerk_actix::testing::StandIn;
    /// use futures_util::TryStreamExt;
    /// use serde_json::json;
    ///
    /// let stand_in = StandIn::builder()
    ///     .user(json!({"id": "user_1"}))
    ///     .user(json!({"id": "user_2"}))
    ///     .user(json!({"id": "user_3"}))
    ///     .start()?;
    /// let users = stand_in.clerk()?.client().users();
    /// let all: Vec<_> = users.list_stream(ListUsers::default().limit(2)).try_collect().await?;
    /// assert_eq!(all.len(), 3);
    /// # Ok::<_, Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    UsersApi, list_stream => list(), ListUsers, User
}
list_stream! { UsersApi, organization_memberships_stream => organization_memberships(user_id), Pagination, OrganizationMembership }
list_stream! { OrganizationsApi, list_stream => list(), ListOrganizations, Organization }
list_stream! { OrganizationsApi, list_memberships_stream => list_memberships(organization_id), ListOrganizationMemberships, OrganizationMembership }
list_stream! { OrganizationsApi, list_invitations_stream => list_invitations(organization_id), ListOrganizationInvitations, OrganizationInvitation }
list_stream! { SessionsApi, list_stream => list(), ListSessions, Session }
list_stream! { InvitationsApi, list_stream => list(), ListInvitations, Invitation }
list_stream! { AllowlistIdentifiersApi, list_stream => list(), Pagination, AllowlistIdentifier }
list_stream! { ApiKeysApi, list_stream => list(), ListApiKeys, ApiKey }
list_stream! { M2mTokensApi, list_stream => list(), ListM2mTokens, M2mToken }
list_stream! { MachinesApi, list_stream => list(), ListMachines, Machine }
