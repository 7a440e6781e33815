//! `[audit]`: what fails `chainwarden audit`, and the accepted risks (`[[audit.ignore]]`).

use std::collections::BTreeSet;

use serde::Deserialize;
use time::Date;
use toml::Spanned;

use super::Problems;
use crate::clock::parse_date;
use crate::finding::{FindingKind, Severity};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPolicy {
    /// Kinds of finding that fail the run.
    pub fail_on: BTreeSet<FindingKind>,
    /// Vulnerabilities below this severity do not fail the run. `None`: every vulnerability
    /// fails, scored or not (cargo-audit's behaviour).
    pub severity_threshold: Option<Severity>,
    /// Older databases fail the run (`None`: never).
    pub max_database_age_days: Option<u32>,
    /// Older databases give a warning.
    pub stale_warning_days: u32,
    /// Drop findings only dev-dependencies reach (needs `cargo metadata`).
    pub exclude_dev: bool,
    /// Check crates.io for yanked versions (online only).
    pub check_yanked: bool,
    pub ignore: Vec<Ignore>,
}

/// An accepted risk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    /// Advisory id, or one of its aliases (CVE, GHSA).
    pub id: String,
    pub reason: String,
    pub approved_by: String,
    /// Last day the ignore holds; from the next day on the finding fails again.
    pub expires: Date,
    /// VEX justification: the finding does not affect us (`chainwarden vex` then says
    /// `not_affected`); without one, an ignore is an accepted risk (`affected`).
    pub justification: Option<VexJustification>,
    /// Who asked for the exception, when and under what compensating control (the quarterly
    /// report's exception register; the approver must not be the requester).
    pub requested_by: Option<String>,
    pub approved_on: Option<Date>,
    pub compensating_control: Option<String>,
}

/// The OpenVEX `not_affected` justifications (a policy's ignore may state one; VEX
/// documents are read into them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VexJustification {
    ComponentNotPresent,
    VulnerableCodeNotPresent,
    VulnerableCodeNotInExecutePath,
    VulnerableCodeCannotBeControlledByAdversary,
    InlineMitigationsAlreadyExist,
}

impl VexJustification {
    pub const ALL: [VexJustification; 5] = [
        VexJustification::ComponentNotPresent,
        VexJustification::VulnerableCodeNotPresent,
        VexJustification::VulnerableCodeNotInExecutePath,
        VexJustification::VulnerableCodeCannotBeControlledByAdversary,
        VexJustification::InlineMitigationsAlreadyExist,
    ];

    /// The OpenVEX spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            VexJustification::ComponentNotPresent => "component_not_present",
            VexJustification::VulnerableCodeNotPresent => "vulnerable_code_not_present",
            VexJustification::VulnerableCodeNotInExecutePath => {
                "vulnerable_code_not_in_execute_path"
            }
            VexJustification::VulnerableCodeCannotBeControlledByAdversary => {
                "vulnerable_code_cannot_be_controlled_by_adversary"
            }
            VexJustification::InlineMitigationsAlreadyExist => "inline_mitigations_already_exist",
        }
    }

    pub fn parse(text: &str) -> Option<VexJustification> {
        VexJustification::ALL
            .into_iter()
            .find(|j| j.as_str() == text)
    }

    /// Every spelling, for error messages.
    pub fn expected() -> String {
        VexJustification::ALL
            .map(VexJustification::as_str)
            .join(", ")
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAudit {
    fail_on: Option<Vec<Spanned<String>>>,
    severity_threshold: Option<Spanned<String>>,
    max_database_age_days: Option<Spanned<i64>>,
    stale_warning_days: Option<Spanned<i64>>,
    exclude_dev: Option<bool>,
    check_yanked: Option<bool>,
    #[serde(default)]
    ignore: Vec<RawIgnore>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    id: Spanned<String>,
    reason: Spanned<String>,
    approved_by: Spanned<String>,
    expires: Spanned<toml::Value>,
    justification: Option<Spanned<String>>,
    requested_by: Option<String>,
    approved_on: Option<toml::Value>,
    compensating_control: Option<String>,
}

/// `RUSTSEC-YYYY-NNNN`, `CVE-YYYY-N{4,}` or `GHSA-xxxx-xxxx-xxxx`.
pub fn is_valid_advisory_id(id: &str) -> bool {
    let digits = |s: &str, min: usize, max: usize| {
        (min..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    let parts: Vec<&str> = id.split('-').collect();
    match parts.as_slice() {
        ["RUSTSEC", year, num] => digits(year, 4, 4) && digits(num, 4, 4),
        ["CVE", year, num] => digits(year, 4, 4) && digits(num, 4, 7),
        ["GHSA", a, b, c] => [a, b, c].iter().all(|p| {
            p.len() == 4
                && p.bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        }),
        _ => false,
    }
}

impl RawAudit {
    pub(super) fn validate(self, problems: &mut Problems<'_>) -> AuditPolicy {
        let mut fail_on = BTreeSet::new();
        match self.fail_on {
            None => {
                fail_on.insert(FindingKind::Vulnerability);
            }
            Some(kinds) => {
                for kind in kinds {
                    fail_on.extend(problems.word(
                        &kind,
                        FindingKind::parse,
                        (
                            "audit.fail_on",
                            "kind",
                            "vulnerability, unsound, unmaintained, notice, yanked",
                        ),
                    ));
                }
            }
        }
        let severity_threshold = self.severity_threshold.and_then(|s| {
            problems.word(
                &s,
                Severity::parse,
                (
                    "audit.severity_threshold",
                    "severity",
                    "none, low, medium, high, critical",
                ),
            )
        });
        let mut days = |field: &str, value: Option<Spanned<i64>>| {
            let v = value?;
            if (0..=36500).contains(v.get_ref()) {
                Some(*v.get_ref() as u32)
            } else {
                problems.at(
                    v.span(),
                    format!("audit.{field}: {} is not a number of days", v.get_ref()),
                );
                None
            }
        };
        let max_database_age_days = days("max_database_age_days", self.max_database_age_days);
        let stale_warning_days = days("stale_warning_days", self.stale_warning_days).unwrap_or(30);
        let ignore = self
            .ignore
            .into_iter()
            .enumerate()
            .filter_map(|(i, raw)| raw.validate(i, problems))
            .collect();
        AuditPolicy {
            fail_on,
            severity_threshold,
            max_database_age_days,
            stale_warning_days,
            exclude_dev: self.exclude_dev.unwrap_or(false),
            check_yanked: self.check_yanked.unwrap_or(true),
            ignore,
        }
    }
}

impl RawIgnore {
    fn validate(self, index: usize, problems: &mut Problems<'_>) -> Option<Ignore> {
        let field = |name: &str| format!("audit.ignore[{index}].{name}");
        let mut ok = true;
        if !is_valid_advisory_id(self.id.get_ref()) {
            problems.at(
                self.id.span(),
                format!(
                    "{}: `{}` is not an advisory id (RUSTSEC-YYYY-NNNN, CVE-YYYY-NNNN or GHSA-xxxx-xxxx-xxxx)",
                    field("id"),
                    self.id.get_ref()
                ),
            );
            ok = false;
        }
        for (name, value) in [("reason", &self.reason), ("approved_by", &self.approved_by)] {
            if value.get_ref().trim().is_empty() {
                problems.at(value.span(), format!("{}: must not be empty", field(name)));
                ok = false;
            }
        }
        // A TOML date literal (2026-12-31) or a string "2026-12-31".
        let expires_text = match self.expires.get_ref() {
            toml::Value::String(s) => Some(s.clone()),
            toml::Value::Datetime(dt) if dt.date.is_some() && dt.time.is_none() => {
                Some(dt.to_string())
            }
            _ => None,
        };
        let expires = match expires_text.as_deref().map(parse_date) {
            Some(Ok(date)) => Some(date),
            Some(Err(e)) => {
                problems.at(self.expires.span(), format!("{}: {e}", field("expires")));
                None
            }
            None => {
                problems.at(
                    self.expires.span(),
                    format!("{}: expected a date YYYY-MM-DD", field("expires")),
                );
                None
            }
        };
        let justification = self.justification.as_ref().and_then(|j| {
            let parsed = problems.word(
                j,
                VexJustification::parse,
                (
                    &field("justification"),
                    "VEX justification",
                    &VexJustification::expected(),
                ),
            );
            ok &= parsed.is_some();
            parsed
        });
        let approved_on = self.approved_on.as_ref().and_then(|v| match v {
            toml::Value::String(s) => parse_date(s).ok(),
            toml::Value::Datetime(dt) => parse_date(&dt.to_string()).ok(),
            _ => None,
        });
        match (ok, expires) {
            (true, Some(expires)) => Some(Ignore {
                id: self.id.into_inner(),
                reason: self.reason.into_inner(),
                approved_by: self.approved_by.into_inner(),
                expires,
                justification,
                requested_by: self.requested_by,
                approved_on,
                compensating_control: self.compensating_control,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advisory_ids() {
        assert!(is_valid_advisory_id("RUSTSEC-2020-0071"));
        assert!(is_valid_advisory_id("CVE-2020-26235"));
        assert!(is_valid_advisory_id("GHSA-wcg3-cvx6-7396"));
        assert!(!is_valid_advisory_id("RUSTSEC-20-0071"));
        assert!(!is_valid_advisory_id("GHSA-WCG3-cvx6-7396"));
        assert!(!is_valid_advisory_id("rustsec-2020-0071"));
    }
}
