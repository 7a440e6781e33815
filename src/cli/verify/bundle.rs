//! `chainwarden verify bundle`.

use std::path::PathBuf;

use crate::cli::GlobalArgs;
use crate::error::Result;
use crate::exit::Outcome;

#[derive(Debug, clap::Args)]
pub struct BundleArgs {
    /// The artifact (a file, or sha256:HEX).
    pub artifact: String,
    /// The Sigstore bundle.
    #[arg(long)]
    pub bundle: PathBuf,
}

pub fn run(_args: BundleArgs, _global: &GlobalArgs) -> Result<Outcome> {
    Err(crate::cli::not_yet("verify bundle"))
}
