//! Repository tasks for clerk-actix.
//!
//! `cargo xtask generate` reads Clerk's OpenAPI file (openapi/) and the
//! hand-kept mapping (xtask/mapping.toml) and writes the typed Backend API:
//! the models, one method per operation, the conformance dispatcher and the
//! stand-in's routes. The output is checked in; CI regenerates it and fails
//! on any difference.

mod gen;
mod model;
mod names;
mod render;
mod spec;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("generate") => match generate() {
            Ok(files) => {
                println!("wrote {} files", files.len());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("xtask generate: {e}");
                ExitCode::FAILURE
            }
        },
        _ => {
            eprintln!("usage: cargo xtask generate");
            ExitCode::from(2)
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

fn generate() -> Result<Vec<PathBuf>, String> {
    let root = root();
    let spec_path = root.join("openapi/bapi-2026-05-12.yml");
    let text = std::fs::read_to_string(&spec_path)
        .map_err(|e| format!("reading {}: {e}", spec_path.display()))?;
    let doc: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&text).map_err(|e| format!("parsing the OpenAPI file: {e}"))?;
    let mapping_path = root.join("xtask/mapping.toml");
    let mapping_text = std::fs::read_to_string(&mapping_path)
        .map_err(|e| format!("reading {}: {e}", mapping_path.display()))?;
    let mapping: spec::Mapping =
        toml::from_str(&mapping_text).map_err(|e| format!("parsing mapping.toml: {e}"))?;
    let webhooks_path = root.join("openapi/webhooks-2025-04-15.yml");
    let webhooks_text = std::fs::read_to_string(&webhooks_path)
        .map_err(|e| format!("reading {}: {e}", webhooks_path.display()))?;
    let webhooks: serde_yaml_ng::Value = serde_yaml_ng::from_str(&webhooks_text)
        .map_err(|e| format!("parsing the webhooks OpenAPI file: {e}"))?;
    let files = gen::generate(&doc, &webhooks, &mapping)?;
    let mut written = Vec::new();
    for (rel, content) in files {
        let path = root.join(&rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(&path, content).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path);
    }
    let status = std::process::Command::new("rustfmt")
        .arg("--edition")
        .arg("2021")
        .args(&written)
        .status()
        .map_err(|e| format!("running rustfmt: {e}"))?;
    if !status.success() {
        return Err("rustfmt failed on the generated files".into());
    }
    Ok(written)
}
