//! The audit report model. It *is* the JSON schema (`schema_version` below): renderers for
//! human, SARIF and Markdown output read it; evidence stores it.
//!
//! Field order is the serialisation order, and every list is sorted before it is stored here,
//! so the same inputs give byte-identical JSON.

use serde::{Deserialize, Serialize};

pub use crate::finding::{DependencyKind, FindingKind, FindingStatus, Package, Severity};

/// Bumped on any incompatible change of the JSON output. Documented in README.md.
pub const SCHEMA_VERSION: u32 = 1;

/// Where a fix comes from: the advisory's `patched` ranges, or (when it lists none) its
/// `unaffected` ranges above the version in use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FixBasis {
    #[default]
    Patched,
    Unaffected,
}

/// The recommended fix for a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    /// Smallest patched (or unaffected) version above the one in use.
    pub version: String,
    /// Whether `cargo update -p NAME` can reach it (same semver-compatible series).
    pub semver_compatible: bool,
    #[serde(default)]
    pub basis: FixBasis,
    /// The ranges the fix comes from, as cargo-audit prints them (`>=0.26.0-beta.1`, several
    /// joined with ` OR `).
    #[serde(default)]
    pub requirement: String,
}

/// Why a finding is ignored (copied from the policy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IgnoreInfo {
    pub reason: String,
    pub approved_by: String,
    pub expires: String,
}

/// One finding: an advisory (or a yank) that applies to one package version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// Stable code, see [`FindingKind::code`].
    pub code: String,
    /// `RUSTSEC-YYYY-NNNN`; for yanked crates, `yanked`.
    pub advisory_id: String,
    pub package: String,
    pub version: String,
    /// Severity from the CVSS vector; `null` when the advisory has none.
    pub severity: Option<Severity>,
    pub cvss_score: Option<f64>,
    pub cvss_vector: Option<String>,
    pub title: String,
    pub date: Option<String>,
    pub aliases: Vec<String>,
    pub url: Option<String>,
    pub patched: Vec<String>,
    pub unaffected: Vec<String>,
    /// Affected functions (paths) as listed by the advisory.
    pub functions: Vec<String>,
    /// Shortest dependency paths from a workspace member (or a root of the lockfile) to the
    /// package: at most 5, each at most 10 steps (a longer one keeps its root and last steps
    /// around a `… N more …` step).
    pub paths: Vec<Vec<String>>,
    /// How many shortest paths there are in all (`paths` lists the first few).
    #[serde(default)]
    pub paths_total: u64,
    pub fix: Option<Fix>,
    pub status: FindingStatus,
    /// Whether this finding fails the policy (open, or ignore expired, and a failing kind and
    /// severity).
    pub fails_policy: bool,
    pub ignore: Option<IgnoreInfo>,
    /// Line of the package's `[[package]]` entry in the lockfile (for SARIF).
    pub lockfile_line: Option<usize>,
    /// `new` or `existing` when the audit had a baseline (`--baseline`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub baseline_state: Option<super::baseline::BaselineState>,
}

impl Finding {
    /// An open finding with only its identity set; callers fill in what they know.
    pub fn new(kind: FindingKind, advisory_id: &str, package: &str, version: &str) -> Finding {
        Finding {
            kind,
            code: kind.code().to_string(),
            advisory_id: advisory_id.to_string(),
            package: package.to_string(),
            version: version.to_string(),
            severity: None,
            cvss_score: None,
            cvss_vector: None,
            title: String::new(),
            date: None,
            aliases: Vec::new(),
            url: None,
            patched: Vec::new(),
            unaffected: Vec::new(),
            functions: Vec::new(),
            paths: Vec::new(),
            paths_total: 0,
            fix: None,
            status: FindingStatus::Open,
            fails_policy: false,
            ignore: None,
            lockfile_line: None,
            baseline_state: None,
        }
    }
}

/// The tenant and project a run was asked to run under (`--tenant`/`--project`, else the
/// policy's `[scope]`), each possibly unset, as the report shows them. Not the evidence key:
/// [`crate::evidence::Scope`] is what a run is stored under, where unset is `default`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclaredScope {
    pub tenant_id: Option<String>,
    pub project_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockfileInfo {
    pub path: String,
    /// SHA-256 of the lockfile bytes.
    pub sha256: String,
    /// Lockfile format version (1 to 4).
    pub format_version: u32,
    pub package_count: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseInfo {
    pub path: String,
    pub commit: Option<String>,
    /// Date of the database's last commit (RFC 3339), when known.
    pub updated: Option<String>,
    pub advisory_count: usize,
    /// Age in whole days against the run's clock, when the date is known.
    pub age_days: Option<i64>,
    pub stale: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GraphMode {
    /// Cargo.lock alone: every package counts (as cargo-audit does).
    Lockfile,
    /// Resolved with `cargo metadata`: dependency kinds and targets are known.
    Metadata,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub mode: GraphMode,
    pub target: Option<String>,
    pub exclude_dev: bool,
    pub yanked_checked: bool,
}

/// Findings per kind (the report's `summary`; the quarterly report's `Summary` is another thing).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingCounts {
    pub vulnerabilities: usize,
    pub unsound: usize,
    pub unmaintained: usize,
    pub notices: usize,
    pub yanked: usize,
    pub ignored: usize,
    pub failing: usize,
}

/// Whether the audit passes its policy (a verification's three-valued verdict is
/// `verify::model::Verdict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyVerdict {
    Pass,
    Fail,
}

impl PolicyVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyVerdict::Pass => "pass",
            PolicyVerdict::Fail => "fail",
        }
    }
}

impl std::fmt::Display for PolicyVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The whole result of one `chainwarden audit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditReport {
    pub schema_version: u32,
    pub tool_version: String,
    /// When the audit ran (RFC 3339, UTC).
    pub time: String,
    pub scope: DeclaredScope,
    pub lockfile: LockfileInfo,
    pub database: DatabaseInfo,
    pub settings: Settings,
    pub verdict: PolicyVerdict,
    /// Why the verdict is `fail`, one sentence each (failing findings, database age).
    #[serde(default)]
    pub failures: Vec<String>,
    pub summary: FindingCounts,
    /// Sorted by (kind, advisory id, package, version).
    pub findings: Vec<Finding>,
    /// Things the reader must know (offline yanked check skipped, stale database, ...).
    pub notes: Vec<String>,
    /// Every package, sorted by (name, version, source).
    pub inventory: Vec<Package>,
    /// The comparison with `--baseline`, when given.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub baseline: Option<super::baseline::BaselineInfo>,
}
