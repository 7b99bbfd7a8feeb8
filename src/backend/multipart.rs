//! `multipart/form-data` bodies (RFC 7578) for the Backend API's three
//! uploads (a user's profile image, an organization's and an OAuth
//! application's logo): the file a caller hands over ([`FileUpload`]), the
//! encoder the typed methods send through the one road, and (for the
//! stand-in) the parser that reads such a body back.
//!
//! awc encodes no multipart bodies and the form is small: text members and
//! files, each a part with a `Content-Disposition` header, between lines of a
//! random boundary that is checked not to occur in any part.

use std::fmt;

use base64::Engine as _;

/// A file to upload: its bytes, its file name and its content type.
///
/// The argument of the upload operations
/// ([`users().set_profile_image`](crate::client::UsersApi::set_profile_image),
/// [`organizations().upload_logo`](crate::client::OrganizationsApi::upload_logo),
/// and `oauth_applications().upload_logo` with the `enterprise` feature).
/// It is sent as the `file` part of a `multipart/form-data` body, as
/// `@clerk/backend` sends its `File`.
///
/// In wire-form arguments (`testing::operations::call`, `testing` feature) a
/// file is `{"name": .., "content_type": .., "base64": ..}` (standard
/// alphabet), which is also how it serialises.
///
/// # Examples
///
/// ```
/// use clerk_actix::client::FileUpload;
///
/// let logo = FileUpload::new(vec![0x89, b'P', b'N', b'G'], "logo.png", "image/png");
/// assert_eq!(logo.name(), "logo.png");
/// assert_eq!(logo.content_type(), "image/png");
/// assert_eq!(logo.bytes().len(), 4);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct FileUpload {
    bytes: Vec<u8>,
    name: String,
    content_type: String,
}

impl FileUpload {
    /// A file from its bytes, its file name (`avatar.png`) and its content
    /// type (`image/png`).
    pub fn new(
        bytes: impl Into<Vec<u8>>,
        name: impl Into<String>,
        content_type: impl Into<String>,
    ) -> Self {
        Self {
            bytes: bytes.into(),
            name: name.into(),
            content_type: content_type.into(),
        }
    }

    /// The file's content.
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The file name sent with it.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The content type sent with it.
    #[must_use]
    pub fn content_type(&self) -> &str {
        &self.content_type
    }
}

impl Default for FileUpload {
    /// An empty `application/octet-stream` file without a name.
    fn default() -> Self {
        Self::new(Vec::new(), "", OCTET_STREAM)
    }
}

impl fmt::Debug for FileUpload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileUpload")
            .field("name", &self.name)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// The wire form: `{"name", "content_type", "base64"}`.
#[derive(serde::Serialize, serde::Deserialize)]
struct WireFile {
    #[serde(default)]
    name: String,
    #[serde(default)]
    content_type: Option<String>,
    #[serde(default)]
    base64: String,
}

impl serde::Serialize for FileUpload {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        WireFile {
            name: self.name.clone(),
            content_type: Some(self.content_type.clone()),
            base64: base64::engine::general_purpose::STANDARD.encode(&self.bytes),
        }
        .serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for FileUpload {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = WireFile::deserialize(deserializer)?;
        let bytes = crate::encoding::STANDARD
            .decode(wire.base64.as_bytes())
            .map_err(|e| serde::de::Error::custom(format!("`base64`: {e}")))?;
        Ok(Self::new(
            bytes,
            wire.name,
            wire.content_type.unwrap_or_else(|| OCTET_STREAM.to_owned()),
        ))
    }
}

const OCTET_STREAM: &str = "application/octet-stream";

/// One part of a form.
enum Part<'a> {
    Text { name: &'a str, value: &'a str },
    File { name: &'a str, file: &'a FileUpload },
}

impl Part<'_> {
    fn content(&self) -> &[u8] {
        match self {
            Part::Text { value, .. } => value.as_bytes(),
            Part::File { file, .. } => &file.bytes,
        }
    }
}

/// A `multipart/form-data` body being built; [`encode`](Self::encode) gives
/// its content type and bytes.
#[derive(Default)]
pub(crate) struct Form<'a> {
    parts: Vec<Part<'a>>,
}

impl<'a> Form<'a> {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A file part.
    pub(crate) fn file(mut self, name: &'a str, file: &'a FileUpload) -> Self {
        self.parts.push(Part::File { name, file });
        self
    }

    /// A text part, when there is a value (as `@clerk/backend`, which leaves
    /// out an unset one).
    pub(crate) fn text_opt(mut self, name: &'a str, value: Option<&'a str>) -> Self {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            self.parts.push(Part::Text { name, value });
        }
        self
    }

    /// The `Content-Type` (with its boundary) and the body.
    pub(crate) fn encode(self) -> (String, Vec<u8>) {
        let boundary = boundary_for(&self.parts, random_boundary);
        let mut body = Vec::with_capacity(
            self.parts
                .iter()
                .map(|p| p.content().len() + 160)
                .sum::<usize>()
                + boundary.len()
                + 8,
        );
        for part in &self.parts {
            body.extend_from_slice(b"--");
            body.extend_from_slice(boundary.as_bytes());
            body.extend_from_slice(b"\r\nContent-Disposition: form-data; name=\"");
            match part {
                Part::Text { name, value } => {
                    body.extend_from_slice(quoted(name).as_bytes());
                    body.extend_from_slice(b"\"\r\n\r\n");
                    body.extend_from_slice(value.as_bytes());
                }
                Part::File { name, file } => {
                    body.extend_from_slice(quoted(name).as_bytes());
                    body.extend_from_slice(b"\"; filename=\"");
                    body.extend_from_slice(quoted(&file.name).as_bytes());
                    body.extend_from_slice(b"\"\r\nContent-Type: ");
                    body.extend_from_slice(header_value(&file.content_type).as_bytes());
                    body.extend_from_slice(b"\r\n\r\n");
                    body.extend_from_slice(&file.bytes);
                }
            }
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"--");
        body.extend_from_slice(boundary.as_bytes());
        body.extend_from_slice(b"--\r\n");
        (format!("multipart/form-data; boundary={boundary}"), body)
    }
}

/// The first boundary from `candidates` that occurs in no part.
fn boundary_for(parts: &[Part<'_>], mut candidates: impl FnMut() -> String) -> String {
    loop {
        let boundary = candidates();
        let collides = parts
            .iter()
            .any(|p| memchr::memmem::find(p.content(), boundary.as_bytes()).is_some());
        if !collides {
            return boundary;
        }
    }
}

/// `----clerk-actix-` and 32 random hex digits.
fn random_boundary() -> String {
    let mut bytes = [0u8; 16];
    // A failure leaves zeros; the collision check still holds.
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    let mut boundary = String::from("----clerk-actix-");
    for byte in bytes {
        boundary.push(char::from(HEX[usize::from(byte >> 4)]));
        boundary.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    boundary
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// A name inside `"…"`, escaped as browsers do: `"`, CR and LF
/// percent-encoded.
fn quoted(text: &str) -> String {
    text.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A content type fit for a header line; anything with control characters
/// (or nothing) is sent as `application/octet-stream`.
fn header_value(content_type: &str) -> &str {
    if content_type.trim().is_empty() || content_type.chars().any(char::is_control) {
        OCTET_STREAM
    } else {
        content_type
    }
}

/// One part of a parsed form.
#[cfg(any(test, feature = "testing"))]
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ParsedPart {
    pub(crate) name: String,
    pub(crate) filename: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) data: Vec<u8>,
}

/// The parts of a `multipart/form-data` body (the stand-in's side).
///
/// # Errors
///
/// A message when the content type has no boundary or the body does not
/// follow it.
#[cfg(any(test, feature = "testing"))]
pub(crate) fn parse(content_type: &str, body: &[u8]) -> Result<Vec<ParsedPart>, String> {
    let boundary = content_type
        .split(';')
        .skip(1)
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"'))
        .filter(|b| !b.is_empty())
        .ok_or("the content type has no boundary")?;
    let delimiter = format!("--{boundary}");
    let next = format!("\r\n--{boundary}");
    let mut at = memchr::memmem::find(body, delimiter.as_bytes())
        .ok_or("the body does not contain its boundary")?
        + delimiter.len();
    let mut parts = Vec::new();
    loop {
        let rest = &body[at..];
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        let rest = rest
            .strip_prefix(b"\r\n")
            .ok_or("a boundary line is not followed by CRLF")?;
        let head_end = memchr::memmem::find(rest, b"\r\n\r\n").ok_or("a part has no header end")?;
        let head =
            std::str::from_utf8(&rest[..head_end]).map_err(|_| "a part header is not UTF-8")?;
        let data_start = head_end + 4;
        let data_len = memchr::memmem::find(&rest[data_start..], next.as_bytes())
            .ok_or("a part is not closed by the boundary")?;
        let mut part = ParsedPart {
            name: String::new(),
            filename: None,
            content_type: None,
            data: rest[data_start..data_start + data_len].to_vec(),
        };
        for line in head.split("\r\n") {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            if key.trim().eq_ignore_ascii_case("content-type") {
                part.content_type = Some(value.trim().to_owned());
            } else if key.trim().eq_ignore_ascii_case("content-disposition") {
                part.name = disposition_param(value, "name").unwrap_or_default();
                part.filename = disposition_param(value, "filename");
            }
        }
        parts.push(part);
        // Past the data, its CRLF and the delimiter.
        at += 2 + data_start + data_len + next.len();
    }
}

/// `name` of `form-data; name="file"; filename="a.png"`.
#[cfg(any(test, feature = "testing"))]
fn disposition_param(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logo() -> FileUpload {
        FileUpload::new(
            vec![0x89, b'P', b'N', b'G', 0, 13, 10],
            "logo.png",
            "image/png",
        )
    }

    #[test]
    fn a_form_round_trips_through_the_parser() {
        let file = logo();
        let (content_type, body) = Form::new()
            .file("file", &file)
            .text_opt("uploader_user_id", Some("user_1"))
            .encode();
        assert!(content_type.starts_with("multipart/form-data; boundary=----clerk-actix-"));
        let parts = parse(&content_type, &body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "file");
        assert_eq!(parts[0].filename.as_deref(), Some("logo.png"));
        assert_eq!(parts[0].content_type.as_deref(), Some("image/png"));
        assert_eq!(parts[0].data, file.bytes());
        assert_eq!(parts[1].name, "uploader_user_id");
        assert_eq!(parts[1].filename, None);
        assert_eq!(parts[1].data, b"user_1");
    }

    #[test]
    fn the_wire_format_is_what_browsers_send() {
        let file = FileUpload::new(b"ab".to_vec(), "a.png", "image/png");
        let (content_type, body) = Form::new().file("file", &file).encode();
        let boundary = content_type.rsplit('=').next().unwrap();
        let expected = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\nab\r\n--{boundary}--\r\n"
        );
        assert_eq!(String::from_utf8(body).unwrap(), expected);
    }

    #[test]
    fn an_unset_text_member_is_left_out() {
        let file = logo();
        let (content_type, body) = Form::new()
            .file("file", &file)
            .text_opt("uploader_user_id", None)
            .text_opt("other", Some(""))
            .encode();
        assert_eq!(parse(&content_type, &body).unwrap().len(), 1);
    }

    #[test]
    fn a_boundary_found_in_the_file_is_not_used() {
        let file = FileUpload::new(b"xx--first--xx".to_vec(), "f", "text/plain");
        let parts = [Part::File {
            name: "file",
            file: &file,
        }];
        let mut candidates = ["--first--", "second"].into_iter().map(String::from);
        let chosen = boundary_for(&parts, || candidates.next().unwrap());
        assert_eq!(chosen, "second");
    }

    #[test]
    fn random_boundaries_differ() {
        assert_ne!(random_boundary(), random_boundary());
        assert_eq!(random_boundary().len(), "----clerk-actix-".len() + 32);
    }

    #[test]
    fn quotes_and_line_breaks_in_names_cannot_break_the_header() {
        let file = FileUpload::new(b"x".to_vec(), "a\"b\r\nc.png", "image/png\r\nX-Evil: 1");
        let (content_type, body) = Form::new().file("file", &file).encode();
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("filename=\"a%22b%0D%0Ac.png\""), "{text}");
        assert!(
            text.contains("Content-Type: application/octet-stream\r\n"),
            "{text}"
        );
        assert!(!text.contains("X-Evil"));
        let parts = parse(&content_type, &body).unwrap();
        assert_eq!(parts[0].data, b"x");
    }

    #[test]
    fn the_parser_refuses_bodies_that_do_not_fit() {
        assert!(parse("multipart/form-data", b"").is_err());
        assert!(parse("multipart/form-data; boundary=b", b"no boundary here").is_err());
        assert!(parse(
            "multipart/form-data; boundary=b",
            b"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nunterminated"
        )
        .is_err());
        assert!(parse("multipart/form-data; boundary=\"b\"", b"--b--\r\n")
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_file_serialises_to_its_wire_form_and_back() {
        let file = logo();
        let json = serde_json::to_value(&file).unwrap();
        assert_eq!(json["name"], "logo.png");
        assert_eq!(json["content_type"], "image/png");
        assert_eq!(json["base64"], "iVBORwANCg==");
        let back: FileUpload = serde_json::from_value(json).unwrap();
        assert_eq!(back, file);
        let bare: FileUpload = serde_json::from_value(serde_json::json!({"base64": "eA"})).unwrap();
        assert_eq!(bare.bytes(), b"x");
        assert_eq!(bare.content_type(), "application/octet-stream");
        assert!(serde_json::from_value::<FileUpload>(serde_json::json!({"base64": "!!"})).is_err());
        assert!(format!("{file:?}").contains("len: 7"));
    }
}
