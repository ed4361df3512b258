//! `qianyue`: run the kernel, or issue a token for local use.

mod cli;

use std::future::Future;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use qianyue::authz::{Authorizer, Policies, Principal, Role};
use qianyue::kernel::{Clock, KernelError};
use qianyue::org::MemberRole;
use qianyue::plugins::{Limits, PluginHost};
use qianyue::store::Store;
use qianyue::tokens::TokenKeys;
use qianyue::{Kernel, api, demo};

// The bulk jobs allocate and free millions of small values; mimalloc made the
// renewal 9% faster than the system allocator (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "qianyue", version, about = "The Qianyue family-doctor contract kernel (签约)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP API.
    Serve(Serve),
    /// Bearer tokens for local use.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Bulk imports into the registry.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Renew the contracts of an ended period into the next (自动续约);
    /// run it again after a crash and it carries on where it stopped.
    Renew(Renew),
    /// County plugins: check a built component against its golden cases.
    #[command(subcommand)]
    Plugin(cli::plugin::PluginCommand),
    /// The region's policies (政策): list, read, validate, publish, roll back.
    #[command(subcommand)]
    Policy(cli::policy::PolicyCommand),
    /// The audit log (审计): who touched a resident's data, what changed on a day.
    #[command(subcommand)]
    Audit(cli::audit::AuditCommand),
    /// A team's work list (工作清单): referral suggestions, then due and
    /// overdue deliveries, most overdue first.
    Worklist(cli::worklist::WorkListArgs),
    /// Settle a county's teams for an ended period (结算) through its
    /// incentive plugin; stored once, checked on every later run.
    Settle(cli::settle::SettleArgs),
    /// A county's, township's or team's assessment figures (考核).
    Assess(cli::settle::AssessArgs),
}

/// Where the kernel's data is and which rules apply: shared by every command
/// that works on the registry.
#[derive(clap::Args)]
struct KernelArgs {
    #[command(flatten)]
    data: DataArgs,
    /// PostgreSQL URL (postgres://…); without it, embedded SQLite in the data folder.
    #[arg(long, env = "QIANYUE_DATABASE_URL")]
    database_url: Option<String>,
    /// Read the Cedar schema and policies from this folder instead of the bundled ones.
    #[arg(long)]
    policy_dir: Option<PathBuf>,
    /// Load this county plugin component too (repeatable), configured by the
    /// `.json` file of the same name beside it; it replaces a bundled one of the same county.
    #[arg(long = "plugin")]
    plugins: Vec<PathBuf>,
    /// The most compiled plugin code kept in the data folder's `plugin-cache`
    /// across restarts, in MiB; past it, the code used longest ago goes.
    #[arg(long, env = "QIANYUE_PLUGIN_CACHE_MIB", default_value_t = qianyue::plugins::CACHE_BYTES >> 20)]
    plugin_cache_mib: u64,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import the poverty-alleviation department's list (CSV, UTF-8) into a
    /// county. Re-importing the same file changes nothing; bad rows are
    /// listed by line and the good ones go in.
    Residents {
        /// The CSV file: household_no, name, citizen_id, poverty_status, address[, phone].
        file: PathBuf,
        /// County code (GB/T 2260) the list belongs to.
        #[arg(long)]
        county: String,
        /// The date the list states the poverty statuses as of (default: today).
        #[arg(long, value_parser = iso_date)]
        recorded_on: Option<time::Date>,
        #[command(flatten)]
        kernel: KernelArgs,
    },
}

#[derive(clap::Args)]
struct Renew {
    /// The period (year) that has ended; its contracts renew into the next.
    #[arg(long)]
    period: i32,
    /// County code (repeatable); without it, every county.
    #[arg(long = "county")]
    counties: Vec<String>,
    /// Contracts per transaction (at most 5000).
    #[arg(long, default_value_t = 1000)]
    chunk_size: u32,
    #[command(flatten)]
    kernel: KernelArgs,
}

#[derive(clap::Args)]
struct Serve {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Load the demo region (Pei County) if it is not there yet.
    #[arg(long)]
    demo: bool,
    #[command(flatten)]
    kernel: KernelArgs,
}

#[derive(clap::Args)]
struct DataArgs {
    /// Folder for the embedded database and the token secret.
    #[arg(long, default_value = "./data")]
    data_dir: PathBuf,
    /// Token signing secret as hex (at least 32 bytes); replicas must share it.
    /// Without it, the secret in the data folder (made on first use).
    #[arg(long, env = "QIANYUE_TOKEN_SECRET", hide_env_values = true)]
    token_secret: Option<String>,
}

impl DataArgs {
    fn keys(&self) -> anyhow::Result<TokenKeys> {
        match &self.token_secret {
            Some(hex_secret) => {
                let secret =
                    hex::decode(hex_secret.trim()).map_err(|_| anyhow::anyhow!("the token secret must be hex"))?;
                anyhow::ensure!(secret.len() >= 32, "the token secret must be at least 32 bytes");
                Ok(TokenKeys::from_secret(&secret))
            }
            None => Ok(TokenKeys::from_data_dir(&self.data_dir)?),
        }
    }
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print a signed bearer token.
    Issue {
        #[arg(long, value_enum)]
        role: Role,
        /// County code (GB/T 2260): every role but regional admins and policy officers.
        #[arg(long)]
        county: Option<String>,
        /// Team id for team members and village doctors.
        #[arg(long)]
        team: Option<String>,
        /// A team member's part in the team, which policies may look at.
        #[arg(long, value_enum)]
        duty: Option<MemberRole>,
        /// Hospital staff's institution id: the referrals they answer and send.
        #[arg(long)]
        institution: Option<String>,
        /// Who the token is for; shown in audit fields such as `signed_by`.
        /// For a resident, their resident id.
        #[arg(long)]
        subject: Option<String>,
        /// Hours until the token expires.
        #[arg(long, default_value_t = 12)]
        ttl_hours: u64,
        #[command(flatten)]
        data: DataArgs,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(serve) => run_serve(serve),
        Command::Token(TokenCommand::Issue { role, county, team, duty, institution, subject, ttl_hours, data }) => {
            let subject = subject.unwrap_or_else(|| format!("{role:?}").to_lowercase());
            issue_token(Principal { subject, role, county, team, duty, institution }, ttl_hours, &data)
        }
        Command::Import(ImportCommand::Residents { file, county, recorded_on, kernel }) => {
            cli::with_kernel(kernel, async move |k| import_residents(k, file, county, recorded_on).await)
        }
        Command::Renew(Renew { period, counties, chunk_size, kernel }) => {
            cli::with_kernel(kernel, async move |k| renew_contracts(k, period, counties, chunk_size).await)
        }
        Command::Plugin(command) => cli::plugin::run(command),
        Command::Policy(command) => cli::policy::run(command),
        Command::Audit(command) => cli::audit::run(command),
        Command::Worklist(args) => cli::worklist::run(args),
        Command::Settle(args) => cli::settle::settle(args),
        Command::Assess(args) => cli::settle::assess(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn issue_token(principal: Principal, ttl_hours: u64, data: &DataArgs) -> anyhow::Result<()> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
    println!("{}", data.keys()?.issue(&principal, now, ttl_hours.saturating_mul(3600))?);
    Ok(())
}

fn run_serve(serve: Serve) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    tokio::runtime::Runtime::new()?.block_on(serve_async(serve))
}

impl KernelArgs {
    /// Policies, database and plugins, in the order that fails fastest.
    async fn open(&self) -> anyhow::Result<Kernel> {
        // Policies first: an invalid policy must stop the start before anything else.
        let authz = match &self.policy_dir {
            Some(dir) => Authorizer::from_dir(dir)?,
            None => Authorizer::bundled()?,
        };
        let store = match &self.database_url {
            Some(url) => Store::open(url).await?,
            None => Store::open_data_dir(&self.data.data_dir).await?,
        };
        let plugins = Arc::new(PluginHost::cached(
            Limits::default(),
            &self.data.data_dir.join("plugin-cache"),
            self.plugin_cache_mib.saturating_mul(1 << 20),
        )?);
        let kernel =
            Kernel { store, plugins, authz: Policies::new(authz), tokens: self.data.keys()?, clock: Clock::System };
        // The newest published set takes over from the files (which seed an empty database).
        kernel.load_policies().await?;
        for plugin in kernel.install_bundled_plugins().await? {
            tracing::info!(county = %plugin.info.county_code, version = %plugin.info.version, hash = %plugin.hash, "bundled plugin loaded");
        }
        for path in &self.plugins {
            let plugin = kernel.install_plugin_file(path).await?;
            tracing::info!(county = %plugin.info.county_code, version = %plugin.info.version, hash = %plugin.hash, "plugin loaded");
        }
        kernel.load_plugin_activations().await?;
        Ok(kernel)
    }
}

/// A `YYYY-MM-DD` argument.
fn iso_date(text: &str) -> Result<time::Date, String> {
    time::Date::parse(text, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| format!("`{text}` is not a date like 2026-11-23"))
}

/// Runs a command-line job on a runtime of its own.
fn run_job(job: impl std::future::Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(job)
}

/// Who a command-line job acts as: the region's operator, named after the
/// login, so the events say who ran it. The policies still decide.
fn operator() -> Principal {
    let login = std::env::var("USER").unwrap_or_else(|_| "operator".into());
    Principal {
        subject: format!("cli:{login}"),
        role: Role::RegionalAdmin,
        county: None,
        team: None,
        duty: None,
        institution: None,
    }
}

fn progress_bar(length: u64, template: &str) -> ProgressBar {
    // indicatif draws only when stderr is a terminal, so logs and CI stay clean.
    let bar = ProgressBar::new(length);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

async fn import_residents(
    kernel: &Kernel,
    file: PathBuf,
    county: String,
    recorded_on: Option<time::Date>,
) -> anyhow::Result<()> {
    let recorded_on = recorded_on.unwrap_or_else(|| kernel.clock.today());
    let source = std::fs::File::open(&file).map_err(|e| anyhow::anyhow!("cannot open `{}`: {e}", file.display()))?;
    let length = source.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = progress_bar(length, "{bar:40} {bytes}/{total_bytes} {elapsed} (eta {eta})");
    let report = kernel
        .import_poverty_list(&operator(), &county, std::io::BufReader::new(source), recorded_on, |read| {
            bar.set_position(read)
        })
        .await?;
    bar.finish_and_clear();
    for rejection in &report.rejected {
        eprintln!("line {}: {}", rejection.line, rejection.reason);
    }
    println!(
        "{} rows: {} residents and {} households created, {} statuses recorded, {} unchanged, {} rejected",
        report.rows,
        report.residents_created,
        report.households_created,
        report.tags_added,
        report.unchanged,
        report.rejected.len()
    );
    anyhow::ensure!(
        report.rejected.is_empty(),
        "{} rows were rejected (listed above); the others are in",
        report.rejected.len()
    );
    Ok(())
}

async fn renew_contracts(kernel: &Kernel, period: i32, counties: Vec<String>, chunk_size: u32) -> anyhow::Result<()> {
    let who = operator();
    let counties = if counties.is_empty() {
        kernel.store.counties().await?.into_iter().map(|c| c.code).collect()
    } else {
        counties
    };
    for county in counties {
        let bar = progress_bar(0, "{msg} {bar:40} {pos}/{len} {elapsed} (eta {eta})");
        bar.set_message(county.clone());
        let period = qianyue::contracts::Period { year: period };
        let report = kernel
            .renew(&who, &county, period, chunk_size, |p| {
                bar.set_length(p.total);
                bar.set_position(p.done);
                // Scripts (and the crash test) follow the run on stdout.
                if !std::io::stderr().is_terminal() {
                    println!("progress {county} {}/{}", p.done, p.total);
                }
            })
            .await?;
        bar.finish_and_clear();
        println!("{}", serde_json::to_string(&report)?);
    }
    Ok(())
}

async fn serve_async(serve: Serve) -> anyhow::Result<()> {
    let kernel = serve.kernel.open().await?;
    if serve.demo && demo::load(&kernel.store, kernel.clock.today().year()).await? {
        tracing::info!("demo region loaded");
    }
    let kernel = Arc::new(kernel);
    tokio::spawn(every(kernel.clone(), PLUGIN_REFRESH, "reload the plugin activations", |k| {
        Box::pin(k.load_plugin_activations())
    }));
    tokio::spawn(every(kernel.clone(), POLICY_REFRESH, "reload the policies", |k| Box::pin(k.load_policies())));
    tokio::spawn(every(kernel.clone(), AUDIT_WRITE, "write the audit log", |k| Box::pin(k.flush_audit())));

    let listener = tokio::net::TcpListener::bind(serve.listen).await?;
    // Tests and scripts read this line to find the port.
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, api::router(kernel.clone())).with_graceful_shutdown(shutdown()).await?;
    kernel.flush_audit().await?;
    Ok(())
}

/// How often a kernel reloads the plugin activations, so that replicas
/// sharing a PostgreSQL database follow each other's activations and rollbacks.
const PLUGIN_REFRESH: Duration = Duration::from_secs(10);

/// How often a kernel looks for a newly published policy set: a publish on
/// one replica is in force on all within this.
const POLICY_REFRESH: Duration = Duration::from_secs(2);

/// How often the audited decisions are written: a decision never waits on
/// the disk, and at most this much is lost if the process is killed.
const AUDIT_WRITE: Duration = Duration::from_millis(500);

/// A kernel job run again and again while the kernel serves.
type Chore = for<'k> fn(&'k Kernel) -> Pin<Box<dyn Future<Output = Result<(), KernelError>> + Send + 'k>>;

/// Runs `chore` every `period`; a failure is logged and tried again next time.
async fn every(kernel: Arc<Kernel>, period: Duration, what: &'static str, chore: Chore) {
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(e) = chore(&kernel).await {
            tracing::warn!(error = %e, "could not {what}; trying again");
        }
    }
}

async fn shutdown() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! { _ = interrupt => {}, _ = terminate.recv() => {} }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
