//! Evidence and the quarterly report, end to end: a quarter backfilled with daily audits of
//! real lockfiles (made with `cargo generate-lockfile`: a vulnerable pin appears, then is
//! upgraded), an exception that expires mid-quarter, a missed day and a 5-day gap, two
//! verified releases and a failed one; then each situation the report once got wrong.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{cw, data, evidence_store, fixture, text, Backend};
use serde_json::{json, Value};
use time::{Date, Duration, Month};

pub const POLICY: &str = r#"schema_version = 1

[audit]
fail_on = ["vulnerability"]

[[audit.ignore]]
id = "RUSTSEC-2020-0071"
reason = "time 0.1 only formats build timestamps"
requested_by = "dev@acme.example"
approved_by = "security@acme.example"
approved_on = 2026-10-20
expires = 2026-11-15
compensating_control = "no environment mutation in that process"

[evidence]
cadence = "daily"
max_gap_days = 2

[report]
control_owner = "Dana Owner <dana@acme.example>"
reviewers = ["Rui Reviewer"]
approvers = ["Ada Approver"]
"#;

/// chainwarden recording into `store`.
pub fn cwe(store: &Path) -> assert_cmd::Command {
    let mut c = cw();
    c.env_remove("CHAINWARDEN_NO_RECORD")
        .env("CHAINWARDEN_EVIDENCE", store);
    c
}

pub fn day(y: i32, m: Month, d: u8) -> Date {
    Date::from_calendar_date(y, m, d).unwrap()
}

/// Audits `lock_dir` on `day` at 06:00 UTC, recording into `store`.
pub fn audit(
    store: &Path,
    policy: &Path,
    scope: (&str, &str),
    lock_dir: &Path,
    day: Date,
    trigger: &str,
) {
    let out = cwe(store)
        .args([
            "--tenant",
            scope.0,
            "--project",
            scope.1,
            "--trigger",
            trigger,
            "--policy",
        ])
        .arg(policy)
        .args([
            "audit",
            "--offline",
            "--lockfile-only",
            "--format",
            "json",
            "--db",
        ])
        .arg(data("advisory-db").unwrap())
        .args(["--now", &format!("{day}T06:00:00Z")])
        .arg(lock_dir)
        .output()
        .unwrap();
    assert!(
        out.status.code() != Some(2),
        "audit {day}: {}",
        text(&out.stderr)
    );
}

/// A project directory whose Cargo.lock is replaced by a fixture stage's (one lockfile
/// path across the quarter, as in a real checkout).
pub fn stage(dir: &Path, name: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::copy(
        fixture(&format!("evidence/{name}/Cargo.lock")),
        dir.join("Cargo.lock"),
    )
    .unwrap();
}

pub struct Quarter {
    _tmp: tempfile::TempDir,
    pub store: PathBuf,
    pub app: PathBuf,
}

/// Backfills 2026-Q4 for acme/app (and a baseline on 2026-09-30) into a store of `backend`
/// (`None`: no server, skipped).
pub fn backfill_on(backend: Backend) -> Option<Quarter> {
    let tmp = tempfile::tempdir().unwrap();
    let store = evidence_store(backend, tmp.path())?;
    let policy = tmp.path().join("policy.toml");
    let app = tmp.path().join("app");
    std::fs::write(&policy, POLICY).unwrap();
    let (oct21, nov30) = (
        day(2026, Month::October, 21),
        day(2026, Month::November, 30),
    );
    let mut d = day(2026, Month::September, 30);
    let missed = |d: Date| {
        d == day(2026, Month::December, 3)
            || (day(2026, Month::December, 10)..=day(2026, Month::December, 14)).contains(&d)
    };
    while d < day(2027, Month::January, 1) {
        stage(
            &app,
            if d < oct21 {
                "v1"
            } else if d < nov30 {
                "v2"
            } else {
                "v3"
            },
        );
        let trigger = if d == oct21 || d == nov30 {
            "push"
        } else {
            "schedule"
        };
        if !missed(d) {
            audit(&store, &policy, ("acme", "app"), &app, d, trigger);
        }
        d += Duration::days(1);
    }
    verify_releases(tmp.path(), &store, &policy);
    Some(Quarter {
        _tmp: tmp,
        store,
        app,
    })
}

/// Two verified release checks and one of a tampered artifact.
fn verify_releases(dir: &Path, store: &Path, policy: &Path) {
    let release = dir.join("release");
    std::fs::create_dir(&release).unwrap();
    std::fs::write(release.join("app-1.0.tar.gz"), b"release bytes").unwrap();
    let sums = Command::new("sha256sum")
        .arg("app-1.0.tar.gz")
        .current_dir(&release)
        .output()
        .unwrap()
        .stdout;
    std::fs::write(release.join("SHA256SUMS"), sums).unwrap();
    for (when, tamper) in [
        ("2026-11-01T12:00:00Z", false),
        ("2026-12-01T12:00:00Z", false),
        ("2026-12-20T12:00:00Z", true),
    ] {
        if tamper {
            std::fs::write(release.join("app-1.0.tar.gz"), b"release bytes, tampered").unwrap();
        }
        let out = cwe(store)
            .args(["--tenant", "acme", "--project", "app", "--policy"])
            .arg(policy)
            .args(["verify", "checksums", "--now", when])
            .arg(release.join("SHA256SUMS"))
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(if tamper { 1 } else { 0 }),
            "{}",
            text(&out.stderr)
        );
    }
}

/// The report's output, asserting exit 0.
pub fn report_with(store: &Path, args: &[&str]) -> String {
    let out = cw()
        .env("CHAINWARDEN_EVIDENCE", store)
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout)
}

pub fn report(store: &Path, scope: (&str, &str), format: &str) -> String {
    report_with(
        store,
        &[
            "--tenant",
            scope.0,
            "--project",
            scope.1,
            "report",
            "--quarter",
            "2026-Q4",
            "--format",
            format,
            "--now",
            "2027-01-05T00:00:00Z",
        ],
    )
}

pub fn report_json(store: &Path, scope: (&str, &str)) -> Value {
    serde_json::from_str(&report(store, scope, "json")).unwrap()
}

crate::on_both_backends!(a_backfilled_quarter_reports_exact_figures);

fn a_backfilled_quarter_reports_exact_figures(backend: Backend) {
    if data("advisory-db").is_none() {
        return;
    }
    let Some(q) = backfill_on(backend) else {
        return;
    };
    let r = report_json(&q.store, ("acme", "app"));
    let lockfile = q.app.join("Cargo.lock").display().to_string();
    summary_policies_and_coverage(&r, &lockfile);
    findings_and_their_sla(&r);
    exceptions_and_deviations(&r);
    releases_inventory_and_integrity(&r);
    every_format_is_stable(&q);
    the_report_is_snapshotted(&q);
}

/// The period, the summary's counts, the one policy in force and every missed day.
fn summary_policies_and_coverage(r: &Value, lockfile: &str) {
    assert_eq!(r["schema_version"], 2);
    assert_eq!(
        r["period"],
        json!({"quarter": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31", "as_of": "2026-12-31", "timezone": "UTC"})
    );
    let s = &r["summary"];
    assert_eq!(
        (
            s["audit_runs"].as_u64(),
            s["scheduled_runs"].as_u64(),
            s["triggered_runs"].as_u64(),
            s["verify_runs"].as_u64()
        ),
        (Some(86), Some(84), Some(2), Some(3)),
        "92 days minus 6 missed; the two lockfile changes were pushes"
    );
    assert_eq!(
        (
            s["expected_scans"].as_u64(),
            s["expected_scans_met"].as_u64(),
            s["missed_scans"].as_u64()
        ),
        (Some(92), Some(86), Some(6))
    );
    assert_eq!(
        (
            s["findings_total"].as_u64(),
            s["open_at_start"].as_u64(),
            s["open_at_end"].as_u64(),
            s["new_in_period"].as_u64(),
            s["closed_in_period"].as_u64()
        ),
        (Some(2), Some(1), Some(0), Some(1), Some(2))
    );

    // Policy in force: one, recorded with every run.
    assert_eq!(r["policies"].as_array().unwrap().len(), 1);
    assert_eq!(
        r["policies"][0]["runs"], 90,
        "the baseline's and the period's 86 audits and 3 checks"
    );
    assert_eq!(r["policies"][0]["policy"]["deadlines"]["critical"], 7);
    assert_eq!(r["policies"][0]["policy"]["cadence"], "daily");

    // Coverage: every missed day listed; the single day is tolerated, the 5-day gap is not.
    let c = &r["coverage"][0];
    assert_eq!(c["lockfile"], lockfile);
    assert_eq!(
        c["missed_days"],
        json!([
            "2026-12-03",
            "2026-12-10",
            "2026-12-11",
            "2026-12-12",
            "2026-12-13",
            "2026-12-14"
        ])
    );
    assert_eq!(
        c["gaps"],
        json!([{"from": "2026-12-03", "to": "2026-12-03", "days": 1, "deviation": false},
               {"from": "2026-12-10", "to": "2026-12-14", "days": 5, "deviation": true}])
    );
}

/// Each finding's deadline, closure proof and state history, and the SLA table.
fn findings_and_their_sla(r: &Value) {
    // smallvec: vulnerable at the baseline audit, fixed on 2026-11-30: closed late against
    // a 7-day deadline for a critical finding, with the fixing scan as closure proof.
    let f1 = &r["findings"][0];
    assert_eq!(
        (
            f1["id"].as_str(),
            f1["advisory_id"].as_str(),
            f1["package"].as_str(),
            f1["severity"].as_str()
        ),
        (
            Some("F-001"),
            Some("RUSTSEC-2021-0003"),
            Some("smallvec"),
            Some("critical")
        )
    );
    assert_eq!(
        (
            f1["first_seen"].as_str(),
            f1["due"].as_str(),
            f1["sla"].as_str(),
            f1["breached_on"].as_str(),
            f1["days_open"].as_u64()
        ),
        (
            Some("2026-09-30"),
            Some("2026-10-07"),
            Some("closed-late"),
            Some("2026-10-08"),
            Some(61)
        )
    );
    assert!(f1["severity_source"]
        .as_str()
        .unwrap()
        .starts_with("CVSS:3"));
    assert_eq!(f1["resolved"]["date"], "2026-11-30");
    assert_eq!(f1["resolved"]["time"], "2026-11-30T06:00:00Z");
    let v3_sha = sha256_file(&fixture("evidence/v3/Cargo.lock"));
    assert_eq!(f1["resolved"]["lockfile_sha256"], v3_sha.as_str());
    assert_eq!(f1["vex"]["status"], "fixed");
    // time: under an exception from its first day until 2026-11-15, then open, fixed on
    // 2026-11-30, well within 90 days.
    let f2 = &r["findings"][1];
    assert_eq!(
        (
            f2["advisory_id"].as_str(),
            f2["sla"].as_str(),
            f2["due"].as_str()
        ),
        (
            Some("RUSTSEC-2020-0071"),
            Some("closed-within-sla"),
            Some("2027-01-19")
        )
    );
    let states: Vec<(&str, &str)> = f2["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["date"].as_str().unwrap(), h["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        vec![
            ("2026-10-21", "excepted"),
            ("2026-11-16", "exception-expired"),
            ("2026-11-30", "fixed")
        ]
    );

    // SLA per severity.
    let sla: Vec<Value> = r["sla"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["severity"] == "critical" || s["severity"] == "medium")
        .cloned()
        .collect();
    assert_eq!(sla[0]["closed_late"], 1);
    assert_eq!(sla[0]["mean_days_to_fix"], "61.0");
    assert_eq!(sla[1]["closed_within_sla"], 1);
    assert_eq!(sla[1]["longest_days_to_fix"], 40);
}

/// The exception register, and every deviation once, reconciled with the counts.
fn exceptions_and_deviations(r: &Value) {
    // The exception register: requester, approver, approval date, control; expired.
    let e = &r["exceptions"][0];
    assert_eq!(
        (
            e["status"].as_str(),
            e["expired_on"].as_str(),
            e["renewals"].as_u64()
        ),
        (Some("expired"), Some("2026-11-16"), Some(0))
    );
    assert_eq!(e["history"][0]["requested_by"], "dev@acme.example");
    assert_eq!(e["history"][0]["approved_on"], "2026-10-20");
    assert_eq!(e["vex"]["status"], "affected");
    assert_eq!(e["findings"], json!(["F-002"]));

    // Deviations: every departure, one row each, counts reconciled.
    let kinds: Vec<(&str, &str)> = r["deviations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["date"].as_str().unwrap(), d["kind"].as_str().unwrap()))
        .collect();
    let stale = kinds.iter().filter(|k| k.1 == "stale-database").count();
    let others: Vec<(&str, &str)> = kinds
        .iter()
        .copied()
        .filter(|k| k.1 != "stale-database")
        .collect();
    assert_eq!(
        others,
        vec![
            ("2026-10-08", "sla-breach"),
            ("2026-11-16", "expired-exception"),
            ("2026-12-10", "missed-scan"),
            ("2026-12-20", "failed-verification")
        ]
    );
    assert_eq!(
        r["summary"]["deviations"].as_u64().unwrap() as usize,
        kinds.len()
    );
    assert_eq!(
        r["deviation_counts"]["stale-database"]
            .as_u64()
            .unwrap_or(0) as usize,
        stale
    );
    assert_eq!(
        stale,
        r["scans"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["database_stale"] == true)
            .count()
    );
}

/// Release checks, dependency changes, the scan log, the chain and the sign-off roles.
fn releases_inventory_and_integrity(r: &Value) {
    // Releases: each check, failed ones with their failing checks.
    let verdicts: Vec<&str> = r["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, vec!["verified", "verified", "failed"]);
    assert_eq!(
        r["releases"][2]["failed_checks"],
        json!(["verify:digest-mismatch"])
    );

    // Inventory, scan log, integrity, roles.
    assert_eq!(
        r["inventory"][0]["added"],
        json!([{"name": "hex", "versions": ["0.4.3"]}])
    );
    assert_eq!(
        r["inventory"][0]["updated"],
        json!([{"name": "smallvec", "from": ["1.6.0"], "to": ["1.6.1"]}])
    );
    let scans = r["scans"].as_array().unwrap();
    assert_eq!(scans.len(), 86);
    assert_eq!(
        scans
            .iter()
            .filter(|s| s["lockfile_changed"] == true)
            .count(),
        2
    );
    assert_eq!(r["integrity"]["chain_intact"], true);
    assert_eq!(
        (
            r["integrity"]["runs_stored"].as_u64(),
            r["integrity"]["chain_head_seq"].as_u64()
        ),
        (Some(90), Some(90))
    );
    assert_eq!(
        r["signoff"]["control_owner"],
        "Dana Owner <dana@acme.example>"
    );
    let day_of = |d: &str| {
        r["open_by_day"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["day"] == d)
            .unwrap()
            .clone()
    };
    assert_eq!(day_of("2026-10-21")["vulnerabilities"], 2);
    assert_eq!(day_of("2026-11-30")["vulnerabilities"], 0);
    assert_eq!(day_of("2026-12-03")["scanned"], false);
}

/// Same evidence, same bytes, in every format; Markdown carries the figures.
fn every_format_is_stable(q: &Quarter) {
    for format in ["json", "markdown", "html"] {
        assert_eq!(
            report(&q.store, ("acme", "app"), format),
            report(&q.store, ("acme", "app"), format),
            "{format}"
        );
    }
    let md = report(&q.store, ("acme", "app"), "markdown");
    for needle in [
        "## Policy in force",
        "(UTC days)",
        "| Expected scans met | 86 of 92 (6 missed) |",
        "2026-12-03, 2026-12-10, 2026-12-11, 2026-12-12, 2026-12-13, 2026-12-14",
        "no scan 2026-12-10 to 2026-12-14 (5 day(s)): **deviation**",
        "| critical | 0 | 1 | 0 | 0 | 0 | 61.0 | 61 |",
        "## Deviations",
        "| Reviewed by | Rui Reviewer |",
        "3 release verification run(s) checked 3 artifact(s): 2 verified, 1 not verified.",
    ] {
        assert!(md.contains(needle), "{needle}\n{md}");
    }
    let html = report(&q.store, ("acme", "app"), "html");
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains("<svg") && !html.contains("<script")
    );
    assert!(html.contains("Content-Security-Policy") && html.contains("script-src 'none'"));
}

/// The whole JSON document (the report's schema) and the Markdown, pinned: a renamed state,
/// verdict or kind shows here. Run ids are random and the chain's hashes cover them, so both
/// are masked, and so is the temporary directory the lockfile was scanned in.
fn the_report_is_snapshotted(q: &Quarter) {
    let dir = q.app.parent().unwrap().display().to_string();
    let filters = [
        (regex::escape(&dir), "[dir]".to_string()),
        (r"\b[0-9a-f]{32}\b".to_string(), "[run]".to_string()),
        (
            r#""(chain_head_hash|content_sha256)": "[0-9a-f]{64}""#.to_string(),
            r#""$1": "[hash]""#.to_string(),
        ),
        (
            r"(head #\d+|content sha256) `[0-9a-f]{64}`".to_string(),
            "$1 `[hash]`".to_string(),
        ),
        // The subscription table names a run by its first 12 digits.
        (
            r"\((audit|watch) `[0-9a-f]{12}`\)".to_string(),
            "($1 `[run]`)".to_string(),
        ),
    ];
    let filters: Vec<(&str, &str)> = filters
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    insta::with_settings!({filters => filters}, {
        insta::assert_snapshot!("quarter_json", report(&q.store, ("acme", "app"), "json"));
        insta::assert_snapshot!(
            "quarter_markdown",
            report(&q.store, ("acme", "app"), "markdown")
        );
    });
}

pub fn sha256_file(p: &Path) -> String {
    let out = Command::new("sha256sum").arg(p).output().unwrap();
    text(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

pub fn sha256_hex_str(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}
