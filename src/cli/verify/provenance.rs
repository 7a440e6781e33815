//! `chainwarden verify provenance ARTIFACT --provenance FILE --source-uri github.com/ORG/REPO
//! [--source-tag TAG | --source-versioned-tag TAG] [--source-branch BRANCH] [--builder-id ID]`.

use std::path::PathBuf;

use crate::cli::GlobalArgs;
use chainwarden::clock::format_rfc3339;
use chainwarden::error::Result;
use chainwarden::exit::Outcome;
use chainwarden::verify::model::VerifyReport;
use chainwarden::verify::provenance::source::RefRequirement;
use chainwarden::verify::provenance::{verify_provenance, ProvenanceRequest};

#[derive(Debug, clap::Args)]
pub struct ProvenanceArgs {
    /// The artifact.
    pub artifact: PathBuf,
    /// The provenance: a Sigstore bundle with a DSSE in-toto statement (`.intoto.jsonl`).
    #[arg(long, value_name = "FILE")]
    pub provenance: PathBuf,
    /// The source repository it must have been built from, e.g. github.com/ORG/REPO.
    #[arg(long, value_name = "URI")]
    pub source_uri: String,
    /// It must have been built from this tag.
    #[arg(long, value_name = "TAG", group = "source_ref")]
    pub source_tag: Option<String>,
    /// It must have been built from a tag of this version (v1.2 accepts v1.2.x).
    #[arg(long, value_name = "TAG", group = "source_ref")]
    pub source_versioned_tag: Option<String>,
    /// It must have been built from this branch (for a tag build: the branch it was cut from).
    #[arg(long, value_name = "BRANCH")]
    pub source_branch: Option<String>,
    /// The builder that must have built it: `NAME`, `NAME@vX.Y.Z` or `NAME@refs/tags/vX.Y.Z`.
    /// Without it only slsa-github-generator's builders at a release tag are trusted.
    #[arg(long, value_name = "ID")]
    pub builder_id: Option<String>,
    /// The workflow that must have signed it (GitHub artifact attestations:
    /// `https://github.com/ORG/REPO/.github/workflows/release.yml`, optionally `@REF`).
    #[arg(long, value_name = "WORKFLOW")]
    pub signer_workflow: Option<String>,
    /// Trusted root JSON (default: the built-in Sigstore public-good root).
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    #[command(flatten)]
    pub report: super::OutputArgs,
}

pub fn run(args: ProvenanceArgs, global: &GlobalArgs) -> Result<Outcome> {
    let clock = global.clock()?;
    // A branch may be required together with a tag (a tag cut from that branch), as in
    // slsa-verifier; a tag and a versioned tag exclude each other.
    let source_refs: Vec<RefRequirement> = [
        args.source_tag.clone().map(RefRequirement::Tag),
        args.source_versioned_tag
            .clone()
            .map(RefRequirement::VersionedTag),
        args.source_branch.clone().map(RefRequirement::Branch),
    ]
    .into_iter()
    .flatten()
    .collect();
    let subject = verify_provenance(&ProvenanceRequest {
        artifact: &args.artifact,
        provenance: &args.provenance,
        source_uri: &args.source_uri,
        source_refs: &source_refs,
        builder_id: args.builder_id.as_deref(),
        signer_workflow: args.signer_workflow.as_deref(),
        trusted_root: args.trusted_root.as_deref(),
    })?;
    let report = VerifyReport::new(
        chainwarden::verify::model::VerifyCommand::Provenance,
        format_rfc3339(clock.now()),
        vec![subject],
        Vec::new(),
    );
    super::finish(&report, &args.report, global, &global.policy()?)
}
