//! Our triage as VEX: one statement per advisory finding (yanked crates have no vulnerability
//! id), about each of our products with the affected crate as subcomponent, all as purls.
//!
//! - ignored with a VEX `justification` in the policy → `not_affected` (+ the reason);
//! - ignored without one (an accepted risk) → `affected`, with the reason, approver and expiry
//!   as the action statement;
//! - an expired ignore → no statement (the triage no longer holds);
//! - open → `under_investigation`;
//! - in the `--baseline` report but no longer found → `fixed`.

use serde_json::{json, Value};

use super::{package_purl, products, Status};
use crate::audit::model::{AuditReport, Finding, FindingKind, FindingStatus};
use crate::policy::audit::VexJustification;
use crate::policy::AuditPolicy;
use crate::sbom::purl::cargo_purl;
use crate::sbom::uuid_from_digest;

/// One statement to publish.
#[derive(Debug, Clone)]
pub struct Entry {
    pub vulnerability: String,
    pub aliases: Vec<String>,
    /// Purl of the crate.
    pub subcomponent: String,
    pub status: Status,
    pub justification: Option<VexJustification>,
    pub impact_statement: Option<String>,
    pub action_statement: Option<String>,
}

fn is_advisory(f: &Finding) -> bool {
    f.kind != FindingKind::Yanked
}

/// The statements for a report, judged by the policy's `[audit]` section (its ignores and
/// their VEX justifications); `baseline` is an earlier report.
pub fn entries(
    report: &AuditReport,
    policy: &AuditPolicy,
    baseline: Option<&AuditReport>,
) -> Vec<Entry> {
    let purl_of = |f: &Finding| {
        report
            .inventory
            .iter()
            .find(|p| p.name == f.package && p.version == f.version)
            .map(package_purl)
            .unwrap_or_else(|| cargo_purl(&f.package, &f.version, None, Some("crates.io")))
    };
    let mut out: Vec<Entry> = Vec::new();
    for f in report.findings.iter().filter(|f| is_advisory(f)) {
        let base = |status| Entry {
            vulnerability: f.advisory_id.clone(),
            aliases: f.aliases.clone(),
            subcomponent: purl_of(f),
            status,
            justification: None,
            impact_statement: None,
            action_statement: None,
        };
        let entry = match (f.status, &f.ignore) {
            (FindingStatus::IgnoreExpired, _) => continue,
            (FindingStatus::Ignored, Some(info)) => {
                let justification = policy
                    .ignore
                    .iter()
                    .find(|i| i.id == f.advisory_id || f.aliases.contains(&i.id))
                    .and_then(|i| i.justification);
                match justification {
                    Some(j) => Entry {
                        justification: Some(j),
                        impact_statement: Some(info.reason.clone()),
                        ..base(Status::NotAffected)
                    },
                    None => Entry {
                        action_statement: Some(format!(
                            "Accepted risk: {}; approved by {}; expires {}",
                            info.reason, info.approved_by, info.expires
                        )),
                        ..base(Status::Affected)
                    },
                }
            }
            _ => base(Status::UnderInvestigation),
        };
        out.push(entry);
    }
    if let Some(old) = baseline {
        for f in old.findings.iter().filter(|f| is_advisory(f)) {
            let still = report.findings.iter().any(|n| {
                n.advisory_id == f.advisory_id && n.package == f.package && n.version == f.version
            });
            if !still {
                out.push(Entry {
                    vulnerability: f.advisory_id.clone(),
                    aliases: f.aliases.clone(),
                    subcomponent: cargo_purl(&f.package, &f.version, None, Some("crates.io")),
                    status: Status::Fixed,
                    justification: None,
                    impact_statement: None,
                    action_statement: None,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        (&a.vulnerability, &a.subcomponent, a.status).cmp(&(
            &b.vulnerability,
            &b.subcomponent,
            b.status,
        ))
    });
    out.dedup_by(|a, b| {
        a.vulnerability == b.vulnerability
            && a.subcomponent == b.subcomponent
            && a.status == b.status
    });
    out
}

fn doc_id(report: &AuditReport, entries: &[Entry], kind: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(kind.as_bytes());
    h.update(report.lockfile.sha256.as_bytes());
    for e in entries {
        h.update(
            format!(
                "{}\0{}\0{}\0",
                e.vulnerability,
                e.subcomponent,
                e.status.as_str()
            )
            .as_bytes(),
        );
    }
    uuid_from_digest(&h.finalize().into())
}

/// OpenVEX 0.2.0 JSON.
pub fn openvex(report: &AuditReport, entries: &[Entry], author: &str) -> String {
    let ours = products(report);
    let statements: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut s = json!({
                "vulnerability": vulnerability(e),
                "timestamp": report.time,
                "products": ours.iter().map(|p| json!({
                    "@id": p,
                    "identifiers": {"purl": p},
                    "subcomponents": [{"@id": e.subcomponent, "identifiers": {"purl": e.subcomponent}}],
                })).collect::<Vec<_>>(),
                "status": e.status.as_str(),
            });
            let obj = s.as_object_mut().expect("an object");
            for (key, value) in [
                ("justification", e.justification.map(VexJustification::as_str)),
                ("impact_statement", e.impact_statement.as_deref()),
                ("action_statement", e.action_statement.as_deref()),
            ] {
                if let Some(v) = value {
                    obj.insert(key.into(), json!(v));
                }
            }
            s
        })
        .collect();
    let doc = json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": format!("https://openvex.dev/docs/public/chainwarden-{}", doc_id(report, entries, "openvex")),
        "author": author,
        "timestamp": report.time,
        "version": 1,
        "tooling": format!("chainwarden {}", env!("CARGO_PKG_VERSION")),
        "statements": statements,
    });
    crate::json::document(&doc)
}

fn vulnerability(e: &Entry) -> Value {
    let mut v = json!({"name": e.vulnerability});
    if !e.aliases.is_empty() {
        v["aliases"] = json!(e.aliases);
    }
    v
}

/// CycloneDX 1.6 VEX JSON (the product as `metadata.component`, crates as components).
pub fn cyclonedx(report: &AuditReport, entries: &[Entry], author: &str) -> String {
    let ours = products(report);
    let mut crates: Vec<&str> = entries.iter().map(|e| e.subcomponent.as_str()).collect();
    crates.sort_unstable();
    crates.dedup();
    let vulnerabilities: Vec<Value> = entries
        .iter()
        .map(|e| {
            let mut analysis = json!({"state": cdx_state(e.status), "lastUpdated": report.time});
            if let Some(j) = e.justification {
                analysis["justification"] = json!(cdx_justification(j));
            }
            if let Some(detail) = e.impact_statement.as_ref().or(e.action_statement.as_ref()) {
                analysis["detail"] = json!(detail);
            }
            let mut v = json!({
                "id": e.vulnerability,
                "source": {"name": "RustSec", "url": format!("https://rustsec.org/advisories/{}.html", e.vulnerability)},
                "analysis": analysis,
                "affects": [{"ref": e.subcomponent}],
            });
            if !e.aliases.is_empty() {
                v["references"] = json!(e.aliases.iter().map(|a| json!({"id": a, "source": {"name": "alias"}})).collect::<Vec<_>>());
            }
            v
        })
        .collect();
    let mut metadata = json!({
        "timestamp": report.time,
        "authors": [{"name": author}],
        "tools": {"components": [{"type": "application", "name": "chainwarden", "version": env!("CARGO_PKG_VERSION")}]},
    });
    if let Some(p) = ours.first() {
        metadata["component"] = json!({"type": "application", "bom-ref": p, "name": p, "purl": p});
    }
    let doc = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", doc_id(report, entries, "cyclonedx")),
        "version": 1,
        "metadata": metadata,
        "components": crates.iter().map(|c| json!({"type": "library", "bom-ref": c, "name": c, "purl": c})).collect::<Vec<_>>(),
        "vulnerabilities": vulnerabilities,
    });
    crate::json::document(&doc)
}

fn cdx_state(s: Status) -> &'static str {
    match s {
        Status::NotAffected => "not_affected",
        Status::Affected => "exploitable",
        Status::Fixed => "resolved",
        Status::UnderInvestigation => "in_triage",
    }
}

/// OpenVEX justification → CycloneDX (the inverse of the reader's mapping).
fn cdx_justification(j: VexJustification) -> &'static str {
    use VexJustification as J;
    match j {
        J::ComponentNotPresent | J::VulnerableCodeNotPresent => "code_not_present",
        J::VulnerableCodeNotInExecutePath => "code_not_reachable",
        J::VulnerableCodeCannotBeControlledByAdversary => "requires_environment",
        J::InlineMitigationsAlreadyExist => "protected_by_mitigating_control",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vex::read;

    /// Every justification has one OpenVEX spelling that reads back, and survives a trip
    /// through CycloneDX (whose vocabulary has no `component_not_present`: it becomes the
    /// nearest, `vulnerable_code_not_present`).
    #[test]
    fn justifications_round_trip_through_both_vocabularies() {
        use VexJustification as J;
        let spellings: std::collections::BTreeSet<&str> =
            J::ALL.iter().map(|j| j.as_str()).collect();
        assert_eq!(spellings.len(), J::ALL.len(), "spellings are unique");
        for j in J::ALL {
            assert_eq!(J::parse(j.as_str()), Some(j));
            let back = read::cdx_justification(cdx_justification(j)).unwrap();
            let expected = if j == J::ComponentNotPresent {
                J::VulnerableCodeNotPresent
            } else {
                j
            };
            assert_eq!(back, expected, "{j:?}");
        }
        assert_eq!(J::parse("trust_me"), None);
    }
}
