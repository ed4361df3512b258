//! `qianyue plugin …`: a county programmer's test of a build, and the
//! lifecycle (upload, shadow, activate, roll back, replay) run by the
//! region's operator against the kernel's database.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use qianyue::Kernel;
use qianyue::kernel::GoldenUpload;
use qianyue::plugins::{Limits, PluginHost, golden};

use super::{print_json, with_kernel};
use crate::{KernelArgs, operator};

#[derive(Subcommand)]
pub enum PluginCommand {
    /// Run a component's golden cases (金标准用例) and show every answer that
    /// differs; exits 1 if any does.
    Test {
        /// The built component, e.g. target/wasm32-wasip2/release/my_county.wasm.
        component: PathBuf,
        #[command(flatten)]
        files: VersionFiles,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Start a county's plugin: a folder from the template, with its golden
    /// cases, that builds and passes `plugin test` as it is.
    New {
        /// The county's six-digit GB/T 2260 code.
        code: String,
        /// The county's name, e.g. 东台市.
        #[arg(long)]
        name: String,
        /// Prefix of the package codes (e.g. DT for DT-JC).
        #[arg(long, default_value = "PKG")]
        prefix: String,
        /// The folder to create (default: county-CODE).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Upload a version (component and configuration) of a county's plugin:
    /// stored if it validates and passes its golden cases, not yet active.
    Upload {
        component: PathBuf,
        #[arg(long)]
        county: String,
        #[command(flatten)]
        files: VersionFiles,
        #[command(flatten)]
        kernel: KernelArgs,
    },
    /// A county's stored versions and the activations in force.
    List {
        #[arg(long)]
        county: String,
        #[command(flatten)]
        kernel: KernelArgs,
    },
    /// Reprice the county's active contracts with a stored version and list
    /// every price that would change.
    Shadow {
        /// The version's hash (from `upload` or `list`).
        hash: String,
        #[arg(long)]
        county: String,
        #[command(flatten)]
        kernel: KernelArgs,
    },
    /// Make a stored version the county's plugin from a day on.
    Activate {
        hash: String,
        #[arg(long)]
        county: String,
        /// The first day it prices (YYYY-MM-DD).
        #[arg(long = "from", value_parser = crate::iso_date)]
        effective_from: time::Date,
        #[command(flatten)]
        kernel: KernelArgs,
    },
    /// Show a county's plugin limits, or set them (the options given; the
    /// others stay).
    Limits {
        #[arg(long)]
        county: String,
        #[command(flatten)]
        limits: LimitArgs,
        #[command(flatten)]
        kernel: KernelArgs,
    },
    /// Undo the county's latest activation in force.
    Rollback {
        #[arg(long)]
        county: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        kernel: KernelArgs,
    },
    /// Recompute a stored contract's prices: by the version that made them,
    /// or by a candidate build to see what it would change.
    Replay {
        #[arg(long)]
        contract: String,
        /// A candidate component; its configuration is `--config`.
        #[arg(long)]
        component: Option<PathBuf>,
        #[arg(long, default_value = "config.json")]
        config: PathBuf,
        #[command(flatten)]
        kernel: KernelArgs,
    },
}

/// A version's files as a county's plugin folder holds them.
#[derive(clap::Args)]
pub struct VersionFiles {
    /// The county's configuration document.
    #[arg(long, default_value = "config.json")]
    config: PathBuf,
    /// The folder of golden case files (*.json).
    #[arg(long, default_value = "golden")]
    golden: PathBuf,
}

/// The sandbox's limits for `plugin test` (the kernel's defaults otherwise).
#[derive(clap::Args)]
pub struct LimitArgs {
    /// Fuel (about one unit per WebAssembly instruction) a call may burn.
    #[arg(long)]
    fuel: Option<u64>,
    /// Linear memory a call may use, in MiB.
    #[arg(long)]
    memory_mib: Option<usize>,
    /// Wall-clock time a call may take, in milliseconds.
    #[arg(long)]
    deadline_ms: Option<u64>,
    /// Largest component the county may upload, in KiB: `plugin test` refuses
    /// a larger one, as an upload would be.
    #[arg(long)]
    component_kib: Option<usize>,
}

impl LimitArgs {
    fn limits(&self) -> Limits {
        let default = Limits::default();
        Limits {
            fuel: self.fuel.unwrap_or(default.fuel),
            memory_bytes: self.memory_mib.map_or(default.memory_bytes, |m| m << 20),
            deadline: self.deadline_ms.map_or(default.deadline, std::time::Duration::from_millis),
            component_bytes: self.component_kib.map_or(default.component_bytes, |k| k << 10),
        }
    }
}

pub fn run(command: PluginCommand) -> anyhow::Result<()> {
    match command {
        PluginCommand::Test { component, files, limits } => test(&component, &files, &limits),
        PluginCommand::New { code, name, prefix, dir } => {
            let dir = dir.unwrap_or_else(|| PathBuf::from(format!("county-{code}")));
            new_plugin(&code, &name, &prefix, &dir)
        }
        PluginCommand::Upload { component, county, files, kernel } => with_kernel(kernel, async move |kernel| {
            let bytes = read(&component)?;
            let config = read_text(&files.config)?;
            let golden: Vec<GoldenUpload> =
                golden::read_dir(&files.golden)?.into_iter().map(|(name, text)| GoldenUpload { name, text }).collect();
            print_json(&kernel.upload_plugin(&operator(), &county, &bytes, &config, &golden).await?)
        }),
        PluginCommand::List { county, kernel } => with_kernel(kernel, async move |kernel| {
            let (versions, activations) = kernel.plugin_versions(&operator(), &county).await?;
            print_json(&serde_json::json!({ "versions": versions, "activations": activations }))
        }),
        PluginCommand::Shadow { hash, county, kernel } => with_kernel(kernel, async move |kernel| {
            print_json(&kernel.shadow_plugin(&operator(), &county, &hash).await?)
        }),
        PluginCommand::Activate { hash, county, effective_from, kernel } => with_kernel(kernel, async move |kernel| {
            print_json(&kernel.activate_plugin(&operator(), &county, &hash, effective_from).await?)
        }),
        PluginCommand::Limits { county, limits, kernel } => with_kernel(kernel, async move |kernel| {
            let current = kernel.plugin_limits(&operator(), &county).await?;
            let none = limits.fuel.is_none() && limits.memory_mib.is_none() && limits.deadline_ms.is_none();
            if none && limits.component_kib.is_none() {
                return print_json(&current);
            }
            let wanted = qianyue::store::StoredLimits {
                fuel: limits.fuel.unwrap_or(current.fuel),
                memory_bytes: limits.memory_mib.map_or(current.memory_bytes, |m| (m as u64) << 20),
                deadline_ms: limits.deadline_ms.unwrap_or(current.deadline_ms),
                component_bytes: limits.component_kib.map_or(current.component_bytes, |k| (k as u64) << 10),
            };
            print_json(&kernel.set_plugin_limits(&operator(), &county, wanted).await?)
        }),
        PluginCommand::Rollback { county, reason, kernel } => with_kernel(kernel, async move |kernel| {
            print_json(&kernel.roll_back_plugin(&operator(), &county, &reason).await?)
        }),
        PluginCommand::Replay { contract, component, config, kernel } => with_kernel(kernel, async move |kernel| {
            let candidate = match component {
                Some(path) => Some(candidate(kernel, &path, &config).await?),
                None => None,
            };
            let replay = kernel.reproduce_contract(&operator(), &contract, candidate).await?;
            print_json(&replay)?;
            if replay.identical { Ok(()) } else { anyhow::bail!("the recomputed prices differ from the stored ones") }
        }),
    }
}

async fn candidate(
    kernel: &Kernel,
    path: &Path,
    config: &Path,
) -> anyhow::Result<std::sync::Arc<qianyue::plugins::Plugin>> {
    let bytes = read(path)?;
    let config = read_text(config)?;
    Ok(kernel.compile_plugin(&path.display().to_string(), &bytes, &config).await?)
}

fn test(component: &Path, files: &VersionFiles, limits: &LimitArgs) -> anyhow::Result<()> {
    let bytes = read(component)?;
    let config = read_text(&files.config)?;
    let limits = limits.limits();
    limits.admit_component(bytes.len()).map_err(|why| anyhow::anyhow!("{}: {why}", component.display()))?;
    let host = PluginHost::new(limits)?;
    let plugin = host.compile(&component.display().to_string(), &bytes, &config)?;
    let outcomes = golden::run_dir(&plugin, &files.golden)?;
    let failed: Vec<_> = outcomes.iter().filter(|o| !o.passed()).collect();
    for o in &failed {
        println!("FAIL {}: {}\n  expected {}\n  actual   {}", o.file, o.case, o.expected, o.actual);
    }
    match &plugin.starts_configured {
        Ok(()) => println!("instances start configured, from a snapshot taken after `configure`"),
        Err(why) => println!("each call configures its instance anew (not snapshotted: {why})"),
    }
    let info = &plugin.info;
    println!(
        "{} golden cases of {} {} ({}, sha256 {}): {} passed, {} failed",
        outcomes.len(),
        info.county_code,
        info.version,
        plugin.world,
        plugin.component,
        outcomes.len() - failed.len(),
        failed.len()
    );
    if failed.is_empty() { Ok(()) } else { anyhow::bail!("{} golden cases failed", failed.len()) }
}

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", path.display()))
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", path.display()))
}

/// Writes a new plugin folder from the template (`plugins/template`): its
/// placeholders replaced by the county's code, name and package prefix, and
/// the WIT beside it so the folder builds anywhere.
fn new_plugin(code: &str, name: &str, prefix: &str, dir: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "the county code must be its six-digit GB/T 2260 code, not `{code}`"
    );
    anyhow::ensure!(
        !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
        "the package prefix must be upper-case letters or digits, not `{prefix}`"
    );
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        anyhow::bail!("`{}` exists and is not empty: choose another --dir", dir.display());
    }
    let crate_name = format!("county-{code}");
    let replacements = [
        ("\"../../wit/v1.0.0\"", "\"wit/v1.0.0\"".to_owned()),
        ("county-template", crate_name.clone()),
        ("county_template", crate_name.replace('-', "_")),
        ("000000", code.to_owned()),
        ("模板县", name.to_owned()),
        ("Template County", name.to_owned()),
        ("TPL-", format!("{prefix}-")),
    ];
    for (path, text) in qianyue::bundled::TEMPLATE_FILES {
        let text = replacements.iter().fold((*text).to_owned(), |text, (from, to)| text.replace(from, to));
        let file = dir.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&file, text).map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", file.display()))?;
    }
    println!(
        "{} ({code}) plugin in {}: build it with `cargo build --release --target wasm32-wasip2` there, \
         then `qianyue plugin test target/wasm32-wasip2/release/{}.wasm`",
        name,
        dir.display(),
        crate_name.replace('-', "_")
    );
    Ok(())
}
