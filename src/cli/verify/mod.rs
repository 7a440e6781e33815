//! `chainwarden verify ...`: one file per verification.

pub mod bundle;
pub mod checksums;
pub mod commits;
pub mod provenance;
pub mod rebuild;
pub mod release;

use clap::Subcommand;

use super::evidence::Recorder;
use super::GlobalArgs;
use chainwarden::error::Result;
use chainwarden::evidence::Scope;
use chainwarden::exit::Outcome;
use chainwarden::output::{self, Destination};
use chainwarden::verify::model::VerifyReport;
use chainwarden::verify::render::{render, VerifyFormat};

#[derive(Debug, Subcommand)]
pub enum VerifyCommand {
    /// Check artifacts against a checksum manifest (GNU, BSD tag, GoReleaser or JSON).
    Checksums(checksums::VerifyChecksumsArgs),
    /// Compare published artifacts with an independent rebuild.
    Rebuild(rebuild::RebuildArgs),
    /// Verify a Sigstore bundle for an artifact (fully offline).
    Bundle(bundle::BundleArgs),
    /// Verify SLSA provenance for an artifact.
    Provenance(provenance::ProvenanceArgs),
    /// Verify a release directory against a policy: checksums, signatures, provenance.
    Release(release::ReleaseArgs),
    /// Check that every commit in a range is signed by a trusted key.
    Commits(commits::CommitsArgs),
}

/// `--format` and `--output`, the same for every verification.
#[derive(Debug, clap::Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = VerifyFormat::Human)]
    pub format: VerifyFormat,
    /// Write the output here instead of stdout (atomically).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

/// The common end of every verification: render the report, write it, record it as evidence
/// (under the run's scope, resolved only when recording), and turn its verdict into the exit
/// code.
pub(crate) fn finish(
    report: &VerifyReport,
    out: &OutputArgs,
    global: &GlobalArgs,
    policy: &chainwarden::policy::Policy,
) -> Result<Outcome> {
    let text = render(report, out.format);
    output::emit(&Destination::from_arg(out.output.as_deref()), &text)?;
    let recorder = Recorder::new(global, policy)?;
    if !global.no_record {
        let scope = Scope::of(&super::resolve_scope(global, policy)?);
        recorder.verify(scope, report)?;
    }
    Ok(report.outcome())
}

pub fn run(cmd: VerifyCommand, global: &GlobalArgs) -> Result<Outcome> {
    match cmd {
        VerifyCommand::Checksums(args) => checksums::run(args, global),
        VerifyCommand::Rebuild(args) => rebuild::run(args, global),
        VerifyCommand::Bundle(args) => bundle::run(args, global),
        VerifyCommand::Provenance(args) => provenance::run(args, global),
        VerifyCommand::Release(args) => release::run(args, global),
        VerifyCommand::Commits(args) => commits::run(args, global),
    }
}
