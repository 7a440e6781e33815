//! `chainwarden watch`: the latest recorded inventory of every scope in the evidence store,
//! audited again against the advisory database as it is now, with no checkout and no cargo.
//!
//! Invariants: a scope is evaluated only from runs that verify ([`crate::evidence::verify_scope`]);
//! a broken chain is reported, never evaluated. Each scope is judged by the policy its latest
//! audit recorded. A finding is `new` when no earlier run of the scope (audit or watch) had it,
//! so the first detection of an advisory published after the last audit is the watch run.

pub mod policy;
pub mod render;

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::Serialize;

use crate::advisories::meta::DbMeta;
use crate::advisories::AdvisoryDb;
use crate::audit::baseline::{gate_on_new, Baseline, BaselineState, FindingKey, FixedFinding};
use crate::audit::model::{
    AuditReport, DatabaseInfo, DependencyKind, Finding, FindingKind, Package, Severity,
};
use crate::audit::{self, AuditRequest, GraphSource};
use crate::clock::{format_rfc3339, Clock};
use crate::error::{Error, Result};
use crate::evidence::subscription::LatestInventory;
use crate::evidence::{verify_scope, PolicyInForce, RunKind, Store, VerifiedRun};
use crate::inventory::lockfile::{without_edges, LockedPackage};
use crate::inventory::{Lockfile, ProjectPaths};

/// One scope, evaluated: the watch's audit report (findings marked new or existing) and what
/// it needs to be recorded and notified.
#[derive(Debug, Clone)]
pub struct ScopeWatch {
    pub latest: LatestInventory,
    pub report: AuditReport,
    pub policy: PolicyInForce,
    pub deadlines: crate::policy::Deadlines,
    pub git_commit: Option<String>,
}

/// Evaluates one scope's latest recorded inventory against `db` at `clock`'s time.
pub fn evaluate(
    store: &Store,
    latest: &LatestInventory,
    db: &mut AdvisoryDb,
    db_meta: &DbMeta,
    clock: Clock,
) -> Result<ScopeWatch> {
    let check = verify_scope(store, &latest.scope)?;
    if !check.intact() {
        return Err(crate::evidence::broken_error(&check));
    }
    let source = check
        .runs
        .iter()
        .find(|r| r.run_id == latest.run_id)
        .ok_or_else(|| Error::evidence(format!("run {} did not verify", latest.run_id)))?;
    let audited = source
        .audit()
        .ok_or_else(|| Error::evidence(format!("run {} is not an audit", latest.run_id)))?;
    let packages = source.inventory();
    let policy = policy::from_record(&source.policy)
        .map_err(|m| Error::evidence(format!("run {}: its recorded policy: {m}", latest.run_id)))?;
    let lock = lockfile_of(latest, audited, &packages)?;
    let mut report = audit::audit_lockfile(
        AuditRequest {
            project: ProjectPaths {
                lockfile: lock.path.clone(),
                manifest: None,
            },
            policy: &policy.audit,
            db,
            db_meta: db_meta.clone(),
            clock,
            scope: audited.scope.clone(),
            target: audited.settings.target.clone(),
            exclude_dev: false,
            graph: GraphSource::LockfileOnly,
            yanked: Err("not checked by watch (the recorded inventory is not re-resolved)".into()),
        },
        lock,
    )?;
    report.inventory = packages;
    // Without dependency edges every package is a root: a one-step "path" would mislead.
    for f in &mut report.findings {
        f.paths.clear();
        f.paths_total = 0;
    }
    report.notes.insert(
        0,
        format!(
            "watch: the inventory recorded by run {} at {} (no dependency paths: the graph is not re-resolved)",
            latest.run_id, latest.time
        ),
    );
    mark(&mut report, &check.runs, &format_rfc3339(clock.now()));
    Ok(ScopeWatch {
        latest: latest.clone(),
        report,
        policy: source.policy.clone(),
        deadlines: policy.deadlines.clone(),
        git_commit: source.git_commit.clone(),
    })
}

/// Marks each finding `new` (no earlier run of the scope had it) or `existing`, lists as fixed
/// what the previous watch run had and this one has not, and gates the verdict on new findings.
fn mark(report: &mut AuditReport, runs: &[VerifiedRun], now: &str) {
    let earlier: Vec<&VerifiedRun> = runs.iter().filter(|r| r.time.as_str() < now).collect();
    let mut ever: Vec<FixedFinding> = Vec::new();
    let mut seen = BTreeSet::new();
    for f in earlier
        .iter()
        .filter_map(|r| r.audit())
        .flat_map(|a| &a.findings)
    {
        if seen.insert(f.key()) {
            ever.push(FixedFinding::of(f));
        }
    }
    let previous_watch = earlier
        .iter()
        .filter(|r| r.kind == RunKind::Watch)
        .max_by(|a, b| (&a.time, a.seq).cmp(&(&b.time, b.seq)));
    Baseline::from_findings("every earlier run of the scope", "", ever).apply(report);
    let current: BTreeSet<FindingKey> = report.findings.iter().map(Finding::key).collect();
    let mut fixed: Vec<FixedFinding> = previous_watch
        .and_then(|r| r.audit())
        .map(|a| {
            a.findings
                .iter()
                .filter(|f| !current.contains(&f.key()))
                .map(FixedFinding::of)
                .collect()
        })
        .unwrap_or_default();
    fixed.sort();
    if let Some(b) = report.baseline.as_mut() {
        b.time = previous_watch.map(|r| r.time.clone()).unwrap_or_default();
        b.fixed = fixed;
    }
    gate_on_new(report);
}

/// The recorded inventory as a lockfile (no dependency edges: paths are not re-resolved).
/// Packages an audit excluded as dev-only stay excluded.
fn lockfile_of(
    latest: &LatestInventory,
    audited: &AuditReport,
    packages: &[Package],
) -> Result<Lockfile> {
    let bad = |m: String| Error::evidence(format!("run {}: inventory: {m}", latest.run_id));
    let mut locked = Vec::with_capacity(packages.len());
    let mut model = Vec::with_capacity(packages.len());
    for p in packages {
        let dev_only = !p.dependency_kinds.is_empty()
            && p.dependency_kinds.iter().all(|k| *k == DependencyKind::Dev);
        if audited.settings.exclude_dev && dev_only {
            continue;
        }
        let version = semver::Version::parse(&p.version)
            .map_err(|e| bad(format!("{} {}: {e}", p.name, p.version)))?;
        let name: cargo_lock::Name = p
            .name
            .parse()
            .map_err(|e| bad(format!("{}: {e}", p.name)))?;
        let source = p
            .source
            .as_deref()
            .map(cargo_lock::SourceId::from_url)
            .transpose()
            .map_err(|e| bad(format!("{} source: {e}", p.name)))?;
        locked.push(LockedPackage {
            name: p.name.clone(),
            version: version.clone(),
            source: p.source.clone(),
            checksum: p.checksum.clone(),
            is_crates_io: source.as_ref().is_some_and(|s| s.is_default_registry()),
            line: 1,
        });
        model.push(without_edges(name, version, source));
    }
    let path = latest
        .lockfile_path
        .clone()
        .unwrap_or_else(|| "Cargo.lock".into());
    Ok(Lockfile::assembled(
        PathBuf::from(path),
        audited.lockfile.sha256.clone(),
        audited.lockfile.format_version,
        locked,
        model,
    ))
}

/// A new finding, as the watch output lists it.
#[derive(Debug, Clone, Serialize)]
pub struct NewFinding {
    pub kind: FindingKind,
    pub advisory_id: String,
    pub package: String,
    pub version: String,
    pub severity: Option<Severity>,
    pub title: String,
    /// The advisory's date (when it was published).
    pub published: Option<String>,
    pub fails_policy: bool,
}

/// One scope in the watch output.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeResult {
    pub tenant_id: String,
    pub project_id: String,
    pub lockfile_path: Option<String>,
    /// The audit whose inventory was evaluated, and when it ran.
    pub inventory_run: String,
    pub inventory_time: String,
    /// This watch run's id in the evidence store (`null` with --no-record).
    pub run_id: Option<String>,
    pub findings: usize,
    pub new: Vec<NewFinding>,
    pub fixed: Vec<FixedFinding>,
    /// Whether a new finding fails the scope's policy.
    pub fails: bool,
}

/// A scope that could not be evaluated (broken evidence, unreadable inventory).
#[derive(Debug, Clone, Serialize)]
pub struct ScopeError {
    pub tenant_id: String,
    pub project_id: String,
    pub error: String,
}

/// A delivery, as the watch output lists it.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryResult {
    pub scope: String,
    pub sink: String,
    pub finding: String,
    pub outcome: crate::notify::DeliveryOutcome,
    pub external_id: Option<String>,
    pub attempts: u32,
}

/// The whole result of one `chainwarden watch` (its `--format json` schema).
#[derive(Debug, Clone, Serialize)]
pub struct WatchReport {
    pub schema_version: u32,
    pub tool_version: String,
    pub time: String,
    pub database: DatabaseInfo,
    pub scopes: Vec<ScopeResult>,
    pub errors: Vec<ScopeError>,
    pub deliveries: Vec<DeliveryResult>,
}

impl ScopeResult {
    pub fn from_watch(w: &ScopeWatch, run_id: Option<String>) -> ScopeResult {
        let new: Vec<NewFinding> = w
            .report
            .findings
            .iter()
            .filter(|f| f.baseline_state == Some(BaselineState::New))
            .map(|f| NewFinding {
                kind: f.kind,
                advisory_id: f.advisory_id.clone(),
                package: f.package.clone(),
                version: f.version.clone(),
                severity: f.severity,
                title: f.title.clone(),
                published: f.date.clone(),
                fails_policy: f.fails_policy,
            })
            .collect();
        ScopeResult {
            tenant_id: w.latest.scope.tenant_id.clone(),
            project_id: w.latest.scope.project_id.clone(),
            lockfile_path: w.latest.lockfile_path.clone(),
            inventory_run: w.latest.run_id.clone(),
            inventory_time: w.latest.time.clone(),
            run_id,
            findings: w.report.findings.len(),
            fails: new.iter().any(|f| f.fails_policy),
            new,
            fixed: w
                .report
                .baseline
                .as_ref()
                .map(|b| b.fixed.clone())
                .unwrap_or_default(),
        }
    }
}
