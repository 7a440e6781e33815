//! Shared test harness: where the shared real-world data lives, and how to run the binary.
//!
//! Data is found through one helper: `CHAINWARDEN_TEST_DATA` (default `../shared/data` next to
//! the repository). When `CHAINWARDEN_REQUIRE_DATA=1` (CI), missing data fails the test
//! instead of skipping it.
#![allow(dead_code, clippy::print_stderr)]

use std::path::{Path, PathBuf};

/// `chainwarden audit --offline --lockfile-only --format json --db DB` with its own cache
/// directory, not yet run: the caller adds the lockfile (and anything else).
pub fn offline_json_audit(cache: &Path, db: &Path) -> assert_cmd::Command {
    let mut cmd = cw();
    cmd.env("CHAINWARDEN_CACHE_DIR", cache)
        .args([
            "audit",
            "--offline",
            "--lockfile-only",
            "--format",
            "json",
            "--db",
        ])
        .arg(db);
    cmd
}

/// [`offline_json_audit`] of `lock`: the JSON report.
pub fn audit_json_offline(cache: &Path, db: &Path, lock: &Path) -> serde_json::Value {
    let out = offline_json_audit(cache, db).arg(lock).output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A writable copy of the shared advisory database with its own cache directory, and the
/// `gen-old-vulns` lockfile: for tests that change the database between audits. `None` when
/// the shared data is missing (and not required).
pub struct DbCopy {
    _tmp: tempfile::TempDir,
    pub db: PathBuf,
    pub cache: PathBuf,
    pub lock: PathBuf,
}

impl DbCopy {
    pub fn new() -> Option<DbCopy> {
        let shared = data("advisory-db")?;
        let lock = data("lockfiles/gen-old-vulns")?;
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("db");
        copy_dir(&shared, &db);
        let cache = tmp.path().join("cache");
        Some(DbCopy {
            _tmp: tmp,
            db,
            cache,
            lock,
        })
    }

    /// [`audit_json_offline`] of the lockfile against the copy.
    pub fn audit(&self) -> serde_json::Value {
        audit_json_offline(&self.cache, &self.db, &self.lock)
    }

    /// The findings' `field` values, in report order.
    pub fn findings(&self, field: &str) -> Vec<String> {
        self.audit()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f[field].as_str().unwrap().to_string())
            .collect()
    }
}

/// Makes a FIFO at `path` (coreutils' `mkfifo`).
pub fn mkfifo(path: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs")
        .success();
    assert!(ok, "mkfifo {}", path.display());
}

/// Copies a directory tree (regular files and directories).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared data folder, or `None` (test should return early) when it is missing and not
/// required. Panics when it is required and missing.
pub fn data_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("CHAINWARDEN_TEST_DATA") {
        Some(d) => PathBuf::from(d),
        None => repo_root().join("..").join("shared").join("data"),
    };
    if dir.join("advisory-db").is_dir() {
        return Some(dir.canonicalize().unwrap_or(dir));
    }
    if std::env::var("CHAINWARDEN_REQUIRE_DATA").as_deref() == Ok("1") {
        panic!(
            "test data missing at {} (set CHAINWARDEN_TEST_DATA); CHAINWARDEN_REQUIRE_DATA=1 forbids skipping",
            dir.display()
        );
    }
    eprintln!("skipping: test data not found at {}", dir.display());
    None
}

/// Says why a test does nothing here. With `CHAINWARDEN_REQUIRE_DATA=1` (CI) a test must
/// not skip: that panics instead.
pub fn skip(reason: &str) {
    if std::env::var("CHAINWARDEN_REQUIRE_DATA").as_deref() == Ok("1") {
        panic!("{reason}, and CHAINWARDEN_REQUIRE_DATA=1 forbids skipping");
    }
    eprintln!("skipping: {reason}");
}

/// A sub-folder of the shared data (`advisory-db`, `lockfiles/real-bat`, ...).
pub fn data(sub: &str) -> Option<PathBuf> {
    let p = data_dir()?.join(sub);
    assert!(p.exists(), "shared data has no {}", p.display());
    Some(p)
}

/// A fixture of ours under tests/fixtures.
pub fn fixture(rel: &str) -> PathBuf {
    repo_root().join("tests").join("fixtures").join(rel)
}

/// The chainwarden binary with a clean environment: no colour, no inherited secrets, a
/// private HOME/cache so nothing touches the user's cache, and no evidence recording unless
/// the test asks for it.
pub fn cw() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_chainwarden"));
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    for keep in ["CARGO_HOME", "RUSTUP_HOME", "RUSTUP_TOOLCHAIN"] {
        if let Some(v) = std::env::var_os(keep) {
            cmd.env(keep, v);
        }
    }
    cmd.env("NO_COLOR", "1");
    // Tests that are about evidence remove this and pass --evidence.
    cmd.env("CHAINWARDEN_NO_RECORD", "true");
    // A cache of our own (advisory index, crates index) shared by the test processes.
    cmd.env(
        "CHAINWARDEN_CACHE_DIR",
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("cw-cache"),
    );
    cmd
}

/// Output as UTF-8 text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("output is UTF-8")
}

/// Replace absolute paths of the data and fixtures with stable placeholders for snapshots.
pub fn stable_paths(text: &str, data: &Path) -> String {
    text.replace(&data.display().to_string(), "[DATA]")
        .replace(&repo_root().display().to_string(), "[REPO]")
}

/// A tiny HTTP/1.1 server on 127.0.0.1 for tests: `handler(path)` returns (status, body).
/// Every response closes the connection. The server thread lives until the process ends.
pub fn serve(handler: impl Fn(&str) -> (u16, Vec<u8>) + Send + Sync + 'static) -> String {
    serve_raw(move |path| {
        let (status, body) = handler(path);
        let mut response = format!(
            "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        response.extend_from_slice(&body);
        response
    })
}

/// Like [`serve`], but the handler writes the whole raw response (status line, headers, body)
/// itself, so tests can lie about lengths, truncate, or stall (by sleeping in the handler).
pub fn serve_raw(handler: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handler = std::sync::Arc::new(handler);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let handler = handler.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    return;
                }
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                }
                let path = request_line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("/")
                    .to_string();
                let _ = stream.write_all(&handler(&path));
            });
        }
    });
    format!("http://{addr}")
}

/// A request as [`serve_http`] hands it to its handler.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A response of [`serve_http`]'s handler: status, extra headers, body.
pub type Response = (u16, Vec<(String, String)>, Vec<u8>);

/// Like [`serve`], for API fakes: the handler sees the method, headers and body (read by
/// `Content-Length`) and may set response headers (`Retry-After`, ...).
pub fn serve_http(handler: impl Fn(&Request) -> Response + Send + Sync + 'static) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handler = std::sync::Arc::new(handler);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let handler = handler.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    return;
                }
                let mut parts = request_line.split_whitespace();
                let method = parts.next().unwrap_or("").to_string();
                let path = parts.next().unwrap_or("/").to_string();
                let mut headers = Vec::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((n, v)) = line.trim_end().split_once(':') {
                        headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
                    }
                }
                let len = headers
                    .iter()
                    .find(|(n, _)| n == "content-length")
                    .and_then(|(_, v)| v.parse::<usize>().ok())
                    .unwrap_or(0);
                let mut body = vec![0; len.min(16 << 20)];
                if reader.read_exact(&mut body).is_err() {
                    return;
                }
                let request = Request {
                    method,
                    path,
                    headers,
                    body,
                };
                let (status, extra, body) = handler(&request);
                let mut response = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                    body.len()
                );
                for (n, v) in extra {
                    response.push_str(&format!("{n}: {v}\r\n"));
                }
                response.push_str("\r\n");
                let mut bytes = response.into_bytes();
                bytes.extend_from_slice(&body);
                let _ = stream.write_all(&bytes);
            });
        }
    });
    format!("http://{addr}")
}

/// The PostgreSQL server of the tests: `CHAINWARDEN_TEST_POSTGRES`, a superuser URL on
/// 127.0.0.1 (`.ci/run` starts a throwaway cluster with `scripts/pg-cluster.sh`). `None`
/// after [`skip`] when unset (a failure under `CHAINWARDEN_REQUIRE_DATA=1`).
pub fn postgres() -> Option<String> {
    match std::env::var("CHAINWARDEN_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            skip("no PostgreSQL server (CHAINWARDEN_TEST_POSTGRES unset; scripts/pg-cluster.sh starts one)");
            None
        }
    }
}

/// The CA that signed the test server's TLS certificate (`CHAINWARDEN_TEST_POSTGRES_CA`, set
/// by `scripts/pg-cluster.sh` when openssl is installed). `None` after [`skip`] when unset.
pub fn postgres_ca() -> Option<PathBuf> {
    match std::env::var_os("CHAINWARDEN_TEST_POSTGRES_CA") {
        Some(ca) if !ca.is_empty() => Some(PathBuf::from(ca)),
        _ => {
            skip("no TLS on the test PostgreSQL server (CHAINWARDEN_TEST_POSTGRES_CA unset; scripts/pg-cluster.sh sets it when openssl is installed)");
            None
        }
    }
}

/// `url` with its database name replaced.
pub fn postgres_url_of(url: &str, db: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let (server, _) = base.rsplit_once('/').expect("URL has a database");
    format!("{server}/{db}?{query}")
}

/// A fresh database on the test server with the evidence schema applied by
/// `chainwarden evidence setup-postgres`: (its name, its superuser URL).
pub fn postgres_database() -> Option<(String, String)> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let server = postgres()?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!(
        "cw_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    let mut client = postgres::Client::connect(&server, postgres::NoTls).unwrap();
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let url = postgres_url_of(&server, &name);
    let out = cw()
        .args(["--evidence", &url, "evidence", "setup-postgres"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    Some((name, url))
}

/// Which evidence backend a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// An evidence store of `backend` for one test: a SQLite file in `dir`, or a fresh
/// PostgreSQL database's URL. A `PathBuf` either way, so every helper that takes
/// `store: &Path` (and sets `CHAINWARDEN_EVIDENCE` or `--evidence`) takes both. `None`: skip.
pub fn evidence_store(backend: Backend, dir: &Path) -> Option<PathBuf> {
    match backend {
        Backend::Sqlite => Some(dir.join("evidence.db")),
        Backend::Postgres => postgres_database().map(|(_, url)| PathBuf::from(url)),
    }
}

/// Another empty store of `backend` in the same test (the target of an import, say): a SQLite
/// file in the directory `dir/name`, or a fresh PostgreSQL database. Only called after the
/// test's first [`evidence_store`] found a server.
pub fn another_store(backend: Backend, dir: &Path, name: &str) -> PathBuf {
    let dir = dir.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    evidence_store(backend, &dir).expect("the test's first store had a server")
}

/// Runs one SQL statement on an evidence store as its owner, outside chainwarden (to edit
/// or inspect what a test cannot reach through the CLI): rusqlite on the SQLite file; psql on
/// PostgreSQL with the test's URL (the superuser who applied the schema, so row-level security
/// and the missing UPDATE/DELETE grants do not stop it) and the schema `chainwarden` first on
/// the search path, so one statement names the same tables on both. Returns the rows, one per
/// line, their columns joined by `|` and NULL as the empty string (psql's unaligned output).
pub fn as_owner(backend: Backend, store: &Path, sql: &str) -> String {
    match backend {
        Backend::Sqlite => {
            use rusqlite::types::ValueRef;
            let conn = rusqlite::Connection::open(store).unwrap();
            let mut stmt = conn.prepare(sql).unwrap();
            let columns = stmt.column_count();
            if columns == 0 {
                stmt.execute([]).unwrap();
                return String::new();
            }
            let rows = stmt
                .query_map([], |r| {
                    let cells = (0..columns)
                        .map(|i| match r.get_ref(i)? {
                            ValueRef::Null => Ok(String::new()),
                            ValueRef::Integer(n) => Ok(n.to_string()),
                            ValueRef::Real(x) => Ok(x.to_string()),
                            ValueRef::Text(t) | ValueRef::Blob(t) => {
                                Ok(String::from_utf8_lossy(t).into_owned())
                            }
                        })
                        .collect::<rusqlite::Result<Vec<_>>>()?;
                    Ok(cells.join("|"))
                })
                .unwrap();
            rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
        }
        Backend::Postgres => {
            let out = std::process::Command::new("psql")
                .env("PGOPTIONS", "-c search_path=chainwarden")
                .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d"])
                .arg(store)
                .args(["-c", sql])
                .output()
                .expect("psql runs (apt-get install postgresql-client)");
            assert!(out.status.success(), "{sql}: {}", text(&out.stderr));
            text(&out.stdout).trim().to_string()
        }
    }
}

/// Everything a store holds, to search for what must not be there: the SQLite file and its
/// journal side files, byte for byte; on PostgreSQL every row of every table in the schema
/// `chainwarden`, as text (`SELECT t::text`).
pub fn store_contents(backend: Backend, store: &Path) -> Vec<u8> {
    match backend {
        Backend::Sqlite => {
            let name = store.file_name().unwrap().to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            for entry in std::fs::read_dir(store.parent().unwrap()).unwrap() {
                let path = entry.unwrap().path();
                if path
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(&name)
                {
                    bytes.extend(std::fs::read(&path).unwrap());
                }
            }
            assert!(!bytes.is_empty(), "{} holds nothing", store.display());
            bytes
        }
        Backend::Postgres => {
            let tables = as_owner(
                backend,
                store,
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'chainwarden' ORDER BY 1",
            );
            assert!(tables.lines().any(|t| t == "runs"), "{tables}");
            let mut text = String::new();
            for table in tables.lines() {
                text += &as_owner(backend, store, &format!("SELECT t::text FROM {table} t"));
                text.push('\n');
            }
            text.into_bytes()
        }
    }
}

/// Runs each named test function (taking a [`Backend`]) once per backend: declares a module
/// of the same name with the tests `sqlite` and `postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name($crate::common::Backend::Sqlite)
            }
            #[test]
            fn postgres() {
                super::$name($crate::common::Backend::Postgres)
            }
        }
    )*};
}
