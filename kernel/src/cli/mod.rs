//! Subcommands of the `qianyue` binary that have grown beyond a few lines.

pub mod plugin;
pub mod policy;

/// What a command reports, as pretty JSON on stdout.
fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
