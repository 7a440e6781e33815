//! `chainwarden verify release DIR --policy FILE`.

use std::path::PathBuf;

use crate::cli::GlobalArgs;
use crate::clock::format_rfc3339;
use crate::error::Result;
use crate::exit::Outcome;
use crate::verify::release::verify_release;

#[derive(Debug, clap::Args)]
pub struct ReleaseArgs {
    /// The release directory (artifacts, the checksum manifest, bundles, provenance).
    pub dir: PathBuf,
    #[command(flatten)]
    pub report: super::ReportArgs,
}

pub fn run(args: ReleaseArgs, global: &GlobalArgs) -> Result<Outcome> {
    let clock = global.clock()?;
    let policy = global.policy()?;
    let report = verify_release(&args.dir, &policy, format_rfc3339(clock.now()))?;
    super::finish(&report, &args.report, global, &policy)
}
