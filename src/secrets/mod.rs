//! `chainwarden secrets scan`: committed secrets in files and in git history.
//!
//! One Aho-Corasick pass over each file finds every rule keyword; only the lines holding one are
//! matched against the rules' regexes. A finding shows where the secret is and a redacted
//! preview of its line, never the secret; its fingerprint (rule, path, digest of the secret) is
//! stable, so a reviewed false positive can be allowlisted in the policy.

pub use crate::redact::rules;
pub mod render;
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
