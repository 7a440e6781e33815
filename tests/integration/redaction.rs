//! Secrets planted in every input chainwarden reads — environment, policy, URLs, lockfile
//! source URLs, manifests, bundles, error paths — never reach any output: stdout, stderr,
//! written files, the evidence store.

use std::path::Path;

use crate::common::{cw, data, serve, text};

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

#[test]
fn planted_secrets_reach_no_output() {
    let Some(db) = data("advisory-db") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let store = t.join("evidence.db");
    let out_dir = t.join("out");
    std::fs::create_dir(&out_dir).unwrap();

    // A lockfile whose private registry URL carries credentials.
    let lock = std::fs::read_to_string(data("lockfiles/real-ripgrep/Cargo.lock").unwrap()).unwrap();
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

    let run = |args: &[&str]| {
        let out = cw()
            .env_remove("CHAINWARDEN_NO_RECORD")
            .env("CHAINWARDEN_EVIDENCE", &store)
            .env("DEPLOY_API_TOKEN", env_secret())
            .env("GITHUB_TOKEN", token())
            .env("CHAINWARDEN_HTTP_ATTEMPTS", "1")
            .env("CHAINWARDEN_HTTP_TIMEOUT", "2")
            .env(
                "CHAINWARDEN_CRATES_INDEX_URL",
                format!("http://user:{}@127.0.0.1:9/", env_secret()),
            )
            .args(["--policy"])
            .arg(&policy)
            .args(args)
            .output()
            .unwrap();
        assert_clean(&format!("stdout of {args:?}"), &out.stdout);
        assert_clean(&format!("stderr of {args:?}"), &out.stderr);
        out
    };
    let db_arg = db.to_str().unwrap();
    let p = project.to_str().unwrap();
    for format in ["human", "json", "sarif", "markdown"] {
        let file = out_dir.join(format!("audit.{format}"));
        run(&[
            "audit",
            "--offline",
            "--lockfile-only",
            "--db",
            db_arg,
            "--format",
            format,
            p,
        ]);
        run(&[
            "audit",
            "--offline",
            "--lockfile-only",
            "--db",
            db_arg,
            "--format",
            format,
            "--output",
            file.to_str().unwrap(),
            p,
        ]);
    }
    // Online (yanked check against an index URL with credentials that refuses the connection).
    run(&["audit", "--lockfile-only", "--db", db_arg, p]);
    // A database URL with credentials that fails to download: the error names the URL, masked.
    let base = serve(|_| (500, Vec::new()));
    let with_creds = base.replacen("http://", &format!("http://bot:{}@", env_secret()), 1);
    let out = run(&[
        "db",
        "update",
        "--url",
        &format!("{with_creds}/db.tar.gz"),
        "--cache-dir",
        t.join("cache").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("[REDACTED]"),
        "{}",
        text(&out.stderr)
    );

    // A manifest and a release URL with credentials; an artifact name that is a token.
    let rel = t.join("release");
    std::fs::create_dir(&rel).unwrap();
    std::fs::write(rel.join("app.tar.gz"), b"bytes").unwrap();
    std::fs::write(
        rel.join("SHA256SUMS"),
        format!(
            "{}  app.tar.gz\n{}  {}.txt\n",
            "0".repeat(64),
            "1".repeat(64),
            token()
        ),
    )
    .unwrap();
    run(&[
        "verify",
        "checksums",
        rel.join("SHA256SUMS").to_str().unwrap(),
        "--format",
        "json",
    ]);
    run(&[
        "verify",
        "checksums",
        rel.join("SHA256SUMS").to_str().unwrap(),
        "--base-url",
        &format!("{with_creds}/rel"),
    ]);
    // A bundle path and identity flags carrying secrets.
    let bundle = t.join(format!("{}.sigstore.json", token()));
    std::fs::write(
        &bundle,
        format!("{{\"mediaType\": \"x\", \"note\": \"{}\"}}", token()),
    )
    .unwrap();
    run(&[
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
    // Error paths: a policy error quoting the secret, a missing file named by a token.
    let bad = t.join("bad.toml");
    std::fs::write(&bad, format!("[scope]\ntenant_id = \"{}\"\n", token())).unwrap();
    let out = cw()
        .env("GITHUB_TOKEN", token())
        .arg("--policy")
        .arg(&bad)
        .args(["audit", p])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_clean("policy error", &out.stderr);
    run(&[
        "audit",
        "--offline",
        "--db",
        db_arg,
        &format!("/nonexistent/{}/Cargo.lock", token()),
    ]);

    // Evidence: the store, its export and the reports.
    run(&[
        "evidence",
        "export",
        "--output",
        out_dir.join("export.jsonl").to_str().unwrap(),
    ]);
    for format in ["json", "markdown", "html"] {
        run(&[
            "report",
            "--quarter",
            "2026-Q4",
            "--now",
            "2026-12-31",
            "--format",
            format,
            "--output",
            out_dir.join(format!("report.{format}")).to_str().unwrap(),
        ]);
    }
    assert_dir_clean(&out_dir);
    for f in std::fs::read_dir(t).unwrap() {
        let p = f.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("evidence.db")
        {
            assert_clean("the evidence store", &std::fs::read(&p).unwrap());
        }
    }
}
