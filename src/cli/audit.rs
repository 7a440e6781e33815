//! `chainwarden audit [PATH]`.

use std::path::PathBuf;

use crate::cli::GlobalArgs;
use crate::error::Result;
use crate::exit::Outcome;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    Human,
    Json,
    Sarif,
    Markdown,
}

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// A project directory, a Cargo.toml or a Cargo.lock (default: current directory).
    pub path: Option<PathBuf>,
    /// Policy file (default: the built-in policies/default.toml).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Use this advisory database (plain files or a git checkout) instead of the cache.
    #[arg(long, value_name = "DIR")]
    pub db: Option<PathBuf>,
    /// Never touch the network.
    #[arg(long)]
    pub offline: bool,
    /// Only count dependencies that reach this target triple (needs cargo metadata).
    #[arg(long, value_name = "TRIPLE")]
    pub target: Option<String>,
    /// Drop findings that only dev-dependencies reach (needs cargo metadata).
    #[arg(long)]
    pub exclude_dev: bool,
    /// Audit the lockfile alone, without running cargo metadata.
    #[arg(long)]
    pub lockfile_only: bool,
    /// Tenant id (overrides the policy's scope).
    #[arg(long, value_name = "ID")]
    pub tenant: Option<String>,
    /// Project id (overrides the policy's scope).
    #[arg(long, value_name = "ID")]
    pub project: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AuditFormat::Human)]
    pub format: AuditFormat,
    /// Write the output here instead of stdout (atomically).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(_args: AuditArgs, _global: &GlobalArgs) -> Result<Outcome> {
    Err(crate::cli::not_yet("audit"))
}
