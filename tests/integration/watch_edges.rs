//! `chainwarden watch` at its edges: broken evidence, failed deliveries, hostile delivery import
//! lines, and the advisory database refresh.

use std::path::Path;

use serde_json::Value;

use crate::common::{cw, data, text};
use crate::notify::{as_refs, fake_github, github_env, policy, project};
use crate::watch::{run, Out};

/// A recorded `audit --lockfile-only` of `dir` as project `name` on 1 October; `extra` goes
/// before the project directory.
fn recorded_audit(
    store: &Path,
    env: &[(&str, &str)],
    (policy, db): (&str, &str),
    (name, dir): (&str, &Path),
    extra: &[&str],
) -> Out {
    let mut args = vec![
        "audit",
        "--lockfile-only",
        "--now",
        "2026-10-01",
        "--policy",
        policy,
        "--project",
        name,
        "--db",
        db,
    ];
    args.extend_from_slice(extra);
    args.push(dir.to_str().unwrap());
    run(store, env, &args)
}

/// `chainwarden --evidence STORE evidence ARGS`: exit code and stderr.
fn ev(store: &Path, args: &[&str]) -> (i32, String) {
    let out = cw()
        .arg("--evidence")
        .arg(store)
        .arg("evidence")
        .args(args)
        .output()
        .unwrap();
    (out.status.code().unwrap(), text(&out.stderr))
}

/// The failed delivery is evidence, and web's watch run was recorded after its audit.
fn assert_failed_delivery_recorded(conn: &rusqlite::Connection) {
    let failed: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM deliveries WHERE project_id = 'web' AND outcome LIKE 'failed%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(failed, 1, "the failed delivery is evidence");
    let kinds: Vec<String> = conn
        .prepare("SELECT kind FROM runs WHERE project_id = 'web' ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(kinds, ["audit", "watch"]);
}

#[test]
fn watch_refuses_broken_evidence_and_a_failed_delivery_is_exit_2_and_recorded() {
    let Some(db) = data("advisory-db") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("evidence.db");
    let plain = policy(tmp.path(), "");
    let web = project(tmp.path(), "web", &[("smallvec", "1.6.0")]);
    let api = project(tmp.path(), "api", &[("smallvec", "1.6.0")]);
    let (gh_url, _gh) = fake_github();
    let env = github_env(&gh_url);
    let env = as_refs(&env);
    let p = plain.to_str().unwrap();
    let d = db.to_str().unwrap();
    // Nothing recorded: nothing to watch.
    let none = run(
        &store,
        &env,
        &["watch", "--offline", "--db", d, "--policy", p],
    );
    assert_eq!(none.code, 2, "{}", none.stderr);
    assert!(none.stderr.contains("no evidence store"), "{}", none.stderr);
    for (name, dir) in [("web", &web), ("api", &api)] {
        let out = recorded_audit(&store, &env, (p, d), (name, dir), &[]);
        assert_eq!(out.code, 1, "{}", out.stderr);
    }
    // --notify needs the network.
    let offline = run(
        &store,
        &env,
        &[
            "watch",
            "--offline",
            "--db",
            d,
            "--notify",
            "github:acme/web",
        ],
    );
    assert_eq!(offline.code, 2);
    // api's recorded run is edited: api is not evaluated, web is; exit 2.
    let conn = rusqlite::Connection::open(&store).unwrap();
    conn.execute(
        "UPDATE runs SET payload = replace(payload, '1.6.0', '1.6.1') WHERE project_id = 'api'",
        [],
    )
    .unwrap();
    let out = run(
        &store,
        &env,
        &[
            "watch",
            "--now",
            "2026-10-02",
            "--policy",
            p,
            "--db",
            d,
            "--notify",
            "github:acme/missing",
        ],
    );
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(
            "default/api: NOT EVALUATED: evidence store: evidence of default/api does not verify"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("-/web github:acme/missing *: failed"),
        "{}",
        out.stdout
    );
    assert_failed_delivery_recorded(&conn);
}

#[test]
fn hostile_delivery_lines_are_refused_or_redacted() {
    let Some(db) = data("advisory-db") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("evidence.db");
    let plain = policy(tmp.path(), "");
    let web = project(tmp.path(), "web", &[("smallvec", "1.6.0")]);
    let (gh_url, _gh) = fake_github();
    let env = github_env(&gh_url);
    let env = as_refs(&env);
    let out = recorded_audit(
        &store,
        &env,
        (plain.to_str().unwrap(), db.to_str().unwrap()),
        ("web", &web),
        &["--notify", "github:acme/web"],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let export = tmp.path().join("e.jsonl");
    assert_eq!(
        ev(&store, &["export", "--output", export.to_str().unwrap()]).0,
        0
    );
    let text_in = std::fs::read_to_string(&export).unwrap();
    let (run_line, delivery_line) = {
        let mut lines = text_in.lines();
        (
            lines.next().unwrap().to_string(),
            lines.next().unwrap().to_string(),
        )
    };
    assert!(delivery_line.starts_with("{\"delivery\":"), "{text_in}");
    let run_member = run_line.get("{\"run\":".len()..run_line.len() - 1).unwrap();
    let delivery_member = delivery_line
        .get("{\"delivery\":".len()..delivery_line.len() - 1)
        .unwrap();
    let cases = [
        (
            format!("{{\"run\":{run_member},\"delivery\":{delivery_member}}}"),
            "exactly one of `run` and `delivery`",
        ),
        (
            "{\"signature\":null}".to_string(),
            "exactly one of `run` and `delivery`",
        ),
        (
            delivery_line.replacen("\"sink\":", "\"sink\":\"x\",\"sink\":", 1),
            "duplicate",
        ),
        (
            delivery_line.replacen("\"attempts\":", "\"extra\":1,\"attempts\":", 1),
            "unknown field",
        ),
        (
            delivery_line.replacen("\"tenant_id\":\"default\"", "\"tenant_id\":\"../x\"", 1),
            "not a valid id",
        ),
        (
            delivery_line.replacen("\"outcome\":\"created\"", "\"outcome\":\"delivered\"", 1),
            "outcome \"delivered\" is not a delivery outcome",
        ),
    ];
    for (i, (line, expected)) in cases.iter().enumerate() {
        let file = tmp.path().join(format!("bad{i}.jsonl"));
        std::fs::write(&file, format!("{run_line}\n{line}\n")).unwrap();
        let fresh = tmp.path().join(format!("fresh{i}.db"));
        let (code, stderr) = ev(
            &fresh,
            &["import", "--allow-unsigned", file.to_str().unwrap()],
        );
        assert_eq!(code, 2, "case {i}: {stderr}");
        assert!(
            stderr.contains(expected) && stderr.contains(":2"),
            "case {i}: {stderr}"
        );
        if fresh.exists() {
            let runs: i64 = rusqlite::Connection::open(&fresh)
                .unwrap()
                .query_row("SELECT COUNT(*) FROM runs", [], |r| r.get(0))
                .unwrap();
            assert_eq!(runs, 0, "case {i}: one bad line imports nothing");
        }
    }
    a_token_smuggled_into_an_outcome_is_redacted(tmp.path(), &run_line, &delivery_line);
}

/// A token smuggled into an imported delivery's outcome is redacted before it is stored.
fn a_token_smuggled_into_an_outcome_is_redacted(tmp: &Path, run_line: &str, delivery_line: &str) {
    let token = format!("ghp_{}{}", "TESTtoken0123456789", "abcdefghijklmnopqr");
    let smuggled = delivery_line.replacen(
        "\"outcome\":\"created\"",
        &format!("\"outcome\":\"failed: {token}\""),
        1,
    );
    assert_ne!(smuggled, delivery_line);
    let file = tmp.join("smuggled.jsonl");
    std::fs::write(&file, format!("{run_line}\n{smuggled}\n")).unwrap();
    let fresh = tmp.join("smuggled.db");
    let (code, stderr) = ev(
        &fresh,
        &["import", "--allow-unsigned", file.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{stderr}");
    let stored: String = rusqlite::Connection::open(&fresh)
        .unwrap()
        .query_row("SELECT outcome FROM deliveries", [], |r| r.get(0))
        .unwrap();
    assert!(
        stored.starts_with("failed: ") && !stored.contains(&token),
        "{stored}"
    );
}

#[test]
fn online_watch_refreshes_the_database_whatever_the_cache_age() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let Some(db) = data("advisory-db") else {
        return;
    };
    let hits = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let url = crate::common::serve(move |path| {
        if path == "/advisory-db.tar.gz" {
            counter.fetch_add(1, Ordering::SeqCst);
            (200, crate::db::good_archive().to_vec())
        } else {
            (404, Vec::new())
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("evidence.db");
    let plain = policy(tmp.path(), "");
    let web = project(tmp.path(), "web", &[("smallvec", "1.6.0")]);
    let cache = tmp.path().join("cache");
    let archive = format!("{url}/advisory-db.tar.gz");
    let env = [
        ("CHAINWARDEN_CACHE_DIR", cache.to_str().unwrap()),
        ("CHAINWARDEN_ADVISORY_DB_URL", archive.as_str()),
    ];
    let out = run(
        &store,
        &env,
        &[
            "audit",
            "--lockfile-only",
            "--now",
            "2026-11-25T10:00:00Z",
            "--policy",
            plain.to_str().unwrap(),
            "--project",
            "web",
            "--db",
            db.to_str().unwrap(),
            web.to_str().unwrap(),
        ],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    for (i, now) in ["2026-11-25T11:00:00Z", "2026-11-25T12:00:00Z"]
        .iter()
        .enumerate()
    {
        let out = run(&store, &env, &["watch", "--now", now, "--format", "json"]);
        assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
        assert_eq!(
            hits.load(Ordering::SeqCst),
            i + 1,
            "a fresh download every watch"
        );
        let doc: Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(doc["database"]["advisory_count"], 1225);
    }
    // Offline, the cache as it is.
    let out = run(
        &store,
        &env,
        &["watch", "--offline", "--now", "2026-11-25T13:00:00Z"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    // A refresh that fails is a failed watch, not a watch with old data.
    let broken = [
        ("CHAINWARDEN_CACHE_DIR", cache.to_str().unwrap()),
        (
            "CHAINWARDEN_ADVISORY_DB_URL",
            "http://127.0.0.1:9/advisory-db.tar.gz",
        ),
        ("CHAINWARDEN_HTTP_ATTEMPTS", "1"),
        ("CHAINWARDEN_HTTP_TIMEOUT", "2"),
    ];
    let out = run(&store, &broken, &["watch", "--now", "2026-11-25T14:00:00Z"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}
