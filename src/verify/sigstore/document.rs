//! A Sigstore bundle parsed once, strictly, from the bytes read once (`fsutil::read_bytes`).
//!
//! Two readers of one document must never see two documents: the bundle is parsed with
//! [`crate::json::parse`] (duplicate keys refused at any depth) and the typed [`Bundle`] the
//! engine verifies is read from that one tree. A bundle that carries both a `messageSignature`
//! and a `dsseEnvelope` is refused outright: only one of them can be what was signed, and
//! whoever reads the other would judge unsigned bytes.
//!
//! Timestamps: the bundle's RFC 3161 timestamps count towards a threshold of one, as the
//! Sigstore client spec, sigstore-go and sigstore-python do; a token no trusted authority
//! verifies is dropped when another one verifies, instead of sinking the whole bundle.

use std::io::Read;

use serde_json::Value;
use sigstore_verify::trust_root::TrustedRoot;
use sigstore_verify::types::{Bundle, SignatureContent};

/// SHA-256 of everything `reader` yields, in fixed-size chunks (bounded memory): the one
/// streaming hasher of [`crate::verify::checksums::hash`].
pub fn sha256_reader(reader: &mut impl Read) -> std::io::Result<String> {
    use crate::verify::checksums::hash::hash_reader;
    use crate::verify::checksums::manifest::Algorithm;
    hash_reader(reader, Algorithm::Sha256, &|_| {}).map(|d| d.hex)
}

/// Parses one bundle document. `Err` is a message for a failed check (the bundle is bad), not
/// an error of ours.
pub fn parse_bundle(bytes: &[u8]) -> std::result::Result<Bundle, String> {
    let tree = crate::json::parse(bytes).map_err(|e| format!("not a valid bundle: {e}"))?;
    let Value::Object(map) = &tree else {
        return Err("not a valid bundle: not a JSON object".into());
    };
    if map.contains_key("messageSignature") && map.contains_key("dsseEnvelope") {
        return Err(
            "not a valid bundle: it holds both a messageSignature and a dsseEnvelope".into(),
        );
    }
    serde_json::from_value(tree).map_err(|e| format!("not a valid Sigstore bundle: {e}"))
}

/// Drops the RFC 3161 timestamps no trusted authority verifies, when at least one does.
/// Returns how many were dropped. With none verifying, nothing is dropped and the engine
/// reports the failure.
pub fn prune_unverified_timestamps(bundle: &mut Bundle, root: &TrustedRoot) -> usize {
    let signature = match &bundle.content {
        SignatureContent::MessageSignature(m) => m.signature.clone(),
        SignatureContent::DsseEnvelope(e) => e.signature.sig.clone(),
        _ => return 0,
    };
    let stamps = &bundle
        .verification_material
        .timestamp_verification_data
        .rfc3161_timestamps;
    if stamps.len() < 2 {
        return 0;
    }
    let authorities = root.tsa_authorities();
    let verifies = |t: &sigstore_verify::types::Rfc3161Timestamp| {
        authorities.iter().any(|a| {
            sigstore_verify::tsa::verify_timestamp_for_authority(&t.signed_timestamp, &signature, a)
                .is_ok()
        })
    };
    let keep: Vec<bool> = stamps.iter().map(verifies).collect();
    if !keep.iter().any(|k| *k) {
        return 0;
    }
    let before = stamps.len();
    let mut flags = keep.into_iter();
    bundle
        .verification_material
        .timestamp_verification_data
        .rfc3161_timestamps
        .retain(|_| flags.next().unwrap_or(false));
    before
        - bundle
            .verification_material
            .timestamp_verification_data
            .rfc3161_timestamps
            .len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_and_ambiguous_content_is_refused() {
        let dup = br#"{"mediaType":"x","mediaType":"y"}"#;
        assert!(parse_bundle(dup).unwrap_err().contains("duplicate"));
        let both = br#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{},"messageSignature":{},"dsseEnvelope":{}}"#;
        assert!(parse_bundle(both).unwrap_err().contains("both"));
        assert!(parse_bundle(b"[]").is_err());
    }
}
