//! Signer identity policy: an exact identity, or a regular expression that must match the
//! *whole* identity (anchored), so `https://github.com/acme/` never accepts
//! `https://github.com/acme/evil/...` by substring.
//!
//! The policy compiles each identity once, when it is validated ([`KeylessSigner`] in
//! `[[release.signers]]`); verification uses that compiled form and never compiles again.

use regex::Regex;

#[derive(Debug, Clone)]
pub enum Identity {
    Exact(String),
    Regexp { pattern: String, regex: Regex },
}

/// Two identities are equal when they accept by the same rule: the same exact text, or the
/// same pattern (`Regex` has no equality of its own; the compiled form follows the pattern).
impl PartialEq for Identity {
    fn eq(&self, other: &Identity) -> bool {
        match (self, other) {
            (Identity::Exact(a), Identity::Exact(b)) => a == b,
            (Identity::Regexp { pattern: a, .. }, Identity::Regexp { pattern: b, .. }) => a == b,
            _ => false,
        }
    }
}

impl Eq for Identity {}

/// A trusted keyless (Fulcio certificate) signer: the identity its certificate must name and
/// the OIDC issuer that must have vouched for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeylessSigner {
    pub identity: Identity,
    pub issuer: String,
}

impl Identity {
    /// An anchored regexp: matches only when it matches the whole identity.
    pub fn regexp(pattern: &str) -> Result<Identity, String> {
        let regex = Regex::new(&format!("^(?:{pattern})$"))
            .map_err(|e| format!("invalid identity regexp: {e}"))?;
        Ok(Identity::Regexp {
            pattern: pattern.to_string(),
            regex,
        })
    }

    pub fn matches(&self, actual: &str) -> bool {
        match self {
            Identity::Exact(expected) => expected == actual,
            Identity::Regexp { regex, .. } => regex.is_match(actual),
        }
    }
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Identity::Exact(s) => write!(f, "`{s}`"),
            Identity::Regexp { pattern, .. } => write!(f, "the regexp `^(?:{pattern})$`"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regexps_are_anchored() {
        let id = Identity::regexp(
            r"https://github\.com/acme/app/\.github/workflows/release\.yml@refs/tags/v.*",
        )
        .unwrap();
        assert!(id
            .matches("https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.2.0"));
        assert!(!id.matches("https://evil.example/https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1"));
        let prefix = Identity::regexp("https://github.com/acme/").unwrap();
        assert!(
            !prefix.matches("https://github.com/acme/evil/.github/workflows/x.yml@refs/heads/main")
        );
        assert!(
            Identity::Exact("a".into()).matches("a") && !Identity::Exact("a".into()).matches("ab")
        );
        assert!(Identity::regexp("(").is_err());
    }
}
