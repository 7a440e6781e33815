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

pub mod document;
pub use crate::policy::identity;
pub mod san;

use std::path::{Path, PathBuf};

use sigstore_verify::trust_root::{SigstoreInstance, TrustedRoot};
use sigstore_verify::types::{Bundle, DerPublicKey, Sha256Hash};
use sigstore_verify::{
    Error as EngineError, PublicKeyVerificationPolicy, VerificationPolicy, VerificationResult,
    Verifier,
};

use self::identity::{Identity, KeylessSigner};
use super::model::{Check, Code, SubjectResult, Verdict};
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
            Some(_) => Err(Error::usage(format!(
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
    Keyless(KeylessSigner),
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
            let bytes = crate::fsutil::read_bytes(p, crate::fsutil::InputKind::TrustedRoot)?;
            let json = String::from_utf8(bytes)
                .map_err(|_| Error::input(p, "not a Sigstore trusted root: not UTF-8"))?;
            TrustedRoot::from_json(&json)
                .map_err(|e| Error::input(p, format!("not a Sigstore trusted root: {e}")))
        }
        None => TrustedRoot::from_embedded(SigstoreInstance::PublicGood)
            .map_err(|e| Error::usage(format!("built-in trusted root: {e}")).caused_by(e)),
    }
}

/// A bundle the engine verified (certificate chain, SCT, log entry, signature) with the
/// identities its certificate names. Only [`verify_signed`] builds one, so holding one is
/// proof the checks ran; the statement of a DSSE bundle is read from [`Self::bundle`], the very
/// envelope whose signature was verified.
pub struct VerifiedBundle {
    bundle: Bundle,
    result: VerificationResult,
    identities: Vec<String>,
    pruned_timestamps: usize,
}

impl VerifiedBundle {
    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }
    pub fn result(&self) -> &VerificationResult {
        &self.result
    }
    /// Every SAN identity of the signing certificate (e-mail, URI, Fulcio otherName).
    pub fn identities(&self) -> &[String] {
        &self.identities
    }
}

/// Who may have signed, as far as the engine checks: a managed key, or any certificate
/// identity from this OIDC issuer (identities are judged by the caller, over every SAN kind).
#[derive(Clone, Copy)]
pub enum Authority<'a> {
    Key(&'a Path),
    Issuer(&'a str),
    /// Any certificate: integrity only, for reporting who signed when nobody is trusted.
    AnyCertificate,
}

/// What the engine is asked to verify the signature over.
pub enum Signed<'a> {
    Digest(&'a str),
    Reader(&'a mut dyn std::io::Read),
}

/// Parses `bytes` strictly and runs the engine over them. Keyless bundles are verified for any
/// identity of `issuer`; the caller judges the identity (all SAN kinds) afterwards.
/// `Ok(Err(check))` is a bundle that failed, named by the check that failed.
pub fn verify_signed(
    bytes: &[u8],
    artifact: Signed<'_>,
    authority: Authority<'_>,
    root: &TrustedRoot,
    insecure_skip_tlog: bool,
) -> Result<std::result::Result<VerifiedBundle, Check>> {
    let mut bundle = match document::parse_bundle(bytes) {
        Ok(b) => b,
        Err(m) => return Ok(Err(Check::new(Code::SigstoreBundle, Verdict::Failed, m))),
    };
    let pruned_timestamps = document::prune_unverified_timestamps(&mut bundle, root);
    let verifier = Verifier::new(root)
        .map_err(|e| Error::usage(format!("trusted root is unusable: {e}")).caused_by(e))?;
    let outcome = match authority {
        Authority::Key(path) => {
            let pem = String::from_utf8(crate::fsutil::read_bytes(
                path,
                crate::fsutil::InputKind::Keys,
            )?)
            .map_err(|_| Error::input(path, "not a PEM public key (not UTF-8)"))?;
            let key = DerPublicKey::from_pem(&pem)
                .map_err(|e| Error::input(path, format!("not a PEM public key: {e}")))?;
            let mut policy = PublicKeyVerificationPolicy::new(key);
            if insecure_skip_tlog {
                policy = policy.skip_tlog_unsafe();
            }
            run(&verifier, artifact, &bundle, &policy)?
        }
        Authority::Issuer(issuer) => {
            let mut policy = VerificationPolicy::any_identity().require_issuer(issuer);
            if insecure_skip_tlog {
                policy = policy.skip_tlog_unsafe();
            }
            run(&verifier, artifact, &bundle, &policy)?
        }
        Authority::AnyCertificate => {
            let policy = VerificationPolicy::any_identity();
            run(&verifier, artifact, &bundle, &policy)?
        }
    };
    match outcome {
        Err(e) => {
            let (code, message) = classify(&e);
            Ok(Err(Check::new(code, Verdict::Failed, message)))
        }
        Ok(result) => {
            let identities = bundle
                .signing_certificate()
                .map(|c| san::identities(c.as_bytes()))
                .unwrap_or_default();
            Ok(Ok(VerifiedBundle {
                bundle,
                result,
                identities,
                pruned_timestamps,
            }))
        }
    }
}

fn run(
    verifier: &Verifier,
    artifact: Signed<'_>,
    bundle: &Bundle,
    policy: &(impl sigstore_verify::Policy + ?Sized),
) -> Result<std::result::Result<VerificationResult, EngineError>> {
    Ok(match artifact {
        Signed::Digest(hex) => {
            let sha = Sha256Hash::from_hex(hex)
                .map_err(|e| Error::usage(format!("artifact digest: {e}")).caused_by(e))?;
            verifier.verify(sha, bundle, policy)
        }
        Signed::Reader(r) => verifier.verify_reader(r, bundle, policy),
    })
}

/// Verifies one bundle. Missing or unreadable inputs are errors (exit 2); everything about the
/// bundle itself is a check, failed with the name of what failed.
pub fn verify_bundle(req: &BundleRequest<'_>) -> Result<SubjectResult> {
    let bundle_bytes =
        crate::fsutil::read_bytes(req.bundle, crate::fsutil::InputKind::SigstoreBundle)?;
    let root = load_trusted_root(req.trusted_root)?;
    let (name, digest, mut file) = match req.artifact {
        ArtifactInput::File(p) => {
            // Streamed twice (digest for the report, then the engine), never held in memory.
            let mut file = crate::fsutil::open_regular(p)?;
            let digest = document::sha256_reader(&mut file).map_err(|e| Error::io(p, e))?;
            std::io::Seek::rewind(&mut file).map_err(|e| Error::io(p, e))?;
            (p.display().to_string(), digest, Some(file))
        }
        ArtifactInput::Sha256(h) => (format!("sha256:{h}"), h.clone(), None),
    };
    let artifact = match file.as_mut() {
        Some(f) => Signed::Reader(f),
        None => Signed::Digest(&digest),
    };
    let authority = match req.signer {
        Signer::Key(p) => Authority::Key(p),
        Signer::Keyless(k) => Authority::Issuer(&k.issuer),
    };
    let outcome = verify_signed(
        &bundle_bytes,
        artifact,
        authority,
        &root,
        req.insecure_skip_tlog,
    )?;
    let checks = match outcome {
        Err(check) => vec![check],
        Ok(verified) => {
            let mut checks = passed_checks(&verified, req);
            if let Signer::Keyless(k) = req.signer {
                checks.push(identity_check(&verified, &k.identity, &k.issuer));
            }
            checks
        }
    };
    Ok(SubjectResult::new(
        name,
        Some(format!("sha256:{digest}")),
        checks,
    ))
}

/// Verifies `bundle` over the file `artifact` for any certificate identity: `Ok(Ok((identity,
/// issuer)))` when it verifies, `Ok(Err(check))` naming what failed.
pub fn verify_file_any_signer(
    artifact: &Path,
    bundle: &Path,
    trusted_root: Option<&Path>,
) -> Result<std::result::Result<(String, String), Check>> {
    let bytes = crate::fsutil::read_bytes(bundle, crate::fsutil::InputKind::SigstoreBundle)?;
    // A managed-key bundle cannot be checked without its key: "not checked", not "failed".
    if document::parse_bundle(&bytes).is_ok_and(|b| b.signing_certificate().is_none()) {
        return Ok(Err(Check::new(
            Code::SigstoreKey,
            Verdict::Unverifiable,
            "signed with a managed key, and no key is trusted: not checked",
        )));
    }
    let root = load_trusted_root(trusted_root)?;
    let mut file = crate::fsutil::open_regular(artifact)?;
    let outcome = verify_signed(
        &bytes,
        Signed::Reader(&mut file),
        Authority::AnyCertificate,
        &root,
        false,
    )?;
    Ok(outcome.map(|v| {
        (
            v.identities().first().cloned().unwrap_or_default(),
            v.result().issuer().unwrap_or_default().to_string(),
        )
    }))
}

/// The certificate's identity judged against the expected one, over every SAN kind.
fn identity_check(verified: &VerifiedBundle, identity: &Identity, issuer: &str) -> Check {
    let ids = verified.identities();
    let code = Code::SigstoreIdentity;
    let actual_issuer = verified.result().issuer().unwrap_or_default().to_string();
    let check = match ids.iter().find(|id| identity.matches(id)) {
        Some(id) => Check::new(
            code,
            Verdict::Verified,
            format!("signed by {id} (issuer {issuer})"),
        )
        .detail("identity", id.clone()),
        None if ids.is_empty() => Check::new(
            code,
            Verdict::Failed,
            "sigstore-identity: the certificate names no identity",
        ),
        None => Check::new(
            code,
            Verdict::Failed,
            format!(
                "sigstore-identity: certificate identity {} does not match {identity}",
                ids.join(", ")
            ),
        )
        .detail("identity", ids[0].clone()),
    };
    check.detail("issuer", actual_issuer)
}

fn passed_checks(verified: &VerifiedBundle, req: &BundleRequest<'_>) -> Vec<Check> {
    let result = verified.result();
    let mut checks = Vec::new();
    if result.certificate_verified() {
        checks.push(Check::new(
            Code::SigstoreCertificateChain,
            Verdict::Verified,
            "certificate chains to a trusted Fulcio CA at the signing time",
        ));
    }
    if result.sct_verified() {
        checks.push(Check::new(
            Code::SigstoreSct,
            Verdict::Verified,
            "signed certificate timestamp verifies against a trusted CT log",
        ));
    }
    if result.tlog_verified() {
        let mut c = Check::new(
            Code::SigstoreTlog,
            Verdict::Verified,
            "transparency-log entry matches the bundle; inclusion proof / checkpoint / SET verify",
        );
        if let Some(t) = result.integrated_time() {
            c = c.detail("integrated_time", t.to_string());
        }
        checks.push(c);
    } else if req.insecure_skip_tlog {
        checks.push(Check::new(
            Code::SigstoreTlogSkipped,
            Verdict::Verified,
            "TRANSPARENCY LOG NOT CHECKED (--insecure-skip-tlog): nothing proves this signature was published",
        ));
    }
    if verified.pruned_timestamps > 0 {
        checks.push(Check::new(
            Code::SigstoreTimestamp,
            Verdict::Verified,
            format!(
                "{} of the bundle's RFC 3161 timestamps verify; {} that no trusted authority verifies were ignored (threshold 1)",
                result.verified_timestamps().len(),
                verified.pruned_timestamps
            ),
        ));
    }
    checks.push(Check::new(
        Code::SigstoreSignature,
        Verdict::Verified,
        "signature verifies over the artifact",
    ));
    if let Signer::Key(path) = req.signer {
        checks.push(Check::new(
            Code::SigstoreKey,
            Verdict::Verified,
            format!("signed with the key in {}", path.display()),
        ));
    }
    checks
}

/// The check a failure belongs to, and a message that names it. Decided by the error's
/// variants only: their text is detail for people (the engine says so), and a bundle's own
/// strings can end up in it.
fn classify(e: &EngineError) -> (Code, String) {
    use sigstore_verify::bundle::Error as BundleError;
    use sigstore_verify::types::Error as TypesError;
    let code = match e {
        EngineError::IdentityMismatch { .. } | EngineError::IssuerMismatch { .. } => {
            Code::SigstoreIdentity
        }
        EngineError::SignatureInvalid(_) => Code::SigstoreSignature,
        EngineError::ArtifactMismatch(_) => Code::SigstoreArtifact,
        EngineError::Certificate(_) | EngineError::TrustedCertificate(_) => {
            Code::SigstoreCertificateChain
        }
        EngineError::TransparencyLog(_) => Code::SigstoreTlog,
        EngineError::Timestamp(_) => Code::SigstoreTimestamp,
        // Bundle-structure errors that are really about the log entry or the certificate are
        // named as such.
        EngineError::Bundle(
            BundleError::MissingInclusionPromise(_)
            | BundleError::MissingInclusionProof(_)
            | BundleError::MissingSigningTimeEvidence
            | BundleError::MissingCheckpoint
            | BundleError::LogIndexOutOfRange { .. }
            | BundleError::CheckpointRootMismatch,
        )
        | EngineError::Types(TypesError::InvalidCheckpoint(_)) => Code::SigstoreTlog,
        EngineError::Bundle(BundleError::CertificateChainNotAllowed(_)) => {
            Code::SigstoreCertificateChain
        }
        EngineError::InvalidBundle(_)
        | EngineError::UnsupportedBundle(_)
        | EngineError::Bundle(_)
        | EngineError::Types(_) => Code::SigstoreBundle,
        EngineError::InvalidTrustRoot(_) | EngineError::TrustRoot(_) => Code::SigstoreTrustedRoot,
        _ => Code::SigstoreSignature,
    };
    (code, format!("{}: {e}", code.name()))
}

#[cfg(test)]
mod tests {
    use sigstore_verify::bundle::Error as BundleError;
    use sigstore_verify::types::Error as TypesError;

    use super::*;

    /// The check is chosen by the engine's error variant; words in an error's text (which
    /// may quote the bundle) never move a failure to another check.
    #[test]
    fn failures_are_classified_by_variant_not_by_text() {
        let code = |e: EngineError| classify(&e).0;
        assert_eq!(
            code(EngineError::Bundle(BundleError::CheckpointRootMismatch)),
            Code::SigstoreTlog
        );
        assert_eq!(
            code(EngineError::Types(TypesError::InvalidCheckpoint(
                "bad note".into()
            ))),
            Code::SigstoreTlog
        );
        assert_eq!(
            code(EngineError::Bundle(BundleError::MissingTimestamp)),
            Code::SigstoreBundle
        );
        for text in ["tlog checkpoint", "certificate", "inclusion root hash"] {
            assert_eq!(
                code(EngineError::InvalidBundle(text.into())),
                Code::SigstoreBundle,
                "{text}"
            );
            assert_eq!(
                code(EngineError::Types(TypesError::Validation(text.into()))),
                Code::SigstoreBundle,
                "{text}"
            );
        }
        let (code, message) = classify(&EngineError::SignatureInvalid("x".into()));
        assert_eq!(code, Code::SigstoreSignature);
        assert!(message.starts_with(code.name()), "{message}");
    }
}
