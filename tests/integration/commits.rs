//! `chainwarden verify commits` on a repository made in the test, with commits signed by fresh
//! SSH and GPG keys, unsigned, and signed by a key the policy does not trust.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{cw, text};
use serde_json::Value;

fn run(dir: &Path, cmd: &str, args: &[&str], env: &[(&str, &Path)]) -> String {
    let mut c = Command::new(cmd);
    c.args(args).current_dir(dir);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        text(&out.stderr)
    );
    text(&out.stdout).trim().to_string()
}

/// Two SSH keys (`trusted_key`, `stranger_key` in the directory) and a GPG key in a private
/// keyring: its fingerprint and its exported public key.
struct Keys {
    gnupg: PathBuf,
    fpr: String,
    asc: PathBuf,
}

fn make_keys(t: &Path) -> Keys {
    let gnupg = t.join("gnupg");
    std::fs::create_dir_all(&gnupg).unwrap();
    std::fs::set_permissions(&gnupg, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    for name in ["trusted", "stranger"] {
        run(
            t,
            "ssh-keygen",
            &[
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                name,
                "-f",
                &format!("{name}_key"),
            ],
            &[],
        );
    }
    let env = [("GNUPGHOME", gnupg.as_path())];
    run(
        t,
        "gpg",
        &[
            "--batch",
            "--passphrase",
            "",
            "--quick-gen-key",
            "Release Bot <bot@example.org>",
            "ed25519",
            "sign",
            "never",
        ],
        &env,
    );
    let listing = run(
        t,
        "gpg",
        &["--batch", "--with-colons", "--list-keys", "bot@example.org"],
        &env,
    );
    let fpr = listing
        .lines()
        .find(|l| l.starts_with("fpr:"))
        .unwrap()
        .split(':')
        .nth(9)
        .unwrap()
        .to_string();
    let asc = t.join("bot.asc");
    std::fs::write(
        &asc,
        run(t, "gpg", &["--batch", "--armor", "--export", &fpr], &env),
    )
    .unwrap();
    Keys { gnupg, fpr, asc }
}

/// `git` in `repo` with a fixed author, signing off unless `args` turn it on.
fn git(repo: &Path, keys: &Keys, args: &[&str]) -> String {
    let mut all = vec![
        "-c",
        "user.email=dev@example.org",
        "-c",
        "user.name=dev",
        "-c",
        "commit.gpgsign=false",
    ];
    all.extend_from_slice(args);
    run(repo, "git", &all, &[("GNUPGHOME", keys.gnupg.as_path())])
}

/// A repository in `t/repo` whose commits after the returned base are signed by the trusted
/// SSH key, by the GPG key, by nobody and by the stranger's SSH key, in that order.
fn signed_history(t: &Path, keys: &Keys) -> (PathBuf, String) {
    let repo = t.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, keys, &["init", "-q"]);
    let commit = |msg: &str, sign: &[&str]| {
        std::fs::write(repo.join("log.txt"), msg).unwrap();
        git(&repo, keys, &["add", "-A"]);
        let mut args: Vec<&str> = sign.to_vec();
        args.extend(["commit", "-q", "-m", msg]);
        git(&repo, keys, &args);
        git(&repo, keys, &["rev-parse", "HEAD"])
    };
    let base = commit("base", &[]);
    let ssh = |name: &str| {
        [
            "-c".to_string(),
            "gpg.format=ssh".to_string(),
            "-c".to_string(),
            format!("user.signingkey={}", t.join(name).display()),
            "-c".to_string(),
            "commit.gpgsign=true".to_string(),
        ]
    };
    let tk = ssh("trusted_key.pub");
    let sk = ssh("stranger_key.pub");
    let tk: Vec<&str> = tk.iter().map(String::as_str).collect();
    let sk: Vec<&str> = sk.iter().map(String::as_str).collect();
    commit("ssh trusted", &tk);
    commit(
        "gpg trusted",
        &[
            "-c",
            "gpg.format=openpgp",
            "-c",
            &format!("user.signingkey={}", keys.fpr),
            "-c",
            "commit.gpgsign=true",
        ],
    );
    commit("unsigned", &[]);
    commit("ssh stranger", &sk);
    (repo, base)
}

#[test]
fn only_commits_signed_by_trusted_keys_pass() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let keys = make_keys(t);
    let (repo, base) = signed_history(t, &keys);
    let fpr = &keys.fpr;
    let pubkey = std::fs::read_to_string(t.join("trusted_key.pub")).unwrap();
    let policy = t.join("policy.toml");
    std::fs::write(
        &policy,
        format!("[commits]\nssh_allowed_signers = [\"dev@example.org {}\"]\ngpg_fingerprints = [\"{fpr}\"]\ngpg_public_keys = \"{}\"\n", pubkey.trim(), keys.asc.display()),
    )
    .unwrap();
    let out = cw()
        .args(["verify", "commits", "--format", "json", "--repo"])
        .arg(&repo)
        .args(["--range", &format!("{base}..HEAD"), "--policy"])
        .arg(&policy)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let by_subject: Vec<(String, String)> = report["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().get(13..).unwrap().to_string(),
                s["checks"][0]["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        by_subject,
        vec![
            (
                "ssh stranger".to_string(),
                "verify:commit-unknown-key".to_string()
            ),
            ("unsigned".into(), "verify:commit-unsigned".into()),
            ("gpg trusted".into(), "verify:commit-signed".into()),
            ("ssh trusted".into(), "verify:commit-signed".into()),
        ]
    );
    assert!(report["notes"][0]
        .as_str()
        .unwrap()
        .contains("2 of 4 commits signed by a trusted key (50%)"));
    // Only the trusted range passes.
    let two_back = git(&repo, &keys, &["rev-parse", "HEAD~2"]);
    let out = cw()
        .args(["verify", "commits", "--repo"])
        .arg(&repo)
        .args(["--range", &format!("{base}..{two_back}"), "--policy"])
        .arg(&policy)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn a_policy_without_commits_keys_says_it_trusts_none() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    run(repo, "git", &["init", "-q"], &[]);
    std::fs::write(repo.join("a.txt"), b"a\n").unwrap();
    run(repo, "git", &["add", "a.txt"], &[]);
    run(
        repo,
        "git",
        &[
            "-c",
            "user.email=dev@example.org",
            "-c",
            "user.name=dev",
            "commit",
            "-qm",
            "first",
        ],
        &[],
    );
    let out = cw()
        .args(["verify", "commits", "--range", "HEAD", "--repo"])
        .arg(repo)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("the policy trusts no keys"), "{err}");
    assert!(!err.contains("commit-unknown-key"), "{err}");
}
