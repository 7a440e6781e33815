//! The verification result model shared by every `verify` subcommand. It is the JSON schema
//! of `chainwarden verify ... --format json`.
//!
//! A report holds one [`SubjectResult`] per thing verified (an artifact, a bundle, a commit);
//! each holds the [`Check`]s made on it. A subject's verdict is derived from its checks, and
//! the report's from its subjects, so the two can never disagree.

use serde::{Deserialize, Serialize};

pub use super::code::Code;
use crate::exit::Outcome;
use crate::named::named_enum;

pub const SCHEMA_VERSION: u32 = 1;

/// The verdict of one check, subject or report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Checked and good.
    Verified,
    /// Checked and bad: the artifact must not be trusted.
    Failed,
    /// Could not be checked (missing input, unreadable file, unsupported format).
    Unverifiable,
}

impl Verdict {
    /// Failed dominates Unverifiable, which dominates Verified.
    pub fn combine(self, other: Verdict) -> Verdict {
        use Verdict::*;
        match (self, other) {
            (Failed, _) | (_, Failed) => Failed,
            (Unverifiable, _) | (_, Unverifiable) => Unverifiable,
            _ => Verified,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Verified => "verified",
            Verdict::Failed => "failed",
            Verdict::Unverifiable => "unverifiable",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One check made on a subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// Stable code, e.g. `verify:digest-mismatch`, `verify:sigstore-identity`.
    pub code: Code,
    pub verdict: Verdict,
    /// One line a person reads.
    pub message: String,
    /// Machine-readable facts (expected/actual digests, offsets, identities), sorted by key.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty", default)]
    pub details: std::collections::BTreeMap<String, String>,
}

impl Check {
    pub fn new(code: Code, verdict: Verdict, message: impl Into<String>) -> Check {
        Check {
            code,
            verdict,
            message: message.into(),
            details: Default::default(),
        }
    }

    pub fn detail(mut self, key: &str, value: impl Into<String>) -> Check {
        self.details.insert(key.to_string(), value.into());
        self
    }
}

/// Everything verified about one subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectResult {
    /// Artifact name (as in the manifest), bundle path, commit id, ...
    pub name: String,
    /// `sha256:HEX` of the subject when it was hashed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub digest: Option<String>,
    pub verdict: Verdict,
    pub checks: Vec<Check>,
}

impl SubjectResult {
    pub fn new(name: impl Into<String>, digest: Option<String>, checks: Vec<Check>) -> Self {
        let verdict = derive_verdict(checks.iter().map(|c| c.verdict));
        SubjectResult {
            name: name.into(),
            digest,
            verdict,
            checks,
        }
    }
}

fn derive_verdict(verdicts: impl Iterator<Item = Verdict>) -> Verdict {
    let mut any = false;
    let mut verdict = Verdict::Verified;
    for v in verdicts {
        any = true;
        verdict = verdict.combine(v);
    }
    if any {
        verdict
    } else {
        Verdict::Unverifiable
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub verified: usize,
    pub failed: usize,
    pub unverifiable: usize,
}

named_enum! {
    /// The `verify` subcommand a report is the result of.
    VerifyCommand {
        Checksums => "checksums",
        Rebuild => "rebuild",
        Bundle => "bundle",
        Provenance => "provenance",
        Release => "release",
        Commits => "commits",
    }
}

/// The result of one `chainwarden verify ...` run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    pub schema_version: u32,
    pub tool_version: String,
    pub command: VerifyCommand,
    /// When it ran (RFC 3339, UTC).
    pub time: String,
    pub verdict: Verdict,
    pub counts: Counts,
    pub subjects: Vec<SubjectResult>,
    /// Things the reader must know that are not checks (e.g. an opt-in was used).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub notes: Vec<String>,
}

impl VerifyReport {
    pub fn new(
        command: VerifyCommand,
        time: String,
        subjects: Vec<SubjectResult>,
        notes: Vec<String>,
    ) -> Self {
        let mut counts = Counts::default();
        for s in &subjects {
            match s.verdict {
                Verdict::Verified => counts.verified += 1,
                Verdict::Failed => counts.failed += 1,
                Verdict::Unverifiable => counts.unverifiable += 1,
            }
        }
        VerifyReport {
            schema_version: SCHEMA_VERSION,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            command,
            time,
            verdict: derive_verdict(subjects.iter().map(|s| s.verdict)),
            counts,
            subjects,
            notes,
        }
    }

    /// 0 verified, 1 a verification failed, 2 could not verify.
    pub fn outcome(&self) -> Outcome {
        match self.verdict {
            Verdict::Verified => Outcome::Pass,
            Verdict::Failed => Outcome::Fail,
            Verdict::Unverifiable => Outcome::Inconclusive,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_roll_up() {
        let ok = Check::new(Code::Digest, Verdict::Verified, "ok");
        let bad = Check::new(Code::DigestMismatch, Verdict::Failed, "bad");
        let unk = Check::new(Code::Missing, Verdict::Unverifiable, "missing");
        let a = SubjectResult::new("a", None, vec![ok.clone()]);
        let b = SubjectResult::new("b", None, vec![ok.clone(), unk]);
        let c = SubjectResult::new("c", None, vec![ok, bad]);
        assert_eq!(a.verdict, Verdict::Verified);
        assert_eq!(b.verdict, Verdict::Unverifiable);
        assert_eq!(c.verdict, Verdict::Failed);
        let r = VerifyReport::new(
            VerifyCommand::Checksums,
            "t".into(),
            vec![a.clone(), b.clone()],
            vec![],
        );
        assert_eq!(r.outcome(), Outcome::Inconclusive);
        let r = VerifyReport::new(
            VerifyCommand::Checksums,
            "t".into(),
            vec![a.clone(), b, c],
            vec![],
        );
        assert_eq!(r.outcome(), Outcome::Fail);
        assert_eq!(
            r.counts,
            Counts {
                verified: 1,
                failed: 1,
                unverifiable: 1
            }
        );
        let r = VerifyReport::new(VerifyCommand::Checksums, "t".into(), vec![a], vec![]);
        assert_eq!(r.outcome(), Outcome::Pass);
        // Nothing checked is not "verified".
        let r = VerifyReport::new(VerifyCommand::Checksums, "t".into(), vec![], vec![]);
        assert_eq!(r.outcome(), Outcome::Inconclusive);
    }

    /// The command is stored in every recorded verification: its names are pinned, and a
    /// payload naming another is no verification report.
    #[test]
    fn commands_keep_their_names_and_others_are_refused() {
        let names: Vec<&str> = VerifyCommand::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            names,
            [
                "checksums",
                "rebuild",
                "bundle",
                "provenance",
                "release",
                "commits"
            ]
        );
        let report = VerifyReport::new(VerifyCommand::Commits, "t".into(), vec![], vec![]);
        let mut json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["command"], "commits");
        assert_eq!(
            serde_json::from_value::<VerifyReport>(json.clone()).unwrap(),
            report
        );
        json["command"] = "commit".into();
        let e = serde_json::from_value::<VerifyReport>(json).unwrap_err();
        assert!(e.to_string().contains("unknown variant `commit`"), "{e}");
    }
}
