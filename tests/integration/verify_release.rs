//! `chainwarden verify release DIR --policy FILE` on releases assembled from real signed data.

use std::path::Path;
use std::process::Command;

use crate::common::{cw, data, text};
use serde_json::Value;

const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn sha256sums(dir: &Path, files: &[&str]) {
    let out = Command::new("sha256sum")
        .args(files)
        .current_dir(dir)
        .output()
        .unwrap();
    std::fs::write(dir.join("SHA256SUMS"), out.stdout).unwrap();
}

fn verify(dir: &Path, policy: &str) -> (i32, Value) {
    let p = dir.parent().unwrap().join("policy.toml");
    std::fs::write(&p, policy).unwrap();
    let out = cw()
        .args(["verify", "release", "--format", "json", "--policy"])
        .arg(&p)
        .arg(dir)
        .output()
        .unwrap();
    let report =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out.stderr)));
    (out.status.code().unwrap(), report)
}

fn codes(report: &Value) -> Vec<(String, String)> {
    report["subjects"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["code"].as_str().unwrap().to_string(),
                c["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn signed_releases_pass_and_every_gap_fails() {
    let Some(cases) = data("sigstore-conformance/bundle-verify") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let rel = tmp.path().join("release");
    std::fs::create_dir(&rel).unwrap();
    std::fs::copy(cases.join("a.txt"), rel.join("a.txt")).unwrap();
    std::fs::copy(
        cases.join("happy-path-v0.3/bundle.sigstore.json"),
        rel.join("a.txt.sigstore.json"),
    )
    .unwrap();
    sha256sums(&rel, &["a.txt"]);
    let trusted =
        format!("[[release.signers]]\nidentity = \"{IDENTITY}\"\nissuer = \"{ISSUER}\"\n");
    let (code, report) = verify(&rel, &trusted);
    assert_eq!(code, 0, "{report}");
    assert_eq!(
        codes(&report),
        vec![
            ("verify:digest".into(), "verified".into()),
            ("verify:release-signature".into(), "verified".into())
        ]
    );

    // A regexp signer matching the whole identity is trusted too.
    let regexp = format!("[[release.signers]]\nidentity_regexp = \"https://github\\\\.com/sigstore-conformance/.*\"\nissuer = \"{ISSUER}\"\n");
    assert_eq!(verify(&rel, &regexp).0, 0);
    // Another signer is not.
    let other = format!("[[release.signers]]\nidentity = \"https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1\"\nissuer = \"{ISSUER}\"\n");
    let (code, report) = verify(&rel, &other);
    assert_eq!(code, 1);
    assert!(codes(&report).contains(&("verify:release-signature".into(), "failed".into())));
    // No bundle at all.
    std::fs::rename(
        rel.join("a.txt.sigstore.json"),
        tmp.path().join("moved.json"),
    )
    .unwrap();
    let (code, report) = verify(&rel, &trusted);
    assert_eq!(code, 1);
    assert!(report["subjects"][0]["checks"][1]["message"]
        .as_str()
        .unwrap()
        .contains("no Sigstore bundle"));
    std::fs::rename(
        tmp.path().join("moved.json"),
        rel.join("a.txt.sigstore.json"),
    )
    .unwrap();
    // A tampered artifact fails its digest and its signature.
    std::fs::write(rel.join("a.txt"), b"tampered\n").unwrap();
    let (code, report) = verify(&rel, &trusted);
    assert_eq!(code, 1);
    assert_eq!(
        codes(&report)[0],
        ("verify:digest-mismatch".into(), "failed".into())
    );
    assert_eq!(codes(&report)[1].1, "failed");
    // Bad policy: a signer with neither identity nor regexp, located.
    let out = cw()
        .args(["verify", "release", "--policy"])
        .arg(tmp.path().join("policy.toml"))
        .arg(&rel)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    std::fs::write(
        tmp.path().join("bad.toml"),
        format!("[[release.signers]]\nissuer = \"{ISSUER}\"\n"),
    )
    .unwrap();
    let out = cw()
        .args(["verify", "release", "--policy"])
        .arg(tmp.path().join("bad.toml"))
        .arg(&rel)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(
            "bad.toml:1:1: release.signers[0]: give exactly one of identity, identity_regexp"
        ),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn provenance_is_required_when_the_policy_says_so() {
    let Some(prov) = data("provenance/gha_generic-v2.1.0") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let rel = tmp.path().join("release");
    std::fs::create_dir(&rel).unwrap();
    std::fs::copy(
        prov.join("binary-linux-amd64-workflow_dispatch"),
        rel.join("binary-linux-amd64"),
    )
    .unwrap();
    std::fs::copy(
        prov.join("binary-linux-amd64-workflow_dispatch.intoto.jsonl"),
        rel.join("binary-linux-amd64.intoto.jsonl"),
    )
    .unwrap();
    sha256sums(&rel, &["binary-linux-amd64"]);
    let policy = |source: &str| {
        format!("[release]\nrequire_signatures = false\nrequire_provenance = true\nsource_uri = \"{source}\"\n")
    };
    let (code, report) = verify(&rel, &policy("github.com/slsa-framework/example-package"));
    assert_eq!(code, 0, "{report}");
    assert!(codes(&report).contains(&("verify:release-provenance".into(), "verified".into())));
    let (code, report) = verify(&rel, &policy("github.com/acme/other"));
    assert_eq!(code, 1);
    let msg = report["subjects"][0]["checks"][1]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("provenance-source"), "{msg}");
}

fn verify_without_policy(dir: &Path) -> (i32, Value) {
    let out = cw()
        .args(["verify", "release", "--format", "json"])
        .arg(dir)
        .output()
        .unwrap();
    let report =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out.stderr)));
    (out.status.code().unwrap(), report)
}

/// Without a policy nobody is trusted: a broken bundle fails, a good one is "not checked",
/// provenance present is "not checked"; none of it is ever "verified".
#[test]
fn without_a_policy_nothing_unchecked_is_verified() {
    let (Some(cases), Some(prov)) = (
        data("sigstore-conformance/bundle-verify"),
        data("provenance/gha_generic-v2.1.0"),
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let rel = tmp.path().join("release");
    std::fs::create_dir(&rel).unwrap();
    std::fs::copy(cases.join("a.txt"), rel.join("a.txt")).unwrap();
    let good = std::fs::read_to_string(cases.join("happy-path-v0.3/bundle.sigstore.json")).unwrap();
    std::fs::write(rel.join("a.txt.sigstore.json"), &good).unwrap();
    sha256sums(&rel, &["a.txt"]);
    let (code, report) = verify_without_policy(&rel);
    assert_eq!(code, 2, "{report}");
    assert_ne!(report["verdict"], "verified");
    let sig = &report["subjects"][0]["checks"][1];
    assert_eq!(sig["code"], "verify:release-signature");
    assert_eq!(sig["verdict"], "unverifiable");
    assert!(
        sig["message"].as_str().unwrap().contains("not checked"),
        "{sig}"
    );

    // A broken bundle is a failure, policy or not.
    let mut broken: Value = serde_json::from_str(&good).unwrap();
    {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut sig = b64
            .decode(broken["messageSignature"]["signature"].as_str().unwrap())
            .unwrap();
        let last = sig.len() - 1;
        sig[last] ^= 1;
        broken["messageSignature"]["signature"] = b64.encode(sig).into();
    }
    std::fs::write(rel.join("a.txt.sigstore.json"), broken.to_string()).unwrap();
    let (code, report) = verify_without_policy(&rel);
    assert_eq!(code, 1, "{report}");
    assert_eq!(
        codes(&report)[1],
        ("verify:release-signature".into(), "failed".into())
    );

    // A managed-key bundle whose key nobody gave: not checked, neither verified nor failed.
    std::fs::copy(
        cases.join("managed-key-happy-path/bundle.sigstore.json"),
        rel.join("a.txt.sigstore.json"),
    )
    .unwrap();
    let (code, report) = verify_without_policy(&rel);
    assert_eq!(code, 2, "{report}");
    assert_eq!(
        codes(&report)[1],
        ("verify:release-signature".into(), "unverifiable".into())
    );

    // Provenance in the release, not required by any policy: not checked, never verified.
    std::fs::remove_file(rel.join("a.txt.sigstore.json")).unwrap();
    std::fs::copy(
        prov.join("binary-linux-amd64-workflow_dispatch.intoto.jsonl"),
        rel.join("a.txt.intoto.jsonl"),
    )
    .unwrap();
    let (code, report) = verify_without_policy(&rel);
    assert_eq!(code, 2, "{report}");
    assert!(codes(&report).contains(&("verify:release-provenance".into(), "unverifiable".into())));
}

/// A provenance with a second, forged `dsseEnvelope` naming the attacker's repository does not
/// pass `verify release` under a policy that expects that repository.
#[test]
fn a_forged_duplicate_envelope_does_not_pass_a_release() {
    let Some(prov) = data("provenance/gha_generic-v2.1.0") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let rel = tmp.path().join("release");
    std::fs::create_dir(&rel).unwrap();
    std::fs::copy(
        prov.join("binary-linux-amd64-workflow_dispatch"),
        rel.join("binary-linux-amd64"),
    )
    .unwrap();
    let text_in =
        std::fs::read_to_string(prov.join("binary-linux-amd64-workflow_dispatch.intoto.jsonl"))
            .unwrap();
    let genuine: Value = serde_json::from_str(&text_in).unwrap();
    let mut forged = genuine["dsseEnvelope"].clone();
    let payload = {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let st = String::from_utf8(b64.decode(forged["payload"].as_str().unwrap()).unwrap())
            .unwrap()
            .replace("slsa-framework/example-package", "evil-org/backdoored");
        b64.encode(st)
    };
    forged["payload"] = payload.into();
    let body = text_in.trim_end().strip_suffix('}').unwrap();
    std::fs::write(
        rel.join("binary-linux-amd64.intoto.jsonl"),
        format!("{body},\"dsseEnvelope\":{forged}}}"),
    )
    .unwrap();
    sha256sums(&rel, &["binary-linux-amd64"]);
    let policy = "[release]\nrequire_signatures = false\nrequire_provenance = true\nsource_uri = \"github.com/evil-org/backdoored\"\n";
    let (code, report) = verify(&rel, policy);
    assert_eq!(code, 1, "{report}");
    assert!(codes(&report).contains(&("verify:release-provenance".into(), "failed".into())));
}
