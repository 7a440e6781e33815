//! `chainwarden verify provenance`.

use std::path::PathBuf;

use crate::cli::GlobalArgs;
use crate::error::Result;
use crate::exit::Outcome;

#[derive(Debug, clap::Args)]
pub struct ProvenanceArgs {
    /// The artifact.
    pub artifact: PathBuf,
    /// The provenance (.intoto.jsonl or a Sigstore bundle).
    #[arg(long)]
    pub provenance: PathBuf,
}

pub fn run(_args: ProvenanceArgs, _global: &GlobalArgs) -> Result<Outcome> {
    Err(crate::cli::not_yet("verify provenance"))
}
