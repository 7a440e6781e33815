//! `chainwarden secrets scan`: committed secrets in files and in git history.
//!
//! One Aho-Corasick pass over each file finds every rule keyword; only the lines holding one are
//! matched against the rules' regexes. A finding shows where the secret is and a redacted
//! preview of its line, never the secret; its fingerprint (rule, path, digest of the secret) is
//! stable, so a reviewed false positive can be allowlisted in the policy.

pub use crate::redact::rules;
pub mod scan;

use serde::Serialize;

pub use scan::{scan_git_range, scan_tree, Scanner};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct SecretFinding {
    /// `secrets:<rule>`.
    pub code: String,
    pub rule: String,
    pub path: String,
    pub line: usize,
    pub column: usize,
    /// The commit that added it (history scans).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The line with the secret masked, at most 160 characters.
    pub preview: String,
    /// `sha256(rule, path, secret)`, first 16 bytes: the allowlist key.
    pub fingerprint: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SecretsReport {
    pub schema_version: u32,
    pub files_scanned: usize,
    pub commits_scanned: usize,
    pub findings: Vec<SecretFinding>,
    /// Findings an allowlist entry of the policy suppressed.
    pub allowlisted: usize,
}

pub mod render {
    use std::fmt::Write;

    use super::SecretsReport;
    use crate::output::style::{paint, BOLD, DIM, ERROR, OK};
    use crate::sarif::{
        self, Driver, Fingerprints, Level, Location, Message, Rule, RuleProperties, Run,
        SarifResult, Tool,
    };

    #[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
    pub enum SecretsFormat {
        Human,
        Json,
        Sarif,
    }

    pub fn render(r: &SecretsReport, format: SecretsFormat) -> String {
        match format {
            SecretsFormat::Json => serde_json::to_string_pretty(r).expect("serialises") + "\n",
            SecretsFormat::Human => {
                let mut o = String::new();
                for f in &r.findings {
                    let at = match &f.commit {
                        Some(c) => format!(
                            "{}:{}:{} (commit {})",
                            f.path,
                            f.line,
                            f.column,
                            &c[..c.len().min(12)]
                        ),
                        None => format!("{}:{}:{}", f.path, f.line, f.column),
                    };
                    let _ = writeln!(
                        o,
                        "{} {} {}",
                        paint(ERROR, &format!("secret[{}]", f.rule)),
                        paint(BOLD, &at),
                        paint(DIM, &format!("fingerprint {}", f.fingerprint))
                    );
                    let _ = writeln!(o, "    {}", f.preview);
                }
                let verdict = if r.findings.is_empty() {
                    paint(OK, "clean")
                } else {
                    paint(ERROR, "SECRETS FOUND")
                };
                let _ = writeln!(
                    o,
                    "{verdict}: {} finding(s) in {} file(s) and {} commit(s); {} allowlisted",
                    r.findings.len(),
                    r.files_scanned,
                    r.commits_scanned,
                    r.allowlisted
                );
                o
            }
            SecretsFormat::Sarif => sarif(r),
        }
    }

    /// Every rule the scanner has, then the file rules (`dotenv-file`), so each result's
    /// `ruleIndex` points at its rule.
    fn rules() -> Vec<(String, String)> {
        crate::secrets::rules::scanned()
            .map(|rule| (rule.id.to_string(), rule.description.to_string()))
            .chain(crate::secrets::rules::EXTRA_IDS.iter().map(|id| {
                let what = match *id {
                    "dotenv-file" => "A committed .env file (commit .env.example instead)",
                    other => other,
                };
                (id.to_string(), what.to_string())
            }))
            .collect()
    }

    fn sarif(r: &SecretsReport) -> String {
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
            .map(|(id, description)| Rule {
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
}
