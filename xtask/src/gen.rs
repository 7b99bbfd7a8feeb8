//! From the OpenAPI document and the mapping to Rust source files.

use std::collections::{BTreeMap, BTreeSet};

use serde_yaml_ng::Value;

use crate::model::{
    is_plain, operation, raw_operations, Body, Operation, Ty, TypeDef, Types, HEADER,
};
use crate::names::lit;
use crate::spec::{self, entries, get, resolve, Mapping};

pub fn generate(
    doc: &Value,
    webhooks: &Value,
    mapping: &Mapping,
) -> Result<Vec<(String, String)>, String> {
    let raw = raw_operations(doc);
    let mut types = Types::new(doc, &mapping.models);
    let mut ops = Vec::new();
    for r in &raw {
        if mapping.handwritten.contains_key(&r.id) {
            continue;
        }
        ops.push(operation(&mut types, doc, mapping, r)?);
    }
    // Every operation is typed exactly once: a hand-written method or a
    // generated one.
    for r in &raw {
        let n = usize::from(mapping.handwritten.contains_key(&r.id))
            + ops.iter().filter(|o| o.id == r.id).count();
        if n != 1 {
            return Err(format!("{} is reached {n} times", r.id));
        }
    }
    for id in mapping
        .handwritten
        .keys()
        .chain(mapping.operations.keys())
        .chain(mapping.unlisted_query.keys())
    {
        if !raw.iter().any(|r| &r.id == id) {
            return Err(format!(
                "mapping.toml names {id}, which the spec does not have"
            ));
        }
    }
    let mut seen = BTreeSet::new();
    for op in &ops {
        if !seen.insert((op.group.clone(), op.method.clone())) {
            return Err(format!(
                "{}: {}.{} is taken twice",
                op.id, op.group, op.method
            ));
        }
    }

    let gates = gates(&types, &ops);
    let mut files = Vec::new();
    files.push((
        "src/client/generated/types.rs".to_string(),
        crate::render::types(&types, &gates),
    ));
    let mut groups: BTreeMap<&str, Vec<&Operation>> = BTreeMap::new();
    for op in &ops {
        groups.entry(op.group.as_str()).or_default().push(op);
    }
    for (group, group_ops) in &groups {
        let def = &mapping.groups[*group];
        files.push((
            format!("src/client/generated/{group}.rs"),
            crate::render::group(group, def, group_ops),
        ));
    }
    files.push((
        "src/client/generated/mod.rs".to_string(),
        crate::render::module(mapping, &groups),
    ));
    files.push((
        "src/testing/operations_generated.rs".to_string(),
        crate::render::dispatcher(doc, mapping, &raw, &ops),
    ));
    files.push((
        "src/client/generated/examples.rs".to_string(),
        crate::render::examples(doc, &types, &gates),
    ));
    files.push((
        "src/testing/bapi/generated.rs".to_string(),
        crate::render::standin(doc, mapping, &raw),
    ));
    for id in &mapping.stateful {
        if !ops.iter().any(|o| &o.id == id) {
            return Err(format!(
                "[stateful] names {id}, which is not a generated operation"
            ));
        }
    }
    files.push((
        "src/webhooks/generated.rs".to_string(),
        webhook_models(webhooks, mapping, &types, &gates)?,
    ));
    files.push((
        "src/webhooks/examples_generated.rs".to_string(),
        webhook_examples(webhooks),
    ));
    let _ = spec::to_json;
    Ok(files)
}

/// For each generated type, the features that need it (`None`: always).
fn gates(types: &Types<'_>, ops: &[Operation]) -> BTreeMap<String, Option<BTreeSet<String>>> {
    let mut needs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack: Vec<(String, String)> = Vec::new();
    for op in ops {
        let mut roots: Vec<String> = op.response.refs.clone();
        if let Some(q) = &op.query {
            roots.push(q.clone());
        }
        match &op.body {
            Body::Struct(name) | Body::Multipart { name, .. } => roots.push(name.clone()),
            Body::Array(ty) | Body::Other(ty) => roots.extend(ty.refs.clone()),
            Body::None => {}
        }
        for r in roots {
            stack.push((r, op.feature.clone()));
        }
    }
    while let Some((name, feature)) = stack.pop() {
        if needs
            .entry(name.clone())
            .or_default()
            .insert(feature.clone())
        {
            for r in types.refs_of(&name) {
                stack.push((r, feature.clone()));
            }
        }
    }
    let mut out = BTreeMap::new();
    for name in types.defs.keys() {
        let gate = match needs.get(name) {
            None => Some(BTreeSet::from(["full".to_string()])),
            Some(set) if set.contains("") => None,
            Some(set) => Some(set.clone()),
        };
        out.insert(name.clone(), gate);
    }
    out
}

/// The webhook payload models from Clerk's webhooks OpenAPI file: a model of
/// the same shape as a generated Backend API model (the same members, read
/// the same way, of the same shapes) is that model, re-exported under the
/// webhook's name; the others are written here.
fn webhook_models(
    doc: &Value,
    mapping: &Mapping,
    client: &Types<'_>,
    client_gates: &BTreeMap<String, Option<BTreeSet<String>>>,
) -> Result<String, String> {
    let mut types = Types::new(doc, &mapping.webhooks.models);
    for root in &mapping.webhooks.roots {
        let ty = types.component(root);
        if ty.refs.is_empty() {
            return Err(format!("webhooks: {root} is not an object schema"));
        }
    }
    // The module is built with the `billing` feature: a twin must be too.
    let built = |name: &str| match client_gates.get(name) {
        Some(None) => true,
        Some(Some(set)) => set.contains("billing"),
        None => false,
    };
    let mut twins: Vec<(String, String)> = Vec::new();
    for name in types.defs.keys() {
        if mapping.webhooks.roots.contains(name) {
            continue;
        }
        // Names without a number first (`XPlanPeriod` before `X2PlanPeriod`).
        let mut candidates: Vec<&String> = client.defs.keys().filter(|c| built(c)).collect();
        candidates.sort_by_key(|c| (c.chars().any(|ch| ch.is_ascii_digit()), (*c).clone()));
        if let Some(twin) = candidates
            .into_iter()
            .find(|c| same_shape(&types, name, client, c, &mut Vec::new()))
        {
            twins.push((name.clone(), twin.clone()));
        }
    }
    for (name, _) in &twins {
        types.defs.remove(name);
    }
    let gates = types.defs.keys().map(|k| (k.clone(), None)).collect();
    let mut out = crate::render::types(&types, &gates);
    if !twins.is_empty() {
        let mut uses = String::from(
            "// The payload models of the same shape as a Backend API model are that model.\n",
        );
        for (name, twin) in &twins {
            if name == twin {
                uses.push_str(&format!("pub use crate::client::types::{twin};\n"));
            } else {
                uses.push_str(&format!(
                    "pub use crate::client::types::{twin} as {name};\n"
                ));
            }
        }
        uses.push('\n');
        let at = out
            .find("\n/// ")
            .or_else(|| out.find("\ncrate::client::models::string_enum!"))
            .map_or(out.len(), |i| i + 1);
        out.insert_str(at, &uses);
    }
    out = out.replacen(
        "//! The models and parameter types of the generated Backend API operations.",
        "//! The webhook payloads of the billing events, from Clerk's webhooks OpenAPI file.",
        1,
    );
    Ok(out.replace(HEADER, WEBHOOKS_HEADER))
}

/// Whether webhook type `a` and Backend API type `b` read and write the same
/// JSON: enums with the same values, structs with the same members (Rust
/// names, optionality and shapes alike). `assumed` holds the pairs being
/// compared further up (recursive types).
fn same_shape(
    webhooks: &Types<'_>,
    a: &str,
    client: &Types<'_>,
    b: &str,
    assumed: &mut Vec<(String, String)>,
) -> bool {
    let pair = (a.to_string(), b.to_string());
    if assumed.contains(&pair) {
        return true;
    }
    assumed.push(pair);
    let same = match (webhooks.defs.get(a), client.defs.get(b)) {
        (Some(TypeDef::Enum { values: x, .. }), Some(TypeDef::Enum { values: y, .. })) => {
            let mut x = x.clone();
            let mut y = y.clone();
            x.sort();
            y.sort();
            x == y
        }
        (
            Some(TypeDef::Struct {
                fields: x,
                params: false,
                ..
            }),
            Some(TypeDef::Struct {
                fields: y,
                params: false,
                ..
            }),
        ) => {
            x.len() == y.len()
                && x.iter().all(|f| {
                    y.iter().find(|g| g.wire == f.wire).is_some_and(|g| {
                        f.rust == g.rust
                            && is_plain(f, false) == is_plain(g, false)
                            && same_ty(webhooks, &f.ty, client, &g.ty, assumed)
                    })
                })
        }
        _ => false,
    };
    assumed.pop();
    same
}

fn same_ty(
    webhooks: &Types<'_>,
    a: &Ty,
    client: &Types<'_>,
    b: &Ty,
    assumed: &mut Vec<(String, String)>,
) -> bool {
    let inner = |t: &str| -> String {
        t.trim_start_matches("Vec<")
            .trim_end_matches('>')
            .to_string()
    };
    let depth = |t: &str| t.matches("Vec<").count();
    if depth(&a.rust) != depth(&b.rust) {
        return false;
    }
    match (a.refs.as_slice(), b.refs.as_slice()) {
        ([], []) => a.rust == b.rust,
        ([x], [y]) if inner(&a.rust) == *x && inner(&b.rust) == *y => {
            same_shape(webhooks, x, client, y, assumed)
        }
        _ => false,
    }
}

const WEBHOOKS_HEADER: &str = "// @generated by `cargo xtask generate` from openapi/webhooks-2025-04-15.yml\n// and xtask/mapping.toml; do not edit.\n";

/// Every webhook event type with the spec's example payload (tests).
fn webhook_examples(doc: &Value) -> String {
    let mut out = String::from(WEBHOOKS_HEADER);
    out.push_str(
        "\n//! Every webhook event type of Clerk's webhooks OpenAPI file, with its example.\n\n",
    );
    out.push_str("pub(super) static EVENT_EXAMPLES: &[(&str, &str)] = &[\n");
    for (name, item) in entries(get(doc, "x-webhooks")) {
        let json = get(item, "post")
            .and_then(|p| get(p, "requestBody"))
            .and_then(|b| get(b, "content"))
            .and_then(|c| get(c, "application/json"));
        // `example`, or the first of `examples` (`{name: {value}}`).
        let example = json
            .and_then(|j| get(j, "example"))
            .or_else(|| {
                let first = entries(json.and_then(|j| get(j, "examples")))
                    .into_iter()
                    .next();
                first.and_then(|(_, e)| get(resolve(doc, e), "value"))
            })
            .map_or(serde_json::Value::Null, spec::to_json);
        let text = serde_json::to_string(&example).unwrap_or_else(|_| "null".into());
        out.push_str(&format!("    ({}, r##\"{}\"##),\n", lit(&name), text));
    }
    out.push_str("];\n");
    out
}
