//! Policy files: parsed with spans, then validated into [`Policy`], the only type the checks see.
//!
//! Parsing rejects unknown keys at their position (`deny_unknown_fields`); validation collects
//! *every* problem (bad dates, malformed ids, unknown kinds) before failing, each with file, line
//! and column. The built-in default is `policies/default.toml`, compiled in.

pub mod audit;
mod checksums;
mod commits;
mod deadlines;
mod evidence;
pub mod identity;
mod recover;
pub mod release;
mod report;
pub mod scope;
mod secrets;
pub mod subscription;

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use audit::{AuditPolicy, Ignore};
pub use checksums::ChecksumsPolicy;
pub use commits::CommitsPolicy;
pub use deadlines::Deadlines;
pub use evidence::{Cadence, EvidencePolicy};
pub use release::ReleasePolicy;
pub use report::ReportPolicy;
pub use scope::ScopePolicy;
pub use secrets::SecretsPolicy;
pub use subscription::SubscriptionPolicy;

use crate::error::{Error, Result};

/// The default policy shipped in `policies/default.toml`.
pub const DEFAULT_POLICY: &str = include_str!("../../policies/default.toml");
/// Name under which the built-in default is reported.
pub const DEFAULT_POLICY_NAME: &str = "<built-in policies/default.toml>";

/// A validated policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Where it was loaded from (the built-in name for the default).
    pub source: PathBuf,
    pub scope: ScopePolicy,
    pub audit: AuditPolicy,
    pub deadlines: Deadlines,
    pub checksums: ChecksumsPolicy,
    pub evidence: EvidencePolicy,
    pub release: ReleasePolicy,
    pub secrets: SecretsPolicy,
    pub commits: CommitsPolicy,
    pub report: ReportPolicy,
    pub subscription: SubscriptionPolicy,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPolicy {
    schema_version: Option<toml::Spanned<i64>>,
    #[serde(default)]
    scope: scope::RawScope,
    #[serde(default)]
    audit: audit::RawAudit,
    #[serde(default)]
    deadlines: deadlines::RawDeadlines,
    #[serde(default)]
    checksums: checksums::RawChecksums,
    #[serde(default)]
    evidence: evidence::RawEvidence,
    #[serde(default)]
    release: release::RawRelease,
    #[serde(default)]
    secrets: secrets::RawSecrets,
    #[serde(default)]
    commits: commits::RawCommits,
    #[serde(default)]
    report: report::RawReport,
    #[serde(default)]
    subscription: subscription::RawSubscription,
}

/// Collects validation problems with positions.
pub(crate) struct Problems<'a> {
    pub(crate) path: &'a Path,
    /// Built once: thousands of problems in one file must not each rescan the text.
    lines: crate::lines::LineIndex<'a>,
    pub(crate) errors: Vec<Error>,
}

impl<'a> Problems<'a> {
    pub(crate) fn at(&mut self, span: std::ops::Range<usize>, message: impl Into<String>) {
        self.errors
            .push(Error::located(self.path, &self.lines, span.start, message));
    }

    /// `word` read by `parse` (a typed kind, severity, ...), or a problem at its position:
    /// `FIELD: unknown WHAT `WORD`, expected one of EXPECTED`.
    pub(crate) fn word<T>(
        &mut self,
        word: &toml::Spanned<String>,
        parse: impl Fn(&str) -> Option<T>,
        (field, what, expected): (&str, &str, &str),
    ) -> Option<T> {
        let parsed = parse(word.get_ref());
        if parsed.is_none() {
            self.at(
                word.span(),
                format!(
                    "{field}: unknown {what} `{}`, expected one of {expected}",
                    word.get_ref()
                ),
            );
        }
        parsed
    }
}

impl Policy {
    /// The built-in default policy.
    pub fn builtin() -> Policy {
        Policy::parse(Path::new(DEFAULT_POLICY_NAME), DEFAULT_POLICY)
            .expect("the shipped default policy is valid (tested)")
    }

    /// Loads and validates a policy file.
    pub fn load(path: &Path) -> Result<Policy> {
        let text = crate::fsutil::read_text(path, crate::fsutil::InputKind::Policy)?;
        Policy::parse(path, &text)
    }

    /// `--policy FILE` if given, else the built-in default.
    pub fn load_or_default(path: Option<&Path>) -> Result<Policy> {
        match path {
            Some(p) => Policy::load(p),
            None => Ok(Policy::builtin()),
        }
    }

    /// Parses and validates, reporting every problem of the file (unknown keys, wrong types,
    /// invalid values), in file order, each with file:line:column and its key.
    pub fn parse(path: &Path, text: &str) -> Result<Policy> {
        let mut problems = Problems {
            path,
            lines: crate::lines::LineIndex::new(text),
            errors: Vec::new(),
        };
        let raw: RawPolicy = match recover::deserialize(text) {
            Ok(raw) => raw,
            Err((found, partial)) => {
                for p in found {
                    problems.errors.push(match p.span {
                        Some(span) => Error::located(path, &problems.lines, span.start, p.message),
                        None => Error::input(path, p.message),
                    });
                }
                // Validate what did deserialize, to report its problems in the same run.
                if let Some(raw) = partial {
                    raw.validate(&mut problems);
                }
                return Err(problems.into_error());
            }
        };
        let policy = raw.validate(&mut problems);
        match problems.errors.len() {
            0 => Ok(Policy {
                source: path.to_path_buf(),
                ..policy
            }),
            _ => Err(problems.into_error()),
        }
    }
}

impl<'a> Problems<'a> {
    /// All problems as one error, in file order.
    fn into_error(mut self) -> Error {
        self.errors.sort_by_key(|e| match e {
            Error::Located { line, column, .. } => (*line, *column),
            _ => (0, 0),
        });
        match self.errors.len() {
            1 => self.errors.remove(0),
            _ => Error::Many(self.errors),
        }
    }
}

impl RawPolicy {
    fn validate(self, problems: &mut Problems<'_>) -> Policy {
        let raw = self;
        if let Some(v) = &raw.schema_version {
            if *v.get_ref() != 1 {
                problems.at(
                    v.span(),
                    format!(
                        "schema_version: unsupported version {}, expected 1",
                        v.get_ref()
                    ),
                );
            }
        }
        let scope = raw.scope.validate(problems);
        let audit = raw.audit.validate(problems);
        let deadlines = raw.deadlines.validate(problems);
        let checksums = raw.checksums.validate(problems);
        let evidence = raw.evidence.validate(problems);
        let release = raw.release.validate(problems);
        let secrets = raw.secrets.validate(problems);
        let commits = raw.commits.validate(problems);
        let report = raw.report.validate(problems);
        let subscription = raw.subscription.validate(problems);
        Policy {
            source: PathBuf::new(),
            scope,
            audit,
            deadlines,
            checksums,
            evidence,
            release,
            secrets,
            commits,
            report,
            subscription,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_policies_are_valid() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
        let mut seen = 0;
        for entry in std::fs::read_dir(root).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                Policy::load(&path).unwrap_or_else(|e| panic!("{e}"));
                seen += 1;
            }
        }
        assert!(seen >= 3, "default, strict and an example ship");
        let _ = Policy::builtin();
    }

    #[test]
    fn unknown_key_is_located() {
        let text = "[audit]\nfail_on = [\"vulnerability\"]\nfial_on = []\n";
        let err = Policy::parse(Path::new("p.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("p.toml:3:1: audit.fial_on: unknown field `fial_on`"),
            "{err}"
        );
    }

    #[test]
    fn every_problem_is_reported() {
        let text = r#"
[scope]
tenant_id = "bad tenant!"

[audit]
fail_on = ["vulnerability", "sorta-bad"]
severity_threshold = "severe"

[[audit.ignore]]
id = "RUSTSEC-20-1"
reason = "x"
approved_by = "sec-team"
expires = "2026-13-01"
"#;
        let err = Policy::parse(Path::new("p.toml"), text)
            .unwrap_err()
            .to_string();
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 5, "{err}");
        assert!(
            lines[0].starts_with("p.toml:3:13: scope.tenant_id"),
            "{err}"
        );
        assert_eq!(
            lines[1],
            "p.toml:6:29: audit.fail_on: unknown kind `sorta-bad`, expected one of \
             vulnerability, unsound, unmaintained, notice, yanked"
        );
        assert_eq!(
            lines[2],
            "p.toml:7:22: audit.severity_threshold: unknown severity `severe`, expected one of \
             none, low, medium, high, critical"
        );
        assert!(
            lines[3].starts_with("p.toml:10:6: audit.ignore[0].id"),
            "{err}"
        );
        assert!(
            lines[4].starts_with("p.toml:13:11: audit.ignore[0].expires"),
            "{err}"
        );
    }
}
