//! Network failures, as a user meets them: the yanked check against a registry that cannot be
//! reached (nothing listening, a server that never answers, a time limit) stays bounded and
//! says so in one line; a failed download names its cause and the ways out. Every server is
//! on 127.0.0.1.

use std::path::Path;

use serde_json::Value;

use crate::common::{cw, data, serve, serve_raw, text};

/// A 127.0.0.1 port with nothing listening (bound, then released).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `audit --format json` of real-ripgrep-2019 (75 crates) with the yanked check against
/// `index_url`.
fn audit_with_index(index_url: &str, env: &[(&str, &str)]) -> Option<(Value, String)> {
    let db = data("advisory-db")?;
    let lock = data("lockfiles/real-ripgrep-2019")?;
    let cache = tempfile::tempdir().unwrap();
    let mut cmd = cw();
    cmd.env("CHAINWARDEN_CRATES_INDEX_URL", index_url)
        .env("CHAINWARDEN_CACHE_DIR", cache.path());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        .args(["audit", "--lockfile-only", "--format", "json", "--db"])
        .arg(&db)
        .arg(&lock)
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_ne!(out.status.code(), Some(2), "{stderr}");
    Some((serde_json::from_slice(&out.stdout).unwrap(), stderr))
}

/// The notes about the yanked check: exactly one, short.
fn yanked_note(report: &Value) -> String {
    let notes: Vec<&str> = report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .filter(|n| n.contains("yanked"))
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].len() < 250, "{}", notes[0]);
    assert_eq!(report["settings"]["yanked_checked"], false);
    notes[0].to_string()
}

#[test]
fn yanked_check_gives_up_on_a_port_with_nothing_listening() {
    let port = closed_port();
    let Some((report, stderr)) = audit_with_index(&format!("http://127.0.0.1:{port}/"), &[]) else {
        return;
    };
    assert_eq!(
        yanked_note(&report),
        format!("yanked check skipped: 127.0.0.1:{port} unreachable (cannot connect: connection refused); use --offline to skip it")
    );
    // Not a terminal: no progress drawn, nothing else said.
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn yanked_check_gives_up_on_a_server_that_never_answers() {
    let stall = serve_raw(|_| {
        std::thread::sleep(std::time::Duration::from_secs(20));
        Vec::new()
    });
    let Some((report, _)) = audit_with_index(
        &stall,
        &[
            ("CHAINWARDEN_HTTP_TIMEOUT", "1"),
            ("CHAINWARDEN_HTTP_ATTEMPTS", "1"),
        ],
    ) else {
        return;
    };
    let port = stall.rsplit(':').next().unwrap();
    assert_eq!(
        yanked_note(&report),
        format!("yanked check skipped: 127.0.0.1:{port} unreachable (timed out); use --offline to skip it")
    );
}

#[test]
fn yanked_check_stops_at_its_time_limit() {
    // Answers, but slower than the whole check may take.
    let slow = serve(|_| {
        std::thread::sleep(std::time::Duration::from_secs(3));
        (404, Vec::new())
    });
    let Some((report, _)) = audit_with_index(&slow, &[("CHAINWARDEN_YANKED_TIMEOUT", "1")]) else {
        return;
    };
    let note = yanked_note(&report);
    assert!(
        note.starts_with("yanked check stopped at its time limit of 1 s after 0 of ")
            && note.ends_with("use --offline to skip it"),
        "{note}"
    );
}

#[test]
fn yanked_check_names_crates_the_registry_failed_on() {
    // Reachable, but every answer is a server error: not "unreachable", so every crate is
    // tried; one line names the first few.
    let broken = serve(|_| (503, Vec::new()));
    let Some((report, _)) = audit_with_index(&broken, &[("CHAINWARDEN_HTTP_ATTEMPTS", "1")]) else {
        return;
    };
    let note = yanked_note(&report);
    let total = report["inventory"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            p["source"]
                .as_str()
                .is_some_and(|s| s.starts_with("registry+"))
        })
        .map(|p| p["name"].as_str().unwrap())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    assert!(total > 10, "{total}");
    assert!(
        note.starts_with(&format!(
            "yanked check incomplete: {total} of {total} crates could not be looked up in 127.0.0.1:"
        )) && note.contains(": HTTP 503;")
            && note.ends_with(&format!("; {} more)", total - 3)),
        "{note}"
    );
}

/// `db update --url URL`: exit 2 and the error line.
fn update_error(url: &str) -> String {
    let cache = tempfile::tempdir().unwrap();
    let out = cw()
        .env("CHAINWARDEN_HTTP_TIMEOUT", "2")
        .env("CHAINWARDEN_HTTP_ATTEMPTS", "1")
        .args(["db", "update", "--url", url, "--cache-dir"])
        .arg(cache.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    text(&out.stderr)
}

#[test]
fn download_errors_name_the_cause_once_with_the_url_and_the_ways_out() {
    let port = closed_port();
    let url = format!("http://127.0.0.1:{port}/db.tar.gz");
    let err = update_error(&url);
    assert!(
        err.starts_with(&format!("error: network: {url}: connection refused by 127.0.0.1:{port} (nothing is listening there")),
        "{err}"
    );
    assert_eq!(err.matches(&url).count(), 1, "the URL once: {err}");
    for way_out in [
        "--db DIR",
        "chainwarden db update --url URL",
        "CHAINWARDEN_ADVISORY_DB_URL",
        "--offline",
    ] {
        assert!(err.contains(way_out), "{way_out}: {err}");
    }

    // TLS spoken to a plain HTTP server.
    let plain = serve(|_| (200, b"hello".to_vec()));
    let tls_url = format!("{}/db.tar.gz", plain.replace("http://", "https://"));
    let err = update_error(&tls_url);
    assert!(
        err.contains(&format!("{tls_url}: TLS handshake failed: ")),
        "{err}"
    );

    // An HTTP status, with its reason.
    let missing = serve(|_| (404, Vec::new()));
    let err = update_error(&format!("{missing}/db.tar.gz"));
    assert!(err.contains(": HTTP 404 Not Found\n"), "{err}");
}

#[test]
fn the_default_database_path_says_how_to_get_a_database() {
    let Some(lock) = data("lockfiles/real-ripgrep-2019") else {
        return;
    };
    let port = closed_port();
    let cache = tempfile::tempdir().unwrap();
    let out = cw()
        .env("CHAINWARDEN_CACHE_DIR", cache.path())
        .env(
            "CHAINWARDEN_ADVISORY_DB_URL",
            format!("http://127.0.0.1:{port}/main.tar.gz"),
        )
        .env("CHAINWARDEN_HTTP_ATTEMPTS", "1")
        .args(["audit", "--lockfile-only"])
        .arg(Path::new(&lock))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("connection refused"), "{err}");
    assert!(
        err.contains("help: use a local copy with --db DIR") && err.contains("--offline"),
        "{err}"
    );
}

/// The environment's settings are read by clap and checked before anything runs: a value that
/// does not parse is exit 2 naming its variable. Before, garbage was ignored silently, and
/// seconds that parse as a float but overflow a duration (`inf`, `1e300`) panicked.
#[test]
fn a_setting_from_the_environment_that_does_not_parse_is_exit_2_naming_it() {
    let cache = tempfile::tempdir().unwrap();
    let lock = crate::common::fixture("evidence/v1/Cargo.lock");
    let db = cache.path().join("no-db");
    let audit_online = [
        "audit",
        "--db",
        db.to_str().unwrap(),
        lock.to_str().unwrap(),
    ];
    let notify = ["--notify", "github:acme/app"];
    let update = ["db", "update", "--url", "http://127.0.0.1:9/x.tar.gz"];
    let cases: &[(&str, &str, Vec<&str>)] = &[
        ("CHAINWARDEN_HTTP_TIMEOUT", "inf", update.to_vec()),
        ("CHAINWARDEN_HTTP_TIMEOUT", "1e300", update.to_vec()),
        ("CHAINWARDEN_HTTP_ATTEMPTS", "-1", update.to_vec()),
        ("CHAINWARDEN_DB_MAX_BYTES", "64M", update.to_vec()),
        ("CHAINWARDEN_YANKED_TIMEOUT", "1e300", audit_online.to_vec()),
        (
            "CHAINWARDEN_NOTIFY_BUDGET",
            "inf",
            [&audit_online[..], &notify[..]].concat(),
        ),
    ];
    for (variable, value, args) in cases {
        let out = cw()
            .env("CHAINWARDEN_CACHE_DIR", cache.path())
            .env(variable, value)
            .args(args)
            .output()
            .unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{variable}={value}: {stderr}");
        assert!(
            stderr.contains(&format!("error: {variable}: `{value}`")),
            "{variable}={value}: {stderr}"
        );
        assert!(
            !stderr.contains("internal error"),
            "{variable}={value}: {stderr}"
        );
    }
    // Set but empty is unset, as it always was: the default applies and the command runs on.
    let out = cw()
        .env("CHAINWARDEN_CACHE_DIR", cache.path())
        .env("CHAINWARDEN_HTTP_TIMEOUT", "")
        .args(["db", "status"])
        .output()
        .unwrap();
    assert!(
        text(&out.stderr).contains("no cached database at"),
        "{}",
        text(&out.stderr)
    );
}
