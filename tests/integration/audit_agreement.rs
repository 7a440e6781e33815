//! `chainwarden audit` where it used to disagree with cargo-audit or trust mismatched inputs:
//! every spelling of the crates.io source, fixes from `unaffected` ranges, saved metadata that
//! does not describe the lockfile, and hostile lockfiles whose paths would be quadratic.
//! The lockfiles are generated here; the advisories are the shared RustSec snapshot's.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{cw, data, fixture, skip, text};
use serde_json::Value;

const NOW: &str = "2026-11-25T12:00:00Z";
const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";
const ZEROS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A v3 lockfile: an `app` depending on each `(name, version, source)`.
fn lockfile(packages: &[(&str, &str, &str)]) -> String {
    let mut s = String::from(
        "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n",
    );
    for (name, version, _) in packages {
        s.push_str(&format!(" \"{name} {version}\",\n"));
    }
    s.push_str("]\n");
    for (name, version, source) in packages {
        s.push_str(&format!(
            "\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\nsource = \"{source}\"\nchecksum = \"{ZEROS}\"\n"
        ));
    }
    s
}

fn lock_path(dir: &Path) -> PathBuf {
    dir.join("Cargo.lock")
}

fn write_lock(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("Cargo.lock");
    std::fs::write(&p, text).unwrap();
    p
}

/// `audit --offline --lockfile-only` (plus `extra`) on `lock`: (exit code, stdout, stderr).
fn audit(lock: &Path, format: &str, extra: &[&str]) -> Option<(i32, String, String)> {
    let db = data("advisory-db")?;
    let out = cw()
        .args([
            "audit",
            "--offline",
            "--now",
            NOW,
            "--format",
            format,
            "--db",
        ])
        .arg(&db)
        .args(extra)
        .arg(lock)
        .output()
        .unwrap();
    Some((
        out.status.code().unwrap(),
        text(&out.stdout),
        text(&out.stderr),
    ))
}

fn findings(json: &str) -> Vec<Value> {
    let doc: Value = serde_json::from_str(json).expect("JSON report");
    doc["findings"].as_array().unwrap().clone()
}

#[test]
fn every_spelling_of_the_crates_io_source_is_audited() {
    let tmp = tempfile::tempdir().unwrap();
    for source in [
        CRATES_IO,
        "sparse+https://index.crates.io/",
        "registry+https://github.com/rust-lang/crates.io-index.git",
    ] {
        let lock = write_lock(tmp.path(), &lockfile(&[("smallvec", "1.6.0", source)]));
        let Some((code, out, err)) = audit(&lock, "json", &["--lockfile-only"]) else {
            return;
        };
        assert_eq!(code, 1, "{source}: {err}");
        let ids: Vec<String> = findings(&out)
            .iter()
            .map(|f| f["advisory_id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ids, vec!["RUSTSEC-2021-0003"], "{source}");
    }
    // One finding reads as one in the verdict.
    let (_, human, _) = audit(&lock_path(tmp.path()), "human", &["--lockfile-only"]).unwrap();
    assert!(
        human.contains("FAIL: 1 vulnerability, 0 unsound, 0 unmaintained, 0 notices, 0 yanked; 0 ignored\n  failed: 1 finding fails the policy\n"),
        "{human}"
    );
    // Another registry is not crates.io: RustSec advisories do not apply to it.
    let lock = write_lock(
        tmp.path(),
        &lockfile(&[("smallvec", "1.6.0", "sparse+https://crates.example.org/")]),
    );
    let (code, out, _) = audit(&lock, "json", &["--lockfile-only"]).unwrap();
    assert_eq!(code, 0);
    assert!(findings(&out).is_empty());
}

#[test]
fn a_fix_comes_from_unaffected_ranges_as_cargo_audit_suggests() {
    // RUSTSEC-2026-0118 lists no patched version, only unaffected = ["< 0.25.0-alpha.3",
    // ">= 0.26.0-beta.1"]; cargo-audit's presenter says "Upgrade to >=0.26.0-beta.1
    // (unaffected)" for a version in between.
    let tmp = tempfile::tempdir().unwrap();
    let lock = write_lock(
        tmp.path(),
        &lockfile(&[("hickory-proto", "0.25.2", CRATES_IO)]),
    );
    let Some((code, out, err)) = audit(&lock, "json", &["--lockfile-only"]) else {
        return;
    };
    assert_eq!(code, 1, "{err}");
    let f = findings(&out)
        .into_iter()
        .find(|f| f["advisory_id"] == "RUSTSEC-2026-0118")
        .expect("hickory-proto 0.25.2 is affected");
    assert_eq!(
        f["fix"],
        serde_json::json!({
            "version": "0.26.0-beta.1",
            "semver_compatible": false,
            "basis": "unaffected",
            "requirement": ">=0.26.0-beta.1"
        })
    );
    let (_, human, _) = audit(&lock, "human", &["--lockfile-only"]).unwrap();
    let words = human.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("fix: upgrade to 0.26.0-beta.1 (breaking: update the dependency requirement, not affected: >=0.26.0-beta.1)"),
        "{human}"
    );
    assert!(
        words.contains("RUSTSEC-2026-0118 hickory-proto 0.25.2 unscored 0.26.0-beta.1 (breaking)"),
        "{human}"
    );
}

/// gen-old-vulns' saved metadata, edited by `edit`, written to a temporary file.
fn edited_metadata(dir: &Path, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let mut m: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("metadata/gen-old-vulns.json")).unwrap(),
    )
    .unwrap();
    edit(&mut m);
    let p = dir.join("metadata.json");
    std::fs::write(&p, serde_json::to_string(&m).unwrap()).unwrap();
    p
}

/// Removes `chrono` from the metadata's packages and resolve; with `undeclared`, also from
/// the dependencies its dependents declare (metadata saved before it was added).
fn without_chrono(m: &mut Value, undeclared: bool) {
    let is_chrono = |v: &Value| v.as_str().is_some_and(|id| id.contains("#chrono@"));
    m["packages"]
        .as_array_mut()
        .unwrap()
        .retain(|p| !is_chrono(&p["id"]));
    if undeclared {
        for p in m["packages"].as_array_mut().unwrap() {
            p["dependencies"]
                .as_array_mut()
                .unwrap()
                .retain(|d| d["name"] != "chrono");
        }
    }
    let nodes = m["resolve"]["nodes"].as_array_mut().unwrap();
    nodes.retain(|n| !is_chrono(&n["id"]));
    for n in nodes {
        n["deps"]
            .as_array_mut()
            .unwrap()
            .retain(|d| !is_chrono(&d["pkg"]));
        n["dependencies"]
            .as_array_mut()
            .unwrap()
            .retain(|d| !is_chrono(d));
    }
}

#[test]
fn saved_metadata_must_describe_the_lockfile() {
    let Some(dir) = data("lockfiles/gen-old-vulns") else {
        return;
    };
    let lock = dir.join("Cargo.lock");
    let tmp = tempfile::tempdir().unwrap();
    // The metadata as saved before `chrono 0.4.19` (RUSTSEC-2020-0159) was added.
    let stale = edited_metadata(tmp.path(), |m| without_chrono(m, true));
    let Some((code, out, err)) = audit(&lock, "json", &["--metadata", stale.to_str().unwrap()])
    else {
        return;
    };
    assert_eq!(code, 2, "stale metadata must stop the audit: {out}");
    assert!(out.is_empty());
    assert!(
        err.contains(&stale.display().to_string())
            && err.contains(&lock.display().to_string())
            && err.contains("old-vulns 0.1.0 depends on chrono"),
        "{err}"
    );
    assert!(!err.contains("not reachable"), "{err}");

    // Another project's metadata.
    let other = fixture("metadata/gen-platform-devdeps.json");
    let (code, out, err) = audit(&lock, "json", &["--metadata", other.to_str().unwrap()]).unwrap();
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains("gen-platform-devdeps.json")
            && err.contains("which the lockfile does not have"),
        "{err}"
    );

    // A version that differs (the lockfile was updated since).
    let bumped = edited_metadata(tmp.path(), |m| {
        for p in m["packages"].as_array_mut().unwrap() {
            if p["name"] == "smallvec" {
                p["version"] = "1.6.1".into();
            }
        }
    });
    let (code, _, err) = audit(&lock, "json", &["--metadata", bumped.to_str().unwrap()]).unwrap();
    assert_eq!(code, 2);
    assert!(err.contains("smallvec 1.6.1"), "{err}");

    // chrono as an optional dependency no enabled feature turns on: declared, but not in the
    // resolve. The metadata agrees with the lockfile; chrono's finding is left out as that,
    // never as "not reachable".
    let optional = edited_metadata(tmp.path(), |m| without_chrono(m, false));
    let (code, out, err) =
        audit(&lock, "json", &["--metadata", optional.to_str().unwrap()]).unwrap();
    assert_eq!(code, 1, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let notes = doc["notes"].to_string();
    assert!(
        notes.contains("1 finding left out: not in cargo metadata's resolve (optional dependencies that no enabled feature turns on) (RUSTSEC-2020-0159 in chrono 0.4.19)"),
        "{notes}"
    );
    assert!(!notes.contains("not reachable"), "{notes}");

    // A key given twice is refused, with its position.
    let good_text = std::fs::read_to_string(fixture("metadata/gen-old-vulns.json")).unwrap();
    let dup = tmp.path().join("dup.json");
    std::fs::write(&dup, good_text.replacen("{", "{\"version\": 1, ", 1)).unwrap();
    let (code, _, err) = audit(&lock, "json", &["--metadata", dup.to_str().unwrap()]).unwrap();
    assert_eq!(code, 2);
    assert!(
        err.contains("dup.json:1:") && err.contains("duplicate"),
        "{err}"
    );

    // The genuine metadata still audits (and finds chrono).
    let good = fixture("metadata/gen-old-vulns.json");
    let (code, out, err) = audit(&lock, "json", &["--metadata", good.to_str().unwrap()]).unwrap();
    assert_eq!(code, 1, "{err}");
    assert!(findings(&out)
        .iter()
        .any(|f| f["advisory_id"] == "RUSTSEC-2020-0159"));
}

/// A lockfile chaining `n` vulnerable smallvec versions (`app → 1.0.0 → 1.0.1 → …`), each also
/// depended on by `fan` extra roots near the end, so paths are both long and many.
fn hostile_chain(n: usize, fan: usize) -> String {
    let mut s = String::from("version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"smallvec 1.0.0\",\n]\n");
    for r in 0..fan {
        s.push_str(&format!(
            "\n[[package]]\nname = \"root{r:04}\"\nversion = \"0.1.0\"\ndependencies = [\n \"smallvec 1.0.{}\",\n]\n",
            n - 2
        ));
    }
    for i in 0..n {
        s.push_str(&format!(
            "\n[[package]]\nname = \"smallvec\"\nversion = \"1.0.{i}\"\nsource = \"{CRATES_IO}\"\nchecksum = \"{ZEROS}\"\n"
        ));
        if i + 1 < n {
            s.push_str(&format!(
                "dependencies = [\n \"smallvec 1.0.{}\",\n]\n",
                i + 1
            ));
        }
    }
    s
}

/// Runs the binary under GNU time: (exit code, stdout bytes, max RSS in KiB).
fn measured(args: &[&str], lock: &Path) -> Option<(i32, usize, u64)> {
    if !Path::new("/usr/bin/time").exists() {
        skip("/usr/bin/time (GNU time) is not installed");
        return None;
    }
    let db = data("advisory-db")?;
    let tmp = tempfile::tempdir().unwrap();
    let rss_file = tmp.path().join("rss");
    let out = Command::new("/usr/bin/time")
        .arg("-o")
        .arg(&rss_file)
        .args(["-f", "%M", env!("CARGO_BIN_EXE_chainwarden")])
        .args([
            "audit",
            "--offline",
            "--lockfile-only",
            "--now",
            NOW,
            "--db",
        ])
        .arg(&db)
        .args(args)
        .arg(lock)
        .env_clear()
        .env("NO_COLOR", "1")
        .env("CHAINWARDEN_NO_RECORD", "true")
        .env("CHAINWARDEN_CACHE_DIR", tmp.path().join("cache"))
        .output()
        .unwrap();
    let rss = std::fs::read_to_string(&rss_file).unwrap();
    let rss: u64 = rss.lines().last().unwrap().trim().parse().unwrap();
    Some((out.status.code().unwrap(), out.stdout.len(), rss))
}

#[test]
fn chained_vulnerable_versions_give_bounded_paths_memory_and_output() {
    let tmp = tempfile::tempdir().unwrap();
    let text = hostile_chain(2_600, 40);
    assert!(text.len() > 600 * 1024, "{} bytes", text.len());
    let lock = write_lock(tmp.path(), &text);
    for format in ["json", "human", "sarif", "markdown"] {
        let Some((code, bytes, rss_kib)) = measured(&["--format", format], &lock) else {
            return;
        };
        assert_eq!(code, 1, "{format}");
        assert!(rss_kib < 256 * 1024, "{format}: {rss_kib} KiB RSS");
        // Linear in the findings: a few KiB each at most (the old output was quadratic: 223 MiB
        // for such a file in JSON).
        assert!(bytes < 2_600 * 4 * 1024, "{format}: {bytes} bytes");
    }
    let (_, json, _) = audit(&lock, "json", &["--lockfile-only"]).unwrap();
    let all = findings(&json);
    assert_eq!(all.len(), 2_600);
    let near_end = all.iter().find(|f| f["version"] == "1.0.2598").unwrap();
    // 40 extra roots reach it in one step, and app in 2,599: only the shortest are listed.
    assert_eq!(near_end["paths_total"], 40);
    assert_eq!(near_end["paths"].as_array().unwrap().len(), 5);
    let deep = all.iter().find(|f| f["version"] == "1.0.2000").unwrap();
    let path = deep["paths"][0].as_array().unwrap();
    assert_eq!(path.len(), 10, "{path:?}");
    assert_eq!(path[0], "app 0.1.0");
    assert_eq!(path[1], "… 1993 more …");
    assert_eq!(path[9], "smallvec 1.0.2000");

    let (_, human, _) = audit(&lock, "human", &["--lockfile-only"]).unwrap();
    assert!(
        human.contains("… 35 more paths not shown"),
        "human says what it left out"
    );
    assert!(human
        .lines()
        .all(|l| l.chars().count() <= 100 || l.contains("http")));
    let (_, sarif, _) = audit(&lock, "sarif", &["--lockfile-only"]).unwrap();
    assert!(sarif.contains("(39 more paths not shown)"));
}
