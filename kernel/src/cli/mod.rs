//! Subcommands of the `qianyue` binary that have grown beyond a few lines.

pub mod audit;
pub mod plugin;
pub mod policy;
pub mod settle;
pub mod worklist;

use qianyue::authz::{Principal, Role};

/// Whoever runs the policy and audit commands acts as a policy officer,
/// named by their login.
fn officer() -> Principal {
    let login = std::env::var("USER").unwrap_or_else(|_| "operator".into());
    Principal {
        subject: format!("cli:{login}"),
        role: Role::PolicyOfficer,
        county: None,
        team: None,
        duty: None,
        institution: None,
    }
}

/// Opens the kernel, runs `job` on it, and writes the decisions it made
/// to the audit log before the command exits, whether `job` succeeded or
/// was refused.
pub(crate) fn with_kernel(
    args: crate::KernelArgs,
    job: impl AsyncFnOnce(&qianyue::Kernel) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    crate::run_job(async move {
        let kernel = args.open().await?;
        let result = job(&kernel).await;
        kernel.flush_audit().await?;
        result
    })
}

/// What a command reports, as pretty JSON on stdout.
fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
