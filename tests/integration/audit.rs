//! `chainwarden audit` end to end, on the shared RustSec snapshot and real lockfiles.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::common::{copy_dir, cw, data, data_dir, fixture, stable_paths, text};
use serde_json::Value;

const NOW: &str = "2026-11-25T12:00:00Z";

type Triple = (String, String, String);

fn audit_json(lockfile_dir: &Path, extra: &[&str]) -> (i32, Value) {
    let db = data("advisory-db").unwrap();
    let out = cw()
        .args([
            "audit",
            "--offline",
            "--format",
            "json",
            "--now",
            NOW,
            "--db",
        ])
        .arg(&db)
        .args(extra)
        .arg(lockfile_dir)
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    assert!(code != 2, "audit failed: {}", text(&out.stderr));
    (
        code,
        serde_json::from_slice(&out.stdout).expect("JSON output"),
    )
}

fn our_set(report: &Value, kinds: &[&str]) -> BTreeSet<Triple> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| kinds.contains(&f["kind"].as_str().unwrap()))
        .map(|f| {
            (
                f["advisory_id"].as_str().unwrap().to_string(),
                f["package"].as_str().unwrap().to_string(),
                f["version"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn triple(entry: &Value) -> Triple {
    (
        entry["advisory"]["id"].as_str().unwrap().to_string(),
        entry["package"]["name"].as_str().unwrap().to_string(),
        entry["package"]["version"].as_str().unwrap().to_string(),
    )
}

/// (vulnerabilities, unmaintained + unsound warnings) from a recorded cargo-audit or cargo-deny
/// JSON document (cargo-deny's `--audit-compatible-output` lists vulnerabilities directly).
fn recorded_sets(doc: &Value) -> (BTreeSet<Triple>, BTreeSet<Triple>) {
    let vulns = doc["vulnerabilities"]["list"]
        .as_array()
        .or_else(|| doc["vulnerabilities"].as_array())
        .unwrap();
    let vulns = vulns.iter().map(triple).collect();
    let mut warnings = BTreeSet::new();
    for kind in ["unmaintained", "unsound"] {
        for w in doc["warnings"][kind].as_array().into_iter().flatten() {
            warnings.insert(triple(w));
        }
    }
    (vulns, warnings)
}

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

#[test]
fn lockfile_mode_agrees_with_cargo_audit_on_every_shared_lockfile() {
    if data_dir().is_none() {
        return;
    }
    let dirs = lockfile_dirs();
    assert_eq!(dirs.len(), 13, "the shared data has 13 lockfiles");
    for dir in dirs {
        let recorded: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("cargo-audit.json")).unwrap())
                .unwrap();
        let (expected_vulns, expected_warnings) = recorded_sets(&recorded);
        let (code, ours) = audit_json(&dir, &["--lockfile-only"]);
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        assert_eq!(
            our_set(&ours, &["vulnerability"]),
            expected_vulns,
            "{name}: vulnerabilities"
        );
        assert_eq!(
            our_set(&ours, &["unmaintained", "unsound"]),
            expected_warnings,
            "{name}: warnings"
        );
        assert_eq!(
            ours["lockfile"]["package_count"].as_u64(),
            recorded["lockfile"]["dependency-count"].as_u64(),
            "{name}: package count"
        );
        assert_eq!(
            ours["database"]["advisory_count"].as_u64(),
            recorded["database"]["advisory-count"].as_u64(),
            "{name}: advisory count"
        );
        // Default policy: any vulnerability fails the run.
        assert_eq!(
            code,
            if expected_vulns.is_empty() { 0 } else { 1 },
            "{name}: exit code"
        );
    }
}

#[test]
fn metadata_mode_agrees_with_cargo_deny_on_the_generated_projects() {
    if data_dir().is_none() {
        return;
    }
    // cargo-deny audits the feature-resolved graph for all targets, dev-dependencies included;
    // so does chainwarden with cargo metadata and no --target / --exclude-dev.
    for name in ["gen-platform-devdeps", "gen-old-vulns"] {
        let dir = data(&format!("lockfiles/{name}")).unwrap();
        let recorded: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("cargo-deny.audit.json")).unwrap(),
        )
        .unwrap();
        let (vulns, warnings) = recorded_sets(&recorded);
        let metadata = fixture(&format!("metadata/{name}.json"));
        let (_, ours) = audit_json(&dir, &["--metadata", metadata.to_str().unwrap()]);
        assert_eq!(ours["settings"]["mode"], "metadata");
        assert_eq!(our_set(&ours, &["vulnerability"]), vulns, "{name}");
        assert_eq!(
            our_set(&ours, &["unmaintained", "unsound"]),
            warnings,
            "{name}"
        );
    }
}

#[test]
fn target_and_exclude_dev_drop_what_cannot_reach_the_artifact() {
    let Some(dir) = data("lockfiles/gen-platform-devdeps") else {
        return;
    };
    let metadata = fixture("metadata/gen-platform-devdeps.json");
    let metadata = metadata.to_str().unwrap();
    let kinds_of = |report: &Value, package: &str| {
        report["inventory"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == package)
            .map(|p| p["dependency_kinds"].clone())
            .unwrap()
    };
    let (_, all) = audit_json(&dir, &["--metadata", metadata]);
    assert_eq!(kinds_of(&all, "smallvec"), serde_json::json!(["dev"]));
    assert_eq!(kinds_of(&all, "regex"), serde_json::json!(["build"]));
    assert_eq!(kinds_of(&all, "tokio"), serde_json::json!(["normal"]));

    // Linux, no dev-dependencies: the Windows-only tokio and the FreeBSD-only whoami cannot
    // reach the artifact, nor can the dev-only time and smallvec; the build-dependency regex can.
    let (code, linux) = audit_json(
        &dir,
        &[
            "--metadata",
            metadata,
            "--target",
            "x86_64-unknown-linux-gnu",
            "--exclude-dev",
        ],
    );
    let ids: Vec<String> = our_set(&linux, &["vulnerability", "unsound"])
        .into_iter()
        .map(|t| t.1)
        .collect();
    assert_eq!(ids, vec!["regex"]);
    assert_eq!(code, 1);
    let notes = linux["notes"].to_string();
    assert!(
        notes.contains("left out") && notes.contains("smallvec 1.6.0"),
        "{notes}"
    );

    // Windows: tokio's Windows-only advisory applies; time's Unix-only one does not.
    let (_, windows) = audit_json(
        &dir,
        &["--metadata", metadata, "--target", "x86_64-pc-windows-msvc"],
    );
    let set = our_set(&windows, &["vulnerability"]);
    assert!(set.iter().any(|t| t.0 == "RUSTSEC-2023-0001"), "{set:?}");
    assert!(!set.iter().any(|t| t.0 == "RUSTSEC-2020-0071"), "{set:?}");
    // ... and the report says so, as it does for graph exclusions.
    let notes = windows["notes"].to_string();
    assert!(
        notes.contains("left out: the advisory's affected os/arch exclude the --target")
            && notes.contains("RUSTSEC-2020-0071 in time 0.1.44: affects os linux"),
        "{notes}"
    );
    let (_, linux) = audit_json(
        &dir,
        &[
            "--metadata",
            metadata,
            "--target",
            "x86_64-unknown-linux-gnu",
        ],
    );
    assert!(
        linux["notes"]
            .to_string()
            .contains("RUSTSEC-2023-0001 in tokio"),
        "tokio's Windows-only advisory is left out on Linux, visibly: {}",
        linux["notes"]
    );
}

#[test]
fn findings_carry_paths_fixes_and_details() {
    let Some(dir) = data("lockfiles/gen-old-vulns") else {
        return;
    };
    let (_, report) = audit_json(&dir, &["--lockfile-only"]);
    let find = |id: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["advisory_id"] == id)
            .unwrap()
            .clone()
    };
    let smallvec = find("RUSTSEC-2021-0003");
    assert_eq!(smallvec["severity"], "critical");
    assert_eq!(
        smallvec["fix"],
        serde_json::json!({
            "version": "1.6.1",
            "semver_compatible": true,
            "basis": "patched",
            "requirement": ">=0.6.14, <1.0.0 OR >=1.6.1"
        })
    );
    assert_eq!(
        smallvec["paths"][0],
        serde_json::json!(["old-vulns 0.1.0", "smallvec 1.6.0"])
    );
    let time = find("RUSTSEC-2020-0071");
    assert_eq!(time["fix"]["semver_compatible"], false);
    assert!(time["aliases"]
        .as_array()
        .unwrap()
        .contains(&"CVE-2020-26235".into()));
    assert!(!time["functions"].as_array().unwrap().is_empty());
    // A transitive dependency gets the full path from the workspace member.
    let mio = find("RUSTSEC-2024-0019");
    let path = mio["paths"][0].as_array().unwrap();
    assert!(path.len() >= 3, "{path:?}");
    assert_eq!(path[0], "old-vulns 0.1.0");
    assert_eq!(path.last().unwrap(), "mio 0.7.14");
    // Every finding points at its [[package]] line.
    let lock = std::fs::read_to_string(dir.join("Cargo.lock")).unwrap();
    let lines: Vec<&str> = lock.lines().collect();
    for f in report["findings"].as_array().unwrap() {
        let line = f["lockfile_line"].as_u64().unwrap() as usize;
        assert_eq!(lines[line - 1], "[[package]]");
        assert_eq!(
            lines[line],
            format!("name = \"{}\"", f["package"].as_str().unwrap())
        );
    }
}

fn snapshot_output(format: &str, lockfile: &str) -> String {
    let data_root = data_dir().unwrap();
    let db = data("advisory-db").unwrap();
    let out = cw()
        .args([
            "audit",
            "--offline",
            "--lockfile-only",
            "--format",
            format,
            "--now",
            NOW,
            "--db",
        ])
        .arg(&db)
        .arg(data(lockfile).unwrap())
        .current_dir(&data_root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    stable_paths(&text(&out.stdout), &data_root)
}

#[test]
fn human_output_snapshot() {
    if data_dir().is_none() {
        return;
    }
    insta::assert_snapshot!(
        "human_gen_old_vulns",
        snapshot_output("human", "lockfiles/gen-old-vulns")
    );
}

#[test]
fn markdown_output_snapshot() {
    if data_dir().is_none() {
        return;
    }
    insta::assert_snapshot!(
        "markdown_real_ripgrep_2019",
        snapshot_output("markdown", "lockfiles/real-ripgrep-2019")
    );
}

#[test]
fn json_output_snapshot_is_versioned_and_stable() {
    if data_dir().is_none() {
        return;
    }
    let first = snapshot_output("json", "lockfiles/real-ripgrep-2019");
    assert_eq!(
        first,
        snapshot_output("json", "lockfiles/real-ripgrep-2019"),
        "byte-identical reruns"
    );
    let doc: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(doc["schema_version"], 1);
    for f in doc["findings"].as_array().unwrap() {
        for key in [
            "kind",
            "advisory_id",
            "package",
            "version",
            "severity",
            "paths",
            "status",
        ] {
            assert!(f.get(key).is_some(), "finding lacks {key}");
        }
    }
    insta::assert_snapshot!("json_real_ripgrep_2019", first);
}

#[test]
fn sarif_output_points_at_lockfile_lines() {
    if data_dir().is_none() {
        return;
    }
    let doc = snapshot_output("sarif", "lockfiles/real-ripgrep-2019");
    let sarif: Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(
            loc["artifactLocation"]["uri"],
            "lockfiles/real-ripgrep-2019/Cargo.lock"
        );
        assert!(loc["region"]["startLine"].as_u64().unwrap() > 1);
        assert!(
            r["partialFingerprints"]["chainwarden/v1"]
                .as_str()
                .unwrap()
                .len()
                == 32
        );
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
    }
    insta::assert_snapshot!("sarif_real_ripgrep_2019", doc);
}

/// Issue 17: the audit's SARIF is built from the typed model (`chainwarden::sarif`) and
/// validates against the official SARIF 2.1.0 schema for every shared lockfile, and with the
/// optional parts on: a suppression (a policy ignore) and baseline states.
#[test]
fn sarif_validates_against_the_official_schema() {
    let Some(lockfiles) = data("lockfiles") else {
        return;
    };
    let db = data("advisory-db").unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let sarif = |lockfile: &Path, extra: &[&str], out: &Path| {
        let o = cw()
            .args(["audit", "--offline", "--lockfile-only", "--now", NOW])
            .args(["--format", "sarif", "--output"])
            .arg(out)
            .arg("--db")
            .arg(&db)
            .args(extra)
            .arg(lockfile)
            .output()
            .unwrap();
        assert!(o.status.code() != Some(2), "{}", text(&o.stderr));
    };
    let mut docs = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&lockfiles)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Cargo.lock").is_file())
        .collect();
    dirs.sort();
    assert_eq!(dirs.len(), 13);
    for dir in &dirs {
        let out = tmp.path().join(format!(
            "{}.sarif",
            dir.file_name().unwrap().to_string_lossy()
        ));
        sarif(&dir.join("Cargo.lock"), &[], &out);
        docs.push(out);
    }

    // Suppressed and baselined: ignore the first vulnerability, and compare with a baseline
    // that lacks the second finding (so it is `new`, the rest `unchanged`).
    let ripgrep = data("lockfiles/real-ripgrep-2019").unwrap();
    let (_, plain) = audit_json(&ripgrep, &["--lockfile-only"]);
    let findings = plain["findings"].as_array().unwrap();
    assert!(findings.len() > 2);
    let policy = write_policy(
        tmp.path(),
        &format!(
            "schema_version = 1\n[[audit.ignore]]\nid = \"{}\"\nreason = \"not reachable\"\napproved_by = \"sec@example.org\"\nexpires = 2027-01-31\n",
            findings[0]["advisory_id"].as_str().unwrap()
        ),
    );
    let mut baseline = plain.clone();
    baseline["findings"].as_array_mut().unwrap().remove(1);
    let baseline_path = tmp.path().join("baseline.json");
    std::fs::write(&baseline_path, serde_json::to_vec(&baseline).unwrap()).unwrap();
    let full = tmp.path().join("suppressed-baselined.sarif");
    sarif(
        &ripgrep.join("Cargo.lock"),
        &[
            "--policy",
            policy.to_str().unwrap(),
            "--baseline",
            baseline_path.to_str().unwrap(),
        ],
        &full,
    );
    let doc: Value = serde_json::from_slice(&std::fs::read(&full).unwrap()).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let suppressed: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert!(!suppressed.is_empty());
    for r in &suppressed {
        assert_eq!(r["level"], "note");
        assert_eq!(r["suppressions"][0]["kind"], "external");
        assert!(r["suppressions"][0]["justification"]
            .as_str()
            .unwrap()
            .starts_with("not reachable (approved by sec@example.org, until 2027-01-31)"));
    }
    let states: BTreeSet<&str> = results
        .iter()
        .map(|r| r["baselineState"].as_str().unwrap())
        .collect();
    assert_eq!(states, BTreeSet::from(["new", "unchanged"]));
    docs.push(full);
    crate::sbom::validate("sarif-schema-2.1.0.json", &docs);
}

fn write_policy(dir: &Path, body: &str) -> PathBuf {
    let p = dir.join("policy.toml");
    std::fs::write(&p, body).unwrap();
    p
}

#[test]
fn ignores_hold_until_they_expire() {
    let Some(dir) = data("lockfiles/real-ripgrep-2019") else {
        return;
    };
    let (_, plain) = audit_json(&dir, &["--lockfile-only"]);
    let vulns = our_set(&plain, &["vulnerability"]);
    assert!(!vulns.is_empty());
    let tmp = tempfile::tempdir().unwrap();
    // Ignore every vulnerability; the first by one of its aliases when it has one.
    let mut body = String::from("schema_version = 1\n");
    for (i, (id, _, _)) in vulns.iter().enumerate() {
        let finding = plain["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["advisory_id"] == id.as_str())
            .unwrap();
        let id = match finding["aliases"].as_array().unwrap().first() {
            Some(alias) if i == 0 => alias.as_str().unwrap().to_string(),
            _ => id.clone(),
        };
        body.push_str(&format!(
            "[[audit.ignore]]\nid = \"{id}\"\nreason = \"not reachable in our build\"\napproved_by = \"sec@example.org\"\nexpires = 2026-11-30\n"
        ));
    }
    let policy = write_policy(tmp.path(), &body);
    let (code, report) = audit_json(
        &dir,
        &["--lockfile-only", "--policy", policy.to_str().unwrap()],
    );
    assert_eq!(code, 0, "every vulnerability is an accepted risk");
    for f in report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "vulnerability")
    {
        assert_eq!(f["status"], "ignored");
        assert_eq!(f["ignore"]["approved_by"], "sec@example.org");
    }
    // Past the expiry the same findings fail again, and say why.
    let db = data("advisory-db").unwrap();
    let out = cw()
        .args([
            "audit",
            "--offline",
            "--lockfile-only",
            "--now",
            "2026-12-01",
            "--db",
        ])
        .arg(&db)
        .args(["--policy", policy.to_str().unwrap()])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let human = text(&out.stdout);
    assert!(human.contains("ignore EXPIRED on 2026-11-30"), "{human}");
}

#[test]
fn policy_kinds_severity_and_database_age() {
    let Some(dir) = data("lockfiles/real-bat") else {
        return;
    };
    // real-bat has unmaintained crates only: passes by default, fails when they are failing.
    let (code, _) = audit_json(&dir, &["--lockfile-only"]);
    assert_eq!(code, 0);
    let tmp = tempfile::tempdir().unwrap();
    let strict = crate::common::repo_root().join("policies/strict.toml");
    let (code, report) = audit_json(
        &dir,
        &[
            "--lockfile-only",
            "--policy",
            strict.to_str().unwrap(),
            "--tenant",
            "acme",
            "--project",
            "bat",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(
        report["scope"],
        serde_json::json!({"tenant_id": "acme", "project_id": "bat"})
    );
    assert!(
        report["failures"]
            .to_string()
            .contains("over the policy's maximum of 7 (audit.max_database_age_days)"),
        "{}",
        report["failures"]
    );
    // Only the database's age fails: the verdict says that is what failed.
    let aged = write_policy(tmp.path(), "[audit]\nmax_database_age_days = 7\n");
    let (code, report) = audit_json(
        &dir,
        &["--lockfile-only", "--policy", aged.to_str().unwrap()],
    );
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["failing"], 0);
    assert_eq!(report["failures"].as_array().unwrap().len(), 1);
    let db = data("advisory-db").unwrap();
    let out = cw()
        .args([
            "audit",
            "--offline",
            "--lockfile-only",
            "--now",
            NOW,
            "--db",
        ])
        .arg(&db)
        .args(["--policy", aged.to_str().unwrap()])
        .arg(&dir)
        .output()
        .unwrap();
    let human = text(&out.stdout);
    assert!(
        human.contains(
            "\n  failed: the advisory database is 96 days old, over the policy's maximum of 7"
        ),
        "{human}"
    );
    // The strict policy requires a scope.
    let db = data("advisory-db").unwrap();
    let out = cw()
        .args(["audit", "--offline", "--lockfile-only", "--db"])
        .arg(&db)
        .args(["--policy", strict.to_str().unwrap()])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("requires a scope"),
        "{}",
        text(&out.stderr)
    );
    // A severity threshold lets low findings through but never unscored ones.
    let policy = write_policy(tmp.path(), "[audit]\nseverity_threshold = \"critical\"\n");
    let Some(old) = data("lockfiles/gen-old-vulns") else {
        return;
    };
    let (_, report) = audit_json(
        &old,
        &["--lockfile-only", "--policy", policy.to_str().unwrap()],
    );
    for f in report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "vulnerability")
    {
        let expected = f["severity"].is_null() || f["severity"] == "critical";
        assert_eq!(f["fails_policy"], expected, "{}", f["advisory_id"]);
    }
}

#[test]
fn bad_input_exits_2_with_a_located_message() {
    let Some(db) = data("advisory-db") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let run = |target: &Path, db: &Path| {
        let out = cw()
            .args(["audit", "--offline", "--lockfile-only", "--db"])
            .arg(db)
            .arg(target)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "stdout: {}", text(&out.stdout));
        assert!(out.stdout.is_empty());
        text(&out.stderr)
    };
    let garbage = tmp.path().join("garbage.lock");
    std::fs::write(&garbage, "[[package]\nname = ").unwrap();
    assert!(run(&garbage, &db).contains("garbage.lock:1:"), "garbage");

    let source =
        std::fs::read_to_string(data("lockfiles/real-ripgrep/Cargo.lock").unwrap()).unwrap();
    let truncated = tmp.path().join("truncated.lock");
    // Cut inside the third package entry, just before its version.
    let third = source.match_indices("[[package]]").nth(2).unwrap().0;
    let cut = third + source.get(third..).unwrap().find("\nversion = ").unwrap();
    std::fs::write(&truncated, source.get(..cut).unwrap()).unwrap();
    let msg = run(&truncated, &db);
    assert!(
        msg.contains("truncated.lock:") && msg.contains("version"),
        "{msg}"
    );

    let bad_version = tmp.path().join("bad-version.lock");
    let first = source.find("[[package]]").unwrap();
    let at = first
        + source.get(first..).unwrap().find("\nversion = \"").unwrap()
        + "\nversion = \"".len();
    let end = at + source.get(at..).unwrap().find('"').unwrap();
    std::fs::write(
        &bad_version,
        format!(
            "{}one{}",
            source.get(..at).unwrap(),
            source.get(end..).unwrap()
        ),
    )
    .unwrap();
    let msg = run(&bad_version, &db);
    assert!(
        msg.contains("field `version`") && msg.contains("`one`"),
        "{msg}"
    );

    let dir_as_lock = tmp.path().join("project");
    std::fs::create_dir_all(dir_as_lock.join("Cargo.lock")).unwrap();
    assert!(run(&dir_as_lock, &db).contains("is a directory"));

    let lock = data("lockfiles/real-ripgrep/Cargo.lock").unwrap();
    assert!(run(&lock, &tmp.path().join("no-db")).contains("advisory database"));

    // A broken advisory file is named.
    let broken_db = tmp.path().join("db");
    copy_dir(&db, &broken_db);
    let victim = broken_db.join("crates/smallvec/RUSTSEC-2021-0003.md");
    std::fs::write(&victim, "```toml\n[advisory]\nid = \"RUSTSEC-2021-0003\"\n").unwrap();
    let msg = run(&lock, &broken_db);
    assert!(msg.contains("RUSTSEC-2021-0003.md"), "{msg}");
}

#[test]
fn output_file_is_written_whole_and_colour_follows_no_color() {
    let Some(db) = data("advisory-db") else {
        return;
    };
    let dir = data("lockfiles/real-ripgrep-2019").unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out_file = tmp.path().join("report.sarif");
    let out = cw()
        .args([
            "audit",
            "--offline",
            "--lockfile-only",
            "--format",
            "sarif",
            "--db",
        ])
        .arg(&db)
        .arg("--output")
        .arg(&out_file)
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let doc: Value = serde_json::from_slice(&std::fs::read(&out_file).unwrap()).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        1,
        "no temp file left"
    );

    let human = |no_color: bool| {
        let mut cmd = cw();
        cmd.env_remove("NO_COLOR").env("CLICOLOR_FORCE", "1");
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let out = cmd
            .args(["audit", "--offline", "--lockfile-only", "--db"])
            .arg(&db)
            .arg(&dir)
            .output()
            .unwrap();
        text(&out.stdout)
    };
    assert!(human(false).contains("\u{1b}["), "colour when forced");
    assert!(!human(true).contains("\u{1b}["), "NO_COLOR wins");
}

#[test]
fn yanked_crates_come_from_the_sparse_index_when_online() {
    let Some(db) = data("advisory-db") else {
        return;
    };
    let dir = data("lockfiles/real-ripgrep-2019").unwrap();
    let lock = std::fs::read_to_string(dir.join("Cargo.lock")).unwrap();
    // The index says memchr's locked version was yanked; every other crate is unknown (404).
    let memchr_version = lock
        .split("[[package]]")
        .find(|e| e.contains("name = \"memchr\""))
        .and_then(|e| e.lines().find_map(|l| l.strip_prefix("version = \"")))
        .map(|v| v.trim_end_matches('"').to_string())
        .unwrap();
    let yanked = memchr_version.clone();
    let base = crate::common::serve(move |path| {
        if path == "/me/mc/memchr" {
            let body = format!(
                "{{\"name\":\"memchr\",\"vers\":\"0.0.1\",\"yanked\":false}}\n{{\"name\":\"memchr\",\"vers\":\"{yanked}\",\"yanked\":true}}\n"
            );
            (200, body.into_bytes())
        } else {
            (404, b"not found".to_vec())
        }
    });
    let cache = tempfile::tempdir().unwrap();
    let out = cw()
        .env("CHAINWARDEN_CRATES_INDEX_URL", &base)
        .env("CHAINWARDEN_CACHE_DIR", cache.path())
        .args([
            "audit",
            "--lockfile-only",
            "--format",
            "json",
            "--now",
            NOW,
            "--db",
        ])
        .arg(&db)
        .arg(&dir)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["settings"]["yanked_checked"], true);
    let yanked: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "yanked")
        .collect();
    assert_eq!(yanked.len(), 1, "{yanked:?}");
    assert_eq!(yanked[0]["package"], "memchr");
    assert_eq!(yanked[0]["version"], memchr_version.as_str());
    // In human output the yanked finding's header names the crate (no empty advisory id).
    let out = cw()
        .env("CHAINWARDEN_CRATES_INDEX_URL", &base)
        .env("CHAINWARDEN_CACHE_DIR", cache.path())
        .args(["audit", "--lockfile-only", "--now", NOW, "--db"])
        .arg(&db)
        .arg(&dir)
        .output()
        .unwrap();
    let human = text(&out.stdout);
    assert!(
        human.contains(&format!("warning[yanked] memchr {memchr_version}\n")),
        "{human}"
    );
    assert!(!human.contains("warning[yanked] :"), "{human}");
    // Offline: skipped with a visible note.
    let (_, offline) = audit_json(&dir, &["--lockfile-only"]);
    assert_eq!(offline["settings"]["yanked_checked"], false);
    assert!(offline["notes"]
        .to_string()
        .contains("yanked crates not checked: offline"));
}

#[test]
fn advisory_index_is_reused_and_follows_database_changes() {
    let Some(copy) = crate::common::DbCopy::new() else {
        return;
    };
    let (db_copy, cache) = (&copy.db, &copy.cache);
    let run = || our_set(&copy.audit(), &["vulnerability"]);
    let first = run();
    let index: Vec<_> = std::fs::read_dir(cache.join("index")).unwrap().collect();
    assert_eq!(index.len(), 1, "one index written");
    assert_eq!(run(), first, "same result from the index");
    // Withdraw the smallvec advisory: the index key changes and the finding disappears.
    let adv = db_copy.join("crates/smallvec/RUSTSEC-2021-0003.md");
    let text = std::fs::read_to_string(&adv).unwrap();
    std::fs::write(
        &adv,
        text.replacen("[versions]", "withdrawn = \"2026-01-01\"\n\n[versions]", 1),
    )
    .unwrap();
    let after = run();
    assert!(first.iter().any(|t| t.0 == "RUSTSEC-2021-0003"));
    assert!(
        !after.iter().any(|t| t.0 == "RUSTSEC-2021-0003"),
        "withdrawn advisories never match"
    );
    assert_eq!(after.len(), first.len() - 1);
    // A corrupt index is ignored, not trusted.
    for e in std::fs::read_dir(cache.join("index")).unwrap() {
        std::fs::write(e.unwrap().path(), b"{not json").unwrap();
    }
    assert_eq!(run(), after);
}
