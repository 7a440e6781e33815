//! `chainwarden secrets scan` on a repository made in the test, with secrets planted at run
//! time (so this repository holds none), in files and in git history.

use std::path::Path;
use std::process::Command;

use crate::common::{cw, repo_root, text};
use serde_json::Value;

struct Planted {
    github: String,
    aws: String,
    password: String,
    key_body: String,
}

fn planted() -> Planted {
    Planted {
        github: format!("ghp_{}", "Zq8rT2mLx9Wv".repeat(3)),
        aws: format!("AKIA{}", "Q7XR2LMZ8WKD4PNH"),
        password: ["Tr0ub4dor&3", "xQ9!zLm2"].join("-"),
        key_body: "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7".to_string(),
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.email=dev@example.org",
            "-c",
            "user.name=dev",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
    text(&out.stdout).trim().to_string()
}

fn scan(dir: &Path, extra: &[&str]) -> (i32, String) {
    let out = cw()
        .arg("secrets")
        .arg("scan")
        .arg(dir)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        text(&out.stdout) + &text(&out.stderr),
    )
}

fn rules(json: &str) -> Vec<(String, String, u64)> {
    let v: Value = serde_json::from_str(json).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn planted_secrets_are_found_and_never_shown() {
    let p = planted();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::create_dir_all(d.join("config")).unwrap();
    std::fs::write(
        d.join("config/deploy.yml"),
        format!("env:\n  GITHUB_TOKEN: {}\n  region: eu-west-1\n", p.github),
    )
    .unwrap();
    std::fs::write(
        d.join("aws.py"),
        format!("import boto3\nKEY_ID = \"{}\"\n", p.aws),
    )
    .unwrap();
    std::fs::write(
        d.join("settings.toml"),
        format!("[db]\nuser = \"app\"\ndb_password = \"{}\"\n", p.password),
    )
    .unwrap();
    std::fs::write(
        d.join("id_rsa"),
        format!(
            "-----BEGIN RSA {}-----\n{}\n-----END RSA PRIVATE KEY-----\n",
            "PRIVATE KEY", p.key_body
        ),
    )
    .unwrap();
    std::fs::write(d.join(".env"), "DEBUG=1\n").unwrap();
    // Not secrets: the example env file, placeholders, low-entropy values.
    std::fs::write(d.join(".env.example"), "API_TOKEN=changeme\n").unwrap();
    std::fs::write(d.join("ok.toml"), "password = \"${DATABASE_PASSWORD}\"\ntoken = \"aaaaaaaaaaaaaaaaaaaaaaaa\"\nsecret_name = \"prod/db\"\n").unwrap();

    let (code, json) = scan(d, &["--format", "json"]);
    assert_eq!(code, 1);
    let found = rules(&json);
    let expected: Vec<(String, String, u64)> = [
        ("aws-access-key-id", "aws.py", 2),
        ("dotenv-file", ".env", 1),
        ("github-token", "config/deploy.yml", 2),
        ("private-key", "id_rsa", 1),
        ("secret-assignment", "settings.toml", 3),
    ]
    .iter()
    .map(|(r, p, l)| (r.to_string(), p.to_string(), *l))
    .collect();
    assert_eq!(
        found, expected,
        "one finding per secret: the generic rule defers to the specific one"
    );
    assert_eq!(found.len(), 5, "{found:?}");
    for format in ["human", "json", "sarif"] {
        let (_, out) = scan(d, &["--format", format]);
        for secret in [&p.github, &p.aws, &p.password, &p.key_body] {
            assert!(
                !out.contains(secret.as_str()),
                "{format} output shows a secret:\n{out}"
            );
        }
        assert!(out.contains("[REDACTED:"), "{format}");
    }

    // Allowlists: by path, by rule, by fingerprint.
    let v: Value = serde_json::from_str(&json).unwrap();
    let fp = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "aws-access-key-id")
        .unwrap()["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let policy = tmp.path().join("../policy-secrets.toml");
    std::fs::write(&policy, format!("[secrets]\nallow_paths = [\"config/**\"]\nallow_rules = [\"dotenv-file\"]\nallow_fingerprints = [\"{fp}\"]\n")).unwrap();
    let (code, json) = scan(
        d,
        &["--format", "json", "--policy", policy.to_str().unwrap()],
    );
    assert_eq!(code, 1);
    let left: Vec<String> = rules(&json).into_iter().map(|r| r.0).collect();
    assert_eq!(left, vec!["private-key", "secret-assignment"]);
    assert_eq!(
        serde_json::from_str::<Value>(&json).unwrap()["allowlisted"],
        3
    );
    std::fs::remove_file(policy).unwrap();
}

#[test]
fn history_is_scanned_commit_by_commit() {
    let p = planted();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    git(d, &["init", "-q"]);
    std::fs::write(d.join("README.md"), "demo\n").unwrap();
    git(d, &["add", "-A"]);
    git(d, &["commit", "-qm", "init"]);
    let base = git(d, &["rev-parse", "HEAD"]);
    std::fs::write(
        d.join("ci.sh"),
        format!(
            "#!/bin/sh\necho start\ncurl -H \"x: y\" https://api.example.org?{}\n",
            format_args!("access_token={}", p.github)
        ),
    )
    .unwrap();
    git(d, &["add", "-A"]);
    git(d, &["commit", "-qm", "add ci"]);
    let leak = git(d, &["rev-parse", "HEAD"]);
    std::fs::write(d.join("ci.sh"), "#!/bin/sh\necho start\n").unwrap();
    git(d, &["commit", "-qam", "remove the token"]);
    // The working tree is clean; the history is not.
    assert_eq!(scan(d, &[]).0, 0);
    let (code, json) = scan(
        d,
        &["--format", "json", "--git-range", &format!("{base}..HEAD")],
    );
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["commits_scanned"], 2);
    let f = &v["findings"][0];
    assert_eq!(
        (f["path"].as_str(), f["line"].as_u64(), f["commit"].as_str()),
        (Some("ci.sh"), Some(3), Some(leak.as_str()))
    );
    assert!(!json.contains(&p.github));
    // A bad range is bad input.
    assert_eq!(scan(d, &["--git-range", "nope..HEAD"]).0, 2);
}

#[test]
fn this_repository_holds_no_secrets() {
    let (code, out) = scan(&repo_root(), &[]);
    assert_eq!(code, 0, "{out}");
}

/// Issue 11 item 6: finding codes and SARIF rule ids are identifiers the program made; the
/// redactor masked them all to `secrets:[REDACTED]`, so code scanning merged every rule.
#[test]
fn rule_ids_survive_redaction_in_json_and_sarif() {
    let p = planted();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("a.yml"), format!("token: {}\n", p.github)).unwrap();
    std::fs::write(d.join("b.py"), format!("KEY_ID = \"{}\"\n", p.aws)).unwrap();
    std::fs::write(
        d.join("c.toml"),
        format!("db_password = \"{}\"\n", p.password),
    )
    .unwrap();
    let (code, json) = scan(d, &["--format", "json"]);
    assert_eq!(code, 1, "{json}");
    let v: Value = serde_json::from_str(&json).unwrap();
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "secrets:aws-access-key-id",
            "secrets:github-token",
            "secrets:secret-assignment"
        ]
    );
    let (_, sarif) = scan(d, &["--format", "sarif"]);
    let v: Value = serde_json::from_str(&sarif).unwrap();
    let run = &v["runs"][0];
    let mut ids: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "rule ids are distinct: {ids:?}");
    assert!(ids.contains(&"secrets:github-token"), "{ids:?}");
    let results: Vec<&str> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert!(results.iter().all(|r| ids.contains(r)), "{results:?}");
    for secret in [&p.github, &p.aws, &p.password] {
        assert!(!sarif.contains(secret.as_str()) && !json.contains(secret.as_str()));
    }
}

/// Issue 17: `allow_paths` globs are compiled once with globset when the policy is validated.
/// A glob that does not compile stops the scan with exit 2 at its file, line and key (before,
/// it silently matched nothing, so a typo'd allowlist looked like a working one), and the
/// globset syntax (alternatives, classes) holds end to end.
#[test]
fn allow_paths_globs_are_validated_at_their_position_and_applied() {
    let p = planted();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("tree");
    std::fs::create_dir_all(d.join("certs/dev")).unwrap();
    std::fs::create_dir_all(d.join("src")).unwrap();
    std::fs::write(d.join("certs/dev/a.yml"), format!("token: {}\n", p.github)).unwrap();
    std::fs::write(d.join("src/b.py"), format!("KEY_ID = \"{}\"\n", p.aws)).unwrap();

    let bad = tmp.path().join("bad.toml");
    std::fs::write(
        &bad,
        "schema_version = 1\n[secrets]\nallow_paths = [\n  \"certs/**\",\n  \"src/[b-a].py\",\n]\n",
    )
    .unwrap();
    let (code, out) = scan(&d, &["--policy", bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    let expected = format!(
        "{}:5:3: secrets.allow_paths[1]: `src/[b-a].py` is not a valid glob",
        bad.display()
    );
    assert!(out.contains(&expected), "{out}");
    assert!(!out.contains("finding"), "nothing is reported: {out}");

    let good = tmp.path().join("good.toml");
    std::fs::write(
        &good,
        "[secrets]\nallow_paths = [\"{certs,keys}/**/*.yml\"]\n",
    )
    .unwrap();
    let (code, json) = scan(
        &d,
        &["--format", "json", "--policy", good.to_str().unwrap()],
    );
    assert_eq!(code, 1, "{json}");
    let left: Vec<String> = rules(&json).into_iter().map(|r| r.1).collect();
    assert_eq!(left, ["src/b.py"]);
    assert_eq!(
        serde_json::from_str::<Value>(&json).unwrap()["allowlisted"],
        1
    );
}

/// Issue 17: the secrets scan's SARIF is built from the same typed model as the audit's and
/// validates against the official SARIF 2.1.0 schema, for a tree and for a history range.
/// Every result's `ruleIndex` points at its rule (the `.env` file rule included), and its
/// fingerprint is the finding's, the allowlist key.
#[test]
fn sarif_validates_against_the_official_schema_and_indexes_its_rules() {
    let p = planted();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("repo");
    std::fs::create_dir_all(&d).unwrap();
    git(&d, &["init", "-q"]);
    std::fs::write(d.join("README.md"), "demo\n").unwrap();
    git(&d, &["add", "-A"]);
    git(&d, &["commit", "-qm", "init"]);
    let base = git(&d, &["rev-parse", "HEAD"]);
    std::fs::write(d.join("a.yml"), format!("token: {}\n", p.github)).unwrap();
    std::fs::write(d.join(".env"), "DEBUG=1\n").unwrap();
    git(&d, &["add", "-A"]);
    git(&d, &["commit", "-qm", "leak"]);
    std::fs::write(d.join("b.py"), format!("KEY_ID = \"{}\"\n", p.aws)).unwrap();

    let (_, json) = scan(&d, &["--format", "json"]);
    let fingerprints: Vec<String> = serde_json::from_str::<Value>(&json).unwrap()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_string())
        .collect();
    let mut docs = Vec::new();
    for (name, extra) in [
        ("tree.sarif", vec![]),
        (
            "history.sarif",
            vec!["--git-range".to_string(), format!("{base}..HEAD")],
        ),
    ] {
        let mut args = vec!["--format".to_string(), "sarif".to_string()];
        args.extend(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, sarif) = scan(&d, &args);
        assert_eq!(code, 1, "{sarif}");
        let v: Value = serde_json::from_str(&sarif).unwrap();
        let run = &v["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let results = run["results"].as_array().unwrap();
        let mut ids = Vec::new();
        for r in results {
            let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
            assert_eq!(rule["id"], r["ruleId"], "{r}");
            ids.push(r["ruleId"].as_str().unwrap());
            assert_eq!(r["level"], "error");
            let location = &r["locations"][0]["physicalLocation"];
            assert!(location["region"]["startColumn"].as_u64().unwrap() >= 1);
        }
        assert!(ids.contains(&"secrets:dotenv-file"), "{ids:?}");
        assert!(ids.contains(&"secrets:github-token"), "{ids:?}");
        if name == "tree.sarif" {
            let in_sarif: Vec<&str> = results
                .iter()
                .map(|r| r["partialFingerprints"]["chainwarden/v1"].as_str().unwrap())
                .collect();
            assert_eq!(
                in_sarif, fingerprints,
                "the allowlist key is the fingerprint"
            );
        }
        let path = tmp.path().join(name);
        std::fs::write(&path, &sarif).unwrap();
        docs.push(path);
    }
    crate::sbom::validate("sarif-schema-2.1.0.json", &docs);
}
