//! Source repository and ref matching, with slsa-verifier's semantics.

/// `git+https://github.com/ORG/REPO.git/` → `github.com/ORG/REPO`.
pub fn normalize_repo(uri: &str) -> String {
    let s = uri.trim();
    let s = s.strip_prefix("git+").unwrap_or(s);
    let s = s.split_once("://").map_or(s, |(_, rest)| rest);
    let s = s.trim_end_matches('/');
    s.strip_suffix(".git").unwrap_or(s).to_string()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefRequirement {
    Branch(String),
    Tag(String),
    /// A semver tag whose leading components equal these (`v13.0` accepts `v13.0.30`).
    VersionedTag(String),
}

impl std::fmt::Display for RefRequirement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RefRequirement::Branch(b) => write!(f, "branch `{b}`"),
            RefRequirement::Tag(t) => write!(f, "tag `{t}`"),
            RefRequirement::VersionedTag(t) => write!(f, "a tag of version `{t}`"),
        }
    }
}

/// `v13.0.30` → [13, 0, 30]; `None` unless it is `v` and 1-3 numeric components.
fn semver_parts(tag: &str) -> Option<Vec<u64>> {
    let body = tag.strip_prefix('v')?;
    let parts: Option<Vec<u64>> = body.split('.').map(|p| p.parse().ok()).collect();
    parts.filter(|p| (1..=3).contains(&p.len()))
}

impl RefRequirement {
    pub fn matches(&self, git_ref: &str) -> bool {
        match self {
            RefRequirement::Branch(b) => git_ref == format!("refs/heads/{b}"),
            RefRequirement::Tag(t) => git_ref == format!("refs/tags/{t}"),
            RefRequirement::VersionedTag(want) => {
                let Some(actual) = git_ref.strip_prefix("refs/tags/").and_then(semver_parts) else {
                    return false;
                };
                let Some(want) = semver_parts(want) else {
                    return false;
                };
                // Missing components of the actual tag count as 0 (v14.2 is v14.2.0).
                want.iter()
                    .enumerate()
                    .all(|(i, w)| actual.get(i).copied().unwrap_or(0) == *w)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_tags_match_by_semver_prefix() {
        let v = |t: &str| RefRequirement::VersionedTag(t.into());
        for ok in ["v13.0.30", "v13.0", "v13"] {
            assert!(v(ok).matches("refs/tags/v13.0.30"), "{ok}");
        }
        for bad in ["v2", "v0", "v13.1", "v12.9", "v13.0.29", "v13.0.31"] {
            assert!(!v(bad).matches("refs/tags/v13.0.30"), "{bad}");
        }
        for ok in ["v14.2", "v14"] {
            assert!(v(ok).matches("refs/tags/v14.2"), "{ok}");
        }
        for bad in ["v14.2.1", "v14.2.3", "v14.1", "v14.1.1", "v14.3.1", "v13"] {
            assert!(!v(bad).matches("refs/tags/v14.2"), "{bad}");
        }
        assert!(!v("v1").matches("refs/heads/v1"));
    }

    #[test]
    fn repos_and_builders() {
        assert_eq!(
            normalize_repo("git+https://github.com/a/b.git"),
            "github.com/a/b"
        );
        assert_eq!(normalize_repo("https://github.com/a/b/"), "github.com/a/b");
    }
}
