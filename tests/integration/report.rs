//! Evidence and the quarterly report, end to end: a quarter backfilled with daily audits of
//! real lockfiles (made with `cargo generate-lockfile`: a vulnerable pin appears, then is
//! upgraded), an ignore that expires mid-quarter, two verified releases and a failed one.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{cw, data, fixture, text};
use serde_json::{json, Value};
use time::{Date, Duration, Month};

const POLICY: &str = r#"schema_version = 1

[audit]
fail_on = ["vulnerability"]

[[audit.ignore]]
id = "RUSTSEC-2020-0071"
reason = "time 0.1 only formats build timestamps; no env mutation in that process"
approved_by = "security@acme.example"
expires = 2026-11-15

[evidence]
max_gap_days = 2
"#;

/// chainwarden recording into `store`.
fn cwe(store: &Path) -> assert_cmd::Command {
    let mut c = cw();
    c.env_remove("CHAINWARDEN_NO_RECORD")
        .env("CHAINWARDEN_EVIDENCE", store);
    c
}

fn audit(store: &Path, policy: &Path, scope: (&str, &str), lock_dir: &Path, day: Date) {
    let out = cwe(store)
        .args(["--tenant", scope.0, "--project", scope.1, "--policy"])
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

struct Quarter {
    _tmp: tempfile::TempDir,
    store: PathBuf,
    policy: PathBuf,
}

/// Backfills 2026-Q4 for acme/app (and a baseline on 2026-09-30).
fn backfill() -> Quarter {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("evidence.db");
    let policy = tmp.path().join("policy.toml");
    std::fs::write(&policy, POLICY).unwrap();
    let stage = |d: Date| {
        let oct21 = Date::from_calendar_date(2026, Month::October, 21).unwrap();
        let nov30 = Date::from_calendar_date(2026, Month::November, 30).unwrap();
        fixture(if d < oct21 {
            "evidence/v1"
        } else if d < nov30 {
            "evidence/v2"
        } else {
            "evidence/v3"
        })
    };
    let mut day = Date::from_calendar_date(2026, Month::September, 30).unwrap();
    let end = Date::from_calendar_date(2027, Month::January, 1).unwrap();
    let gap = Date::from_calendar_date(2026, Month::December, 10).unwrap()
        ..=Date::from_calendar_date(2026, Month::December, 14).unwrap();
    while day < end {
        if !gap.contains(&day) {
            audit(&store, &policy, ("acme", "app"), &stage(day), day);
        }
        day += Duration::days(1);
    }
    // Releases: two verified, one with a tampered artifact.
    let release = tmp.path().join("release");
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
        let out = cwe(&store)
            .args(["--tenant", "acme", "--project", "app", "--policy"])
            .arg(&policy)
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
    Quarter {
        _tmp: tmp,
        store,
        policy,
    }
}

fn report(store: &Path, policy: &Path, scope: (&str, &str), format: &str) -> String {
    let out = cw()
        .env("CHAINWARDEN_EVIDENCE", store)
        .args(["--tenant", scope.0, "--project", scope.1, "--policy"])
        .arg(policy)
        .args([
            "report",
            "--quarter",
            "2026-Q4",
            "--format",
            format,
            "--now",
            "2027-01-05T00:00:00Z",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn a_backfilled_quarter_reports_exact_figures() {
    if data("advisory-db").is_none() {
        return;
    }
    let q = backfill();
    let r: Value =
        serde_json::from_str(&report(&q.store, &q.policy, ("acme", "app"), "json")).unwrap();
    assert_eq!(r["schema_version"], 1);
    assert_eq!(
        r["period"],
        json!({"quarter": "2026-Q4", "start": "2026-10-01", "end": "2026-12-31", "as_of": "2026-12-31"})
    );
    let s = &r["summary"];
    assert_eq!(s["audit_runs"], 87, "92 days minus a 5-day gap");
    assert_eq!(s["verify_runs"], 3);
    assert_eq!(s["days_in_period"], 92);
    assert_eq!(s["days_covered"], 87);
    assert_eq!(
        s["gaps"],
        json!([{"from": "2026-12-10", "to": "2026-12-14", "days": 5}])
    );
    assert_eq!(
        (
            s["findings_total"].as_u64(),
            s["findings_fixed"].as_u64(),
            s["findings_open"].as_u64()
        ),
        (Some(2), Some(2), Some(0))
    );
    assert_eq!(
        (s["deadlines_met"].as_u64(), s["deadlines_missed"].as_u64()),
        (Some(1), Some(1))
    );

    // smallvec was already vulnerable at the baseline audit of 2026-09-30 and fixed on
    // 2026-11-30: 61 days against a 7-day deadline for a critical finding.
    assert_eq!(
        r["findings"][0],
        json!({"kind": "vulnerability", "advisory_id": "RUSTSEC-2021-0003", "package": "smallvec", "versions": ["1.6.0"],
               "severity": "critical", "first_seen": "2026-09-30", "resolved_at": "2026-11-30", "days_open": 61,
               "deadline_days": 7, "due": "2026-10-07", "deadline": "missed"})
    );
    // time arrived on 2026-10-21 and left on 2026-11-30: 40 days against 90 for medium.
    assert_eq!(
        r["findings"][1],
        json!({"kind": "vulnerability", "advisory_id": "RUSTSEC-2020-0071", "package": "time", "versions": ["0.1.44"],
               "severity": "medium", "first_seen": "2026-10-21", "resolved_at": "2026-11-30", "days_open": 40,
               "deadline_days": 90, "due": "2027-01-19", "deadline": "met"})
    );
    assert_eq!(
        r["accepted_risks"],
        json!([{"advisory_id": "RUSTSEC-2020-0071", "package": "time",
                "reason": "time 0.1 only formats build timestamps; no env mutation in that process",
                "approved_by": "security@acme.example", "expires": "2026-11-15", "expired": true}])
    );
    // Inventory: the end of the quarter (v3) against the baseline (v1).
    let inv = &r["inventory"];
    assert_eq!(inv["package_count"], 4);
    assert_eq!(
        inv["added"],
        json!([{"name": "hex", "versions": ["0.4.3"]}])
    );
    assert_eq!(inv["removed"], json!([]));
    assert_eq!(
        inv["updated"],
        json!([{"name": "smallvec", "from": ["1.6.0"], "to": ["1.6.1"]}])
    );
    // Releases.
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
    // The open-findings curve.
    let day = |d: &str| {
        r["open_by_day"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["day"] == d)
            .unwrap()["open"]
            .clone()
    };
    assert_eq!(
        (
            day("2026-10-01"),
            day("2026-10-21"),
            day("2026-11-29"),
            day("2026-11-30")
        ),
        (json!(1), json!(2), json!(2), json!(0))
    );
    assert_eq!(
        r["database"]["latest_commit"],
        "bf5c0d245a92671908518d7e765914d437954ed6"
    );

    // Same evidence, same bytes, in every format; Markdown and HTML carry the figures.
    for format in ["json", "markdown", "html"] {
        assert_eq!(
            report(&q.store, &q.policy, ("acme", "app"), format),
            report(&q.store, &q.policy, ("acme", "app"), format),
            "{format}"
        );
    }
    let md = report(&q.store, &q.policy, ("acme", "app"), "markdown");
    assert!(md.contains("| RUSTSEC-2021-0003 | vulnerability | `smallvec 1.6.0` | critical | 2026-09-30 | 2026-11-30 | 61 | 7 | 2026-10-07 | **missed** |"), "{md}");
    assert!(md.contains("- Gap without an audit: 2026-12-10 to 2026-12-14 (5 days)"));
    let html = report(&q.store, &q.policy, ("acme", "app"), "html");
    assert!(
        html.starts_with("<!DOCTYPE html>")
            && html.contains("<svg")
            && !html.contains("<script")
            && !html.contains("src=\"http")
    );

    // Export, import into a fresh store: the same report; importing again adds nothing.
    let export = q.store.with_file_name("export.jsonl");
    let out = cwe(&q.store)
        .args(["evidence", "export", "--output"])
        .arg(&export)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(&export).unwrap().lines().count(),
        91
    );
    let other = q.store.with_file_name("merged.db");
    for expected in [
        "imported 91 run(s), 0 already present",
        "imported 0 run(s), 91 already present",
    ] {
        let out = cwe(&other)
            .args(["evidence", "import"])
            .arg(&export)
            .output()
            .unwrap();
        assert!(
            text(&out.stderr).contains(expected),
            "{}",
            text(&out.stderr)
        );
    }
    assert_eq!(
        report(&other, &q.policy, ("acme", "app"), "json"),
        report(&q.store, &q.policy, ("acme", "app"), "json")
    );
    // An edited export line is refused with its line number.
    let edited = std::fs::read_to_string(&export).unwrap().replacen(
        "\"verdict\":\"fail\"",
        "\"verdict\":\"pass\"",
        1,
    );
    std::fs::write(&export, edited).unwrap();
    let out = cwe(&other)
        .args(["evidence", "import"])
        .arg(&export)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("does not match its payload"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn scopes_never_see_each_other() {
    let Some(bat) = data("lockfiles/real-bat") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("e.db");
    let policy = tmp.path().join("p.toml");
    std::fs::write(&policy, POLICY).unwrap();
    let oct = |d: u8| Date::from_calendar_date(2026, Month::October, d).unwrap();
    audit(
        &store,
        &policy,
        ("acme", "app"),
        &fixture("evidence/v1"),
        oct(1),
    );
    audit(
        &store,
        &policy,
        ("acme", "app"),
        &fixture("evidence/v1"),
        oct(2),
    );
    audit(&store, &policy, ("other", "bat"), &bat, oct(1));
    let a: Value = serde_json::from_str(&report(&store, &policy, ("acme", "app"), "json")).unwrap();
    let b: Value =
        serde_json::from_str(&report(&store, &policy, ("other", "bat"), "json")).unwrap();
    assert_eq!(
        (
            a["summary"]["audit_runs"].as_u64(),
            b["summary"]["audit_runs"].as_u64()
        ),
        (Some(2), Some(1))
    );
    assert!(a["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["package"] == "smallvec"));
    assert!(b["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["package"] != "smallvec"));
    assert!(!b["findings"].as_array().unwrap().is_empty());
    assert_eq!(b["inventory"]["package_count"], 317);
    // A scope with no evidence is an error, not an empty report.
    let out = cw()
        .env("CHAINWARDEN_EVIDENCE", &store)
        .args([
            "--tenant",
            "nobody",
            "--project",
            "none",
            "report",
            "--quarter",
            "2026-Q4",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // A policy that requires a scope refuses an unscoped run before recording anything.
    std::fs::write(&policy, "[scope]\nrequired = true\n").unwrap();
    let out = cwe(&store)
        .arg("--policy")
        .arg(&policy)
        .args(["audit", "--offline", "--lockfile-only", "--db"])
        .arg(data("advisory-db").unwrap())
        .arg(&bat)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("requires a scope"));
}

#[test]
fn eight_processes_recording_at_once_lose_no_run() {
    let Some(db) = data("advisory-db") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("e.db");
    let bin = env!("CARGO_BIN_EXE_chainwarden");
    let children: Vec<_> = (0..8)
        .map(|i| {
            Command::new(bin)
                .env("CHAINWARDEN_EVIDENCE", &store)
                .env("CHAINWARDEN_CACHE_DIR", tmp.path().join("cache"))
                .env("NO_COLOR", "1")
                .args([
                    "--tenant",
                    "acme",
                    "--project",
                    "app",
                    "audit",
                    "--offline",
                    "--lockfile-only",
                    "--db",
                ])
                .arg(&db)
                .args(["--now", &format!("2026-10-0{}T06:00:00Z", i + 1)])
                .arg(fixture("evidence/v2"))
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert_eq!(c.wait().unwrap().code(), Some(1));
    }
    let out = cw()
        .env("CHAINWARDEN_EVIDENCE", &store)
        .args(["evidence", "export"])
        .output()
        .unwrap();
    assert_eq!(text(&out.stdout).lines().count(), 8);
}

#[test]
fn the_html_report_renders_in_a_real_browser() {
    let Some(browser) = ["chromium", "chromium-browser"].into_iter().find(|b| {
        Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        crate::common::skip("no chromium on this machine (apt-get install chromium)");
        return;
    };
    if data("advisory-db").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("e.db");
    let policy = tmp.path().join("p.toml");
    std::fs::write(&policy, POLICY).unwrap();
    for d in 1..=5 {
        audit(
            &store,
            &policy,
            ("acme", "app"),
            &fixture(if d < 4 { "evidence/v2" } else { "evidence/v3" }),
            Date::from_calendar_date(2026, Month::October, d).unwrap(),
        );
    }
    let html = tmp.path().join("report.html");
    std::fs::write(&html, report(&store, &policy, ("acme", "app"), "html")).unwrap();
    let png = tmp.path().join("report.png");
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
            "--window-size=1100,2400",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    assert!(png.is_file(), "no screenshot: {}", text(&out.stderr));
    let bytes = std::fs::read(&png).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000,
        "a real page was drawn ({} bytes)",
        bytes.len()
    );
    if let Ok(keep) = std::env::var("CHAINWARDEN_KEEP_SCREENSHOT") {
        std::fs::copy(&png, keep).unwrap();
    }
}
