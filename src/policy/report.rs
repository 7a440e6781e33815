//! `[report]`: who owns the control the quarterly report evidences, who reviews and approves
//! it, and who may approve an exception of each severity.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::Problems;
use crate::finding::Severity;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportPolicy {
    /// The report's title (presentation only).
    pub title: Option<String>,
    pub control_owner: Option<String>,
    pub reviewers: Vec<String>,
    pub approvers: Vec<String>,
    /// Severity (`critical`, ...) -> who may approve an exception for it. A severity not
    /// listed may be approved by anyone other than the requester.
    pub exception_approvers: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReport {
    title: Option<Spanned<String>>,
    control_owner: Option<Spanned<String>>,
    #[serde(default)]
    reviewers: Vec<Spanned<String>>,
    #[serde(default)]
    approvers: Vec<Spanned<String>>,
    #[serde(default)]
    exception_approvers: BTreeMap<String, Vec<Spanned<String>>>,
}

fn text(field: &str, v: Spanned<String>, problems: &mut Problems<'_>) -> Option<String> {
    let bad = v.get_ref().trim().is_empty() || v.get_ref().chars().any(char::is_control);
    if bad {
        problems.at(
            v.span(),
            format!("report.{field}: must be non-empty text without control characters"),
        );
        return None;
    }
    Some(v.into_inner())
}

impl RawReport {
    pub(super) fn validate(self, problems: &mut Problems<'_>) -> ReportPolicy {
        let title = self.title.and_then(|v| text("title", v, problems));
        let control_owner = self
            .control_owner
            .and_then(|v| text("control_owner", v, problems));
        let mut list = |field: &str, values: Vec<Spanned<String>>| -> Vec<String> {
            values
                .into_iter()
                .filter_map(|v| text(field, v, problems))
                .collect()
        };
        let reviewers = list("reviewers", self.reviewers);
        let approvers = list("approvers", self.approvers);
        let mut exception_approvers = BTreeMap::new();
        for (severity, names) in self.exception_approvers {
            let field = format!("exception_approvers.{severity}");
            let names: Vec<String> = names
                .into_iter()
                .filter_map(|v| text(&field, v, problems))
                .collect();
            if Severity::parse(&severity).is_none() && severity != "unscored" {
                // No span for a table key: point at the first value when there is one.
                problems.errors.push(crate::error::Error::input(
                    problems.path,
                    format!("report.exception_approvers: unknown severity `{severity}`, expected one of none, low, medium, high, critical, unscored"),
                ));
                continue;
            }
            exception_approvers.insert(severity, names);
        }
        ReportPolicy {
            title,
            control_owner,
            reviewers,
            approvers,
            exception_approvers,
        }
    }
}
