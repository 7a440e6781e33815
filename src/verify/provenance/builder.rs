//! Which builder is trusted, with slsa-verifier's rules (`verifiers/internal/gha/builder.go`,
//! `verifiers/utils/builder.go`).
//!
//! - The signer is the certificate's workflow `NAME@REF`. Without `--builder-id` only the
//!   slsa-github-generator builders slsa-verifier trusts by default are trusted (generic
//!   generator, Go builder, container-based builder, and the two BYOB delegators); with it,
//!   the signer must match it (a BYOB delegator always may sign: the id then names the TRW).
//! - The signer's ref must be a release tag `refs/tags/vX.Y.Z` (no pre-release, no build
//!   metadata): a branch such as `main` can be moved by anyone who can push to it.
//! - Builder ids compare as slsa-verifier's `MatchesLoose`: the name must be equal; a version,
//!   when given, must equal the ref or its short form (`@v2.1.0` for `@refs/tags/v2.1.0`).

pub const GENERATOR_REPO: &str = "https://github.com/slsa-framework/slsa-github-generator";
const WORKFLOWS: &str =
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/";
pub const GENERIC: &str = "generator_generic_slsa3.yml";
pub const GO: &str = "builder_go_slsa3.yml";
pub const CONTAINER_BASED: &str = "builder_container-based_slsa3.yml";
pub const DELEGATOR: &str = "delegator_generic_slsa3.yml";
pub const DELEGATOR_LOWPERMS: &str = "delegator_lowperms-generic_slsa3.yml";
const JRELEASER: &str = "https://github.com/jreleaser/release-action";

/// A builder id: `NAME` or `NAME@VERSION`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuilderId {
    pub name: String,
    pub version: Option<String>,
}

impl BuilderId {
    /// As slsa-verifier's `ParseBuilderID`: at most one `@`, and never an empty version.
    pub fn parse(id: &str) -> Result<BuilderId, String> {
        let mut parts = id.split('@');
        let name = parts.next().unwrap_or_default();
        let version = parts.next();
        if parts.next().is_some() || name.is_empty() || version == Some("") {
            return Err(format!("malformed builder id `{id}`"));
        }
        Ok(BuilderId {
            name: name.to_string(),
            version: version.map(String::from),
        })
    }

    /// `expected` (a user's id) matches this (a full `NAME@REF`): same name; its version, if
    /// any, equal to the ref or to the tag the ref names.
    pub fn matches_loose(&self, expected: &BuilderId) -> bool {
        self.name == expected.name
            && expected
                .version
                .as_ref()
                .is_none_or(|v| self.version_matches(v))
    }

    /// Same name and same version (the short tag form allowed).
    pub fn matches_full(&self, expected: &BuilderId) -> bool {
        self.name == expected.name
            && match (&self.version, &expected.version) {
                (Some(_), Some(v)) => self.version_matches(v),
                (None, None) => true,
                _ => false,
            }
    }

    fn version_matches(&self, v: &str) -> bool {
        self.version
            .as_deref()
            .is_some_and(|mine| mine == v || mine.strip_prefix("refs/tags/") == Some(v))
    }
}

impl std::fmt::Display for BuilderId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.version {
            Some(v) => write!(f, "{}@{v}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

fn generator(file: &str) -> String {
    format!("{WORKFLOWS}{file}")
}

/// slsa-verifier's default trusted builders for artifacts.
pub fn trusted_by_default(name: &str) -> bool {
    [GENERIC, GO, CONTAINER_BASED, DELEGATOR, DELEGATOR_LOWPERMS]
        .iter()
        .any(|f| name == generator(f))
}

pub fn is_delegator(name: &str) -> bool {
    name == generator(DELEGATOR) || name == generator(DELEGATOR_LOWPERMS)
}

pub fn is_container_based(name: &str) -> bool {
    name == generator(CONTAINER_BASED)
}

/// Whether `name` lives in the slsa-github-generator repository.
pub fn is_generator_workflow(name: &str) -> bool {
    name.starts_with(WORKFLOWS)
}

/// `refs/tags/vX.Y.Z`, no pre-release, no build metadata (slsa-verifier `IsValidBuilderTag`).
pub fn valid_builder_ref(r: &str) -> bool {
    r.strip_prefix("refs/tags/")
        .and_then(|t| t.strip_prefix('v'))
        .is_some_and(|v| {
            let parts: Vec<&str> = v.split('.').collect();
            parts.len() == 3
                && parts.iter().all(|p| {
                    !p.is_empty()
                        && p.bytes().all(|b| b.is_ascii_digit())
                        && (p.len() == 1 || !p.starts_with('0'))
                })
        })
}

/// The JReleaser exception of slsa-verifier: `refs/tags/vX.Y.Z-java`.
fn valid_jreleaser_ref(r: &str) -> bool {
    r.strip_suffix("-java").is_some_and(valid_builder_ref)
}

/// A TRW named in BYOB provenance must be pinned at a release tag.
pub fn valid_delegated_builder(id: &BuilderId) -> bool {
    match &id.version {
        None => false,
        Some(v) if id.name.starts_with(JRELEASER) => valid_jreleaser_ref(v),
        Some(v) => valid_builder_ref(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_ids_match_in_every_form() {
        let cert = BuilderId::parse(&format!("{}@refs/tags/v2.1.0", generator(GO))).unwrap();
        for ok in [
            generator(GO),
            format!("{}@v2.1.0", generator(GO)),
            format!("{}@refs/tags/v2.1.0", generator(GO)),
        ] {
            assert!(cert.matches_loose(&BuilderId::parse(&ok).unwrap()), "{ok}");
        }
        for bad in [
            format!("{}@v2.0.0", generator(GO)),
            format!("{}@refs/heads/v2.1.0", generator(GO)),
            generator(GENERIC),
        ] {
            assert!(
                !cert.matches_loose(&BuilderId::parse(&bad).unwrap()),
                "{bad}"
            );
        }
        assert!(BuilderId::parse("a@b@c").is_err());
        assert!(BuilderId::parse("a@").is_err());
    }

    #[test]
    fn only_release_tags_are_builder_refs() {
        for ok in ["refs/tags/v2.1.0", "refs/tags/v10.0.12"] {
            assert!(valid_builder_ref(ok), "{ok}");
        }
        for bad in [
            "refs/heads/main",
            "refs/tags/v2.1",
            "refs/tags/v2.1.0-rc.1",
            "refs/tags/v2.1.0+build",
            "refs/tags/2.1.0",
            "refs/tags/v02.1.0",
            "v2.1.0",
        ] {
            assert!(!valid_builder_ref(bad), "{bad}");
        }
        assert!(valid_jreleaser_ref("refs/tags/v1.0.0-java"));
    }
}
