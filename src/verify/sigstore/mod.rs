//! Sigstore bundle verification, fully offline, on the Sigstore project's Rust verifier
//! (`sigstore-verify`): certificate chain to a Fulcio CA of the trusted root at the signing
//! time, SCTs against the CT log keys, the transparency-log entry against the bundle (body,
//! kind, signature, certificate, artifact digest), its inclusion proof up to a checkpoint signed
//! by a Rekor key of the root, the signed entry timestamp / integrated time inside the
//! certificate's validity, RFC 3161 timestamps, and the signature over the artifact.
//!
//! What the engine leaves to us lives here: the anchored identity regexp, managed-key bundles
//! from a PEM file, the loudly named opt-in for bundles without a log entry, and mapping each
//! failure to a named check.

pub mod identity;

use std::path::{Path, PathBuf};

use sigstore_verify::trust_root::{SigstoreInstance, TrustedRoot};
use sigstore_verify::types::{Bundle, DerPublicKey, Sha256Hash};
use sigstore_verify::{
    Error as EngineError, PublicKeyVerificationPolicy, VerificationPolicy, VerificationResult,
    Verifier,
};

use self::identity::Identity;
use super::model::{Check, SubjectResult, Verdict};
use crate::error::{Error, Result};

/// What is being verified: the artifact's bytes, or only its SHA-256.
#[derive(Debug, Clone)]
pub enum ArtifactInput {
    File(PathBuf),
    Sha256(String),
}

impl ArtifactInput {
    /// `sha256:HEX`, or a path.
    pub fn parse(text: &str) -> Result<ArtifactInput> {
        match text.strip_prefix("sha256:") {
            Some(hex) if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Ok(ArtifactInput::Sha256(hex.to_ascii_lowercase()))
            }
            Some(_) => Err(Error::Usage(format!(
                "`{text}`: expected sha256: followed by 64 hex digits"
            ))),
            None => Ok(ArtifactInput::File(PathBuf::from(text))),
        }
    }
}

/// Who must have signed.
#[derive(Debug, Clone)]
pub enum Signer {
    /// A Fulcio certificate with this identity and OIDC issuer.
    Keyless { identity: Identity, issuer: String },
    /// A managed key (PEM public key file).
    Key(PathBuf),
}

pub struct BundleRequest<'a> {
    pub artifact: &'a ArtifactInput,
    pub bundle: &'a Path,
    pub signer: &'a Signer,
    /// A trusted root JSON; `None`: the built-in Sigstore public-good root.
    pub trusted_root: Option<&'a Path>,
    /// Accept a bundle without a transparency-log entry (unsafe, explicit opt-in).
    pub insecure_skip_tlog: bool,
}

/// Loads a trusted root file, or the built-in public-good root.
pub fn load_trusted_root(path: Option<&Path>) -> Result<TrustedRoot> {
    match path {
        Some(p) => {
            let json = crate::fsutil::read_text(p, crate::fsutil::InputKind::TrustedRoot)?;
            TrustedRoot::from_json(&json)
                .map_err(|e| Error::input(p, format!("not a Sigstore trusted root: {e}")))
        }
        None => TrustedRoot::from_embedded(SigstoreInstance::PublicGood)
            .map_err(|e| Error::Usage(format!("built-in trusted root: {e}"))),
    }
}

/// Verifies one bundle. Missing or unreadable inputs are errors (exit 2); everything about the
/// bundle itself is a check, failed with the name of what failed.
pub fn verify_bundle(req: &BundleRequest<'_>) -> Result<SubjectResult> {
    let bundle_json =
        crate::fsutil::read_text(req.bundle, crate::fsutil::InputKind::SigstoreBundle)?;
    let root = load_trusted_root(req.trusted_root)?;
    let name = match req.artifact {
        ArtifactInput::File(p) => p.display().to_string(),
        ArtifactInput::Sha256(h) => format!("sha256:{h}"),
    };
    let digest = match req.artifact {
        ArtifactInput::File(p) => {
            let d = super::checksums::hash::hash_file(
                p,
                super::checksums::manifest::Algorithm::Sha256,
                &|_| {},
            )
            .map_err(|e| Error::io(p, e))?;
            d.hex
        }
        ArtifactInput::Sha256(h) => h.clone(),
    };
    let fail = |code: &str, message: String| {
        SubjectResult::new(
            name.clone(),
            Some(format!("sha256:{digest}")),
            vec![Check::new(code, Verdict::Failed, message)],
        )
    };
    let bundle = match Bundle::from_json(&bundle_json) {
        Ok(b) => b,
        Err(e) => {
            return Ok(fail(
                "verify:sigstore-bundle",
                format!("not a valid Sigstore bundle: {e}"),
            ))
        }
    };
    let verifier = match Verifier::new(&root) {
        Ok(v) => v,
        Err(e) => return Err(Error::Usage(format!("trusted root is unusable: {e}"))),
    };
    let outcome = run_engine(req, &verifier, &bundle, &digest)?;
    let mut checks = Vec::new();
    match outcome {
        Err(e) => {
            let (code, message) = classify(&e);
            checks.push(Check::new(code, Verdict::Failed, message));
        }
        Ok(result) => {
            checks.extend(passed_checks(&result, req));
            if let (Signer::Keyless { identity, issuer }, Some(actual)) =
                (req.signer, result.identity())
            {
                let ok = identity.matches(actual.as_str());
                let check = Check::new(
                    "verify:sigstore-identity",
                    if ok {
                        Verdict::Verified
                    } else {
                        Verdict::Failed
                    },
                    if ok {
                        format!("signed by {} (issuer {issuer})", actual.as_str())
                    } else {
                        format!(
                            "certificate identity {} does not match {identity}",
                            actual.as_str()
                        )
                    },
                )
                .detail("identity", actual.as_str().to_string())
                .detail("issuer", result.issuer().unwrap_or_default().to_string());
                checks.push(check);
            }
        }
    }
    Ok(SubjectResult::new(
        name,
        Some(format!("sha256:{digest}")),
        checks,
    ))
}

fn run_engine(
    req: &BundleRequest<'_>,
    verifier: &Verifier,
    bundle: &Bundle,
    digest: &str,
) -> Result<std::result::Result<VerificationResult, EngineError>> {
    let sha =
        Sha256Hash::from_hex(digest).map_err(|e| Error::Usage(format!("artifact digest: {e}")))?;
    // Artifacts given as files are verified over their bytes (some signature schemes need
    // them); digests go in as digests.
    let bytes = match req.artifact {
        ArtifactInput::File(p) => Some(std::fs::read(p).map_err(|e| Error::io(p, e))?),
        ArtifactInput::Sha256(_) => None,
    };
    let result = match req.signer {
        Signer::Key(path) => {
            let pem = crate::fsutil::read_text(path, crate::fsutil::InputKind::Keys)?;
            let key = DerPublicKey::from_pem(&pem)
                .map_err(|e| Error::input(path, format!("not a PEM public key: {e}")))?;
            let mut policy = PublicKeyVerificationPolicy::new(key);
            if req.insecure_skip_tlog {
                policy = policy.skip_tlog_unsafe();
            }
            match &bytes {
                Some(b) => verifier.verify(b.as_slice(), bundle, &policy),
                None => verifier.verify(sha, bundle, &policy),
            }
        }
        Signer::Keyless { identity, issuer } => {
            let mut policy = match identity {
                Identity::Exact(id) => VerificationPolicy::new(id.as_str(), issuer.as_str()),
                // The engine matches exact identities only; the anchored regexp is checked on
                // the verified certificate's identity afterwards.
                Identity::Regexp { .. } => {
                    VerificationPolicy::any_identity().require_issuer(issuer.as_str())
                }
            };
            if req.insecure_skip_tlog {
                policy = policy.skip_tlog_unsafe();
            }
            match &bytes {
                Some(b) => verifier.verify(b.as_slice(), bundle, &policy),
                None => verifier.verify(sha, bundle, &policy),
            }
        }
    };
    Ok(result)
}

fn passed_checks(result: &VerificationResult, req: &BundleRequest<'_>) -> Vec<Check> {
    let mut checks = Vec::new();
    if result.certificate_verified() {
        checks.push(Check::new(
            "verify:sigstore-certificate-chain",
            Verdict::Verified,
            "certificate chains to a trusted Fulcio CA at the signing time",
        ));
    }
    if result.sct_verified() {
        checks.push(Check::new(
            "verify:sigstore-sct",
            Verdict::Verified,
            "signed certificate timestamp verifies against a trusted CT log",
        ));
    }
    if result.tlog_verified() {
        let mut c = Check::new(
            "verify:sigstore-tlog",
            Verdict::Verified,
            "transparency-log entry matches the bundle; inclusion proof / checkpoint / SET verify",
        );
        if let Some(t) = result.integrated_time() {
            c = c.detail("integrated_time", t.to_string());
        }
        checks.push(c);
    } else if req.insecure_skip_tlog {
        checks.push(Check::new(
            "verify:sigstore-tlog-skipped",
            Verdict::Verified,
            "TRANSPARENCY LOG NOT CHECKED (--insecure-skip-tlog): nothing proves this signature was published",
        ));
    }
    checks.push(Check::new(
        "verify:sigstore-signature",
        Verdict::Verified,
        "signature verifies over the artifact",
    ));
    if let Signer::Key(path) = req.signer {
        checks.push(Check::new(
            "verify:sigstore-key",
            Verdict::Verified,
            format!("signed with the key in {}", path.display()),
        ));
    }
    checks
}

/// The check a failure belongs to, and a message that names it.
fn classify(e: &EngineError) -> (&'static str, String) {
    let code = match e {
        EngineError::IdentityMismatch { .. } | EngineError::IssuerMismatch { .. } => {
            "verify:sigstore-identity"
        }
        EngineError::SignatureInvalid(_) => "verify:sigstore-signature",
        EngineError::ArtifactMismatch(_) => "verify:sigstore-artifact",
        EngineError::Certificate(_) | EngineError::TrustedCertificate(_) => {
            "verify:sigstore-certificate-chain"
        }
        EngineError::TransparencyLog(_) => "verify:sigstore-tlog",
        EngineError::Timestamp(_) => "verify:sigstore-timestamp",
        // Bundle-structure errors that are really about the log entry are named as such.
        EngineError::InvalidBundle(_)
        | EngineError::UnsupportedBundle(_)
        | EngineError::Bundle(_)
        | EngineError::Types(_) => {
            let text = e.to_string().to_ascii_lowercase();
            if [
                "checkpoint",
                "inclusion",
                "tlog",
                "log entry",
                "transparency",
                "root hash",
            ]
            .iter()
            .any(|w| text.contains(w))
            {
                "verify:sigstore-tlog"
            } else if text.contains("certificate") {
                "verify:sigstore-certificate-chain"
            } else {
                "verify:sigstore-bundle"
            }
        }
        EngineError::InvalidTrustRoot(_) | EngineError::TrustRoot(_) => {
            "verify:sigstore-trusted-root"
        }
        _ => "verify:sigstore-signature",
    };
    (code, format!("{}: {e}", code.trim_start_matches("verify:")))
}
