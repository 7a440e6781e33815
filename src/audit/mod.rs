//! `chainwarden audit`: the dependency graph against the RustSec advisory database.
//!
//! Flow: [`crate::inventory`] reads the lockfile (and `cargo metadata` when it can) →
//! [`matching`] finds the advisories that apply with RustSec's semantics → [`yanked`] adds
//! yanked crates when online → [`evaluate`] applies the policy (ignores, kinds, severities,
//! database age) → an [`model::AuditReport`], which [`render`] renders.

pub mod baseline;
pub mod evaluate;
pub mod fix;
pub mod matching;
pub mod model;
pub mod paths;
pub mod render;
pub mod yanked;

use std::path::PathBuf;

use crate::advisories::meta::DbMeta;
use crate::advisories::AdvisoryDb;
use crate::clock::{format_rfc3339, Clock};
use crate::error::Result;
use crate::inventory::graph_cache::GraphCache;
use crate::inventory::{metadata, Graph, Inventory, Lockfile, ProjectPaths};
use crate::policy::AuditPolicy;
use matching::TargetFilter;
use model::{AuditReport, DatabaseInfo, DeclaredScope, GraphMode, LockfileInfo, Settings};

/// How to learn the workspace's real dependency graph.
#[derive(Debug, Clone)]
pub enum GraphSource {
    /// The lockfile alone (every package counts, as cargo-audit).
    LockfileOnly,
    /// Run `cargo metadata` (offline or not) with `cargo` (`None`: the one in `PATH`); fall
    /// back to the lockfile with a note. With a `cache_root`, the resolved graph is cached
    /// under it for the next run with the same inputs.
    CargoMetadata {
        offline: bool,
        cargo: Option<PathBuf>,
        cache_root: Option<PathBuf>,
    },
    /// A precomputed `cargo metadata --format-version 1` document.
    MetadataFile(PathBuf),
    /// A binary's embedded dependency list: no graph to resolve, every package counts, and
    /// the target is the binary's own (it filters advisories, not packages).
    Embedded,
}

/// Everything one audit needs.
pub struct AuditRequest<'a> {
    pub project: ProjectPaths,
    /// The policy's `[audit]` section: what fails the run, the accepted risks, database age.
    pub policy: &'a AuditPolicy,
    pub db: &'a mut AdvisoryDb,
    pub db_meta: DbMeta,
    pub clock: Clock,
    pub scope: DeclaredScope,
    pub target: Option<String>,
    pub exclude_dev: bool,
    pub graph: GraphSource,
    /// Yanked versions lookup; `None` = skipped (offline or disabled), with the reason.
    pub yanked: std::result::Result<&'a dyn yanked::YankedLookup, String>,
}

/// Runs the audit and returns the report (rendering and exit code are the caller's).
pub fn audit(req: AuditRequest<'_>) -> Result<AuditReport> {
    let lock = Lockfile::load(&req.project.lockfile)?;
    audit_lockfile(req, lock)
}

/// Runs the audit on an already read inventory (a lockfile, or the dependency list of a
/// binary or an SBOM turned into one).
pub fn audit_lockfile(req: AuditRequest<'_>, lock: Lockfile) -> Result<AuditReport> {
    let mut notes = Vec::new();

    let target_info = req
        .target
        .as_deref()
        .map(metadata::target_info)
        .transpose()?;
    let (resolution, graph, mode) = resolve_graph(&req, &lock, target_info, &mut notes)?;
    let inventory = Inventory {
        graph,
        resolution,
        lockfile: lock,
    };

    let filter = target_info
        .map(|t| TargetFilter {
            os: t.os.iter().map(|o| o.as_str().to_string()).collect(),
            arch: vec![t.arch.as_str().to_string()],
        })
        .unwrap_or_default();
    req.db
        .prepare(inventory.lockfile.packages.iter().map(|p| p.name.as_str()))?;
    let matches = matching::find_matches(req.db, &inventory.lockfile, &filter);

    let (yanked, yanked_checked) = match &req.yanked {
        Ok(lookup) => yanked::find_yanked(*lookup, &inventory.lockfile, &mut notes),
        Err(reason) => {
            notes.push(format!("yanked crates not checked: {reason}"));
            (Vec::new(), false)
        }
    };

    let database = database_info(&req, &mut notes);
    let mut failures: Vec<String> = Vec::new();
    match (req.policy.max_database_age_days, database.age_days) {
        (Some(max), Some(age)) if age > i64::from(max) => failures.push(format!(
            "the advisory database is {age} days old, over the policy's maximum of {max} (audit.max_database_age_days): run `chainwarden db update`"
        )),
        (Some(max), None) => failures.push(format!(
            "the advisory database's date is unknown, so its age cannot be checked against the policy's maximum of {max} days (audit.max_database_age_days)"
        )),
        _ => {}
    }

    let findings = evaluate::findings(
        &inventory,
        &matches,
        &yanked,
        req.policy,
        req.clock.today(),
        &mut notes,
    );
    let summary = evaluate::summarize(&findings);
    if summary.failing > 0 {
        failures.insert(
            0,
            format!(
                "{} the policy",
                evaluate::plural(summary.failing, "finding fails", "findings fail")
            ),
        );
    }
    let verdict = if failures.is_empty() {
        model::PolicyVerdict::Pass
    } else {
        model::PolicyVerdict::Fail
    };
    Ok(AuditReport {
        schema_version: model::SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        time: format_rfc3339(req.clock.now()),
        scope: req.scope,
        lockfile: LockfileInfo {
            path: inventory.lockfile.path.display().to_string(),
            sha256: inventory.lockfile.sha256.clone(),
            format_version: inventory.lockfile.format_version,
            package_count: inventory.lockfile.packages.len(),
        },
        database,
        settings: Settings {
            mode,
            target: req.target.clone(),
            exclude_dev: req.exclude_dev,
            yanked_checked,
        },
        verdict,
        failures,
        summary,
        findings,
        notes,
        inventory: inventory.packages(),
        baseline: None,
    })
}

fn resolve_graph(
    req: &AuditRequest<'_>,
    lock: &Lockfile,
    target: Option<&'static cfg_expr::targets::TargetInfo>,
    notes: &mut Vec<String>,
) -> Result<(Option<crate::inventory::Resolution>, Graph, GraphMode)> {
    let cache = match (&req.graph, &req.project.manifest) {
        (
            GraphSource::CargoMetadata {
                cargo,
                cache_root: Some(root),
                ..
            },
            Some(m),
        ) => GraphCache::new(
            root,
            m,
            lock,
            req.target.as_deref(),
            req.exclude_dev,
            cargo.as_deref(),
        ),
        _ => None,
    };
    if let Some(hit) = cache.as_ref().and_then(|c| c.load(lock)) {
        notes.push(format!("cargo metadata not run: used the graph cached for this Cargo.lock, its manifests and cargo (key {})", crate::text::prefix(&hit.key, 16)));
        return Ok((Some(hit.resolution), hit.graph, GraphMode::Metadata));
    }
    // The metadata, and where it came from (named when it does not match the lockfile).
    let metadata = match &req.graph {
        GraphSource::LockfileOnly | GraphSource::Embedded => None,
        GraphSource::MetadataFile(path) => {
            Some((metadata::load_metadata_file(path)?, path.clone()))
        }
        GraphSource::CargoMetadata { offline, cargo, .. } => match &req.project.manifest {
            None => {
                notes.push("no Cargo.toml beside the lockfile: audited the lockfile alone".into());
                None
            }
            Some(manifest) => {
                match metadata::run_cargo_metadata(manifest, *offline, cargo.as_deref()) {
                    Ok(m) => Some((m, manifest.clone())),
                    Err(reason) => {
                        notes.push(format!(
                            "cargo metadata unavailable ({reason}): audited the lockfile alone"
                        ));
                        None
                    }
                }
            }
        },
    };
    let Some((metadata, origin)) = metadata else {
        let embedded = matches!(req.graph, GraphSource::Embedded);
        if (target.is_some() || req.exclude_dev) && !embedded {
            notes.push(
                "--target/--exclude-dev need cargo metadata: every lockfile package was audited (advisories' os/arch still follow --target)".into(),
            );
        }
        return Ok((None, Graph::from_lockfile(lock), GraphMode::Lockfile));
    };
    let (resolution, graph) = metadata::resolve(&metadata, &origin, lock, target, req.exclude_dev)?;
    if let Some(cache) = &cache {
        cache.store(&metadata, &resolution, &graph);
    }
    Ok((Some(resolution), graph, GraphMode::Metadata))
}

fn database_info(req: &AuditRequest<'_>, notes: &mut Vec<String>) -> DatabaseInfo {
    let age_days = req.db_meta.date.map(|d| (req.clock.now() - d).whole_days());
    let stale = age_days.is_some_and(|a| a > i64::from(req.policy.stale_warning_days));
    if stale {
        notes.push(format!(
            "the advisory database is stale: last updated {} ({} days ago)",
            req.db_meta.date.map(format_rfc3339).unwrap_or_default(),
            age_days.unwrap_or_default()
        ));
    }
    DatabaseInfo {
        path: req.db.path.display().to_string(),
        commit: req.db_meta.commit.clone(),
        updated: req.db_meta.date.map(format_rfc3339),
        advisory_count: req.db.len(),
        age_days,
        stale,
    }
}
