//! SLSA provenance (v0.2 and v1) in a Sigstore bundle holding a DSSE envelope with an in-toto
//! statement, checked as slsa-verifier does: the bundle verifies offline (certificate, log,
//! signature) with the GitHub Actions OIDC issuer; a subject digest equals the artifact's; the
//! builder that signed is trusted (see [`builder`]) and is the one the provenance names; the
//! source repository (in the certificate and in the provenance) and ref are the ones expected.
//!
//! Parse once, judge only what was verified: the bundle is read once and parsed strictly, and
//! the statement is read from the payload of the very envelope whose signature the engine
//! verified ([`statement::Statement::from_verified`]). A message-signature bundle is never
//! provenance; the payload type must be in-toto.

pub mod builder;
mod checks;
pub mod source;
pub mod statement;

use std::path::Path;

use self::builder::BuilderId;
use self::source::RefRequirement;
use self::statement::Statement;
use super::model::{Check, Code, SubjectResult, Verdict};
use super::sigstore::document;
use super::sigstore::{load_trusted_root, verify_signed, Authority, Signed};
use crate::error::{Error, Result};

/// GitHub Actions' OIDC issuer: every provenance we accept was signed by a workflow.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

pub struct ProvenanceRequest<'a> {
    pub artifact: &'a Path,
    pub provenance: &'a Path,
    /// `github.com/ORG/REPO`.
    pub source_uri: &'a str,
    /// Refs the build must have run on (all of them).
    pub source_refs: &'a [RefRequirement],
    /// Expected builder id: `NAME`, `NAME@vX.Y.Z` or `NAME@refs/tags/vX.Y.Z`.
    pub builder_id: Option<&'a str>,
    /// Expected signing workflow (GitHub artifact attestations), same forms.
    pub signer_workflow: Option<&'a str>,
    pub trusted_root: Option<&'a Path>,
}

pub fn verify_provenance(req: &ProvenanceRequest<'_>) -> Result<SubjectResult> {
    let parse_id = |flag: &str, v: Option<&str>| -> Result<Option<BuilderId>> {
        v.map(|s| {
            BuilderId::parse(s).map_err(|e| Error::usage(format!("{flag}: {e}")).caused_by(e))
        })
        .transpose()
    };
    let expected_builder = parse_id("--builder-id", req.builder_id)?;
    let expected_signer = parse_id("--signer-workflow", req.signer_workflow)?;
    let mut file = crate::fsutil::open_regular(req.artifact)?;
    let digest = document::sha256_reader(&mut file).map_err(|e| Error::io(req.artifact, e))?;
    let name = req.artifact.display().to_string();
    let done = |checks: Vec<Check>| {
        Ok(SubjectResult::new(
            name.clone(),
            Some(format!("sha256:{digest}")),
            checks,
        ))
    };
    let bytes = crate::fsutil::read_bytes(req.provenance, crate::fsutil::InputKind::Provenance)?;
    if let Some(check) = bare_envelope(&bytes) {
        return done(vec![check]);
    }
    let root = load_trusted_root(req.trusted_root)?;
    let verified = match verify_signed(
        &bytes,
        Signed::Digest(&digest),
        Authority::Issuer(GITHUB_ISSUER),
        &root,
        false,
    )? {
        Ok(v) => v,
        Err(failed) => {
            let msg = format!("provenance-signature: {}", failed.message);
            return done(vec![Check::new(
                Code::ProvenanceSignature,
                Verdict::Failed,
                msg,
            )]);
        }
    };
    let signer = verified.identities().first().cloned().unwrap_or_default();
    let mut out = vec![Check::new(
        Code::ProvenanceSignature,
        Verdict::Verified,
        format!("signed by {signer} through GitHub Actions; log entry verified"),
    )
    .detail("identity", signer.clone())];
    let st = match Statement::from_verified(&verified) {
        Ok(st) => st,
        Err(m) => {
            out.push(Check::new(
                Code::ProvenanceStatement,
                Verdict::Failed,
                format!("provenance-statement: {m}"),
            ));
            return done(out);
        }
    };
    out.push(checks::subject(&st, &digest));
    out.push(checks::builder(
        &st,
        &signer,
        verified.result().certificate(),
        expected_builder.as_ref(),
        expected_signer.as_ref(),
        req.source_uri,
    ));
    out.push(checks::source(
        &st,
        verified.result().certificate(),
        req.source_uri,
    ));
    out.extend(req.source_refs.iter().map(|r| checks::git_ref(&st, r)));
    done(out)
}

/// A bare DSSE envelope (no certificate chain, no log entry): nothing offline proves when it
/// was signed, so it cannot be verified here (slsa-verifier looks the entry up online).
fn bare_envelope(bytes: &[u8]) -> Option<Check> {
    let tree = crate::json::parse(bytes).ok()?;
    (tree.get("payloadType").is_some() && tree.get("verificationMaterial").is_none()).then(|| {
        Check::new(
            Code::ProvenanceSignature,
            Verdict::Unverifiable,
            "unverifiable offline: a bare DSSE envelope carries no transparency-log evidence (its log entry can only be looked up online); publish a Sigstore bundle",
        )
    })
}
