//! The policy a scope's latest audit was judged by, rebuilt from its recorded form, so that a
//! watch run judges every scope by its own policy and not by the watch job's.

use crate::audit::model::{FindingKind, Severity};
use crate::clock::parse_date;
use crate::evidence::PolicyInForce;
use crate::policy::{Ignore, Policy};

/// A [`Policy`] holding what [`PolicyInForce`] records (kinds, threshold, database age,
/// deadlines, exceptions, cadence, report roles); the rest is the built-in default. The yanked
/// check is off: a watch has no reason to ask the crates index about an old inventory.
pub fn from_record(p: &PolicyInForce) -> Result<Policy, String> {
    let mut policy = Policy::builtin();
    policy.audit.fail_on = p
        .fail_on
        .iter()
        .map(|k| FindingKind::parse(k).ok_or_else(|| format!("fail_on: unknown kind `{k}`")))
        .collect::<Result<_, _>>()?;
    policy.audit.severity_threshold = p
        .severity_threshold
        .as_deref()
        .map(|s| Severity::parse(s).ok_or_else(|| format!("severity_threshold: `{s}`")))
        .transpose()?;
    policy.audit.max_database_age_days = p.max_database_age_days;
    policy.audit.stale_warning_days = p.stale_warning_days;
    policy.audit.check_yanked = false;
    policy.deadlines = p.deadlines.clone();
    policy.audit.ignore = p
        .exceptions
        .iter()
        .map(|e| {
            Ok(Ignore {
                id: e.id.clone(),
                reason: e.reason.clone(),
                approved_by: e.approved_by.clone(),
                expires: parse_date(&e.expires).map_err(|m| format!("exception {}: {m}", e.id))?,
                justification: None,
                requested_by: e.requested_by.clone(),
                approved_on: e
                    .approved_on
                    .as_deref()
                    .map(parse_date)
                    .transpose()
                    .map_err(|m| format!("exception {}: {m}", e.id))?,
                compensating_control: e.compensating_control.clone(),
            })
        })
        .collect::<Result<_, String>>()?;
    policy.evidence.cadence = p.cadence;
    policy.evidence.max_gap_days = p.max_gap_days;
    policy.report = p.report.clone();
    policy.subscription = p.subscription.clone().unwrap_or_default();
    Ok(policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_policy_comes_back_as_the_same_policy_in_force() {
        let text = "schema_version = 1\n[audit]\nfail_on = [\"vulnerability\", \"unsound\"]\nseverity_threshold = \"high\"\n[[audit.ignore]]\nid = \"RUSTSEC-2022-0013\"\nreason = \"patterns are ours\"\napproved_by = \"sec@example.org\"\nexpires = 2026-12-31\n[deadlines]\ncritical = 3\n";
        let original = Policy::parse(std::path::Path::new("p.toml"), text).unwrap();
        let recorded = PolicyInForce::from_policy(&original);
        let rebuilt = from_record(&recorded).unwrap();
        assert_eq!(PolicyInForce::from_policy(&rebuilt), recorded);
        assert!(!rebuilt.audit.check_yanked);
    }
}
