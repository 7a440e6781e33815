//! `chainwarden report`.

use std::path::PathBuf;

use crate::cli::GlobalArgs;
use crate::error::Result;
use crate::exit::Outcome;

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The quarter, e.g. 2026-Q4.
    #[arg(long)]
    pub quarter: String,
    /// Output file (default: stdout).
    #[arg(long)]
    pub output: Option<PathBuf>,
}

pub fn run(_args: ReportArgs, _global: &GlobalArgs) -> Result<Outcome> {
    Err(crate::cli::not_yet("report"))
}
