//! Subcommands of the `qianyue` binary that have grown beyond a few lines.

pub mod plugin;
