//! `qianyue audit …`: the auditor's two questions, against the kernel's
//! database: who touched a resident's data, and what changed in the
//! region's rules on a day.

use clap::Subcommand;

use super::{officer, print_json, with_kernel};
use crate::KernelArgs;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Every decision on a resident's data, oldest first.
    Resident {
        /// The resident's kernel id.
        id: String,
        #[command(flatten)]
        kernel: KernelArgs,
    },
    /// The changes to policies and plugins on a day (China time, the region's day).
    Changes {
        #[arg(long, value_parser = crate::iso_date)]
        on: time::Date,
        #[command(flatten)]
        kernel: KernelArgs,
    },
}

pub fn run(command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Resident { id, kernel } => {
            with_kernel(kernel, async move |kernel| print_json(&kernel.audit_of_resident(&officer(), &id).await?))
        }
        AuditCommand::Changes { on, kernel } => {
            with_kernel(kernel, async move |kernel| print_json(&kernel.rule_changes_on(&officer(), on).await?))
        }
    }
}
