//! `[secrets]`: allowlists for `chainwarden secrets scan`, by path glob, rule and fingerprint.

use serde::Deserialize;
use toml::Spanned;

use super::Problems;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SecretsPolicy {
    pub allow_paths: Vec<String>,
    pub allow_rules: Vec<String>,
    pub allow_fingerprints: Vec<String>,
}

impl SecretsPolicy {
    pub fn allows(&self, path: &str, rule: &str, fingerprint: &str) -> bool {
        self.allow_rules.iter().any(|r| r == rule)
            || self.allow_fingerprints.iter().any(|f| f == fingerprint)
            || self.allow_paths.iter().any(|g| glob_matches(g, path))
    }
}

/// `*` matches within a path segment, `**` across segments.
pub(super) fn glob_matches(glob: &str, path: &str) -> bool {
    let mut re = String::from("^");
    let mut chars = glob.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                    re.push_str("(?:.*/)?");
                } else {
                    re.push_str(".*");
                }
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re).is_ok_and(|r| r.is_match(path))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSecrets {
    #[serde(default)]
    allow_paths: Vec<String>,
    #[serde(default)]
    allow_rules: Vec<Spanned<String>>,
    #[serde(default)]
    allow_fingerprints: Vec<Spanned<String>>,
}

impl RawSecrets {
    pub(super) fn validate(self, problems: &mut Problems<'_>) -> SecretsPolicy {
        let known: Vec<&str> = crate::redact::rules::scanned()
            .map(|r| r.id)
            .chain(crate::redact::rules::EXTRA_IDS.iter().copied())
            .collect();
        let mut allow_rules = Vec::new();
        for r in self.allow_rules {
            if known.contains(&r.get_ref().as_str()) {
                allow_rules.push(r.into_inner());
            } else {
                problems.at(
                    r.span(),
                    format!(
                        "secrets.allow_rules: unknown rule `{}`, expected one of {}",
                        r.get_ref(),
                        known.join(", ")
                    ),
                );
            }
        }
        let mut allow_fingerprints = Vec::new();
        for f in self.allow_fingerprints {
            if f.get_ref().len() == 32 && f.get_ref().bytes().all(|b| b.is_ascii_hexdigit()) {
                allow_fingerprints.push(f.into_inner().to_ascii_lowercase());
            } else {
                problems.at(
                    f.span(),
                    format!(
                        "secrets.allow_fingerprints: `{}` is not a 32-hex-digit fingerprint",
                        f.get_ref()
                    ),
                );
            }
        }
        SecretsPolicy {
            allow_paths: self.allow_paths,
            allow_rules,
            allow_fingerprints,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_matches("tests/fixtures/**", "tests/fixtures/a/b.txt"));
        assert!(glob_matches("**/*.pem", "certs/dev/x.pem"));
        assert!(glob_matches("**/*.pem", "x.pem"));
        assert!(!glob_matches("tests/*.txt", "tests/a/b.txt"));
        assert!(glob_matches("docs/?.md", "docs/a.md"));
    }
}
