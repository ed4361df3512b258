//! Builds every plugin under `plugins/` for `wasm32-wasip2` and tells the
//! kernel where the components are, so that `cargo run` and `cargo test` in a
//! fresh clone need no separate build step.
//!
//! Plugins are separate Cargo workspaces (a guest cannot share the kernel's
//! target), so this runs a nested `cargo build` with its own target directory;
//! sharing the outer one would deadlock on Cargo's lock.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";
/// The WIT version new plugins are made for.
const NEWEST_WIT: &str = "v1.0.0";

/// County plugins bundled into the kernel binary (loaded by `qianyue serve`).
const BUNDLED: &[&str] = &["pei-county", "anhui-county", "poverty-county", "ningbo-jiangdong"];
/// Plugins built only for the kernel's own tests.
const FIXTURES: &[&str] = &["fixtures/unruly"];

fn main() {
    if let Err(message) = run() {
        println!("cargo::error={message}");
    }
}

fn run() -> Result<(), String> {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let root = manifest_dir.parent().ok_or("kernel/ has no parent folder")?.to_path_buf();
    let out_dir = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?);
    // OUT_DIR is <target>/<profile>/build/<pkg>/out: keep plugin builds beside it.
    let target_dir = out_dir.ancestors().nth(4).ok_or("unexpected OUT_DIR layout")?.join("wasm-plugins");

    println!("cargo::rerun-if-changed={}", root.join("wit").display());
    println!("cargo::rerun-if-changed={}", root.join("policies").display());
    // The plugins' workspace: their shared build profile and lock file.
    println!("cargo::rerun-if-changed={}", root.join("plugins/Cargo.toml").display());
    println!("cargo::rerun-if-changed={}", root.join("plugins/Cargo.lock").display());
    // The kit every bundled plugin is built with.
    println!("cargo::rerun-if-changed={}", root.join("plugins/county-kit").display());

    let mut bundled = String::from("/// County plugins compiled into the kernel.\n");
    bundled.push_str("pub const PLUGINS: &[BundledPlugin] = &[\n");
    for name in BUNDLED {
        let wasm = build_plugin(&root, name, &target_dir)?;
        let dir = root.join("plugins").join(name);
        let config = dir.join("config.json");
        println!("cargo::rerun-if-changed={}", config.display());
        println!("cargo::rerun-if-changed={}", dir.join("golden").display());
        writeln!(
            bundled,
            "    BundledPlugin {{ name: {name:?}, component: include_bytes!({:?}), config: include_str!({:?}), golden: {:?} }},",
            wasm.display(),
            config.display(),
            dir.join("golden").display()
        )
        .map_err(|e| e.to_string())?;
    }
    bundled.push_str("];\n");
    bundled.push_str(&policy_files(&root)?);
    bundled.push_str(&policy_cases(&root)?);
    bundled.push_str(&template_files(&root)?);
    fs::write(out_dir.join("bundled.rs"), bundled).map_err(|e| e.to_string())?;

    for name in FIXTURES {
        let wasm = build_plugin(&root, name, &target_dir)?;
        let var =
            format!("QIANYUE_FIXTURE_{}", name.rsplit('/').next().unwrap_or(name).to_uppercase().replace('-', "_"));
        println!("cargo::rustc-env={var}={}", wasm.display());
    }
    Ok(())
}

/// The bundled Cedar files, embedded so the binary runs from any folder.
fn policy_files(root: &Path) -> Result<String, String> {
    let doc = "The bundled Cedar schema and policies: (file name, text).";
    embed_files(&root.join("policies"), &["cedar", "cedarschema"], "POLICY_FILES", doc)
}

/// The shipped policy test cases (`policies/tests/*.json`), embedded so that
/// `qianyue policy test` runs them from any folder.
fn policy_cases(root: &Path) -> Result<String, String> {
    let doc = "The shipped policy test cases: (file name, JSON text).";
    embed_files(&root.join("policies").join("tests"), &["json"], "POLICY_CASES", doc)
}

/// A `const` of the files of `dir` with one of `extensions`, by name.
fn embed_files(dir: &Path, extensions: &[&str], name: &str, doc: &str) -> Result<String, String> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|e| e.to_str()).is_some_and(|e| extensions.contains(&e)))
        .collect();
    files.sort();
    let mut out = format!("/// {doc}\npub const {name}: &[(&str, &str)] = &[\n");
    for file in files {
        let file_name = file.file_name().and_then(|n| n.to_str()).ok_or("non-UTF-8 file name")?;
        writeln!(out, "    ({file_name:?}, include_str!({:?})),", file.display()).map_err(|e| e.to_string())?;
    }
    out.push_str("];\n");
    Ok(out)
}

/// The plugin template and the newest WIT, embedded for `qianyue plugin new`:
/// (path in the new plugin's folder, text).
fn template_files(root: &Path) -> Result<String, String> {
    let template = root.join("plugins").join("template");
    println!("cargo::rerun-if-changed={}", template.display());
    let mut files = Vec::new();
    collect(&template, &template, &mut files)?;
    files.sort();
    let wit = root.join("wit").join(NEWEST_WIT).join("county.wit");
    files.push((format!("wit/{NEWEST_WIT}/county.wit"), wit));
    let mut out = String::from("/// `plugins/template` and the newest WIT: (path, text).\n");
    out.push_str("pub const TEMPLATE_FILES: &[(&str, &str)] = &[\n");
    for (name, path) in files {
        writeln!(out, "    ({name:?}, include_str!({:?})),", path.display()).map_err(|e| e.to_string())?;
    }
    out.push_str("];\n");
    Ok(out)
}

/// Every file under `dir` but build output, by its path relative to `base`.
fn collect(base: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) -> Result<(), String> {
    for entry in fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.file_name().is_some_and(|n| n == "target") {
            continue;
        }
        if path.is_dir() {
            collect(base, &path, files)?;
        } else {
            let relative = path.strip_prefix(base).map_err(|e| e.to_string())?;
            let name = relative.to_str().ok_or("non-UTF-8 template file name")?.replace('\\', "/");
            files.push((name, path));
        }
    }
    Ok(())
}

fn build_plugin(root: &Path, name: &str, target_dir: &Path) -> Result<PathBuf, String> {
    let dir = root.join("plugins").join(name);
    println!("cargo::rerun-if-changed={}", dir.join("src").display());
    println!("cargo::rerun-if-changed={}", dir.join("Cargo.toml").display());
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["build", "--release", "--quiet", "--target", TARGET, "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir)
        // The outer build's flags are for the host, not for the guest.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .output()
        .map_err(|e| format!("cannot run cargo to build plugin `{name}`: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("target may not be installed") || stderr.contains("can't find crate for `core`") {
            return Err(format!(
                "building plugin `{name}` needs the {TARGET} target: run `rustup target add {TARGET}`"
            ));
        }
        return Err(format!("plugin `{name}` failed to build:\n{stderr}"));
    }
    let crate_name = name.rsplit('/').next().unwrap_or(name).replace('-', "_");
    let wasm = target_dir.join(TARGET).join("release").join(format!("{crate_name}.wasm"));
    if !wasm.exists() {
        return Err(format!("plugin `{name}` built, but {} is missing", wasm.display()));
    }
    Ok(wasm)
}
