//! `chainwarden verify release`.

use std::path::PathBuf;

use crate::cli::GlobalArgs;
use crate::error::Result;
use crate::exit::Outcome;

#[derive(Debug, clap::Args)]
pub struct ReleaseArgs {
    /// The release directory.
    pub dir: PathBuf,
    /// The release policy.
    #[arg(long)]
    pub policy: Option<PathBuf>,
}

pub fn run(_args: ReleaseArgs, _global: &GlobalArgs) -> Result<Outcome> {
    Err(crate::cli::not_yet("verify release"))
}
