//! SARIF 2.1.0 for GitHub code scanning. One rule per advisory (so an alert's title is the
//! advisory's), each result located at the package's `[[package]]` line in `Cargo.lock`, with a
//! `partialFingerprints` entry from the finding code, package id and advisory id so alerts do
//! not churn between runs.

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::audit::baseline::BaselineState;
use crate::audit::model::{AuditReport, Finding, FindingStatus};
use crate::sarif::{
    self, AutomationDetails, Driver, Fingerprints, Level, Location, LogicalLocation, Message,
    MultiformatMessage, ReportingDescriptor, RuleProperties, Run, SarifResult, Suppression,
    SuppressionKind, Tool,
};

pub(super) fn render(report: &AuditReport, lockfile_uri: &str) -> String {
    log(report, lockfile_uri).to_json()
}

/// The SARIF log of one report (several reports' runs make one log: `audit --binary`).
pub fn log(report: &AuditReport, lockfile_uri: &str) -> sarif::Log {
    let mut rules: Vec<ReportingDescriptor> = Vec::new();
    let mut rule_index = std::collections::BTreeMap::new();
    for g in super::grouped(report) {
        let f = g[0];
        // One rule per advisory id (a yanked crate's id is `yanked`: one rule for them all).
        let id = &f.advisory_id;
        if rule_index.contains_key(id) {
            continue;
        }
        rule_index.insert(id.clone(), rules.len());
        rules.push(rule(id, f));
    }
    let results = report
        .findings
        .iter()
        .map(|f| result(f, rule_index[&f.advisory_id], lockfile_uri))
        .collect();
    sarif::Log::new(vec![Run {
        tool: Tool {
            driver: Driver {
                name: "chainwarden",
                version: report.tool_version.clone(),
                semantic_version: Some(report.tool_version.clone()),
                information_uri: Some("https://github.com/chainwarden/chainwarden"),
                rules,
            },
        },
        automation_details: Some(AutomationDetails {
            id: "chainwarden/audit/".into(),
        }),
        results,
    }])
}

/// One rule per advisory: an alert's title is the advisory's.
fn rule(id: &str, f: &Finding) -> ReportingDescriptor {
    ReportingDescriptor {
        id: id.to_string(),
        name: Some(f.code.clone()),
        short_description: Message::new(format!("{}: {}", id, f.title)),
        full_description: Some(Message::new(f.title.clone())),
        help_uri: f.url.clone(),
        help: Some(MultiformatMessage {
            text: help_text(f),
            markdown: help_text(f),
        }),
        properties: RuleProperties {
            tags: vec![
                "security".into(),
                "supply-chain".into(),
                f.kind.as_str().into(),
            ],
            code: Some(f.code.clone()),
            security_severity: f.cvss_score.map(|score| format!("{score:.1}")),
        },
    }
}

fn result(f: &Finding, rule_index: usize, lockfile_uri: &str) -> SarifResult {
    let level = if f.fails_policy {
        Level::Error
    } else if f.status == FindingStatus::Ignored {
        Level::Note
    } else {
        Level::Warning
    };
    let mut location = Location::in_source(lockfile_uri, f.lockfile_line.unwrap_or(1), None);
    location.logical_locations.push(LogicalLocation {
        name: format!("{} {}", f.package, f.version),
        kind: "package".into(),
    });
    let properties = json!({
        "code": f.code,
        "package": f.package,
        "version": f.version,
        "status": f.status,
        "paths_total": f.paths_total,
    });
    let suppressions = match (&f.status, &f.ignore) {
        (FindingStatus::Ignored, ignore) => vec![Suppression {
            kind: SuppressionKind::External,
            justification: ignore.as_ref().map(|i| {
                format!(
                    "{} (approved by {}, until {})",
                    i.reason, i.approved_by, i.expires
                )
            }),
        }],
        _ => Vec::new(),
    };
    SarifResult {
        rule_id: f.advisory_id.clone(),
        rule_index,
        level,
        message: Message::new(message(f)),
        locations: vec![location],
        partial_fingerprints: Fingerprints { v1: fingerprint(f) },
        properties: properties.as_object().cloned(),
        // SARIF 2.1.0 §3.27.24: `new` or `unchanged` against the baseline run.
        baseline_state: f.baseline_state.map(|state| match state {
            BaselineState::New => sarif::BaselineState::New,
            BaselineState::Existing => sarif::BaselineState::Unchanged,
        }),
        suppressions,
    }
}

fn message(f: &Finding) -> String {
    let fix = match &f.fix {
        Some(x) if x.semver_compatible => {
            format!(" Fix: upgrade to {} (semver-compatible).", x.version)
        }
        Some(x) => format!(" Fix: upgrade to {} (breaking).", x.version),
        None => String::new(),
    };
    // One path (already capped in length by the engine), and how many others there are.
    let others = f.paths_total.saturating_sub(1);
    let path = f
        .paths
        .first()
        .map(|p| {
            let more = match others {
                0 => String::new(),
                1 => " (1 more path not shown)".to_string(),
                n => format!(" ({n} more paths not shown)"),
            };
            format!(" Path: {}{more}.", p.join(" → "))
        })
        .unwrap_or_default();
    format!(
        "{} {} {}: {}.{fix}{path}",
        f.kind.as_str(),
        f.package,
        f.version,
        f.title
    )
}

fn help_text(f: &Finding) -> String {
    let mut text = format!("{}\n\n", f.title);
    if !f.patched.is_empty() {
        text.push_str(&format!("Patched versions: {}\n", f.patched.join(", ")));
    }
    if let Some(url) = &f.url {
        text.push_str(&format!("More: {url}\n"));
    }
    text
}

fn fingerprint(f: &Finding) -> String {
    let mut h = Sha256::new();
    for part in [
        f.code.as_str(),
        f.package.as_str(),
        f.version.as_str(),
        f.advisory_id.as_str(),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::model::IgnoreInfo;
    use crate::finding::FindingKind;

    fn finding() -> Finding {
        let mut f = Finding::new(
            FindingKind::Vulnerability,
            "RUSTSEC-2021-0003",
            "smallvec",
            "1.6.0",
        );
        f.title = "Buffer overflow in SmallVec::insert_many".into();
        f.lockfile_line = Some(120);
        f.paths = vec![vec!["app 0.1.0".into(), "smallvec 1.6.0".into()]];
        f.paths_total = 1;
        f
    }

    #[test]
    fn the_fingerprint_names_the_finding_not_where_it_is() {
        let a = finding();
        let mut moved = finding();
        moved.lockfile_line = Some(7);
        moved.paths = vec![vec!["other 1.0.0".into(), "smallvec 1.6.0".into()]];
        moved.paths_total = 3;
        let fa = result(&a, 0, "Cargo.lock").partial_fingerprints;
        assert_eq!(fa, result(&moved, 0, "sub/Cargo.lock").partial_fingerprints);
        assert_eq!(fa.v1.len(), 32);
        let mut other_version = finding();
        other_version.version = "1.6.1".into();
        assert_ne!(
            fa,
            result(&other_version, 0, "Cargo.lock").partial_fingerprints
        );
    }

    #[test]
    fn levels_suppressions_and_baseline_states_follow_the_finding() {
        let mut f = finding();
        f.fails_policy = true;
        f.baseline_state = Some(BaselineState::Existing);
        let r = result(&f, 2, "Cargo.lock");
        assert_eq!(r.level, Level::Error);
        assert_eq!(r.rule_index, 2);
        assert_eq!(r.baseline_state, Some(sarif::BaselineState::Unchanged));
        assert!(r.suppressions.is_empty());
        let region = &r.locations[0].physical_location.region;
        assert_eq!(region.start_line, 120);

        f.fails_policy = false;
        f.status = FindingStatus::Ignored;
        f.ignore = Some(IgnoreInfo {
            reason: "not reachable".into(),
            approved_by: "sec@example.org".into(),
            expires: "2027-01-31".into(),
        });
        f.baseline_state = Some(BaselineState::New);
        let r = result(&f, 0, "Cargo.lock");
        assert_eq!(r.level, Level::Note);
        assert_eq!(r.baseline_state, Some(sarif::BaselineState::New));
        assert_eq!(
            r.suppressions[0].justification.as_deref(),
            Some("not reachable (approved by sec@example.org, until 2027-01-31)")
        );

        f.status = FindingStatus::Open;
        f.lockfile_line = None;
        let r = result(&f, 0, "Cargo.lock");
        assert_eq!(r.level, Level::Warning);
        assert_eq!(r.locations[0].physical_location.region.start_line, 1);
    }

    #[test]
    fn a_rule_without_url_or_score_leaves_them_out() {
        let f = finding();
        let value = serde_json::to_value(rule("RUSTSEC-2021-0003", &f)).unwrap();
        assert!(value.get("helpUri").is_none(), "{value}");
        assert!(value["properties"].get("security-severity").is_none());
        let mut scored = finding();
        scored.cvss_score = Some(9.8);
        scored.url = Some("https://rustsec.org/advisories/RUSTSEC-2021-0003".into());
        let value = serde_json::to_value(rule("RUSTSEC-2021-0003", &scored)).unwrap();
        assert_eq!(value["properties"]["security-severity"], "9.8");
        assert_eq!(
            value["helpUri"],
            "https://rustsec.org/advisories/RUSTSEC-2021-0003"
        );
    }
}
