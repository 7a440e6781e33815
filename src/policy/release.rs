//! `[release]`: what `chainwarden verify release` requires, and whose signatures it trusts.

use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::identity::{Identity, KeylessSigner};
use super::Problems;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReleasePolicy {
    /// The checksum manifest's file name (default: the first of SHA256SUMS, checksums.txt,
    /// SHA256SUMS.txt found in the release).
    pub manifest: Option<String>,
    /// Trusted signers, their identities compiled here once (regexps anchored).
    pub signers: Vec<KeylessSigner>,
    /// Every artifact (or the manifest) must carry a valid bundle from a trusted signer.
    pub require_signatures: bool,
    /// Every artifact must be the subject of verified provenance.
    pub require_provenance: bool,
    /// Every executable (ELF, PE, Mach-O, WebAssembly) must carry the dependency list
    /// `cargo auditable` embeds, equal to the release's `Cargo.lock` and passing the audit.
    pub require_auditable: bool,
    pub source_uri: Option<String>,
    pub builder_id: Option<String>,
    /// The workflow that must have signed GitHub artifact attestations.
    pub signer_workflow: Option<String>,
    pub trusted_root: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRelease {
    manifest: Option<String>,
    #[serde(default)]
    signers: Vec<Spanned<RawSigner>>,
    require_signatures: Option<bool>,
    require_provenance: Option<bool>,
    require_auditable: Option<bool>,
    source_uri: Option<String>,
    builder_id: Option<String>,
    signer_workflow: Option<String>,
    trusted_root: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSigner {
    identity: Option<String>,
    identity_regexp: Option<Spanned<String>>,
    issuer: String,
}

impl RawRelease {
    pub(super) fn validate(self, problems: &mut Problems<'_>) -> ReleasePolicy {
        let mut signers = Vec::new();
        for (i, s) in self.signers.into_iter().enumerate() {
            let span = s.span();
            let s = s.into_inner();
            let identity = match (s.identity, s.identity_regexp) {
                (Some(exact), None) => Identity::Exact(exact),
                (None, Some(re)) => match Identity::regexp(re.get_ref()) {
                    Ok(identity) => identity,
                    Err(e) => {
                        problems.at(
                            re.span(),
                            format!("release.signers[{i}].identity_regexp: {e}"),
                        );
                        continue;
                    }
                },
                _ => {
                    problems.at(
                        span,
                        format!(
                            "release.signers[{i}]: give exactly one of identity, identity_regexp"
                        ),
                    );
                    continue;
                }
            };
            signers.push(KeylessSigner {
                identity,
                issuer: s.issuer,
            });
        }
        let require_signatures = self.require_signatures.unwrap_or(!signers.is_empty());
        ReleasePolicy {
            manifest: self.manifest,
            signers,
            require_signatures,
            require_provenance: self.require_provenance.unwrap_or(false),
            require_auditable: self.require_auditable.unwrap_or(false),
            source_uri: self.source_uri,
            builder_id: self.builder_id,
            signer_workflow: self.signer_workflow,
            trusted_root: self.trusted_root.map(PathBuf::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::Policy;
    use super::*;

    #[test]
    fn signers_are_compiled_once_at_validation_and_anchored() {
        let text = r#"
[[release.signers]]
identity_regexp = "https://github\\.com/acme/.*"
issuer = "https://token.actions.githubusercontent.com"

[[release.signers]]
identity = "release@acme.example"
issuer = "https://accounts.google.com"
"#;
        let policy = Policy::parse(Path::new("p.toml"), text).unwrap();
        let [re, exact] = policy.release.signers.as_slice() else {
            panic!("{:?}", policy.release.signers)
        };
        assert!(matches!(re.identity, Identity::Regexp { .. }));
        assert!(re.identity.matches("https://github.com/acme/app"));
        // Anchored at both ends: the trusted text inside a longer identity is not enough.
        assert!(!re
            .identity
            .matches("https://evil.example/https://github.com/acme/app"));
        assert_eq!(
            exact.identity,
            Identity::Exact("release@acme.example".into())
        );
        assert!(!exact.identity.matches("release@acme.example.evil"));
        assert!(
            policy.release.require_signatures,
            "signers imply signatures"
        );
    }

    #[test]
    fn a_bad_identity_regexp_is_located_at_its_value() {
        let text = "[[release.signers]]\nidentity_regexp = \"(\"\nissuer = \"i\"\n";
        let err = Policy::parse(Path::new("p.toml"), text)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "p.toml:2:19: release.signers[0].identity_regexp: invalid identity regexp"
            ),
            "{err}"
        );
    }
}
