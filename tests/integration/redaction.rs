//! Secrets planted in every input chainwarden reads — environment, policy, URLs, lockfile
//! source URLs, manifests, bundles, error paths — never reach any output: stdout, stderr,
//! written files, the evidence store.

use std::path::Path;

use crate::common::{as_owner, cw, data, evidence_store, serve, store_contents, text, Backend};

/// Built at run time: this repository holds no secret-looking literal.
fn token() -> String {
    format!("ghp_{}", "Pl4nt3dS3cr3tV4lu3x".repeat(2))
}

fn env_secret() -> String {
    ["n0t-a-r3al", "d3pl0y-k3y-9931"].join("-")
}

fn assert_clean(what: &str, bytes: &[u8]) {
    let s = String::from_utf8_lossy(bytes);
    for secret in [token(), env_secret(), "hunter2hunter2".to_string()] {
        assert!(!s.contains(&secret), "{what} leaks a planted secret:\n{s}");
    }
}

fn assert_dir_clean(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            assert_dir_clean(&p);
        } else {
            assert_clean(&p.display().to_string(), &std::fs::read(&p).unwrap());
        }
    }
}

/// Every command run over the planted inputs: a temp dir with an evidence store, a project
/// whose lockfile carries a credential, a policy with secrets in an ignore.
struct Scene {
    _tmp: tempfile::TempDir,
    backend: Backend,
    t: std::path::PathBuf,
    store: std::path::PathBuf,
    out_dir: std::path::PathBuf,
    policy: std::path::PathBuf,
    project: String,
    db: String,
}

impl Scene {
    /// `None`: no PostgreSQL server (skipped).
    fn new(db: &Path, backend: Backend) -> Option<Scene> {
        let tmp = tempfile::tempdir().unwrap();
        let t = tmp.path().to_path_buf();
        let store = evidence_store(backend, &t)?;
        let out_dir = t.join("out");
        std::fs::create_dir(&out_dir).unwrap();

        // A lockfile whose private registry URL carries credentials.
        let lock =
            std::fs::read_to_string(data("lockfiles/real-ripgrep/Cargo.lock").unwrap()).unwrap();
        let private = format!("registry+https://ci:{}@registry.example.org/index", token());
        let planted_lock = lock.replacen(
            "registry+https://github.com/rust-lang/crates.io-index",
            &private,
            3,
        );
        let project = t.join("project");
        std::fs::create_dir(&project).unwrap();
        std::fs::write(project.join("Cargo.lock"), planted_lock).unwrap();

        // A policy with secrets in an ignore's reason and approver.
        let policy = t.join("policy.toml");
        std::fs::write(
            &policy,
            format!(
                "[scope]\ntenant_id = \"acme\"\nproject_id = \"app\"\n\n[[audit.ignore]]\nid = \"RUSTSEC-2021-0003\"\nreason = \"see https://ops:hunter2hunter2@wiki.example.org/x token={}\"\napproved_by = \"bot password={}\"\nexpires = 2030-01-01\n",
                token(),
                env_secret()
            ),
        )
        .unwrap();
        Some(Scene {
            backend,
            store,
            out_dir,
            policy,
            project: project.to_str().unwrap().to_string(),
            db: db.to_str().unwrap().to_string(),
            t,
            _tmp: tmp,
        })
    }

    /// Runs a command with secrets in its environment; its stdout and stderr must be clean.
    fn run(&self, args: &[&str]) -> std::process::Output {
        let out = cw()
            .env_remove("CHAINWARDEN_NO_RECORD")
            .env("CHAINWARDEN_EVIDENCE", &self.store)
            .env("DEPLOY_API_TOKEN", env_secret())
            .env("GITHUB_TOKEN", token())
            .env("CHAINWARDEN_HTTP_ATTEMPTS", "1")
            .env("CHAINWARDEN_HTTP_TIMEOUT", "2")
            .env(
                "CHAINWARDEN_CRATES_INDEX_URL",
                format!("http://user:{}@127.0.0.1:9/", env_secret()),
            )
            .args(["--policy"])
            .arg(&self.policy)
            .args(args)
            .output()
            .unwrap();
        assert_clean(&format!("stdout of {args:?}"), &out.stdout);
        assert_clean(&format!("stderr of {args:?}"), &out.stderr);
        out
    }

    /// Every audit format, printed and written; online, with an index URL that refuses.
    fn audits(&self) {
        let (db, p) = (self.db.as_str(), self.project.as_str());
        for format in ["human", "json", "sarif", "markdown"] {
            let file = self.out_dir.join(format!("audit.{format}"));
            let offline = ["audit", "--offline", "--lockfile-only", "--db", db];
            self.run(&[&offline[..], &["--format", format, p]].concat());
            let output = ["--output", file.to_str().unwrap(), p];
            self.run(&[&offline[..], &["--format", format], &output[..]].concat());
        }
        // Online (yanked check against an index URL with credentials that refuses the
        // connection).
        self.run(&["audit", "--lockfile-only", "--db", db, p]);
    }

    /// A database URL with credentials that fails to download: the error names the URL,
    /// masked. Returns that URL's base for the release download below.
    fn failed_download(&self) -> String {
        let base = serve(|_| (500, Vec::new()));
        let with_creds = base.replacen("http://", &format!("http://bot:{}@", env_secret()), 1);
        let out = self.run(&[
            "db",
            "update",
            "--url",
            &format!("{with_creds}/db.tar.gz"),
            "--cache-dir",
            self.t.join("cache").to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            text(&out.stderr).contains("[REDACTED]"),
            "{}",
            text(&out.stderr)
        );
        with_creds
    }

    /// A manifest and a release URL with credentials; an artifact name that is a token; a
    /// bundle path and identity flags carrying secrets.
    fn verifies(&self, with_creds: &str) {
        let rel = self.t.join("release");
        std::fs::create_dir(&rel).unwrap();
        std::fs::write(rel.join("app.tar.gz"), b"bytes").unwrap();
        let manifest = format!(
            "{}  app.tar.gz\n{}  {}.txt\n",
            "0".repeat(64),
            "1".repeat(64),
            token()
        );
        std::fs::write(rel.join("SHA256SUMS"), manifest).unwrap();
        let sums = rel.join("SHA256SUMS");
        let sums = sums.to_str().unwrap();
        self.run(&["verify", "checksums", sums, "--format", "json"]);
        let base_url = format!("{with_creds}/rel");
        self.run(&["verify", "checksums", sums, "--base-url", &base_url]);
        let bundle = self.t.join(format!("{}.sigstore.json", token()));
        std::fs::write(
            &bundle,
            format!("{{\"mediaType\": \"x\", \"note\": \"{}\"}}", token()),
        )
        .unwrap();
        self.run(&[
            "verify",
            "bundle",
            rel.join("app.tar.gz").to_str().unwrap(),
            "--bundle",
            bundle.to_str().unwrap(),
            "--certificate-identity",
            &token(),
            "--certificate-oidc-issuer",
            "https://issuer.example.org",
        ]);
    }

    /// Error paths: a policy error quoting the secret, a missing file named by a token.
    fn errors(&self) {
        let bad = self.t.join("bad.toml");
        std::fs::write(&bad, format!("[scope]\ntenant_id = \"{}\"\n", token())).unwrap();
        let out = cw()
            .env("GITHUB_TOKEN", token())
            .arg("--policy")
            .arg(&bad)
            .args(["audit", &self.project])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert_clean("policy error", &out.stderr);
        let missing = format!("/nonexistent/{}/Cargo.lock", token());
        self.run(&["audit", "--offline", "--db", &self.db, &missing]);
    }

    /// Evidence: the store, its export and the reports, every written file clean.
    fn evidence(&self) {
        let export = self.out_dir.join("export.jsonl");
        self.run(&["evidence", "export", "--output", export.to_str().unwrap()]);
        for format in ["json", "markdown", "html"] {
            let file = self.out_dir.join(format!("report.{format}"));
            self.run(&[
                "report",
                "--quarter",
                "2026-Q4",
                "--now",
                "2026-12-31",
                "--format",
                format,
                "--output",
                file.to_str().unwrap(),
            ]);
        }
        assert_dir_clean(&self.out_dir);
        let stored = store_contents(self.backend, &self.store);
        assert!(
            String::from_utf8_lossy(&stored).contains("RUSTSEC-2021-0003"),
            "the store holds the runs searched"
        );
        assert_clean("the evidence store", &stored);
    }
}

crate::on_both_backends!(
    planted_secrets_reach_no_output,
    lockfile_sources_with_credentials_never_print_or_store,
    an_inventory_the_store_holds_is_redacted_again_for_a_secret_only_this_run_knows,
);

fn planted_secrets_reach_no_output(backend: Backend) {
    let Some(db) = data("advisory-db") else {
        return;
    };
    let Some(scene) = Scene::new(&db, backend) else {
        return;
    };
    scene.audits();
    let with_creds = scene.failed_download();
    scene.verifies(&with_creds);
    scene.errors();
    scene.evidence();
}

// ---- Issue 9 items 5-7: each leak and panic seen, as a test -------------------------------

/// Secrets of the issue-9 cases, assembled at run time.
struct Planted {
    /// 130 characters: long enough that masking it shortened the text under later rules.
    long_password: String,
    /// A token used as a URL's user name.
    user_token: String,
    slack: String,
    aws: String,
    pem_body: String,
    /// Seven characters, declared by a secret-named variable.
    smtp: String,
}

fn planted() -> Planted {
    Planted {
        long_password: "Lp9x".repeat(33).get(..130).unwrap().to_string(),
        user_token: "f00dfacecafe1234beef".repeat(2),
        slack: format!("xoxb-{}", "2468013579-PlantedSlackValue"),
        aws: format!("AKIA{}", "Q7XR2LMZ8WKD4PNH"),
        pem_body: "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7".to_string(),
        smtp: ["s7", "Mq", "!x3"].concat(),
    }
}

impl Planted {
    fn all(&self) -> Vec<String> {
        vec![
            token(),
            self.long_password.get(..40).unwrap().to_string(),
            self.long_password.get(90..).unwrap().to_string(),
            self.user_token.clone(),
            self.slack.clone(),
            self.aws.clone(),
            self.pem_body.clone(),
            self.smtp.clone(),
        ]
    }

    fn assert_absent(&self, what: &str, bytes: &[u8]) {
        let s = String::from_utf8_lossy(bytes);
        for secret in self.all() {
            assert!(!s.contains(&secret), "{what} leaks {secret}:\n{s}");
        }
        assert!(!s.contains("panicked"), "{what} panicked:\n{s}");
    }

    fn pem(&self) -> String {
        let kind = "RSA PRIVATE KEY";
        format!(
            "-----BEGIN {kind}-----\n{}\n-----END {kind}-----",
            self.pem_body
        )
    }
}

/// Runs with the planted secrets in the environment; asserts stdout and stderr are clean.
fn run_planted(p: &Planted, args: &[&std::ffi::OsStr]) -> std::process::Output {
    let out = cw()
        .env("SMTP_PASSWORD", &p.smtp)
        .env("GITHUB_TOKEN", token())
        .args(args)
        .output()
        .unwrap();
    p.assert_absent(&format!("stdout of {args:?}"), &out.stdout);
    p.assert_absent(&format!("stderr of {args:?}"), &out.stderr);
    assert_ne!(out.status.code(), Some(101), "{args:?} panicked");
    out
}

fn os(args: &[&str]) -> Vec<std::ffi::OsString> {
    args.iter().map(|a| a.into()).collect()
}

fn lockfile_sources_with_credentials_never_print_or_store(backend: Backend) {
    let (Some(db), Some(ripgrep)) = (
        data("advisory-db"),
        data("lockfiles/real-ripgrep/Cargo.lock"),
    ) else {
        return;
    };
    let p = planted();
    let tmp = tempfile::tempdir().unwrap();
    let crates_io = "registry+https://github.com/rust-lang/crates.io-index";
    let lock = std::fs::read_to_string(ripgrep)
        .unwrap()
        .replacen(
            crates_io,
            &format!("registry+https://ci:{}@r.example.org/index", p.long_password),
            1,
        )
        .replacen(
            crates_io,
            &format!("registry+https://{}@r.example.org/index", p.user_token),
            1,
        )
        .replacen(
            crates_io,
            &format!("registry+https://ci:{}@r.example.org/index", token()),
            1,
        )
        + &format!(
            "\n[[package]]\nname = \"planted-git\"\nversion = \"0.1.0\"\nsource = \"git+https://{}@github.com/org/repo?rev=v1#{}\"\n",
            p.user_token,
            "0123456789abcdef".repeat(3).get(..40).unwrap()
        );
    let project = tmp.path().join("project");
    std::fs::create_dir(&project).unwrap();
    std::fs::write(project.join("Cargo.lock"), lock).unwrap();
    let Some(store) = evidence_store(backend, tmp.path()) else {
        return;
    };
    let cache = tmp.path().join("cache");
    for format in ["human", "json", "sarif", "markdown"] {
        let out = cw()
            .env_remove("CHAINWARDEN_NO_RECORD")
            .env("CHAINWARDEN_CACHE_DIR", &cache)
            .env("CHAINWARDEN_EVIDENCE", &store)
            .args([
                "audit",
                "--offline",
                "--lockfile-only",
                "--format",
                format,
                "--db",
            ])
            .arg(&db)
            .arg(&project)
            .output()
            .unwrap();
        p.assert_absent(&format!("audit --format {format}"), &out.stdout);
        p.assert_absent(&format!("audit --format {format} stderr"), &out.stderr);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{format}: {}",
            text(&out.stderr)
        );
    }
    let json = run_planted(
        &p,
        &[
            "audit",
            "--offline",
            "--lockfile-only",
            "--format",
            "json",
            "--db",
            db.to_str().unwrap(),
            project.to_str().unwrap(),
        ]
        .map(std::ffi::OsStr::new),
    );
    // The sources are still there, credentials masked, so a reader sees which registry.
    assert!(
        text(&json.stdout).contains("registry+https://[REDACTED]@r.example.org/index"),
        "{}",
        text(&json.stdout)
    );
    let stored = store_contents(backend, &store);
    assert!(
        String::from_utf8_lossy(&stored).contains("@r.example.org/index"),
        "the store holds the masked sources searched"
    );
    p.assert_absent("the evidence store", &stored);
    // The inventory memo remembers only inventories the store holds unredacted: this one's
    // credentials were masked, so it has no entry (and would never be found under one).
    let memo = cache.join("inventories");
    let entries = std::fs::read_dir(&memo).map_or(0, |d| d.count());
    assert_eq!(entries, 0, "{}", memo.display());
}

/// An unencoded `/` in a URL password made the lockfile unparseable, and the parse error
/// quoted the URL.
#[test]
fn a_lockfile_parse_error_does_not_echo_a_url_password() {
    let Some(db) = data("advisory-db") else {
        return;
    };
    let p = planted();
    let tmp = tempfile::tempdir().unwrap();
    let password = format!("pa/ss{}", p.long_password.get(..20).unwrap());
    std::fs::write(
        tmp.path().join("Cargo.lock"),
        format!(
            "version = 3\n\n[[package]]\nname = \"x\"\nversion = \"1.0.0\"\nsource = \"registry+https://ci:{password}@r.example.org/index\"\n"
        ),
    )
    .unwrap();
    let out = cw()
        .args(["audit", "--offline", "--lockfile-only", "--db"])
        .arg(&db)
        .arg(tmp.path())
        .output()
        .unwrap();
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(
        !all.contains(password.get(5..).unwrap()) && !all.contains("pa/ss"),
        "{all}"
    );
    assert_ne!(out.status.code(), Some(101), "{all}");
}

/// File names holding a GitHub, a Slack and an AWS token: `verify checksums` printed the AWS
/// key (the earlier rules shortened the text under it).
#[test]
fn tokens_in_file_names_never_print() {
    let p = planted();
    let tmp = tempfile::tempdir().unwrap();
    let rel = tmp.path().join("release");
    std::fs::create_dir(&rel).unwrap();
    let names = [
        format!("{}.tar.gz", token()),
        format!("{}.zip", p.slack),
        format!("{}.txt", p.aws),
        "app_é.bin".to_string(),
    ];
    let mut sums = String::new();
    for (i, name) in names.iter().enumerate() {
        std::fs::write(rel.join(name), format!("bytes {i}")).unwrap();
        sums.push_str(&format!("{}  {name}\n", "0".repeat(64)));
    }
    let sums_path = tmp.path().join("SHA256SUMS");
    std::fs::write(&sums_path, sums).unwrap();
    let written = tmp.path().join("written.sums");
    for args in [
        os(&["checksums", rel.to_str().unwrap()]),
        os(&["checksums", "--json", rel.to_str().unwrap()]),
        os(&[
            "checksums",
            rel.to_str().unwrap(),
            "--output",
            written.to_str().unwrap(),
        ]),
        os(&[
            "verify",
            "checksums",
            sums_path.to_str().unwrap(),
            "--dir",
            rel.to_str().unwrap(),
        ]),
        os(&[
            "verify",
            "checksums",
            sums_path.to_str().unwrap(),
            "--dir",
            rel.to_str().unwrap(),
            "--format",
            "json",
        ]),
    ] {
        let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        run_planted(&p, &args);
    }
    p.assert_absent("the written manifest", &std::fs::read(&written).unwrap());
}

/// A policy `reason` holding a PEM block and two tokens: `audit --format json` printed both
/// tokens. A seven-character secret of a secret-named variable rides along.
#[test]
fn a_policy_reason_with_a_key_block_and_tokens_never_prints() {
    let (Some(db), Some(project)) = (data("advisory-db"), data("lockfiles/gen-old-vulns")) else {
        return;
    };
    let p = planted();
    let tmp = tempfile::tempdir().unwrap();
    let policy = tmp.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "schema_version = 1\n[[audit.ignore]]\nid = \"RUSTSEC-2021-0003\"\nreason = \"\"\"\n{}\nthen {} and {} via {}\"\"\"\napproved_by = \"ops {}\"\nexpires = 2030-01-01\n",
            p.pem(),
            token(),
            p.slack,
            p.smtp,
            p.aws
        ),
    )
    .unwrap();
    for format in ["json", "human", "sarif", "markdown"] {
        let out = run_planted(
            &p,
            &[
                "audit",
                "--offline",
                "--lockfile-only",
                "--format",
                format,
                "--policy",
                policy.to_str().unwrap(),
                "--db",
                db.to_str().unwrap(),
                project.to_str().unwrap(),
            ]
            .map(std::ffi::OsStr::new),
        );
        if format == "json" {
            let doc: serde_json::Value =
                serde_json::from_slice(&out.stdout).expect("redacted JSON is still JSON");
            let ignored = doc["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["advisory_id"] == "RUSTSEC-2021-0003")
                .unwrap();
            let reason = ignored["ignore"]["reason"].as_str().unwrap();
            assert!(
                reason.contains("[REDACTED]") && reason.contains("then"),
                "{reason}"
            );
        }
    }
}

/// The last line of defence: a panic prints neither the text it was slicing nor Rust's
/// default message, and exits 2.
#[test]
fn a_panic_prints_a_short_redacted_line_and_exits_2() {
    let secret = format!("{} {}", token(), planted().smtp);
    let out = cw()
        .env("CHAINWARDEN_DEBUG_PANIC", &secret)
        .args(["audit", "."])
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("internal error at src/main.rs:"), "{err}");
    assert!(
        !err.contains(&token()) && !err.contains(&planted().smtp),
        "{err}"
    );
    assert!(
        !err.contains("panicked") && err.lines().count() <= 2,
        "{err}"
    );
}

/// clap's own errors quote the offending argument.
#[test]
fn argument_errors_are_redacted() {
    let p = planted();
    let url = format!("https://ci:{}@h/x", p.long_password);
    for args in [
        vec!["audit", "--format", token().as_str()],
        vec!["--no-such-flag", p.aws.as_str()],
        vec!["verify", "bundle", "--bogus", url.as_str()],
    ] {
        let out = run_planted(
            &p,
            &args.iter().map(std::ffi::OsStr::new).collect::<Vec<_>>(),
        );
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(text(&out.stderr).contains("error"), "{}", text(&out.stderr));
    }
}

/// A recorded audit does not redact again an inventory its store already holds (CI's daily run
/// of an unchanged lockfile), but one that holds a value this run's environment calls secret is
/// redacted and stored as a new inventory, whatever the store held before.
fn an_inventory_the_store_holds_is_redacted_again_for_a_secret_only_this_run_knows(
    backend: Backend,
) {
    let (Some(db), Some(ripgrep)) = (
        data("advisory-db"),
        data("lockfiles/real-ripgrep/Cargo.lock"),
    ) else {
        return;
    };
    let value = env_secret();
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    std::fs::create_dir(&project).unwrap();
    // No rule takes this source for a credential: only the environment can say it is secret.
    let lock = std::fs::read_to_string(ripgrep).unwrap()
        + &format!(
            "\n[[package]]\nname = \"planted-git\"\nversion = \"0.1.0\"\nsource = \"git+https://github.com/org/{value}?rev=v1#{}\"\n",
            "0123456789abcdef".repeat(3).get(..40).unwrap()
        );
    std::fs::write(project.join("Cargo.lock"), lock).unwrap();
    let Some(store) = evidence_store(backend, tmp.path()) else {
        return;
    };
    // A cache of its own: the second and third runs find the first run's inventory memo (on
    // SQLite the third reads the stored text back and finds the secret in it; on PostgreSQL,
    // with a secret in the environment, the memo is not used).
    let cache = tmp.path().join("cache");
    let audit = |env: Option<&str>| {
        let mut cmd = crate::common::offline_json_audit(&cache, &db);
        cmd.env_remove("CHAINWARDEN_NO_RECORD")
            .env("CHAINWARDEN_EVIDENCE", &store)
            .arg(&project);
        if let Some(v) = env {
            cmd.env("DEPLOY_TOKEN", v);
        }
        let out = cmd.output().unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{}",
            text(&out.stderr)
        );
    };
    let rows = || -> Vec<(String, bool)> {
        as_owner(
            backend,
            &store,
            "SELECT r.inventory_sha256, i.packages FROM runs r
             JOIN inventories i ON i.sha256 = r.inventory_sha256 ORDER BY r.seq",
        )
        .lines()
        .map(|row| {
            let (digest, packages) = row.split_once('|').unwrap();
            (digest.to_string(), packages.contains(&value))
        })
        .collect()
    };
    audit(None);
    audit(None);
    assert_eq!(
        std::fs::read_dir(cache.join("inventories"))
            .unwrap()
            .count(),
        1
    );
    let daily = rows();
    assert_eq!(daily.len(), 2);
    assert_eq!(
        daily[0].0, daily[1].0,
        "an unchanged lockfile shares one inventory"
    );
    assert!(
        daily[0].1,
        "without the secret in the environment the value is plain text"
    );
    audit(Some(&value));
    let after = rows();
    assert_ne!(
        after[2].0, after[0].0,
        "the secret run stored its own, redacted inventory"
    );
    assert!(
        !after[2].1,
        "the value is masked in the secret run's inventory"
    );
}
