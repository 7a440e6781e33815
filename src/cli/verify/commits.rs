//! `chainwarden verify commits`.

use std::path::PathBuf;

use crate::cli::GlobalArgs;
use crate::error::Result;
use crate::exit::Outcome;

#[derive(Debug, clap::Args)]
pub struct CommitsArgs {
    /// The repository (default: current directory).
    #[arg(long)]
    pub repo: Option<PathBuf>,
    /// The commit range A..B.
    #[arg(long)]
    pub range: String,
}

pub fn run(_args: CommitsArgs, _global: &GlobalArgs) -> Result<Outcome> {
    Err(crate::cli::not_yet("verify commits"))
}
