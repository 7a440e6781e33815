//! `chainwarden secrets scan`.

use std::path::PathBuf;

use clap::Subcommand;

use crate::cli::GlobalArgs;
use crate::error::Result;
use crate::exit::Outcome;

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Scan files (and optionally git history) for committed secrets.
    Scan {
        /// Directory to scan (default: current directory).
        path: Option<PathBuf>,
    },
}

pub fn run(_cmd: SecretsCommand, _global: &GlobalArgs) -> Result<Outcome> {
    Err(crate::cli::not_yet("secrets scan"))
}
