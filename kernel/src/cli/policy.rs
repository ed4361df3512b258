//! `qianyue policy …`: the policy officers' workflow against the kernel's
//! database: list and read the published sets, validate a folder of policy
//! files, publish it, roll back. Running kernels take a publish up within
//! seconds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Subcommand;

use super::{officer, print_json, with_kernel};
use crate::KernelArgs;

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Every published version, newest (in force) first.
    List {
        #[command(flatten)]
        kernel: KernelArgs,
    },
    /// A published version's policy files.
    Show {
        version: i64,
        #[command(flatten)]
        kernel: KernelArgs,
    },
    /// Check a folder of `*.cedar` files against the kernel's schema (strict
    /// mode) without publishing; exits 1 with Cedar's message if invalid.
    Validate {
        dir: PathBuf,
        #[command(flatten)]
        kernel: KernelArgs,
    },
    /// Run the shipped policy cases, and the `*.json` case files of
    /// `--cases`, against a folder of `*.cedar` files; exits 1 if any fails.
    Test {
        dir: PathBuf,
        /// A folder of the officer's own case files.
        #[arg(long)]
        cases: Option<PathBuf>,
        #[command(flatten)]
        kernel: KernelArgs,
    },
    /// The latest real decisions a folder of `*.cedar` files would decide
    /// the other way.
    Flips {
        dir: PathBuf,
        /// How many of the latest decisions to take again (at most 10,000).
        #[arg(long, default_value_t = qianyue::kernel::FLIP_WINDOW)]
        last: usize,
        #[command(flatten)]
        kernel: KernelArgs,
    },
    /// Publish a folder of `*.cedar` files as the policies of the region.
    Publish {
        dir: PathBuf,
        #[arg(long)]
        reason: String,
        /// The version the folder was edited from (default: the one in force).
        #[arg(long)]
        based_on: Option<i64>,
        #[command(flatten)]
        kernel: KernelArgs,
    },
    /// Publish an earlier version's files again.
    Rollback {
        #[arg(long = "to")]
        to_version: i64,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        kernel: KernelArgs,
    },
}

pub fn run(command: PolicyCommand) -> anyhow::Result<()> {
    match command {
        PolicyCommand::List { kernel } => with_kernel(kernel, async move |kernel| {
            let versions = kernel.policy_versions(&officer()).await?;
            for v in &versions {
                let restores = v.restores.map(|r| format!(" (restores {r})")).unwrap_or_default();
                println!(
                    "{:>4}  {}  {}  {} files  {}{restores}",
                    v.version,
                    v.published_at,
                    v.published_by,
                    v.files.len(),
                    v.reason
                );
            }
            Ok(())
        }),
        PolicyCommand::Show { version, kernel } => {
            with_kernel(kernel, async move |kernel| print_json(&kernel.policy_version(&officer(), version).await?))
        }
        PolicyCommand::Validate { dir, kernel } => with_kernel(kernel, async move |kernel| {
            let files = read_policy_dir(&dir)?;
            let count = kernel.validate_policies(&officer(), files)?;
            println!("{}: {count} policies, valid against the schema", dir.display());
            Ok(())
        }),
        PolicyCommand::Test { dir, cases, kernel } => with_kernel(kernel, async move |kernel| {
            let files = read_policy_dir(&dir)?;
            let own: Vec<(String, String)> = match &cases {
                Some(cases) => read_dir_with(cases, "json")?.into_iter().collect(),
                None => Vec::new(),
            };
            let outcomes = kernel.test_policies(&officer(), files, &own)?;
            let failed: Vec<_> = outcomes.iter().filter(|o| !o.passed()).collect();
            for o in &failed {
                let why = o.why.as_deref().map(|w| format!(" ({w})")).unwrap_or_default();
                println!("FAIL {}: {}{why}", o.file, o.name);
                println!("  expected {:?}, got {:?} (by {:?})", o.expected, o.actual, o.policies);
            }
            println!(
                "{} policy cases: {} passed, {} failed",
                outcomes.len(),
                outcomes.len() - failed.len(),
                failed.len()
            );
            anyhow::ensure!(failed.is_empty(), "{} policy cases failed", failed.len());
            Ok(())
        }),
        PolicyCommand::Flips { dir, last, kernel } => with_kernel(kernel, async move |kernel| {
            let files = read_policy_dir(&dir)?;
            print_json(&kernel.policy_flips(&officer(), files, last).await?)
        }),
        PolicyCommand::Publish { dir, reason, based_on, kernel } => with_kernel(kernel, async move |kernel| {
            let files = read_policy_dir(&dir)?;
            let based_on = match based_on {
                Some(version) => version,
                None => kernel.authz.version(),
            };
            print_json(&kernel.publish_policies(&officer(), files, based_on, &reason).await?)
        }),
        PolicyCommand::Rollback { to_version, reason, kernel } => with_kernel(kernel, async move |kernel| {
            print_json(&kernel.roll_back_policies(&officer(), to_version, &reason).await?)
        }),
    }
}

/// The `*.cedar` files of a folder, by name.
fn read_policy_dir(dir: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let files = read_dir_with(dir, "cedar")?;
    anyhow::ensure!(!files.is_empty(), "`{}` holds no `*.cedar` policy files", dir.display());
    Ok(files)
}

/// The files of a folder with one extension, by name.
fn read_dir_with(dir: &Path, extension: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read `{}`", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == extension) {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read `{}`", path.display()))?;
            files.insert(name, text);
        }
    }
    Ok(files)
}
