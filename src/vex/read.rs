//! Reading OpenVEX (0.2.0) and CycloneDX VEX (1.4 to 1.6 JSON) into [`VexStatement`]s.
//!
//! Strict where it matters: duplicate keys refused, every statement needs a vulnerability, a
//! known status and a timestamp (its own or the document's), and an unknown justification is
//! an error naming the statement; nothing is silently dropped.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;
use time::OffsetDateTime;

use super::{Product, Status, VexStatement};
use crate::clock::parse_rfc3339;
use crate::error::{Error, Result};
use crate::policy::audit::VexJustification;
use crate::sbom::read::{read_limited, MAX_SBOM_BYTES};

/// Every statement of one OpenVEX or CycloneDX VEX document.
pub fn load(path: &Path) -> Result<Vec<VexStatement>> {
    let bytes = read_limited(path, MAX_SBOM_BYTES)?;
    let doc = crate::json::parse(&bytes)
        .map_err(|e| Error::at_line(path, e.line(), format!("not valid JSON: {e}")))?;
    let is_openvex = doc
        .get("@context")
        .and_then(Value::as_str)
        .is_some_and(|c| c.contains("openvex"));
    if is_openvex {
        openvex(path, &doc)
    } else if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        cyclonedx(path, &doc)
    } else {
        Err(Error::input(
            path,
            "not an OpenVEX document (@context) or a CycloneDX VEX (bomFormat)",
        ))
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// The first of a statement's times that is set (its own before the document's), parsed;
/// `missing` says where none was found.
fn first_time(
    candidates: [Option<String>; 3],
    missing: &str,
) -> std::result::Result<OffsetDateTime, String> {
    let when = candidates
        .into_iter()
        .flatten()
        .next()
        .ok_or_else(|| missing.to_string())?;
    parse_rfc3339(&when).map_err(|e| format!("timestamp: {e}"))
}

fn openvex(path: &Path, doc: &Value) -> Result<Vec<VexStatement>> {
    let author = text(doc, "author").unwrap_or_else(|| "unknown author".into());
    let doc_time = text(doc, "timestamp");
    let list = doc["statements"]
        .as_array()
        .ok_or_else(|| Error::input(path, "statements: expected an array"))?;
    let mut out = Vec::with_capacity(list.len());
    for (i, s) in list.iter().enumerate() {
        let at = format!("statements[{i}]");
        let bad = |msg: String| Error::input(path, format!("{at}: {msg}"));
        let vulnerability = text(&s["vulnerability"], "name")
            .ok_or_else(|| bad("vulnerability.name is missing".into()))?;
        let aliases = s["vulnerability"]["aliases"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a.as_str().map(str::to_string))
            .collect();
        let status = match s["status"].as_str() {
            Some("not_affected") => Status::NotAffected,
            Some("affected") => Status::Affected,
            Some("fixed") => Status::Fixed,
            Some("under_investigation") => Status::UnderInvestigation,
            other => return Err(bad(format!("status: unknown value {other:?}"))),
        };
        let justification = match text(s, "justification") {
            None => None,
            Some(j) => Some(
                VexJustification::parse(&j)
                    .ok_or_else(|| bad(format!("justification: unknown value `{j}`")))?,
            ),
        };
        let products = s["products"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| {
                let id = text(p, "@id").or_else(|| text(&p["identifiers"], "purl"))?;
                let subcomponents = p["subcomponents"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|c| text(c, "@id").or_else(|| text(&c["identifiers"], "purl")))
                    .collect();
                Some(Product {
                    id: Some(id),
                    subcomponents,
                })
            })
            .collect();
        let timestamp = first_time(
            [
                text(s, "last_updated"),
                text(s, "timestamp"),
                doc_time.clone(),
            ],
            "no timestamp (neither the statement's nor the document's)",
        )
        .map_err(bad)?;
        out.push(VexStatement {
            vulnerability,
            aliases,
            products,
            status,
            justification,
            impact_statement: text(s, "impact_statement"),
            action_statement: text(s, "action_statement"),
            author: author.clone(),
            timestamp,
            origin: format!("{}: {at}", path.display()),
        });
    }
    Ok(out)
}

/// CycloneDX `analysis.state` and `justification` in OpenVEX terms.
fn cdx_status(state: &str) -> Option<Status> {
    Some(match state {
        "not_affected" | "false_positive" => Status::NotAffected,
        "exploitable" => Status::Affected,
        "resolved" | "resolved_with_pedigree" => Status::Fixed,
        "in_triage" => Status::UnderInvestigation,
        _ => return None,
    })
}

pub(super) fn cdx_justification(j: &str) -> Option<VexJustification> {
    use VexJustification as J;
    Some(match j {
        "code_not_present" => J::VulnerableCodeNotPresent,
        "code_not_reachable" => J::VulnerableCodeNotInExecutePath,
        "requires_configuration" | "requires_dependency" | "requires_environment" => {
            J::VulnerableCodeCannotBeControlledByAdversary
        }
        "protected_by_compiler"
        | "protected_at_runtime"
        | "protected_at_perimeter"
        | "protected_by_mitigating_control" => J::InlineMitigationsAlreadyExist,
        _ => return None,
    })
}

fn cyclonedx(path: &Path, doc: &Value) -> Result<Vec<VexStatement>> {
    let doc_time = text(&doc["metadata"], "timestamp");
    let product = text(&doc["metadata"]["component"], "purl");
    let author = doc["metadata"]["authors"][0]["name"]
        .as_str()
        .or_else(|| doc["metadata"]["tools"]["components"][0]["name"].as_str())
        .unwrap_or("unknown author")
        .to_string();
    // bom-ref → purl, so `affects[].ref` can name components by reference.
    let mut purl_of: HashMap<String, String> = HashMap::new();
    for c in doc["components"].as_array().into_iter().flatten() {
        if let (Some(r), Some(p)) = (text(c, "bom-ref"), text(c, "purl")) {
            purl_of.insert(r, p);
        }
    }
    let mut out = Vec::new();
    for (i, v) in doc["vulnerabilities"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let at = format!("vulnerabilities[{i}]");
        let bad = |msg: String| Error::input(path, format!("{at}: {msg}"));
        let vulnerability = text(v, "id").ok_or_else(|| bad("id is missing".into()))?;
        let analysis = &v["analysis"];
        let Some(state) = analysis["state"].as_str() else {
            continue; // a vulnerability listed without analysis states nothing
        };
        let status = cdx_status(state)
            .ok_or_else(|| bad(format!("analysis.state: unknown value `{state}`")))?;
        let justification = match analysis["justification"].as_str() {
            None => None,
            Some(j) => Some(
                cdx_justification(j)
                    .ok_or_else(|| bad(format!("analysis.justification: unknown value `{j}`")))?,
            ),
        };
        let subcomponents: Vec<String> = v["affects"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a["ref"].as_str())
            .map(|r| {
                let r = r.rsplit_once('#').map_or(r, |(_, tail)| tail);
                purl_of.get(r).cloned().unwrap_or_else(|| r.to_string())
            })
            .collect();
        let timestamp = first_time(
            [
                text(analysis, "lastUpdated"),
                text(analysis, "firstIssued"),
                doc_time.clone(),
            ],
            "no timestamp (analysis.lastUpdated or metadata.timestamp)",
        )
        .map_err(bad)?;
        let aliases = v["references"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| text(r, "id"))
            .collect();
        out.push(VexStatement {
            vulnerability,
            aliases,
            products: vec![Product {
                id: product.clone(),
                subcomponents,
            }],
            status,
            justification,
            impact_statement: text(analysis, "detail"),
            action_statement: analysis["response"].as_array().map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
            author: author.clone(),
            timestamp,
            origin: format!("{}: {at}", path.display()),
        });
    }
    Ok(out)
}
