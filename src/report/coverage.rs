//! Cadence and coverage: expected scans (from the cadence of the policy in force each day)
//! against recorded ones, per lockfile; every missed window listed; stretches longer than the
//! policy tolerates are deviations. Also the scan log, with each scan's inputs.

use std::collections::{BTreeMap, BTreeSet};

use time::{Date, Weekday};

use super::compute::{day_of, is_scheduled, policy_on, Span};
use super::model::{Coverage, Deviation, DeviationKind, Gap, ScanRecord};
use crate::clock::format_date;
use crate::evidence::VerifiedRun;
use crate::policy::Cadence;

pub(super) struct CoverageOut {
    pub coverage: Vec<Coverage>,
    pub scans: Vec<ScanRecord>,
}

/// The lockfile a run scanned (its recorded identity).
pub(super) fn lockfile_of(run: &VerifiedRun) -> String {
    run.lockfile_path
        .clone()
        .or_else(|| run.audit().map(|a| a.lockfile.path.clone()))
        .unwrap_or_default()
}

/// Audit runs by lockfile, in time order.
pub(super) fn by_lockfile(runs: &[VerifiedRun]) -> BTreeMap<String, Vec<&VerifiedRun>> {
    let mut map: BTreeMap<String, Vec<&VerifiedRun>> = BTreeMap::new();
    for r in runs.iter().filter(|r| r.audit().is_some()) {
        map.entry(lockfile_of(r)).or_default().push(r);
    }
    map
}

/// Expected windows (first day, last day) from `from` to the end of the span.
fn windows(runs: &[VerifiedRun], span: &Span, from: Date) -> Vec<(Date, Date)> {
    let mut out: Vec<(Date, Date)> = Vec::new();
    for d in span.days().filter(|d| *d >= from) {
        let cadence = policy_on(runs, d).map_or(Cadence::Daily, |p| p.cadence);
        match cadence {
            Cadence::Daily => out.push((d, d)),
            Cadence::Weekdays => {
                if !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
                    out.push((d, d));
                }
            }
            Cadence::Weekly => {
                let monday = d.prev_occurrence(Weekday::Monday);
                let monday = if d.weekday() == Weekday::Monday {
                    d
                } else {
                    monday
                };
                match out.last_mut() {
                    Some(w) if w.0 >= monday.max(from) => w.1 = d,
                    _ => out.push((d, d)),
                }
            }
        }
    }
    out
}

fn cadence_text(runs: &[VerifiedRun], span: &Span) -> String {
    let set: BTreeSet<&str> = span
        .days()
        .filter_map(|d| policy_on(runs, d).map(|p| p.cadence.as_str()))
        .collect();
    set.into_iter().collect::<Vec<_>>().join(", ")
}

pub(super) fn build(runs: &[VerifiedRun], span: &Span, dev: &mut Vec<Deviation>) -> CoverageOut {
    let groups = by_lockfile(runs);
    let latest_scan = runs
        .iter()
        .filter(|r| r.audit().is_some())
        .filter_map(|r| day_of(&r.time))
        .max();
    let mut coverage = Vec::new();
    let mut scans = Vec::new();
    for (lockfile, list) in &groups {
        let days: Vec<Date> = list.iter().filter_map(|r| day_of(&r.time)).collect();
        let (Some(first), Some(last)) = (days.first().copied(), days.last().copied()) else {
            continue;
        };
        // A lockfile last scanned before the period is out of scope, unless it is the only one.
        if groups.len() > 1 && last < span.start {
            continue;
        }
        scope_changes(lockfile, list, (first, last), span, latest_scan, dev);
        let scanned: BTreeSet<Date> = days
            .iter()
            .copied()
            .filter(|d| *d >= span.start && *d < span.until)
            .collect();
        let wins = windows(runs, span, first.max(span.start));
        let missed: Vec<(Date, Date)> = wins
            .iter()
            .copied()
            .filter(|(a, b)| !scanned.iter().any(|d| d >= a && d <= b))
            .collect();
        let gaps = gaps(runs, &wins, &missed, lockfile, list, dev);
        let log = scan_log(lockfile, list, span, dev);
        let scheduled = log.iter().filter(|s| is_scheduled(&s.trigger)).count();
        coverage.push(Coverage {
            lockfile: lockfile.clone(),
            cadence: cadence_text(runs, span),
            expected: wins.len(),
            met: wins.len() - missed.len(),
            missed_days: missed.iter().map(|w| format_date(w.0)).collect(),
            gaps,
            scans: log.len(),
            scheduled,
            triggered: log.len() - scheduled,
            stale_scans: log.iter().filter(|s| s.database_stale).count(),
            scanned_days: scanned.iter().copied().map(format_date).collect(),
        });
        scans.extend(log);
    }
    scans.sort_by(|a, b| (&a.time, a.seq).cmp(&(&b.time, b.seq)));
    CoverageOut { coverage, scans }
}

/// A lockfile first scanned in the period was added to the scope; one no longer scanned
/// while others are has left it (`first`, `last`: its first and last scan).
fn scope_changes(
    lockfile: &str,
    list: &[&VerifiedRun],
    (first, last): (Date, Date),
    span: &Span,
    latest_scan: Option<Date>,
    dev: &mut Vec<Deviation>,
) {
    if first >= span.start {
        dev.push(Deviation::new(
            DeviationKind::LockfileScopeChange,
            format_date(first),
            list.first().map(|r| r.run_id.clone()),
            lockfile.to_string(),
            "first scan of this lockfile: added to the scope".into(),
        ));
    }
    if latest_scan.is_some_and(|l| l > last) {
        dev.push(Deviation::new(
            DeviationKind::LockfileScopeChange,
            format_date(last.next_day().unwrap_or(last)),
            list.last().map(|r| r.run_id.clone()),
            lockfile.to_string(),
            format!(
                "not scanned after {} while other lockfiles of the project were",
                format_date(last)
            ),
        ));
    }
}

/// The scans of `lockfile` (its audit runs, in time order) in the period, each with its
/// inputs; a scan against a stale advisory database is a deviation.
fn scan_log(
    lockfile: &str,
    list: &[&VerifiedRun],
    span: &Span,
    dev: &mut Vec<Deviation>,
) -> Vec<ScanRecord> {
    let in_period = |r: &&&VerifiedRun| day_of(&r.time).is_some_and(|d| d >= span.start);
    // The lockfile's digest at the last scan before the period: a change is against it.
    let mut previous_sha = list
        .iter()
        .rev()
        .find(|r| day_of(&r.time).is_some_and(|d| d < span.start))
        .and_then(|r| r.audit().map(|a| a.lockfile.sha256.clone()));
    let mut log = Vec::new();
    for r in list.iter().filter(in_period) {
        let a = r.audit().expect("audit runs only");
        let limit = r.policy.stale_limit();
        let is_stale = a.database.age_days.is_some_and(|d| d > i64::from(limit));
        if is_stale {
            dev.push(Deviation::new(
                DeviationKind::StaleDatabase,
                day_of(&r.time).map(format_date).unwrap_or_default(),
                Some(r.run_id.clone()),
                lockfile.to_string(),
                format!(
                    "advisory database {} days old (limit {limit})",
                    a.database.age_days.unwrap_or_default()
                ),
            ));
        }
        let changed = previous_sha
            .as_ref()
            .is_some_and(|p| *p != a.lockfile.sha256);
        previous_sha = Some(a.lockfile.sha256.clone());
        log.push(ScanRecord {
            run_id: r.run_id.clone(),
            seq: r.seq,
            time: r.time.clone(),
            lockfile: lockfile.to_string(),
            lockfile_sha256: a.lockfile.sha256.clone(),
            lockfile_changed: changed,
            commit: r.git_commit.clone(),
            trigger: r.trigger.clone(),
            origin: r.origin.clone(),
            tool_version: r.tool_version.clone(),
            database_commit: a.database.commit.clone(),
            database_age_days: a.database.age_days,
            database_stale: is_stale,
            policy_sha256: r.policy_sha256.clone(),
            verdict: a.verdict,
            findings: a.findings.len(),
        });
    }
    log
}

/// Groups consecutive missed windows into stretches; those longer than the policy's
/// `max_gap_days` are deviations.
fn gaps(
    runs: &[VerifiedRun],
    wins: &[(Date, Date)],
    missed: &[(Date, Date)],
    lockfile: &str,
    list: &[&VerifiedRun],
    dev: &mut Vec<Deviation>,
) -> Vec<Gap> {
    let mut stretches: Vec<(Date, Date)> = Vec::new();
    let mut prev_index: Option<usize> = None;
    for m in missed {
        let i = wins
            .iter()
            .position(|w| w == m)
            .expect("a missed window is a window");
        match (stretches.last_mut(), prev_index) {
            (Some(s), Some(p)) if p + 1 == i => s.1 = m.1,
            _ => stretches.push(*m),
        }
        prev_index = Some(i);
    }
    stretches
        .into_iter()
        .map(|(from, to)| {
            let days = (to - from).whole_days() + 1;
            let tolerated = policy_on(runs, from).map_or(1, |p| p.max_gap_days);
            let deviation = days > i64::from(tolerated);
            if deviation {
                let before = list
                    .iter()
                    .rev()
                    .find(|r| day_of(&r.time).is_some_and(|d| d < from));
                dev.push(Deviation::new(
                    DeviationKind::MissedScan,
                    format_date(from),
                    before.map(|r| r.run_id.clone()),
                    lockfile.to_string(),
                    format!(
                        "no scan from {} to {} ({days} day(s); the policy tolerates {tolerated})",
                        format_date(from),
                        format_date(to)
                    ),
                ));
            }
            Gap {
                from: format_date(from),
                to: format_date(to),
                days,
                deviation,
            }
        })
        .collect()
}
