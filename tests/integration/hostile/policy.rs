//! Policies with many problems (all reported in one run, in file order, each located and
//! keyed) and inputs built to make line numbering quadratic.

use std::fmt::Write;

use super::{refused, run};

fn policy_run(policy: &str) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("policy.toml");
    std::fs::write(&path, policy).unwrap();
    let stderr = refused(
        [
            "verify".as_ref(),
            "checksums".as_ref(),
            "--policy".as_ref(),
            path.as_os_str(),
            "/nonexistent/SHA256SUMS".as_ref(),
        ],
        &[],
    );
    stderr.replace(&path.display().to_string(), "policy.toml")
}

#[test]
fn every_problem_of_a_policy_is_reported_in_one_run() {
    let stderr = policy_run(
        r#"[audit]
fail_on = "vulnerability"
fial_on = ["yanked"]
severity_threshold = "severe"

[scope]
tenant_id = "bad tenant!"
colour = "blue"

[[audit.ignore]]
id = "RUSTSEC-20-1"
reason = "x"
approved_by = "sec-team"
expires = "2026-13-01"
"#,
    );
    let located: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("policy.toml:"))
        .collect();
    let expect = [
        "policy.toml:2:11: audit.fail_on: invalid type",
        "policy.toml:3:1: audit.fial_on: unknown field `fial_on`",
        "policy.toml:4:22: audit.severity_threshold",
        "policy.toml:7:13: scope.tenant_id",
        "policy.toml:8:1: scope.colour: unknown field `colour`",
        "policy.toml:11:6: audit.ignore[0].id",
        "policy.toml:14:11: audit.ignore[0].expires",
    ];
    assert_eq!(located.len(), expect.len(), "{stderr}");
    for (line, want) in located.iter().zip(expect) {
        assert!(
            line.contains(want),
            "expected {want:?}, got {line:?}\n{stderr}"
        );
    }
}

#[test]
fn twenty_thousand_invalid_ignores_are_all_reported() {
    let mut policy = String::new();
    for i in 0..20_000 {
        write!(
            policy,
            "[[audit.ignore]]\nid = \"NOT-AN-ID-{i}\"\nreason = \"r\"\napproved_by = \"a\"\nexpires = \"2030-01-01\"\n\n"
        )
        .unwrap();
    }
    let stderr = policy_run(&policy);
    let located = stderr
        .lines()
        .filter(|l| l.contains("policy.toml:"))
        .count();
    assert_eq!(located, 20_000, "{}", &stderr[..stderr.len().min(2000)]);
    // The last one is located where it is.
    assert!(
        stderr.contains("policy.toml:119996:6: audit.ignore[19999].id"),
        "{}",
        &stderr[stderr.len().saturating_sub(500)..]
    );
}

#[test]
fn a_hundred_thousand_entry_json_manifest_is_numbered_quickly() {
    let tmp = tempfile::tempdir().unwrap();
    let mut json = String::from("{\"artifacts\": [\n");
    for i in 0..100_000 {
        let sep = if i + 1 < 100_000 { "," } else { "" };
        writeln!(
            json,
            "  {{\"name\": \"file-{i}.bin\", \"sha256\": \"{}\"}}{sep}",
            "ab".repeat(32)
        )
        .unwrap();
    }
    // The last entry's digest is broken: its line must be found.
    let broken = json.rfind(&"ab".repeat(32)).unwrap();
    json.replace_range(broken..broken + 2, "zz");
    json.push_str("]}\n");
    let path = tmp.path().join("checksums.json");
    std::fs::write(&path, json).unwrap();
    refused(
        ["verify".as_ref(), "checksums".as_ref(), path.as_os_str()],
        &[":100001:1: artifacts[99999].sha256"],
    );
}

#[test]
fn json_manifest_with_escaped_non_ascii_names_does_not_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("checksums.json");
    let digest = "ab".repeat(32);
    std::fs::write(
        &path,
        format!(
            "{{\"artifacts\": [{{\"name\": \"\\u00e9t\\u00e9.bin\", \"sha256\": \"{digest}\"}}, {{\"name\": \"été.bin\", \"sha256\": \"{digest}\"}}, {{\"name\": \"x\", \"sha256\": \"zz\"}}]}}"
        ),
    )
    .unwrap();
    let (code, stdout, stderr) = run(["verify".as_ref(), "checksums".as_ref(), path.as_os_str()]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
