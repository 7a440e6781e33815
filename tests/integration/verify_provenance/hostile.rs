//! Hostile provenance: judged only from the bytes whose signature was verified.

use std::path::{Path, PathBuf};

use super::{assert_all, run, Failed, EXAMPLE, SIG, STMT};
use crate::common::{cw, data, text};

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The genuine envelope's statement, re-pointed at an attacker's repository and tag, with the
/// genuine signature kept.
fn forged_envelope(genuine: &serde_json::Value) -> serde_json::Value {
    use base64::Engine;
    let env = &genuine["dsseEnvelope"];
    let payload = base64::engine::general_purpose::STANDARD
        .decode(env["payload"].as_str().unwrap())
        .unwrap();
    let evil = String::from_utf8(payload)
        .unwrap()
        .replace(
            "slsa-framework/example-package@refs/heads/main",
            "evil-org/backdoored@refs/tags/v9.9.9",
        )
        .replace("\"refs/heads/main\"", "\"refs/tags/v9.9.9\"")
        .replace("\"branch\"", "\"tag\"");
    assert!(evil.contains("evil-org/backdoored"));
    let mut forged = env.clone();
    forged["payload"] = b64(evil.as_bytes()).into();
    forged
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn a_forged_duplicate_envelope_is_refused_in_either_order() {
    let Some(root) = data("provenance/gha_generic-v2.1.0") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let artifact = root.join("binary-linux-amd64-workflow_dispatch");
    let doc =
        std::fs::read_to_string(root.join("binary-linux-amd64-workflow_dispatch.intoto.jsonl"))
            .unwrap();
    let genuine: serde_json::Value = serde_json::from_str(&doc).unwrap();
    let forged = forged_envelope(&genuine).to_string();
    let body = doc.trim_end().strip_suffix('}').unwrap();
    let after = write(
        tmp.path(),
        "after.jsonl",
        &format!("{body},\"dsseEnvelope\":{forged}}}"),
    );
    let before = write(
        tmp.path(),
        "before.jsonl",
        &format!(
            "{{\"dsseEnvelope\":{forged},{}",
            doc.trim().strip_prefix('{').unwrap()
        ),
    );
    let alone = {
        let mut v = genuine.clone();
        v["dsseEnvelope"] = forged_envelope(&genuine);
        write(tmp.path(), "alone.jsonl", &v.to_string())
    };
    let evil = ["--source-tag", "v9.9.9"];
    assert_all(&[
        run(
            &artifact,
            &after,
            "github.com/evil-org/backdoored",
            &evil,
            Failed(SIG),
        ),
        run(
            &artifact,
            &before,
            "github.com/evil-org/backdoored",
            &evil,
            Failed(SIG),
        ),
        run(
            &artifact,
            &alone,
            "github.com/evil-org/backdoored",
            &evil,
            Failed(SIG),
        ),
        // Nor does the genuine source pass through a document with two envelopes.
        run(&artifact, &after, EXAMPLE, &[], Failed(SIG)),
    ]);
    let out = cw()
        .args([
            "verify",
            "provenance",
            "--source-uri",
            EXAMPLE,
            "--provenance",
        ])
        .arg(&after)
        .arg(&artifact)
        .output()
        .unwrap();
    assert!(
        text(&out.stdout).contains("duplicate"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_message_signature_is_never_provenance() {
    let Some(cases) = data("sigstore-conformance/bundle-verify") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let signer = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    let artifact = cases.join("a.txt");
    let bundle = cases.join("happy-path-v0.3/bundle.sigstore.json");
    let digest = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(std::fs::read(&artifact).unwrap()))
    };
    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v0.1",
        "predicateType": "https://slsa.dev/provenance/v0.2",
        "subject": [{"name": "a.txt", "digest": {"sha256": digest}}],
        "predicate": {
            "builder": {"id": signer},
            "invocation": {"configSource": {"uri": "git+https://github.com/evil-org/backdoored@refs/tags/v9.9.9"},
                           "environment": {"github_ref": "refs/tags/v9.9.9", "github_ref_type": "tag"}},
            "materials": [{"uri": "git+https://github.com/evil-org/backdoored@refs/tags/v9.9.9"}]
        }
    });
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    v["dsseEnvelope"] = serde_json::json!({
        "payloadType": "application/vnd.in-toto+json",
        "payload": b64(statement.to_string().as_bytes()),
        "signatures": [{"sig": v["messageSignature"]["signature"].clone()}]
    });
    let added = write(tmp.path(), "added.jsonl", &v.to_string());
    let flags = ["--builder-id", signer, "--source-tag", "v9.9.9"];
    assert_all(&[
        run(
            &artifact,
            &added,
            "github.com/evil-org/backdoored",
            &flags,
            Failed(SIG),
        ),
        // The genuine message-signature bundle verifies, but it is no provenance.
        run(
            &artifact,
            &bundle,
            "github.com/evil-org/backdoored",
            &flags,
            Failed(STMT),
        ),
    ]);
}
