//! `chainwarden audit [PATH]`.

use std::path::{Path, PathBuf};

use crate::cli::{resolve_scope, shipped, GlobalArgs};
use chainwarden::advisories::cache;
use chainwarden::advisories::index::index_dir;
use chainwarden::advisories::{meta, AdvisoryDb};
use chainwarden::audit::model::{AuditReport, PolicyVerdict};
use chainwarden::audit::yanked::{SparseIndex, YankedLookup};
use chainwarden::audit::{self, AuditRequest, GraphSource};
use chainwarden::error::Result;
use chainwarden::exit::Outcome;
use chainwarden::net::Network;
use chainwarden::output::{self, Destination};
use chainwarden::policy::Policy;

pub use chainwarden::audit::render::AuditFormat;

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// A project directory, a Cargo.toml or a Cargo.lock (default: current directory).
    pub path: Option<PathBuf>,
    /// Use this advisory database (plain files or a git checkout) instead of the cache.
    #[arg(long, value_name = "DIR")]
    pub db: Option<PathBuf>,
    /// Never touch the network.
    #[arg(long)]
    pub offline: bool,
    /// Only count dependencies that reach this target triple (needs cargo metadata).
    #[arg(long, value_name = "TRIPLE")]
    pub target: Option<String>,
    /// Drop findings that only dev-dependencies reach (needs cargo metadata).
    #[arg(long)]
    pub exclude_dev: bool,
    /// Audit the lockfile alone, without running cargo metadata.
    #[arg(long, conflicts_with = "metadata")]
    pub lockfile_only: bool,
    /// Use this precomputed `cargo metadata --format-version 1` output instead of running cargo.
    #[arg(long, value_name = "FILE")]
    pub metadata: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AuditFormat::Human)]
    pub format: AuditFormat,
    /// Write the output here instead of stdout (atomically).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Audit the dependency lists `cargo auditable` embedded in these binaries instead of a
    /// project (one report per binary).
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with_all = ["path", "lockfile_only", "metadata", "target", "exclude_dev"])]
    pub binary: Vec<PathBuf>,
    /// With --binary: audit nothing (with a note) instead of failing on a binary without
    /// cargo-auditable data.
    #[arg(long, requires = "binary")]
    pub allow_no_audit_data: bool,
    /// Audit the `pkg:cargo` components of this CycloneDX or SPDX JSON SBOM instead of a
    /// project.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["path", "binary", "lockfile_only", "metadata", "target", "exclude_dev"])]
    pub sbom: Option<PathBuf>,
    /// Triage from these OpenVEX or CycloneDX VEX documents: `not_affected` with a
    /// justification passes like an ignore (and is shown as one).
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub vex: Vec<PathBuf>,
    /// Notify of the findings: `github:OWNER/REPO` or `webhook:URL` (repeat for several).
    #[arg(long, value_name = "SINK")]
    pub notify: Vec<String>,
    /// Body of webhook notifications.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
    pub notify_format: chainwarden::notify::NotifyFormat,
    /// A previous `--format json` output: mark each finding `new` or `existing`, list the fixed.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Which findings fail the run: `any` failing finding, or only `new` ones (needs --baseline).
    #[arg(long, value_enum, value_name = "WHICH", default_value_t = FailOn::Any, requires = "baseline")]
    pub fail_on: FailOn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Any,
    New,
}

pub fn run(args: AuditArgs, global: &GlobalArgs) -> Result<Outcome> {
    let sinks = chainwarden::notify::parse_sinks(&args.notify, args.offline)?;
    // Settings of the notification are checked before the audit runs, not after.
    let notify = match sinks.is_empty() {
        true => None,
        false => Some(global.env.notify_config()?),
    };
    let (policy, reports) = reports(&args, global)?;
    let document = shipped::render(&reports, args.format);
    output::emit(&Destination::from_arg(args.output.as_deref()), &document)?;
    let mut outcome = Outcome::Pass;
    let recorder = crate::cli::evidence::Recorder::new(global, &policy)?;
    let mut recorded = Vec::with_capacity(reports.len());
    for (subject, report) in &reports {
        recorded.push(recorder.audit(&subject.project.lockfile, report)?);
        if report.verdict == PolicyVerdict::Fail {
            outcome = Outcome::Fail;
        }
    }
    let Some(notify) = &notify else {
        return Ok(outcome);
    };
    for ((_, report), recorded) in reports.iter().zip(&recorded) {
        let batch = chainwarden::notify::Batch::from_report(report, &policy.deadlines);
        let deliveries =
            chainwarden::notify::notify_and_report(&sinks, &batch, args.notify_format, notify)?;
        crate::cli::evidence::record_deliveries(recorded.as_ref(), &deliveries, &report.time)?;
        if deliveries.iter().any(chainwarden::notify::Delivery::failed) {
            outcome = Outcome::Inconclusive;
        }
    }
    Ok(outcome)
}

/// Audits every subject of the run (the project, each binary, or the SBOM): the reports, in
/// argument order, and the policy they were judged by.
pub(crate) fn reports(
    args: &AuditArgs,
    global: &GlobalArgs,
) -> Result<(Policy, Vec<(shipped::Subject, AuditReport)>)> {
    let clock = global.clock()?;
    let policy = global.policy()?;
    let scope = resolve_scope(global, &policy)?;
    let subjects = shipped::subjects(args)?;
    let statements = shipped::vex_statements(&args.vex)?;
    let baseline = match args.baseline.as_deref() {
        Some(p) if p == Path::new("last-run") => Some(last_run(global, &policy, &scope, &clock)?),
        Some(p) => Some(chainwarden::audit::baseline::Baseline::load(p)?),
        None => None,
    };

    let network = if args.offline {
        None
    } else {
        Some(Network::new(global.env.net_config()?)?)
    };
    // Settings are checked before the database is touched.
    let index = match (&network, policy.audit.check_yanked) {
        (Some(_), true) => Some(global.env.index_config()?),
        _ => None,
    };
    let (db_dir, db_notes) = match &args.db {
        Some(dir) => (dir.clone(), Vec::new()),
        None => default_database(global, network.as_ref(), &clock)?,
    };
    let cache_root = global.env.cache_root();
    let mut db = AdvisoryDb::open(&db_dir, cache_root.as_deref().map(index_dir).as_deref())?;
    let db_meta = meta::metadata(&db_dir);

    let graph = if !subjects[0].is_project() || args.lockfile_only {
        GraphSource::LockfileOnly
    } else if let Some(file) = &args.metadata {
        GraphSource::MetadataFile(file.clone())
    } else {
        GraphSource::CargoMetadata {
            offline: args.offline,
            cargo: global.env.cargo(),
            cache_root: cache_root.clone(),
        }
    };
    let sparse;
    let yanked: std::result::Result<&dyn YankedLookup, String> =
        match (&network, index, policy.audit.check_yanked) {
            (_, _, false) => Err("disabled by the policy (audit.check_yanked = false)".into()),
            (Some(net), Some(index), true) => {
                sparse = SparseIndex::new(net.clone(), clock, index);
                Ok(&sparse)
            }
            _ => Err("offline".into()),
        };
    let mut reports = Vec::with_capacity(subjects.len());
    for mut subject in subjects {
        let lock = subject.take_lockfile()?;
        let mut report = audit::audit_lockfile(
            AuditRequest {
                project: subject.project.clone(),
                policy: &policy.audit,
                db: &mut db,
                db_meta: db_meta.clone(),
                clock,
                scope: scope.clone(),
                target: subject.target().or_else(|| args.target.clone()),
                exclude_dev: args.exclude_dev || policy.audit.exclude_dev,
                graph: subject.graph(&graph),
                yanked: yanked.clone(),
            },
            lock,
        )?;
        report.notes.splice(0..0, db_notes.iter().cloned());
        subject.annotate(&mut report);
        chainwarden::vex::apply(&mut report, &statements);
        if let Some(baseline) = &baseline {
            baseline.apply(&mut report);
            if args.fail_on == FailOn::New {
                chainwarden::audit::baseline::gate_on_new(&mut report);
            }
        }
        reports.push((subject, report));
    }
    Ok((policy, reports))
}

/// `--baseline last-run`: the newest audit (or watch) the evidence store recorded for this
/// scope before now, read from the verified chain only: an edited run could otherwise make a
/// new finding look known and let `--fail-on new` pass. A broken chain is refused, as `watch`
/// and `report` refuse it. No such run is an error: a gate with nothing to compare against
/// must not pass by default.
fn last_run(
    global: &GlobalArgs,
    policy: &chainwarden::policy::Policy,
    scope: &audit::model::DeclaredScope,
    clock: &chainwarden::clock::Clock,
) -> Result<chainwarden::audit::baseline::Baseline> {
    use chainwarden::audit::baseline::{Baseline, FixedFinding};
    use chainwarden::evidence;
    let path = crate::cli::evidence::store_location(global, policy)?;
    let store = evidence::Store::open_at(&path)?;
    let check = evidence::verify_scope(&store, &evidence::Scope::of(scope))?;
    if !check.intact() {
        return Err(evidence::broken_error(&check));
    }
    let now = chainwarden::clock::format_rfc3339(clock.now());
    let (run, report) = check
        .runs
        .iter()
        // A watch run re-audits the scope's recorded inventory: what it found is known.
        .filter(|r| r.time < now)
        .filter_map(|r| r.audit().map(|a| (r, a)))
        .max_by(|a, b| (&a.0.time, &a.0.run_id).cmp(&(&b.0.time, &b.0.run_id)))
        .ok_or_else(|| {
            chainwarden::error::Error::usage(format!(
                "--baseline last-run: the evidence store {path} has no audit of this scope before {now}"
            ))
        })?;
    Ok(Baseline::from_findings(
        &format!("{path} (run {})", run.run_id),
        &report.time,
        report.findings.iter().map(FixedFinding::of).collect(),
    ))
}

/// The cached database, refreshed when older than a day and online.
pub(crate) fn default_database(
    global: &GlobalArgs,
    network: Option<&Network>,
    clock: &chainwarden::clock::Clock,
) -> Result<(PathBuf, Vec<String>)> {
    let options = global.env.cache_options(None, None)?;
    let ensured = cache::ensure(&options, network, clock)?;
    Ok((ensured.dir, ensured.notes))
}

/// The lockfile path as SARIF wants it: relative to the working directory, `/`-separated.
pub(crate) fn sarif_uri(lockfile: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let absolute = lockfile
        .canonicalize()
        .unwrap_or_else(|_| lockfile.to_path_buf());
    let relative = cwd
        .and_then(|c| c.canonicalize().ok())
        .and_then(|c| absolute.strip_prefix(c).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| lockfile.to_path_buf());
    relative.to_string_lossy().replace('\\', "/")
}
