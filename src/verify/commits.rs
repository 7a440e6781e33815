//! `chainwarden verify commits`: every commit of a range is signed (SSH or GPG) by a key the
//! policy trusts. Git does the cryptography (`git log --format=%G?...`), given an
//! allowed-signers file built from the policy and, for GPG, a private keyring holding only the
//! policy's public keys; we decide what is trusted.

use std::path::Path;
use std::process::{Command, Stdio};

use super::model::{Check, Code, SubjectResult, Verdict, VerifyCommand, VerifyReport};
use crate::error::{Error, Result};
use crate::policy::CommitsPolicy;

/// Signed / total over the subjects of a commits report.
pub fn signed_share(report: &VerifyReport) -> (usize, usize) {
    (report.counts.verified, report.subjects.len())
}

pub fn verify_commits(
    repo: &Path,
    range: &str,
    policy: &CommitsPolicy,
    time: String,
) -> Result<VerifyReport> {
    let scratch = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let mut signers = policy.ssh_allowed_signers.join("\n");
    if let Some(file) = &policy.ssh_allowed_signers_file {
        signers.push('\n');
        signers.push_str(&crate::fsutil::read_text(
            file,
            crate::fsutil::InputKind::Keys,
        )?);
    }
    let allowed = scratch.path().join("allowed_signers");
    std::fs::write(&allowed, signers + "\n").map_err(|e| Error::io(&allowed, e))?;
    let gnupghome = match &policy.gpg_public_keys {
        Some(keys) => Some(import_gpg_keys(scratch.path(), keys)?),
        None => None,
    };
    // Resolving first makes an empty range an error, never "0 commits, nothing unsigned".
    let commits = crate::git::range_commits(repo, range)?;
    let mut git = crate::git::Git::new(repo)
        .config("gpg.ssh.allowedSignersFile", &allowed.display().to_string());
    if let Some(home) = &gnupghome {
        git = git.env("GNUPGHOME", home);
    }
    // Fields: commit, status, fingerprint, key, signer, subject (NUL-separated, one per line).
    let out = git
        .args([
            "log",
            "--no-show-signature",
            "--format=%H%x00%G?%x00%GF%x00%GK%x00%GS%x00%s",
        ])
        .revisions(range)?
        .run()?;
    let text = String::from_utf8_lossy(&out);
    let mut subjects = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split('\0').collect();
        let [commit, status, fingerprint, key, signer, summary] = f[..] else {
            continue;
        };
        let check = classify(status, fingerprint, key, signer, policy);
        // The subject is the committer's text: escaped so it cannot drive the terminal.
        let short = commit.get(..12).unwrap_or(commit);
        let name = format!("{short} {}", crate::lines::escape(summary));
        subjects.push(SubjectResult::new(
            name,
            Some(format!("commit:{commit}")),
            vec![check],
        ));
    }
    if subjects.len() != commits.len() {
        // Fail closed: a commit we could not read is never left out of the verdict silently.
        return Err(Error::usage(format!(
            "git log {range}: read {} of {} commits",
            subjects.len(),
            commits.len()
        )));
    }
    let mut notes = Vec::new();
    {
        let signed = subjects
            .iter()
            .filter(|s| s.verdict == Verdict::Verified)
            .count();
        notes.push(format!(
            "{signed} of {} commits signed by a trusted key ({:.0}%)",
            subjects.len(),
            100.0 * signed as f64 / subjects.len() as f64
        ));
    }
    Ok(VerifyReport::new(
        VerifyCommand::Commits,
        time,
        subjects,
        notes,
    ))
}

/// A private keyring holding only the policy's public keys. The key file is read (bounded,
/// regular files only) and piped to gpg, so gpg never opens a path we did not check.
fn import_gpg_keys(scratch: &Path, keys: &Path) -> Result<std::path::PathBuf> {
    use std::io::Write;
    let bytes = crate::fsutil::read_bytes(keys, crate::fsutil::InputKind::Keys)?;
    let home = scratch.join("gnupg");
    std::fs::create_dir(&home).map_err(|e| Error::io(&home, e))?;
    let mut child = Command::new("gpg")
        .env("GNUPGHOME", &home)
        .args(["--batch", "--quiet", "--import"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::usage(format!("cannot run gpg: {e}")).caused_by(e))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A write error means gpg stopped early; its exit status says why.
        let _ = stdin.write_all(&bytes);
    }
    let out = child
        .wait_with_output()
        .map_err(|e| Error::usage(format!("cannot run gpg: {e}")).caused_by(e))?;
    if !out.status.success() {
        return Err(Error::input(
            keys,
            format!(
                "gpg could not import the keys: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        ));
    }
    Ok(home)
}

fn classify(
    status: &str,
    fingerprint: &str,
    key: &str,
    signer: &str,
    policy: &CommitsPolicy,
) -> Check {
    let is_ssh = fingerprint.starts_with("SHA256:") || key.starts_with("SHA256:");
    let trusted_gpg = !is_ssh
        && !fingerprint.is_empty()
        && policy
            .gpg_fingerprints
            .iter()
            .any(|f| f.eq_ignore_ascii_case(fingerprint));
    let with = |c: Check| {
        c.detail(
            "key",
            if fingerprint.is_empty() {
                key.to_string()
            } else {
                fingerprint.to_string()
            },
        )
        .detail("signer", signer.to_string())
    };
    match status {
        "N" => Check::new(Code::CommitUnsigned, Verdict::Failed, "commit-unsigned: the commit is not signed"),
        // SSH: G only when the key is in the allowed signers built from the policy.
        "G" if is_ssh => with(Check::new(Code::CommitSigned, Verdict::Verified, format!("SSH signature by trusted signer {signer}"))),
        "G" | "U" if trusted_gpg => with(Check::new(Code::CommitSigned, Verdict::Verified, format!("GPG signature by trusted key {fingerprint}"))),
        "G" | "U" => with(Check::new(Code::CommitUnknownKey, Verdict::Failed, "commit-unknown-key: signed, but not by a key the policy trusts")),
        "E" => with(Check::new(Code::CommitUnknownKey, Verdict::Failed, "commit-unknown-key: signed with a key that cannot be checked (not trusted by the policy)")),
        "B" => with(Check::new(Code::CommitBadSignature, Verdict::Failed, "commit-bad-signature: the signature does not verify")),
        "X" | "Y" => with(Check::new(Code::CommitExpired, Verdict::Failed, "commit-expired: the signature or its key has expired")),
        "R" => with(Check::new(Code::CommitRevoked, Verdict::Failed, "commit-revoked: signed with a revoked key")),
        other => with(Check::new(Code::CommitUnknownKey, Verdict::Failed, format!("commit-unknown-key: signature status `{other}`"))),
    }
}
