//! `chainwarden evidence export|import`.

use std::path::PathBuf;

use clap::Subcommand;

use crate::cli::GlobalArgs;
use crate::error::Result;
use crate::exit::Outcome;

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Write recorded runs as JSON Lines.
    Export {
        /// Only runs at or after this date.
        #[arg(long)]
        since: Option<String>,
    },
    /// Merge runs from a JSON Lines export (idempotent).
    Import {
        /// The JSON Lines file.
        file: PathBuf,
    },
}

pub fn run(_cmd: EvidenceCommand, _global: &GlobalArgs) -> Result<Outcome> {
    Err(crate::cli::not_yet("evidence"))
}
