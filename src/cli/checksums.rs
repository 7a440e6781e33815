//! `chainwarden checksums`.

use std::path::PathBuf;

use crate::cli::GlobalArgs;
use crate::error::Result;
use crate::exit::Outcome;

#[derive(Debug, clap::Args)]
pub struct ChecksumsArgs {
    /// The directory to hash.
    pub dir: PathBuf,
}

pub fn run(_args: ChecksumsArgs, _global: &GlobalArgs) -> Result<Outcome> {
    Err(crate::cli::not_yet("checksums"))
}
