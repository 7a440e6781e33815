//! Reading a checkout's facts (is this file tracked, which commit is `HEAD`) straight from
//! its `.git` files, so that recording evidence does not start two git processes (~25 ms each
//! on a loaded machine, against a budget of 2 ms for all of recording).
//!
//! Only the plain layouts are read: a `.git` directory or a `.git` file naming the git
//! directory (linked worktrees, submodules), index versions 2-4, loose refs and
//! `packed-refs`, `HEAD` on a branch or detached. Anything else (SHA-256 repositories,
//! reftable, `core.worktree`, config includes, split or sparse indexes, a ref we cannot find,
//! a file larger than we read) is [`Answer::Unknown`], and the caller asks git itself: this
//! reader never guesses. Every file is read through the bounded reader (regular files only,
//! size-capped), and nothing in the repository is executed or trusted as a path outside it.

use std::path::{Path, PathBuf};

use crate::fsutil::{read_bytes, InputKind};

/// What the files say, or that they cannot say it.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Answer<T> {
    Known(T),
    Unknown,
}
use Answer::{Known, Unknown};

/// A checkout: where its files are and where its git data is.
struct Checkout {
    /// The top of the working tree (canonical).
    root: PathBuf,
    /// The git directory of this working tree (its `index` and `HEAD`).
    git_dir: PathBuf,
    /// Where the shared refs live (`commondir` of a linked worktree, else `git_dir`).
    common_dir: PathBuf,
}

/// Reads a small file of the repository; `None` when missing, unreadable or over the cap.
fn small(path: &Path) -> Option<Vec<u8>> {
    read_bytes(path, InputKind::Other).ok()
}

fn trimmed(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}

/// `dir`'s checkout, found the way git finds it (the nearest ancestor with a `.git`).
/// `Known(None)`: no checkout encloses `dir`.
fn discover(dir: &Path) -> Answer<Option<Checkout>> {
    let Ok(start) = dir.canonicalize() else {
        return Unknown;
    };
    for root in start.ancestors() {
        let dot_git = root.join(".git");
        let Ok(meta) = std::fs::metadata(&dot_git) else {
            continue;
        };
        let git_dir = if meta.is_dir() {
            dot_git
        } else if meta.is_file() {
            // `gitdir: PATH`, relative to the directory holding the `.git` file.
            let Some(text) = small(&dot_git) else {
                return Unknown;
            };
            let Some(rest) = trimmed(&text).strip_prefix(b"gitdir:") else {
                return Unknown;
            };
            let Ok(rest) = std::str::from_utf8(trimmed(rest)) else {
                return Unknown;
            };
            root.join(rest)
        } else {
            return Unknown;
        };
        if !git_dir.join("HEAD").is_file() {
            return Unknown;
        }
        let common_dir = match small(&git_dir.join("commondir")) {
            Some(text) => match std::str::from_utf8(trimmed(&text)) {
                Ok(rel) => git_dir.join(rel),
                Err(_) => return Unknown,
            },
            None => git_dir.clone(),
        };
        if !plain_config(&common_dir.join("config")) {
            return Unknown;
        }
        return Known(Some(Checkout {
            root: root.to_path_buf(),
            git_dir,
            common_dir,
        }));
    }
    Known(None)
}

/// Whether the repository's config leaves the layout we read as it is: no other object
/// format or ref storage, no `core.worktree` elsewhere, no includes (which could set those).
fn plain_config(path: &Path) -> bool {
    let Some(text) = small(path) else {
        return false;
    };
    let text = String::from_utf8_lossy(&text).to_ascii_lowercase();
    !text.lines().any(|line| {
        let line = line.trim_start();
        let key = line
            .split(|c: char| c == '=' || c.is_whitespace())
            .next()
            .unwrap_or("");
        matches!(key, "objectformat" | "refstorage" | "worktree") || line.starts_with("[include")
    })
}

/// Whether the index at `path` has an entry named `name` (path from the top of the working
/// tree, `/`-separated), as `git ls-files --error-unmatch` would say.
fn index_has(path: &Path, name: &[u8]) -> Answer<bool> {
    let bytes = match read_bytes(path, InputKind::Other) {
        Ok(b) => b,
        // A repository where nothing was ever added has no index.
        Err(_) if std::fs::symlink_metadata(path).is_err() => return Known(false),
        Err(_) => return Unknown,
    };
    parse_index(&bytes, name).map_or(Unknown, Known)
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Git's offset varint (index v4's prefix length).
fn varint(bytes: &[u8], at: &mut usize) -> Option<usize> {
    let mut c = *bytes.get(*at)?;
    *at += 1;
    let mut value = usize::from(c & 0x7f);
    while c & 0x80 != 0 {
        c = *bytes.get(*at)?;
        *at += 1;
        value = value.checked_add(1)?.checked_mul(128)? | usize::from(c & 0x7f);
    }
    Some(value)
}

/// Index format: "DIRC", version, entry count, entries, extensions, SHA-1 of the rest.
/// `None` for anything this reader does not fully understand.
fn parse_index(bytes: &[u8], name: &[u8]) -> Option<bool> {
    const HEADER: usize = 62; // stat data (40), object id (20), flags (2)
    const HASH: usize = 20;
    if bytes.get(..4)? != b"DIRC" {
        return None;
    }
    let version = be32(bytes, 4)?;
    if !(2..=4).contains(&version) {
        return None;
    }
    let count = be32(bytes, 8)?;
    let end = bytes.len().checked_sub(HASH)?;
    let mut at = 12;
    let mut previous: Vec<u8> = Vec::new();
    let mut found = false;
    for _ in 0..count {
        let mode = be32(bytes, at + 24)?;
        let flags = u16::from_be_bytes(bytes.get(at + 60..at + 62)?.try_into().ok()?);
        // A directory entry is a sparse index: its files are not listed here.
        if mode & 0o170000 == 0o040000 {
            return None;
        }
        let mut name_at = at + HEADER;
        if flags & 0x4000 != 0 {
            if version < 3 {
                return None;
            }
            name_at += 2;
        }
        let (entry_name, next) = if version == 4 {
            let mut p = name_at;
            let strip = varint(bytes, &mut p)?;
            let len = bytes.get(p..end)?.iter().position(|&b| b == 0)?;
            previous.truncate(previous.len().checked_sub(strip)?);
            previous.extend_from_slice(&bytes[p..p + len]);
            (previous.as_slice(), p + len + 1)
        } else {
            let len = bytes.get(name_at..end)?.iter().position(|&b| b == 0)?;
            // Entries are padded with 1-8 NULs to a multiple of 8 bytes from their start.
            let size = (name_at - at + len + 8) & !7;
            (&bytes[name_at..name_at + len], at + size)
        };
        found |= entry_name == name;
        at = next;
        if at > end {
            return None;
        }
    }
    // Extensions: a split index ("link") keeps entries in another file; refuse to answer.
    while at + 8 <= end {
        let signature = &bytes[at..at + 4];
        if signature == b"link" || signature == b"sdir" {
            return None;
        }
        at = at
            .checked_add(8)?
            .checked_add(be32(bytes, at + 4)? as usize)?;
    }
    (at == end).then_some(found)
}

/// A ref name we are willing to look up as a file below the git directory.
fn safe_ref_name(name: &str) -> bool {
    name.starts_with("refs/")
        && name.len() <= 1024
        && name.split('/').all(|part| {
            !part.is_empty()
                && !part.starts_with('.')
                && part.bytes().all(|b| b > b' ' && b != 0x7f && b != b'\\')
        })
}

/// A full commit id (SHA-1 hex), lowercased.
fn object_id(text: &[u8]) -> Option<String> {
    (text.len() == 40 && text.iter().all(u8::is_ascii_hexdigit))
        .then(|| String::from_utf8_lossy(text).to_ascii_lowercase())
}

/// The commit `HEAD` points at: detached, or through a branch (loose or packed), following at
/// most a few symbolic refs.
fn head(checkout: &Checkout) -> Answer<String> {
    let Some(mut text) = small(&checkout.git_dir.join("HEAD")) else {
        return Unknown;
    };
    for _ in 0..5 {
        let line = trimmed(&text);
        if let Some(id) = object_id(line) {
            return Known(id);
        }
        let Some(target) = line.strip_prefix(b"ref:") else {
            return Unknown;
        };
        let Ok(name) = std::str::from_utf8(trimmed(target)) else {
            return Unknown;
        };
        if !safe_ref_name(name) {
            return Unknown;
        }
        // Per-worktree refs live in the worktree's git directory, the others are shared.
        let per_worktree = ["refs/bisect/", "refs/worktree/", "refs/rewritten/"]
            .iter()
            .any(|p| name.starts_with(p));
        let base = if per_worktree {
            &checkout.git_dir
        } else {
            &checkout.common_dir
        };
        let loose = base.join(name);
        text = match small(&loose) {
            Some(loose) => loose,
            // Only a ref with no loose file is looked up in `packed-refs`, whose entry may be
            // older than an unreadable loose one.
            None if std::fs::symlink_metadata(&loose).is_err() => {
                match packed(&checkout.common_dir.join("packed-refs"), name) {
                    Some(id) => return Known(id),
                    None => return Unknown,
                }
            }
            None => return Unknown,
        };
    }
    Unknown
}

/// `name`'s commit in a `packed-refs` file.
fn packed(path: &Path, name: &str) -> Option<String> {
    let text = small(path)?;
    text.split(|&b| b == b'\n').find_map(|line| {
        let (id, refname) = line.split_at_checked(40)?;
        (refname.strip_prefix(b" ")? == name.as_bytes())
            .then(|| object_id(id))
            .flatten()
    })
}

/// The file `name` in `dir`: its path from the top of the working tree and the commit of
/// `HEAD` when the index tracks it (`Known(None)`: not tracked, or no checkout).
pub(super) fn tracked(
    dir: &Path,
    name: &std::ffi::OsStr,
) -> Answer<Option<(String, Option<String>)>> {
    let checkout = match discover(dir) {
        Known(Some(c)) => c,
        Known(None) => return Known(None),
        Unknown => return Unknown,
    };
    let Ok(start) = dir.canonicalize() else {
        return Unknown;
    };
    let Ok(inside) = start.strip_prefix(&checkout.root) else {
        return Unknown;
    };
    let mut rel = String::new();
    for part in inside.iter().chain([name]) {
        let Some(part) = part.to_str() else {
            return Unknown;
        };
        if !rel.is_empty() {
            rel.push('/');
        }
        rel.push_str(part);
    }
    match index_has(&checkout.git_dir.join("index"), rel.as_bytes()) {
        Known(true) => {}
        Known(false) => return Known(None),
        Unknown => return Unknown,
    }
    match head(&checkout) {
        Known(commit) => Known(Some((rel, Some(commit)))),
        Unknown => Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@e"])
            .args(args)
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE")
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// A repository with `a/Cargo.lock` (tracked, committed), `a/b/Cargo.lock` and
    /// `a/Cargo.lock.orig` (tracked, the latter sharing a prefix) and `a/untracked.lock`.
    fn repo() -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        let r = tmp.path();
        git(r, &["init", "-q", "-b", "main"]);
        std::fs::create_dir_all(r.join("a/b")).unwrap();
        for f in [
            "a/Cargo.lock",
            "a/b/Cargo.lock",
            "a/Cargo.lock.orig",
            "a/untracked.lock",
        ] {
            std::fs::write(r.join(f), f).unwrap();
        }
        git(
            r,
            &["add", "a/Cargo.lock", "a/b/Cargo.lock", "a/Cargo.lock.orig"],
        );
        git(r, &["commit", "-q", "-m", "one"]);
        tmp
    }

    /// The files' answer is git's own, for every file of the fixture.
    fn agrees_with_git(dir: &Path) {
        for name in [
            "Cargo.lock",
            "untracked.lock",
            "missing.lock",
            "Cargo.lock.orig",
        ] {
            let direct = tracked(dir, OsStr::new(name));
            let by_git = super::super::tracked_file_by_git(dir, OsStr::new(name));
            assert_eq!(direct, Known(by_git), "{} {name}", dir.display());
        }
    }

    #[test]
    fn branch_packed_refs_detached_head_and_index_v4_agree_with_git() {
        let tmp = repo();
        let r = tmp.path();
        agrees_with_git(&r.join("a"));
        assert!(matches!(tracked(&r.join("a"), OsStr::new("Cargo.lock")),
            Known(Some((ref rel, Some(_)))) if rel == "a/Cargo.lock"));
        agrees_with_git(&r.join("a/b"));
        git(r, &["pack-refs", "--all"]);
        assert!(!r.join(".git/refs/heads/main").exists());
        agrees_with_git(&r.join("a"));
        std::fs::write(r.join("a/c.lock"), "c").unwrap();
        git(r, &["add", "a/c.lock"]);
        git(r, &["commit", "-q", "-m", "two"]);
        git(r, &["checkout", "-q", "--detach", "HEAD~1"]);
        agrees_with_git(&r.join("a"));
        git(r, &["update-index", "--index-version", "4"]);
        agrees_with_git(&r.join("a"));
        agrees_with_git(&r.join("a/b"));
    }

    #[test]
    fn linked_worktree_agrees_with_git() {
        let tmp = repo();
        let r = tmp.path();
        let wt = r.join("wt");
        git(
            r,
            &["worktree", "add", "-q", "-b", "side", wt.to_str().unwrap()],
        );
        agrees_with_git(&wt.join("a"));
        std::fs::write(wt.join("a/untracked.lock"), "x").unwrap();
        git(&wt, &["add", "a/untracked.lock"]);
        git(&wt, &["commit", "-q", "-m", "side"]);
        agrees_with_git(&wt.join("a"));
        assert_ne!(
            tracked(&wt.join("a"), OsStr::new("Cargo.lock")),
            tracked(&r.join("a"), OsStr::new("Cargo.lock")),
            "each worktree has its own HEAD"
        );
    }

    #[test]
    fn layouts_not_read_are_left_to_git() {
        let tmp = repo();
        let r = tmp.path();
        git(r, &["update-index", "--split-index"]);
        assert_eq!(tracked(&r.join("a"), OsStr::new("Cargo.lock")), Unknown);
        git(r, &["update-index", "--no-split-index"]);
        agrees_with_git(&r.join("a"));
        git(r, &["config", "core.worktree", r.to_str().unwrap()]);
        assert_eq!(tracked(&r.join("a"), OsStr::new("Cargo.lock")), Unknown);

        // An unborn branch: the file is in the index but HEAD names no commit yet.
        let fresh = tempfile::tempdir().unwrap();
        git(fresh.path(), &["init", "-q"]);
        std::fs::write(fresh.path().join("Cargo.lock"), "x").unwrap();
        git(fresh.path(), &["add", "Cargo.lock"]);
        assert_eq!(tracked(fresh.path(), OsStr::new("Cargo.lock")), Unknown);
        assert_eq!(
            super::super::tracked_file(fresh.path(), OsStr::new("Cargo.lock")),
            Some(("Cargo.lock".into(), None))
        );
    }

    #[test]
    fn hostile_indexes_and_refs_give_no_answer_and_no_panic() {
        let tmp = repo();
        let r = tmp.path();
        let index = std::fs::read(r.join(".git/index")).unwrap();
        assert_eq!(parse_index(&index, b"a/Cargo.lock"), Some(true));
        // The checksum is not verified (git does not either), so a cut that drops whole
        // extensions still reads; a cut never makes the file look untracked or panics.
        for len in 0..index.len() {
            assert_ne!(
                parse_index(&index[..len], b"a/Cargo.lock"),
                Some(false),
                "{len}"
            );
        }
        let mut huge_count = index.clone();
        huge_count[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(parse_index(&huge_count, b"a/Cargo.lock"), None);
        for bad in [
            "refs/../../config",
            "refs/heads/.x",
            "HEAD",
            "refs//x",
            "refs/a\\b",
        ] {
            assert!(!safe_ref_name(bad), "{bad}");
        }
        std::fs::write(r.join(".git/HEAD"), "ref: refs/../../../etc/passwd\n").unwrap();
        assert_eq!(tracked(&r.join("a"), OsStr::new("Cargo.lock")), Unknown);
        std::fs::write(r.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
        std::fs::write(r.join(".git/refs/heads/main"), "ref: refs/heads/main\n").unwrap();
        assert_eq!(
            tracked(&r.join("a"), OsStr::new("Cargo.lock")),
            Unknown,
            "a ref loop"
        );
    }

    #[test]
    fn outside_any_checkout_nothing_is_tracked() {
        let tmp = tempfile::tempdir().unwrap();
        if matches!(discover(tmp.path()), Known(None)) {
            assert_eq!(tracked(tmp.path(), OsStr::new("Cargo.lock")), Known(None));
        }
    }
}
