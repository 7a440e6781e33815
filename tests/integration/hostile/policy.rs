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
    assert_eq!(
        located,
        20_000,
        "{}",
        stderr.get(..stderr.len().min(2000)).unwrap_or(&stderr)
    );
    // The last one is located where it is.
    assert!(
        stderr.contains("policy.toml:119996:6: audit.ignore[19999].id"),
        "{}",
        stderr
            .get(stderr.len().saturating_sub(500)..)
            .unwrap_or(&stderr)
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

/// Deterministic mutations of the shipped policies (lines dropped, doubled, swapped, bytes
/// inserted): parsing never panics and every refusal names the file. The cargo-fuzz target
/// `policy_parse` does this without bound.
#[test]
fn mutated_policies_never_panic() {
    let root = crate::common::repo_root().join("policies");
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n.max(1) as u64) as usize
    };
    const BYTES: &[u8] = b"\"' =#[]{}\n\t\x01.,-_0a";
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for round in 0..200 {
            let mut m: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            for _ in 0..=round % 3 {
                let i = next(m.len());
                match next(4) {
                    0 if !m.is_empty() => {
                        m.remove(i);
                    }
                    1 => m.insert(i, lines[next(lines.len())].to_string()),
                    2 if !m.is_empty() => {
                        let j = next(m.len());
                        m.swap(i, j);
                    }
                    _ if !m.is_empty() => {
                        let line = &mut m[i];
                        let at = next(line.len() + 1);
                        if line.is_char_boundary(at) {
                            line.insert(at, BYTES[next(BYTES.len())] as char);
                        }
                    }
                    _ => {}
                }
            }
            let candidate = m.join("\n");
            let result = std::panic::catch_unwind(|| {
                chainwarden::policy::Policy::parse(std::path::Path::new("p.toml"), &candidate)
            });
            match result {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    let message = e.to_string();
                    assert!(message.starts_with("p.toml"), "{message}");
                }
                Err(_) => panic!(
                    "{}: round {round} panicked on:\n{candidate}",
                    path.display()
                ),
            }
        }
    }
}
