//! `chainwarden verify release DIR`: the release manager's one command. Under the policy's
//! `[release]` section: every artifact in the checksum manifest matches; the manifest (or each
//! artifact) has a valid Sigstore bundle from a trusted signer; provenance, when required,
//! verifies for each artifact; with `require_auditable`, every executable carries the
//! dependency list `cargo auditable` embeds, equal to the release's `Cargo.lock` and passing
//! the audit ([`super::auditable`]). One report, one verdict.

use std::path::{Path, PathBuf};

use super::auditable::{self, AuditableRequest};
use super::checksums::{self, ChecksumOptions, Source};
use super::model::{Check, Code, SubjectResult, Verdict, VerifyCommand, VerifyReport};
use super::provenance::{verify_provenance, ProvenanceRequest};
use super::sigstore::{
    verify_bundle, verify_file_any_signer, ArtifactInput, BundleRequest, Signer,
};
use crate::error::{Error, Result};
use crate::policy::{ChecksumsPolicy, ReleasePolicy};

const MANIFESTS: &[&str] = &["SHA256SUMS", "checksums.txt", "SHA256SUMS.txt"];
/// slsa-github-generator's names: `.intoto.jsonl` (generic, Go), `.build.slsa` (BYOB,
/// container-based `.intoto.build.slsa`).
const PROVENANCE_SUFFIXES: &[&str] = &[".intoto.jsonl", ".build.slsa"];
const BUNDLE_SUFFIXES: &[&str] = &[".sigstore.json", ".sigstore", ".bundle"];

fn find_manifest(dir: &Path, policy: &ReleasePolicy) -> Result<PathBuf> {
    if let Some(name) = &policy.manifest {
        return Ok(dir.join(name));
    }
    MANIFESTS
        .iter()
        .map(|m| dir.join(m))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            Error::input(
                dir,
                format!(
                    "no checksum manifest ({}); set release.manifest in the policy",
                    MANIFESTS.join(", ")
                ),
            )
        })
}

fn bundle_for(path: &Path) -> Option<PathBuf> {
    BUNDLE_SUFFIXES
        .iter()
        .map(|s| PathBuf::from(format!("{}{s}", path.display())))
        .find(|p| p.is_file())
}

/// Verifies `file` against its bundle with each trusted signer in turn.
fn signature_check(
    file: &Path,
    bundle: &Path,
    policy: &ReleasePolicy,
    trusted_root: Option<&Path>,
) -> Result<Check> {
    if policy.signers.is_empty() {
        return unchecked_signer(file, bundle, trusted_root);
    }
    let mut last = String::new();
    for trusted in &policy.signers {
        // The policy compiled the identity when it was validated; a clone shares that regex.
        let signer = Signer::Keyless(trusted.clone());
        let subject = verify_bundle(&BundleRequest {
            artifact: &ArtifactInput::File(file.to_path_buf()),
            bundle,
            signer: &signer,
            trusted_root,
            insecure_skip_tlog: false,
        })?;
        if subject.verdict == Verdict::Verified {
            let who = subject
                .checks
                .iter()
                .find_map(|c| c.details.get("identity").cloned())
                .unwrap_or_default();
            return Ok(Check::new(
                Code::ReleaseSignature,
                Verdict::Verified,
                format!("signed by trusted signer {who}"),
            )
            .detail("identity", who)
            .detail("bundle", bundle.display().to_string()));
        }
        last = subject
            .checks
            .iter()
            .find(|c| c.verdict != Verdict::Verified)
            .map(|c| c.message.clone())
            .unwrap_or_default();
    }
    Ok(Check::new(
        Code::ReleaseSignature,
        Verdict::Failed,
        format!(
            "release-signature: no trusted signer verifies {}: {last}",
            bundle.display()
        ),
    ))
}

/// No trusted signer: the bundle is still verified (a broken one fails), but who signed is
/// "not checked", never "verified".
fn unchecked_signer(file: &Path, bundle: &Path, trusted_root: Option<&Path>) -> Result<Check> {
    let code = Code::ReleaseSignature;
    Ok(
        match verify_file_any_signer(file, bundle, trusted_root)? {
            Err(failed) if failed.verdict == Verdict::Unverifiable => Check::new(
                code,
                Verdict::Unverifiable,
                format!("release-signature: {}: {}", bundle.display(), failed.message),
            ),
            Err(failed) => Check::new(
                code,
                Verdict::Failed,
                format!(
                    "release-signature: {} does not verify: {}",
                    bundle.display(),
                    failed.message
                ),
            ),
            Ok((identity, issuer)) => Check::new(
                code,
                Verdict::Unverifiable,
                format!(
                    "release-signature: not checked: {} verifies, signed by {identity} (issuer {issuer}), but the policy trusts no signer ([[release.signers]])",
                    bundle.display()
                ),
            )
            .detail("identity", identity),
        },
    )
}

/// Verifies the release in `dir` under the policy's `[release]` section (`checksum_policy`: what
/// files the manifest does not list do). `auditable` is what `release.require_auditable`
/// needs (the release's lockfile and the audit): required when the policy sets it.
pub fn verify_release(
    dir: &Path,
    rp: &ReleasePolicy,
    checksum_policy: &ChecksumsPolicy,
    time: String,
    mut auditable: Option<&mut AuditableRequest<'_>>,
) -> Result<VerifyReport> {
    if !dir.is_dir() {
        return Err(Error::input(dir, "not a directory"));
    }
    if rp.require_auditable && auditable.is_none() {
        return Err(Error::usage(
            "release.require_auditable needs the release's Cargo.lock: --tag TAG [--repo DIR] or --lockfile FILE".into(),
        ));
    }
    let mut executables = 0;
    let manifest = find_manifest(dir, rp)?;
    let digests = checksums::verify(
        &manifest,
        &ChecksumOptions {
            source: Source::Dir(dir.to_path_buf()),
            fail_unlisted: checksum_policy.fail_unlisted,
            progress: false,
            time: time.clone(),
            ignore_companions: true,
        },
    )?;
    let trusted_root = rp.trusted_root.as_deref();
    let mut notes = digests.notes.clone();
    // A signed manifest covers every artifact it lists.
    let manifest_signature = match bundle_for(&manifest) {
        Some(b) => Some(signature_check(&manifest, &b, rp, trusted_root)?),
        None => None,
    };
    if let Some(check) = &manifest_signature {
        notes.push(format!(
            "manifest {}: {}",
            manifest.display(),
            check.message
        ));
    }
    let provenance_files: Vec<PathBuf> = crate::fsutil::walk::files(dir)?
        .into_iter()
        .filter(|n| PROVENANCE_SUFFIXES.iter().any(|s| n.ends_with(s)))
        .map(|n| dir.join(n))
        .collect();
    let mut subjects = Vec::new();
    for mut subject in digests.subjects {
        let file = dir.join(&subject.name);
        let listed_ok = subject.checks.iter().all(|c| c.code != Code::UnsafeName) && file.is_file();
        if listed_ok && subject.checks.iter().all(|c| c.code != Code::Unlisted) {
            // Bundles found are always checked, required or not: a broken one fails.
            let check = match (&manifest_signature, bundle_for(&file)) {
                (Some(c), _) if c.verdict == Verdict::Verified => Some(c.clone()),
                (_, Some(bundle)) => Some(signature_check(&file, &bundle, rp, trusted_root)?),
                (Some(c), None) => Some(c.clone()),
                (None, None) if rp.require_signatures => Some(Check::new(
                    Code::ReleaseSignature,
                    Verdict::Failed,
                    "release-signature: no Sigstore bundle for the artifact or the manifest",
                )),
                (None, None) => None,
            };
            subject.checks.extend(check);
            if rp.require_provenance {
                subject.checks.push(provenance_check(
                    &file,
                    &provenance_files,
                    rp,
                    trusted_root,
                )?);
            } else if !provenance_files.is_empty() {
                subject.checks.push(Check::new(
                    Code::ReleaseProvenance,
                    Verdict::Unverifiable,
                    format!(
                        "release-provenance: not checked: the release holds {} provenance file(s) but the policy does not require provenance (release.require_provenance, release.source_uri)",
                        provenance_files.len()
                    ),
                ));
            }
            if let Some(req) = auditable.as_deref_mut() {
                let (is_exe, checks) = auditable_checks(&file, req)?;
                executables += usize::from(is_exe);
                subject.checks.extend(checks);
            }
        }
        subjects.push(SubjectResult::new(
            subject.name,
            subject.digest,
            subject.checks,
        ));
    }
    if rp.require_auditable && executables == 0 {
        subjects.push(no_executables());
    }
    Ok(VerifyReport::new(
        VerifyCommand::Release,
        time,
        subjects,
        notes,
    ))
}

/// `release.require_auditable` with no executable in the release: nothing to check is not
/// "verified", the requirement names executables.
fn no_executables() -> SubjectResult {
    SubjectResult::new(
        "(executables)",
        None,
        vec![Check::new(
            auditable::MISSING,
            Verdict::Failed,
            "auditable-missing: release.require_auditable, but the release lists no executable (ELF, PE, Mach-O or WebAssembly) to check",
        )],
    )
}

/// Whether `file` is an executable, and its `require_auditable` checks. A file whose first
/// bytes cannot be read is unverifiable, never skipped as "not an executable".
fn auditable_checks(file: &Path, req: &mut AuditableRequest<'_>) -> Result<(bool, Vec<Check>)> {
    match auditable::is_executable(file) {
        Ok(true) => Ok((true, auditable::checks(file, req)?)),
        Ok(false) => Ok((false, Vec::new())),
        Err(e) => Ok((
            true,
            vec![Check::new(
                auditable::UNREADABLE,
                Verdict::Unverifiable,
                format!("auditable-unreadable: {e}"),
            )],
        )),
    }
}

fn provenance_check(
    file: &Path,
    candidates: &[PathBuf],
    rp: &ReleasePolicy,
    trusted_root: Option<&Path>,
) -> Result<Check> {
    let Some(source) = rp.source_uri.as_deref() else {
        return Ok(Check::new(
            Code::ReleaseProvenance,
            Verdict::Unverifiable,
            "release.source_uri is not set in the policy",
        ));
    };
    let mut reasons = Vec::new();
    for p in candidates {
        let subject = verify_provenance(&ProvenanceRequest {
            artifact: file,
            provenance: p,
            source_uri: source,
            source_refs: &[],
            builder_id: rp.builder_id.as_deref(),
            signer_workflow: rp.signer_workflow.as_deref(),
            trusted_root,
        })?;
        if subject.verdict == Verdict::Verified {
            return Ok(Check::new(
                Code::ReleaseProvenance,
                Verdict::Verified,
                format!("provenance {} verifies", p.display()),
            ));
        }
        if let Some(c) = subject
            .checks
            .iter()
            .find(|c| c.verdict != Verdict::Verified && c.code != Code::ProvenanceSubject)
        {
            reasons.push(format!(
                "{}: {}",
                p.file_name().unwrap_or_default().to_string_lossy(),
                c.message
            ));
        }
    }
    Ok(Check::new(
        Code::ReleaseProvenance,
        Verdict::Failed,
        if reasons.is_empty() {
            "release-provenance: no provenance names this artifact as its subject".to_string()
        } else {
            format!("release-provenance: {}", reasons.join("; "))
        },
    ))
}
