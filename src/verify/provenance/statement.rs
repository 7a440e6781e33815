//! A read-only view of a verified in-toto statement holding SLSA provenance, with the fields
//! slsa-verifier reads for each kind of provenance (v0.2; v1 from the BYOB delegators, the
//! container-based builder and GitHub artifact attestations).
//!
//! Built only from the payload bytes of the DSSE envelope whose signature the engine verified
//! ([`Statement::from_verified`]), parsed strictly (duplicate keys refused).

use serde_json::Value;
use sigstore_verify::types::SignatureContent;

use crate::verify::sigstore::VerifiedBundle;

pub const INTOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
pub const SLSA_V02: &str = "https://slsa.dev/provenance/v0.2";
pub const SLSA_V1: &str = "https://slsa.dev/provenance/v1";
/// slsa-github-generator's BYOB delegators.
pub const BUILD_TYPE_BYOB: &str =
    "https://github.com/slsa-framework/slsa-github-generator/delegator-generic@v0";
pub const BUILD_TYPE_CONTAINER_BASED: &str = "https://slsa.dev/container-based-build/v0.1?draft";
/// `actions/attest-build-provenance` (GitHub artifact attestations).
pub const BUILD_TYPE_GITHUB_WORKFLOW: &str = "https://actions.github.io/buildtypes/workflow/v1";
/// The same build type under its first name (attestations made before the rename).
pub const BUILD_TYPE_GITHUB_WORKFLOW_V0: &str =
    "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1";

const STATEMENT_TYPES: &[&str] = &[
    "https://in-toto.io/Statement/v0.1",
    "https://in-toto.io/Statement/v1",
];

pub struct Statement {
    st: Value,
    v1: bool,
}

impl Statement {
    /// The statement of a verified bundle: DSSE only, in-toto payload type only, SLSA
    /// provenance only. `Err` is the message of a failed check.
    pub fn from_verified(verified: &VerifiedBundle) -> Result<Statement, String> {
        Statement::from_content(&verified.bundle().content)
    }

    /// The statement of a bundle's content (private: only a verified bundle's content may
    /// become a [`Statement`] outside this module).
    fn from_content(content: &SignatureContent) -> Result<Statement, String> {
        let envelope = match content {
            SignatureContent::DsseEnvelope(e) => e,
            _ => {
                return Err(
                    "the bundle signs a message, not a DSSE envelope: it is no provenance".into(),
                )
            }
        };
        Statement::from_payload(&envelope.payload_type, envelope.payload.as_bytes())
    }

    fn from_payload(payload_type: &str, payload: &[u8]) -> Result<Statement, String> {
        if payload_type != INTOTO_PAYLOAD_TYPE {
            return Err(format!(
                "the envelope's payload type is `{payload_type}`, not `{INTOTO_PAYLOAD_TYPE}`"
            ));
        }
        let st = crate::json::parse(payload)
            .map_err(|e| format!("the signed statement is not valid JSON: {e}"))?;
        if !st["_type"]
            .as_str()
            .is_some_and(|t| STATEMENT_TYPES.contains(&t))
        {
            return Err(format!("not an in-toto statement (_type {})", st["_type"]));
        }
        let v1 = match st["predicateType"].as_str() {
            Some(SLSA_V02) => false,
            Some(SLSA_V1) => true,
            other => return Err(format!("not SLSA provenance (predicateType {other:?})")),
        };
        Ok(Statement { st, v1 })
    }

    pub fn is_v1(&self) -> bool {
        self.v1
    }

    /// A GitHub artifact attestation (`actions/attest-build-provenance`).
    pub fn is_github_attestation(&self) -> bool {
        self.v1
            && matches!(
                self.build_type(),
                Some(BUILD_TYPE_GITHUB_WORKFLOW) | Some(BUILD_TYPE_GITHUB_WORKFLOW_V0)
            )
    }

    fn pred(&self) -> &Value {
        &self.st["predicate"]
    }

    /// v0.2 `predicate.builder.id`, v1 `runDetails.builder.id`.
    pub fn builder_id(&self) -> Option<&str> {
        if self.v1 {
            self.pred()["runDetails"]["builder"]["id"].as_str()
        } else {
            self.pred()["builder"]["id"].as_str()
        }
    }

    pub fn build_type(&self) -> Option<&str> {
        if self.v1 {
            self.pred()["buildDefinition"]["buildType"].as_str()
        } else {
            self.pred()["buildType"].as_str()
        }
    }

    /// Names of the subjects whose sha256 is `hex`.
    pub fn subject_with_sha256(&self, hex: &str) -> Option<&str> {
        self.st["subject"].as_array()?.iter().find_map(|s| {
            s["digest"]["sha256"]
                .as_str()
                .filter(|d| d.eq_ignore_ascii_case(hex))
                .map(|_| s["name"].as_str().unwrap_or(""))
        })
    }

    /// Where the source was fetched: v0.2 `materials[0].uri`, v1
    /// `resolvedDependencies[0].uri` (`git+https://github.com/O/R@REF`).
    pub fn source_uri(&self) -> Option<&str> {
        if self.v1 {
            self.pred()["buildDefinition"]["resolvedDependencies"][0]["uri"].as_str()
        } else {
            self.pred()["materials"][0]["uri"].as_str()
        }
        .filter(|s| !s.is_empty())
    }

    /// What triggered the build, as `git+https://github.com/O/R@REF`.
    pub fn trigger_uri(&self) -> Option<String> {
        if !self.v1 {
            return self.pred()["invocation"]["configSource"]["uri"]
                .as_str()
                .filter(|s| !s.is_empty())
                .map(String::from);
        }
        if self.is_github_attestation() {
            let wf = &self.pred()["buildDefinition"]["externalParameters"]["workflow"];
            return Some(format!(
                "git+{}@{}",
                wf["repository"].as_str()?,
                wf["ref"].as_str()?
            ));
        }
        // GITHUB_WORKFLOW_REF = OWNER/REPO/PATH@REF
        let wref = self.env("GITHUB_WORKFLOW_REF")?;
        let (repo_path, r) = wref.split_once('@')?;
        let mut parts = repo_path.splitn(3, '/');
        let (owner, repo) = (parts.next()?, parts.next()?);
        (!owner.is_empty() && !repo.is_empty() && !r.is_empty())
            .then(|| format!("git+https://github.com/{owner}/{repo}@{r}"))
    }

    /// A GitHub context value: v0.2 `invocation.environment.github_*` (either case), v1
    /// `internalParameters.GITHUB_*`. Strings only.
    pub fn env(&self, upper: &str) -> Option<&str> {
        let lower = upper.to_ascii_lowercase();
        let map = if self.v1 {
            &self.pred()["buildDefinition"]["internalParameters"]
        } else {
            &self.pred()["invocation"]["environment"]
        };
        map[upper].as_str().or_else(|| map[lower.as_str()].as_str())
    }

    fn event_payload(&self) -> &Value {
        let map = if self.v1 {
            &self.pred()["buildDefinition"]["internalParameters"]
        } else {
            &self.pred()["invocation"]["environment"]
        };
        if map["GITHUB_EVENT_PAYLOAD"].is_object() {
            &map["GITHUB_EVENT_PAYLOAD"]
        } else {
            &map["github_event_payload"]
        }
    }

    /// The ref of the source URI (BYOB and GitHub attestations record the ref there).
    fn source_ref(&self) -> Option<&str> {
        self.source_uri()?.rsplit_once('@').map(|(_, r)| r)
    }

    /// The tag the build ran on (`refs/tags/X`), `Ok(None)` for a branch build, `Err` when the
    /// provenance does not say.
    pub fn tag(&self) -> Result<Option<String>, String> {
        if self.ref_from_source_uri() {
            return match self.source_ref() {
                Some(r) if r.starts_with("refs/tags/") => Ok(Some(r.to_string())),
                Some(r) if r.starts_with("refs/heads/") => Ok(None),
                other => Err(format!("unknown source ref {other:?}")),
            };
        }
        match self.env("GITHUB_REF_TYPE") {
            Some("branch") => Ok(None),
            Some("tag") => self
                .env("GITHUB_REF")
                .map(|r| Some(r.to_string()))
                .ok_or_else(|| "the provenance records no github_ref".into()),
            other => Err(format!("unknown ref type {other:?}")),
        }
    }

    /// The branch the build ran on (`refs/heads/X`), as slsa-verifier derives it (for a tag
    /// build: the base ref, or the release's target branch); `Ok(None)` when there is none.
    pub fn branch(&self) -> Result<Option<String>, String> {
        if self.ref_from_source_uri() {
            match self.source_ref() {
                Some(r) if r.starts_with("refs/heads/") => return Ok(Some(r.to_string())),
                Some(r) if r.starts_with("refs/tags/") => {}
                other => return Err(format!("unknown source ref {other:?}")),
            }
            if self.is_github_attestation() {
                return Ok(None);
            }
        }
        match self.env("GITHUB_REF_TYPE") {
            Some("branch") => Ok(self.env("GITHUB_REF").map(String::from)),
            Some("tag") => Ok(self.branch_for_tag()),
            other => Err(format!("unknown ref type {other:?}")),
        }
    }

    fn branch_for_tag(&self) -> Option<String> {
        if let Some(base) = self.env("GITHUB_BASE_REF").filter(|b| !b.is_empty()) {
            return Some(base.to_string());
        }
        let payload = self.event_payload();
        match self.env("GITHUB_EVENT_NAME") {
            Some("push") => payload["base_ref"].as_str().map(String::from),
            Some("release") => payload["release"]["target_commitish"]
                .as_str()
                .map(|b| format!("refs/heads/{b}")),
            _ => None,
        }
    }

    /// BYOB and GitHub attestations: the ref is the source URI's, not the GitHub context's.
    fn ref_from_source_uri(&self) -> bool {
        (self.v1 && self.build_type() == Some(BUILD_TYPE_BYOB)) || self.is_github_attestation()
    }
}

/// Reads hostile bytes the way provenance is read: a bundle (strict parse, DSSE payload
/// decoded by the typed model) and then its statement, or the bytes as a statement payload
/// directly; then every field the checks read. For the `provenance_statement` fuzz target and
/// the hostile-input tests: it returns only how many statements were read (0 to 2), so it
/// cannot make an unverified [`Statement`] look verified.
#[doc(hidden)]
pub fn read_unverified(bytes: &[u8]) -> usize {
    let read_fields = |st: Statement| {
        let _ = (
            st.is_v1(),
            st.builder_id(),
            st.build_type(),
            st.source_uri(),
        );
        let _ = (
            st.trigger_uri(),
            st.tag(),
            st.branch(),
            st.env("GITHUB_REF"),
        );
        let _ = st.subject_with_sha256(&"0".repeat(64));
        1
    };
    let from_bundle = crate::verify::sigstore::document::parse_bundle(bytes)
        .ok()
        .and_then(|bundle| Statement::from_content(&bundle.content).ok())
        .map_or(0, read_fields);
    let direct = Statement::from_payload(INTOTO_PAYLOAD_TYPE, bytes).map_or(0, read_fields);
    from_bundle + direct
}

#[cfg(test)]
impl Statement {
    /// A statement that was never verified: for unit tests of the checks only.
    pub(crate) fn unverified_for_test(st: Value) -> Statement {
        let v1 = st["predicateType"] == SLSA_V1;
        Statement { st, v1 }
    }
}
