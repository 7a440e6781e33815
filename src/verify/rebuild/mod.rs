//! `chainwarden verify rebuild`: does an independent rebuild reproduce the published bytes?
//!
//! Each side is a directory or a checksum manifest. Every published artifact is a subject:
//! `verify:reproducible` when the rebuild has the same SHA-256, `verify:not-reproducible` (with
//! sizes, first differing byte, differing archive members or ELF sections when both sides are
//! files) or `verify:rebuild-missing`. `--rebuild CMD --source DIR` runs the rebuild itself in
//! a fresh temporary copy of the source with `SOURCE_DATE_EPOCH` set from the release commit.

pub mod diff;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use rayon::prelude::*;

use super::checksums::hash::hash_file;
use super::checksums::manifest::{self, Algorithm};
use super::model::{Check, Code, SubjectResult, Verdict, VerifyCommand, VerifyReport};
use crate::error::{Error, Result};
use crate::fsutil::walk::{Kind, Walk};

/// One side of the comparison: name → (sha256 hex, file when we have the bytes).
pub struct Side {
    pub artifacts: BTreeMap<String, (String, Option<PathBuf>)>,
}

impl Side {
    /// A directory (every regular file below it) or a manifest (sha256 entries).
    pub fn load(path: &Path) -> Result<Side> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        let mut artifacts = BTreeMap::new();
        if meta.is_dir() {
            // Every artifact is compared: a FIFO among them is refused, not skipped.
            let files = Walk::new(path).files_refusing_special()?;
            let digests: Vec<Result<String>> = files
                .par_iter()
                .map(|rel| {
                    hash_file(&path.join(rel), Algorithm::Sha256, &|_| {})
                        .map(|d| d.hex)
                        .map_err(|e| Error::io(path.join(rel), e))
                })
                .collect();
            for (rel, digest) in files.into_iter().zip(digests) {
                let file = path.join(&rel);
                artifacts.insert(rel, (digest?, Some(file)));
            }
        } else {
            let text = crate::fsutil::read_text(path, crate::fsutil::InputKind::ChecksumManifest)?;
            for e in manifest::parse(path, &text)? {
                if let Some(reason) = &e.unsafe_reason {
                    return Err(Error::at_line(
                        path,
                        e.line,
                        format!("unsafe name `{}`: {reason}", e.name),
                    ));
                }
                if e.algorithm != Algorithm::Sha256 {
                    return Err(Error::at_line(
                        path,
                        e.line,
                        "rebuild comparison needs sha256 digests",
                    ));
                }
                artifacts.insert(e.name, (e.digest, None));
            }
        }
        Ok(Side { artifacts })
    }
}

/// Compares every published artifact with the rebuild.
pub fn compare(published: &Side, rebuilt: &Side, time: String, notes: Vec<String>) -> VerifyReport {
    let subjects = published
        .artifacts
        .iter()
        .map(|(name, (digest, file))| {
            let check = match rebuilt.artifacts.get(name) {
                None => Check::new(
                    Code::RebuildMissing,
                    Verdict::Failed,
                    "the rebuild did not produce this artifact",
                ),
                Some((d, _)) if d == digest => Check::new(
                    Code::Reproducible,
                    Verdict::Verified,
                    "the rebuild reproduces the published bytes",
                ),
                Some((d, rebuilt_file)) => {
                    let mut check = Check::new(
                        Code::NotReproducible,
                        Verdict::Failed,
                        "the rebuild differs from the published artifact",
                    )
                    .detail("published_sha256", digest.clone())
                    .detail("rebuilt_sha256", d.clone());
                    if let (Some(a), Some(b)) = (file, rebuilt_file) {
                        check.details.extend(diff::explain(a, b));
                    }
                    check
                }
            };
            SubjectResult::new(name.clone(), Some(format!("sha256:{digest}")), vec![check])
        })
        .collect();
    VerifyReport::new(VerifyCommand::Rebuild, time, subjects, notes)
}

/// The release commit's time, for `SOURCE_DATE_EPOCH` (None outside a git checkout).
pub fn source_date_epoch(source: &Path) -> Option<String> {
    let text = crate::git::last_commit_format(source, "%ct")?;
    let epoch = text.trim();
    (!epoch.is_empty() && epoch.bytes().all(|b| b.is_ascii_digit())).then(|| epoch.to_string())
}

/// Runs `command` (with `sh -c`) in a fresh copy of `source`; returns the copy.
pub fn run_rebuild(source: &Path, command: &str) -> Result<(tempfile::TempDir, Vec<String>)> {
    let copy = tempfile::Builder::new()
        .prefix("chainwarden-rebuild-")
        .tempdir()
        .map_err(|e| Error::io(std::env::temp_dir(), e))?;
    copy_tree(source, copy.path())?;
    let mut notes = Vec::new();
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(command).current_dir(copy.path());
    match source_date_epoch(source) {
        Some(epoch) => {
            notes.push(format!(
                "rebuilt with SOURCE_DATE_EPOCH={epoch} (the source's last commit)"
            ));
            cmd.env("SOURCE_DATE_EPOCH", epoch);
        }
        None => notes.push("the source is not a git checkout: SOURCE_DATE_EPOCH not set".into()),
    }
    // `--rebuilt` is relative to the copy: a target directory set for the user's own builds
    // would send the rebuild's output elsewhere (and mix it with theirs).
    // The environment the rebuild's cargo would inherit, not a setting of ours: read directly.
    for var in ["CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR"] {
        if std::env::var_os(var).is_some() {
            notes.push(format!(
                "{var} unset for the rebuild, so its output stays in the copy"
            ));
            cmd.env_remove(var);
        }
    }
    let out = cmd
        .output()
        .map_err(|e| Error::usage(format!("--rebuild: cannot run `sh`: {e}")).caused_by(e))?;
    if !out.status.success() {
        return Err(Error::usage(format!(
            "--rebuild command failed ({}){}",
            out.status,
            failure_excerpt(&String::from_utf8_lossy(&out.stderr))
        )));
    }
    Ok((copy, notes))
}

/// Lines of a failed command's stderr worth showing: the first lines that name an error
/// (build tools print progress first, so the real error is rarely at the top and often not at
/// the bottom either), then the last lines. Bounded whatever the command printed.
pub fn failure_excerpt(stderr: &str) -> String {
    const EACH: usize = 5;
    const WIDTH: usize = 300;
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return ": it printed nothing on stderr".to_string();
    }
    let clip = |l: &str| -> String {
        let l = l.trim_end();
        let shown = crate::text::prefix(l, WIDTH);
        if shown.len() < l.len() {
            format!("{shown}...")
        } else {
            shown.to_string()
        }
    };
    let tail_start = lines.len().saturating_sub(EACH);
    let first_errors: Vec<usize> = (0..tail_start)
        .filter(|&i| {
            let lower = lines[i].trim_start().to_ascii_lowercase();
            lower.starts_with("error") || lower.contains("error:") || lower.starts_with("fatal")
        })
        .take(EACH)
        .collect();
    let mut out = String::new();
    if !first_errors.is_empty() {
        out.push_str("\n  first error lines of its stderr:");
        for i in &first_errors {
            out.push_str(&format!("\n    {}", clip(lines[*i])));
        }
    }
    out.push_str(if tail_start > 0 {
        "\n  last lines of its stderr:"
    } else {
        "\n  its stderr:"
    });
    for line in &lines[tail_start..] {
        out.push_str(&format!("\n    {}", clip(line)));
    }
    out
}

/// Copies a source tree, leaving out build output (`target/` at any depth) but keeping `.git`
/// so the rebuild sees the same commit. Links are copied as links (never followed); a FIFO,
/// socket or device in the tree is refused (copying a FIFO would block on it).
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    for entry in Walk::new(from).skip_dirs(&["target"]).entries()? {
        let src = from.join(&entry.rel);
        let dest = to.join(&entry.rel);
        match entry.kind {
            Kind::Dir => std::fs::create_dir_all(&dest).map_err(|e| Error::io(&dest, e))?,
            Kind::Link => {
                let target = std::fs::read_link(&src).map_err(|e| Error::io(&src, e))?;
                std::os::unix::fs::symlink(target, &dest).map_err(|e| Error::io(&dest, e))?;
            }
            Kind::File => copy_file(&src, &dest)?,
            special => {
                return Err(Error::input(
                    &src,
                    format!("is not a regular file ({}): refused", special.what()),
                ))
            }
        }
    }
    Ok(())
}

/// Copies one regular file with its permissions, opened without blocking (a file swapped
/// for a FIFO after the walk is refused, not waited on).
fn copy_file(src: &Path, dest: &Path) -> Result<()> {
    let mut input = crate::fsutil::open_regular(src)?;
    let mode = input
        .metadata()
        .map_err(|e| Error::io(src, e))?
        .permissions();
    let mut output = std::fs::File::create(dest).map_err(|e| Error::io(dest, e))?;
    std::io::copy(&mut input, &mut output).map_err(|e| Error::io(dest, e))?;
    output.set_permissions(mode).map_err(|e| Error::io(dest, e))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    /// A build's stderr is the rebuilt project's text: a line is clipped after 300
    /// characters, not bytes, so a multibyte character at the cut stays whole.
    #[test]
    fn long_stderr_lines_are_clipped_between_characters() {
        let long = format!("{}é€ tail", "a".repeat(299));
        let excerpt = failure_excerpt(&long);
        assert!(
            excerpt.ends_with(&format!("\n    {}é...", "a".repeat(299))),
            "{excerpt}"
        );
        let exact = "€".repeat(300);
        assert!(failure_excerpt(&exact).ends_with(&format!("\n    {exact}")));
    }

    #[test]
    fn the_source_copy_keeps_links_as_links_skips_target_and_refuses_a_fifo() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        std::fs::create_dir_all(src.join(".git")).unwrap();
        std::fs::create_dir_all(src.join("crate/target/debug")).unwrap();
        std::fs::write(src.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
        std::fs::write(src.join("crate/lib.rs"), "fn f() {}\n").unwrap();
        std::fs::write(src.join("crate/target/debug/out"), "built").unwrap();
        symlink("loop2", src.join("loop1")).unwrap();
        symlink("loop1", src.join("loop2")).unwrap();
        symlink("..", src.join("crate/up")).unwrap();
        let copy = tmp.path().join("copy");
        std::fs::create_dir(&copy).unwrap();
        copy_tree(&src, &copy).unwrap();
        assert_eq!(
            std::fs::read_to_string(copy.join("crate/lib.rs")).unwrap(),
            "fn f() {}\n"
        );
        assert!(copy.join(".git/HEAD").is_file());
        assert!(
            !copy.join("crate/target").exists(),
            "build output is left out"
        );
        assert_eq!(
            std::fs::read_link(copy.join("loop1")).unwrap(),
            Path::new("loop2")
        );
        assert_eq!(
            std::fs::read_link(copy.join("crate/up")).unwrap(),
            Path::new("..")
        );

        let ok = std::process::Command::new("mkfifo")
            .arg(src.join("crate/pipe"))
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let again = tmp.path().join("again");
        std::fs::create_dir(&again).unwrap();
        let err = copy_tree(&src, &again).unwrap_err().to_string();
        assert!(
            err.ends_with("crate/pipe: is not a regular file (a FIFO): refused"),
            "{err}"
        );
    }
}
