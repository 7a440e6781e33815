//! Git ranges that look like options or resolve to nothing, and repositories whose own config
//! or our environment would redirect git.

use std::path::Path;
use std::process::Command;

use super::{refused, run};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.org",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env_remove("GIT_DIR")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A repository with two commits; the second adds a file holding a GitHub token.
fn repo(dir: &Path) -> String {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    std::fs::write(dir.join("README"), "hello\n").unwrap();
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "first"]);
    let base = git(dir, &["rev-parse", "HEAD"]);
    std::fs::write(
        dir.join("config.env.txt"),
        // Built at run time so this source file holds no token.
        format!(
            "token = {}_{}\n",
            "ghp", "0123456789abcdefghijABCDEFGHIJ0123456789"
        ),
    )
    .unwrap();
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "second"]);
    base
}

#[test]
fn option_like_ranges_are_refused_and_git_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    repo(&dir);
    let written = tmp.path().join("written-by-git");
    let injected = format!("--output={}", written.display());
    let d = dir.to_str().unwrap();
    refused(
        ["secrets", "scan", d, &format!("--git-range={injected}")],
        &["invalid git range", "must not start with `-`"],
    );
    refused(
        [
            "verify",
            "commits",
            "--repo",
            d,
            &format!("--range={injected}"),
        ],
        &["invalid git range", "must not start with `-`"],
    );
    refused(
        [
            "verify",
            "commits",
            "--repo",
            d,
            "--range",
            &format!("HEAD..{injected}"),
        ],
        &["must not start with `-`"],
    );
    assert!(!written.exists(), "git was given an option from the range");
}

#[test]
fn a_range_with_no_commit_is_an_error_never_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    repo(&dir);
    let d = dir.to_str().unwrap();
    for range in ["HEAD..HEAD", "main..HEAD"] {
        refused(
            ["secrets", "scan", d, "--git-range", range],
            &["resolves to no commit"],
        );
        refused(
            ["verify", "commits", "--repo", d, "--range", range],
            &["resolves to no commit"],
        );
    }
    refused(
        ["secrets", "scan", d, "--git-range", "no-such-ref..HEAD"],
        &["git rev-list failed"],
    );
}

#[test]
fn our_git_environment_does_not_redirect_the_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    let base = repo(&dir);
    // Another repository named by GIT_DIR: without scrubbing, git would read it instead.
    let decoy = tmp.path().join("decoy");
    repo(&decoy);
    let out = crate::common::cw()
        .env("GIT_DIR", decoy.join(".git"))
        .env("GIT_WORK_TREE", &decoy)
        .args(["secrets", "scan", "--format", "json"])
        .arg(&dir)
        .args(["--git-range", &format!("{base}..HEAD")])
        .timeout(super::WATCHDOG)
        .output()
        .unwrap();
    let stdout = crate::common::text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        crate::common::text(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["commits_scanned"], 1, "{report}");
}

#[test]
fn a_hostile_repository_config_runs_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    repo(&dir);
    let pwned = tmp.path().join("pwned");
    // git runs core.fsmonitor as a command on ls-files/status in this repository.
    git(
        &dir,
        &[
            "config",
            "core.fsmonitor",
            &format!("touch {}; false", pwned.display()),
        ],
    );
    let (code, stdout, stderr) = run(["secrets", "scan", dir.to_str().unwrap()]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(!pwned.exists(), "the repository's core.fsmonitor ran");
}
