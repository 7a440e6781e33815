//! The policy in force, as every run records it: a normalised, serialisable view of the
//! validated [`Policy`] holding what the quarterly report judges by (cadence, severity source,
//! deadlines, exceptions, roles). Its SHA-256 over the canonical JSON is the policy's identity
//! in the store; the same rules written differently (comments, order, defaults spelt out) give
//! the same digest.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit::model::{FindingKind, Severity};
use crate::clock::format_date;
use crate::policy::{Cadence, Deadlines, Policy, ReportPolicy, SubscriptionPolicy};

pub const POLICY_SCHEMA: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyInForce {
    pub schema: u32,
    /// How a vulnerability's severity is decided.
    pub severity_source: String,
    pub fail_on: Vec<String>,
    pub severity_threshold: Option<String>,
    pub max_database_age_days: Option<u32>,
    pub stale_warning_days: u32,
    pub cadence: Cadence,
    pub max_gap_days: u32,
    pub deadlines: Deadlines,
    pub exceptions: Vec<ExceptionRule>,
    pub report: ReportPolicy,
    /// `[subscription]`, when the policy has one (absent otherwise, so that policies without
    /// it keep their digest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription: Option<SubscriptionPolicy>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionRule {
    pub id: String,
    pub reason: String,
    pub requested_by: Option<String>,
    pub approved_by: String,
    pub approved_on: Option<String>,
    pub expires: String,
    pub compensating_control: Option<String>,
}

impl PolicyInForce {
    pub fn from_policy(p: &Policy) -> PolicyInForce {
        let mut exceptions: Vec<ExceptionRule> = p
            .audit
            .ignore
            .iter()
            .map(|i| ExceptionRule {
                id: i.id.clone(),
                reason: i.reason.clone(),
                requested_by: i.requested_by.clone(),
                approved_by: i.approved_by.clone(),
                approved_on: i.approved_on.map(format_date),
                expires: format_date(i.expires),
                compensating_control: i.compensating_control.clone(),
            })
            .collect();
        exceptions.sort_by(|a, b| (&a.id, &a.expires).cmp(&(&b.id, &b.expires)));
        PolicyInForce {
            schema: POLICY_SCHEMA,
            severity_source: "CVSS base score of the advisory (unscored when it has none)".into(),
            fail_on: p
                .audit
                .fail_on
                .iter()
                .map(|k| k.as_str().to_string())
                .collect(),
            severity_threshold: p.audit.severity_threshold.map(|s| s.as_str().to_string()),
            max_database_age_days: p.audit.max_database_age_days,
            stale_warning_days: p.audit.stale_warning_days,
            cadence: p.evidence.cadence,
            max_gap_days: p.evidence.max_gap_days,
            deadlines: p.deadlines.clone(),
            exceptions,
            report: p.report.clone(),
            subscription: p.subscription.is_set().then(|| p.subscription.clone()),
        }
    }

    /// The canonical JSON text (what is stored and hashed).
    pub fn canonical(&self) -> String {
        serde_json::to_string(self).expect("policy serialises")
    }

    pub fn digest(&self) -> String {
        sha256_hex(self.canonical().as_bytes())
    }

    /// Days allowed for a finding of this kind and severity.
    pub fn days_for(&self, kind: FindingKind, severity: Option<Severity>) -> u32 {
        self.deadlines.days_for(kind, severity)
    }

    /// The database age over which a scan is flagged.
    pub fn stale_limit(&self) -> u32 {
        self.max_database_age_days
            .map_or(self.stale_warning_days, |m| m.min(self.stale_warning_days))
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The recorded form is hashed into every run's chain: the deadlines (the policy's own
    /// `Deadlines`, serialised) keep the names and order they were recorded with.
    #[test]
    fn deadlines_are_recorded_in_their_fixed_form() {
        let recorded = PolicyInForce::from_policy(&Policy::builtin());
        let json = recorded.canonical();
        assert!(
            json.contains(r#""deadlines":{"critical":7,"high":30,"medium":90,"low":180,"unscored":30,"informational":180}"#),
            "{json}"
        );
        let back: PolicyInForce = serde_json::from_str(&json).unwrap();
        assert_eq!(back, recorded);
        assert_eq!(
            recorded.days_for(FindingKind::Vulnerability, Some(Severity::Critical)),
            7
        );
        assert_eq!(recorded.days_for(FindingKind::Yanked, None), 180);
        let unknown = json.replace(r#""informational":180"#, r#""informational":180,"extra":1"#);
        assert!(serde_json::from_str::<PolicyInForce>(&unknown).is_err());
    }
}
