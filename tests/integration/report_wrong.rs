//! Each situation the quarterly report once judged wrongly (issue 10, reproduced on
//! 7ae2371), as a test, on both evidence backends (SQLite and PostgreSQL).

use std::path::Path;

use crate::common::{as_owner, cw, data, evidence_store, text, Backend};
use crate::report::{audit, day, report, report_json, report_with, stage};
use serde_json::Value;
use time::{Duration, Month};

fn policy(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p
}

/// Daily audits of `app` from `from` for `days` days with the given stage per day.
fn daily(
    store: &Path,
    policy: &Path,
    app: &Path,
    from: time::Date,
    days: i64,
    stage_of: impl Fn(i64) -> &'static str,
) {
    for i in 0..days {
        stage(app, stage_of(i));
        audit(
            store,
            policy,
            ("acme", "app"),
            app,
            from + Duration::days(i),
            "schedule",
        );
    }
}

crate::on_both_backends!(
    report_time_policy_does_not_rejudge_the_quarter,
    a_finding_excepted_for_its_whole_life_is_not_missed,
    a_renewed_exception_shows_its_history_and_is_not_expired,
    another_lockfile_never_resolves_a_finding,
    an_edited_store_is_refused_naming_the_run,
    single_missed_days_are_listed_and_zero_tolerance_is_accepted,
    counts_reconcile_with_the_tables,
    the_commit_is_recorded_only_when_git_tracks_the_lockfile,
);

fn finding<'a>(r: &'a Value, advisory: &str) -> &'a Value {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["advisory_id"] == advisory)
        .unwrap()
}

fn report_time_policy_does_not_rejudge_the_quarter(backend: Backend) {
    if data("advisory-db").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let Some(store) = evidence_store(backend, tmp.path()) else {
        return;
    };
    let recorded = policy(tmp.path(), "p.toml", "[evidence]\nmax_gap_days = 1\n");
    let app = tmp.path().join("app");
    // smallvec (critical, 7 days) open for 20 days, and a 3-day gap.
    daily(
        &store,
        &recorded,
        &app,
        day(2026, Month::October, 1),
        20,
        |i| if i < 15 { "v1" } else { "v3" },
    );
    audit(
        &store,
        &recorded,
        ("acme", "app"),
        &app,
        day(2026, Month::October, 24),
        "schedule",
    );
    let lenient = policy(tmp.path(), "lenient.toml", "[deadlines]\ncritical = 120\nhigh = 120\n[evidence]\nmax_gap_days = 7\n[report]\ncontrol_owner = \"Someone Else\"\n");
    let args = |p: &Path| -> Vec<String> {
        [
            "--tenant",
            "acme",
            "--project",
            "app",
            "--policy",
            &p.display().to_string(),
            "report",
            "--quarter",
            "2026-Q4",
            "--format",
            "json",
            "--now",
            "2027-01-05",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let a: Value = serde_json::from_str(&report_with(
        &store,
        &args(&recorded)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    ))
    .unwrap();
    let b: Value = serde_json::from_str(&report_with(
        &store,
        &args(&lenient)
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    ))
    .unwrap();
    assert_eq!(finding(&a, "RUSTSEC-2021-0003")["sla"], "closed-late");
    assert_eq!(
        finding(&b, "RUSTSEC-2021-0003")["sla"],
        "closed-late",
        "judged by the recorded 7 days"
    );
    assert_eq!(a["deviation_counts"], b["deviation_counts"]);
    assert_eq!(b["presentation_policy"]["differs_from_recorded"], true);
    assert_eq!(a["presentation_policy"]["differs_from_recorded"], false);
    assert_eq!(
        b["signoff"]["control_owner"], "Someone Else",
        "presentation comes from --policy"
    );
}

fn a_finding_excepted_for_its_whole_life_is_not_missed(backend: Backend) {
    if data("advisory-db").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let Some(store) = evidence_store(backend, tmp.path()) else {
        return;
    };
    let p = policy(
        tmp.path(),
        "p.toml",
        "[[audit.ignore]]\nid = \"RUSTSEC-2021-0003\"\nreason = \"not reachable\"\nrequested_by = \"dev\"\napproved_by = \"lead\"\nexpires = 2027-06-30\n",
    );
    let app = tmp.path().join("app");
    daily(&store, &p, &app, day(2026, Month::October, 1), 25, |i| {
        if i < 20 {
            "v1"
        } else {
            "v3"
        }
    });
    let r = report_json(&store, ("acme", "app"));
    let f = finding(&r, "RUSTSEC-2021-0003");
    assert_eq!(
        (f["sla"].as_str(), f["resolved"]["date"].as_str()),
        (Some("excepted"), Some("2026-10-21"))
    );
    assert!(f["breached_on"].is_null());
    assert_eq!(r["summary"]["sla_breaches"], 0);
}

fn a_renewed_exception_shows_its_history_and_is_not_expired(backend: Backend) {
    if data("advisory-db").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let Some(store) = evidence_store(backend, tmp.path()) else {
        return;
    };
    let ignore = |expires: &str, reason: &str| {
        format!("[[audit.ignore]]\nid = \"RUSTSEC-2021-0003\"\nreason = \"{reason}\"\nrequested_by = \"dev\"\napproved_by = \"lead\"\nexpires = {expires}\n")
    };
    let first = policy(tmp.path(), "a.toml", &ignore("2026-10-10", "first review"));
    let renewed = policy(
        tmp.path(),
        "b.toml",
        &ignore("2026-12-31", "renewed after vendor review"),
    );
    let app = tmp.path().join("app");
    daily(
        &store,
        &first,
        &app,
        day(2026, Month::October, 1),
        8,
        |_| "v1",
    );
    daily(
        &store,
        &renewed,
        &app,
        day(2026, Month::October, 9),
        20,
        |_| "v1",
    );
    let r = report_json(&store, ("acme", "app"));
    let e = &r["exceptions"][0];
    assert_eq!(
        (e["status"].as_str(), e["renewals"].as_u64()),
        (Some("active"), Some(1))
    );
    assert_eq!(e["history"][1]["expires"], "2026-12-31");
    assert_eq!(e["history"][1]["reason"], "renewed after vendor review");
    assert_eq!(e["history"][1]["in_force_from"], "2026-10-09");
    assert_eq!(finding(&r, "RUSTSEC-2021-0003")["sla"], "excepted");
    assert!(r["deviation_counts"].get("expired-exception").is_none());
    assert_eq!(
        r["policies"].as_array().unwrap().len(),
        2,
        "both policies in force are restated"
    );
}

fn another_lockfile_never_resolves_a_finding(backend: Backend) {
    if data("advisory-db").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let Some(store) = evidence_store(backend, tmp.path()) else {
        return;
    };
    let p = policy(tmp.path(), "p.toml", "");
    let (app, tools) = (tmp.path().join("app"), tmp.path().join("tools"));
    stage(&app, "v1");
    stage(&tools, "v3");
    for i in 0..5 {
        let d = day(2026, Month::October, 1) + Duration::days(i);
        audit(&store, &p, ("acme", "app"), &app, d, "schedule");
        audit(
            &store,
            &p,
            ("acme", "app"),
            &tools,
            d + Duration::hours(1),
            "schedule",
        );
    }
    audit(
        &store,
        &p,
        ("acme", "app"),
        &tools,
        day(2026, Month::October, 8),
        "push",
    );
    let r = report_json(&store, ("acme", "app"));
    let f = finding(&r, "RUSTSEC-2021-0003");
    assert_eq!(
        f["lockfile"],
        app.join("Cargo.lock").display().to_string().as_str()
    );
    assert!(
        f["resolved"].is_null(),
        "a run of tools/Cargo.lock does not fix app/Cargo.lock's finding"
    );
    assert_eq!(r["coverage"].as_array().unwrap().len(), 2);
}

fn an_edited_store_is_refused_naming_the_run(backend: Backend) {
    if data("advisory-db").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let Some(store) = evidence_store(backend, tmp.path()) else {
        return;
    };
    let p = policy(tmp.path(), "p.toml", "");
    let app = tmp.path().join("app");
    daily(&store, &p, &app, day(2026, Month::October, 1), 12, |_| "v1");
    // Two intact projects beside it, one sorting before and one after (one run each: the
    // edits below name seq 5 and 9, which only acme/app has).
    for project in ["api", "web"] {
        let d = day(2026, Month::October, 2);
        audit(&store, &p, ("acme", project), &app, d, "schedule");
    }
    // Flip a failing run to a clean one the way a SQL user would: as the store's owner
    // (the file's; on PostgreSQL the tables' owner, with psql), no chainwarden involved.
    let findings = match backend {
        Backend::Sqlite => "json_array_length(payload, '$.findings')",
        Backend::Postgres => "json_array_length(payload::json -> 'findings')",
    };
    let run_id = as_owner(
        backend,
        &store,
        &format!("SELECT run_id FROM runs WHERE seq = 5 AND {findings} > 0"),
    );
    assert_eq!(run_id.len(), 32, "run #5 has findings: {run_id:?}");
    as_owner(
        backend,
        &store,
        match backend {
            Backend::Sqlite => "UPDATE runs SET payload = json_set(payload, '$.findings', json('[]')) WHERE seq = 5",
            Backend::Postgres => "UPDATE runs SET payload = jsonb_set(payload::jsonb, '{findings}', '[]')::text WHERE seq = 5",
        },
    );
    the_edited_run_is_named(&store, &run_id);
    an_allowed_report_carries_a_banner(&store);
    the_organisation_view_refuses_too(&store, &run_id);
    // Deleting a run breaks the chain too.
    as_owner(backend, &store, "DELETE FROM runs WHERE seq = 9");
    let out = cw()
        .env("CHAINWARDEN_EVIDENCE", &store)
        .args(["evidence", "verify"])
        .output()
        .unwrap();
    assert!(
        text(&out.stdout).contains("missing (deleted?)"),
        "{}",
        text(&out.stdout)
    );
}

/// The report refuses, naming the run; `evidence verify` names it as the first bad one.
fn the_edited_run_is_named(store: &Path, run_id: &str) {
    let out = cw()
        .env("CHAINWARDEN_EVIDENCE", store)
        .args([
            "--tenant",
            "acme",
            "--project",
            "app",
            "report",
            "--quarter",
            "2026-Q4",
            "--now",
            "2027-01-05",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains(run_id), "{}", text(&out.stderr));
    let out = cw()
        .env("CHAINWARDEN_EVIDENCE", store)
        .args(["evidence", "verify"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains(&format!("BROKEN  acme/app: first bad run {run_id}")),
        "{}",
        text(&out.stdout)
    );
}

/// Allowed: a banner, and the edited run is not used (the finding stays open).
fn an_allowed_report_carries_a_banner(store: &Path) {
    let md = report_with(
        store,
        &[
            "--tenant",
            "acme",
            "--project",
            "app",
            "report",
            "--quarter",
            "2026-Q4",
            "--now",
            "2027-01-05",
            "--allow-broken-evidence",
        ],
    );
    assert!(md.contains("**BROKEN EVIDENCE.**"), "{md}");
    assert!(md.contains("broken-evidence"), "{md}");
}

/// The organisation view, built several projects at a time, refuses for the same run; when
/// allowed, it still lists every project in order, only app's chain broken.
fn the_organisation_view_refuses_too(store: &Path, run_id: &str) {
    let all = |extra: &[&str]| {
        cw().env("CHAINWARDEN_EVIDENCE", store)
            .args([
                "--tenant",
                "acme",
                "report",
                "--all-projects",
                "--quarter",
                "2026-Q4",
            ])
            .args(["--now", "2027-01-05", "--format", "json"])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = all(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains(run_id), "{}", text(&out.stderr));
    let out = all(&["--allow-broken-evidence"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let org: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows: Vec<(&str, bool)> = org["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["project_id"].as_str().unwrap(),
                p["chain_intact"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(rows, [("api", true), ("app", false), ("web", true)]);
}

fn single_missed_days_are_listed_and_zero_tolerance_is_accepted(backend: Backend) {
    if data("advisory-db").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let Some(store) = evidence_store(backend, tmp.path()) else {
        return;
    };
    let p = policy(
        tmp.path(),
        "p.toml",
        "[evidence]\ncadence = \"daily\"\nmax_gap_days = 0\n",
    );
    let app = tmp.path().join("app");
    stage(&app, "v3");
    for d in (1..=10).filter(|d| *d != 3) {
        audit(
            &store,
            &p,
            ("acme", "app"),
            &app,
            day(2026, Month::October, d),
            "schedule",
        );
    }
    let out = report_with(
        &store,
        &[
            "--tenant",
            "acme",
            "--project",
            "app",
            "report",
            "--quarter",
            "2026-Q4",
            "--format",
            "json",
            "--now",
            "2026-10-10T23:00:00Z",
        ],
    );
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        r["coverage"][0]["missed_days"],
        serde_json::json!(["2026-10-03"])
    );
    assert_eq!(
        r["coverage"][0]["gaps"][0]["deviation"], true,
        "max_gap_days = 0: every missed scan is a deviation"
    );
    assert_eq!(r["deviation_counts"]["missed-scan"], 1);
}

fn counts_reconcile_with_the_tables(backend: Backend) {
    if data("advisory-db").is_none() {
        return;
    }
    let Some(q) = crate::report::backfill_on(backend) else {
        return;
    };
    let r = report_json(&q.store, ("acme", "app"));
    let releases = r["releases"].as_array().unwrap();
    let runs: std::collections::BTreeSet<&str> = releases
        .iter()
        .map(|x| x["run_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        runs.len(),
        r["summary"]["verify_runs"].as_u64().unwrap() as usize
    );
    let sum: u64 = r["deviation_counts"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(sum as usize, r["deviations"].as_array().unwrap().len());
    let sla: u64 = r["sla"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            [
                "closed_within_sla",
                "closed_late",
                "open_within_sla",
                "open_overdue",
                "excepted",
            ]
            .iter()
            .map(|k| s[k].as_u64().unwrap())
            .sum::<u64>()
        })
        .sum();
    assert_eq!(sla as usize, r["findings"].as_array().unwrap().len());
    let html = report(&q.store, ("acme", "app"), "html");
    assert!(
        html.contains("<b>2 / 3</b>release artifacts verified"),
        "no more \"3 releases verified\" when one failed"
    );
}

fn the_commit_is_recorded_only_when_git_tracks_the_lockfile(backend: Backend) {
    if data("advisory-db").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout).trim().to_string()
    };
    std::fs::create_dir(&repo).unwrap();
    git(&["init", "-q"]);
    stage(&repo.join("tracked"), "v3");
    stage(&repo.join("untracked"), "v3");
    git(&["add", "tracked/Cargo.lock"]);
    git(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@e",
        "commit",
        "-q",
        "-m",
        "lock",
    ]);
    let head = git(&["rev-parse", "HEAD"]);
    let Some(store) = evidence_store(backend, tmp.path()) else {
        return;
    };
    let p = policy(tmp.path(), "p.toml", "");
    audit(
        &store,
        &p,
        ("acme", "app"),
        &repo.join("tracked"),
        day(2026, Month::October, 1),
        "push",
    );
    audit(
        &store,
        &p,
        ("acme", "app"),
        &repo.join("untracked"),
        day(2026, Month::October, 2),
        "push",
    );
    let r = report_json(&store, ("acme", "app"));
    let scans = r["scans"].as_array().unwrap();
    assert_eq!(
        (scans[0]["lockfile"].as_str(), scans[0]["commit"].as_str()),
        (Some("tracked/Cargo.lock"), Some(head.as_str()))
    );
    assert!(scans[1]["commit"].is_null(), "{}", scans[1]);
    assert!(r["period"]["timezone"] == "UTC");
}
