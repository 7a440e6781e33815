//! `audit --notify`: a loopback fake of the GitHub issues API and a webhook receiver that
//! checks the HMAC signature. Findings come from real advisories (the shared advisory-db)
//! against small lockfiles that pin known-vulnerable versions.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use hmac::{Hmac, Mac};
use serde_json::{json, Value};

use crate::common::{
    as_owner, cw, data, evidence_store, serve_http, text, Backend, Request, Response,
};

const NOW: &str = "2026-11-25T12:00:00Z";
/// A GitHub-shaped token, assembled at run time so that this file holds no token itself
/// (`secrets::this_repository_holds_no_secrets` scans the repository).
pub(crate) fn token() -> String {
    format!("ghp_{}{}", "TESTtoken0123456789", "abcdefghijklmnopqr")
}
pub(crate) const SECRET: &str = "webhook-secret-for-tests";

#[derive(Debug, Clone)]
pub(crate) struct Issue {
    pub(crate) number: u64,
    pub(crate) state: String,
    pub(crate) title: String,
    pub(crate) body: String,
    pub(crate) labels: Vec<String>,
    pub(crate) comments: Vec<String>,
}

/// A failure to answer: method, path prefix, status, headers.
type Injected = (String, String, u16, Vec<(String, String)>);

/// The fake GitHub: issues, a request log, and failures to inject before the next matching
/// requests (method, path prefix, status, headers).
#[derive(Default)]
pub(crate) struct GitHub {
    pub(crate) issues: Vec<Issue>,
    pub(crate) log: Vec<String>,
    pub(crate) inject: VecDeque<Injected>,
}

pub(crate) fn fake_github() -> (String, Arc<Mutex<GitHub>>) {
    let state = Arc::new(Mutex::new(GitHub::default()));
    let shared = state.clone();
    let url = serve_http(move |req| handle(&mut shared.lock().unwrap(), req));
    (url, state)
}

fn reply(status: u16, body: Value) -> Response {
    (status, Vec::new(), body.to_string().into_bytes())
}

fn handle(gh: &mut GitHub, req: &Request) -> Response {
    gh.log.push(format!("{} {}", req.method, req.path));
    if req.header("authorization") != Some(&format!("Bearer {}", token())) {
        return reply(401, json!({"message": "Bad credentials"}));
    }
    if let Some(pos) = gh
        .inject
        .iter()
        .position(|(m, p, _, _)| *m == req.method && req.path.starts_with(p.as_str()))
    {
        let (_, _, status, headers) = gh.inject.remove(pos).unwrap();
        return (status, headers, b"{\"message\":\"injected\"}".to_vec());
    }
    let Some(rest) = req.path.strip_prefix("/repos/acme/web/issues") else {
        return reply(404, json!({"message": "Not Found"}));
    };
    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let segments: Vec<&str> = rest.split('?').next().unwrap().split('/').collect();
    match (req.method.as_str(), segments.as_slice()) {
        ("GET", [""]) => {
            assert!(req.path.contains("labels=chainwarden"), "{}", req.path);
            let page: usize = req
                .path
                .split("page=")
                .last()
                .and_then(|p| p.parse().ok())
                .unwrap_or(1);
            let items: Vec<Value> = gh
                .issues
                .iter()
                .filter(|i| i.labels.iter().any(|l| l == "chainwarden"))
                .skip((page - 1) * 100)
                .take(100)
                .map(|i| json!({"number": i.number, "state": i.state, "title": i.title, "body": i.body}))
                .collect();
            reply(200, Value::Array(items))
        }
        ("POST", [""]) => {
            let number = gh.issues.len() as u64 + 1;
            gh.issues.push(Issue {
                number,
                state: "open".into(),
                title: body["title"].as_str().unwrap().into(),
                body: body["body"].as_str().unwrap().into(),
                labels: body["labels"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l.as_str().unwrap().to_string())
                    .collect(),
                comments: Vec::new(),
            });
            reply(201, json!({"number": number}))
        }
        ("POST", ["", n, "comments"]) => {
            let issue = &mut gh.issues[n.parse::<usize>().unwrap() - 1];
            issue.comments.push(body["body"].as_str().unwrap().into());
            reply(201, json!({"id": 1}))
        }
        ("PATCH", ["", n]) => {
            let issue = &mut gh.issues[n.parse::<usize>().unwrap() - 1];
            if let Some(s) = body["state"].as_str() {
                issue.state = s.into();
            }
            if let Some(b) = body["body"].as_str() {
                issue.body = b.into();
            }
            reply(200, json!({"number": issue.number}))
        }
        _ => reply(404, json!({"message": "Not Found"})),
    }
}

/// A project folder with a lockfile pinning `packages` (name, version) under one root.
pub(crate) fn project(dir: &Path, name: &str, packages: &[(&str, &str)]) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(&p).unwrap();
    let deps: Vec<String> = packages.iter().map(|(n, _)| format!("\"{n}\"")).collect();
    let mut lock = format!(
        "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [{}]\n",
        deps.join(", ")
    );
    for (n, v) in packages {
        lock.push_str(&format!(
            "\n[[package]]\nname = \"{n}\"\nversion = \"{v}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
        ));
    }
    std::fs::write(p.join("Cargo.lock"), lock).unwrap();
    p
}

/// A policy that skips the (online) yanked check, with extra TOML appended.
pub(crate) fn policy(dir: &Path, extra: &str) -> PathBuf {
    let p = dir.join(format!("policy-{}.toml", extra.len()));
    let body = format!("schema_version = 1\n[audit]\ncheck_yanked = false\n{extra}");
    std::fs::write(&p, body).unwrap();
    p
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn audit(project: &Path, policy: &Path, env: &[(&str, &str)], extra: &[&str]) -> Run {
    let db = data("advisory-db").unwrap();
    let mut cmd = cw();
    cmd.args(["audit", "--lockfile-only", "--now", NOW, "--db"])
        .arg(&db)
        .arg("--policy")
        .arg(policy)
        .args(extra)
        .arg(project);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap(),
        stdout: text(&out.stdout),
        stderr: text(&out.stderr),
    }
}

pub(crate) fn github_env(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("GITHUB_TOKEN", token()),
        ("GITHUB_API_URL", url.to_string()),
        ("CHAINWARDEN_NOTIFY_BUDGET", "20".to_string()),
    ]
}

pub(crate) fn as_refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

pub(crate) fn posts(gh: &GitHub) -> usize {
    gh.log
        .iter()
        .filter(|l| l.starts_with("POST") || l.starts_with("PATCH"))
        .count()
}

pub(crate) fn issue_for<'a>(gh: &'a GitHub, package: &str) -> &'a Issue {
    gh.issues
        .iter()
        .find(|i| i.title.contains(&format!(" {package} ")))
        .unwrap_or_else(|| panic!("no issue for {package}: {:#?}", gh.issues))
}

/// The issue opened for smallvec 1.6.0: its title, hidden markers, table rows and labels.
fn assert_smallvec_issue(smallvec: &Issue) {
    assert!(
        smallvec
            .title
            .starts_with("RUSTSEC-2021-0003: smallvec 1.6.0 (vulnerability) in -/web"),
        "{}",
        smallvec.title
    );
    assert!(smallvec.body.starts_with(
        "<!-- chainwarden:finding=-/web:vulnerability:RUSTSEC-2021-0003:smallvec@1.6.0 -->\n<!-- chainwarden:status=open -->"
    ), "{}", smallvec.body);
    for needle in [
        "| Severity | critical (9.8) |",
        "| Fix | upgrade to 1.6.1 (semver-compatible) |",
        "| Deadline | 2026-12-02 (7 days",
        "`app 0.1.0 → smallvec 1.6.0`",
        "| Advisory | https://rustsec.org/advisories/RUSTSEC-2021-0003 |",
    ] {
        assert!(
            smallvec.body.contains(needle),
            "{needle} missing from\n{}",
            smallvec.body
        );
    }
    for label in [
        "chainwarden",
        "security",
        "vulnerability",
        "severity:critical",
    ] {
        assert!(
            smallvec.labels.iter().any(|l| l == label),
            "{:?}",
            smallvec.labels
        );
    }
}

#[test]
fn github_issue_per_finding_once_commented_on_change_and_closed_when_fixed() {
    let Some(_) = data("advisory-db") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let before = project(
        tmp.path(),
        "before",
        &[("regex", "1.5.4"), ("smallvec", "1.6.0")],
    );
    let after = project(
        tmp.path(),
        "after",
        &[("regex", "1.5.4"), ("smallvec", "1.6.1")],
    );
    let plain = policy(tmp.path(), "");
    let (url, gh) = fake_github();
    let env = github_env(&url);
    let env = as_refs(&env);
    let notify = ["--project", "web", "--notify", "github:acme/web"];
    // A 5xx on the first listing and a 429 on the first create are retried.
    {
        let mut g = gh.lock().unwrap();
        g.inject
            .push_back(("GET".into(), "/repos/acme/web/issues".into(), 502, vec![]));
        g.inject.push_back((
            "POST".into(),
            "/repos/acme/web/issues".into(),
            429,
            vec![("Retry-After".into(), "1".into())],
        ));
    }

    let run = audit(&before, &plain, &env, &notify);
    assert_eq!(run.code, 1, "vulnerable, delivered: {}", run.stderr);
    assert!(!run.stderr.contains(&token()) && !run.stdout.contains(&token()));
    {
        let g = gh.lock().unwrap();
        assert_eq!(g.issues.len(), 2, "{:#?}", g.issues);
        assert_smallvec_issue(issue_for(&g, "smallvec"));
        assert!(issue_for(&g, "regex").title.contains("RUSTSEC-2022-0013"));
    }

    // A rerun changes nothing.
    let writes = posts(&gh.lock().unwrap());
    let run = audit(&before, &plain, &env, &notify);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(posts(&gh.lock().unwrap()), writes, "a rerun must not write");
    assert_eq!(gh.lock().unwrap().issues.len(), 2);

    // The regex finding becomes an accepted risk: one comment (after a secondary rate limit),
    // said once.
    let ignoring = policy(
        tmp.path(),
        "[[audit.ignore]]\nid = \"RUSTSEC-2022-0013\"\nreason = \"patterns are ours\"\napproved_by = \"sec@example.org\"\nexpires = 2026-12-31\n",
    );
    gh.lock().unwrap().inject.push_back((
        "POST".into(),
        "/repos/acme/web/issues/".into(),
        403,
        vec![("Retry-After".into(), "1".into())],
    ));
    for _ in 0..2 {
        let run = audit(&before, &ignoring, &env, &notify);
        assert_eq!(run.code, 1, "{}", run.stderr);
    }
    {
        let g = gh.lock().unwrap();
        let regex = issue_for(&g, "regex");
        assert_eq!(regex.comments.len(), 1, "{:?}", regex.comments);
        assert!(
            regex.comments[0].contains("from `open` to `ignored`"),
            "{:?}",
            regex.comments
        );
        assert_eq!(regex.state, "open");
    }

    // smallvec 1.6.1 fixes it: that issue is closed with a comment, the other left alone.
    for _ in 0..2 {
        let run = audit(&after, &ignoring, &env, &notify);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let g = gh.lock().unwrap();
    let smallvec = issue_for(&g, "smallvec");
    assert_eq!(smallvec.state, "closed");
    assert_eq!(
        smallvec.comments.len(),
        1,
        "closed once: {:?}",
        smallvec.comments
    );
    assert!(smallvec.comments[0].starts_with("Fixed: no longer found"));
    assert_eq!(issue_for(&g, "regex").state, "open");
    assert_eq!(g.issues.len(), 2, "never a duplicate");
    assert!(
        g.inject.is_empty(),
        "every injected failure was met and retried"
    );
}

pub(crate) type Received = Arc<Mutex<Vec<(Value, bool)>>>;

/// A webhook receiver: answers 503 to its first request, then records each body and whether
/// its signature verifies.
pub(crate) fn receiver() -> (String, Received) {
    let got: Received = Arc::default();
    let seen = got.clone();
    let first = Arc::new(Mutex::new(true));
    let url = serve_http(move |req| {
        if std::mem::take(&mut *first.lock().unwrap()) {
            return (503, vec![], vec![]);
        }
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(&req.body);
        let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        let valid = req.header("x-chainwarden-signature") == Some(expected.as_str());
        seen.lock()
            .unwrap()
            .push((serde_json::from_slice(&req.body).unwrap(), valid));
        (204, vec![], vec![])
    });
    (format!("{url}/hook"), got)
}

#[test]
fn webhook_is_signed_retried_and_a_failed_sink_does_not_stop_it() {
    let Some(_) = data("advisory-db") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let before = project(tmp.path(), "before", &[("smallvec", "1.6.0")]);
    let plain = policy(tmp.path(), "");
    let (gh_url, _gh) = fake_github();
    let (hook, got) = receiver();
    let mut env = github_env(&gh_url);
    env.push(("CHAINWARDEN_WEBHOOK_SECRET", SECRET.to_string()));
    let env = as_refs(&env);
    let sink = format!("webhook:{hook}");
    // The GitHub sink fails (no such repository); the webhook is still delivered; exit 2.
    let run = audit(
        &before,
        &plain,
        &env,
        &["--notify", "github:acme/missing", "--notify", &sink],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("github:acme/missing") && run.stderr.contains("failed"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(SECRET) && !run.stderr.contains(&token()));
    assert!(
        !run.stderr.contains("/hook"),
        "a webhook's path may be its secret: {}",
        run.stderr
    );
    {
        let got = got.lock().unwrap();
        assert_eq!(got.len(), 1, "one delivery after the 503");
        let (doc, valid) = &got[0];
        assert!(valid, "signature verifies");
        assert_eq!(doc["event"], "chainwarden.findings");
        assert_eq!(
            doc["batch"]["findings"][0]["id"],
            "-/-:vulnerability:RUSTSEC-2021-0003:smallvec@1.6.0"
        );
        assert_eq!(
            doc["batch"]["findings"][0]["fix"],
            "upgrade to 1.6.1 (semver-compatible)"
        );
    }
    // Slack-compatible text, signed too.
    let run = audit(
        &before,
        &plain,
        &env,
        &["--notify", &sink, "--notify-format", "slack"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let got = got.lock().unwrap();
    let (doc, valid) = &got[1];
    assert!(valid);
    let text = doc["text"].as_str().unwrap();
    assert!(
        text.contains("RUSTSEC-2021-0003 `smallvec 1.6.0` (vulnerability, critical)"),
        "{text}"
    );
}

#[test]
fn notification_failures_are_bounded_and_exit_2() {
    let Some(_) = data("advisory-db") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let before = project(tmp.path(), "before", &[("smallvec", "1.6.0")]);
    let plain = policy(tmp.path(), "");
    let (url, gh) = fake_github();
    // A rate limit asking for an hour is not waited for past the budget.
    gh.lock().unwrap().inject.push_back((
        "GET".into(),
        "/repos/acme/web/issues".into(),
        429,
        vec![("Retry-After".into(), "3600".into())],
    ));
    let env = github_env(&url);
    let env = as_refs(&env);
    let run = audit(&before, &plain, &env, &["--notify", "github:acme/web"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("would overrun the notification time budget"),
        "{}",
        run.stderr
    );
    // No token, no secret, a bad sink: exit 2, said plainly.
    let run = audit(
        &before,
        &plain,
        &[("GITHUB_API_URL", &url)],
        &["--notify", "github:acme/web"],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("GITHUB_TOKEN is not set"),
        "{}",
        run.stderr
    );
    let run = audit(
        &before,
        &plain,
        &[],
        &["--notify", "webhook:http://127.0.0.1:9/x"],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("CHAINWARDEN_WEBHOOK_SECRET is not set"),
        "{}",
        run.stderr
    );
    let run = audit(
        &before,
        &plain,
        &[],
        &["--notify", "webhook:http://example.org/x"],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("plain http"), "{}", run.stderr);
    assert!(gh.lock().unwrap().issues.is_empty());
}

/// Runs audit with `extra` and parses its JSON output.
fn audit_doc(project: &Path, policy: &Path, extra: &[&str]) -> (i32, Value) {
    let run = audit(project, policy, &[], extra);
    assert_ne!(run.code, 2, "{}", run.stderr);
    (run.code, serde_json::from_str(&run.stdout).unwrap())
}

fn states(doc: &Value, state: &str) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["baseline_state"] == state)
        .map(|f| {
            format!(
                "{} {}",
                f["advisory_id"].as_str().unwrap(),
                f["package"].as_str().unwrap()
            )
        })
        .collect()
}

/// Projects `main` (ripgrep of 2019) and `pr` (the same with whoami 1.4.0 added) under `tmp`.
fn main_and_pull_request(tmp: &Path, ripgrep: &Path) -> (PathBuf, PathBuf) {
    let lock = std::fs::read_to_string(ripgrep.join("Cargo.lock")).unwrap();
    assert!(!lock.contains("name = \"whoami\"") && lock.contains("\n[metadata]"));
    let main = tmp.join("main");
    let pr = tmp.join("pr");
    for (d, text) in [
        (&main, lock.clone()),
        (
            &pr,
            lock.replacen(
                "\n[metadata]",
                "\n[[package]]\nname = \"whoami\"\nversion = \"1.4.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[metadata]",
                1,
            ),
        ),
    ] {
        std::fs::create_dir_all(d).unwrap();
        std::fs::write(d.join("Cargo.lock"), text).unwrap();
    }
    (main, pr)
}

/// SARIF marks each result's `baselineState` against `baseline` (only whoami's is new), and
/// Markdown says it too.
fn assert_sarif_and_markdown_mark_the_new_finding(pr: &Path, plain: &Path, baseline: &[&str]) {
    let (_, sarif) = audit_doc(pr, plain, &[baseline, &["--format", "sarif"]].concat());
    for result in sarif["runs"][0]["results"].as_array().unwrap() {
        let expected = if result["ruleId"] == "RUSTSEC-2024-0020" {
            "new"
        } else {
            "unchanged"
        };
        assert_eq!(result["baselineState"], expected, "{result}");
    }
    let run = audit(
        pr,
        plain,
        &[],
        &[baseline, &["--format", "markdown"]].concat(),
    );
    assert!(
        run.stdout.contains("(new)") && run.stdout.contains("1 new,"),
        "{}",
        run.stdout
    );
}

#[test]
fn baseline_fails_a_pull_request_only_on_the_finding_it_introduces() {
    let Some(dir) = data("lockfiles/real-ripgrep-2019") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (main, pr) = main_and_pull_request(tmp.path(), &dir);
    let plain = policy(tmp.path(), "");
    let base_json = tmp.path().join("main.json");
    let (code, base) = audit_doc(&main, &plain, &["--format", "json"]);
    assert_eq!(code, 1, "ripgrep of 2019 has failing findings of its own");
    std::fs::write(&base_json, serde_json::to_string(&base).unwrap()).unwrap();
    let base_count = base["findings"].as_array().unwrap().len();
    assert!(base_count > 0);
    let baseline = ["--baseline", base_json.to_str().unwrap()];

    // main against its own baseline: vulnerable, yet nothing new, so --fail-on new passes.
    let run = audit(
        &main,
        &plain,
        &[],
        &[&baseline[..], &["--fail-on", "new"]].concat(),
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout.contains("  baseline: existing\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("0 new, {base_count} existing, 0 fixed")),
        "{}",
        run.stdout
    );

    // The pull request adds whoami 1.4.0: exit 1, because of that finding alone.
    let (code, doc) = audit_doc(
        &pr,
        &plain,
        &[&baseline[..], &["--fail-on", "new", "--format", "json"]].concat(),
    );
    assert_eq!(code, 1);
    assert_eq!(states(&doc, "new"), ["RUSTSEC-2024-0020 whoami"]);
    assert_eq!(states(&doc, "existing").len(), base_count);
    assert_eq!(doc["baseline"]["new"], 1);
    // The same change with whoami ignored by the policy passes: the gate is the new finding.
    let ignoring = policy(
        tmp.path(),
        "[[audit.ignore]]\nid = \"RUSTSEC-2024-0020\"\nreason = \"review pending\"\napproved_by = \"sec@example.org\"\nexpires = 2026-12-31\n",
    );
    let run = audit(
        &pr,
        &ignoring,
        &[],
        &[&baseline[..], &["--fail-on", "new"]].concat(),
    );
    assert_eq!(run.code, 0, "{}", run.stdout);

    assert_sarif_and_markdown_mark_the_new_finding(&pr, &plain, &baseline);

    // Reversed: against the pull request's findings, main has whoami fixed.
    let (_, pr_doc) = audit_doc(&pr, &plain, &["--format", "json"]);
    let pr_json = tmp.path().join("pr.json");
    std::fs::write(&pr_json, serde_json::to_string(&pr_doc).unwrap()).unwrap();
    let (_, doc) = audit_doc(
        &main,
        &plain,
        &["--baseline", pr_json.to_str().unwrap(), "--format", "json"],
    );
    let fixed = doc["baseline"]["fixed"].as_array().unwrap();
    assert_eq!(fixed.len(), 1, "{fixed:?}");
    assert_eq!(fixed[0]["package"], "whoami");
    let run = audit(
        &main,
        &plain,
        &[],
        &["--baseline", pr_json.to_str().unwrap()],
    );
    assert!(
        run.stdout
            .contains("fixed: vulnerability RUSTSEC-2024-0020 whoami 1.4.0"),
        "{}",
        run.stdout
    );

    // A hostile baseline (a duplicated key) or a missing one is bad input: exit 2, located.
    let dup = tmp.path().join("dup.json");
    std::fs::write(
        &dup,
        "{\"schema_version\": 1,\n \"findings\": [], \"findings\": []}",
    )
    .unwrap();
    let run = audit(&main, &plain, &[], &["--baseline", dup.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("dup.json:2:"), "{}", run.stderr);
    let run = audit(&main, &plain, &[], &["--fail-on", "new"]);
    assert_eq!(run.code, 2, "--fail-on new needs --baseline");
}

crate::on_both_backends!(
    baseline_last_run_comes_from_the_evidence_store,
    audit_notify_records_every_delivery_in_a_verified_chain,
);

fn baseline_last_run_comes_from_the_evidence_store(backend: Backend) {
    let Some(dir) = data("lockfiles/real-ripgrep-2019") else {
        return;
    };
    let db = data("advisory-db").unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let plain = policy(tmp.path(), "");
    let Some(store) = evidence_store(backend, tmp.path()) else {
        return;
    };
    let run = |now: &str, lockfile: &Path, extra: &[&str]| {
        let out = cw()
            .env("CHAINWARDEN_NO_RECORD", "false")
            .args([
                "audit",
                "--lockfile-only",
                "--project",
                "web",
                "--format",
                "json",
                "--now",
                now,
                "--db",
            ])
            .arg(&db)
            .arg("--policy")
            .arg(&plain)
            .arg("--evidence")
            .arg(&store)
            .args(extra)
            .arg(lockfile)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            text(&out.stdout),
            text(&out.stderr),
        )
    };
    let lock = dir.join("Cargo.lock");
    // Nothing recorded yet: no comparison, no pass.
    let (code, _, stderr) = run(
        "2026-11-20T00:00:00Z",
        &lock,
        &["--baseline", "last-run", "--fail-on", "new"],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("has no audit of this scope"), "{stderr}");
    // Record one audit, then the next run of the same scope compares with it.
    let (code, _, stderr) = run("2026-11-21T00:00:00Z", &lock, &[]);
    assert_eq!(code, 1, "{stderr}");
    let (code, stdout, stderr) = run(
        "2026-11-22T00:00:00Z",
        &lock,
        &["--baseline", "last-run", "--fail-on", "new"],
    );
    assert_eq!(code, 0, "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["baseline"]["new"], 0);
    assert!(doc["baseline"]["existing"].as_u64().unwrap() > 0);
    assert_eq!(doc["baseline"]["time"], "2026-11-21T00:00:00Z");
    // A recorded run edited in the store is no baseline: the gate refuses to run rather than
    // compare with what the chain does not vouch for.
    let emptied = match backend {
        Backend::Sqlite => "json_set(payload, '$.findings', json('[]'))",
        Backend::Postgres => "jsonb_set(payload::jsonb, '{findings}', '[]')::text",
    };
    as_owner(
        backend,
        &store,
        &format!("UPDATE runs SET payload = {emptied} WHERE seq = 2"),
    );
    let (code, _, stderr) = run(
        "2026-11-23T00:00:00Z",
        &lock,
        &["--baseline", "last-run", "--fail-on", "new"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("does not verify"), "{stderr}");
}

/// (project, sink, outcome, external id, advisory, attempts) of a stored delivery.
type DeliveryRow = (String, String, String, Option<String>, Option<String>, u32);

fn audit_notify_records_every_delivery_in_a_verified_chain(backend: Backend) {
    let Some(_) = data("advisory-db") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let before = project(tmp.path(), "before", &[("smallvec", "1.6.0")]);
    let plain = policy(tmp.path(), "");
    let Some(store) = evidence_store(backend, tmp.path()) else {
        return;
    };
    let (url, gh) = fake_github();
    let (hook, got) = receiver();
    let mut env = github_env(&url);
    env.push(("CHAINWARDEN_WEBHOOK_SECRET", SECRET.to_string()));
    env.push(("CHAINWARDEN_NO_RECORD", "false".to_string()));
    let env = as_refs(&env);
    let sink = format!("webhook:{hook}");
    let store_arg = store.to_str().unwrap();
    let args = [
        "--project",
        "web",
        "--evidence",
        store_arg,
        "--notify",
        "github:acme/web",
        "--notify",
        &sink,
    ];
    let run = audit(&before, &plain, &env, &args);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(gh.lock().unwrap().issues.len(), 1);
    assert_eq!(got.lock().unwrap().len(), 1);

    let rows: Vec<DeliveryRow> = as_owner(
        backend,
        &store,
        "SELECT project_id, sink, outcome, external_id, advisory_id, attempts FROM deliveries ORDER BY seq",
    )
    .lines()
    .map(|line| {
        let c: Vec<&str> = line.split('|').collect();
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        (
            c[0].into(),
            c[1].into(),
            c[2].into(),
            some(c[3]),
            some(c[4]),
            c[5].parse().unwrap(),
        )
    })
    .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].1, "github:acme/web");
    assert_eq!(
        (rows[0].2.as_str(), rows[0].3.as_deref()),
        ("created", Some("#1"))
    );
    assert_eq!(rows[0].4.as_deref(), Some("RUSTSEC-2021-0003"));
    assert_eq!(rows[0].5, 1);
    assert!(
        rows[1].1.starts_with("webhook:http://127.0.0.1"),
        "{rows:?}"
    );
    assert!(
        !rows[1].1.contains("/hook"),
        "a webhook's path is never stored"
    );
    // The receiver answered 503 once, then 204: two attempts.
    assert_eq!(
        (rows[1].2.as_str(), rows[1].3.as_deref(), rows[1].5),
        ("sent", Some("204"), 2)
    );
    assert!(rows.iter().all(|r| r.0 == "web"));

    let verify = |store: &Path| {
        let out = cw()
            .arg("evidence")
            .arg("verify")
            .arg("--evidence")
            .arg(store)
            .output()
            .unwrap();
        (out.status.code().unwrap(), text(&out.stdout))
    };
    let (code, stdout) = verify(&store);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("default/web: 2 notification deliveries verified"),
        "{stdout}"
    );
    // An edited delivery breaks the chain.
    as_owner(
        backend,
        &store,
        "UPDATE deliveries SET outcome = 'unchanged' WHERE seq = 1",
    );
    let (code, stdout) = verify(&store);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("delivery #1: its record hash does not match"),
        "{stdout}"
    );
}
