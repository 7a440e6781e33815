//! `[deadlines]`: days allowed to fix a finding, by severity. The quarterly report measures
//! time to fix against these.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::Problems;
use crate::finding::{FindingKind, Severity};

/// Also the `deadlines` of the recorded policy in force (`evidence::PolicyInForce`): the field
/// names and their order are its JSON, and so part of every recorded policy's digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadlines {
    pub critical: u32,
    pub high: u32,
    pub medium: u32,
    pub low: u32,
    /// Vulnerabilities with no CVSS score.
    pub unscored: u32,
    /// Unsound, unmaintained, notice and yanked findings.
    pub informational: u32,
}

impl Deadlines {
    /// Days allowed for a finding of this kind and severity.
    pub fn days_for(&self, kind: FindingKind, severity: Option<Severity>) -> u32 {
        if kind != FindingKind::Vulnerability {
            return self.informational;
        }
        match severity {
            Some(Severity::Critical) => self.critical,
            Some(Severity::High) => self.high,
            Some(Severity::Medium) => self.medium,
            Some(Severity::Low) | Some(Severity::None) => self.low,
            None => self.unscored,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDeadlines {
    critical: Option<Spanned<i64>>,
    high: Option<Spanned<i64>>,
    medium: Option<Spanned<i64>>,
    low: Option<Spanned<i64>>,
    unscored: Option<Spanned<i64>>,
    informational: Option<Spanned<i64>>,
}

impl RawDeadlines {
    pub(super) fn validate(self, problems: &mut Problems<'_>) -> Deadlines {
        let mut days = |field: &str, value: Option<Spanned<i64>>, default: u32| match value {
            None => default,
            Some(v) if (1..=3650).contains(v.get_ref()) => *v.get_ref() as u32,
            Some(v) => {
                problems.at(
                    v.span(),
                    format!(
                        "deadlines.{field}: {} is not a number of days from 1 to 3650",
                        v.get_ref()
                    ),
                );
                default
            }
        };
        Deadlines {
            critical: days("critical", self.critical, 7),
            high: days("high", self.high, 30),
            medium: days("medium", self.medium, 90),
            low: days("low", self.low, 180),
            unscored: days("unscored", self.unscored, 30),
            informational: days("informational", self.informational, 180),
        }
    }
}
