//! `[evidence]`: where runs are recorded and how often a scan is expected.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::Problems;

/// How often the policy expects a scan of every lockfile in scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cadence {
    /// One scan every calendar day (UTC).
    Daily,
    /// One scan every Monday to Friday (UTC).
    Weekdays,
    /// One scan in every ISO week (Monday to Sunday, UTC).
    Weekly,
}

impl Cadence {
    pub fn as_str(self) -> &'static str {
        match self {
            Cadence::Daily => "daily",
            Cadence::Weekdays => "weekdays",
            Cadence::Weekly => "weekly",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidencePolicy {
    /// The store (`--evidence` and `CHAINWARDEN_EVIDENCE` override; default: the user's data
    /// directory, never the audited project).
    pub path: Option<PathBuf>,
    pub cadence: Cadence,
    /// Consecutive days without an expected scan that are tolerated; longer stretches are
    /// deviations. 0: every missed scan is a deviation.
    pub max_gap_days: u32,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEvidence {
    path: Option<Spanned<String>>,
    cadence: Option<Spanned<String>>,
    max_gap_days: Option<Spanned<i64>>,
}

impl RawEvidence {
    pub(super) fn validate(self, problems: &mut Problems<'_>) -> EvidencePolicy {
        let path = self.path.and_then(|p| {
            if p.get_ref().trim().is_empty() {
                problems.at(p.span(), "evidence.path: must not be empty");
                None
            } else {
                Some(PathBuf::from(p.into_inner()))
            }
        });
        let cadence = match self.cadence {
            None => Cadence::Daily,
            Some(c) => match c.get_ref().as_str() {
                "daily" => Cadence::Daily,
                "weekdays" => Cadence::Weekdays,
                "weekly" => Cadence::Weekly,
                other => {
                    problems.at(
                        c.span(),
                        format!("evidence.cadence: unknown cadence `{other}`, expected one of daily, weekdays, weekly"),
                    );
                    Cadence::Daily
                }
            },
        };
        let max_gap_days = match self.max_gap_days {
            None => 1,
            Some(v) if (0..=366).contains(v.get_ref()) => *v.get_ref() as u32,
            Some(v) => {
                problems.at(
                    v.span(),
                    format!(
                        "evidence.max_gap_days: {} is not a number of days from 0 to 366",
                        v.get_ref()
                    ),
                );
                1
            }
        };
        EvidencePolicy {
            path,
            cadence,
            max_gap_days,
        }
    }
}
