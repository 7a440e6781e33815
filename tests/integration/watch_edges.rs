//! `chainwarden watch` at its edges: broken evidence, failed deliveries, hostile delivery import
//! lines, and the advisory database refresh.

use std::path::Path;

use serde_json::Value;

use crate::common::{another_store, as_owner, cw, data, evidence_store, text, Backend};
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

/// `chainwarden --evidence STORE evidence ARGS`: exit code, stdout and stderr.
pub(crate) fn ev(store: &Path, args: &[&str]) -> (i32, String, String) {
    let out = cw()
        .arg("--evidence")
        .arg(store)
        .arg("evidence")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        text(&out.stdout),
        text(&out.stderr),
    )
}

/// The failed delivery is evidence, and web's watch run was recorded after its audit.
fn assert_failed_delivery_recorded(backend: Backend, store: &Path) {
    let failed = as_owner(
        backend,
        store,
        "SELECT COUNT(*) FROM deliveries WHERE project_id = 'web' AND outcome LIKE 'failed%'",
    );
    assert_eq!(failed, "1", "the failed delivery is evidence");
    let kinds = as_owner(
        backend,
        store,
        "SELECT kind FROM runs WHERE project_id = 'web' ORDER BY seq",
    );
    assert_eq!(kinds, "audit\nwatch");
}

crate::on_both_backends!(
    watch_refuses_broken_evidence_and_a_failed_delivery_is_exit_2_and_recorded,
    hostile_delivery_lines_are_refused_or_redacted,
    online_watch_refreshes_the_database_whatever_the_cache_age,
);

fn watch_refuses_broken_evidence_and_a_failed_delivery_is_exit_2_and_recorded(backend: Backend) {
    let Some(db) = data("advisory-db") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let Some(store) = evidence_store(backend, tmp.path()) else {
        return;
    };
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
    // No SQLite file; a PostgreSQL database set up but holding no run.
    let said = match backend {
        Backend::Sqlite => "no evidence store",
        Backend::Postgres => "no recorded audit to watch",
    };
    assert!(none.stderr.contains(said), "{}", none.stderr);
    for (name, dir) in [("web", &web), ("api", &api)] {
        let out = recorded_audit(&store, &env, (p, d), (name, dir), &[]);
        assert_eq!(out.code, 1, "{}", out.stderr);
    }
    // A scope that holds no run (a mistyped project) is not a passing watch.
    let mistyped = run(
        &store,
        &env,
        &[
            "--project",
            "wbe",
            "watch",
            "--offline",
            "--db",
            d,
            "--policy",
            p,
        ],
    );
    assert_eq!(mistyped.code, 2, "{}", mistyped.stdout);
    assert!(
        mistyped
            .stderr
            .contains("no recorded audit of project wbe to watch"),
        "{}",
        mistyped.stderr
    );
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
    as_owner(
        backend,
        &store,
        "UPDATE runs SET payload = replace(payload, '1.6.0', '1.6.1') WHERE project_id = 'api'",
    );
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
    assert_failed_delivery_recorded(backend, &store);
}

fn hostile_delivery_lines_are_refused_or_redacted(backend: Backend) {
    let Some(db) = data("advisory-db") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let Some(store) = evidence_store(backend, tmp.path()) else {
        return;
    };
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
        let fresh = another_store(backend, tmp.path(), &format!("fresh{i}"));
        let (code, _, stderr) = ev(
            &fresh,
            &["import", "--allow-unsigned", file.to_str().unwrap()],
        );
        assert_eq!(code, 2, "case {i}: {stderr}");
        assert!(
            stderr.contains(expected) && stderr.contains(":2"),
            "case {i}: {stderr}"
        );
        // A SQLite store is not created by an import that fails; a PostgreSQL one exists
        // already and keeps no row of it.
        if backend == Backend::Postgres || fresh.exists() {
            let runs = as_owner(backend, &fresh, "SELECT COUNT(*) FROM runs");
            assert_eq!(runs, "0", "case {i}: one bad line imports nothing");
        }
    }
    let fresh = another_store(backend, tmp.path(), "smuggled");
    a_token_smuggled_into_an_outcome_is_redacted(
        backend,
        (tmp.path(), &fresh),
        &run_line,
        &delivery_line,
    );
}

/// A token smuggled into an imported delivery's outcome is redacted before it is stored in
/// `fresh`.
fn a_token_smuggled_into_an_outcome_is_redacted(
    backend: Backend,
    (tmp, fresh): (&Path, &Path),
    run_line: &str,
    delivery_line: &str,
) {
    let token = format!("ghp_{}{}", "TESTtoken0123456789", "abcdefghijklmnopqr");
    let smuggled = delivery_line.replacen(
        "\"outcome\":\"created\"",
        &format!("\"outcome\":\"failed: {token}\""),
        1,
    );
    assert_ne!(smuggled, delivery_line);
    let file = tmp.join("smuggled.jsonl");
    std::fs::write(&file, format!("{run_line}\n{smuggled}\n")).unwrap();
    let (code, _, stderr) = ev(
        fresh,
        &["import", "--allow-unsigned", file.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{stderr}");
    let stored = as_owner(backend, fresh, "SELECT outcome FROM deliveries");
    assert!(
        stored.starts_with("failed: ") && !stored.contains(&token),
        "{stored}"
    );
}

fn online_watch_refreshes_the_database_whatever_the_cache_age(backend: Backend) {
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
    let Some(store) = evidence_store(backend, tmp.path()) else {
        return;
    };
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
