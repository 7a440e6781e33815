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

    use serde_json::json;

    use super::SecretsReport;
    use crate::output::style::{paint, BOLD, DIM, ERROR, OK};

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
            SecretsFormat::Sarif => {
                let rules: Vec<serde_json::Value> = crate::secrets::rules::scanned()
                    .map(|rule| json!({"id": format!("secrets:{}", rule.id), "shortDescription": {"text": rule.description}, "properties": {"security-severity": "8.0", "tags": ["security", "secret"]}}))
                    .collect();
                let results: Vec<serde_json::Value> = r
                    .findings
                    .iter()
                    .map(|f| {
                        json!({
                            "ruleId": f.code,
                            "level": "error",
                            "message": {"text": format!("{} ({}): {}", f.rule, f.commit.as_deref().unwrap_or("working tree"), f.preview)},
                            "locations": [{"physicalLocation": {"artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"}, "region": {"startLine": f.line, "startColumn": f.column}}}],
                            "partialFingerprints": {"chainwarden/v1": f.fingerprint},
                        })
                    })
                    .collect();
                let doc = json!({"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
                    "runs": [{"tool": {"driver": {"name": "chainwarden", "version": env!("CARGO_PKG_VERSION"), "rules": rules}}, "results": results}]});
                serde_json::to_string_pretty(&doc).expect("serialises") + "\n"
            }
        }
    }
}
