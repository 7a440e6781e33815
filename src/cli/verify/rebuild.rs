//! `chainwarden verify rebuild --published A (--rebuilt B | --rebuild CMD --source DIR)`.

use std::path::PathBuf;

use crate::cli::GlobalArgs;
use chainwarden::clock::format_rfc3339;
use chainwarden::error::{Error, Result};
use chainwarden::exit::Outcome;
use chainwarden::verify::rebuild::{self, Side};

#[derive(Debug, clap::Args)]
pub struct RebuildArgs {
    /// Published artifacts: a directory or a checksum manifest.
    #[arg(long, value_name = "DIR|MANIFEST")]
    pub published: PathBuf,
    /// Rebuilt artifacts: a directory or a manifest. With --rebuild, a directory inside the
    /// rebuilt copy of the source (default: its root).
    #[arg(long, value_name = "DIR|MANIFEST")]
    pub rebuilt: Option<PathBuf>,
    /// Run this shell command in a fresh copy of --source to rebuild, with SOURCE_DATE_EPOCH
    /// set from the source's last commit.
    #[arg(long, value_name = "COMMAND", requires = "source")]
    pub rebuild: Option<String>,
    /// The source tree to rebuild from.
    #[arg(long, value_name = "DIR", requires = "rebuild")]
    pub source: Option<PathBuf>,
    #[command(flatten)]
    pub report: super::OutputArgs,
}

pub fn run(args: RebuildArgs, global: &GlobalArgs) -> Result<Outcome> {
    let clock = global.clock()?;
    let published = Side::load(&args.published)?;
    let (rebuilt, notes, _copy) = match (&args.rebuild, &args.source, &args.rebuilt) {
        (Some(command), Some(source), rebuilt) => {
            let (copy, notes) = rebuild::run_rebuild(source, command)?;
            let dir = match rebuilt {
                Some(sub) if sub.is_absolute() => {
                    return Err(Error::usage(
                        "--rebuilt must be relative to the rebuilt copy when --rebuild is used"
                            .into(),
                    ))
                }
                Some(sub) => copy.path().join(sub),
                None => copy.path().to_path_buf(),
            };
            let side = Side::load(&dir)?;
            (side, notes, Some(copy))
        }
        (None, None, Some(rebuilt)) => (Side::load(rebuilt)?, Vec::new(), None),
        _ => {
            return Err(Error::usage(
                "give --rebuilt DIR|MANIFEST, or --rebuild COMMAND --source DIR".into(),
            ))
        }
    };
    let report = rebuild::compare(&published, &rebuilt, format_rfc3339(clock.now()), notes);
    super::finish(&report, &args.report, global, &global.policy()?)
}
