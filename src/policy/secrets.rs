//! `[secrets]`: allowlists for `chainwarden secrets scan`, by path glob, rule and fingerprint.

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use toml::Spanned;

use super::Problems;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SecretsPolicy {
    pub allow_paths: PathGlobs,
    pub allow_rules: Vec<String>,
    pub allow_fingerprints: Vec<String>,
}

impl SecretsPolicy {
    pub fn allows(&self, path: &str, rule: &str, fingerprint: &str) -> bool {
        self.allow_rules.iter().any(|r| r == rule)
            || self.allow_fingerprints.iter().any(|f| f == fingerprint)
            || self.allow_paths.is_match(path)
    }
}

/// Path globs, compiled once into one matcher when the policy is validated (not per finding),
/// with `globset`'s syntax: `*` and `?` stay within a path segment, `**` crosses segments,
/// `[a-z]` and `{a,b}` are classes and alternatives. A glob that does not compile is a policy
/// error at its position, never a silent non-match.
#[derive(Debug, Clone)]
pub struct PathGlobs {
    patterns: Vec<String>,
    set: GlobSet,
}

impl PathGlobs {
    /// Compiles `patterns`; the error names the first bad one and why.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<PathGlobs, (usize, String)> {
        let mut globs = Vec::with_capacity(patterns.len());
        for (i, p) in patterns.iter().enumerate() {
            globs.push((
                p.as_ref().to_string(),
                path_glob(p.as_ref()).map_err(|e| (i, e))?,
            ));
        }
        PathGlobs::from_compiled(globs).map_err(|e| (0, e))
    }

    fn from_compiled(globs: Vec<(String, Glob)>) -> Result<PathGlobs, String> {
        let mut builder = GlobSetBuilder::new();
        let mut patterns = Vec::with_capacity(globs.len());
        for (pattern, glob) in globs {
            builder.add(glob);
            patterns.push(pattern);
        }
        let set = builder.build().map_err(|e| e.kind().to_string())?;
        Ok(PathGlobs { patterns, set })
    }

    /// Whether any glob matches `path` (relative, `/`-separated).
    pub fn is_match(&self, path: &str) -> bool {
        self.set.is_match(path)
    }

    /// The globs as written in the policy.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }
}

impl Default for PathGlobs {
    fn default() -> Self {
        PathGlobs {
            patterns: Vec::new(),
            set: GlobSet::empty(),
        }
    }
}

/// Two sets are equal when their globs are: the compiled matcher follows from them.
impl PartialEq for PathGlobs {
    fn eq(&self, other: &Self) -> bool {
        self.patterns == other.patterns
    }
}

impl Eq for PathGlobs {}

fn path_glob(pattern: &str) -> Result<Glob, String> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| e.kind().to_string())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSecrets {
    #[serde(default)]
    allow_paths: Vec<Spanned<String>>,
    #[serde(default)]
    allow_rules: Vec<Spanned<String>>,
    #[serde(default)]
    allow_fingerprints: Vec<Spanned<String>>,
}

impl RawSecrets {
    pub(super) fn validate(self, problems: &mut Problems<'_>) -> SecretsPolicy {
        let known: Vec<&str> = crate::redact::rules::finding_rule_ids().collect();
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
        let mut allow_paths = Vec::new();
        for (i, g) in self.allow_paths.into_iter().enumerate() {
            match path_glob(g.get_ref()) {
                Ok(glob) => allow_paths.push((g.into_inner(), glob)),
                Err(why) => problems.at(
                    g.span(),
                    format!(
                        "secrets.allow_paths[{i}]: `{}` is not a valid glob: {why}",
                        g.get_ref()
                    ),
                ),
            }
        }
        // Each glob compiled alone above, so only a limit of globset's own (the combined
        // matcher's size) can fail here; it has no one key to point at.
        let allow_paths = PathGlobs::from_compiled(allow_paths).unwrap_or_else(|why| {
            problems.at(0..0, format!("secrets.allow_paths: {why}"));
            PathGlobs::default()
        });
        SecretsPolicy {
            allow_paths,
            allow_rules,
            allow_fingerprints,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::policy::Policy;

    fn globs(patterns: &[&str]) -> PathGlobs {
        PathGlobs::new(patterns).unwrap()
    }

    #[test]
    fn star_stays_in_a_segment_and_double_star_crosses() {
        let g = globs(&["tests/fixtures/**", "**/*.pem", "docs/?.md", "src/*.rs"]);
        assert!(g.is_match("tests/fixtures/a/b.txt"));
        assert!(g.is_match("certs/dev/x.pem"));
        assert!(g.is_match("x.pem"));
        assert!(g.is_match("docs/a.md"));
        assert!(g.is_match("src/lib.rs"));
        assert!(!g.is_match("src/cli/mod.rs"), "`*` does not cross `/`");
        assert!(!g.is_match("docs/ab.md"));
        assert!(!g.is_match("docs/a/b.md"), "`?` is not a separator");
        assert!(
            !g.is_match("tests/fixtures"),
            "`dir/**` is what is under dir"
        );
        assert!(
            !g.is_match("other/tests/fixtures/a"),
            "anchored at the root"
        );
        assert!(!PathGlobs::default().is_match("anything"));
    }

    #[test]
    fn classes_alternatives_and_escapes() {
        let g = globs(&["key[0-9].txt", "{a,b}/secret.env", "literal\\*.txt"]);
        assert!(g.is_match("key7.txt"));
        assert!(!g.is_match("keyx.txt"));
        assert!(g.is_match("b/secret.env"));
        assert!(!g.is_match("c/secret.env"));
        assert!(g.is_match("literal*.txt"));
        assert!(!g.is_match("literalx.txt"));
    }

    #[test]
    fn an_invalid_glob_is_a_located_policy_error_naming_its_key() {
        let text = "schema_version = 1\n[secrets]\nallow_paths = [\n  \"tests/**\",\n  \"certs/[z-a].pem\",\n  \"{a,b\",\n]\n";
        let err = Policy::parse(Path::new("p.toml"), text)
            .unwrap_err()
            .to_string();
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{err}");
        assert!(
            lines[0].starts_with(
                "p.toml:5:3: secrets.allow_paths[1]: `certs/[z-a].pem` is not a valid glob: "
            ),
            "{err}"
        );
        assert!(lines[0].contains("invalid range"), "{err}");
        assert!(
            lines[1]
                .starts_with("p.toml:6:3: secrets.allow_paths[2]: `{a,b` is not a valid glob: "),
            "{err}"
        );
    }

    #[test]
    fn validated_globs_are_compiled_and_used_by_allows() {
        let text = "[secrets]\nallow_paths = [\"tests/fixtures/**\"]\n";
        let policy = Policy::parse(Path::new("p.toml"), text).unwrap();
        assert_eq!(policy.secrets.allow_paths.patterns(), ["tests/fixtures/**"]);
        assert!(policy.secrets.allows("tests/fixtures/a.pem", "any", "0"));
        assert!(!policy.secrets.allows("src/a.pem", "any", "0"));
    }
}
