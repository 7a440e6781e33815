//! The vocabulary every engine shares: finding kinds, severities and the package of an
//! inventory. A leaf: it imports nothing from the crate, so the policy, the inventory and the
//! engines can all use it without importing each other (`audit::model` re-exports it).

use serde::{Deserialize, Serialize};

/// The kind of a finding. Serialised in kebab-case: `vulnerability`, `unmaintained`, ...
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    Vulnerability,
    Unsound,
    Unmaintained,
    Notice,
    Yanked,
}

impl FindingKind {
    pub const ALL: [FindingKind; 5] = [
        FindingKind::Vulnerability,
        FindingKind::Unsound,
        FindingKind::Unmaintained,
        FindingKind::Notice,
        FindingKind::Yanked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Vulnerability => "vulnerability",
            FindingKind::Unsound => "unsound",
            FindingKind::Unmaintained => "unmaintained",
            FindingKind::Notice => "notice",
            FindingKind::Yanked => "yanked",
        }
    }

    pub fn parse(text: &str) -> Option<FindingKind> {
        FindingKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Stable finding code: SARIF rule id, evidence key, documentation anchor.
    pub fn code(self) -> &'static str {
        match self {
            FindingKind::Vulnerability => "advisory:vulnerability",
            FindingKind::Unsound => "advisory:unsound",
            FindingKind::Unmaintained => "advisory:unmaintained",
            FindingKind::Notice => "advisory:notice",
            FindingKind::Yanked => "advisory:yanked",
        }
    }
}

/// Qualitative severity (CVSS v3/v4 bands). `None` is a score of 0.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::None,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::None => "none",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// CVSS base score bands (FIRST CVSS v3.1 §5).
    pub fn from_score(score: f64) -> Severity {
        match score {
            s if s >= 9.0 => Severity::Critical,
            s if s >= 7.0 => Severity::High,
            s if s >= 4.0 => Severity::Medium,
            s if s > 0.0 => Severity::Low,
            _ => Severity::None,
        }
    }
}

impl std::fmt::Display for FindingKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a finding counts against the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingStatus {
    Open,
    Ignored,
    IgnoreExpired,
}

impl FindingStatus {
    pub const ALL: [FindingStatus; 3] = [
        FindingStatus::Open,
        FindingStatus::Ignored,
        FindingStatus::IgnoreExpired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FindingStatus::Open => "open",
            FindingStatus::Ignored => "ignored",
            FindingStatus::IgnoreExpired => "ignore-expired",
        }
    }

    pub fn parse(text: &str) -> Option<FindingStatus> {
        FindingStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// How a package is reached from the workspace, when `cargo metadata` told us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DependencyKind {
    Normal,
    Build,
    Dev,
}

/// One package of the inventory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Package {
    pub name: String,
    pub version: String,
    /// `registry+URL`, `git+URL#rev`, or `null` for path packages and workspace members.
    pub source: Option<String>,
    /// Checksum from the lockfile, when it has one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub checksum: Option<String>,
    /// Kinds by which the workspace reaches it (metadata mode only; empty in lockfile mode).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub dependency_kinds: Vec<DependencyKind>,
    /// Whether it is a workspace member.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub workspace_member: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `as_str` is the serialised form (renderers, issue markers and JSON say the same word),
    /// `parse` reads it back, and no two variants share one.
    #[test]
    fn names_are_the_serialised_forms_unique_and_parse_back() {
        fn check<T: Serialize + Copy + PartialEq + std::fmt::Debug>(
            all: &[T],
            as_str: fn(T) -> &'static str,
            parse: fn(&str) -> Option<T>,
        ) {
            let mut seen = std::collections::BTreeSet::new();
            for &v in all {
                assert_eq!(serde_json::to_value(v).unwrap(), as_str(v), "{v:?}");
                assert_eq!(parse(as_str(v)), Some(v));
                assert!(seen.insert(as_str(v)), "{v:?} shares its name");
            }
            assert_eq!(parse("unknown"), None);
        }
        check(&FindingKind::ALL, FindingKind::as_str, FindingKind::parse);
        check(&Severity::ALL, Severity::as_str, Severity::parse);
        check(
            &FindingStatus::ALL,
            FindingStatus::as_str,
            FindingStatus::parse,
        );
    }
}
