//! `chainwarden sbom [PATH | --binary FILE] --format cyclonedx|spdx [--output FILE]`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::cli::GlobalArgs;
use chainwarden::clock::format_rfc3339;
use chainwarden::error::{Error, Result};
use chainwarden::exit::Outcome;
use chainwarden::inventory::binary::{self, Embedded};
use chainwarden::inventory::{metadata, Graph, Lockfile, ProjectPaths};
use chainwarden::output::{self, Destination};
use chainwarden::sbom::{cyclonedx, spdx, Sbom};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SbomFormat {
    /// CycloneDX 1.6 JSON.
    Cyclonedx,
    /// SPDX 2.3 JSON.
    Spdx,
}

#[derive(Debug, clap::Args)]
pub struct SbomArgs {
    /// A project directory, a Cargo.toml or a Cargo.lock (default: current directory).
    pub path: Option<PathBuf>,
    /// Describe what `cargo auditable` embedded in this binary instead of a project.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["path", "lockfile_only", "metadata"])]
    pub binary: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SbomFormat::Cyclonedx)]
    pub format: SbomFormat,
    /// Write the document here instead of stdout (atomically).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Use the lockfile alone (no dependency kinds, no licences), without running cargo metadata.
    #[arg(long, conflicts_with = "metadata")]
    pub lockfile_only: bool,
    /// Use this precomputed `cargo metadata --format-version 1` output instead of running cargo.
    #[arg(long, value_name = "FILE")]
    pub metadata: Option<PathBuf>,
    /// Never touch the network (cargo metadata runs offline).
    #[arg(long)]
    pub offline: bool,
}

pub fn run(args: SbomArgs, global: &GlobalArgs) -> Result<Outcome> {
    let time = format_rfc3339(global.clock()?.now());
    let sbom = match &args.binary {
        Some(path) => match binary::read(path)? {
            Embedded::Found(bin) => Sbom::from_binary(&bin, &file_name(path), time),
            Embedded::Missing { path, .. } => {
                return Err(Error::usage(binary::missing_message(&path)))
            }
        },
        None => project_sbom(&args, time, global.env.cargo())?,
    };
    let document = match args.format {
        SbomFormat::Cyclonedx => cyclonedx::render(&sbom),
        SbomFormat::Spdx => spdx::render(&sbom),
    };
    output::emit(&Destination::from_arg(args.output.as_deref()), &document)?;
    Ok(Outcome::Pass)
}

fn project_sbom(args: &SbomArgs, time: String, cargo: Option<PathBuf>) -> Result<Sbom> {
    let path = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
    let project = ProjectPaths::resolve(&path)?;
    let lock = Lockfile::load(&project.lockfile)?;
    let meta = if args.lockfile_only {
        None
    } else if let Some(file) = &args.metadata {
        Some(metadata::load_metadata_file(file)?)
    } else if let Some(manifest) = &project.manifest {
        match metadata::run_cargo_metadata(manifest, args.offline, cargo.as_deref()) {
            Ok(m) => Some(m),
            Err(reason) => {
                output::diag(&format!(
                    "note: cargo metadata unavailable ({reason}): no dependency kinds or licences in the SBOM"
                ));
                None
            }
        }
    } else {
        None
    };
    let dir_name = project
        .lockfile
        .canonicalize()
        .ok()
        .and_then(|p| p.parent().map(file_name))
        .unwrap_or_else(|| "project".into());
    match meta {
        None => Ok(Sbom::from_lockfile(
            &lock,
            &Graph::from_lockfile(&lock),
            None,
            &HashMap::new(),
            &dir_name,
            time,
        )),
        Some(m) => {
            let origin = args
                .metadata
                .clone()
                .or_else(|| project.manifest.clone())
                .unwrap_or_else(|| project.lockfile.clone());
            let (resolution, _) = metadata::resolve(&m, &origin, &lock, None, false)?;
            // The lockfile's graph keeps every edge; kinds come from the resolution.
            Ok(Sbom::from_lockfile(
                &lock,
                &Graph::from_lockfile(&lock),
                Some(&resolution),
                &Sbom::licenses_from_metadata(&m),
                &dir_name,
                time,
            ))
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "project".into())
}
