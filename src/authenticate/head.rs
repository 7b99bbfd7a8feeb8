//! What authentication reads of a request, framework-neutral: the actix
//! layer implements [`RequestHead`] for its `ServiceRequest`.

/// The request headers authentication may look at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Header {
    Authorization,
    SecFetchDest,
    Accept,
    Cookie,
    Host,
    ForwardedHost,
    ForwardedProto,
    Referer,
    Origin,
    Upgrade,
    SecWebSocketProtocol,
}

/// What authentication reads from a request, fetched only when needed: a
/// signed-in bearer request reads the `Authorization` header and nothing else.
pub(crate) trait RequestHead {
    fn method(&self) -> &str;
    fn header(&self, name: Header) -> Option<&[u8]>;
    /// `http` or `https`, as the connection was made.
    fn scheme(&self) -> &str;
    /// Path and query as received, e.g. `/path?x=1`.
    fn path_and_query(&self) -> &str;
    /// Calls `f` with every header (lower-case name, value); repeated
    /// headers once each. Only a session refresh reads them all (Clerk
    /// forwards them to the Backend API).
    fn for_each_header(&self, f: &mut dyn FnMut(&str, &[u8])) {
        let _ = f;
    }
}
