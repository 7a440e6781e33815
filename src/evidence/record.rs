//! What one run contributes to the evidence store, built from a command's report and passed
//! through the redaction layer before anything is stored.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit::model::AuditReport;
use crate::redact::redact;
use crate::verify::model::VerifyReport;

/// The scope every stored row carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Scope {
    pub tenant_id: String,
    pub project_id: String,
}

impl Scope {
    /// Runs without a tenant or project are stored under `default`.
    pub const DEFAULT: &'static str = "default";

    pub fn new(tenant: Option<&str>, project: Option<&str>) -> Scope {
        Scope {
            tenant_id: tenant.unwrap_or(Scope::DEFAULT).to_string(),
            project_id: project.unwrap_or(Scope::DEFAULT).to_string(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct PackageRow {
    pub name: String,
    pub version: String,
    pub source: Option<String>,
}

#[derive(Debug, Clone)]
pub struct FindingRow {
    pub kind: String,
    pub advisory_id: String,
    pub package: String,
    pub version: String,
    pub severity: Option<String>,
    pub status: String,
    pub fails_policy: bool,
    pub ignore_reason: Option<String>,
    pub ignore_approved_by: Option<String>,
    pub ignore_expires: Option<String>,
}

#[derive(Debug, Clone)]
pub struct VerificationRow {
    pub subject: String,
    pub digest: Option<String>,
    pub verdict: String,
    /// The subject's checks as JSON.
    pub checks: String,
}

/// One run, ready to store. Build with [`RunRecord::from_audit`] / [`RunRecord::from_verify`].
#[derive(Debug, Clone)]
pub struct RunRecord {
    /// SHA-256 (first 32 hex digits) of the scope, kind and payload: the same run imported
    /// twice has the same id, so imports are idempotent.
    pub run_id: String,
    pub scope: Scope,
    pub kind: String,
    pub command: String,
    pub time: String,
    pub tool_version: String,
    pub git_commit: Option<String>,
    pub lockfile_sha256: Option<String>,
    pub db_commit: Option<String>,
    pub db_age_days: Option<i64>,
    pub verdict: String,
    /// The redacted JSON report.
    pub payload: String,
    pub packages: Vec<PackageRow>,
    pub findings: Vec<FindingRow>,
    pub verifications: Vec<VerificationRow>,
}

fn clean(text: &str) -> String {
    redact(text).into_owned()
}

fn run_id(scope: &Scope, kind: &str, payload: &str) -> String {
    let mut h = Sha256::new();
    for part in [
        scope.tenant_id.as_str(),
        scope.project_id.as_str(),
        kind,
        payload,
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..16])
}

impl RunRecord {
    pub fn from_audit(scope: Scope, report: &AuditReport, git_commit: Option<String>) -> RunRecord {
        let payload = clean(&serde_json::to_string(report).expect("report serialises"));
        // Rows come from the redacted payload, so nothing unredacted is stored anywhere.
        let report: AuditReport = serde_json::from_str(&payload).unwrap_or_else(|_| report.clone());
        RunRecord {
            run_id: run_id(&scope, "audit", &payload),
            scope,
            kind: "audit".into(),
            command: "audit".into(),
            time: report.time.clone(),
            tool_version: report.tool_version.clone(),
            git_commit,
            lockfile_sha256: Some(report.lockfile.sha256.clone()),
            db_commit: report.database.commit.clone(),
            db_age_days: report.database.age_days,
            verdict: serde_json::to_value(report.verdict)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            packages: report
                .inventory
                .iter()
                .map(|p| PackageRow {
                    name: p.name.clone(),
                    version: p.version.clone(),
                    source: p.source.clone(),
                })
                .collect(),
            findings: report
                .findings
                .iter()
                .map(|f| FindingRow {
                    kind: f.kind.as_str().to_string(),
                    advisory_id: f.advisory_id.clone(),
                    package: f.package.clone(),
                    version: f.version.clone(),
                    severity: f.severity.map(|s| s.as_str().to_string()),
                    status: serde_json::to_value(f.status)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default(),
                    fails_policy: f.fails_policy,
                    ignore_reason: f.ignore.as_ref().map(|i| i.reason.clone()),
                    ignore_approved_by: f.ignore.as_ref().map(|i| i.approved_by.clone()),
                    ignore_expires: f.ignore.as_ref().map(|i| i.expires.clone()),
                })
                .collect(),
            verifications: Vec::new(),
            payload,
        }
    }

    pub fn from_verify(
        scope: Scope,
        report: &VerifyReport,
        git_commit: Option<String>,
    ) -> RunRecord {
        let payload = clean(&serde_json::to_string(report).expect("report serialises"));
        let report: VerifyReport =
            serde_json::from_str(&payload).unwrap_or_else(|_| report.clone());
        RunRecord {
            run_id: run_id(&scope, "verify", &payload),
            scope,
            kind: "verify".into(),
            command: format!("verify {}", report.command),
            time: report.time.clone(),
            tool_version: report.tool_version.clone(),
            git_commit,
            lockfile_sha256: None,
            db_commit: None,
            db_age_days: None,
            verdict: report.verdict.as_str().to_string(),
            packages: Vec::new(),
            findings: Vec::new(),
            verifications: report
                .subjects
                .iter()
                .map(|s| VerificationRow {
                    subject: s.name.clone(),
                    digest: s.digest.clone(),
                    verdict: s.verdict.as_str().to_string(),
                    checks: serde_json::to_string(&s.checks).unwrap_or_default(),
                })
                .collect(),
            payload,
        }
    }

    /// Rebuilds a record from an exported line's parts (import).
    pub fn from_export(line: &ExportLine) -> std::result::Result<RunRecord, String> {
        let scope = Scope {
            tenant_id: line.tenant_id.clone(),
            project_id: line.project_id.clone(),
        };
        let payload = line.payload.to_string();
        match line.kind.as_str() {
            "audit" => {
                let report: AuditReport =
                    serde_json::from_str(&payload).map_err(|e| format!("audit payload: {e}"))?;
                Ok(RunRecord::from_audit(
                    scope,
                    &report,
                    line.git_commit.clone(),
                ))
            }
            "verify" => {
                let report: VerifyReport =
                    serde_json::from_str(&payload).map_err(|e| format!("verify payload: {e}"))?;
                Ok(RunRecord::from_verify(
                    scope,
                    &report,
                    line.git_commit.clone(),
                ))
            }
            other => Err(format!("unknown run kind `{other}`")),
        }
    }
}

/// One line of `chainwarden evidence export` (JSON Lines).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportLine {
    pub run_id: String,
    pub tenant_id: String,
    pub project_id: String,
    pub kind: String,
    pub command: String,
    pub time: String,
    pub git_commit: Option<String>,
    pub payload: serde_json::Value,
}
