//! `chainwarden verify commits [--repo DIR] --range A..B`.

use std::path::PathBuf;

use crate::cli::GlobalArgs;
use chainwarden::clock::format_rfc3339;
use chainwarden::error::{Error, Result};
use chainwarden::exit::Outcome;
use chainwarden::verify::commits::verify_commits;

#[derive(Debug, clap::Args)]
pub struct CommitsArgs {
    /// The repository (default: current directory).
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
    /// The commit range, e.g. v1.0.0..v1.1.0 or origin/main..HEAD.
    #[arg(long, value_name = "A..B")]
    pub range: String,
    #[command(flatten)]
    pub report: super::OutputArgs,
}

pub fn run(args: CommitsArgs, global: &GlobalArgs) -> Result<Outcome> {
    let clock = global.clock()?;
    let policy = global.policy()?;
    let repo = args.repo.unwrap_or_else(|| PathBuf::from("."));
    // The range is checked first (a bad range is its own error), then the policy.
    let report = verify_commits(
        &repo,
        &args.range,
        &policy.commits,
        format_rfc3339(clock.now()),
    )?;
    let trusted = &policy.commits;
    if trusted.ssh_allowed_signers.is_empty()
        && trusted.ssh_allowed_signers_file.is_none()
        && trusted.gpg_fingerprints.is_empty()
    {
        // Every signed commit would otherwise fail as "unknown key" with an empty signer.
        return Err(Error::usage(format!(
            "{}: the policy trusts no keys, so no commit can pass: add a [commits] section with ssh_allowed_signers (or ssh_allowed_signers_file) or gpg_fingerprints, and pass it with --policy FILE",
            policy.source.display()
        )));
    }
    super::finish(&report, &args.report, global, &policy)
}
