//! The evidence store around the report: signed export and import (checked with stock
//! OpenSSH), hostile import lines, run identity under concurrency, the default store
//! location, signed reports, the organisation view, far dates, and the HTML in a browser.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{another_store, as_owner, cw, data, evidence_store, fixture, text, Backend};
use crate::report::{audit, cwe, day, report, report_json, report_with, stage};
use serde_json::Value;
use time::{Duration, Month};

fn keygen(dir: &Path, name: &str) -> PathBuf {
    let key = dir.join(name);
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    key
}

fn allowed(dir: &Path, who: &str, key: &Path) -> PathBuf {
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let file = dir.join(format!("allowed-{who}"));
    let fields: Vec<&str> = public.split_whitespace().take(2).collect();
    std::fs::write(&file, format!("{who} {}\n", fields.join(" "))).unwrap();
    file
}

/// Four daily audits of acme/app in a store of `backend` (`None`: no server, skipped).
fn small_store_on(dir: &Path, backend: Backend) -> Option<PathBuf> {
    let store = evidence_store(backend, dir)?;
    let policy = dir.join("p.toml");
    std::fs::write(&policy, crate::report::POLICY).unwrap();
    let app = dir.join("app");
    for i in 0..4 {
        stage(&app, if i < 2 { "v2" } else { "v3" });
        audit(
            &store,
            &policy,
            ("acme", "app"),
            &app,
            day(2026, Month::October, 1) + Duration::days(i),
            "schedule",
        );
    }
    Some(store)
}

fn import(store: &Path, file: &Path, extra: &[&str]) -> std::process::Output {
    cwe(store)
        .args(["evidence", "import"])
        .args(extra)
        .arg(file)
        .output()
        .unwrap()
}

crate::on_both_backends!(signed_exports_verify_with_openssh_and_import_only_when_trusted);

fn signed_exports_verify_with_openssh_and_import_only_when_trusted(backend: Backend) {
    if data("advisory-db").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let Some(store) = small_store_on(tmp.path(), backend) else {
        return;
    };
    let key = keygen(tmp.path(), "auditor");
    let export = tmp.path().join("export.jsonl");
    let out = cwe(&store)
        .args(["evidence", "export", "--sign-key"])
        .arg(&key)
        .arg("--output")
        .arg(&export)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<String> = std::fs::read_to_string(&export)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(lines.len(), 4);
    let trusted = allowed(tmp.path(), "auditor@acme", &key);
    a_signed_line_verifies_with_openssh(tmp.path(), &trusted, &lines[0]);
    // The imports go to another store of the same backend.
    let other = another_store(backend, tmp.path(), "other");
    a_trusted_import_is_idempotent_and_reports_the_same((&store, &other), &trusted, &export);
    let fresh = another_store(backend, tmp.path(), "fresh");
    untrusted_lines_are_refused((&store, &fresh), tmp.path(), &trusted, &export, &lines);
}

/// Stock OpenSSH checks a line: the signature covers the exact bytes of its `run`.
fn a_signed_line_verifies_with_openssh(dir: &Path, trusted: &Path, line: &str) {
    let v: Value = serde_json::from_str(line).unwrap();
    let run = line
        .get("{\"run\":".len()..line.rfind(",\"signature\":").unwrap())
        .unwrap();
    std::fs::write(dir.join("line.sig"), v["signature"].as_str().unwrap()).unwrap();
    let mut verify = Command::new("ssh-keygen")
        .args([
            "-Y",
            "verify",
            "-n",
            "chainwarden-evidence",
            "-I",
            "auditor@acme",
            "-f",
        ])
        .arg(trusted)
        .arg("-s")
        .arg(dir.join("line.sig"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    verify
        .stdin
        .take()
        .unwrap()
        .write_all(run.as_bytes())
        .unwrap();
    assert!(
        verify.wait_with_output().unwrap().status.success(),
        "ssh-keygen -Y verify accepts the line"
    );
}

/// Trusted: imported into `other`, twice idempotent, same report.
fn a_trusted_import_is_idempotent_and_reports_the_same(
    (store, other): (&Path, &Path),
    trusted: &Path,
    export: &Path,
) {
    for expected in [
        "imported 4 run(s), 0 already present",
        "imported 0 run(s), 4 already present",
    ] {
        let out = cwe(other)
            .args(["evidence", "import", "--trusted-signers"])
            .arg(trusted)
            .arg(export)
            .output()
            .unwrap();
        assert!(
            text(&out.stderr).contains(expected),
            "{}",
            text(&out.stderr)
        );
    }
    let a = report_json(store, ("acme", "app"));
    let b = report_json(other, ("acme", "app"));
    assert_eq!(a["findings"], b["findings"]);
    assert_eq!(b["integrity"]["signed_imports"], 4);
}

/// An edited line (verdict flipped, payload digest recomputed) is refused with its line;
/// unsigned lines when signers are required, a stranger's key, and no flag at all, too (all
/// imports into `fresh`).
fn untrusted_lines_are_refused(
    (store, fresh): (&Path, &Path),
    dir: &Path,
    trusted: &Path,
    export: &Path,
    lines: &[String],
) {
    let mut edited = lines.to_vec();
    let mut v: Value = serde_json::from_str(&edited[0]).unwrap();
    assert_eq!(v["run"]["payload"]["verdict"], "fail");
    v["run"]["payload"]["verdict"] = "pass".into();
    let payload = v["run"]["payload"].to_string();
    v["run"]["payload_sha256"] = crate::report::sha256_hex_str(&payload).into();
    edited[0] = v.to_string();
    let bad = dir.join("edited.jsonl");
    std::fs::write(&bad, edited.join("\n")).unwrap();
    let out = cwe(fresh)
        .args(["evidence", "import", "--trusted-signers"])
        .arg(trusted)
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("edited.jsonl:1:1: signature refused"),
        "{}",
        text(&out.stderr)
    );
    // Unsigned lines are refused when signers are required; a stranger's key too.
    let unsigned = dir.join("unsigned.jsonl");
    let out = cwe(store)
        .args(["evidence", "export", "--output"])
        .arg(&unsigned)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = cwe(fresh)
        .args(["evidence", "import", "--trusted-signers"])
        .arg(trusted)
        .arg(&unsigned)
        .output()
        .unwrap();
    assert!(
        text(&out.stderr).contains("unsigned.jsonl:1:1: unsigned line"),
        "{}",
        text(&out.stderr)
    );
    let stranger = keygen(dir, "stranger");
    let out = cwe(fresh)
        .args(["evidence", "import", "--trusted-signers"])
        .arg(allowed(dir, "s", &stranger))
        .arg(export)
        .output()
        .unwrap();
    assert!(
        text(&out.stderr).contains(
            "export.jsonl:1:1: signature refused: signed by a key that is not in the trusted signers"
        ),
        "{}",
        text(&out.stderr)
    );
    // Without either flag, import refuses to run.
    let out = cwe(fresh)
        .args(["evidence", "import"])
        .arg(&unsigned)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

crate::on_both_backends!(
    hostile_import_lines_are_refused_or_escaped,
    far_dates_are_refused_not_panicked_on,
    the_html_report_renders_in_a_real_browser,
    the_html_report_prints_to_pdf_with_every_column,
);

fn hostile_import_lines_are_refused_or_escaped(backend: Backend) {
    if data("advisory-db").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let Some(store) = small_store_on(tmp.path(), backend) else {
        return;
    };
    let out = cwe(&store).args(["evidence", "export"]).output().unwrap();
    let line = text(&out.stdout).lines().next().unwrap().to_string();
    let write = |name: &str, edit: &dyn Fn(&mut Value)| {
        let mut v: Value = serde_json::from_str(&line).unwrap();
        edit(&mut v);
        let payload = v["run"]["payload"].to_string();
        v["run"]["payload_sha256"] = crate::report::sha256_hex_str(&payload).into();
        let p = tmp.path().join(name);
        std::fs::write(&p, format!("{v}\n")).unwrap();
        p
    };
    let target = another_store(backend, tmp.path(), "refused");
    for bad in ["", "acme\nx", "../acme", &"a".repeat(10_000)] {
        let f = write("scope.jsonl", &|v| v["run"]["tenant_id"] = bad.into());
        let out = import(&target, &f, &["--allow-unsigned"]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(
            text(&out.stderr).contains("scope.jsonl:1:1: tenant_id"),
            "{}",
            text(&out.stderr)
        );
    }
    // HTML in the time is refused; HTML in free text (exception reason and expiry from the
    // recorded policy) is imported and escaped in the HTML report.
    let f = write("time.jsonl", &|v| {
        v["run"]["time"] = "<img src=x onerror=alert(1)>".into();
        v["run"]["payload"]["time"] = "<img src=x onerror=alert(1)>".into();
    });
    let out = import(&target, &f, &["--allow-unsigned"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    if backend == Backend::Postgres || target.exists() {
        let runs = as_owner(backend, &target, "SELECT COUNT(*) FROM runs");
        assert_eq!(runs, "0", "a refused line imports nothing");
    }
    let f = write("html.jsonl", &|v| {
        v["run"]["run_id"] = "0123456789abcdef0123456789abcdef".into();
        v["run"]["policy"]["exceptions"][0]["expires"] = "<script>alert(1)</script>".into();
        v["run"]["policy"]["exceptions"][0]["reason"] = "<img src=x onerror=alert(2)>".into();
        // A commit id whose 12th byte is inside `é`: the Markdown shortens it by characters.
        v["run"]["git_commit"] = "0123456789aé€|x".into();
    });
    let target = another_store(backend, tmp.path(), "html");
    let out = import(&target, &f, &["--allow-unsigned"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let html = report(&target, ("acme", "app"), "html");
    assert!(
        !html.contains("<script") && !html.contains("<img"),
        "{html}"
    );
    assert!(html.contains("&#60;script&#62;alert(1)"), "{html}");
    let md = report(&target, ("acme", "app"), "markdown");
    assert!(md.contains("commits scanned: `0123456789aé`"), "{md}");
    // --tenant/--project are honoured by import and export.
    let all = tmp.path().join("all.jsonl");
    std::fs::write(&all, text(&out.stdout)).unwrap();
    let export = cwe(&store)
        .args(["--tenant", "other", "evidence", "export"])
        .output()
        .unwrap();
    assert_eq!(text(&export.stdout), "", "no run of tenant other");
    let f = write("plain.jsonl", &|_| {});
    let out = import(
        &another_store(backend, tmp.path(), "other"),
        &f,
        &["--allow-unsigned", "--tenant", "other"],
    );
    assert!(
        text(&out.stderr)
            .contains("imported 0 run(s), 0 already present, 1 of other scopes skipped"),
        "{}",
        text(&out.stderr)
    );
}

crate::on_both_backends!(eight_identical_concurrent_runs_are_eight_runs);

fn eight_identical_concurrent_runs_are_eight_runs(backend: Backend) {
    let Some(db) = data("advisory-db") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let Some(store) = evidence_store(backend, tmp.path()) else {
        return;
    };
    let bin = env!("CARGO_BIN_EXE_chainwarden");
    let children: Vec<_> = (0..8)
        .map(|_| {
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
                .args(["--now", "2026-10-01T06:00:00Z"])
                .arg(fixture("evidence/v2"))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert_eq!(c.wait().unwrap().code(), Some(1));
    }
    let out = cw()
        .env("CHAINWARDEN_EVIDENCE", &store)
        .args(["evidence", "verify"])
        .output()
        .unwrap();
    assert!(
        text(&out.stdout).contains("ok      acme/app: 8 run(s), chain head #8"),
        "{}",
        text(&out.stdout)
    );
}

crate::on_both_backends!(
    an_import_of_interleaved_scopes_chains_each_in_order_and_stores_each_inventory_once
);

/// An import appends in batches (one transaction per scope and up to 64 runs) and sends an
/// inventory once per connection: the chains must still follow the file's order, overlaps
/// must be skipped run by run, and each tenant must get its own inventory rows.
fn an_import_of_interleaved_scopes_chains_each_in_order_and_stores_each_inventory_once(
    backend: Backend,
) {
    if data("advisory-db").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let source = tmp.path().join("source.db");
    let policy = tmp.path().join("p.toml");
    std::fs::write(&policy, crate::report::POLICY).unwrap();
    let app = tmp.path().join("app");
    // acme/app and acme/api alternate day by day (two lockfile versions: two inventories);
    // beta/web audits the same first version (the same inventory digest, another tenant).
    for i in 0..6 {
        stage(&app, if i < 3 { "v2" } else { "v3" });
        let project = if i % 2 == 0 { "app" } else { "api" };
        let d = day(2026, Month::October, 1) + Duration::days(i);
        audit(&source, &policy, ("acme", project), &app, d, "schedule");
        if i == 0 {
            audit(&source, &policy, ("beta", "web"), &app, d, "schedule");
        }
    }
    let export = |store: &Path| {
        let out = cwe(store).args(["evidence", "export"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let all = export(&source);
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(lines.len(), 7);
    let (part, whole) = (tmp.path().join("part.jsonl"), tmp.path().join("all.jsonl"));
    std::fs::write(&part, format!("{}\n{}\n", lines[0], lines[1])).unwrap();
    std::fs::write(&whole, &all).unwrap();
    let Some(target) = evidence_store(backend, &tmp.path().join("target")) else {
        return;
    };
    for (file, said) in [
        (&part, "imported 2 run(s), 0 already present"),
        (&whole, "imported 5 run(s), 2 already present"),
        (&whole, "imported 0 run(s), 7 already present"),
    ] {
        let out = import(&target, file, &["--allow-unsigned"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains(said), "{}", text(&out.stderr));
    }
    // The same runs in the same chain positions with the same hashes: the same export.
    assert_eq!(export(&target), all);
    let out = cwe(&target).args(["evidence", "verify"]).output().unwrap();
    let listed = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{listed}");
    for scope in [
        "acme/api: 3 run(s)",
        "acme/app: 3 run(s)",
        "beta/web: 1 run(s)",
    ] {
        assert!(listed.contains(&format!("ok      {scope}")), "{listed}");
    }
    // Two distinct inventories; on PostgreSQL rows are per tenant, so beta has its own.
    let rows = as_owner(backend, &target, "SELECT count(*) FROM inventories");
    assert_eq!(rows, if backend == Backend::Sqlite { "2" } else { "3" });
}

#[test]
fn audit_records_outside_the_project_by_default() {
    let Some(db) = data("advisory-db") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    stage(&project, "v3");
    let home = tmp.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let out = cw()
        .env_remove("CHAINWARDEN_NO_RECORD")
        .env("HOME", &home)
        .args(["audit", "--offline", "--lockfile-only", "--db"])
        .arg(&db)
        .arg(&project)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let expected = home.join(".local/share/chainwarden/evidence.db");
    assert!(expected.is_file());
    assert_eq!(
        std::fs::read_dir(&project).unwrap().count(),
        1,
        "only Cargo.lock in the project"
    );
    assert!(
        text(&out.stderr).contains(&format!("in {}", expected.display())),
        "{}",
        text(&out.stderr)
    );
}

fn far_dates_are_refused_not_panicked_on(backend: Backend) {
    let Some(db) = data("advisory-db") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let Some(store) = evidence_store(backend, tmp.path()) else {
        return;
    };
    let out = cw()
        .env("CHAINWARDEN_EVIDENCE", &store)
        .args(["report", "--quarter", "9999-Q4"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("9999-12-31"),
        "{}",
        text(&out.stderr)
    );
    let out = cwe(&store)
        .args([
            "audit",
            "--offline",
            "--lockfile-only",
            "--now",
            "9999-09-01",
            "--db",
        ])
        .arg(&db)
        .arg(fixture("evidence/v1"))
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(1 | 2)),
        "{}",
        text(&out.stderr)
    );
    let out = cw()
        .env("CHAINWARDEN_EVIDENCE", &store)
        .args([
            "report",
            "--quarter",
            "9999-Q3",
            "--now",
            "9999-12-31",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 2)),
        "{}",
        text(&out.stderr)
    );
    if out.status.code() == Some(0) {
        let r: Value = serde_json::from_str(&text(&out.stdout)).unwrap();
        assert!(r["findings"][0]["due"].is_string() || r["findings"][0]["due"].is_null());
    }
}

crate::on_both_backends!(signed_reports_and_the_organisation_view);

fn signed_reports_and_the_organisation_view(backend: Backend) {
    if data("advisory-db").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let Some(store) = small_store_on(tmp.path(), backend) else {
        return;
    };
    let policy = tmp.path().join("p.toml");
    audit(
        &store,
        &policy,
        ("acme", "web"),
        &tmp.path().join("app"),
        day(2026, Month::October, 2),
        "schedule",
    );
    a_signed_report_verifies_with_openssh(tmp.path(), &store);
    the_organisation_view_lists_every_project(&store);
}

/// `--sign-key`: stock OpenSSH checks the report's signature.
fn a_signed_report_verifies_with_openssh(dir: &Path, store: &Path) {
    let key = keygen(dir, "lead");
    let out_file = dir.join("report.md");
    report_with(
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
            "--output",
            out_file.to_str().unwrap(),
            "--sign-key",
            key.to_str().unwrap(),
        ],
    );
    let ok = Command::new("ssh-keygen")
        .args([
            "-Y",
            "verify",
            "-n",
            "chainwarden-report",
            "-I",
            "lead@acme",
        ])
        .arg("-f")
        .arg(allowed(dir, "lead@acme", &key))
        .arg("-s")
        .arg(dir.join("report.md.sig"))
        .stdin(std::fs::File::open(&out_file).unwrap())
        .output()
        .unwrap();
    assert!(ok.status.success(), "{}", text(&ok.stderr));
}

/// `--all-projects`: one row per project, totals that add up, each project's report.
fn the_organisation_view_lists_every_project(store: &Path) {
    let org = |format: &str| {
        report_with(
            store,
            &[
                "--tenant",
                "acme",
                "report",
                "--all-projects",
                "--quarter",
                "2026-Q4",
                "--now",
                "2027-01-05",
                "--format",
                format,
            ],
        )
    };
    let doc: Value = serde_json::from_str(&org("json")).unwrap();
    let projects = doc["projects"].as_array().unwrap();
    let names: Vec<&str> = projects
        .iter()
        .map(|p| p["project_id"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["app", "web"]);
    let sum: u64 = projects
        .iter()
        .map(|p| p["findings"].as_u64().unwrap())
        .sum();
    assert_eq!(doc["totals"]["findings"].as_u64(), Some(sum));
    let html = org("html");
    assert_eq!(html.matches("<article class=\"project\">").count(), 2);
}

fn the_html_report_renders_in_a_real_browser(backend: Backend) {
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
    let Some(store) = small_store_on(tmp.path(), backend) else {
        return;
    };
    let html = tmp.path().join("report.html");
    std::fs::write(&html, report(&store, ("acme", "app"), "html")).unwrap();
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
            "--window-size=1280,2400",
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

fn the_html_report_prints_to_pdf_with_every_column(backend: Backend) {
    let Some(browser) = ["chromium", "chromium-browser"].into_iter().find(|b| {
        Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        crate::common::skip("no chromium on this machine (apt-get install chromium)");
        return;
    };
    if Command::new("pdftotext").arg("-v").output().is_err() {
        crate::common::skip("no pdftotext on this machine (apt-get install poppler-utils)");
        return;
    }
    if data("advisory-db").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let Some(store) = small_store_on(tmp.path(), backend) else {
        return;
    };
    let html = tmp.path().join("report.html");
    std::fs::write(&html, report(&store, ("acme", "app"), "html")).unwrap();
    let pdf = tmp.path().join("report.pdf");
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    assert!(pdf.is_file(), "no PDF: {}", text(&out.stderr));
    let out = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let printed = text(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    // Every column of the widest tables made it onto the page (none cut at the margin).
    for column in [
        "Advisory",
        "Kind",
        "Crate",
        "Lockfile",
        "Severity",
        "First seen",
        "Due",
        "Fixed",
        "SLA",
        "VEX",
        "Requested by",
        "Approved by",
        "Approved on",
        "Expires",
        "Compensating control",
        "Reason",
        "Status",
        "DB age (days)",
        "Policy",
        "Verdict",
        "Findings",
    ] {
        assert!(
            printed.contains(column),
            "{column} missing from the PDF:\n{printed}"
        );
    }
}
