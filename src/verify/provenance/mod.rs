//! SLSA provenance (v0.2 and v1) in a Sigstore bundle holding a DSSE envelope with an in-toto
//! statement, checked as slsa-verifier does: the bundle verifies offline (certificate, log,
//! signature) with the GitHub Actions OIDC issuer; a subject digest equals the artifact's; the
//! builder that signed is the one the provenance names and the one expected; the source
//! repository and ref are the ones expected.

pub mod source;

use std::path::Path;

use base64::Engine;
use serde_json::Value;
use sigstore_verify::types::{Bundle, Sha256Hash};
use sigstore_verify::{VerificationPolicy, Verifier};

use self::source::{builder_matches, normalize_repo, RefRequirement};
use super::checksums::hash::hash_file;
use super::checksums::manifest::Algorithm;
use super::model::{Check, SubjectResult, Verdict};
use super::sigstore::load_trusted_root;
use crate::error::{Error, Result};

/// GitHub Actions' OIDC issuer: every provenance we accept was signed by a workflow.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// Builders trusted without `--builder-id` (slsa-verifier's default: the SLSA generators).
pub const DEFAULT_TRUSTED_BUILDER_PREFIX: &str =
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/";

pub struct ProvenanceRequest<'a> {
    pub artifact: &'a Path,
    pub provenance: &'a Path,
    /// `github.com/ORG/REPO`.
    pub source_uri: &'a str,
    pub source_ref: Option<&'a RefRequirement>,
    /// Expected builder id, with or without `@ref`.
    pub builder_id: Option<&'a str>,
    pub trusted_root: Option<&'a Path>,
}

pub fn verify_provenance(req: &ProvenanceRequest<'_>) -> Result<SubjectResult> {
    let digest = hash_file(req.artifact, Algorithm::Sha256, &|_| {})
        .map_err(|e| Error::io(req.artifact, e))?
        .hex;
    let name = req.artifact.display().to_string();
    let text = crate::fsutil::read_text(req.provenance, crate::fsutil::InputKind::Provenance)?;
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let fail = |code: &str, msg: String| Check::new(code, Verdict::Failed, msg);
    let mut checks = Vec::new();
    let bundle = match Bundle::from_json(first) {
        Ok(b) => b,
        Err(e) => {
            let check = if first.contains("\"payloadType\"")
                && !first.contains("\"verificationMaterial\"")
            {
                Check::new(
                    "verify:provenance-signature",
                    Verdict::Unverifiable,
                    "a bare DSSE envelope carries no certificate or log proof: it cannot be verified offline (publish a Sigstore bundle)",
                )
            } else {
                fail(
                    "verify:provenance-signature",
                    format!("not a Sigstore bundle: {e}"),
                )
            };
            return Ok(SubjectResult::new(
                name,
                Some(format!("sha256:{digest}")),
                vec![check],
            ));
        }
    };
    let root = load_trusted_root(req.trusted_root)?;
    let verifier =
        Verifier::new(&root).map_err(|e| Error::Usage(format!("trusted root is unusable: {e}")))?;
    let sha = Sha256Hash::from_hex(&digest).map_err(|e| Error::Usage(e.to_string()))?;
    let policy = VerificationPolicy::any_identity().require_issuer(GITHUB_ISSUER);
    let signer = match verifier.verify(sha, &bundle, &policy) {
        Ok(result) => {
            let identity = result
                .identity()
                .map(|i| i.as_str().to_string())
                .unwrap_or_default();
            checks.push(
                Check::new(
                    "verify:provenance-signature",
                    Verdict::Verified,
                    format!("signed by {identity} through GitHub Actions; log entry verified"),
                )
                .detail("identity", identity.clone()),
            );
            identity
        }
        Err(e) => {
            checks.push(fail(
                "verify:provenance-signature",
                format!("provenance-signature: {e}"),
            ));
            return Ok(SubjectResult::new(
                name,
                Some(format!("sha256:{digest}")),
                checks,
            ));
        }
    };
    let statement = match statement(first) {
        Ok(s) => s,
        Err(m) => {
            checks.push(fail("verify:provenance-statement", m));
            return Ok(SubjectResult::new(
                name,
                Some(format!("sha256:{digest}")),
                checks,
            ));
        }
    };
    checks.push(subject_check(&statement, &digest));
    checks.push(builder_check(&statement, &signer, req.builder_id));
    checks.extend(source_checks(&statement, req.source_uri, req.source_ref));
    Ok(SubjectResult::new(
        name,
        Some(format!("sha256:{digest}")),
        checks,
    ))
}

/// The in-toto statement inside the bundle's DSSE envelope.
fn statement(bundle_json: &str) -> std::result::Result<Value, String> {
    let bundle: Value = serde_json::from_str(bundle_json).map_err(|e| e.to_string())?;
    let envelope = &bundle["dsseEnvelope"];
    if envelope["payloadType"] != "application/vnd.in-toto+json" {
        return Err("the bundle holds no in-toto DSSE envelope".into());
    }
    let payload = base64::engine::general_purpose::STANDARD
        .decode(envelope["payload"].as_str().unwrap_or(""))
        .map_err(|e| format!("envelope payload is not base64: {e}"))?;
    let st: Value =
        serde_json::from_slice(&payload).map_err(|e| format!("statement is not JSON: {e}"))?;
    match st["predicateType"].as_str() {
        Some("https://slsa.dev/provenance/v0.2") | Some("https://slsa.dev/provenance/v1") => Ok(st),
        other => Err(format!("not SLSA provenance (predicateType {other:?})")),
    }
}

fn subject_check(st: &Value, digest: &str) -> Check {
    let subjects = st["subject"].as_array().cloned().unwrap_or_default();
    match subjects.iter().find(|s| {
        s["digest"]["sha256"]
            .as_str()
            .is_some_and(|d| d.eq_ignore_ascii_case(digest))
    }) {
        Some(s) => Check::new(
            "verify:provenance-subject",
            Verdict::Verified,
            format!(
                "artifact is the subject `{}`",
                s["name"].as_str().unwrap_or("")
            ),
        ),
        None => Check::new(
            "verify:provenance-subject",
            Verdict::Failed,
            "provenance-subject: no subject of the provenance has the artifact's sha256",
        )
        .detail("artifact_sha256", digest.to_string()),
    }
}

/// The builder the provenance names: v0.2 `predicate.builder.id`, v1 `runDetails.builder.id`.
fn predicate_builder(st: &Value) -> Option<&str> {
    st["predicate"]["builder"]["id"]
        .as_str()
        .or_else(|| st["predicate"]["runDetails"]["builder"]["id"].as_str())
}

fn builder_check(st: &Value, signer: &str, expected: Option<&str>) -> Check {
    let named = predicate_builder(st).unwrap_or("");
    let code = "verify:provenance-builder";
    if named != signer {
        return Check::new(code, Verdict::Failed, format!("provenance-builder: the provenance names builder `{named}` but was signed by `{signer}`"));
    }
    match expected {
        Some(want) if builder_matches(signer, want) => Check::new(code, Verdict::Verified, format!("built by {signer}")),
        Some(want) => Check::new(code, Verdict::Failed, format!("provenance-builder: built by `{signer}`, expected `{want}`")),
        None if signer.starts_with(DEFAULT_TRUSTED_BUILDER_PREFIX) => Check::new(code, Verdict::Verified, format!("built by {signer} (a builder trusted by default)")),
        None => Check::new(
            code,
            Verdict::Failed,
            format!("provenance-builder: `{signer}` is not a builder trusted by default: pass --builder-id to accept it"),
        ),
    }
    .detail("builder_id", signer.to_string())
}

/// (repository, ref) the provenance records.
fn provenance_source(st: &Value) -> (Option<String>, Option<String>) {
    let p = &st["predicate"];
    if let Some(uri) = p["invocation"]["configSource"]["uri"].as_str() {
        // git+https://github.com/ORG/REPO@refs/heads/main
        let (repo, r) = uri
            .rsplit_once('@')
            .map_or((uri, None), |(a, b)| (a, Some(b.to_string())));
        let r = r.or_else(|| {
            p["invocation"]["environment"]["github_ref"]
                .as_str()
                .map(String::from)
        });
        return (Some(normalize_repo(repo)), r);
    }
    let wf = &p["buildDefinition"]["externalParameters"]["workflow"];
    (
        wf["repository"].as_str().map(normalize_repo),
        wf["ref"].as_str().map(String::from),
    )
}

fn source_checks(
    st: &Value,
    expected_uri: &str,
    expected_ref: Option<&RefRequirement>,
) -> Vec<Check> {
    let (repo, git_ref) = provenance_source(st);
    let want = normalize_repo(expected_uri);
    let mut checks = vec![match &repo {
        Some(r) if *r == want => Check::new(
            "verify:provenance-source",
            Verdict::Verified,
            format!("built from {r}"),
        ),
        Some(r) => Check::new(
            "verify:provenance-source",
            Verdict::Failed,
            format!("provenance-source: built from `{r}`, expected `{want}`"),
        ),
        None => Check::new(
            "verify:provenance-source",
            Verdict::Failed,
            "provenance-source: the provenance records no source repository",
        ),
    }];
    if let Some(req) = expected_ref {
        let actual = git_ref.unwrap_or_default();
        checks.push(if req.matches(&actual) {
            Check::new(
                "verify:provenance-ref",
                Verdict::Verified,
                format!("built from {actual}"),
            )
        } else {
            Check::new(
                "verify:provenance-ref",
                Verdict::Failed,
                format!("provenance-ref: built from `{actual}`, expected {req}"),
            )
        });
    }
    checks
}
