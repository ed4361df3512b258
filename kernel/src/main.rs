//! `qianyue`: run the kernel, or issue a token for local use.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use qianyue::authz::{Authorizer, Principal, Role};
use qianyue::plugins::{Limits, PluginHost};
use qianyue::store::Store;
use qianyue::tokens::TokenKeys;
use qianyue::{Kernel, api, bundled, demo};

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
}

#[derive(clap::Args)]
struct Serve {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    #[command(flatten)]
    data: DataArgs,
    /// PostgreSQL URL (postgres://…); without it, embedded SQLite in the data folder.
    #[arg(long, env = "QIANYUE_DATABASE_URL")]
    database_url: Option<String>,
    /// Load the demo region (Pei County) if it is not there yet.
    #[arg(long)]
    demo: bool,
    /// Read the Cedar schema and policies from this folder instead of the bundled ones.
    #[arg(long)]
    policy_dir: Option<PathBuf>,
    /// Load this county plugin component too (repeatable); it replaces a bundled one of the same county.
    #[arg(long = "plugin")]
    plugins: Vec<PathBuf>,
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
        /// County code (GB/T 2260) for county admins and team members.
        #[arg(long)]
        county: Option<String>,
        /// Team id for team members.
        #[arg(long)]
        team: Option<String>,
        /// Who the token is for; shown in audit fields such as `signed_by`.
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
        Command::Token(TokenCommand::Issue { role, county, team, subject, ttl_hours, data }) => {
            issue_token(role, county, team, subject, ttl_hours, &data)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn issue_token(
    role: Role,
    county: Option<String>,
    team: Option<String>,
    subject: Option<String>,
    ttl_hours: u64,
    data: &DataArgs,
) -> anyhow::Result<()> {
    let subject = subject.unwrap_or_else(|| format!("{role:?}").to_lowercase());
    let principal = Principal { subject, role, county, team };
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

async fn serve_async(serve: Serve) -> anyhow::Result<()> {
    // Policies first: an invalid policy must stop the start before anything else.
    let authz = match &serve.policy_dir {
        Some(dir) => Authorizer::from_dir(dir)?,
        None => Authorizer::bundled()?,
    };
    let store = match &serve.database_url {
        Some(url) => Store::open(url).await?,
        None => Store::open_data_dir(&serve.data.data_dir).await?,
    };
    let plugins = PluginHost::new(Limits::default())?;
    for (name, bytes) in bundled::PLUGINS {
        let plugin = plugins.load(name, bytes)?;
        tracing::info!(county = %plugin.info.county_code, version = %plugin.info.version, hash = %plugin.hash, "bundled plugin loaded");
    }
    for path in &serve.plugins {
        let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read plugin `{}`: {e}", path.display()))?;
        let plugin = plugins.load(&path.display().to_string(), &bytes)?;
        tracing::info!(county = %plugin.info.county_code, version = %plugin.info.version, hash = %plugin.hash, "plugin loaded");
    }
    if serve.demo && demo::load(&store, qianyue::kernel::today().year()).await? {
        tracing::info!("demo region loaded");
    }
    let tokens = serve.data.keys()?;
    let kernel = Arc::new(Kernel { store, plugins, authz, tokens });

    let listener = tokio::net::TcpListener::bind(serve.listen).await?;
    // Tests and scripts read this line to find the port.
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, api::router(kernel)).with_graceful_shutdown(shutdown()).await?;
    Ok(())
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
