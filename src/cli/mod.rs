//! Command-line definitions (clap) and dispatch. One file per subcommand; each parses its
//! arguments into library calls and returns an [`Outcome`].

pub mod audit;
pub mod checksums;
pub mod db;
pub mod evidence;
pub mod report;
pub mod sbom;
pub mod secrets;
pub mod settings;
pub(crate) mod shipped;
pub mod verify;
pub mod vex;
pub mod watch;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use chainwarden::audit::model::DeclaredScope;
use chainwarden::clock::Clock;
use chainwarden::error::{Error, Result};
use chainwarden::exit::Outcome;
use chainwarden::policy::scope::is_valid_scope_id;
use chainwarden::policy::Policy;

/// Software supply-chain audit and release verification.
///
/// Exit codes: 0 pass, 1 findings fail the policy (or a verification failed), 2 the run could
/// not be done (bad input, no database).
#[derive(Debug, Parser)]
#[command(name = "chainwarden", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes (shown under their own heading in every `--help`).
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Take this as the current time (RFC 3339 or YYYY-MM-DD): backfills and tests.
    #[arg(long, global = true, value_name = "TIME")]
    pub now: Option<String>,
    /// Do not record this run in the evidence store.
    #[arg(long, global = true, env = "CHAINWARDEN_NO_RECORD", hide_env_values = true, value_parser = clap::builder::FalseyValueParser::new())]
    pub no_record: bool,
    /// Evidence store path (default: the policy's, else chainwarden/evidence.db in the user's
    /// data directory).
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        env = "CHAINWARDEN_EVIDENCE",
        hide_env_values = true
    )]
    pub evidence: Option<PathBuf>,
    /// Policy file (default: the built-in policies/default.toml).
    #[arg(long, global = true, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Tenant id of the run (overrides the policy's scope).
    #[arg(long, global = true, value_name = "ID")]
    pub tenant: Option<String>,
    /// Project id of the run (overrides the policy's scope).
    #[arg(long, global = true, value_name = "ID")]
    pub project: Option<String>,
    /// Why this run happened, as recorded in the evidence: `schedule` for scheduled scans,
    /// else an event such as `push` (default: the CI event, else `manual`).
    #[arg(long, global = true, value_name = "EVENT")]
    pub trigger: Option<String>,
    /// Settings from the environment (hidden flags).
    #[command(flatten)]
    pub env: settings::EnvArgs,
}

impl GlobalArgs {
    pub fn clock(&self) -> Result<Clock> {
        Clock::from_arg(self.now.as_deref())
    }

    /// The policy of the run.
    pub fn policy(&self) -> Result<Policy> {
        Policy::load_or_default(self.policy.as_deref())
    }
}

/// The scope of a run: `--tenant`/`--project` override the policy; ids are validated; a policy
/// that requires a scope refuses a run without one.
pub fn resolve_scope(global: &GlobalArgs, policy: &Policy) -> Result<DeclaredScope> {
    for (flag, value) in [("--tenant", &global.tenant), ("--project", &global.project)] {
        if let Some(v) = value {
            if !is_valid_scope_id(v) {
                return Err(Error::usage(format!(
                    "{flag}: `{v}` is not a valid id (1-64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit)"
                )));
            }
        }
    }
    let scope = DeclaredScope {
        tenant_id: global
            .tenant
            .clone()
            .or_else(|| policy.scope.tenant_id.clone()),
        project_id: global
            .project
            .clone()
            .or_else(|| policy.scope.project_id.clone()),
    };
    if policy.scope.required && (scope.tenant_id.is_none() || scope.project_id.is_none()) {
        return Err(Error::usage(format!(
            "{} requires a scope: set scope.tenant_id and scope.project_id, or pass --tenant and --project",
            policy.source.display()
        )));
    }
    Ok(scope)
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit a project's dependencies against the RustSec advisory database.
    Audit(audit::AuditArgs),
    /// Manage the cached advisory database.
    #[command(subcommand)]
    Db(db::DbCommand),
    /// Verify published artifacts: checksums, rebuilds, signatures, provenance, commits.
    #[command(subcommand)]
    Verify(verify::VerifyCommand),
    /// Write a SHA-256 manifest (GNU coreutils format) of the files in a directory.
    Checksums(checksums::ChecksumsArgs),
    /// Export or import recorded evidence.
    #[command(subcommand)]
    Evidence(evidence::EvidenceCommand),
    /// Write the quarterly audit report from recorded evidence.
    Report(report::ReportArgs),
    /// Find committed secrets.
    #[command(subcommand)]
    Secrets(secrets::SecretsCommand),
    /// Write a CycloneDX or SPDX SBOM of a project or of a release binary.
    Sbom(sbom::SbomArgs),
    /// Publish the audit's triage as OpenVEX or CycloneDX VEX.
    Vex(vex::VexArgs),
    /// Audit every scope's latest recorded inventory against the advisory database now;
    /// record and notify what is new.
    Watch(watch::WatchArgs),
}

pub fn run(cli: Cli) -> Result<Outcome> {
    let global = cli.global;
    match cli.command {
        Command::Audit(args) => audit::run(args, &global),
        Command::Db(cmd) => db::run(cmd, &global),
        Command::Verify(cmd) => verify::run(cmd, &global),
        Command::Checksums(args) => checksums::run(args, &global),
        Command::Evidence(cmd) => evidence::run(cmd, &global),
        Command::Report(args) => report::run(args, &global),
        Command::Secrets(cmd) => secrets::run(cmd, &global),
        Command::Sbom(args) => sbom::run(args, &global),
        Command::Vex(args) => vex::run(args, &global),
        Command::Watch(args) => watch::run(args, &global),
    }
}
