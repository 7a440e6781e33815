//! The quarterly report model: the JSON schema of `chainwarden report --format json`, and what
//! the Markdown and HTML renderers read. Everything is sorted, and nothing depends on when the
//! report is written, so the same evidence gives the same bytes.

use serde::Serialize;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct QuarterReport {
    pub schema_version: u32,
    pub tenant_id: String,
    pub project_id: String,
    pub period: Period,
    pub summary: Summary,
    pub database: DatabaseFreshness,
    pub inventory: Inventory,
    pub findings: Vec<FindingRecord>,
    pub open_findings: Vec<FindingRecord>,
    pub accepted_risks: Vec<AcceptedRisk>,
    pub releases: Vec<ReleaseVerification>,
    /// Open findings on each day of the period (for the chart).
    pub open_by_day: Vec<DayCount>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Period {
    pub quarter: String,
    /// First day.
    pub start: String,
    /// Last day.
    pub end: String,
    /// Evidence is considered up to this day (the quarter's last day, or today if earlier).
    pub as_of: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    pub from: String,
    pub to: String,
    pub days: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub audit_runs: usize,
    pub verify_runs: usize,
    pub days_in_period: i64,
    pub days_covered: usize,
    pub max_gap_days: u32,
    /// Stretches without an audit longer than the policy's `evidence.max_gap_days`.
    pub gaps: Vec<Gap>,
    pub findings_total: usize,
    pub findings_fixed: usize,
    pub findings_open: usize,
    pub deadlines_met: usize,
    pub deadlines_missed: usize,
    /// Distinct commits checked by `verify commits` in the period, and how many were signed by
    /// a trusted key.
    pub commits_checked: usize,
    pub commits_signed: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatabaseFreshness {
    pub latest_commit: Option<String>,
    pub max_age_days: Option<i64>,
    pub runs_with_stale_database: usize,
    pub stale_warning_days: u32,
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
pub struct Inventory {
    /// Packages at the last audit of the period.
    pub package_count: usize,
    /// Whether an audit before the period exists to compare with.
    pub has_baseline: bool,
    /// New since the previous quarter: flagged for the review the policy asks for.
    pub added: Vec<PackageVersion>,
    pub removed: Vec<PackageVersion>,
    pub updated: Vec<PackageUpdate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FindingRecord {
    pub kind: String,
    pub advisory_id: String,
    pub package: String,
    /// Versions seen while the finding was open.
    pub versions: Vec<String>,
    pub severity: Option<String>,
    pub first_seen: String,
    pub resolved_at: Option<String>,
    /// Days from first seen to resolved (or to `as_of` while open).
    pub days_open: i64,
    pub deadline_days: u32,
    pub due: String,
    /// `met`, `missed`, `pending` (open, not yet due) or `accepted` (an ignore holds).
    pub deadline: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AcceptedRisk {
    pub advisory_id: String,
    pub package: String,
    pub reason: String,
    pub approved_by: String,
    pub expires: String,
    pub expired: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReleaseVerification {
    pub time: String,
    pub command: String,
    pub artifact: String,
    pub digest: Option<String>,
    pub verdict: String,
    /// Signer identity, when a signature check recorded one.
    pub signer: Option<String>,
    /// Whether provenance was verified, when a provenance check ran.
    pub provenance: Option<bool>,
    /// Whether an independent rebuild reproduced it, when one ran.
    pub reproducible: Option<bool>,
    /// The failed checks' codes.
    pub failed_checks: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DayCount {
    pub day: String,
    pub open: usize,
}
