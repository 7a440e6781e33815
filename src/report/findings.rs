//! Findings over the quarter: one record per (lockfile, kind, advisory, crate) episode, from
//! the first scan that reports it to the first later scan *of the same lockfile* that does
//! not (the closure proof). Each is judged by the policy in force when it was detected; days
//! under a valid exception do not count against its deadline.

use std::collections::BTreeMap;

use time::Date;

use super::compute::{add_days, day_of, sort_versions, Span};
use super::coverage::by_lockfile;
use super::model::*;
use crate::audit::model::{Finding, FindingKind, FindingStatus};
use crate::clock::{format_date, parse_date};
use crate::evidence::VerifiedRun;
use crate::vex::Status as VexStatus;

type Key = (String, String, String);

/// One episode of a finding.
pub(super) struct Episode<'a> {
    pub lockfile: String,
    pub sightings: Vec<(Date, &'a VerifiedRun, &'a Finding)>,
    pub resolved: Option<(Date, &'a VerifiedRun)>,
}

impl Episode<'_> {
    fn first_day(&self) -> Date {
        self.sightings[0].0
    }
    fn last(&self) -> &Finding {
        self.sightings.last().expect("an episode has a sighting").2
    }
}

fn state_of(f: &Finding) -> FindingState {
    match f.status {
        FindingStatus::Open => FindingState::Open,
        FindingStatus::Ignored => FindingState::Excepted,
        FindingStatus::IgnoreExpired => FindingState::ExceptionExpired,
    }
}

/// Whether an exception excused the finding on `day`: the latest sighting up to that day
/// was excepted, and its exception had not expired.
fn excused(ep: &Episode<'_>, day: Date) -> bool {
    ep.sightings
        .iter()
        .rev()
        .find(|(d, _, _)| *d <= day)
        .is_some_and(|(_, _, f)| {
            f.status == FindingStatus::Ignored
                && f.ignore
                    .as_ref()
                    .and_then(|i| parse_date(&i.expires).ok())
                    .is_some_and(|e| e >= day)
        })
}

pub(super) fn episodes(runs: &[VerifiedRun]) -> Vec<Episode<'_>> {
    let mut done = Vec::new();
    for (lockfile, list) in by_lockfile(runs) {
        let mut open: BTreeMap<Key, Episode<'_>> = BTreeMap::new();
        for run in list {
            let (Some(day), Some(audit)) = (day_of(&run.time), run.audit()) else {
                continue;
            };
            let mut present: BTreeMap<Key, Vec<&Finding>> = BTreeMap::new();
            for f in &audit.findings {
                let key = (
                    f.kind.as_str().to_string(),
                    f.advisory_id.clone(),
                    f.package.clone(),
                );
                present.entry(key).or_default().push(f);
            }
            let gone: Vec<Key> = open
                .keys()
                .filter(|k| !present.contains_key(*k))
                .cloned()
                .collect();
            for k in gone {
                let mut e = open.remove(&k).expect("listed from the map");
                e.resolved = Some((day, run));
                done.push(e);
            }
            for (key, fs) in present {
                let e = open.entry(key).or_insert_with(|| Episode {
                    lockfile: lockfile.clone(),
                    sightings: Vec::new(),
                    resolved: None,
                });
                for f in fs {
                    e.sightings.push((day, run, f));
                }
            }
        }
        done.extend(open.into_values());
    }
    done
}

pub(super) struct Found {
    pub records: Vec<FindingRecord>,
    pub open_at_start: usize,
    pub oldest_open: Option<String>,
    pub open_by_day: Vec<DayCount>,
}

/// Finding `id` (`F-NNN`) of episode `ep`; its SLA breach, if any, is a deviation.
fn record(ep: &Episode<'_>, id: String, span: &Span, dev: &mut Vec<Deviation>) -> FindingRecord {
    let (first_day, first_run, first) = ep.sightings[0];
    let last = ep.last();
    let deadline_days = first_run.policy.days_for(first.kind, first.severity);
    let due = add_days(first_day, i64::from(deadline_days));
    let (sla, breach) = sla_of(ep, due, ep.resolved.map_or(span.until, |r| r.0));
    let (history, resolved) = history(ep);
    let mut versions: Vec<String> = ep.sightings.iter().map(|s| s.2.version.clone()).collect();
    sort_versions(&mut versions);
    versions.dedup();
    if let Some(b) = breach {
        let shown_by = ep
            .sightings
            .iter()
            .rev()
            .find(|s| s.0 <= b)
            .map(|s| s.1.run_id.clone());
        dev.push(Deviation::new(
            DeviationKind::SlaBreach,
            format_date(b),
            shown_by,
            format!(
                "{id} {} in {} ({})",
                first.advisory_id, first.package, ep.lockfile
            ),
            format!(
                "open past its due date {} ({} days allowed for {} by policy {})",
                due.map(format_date).unwrap_or_default(),
                deadline_days,
                SeverityBand::of(first.kind, first.severity),
                crate::text::prefix(&first_run.policy_sha256, 12)
            ),
        ));
    }
    let until = ep.resolved.map_or(span.last, |r| r.0);
    FindingRecord {
        id,
        lockfile: ep.lockfile.clone(),
        kind: first.kind,
        category: if first.kind == FindingKind::Vulnerability {
            FindingCategory::Vulnerability
        } else {
            FindingCategory::Informational
        },
        advisory_id: first.advisory_id.clone(),
        aliases: last.aliases.clone(),
        title: last.title.clone(),
        package: first.package.clone(),
        versions,
        dependency_path: last.paths.first().map(|p| {
            let shown: Vec<&str> = p.iter().take(12).map(String::as_str).collect();
            let more = if p.len() > 12 { " > ..." } else { "" };
            format!("{}{more}", shown.join(" > "))
        }),
        severity: first.severity,
        severity_source: first
            .cvss_vector
            .clone()
            .unwrap_or_else(|| "unscored".into()),
        first_seen: format_date(first_day),
        first_run: first_run.run_id.clone(),
        policy_sha256: first_run.policy_sha256.clone(),
        deadline_days,
        due: due.map(format_date),
        state: if resolved.is_some() {
            FindingState::Fixed
        } else {
            FindingState::Open
        },
        vex: vex_of(resolved.is_some(), last, due),
        resolved,
        days_open: (until - first_day).whole_days(),
        sla,
        breached_on: breach.map(format_date),
        history,
    }
}

/// The episode against its due date, up to `end` (its fix, or the end of the evidence): the
/// first day past due that no exception excused is the breach.
fn sla_of(ep: &Episode<'_>, due: Option<Date>, end: Date) -> (SlaState, Option<Date>) {
    let (mut breach, mut excused_past_due) = (None, false);
    if let Some(due) = due {
        let mut d = due.next_day();
        while let Some(day) = d.filter(|d| *d < end) {
            if excused(ep, day) {
                excused_past_due = true;
            } else {
                breach = Some(day);
                break;
            }
            d = day.next_day();
        }
    }
    let sla = match (ep.resolved.is_some(), breach.is_some(), excused_past_due) {
        (true, true, _) => SlaState::ClosedLate,
        (false, true, _) => SlaState::OpenOverdue,
        (_, false, true) => SlaState::Excepted,
        (true, false, false) => SlaState::ClosedWithinSla,
        (false, false, false) => SlaState::OpenWithinSla,
    };
    (sla, breach)
}

/// Each change of state, with the run that showed it, ending `fixed` with the closure proof
/// (the first later scan of the same lockfile without the finding).
fn history(ep: &Episode<'_>) -> (Vec<StateChange>, Option<Closure>) {
    let mut history: Vec<StateChange> = Vec::new();
    for (d, run, f) in &ep.sightings {
        let state = state_of(f);
        if history.last().is_none_or(|h| h.state != state) {
            history.push(StateChange {
                date: format_date(*d),
                run_id: run.run_id.clone(),
                state,
            });
        }
    }
    let resolved = ep.resolved.map(|(d, run)| {
        history.push(StateChange {
            date: format_date(d),
            run_id: run.run_id.clone(),
            state: FindingState::Fixed,
        });
        Closure {
            date: format_date(d),
            run_id: run.run_id.clone(),
            time: run.time.clone(),
            lockfile_sha256: run
                .audit()
                .map(|a| a.lockfile.sha256.clone())
                .unwrap_or_default(),
            commit: run.git_commit.clone(),
        }
    });
    (history, resolved)
}

/// The OpenVEX statement: `fixed`, or `affected` with the accepted risk or what to do by when.
fn vex_of(fixed: bool, last: &Finding, due: Option<Date>) -> Vex {
    let (status, action) = match (fixed, last.status, &last.ignore) {
        (true, _, _) => (VexStatus::Fixed, None),
        (false, FindingStatus::Ignored, Some(i)) => (
            VexStatus::Affected,
            Some(format!(
                "Risk accepted by {} until {}: {}",
                i.approved_by, i.expires, i.reason
            )),
        ),
        (false, _, _) => (
            VexStatus::Affected,
            Some(match (&last.fix, due) {
                (Some(fix), Some(due)) => {
                    format!("Upgrade to {} by {}", fix.version, format_date(due))
                }
                (None, Some(due)) => format!("Remediate by {}", format_date(due)),
                _ => "Remediate".into(),
            }),
        ),
    };
    Vex {
        status,
        action_statement: action,
    }
}

pub(super) fn build(runs: &[VerifiedRun], span: &Span, dev: &mut Vec<Deviation>) -> Found {
    let eps = episodes(runs);
    let overlaps = |e: &&Episode<'_>| {
        e.first_day() < span.until && e.resolved.is_none_or(|r| r.0 >= span.start)
    };
    let mut chosen: Vec<&Episode<'_>> = eps.iter().filter(overlaps).collect();
    chosen.sort_by(|a, b| {
        let key = |e: &Episode<'_>| {
            let f = e.sightings[0].2;
            (
                e.first_day(),
                e.lockfile.clone(),
                f.advisory_id.clone(),
                f.package.clone(),
                f.kind,
            )
        };
        key(a).cmp(&key(b))
    });
    let records: Vec<FindingRecord> = chosen
        .iter()
        .enumerate()
        .map(|(i, e)| record(e, format!("F-{:03}", i + 1), span, dev))
        .collect();
    let open_at_start = chosen.iter().filter(|e| e.first_day() < span.start).count();
    let oldest_open = records
        .iter()
        .filter(|r| r.resolved.is_none())
        .min_by(|a, b| (&a.first_seen, &a.id).cmp(&(&b.first_seen, &b.id)))
        .map(|r| {
            format!(
                "{} {} in {} {}: open since {} ({} days)",
                r.id,
                r.advisory_id,
                r.package,
                r.versions.join(", "),
                r.first_seen,
                r.days_open
            )
        });
    let scanned: std::collections::BTreeSet<Date> = runs
        .iter()
        .filter(|r| r.audit().is_some())
        .filter_map(|r| day_of(&r.time))
        .collect();
    let open_by_day = span
        .days()
        .map(|day| {
            let open = chosen
                .iter()
                .filter(|e| e.first_day() <= day && e.resolved.is_none_or(|r| r.0 > day));
            let (mut vulnerabilities, mut informational) = (0, 0);
            for e in open {
                if e.sightings[0].2.kind == FindingKind::Vulnerability {
                    vulnerabilities += 1;
                } else {
                    informational += 1;
                }
            }
            DayCount {
                day: format_date(day),
                vulnerabilities,
                informational,
                scanned: scanned.contains(&day),
            }
        })
        .collect();
    Found {
        records,
        open_at_start,
        oldest_open,
        open_by_day,
    }
}

/// SLA outcomes per severity, with time to fix.
pub(super) fn sla_table(records: &[FindingRecord]) -> Vec<SlaRow> {
    // Every band, `none` only when a finding has it.
    SeverityBand::ALL
        .iter()
        .copied()
        .filter(|b| *b != SeverityBand::None || records.iter().any(|r| r.band() == *b))
        .map(|band| {
            let rows: Vec<&FindingRecord> = records.iter().filter(|r| r.band() == band).collect();
            let count = |s: SlaState| rows.iter().filter(|r| r.sla == s).count();
            let fixed: Vec<i64> = rows
                .iter()
                .filter(|r| r.resolved.is_some())
                .map(|r| r.days_open)
                .collect();
            SlaRow {
                severity: band,
                closed_within_sla: count(SlaState::ClosedWithinSla),
                closed_late: count(SlaState::ClosedLate),
                open_within_sla: count(SlaState::OpenWithinSla),
                open_overdue: count(SlaState::OpenOverdue),
                excepted: count(SlaState::Excepted),
                mean_days_to_fix: (!fixed.is_empty()).then(|| {
                    format!(
                        "{:.1}",
                        fixed.iter().sum::<i64>() as f64 / fixed.len() as f64
                    )
                }),
                longest_days_to_fix: fixed.iter().copied().max(),
            }
        })
        .collect()
}
