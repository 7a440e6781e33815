//! Tampering with a real Sigstore bundle: every change is rejected, and the message names the
//! check that failed.

use std::path::{Path, PathBuf};

use crate::common::{cw, data, text};
use base64::Engine;
use serde_json::Value;

const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn case() -> Option<(PathBuf, PathBuf)> {
    let root = data("sigstore-conformance/bundle-verify")?;
    Some((
        root.join("happy-path-v0.3/bundle.sigstore.json"),
        root.join("a.txt"),
    ))
}

fn verify(bundle: &Path, artifact: &str, identity: &[&str]) -> (i32, Value) {
    let out = cw()
        .args(["verify", "bundle", artifact, "--format", "json", "--bundle"])
        .arg(bundle)
        .args(identity)
        .args(["--certificate-oidc-issuer", ISSUER])
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("no JSON; stderr: {}", text(&out.stderr)));
    (out.status.code().unwrap(), json)
}

fn failed(report: &Value) -> (String, String) {
    let c = report["subjects"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["verdict"] == "failed")
        .expect("a failed check");
    (
        c["code"].as_str().unwrap().to_string(),
        c["message"].as_str().unwrap().to_string(),
    )
}

/// Flips one byte of a base64 field (after decoding), or of a plain string field.
fn tamper(bundle: &Value, pointer: &str, base64_field: bool) -> Value {
    let mut b = bundle.clone();
    let field = b
        .pointer_mut(pointer.trim_end_matches("#signature"))
        .unwrap_or_else(|| panic!("no {pointer}"));
    let s = field.as_str().unwrap().to_string();
    let new = if base64_field {
        let mut bytes = base64::engine::general_purpose::STANDARD
            .decode(&s)
            .unwrap();
        let i = bytes.len() / 2;
        bytes[i] ^= 0x01;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    } else {
        // Change one character of the checkpoint: the root-hash line, or the signature line.
        let mut lines: Vec<String> = s.lines().map(String::from).collect();
        let target = if pointer.ends_with("#signature") {
            lines.len() - 1
        } else {
            2
        };
        let line = &mut lines[target];
        let at = line.len() - 6;
        let c = if line.as_bytes()[at] == b'A' {
            "B"
        } else {
            "A"
        };
        line.replace_range(at..at + 1, c);
        lines.join("\n") + "\n"
    };
    *field = Value::String(new);
    b
}

#[test]
fn every_tampered_part_is_rejected_by_name() {
    let Some((bundle_path, artifact)) = case() else {
        return;
    };
    let original: Value =
        serde_json::from_str(&std::fs::read_to_string(&bundle_path).unwrap()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let id = ["--certificate-identity", IDENTITY];
    let (code, _) = verify(&bundle_path, artifact.to_str().unwrap(), &id);
    assert_eq!(code, 0, "the untouched bundle verifies");

    // One byte of the artifact.
    let changed = tmp.path().join("a.txt");
    let mut bytes = std::fs::read(&artifact).unwrap();
    bytes[0] ^= 0x01;
    std::fs::write(&changed, &bytes).unwrap();
    let (code, report) = verify(&bundle_path, changed.to_str().unwrap(), &id);
    assert_eq!(code, 1);
    let (check, message) = failed(&report);
    assert!(
        ["verify:sigstore-artifact", "verify:sigstore-signature"].contains(&check.as_str()),
        "{check}: {message}"
    );

    let cases = [
        (
            "/messageSignature/signature",
            true,
            &["verify:sigstore-signature", "verify:sigstore-tlog"][..],
        ),
        (
            "/verificationMaterial/certificate/rawBytes",
            true,
            &[
                "verify:sigstore-certificate-chain",
                "verify:sigstore-bundle",
                "verify:sigstore-tlog",
            ][..],
        ),
        (
            "/verificationMaterial/tlogEntries/0/canonicalizedBody",
            true,
            &["verify:sigstore-tlog", "verify:sigstore-bundle"][..],
        ),
        (
            "/verificationMaterial/tlogEntries/0/inclusionPromise/signedEntryTimestamp",
            true,
            &["verify:sigstore-tlog"][..],
        ),
        (
            "/verificationMaterial/tlogEntries/0/inclusionProof/checkpoint/envelope",
            false,
            &["verify:sigstore-tlog"][..],
        ),
        (
            "/verificationMaterial/tlogEntries/0/inclusionProof/checkpoint/envelope#signature",
            false,
            &["verify:sigstore-tlog"][..],
        ),
        (
            "/verificationMaterial/tlogEntries/0/inclusionProof/rootHash",
            true,
            &["verify:sigstore-tlog"][..],
        ),
    ];
    for (pointer, b64, expected) in cases {
        let path = tmp.path().join("tampered.json");
        std::fs::write(
            &path,
            serde_json::to_string(&tamper(&original, pointer, b64)).unwrap(),
        )
        .unwrap();
        let (code, report) = verify(&path, artifact.to_str().unwrap(), &id);
        assert_eq!(code, 1, "{pointer} must be rejected");
        let (check, message) = failed(&report);
        assert!(
            expected.contains(&check.as_str()),
            "{pointer}: failed check {check}: {message}"
        );
        assert!(
            message.starts_with(check.trim_start_matches("verify:")),
            "the message names the check: {message}"
        );
    }

    // A valid bundle for another artifact.
    let other =
        data("sigstore-conformance/bundle-verify/happy-path-v0.2/bundle.sigstore.json").unwrap();
    let elsewhere = tmp.path().join("other.txt");
    std::fs::write(&elsewhere, b"some other release artifact\n").unwrap();
    let (code, _) = verify(&other, elsewhere.to_str().unwrap(), &id);
    assert_eq!(code, 1);
}

#[test]
fn identities_must_match_whole() {
    let Some((bundle, artifact)) = case() else {
        return;
    };
    let a = artifact.to_str().unwrap();
    // A prefix of the real identity, exact or as a regexp, is not the identity.
    let prefix = "https://github.com/sigstore-conformance/";
    for args in [
        ["--certificate-identity", prefix],
        ["--certificate-identity-regexp", prefix],
    ] {
        let (code, report) = verify(&bundle, a, &args);
        assert_eq!(code, 1, "{args:?}");
        assert_eq!(failed(&report).0, "verify:sigstore-identity");
    }
    // An anchored regexp that covers the whole identity verifies, and reports it.
    let (code, report) = verify(
        &bundle,
        a,
        &[
            "--certificate-identity-regexp",
            r"https://github\.com/sigstore-conformance/.+@refs/heads/main",
        ],
    );
    assert_eq!(code, 0, "{report}");
    let identity = report["subjects"][0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "verify:sigstore-identity")
        .unwrap();
    assert_eq!(identity["details"]["identity"], IDENTITY);
    // A wrong issuer.
    let out = cw()
        .args(["verify", "bundle", a, "--bundle"])
        .arg(&bundle)
        .args([
            "--certificate-identity",
            IDENTITY,
            "--certificate-oidc-issuer",
            "https://accounts.example.com",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("identity: issuer mismatch"),
        "{}",
        text(&out.stdout)
    );
    // Missing flags and missing files are usage errors.
    let out = cw()
        .args(["verify", "bundle", a, "--bundle"])
        .arg(&bundle)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = cw()
        .args(["verify", "bundle", "/no/such/file", "--bundle"])
        .arg(&bundle)
        .args([
            "--certificate-identity",
            IDENTITY,
            "--certificate-oidc-issuer",
            ISSUER,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_bundle_without_a_log_entry_needs_the_loud_opt_in() {
    let Some(case) = data("sigstore-conformance/bundle-verify/managed-key-happy-path") else {
        return;
    };
    let artifact = data("sigstore-conformance/bundle-verify/a.txt").unwrap();
    let mut bundle: Value =
        serde_json::from_str(&std::fs::read_to_string(case.join("bundle.sigstore.json")).unwrap())
            .unwrap();
    bundle["verificationMaterial"]["tlogEntries"] = serde_json::json!([]);
    let tmp = tempfile::tempdir().unwrap();
    let no_log = tmp.path().join("no-log.json");
    std::fs::write(&no_log, serde_json::to_string(&bundle).unwrap()).unwrap();
    let run = |extra: &[&str]| {
        cw().args(["verify", "bundle"])
            .arg(&artifact)
            .arg("--bundle")
            .arg(&no_log)
            .arg("--key")
            .arg(case.join("key.pub"))
            .args(extra)
            .output()
            .unwrap()
    };
    let refused = run(&[]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stdout).contains("[verify:sigstore-tlog]"),
        "{}",
        text(&refused.stdout)
    );
    let accepted = run(&["--insecure-skip-tlog"]);
    assert_eq!(
        accepted.status.code(),
        Some(0),
        "{}",
        text(&accepted.stdout)
    );
    let said = text(&accepted.stdout);
    assert!(
        said.contains("TRANSPARENCY LOG NOT CHECKED")
            && said.contains("--insecure-skip-tlog: the transparency log was NOT checked"),
        "{said}"
    );
}

/// Two readers of one bundle must never see two documents: duplicate keys (at any depth) and
/// a bundle holding both a message signature and an envelope are refused.
#[test]
fn ambiguous_bundles_are_refused() {
    let Some((bundle, artifact)) = case() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let text_in = std::fs::read_to_string(&bundle).unwrap();
    let v: Value = serde_json::from_str(&text_in).unwrap();
    let body = text_in.trim_end().strip_suffix('}').unwrap();
    let sig = v["messageSignature"].to_string();
    let variants = [
        ("dup-top.json", format!("{body},\"messageSignature\":{sig}}}")),
        (
            "dup-deep.json",
            text_in.replacen("\"signature\":", "\"signature\":\"AAAA\",\"signature\":", 1),
        ),
        (
            "both.json",
            format!("{body},\"dsseEnvelope\":{{\"payloadType\":\"application/vnd.in-toto+json\",\"payload\":\"e30=\",\"signatures\":[{{\"sig\":\"AAAA\"}}]}}}}"),
        ),
    ];
    for (name, doc) in variants {
        let p = tmp.path().join(name);
        std::fs::write(&p, doc).unwrap();
        let (code, report) = verify(
            &p,
            artifact.to_str().unwrap(),
            &["--certificate-identity", IDENTITY],
        );
        assert_eq!(code, 1, "{name}: {report}");
        let (check, message) = failed(&report);
        assert_eq!(check, "verify:sigstore-bundle", "{name}: {message}");
    }
}

/// FIFOs and devices are refused at once (exit 2), never read until they end.
#[test]
fn non_regular_inputs_are_refused() {
    let Some((bundle, artifact)) = case() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    for (a, b) in [
        (fifo.as_path(), bundle.as_path()),
        (artifact.as_path(), fifo.as_path()),
        (Path::new("/dev/zero"), bundle.as_path()),
        (artifact.as_path(), Path::new("/dev/zero")),
    ] {
        let out = cw()
            .args(["verify", "bundle"])
            .arg(a)
            .arg("--bundle")
            .arg(b)
            .args([
                "--certificate-identity",
                IDENTITY,
                "--certificate-oidc-issuer",
                ISSUER,
            ])
            .timeout(std::time::Duration::from_secs(20))
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{a:?} {b:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains("not a regular file"),
            "{}",
            text(&out.stderr)
        );
    }
}

/// sigstore-go's bundle whose certificate names its signer in an `otherName` SAN
/// (`tests/fixtures/sigstore-go`, TestEntityWithOthernameSan).
#[test]
fn othername_identities_match_like_the_others() {
    let dir = crate::common::fixture("sigstore-go");
    let run = |identity: &[&str]| {
        cw().args([
            "verify",
            "bundle",
            "sha256:bc103b4a84971ef6459b294a2b98568a2bfb72cded09d4acd1e16366a401f95b",
            "--format",
            "json",
            "--certificate-oidc-issuer",
            "http://oidc.local:8080",
            "--bundle",
        ])
        .arg(dir.join("othername.sigstore.json"))
        .arg("--trusted-root")
        .arg(dir.join("scaffolding.json"))
        .args(identity)
        .output()
        .unwrap()
    };
    let ok = run(&["--certificate-identity", "foo!oidc.local"]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}{}",
        text(&ok.stdout),
        text(&ok.stderr)
    );
    let ok = run(&["--certificate-identity-regexp", "foo!.*"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stdout));
    // An e-mail address with the same parts is another identity.
    let bad = run(&["--certificate-identity", "foo@oidc.local"]);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad.stdout));
    assert!(text(&bad.stdout).contains("verify:sigstore-identity"));
}

/// sigstore-python's bundle with two RFC 3161 timestamps of which only one verifies against
/// the trusted root (`tests/fixtures/sigstore-python`): a threshold of one is met.
#[test]
fn one_valid_timestamp_of_two_suffices() {
    let dir = crate::common::fixture("sigstore-python");
    let run = |root: &str| {
        cw().args(["verify", "bundle", "--format", "json", "--bundle"])
            .arg(dir.join("bundle.txt.sigstore"))
            .arg(dir.join("bundle.txt"))
            .arg("--trusted-root")
            .arg(dir.join(root))
            .args([
                "--certificate-identity",
                "alexis.challande@trailofbits.com",
                "--certificate-oidc-issuer",
                "https://accounts.google.com",
            ])
            .output()
            .unwrap()
    };
    let out = run("trusted_root.json");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        text(&out.stdout).contains("were ignored (threshold 1)"),
        "{}",
        text(&out.stdout)
    );
}
