//! Releases and commits (from verification runs) and the dependency inventory change over the
//! period (from the first and last audits of each lockfile).

use std::collections::{BTreeMap, BTreeSet};

use super::compute::{day_of, sort_versions, Span};
use super::coverage::by_lockfile;
use super::model::*;
use crate::audit::model::Package;
use crate::clock::format_date;
use crate::evidence::VerifiedRun;
use crate::verify::model::{Check, Code, Verdict, VerifyCommand};

fn failed(checks: &[Check]) -> Vec<String> {
    checks
        .iter()
        .filter(|c| c.verdict != Verdict::Verified)
        .map(|c| c.code.as_str().to_string())
        .collect()
}

pub(super) fn build(
    runs: &[VerifiedRun],
    span: &Span,
    dev: &mut Vec<Deviation>,
) -> (Vec<ReleaseCheck>, Commits) {
    let mut releases = Vec::new();
    let mut commit_runs = BTreeSet::new();
    let mut commits: BTreeMap<String, CommitRow> = BTreeMap::new();
    for run in runs
        .iter()
        .filter(|r| day_of(&r.time).is_some_and(|d| d >= span.start))
    {
        let Some(v) = run.verify() else { continue };
        let date = day_of(&run.time).map(format_date).unwrap_or_default();
        if v.command == VerifyCommand::Commits {
            commit_runs.insert(run.run_id.clone());
            for s in &v.subjects {
                let id = s.digest.clone().unwrap_or_else(|| s.name.clone());
                let row = CommitRow {
                    commit: id.clone(),
                    run_id: run.run_id.clone(),
                    time: run.time.clone(),
                    verdict: s.verdict,
                    failed_checks: failed(&s.checks),
                };
                // A commit checked several times counts once; signed if any check verified.
                match commits.get(&id) {
                    Some(r) if r.verdict == Verdict::Verified => {}
                    _ => {
                        commits.insert(id, row);
                    }
                }
            }
            continue;
        }
        for s in &v.subjects {
            let detail = |key: &str| s.checks.iter().find_map(|c| c.details.get(key).cloned());
            let row = ReleaseCheck {
                run_id: run.run_id.clone(),
                time: run.time.clone(),
                command: run.command.clone(),
                tool_version: v.tool_version.clone(),
                artifact: s.name.clone(),
                digest: s.digest.clone(),
                verdict: s.verdict,
                signer: detail("identity").or_else(|| detail("signer")),
                provenance: s.checks.iter().any(|c| c.code.is_provenance()).then(|| {
                    s.checks
                        .iter()
                        .filter(|c| c.code.is_provenance())
                        .all(|c| c.verdict == Verdict::Verified)
                }),
                reproducible: (v.command == VerifyCommand::Rebuild)
                    .then(|| s.checks.iter().any(|c| c.code == Code::Reproducible)),
                failed_checks: failed(&s.checks),
            };
            if row.verdict != Verdict::Verified {
                dev.push(Deviation::new(
                    DeviationKind::FailedVerification,
                    date.clone(),
                    Some(run.run_id.clone()),
                    format!("{} ({})", row.artifact, row.command),
                    format!("{}: {}", row.verdict, row.failed_checks.join(", ")),
                ));
            }
            releases.push(row);
        }
    }
    let unsigned: Vec<CommitRow> = commits
        .values()
        .filter(|c| c.verdict != Verdict::Verified)
        .cloned()
        .collect();
    for c in &unsigned {
        dev.push(Deviation::new(
            DeviationKind::UnsignedCommit,
            day_of(&c.time).map(format_date).unwrap_or_default(),
            Some(c.run_id.clone()),
            c.commit.clone(),
            format!("{}: {}", c.verdict, c.failed_checks.join(", ")),
        ));
    }
    let commits = Commits {
        runs: commit_runs.len(),
        checked: commits.len(),
        signed: commits.len() - unsigned.len(),
        unsigned,
    };
    (releases, commits)
}

fn versions_by_name(packages: &[Package]) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in packages {
        map.entry(p.name.clone())
            .or_default()
            .push(p.version.clone());
    }
    for v in map.values_mut() {
        sort_versions(v);
        v.dedup();
    }
    map
}

/// Each lockfile's inventory at its last scan of the period against its last scan before.
pub(super) fn inventory(runs: &[VerifiedRun], span: &Span) -> Vec<InventoryChange> {
    let mut out = Vec::new();
    for (lockfile, list) in by_lockfile(runs) {
        let Some(last) = list
            .iter()
            .rev()
            .find(|r| day_of(&r.time).is_some_and(|d| d >= span.start))
        else {
            continue;
        };
        let baseline = list
            .iter()
            .rev()
            .find(|r| day_of(&r.time).is_some_and(|d| d < span.start));
        let after = last.inventory();
        let before = baseline.map(|b| b.inventory()).unwrap_or_default();
        let (a, b) = (versions_by_name(&after), versions_by_name(&before));
        let mut change = InventoryChange {
            lockfile,
            package_count: after.len(),
            has_baseline: baseline.is_some(),
            added: Vec::new(),
            removed: Vec::new(),
            updated: Vec::new(),
        };
        for (name, versions) in &a {
            match b.get(name) {
                None if baseline.is_some() => change.added.push(PackageVersion {
                    name: name.clone(),
                    versions: versions.clone(),
                }),
                Some(old) if old != versions => change.updated.push(PackageUpdate {
                    name: name.clone(),
                    from: old.clone(),
                    to: versions.clone(),
                }),
                _ => {}
            }
        }
        for (name, versions) in &b {
            if !a.contains_key(name) {
                change.removed.push(PackageVersion {
                    name: name.clone(),
                    versions: versions.clone(),
                });
            }
        }
        out.push(change);
    }
    out
}
