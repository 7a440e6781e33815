//! The quarterly report model: the JSON schema of `chainwarden report --format json` (version
//! 2), and what the Markdown and HTML renderers read. Everything is sorted, and nothing
//! depends on anything but the evidence and `--now`, so the same evidence gives the same bytes.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::audit::model::PolicyVerdict;
use crate::evidence::chain::Break;
use crate::evidence::{Origin, PolicyInForce, RunKind};
use crate::finding::{FindingKind, Severity};
use crate::verify::model::Verdict;

pub use super::states::{
    DeviationCategory, DeviationKind, ExceptionStatus, FindingCategory, FindingState, SeverityBand,
    SlaState,
};

pub const SCHEMA_VERSION: u32 = 2;

#[derive(Debug, Clone, Serialize)]
pub struct QuarterReport {
    pub schema_version: u32,
    pub title: String,
    pub tenant_id: String,
    pub project_id: String,
    pub period: Period,
    pub generated: Generated,
    pub integrity: Integrity,
    pub summary: Summary,
    /// Every policy in force during the period (and the one in force at its start).
    pub policies: Vec<PolicyRecord>,
    pub presentation_policy: PresentationPolicy,
    /// Expected against recorded scans, per lockfile.
    pub coverage: Vec<Coverage>,
    /// Every scan of the period with its inputs.
    pub scans: Vec<ScanRecord>,
    /// One record per finding (lockfile, kind, advisory, crate) open at any time in the period.
    pub findings: Vec<FindingRecord>,
    pub sla: Vec<SlaRow>,
    pub oldest_open: Option<String>,
    pub exceptions: Vec<ExceptionRecord>,
    pub deviations: Vec<Deviation>,
    /// Deviations per kind (sums to `deviations.len()`).
    pub deviation_counts: BTreeMap<String, usize>,
    pub inventory: Vec<InventoryChange>,
    pub releases: Vec<ReleaseCheck>,
    pub commits: Commits,
    pub signoff: SignOff,
    /// Open findings each day of the period, for the ageing chart.
    pub open_by_day: Vec<DayCount>,
    /// The advisory subscription: detection latency and notifications per vulnerability.
    pub subscription: Subscription,
}

/// The "Subscription" section (see `report::subscription`).
#[derive(Debug, Clone, Serialize)]
pub struct Subscription {
    /// The `[subscription]` of the policy in force at the end of the period.
    pub max_detection_days: Option<u32>,
    pub notify: Vec<String>,
    pub watch_runs: usize,
    pub deliveries_verified: usize,
    /// Delivery records that do not verify (also an integrity problem).
    pub delivery_breaks: Vec<String>,
    /// One per vulnerability of the findings table.
    pub rows: Vec<SubscriptionRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SubscriptionRow {
    /// The finding's `F-NNN`.
    pub finding: String,
    pub advisory_id: String,
    pub package: String,
    /// The advisory's date.
    pub published: Option<String>,
    pub first_detected: String,
    pub first_run: String,
    /// `audit` or `watch`.
    pub detected_by: RunKind,
    /// Days from publication to first detection.
    pub detection_days: Option<i64>,
    /// The first delivery to each kind of sink that told of it.
    pub first_notified: Vec<FirstNotified>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FirstNotified {
    pub sink: String,
    pub time: String,
    pub run_id: String,
    /// Issue number or HTTP status.
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Period {
    pub quarter: String,
    /// First day (UTC).
    pub start: String,
    /// Last day (UTC).
    pub end: String,
    /// Evidence is considered up to the end of this day (the quarter's last day, or today).
    pub as_of: String,
    pub timezone: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Generated {
    pub tool: String,
    pub tool_version: String,
    /// When the report was generated (`--now` pins it for reproducible output).
    pub time: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Integrity {
    /// Whether every stored run of the scope verified and the chain is unbroken.
    pub chain_intact: bool,
    /// `--allow-broken-evidence` was given and the chain is broken: the report says so on
    /// every page.
    pub broken_evidence_allowed: bool,
    pub runs_stored: usize,
    pub runs_verified: usize,
    pub chain_head_seq: Option<i64>,
    pub chain_head_hash: Option<String>,
    pub breaks: Vec<Break>,
    /// Runs imported without a signature (counted; their content is still chained).
    pub unsigned_imports: usize,
    pub signed_imports: usize,
    /// SHA-256 of this JSON document with this field empty.
    pub content_sha256: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyRecord {
    pub sha256: String,
    /// First and last run recorded under it (UTC times).
    pub first_used: String,
    pub last_used: String,
    pub runs: usize,
    pub policy: PolicyInForce,
}

#[derive(Debug, Clone, Serialize)]
pub struct PresentationPolicy {
    /// The `--policy` given to `report` (its roles and title are used), when one was.
    pub sha256: Option<String>,
    /// Whether its rules differ from the policy in force at the end of the period. Findings
    /// are judged by the recorded policies in any case.
    pub differs_from_recorded: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub lockfiles: usize,
    pub audit_runs: usize,
    pub scheduled_runs: usize,
    pub triggered_runs: usize,
    pub verify_runs: usize,
    pub expected_scans: usize,
    pub expected_scans_met: usize,
    pub missed_scans: usize,
    pub findings_total: usize,
    pub vulnerabilities: usize,
    pub informational: usize,
    pub open_at_start: usize,
    pub open_at_end: usize,
    pub new_in_period: usize,
    pub closed_in_period: usize,
    pub sla_breaches: usize,
    pub deviations: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    pub from: String,
    pub to: String,
    pub days: i64,
    /// Longer than the policy's `max_gap_days`: a deviation.
    pub deviation: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub lockfile: String,
    pub cadence: String,
    pub expected: usize,
    pub met: usize,
    /// First day of every expected window without a scan.
    pub missed_days: Vec<String>,
    pub gaps: Vec<Gap>,
    pub scans: usize,
    pub scheduled: usize,
    pub triggered: usize,
    pub stale_scans: usize,
    /// Days of the period with a scan of this lockfile (for the calendar).
    pub scanned_days: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScanRecord {
    pub run_id: String,
    pub seq: i64,
    pub time: String,
    pub lockfile: String,
    pub lockfile_sha256: String,
    /// The lockfile's bytes differ from the previous scan of it.
    pub lockfile_changed: bool,
    pub commit: Option<String>,
    pub trigger: String,
    pub origin: Origin,
    pub tool_version: String,
    pub database_commit: Option<String>,
    pub database_age_days: Option<i64>,
    pub database_stale: bool,
    pub policy_sha256: String,
    pub verdict: PolicyVerdict,
    pub findings: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct StateChange {
    pub date: String,
    pub run_id: String,
    pub state: FindingState,
}

#[derive(Debug, Clone, Serialize)]
pub struct Closure {
    pub date: String,
    pub run_id: String,
    pub time: String,
    pub lockfile_sha256: String,
    pub commit: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Vex {
    /// OpenVEX status: `fixed` or `affected` (an accepted risk is `affected`, never
    /// `not_affected`).
    pub status: crate::vex::Status,
    pub action_statement: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FindingRecord {
    /// `F-NNN`, stable for the same evidence.
    pub id: String,
    pub lockfile: String,
    pub kind: FindingKind,
    pub category: FindingCategory,
    pub advisory_id: String,
    pub aliases: Vec<String>,
    pub title: String,
    pub package: String,
    /// Versions seen while the finding was open (semver order).
    pub versions: Vec<String>,
    pub dependency_path: Option<String>,
    pub severity: Option<Severity>,
    /// The CVSS vector, or `unscored`.
    pub severity_source: String,
    pub first_seen: String,
    pub first_run: String,
    /// Digest of the policy in force at detection, which sets the deadline.
    pub policy_sha256: String,
    pub deadline_days: u32,
    /// `None` when the due date is past 9999-12-31.
    pub due: Option<String>,
    /// `open` or `fixed`.
    pub state: FindingState,
    pub resolved: Option<Closure>,
    pub days_open: i64,
    pub sla: SlaState,
    pub breached_on: Option<String>,
    pub history: Vec<StateChange>,
    pub vex: Vex,
}

#[derive(Debug, Clone, Serialize)]
pub struct SlaRow {
    pub severity: SeverityBand,
    pub closed_within_sla: usize,
    pub closed_late: usize,
    pub open_within_sla: usize,
    pub open_overdue: usize,
    pub excepted: usize,
    /// Mean and longest days from first detection to the fixing scan (closed findings).
    pub mean_days_to_fix: Option<String>,
    pub longest_days_to_fix: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExceptionVersion {
    /// First run recorded under a policy holding this version.
    pub in_force_from: String,
    pub policy_sha256: String,
    pub reason: String,
    pub requested_by: Option<String>,
    pub approved_by: String,
    pub approved_on: Option<String>,
    pub expires: String,
    pub compensating_control: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExceptionRecord {
    pub advisory_id: String,
    /// The findings (ids) it covered.
    pub findings: Vec<String>,
    /// Every version in force during the period: a renewal adds one.
    pub history: Vec<ExceptionVersion>,
    pub renewals: usize,
    pub status: ExceptionStatus,
    pub expired_on: Option<String>,
    /// Separation of duties and the policy's approver roles.
    pub approval_problems: Vec<String>,
    pub vex: Vex,
}

#[derive(Debug, Clone, Serialize)]
pub struct Deviation {
    pub date: String,
    pub kind: DeviationKind,
    /// The auditor's category, set by the kind.
    pub category: DeviationCategory,
    pub run_id: Option<String>,
    pub subject: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PackageVersion {
    pub name: String,
    pub versions: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PackageUpdate {
    pub name: String,
    pub from: Vec<String>,
    pub to: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InventoryChange {
    pub lockfile: String,
    pub package_count: usize,
    pub has_baseline: bool,
    pub added: Vec<PackageVersion>,
    pub removed: Vec<PackageVersion>,
    pub updated: Vec<PackageUpdate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReleaseCheck {
    pub run_id: String,
    pub time: String,
    pub command: String,
    pub tool_version: String,
    pub artifact: String,
    pub digest: Option<String>,
    pub verdict: Verdict,
    pub signer: Option<String>,
    pub provenance: Option<bool>,
    pub reproducible: Option<bool>,
    pub failed_checks: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CommitRow {
    pub commit: String,
    pub run_id: String,
    pub time: String,
    pub verdict: Verdict,
    pub failed_checks: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Commits {
    pub runs: usize,
    pub checked: usize,
    pub signed: usize,
    pub unsigned: Vec<CommitRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SignOff {
    pub prepared_by: String,
    pub control_owner: Option<String>,
    pub reviewers: Vec<String>,
    pub approvers: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DayCount {
    pub day: String,
    pub vulnerabilities: usize,
    pub informational: usize,
    /// Whether any lockfile of the scope was scanned that day.
    pub scanned: bool,
}

/// `report --all-projects`: one row per project of the tenant, then each project's report.
#[derive(Debug, Clone, Serialize)]
pub struct OrgReport {
    pub schema_version: u32,
    pub tenant_id: String,
    pub period: Period,
    pub generated: Generated,
    pub projects: Vec<OrgRow>,
    pub totals: OrgRow,
    pub reports: Vec<QuarterReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrgRow {
    pub project_id: String,
    pub expected_scans: usize,
    pub expected_scans_met: usize,
    pub open_overdue: usize,
    pub findings: usize,
    pub deviations: usize,
    pub chain_intact: bool,
}
