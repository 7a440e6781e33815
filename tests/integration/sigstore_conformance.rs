//! Sigstore's client conformance cases, run through our adapter script exactly as the suite
//! drives a client: 70 cases, each with the artifact as a file and as `sha256:HEX` — 140 runs.
//! A case whose name ends in `_fail` must be rejected; every other must verify.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

struct Run {
    case: String,
    as_digest: bool,
    expect_ok: bool,
    args: Vec<String>,
}

fn read_trimmed(p: &Path) -> Option<String> {
    std::fs::read_to_string(p)
        .ok()
        .map(|s| s.trim().to_string())
}

fn runs(root: &Path) -> Vec<Run> {
    let cases_dir = root.join("bundle-verify");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&cases_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    let mut out = Vec::new();
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let artifact = if case.join("artifact").is_file() {
            case.join("artifact")
        } else {
            cases_dir.join("a.txt")
        };
        let mut base = vec![
            "verify-bundle".to_string(),
            "--bundle".into(),
            case.join("bundle.sigstore.json").display().to_string(),
        ];
        if case.join("key.pub").is_file() {
            base.extend(["--key".into(), case.join("key.pub").display().to_string()]);
        } else {
            base.extend([
                "--certificate-identity".into(),
                read_trimmed(&case.join("identity")).unwrap_or_else(|| IDENTITY.into()),
                "--certificate-oidc-issuer".into(),
                read_trimmed(&case.join("issuer")).unwrap_or_else(|| ISSUER.into()),
            ]);
        }
        if case.join("trusted_root.json").is_file() {
            base.extend([
                "--trusted-root".into(),
                case.join("trusted_root.json").display().to_string(),
            ]);
        }
        let digest = format!(
            "sha256:{}",
            hex::encode(Sha256::digest(std::fs::read(&artifact).unwrap()))
        );
        for (as_digest, target) in [(false, artifact.display().to_string()), (true, digest)] {
            let mut args = base.clone();
            args.push(target);
            out.push(Run {
                case: name.clone(),
                as_digest,
                expect_ok: !name.ends_with("_fail"),
                args,
            });
        }
    }
    out
}

#[test]
fn all_conformance_runs_give_the_expected_verdict() {
    let Some(root) = crate::common::data("sigstore-conformance") else {
        return;
    };
    let runs = runs(&root);
    assert_eq!(runs.len(), 140, "70 cases, twice each");
    let adapter = crate::common::repo_root().join("conformance/chainwarden-conformance");
    let results: Vec<(bool, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = runs
            .chunks(runs.len().div_ceil(4))
            .map(|chunk| {
                let adapter = adapter.clone();
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|r| {
                            let out = Command::new(&adapter)
                                .args(&r.args)
                                .env("CHAINWARDEN", env!("CARGO_BIN_EXE_chainwarden"))
                                .env("NO_COLOR", "1")
                                .env("CHAINWARDEN_NO_RECORD", "1")
                                .output()
                                .unwrap();
                            let ok = out.status.success();
                            let detail = format!(
                                "{} ({}): expected {}, exit {:?}: {}{}",
                                r.case,
                                if r.as_digest { "digest" } else { "file" },
                                if r.expect_ok { "verified" } else { "rejected" },
                                out.status.code(),
                                crate::common::text(&out.stdout)
                                    .lines()
                                    .filter(|l| l.contains("fail") || l.starts_with("error"))
                                    .collect::<Vec<_>>()
                                    .join(" | "),
                                crate::common::text(&out.stderr).trim()
                            );
                            (ok == r.expect_ok, detail)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let wrong: Vec<&String> = results
        .iter()
        .filter(|(ok, _)| !ok)
        .map(|(_, d)| d)
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of 140 runs gave the wrong verdict:\n{}",
        wrong.len(),
        wrong
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}
