//! `qianyue settle` and `qianyue assess`: a county's settlement of a period
//! (stored once, then checked on every run) with its exports for the finance
//! office, and a scope's assessment figures.

use std::path::PathBuf;

use qianyue::assessment::Scope;
use qianyue::contracts::Period;

use crate::KernelArgs;

#[derive(clap::Args)]
pub struct SettleArgs {
    #[arg(long)]
    county: String,
    /// The service year, which must have ended.
    #[arg(long)]
    period: i32,
    /// Also write the settlement as CSV to this file.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Also write the settlement as an XLSX workbook to this file.
    #[arg(long)]
    xlsx: Option<PathBuf>,
    #[command(flatten)]
    kernel: KernelArgs,
}

pub fn settle(args: SettleArgs) -> anyhow::Result<()> {
    let SettleArgs { county, period, csv, xlsx, kernel } = args;
    super::with_kernel(kernel, async move |k| {
        let report = k.settle(&crate::operator(), &county, Period { year: period }).await?;
        if let Some(path) = csv {
            std::fs::write(&path, qianyue::settlement::csv(&report))?;
        }
        if let Some(path) = xlsx {
            std::fs::write(&path, qianyue::settlement::xlsx(&report)?)?;
        }
        let verb = if report.stored_before { "unchanged since it was stored" } else { "stored" };
        for team in &report.teams {
            println!("{}  {:>12} fen  {}", team.team_id, team.settlement.total, team.team_name);
        }
        println!(
            "{county} {period}: {} teams, {} fen, by plugin {} ({}): {verb}",
            report.teams.len(),
            report.total,
            report.plugin_version,
            report.plugin_hash
        );
        Ok(())
    })
}

#[derive(clap::Args)]
#[group(required = true, multiple = false)]
struct ScopeArgs {
    #[arg(long)]
    county: Option<String>,
    /// A township health centre's institution id.
    #[arg(long)]
    township: Option<String>,
    #[arg(long)]
    team: Option<String>,
}

#[derive(clap::Args)]
pub struct AssessArgs {
    #[command(flatten)]
    scope: ScopeArgs,
    /// The day to assess as of (ISO 8601); today by default.
    #[arg(long, value_parser = crate::iso_date)]
    as_of: Option<time::Date>,
    /// List the residents behind each figure.
    #[arg(long)]
    residents: bool,
    #[command(flatten)]
    kernel: KernelArgs,
}

pub fn assess(args: AssessArgs) -> anyhow::Result<()> {
    let AssessArgs { scope, as_of, residents, kernel } = args;
    let scope = match (scope.county, scope.township, scope.team) {
        (Some(county), _, _) => Scope::County(county),
        (_, Some(township), _) => Scope::Township(township),
        (_, _, Some(team)) => Scope::Team(team),
        _ => anyhow::bail!("give --county, --township or --team"),
    };
    super::with_kernel(kernel, async move |k| {
        super::print_json(&k.assessment(&crate::operator(), scope, as_of, residents).await?)
    })
}
