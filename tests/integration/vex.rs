//! VEX: `chainwarden vex` writes the policy's triage (valid OpenVEX / CycloneDX), and
//! `audit --vex` reads it back and reproduces that triage; other products' statements are
//! ignored and the latest statement wins.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::common::{cw, data, fixture, text};
use crate::sbom::validate;

const NOW: &str = "2026-11-25T12:00:00Z";

const POLICY: &str = r#"
[audit]
fail_on = ["vulnerability", "unsound"]

[[audit.ignore]]
id = "RUSTSEC-2021-0003"
reason = "insert_many is never called with an iterator that panics"
approved_by = "alice@example.com"
expires = 2027-06-30
justification = "vulnerable_code_not_in_execute_path"

[[audit.ignore]]
id = "RUSTSEC-2021-0145"
reason = "only Linux targets, where the unaligned read cannot happen"
approved_by = "bob@example.com"
expires = 2027-01-31

[[audit.ignore]]
id = "RUSTSEC-2024-0375"
reason = "replacing atty next sprint"
approved_by = "bob@example.com"
expires = 2026-01-01
"#;

fn lock() -> PathBuf {
    fixture("auditable/vulnapp/Cargo.lock")
}

fn vex(dir: &Path, policy: &str, format: &str) -> (PathBuf, Value) {
    let db = data("advisory-db").unwrap();
    let policy_path = dir.join("policy.toml");
    std::fs::write(&policy_path, policy).unwrap();
    let out_path = dir.join(format!("triage.{format}.json"));
    let out = cw()
        .args([
            "vex",
            "--offline",
            "--lockfile-only",
            "--now",
            NOW,
            "--author",
        ])
        .arg("Release team <release@example.com>")
        .arg("--format")
        .arg(format)
        .arg("--policy")
        .arg(&policy_path)
        .arg("--db")
        .arg(&db)
        .arg("--output")
        .arg(&out_path)
        .arg(lock())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc = serde_json::from_slice(&std::fs::read(&out_path).unwrap()).unwrap();
    (out_path, doc)
}

fn statuses(doc: &Value) -> Vec<(String, String)> {
    doc["statements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["vulnerability"]["name"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn audit_with_vex(vex: &[&Path], extra: &[&str]) -> (i32, Value) {
    let db = data("advisory-db").unwrap();
    let mut cmd = cw();
    cmd.args([
        "audit",
        "--offline",
        "--now",
        NOW,
        "--format",
        "json",
        "--lockfile-only",
        "--db",
    ])
    .arg(&db)
    .args(extra)
    .arg(lock());
    if !vex.is_empty() {
        cmd.arg("--vex").args(vex);
    }
    let o = cmd.output().unwrap();
    let code = o.status.code().unwrap();
    assert_ne!(code, 2, "{}", text(&o.stderr));
    (code, serde_json::from_slice(&o.stdout).unwrap())
}

fn ignored(report: &Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "ignored")
        .map(|f| {
            (
                f["advisory_id"].as_str().unwrap().to_string(),
                f["ignore"]["approved_by"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn openvex_states_the_policy_triage_and_round_trips() {
    if data("advisory-db").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (path, doc) = vex(tmp.path(), POLICY, "openvex");
    // Expired ignore (RUSTSEC-2024-0375): no statement.
    assert_eq!(
        statuses(&doc),
        [
            ("RUSTSEC-2021-0003".to_string(), "not_affected".to_string()),
            ("RUSTSEC-2021-0145".to_string(), "affected".to_string()),
        ]
    );
    let s = &doc["statements"][0];
    assert_eq!(s["justification"], "vulnerable_code_not_in_execute_path");
    assert_eq!(
        s["products"][0]["@id"],
        "pkg:cargo/helper@0.2.0?download_url=file:"
    );
    assert_eq!(
        s["products"][0]["subcomponents"][0]["@id"],
        "pkg:cargo/smallvec@1.6.0"
    );
    let action = doc["statements"][1]["action_statement"].as_str().unwrap();
    assert!(
        action.contains("approved by bob@example.com") && action.contains("expires 2027-01-31"),
        "{action}"
    );
    validate("openvex_json_schema.json", std::slice::from_ref(&path));
    // Byte-identical on a second run.
    let again = tempfile::tempdir().unwrap();
    let (path2, _) = vex(again.path(), POLICY, "openvex");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        std::fs::read(&path2).unwrap()
    );

    // Read back with no policy ignores: the not_affected statement passes like the ignore.
    let (code, before) = audit_with_vex(&[], &[]);
    assert_eq!(code, 1);
    assert!(ignored(&before).is_empty());
    let (code, after) = audit_with_vex(&[&path], &[]);
    assert_eq!(code, 0, "{}", after["notes"]);
    assert_eq!(
        ignored(&after),
        [(
            "RUSTSEC-2021-0003".to_string(),
            "Release team <release@example.com>".to_string()
        )]
    );
    let f = &after["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["advisory_id"] == "RUSTSEC-2021-0003")
        .unwrap()["ignore"]["reason"];
    assert!(
        f.as_str()
            .unwrap()
            .starts_with("VEX not_affected (vulnerable_code_not_in_execute_path)"),
        "{f}"
    );
}

#[test]
fn cyclonedx_vex_round_trips() {
    if data("advisory-db").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (path, doc) = vex(tmp.path(), POLICY, "cyclonedx");
    validate("bom-1.6.SNAPSHOT.schema.json", std::slice::from_ref(&path));
    let states: Vec<&str> = doc["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["analysis"]["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["not_affected", "exploitable"]);
    let (code, after) = audit_with_vex(&[&path], &[]);
    assert_eq!(code, 0, "{}", after["notes"]);
    assert_eq!(ignored(&after).len(), 1);
}

#[test]
fn other_products_and_conflicts() {
    if data("advisory-db").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (_, doc) = vex(tmp.path(), POLICY, "openvex");
    let write = |name: &str, doc: &Value| {
        let p = tmp.path().join(name);
        std::fs::write(&p, serde_json::to_vec(doc).unwrap()).unwrap();
        p
    };
    // A statement about another product changes nothing.
    let mut other = doc.clone();
    for product in other["statements"][0]["products"].as_array_mut().unwrap() {
        product["@id"] = json!("pkg:cargo/someone-else@1.0.0");
        product["identifiers"]["purl"] = json!("pkg:cargo/someone-else@1.0.0");
    }
    let other = write("other.json", &other);
    let (code, report) = audit_with_vex(&[&other], &[]);
    assert_eq!(code, 1);
    assert!(ignored(&report).is_empty());

    // A later `affected` statement about the same finding wins over the not_affected one.
    let mut later = doc.clone();
    later["timestamp"] = json!("2026-11-26T00:00:00Z");
    later["statements"] = json!([{
        "vulnerability": {"name": "RUSTSEC-2021-0003"},
        "timestamp": "2026-11-26T00:00:00Z",
        "products": doc["statements"][0]["products"],
        "status": "affected",
        "action_statement": "upgrade smallvec",
    }]);
    let later = write("later.json", &later);
    let original = write("original.json", &doc);
    let (code, report) = audit_with_vex(&[&original, &later], &[]);
    assert_eq!(code, 1);
    assert!(ignored(&report).is_empty());
    assert!(report["notes"].to_string().contains("is `affected`"));
    // The other way round: the latest is not_affected, it passes.
    let mut earlier = doc.clone();
    earlier["statements"][0]["status"] = json!("affected");
    earlier["statements"][0]["action_statement"] = json!("look at it");
    earlier["statements"][0]
        .as_object_mut()
        .unwrap()
        .remove("justification");
    earlier["statements"][0]
        .as_object_mut()
        .unwrap()
        .remove("impact_statement");
    earlier["statements"][0]["timestamp"] = json!("2026-01-01T00:00:00Z");
    let earlier = write("earlier.json", &earlier);
    let (code, _) = audit_with_vex(&[&earlier, &original], &[]);
    assert_eq!(code, 0);
}

#[test]
fn policy_refuses_an_unknown_justification() {
    if data("advisory-db").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let policy = tmp.path().join("policy.toml");
    std::fs::write(
        &policy,
        POLICY.replace("vulnerable_code_not_in_execute_path", "trust_me"),
    )
    .unwrap();
    let out = cw()
        .args(["audit", "--offline", "--lockfile-only", "--policy"])
        .arg(&policy)
        .arg("--db")
        .arg(data("advisory-db").unwrap())
        .arg(lock())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("audit.ignore[0].justification: unknown VEX justification `trust_me`"),
        "{err}"
    );
}
