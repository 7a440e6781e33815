//! `chainwarden watch` end to end: backfilled runs over two scopes, a second advisory-db
//! snapshot (the shared one plus an advisory written here against a crate of a recorded
//! inventory), the loopback GitHub and webhook receivers of the notify suite.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::common::{cw, data, evidence_store, text, Backend};
use crate::notify::{
    as_refs, fake_github, github_env, policy, posts, project, receiver, GitHub, Received, SECRET,
};

/// The advisory this suite publishes, against `itoa` (which the shared database has none for).
const NEW_ADVISORY: &str = r#"```toml
[advisory]
id = "RUSTSEC-2026-0901"
package = "itoa"
cvss = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
date = "2026-10-05"
url = "https://example.org/itoa-advisory"
categories = ["memory-corruption"]

[versions]
patched = [">= 1.0.2"]
```

# Out-of-bounds write in itoa::Buffer::format

Written for chainwarden's tests: published after the projects' last audits.
"#;

/// A copy of the shared advisory database with [`NEW_ADVISORY`] added.
fn second_snapshot(dir: &Path) -> PathBuf {
    let src = data("advisory-db").unwrap();
    let dst = dir.join("advisory-db-2");
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(&src)
        .arg(&dst)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::create_dir_all(dst.join("crates/itoa")).unwrap();
    std::fs::write(dst.join("crates/itoa/RUSTSEC-2026-0901.md"), NEW_ADVISORY).unwrap();
    dst
}

pub(crate) struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs chainwarden with the store, the policy and the notification environment.
pub(crate) fn run(store: &Path, env: &[(&str, &str)], args: &[&str]) -> Out {
    let mut cmd = cw();
    cmd.env("CHAINWARDEN_NO_RECORD", "false")
        .arg("--evidence")
        .arg(store)
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    Out {
        code: out.status.code().unwrap(),
        stdout: text(&out.stdout),
        stderr: text(&out.stderr),
    }
}

fn issue<'a>(gh: &'a GitHub, advisory: &str, scope: &str) -> &'a crate::notify::Issue {
    let found: Vec<_> = gh
        .issues
        .iter()
        .filter(|i| i.title.starts_with(advisory) && i.title.ends_with(&format!(" in {scope}")))
        .collect();
    assert_eq!(found.len(), 1, "{advisory} in {scope}: {:#?}", gh.issues);
    found[0]
}

/// (sink kind, finding, outcome) of every stored delivery.
/// Every recorded delivery as (sink kind, finding id, outcome), read through `evidence
/// export` so the same assertion holds on either backend.
fn deliveries(store: &Path) -> Vec<(String, String, String)> {
    let out = cw()
        .args(["evidence", "export", "--evidence"])
        .arg(store)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .filter_map(|line| {
            let doc: Value = serde_json::from_str(line).unwrap();
            let d = doc.get("delivery")?;
            let sink = d["sink"].as_str().unwrap();
            Some((
                sink.split(':').next().unwrap().to_string(),
                d["finding_id"].as_str().unwrap().to_string(),
                d["outcome"].as_str().unwrap().to_string(),
            ))
        })
        .collect()
}

pub(crate) struct Scenario {
    pub tmp: tempfile::TempDir,
    pub store: PathBuf,
    pub policy: PathBuf,
    pub db2: PathBuf,
}

/// Watch 1: nothing new; the audit's smallvec finding gets its issue (GitHub issues follow
/// every current finding), the webhook hears nothing.
fn first_watch_finds_nothing_new(w1: &Out, gh: &Mutex<GitHub>) {
    assert_eq!(w1.code, 0, "{}\n{}", w1.stdout, w1.stderr);
    let doc: Value = serde_json::from_str(&w1.stdout).unwrap();
    assert_eq!(doc["scopes"].as_array().unwrap().len(), 2, "{doc:#}");
    assert!(doc["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["new"].as_array().unwrap().is_empty()));
    assert_eq!(gh.lock().unwrap().issues.len(), 1);
}

/// Watch 2: the new advisory is new in both scopes; it fails their policy: exit 1.
fn second_watch_finds_the_new_advisory(w2: &Out, gh: &Mutex<GitHub>) {
    assert_eq!(w2.code, 1, "{}\n{}", w2.stdout, w2.stderr);
    let doc: Value = serde_json::from_str(&w2.stdout).unwrap();
    for s in doc["scopes"].as_array().unwrap() {
        let new = s["new"].as_array().unwrap();
        assert_eq!(new.len(), 1, "{s:#}");
        assert_eq!(new[0]["advisory_id"], "RUSTSEC-2026-0901");
        assert_eq!(new[0]["published"], "2026-10-05");
        assert_eq!(s["fails"], true);
        assert!(s["run_id"].as_str().is_some());
    }
    let g = gh.lock().unwrap();
    assert_eq!(g.issues.len(), 3, "{:#?}", g.issues);
    let body = &issue(&g, "RUSTSEC-2026-0901", "-/web").body;
    assert!(
        body.contains("| Crate | `itoa 1.0.1` |") || body.contains("`itoa 1.0.1`"),
        "{body}"
    );
    assert!(
        !body.contains("Dependency paths"),
        "watch re-resolves no graph: {body}"
    );
    issue(&g, "RUSTSEC-2026-0901", "-/api");
}

/// Watch 3, after api's upgrade: nothing new, and api's finding listed as fixed.
fn third_watch_lists_api_fixed(w3: &Out) {
    assert_eq!(w3.code, 0, "nothing new: {}\n{}", w3.stdout, w3.stderr);
    let doc: Value = serde_json::from_str(&w3.stdout).unwrap();
    let api_scope = doc["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["project_id"] == "api")
        .unwrap();
    assert_eq!(
        api_scope["fixed"][0]["advisory_id"], "RUSTSEC-2026-0901",
        "{doc:#}"
    );
}

/// Two scopes audited on 1 October with the shared database, three watch runs (2, 10 and 15
/// October), the second against the snapshot with the new advisory, `api` upgraded on the
/// 12th. Returns the scenario's files for the report tests.
pub(crate) fn scenario(
    gh: &Arc<Mutex<GitHub>>,
    gh_url: &str,
    hook: &str,
    backend: Backend,
) -> Option<Scenario> {
    let db1 = data("advisory-db")?;
    let tmp = tempfile::tempdir().unwrap();
    let store = evidence_store(backend, tmp.path())?;
    let db2 = second_snapshot(tmp.path());
    let plain = policy(
        tmp.path(),
        "[subscription]\nmax_detection_days = 7\nnotify = [\"github\", \"webhook\"]\n",
    );
    let web = project(
        tmp.path(),
        "web",
        &[("smallvec", "1.6.0"), ("itoa", "1.0.1")],
    );
    let api = project(
        tmp.path(),
        "api",
        &[("itoa", "1.0.1"), ("serde", "1.0.100")],
    );
    let api_fixed = project(
        tmp.path(),
        "api-fixed",
        &[("itoa", "1.0.2"), ("serde", "1.0.100")],
    );
    let mut env = github_env(gh_url);
    env.push(("CHAINWARDEN_WEBHOOK_SECRET", SECRET.to_string()));
    let env = as_refs(&env);
    let policy_arg = plain.to_str().unwrap().to_string();
    let audit = |now: &str, name: &str, dir: &Path, db: &Path| {
        let out = run(
            &store,
            &env,
            &[
                "audit",
                "--lockfile-only",
                "--now",
                now,
                "--policy",
                &policy_arg,
                "--project",
                name,
                "--db",
                db.to_str().unwrap(),
                dir.to_str().unwrap(),
            ],
        );
        assert!(out.code < 2, "{}", out.stderr);
    };
    let sink = format!("webhook:{hook}");
    let watch = |now: &str, db: &Path| {
        run(
            &store,
            &env,
            &[
                "watch",
                "--now",
                now,
                "--policy",
                &policy_arg,
                "--db",
                db.to_str().unwrap(),
                "--format",
                "json",
                "--notify",
                "github:acme/web",
                "--notify",
                &sink,
            ],
        )
    };
    audit("2026-10-01T09:00:00Z", "web", &web, &db1);
    audit("2026-10-01T09:05:00Z", "api", &api, &db1);

    first_watch_finds_nothing_new(&watch("2026-10-02T06:00:00Z", &db1), gh);
    second_watch_finds_the_new_advisory(&watch("2026-10-10T06:00:00Z", &db2), gh);
    // api upgrades itoa; watch 3 closes its issue and tells the webhook it is fixed.
    audit("2026-10-12T09:00:00Z", "api", &api_fixed, &db2);
    third_watch_lists_api_fixed(&watch("2026-10-15T06:00:00Z", &db2));
    Some(Scenario {
        tmp,
        store,
        policy: plain,
        db2,
    })
}

crate::on_both_backends!(three_watch_runs_over_two_scopes_notify_each_new_finding_once_per_sink);

fn three_watch_runs_over_two_scopes_notify_each_new_finding_once_per_sink(backend: Backend) {
    let (gh_url, gh) = fake_github();
    let (hook, got) = receiver();
    let Some(s) = scenario(&gh, &gh_url, &hook, backend) else {
        return;
    };
    let writes = posts(&gh.lock().unwrap());
    issues_follow_the_findings_and_the_webhook_hears_each_once(&gh, &got);
    a_rerun_writes_nothing(&s, &gh, &gh_url, &hook, &got, writes);
    every_delivery_is_verified_evidence(&s);
    let doc = the_report_tells_the_subscription_story(&s, &gh);
    deliveries_survive_export_and_import(&s, &doc);
    a_pull_request_fails_only_on_what_it_adds(&s);
    drop(s.tmp);
}

/// After the scenario: one issue per finding and scope, api's closed; the webhook told of
/// each new finding once and of the fix.
fn issues_follow_the_findings_and_the_webhook_hears_each_once(gh: &Mutex<GitHub>, got: &Received) {
    {
        let g = gh.lock().unwrap();
        assert_eq!(g.issues.len(), 3, "never a duplicate: {:#?}", g.issues);
        let fixed = issue(&g, "RUSTSEC-2026-0901", "-/api");
        assert_eq!(fixed.state, "closed");
        assert!(
            fixed.comments[0].starts_with("Fixed: no longer found"),
            "{:?}",
            fixed.comments
        );
        assert_eq!(issue(&g, "RUSTSEC-2026-0901", "-/web").state, "open");
        assert_eq!(issue(&g, "RUSTSEC-2021-0003", "-/web").state, "open");
    }
    {
        // The receiver answers 503 once (retried): watch 2 posted each scope's new finding,
        // watch 3 the fixed one.
        let got = got.lock().unwrap();
        assert!(got.iter().all(|(_, valid)| *valid), "every body is signed");
        let new: Vec<&str> = got
            .iter()
            .flat_map(|(d, _)| d["batch"]["findings"].as_array().unwrap())
            .map(|f| f["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            new,
            [
                "-/api:vulnerability:RUSTSEC-2026-0901:itoa@1.0.1",
                "-/web:vulnerability:RUSTSEC-2026-0901:itoa@1.0.1"
            ],
            "each new finding once"
        );
        assert_eq!(got.len(), 3, "{got:#?}");
        assert_eq!(
            got[2].0["batch"]["fixed"][0],
            "-/api:vulnerability:RUSTSEC-2026-0901:itoa@1.0.1"
        );
    }
}

fn a_rerun_writes_nothing(
    s: &Scenario,
    gh: &Mutex<GitHub>,
    gh_url: &str,
    hook: &str,
    got: &Received,
    writes: usize,
) {
    // A rerun of the last watch writes nothing anywhere.
    let mut env = github_env(gh_url);
    env.push(("CHAINWARDEN_WEBHOOK_SECRET", SECRET.to_string()));
    let env = as_refs(&env);
    let sink = format!("webhook:{hook}");
    let again = run(
        &s.store,
        &env,
        &[
            "watch",
            "--now",
            "2026-10-16T06:00:00Z",
            "--policy",
            s.policy.to_str().unwrap(),
            "--db",
            s.db2.to_str().unwrap(),
            "--notify",
            "github:acme/web",
            "--notify",
            &sink,
        ],
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stdout.starts_with("watch at 2026-10-16T06:00:00Z: advisory database ")
            && again.stdout.contains("): 2 finding(s), 0 new\n")
            && again.stdout.contains("): 0 finding(s), 0 new\n")
            && again.stdout.contains(
                "  -/web github:acme/web -/web:vulnerability:RUSTSEC-2021-0003:smallvec@1.6.0: unchanged (#1)\n"
            ),
        "{}",
        again.stdout
    );
    assert_eq!(posts(&gh.lock().unwrap()), writes, "a rerun must not write");
    assert_eq!(got.lock().unwrap().len(), 3);
}

fn every_delivery_is_verified_evidence(s: &Scenario) {
    // Every delivery is evidence: each new finding created once per sink, the fix recorded.
    let rows = deliveries(&s.store);
    let count = |sink: &str, finding: &str, outcome: &str| {
        rows.iter()
            .filter(|r| r.0 == sink && r.1 == finding && r.2 == outcome)
            .count()
    };
    for scope in ["-/web", "-/api"] {
        let id = format!("{scope}:vulnerability:RUSTSEC-2026-0901:itoa@1.0.1");
        assert_eq!(count("github", &id, "created"), 1, "{rows:#?}");
        assert_eq!(count("webhook", &id, "sent"), 1, "{rows:#?}");
    }
    let api_id = "-/api:vulnerability:RUSTSEC-2026-0901:itoa@1.0.1";
    assert_eq!(count("github", api_id, "closed"), 1, "{rows:#?}");
    assert_eq!(count("webhook", api_id, "sent (fixed)"), 1, "{rows:#?}");
    let verify = cw()
        .arg("evidence")
        .arg("verify")
        .arg("--evidence")
        .arg(&s.store)
        .output()
        .unwrap();
    let out = text(&verify.stdout);
    assert_eq!(verify.status.code(), Some(0), "{out}");
    assert!(
        out.contains("default/web: 7 run(s)") || out.contains("default/web:"),
        "{out}"
    );
    assert!(out.contains("notification deliveries verified"), "{out}");
}

/// The quarterly report of `web` after the scenario; returns its JSON document.
fn the_report_tells_the_subscription_story(s: &Scenario, gh: &Mutex<GitHub>) -> Value {
    // The report's subscription section: latencies, first notifications, breaches.
    let report = |format: &str| {
        let out = cw()
            .args([
                "report",
                "--quarter",
                "2026-Q4",
                "--project",
                "web",
                "--now",
                "2026-10-20",
                "--format",
                format,
                "--evidence",
            ])
            .arg(&s.store)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let doc: Value = serde_json::from_str(&report("json")).unwrap();
    let sub = &doc["subscription"];
    assert_eq!(sub["max_detection_days"], 7, "{sub:#}");
    assert_eq!(sub["notify"], serde_json::json!(["github", "webhook"]));
    assert_eq!(sub["watch_runs"], 4);
    // Watches detect; they are not scans of the lockfile for coverage.
    assert_eq!(doc["summary"]["audit_runs"], 1, "{:#}", doc["summary"]);
    assert_eq!(doc["summary"]["verify_runs"], 0);
    let row = |advisory: &str| {
        sub["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["advisory_id"] == advisory)
            .unwrap_or_else(|| panic!("{advisory}: {sub:#}"))
            .clone()
    };
    let itoa = row("RUSTSEC-2026-0901");
    assert_eq!(itoa["published"], "2026-10-05");
    assert_eq!(itoa["first_detected"], "2026-10-10T06:00:00Z");
    assert_eq!(itoa["detected_by"], "watch");
    assert_eq!(itoa["detection_days"], 5);
    let told: Vec<&str> = itoa["first_notified"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["sink"].as_str().unwrap())
        .collect();
    assert_eq!(told.len(), 2, "{itoa:#}");
    assert_eq!(told[0], "github:acme/web");
    assert!(told[1] == "webhook:http://127.0.0.1/…", "{itoa:#}");
    assert_eq!(
        itoa["first_notified"][0]["external_id"],
        format!(
            "#{}",
            issue(&gh.lock().unwrap(), "RUSTSEC-2026-0901", "-/web").number
        )
    );
    let smallvec = row("RUSTSEC-2021-0003");
    assert_eq!(smallvec["detected_by"], "audit");
    assert_eq!(smallvec["published"], "2021-01-08");
    assert_eq!(smallvec["first_notified"][0]["external_id"], "#1");
    // smallvec's advisory was 5 years old when first detected, and no webhook was told of it
    // (it was never new to a watch): both are deviations; the timely itoa finding is none.
    let devs: Vec<(String, String)> = doc["deviations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] == "late-detection" || d["kind"] == "not-notified")
        .map(|d| {
            (
                d["kind"].as_str().unwrap().to_string(),
                d["subject"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(devs.len(), 2, "{devs:#?}");
    assert!(
        devs.iter().all(|(_, s)| s.contains("RUSTSEC-2021-0003")),
        "{devs:#?}"
    );
    let md = report("markdown");
    assert!(md.contains("## Subscription"), "{md}");
    assert!(
        md.contains("| 2026-10-05 | 2026-10-10T06:00:00Z (watch `"),
        "{md}"
    );
    assert!(
        md.contains("| 5 day(s) | github:acme/web 2026-10-10T06:00:00Z (#"),
        "{md}"
    );
    let html = report("html");
    assert!(
        html.contains("<h2>Subscription</h2>") && html.contains("<td class=\"num\">5 day(s)</td>"),
        "{html}"
    );
    doc
}

fn deliveries_survive_export_and_import(s: &Scenario, doc: &Value) {
    // Deliveries travel with the runs through export and import (the shipped workflows move
    // evidence as artifacts): the imported store's report tells the same subscription story.
    let export = s.tmp.path().join("export.jsonl");
    let ev = crate::watch_edges::ev;
    let (code, _, stderr) = ev(&s.store, &["export", "--output", export.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let exported = std::fs::read_to_string(&export).unwrap();
    assert!(
        exported.lines().any(|l| l.starts_with("{\"delivery\":")),
        "{exported}"
    );
    let copy = s.tmp.path().join("copy.db");
    for (round, expected) in [
        (1, "delivery(ies) (0 already present)"),
        (2, "0 delivery(ies)"),
    ] {
        let (code, _, stderr) = ev(
            &copy,
            &["import", "--allow-unsigned", export.to_str().unwrap()],
        );
        assert_eq!(code, 0, "{stderr}");
        assert!(stderr.contains(expected), "round {round}: {stderr}");
    }
    let imported = cw()
        .args([
            "report",
            "--quarter",
            "2026-Q4",
            "--project",
            "web",
            "--now",
            "2026-10-20",
            "--format",
            "json",
            "--evidence",
        ])
        .arg(&copy)
        .output()
        .unwrap();
    let imported: Value = serde_json::from_slice(&imported.stdout).unwrap();
    let strip = |v: &Value| {
        let mut rows = v["subscription"]["rows"].clone();
        for r in rows.as_array_mut().unwrap() {
            for n in r["first_notified"].as_array_mut().unwrap() {
                n.as_object_mut().unwrap().remove("run_id");
            }
        }
        rows
    };
    assert_eq!(strip(&imported), strip(doc), "same rows after import");
    // A delivery naming a run the export does not hold imports nothing.
    let forged = s.tmp.path().join("forged.jsonl");
    let line = exported
        .lines()
        .find(|l| l.starts_with("{\"delivery\":"))
        .unwrap();
    let run_id = serde_json::from_str::<Value>(line).unwrap()["delivery"]["run_id"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::write(&forged, line.replace(&run_id, &"0".repeat(32))).unwrap();
    let fresh = s.tmp.path().join("fresh.db");
    let (code, _, stderr) = ev(
        &fresh,
        &["import", "--allow-unsigned", forged.to_str().unwrap()],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("forged.jsonl:1")
            && stderr.contains("neither in this export nor in the store"),
        "{stderr}"
    );
}

fn a_pull_request_fails_only_on_what_it_adds(s: &Scenario) {
    // A PR-style audit of web against its last recorded run fails only on what it adds.
    let pr = project(
        s.tmp.path(),
        "web-pr",
        &[("smallvec", "1.6.0"), ("itoa", "1.0.1"), ("regex", "1.5.4")],
    );
    let web_now = project(
        s.tmp.path(),
        "web-now",
        &[("smallvec", "1.6.0"), ("itoa", "1.0.1")],
    );
    let pr_audit = |dir: &Path| {
        let out = run(
            &s.store,
            &[],
            &[
                "--no-record",
                "audit",
                "--lockfile-only",
                "--now",
                "2026-10-20T09:00:00Z",
                "--policy",
                s.policy.to_str().unwrap(),
                "--project",
                "web",
                "--db",
                s.db2.to_str().unwrap(),
                "--format",
                "json",
                "--baseline",
                "last-run",
                "--fail-on",
                "new",
                dir.to_str().unwrap(),
            ],
        );
        let doc: Value = serde_json::from_str(&out.stdout).unwrap_or(Value::Null);
        (out.code, doc, out.stderr)
    };
    let (code, doc, stderr) = pr_audit(&web_now);
    assert_eq!(
        code, 0,
        "itoa and smallvec fail the policy but are not new: {stderr}"
    );
    assert_eq!(doc["baseline"]["new"], 0, "{doc:#}");
    let (code, doc, stderr) = pr_audit(&pr);
    assert_eq!(code, 1, "{stderr}");
    let new: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["baseline_state"] == "new")
        .map(|f| f["advisory_id"].as_str().unwrap())
        .collect();
    assert_eq!(new, ["RUSTSEC-2022-0013"], "{doc:#}");
    assert_eq!(
        doc["failures"][0],
        "1 new finding(s) fail the policy (--fail-on new)"
    );
}
