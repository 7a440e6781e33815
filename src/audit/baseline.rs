//! `audit --baseline FILE`: compare this audit with a previous `--format json` output, so a pull
//! request is judged on what it introduces. Each finding becomes `new` or `existing`; findings
//! of the baseline that are gone are listed as `fixed`. A finding's identity is (kind, advisory
//! id, package, version): a version bump of a still-vulnerable crate is a new finding, as a
//! dependency review would say.
//!
//! The baseline is an input like any other: read bounded, parsed strictly ([`crate::json`]),
//! and every field we use is checked, with the file and the field named when one is wrong.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::model::{AuditReport, Finding, FindingKind, PolicyVerdict, SCHEMA_VERSION};
use crate::error::{Error, Result};
use crate::fsutil::{self, InputKind};

/// Whether a finding was already in the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BaselineState {
    New,
    Existing,
}

/// A finding of the baseline that this audit no longer has.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FixedFinding {
    pub kind: FindingKind,
    pub advisory_id: String,
    pub package: String,
    pub version: String,
    pub title: String,
}

/// What the comparison found; part of the report when `--baseline` was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineInfo {
    /// The baseline file as given.
    pub source: String,
    /// When the baseline audit ran.
    pub time: String,
    pub new: usize,
    pub existing: usize,
    /// Sorted by (kind, advisory id, package, version).
    pub fixed: Vec<FixedFinding>,
}

/// The findings of a previous audit.
#[derive(Debug, Clone)]
pub struct Baseline {
    source: String,
    time: String,
    findings: Vec<FixedFinding>,
}

/// A finding's identity across runs: (kind, advisory id, package, version).
pub type FindingKey = (FindingKind, String, String, String);

fn key_of(kind: FindingKind, advisory_id: &str, package: &str, version: &str) -> FindingKey {
    (
        kind,
        advisory_id.to_string(),
        package.to_string(),
        version.to_string(),
    )
}

impl Finding {
    pub fn key(&self) -> FindingKey {
        key_of(self.kind, &self.advisory_id, &self.package, &self.version)
    }
}

impl FixedFinding {
    pub fn key(&self) -> FindingKey {
        key_of(self.kind, &self.advisory_id, &self.package, &self.version)
    }

    /// `f` as a finding that is gone.
    pub fn of(f: &Finding) -> FixedFinding {
        FixedFinding {
            kind: f.kind,
            advisory_id: f.advisory_id.clone(),
            package: f.package.clone(),
            version: f.version.clone(),
            title: f.title.clone(),
        }
    }
}

impl Baseline {
    /// Reads a previous `chainwarden audit --format json` output.
    pub fn load(path: &Path) -> Result<Baseline> {
        let bytes = fsutil::read_bytes(path, InputKind::EvidenceExport)?;
        Baseline::parse(path, &bytes)
    }

    /// Parses an audit report's JSON; `path` names it in errors (a file, or a recorded run).
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Baseline> {
        let doc = crate::json::parse(bytes).map_err(|e| Error::Located {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: format!("not a chainwarden audit JSON document: {e}"),
        })?;
        let bad = |field: &str, what: &str| {
            Error::input(path, format!("baseline field `{field}`: {what}"))
        };
        match doc.get("schema_version").and_then(Value::as_u64) {
            Some(v) if v == u64::from(SCHEMA_VERSION) => {}
            Some(v) => {
                return Err(bad(
                    "schema_version",
                    &format!("version {v} is not {SCHEMA_VERSION}"),
                ))
            }
            None => {
                return Err(bad(
                    "schema_version",
                    "missing: expected `audit --format json` output",
                ))
            }
        }
        let time = doc
            .get("time")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let list = doc
            .get("findings")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("findings", "missing or not an array"))?;
        let mut findings = Vec::with_capacity(list.len());
        for (i, f) in list.iter().enumerate() {
            let field = |name: &str| -> Result<String> {
                f.get(name)
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| bad(&format!("findings[{i}].{name}"), "missing or not a string"))
            };
            let kind = field("kind")?;
            let kind = FindingKind::parse(&kind).ok_or_else(|| {
                bad(
                    &format!("findings[{i}].kind"),
                    &format!("unknown kind {kind:?}"),
                )
            })?;
            findings.push(FixedFinding {
                kind,
                advisory_id: field("advisory_id")?,
                package: field("package")?,
                version: field("version")?,
                title: f
                    .get("title")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            });
        }
        Ok(Baseline {
            source: path.display().to_string(),
            time,
            findings,
        })
    }

    /// A baseline of these findings (a watch builds one from every earlier run of a scope).
    pub fn from_findings(source: &str, time: &str, findings: Vec<FixedFinding>) -> Baseline {
        Baseline {
            source: source.to_string(),
            time: time.to_string(),
            findings,
        }
    }

    /// Marks every finding of `report` and lists what the baseline had that it has not.
    pub fn apply(&self, report: &mut AuditReport) {
        let before: BTreeSet<FindingKey> = self.findings.iter().map(FixedFinding::key).collect();
        let mut now = BTreeSet::new();
        let (mut new, mut existing) = (0, 0);
        for f in &mut report.findings {
            let k = f.key();
            let state = if before.contains(&k) {
                existing += 1;
                BaselineState::Existing
            } else {
                new += 1;
                BaselineState::New
            };
            f.baseline_state = Some(state);
            now.insert(k);
        }
        let mut fixed: Vec<FixedFinding> = self
            .findings
            .iter()
            .filter(|f| !now.contains(&f.key()))
            .cloned()
            .collect();
        fixed.sort();
        fixed.dedup();
        report.baseline = Some(BaselineInfo {
            source: self.source.clone(),
            time: self.time.clone(),
            new,
            existing,
            fixed,
        });
    }
}

/// `--fail-on new`: the run fails only on failing findings the baseline did not have. Other
/// reasons to fail (a database too old for the policy) stay: they are about this run.
pub fn gate_on_new(report: &mut AuditReport) {
    // The audit puts its "N findings fail the policy" first when there are failing findings.
    if report.summary.failing > 0 && !report.failures.is_empty() {
        report.failures.remove(0);
    }
    let new_failing = report
        .findings
        .iter()
        .filter(|f| f.fails_policy && f.baseline_state != Some(BaselineState::Existing))
        .count();
    if new_failing > 0 {
        report.failures.insert(
            0,
            format!("{new_failing} new finding(s) fail the policy (--fail-on new)"),
        );
    }
    report.verdict = if report.failures.is_empty() {
        PolicyVerdict::Pass
    } else {
        PolicyVerdict::Fail
    };
}

impl BaselineState {
    pub fn as_str(self) -> &'static str {
        match self {
            BaselineState::New => "new",
            BaselineState::Existing => "existing",
        }
    }
}

impl BaselineInfo {
    /// One line for the renderers: the counts and where the baseline came from.
    pub fn summary_line(&self) -> String {
        format!(
            "against baseline {} ({}): {} new, {} existing, {} fixed",
            self.source,
            if self.time.is_empty() {
                "time unknown"
            } else {
                &self.time
            },
            self.new,
            self.existing,
            self.fixed.len()
        )
    }
}

impl FixedFinding {
    pub fn describe(&self) -> String {
        format!(
            "{} {} {} {}: {}",
            self.kind.as_str(),
            self.advisory_id,
            self.package,
            self.version,
            self.title
        )
    }
}
