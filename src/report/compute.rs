//! Computing the quarterly report from the evidence store.
//!
//! A finding is identified by (kind, advisory id, package). Walking the scope's audit runs in
//! time order, a finding's *episode* starts at the first run that reports it and ends (is
//! resolved) at the first later run that does not. Time to fix is measured in days from the
//! first-seen day to the resolved day, against the policy's deadline for its kind and severity.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use time::{Date, Duration};

use super::model::*;
use crate::clock::{format_date, parse_rfc3339};
use crate::error::{Error, Result};
use crate::evidence::record::{FindingRow, PackageRow};
use crate::evidence::{Scope, Store};
use crate::policy::Policy;
use crate::verify::model::Check;

/// A calendar quarter, e.g. `2026-Q4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quarter {
    pub year: i32,
    pub number: u8,
}

impl Quarter {
    pub fn parse(text: &str) -> std::result::Result<Quarter, String> {
        let bad = || format!("`{text}` is not a quarter like 2026-Q4");
        let (year, q) = text.split_once("-Q").ok_or_else(bad)?;
        let year: i32 = year.parse().map_err(|_| bad())?;
        let number: u8 = q.parse().map_err(|_| bad())?;
        if !(1..=4).contains(&number) || !(1970..=9999).contains(&year) {
            return Err(bad());
        }
        Ok(Quarter { year, number })
    }

    pub fn start(self) -> Date {
        let month = time::Month::try_from(3 * (self.number - 1) + 1).expect("1, 4, 7 or 10");
        Date::from_calendar_date(self.year, month, 1).expect("valid date")
    }

    /// First day after the quarter.
    pub fn end(self) -> Date {
        match self.number {
            4 => Date::from_calendar_date(self.year + 1, time::Month::January, 1)
                .expect("valid date"),
            n => Quarter {
                year: self.year,
                number: n + 1,
            }
            .start(),
        }
    }

    pub fn label(self) -> String {
        format!("{}-Q{}", self.year, self.number)
    }
}

fn day_of(rfc3339: &str) -> Option<Date> {
    parse_rfc3339(rfc3339).ok().map(|t| t.date())
}

fn bound(d: Date) -> String {
    format!("{}T00:00:00Z", format_date(d))
}

type Key = (String, String, String);

struct Episode {
    key: Key,
    first_seen: Date,
    resolved: Option<Date>,
    versions: BTreeSet<String>,
    severity: Option<String>,
    /// Whether an ignore held at the last sighting.
    accepted: bool,
}

/// Builds the report for `scope` and `quarter`, with evidence up to `today` (exclusive of
/// later days).
pub fn build(
    store: &Store,
    scope: &Scope,
    quarter: Quarter,
    policy: &Policy,
    today: Date,
) -> Result<QuarterReport> {
    let start = quarter.start();
    let end = quarter.end();
    let as_of_exclusive = end.min(today.next_day().unwrap_or(today)).max(start);
    let (from, to) = (bound(start), bound(as_of_exclusive));

    let timeline = store.audit_timeline(scope, &to)?;
    let findings = store.findings_before(scope, &to)?;
    let runs_in_period = store.runs(scope, &from, &to)?;
    if runs_in_period.is_empty() && timeline.is_empty() {
        return Err(Error::Evidence(format!(
            "no evidence for tenant `{}`, project `{}` in {} (check --evidence, --tenant and --project)",
            scope.tenant_id,
            scope.project_id,
            quarter.label()
        )));
    }

    // Findings per run, in run order.
    let mut by_run: HashMap<&str, Vec<&FindingRow>> = HashMap::new();
    for (run_id, f) in &findings {
        by_run.entry(run_id.as_str()).or_default().push(f);
    }
    let mut open: BTreeMap<Key, Episode> = BTreeMap::new();
    let mut closed: Vec<Episode> = Vec::new();
    let mut accepted_risks: BTreeMap<(String, String), AcceptedRisk> = BTreeMap::new();
    for (run_id, time, _, _) in &timeline {
        let Some(day) = day_of(time) else { continue };
        let rows = by_run
            .get(run_id.as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let mut present: BTreeMap<Key, Vec<&FindingRow>> = BTreeMap::new();
        for f in rows {
            present
                .entry((f.kind.clone(), f.advisory_id.clone(), f.package.clone()))
                .or_default()
                .push(f);
        }
        // Episodes not seen in this run are resolved by it.
        let gone: Vec<Key> = open
            .keys()
            .filter(|k| !present.contains_key(*k))
            .cloned()
            .collect();
        for k in gone {
            let mut e = open.remove(&k).expect("key listed from the map");
            e.resolved = Some(day);
            closed.push(e);
        }
        for (key, rows) in present {
            let e = open.entry(key.clone()).or_insert_with(|| Episode {
                key,
                first_seen: day,
                resolved: None,
                versions: BTreeSet::new(),
                severity: None,
                accepted: false,
            });
            e.accepted = rows.iter().all(|r| r.status == "ignored");
            for r in &rows {
                e.versions.insert(r.version.clone());
                if r.severity.is_some() {
                    e.severity = r.severity.clone();
                }
                if day >= start {
                    if let (Some(reason), Some(approved_by), Some(expires)) =
                        (&r.ignore_reason, &r.ignore_approved_by, &r.ignore_expires)
                    {
                        let expired = r.status == "ignore-expired"
                            || crate::clock::parse_date(expires)
                                .is_ok_and(|d| d < as_of_exclusive.previous_day().unwrap_or(d));
                        let entry = accepted_risks
                            .entry((r.advisory_id.clone(), r.package.clone()))
                            .or_insert(AcceptedRisk {
                                advisory_id: r.advisory_id.clone(),
                                package: r.package.clone(),
                                reason: reason.clone(),
                                approved_by: approved_by.clone(),
                                expires: expires.clone(),
                                expired,
                            });
                        entry.expired |= expired;
                    }
                }
            }
        }
    }
    let still_open: Vec<Episode> = open.into_values().collect();
    let last_day = as_of_exclusive.previous_day().unwrap_or(start);

    let record = |e: &Episode| -> FindingRecord {
        let kind = crate::audit::model::FindingKind::parse(&e.key.0)
            .unwrap_or(crate::audit::model::FindingKind::Vulnerability);
        let severity = e
            .severity
            .as_deref()
            .and_then(crate::audit::model::Severity::parse);
        let deadline_days = policy.deadlines.days_for(kind, severity);
        let due = e.first_seen + Duration::days(i64::from(deadline_days));
        let until = e.resolved.unwrap_or(last_day);
        let deadline = match (e.resolved, e.accepted) {
            (None, true) => "accepted",
            (Some(r), _) if r <= due => "met",
            (Some(_), _) => "missed",
            (None, false) if last_day > due => "missed",
            (None, false) => "pending",
        };
        FindingRecord {
            kind: e.key.0.clone(),
            advisory_id: e.key.1.clone(),
            package: e.key.2.clone(),
            versions: e.versions.iter().cloned().collect(),
            severity: e.severity.clone(),
            first_seen: format_date(e.first_seen),
            resolved_at: e.resolved.map(format_date),
            days_open: (until - e.first_seen).whole_days(),
            deadline_days,
            due: format_date(due),
            deadline: deadline.to_string(),
        }
    };
    // Episodes that overlap the period.
    let in_period =
        |e: &&Episode| e.first_seen < as_of_exclusive && e.resolved.is_none_or(|r| r >= start);
    let mut finding_records: Vec<FindingRecord> = closed
        .iter()
        .chain(&still_open)
        .filter(in_period)
        .map(record)
        .collect();
    finding_records.sort_by(|a, b| {
        (&a.first_seen, &a.advisory_id, &a.package, &a.kind).cmp(&(
            &b.first_seen,
            &b.advisory_id,
            &b.package,
            &b.kind,
        ))
    });
    let open_findings: Vec<FindingRecord> = finding_records
        .iter()
        .filter(|f| f.resolved_at.is_none())
        .cloned()
        .collect();

    // Coverage and gaps (by day, within the period).
    let covered: BTreeSet<Date> = timeline
        .iter()
        .filter_map(|(_, t, _, _)| day_of(t))
        .filter(|d| *d >= start && *d < as_of_exclusive)
        .collect();
    let max_gap = policy.evidence.max_gap_days;
    let mut gaps = Vec::new();
    let mut previous = start.previous_day().unwrap_or(start);
    for d in covered
        .iter()
        .copied()
        .chain(std::iter::once(as_of_exclusive))
    {
        let missing = (d - previous).whole_days() - 1;
        if missing > i64::from(max_gap) {
            gaps.push(Gap {
                from: format_date(previous.next_day().unwrap_or(previous)),
                to: format_date(d.previous_day().unwrap_or(d)),
                days: missing,
            });
        }
        previous = d;
    }

    // Database freshness over the period's audits.
    let period_audits: Vec<&crate::evidence::store::AuditPoint> = timeline
        .iter()
        .filter(|(_, t, _, _)| day_of(t).is_some_and(|d| d >= start))
        .collect();
    let database = DatabaseFreshness {
        latest_commit: period_audits.last().and_then(|r| r.3.clone()),
        max_age_days: period_audits.iter().filter_map(|r| r.2).max(),
        runs_with_stale_database: period_audits
            .iter()
            .filter(|r| {
                r.2.is_some_and(|a| a > i64::from(policy.audit.stale_warning_days))
            })
            .count(),
        stale_warning_days: policy.audit.stale_warning_days,
    };

    // Inventory at the end of the period against the last audit before it.
    let last_in_period = period_audits.last().map(|r| r.0.clone());
    let baseline = timeline
        .iter()
        .rev()
        .find(|(_, t, _, _)| day_of(t).is_some_and(|d| d < start))
        .map(|r| r.0.clone());
    let end_packages = match &last_in_period {
        Some(id) => store.packages_of(scope, id)?,
        None => Vec::new(),
    };
    let base_packages = match &baseline {
        Some(id) => store.packages_of(scope, id)?,
        None => Vec::new(),
    };
    let inventory = diff_inventory(&base_packages, &end_packages, baseline.is_some());

    // Release verifications, and the signed-commit share.
    let verifications = store.verifications(scope, &from, &to)?;
    let mut commits: BTreeMap<String, bool> = BTreeMap::new();
    for (_, command, v) in &verifications {
        if command == "verify commits" {
            let signed = commits
                .entry(v.digest.clone().unwrap_or_else(|| v.subject.clone()))
                .or_insert(false);
            *signed |= v.verdict == "verified";
        }
    }
    let releases = verifications
        .into_iter()
        .filter(|(_, command, _)| command != "verify commits")
        .map(|(time, command, v)| {
            let checks: Vec<Check> = serde_json::from_str(&v.checks).unwrap_or_default();
            let detail = |key: &str| checks.iter().find_map(|c| c.details.get(key).cloned());
            let ran = |prefix: &str| checks.iter().any(|c| c.code.starts_with(prefix));
            ReleaseVerification {
                time,
                artifact: v.subject,
                digest: v.digest,
                verdict: v.verdict,
                signer: detail("identity").or_else(|| detail("signer")),
                provenance: ran("verify:provenance").then(|| {
                    checks
                        .iter()
                        .filter(|c| c.code.starts_with("verify:provenance"))
                        .all(|c| c.verdict == crate::verify::model::Verdict::Verified)
                }),
                reproducible: (command == "verify rebuild")
                    .then(|| checks.iter().any(|c| c.code == "verify:reproducible")),
                failed_checks: checks
                    .iter()
                    .filter(|c| c.verdict != crate::verify::model::Verdict::Verified)
                    .map(|c| c.code.clone())
                    .collect(),
                command,
            }
        })
        .collect();

    // Open findings per day.
    let mut open_by_day = Vec::new();
    let mut day = start;
    let episodes: Vec<&Episode> = closed.iter().chain(&still_open).collect();
    while day < as_of_exclusive {
        let count = episodes
            .iter()
            .filter(|e| e.first_seen <= day && e.resolved.is_none_or(|r| r > day))
            .count();
        open_by_day.push(DayCount {
            day: format_date(day),
            open: count,
        });
        day = day.next_day().expect("dates in range");
    }

    let summary = Summary {
        audit_runs: runs_in_period.iter().filter(|r| r.kind == "audit").count(),
        verify_runs: runs_in_period.iter().filter(|r| r.kind == "verify").count(),
        days_in_period: (as_of_exclusive - start).whole_days(),
        days_covered: covered.len(),
        max_gap_days: max_gap,
        gaps,
        findings_total: finding_records.len(),
        findings_fixed: finding_records
            .iter()
            .filter(|f| f.resolved_at.is_some())
            .count(),
        findings_open: open_findings.len(),
        deadlines_met: finding_records
            .iter()
            .filter(|f| f.deadline == "met")
            .count(),
        deadlines_missed: finding_records
            .iter()
            .filter(|f| f.deadline == "missed")
            .count(),
        commits_checked: commits.len(),
        commits_signed: commits.values().filter(|s| **s).count(),
    };
    Ok(QuarterReport {
        schema_version: SCHEMA_VERSION,
        tenant_id: scope.tenant_id.clone(),
        project_id: scope.project_id.clone(),
        period: Period {
            quarter: quarter.label(),
            start: format_date(start),
            end: format_date(end.previous_day().unwrap_or(end)),
            as_of: format_date(last_day),
        },
        summary,
        database,
        inventory,
        findings: finding_records,
        open_findings,
        accepted_risks: accepted_risks.into_values().collect(),
        releases,
        open_by_day,
    })
}

fn versions_by_name(packages: &[PackageRow]) -> BTreeMap<String, BTreeSet<String>> {
    let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in packages {
        map.entry(p.name.clone())
            .or_default()
            .insert(p.version.clone());
    }
    map
}

fn diff_inventory(before: &[PackageRow], after: &[PackageRow], has_baseline: bool) -> Inventory {
    let b = versions_by_name(before);
    let a = versions_by_name(after);
    let list = |m: &BTreeMap<String, BTreeSet<String>>, name: &str| {
        m[name].iter().cloned().collect::<Vec<_>>()
    };
    let mut added = Vec::new();
    let mut updated = Vec::new();
    for name in a.keys() {
        match b.get(name) {
            None => added.push(PackageVersion {
                name: name.clone(),
                versions: list(&a, name),
            }),
            Some(old) if *old != a[name] => updated.push(PackageUpdate {
                name: name.clone(),
                from: old.iter().cloned().collect(),
                to: list(&a, name),
            }),
            Some(_) => {}
        }
    }
    let removed = b
        .keys()
        .filter(|n| !a.contains_key(*n))
        .map(|n| PackageVersion {
            name: n.clone(),
            versions: list(&b, n),
        })
        .collect();
    Inventory {
        package_count: after.len(),
        has_baseline,
        added: if has_baseline { added } else { Vec::new() },
        removed,
        updated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters() {
        let q = Quarter::parse("2026-Q4").unwrap();
        assert_eq!(format_date(q.start()), "2026-10-01");
        assert_eq!(format_date(q.end()), "2027-01-01");
        let q = Quarter::parse("2026-Q1").unwrap();
        assert_eq!(format_date(q.end()), "2026-04-01");
        assert!(Quarter::parse("2026-Q5").is_err());
        assert!(Quarter::parse("Q4-2026").is_err());
    }
}
