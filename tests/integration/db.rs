//! The advisory database cache: `chainwarden db update|status`, refresh rules, and failures
//! that must leave the previous database intact. Archives are served from 127.0.0.1.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use crate::common::{cw, data, serve, serve_raw, text};

const COMMIT: &str = "bf5c0d245a92671908518d7e765914d437954ed6";
/// 2026-08-21T06:28:40Z, the snapshot's commit time.
const COMMIT_TIME: u64 = 1_787_293_720;

fn header(path: &[u8], size: u64, kind: tar::EntryType) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.as_mut_bytes()[..path.len()].copy_from_slice(path);
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(COMMIT_TIME);
    h.set_entry_type(kind);
    h.set_cksum();
    h
}

fn add_dir(builder: &mut tar::Builder<impl std::io::Write>, root: &Path, dir: &Path) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            add_dir(builder, root, &p);
        } else {
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().to_string();
            let bytes = std::fs::read(&p).unwrap();
            let name = format!("advisory-db-main/{rel}");
            builder
                .append(
                    &header(name.as_bytes(), bytes.len() as u64, tar::EntryType::Regular),
                    &bytes[..],
                )
                .unwrap();
        }
    }
}

/// A `git archive`-style tarball of the shared snapshot, plus an optional extra member.
fn archive(extra: Option<(&str, &[u8])>) -> Vec<u8> {
    let db = data("advisory-db").unwrap();
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut b = tar::Builder::new(gz);
    let pax = format!("52 comment={COMMIT}\n");
    b.append(
        &header(
            b"pax_global_header",
            pax.len() as u64,
            tar::EntryType::XGlobalHeader,
        ),
        pax.as_bytes(),
    )
    .unwrap();
    b.append(
        &header(b"advisory-db-main/", 0, tar::EntryType::Directory),
        &[][..],
    )
    .unwrap();
    for sub in ["crates", "rust"] {
        add_dir(&mut b, &db, &db.join(sub));
    }
    if let Some((name, body)) = extra {
        b.append(
            &header(name.as_bytes(), body.len() as u64, tar::EntryType::Regular),
            body,
        )
        .unwrap();
    }
    b.into_inner().unwrap().finish().unwrap()
}

pub(crate) fn good_archive() -> &'static [u8] {
    static A: OnceLock<Vec<u8>> = OnceLock::new();
    A.get_or_init(|| archive(None))
}

fn db_cmd(cache: &Path, url: &str) -> assert_cmd::Command {
    let mut c = cw();
    c.env("CHAINWARDEN_CACHE_DIR", cache)
        .env("CHAINWARDEN_ADVISORY_DB_URL", url)
        .env("CHAINWARDEN_HTTP_TIMEOUT", "2")
        .env("CHAINWARDEN_HTTP_ATTEMPTS", "1");
    c
}

fn status_commit(cache: &Path) -> String {
    let out = db_cmd(cache, "http://127.0.0.1:9/unused")
        .args(["db", "status", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["advisory_count"], 1225);
    v["commit"].as_str().unwrap().to_string()
}

#[test]
fn update_installs_a_validated_copy_and_audits_use_it() {
    if data("advisory-db").is_none() {
        return;
    }
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let url = serve(move |path| {
        if path == "/advisory-db.tar.gz" {
            counter.fetch_add(1, Ordering::SeqCst);
            (200, good_archive().to_vec())
        } else {
            (404, Vec::new())
        }
    });
    let archive_url = format!("{url}/advisory-db.tar.gz");
    let cache = tempfile::tempdir().unwrap();
    let out = db_cmd(cache.path(), &archive_url)
        .args(["db", "update", "--now", "2026-11-25T10:00:00Z"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains("1225 advisories") && said.contains(COMMIT),
        "{said}"
    );
    assert_eq!(status_commit(cache.path()), COMMIT);

    let status = db_cmd(cache.path(), &archive_url)
        .args(["db", "status", "--now", "2026-11-25T12:00:00Z"])
        .output()
        .unwrap();
    let status = text(&status.stdout);
    assert!(
        status.contains("date:       2026-08-21T06:28:40Z"),
        "{status}"
    );
    assert!(
        status.contains("fetched:    2026-11-25T10:00:00Z"),
        "{status}"
    );
    assert!(status.contains("age:        96 days"), "{status}");

    let lock = data("lockfiles/real-ripgrep-2019").unwrap();
    let audit = |now: &str, offline: bool| {
        let mut c = db_cmd(cache.path(), &archive_url);
        c.env("CHAINWARDEN_CRATES_INDEX_URL", &url).args([
            "audit",
            "--lockfile-only",
            "--format",
            "json",
            "--now",
            now,
        ]);
        if offline {
            c.arg("--offline");
        }
        let out = c.arg(&lock).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    // Fresh (under a day old): no download.
    let report = audit("2026-11-25T20:00:00Z", false);
    assert_eq!(report["database"]["commit"], COMMIT);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    // Offline, two days later: still no download, and the note says how old the copy is.
    let report = audit("2026-11-27T20:00:00Z", true);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert!(report["notes"]
        .to_string()
        .contains("offline: using the cached advisory database (fetched 2 day(s) ago)"));
    // Online, two days later: refreshed.
    audit("2026-11-27T20:00:00Z", false);
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

#[test]
fn failed_updates_leave_the_previous_database_intact() {
    if data("advisory-db").is_none() {
        return;
    }
    let good = good_archive().to_vec();
    let truncated = good[..good.len() / 2].to_vec();
    let evil = archive(Some(("advisory-db-main/../evil", b"owned")));
    let broken_advisory = archive(Some((
        "advisory-db-main/crates/zzz/RUSTSEC-2099-0001.md",
        b"```toml\n[advisory]\n",
    )));
    let url = serve_raw(move |path| {
        let ok = |body: &[u8]| {
            let mut r = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .into_bytes();
            r.extend_from_slice(body);
            r
        };
        match path {
            "/good" => ok(&good),
            "/garbage" => ok(b"<html>this is not an archive</html>"),
            "/evil" => ok(&evil),
            "/broken-advisory" => ok(&broken_advisory),
            // Promises the whole archive, sends half, hangs up.
            "/truncated" => {
                let mut r = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    good.len()
                )
                .into_bytes();
                r.extend_from_slice(&truncated);
                r
            }
            "/stall" => {
                std::thread::sleep(std::time::Duration::from_secs(6));
                ok(b"")
            }
            _ => {
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
            }
        }
    });
    let cache = tempfile::tempdir().unwrap();
    let update = |route: &str, extra: &[&str], env: &[(&str, &str)]| {
        let mut c = db_cmd(cache.path(), &format!("{url}/{route}"));
        for (k, v) in env {
            c.env(k, v);
        }
        let out = c.args(["db", "update"]).args(extra).output().unwrap();
        (out.status.code(), text(&out.stderr))
    };
    assert_eq!(update("good", &[], &[]).0, Some(0));
    type Case<'a> = (&'a str, Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        ("truncated", vec![], vec![], "truncated"),
        ("garbage", vec![], vec![], "invalid gzip header"),
        ("evil", vec![], vec![], "refused unsafe path in archive"),
        ("broken-advisory", vec![], vec![], "RUSTSEC-2099-0001.md"),
        (
            "good",
            vec![],
            vec![("CHAINWARDEN_DB_MAX_BYTES", "1000")],
            "over the 1000-byte cap",
        ),
        ("good", vec!["--sha256", "00"], vec![], "digest mismatch"),
        (
            "stall",
            vec![],
            vec![("CHAINWARDEN_HTTP_TIMEOUT", "1")],
            "timed out",
        ),
        ("missing", vec![], vec![], "HTTP 404"),
    ];
    for (route, extra, env, expected) in cases {
        let (code, stderr) = update(route, &extra, &env);
        assert_eq!(code, Some(2), "{route}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{route}: expected `{expected}` in: {stderr}"
        );
        assert_eq!(
            status_commit(cache.path()),
            COMMIT,
            "{route}: previous database intact"
        );
    }
    // Nothing half-written was left behind, and nothing escaped the cache.
    let leftovers: Vec<String> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with(".update-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(
        !cache.path().join("evil").exists()
            && !cache.path().parent().unwrap().join("evil").exists()
    );
}

#[test]
fn offline_without_a_cache_exits_2_and_says_what_to_do() {
    let cache = tempfile::tempdir().unwrap();
    let Some(lock) = data("lockfiles/real-ripgrep") else {
        return;
    };
    let out = db_cmd(cache.path(), "http://127.0.0.1:9/never")
        .args(["audit", "--offline", "--lockfile-only"])
        .arg(lock)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("run `chainwarden db update` or pass --db DIR"),
        "{}",
        text(&out.stderr)
    );
    let out = db_cmd(cache.path(), "http://127.0.0.1:9/never")
        .args(["db", "status"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
