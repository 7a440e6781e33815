//! `chainwarden vex [PATH | --binary FILE] --format openvex|cyclonedx [--output FILE]`: the
//! audit's triage as a VEX document.

use std::path::PathBuf;

use crate::cli::audit::{reports, AuditArgs, AuditFormat};
use crate::cli::GlobalArgs;
use chainwarden::audit::model::AuditReport;
use chainwarden::error::{Error, Result};
use chainwarden::exit::Outcome;
use chainwarden::output::{self, Destination};
use chainwarden::vex::write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VexFormat {
    /// OpenVEX 0.2.0 JSON.
    Openvex,
    /// CycloneDX 1.6 VEX JSON.
    Cyclonedx,
}

#[derive(Debug, clap::Args)]
pub struct VexArgs {
    /// A project directory, a Cargo.toml or a Cargo.lock (default: current directory).
    pub path: Option<PathBuf>,
    /// State the triage of what `cargo auditable` embedded in this binary instead.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["path", "lockfile_only", "metadata"])]
    pub binary: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = VexFormat::Openvex)]
    pub format: VexFormat,
    /// Write the document here instead of stdout (atomically).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// An earlier `chainwarden audit --format json` report: its findings no longer found are
    /// stated `fixed`.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// The document's author (a person or organisation, with contact).
    #[arg(long, value_name = "NAME", default_value = "chainwarden")]
    pub author: String,
    /// Use this advisory database (plain files or a git checkout) instead of the cache.
    #[arg(long, value_name = "DIR")]
    pub db: Option<PathBuf>,
    /// Never touch the network.
    #[arg(long)]
    pub offline: bool,
    /// Audit the lockfile alone, without running cargo metadata.
    #[arg(long, conflicts_with = "metadata")]
    pub lockfile_only: bool,
    /// Use this precomputed `cargo metadata --format-version 1` output instead of running cargo.
    #[arg(long, value_name = "FILE")]
    pub metadata: Option<PathBuf>,
}

pub fn run(args: VexArgs, global: &GlobalArgs) -> Result<Outcome> {
    let audit_args = AuditArgs {
        path: args.path.clone(),
        db: args.db.clone(),
        offline: args.offline,
        target: None,
        exclude_dev: false,
        lockfile_only: args.lockfile_only,
        metadata: args.metadata.clone(),
        format: AuditFormat::Json,
        output: None,
        binary: args.binary.iter().cloned().collect(),
        allow_no_audit_data: false,
        sbom: None,
        vex: Vec::new(),
        notify: Vec::new(),
        notify_format: Default::default(),
        baseline: None,
        fail_on: crate::cli::audit::FailOn::Any,
    };
    let baseline = args.baseline.as_deref().map(load_baseline).transpose()?;
    let (policy, mut reports) = reports(&audit_args, global)?;
    let (_, report) = reports.remove(0);
    let entries = write::entries(&report, &policy.audit, baseline.as_ref());
    if entries.is_empty() {
        return Err(Error::usage(
            "nothing to state: no advisory finding (and no fixed one against a baseline); a VEX document needs at least one statement".into(),
        ));
    }
    let document = match args.format {
        VexFormat::Openvex => write::openvex(&report, &entries, &args.author),
        VexFormat::Cyclonedx => write::cyclonedx(&report, &entries, &args.author),
    };
    output::emit(&Destination::from_arg(args.output.as_deref()), &document)?;
    Ok(Outcome::Pass)
}

fn load_baseline(path: &std::path::Path) -> Result<AuditReport> {
    let bytes =
        chainwarden::sbom::read::read_limited(path, chainwarden::sbom::read::MAX_SBOM_BYTES)?;
    chainwarden::json::from_slice(&bytes).map_err(|e| {
        Error::at_line(
            path,
            e.line(),
            format!("not a chainwarden audit JSON report: {e}"),
        )
    })
}
