//! SARIF 2.1.0, typed: the one model the audit and the secrets scan render their findings
//! into for code scanning (GitHub reads it). Only the properties we emit are modelled; each
//! struct serialises in the specification's camelCase, absent options are left out (the
//! schema allows no `null` where a string is expected), and the document validates against
//! the official schema (tests/fixtures/schemas/sarif-schema-2.1.0.json, checked by the
//! integration tests).
//!
//! Alerts must not churn between runs: every result carries a [`Fingerprints`] entry that its
//! engine derives from what identifies the finding (audit: code, package, version, advisory;
//! secrets: rule, path, secret digest), never from a line number or a run.

use serde::Serialize;

/// `$schema` of the documents we write.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const VERSION: &str = "2.1.0";

/// The top-level document (§3.13).
#[derive(Debug, Clone, Serialize)]
pub struct Log {
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub version: &'static str,
    pub runs: Vec<Run>,
}

impl Log {
    pub fn new(runs: Vec<Run>) -> Log {
        Log {
            schema: SCHEMA_URI,
            version: VERSION,
            runs,
        }
    }

    /// Pretty JSON with a final newline, as every document we print.
    pub fn to_json(&self) -> String {
        crate::json::document(self)
    }
}

/// One run of one tool (§3.14).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub tool: Tool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automation_details: Option<AutomationDetails>,
    pub results: Vec<SarifResult>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub driver: Driver,
}

/// The tool component that ran (§3.19), with the rules its results refer to.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    pub name: &'static str,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub semantic_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub information_uri: Option<&'static str>,
    pub rules: Vec<ReportingDescriptor>,
}

/// `automationDetails.id` (§3.17): which analysis of the tool this is.
#[derive(Debug, Clone, Serialize)]
pub struct AutomationDetails {
    pub id: String,
}

/// A reporting descriptor (§3.49): what a `ruleId` means.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportingDescriptor {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub short_description: Message,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_description: Option<Message>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<MultiformatMessage>,
    pub properties: RuleProperties,
}

/// The rule's property bag: GitHub reads `tags` and `security-severity` (a score 0.0–10.0
/// as a string).
#[derive(Debug, Clone, Serialize)]
pub struct RuleProperties {
    pub tags: Vec<String>,
    /// Our finding code (`vulnerability`, `secrets:github-token`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    pub security_severity: Option<String>,
}

/// One finding (§3.27).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    pub rule_id: String,
    /// Index of the rule in `driver.rules`.
    pub rule_index: usize,
    pub level: Level,
    pub message: Message,
    pub locations: Vec<Location>,
    pub partial_fingerprints: Fingerprints,
    /// Engine-specific facts (the audit's package, version, status, path count).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_state: Option<BaselineState>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<Suppression>,
}

/// §3.27.10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Note,
}

/// §3.27.24, against the baseline run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BaselineState {
    New,
    Unchanged,
}

/// The stable identity of a result across runs (§3.27.17): one entry, `chainwarden/v1`, a
/// 32-hex-digit digest its engine computes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fingerprints {
    #[serde(rename = "chainwarden/v1")]
    pub v1: String,
}

/// §3.35: a result reviewed and accepted outside the code (a policy ignore).
#[derive(Debug, Clone, Serialize)]
pub struct Suppression {
    pub kind: SuppressionKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SuppressionKind {
    External,
}

#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub text: String,
}

impl Message {
    pub fn new(text: impl Into<String>) -> Message {
        Message { text: text.into() }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct MultiformatMessage {
    pub text: String,
    pub markdown: String,
}

/// Where a result is (§3.28).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub logical_locations: Vec<LogicalLocation>,
}

impl Location {
    /// A line (and column) of a file under `%SRCROOT%`.
    pub fn in_source(uri: &str, start_line: usize, start_column: Option<usize>) -> Location {
        Location {
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation {
                    uri: uri.to_string(),
                    uri_base_id: "%SRCROOT%",
                },
                region: Region {
                    start_line,
                    start_column,
                },
            },
            logical_locations: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    pub artifact_location: ArtifactLocation,
    pub region: Region,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    pub uri: String,
    pub uri_base_id: &'static str,
}

/// Lines and columns are 1-based (§3.30.5).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    pub start_line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_column: Option<usize>,
}

/// A named thing that is not a file position (§3.33): the audit's `package` entry.
#[derive(Debug, Clone, Serialize)]
pub struct LogicalLocation {
    pub name: String,
    pub kind: String,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rule(id: &str) -> ReportingDescriptor {
        ReportingDescriptor {
            id: id.into(),
            name: None,
            short_description: Message::new("short"),
            full_description: None,
            help_uri: None,
            help: None,
            properties: RuleProperties {
                tags: vec!["security".into()],
                code: None,
                security_severity: Some("8.0".into()),
            },
        }
    }

    #[test]
    fn a_log_serialises_in_the_specification_names_without_nulls() {
        let result = SarifResult {
            rule_id: "r".into(),
            rule_index: 0,
            level: Level::Warning,
            message: Message::new("m"),
            locations: vec![Location::in_source("Cargo.lock", 12, Some(3))],
            partial_fingerprints: Fingerprints {
                v1: "ab".repeat(16),
            },
            properties: None,
            baseline_state: Some(BaselineState::Unchanged),
            suppressions: vec![Suppression {
                kind: SuppressionKind::External,
                justification: None,
            }],
        };
        let log = Log::new(vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "chainwarden",
                    version: "0.1.0".into(),
                    semantic_version: None,
                    information_uri: None,
                    rules: vec![rule("r")],
                },
            },
            automation_details: None,
            results: vec![result],
        }]);
        let value: serde_json::Value = serde_json::from_str(&log.to_json()).unwrap();
        assert_eq!(
            value,
            json!({
                "$schema": SCHEMA_URI,
                "version": "2.1.0",
                "runs": [{
                    "tool": {"driver": {"name": "chainwarden", "version": "0.1.0", "rules": [{
                        "id": "r",
                        "shortDescription": {"text": "short"},
                        "properties": {"tags": ["security"], "security-severity": "8.0"}
                    }]}},
                    "results": [{
                        "ruleId": "r",
                        "ruleIndex": 0,
                        "level": "warning",
                        "message": {"text": "m"},
                        "locations": [{"physicalLocation": {
                            "artifactLocation": {"uri": "Cargo.lock", "uriBaseId": "%SRCROOT%"},
                            "region": {"startLine": 12, "startColumn": 3}
                        }}],
                        "partialFingerprints": {"chainwarden/v1": "ab".repeat(16)},
                        "baselineState": "unchanged",
                        "suppressions": [{"kind": "external"}]
                    }]
                }]
            })
        );
        assert!(log.to_json().ends_with("}\n"));
    }
}
