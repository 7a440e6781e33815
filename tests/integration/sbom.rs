//! `chainwarden sbom`: CycloneDX 1.6 and SPDX 2.3 documents for the 13 shared lockfiles and a
//! real auditable binary, validated against the official schemas (vendored in
//! tests/fixtures/schemas), byte-identical across runs, equal to the audit's inventory; and
//! `audit --sbom` giving the lockfile's findings.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::{cw, data, fixture, skip, text};
use crate::shipped::{audit, finding_set, vulnapp};

const NOW: &str = "2026-11-25T12:00:00Z";

fn lockfile_dirs() -> Vec<PathBuf> {
    let root = data("lockfiles").unwrap();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Cargo.lock").is_file())
        .collect();
    dirs.sort();
    dirs
}

/// Runs the vendored schema validator over documents; false (and a skip) without Python's
/// jsonschema.
pub fn validate(schema: &str, docs: &[PathBuf]) -> bool {
    let available = Command::new("python3")
        .args(["-c", "import jsonschema, referencing"])
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        skip("python3 with jsonschema is not installed (pip install jsonschema)");
        return false;
    }
    let out = Command::new("python3")
        .arg(fixture("schemas/validate.py"))
        .arg(schema)
        .args(docs)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{schema}: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    true
}

fn sbom(args: &[&str], target: &Path, out: &Path) {
    let o = cw()
        .args(["sbom", "--now", NOW, "--output"])
        .arg(out)
        .args(args)
        .arg(target)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

fn read(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn sboms_of_the_shared_lockfiles_validate_are_stable_and_match_the_inventory() {
    if data("lockfiles").is_none() {
        return;
    }
    let dirs = lockfile_dirs();
    assert_eq!(dirs.len(), 13);
    let tmp = tempfile::tempdir().unwrap();
    let (mut cdx, mut spdx) = (Vec::new(), Vec::new());
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let c = tmp.path().join(format!("{name}.cdx.json"));
        let s = tmp.path().join(format!("{name}.spdx.json"));
        sbom(&["--lockfile-only", "--format", "cyclonedx"], dir, &c);
        sbom(&["--lockfile-only", "--format", "spdx"], dir, &s);
        // Byte-identical on a second run.
        let again = tmp.path().join("again.json");
        sbom(&["--lockfile-only", "--format", "cyclonedx"], dir, &again);
        assert_eq!(
            std::fs::read(&c).unwrap(),
            std::fs::read(&again).unwrap(),
            "{name}"
        );
        sbom(&["--lockfile-only", "--format", "spdx"], dir, &again);
        assert_eq!(
            std::fs::read(&s).unwrap(),
            std::fs::read(&again).unwrap(),
            "{name}"
        );

        // Components are the audit's inventory, with the lockfile's checksums.
        let (_, out, _) = audit(&["--format", "json", "--lockfile-only"], &[dir]);
        let report: Value = serde_json::from_str(&out).unwrap();
        let inventory: Vec<(String, String, Option<String>)> = report["inventory"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap().into(),
                    p["version"].as_str().unwrap().into(),
                    p["checksum"].as_str().map(str::to_string),
                )
            })
            .collect();
        let doc = read(&c);
        let components: Vec<(String, String, Option<String>)> = doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap().into(),
                    p["version"].as_str().unwrap().into(),
                    p["hashes"][0]["content"].as_str().map(str::to_string),
                )
            })
            .collect();
        assert_eq!(components, inventory, "{name}: CycloneDX components");
        assert!(doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["purl"].as_str().unwrap().starts_with("pkg:cargo/")));
        let spdx_doc = read(&s);
        let packages: Vec<(String, String)> = spdx_doc["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap().into(),
                    p["versionInfo"].as_str().unwrap().into(),
                )
            })
            .collect();
        let expected: Vec<(String, String)> = inventory
            .iter()
            .map(|(n, v, _)| (n.clone(), v.clone()))
            .collect();
        assert_eq!(packages, expected, "{name}: SPDX packages");
        cdx.push(c);
        spdx.push(s);
    }
    validate("bom-1.6.SNAPSHOT.schema.json", &cdx);
    validate("spdx-schema-2.3.json", &spdx);
}

#[test]
fn metadata_adds_licences_and_scopes() {
    let Some(dir) = data("lockfiles/gen-platform-devdeps") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path().join("c.json");
    let metadata = fixture("metadata/gen-platform-devdeps.json");
    sbom(
        &[
            "--format",
            "cyclonedx",
            "--metadata",
            metadata.to_str().unwrap(),
        ],
        &dir,
        &c,
    );
    let doc = read(&c);
    let find = |name: &str| {
        doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()
            .clone()
    };
    // smallvec is only a dev-dependency there, regex only a build-dependency: not shipped.
    assert_eq!(find("smallvec")["scope"], "excluded");
    assert_eq!(find("regex")["scope"], "excluded");
    assert!(find("tokio")["scope"].is_null());
    assert!(
        find("smallvec")["licenses"][0]["expression"]
            .as_str()
            .is_some_and(|l| l.contains("MIT")),
        "{}",
        find("smallvec")
    );
    let s = tmp.path().join("s.json");
    sbom(
        &["--format", "spdx", "--metadata", metadata.to_str().unwrap()],
        &dir,
        &s,
    );
    validate("bom-1.6.SNAPSHOT.schema.json", &[c]);
    validate("spdx-schema-2.3.json", &[s]);
}

#[test]
fn sbom_of_a_release_binary() {
    let Some(bin) = vulnapp() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path().join("bin.cdx.json");
    sbom(&["--format", "cyclonedx", "--binary"], &bin, &c);
    let doc = read(&c);
    assert_eq!(doc["metadata"]["component"]["name"], "vulnapp");
    let purls: Vec<&str> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["purl"].as_str().unwrap())
        .collect();
    assert_eq!(
        purls,
        [
            "pkg:cargo/atty@0.2.14",
            "pkg:cargo/helper@0.2.0?download_url=file:",
            "pkg:cargo/libc@0.2.191",
            "pkg:cargo/smallvec@1.6.0",
            "pkg:cargo/vulnapp@0.1.0?download_url=file:",
        ]
    );
    let s = tmp.path().join("bin.spdx.json");
    sbom(&["--format", "spdx", "--binary"], &bin, &s);
    validate("bom-1.6.SNAPSHOT.schema.json", &[c]);
    validate("spdx-schema-2.3.json", &[s]);
}

#[test]
fn auditing_an_sbom_gives_the_lockfile_findings() {
    if data("lockfiles").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    for (i, dir) in lockfile_dirs().iter().enumerate() {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        // Both formats, alternating, to keep the run short.
        let format = if i % 2 == 0 { "cyclonedx" } else { "spdx" };
        let doc = tmp.path().join(format!("{name}.json"));
        sbom(&["--lockfile-only", "--format", format], dir, &doc);
        let (code_lock, lock_out, _) = audit(&["--format", "json", "--lockfile-only"], &[dir]);
        let (code_sbom, sbom_out, err) = audit(&["--format", "json", "--sbom"], &[&doc]);
        assert_eq!(code_sbom, code_lock, "{name}: {err}");
        let lock: Value = serde_json::from_str(&lock_out).unwrap();
        let from_sbom: Value = serde_json::from_str(&sbom_out).unwrap();
        assert_eq!(
            finding_set(&from_sbom),
            finding_set(&lock),
            "{name} ({format})"
        );
    }
}

#[test]
fn hostile_sboms_are_refused_by_name() {
    if data("advisory-db").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "dup.json",
            r#"{"bomFormat":"CycloneDX","bomFormat":"CycloneDX"}"#,
            "duplicate",
        ),
        (
            "none.json",
            r#"{"bomFormat":"CycloneDX","components":[{"name":"x","purl":"pkg:npm/x@1"}]}"#,
            "no pkg:cargo component",
        ),
        (
            "badpurl.json",
            r#"{"bomFormat":"CycloneDX","components":[{"name":"x","purl":"pkg:cargo/x@not-semver"}]}"#,
            "components[0].purl",
        ),
        ("other.json", r#"{"hello":1}"#, "not a CycloneDX"),
    ];
    for (name, body, expected) in cases {
        let p = tmp.path().join(name);
        std::fs::write(&p, body).unwrap();
        let (code, _, err) = audit(&["--sbom"], &[&p]);
        assert_eq!(code, 2, "{name}");
        assert!(
            err.contains(expected) && err.contains(name),
            "{name}: {err}"
        );
    }
}
