//! The checks made on a verified provenance statement: subject, builder, source, ref. Each
//! returns one [`Check`]; failures name slsa-verifier's error in words.

use sigstore_verify::crypto::CertificateInfo;

use super::builder::{self, BuilderId};
use super::source::{normalize_repo, RefRequirement};
use super::statement::{Statement, BUILD_TYPE_BYOB, BUILD_TYPE_CONTAINER_BASED};
use crate::verify::model::{Check, Code, Verdict};

const SUBJECT: Code = Code::ProvenanceSubject;
const BUILDER: Code = Code::ProvenanceBuilder;
const SOURCE: Code = Code::ProvenanceSource;
const REF: Code = Code::ProvenanceRef;

fn failed(code: Code, message: String) -> Check {
    Check::new(code, Verdict::Failed, format!("{}: {message}", code.name()))
}

pub(super) fn subject(st: &Statement, digest: &str) -> Check {
    match st.subject_with_sha256(digest) {
        Some(name) => Check::new(
            SUBJECT,
            Verdict::Verified,
            format!("artifact is the subject `{name}`"),
        ),
        None => failed(
            SUBJECT,
            "no subject of the provenance has the artifact's sha256".into(),
        )
        .detail("artifact_sha256", digest.to_string()),
    }
}

/// Who built it: the signer is trusted and the provenance names a builder consistent with it.
pub(super) fn builder(
    st: &Statement,
    signer: &str,
    cert: Option<&CertificateInfo>,
    expected: Option<&BuilderId>,
    expected_signer: Option<&BuilderId>,
    source_uri: &str,
) -> Check {
    let named = st.builder_id().unwrap_or("");
    let result = BuilderId::parse(signer).and_then(|signer_id| {
        if signer_id.version.is_none() {
            return Err(format!(
                "the certificate identity `{signer}` names no workflow ref"
            ));
        }
        if st.is_github_attestation() {
            github_attestation(
                st,
                &signer_id,
                cert,
                expected_signer.or(expected),
                source_uri,
            )
        } else {
            if let Some(want) = expected_signer {
                if !signer_id.matches_loose(want) {
                    return Err(format!(
                        "signed by `{signer}`, expected signer workflow `{want}`"
                    ));
                }
            }
            generator(st, &signer_id, expected)
        }
    });
    match result {
        Ok(msg) => Check::new(BUILDER, Verdict::Verified, msg),
        Err(msg) => failed(BUILDER, msg),
    }
    .detail("builder_id", named.to_string())
    .detail("signer", signer.to_string())
}

/// slsa-github-generator builders (and BYOB delegators), as slsa-verifier trusts them.
fn generator(
    st: &Statement,
    signer: &BuilderId,
    expected: Option<&BuilderId>,
) -> Result<String, String> {
    let byob = builder::is_delegator(&signer.name);
    match expected {
        None if !builder::trusted_by_default(&signer.name) => {
            return Err(format!(
                "untrusted reusable workflow `{signer}`: not a builder trusted by default (pass --builder-id to trust it)"
            ))
        }
        Some(want) if !byob && !signer.matches_loose(want) => {
            return Err(format!("untrusted reusable workflow: built by `{signer}`, expected `{want}`"))
        }
        _ => {}
    }
    let r = signer.version.as_deref().unwrap_or("");
    if !builder::valid_builder_ref(r) {
        return Err(format!(
            "invalid ref: the builder `{signer}` must be pinned at a release tag refs/tags/vX.Y.Z"
        ));
    }
    if st.is_v1() {
        let bt = st.build_type().unwrap_or("");
        let supported = (byob && bt == BUILD_TYPE_BYOB)
            || (builder::is_container_based(&signer.name) && bt == BUILD_TYPE_CONTAINER_BASED);
        if !supported {
            return Err(format!(
                "buildType `{bt}` is not one builder `{}` produces",
                signer.name
            ));
        }
    }
    let named = BuilderId::parse(st.builder_id().unwrap_or(""))
        .map_err(|e| format!("the provenance's builder id: {e}"))?;
    if !byob {
        if !named.matches_full(signer) {
            return Err(format!(
                "the provenance names builder `{named}` but was signed by `{signer}`"
            ));
        }
        return Ok(format!("built by {signer}"));
    }
    // BYOB: the delegator signs; the provenance names the TRW that ran the build.
    if !builder::valid_delegated_builder(&named) {
        return Err(format!(
            "invalid builder id `{named}`: a delegated builder must be pinned at a release tag"
        ));
    }
    match expected {
        None if !builder::is_generator_workflow(&named.name) => Err(format!(
            "invalid builder id: `{named}` is not a slsa-github-generator builder; pass --builder-id to trust it"
        )),
        Some(want) if !named.matches_loose(want) => Err(format!(
            "builder id mismatch: the provenance names `{named}`, expected `{want}`"
        )),
        _ => Ok(format!("built by {named}, delegated through {signer}")),
    }
}

/// GitHub artifact attestations: trusted only for the signer workflow the user names.
fn github_attestation(
    st: &Statement,
    signer: &BuilderId,
    cert: Option<&CertificateInfo>,
    want: Option<&BuilderId>,
    source_uri: &str,
) -> Result<String, String> {
    let Some(want) = want else {
        return Err(format!(
            "a GitHub artifact attestation (signed by `{signer}`) is trusted only for the workflow you name: pass --signer-workflow (or --builder-id)"
        ));
    };
    if !signer.matches_loose(want) {
        return Err(format!("signed by `{signer}`, expected `{want}`"));
    }
    // A reusable workflow from another repository is trusted only pinned (a release tag, or a
    // commit id, which cannot move); the repository's own workflow runs at the source ref,
    // checked with --source-tag / --source-branch.
    let own = signer
        .name
        .strip_prefix("https://")
        .is_some_and(|n| n.starts_with(&format!("{}/", normalize_repo(source_uri))));
    let pin = signer.version.as_deref().unwrap_or("");
    let commit = pin.len() == 40 && pin.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !own && !builder::valid_builder_ref(pin) && !commit {
        return Err(format!(
            "invalid ref: the reusable workflow `{signer}` must be pinned at a release tag refs/tags/vX.Y.Z or a commit id"
        ));
    }
    let named = st.builder_id().unwrap_or("");
    let runner = cert
        .and_then(|c| c.ci_claims.runner_environment.as_deref())
        .map(|env| format!("https://github.com/actions/runner/{env}"));
    let consistent = BuilderId::parse(named).is_ok_and(|n| n.matches_full(signer))
        || runner.as_deref() == Some(named);
    if !consistent {
        return Err(format!(
            "the attestation names builder `{named}`, which is neither the signer `{signer}` nor its runner"
        ));
    }
    Ok(format!("attested by {signer}"))
}

/// Splits `git+https://github.com/O/R@REF` into (`github.com/O/R`, `REF`).
fn split_uri(uri: &str) -> (String, &str) {
    match uri.rsplit_once('@') {
        Some((repo, r)) => (normalize_repo(repo), r),
        None => (normalize_repo(uri), ""),
    }
}

/// The source repository: in the certificate, in what triggered the build and in what was
/// fetched (slsa-verifier `VerifyCertficateSourceRepository` and `verifySourceURI`).
pub(super) fn source(st: &Statement, cert: Option<&CertificateInfo>, expected_uri: &str) -> Check {
    let want = normalize_repo(expected_uri);
    match source_problem(st, cert, &want) {
        None => Check::new(SOURCE, Verdict::Verified, format!("built from {want}")),
        Some(m) => failed(SOURCE, m),
    }
}

fn source_problem(st: &Statement, cert: Option<&CertificateInfo>, want: &str) -> Option<String> {
    if !want.starts_with("github.com/") || want.split('/').count() != 3 {
        return Some(format!(
            "expected a github.com/OWNER/REPO source, got `{want}`"
        ));
    }
    let claims = cert.map(|c| &c.ci_claims);
    let cert_repo = claims
        .and_then(|c| c.source_repository_uri.as_deref().map(normalize_repo))
        .or_else(|| {
            claims
                .and_then(|c| c.deprecated_github.workflow_repository.as_deref())
                .map(|r| format!("github.com/{r}"))
        });
    match cert_repo {
        Some(r) if r == want => {}
        Some(r) => {
            return Some(format!(
                "the certificate says built from `{r}`, expected `{want}`"
            ))
        }
        None => return Some("the certificate names no source repository".into()),
    }
    let Some(trigger) = st.trigger_uri() else {
        return Some("the provenance records no triggering repository".into());
    };
    let (trepo, tref) = split_uri(&trigger);
    if trepo != want {
        return Some(format!("built from `{trepo}`, expected `{want}`"));
    }
    if tref.is_empty() {
        return Some(format!("the trigger `{trigger}` has no ref"));
    }
    let Some(fetched) = st.source_uri() else {
        return Some("the provenance records no source material".into());
    };
    let (srepo, sref) = split_uri(fetched);
    if srepo != want {
        return Some(format!("source fetched from `{srepo}`, expected `{want}`"));
    }
    if sref.is_empty() {
        // BYOB builders may build another commit than the trigger's (slsa-verifier's exception).
        return (st.build_type() != Some(BUILD_TYPE_BYOB))
            .then(|| format!("the source `{fetched}` has no ref"));
    }
    (trigger != fetched)
        .then(|| format!("the trigger `{trigger}` and the source `{fetched}` differ"))
}

/// The ref the build ran on, against `--source-tag`, `--source-versioned-tag` or
/// `--source-branch`.
pub(super) fn git_ref(st: &Statement, want: &RefRequirement) -> Check {
    let actual = match want {
        RefRequirement::Branch(_) => st.branch(),
        RefRequirement::Tag(_) | RefRequirement::VersionedTag(_) => st.tag(),
    };
    match actual {
        Ok(Some(r)) if want.matches(&r) => {
            Check::new(REF, Verdict::Verified, format!("built from {r}"))
        }
        Ok(Some(r)) => failed(REF, format!("built from `{r}`, expected {want}")),
        Ok(None) => match want {
            RefRequirement::Branch(_) => failed(
                REF,
                format!("the build ran on a tag with no recorded branch, expected {want}"),
            ),
            _ => failed(
                REF,
                format!("invalid ref: the build ran on a branch, not a tag; expected {want}"),
            ),
        },
        Err(m) => failed(REF, format!("the provenance's ref: {m}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v02(builder_id: &str) -> Statement {
        Statement::unverified_for_test(json!({
            "_type": "https://in-toto.io/Statement/v0.1",
            "predicateType": "https://slsa.dev/provenance/v0.2",
            "subject": [],
            "predicate": {"builder": {"id": builder_id}}
        }))
    }

    const GENERIC: &str = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml";

    #[test]
    fn default_trust_needs_the_generator_at_a_release_tag() {
        let judge =
            |signer: &str| builder(&v02(signer), signer, None, None, None, "github.com/a/b");
        assert_eq!(
            judge(&format!("{GENERIC}@refs/tags/v2.1.0")).verdict,
            Verdict::Verified
        );
        for bad in [
            format!("{GENERIC}@refs/heads/main"),
            format!("{GENERIC}@refs/tags/v2.1.0-rc.0"),
            format!("{GENERIC}@refs/tags/v2.1"),
            "https://github.com/evil/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0".into(),
            format!("{GENERIC}x@refs/tags/v2.1.0"),
        ] {
            let c = judge(&bad);
            assert_eq!(c.verdict, Verdict::Failed, "{bad}: {}", c.message);
        }
        // A branch-pinned builder is refused even when named with --builder-id.
        let signer = format!("{GENERIC}@refs/heads/main");
        let want = BuilderId::parse(GENERIC).unwrap();
        let c = builder(
            &v02(&signer),
            &signer,
            None,
            Some(&want),
            None,
            "github.com/a/b",
        );
        assert!(c.message.contains("refs/tags/vX.Y.Z"), "{}", c.message);
    }

    #[test]
    fn the_provenance_must_name_its_signer() {
        let signer = format!("{GENERIC}@refs/tags/v2.1.0");
        let other = format!("{GENERIC}@refs/tags/v2.0.0");
        let c = builder(&v02(&other), &signer, None, None, None, "github.com/a/b");
        assert_eq!(c.verdict, Verdict::Failed, "{}", c.message);
    }
}
