//! Real SLSA provenance (`../shared/data/provenance`, CASES.md): every verdict slsa-verifier's
//! own regression tests expect, plus changed artifacts.

use crate::common::{cw, data, text};

const GENERIC_SOURCE: &str = "github.com/slsa-framework/example-package";
const GENERIC_BUILDER: &str = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml";
const BCR_SOURCE: &str = "github.com/aspect-build/rules_lint";
const BCR_PUBLISH: &str =
    "https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml";
const BCR_RELEASE: &str =
    "https://github.com/bazel-contrib/.github/.github/workflows/release_ruleset.yaml";

/// (artifact, provenance, source, extra flags, must verify, check expected to fail)
type Case = (
    &'static str,
    &'static str,
    &'static str,
    Vec<String>,
    bool,
    &'static str,
);

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn cases() -> Vec<Case> {
    let wd = (
        "gha_generic-v2.1.0/binary-linux-amd64-workflow_dispatch",
        "gha_generic-v2.1.0/binary-linux-amd64-workflow_dispatch.intoto.jsonl",
    );
    let v13 = (
        "gha_generic-v2.1.0/binary-linux-amd64-push-v13.0.30",
        "gha_generic-v2.1.0/binary-linux-amd64-push-v13.0.30.intoto.jsonl",
    );
    let v14 = (
        "gha_generic-v2.1.0/binary-linux-amd64-push-v14.2",
        "gha_generic-v2.1.0/binary-linux-amd64-push-v14.2.intoto.jsonl",
    );
    let mut c: Vec<Case> = vec![
        (wd.0, wd.1, GENERIC_SOURCE, vec![], true, ""),
        (wd.0, wd.1, GENERIC_SOURCE, s(&["--source-branch", "main"]), true, ""),
        (wd.0, wd.1, GENERIC_SOURCE, s(&["--source-branch", "master"]), false, "verify:provenance-ref"),
        (wd.0, wd.1, "github.com/slsa-framework/example-packageA", vec![], false, "verify:provenance-source"),
        (wd.0, wd.1, "github.com/slsa-framework/Aexample-package", vec![], false, "verify:provenance-source"),
        (wd.0, wd.1, "github.com/slsa-framework/exampleA-package", vec![], false, "verify:provenance-source"),
        (wd.0, wd.1, GENERIC_SOURCE, s(&["--source-tag", "v1.2.3"]), false, "verify:provenance-ref"),
        (wd.0, wd.1, GENERIC_SOURCE, s(&["--builder-id", GENERIC_BUILDER]), true, ""),
        (wd.0, wd.1, GENERIC_SOURCE, s(&["--builder-id", "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/not-trusted.yml"]), false, "verify:provenance-builder"),
        (v13.0, v13.1, GENERIC_SOURCE, s(&["--source-tag", "v13.0.30"]), true, ""),
        ("bcr/MODULE.bazel", "bcr/MODULE.bazel.intoto.jsonl", BCR_SOURCE, s(&["--builder-id", BCR_PUBLISH]), true, ""),
        ("bcr/rules_lint-v1.3.1.tar.gz", "bcr/rules_lint-v1.3.1.tar.gz.intoto.jsonl", BCR_SOURCE, s(&["--builder-id", BCR_RELEASE]), true, ""),
        ("bcr/MODULE-wrong-signer.bazel", "bcr/MODULE-wrong-signer.bazel.intoto.jsonl", BCR_SOURCE, s(&["--builder-id", BCR_PUBLISH]), false, "verify:provenance-builder"),
        ("bcr/MODULE.bazel", "bcr/MODULE.bazel.intoto.jsonl", BCR_SOURCE, vec![], false, "verify:provenance-builder"),
        // The three generic binaries are byte-identical: any of them is the subject.
        (v14.0, wd.1, GENERIC_SOURCE, vec![], true, ""),
    ];
    for bad in ["v13.0.29", "v13.0", "v13"] {
        c.push((
            v13.0,
            v13.1,
            GENERIC_SOURCE,
            s(&["--source-tag", bad]),
            false,
            "verify:provenance-ref",
        ));
    }
    for ok in ["v13.0.30", "v13.0", "v13"] {
        c.push((
            v13.0,
            v13.1,
            GENERIC_SOURCE,
            s(&["--source-versioned-tag", ok]),
            true,
            "",
        ));
    }
    for bad in ["v2", "v0", "v13.1", "v12.9", "v13.0.29", "v13.0.31"] {
        c.push((
            v13.0,
            v13.1,
            GENERIC_SOURCE,
            s(&["--source-versioned-tag", bad]),
            false,
            "verify:provenance-ref",
        ));
    }
    for ok in ["v14.2", "v14"] {
        c.push((
            v14.0,
            v14.1,
            GENERIC_SOURCE,
            s(&["--source-versioned-tag", ok]),
            true,
            "",
        ));
    }
    for bad in ["v14.2.1", "v14.2.3", "v14.1", "v14.1.1", "v14.3.1", "v13"] {
        c.push((
            v14.0,
            v14.1,
            GENERIC_SOURCE,
            s(&["--source-versioned-tag", bad]),
            false,
            "verify:provenance-ref",
        ));
    }
    c
}

#[test]
fn verdicts_match_slsa_verifier() {
    let Some(root) = data("provenance") else {
        return;
    };
    let mut wrong = Vec::new();
    for (artifact, provenance, source, extra, ok, failing) in cases() {
        let out = cw()
            .args([
                "verify",
                "provenance",
                "--format",
                "json",
                "--source-uri",
                source,
                "--provenance",
            ])
            .arg(root.join(provenance))
            .arg(root.join(artifact))
            .args(&extra)
            .output()
            .unwrap();
        let report: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out.stderr)));
        let failed: Vec<&str> = report["subjects"][0]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["verdict"] != "verified")
            .map(|c| c["code"].as_str().unwrap())
            .collect();
        let good = if ok {
            out.status.code() == Some(0) && failed.is_empty()
        } else {
            out.status.code() == Some(1) && failed.contains(&failing)
        };
        if !good {
            wrong.push(format!(
                "{artifact} {source} {extra:?}: exit {:?}, failed {failed:?}",
                out.status.code()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_changed_artifact_is_no_subject() {
    let Some(root) = data("provenance/gha_generic-v2.1.0") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(root.join("binary-linux-amd64-workflow_dispatch")).unwrap();
    bytes[100] ^= 0xff;
    let changed = tmp.path().join("binary");
    std::fs::write(&changed, bytes).unwrap();
    let out = cw()
        .args([
            "verify",
            "provenance",
            "--source-uri",
            GENERIC_SOURCE,
            "--provenance",
        ])
        .arg(root.join("binary-linux-amd64-workflow_dispatch.intoto.jsonl"))
        .arg(&changed)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("[verify:provenance-signature]"),
        "{}",
        text(&out.stdout)
    );
}
