//! `verify release` with `[release] require_auditable = true`: a release of real binaries built
//! by `cargo auditable` (the fixture of `shipped.rs`), compared with the lockfile at the
//! release's tag (a git repository made here) or a lockfile given, audited with the shared
//! advisory database; and the hostile releases: truncated, oversized, corrupt, not an
//! executable, a link out of the release.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::{cw, data, fixture, text};
use crate::shipped::{vulnapp, wasm_with_section, zlib, DEPS};

const NOW: &str = "2026-11-25T12:00:00Z";
/// Accepts the fixture's one vulnerability, so the real binary can verify.
const POLICY: &str = r#"schema_version = 1
[release]
require_auditable = true
[[audit.ignore]]
id = "RUSTSEC-2021-0003"
reason = "fixture: the vulnerable smallvec is the point"
approved_by = "tests"
expires = "2099-01-01"
"#;
const STRICT: &str = "schema_version = 1\n[release]\nrequire_auditable = true\n";

/// A release directory holding `files` (name, bytes or a copy), with its SHA256SUMS.
fn release(root: &Path, files: &[(&str, &Path)]) -> PathBuf {
    let dir = root.join("release");
    std::fs::create_dir_all(&dir).unwrap();
    let mut names = Vec::new();
    for (name, from) in files {
        std::fs::copy(from, dir.join(name)).unwrap();
        names.push(*name);
    }
    sums(&dir, &names);
    dir
}

fn sums(dir: &Path, names: &[&str]) {
    let out = Command::new("sha256sum")
        .args(names)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::write(dir.join("SHA256SUMS"), out.stdout).unwrap();
}

/// `verify release --format json` under `policy` with extra arguments: (exit, report or
/// stderr).
fn verify(dir: &Path, policy: &str, args: &[&str]) -> (i32, Value, String) {
    let p = dir.parent().unwrap().join("policy.toml");
    std::fs::write(&p, policy).unwrap();
    let out = cw()
        .args([
            "verify", "release", "--format", "json", "--now", NOW, "--policy",
        ])
        .arg(&p)
        .arg("--db")
        .arg(data("advisory-db").unwrap())
        .args(args)
        .arg(dir)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap(), report, text(&out.stderr))
}

/// (code, verdict, package) of every check of the subject `name`.
fn checks(report: &Value, name: &str) -> Vec<(String, String, String)> {
    let subject = report["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no subject {name}: {report}"));
    subject["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["code"].as_str().unwrap().to_string(),
                c["verdict"].as_str().unwrap().to_string(),
                c["details"]["package"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn has(checks: &[(String, String, String)], code: &str, verdict: &str, package: &str) -> bool {
    checks
        .iter()
        .any(|c| c.0 == code && c.1 == verdict && c.2 == package)
}

fn git(repo: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(repo)
        .env_remove("GIT_DIR")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
}

/// A repository whose tag v0.1.0 holds the fixture's Cargo.lock and v0.2.0 one with smallvec
/// bumped (a release built from v0.1.0's lockfile does not match v0.2.0's).
fn tagged_repo(root: &Path) -> PathBuf {
    let repo = root.join("repo");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    let lock = std::fs::read_to_string(fixture("auditable/vulnapp/Cargo.lock")).unwrap();
    std::fs::write(repo.join("Cargo.lock"), &lock).unwrap();
    git(&repo, &["add", "Cargo.lock"]);
    git(&repo, &["commit", "-qm", "v0.1.0"]);
    git(&repo, &["tag", "v0.1.0"]);
    let bumped = lock.replace(
        "name = \"smallvec\"\nversion = \"1.6.0\"",
        "name = \"smallvec\"\nversion = \"1.6.1\"",
    );
    assert_ne!(bumped, lock);
    std::fs::write(repo.join("Cargo.lock"), bumped).unwrap();
    git(&repo, &["commit", "-qam", "v0.2.0"]);
    git(&repo, &["tag", "v0.2.0"]);
    // A branch named like a tag is never read as the tag.
    git(&repo, &["branch", "v9"]);
    repo
}

#[test]
fn real_auditable_release_verifies_against_its_tag() {
    let Some(bin) = vulnapp() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let notes = tmp.path().join("NOTES.txt");
    std::fs::write(&notes, "release notes\n").unwrap();
    let dir = release(tmp.path(), &[("vulnapp", &bin), ("NOTES.txt", &notes)]);
    let repo = tagged_repo(tmp.path());
    let repo_arg = repo.to_str().unwrap();

    let (code, report, stderr) = verify(&dir, POLICY, &["--repo", repo_arg, "--tag", "v0.1.0"]);
    assert_eq!(code, 0, "{stderr}{report}");
    assert_eq!(report["verdict"], "verified");
    let bin_checks = checks(&report, "vulnapp");
    for code in [
        "verify:digest",
        "verify:auditable-data",
        "verify:auditable-lockfile",
        "verify:auditable-advisories",
    ] {
        assert!(
            has(&bin_checks, code, "verified", ""),
            "{code}: {bin_checks:?}"
        );
    }
    assert!(report.to_string().contains("at tag v0.1.0 (commit "));
    // Not an executable: no auditable check.
    assert!(!checks(&report, "NOTES.txt")
        .iter()
        .any(|c| c.0.starts_with("verify:auditable")));

    // The same binary against the next tag's lockfile: built from another lockfile.
    let (code, report, _) = verify(&dir, POLICY, &["--repo", repo_arg, "--tag", "v0.2.0"]);
    assert_eq!(code, 1, "{report}");
    let bin_checks = checks(&report, "vulnapp");
    assert!(
        has(
            &bin_checks,
            "verify:auditable-version-mismatch",
            "failed",
            "smallvec"
        ),
        "{bin_checks:?}"
    );
    assert_eq!(
        bin_checks
            .iter()
            .filter(|c| c.0 == "verify:auditable-version-mismatch")
            .count(),
        1
    );

    // Without the accepted risk, the embedded smallvec fails the audit, listed by package.
    let (code, report, _) = verify(&dir, STRICT, &["--repo", repo_arg, "--tag", "v0.1.0"]);
    assert_eq!(code, 1);
    assert!(
        has(
            &checks(&report, "vulnapp"),
            "verify:auditable-advisory",
            "failed",
            "smallvec"
        ),
        "{report}"
    );

    // A branch, a missing tag, an option-like tag, no tag at all: exit 2, nothing verified.
    for (args, expected) in [
        (vec!["--repo", repo_arg, "--tag", "v9"], "no such tag"),
        (vec!["--repo", repo_arg, "--tag", "v3.0.0"], "no such tag"),
        (
            vec!["--repo", repo_arg, "--tag", "v0.2.0~1"],
            "not a tag name",
        ),
        (
            vec!["--repo", repo_arg, "--tag", "v0.2.0@{1}"],
            "not a tag name",
        ),
        (
            vec!["--repo", repo_arg, "--tag=--output=x"],
            "must not start with `-`",
        ),
        (vec![], "needs the release's Cargo.lock"),
    ] {
        let (code, _, stderr) = verify(&dir, POLICY, &args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    assert!(!dir.join("x").exists() && !repo.join("x").exists());
}

#[test]
fn binaries_from_another_lockfile_are_listed_by_package() {
    let Some(bin) = vulnapp() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let dir = release(tmp.path(), &[("vulnapp", &bin)]);
    // A lockfile that lacks the path crate and locks another smallvec.
    let lock = std::fs::read_to_string(fixture("auditable/vulnapp/Cargo.lock")).unwrap();
    let edited = lock
        .replace("\"1.6.0\"", "\"1.13.2\"")
        .replace(
            "[[package]]\nname = \"helper\"\nversion = \"0.2.0\"\n\n",
            "",
        )
        .replace(" \"helper\",\n", "");
    assert!(!edited.contains("helper"), "{edited}");
    let lockfile = tmp.path().join("Cargo.lock");
    std::fs::write(&lockfile, edited).unwrap();
    let (code, report, stderr) = verify(&dir, POLICY, &["--lockfile", lockfile.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    let c = checks(&report, "vulnapp");
    assert!(
        has(&c, "verify:auditable-not-in-lockfile", "failed", "helper"),
        "{c:?}"
    );
    assert!(
        has(
            &c,
            "verify:auditable-version-mismatch",
            "failed",
            "smallvec"
        ),
        "{c:?}"
    );
    assert!(!c.iter().any(|c| c.0 == "verify:auditable-lockfile"));

    // Another project's lockfile: every embedded package that is not in it is listed.
    let other = data("lockfiles").unwrap().join("real-ripgrep/Cargo.lock");
    let (code, report, _) = verify(&dir, POLICY, &["--lockfile", other.to_str().unwrap()]);
    assert_eq!(code, 1);
    let c = checks(&report, "vulnapp");
    for package in ["vulnapp", "helper", "atty", "smallvec"] {
        assert!(
            c.iter().any(|c| c.1 == "failed" && c.2 == package),
            "{package}: {c:?}"
        );
    }
}

#[test]
fn missing_or_unreadable_auditable_data_is_never_verified() {
    let Some(bin) = vulnapp() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let lockfile = fixture("auditable/vulnapp/Cargo.lock");
    let lock_args = ["--lockfile", lockfile.to_str().unwrap()];
    // Our own binary is built with plain cargo: no embedded data fails the policy.
    let plain = Path::new(env!("CARGO_BIN_EXE_chainwarden"));
    let dir = release(tmp.path(), &[("vulnapp", &bin), ("chainwarden", plain)]);
    let (code, report, _) = verify(&dir, POLICY, &lock_args);
    assert_eq!(code, 1, "{report}");
    assert!(has(
        &checks(&report, "chainwarden"),
        "verify:auditable-missing",
        "failed",
        ""
    ));
    assert_eq!(checks(&report, "vulnapp").last().unwrap().1, "verified");

    // Hostile executables: each is unverifiable (exit 2) and named, never verified.
    let compressed = zlib(DEPS.as_bytes());
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated.wasm",
            wasm_with_section(".dep-v0", &compressed[..compressed.len() / 2]),
            "truncated or corrupt",
        ),
        (
            "oversized.wasm",
            wasm_with_section(".dep-v0", &zlib(&vec![b' '; 9 * 1024 * 1024])),
            "inflates past the 8 MiB limit",
        ),
        (
            "garbage",
            b"\x7fELF garbage".to_vec(),
            "cannot parse the binary",
        ),
        // A name no Cargo.lock may hold (it would reach paths and terminals).
        (
            "badname.wasm",
            wasm_with_section(
                ".dep-v0",
                &zlib(
                    DEPS.replace(r#""name":"smallvec""#, r#""name":"../x""#)
                        .as_bytes(),
                ),
            ),
            "packages[1] (`../x`): not a valid registry crate name",
        ),
    ];
    for (name, bytes, expected) in cases {
        let dir = tmp.path().join(name).join("release");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
        sums(&dir, &[name]);
        let (code, report, _) = verify(&dir, POLICY, &lock_args);
        assert_eq!(code, 2, "{name}: {report}");
        let c = &report["subjects"][0]["checks"];
        let unreadable = c
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == "verify:auditable-unreadable")
            .unwrap_or_else(|| panic!("{name}: {c}"));
        let message = unreadable["message"].as_str().unwrap();
        assert!(
            message.contains(name) && message.contains(expected),
            "{message}"
        );
        assert_eq!(report["subjects"][0]["verdict"], "unverifiable");
    }
}

#[test]
fn releases_without_an_executable_or_with_a_link_out_fail() {
    let Some(bin) = vulnapp() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let lockfile = fixture("auditable/vulnapp/Cargo.lock");
    let lock_args = ["--lockfile", lockfile.to_str().unwrap()];
    // Named like a binary, but text: not an executable, so the release has none to check.
    let fake = tmp.path().join("fake");
    std::fs::write(&fake, "#!/bin/sh\necho not an ELF\n").unwrap();
    let dir = release(&tmp.path().join("text"), &[("vulnapp", &fake)]);
    let (code, report, _) = verify(&dir, POLICY, &lock_args);
    assert_eq!(code, 1, "{report}");
    assert!(has(
        &checks(&report, "(executables)"),
        "verify:auditable-missing",
        "failed",
        ""
    ));

    // A listed link to an auditable binary outside the release: refused, not read.
    let dir = release(&tmp.path().join("link"), &[]);
    std::os::unix::fs::symlink(&bin, dir.join("vulnapp")).unwrap();
    sums(&dir, &["vulnapp"]);
    let (code, report, _) = verify(&dir, POLICY, &lock_args);
    assert_eq!(code, 1, "{report}");
    let c = checks(&report, "vulnapp");
    assert!(has(&c, "verify:unsafe-name", "failed", ""), "{c:?}");
    assert!(
        !c.iter().any(|c| c.0.starts_with("verify:auditable-data")),
        "{c:?}"
    );
    assert!(report.to_string().contains("auditable-missing"));
}
