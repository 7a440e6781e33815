//! The one way chainwarden runs git.
//!
//! Every git call goes through [`Git`], which:
//! - clears every `GIT_*` variable of our environment (`GIT_DIR`, `GIT_WORK_TREE`,
//!   `GIT_INDEX_FILE`, `GIT_EXTERNAL_DIFF`, ...), so the repository we read is the one named,
//!   read the way we expect;
//! - disables what a hostile repository's own config could run or change: `core.fsmonitor`
//!   (a command git runs on `ls-files`/`status`), pagers and terminal prompts (callers of
//!   `log -p` add `--no-ext-diff --no-textconv`);
//! - puts user-given revisions after `--end-of-options`, and only after [`validate_range`]
//!   refused anything that starts with `-` (`--output=FILE` would make git write a file).
//!
//! A range that resolves to no commit is an error ([`range_commits`]), never "clean, 0 commits".

mod files;

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::error::{Error, Result};

/// A git command being built for one repository.
pub struct Git {
    cmd: Command,
    /// The subcommand, for error messages (`git log`).
    name: String,
    configs: Vec<String>,
    args: Vec<std::ffi::OsString>,
}

impl Git {
    /// `git -C repo`, with a scrubbed environment and hostile-config defences.
    pub fn new(repo: &Path) -> Git {
        let mut cmd = Command::new("git");
        // Not a setting, so not a clap argument: every `GIT_*` variable the child would
        // inherit must be removed, whatever its name, so the whole environment is walked.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("GIT_") {
                cmd.env_remove(key);
            }
        }
        cmd.env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_PAGER", "cat")
            .stdin(Stdio::null());
        cmd.arg("-C").arg(repo).arg("--no-pager");
        Git {
            cmd,
            name: String::new(),
            configs: vec!["core.fsmonitor=false".into(), "core.pager=cat".into()],
            args: Vec::new(),
        }
    }

    /// `-c key=value` (given before the subcommand).
    pub fn config(mut self, key: &str, value: &str) -> Git {
        self.configs.push(format!("{key}={value}"));
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Git {
        self.cmd.env(key, value);
        self
    }

    /// Fixed arguments (the subcommand and its options). Never user input: revisions go
    /// through [`Git::revisions`].
    pub fn args<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(mut self, args: I) -> Git {
        for a in args {
            if self.name.is_empty() {
                self.name = format!("git {}", a.as_ref().to_string_lossy());
            }
            self.args.push(a.as_ref().to_os_string());
        }
        self
    }

    /// A validated range or revision, after `--end-of-options` and before `--`.
    pub fn revisions(self, range: &str) -> Result<Git> {
        validate_range(range)?;
        Ok(self.args(["--end-of-options", range, "--"]))
    }

    fn command(mut self) -> (Command, String) {
        for c in &self.configs {
            self.cmd.arg("-c").arg(c);
        }
        self.cmd.args(&self.args);
        (self.cmd, self.name)
    }

    /// Runs it; stdout on success, else an error with git's own first lines of complaint.
    pub fn run(self) -> Result<Vec<u8>> {
        let (mut cmd, name) = self.command();
        let out = cmd
            .output()
            .map_err(|e| Error::usage(format!("cannot run git: {e}")).caused_by(e))?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let reason: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
            return Err(Error::usage(format!(
                "{name} failed: {}",
                reason[..reason.len().min(3)].join("; ")
            )));
        }
        Ok(out.stdout)
    }

    /// For best-effort facts (the commit of a checkout): `None` on any failure.
    pub fn try_run(self) -> Option<Vec<u8>> {
        self.run().ok()
    }
}

/// Refuses revisions git could read as options or that hold characters no ref name has.
/// Accepts `REV`, `A..B`, `A...B` (either side of a range may be empty, as in `A..`).
pub fn validate_range(range: &str) -> Result<()> {
    let bad = |why: &str| {
        Err(Error::usage(format!(
            "invalid git range `{}`: {why}",
            crate::lines::escape(range)
        )))
    };
    if range.is_empty() {
        return bad("empty");
    }
    if range.len() > 1024 {
        return bad("longer than 1024 characters");
    }
    if range.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return bad("contains whitespace or control characters");
    }
    let parts: Vec<&str> = match range.split_once("...") {
        Some((a, b)) => vec![a, b],
        None => match range.split_once("..") {
            Some((a, b)) => vec![a, b],
            None => vec![range],
        },
    };
    if parts.iter().all(|p| p.is_empty()) {
        return bad("no revision on either side");
    }
    for part in parts {
        if part.starts_with('-') {
            return bad("a revision must not start with `-` (it would be read as an option)");
        }
        if part.contains("..") {
            return bad("more than one `..`");
        }
    }
    Ok(())
}

/// The commits of `range` (newest first); an error when it holds none, so that nothing is
/// ever reported clean over zero commits.
pub fn range_commits(repo: &Path, range: &str) -> Result<Vec<String>> {
    let out = Git::new(repo).args(["rev-list"]).revisions(range)?.run()?;
    let text = String::from_utf8_lossy(&out);
    let commits: Vec<String> = text.lines().map(str::to_string).collect();
    if commits.is_empty() {
        return Err(Error::usage(format!(
            "git range `{range}` resolves to no commit: nothing to check (an empty range is \
             refused, never reported clean)"
        )));
    }
    Ok(commits)
}

/// The commit `HEAD` of a checkout, when `dir` is one.
pub fn head_commit(dir: &Path) -> Option<String> {
    let out = Git::new(dir).args(["rev-parse", "HEAD"]).try_run()?;
    let text = String::from_utf8(out).ok()?;
    let commit = text.trim();
    (commit.len() >= 40 && commit.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| commit.to_string())
}

/// The file `name` in `dir`, when git tracks it: its path from the top of the working tree
/// and the commit of `HEAD` (`None` for either when git does not know).
///
/// Read from the `.git` files when their layout is a plain one (no process: this is on every
/// recorded run's path); otherwise, and whenever those files do not give a sure answer, asked
/// of git itself.
pub fn tracked_file(dir: &Path, name: &OsStr) -> Option<(String, Option<String>)> {
    match files::tracked(dir, name) {
        files::Answer::Known(answer) => answer,
        files::Answer::Unknown => tracked_file_by_git(dir, name),
    }
}

fn tracked_file_by_git(dir: &Path, name: &OsStr) -> Option<(String, Option<String>)> {
    // The file name is a fixed argument after `--`: never read as an option.
    let out = Git::new(dir)
        .args([
            "ls-files".as_ref(),
            "--error-unmatch".as_ref(),
            "--full-name".as_ref(),
            "--".as_ref(),
            name,
        ])
        .try_run()?;
    let rel = String::from_utf8(out).ok()?.trim().to_string();
    if rel.is_empty() || rel.contains('\n') {
        return None;
    }
    Some((rel, head_commit(dir)))
}

/// `git log -1 --format=FORMAT` of a checkout (best effort).
pub fn last_commit_format(dir: &Path, format: &str) -> Option<String> {
    let out = Git::new(dir)
        .args([
            "log",
            "-1",
            "--no-show-signature",
            &format!("--format={format}"),
        ])
        .try_run()?;
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_like_and_odd_ranges_are_refused() {
        for bad in [
            "",
            "--output=/tmp/x",
            "-p",
            "main..--output=x",
            "..",
            "a..b..c",
            "a b",
            "a\nb",
            "a\u{1b}[2J",
        ] {
            assert!(validate_range(bad).is_err(), "{bad:?}");
        }
        for good in [
            "HEAD",
            "v1.0.0..v1.1.0",
            "origin/main..HEAD",
            "a...b",
            "HEAD~3..",
            "main^",
        ] {
            validate_range(good).unwrap_or_else(|e| panic!("{good}: {e}"));
        }
    }
}
