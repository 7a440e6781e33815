//! `[evidence]`: where runs are recorded and how often a scan is expected.

use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::Problems;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidencePolicy {
    /// The store (`--evidence` overrides; default `.chainwarden/evidence.db`).
    pub path: Option<PathBuf>,
    /// The quarterly report flags stretches longer than this without an audit.
    pub max_gap_days: u32,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEvidence {
    path: Option<Spanned<String>>,
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
        let max_gap_days = match self.max_gap_days {
            None => 1,
            Some(v) if (1..=366).contains(v.get_ref()) => *v.get_ref() as u32,
            Some(v) => {
                problems.at(
                    v.span(),
                    format!(
                        "evidence.max_gap_days: {} is not a number of days from 1 to 366",
                        v.get_ref()
                    ),
                );
                1
            }
        };
        EvidencePolicy { path, max_gap_days }
    }
}
