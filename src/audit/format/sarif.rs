//! SARIF 2.1.0 for GitHub code scanning. One rule per advisory (so an alert's title is the
//! advisory's), each result located at the package's `[[package]]` line in `Cargo.lock`, with a
//! `partialFingerprints` entry from the finding code, package id and advisory id so alerts do
//! not churn between runs.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::audit::model::{AuditReport, Finding, FindingStatus};

pub fn sarif(report: &AuditReport, lockfile_uri: &str) -> String {
    let groups = super::grouped(report);
    let mut rules: Vec<Value> = Vec::new();
    let mut rule_index = std::collections::BTreeMap::new();
    for g in &groups {
        let f = g[0];
        let id = rule_id(f);
        if rule_index.contains_key(&id) {
            continue;
        }
        rule_index.insert(id.clone(), rules.len());
        let mut properties = json!({
            "tags": ["security", "supply-chain", f.kind.as_str()],
            "code": f.code,
        });
        if let Some(score) = f.cvss_score {
            properties["security-severity"] = json!(format!("{score:.1}"));
        }
        rules.push(json!({
            "id": id,
            "name": f.code,
            "shortDescription": { "text": format!("{}: {}", id, f.title) },
            "fullDescription": { "text": f.title },
            "helpUri": f.url,
            "help": { "text": help_text(f), "markdown": help_text(f) },
            "properties": properties,
        }));
    }
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let id = rule_id(f);
            let level = if f.fails_policy {
                "error"
            } else if f.status == FindingStatus::Ignored {
                "note"
            } else {
                "warning"
            };
            let mut result = json!({
                "ruleId": id,
                "ruleIndex": rule_index[&id],
                "level": level,
                "message": { "text": message(f) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": lockfile_uri, "uriBaseId": "%SRCROOT%" },
                        "region": { "startLine": f.lockfile_line.unwrap_or(1) }
                    },
                    "logicalLocations": [{ "name": format!("{} {}", f.package, f.version), "kind": "package" }]
                }],
                "partialFingerprints": { "chainwarden/v1": fingerprint(f) },
                "properties": {
                    "code": f.code,
                    "package": f.package,
                    "version": f.version,
                    "status": f.status,
                    "paths_total": f.paths_total,
                },
            });
            if f.status == FindingStatus::Ignored {
                result["suppressions"] = json!([{
                    "kind": "external",
                    "justification": f.ignore.as_ref().map(|i| format!("{} (approved by {}, until {})", i.reason, i.approved_by, i.expires)),
                }]);
            }
            result
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "chainwarden",
                "version": report.tool_version,
                "semanticVersion": report.tool_version,
                "informationUri": "https://github.com/chainwarden/chainwarden",
                "rules": rules,
            }},
            "automationDetails": { "id": "chainwarden/audit/" },
            "results": results,
        }]
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("SARIF serialises");
    s.push('\n');
    s
}

fn rule_id(f: &Finding) -> String {
    if f.advisory_id == "yanked" {
        "yanked".to_string()
    } else {
        f.advisory_id.clone()
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
