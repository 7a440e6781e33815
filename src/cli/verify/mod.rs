//! `chainwarden verify ...`: one file per verification.

pub mod bundle;
pub mod checksums;
pub mod commits;
pub mod provenance;
pub mod rebuild;
pub mod release;

use clap::Subcommand;

use super::GlobalArgs;
use crate::error::Result;
use crate::exit::Outcome;

#[derive(Debug, Subcommand)]
pub enum VerifyCommand {
    /// Check artifacts against a checksum manifest (GNU, BSD tag, GoReleaser or JSON).
    Checksums(checksums::ChecksumsArgs),
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
