//! `[release]`: what `chainwarden verify release` requires, and whose signatures it trusts.

use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::Problems;

/// A trusted signer: an exact identity or an (anchored) identity regexp, and the OIDC issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    pub identity: Option<String>,
    pub identity_regexp: Option<String>,
    pub issuer: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReleasePolicy {
    /// The checksum manifest's file name (default: the first of SHA256SUMS, checksums.txt,
    /// SHA256SUMS.txt found in the release).
    pub manifest: Option<String>,
    pub signers: Vec<Signer>,
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
            match (&s.identity, &s.identity_regexp) {
                (Some(_), None) | (None, Some(_)) => {}
                _ => {
                    problems.at(
                        span.clone(),
                        format!(
                            "release.signers[{i}]: give exactly one of identity, identity_regexp"
                        ),
                    );
                    continue;
                }
            }
            if let Some(re) = &s.identity_regexp {
                if let Err(e) = super::identity::Identity::regexp(re.get_ref()) {
                    problems.at(
                        re.span(),
                        format!("release.signers[{i}].identity_regexp: {e}"),
                    );
                    continue;
                }
            }
            signers.push(Signer {
                identity: s.identity,
                identity_regexp: s.identity_regexp.map(Spanned::into_inner),
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
