//! Issue 17: every tree is walked by one walker (`fsutil::walk`), which never follows a link
//! and never opens a FIFO. Each command that walks a tree gets one with a link loop, a link to
//! its own parent directory and a FIFO with no writer; each finishes under the watchdog, and
//! the FIFO is refused or reported, never silently skipped where the command describes the
//! whole tree.

use std::os::unix::fs::symlink;
use std::path::Path;

use serde_json::Value;

use super::{mkfifo, refused, run};
use crate::common::data;

/// `dir/a.txt`, `dir/sub/b.txt`, a link loop `loop1 <-> loop2` and `sub/up -> ..`.
fn tree_with_link_loops(dir: &Path) {
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("a.txt"), "alpha\n").unwrap();
    std::fs::write(dir.join("sub/b.txt"), "beta\n").unwrap();
    symlink(dir.join("loop2"), dir.join("loop1")).unwrap();
    symlink(dir.join("loop1"), dir.join("loop2")).unwrap();
    symlink("..", dir.join("sub/up")).unwrap();
}

#[test]
fn checksum_directories_survive_link_loops_and_name_a_fifo() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("release");
    tree_with_link_loops(&dir);
    let manifest = tmp.path().join("SHA256SUMS");
    let (code, _, stderr) = run([
        "checksums".as_ref(),
        dir.as_os_str(),
        "--output".as_ref(),
        manifest.as_os_str(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let names: Vec<String> = std::fs::read_to_string(&manifest)
        .unwrap()
        .lines()
        .map(|l| l.split_once("  ").unwrap().1.to_string())
        .collect();
    assert_eq!(
        names,
        ["a.txt", "sub/b.txt"],
        "links are not followed or listed"
    );

    mkfifo(&dir.join("pipe"));
    // Writing a manifest of a directory holding a FIFO is refused: it would describe less.
    refused(
        ["checksums".as_ref(), dir.as_os_str()],
        &["pipe: is not a regular file (a FIFO): refused"],
    );
    // Verifying: the unlisted FIFO fails the run under `--unlisted fail`, by name and kind.
    let (code, stdout, stderr) = run([
        "verify".as_ref(),
        "checksums".as_ref(),
        manifest.as_os_str(),
        "--dir".as_ref(),
        dir.as_os_str(),
        "--unlisted".as_ref(),
        "fail".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert_eq!(code, 1, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let subjects: Vec<(&str, &str)> = report["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["verdict"].as_str().unwrap()))
        .collect();
    assert_eq!(
        subjects,
        [
            ("a.txt", "verified"),
            ("sub/b.txt", "verified"),
            ("pipe", "failed")
        ]
    );
    let pipe = &report["subjects"][2]["checks"][0];
    assert_eq!(pipe["code"], "verify:unlisted");
    assert_eq!(
        pipe["message"],
        "a FIFO in the directory, not listed in the manifest"
    );
}

#[test]
fn secrets_scan_of_a_plain_tree_survives_link_loops_and_a_fifo() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    tree_with_link_loops(dir);
    mkfifo(&dir.join("pipe"));
    let token = format!("ghp_{}", "Zq8rT2mLx9Wv".repeat(3));
    std::fs::write(dir.join("sub/ci.yml"), format!("token: {token}\n")).unwrap();
    let (code, stdout, stderr) = run([
        "secrets".as_ref(),
        "scan".as_ref(),
        dir.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert_eq!(code, 1, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["files_scanned"], 3, "a.txt, sub/b.txt, sub/ci.yml");
    assert_eq!(report["findings"][0]["path"], "sub/ci.yml");
    assert!(!stdout.contains(&token));
}

#[test]
fn an_advisory_database_with_a_fifo_or_a_link_loop_is_refused_not_waited_on() {
    let Some(real) = data("advisory-db") else {
        return;
    };
    let lockfile = data("lockfiles/real-ripgrep-2019/Cargo.lock").unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let smallvec = db.join("crates/smallvec");
    std::fs::create_dir_all(&smallvec).unwrap();
    std::fs::create_dir_all(db.join("rust")).unwrap();
    let advisory = real.join("crates/smallvec/RUSTSEC-2021-0003.md");
    std::fs::copy(&advisory, smallvec.join("RUSTSEC-2021-0003.md")).unwrap();
    let audit = |db: &Path| {
        run([
            "audit".as_ref(),
            "--offline".as_ref(),
            "--lockfile-only".as_ref(),
            "--format".as_ref(),
            "json".as_ref(),
            "--db".as_ref(),
            db.as_os_str(),
            lockfile.as_os_str(),
        ])
    };
    // The one-advisory copy works (so what follows is refused for the FIFO, not the copy).
    let (code, stdout, stderr) = audit(&db);
    assert!(code == 0 || code == 1, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["database"]["advisory_count"], 1, "{stdout}");

    mkfifo(&smallvec.join("RUSTSEC-2099-0001.md"));
    let (code, _, stderr) = audit(&db);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(
            "crates/smallvec/RUSTSEC-2099-0001.md is not a regular file (a FIFO): refused"
        ),
        "{stderr}"
    );
    std::fs::remove_file(smallvec.join("RUSTSEC-2099-0001.md")).unwrap();

    // A link loop where an advisory should be: read through the one bounded reader, named.
    symlink(smallvec.join("loop"), smallvec.join("RUSTSEC-2099-0002.md")).unwrap();
    symlink(smallvec.join("RUSTSEC-2099-0002.md"), smallvec.join("loop")).unwrap();
    let (code, _, stderr) = audit(&db);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("symbolic link loop"), "{stderr}");
}
