//! The exception register: every exception in force during the period, with each renewal as
//! a version of its history (read from the recorded policies), the findings it covered,
//! whether it expired while a finding was still open, and separation of duties.

use std::collections::BTreeMap;

use time::Date;

use super::compute::{day_of, Span};
use super::model::{
    Deviation, DeviationKind, ExceptionRecord, ExceptionStatus, ExceptionVersion, FindingRecord,
    FindingState, Vex,
};
use crate::clock::{format_date, parse_date};
use crate::evidence::VerifiedRun;

fn same_person(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

pub(super) fn build(
    runs: &[VerifiedRun],
    span: &Span,
    findings: &[FindingRecord],
    dev: &mut Vec<Deviation>,
) -> Vec<ExceptionRecord> {
    // Runs that count: the last one before the period (its policy was in force at the start)
    // and every run of the period.
    let start_index = runs
        .iter()
        .rposition(|r| day_of(&r.time).is_some_and(|d| d < span.start))
        .unwrap_or(0);
    let mut histories: BTreeMap<String, Vec<(ExceptionVersion, &VerifiedRun)>> = BTreeMap::new();
    for run in &runs[start_index.min(runs.len())..] {
        let Some(day) = day_of(&run.time) else {
            continue;
        };
        for e in &run.policy.exceptions {
            let version = ExceptionVersion {
                in_force_from: format_date(day.max(span.start)),
                policy_sha256: run.policy_sha256.clone(),
                reason: e.reason.clone(),
                requested_by: e.requested_by.clone(),
                approved_by: e.approved_by.clone(),
                approved_on: e.approved_on.clone(),
                expires: e.expires.clone(),
                compensating_control: e.compensating_control.clone(),
            };
            let h = histories.entry(e.id.clone()).or_default();
            let changed = h.last().is_none_or(|(v, _)| {
                (
                    &v.reason,
                    &v.requested_by,
                    &v.approved_by,
                    &v.approved_on,
                    &v.expires,
                    &v.compensating_control,
                ) != (
                    &version.reason,
                    &version.requested_by,
                    &version.approved_by,
                    &version.approved_on,
                    &version.expires,
                    &version.compensating_control,
                )
            });
            if changed {
                h.push((version, run));
            }
        }
    }
    histories
        .into_iter()
        .map(|(id, history)| register(id, history, span, findings, dev))
        .collect()
}

fn register(
    id: String,
    history: Vec<(ExceptionVersion, &VerifiedRun)>,
    span: &Span,
    findings: &[FindingRecord],
    dev: &mut Vec<Deviation>,
) -> ExceptionRecord {
    let covered: Vec<&FindingRecord> = findings
        .iter()
        .filter(|f| f.advisory_id == id || f.aliases.contains(&id))
        .collect();
    let (current, current_run) = history.last().expect("a history has a version");
    let last_expiry = parse_date(&current.expires).ok();
    let expired = expiry(&covered, last_expiry, span);
    if let Some(e) = &expired {
        dev.push(Deviation::new(
            DeviationKind::ExpiredException,
            e.date.clone(),
            e.run_id.clone(),
            format!("{id} ({})", e.finding),
            format!(
                "exception expired on {} without renewal while the finding was open",
                current.expires
            ),
        ));
    }
    let status = match (&expired, last_expiry) {
        (Some(_), _) => ExceptionStatus::Expired,
        (None, Some(e)) if e >= span.last => ExceptionStatus::Active,
        _ => ExceptionStatus::Ended,
    };
    let problems = approval_problems(&history, &covered);
    for (date, detail) in &problems {
        dev.push(Deviation::new(
            DeviationKind::ExceptionApproval,
            date.clone(),
            Some(current_run.run_id.clone()),
            id.clone(),
            detail.clone(),
        ));
    }
    let vex = Vex {
        status: crate::vex::Status::Affected,
        action_statement: Some(format!(
            "Risk accepted by {} until {}{}: {}",
            current.approved_by,
            current.expires,
            current
                .compensating_control
                .as_ref()
                .map(|c| format!("; compensating control: {c}"))
                .unwrap_or_default(),
            current.reason
        )),
    };
    ExceptionRecord {
        advisory_id: id,
        findings: covered.iter().map(|f| f.id.clone()).collect(),
        renewals: history.len() - 1,
        history: history.into_iter().map(|(v, _)| v).collect(),
        status,
        expired_on: expired.map(|e| e.date),
        approval_problems: problems
            .into_iter()
            .map(|(date, detail)| format!("{date}: {detail}"))
            .collect(),
        vex,
    }
}

/// When an exception expired while a finding it covered was open.
struct Expiry {
    date: String,
    /// The run that saw the finding's exception lapse, when one did.
    run_id: Option<String>,
    finding: String,
}

/// Expired: a covered finding's history shows the exception lapsing, or it is still open,
/// last seen excepted, past the last expiry.
fn expiry(covered: &[&FindingRecord], last_expiry: Option<Date>, span: &Span) -> Option<Expiry> {
    let lapsed = covered.iter().find_map(|f| {
        f.history
            .iter()
            .find(|h| h.state == FindingState::ExceptionExpired)
            .map(|h| Expiry {
                date: h.date.clone(),
                run_id: Some(h.run_id.clone()),
                finding: f.id.clone(),
            })
    });
    let open_past = || {
        covered
            .iter()
            .filter(|f| f.resolved.is_none())
            .filter(|_| last_expiry.is_some_and(|e| e < span.last))
            .find(|f| {
                f.history
                    .last()
                    .is_some_and(|h| h.state == FindingState::Excepted)
            })
            .map(|f| Expiry {
                date: last_expiry
                    .and_then(|e| e.next_day())
                    .map(format_date)
                    .unwrap_or_default(),
                run_id: None,
                finding: f.id.clone(),
            })
    };
    lapsed.or_else(open_past)
}

/// Separation of duties and the policy's approver roles, for every version in force:
/// (the day it came into force, the problem).
fn approval_problems(
    history: &[(ExceptionVersion, &VerifiedRun)],
    covered: &[&FindingRecord],
) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    for (v, run) in history {
        let mut add = |detail: String| problems.push((v.in_force_from.clone(), detail));
        match &v.requested_by {
            None => add("no requester recorded".into()),
            Some(r) if same_person(r, &v.approved_by) => {
                add(format!("approved by its requester ({})", v.approved_by))
            }
            Some(_) => {}
        }
        for f in covered {
            let sev = f.band();
            if let Some(allowed) = run.policy.report.exception_approvers.get(sev.as_str()) {
                if !allowed.iter().any(|a| same_person(a, &v.approved_by)) {
                    add(format!(
                        "a {sev} finding ({}) needs approval by {}, approved by {}",
                        f.id,
                        allowed.join(" or "),
                        v.approved_by
                    ));
                }
            }
        }
    }
    problems.dedup();
    problems
}
