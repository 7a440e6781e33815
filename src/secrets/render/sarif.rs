//! The secrets scan as SARIF 2.1.0 (the typed model of `crate::sarif`): one rule per
//! scanner rule, each finding an error at its file, line and column, fingerprinted by the
//! finding's own fingerprint (the allowlist key), so alerts do not churn.

use crate::sarif::{
    self, Driver, Fingerprints, Level, Location, Message, ReportingDescriptor, RuleProperties, Run,
    SarifResult, Tool,
};
use crate::secrets::SecretsReport;

/// Every rule the scanner has, then the file rules (`dotenv-file`), so each result's
/// `ruleIndex` points at its rule.
fn rules() -> Vec<(String, String)> {
    crate::secrets::rules::scanned()
        .map(|rule| (rule.id.to_string(), rule.description.to_string()))
        .chain(
            crate::secrets::rules::FILE_RULES
                .iter()
                .map(|rule| (rule.id.to_string(), rule.description.to_string())),
        )
        .collect()
}

pub(super) fn render(r: &SecretsReport) -> String {
    let mut rules = rules();
    let mut results = Vec::with_capacity(r.findings.len());
    for f in &r.findings {
        // A finding of a rule the table lacks still points at a rule of its own.
        let rule_index = match rules.iter().position(|(id, _)| *id == f.rule) {
            Some(i) => i,
            None => {
                rules.push((f.rule.clone(), f.rule.clone()));
                rules.len() - 1
            }
        };
        results.push(SarifResult {
            rule_id: f.code.clone(),
            rule_index,
            level: Level::Error,
            message: Message::new(format!(
                "{} ({}): {}",
                f.rule,
                f.commit.as_deref().unwrap_or("working tree"),
                f.preview
            )),
            locations: vec![Location::in_source(&f.path, f.line, Some(f.column))],
            partial_fingerprints: Fingerprints {
                v1: f.fingerprint.clone(),
            },
            properties: None,
            baseline_state: None,
            suppressions: Vec::new(),
        });
    }
    let rules = rules
        .into_iter()
        .map(|(id, description)| ReportingDescriptor {
            id: format!("secrets:{id}"),
            name: None,
            short_description: Message::new(description),
            full_description: None,
            help_uri: None,
            help: None,
            properties: RuleProperties {
                tags: vec!["security".into(), "secret".into()],
                code: None,
                security_severity: Some("8.0".into()),
            },
        })
        .collect();
    sarif::Log::new(vec![Run {
        tool: Tool {
            driver: Driver {
                name: "chainwarden",
                version: env!("CARGO_PKG_VERSION").to_string(),
                semantic_version: None,
                information_uri: None,
                rules,
            },
        },
        automation_details: None,
        results,
    }])
    .to_json()
}
