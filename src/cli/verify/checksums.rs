//! `chainwarden verify checksums`.

use std::path::PathBuf;

use crate::cli::GlobalArgs;
use crate::error::Result;
use crate::exit::Outcome;

#[derive(Debug, clap::Args)]
pub struct ChecksumsArgs {
    /// The checksum manifest.
    pub manifest: PathBuf,
    /// Directory holding the artifacts (default: the manifest's directory).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

pub fn run(_args: ChecksumsArgs, _global: &GlobalArgs) -> Result<Outcome> {
    Err(crate::cli::not_yet("verify checksums"))
}
