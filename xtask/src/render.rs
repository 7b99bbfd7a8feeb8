//! Rust source text for the generated files.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::{json, Value as Json};
use serde_yaml_ng::Value;

use crate::model::{cfg, example, is_plain, Body, Operation, RawOp, TypeDef, Types, HEADER};
use crate::names::{doc, field, lit, pascal, snake};
use crate::spec::{get, resolve, seq_of, str_of, Group, Mapping};

type Gates = BTreeMap<String, Option<BTreeSet<String>>>;

fn raw_name(rust: &str) -> &str {
    rust.trim_start_matches("r#")
}

fn unique_variant(used: &mut BTreeSet<String>, wanted: String) -> String {
    let mut name = if wanted.is_empty() {
        "Empty".to_string()
    } else {
        wanted
    };
    if name == "Other" || name == "Self" {
        name.push_str("Value");
    }
    let base = name.clone();
    let mut n = 2;
    while !used.insert(name.clone()) {
        name = format!("{base}{n}");
        n += 1;
    }
    name
}

fn enum_variant(value: &str) -> String {
    let (body, suffix) = if let Some(rest) = value.strip_prefix('-') {
        (rest, "Desc")
    } else if let Some(rest) = value.strip_prefix('+') {
        (rest, "Asc")
    } else {
        (value, "")
    };
    format!("{}{suffix}", pascal(body))
}

pub fn types(types: &Types<'_>, gates: &Gates) -> String {
    let mut out = String::from(HEADER);
    out.push_str(
        "\n//! The models and parameter types of the generated Backend API operations.\n//!\n\
         //! Lenient like the hand-written models: unknown fields are ignored, `null` reads\n\
         //! as missing, every enum keeps unknown values in `Other`, and a `oneOf` keeps a\n\
         //! shape it does not know as raw JSON. Integers are `i64` (timestamps are\n\
         //! milliseconds since the epoch).\n\n\
         #![allow(clippy::doc_markdown, clippy::large_enum_variant, clippy::struct_excessive_bools)]\n\n",
    );
    for (name, def) in &types.defs {
        let gate = cfg(gates.get(name).unwrap_or(&None));
        match def {
            TypeDef::Struct {
                doc: text,
                fields,
                params,
            } => render_struct(&mut out, name, text, fields, *params, &gate),
            TypeDef::Enum { doc: text, values } => {
                out.push_str(&gate_plain(&gate));
                out.push_str("crate::client::models::string_enum! {\n");
                out.push_str(&type_doc(text, name));
                let _ = writeln!(out, "    pub enum {name} {{");
                let mut used = BTreeSet::new();
                for value in values {
                    let variant = unique_variant(&mut used, enum_variant(value));
                    let _ = writeln!(out, "        /// `{value}`.");
                    let _ = writeln!(out, "        {variant} = {},", lit(value));
                }
                out.push_str("    }\n}\n\n");
            }
            TypeDef::Tagged {
                doc: text,
                tag,
                variants,
            } => {
                out.push_str(&gate);
                out.push_str(&type_doc(text, name));
                let _ = writeln!(
                    out,
                    "///\n/// One of several shapes, told apart by `{tag}`; a shape this version does not\n/// know (or cannot read) is kept as raw JSON in `Other`."
                );
                out.push_str("#[derive(Clone, Debug, PartialEq)]\n#[non_exhaustive]\n");
                let _ = writeln!(out, "pub enum {name} {{");
                let mut used = BTreeSet::new();
                let mut names = Vec::new();
                for (value, ty) in variants {
                    let variant = unique_variant(&mut used, pascal(value));
                    let _ = writeln!(
                        out,
                        "    /// `{tag}: {value}`.\n    {variant}({}),",
                        ty.rust
                    );
                    names.push((value, variant));
                }
                out.push_str("    /// A shape this version of the crate does not know, as sent.\n    Other(serde_json::Value),\n}\n\n");
                out.push_str(&gate);
                let _ = writeln!(out, "impl Default for {name} {{\n    fn default() -> Self {{\n        Self::Other(serde_json::Value::Null)\n    }}\n}}\n");
                out.push_str(&gate);
                let _ = writeln!(out, "impl serde::Serialize for {name} {{\n    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {{\n        match self {{");
                for (_, variant) in &names {
                    let _ = writeln!(
                        out,
                        "            Self::{variant}(value) => value.serialize(serializer),"
                    );
                }
                out.push_str("            Self::Other(value) => value.serialize(serializer),\n        }\n    }\n}\n\n");
                out.push_str(&gate);
                let _ = writeln!(out, "impl<'de> serde::Deserialize<'de> for {name} {{\n    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {{\n        let value = <serde_json::Value as serde::Deserialize>::deserialize(deserializer)?;\n        let known = match value.get({}).and_then(serde_json::Value::as_str) {{", lit(tag));
                for (value, variant) in &names {
                    let _ = writeln!(out, "            Some({}) => serde_json::from_value(value.clone()).map(Self::{variant}).ok(),", lit(value));
                }
                out.push_str("            _ => None,\n        };\n        Ok(known.unwrap_or(Self::Other(value)))\n    }\n}\n\n");
            }
            TypeDef::Placeholder => {}
        }
    }
    out
}

fn gate_plain(gate: &str) -> String {
    // `cfg_attr(docsrs, doc(..))` cannot go on a macro call; the cfg can.
    gate.lines()
        .filter(|l| l.starts_with("#[cfg("))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn type_doc(text: &str, name: &str) -> String {
    if text.trim().is_empty() {
        format!("/// `{name}`, as the Backend API sends it.\n")
    } else {
        doc(text, "")
    }
}

fn render_struct(
    out: &mut String,
    name: &str,
    text: &str,
    fields: &[crate::model::Field],
    params: bool,
    gate: &str,
) {
    out.push_str(gate);
    out.push_str(&type_doc(text, name));
    // `Serialize` and `Deserialize` are written out below (`lenient_serde`),
    // not derived: the derives' code per (de)serializer was most of the
    // crate's compile time.
    out.push_str("#[derive(Clone, Debug, Default, PartialEq)]\n#[non_exhaustive]\n");
    if params {
        out.push_str("#[must_use]\n");
    }
    let _ = writeln!(out, "pub struct {name} {{");
    for f in fields {
        let mut text = f.doc.trim().to_string();
        if text.is_empty() {
            text = format!("`{}`.", f.wire);
        }
        if f.deprecated {
            text.push_str("\n\nDeprecated by Clerk.");
        }
        out.push_str(&doc(&text, "    "));
        if is_plain(f, params) {
            let _ = writeln!(out, "    pub {}: {},", f.rust, f.ty.rust);
        } else {
            let _ = writeln!(out, "    pub {}: Option<{}>,", f.rust, f.ty.rust);
        }
    }
    out.push_str("}\n\n");
    lenient_serde(out, name, fields, params, gate);
    if !params {
        return;
    }
    out.push_str(gate);
    let _ = writeln!(out, "impl {name} {{");
    let required: Vec<&crate::model::Field> = fields.iter().filter(|f| f.required).collect();
    if !required.is_empty() {
        let args: Vec<String> = required
            .iter()
            .map(|f| format!("{}: impl Into<{}>", f.rust, f.ty.rust))
            .collect();
        let _ = writeln!(
            out,
            "    /// With the required fields; set the others with the methods below.\n    pub fn new({}) -> Self {{\n        Self {{",
            args.join(", ")
        );
        for f in &required {
            let _ = writeln!(out, "            {}: {}.into(),", f.rust, f.rust);
        }
        out.push_str("            ..Self::default()\n        }\n    }\n\n");
    }
    for f in fields {
        let _ = writeln!(out, "    /// Sets `{}`.", f.wire);
        let wrap = |v: &str| {
            if is_plain(f, true) {
                v.to_string()
            } else {
                format!("Some({v})")
            }
        };
        if let Some(item) =
            f.ty.rust
                .strip_prefix("Vec<")
                .and_then(|r| r.strip_suffix('>'))
        {
            let _ = writeln!(
                out,
                "    pub fn {}<I: IntoIterator<Item = V>, V: Into<{item}>>(mut self, values: I) -> Self {{\n        self.{} = {};\n        self\n    }}\n",
                f.rust,
                f.rust,
                wrap("values.into_iter().map(Into::into).collect()")
            );
        } else {
            let _ = writeln!(
                out,
                "    pub fn {}(mut self, value: impl Into<{}>) -> Self {{\n        self.{} = {};\n        self\n    }}\n",
                f.rust,
                f.ty.rust,
                f.rust,
                wrap("value.into()")
            );
        }
    }
    out.push_str("}\n\n");
}

/// A struct's `Serialize` and `Deserialize`, through `crate::client::lenient`
/// (its `serde_object!`): one non-generic `members` / `from_fields` per struct
/// instead of the derives' code per (de)serializer. Members go by their wire
/// names; `plain` ones read `null` and missing as the default, `option` ones
/// as `None` (left out when written); unknown members are ignored. Parameters
/// are only read back by the dispatcher, so their `Deserialize` is behind
/// `testing` (`params`).
fn lenient_serde(
    out: &mut String,
    name: &str,
    fields: &[crate::model::Field],
    params: bool,
    gate: &str,
) {
    out.push_str(&gate_plain(gate));
    let kind = if params { "params " } else { "" };
    let _ = writeln!(
        out,
        "crate::client::lenient::serde_object! {{\n    {kind}{name} {{"
    );
    for f in fields {
        let how = if is_plain(f, params) {
            "plain"
        } else {
            "option"
        };
        let _ = writeln!(out, "        {how} {} = {};", f.rust, lit(&f.wire));
    }
    out.push_str("    }\n}\n\n");
}

// ---------------------------------------------------------------- groups --

fn signature_args(op: &Operation) -> Vec<String> {
    let mut args = Vec::new();
    for p in &op.path_params {
        args.push(format!("{}: &str", p.rust));
    }
    if let Some(q) = &op.query {
        args.push(format!("query: &{q}"));
    }
    match &op.body {
        Body::None => {}
        Body::Struct(name) | Body::Multipart { name, .. } => args.push(format!("body: &{name}")),
        Body::Array(ty) => args.push(format!("body: &[{}]", ty.rust)),
        Body::Other(ty) => args.push(format!("body: &{}", ty.rust)),
    }
    args
}

fn request_chain(op: &Operation, query_var: &str) -> String {
    let pieces: Vec<&str> = op.path.split('/').filter(|p| !p.is_empty()).collect();
    let mut lead = String::new();
    let mut rest = Vec::new();
    let mut in_lead = true;
    for piece in pieces {
        let param = piece.starts_with('{');
        if in_lead && !param {
            lead.push('/');
            lead.push_str(piece);
        } else {
            in_lead = false;
            rest.push(piece);
        }
    }
    if lead.is_empty() {
        lead.push('/');
    }
    let mut chain = format!(
        "self.client.request(crate::client::Method::{}, {})",
        op.http,
        lit(&lead)
    );
    for piece in rest {
        if let Some(name) = piece.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            let p = op.path_params.iter().find(|p| p.wire == name);
            let var = p.map(|p| p.rust.clone()).unwrap_or_else(|| field(name));
            let _ = write!(chain, ".segment({var})");
        } else {
            let _ = write!(chain, ".segment({})", lit(piece));
        }
    }
    if op.public {
        chain.push_str(".public()");
    }
    if op.paginated_flag {
        chain.push_str(".query_pair(\"paginated\", \"true\")");
    }
    if op.query.is_some() {
        let _ = write!(chain, ".query({query_var})");
    }
    match &op.body {
        Body::None => {}
        // The file parts first, as @clerk/backend appends them.
        Body::Multipart { files, texts, .. } => {
            chain.push_str(".multipart(crate::backend::multipart::Form::new()");
            for (wire, rust) in files {
                let _ = write!(chain, ".file({}, &body.{rust})", lit(wire));
            }
            for (wire, rust, required) in texts {
                if *required {
                    let _ = write!(
                        chain,
                        ".text_opt({}, Some(body.{rust}.as_str()))",
                        lit(wire)
                    );
                } else {
                    let _ = write!(chain, ".text_opt({}, body.{rust}.as_deref())", lit(wire));
                }
            }
            chain.push(')');
        }
        Body::Struct(_) | Body::Array(_) | Body::Other(_) => chain.push_str(".json(body)"),
    }
    if op.text {
        chain.push_str(".send_text().await");
    } else {
        chain.push_str(".send().await");
    }
    chain
}

pub fn group(name: &str, def: &Group, ops: &[&Operation]) -> String {
    let mut out = String::from(HEADER);
    let _ = writeln!(
        out,
        "\n//! The {} operations (`ClerkClient::{name}`).\n",
        def.doc
    );
    out.push_str("#![allow(clippy::too_many_arguments)]\n\n");
    out.push_str("#[allow(unused_imports)]\nuse super::types::*;\n");
    if def.existing {
        out.push_str("use crate::client::Error;\n\n");
    } else {
        out.push_str("use crate::client::{ClerkClient, Error};\n\n");
        let _ = writeln!(
            out,
            "/// The {} endpoints; from [`ClerkClient::{name}`].\n///\n{}#[derive(Clone, Debug)]\npub struct {} {{\n    client: ClerkClient,\n}}\n",
            def.doc,
            group_example(name, ops),
            def.api
        );
        let _ = writeln!(
            out,
            "impl ClerkClient {{\n    /// The {} endpoints.\n    #[must_use]\n    pub fn {name}(&self) -> {} {{\n        {} {{\n            client: self.clone(),\n        }}\n    }}\n}}\n",
            def.doc, def.api, def.api
        );
    }
    let path = if def.existing { "crate::client::" } else { "" };
    let _ = writeln!(out, "impl {path}{} {{", def.api);
    for op in ops {
        method(&mut out, op);
    }
    out.push_str("}\n");
    let _ = ClerkClientMarker;
    out
}

struct ClerkClientMarker;

/// A doc example for a group: one call on the stand-in, asserting what was
/// sent.
fn group_example(name: &str, ops: &[&Operation]) -> String {
    let score = |op: &&&Operation| -> u8 {
        let body_free = match &op.body {
            Body::None => true,
            Body::Struct(_) | Body::Array(_) | Body::Other(_) | Body::Multipart { .. } => false,
        };
        match (op.http.as_str(), body_free, op.deprecated.is_some()) {
            (_, _, true) => 9,
            ("GET", _, _) if op.path_params.is_empty() => 0,
            ("GET", _, _) => 1,
            (_, true, _) => 2,
            _ => 3,
        }
    };
    let Some(op) = ops.iter().min_by_key(score) else {
        return String::new();
    };
    let mut args: Vec<String> = op
        .path_params
        .iter()
        .map(|_| "\"x_1\"".to_string())
        .collect();
    if op.query.is_some() {
        args.push("&Default::default()".into());
    }
    match &op.body {
        Body::None => {}
        Body::Array(_) => args.push("&[]".into()),
        Body::Struct(_) | Body::Other(_) | Body::Multipart { .. } => {
            args.push("&Default::default()".into());
        }
    }
    let path: String = op
        .path
        .split('/')
        .filter(|p| !p.is_empty())
        .map(|p| if p.starts_with('{') { "x_1" } else { p })
        .fold(String::from("/v1"), |acc, p| format!("{acc}/{p}"));
    let lines = [
        "# Examples".to_string(),
        String::new(),
        "```".to_string(),
        "# #[cfg(feature = \"testing\")]".to_string(),
        "# actix_web::rt::System::new().block_on(async {".to_string(),
        "use clerk_actix::testing::StandIn;".to_string(),
        String::new(),
        "let stand_in = StandIn::start()?;".to_string(),
        "let client = stand_in.clerk()?.client();".to_string(),
        format!(
            "let answer = client.{name}().{}({}).await;",
            op.method,
            args.join(", ")
        ),
        "assert!(answer.is_ok(), \"{answer:?}\");".to_string(),
        format!(
            "assert_eq!(stand_in.requests()[0].method(), {});",
            lit(&op.http)
        ),
        format!("assert_eq!(stand_in.requests()[0].path(), {});", lit(&path)),
        "# Ok::<_, Box<dyn std::error::Error>>(())".to_string(),
        "# }).unwrap();".to_string(),
        "```".to_string(),
    ];
    lines
        .iter()
        .map(|l| {
            if l.is_empty() {
                "///\n".to_string()
            } else {
                format!("/// {l}\n")
            }
        })
        .collect()
}

fn method(out: &mut String, op: &Operation) {
    let mut text = String::new();
    let summary = op.summary.trim().trim_end_matches('.');
    text.push_str(if summary.is_empty() { &op.id } else { summary });
    text.push_str(".\n");
    if !op.description.trim().is_empty() && op.description.trim() != op.summary.trim() {
        text.push('\n');
        text.push_str(op.description.trim());
        text.push('\n');
    }
    out.push_str(&doc(&text, "    "));
    let _ = writeln!(
        out,
        "    ///\n    /// `{} /v1{}` (`{}`).\n    ///\n    /// # Errors\n    ///\n    /// [`Error`]: an error answer of the API (status, Clerk's `errors[]`, trace id),\n    /// a transport failure, or an answer that does not decode.",
        op.http, op.path, op.id
    );
    if let Some(js) = &op.js {
        let _ = writeln!(out, "    #[doc(alias = {})]", lit(js));
    }
    let _ = writeln!(out, "    #[doc(alias = {})]", lit(&op.id));
    if let Some(note) = &op.deprecated {
        let _ = writeln!(out, "    #[deprecated(note = {})]", lit(note));
    }
    let mut args = vec!["&self".to_string()];
    args.extend(signature_args(op));
    let _ = writeln!(
        out,
        "    pub fn {}({}) -> impl std::future::Future<Output = Result<{}, Error>> + '_ {{\n        {}\n    }}\n",
        op.method,
        args.join(", "),
        op.response.rust,
        request_chain(op, "query").trim_end_matches(".await")
    );
    if op.streamable && matches!(op.body, Body::None) {
        if let (Some(q), Some(item)) = (&op.query, &op.page_item) {
            let _ = writeln!(
                out,
                "    /// Every item of [`{m}`](Self::{m}), as a stream that fetches the pages one\n    /// after the other, when the previous one is used up.\n    ///\n    /// `query.limit` is the page size (100 if unset), `query.offset` where to\n    /// start. The stream ends on a short or empty page or at `total_count`, and\n    /// after the first error.\n    #[doc(alias = {})]",
                lit(&format!("{}Stream", op.id)),
                m = op.method,
            );
            if let Some(note) = &op.deprecated {
                let _ = writeln!(
                    out,
                    "    #[deprecated(note = {})]\n    #[allow(deprecated)]",
                    lit(note)
                );
            }
            let mut sargs = vec!["&'a self".to_string()];
            for p in &op.path_params {
                sargs.push(format!("{}: &'a str", p.rust));
            }
            sargs.push(format!("query: {q}"));
            let call_args: Vec<String> = op
                .path_params
                .iter()
                .map(|p| p.rust.clone())
                .chain(std::iter::once("&query".to_string()))
                .collect();
            let _ = writeln!(
                out,
                "    pub fn {m}_stream<'a>({}) -> impl futures_util::Stream<Item = Result<{}, Error>> + 'a {{\n        crate::client::paging::items(query.limit, query.offset, move |limit, offset| {{\n            let mut query = query.clone();\n            query.limit = Some(limit);\n            query.offset = Some(offset);\n            async move {{ self.{m}({}).await }}\n        }})\n    }}\n",
                sargs.join(", "),
                item.rust,
                call_args.join(", "),
                m = op.method,
            );
        }
    }
}

pub fn module(mapping: &Mapping, groups: &BTreeMap<&str, Vec<&Operation>>) -> String {
    let mut out = String::from(HEADER);
    out.push_str(
        "\n//! The Backend API operations generated from Clerk's OpenAPI file: their\n\
         //! models and parameters ([`types`]) and one method per operation on the\n\
         //! group handles of [`ClerkClient`](crate::client::ClerkClient).\n\n",
    );
    out.push_str("pub mod types;\n\n#[cfg(test)]\nmod examples;\n\n");
    for group in groups.keys() {
        let def = &mapping.groups[*group];
        let gate = feature_cfg(&def.feature);
        let _ = writeln!(out, "{gate}mod {group};");
        if !def.existing {
            let _ = writeln!(out, "{gate}pub use self::{group}::{};", def.api);
        }
    }
    out
}

fn feature_cfg(feature: &str) -> String {
    if feature.is_empty() {
        String::new()
    } else {
        format!("#[cfg(feature = {})]\n", lit(feature))
    }
}

// ------------------------------------------------------------ dispatcher --

pub fn dispatcher(doc: &Value, mapping: &Mapping, raw: &[RawOp<'_>], ops: &[Operation]) -> String {
    let _ = doc;
    let mut out = String::from(HEADER);
    out.push_str(
        "\n//! The dispatch table of [`call`](super::call): one arm per operation.\n\n\
         use serde_json::Value;\n\n\
         #[allow(unused_imports)]\nuse super::{arg, field, opt_field, out, u32_field, Args, OperationError};\n\
         use crate::client::ClerkClient;\n\
         #[allow(unused_imports)]\nuse crate::client::types;\n\n\
         /// Every operation id of the OpenAPI file, in its order.\n\
         pub(super) const OPERATION_IDS: &[&str] = &[\n",
    );
    for r in raw {
        let _ = writeln!(out, "    {},", lit(&r.id));
    }
    out.push_str("];\n\n");
    out.push_str(
        "/// The call of one operation.\n\
         pub(super) type Call<'a> = futures_util::future::LocalBoxFuture<'a, Result<Value, OperationError>>;\n\n\
         /// The typed call for `operation_id`; `None` when there is none. Each\n\
         /// operation is its own small future (one state machine for all would\n\
         /// cost more to compile than the rest of the crate).\n\
         #[allow(deprecated, clippy::too_many_lines)]\n\
         pub(super) fn dispatch<'a>(client: &'a ClerkClient, operation_id: &str, args: &'a Args) -> Option<Call<'a>> {\n\
         let query = &args.query;\nlet body = &args.body;\nlet _ = (query, body);\n\
         Some(match operation_id {\n",
    );
    for r in raw {
        let bindings = |names: Vec<String>| -> String {
            names
                .iter()
                .map(|wire| {
                    format!(
                        "let path_{} = args.path({});\n",
                        raw_name(&field(&snake(wire))),
                        lit(wire)
                    )
                })
                .collect()
        };
        let path_names: Vec<String> = r
            .path
            .split('/')
            .filter_map(|p| p.strip_prefix('{').and_then(|p| p.strip_suffix('}')))
            .map(str::to_string)
            .collect();
        if let Some(call) = mapping.handwritten.get(&r.id) {
            let _ = writeln!(
                out,
                "{} => Box::pin(async move {{\n{}out(client.{call}.await)\n}}),",
                lit(&r.id),
                bindings(path_names)
            );
        } else if let Some(op) = ops.iter().find(|o| o.id == r.id) {
            let mut call_args: Vec<String> = op
                .path_params
                .iter()
                .map(|p| format!("&path_{}", raw_name(&p.rust)))
                .collect();
            if let Some(q) = &op.query {
                call_args.push(format!("&arg::<types::{q}>(query)?"));
            }
            match &op.body {
                Body::None => {}
                Body::Struct(name) | Body::Multipart { name, .. } => {
                    call_args.push(format!("&arg::<types::{name}>(body)?"));
                }
                Body::Array(ty) => {
                    call_args.push(format!("&arg::<Vec<{}>>(body)?", qualify(&ty.rust)))
                }
                Body::Other(ty) => call_args.push(format!("&arg::<{}>(body)?", qualify(&ty.rust))),
            }
            let gate = feature_cfg(&mapping.groups[&op.group].feature);
            let _ = writeln!(
                out,
                "{gate}{} => Box::pin(async move {{\n{}out(client.{}().{}({}).await)\n}}),",
                lit(&r.id),
                bindings(path_names),
                op.group,
                op.method,
                call_args.join(", ")
            );
        }
    }
    out.push_str("_ => return None,\n})\n}\n");
    out
}

/// A type as written in `types.rs`, usable from the dispatcher.
fn qualify(rust: &str) -> String {
    if rust.starts_with("crate::")
        || rust.starts_with("serde_json::")
        || matches!(rust, "String" | "i64" | "f64" | "bool")
    {
        return rust.to_string();
    }
    if let Some(inner) = rust.strip_prefix("Vec<").and_then(|r| r.strip_suffix('>')) {
        return format!("Vec<{}>", qualify(inner));
    }
    format!("types::{rust}")
}

// -------------------------------------------------------------- examples --

pub fn examples(doc: &Value, types: &Types<'_>, gates: &Gates) -> String {
    let mut out = String::from(HEADER);
    out.push_str(
        "\n//! The table test of the generated models: each decodes from its example,\n\
         //! from `{}`, with every field `null`, and with unknown fields and unknown\n\
         //! enum values, and serializes back to JSON that decodes again.\n\n\
         use super::types::*;\n\n\
         fn check<T: serde::de::DeserializeOwned + serde::Serialize>(name: &str, example: &str, failures: &mut Vec<String>) {\n\
         \x20   let example: serde_json::Value = match serde_json::from_str(example) {\n\
         \x20       Ok(value) => value,\n\
         \x20       Err(e) => return failures.push(format!(\"{name}: bad example: {e}\")),\n\
         \x20   };\n\
         \x20   for (case, value) in crate::client::paging::test_cases(&example) {\n\
         \x20       match serde_json::from_value::<T>(value) {\n\
         \x20           Ok(decoded) => {\n\
         \x20               let again = serde_json::to_value(&decoded).map_err(|e| e.to_string()).and_then(|v| serde_json::from_value::<T>(v).map_err(|e| e.to_string()));\n\
         \x20               if let Err(e) = again {\n\
         \x20                   failures.push(format!(\"{name} ({case}): does not round-trip: {e}\"));\n\
         \x20               }\n\
         \x20           }\n\
         \x20           Err(e) => failures.push(format!(\"{name} ({case}): {e}\")),\n\
         \x20       }\n\
         \x20   }\n\
         }\n\n\
         #[test]\n\
         #[allow(clippy::too_many_lines)]\n\
         fn every_model_decodes_leniently() {\n\
         \x20   let mut failures = Vec::new();\n\
         \x20   let mut checked = 0_usize;\n",
    );
    for (name, def) in &types.defs {
        if matches!(def, TypeDef::Placeholder) {
            continue;
        }
        let value = match (types.examples.get(name), types.schemas.get(name)) {
            (Some(value), _) => value.clone(),
            (None, Some(schema)) => example(doc, schema, 0),
            (None, None) => continue,
        };
        let text = serde_json::to_string(&value).unwrap_or_else(|_| "null".into());
        let gate: String = cfg(gates.get(name).unwrap_or(&None))
            .lines()
            .filter(|l| l.starts_with("#[cfg("))
            .map(|l| format!("{l}\n"))
            .collect();
        let _ = writeln!(
            out,
            "    {gate}{{\n        check::<{name}>({}, r##\"{text}\"##, &mut failures);\n        checked += 1;\n    }}",
            lit(name)
        );
    }
    out.push_str(
        "    assert!(failures.is_empty(), \"{}\", failures.join(\"\\n\"));\n\
         \x20   assert!(checked > 0);\n\
         }\n",
    );
    out
}

// --------------------------------------------------------------- stand-in --

/// The page the stand-in answers for an operation whose answer is HTML.
const HTML_EXAMPLE: &str = "<!DOCTYPE html><html><head><meta charset=\"UTF-8\" /><title>Clerk interstitial (stand-in)</title></head><body></body></html>";

/// The validation kind of a schema, as Rust source (`Kind::...`).
fn kind(doc: &Value, schema: &Value, depth: usize) -> String {
    let schema = resolve(doc, schema);
    if depth > 3 {
        return "Kind::Any".into();
    }
    if let Some(values) = get(schema, "enum").and_then(Value::as_sequence) {
        let strings: Vec<String> = values.iter().filter_map(Value::as_str).map(lit).collect();
        if str_of(schema, "type") == Some("string") && !strings.is_empty() {
            return format!("Kind::Enum(&[{}])", strings.join(", "));
        }
    }
    match str_of(schema, "type").unwrap_or("") {
        "string" => "Kind::String".into(),
        "integer" => "Kind::Integer".into(),
        "number" => "Kind::Number".into(),
        "boolean" => "Kind::Boolean".into(),
        "array" => match get(schema, "items") {
            Some(items) => format!("Kind::Array(&{})", kind(doc, items, depth + 1)),
            None => "Kind::Array(&Kind::Any)".into(),
        },
        "object" => "Kind::Object".into(),
        _ => "Kind::Any".into(),
    }
}

fn collect_props<'a>(doc: &'a Value, s: &'a Value, props: &mut Vec<(String, &'a Value, bool)>) {
    let s = resolve(doc, s);
    let required: Vec<&str> = seq_of(s, "required")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for (name, prop) in crate::spec::entries(get(s, "properties")) {
        let req = required.contains(&name.as_str());
        props.retain(|(n, _, _)| *n != name);
        props.push((name, prop, req));
    }
}

fn body_fields(doc: &Value, schema: &Value) -> String {
    let schema = resolve(doc, schema);
    let mut out = String::new();
    let mut props: Vec<(String, &Value, bool)> = Vec::new();
    for part in seq_of(schema, "allOf") {
        collect_props(doc, part, &mut props);
    }
    collect_props(doc, schema, &mut props);
    for (name, prop, required) in props {
        let target = resolve(doc, prop);
        // An upload's file: always required (see gen::multipart_body).
        if str_of(target, "format") == Some("binary") {
            let _ = write!(
                out,
                "Field {{ name: {}, kind: Kind::File, required: true, nullable: false }}, ",
                lit(&name)
            );
            continue;
        }
        let nullable =
            crate::spec::bool_of(prop, "nullable") || crate::spec::bool_of(target, "nullable");
        let _ = write!(
            out,
            "Field {{ name: {}, kind: {}, required: {required}, nullable: {nullable} }}, ",
            lit(&name),
            kind(doc, prop, 0)
        );
    }
    out
}

pub fn standin(doc: &Value, mapping: &Mapping, raw: &[RawOp<'_>]) -> String {
    let mut out = String::from(HEADER);
    out.push_str(
        "\n//! The stand-in's table of every operation of the OpenAPI file: each request\n\
         //! is validated against the parameters and body the spec gives, then\n\
         //! answered with a schema-valid example, or by the stateful hand-written\n\
         //! resources (`stateful`).\n\n\
         use super::spec_table::{BodySpec, Field, Kind, QueryParam, SpecOp};\n\n\
         /// Every operation: validated, and served from the spec unless `stateful`.\n\
         #[allow(clippy::too_many_lines)]\n\
         pub(super) static OPERATIONS: &[SpecOp] = &[\n",
    );
    for r in raw {
        let stateful = mapping.handwritten.contains_key(&r.id) || mapping.stateful.contains(&r.id);
        let params = crate::model::parameters(doc, r);
        let mut query = String::new();
        let mut paginated_list = false;
        for p in params.iter().filter(|p| str_of(p, "in") == Some("query")) {
            let name = str_of(p, "name").unwrap_or_default();
            if name == "paginated" {
                paginated_list = true;
            }
            let schema = get(p, "schema").unwrap_or(p);
            let _ = write!(
                query,
                "QueryParam {{ name: {}, kind: {}, required: {} }}, ",
                lit(name),
                kind(doc, schema, 0),
                crate::spec::bool_of(p, "required")
            );
        }
        for name in mapping.unlisted_query.get(&r.id).into_iter().flatten() {
            let _ = write!(
                query,
                "QueryParam {{ name: {}, kind: Kind::Any, required: false }}, ",
                lit(name)
            );
        }
        let content = get(r.op, "requestBody")
            .map(|b| resolve(doc, b))
            .and_then(|b| get(b, "content"));
        let body = match content {
            None => "None".to_string(),
            Some(content) => {
                if let Some(schema) =
                    get(content, "application/json").and_then(|j| get(j, "schema"))
                {
                    let target = resolve(doc, schema);
                    let array = str_of(target, "type") == Some("array");
                    let item = if array {
                        get(target, "items").unwrap_or(target)
                    } else {
                        target
                    };
                    let item = resolve(doc, item);
                    let strict = !matches!(
                        get(item, "additionalProperties"),
                        Some(Value::Bool(true)) | Some(Value::Mapping(_))
                    );
                    let required = get(r.op, "requestBody")
                        .map(|b| resolve(doc, b))
                        .is_some_and(|b| crate::spec::bool_of(b, "required"));
                    format!(
                        "Some(BodySpec {{ array: {array}, required: {required}, strict: {strict}, multipart: false, fields: &[{}] }})",
                        body_fields(doc, item)
                    )
                } else if let Some(schema) =
                    get(content, "multipart/form-data").and_then(|j| get(j, "schema"))
                {
                    format!(
                        "Some(BodySpec {{ array: false, required: true, strict: true, multipart: true, fields: &[{}] }})",
                        body_fields(doc, schema)
                    )
                } else {
                    "Some(BodySpec { array: false, required: false, strict: false, multipart: false, fields: &[] })"
                        .to_string()
                }
            }
        };
        let responses = get(r.op, "responses");
        let success = ["200", "201", "202", "204"].iter().find_map(|code| {
            crate::spec::entries(responses)
                .into_iter()
                .find(|(k, _)| k == code)
        });
        let html = mapping.operations.get(&r.id).is_some_and(|o| o.text);
        let public = get(r.op, "security")
            .and_then(Value::as_sequence)
            .is_some_and(Vec::is_empty);
        let (status, example_text) = match success {
            _ if html => (
                "200".to_string(),
                serde_json::to_string(HTML_EXAMPLE).unwrap_or_default(),
            ),
            None => ("200".to_string(), "null".to_string()),
            Some((code, response)) => {
                let response = resolve(doc, response);
                let value = match crate::model::response_schema(response) {
                    Some(schema) => example(doc, schema, 0),
                    None => Json::Null,
                };
                (
                    code,
                    serde_json::to_string(&value).unwrap_or_else(|_| "null".into()),
                )
            }
        };
        let segments: Vec<String> = r
            .path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(lit)
            .collect();
        let _ = writeln!(
            out,
            "    SpecOp {{\n        id: {},\n        method: {},\n        path: &[{}],\n        query: &[{}],\n        body: {},\n        status: {},\n        paginated_list: {},\n        stateful: {stateful},\n        public: {public},\n        html: {html},\n        example: r##\"{}\"##,\n    }},",
            lit(&r.id),
            lit(&r.http),
            segments.join(", "),
            query,
            body,
            status,
            paginated_list,
            example_text
        );
    }
    out.push_str("];\n\n/// Every operation (id, method, path template) with wire-form arguments made\n/// from the spec's examples, for the round-trip test.\n#[cfg(test)]\npub(crate) static EXAMPLE_ARGS: &[(&str, &str, &str, &str)] = &[\n");
    for r in raw {
        let mut path = serde_json::Map::new();
        for piece in r.path.split('/') {
            if let Some(name) = piece.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                path.insert(
                    name.to_string(),
                    json!(format!("{}_1", snake(name).trim_end_matches("_id"))),
                );
            }
        }
        let content = get(r.op, "requestBody")
            .map(|b| resolve(doc, b))
            .and_then(|b| get(b, "content"));
        let mut body = content
            .and_then(|c| get(c, "application/json"))
            .and_then(|j| get(j, "schema"))
            .map_or(Json::Null, |schema| example(doc, schema, 0));
        // An upload: its files in wire form (`{name, content_type, base64}`).
        if let Some(schema) = content
            .and_then(|c| get(c, "multipart/form-data"))
            .and_then(|j| get(j, "schema"))
        {
            let mut members = serde_json::Map::new();
            for (name, prop) in crate::spec::entries(get(resolve(doc, schema), "properties")) {
                let value = if str_of(resolve(doc, prop), "format") == Some("binary") {
                    crate::model::upload_example()
                } else {
                    json!("user_1")
                };
                members.insert(name, value);
            }
            body = Json::Object(members);
        }
        let mut query = serde_json::Map::new();
        for p in crate::model::parameters(doc, r) {
            if str_of(p, "in") == Some("query") && crate::spec::bool_of(p, "required") {
                let schema = get(p, "schema").unwrap_or(p);
                query.insert(
                    str_of(p, "name").unwrap_or_default().to_string(),
                    example(doc, schema, 1),
                );
            }
        }
        let args = json!({"path": path, "query": query, "body": body});
        let _ = writeln!(
            out,
            "    ({}, {}, {}, r##\"{}\"##),",
            lit(&r.id),
            lit(&r.http),
            lit(&r.path),
            serde_json::to_string(&args).unwrap_or_default()
        );
    }
    out.push_str("];\n");
    out
}
