//! The stable code of every verification check. A code is the SARIF rule id, the evidence key
//! and the documentation anchor of its check, so it never changes once shipped: the test below
//! snapshots the list, and renaming or dropping one fails it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! codes {
    ($($variant:ident => $text:literal,)*) => {
        /// One kind of check (`verify:digest-mismatch`, `verify:sigstore-identity`, ...).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as written in reports and evidence: `verify:digest-mismatch`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)*
                }
            }
        }
    };
}

codes! {
    Digest => "verify:digest",
    DigestMismatch => "verify:digest-mismatch",
    SizeMismatch => "verify:size-mismatch",
    Missing => "verify:missing",
    Unreadable => "verify:unreadable",
    Unlisted => "verify:unlisted",
    UnsafeName => "verify:unsafe-name",
    Download => "verify:download",
    Reproducible => "verify:reproducible",
    NotReproducible => "verify:not-reproducible",
    RebuildMissing => "verify:rebuild-missing",
    SigstoreArtifact => "verify:sigstore-artifact",
    SigstoreBundle => "verify:sigstore-bundle",
    SigstoreCertificateChain => "verify:sigstore-certificate-chain",
    SigstoreIdentity => "verify:sigstore-identity",
    SigstoreKey => "verify:sigstore-key",
    SigstoreSct => "verify:sigstore-sct",
    SigstoreSignature => "verify:sigstore-signature",
    SigstoreTimestamp => "verify:sigstore-timestamp",
    SigstoreTlog => "verify:sigstore-tlog",
    SigstoreTlogSkipped => "verify:sigstore-tlog-skipped",
    SigstoreTrustedRoot => "verify:sigstore-trusted-root",
    ProvenanceSignature => "verify:provenance-signature",
    ProvenanceStatement => "verify:provenance-statement",
    ProvenanceSubject => "verify:provenance-subject",
    ProvenanceBuilder => "verify:provenance-builder",
    ProvenanceSource => "verify:provenance-source",
    ProvenanceRef => "verify:provenance-ref",
    ReleaseSignature => "verify:release-signature",
    ReleaseProvenance => "verify:release-provenance",
    CommitSigned => "verify:commit-signed",
    CommitUnsigned => "verify:commit-unsigned",
    CommitUnknownKey => "verify:commit-unknown-key",
    CommitBadSignature => "verify:commit-bad-signature",
    CommitExpired => "verify:commit-expired",
    CommitRevoked => "verify:commit-revoked",
    AuditableData => "verify:auditable-data",
    AuditableMissing => "verify:auditable-missing",
    AuditableUnreadable => "verify:auditable-unreadable",
    AuditableLockfile => "verify:auditable-lockfile",
    AuditableNotInLockfile => "verify:auditable-not-in-lockfile",
    AuditableVersionMismatch => "verify:auditable-version-mismatch",
    AuditableSourceMismatch => "verify:auditable-source-mismatch",
    AuditableAdvisories => "verify:auditable-advisories",
    AuditableAdvisory => "verify:auditable-advisory",
}

impl Code {
    /// The code without its `verify:` namespace, as failure messages start: `digest-mismatch`.
    pub fn name(self) -> &'static str {
        let text = self.as_str();
        text.strip_prefix("verify:").unwrap_or(text)
    }

    /// A check on a provenance statement or its signature (`verify:provenance-*`).
    pub fn is_provenance(self) -> bool {
        matches!(
            self,
            Code::ProvenanceSignature
                | Code::ProvenanceStatement
                | Code::ProvenanceSubject
                | Code::ProvenanceBuilder
                | Code::ProvenanceSource
                | Code::ProvenanceRef
        )
    }

    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == text)
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Code, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Code::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format_args!("unknown verification code `{text}`"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_namespaced() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "duplicate code {code}");
            assert!(code.as_str().starts_with("verify:"), "{code}");
            assert_eq!(Code::parse(code.as_str()), Some(*code));
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(serde_json::from_str::<Code>(&json).unwrap(), *code);
        }
        assert_eq!(Code::parse("verify:nonsense"), None);
    }

    /// Codes are keys in stored evidence and SARIF rule ids: this list only ever grows.
    #[test]
    fn codes_are_stable() {
        let list: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        insta::assert_snapshot!(list.join("\n"));
    }
}
