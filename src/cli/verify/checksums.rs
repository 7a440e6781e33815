//! `chainwarden verify checksums MANIFEST [--dir DIR | --base-url URL]`.

use std::path::PathBuf;

use crate::cli::GlobalArgs;
use chainwarden::clock::format_rfc3339;
use chainwarden::error::{Error, Result};
use chainwarden::exit::Outcome;
use chainwarden::net::Network;
use chainwarden::verify::checksums::{self, ChecksumOptions, Source};

/// Largest artifact downloaded by default (overridable with --max-bytes).
const DEFAULT_MAX_BYTES: u64 = 8 << 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Unlisted {
    Warn,
    Fail,
}

#[derive(Debug, clap::Args)]
pub struct VerifyChecksumsArgs {
    /// The checksum manifest (GNU `sha256sum`, BSD `--tag`, GoReleaser `checksums.txt`, or JSON).
    pub manifest: PathBuf,
    /// Directory holding the artifacts (default: the manifest's directory).
    #[arg(long, value_name = "DIR", conflicts_with = "base_url")]
    pub dir: Option<PathBuf>,
    /// Fetch the artifacts from this URL prefix (HTTPS; http only to loopback) and hash them
    /// while they stream.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// With --base-url: keep the verified downloads in this directory.
    #[arg(long, value_name = "DIR", requires = "base_url")]
    pub keep: Option<PathBuf>,
    /// With --base-url: largest artifact accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_BYTES)]
    pub max_bytes: u64,
    /// Files the manifest does not list: warn or fail (default: the policy's `checksums.unlisted`).
    #[arg(long, value_enum)]
    pub unlisted: Option<Unlisted>,
    #[command(flatten)]
    pub report: super::OutputArgs,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(args: VerifyChecksumsArgs, global: &GlobalArgs) -> Result<Outcome> {
    let clock = global.clock()?;
    let policy = global.policy()?;
    let net;
    let source = match &args.base_url {
        Some(base) => {
            chainwarden::net::check_url(base)?;
            if let Some(keep) = &args.keep {
                std::fs::create_dir_all(keep).map_err(|e| Error::io(keep, e))?;
            }
            net = Network::new(global.env.net_config()?)?;
            Source::Url {
                base: base.clone(),
                net: &net,
                keep: args.keep.clone(),
                max_bytes: args.max_bytes,
            }
        }
        None => {
            let dir = match &args.dir {
                Some(d) => d.clone(),
                None => args
                    .manifest
                    .parent()
                    .map(PathBuf::from)
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or_else(|| PathBuf::from(".")),
            };
            if !dir.is_dir() {
                return Err(Error::input(&dir, "not a directory"));
            }
            Source::Dir(dir)
        }
    };
    let fail_unlisted = match args.unlisted {
        Some(u) => u == Unlisted::Fail,
        None => policy.checksums.fail_unlisted,
    };
    let report = checksums::verify(
        &args.manifest,
        &ChecksumOptions {
            source,
            fail_unlisted,
            progress: !args.quiet,
            time: format_rfc3339(clock.now()),
            ignore_companions: false,
        },
    )?;
    super::finish(&report, &args.report, global, &policy)
}
