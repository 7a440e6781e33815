//! `chainwarden db update|status`.

use std::path::PathBuf;

use clap::Subcommand;

use crate::cli::GlobalArgs;
use crate::error::Result;
use crate::exit::Outcome;

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Download the advisory database into the cache (atomically).
    Update {
        /// Archive URL (default: the public advisory database).
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// Cache directory (default: the user's cache directory).
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
    },
    /// Show the database's commit, date, advisory count and age.
    Status {
        /// A database directory (default: the cache).
        #[arg(long, value_name = "DIR")]
        db: Option<PathBuf>,
        /// Cache directory (default: the user's cache directory).
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
    },
}

pub fn run(_cmd: DbCommand, _global: &GlobalArgs) -> Result<Outcome> {
    Err(crate::cli::not_yet("db"))
}
