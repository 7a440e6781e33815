//! `chainwarden verify rebuild`.

use std::path::PathBuf;

use crate::cli::GlobalArgs;
use crate::error::Result;
use crate::exit::Outcome;

#[derive(Debug, clap::Args)]
pub struct RebuildArgs {
    /// Published artifacts: a directory or a manifest.
    #[arg(long)]
    pub published: PathBuf,
    /// Rebuilt artifacts: a directory or a manifest.
    #[arg(long)]
    pub rebuilt: Option<PathBuf>,
}

pub fn run(_args: RebuildArgs, _global: &GlobalArgs) -> Result<Outcome> {
    Err(crate::cli::not_yet("verify rebuild"))
}
