//! The report's closed sets of states, each a `named_enum!` whose `as_str()` is its JSON
//! form (the report's JSON is its schema), with the rules that belong to them: what breaches
//! an SLA, which category a deviation is in, which SLA row a finding counts in.

use super::model::{Deviation, FindingRecord};
use crate::finding::{FindingKind, Severity};
use crate::named::named_enum;

named_enum! {
    /// Where a finding stands against its remediation deadline.
    SlaState {
        ClosedWithinSla => "closed-within-sla",
        ClosedLate => "closed-late",
        OpenWithinSla => "open-within-sla",
        OpenOverdue => "open-overdue",
        /// Past due only on days an exception covered.
        Excepted => "excepted",
    }
}

impl SlaState {
    /// Closed late or still open past the deadline.
    pub fn is_breach(self) -> bool {
        matches!(self, SlaState::ClosedLate | SlaState::OpenOverdue)
    }
}

named_enum! {
    /// What a deviation is about; its `as_str()` keys `deviation_counts`.
    DeviationKind {
        MissedScan => "missed-scan",
        StaleDatabase => "stale-database",
        SlaBreach => "sla-breach",
        ExpiredException => "expired-exception",
        ExceptionApproval => "exception-approval",
        FailedVerification => "failed-verification",
        UnsignedCommit => "unsigned-commit",
        LockfileScopeChange => "lockfile-scope-change",
        BrokenEvidence => "broken-evidence",
        /// An advisory first detected later than `[subscription] max_detection_days` after
        /// its publication.
        LateDetection => "late-detection",
        /// A new vulnerability with no recorded delivery to a sink kind `[subscription]
        /// notify` requires.
        NotNotified => "not-notified",
    }
}

impl DeviationKind {
    /// Each kind belongs to one of the auditor's categories.
    pub fn category(self) -> DeviationCategory {
        use DeviationKind::*;
        match self {
            MissedScan | SlaBreach | LateDetection => DeviationCategory::Timing,
            StaleDatabase | FailedVerification | UnsignedCommit | NotNotified => {
                DeviationCategory::Execution
            }
            ExpiredException | ExceptionApproval | BrokenEvidence => DeviationCategory::Evidence,
            LockfileScopeChange => DeviationCategory::Scope,
        }
    }
}

impl Deviation {
    /// A deviation of `kind`, in its kind's category.
    pub fn new(
        kind: DeviationKind,
        date: String,
        run_id: Option<String>,
        subject: String,
        detail: String,
    ) -> Deviation {
        Deviation {
            date,
            kind,
            category: kind.category(),
            run_id,
            subject,
            detail,
        }
    }
}

named_enum! {
    /// The auditor's categories of deviations.
    DeviationCategory {
        Timing => "timing",
        Execution => "execution",
        Evidence => "evidence",
        Scope => "scope",
    }
}

named_enum! {
    /// A vulnerability, or an informational advisory (unmaintained, unsound, notice, yanked).
    FindingCategory {
        Vulnerability => "vulnerability",
        Informational => "informational",
    }
}

named_enum! {
    /// Where a finding stands on a day of its history (a finding record is `open` or `fixed`).
    FindingState {
        Open => "open",
        Excepted => "excepted",
        ExceptionExpired => "exception-expired",
        Fixed => "fixed",
    }
}

named_enum! {
    /// The rows of the SLA table, most severe first: a vulnerability's severity (`unscored`
    /// without a CVSS vector), or `informational`. Also the keys of the policy's
    /// `[report] exception_approvers`.
    SeverityBand {
        Critical => "critical",
        High => "high",
        Medium => "medium",
        Low => "low",
        None => "none",
        Unscored => "unscored",
        Informational => "informational",
    }
}

impl SeverityBand {
    pub fn of(kind: FindingKind, severity: Option<Severity>) -> SeverityBand {
        if kind != FindingKind::Vulnerability {
            return SeverityBand::Informational;
        }
        match severity {
            Option::None => SeverityBand::Unscored,
            Some(Severity::None) => SeverityBand::None,
            Some(Severity::Low) => SeverityBand::Low,
            Some(Severity::Medium) => SeverityBand::Medium,
            Some(Severity::High) => SeverityBand::High,
            Some(Severity::Critical) => SeverityBand::Critical,
        }
    }
}

impl FindingRecord {
    pub fn band(&self) -> SeverityBand {
        SeverityBand::of(self.kind, self.severity)
    }
}

named_enum! {
    /// An exception at the end of the period: still `active`, `expired` while a finding it
    /// covered was open (on `expired_on`), or `ended` (lapsed with nothing left to cover).
    ExceptionStatus {
        Active => "active",
        Expired => "expired",
        Ended => "ended",
    }
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::*;

    /// The JSON strings are the report schema: serde writes `as_str()` (the macro's one list),
    /// and each name is its variant's in kebab case (what `rename_all = "kebab-case"` gave
    /// before), unique within its enum.
    #[test]
    fn states_serialize_as_their_names() {
        fn kebab(variant: &str) -> String {
            let mut out = String::new();
            for (i, c) in variant.chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    out.push('-');
                }
                out.push(c.to_ascii_lowercase());
            }
            out
        }
        fn check<T>(all: &[T], as_str: fn(T) -> &'static str, parse: fn(&str) -> Option<T>)
        where
            T: Serialize + std::fmt::Debug + std::fmt::Display + Copy + PartialEq,
        {
            let mut seen = std::collections::BTreeSet::new();
            for &v in all {
                assert_eq!(serde_json::to_value(v).unwrap(), as_str(v));
                assert_eq!(v.to_string(), as_str(v));
                assert_eq!(parse(as_str(v)), Some(v));
                assert_eq!(as_str(v), kebab(&format!("{v:?}")));
                assert!(seen.insert(as_str(v)), "{v:?}");
            }
        }
        check(
            DeviationKind::ALL,
            DeviationKind::as_str,
            DeviationKind::parse,
        );
        check(
            DeviationCategory::ALL,
            DeviationCategory::as_str,
            DeviationCategory::parse,
        );
        check(SlaState::ALL, SlaState::as_str, SlaState::parse);
        check(
            FindingCategory::ALL,
            FindingCategory::as_str,
            FindingCategory::parse,
        );
        check(FindingState::ALL, FindingState::as_str, FindingState::parse);
        check(SeverityBand::ALL, SeverityBand::as_str, SeverityBand::parse);
        check(
            ExceptionStatus::ALL,
            ExceptionStatus::as_str,
            ExceptionStatus::parse,
        );
        assert_eq!(DeviationKind::ALL.len(), 11);
        assert_eq!(SlaState::ALL.len(), 5);
    }

    /// A vulnerability's band is its severity's name (`unscored` without one); anything
    /// else is informational, whatever its severity.
    #[test]
    fn bands_are_severities_then_unscored_and_informational() {
        for s in Severity::ALL {
            let band = SeverityBand::of(FindingKind::Vulnerability, Some(s));
            assert_eq!(band.as_str(), s.as_str());
            assert_eq!(
                SeverityBand::of(FindingKind::Unmaintained, Some(s)),
                SeverityBand::Informational
            );
        }
        assert_eq!(
            SeverityBand::of(FindingKind::Vulnerability, None),
            SeverityBand::Unscored
        );
        // The SLA table lists them most severe first.
        let rows: Vec<&str> = SeverityBand::ALL.iter().map(|b| b.as_str()).collect();
        assert_eq!(
            rows,
            [
                "critical",
                "high",
                "medium",
                "low",
                "none",
                "unscored",
                "informational"
            ]
        );
    }
}
