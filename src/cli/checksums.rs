//! `chainwarden checksums DIR > SHA256SUMS`.

use std::path::PathBuf;

use crate::cli::GlobalArgs;
use chainwarden::error::{Error, Result};
use chainwarden::exit::Outcome;
use chainwarden::output::{self, Destination};
use chainwarden::verify::checksums::manifest::Algorithm;
use chainwarden::verify::checksums::write_manifest;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ManifestAlgorithm {
    Sha256,
    Sha384,
    Sha512,
}

#[derive(Debug, clap::Args)]
pub struct ChecksumsArgs {
    /// The directory to hash (every regular file below it).
    pub dir: PathBuf,
    /// Digest algorithm (GNU format only; JSON manifests are sha256).
    #[arg(long, value_enum, default_value_t = ManifestAlgorithm::Sha256)]
    pub algorithm: ManifestAlgorithm,
    /// Write the JSON manifest `{"artifacts": [{"name", "sha256", "size"}]}` instead.
    #[arg(long)]
    pub json: bool,
    /// Write here (atomically) instead of stdout; the file itself is not listed.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: ChecksumsArgs, _global: &GlobalArgs) -> Result<Outcome> {
    if !args.dir.is_dir() {
        return Err(Error::input(&args.dir, "not a directory"));
    }
    let algorithm = match (args.json, args.algorithm) {
        (true, _) | (false, ManifestAlgorithm::Sha256) => Algorithm::Sha256,
        (false, ManifestAlgorithm::Sha384) => Algorithm::Sha384,
        (false, ManifestAlgorithm::Sha512) => Algorithm::Sha512,
    };
    let text = write_manifest(&args.dir, algorithm, args.json, args.output.as_deref())?;
    output::emit(&Destination::from_arg(args.output.as_deref()), &text)?;
    Ok(Outcome::Pass)
}
