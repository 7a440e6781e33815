//! The PostgreSQL evidence store as an organisation runs it: tenant isolation proved with
//! psql itself under the roles `evidence setup-postgres` grants, 32 concurrent writers, a
//! SQLite store migrated hash by hash, no password ever taken from (or shown in) a URL, and
//! TLS against a real server: verified, or no connection.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::{cw, postgres_ca, postgres_database, postgres_url_of, text};
use crate::report::cwe;

/// A release directory with a checksum manifest: `verify checksums` on it records a run
/// cheaply (no advisory database to load).
fn release(dir: &Path) -> std::path::PathBuf {
    let rel = dir.join("release");
    std::fs::create_dir_all(&rel).unwrap();
    std::fs::write(rel.join("app.tar.gz"), b"release bytes").unwrap();
    let sums = Command::new("sha256sum")
        .arg("app.tar.gz")
        .current_dir(&rel)
        .output()
        .unwrap()
        .stdout;
    std::fs::write(rel.join("SHA256SUMS"), sums).unwrap();
    rel.join("SHA256SUMS")
}

/// Records one verification of `scope` into `url` as whoever the URL names.
fn record(
    url: &str,
    password: Option<&str>,
    scope: (&str, &str),
    sums: &Path,
) -> std::process::Output {
    let mut c = cwe(Path::new(url));
    if let Some(p) = password {
        c.env("PGPASSWORD", p);
    }
    c.args(["--tenant", scope.0, "--project", scope.1])
        .args(["verify", "checksums", "--now", "2026-11-02T10:00:00Z"])
        .arg(sums)
        .output()
        .unwrap()
}

/// psql as `role` (password through PGPASSWORD, as CI would), one statement, unaligned.
fn psql(url: &str, role: &str, password: &str, sql: &str) -> std::process::Output {
    let url = url.replacen("postgres@", &format!("{role}@"), 1);
    Command::new("psql")
        .env("PGPASSWORD", password)
        .args([
            "-X",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            &url,
            "-c",
            sql,
        ])
        .output()
        .expect("psql runs (apt-get install postgresql-client)")
}

/// Two writers (acme, beta) and a reader, each with a password, on a database set up by
/// `evidence setup-postgres`.
struct Roles {
    admin: String,
    a: String,
    b: String,
    reader: String,
}

impl Roles {
    fn url(&self, role: &str) -> String {
        self.admin.replacen("postgres@", &format!("{role}@"), 1)
    }

    fn password(role: &str) -> String {
        format!("pw-{role}-secret")
    }

    fn set_up(name: &str, admin: String) -> Roles {
        let roles = Roles {
            a: format!("{name}_a"),
            b: format!("{name}_b"),
            reader: format!("{name}_r"),
            admin,
        };
        let out = cw()
            .args(["--evidence", &roles.admin, "evidence", "setup-postgres"])
            .args(["--writer", &format!("acme={}", roles.a)])
            .args(["--writer", &format!("beta={}", roles.b)])
            .args(["--reader", &roles.reader])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let mut client = postgres::Client::connect(&roles.admin, postgres::NoTls).unwrap();
        for role in [&roles.a, &roles.b, &roles.reader] {
            let sql = format!("ALTER ROLE {role} PASSWORD '{}'", Roles::password(role));
            client.batch_execute(&sql).unwrap();
        }
        roles
    }

    /// Records into the store as `role`, with its password.
    fn record(&self, role: &str, scope: (&str, &str), sums: &Path) -> std::process::Output {
        record(&self.url(role), Some(&Roles::password(role)), scope, sums)
    }

    /// psql as `role`.
    fn psql(&self, role: &str, sql: &str) -> std::process::Output {
        psql(&self.admin, role, &Roles::password(role), sql)
    }
}

#[test]
fn tenant_b_sees_no_row_of_tenant_a_even_with_raw_sql() {
    let Some((name, admin)) = postgres_database() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let sums = release(tmp.path());
    let roles = Roles::set_up(&name, admin);
    for project in ["app", "api"] {
        let out = roles.record(&roles.a, ("acme", project), &sums);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(
            !text(&out.stderr).contains("secret"),
            "{}",
            text(&out.stderr)
        );
    }
    let out = roles.record(&roles.b, ("beta", "web"), &sums);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    b_reads_no_row_of_a(&roles);
    b_writes_nothing_of_a_nor_changes_its_own(&roles, &sums);
    the_reader_sees_every_intact_chain_and_b_its_own(&roles);
}

/// B's role, through psql: not one row of A in any table, only its own.
fn b_reads_no_row_of_a(roles: &Roles) {
    for table in ["runs", "policies", "deliveries", "access"] {
        let sql = format!("SELECT count(*) FROM chainwarden.{table} WHERE tenant_id = 'acme'");
        let out = roles.psql(&roles.b, &sql);
        assert_eq!(
            text(&out.stdout).trim(),
            "0",
            "{table}: {}",
            text(&out.stderr)
        );
    }
    let out = roles.psql(&roles.b, "SELECT DISTINCT tenant_id FROM chainwarden.runs");
    assert_eq!(text(&out.stdout).trim(), "beta");
}

/// ... cannot write into A, nor change or delete anything, even its own; chainwarden under
/// B's role refuses to record for A, naming role and tenant.
fn b_writes_nothing_of_a_nor_changes_its_own(roles: &Roles, sums: &Path) {
    let forged = "INSERT INTO chainwarden.runs (tenant_id, project_id, run_id, seq, kind, command, time,
        tool_version, trigger, origin, verdict, payload) VALUES ('acme', 'app', 'forged', 99, 'audit',
        'audit', '2026-11-03T00:00:00Z', '0', 'manual', 'recorded', 'pass', '{}')";
    let out = roles.psql(&roles.b, forged);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("row-level security"),
        "{}",
        text(&out.stderr)
    );
    for sql in [
        "UPDATE chainwarden.runs SET verdict = 'pass'",
        "DELETE FROM chainwarden.runs",
    ] {
        let out = roles.psql(&roles.b, sql);
        assert!(
            text(&out.stderr).contains("permission denied"),
            "{sql}: {}",
            text(&out.stderr)
        );
    }
    let out = roles.record(&roles.b, ("acme", "app"), sums);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    let b = &roles.b;
    assert!(
        err.contains(&format!(
            "role `{b}` may not write evidence of tenant `acme`"
        )),
        "{err}"
    );
}

/// The reader role sees every tenant; A's chains are intact and untouched by B. B sees its
/// one scope.
fn the_reader_sees_every_intact_chain_and_b_its_own(roles: &Roles) {
    let verify = |role: &str| {
        cw().env("PGPASSWORD", Roles::password(role))
            .args(["--evidence", &roles.url(role), "evidence", "verify"])
            .output()
            .unwrap()
    };
    let out = verify(&roles.reader);
    let listed = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{listed}{}", text(&out.stderr));
    for scope in [
        "acme/api: 1 run(s)",
        "acme/app: 1 run(s)",
        "beta/web: 1 run(s)",
    ] {
        assert!(listed.contains(&format!("ok      {scope}")), "{listed}");
    }
    let out = verify(&roles.b);
    assert_eq!(
        text(&out.stdout).lines().count(),
        1,
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn thirty_two_concurrent_writers_lose_nothing_and_keep_the_chain() {
    let Some((_, url)) = postgres_database() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let sums = release(tmp.path());
    let bin = env!("CARGO_BIN_EXE_chainwarden");
    // Half into one scope (every writer contends for its chain head), half over four more.
    let children: Vec<_> = (0..32)
        .map(|i| {
            let project = if i % 2 == 0 {
                "hot".to_string()
            } else {
                format!("p{}", i % 4)
            };
            Command::new(bin)
                .env("CHAINWARDEN_EVIDENCE", &url)
                .env("CHAINWARDEN_CACHE_DIR", tmp.path().join("cache"))
                .env("NO_COLOR", "1")
                .args(["--tenant", "acme", "--project", &project])
                .args(["verify", "checksums", "--now", "2026-11-02T10:00:00Z"])
                .arg(&sums)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let out = cw()
        .args(["--evidence", &url, "evidence", "verify"])
        .output()
        .unwrap();
    let listed = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{listed}");
    assert!(
        listed.contains("ok      acme/hot: 16 run(s), chain head #16"),
        "{listed}"
    );
    for p in ["p1", "p3"] {
        assert!(
            listed.contains(&format!("ok      acme/{p}: 8 run(s), chain head #8")),
            "{listed}"
        );
    }
}

#[test]
fn a_sqlite_store_migrates_hash_by_hash_and_again_changes_nothing() {
    let Some((_, url)) = postgres_database() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let sums = release(tmp.path());
    let sqlite = tmp.path().join("e.db");
    for scope in [("acme", "app"), ("acme", "app"), ("beta", "web")] {
        let out = record(sqlite.to_str().unwrap(), None, scope, &sums);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }
    let migrate = || {
        cw().env("CHAINWARDEN_EVIDENCE", &sqlite)
            .args(["evidence", "migrate", "--to", &url])
            .output()
            .unwrap()
    };
    let out = migrate();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("2 scope(s), 3 run(s) copied, 0 already there"),
        "{}",
        text(&out.stdout)
    );
    let out = migrate();
    assert!(
        text(&out.stdout).contains("2 scope(s), 0 run(s) copied, 3 already there"),
        "{}",
        text(&out.stdout)
    );
    // The same chains: `evidence verify` names the same heads, exports are the same bytes.
    let both = |args: &[&str]| {
        let run = |store: &std::ffi::OsStr| {
            let out = cw()
                .env("CHAINWARDEN_EVIDENCE", store)
                .args(args)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
            text(&out.stdout)
        };
        (run(sqlite.as_os_str()), run(url.as_ref()))
    };
    let (a, b) = both(&["evidence", "verify"]);
    assert_eq!(a, b);
    assert!(
        a.contains("ok      acme/app: 2 run(s), chain head #2"),
        "{a}"
    );
    let (a, b) = both(&["evidence", "export"]);
    assert_eq!(a, b);
    assert_eq!(a.lines().count(), 3);
    // A second SQLite store whose runs differ cannot be merged over the same chain positions.
    let other = tmp.path().join("other.db");
    record(other.to_str().unwrap(), None, ("acme", "app"), &sums);
    let out = cw()
        .env("CHAINWARDEN_EVIDENCE", &other)
        .args(["evidence", "migrate", "--to", &url])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
}

#[test]
fn a_password_in_the_url_is_refused_and_never_shown() {
    let url = "postgres://ci:hunter2-the-password@127.0.0.1:9/evidence";
    for args in [
        vec!["--evidence", url, "evidence", "verify"],
        vec!["--evidence", url, "evidence", "setup-postgres"],
    ] {
        let out = cw().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(all.contains("password in the URL is refused"), "{all}");
        assert!(!all.contains("hunter2"), "{all}");
    }
    let out = cw()
        .env("CHAINWARDEN_EVIDENCE", format!("{url}?sslmode=require"))
        .args(["evidence", "export"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!text(&out.stderr).contains("hunter2"));
}

#[test]
fn a_database_that_was_not_set_up_is_named_not_written() {
    let Some(server) = crate::common::postgres() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let sums = release(tmp.path());
    let mut client = postgres::Client::connect(&server, postgres::NoTls).unwrap();
    let name = format!("cw_bare_{}", std::process::id());
    // One statement per call: CREATE DATABASE refuses to run inside a transaction block.
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .unwrap();
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let out = record(
        &postgres_url_of(&server, &name),
        None,
        ("acme", "app"),
        &sums,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("run `chainwarden evidence setup-postgres`"),
        "{}",
        text(&out.stderr)
    );
}

/// A CA of our own that signed nothing the server presents.
fn other_ca(dir: &Path) -> std::path::PathBuf {
    let (key, cert) = (dir.join("other-ca.key"), dir.join("other-ca.crt"));
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args(["-subj", "/CN=not the server's CA", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args(["-addext", "basicConstraints=critical,CA:TRUE"])
        .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        .output()
        .expect("openssl runs (apt-get install openssl)");
    assert!(out.status.success(), "{}", text(&out.stderr));
    cert
}

#[test]
fn tls_verify_full_records_and_a_wrong_root_or_host_fails_closed() {
    let Some((_, admin)) = postgres_database() else {
        return;
    };
    let Some(ca) = postgres_ca() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let sums = release(tmp.path());
    let wrong_ca = other_ca(tmp.path());
    // The admin URL is postgres://postgres@127.0.0.1:PORT/DB?sslmode=disable.
    let base = admin.split_once('?').unwrap().0.to_string();
    let with = |query: String| format!("{base}?{query}");
    let root = |ca: &Path| format!("sslrootcert={}", ca.display());
    let mut client = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
    let mut runs = || -> i64 {
        client
            .query_one("SELECT count(*) FROM chainwarden.runs", &[])
            .unwrap()
            .get(0)
    };

    // The server's certificate, checked against the CA that signed it, for the name asked.
    let out = record(
        &with(format!("sslmode=verify-full&{}", root(&ca))),
        None,
        ("acme", "app"),
        &sums,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(runs(), 1);

    let wrong_host = with(format!(
        "sslmode=verify-full&{}&hostaddr=127.0.0.1",
        root(&ca)
    ))
    .replacen("@127.0.0.1:", "@db.wrong.example:", 1);
    for (what, url) in [
        (
            "verify-full, another CA",
            with(format!("sslmode=verify-full&{}", root(&wrong_ca))),
        ),
        (
            "require, another CA: require verifies too",
            with(format!("sslmode=require&{}", root(&wrong_ca))),
        ),
        (
            "require, the system's roots (which do not hold the test CA)",
            with("sslmode=require".into()),
        ),
        (
            "no sslmode (prefer): a server offering TLS is verified, never fallen back from",
            base.clone(),
        ),
        ("verify-full, the right CA, another host name", wrong_host),
    ] {
        let out = record(&url, None, ("acme", "app"), &sums);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {err}");
        // Refused in the handshake, for the reason the case is about.
        let why = if what.contains("host name") {
            "certificate not valid for name \"db.wrong.example\""
        } else {
            "invalid peer certificate: UnknownIssuer"
        };
        assert!(err.contains(why), "{what}: {err}");
        assert_eq!(runs(), 1, "{what}: nothing written");
    }
}
