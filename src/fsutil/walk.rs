//! The one directory walker: every tree we read goes through it (the secrets scan outside a
//! git checkout, checksum directories and `chainwarden checksums`, the rebuild's source copy,
//! the advisory database). `walkdir` walks; this module holds what a hostile tree must not
//! break, whatever it holds:
//!
//! - **Links are never followed.** A link is an entry of kind [`Kind::Link`], so a link loop
//!   (`a -> b -> a`, `loop -> .`) cannot loop the walk, and no link leads the walk out of its
//!   root. Callers that read a link's target check where it leads themselves.
//! - **Only directories are opened.** FIFOs, sockets and devices are entries of their kind,
//!   never opened, so a FIFO without a writer cannot block us; each caller says whether such
//!   an entry is refused or reported.
//! - **Bounded.** At most [`MAX_ENTRIES`] entries and [`MAX_DEPTH`] levels: past either the
//!   walk is an error naming the root, never a silently truncated list read as complete.
//!
//! Entries are named relative to the root, `/`-separated, and sorted, so the same tree gives
//! the same list (manifests and index keys are built from it).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The most entries one walk accepts (a release directory or a source tree has far fewer).
pub const MAX_ENTRIES: usize = 2_000_000;
/// The deepest level one walk enters.
pub const MAX_DEPTH: usize = 256;

/// What an entry is, without following links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Link,
    Fifo,
    Socket,
    Device,
}

impl Kind {
    fn of(t: std::fs::FileType) -> Kind {
        use std::os::unix::fs::FileTypeExt;
        if t.is_symlink() {
            Kind::Link
        } else if t.is_dir() {
            Kind::Dir
        } else if t.is_file() {
            Kind::File
        } else if t.is_fifo() {
            Kind::Fifo
        } else if t.is_socket() {
            Kind::Socket
        } else {
            Kind::Device
        }
    }

    /// FIFOs, sockets and devices: entries that are neither data nor structure.
    pub fn is_special(self) -> bool {
        matches!(self, Kind::Fifo | Kind::Socket | Kind::Device)
    }

    /// The kind in an error message (`a FIFO`), as `fsutil::open_regular` names it.
    pub fn what(self) -> &'static str {
        match self {
            Kind::File => "a regular file",
            Kind::Dir => "a directory",
            Kind::Link => "a symbolic link",
            Kind::Fifo => "a FIFO",
            Kind::Socket => "a socket",
            Kind::Device => "a device",
        }
    }
}

/// One entry below the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Relative to the root, `/`-separated (non-UTF-8 bytes replaced).
    pub rel: String,
    pub kind: Kind,
}

/// A walk of one tree; [`Walk::entries`] or [`Walk::files`] runs it.
#[derive(Debug, Clone)]
pub struct Walk {
    root: PathBuf,
    skip: Vec<OsString>,
    depth: Option<usize>,
}

impl Walk {
    pub fn new(root: &Path) -> Walk {
        Walk {
            root: root.to_path_buf(),
            skip: Vec::new(),
            depth: None,
        }
    }

    /// Directories with these names are not entered, at any depth (`target`, `.git`).
    pub fn skip_dirs(mut self, names: &[&str]) -> Walk {
        self.skip = names.iter().map(OsString::from).collect();
        self
    }

    /// Only the entries exactly `depth` levels down, for trees whose layout fixes the depth
    /// (the advisory database: `crates/<package>/<advisory>.md`); nothing deeper is entered.
    pub fn at_depth(mut self, depth: usize) -> Walk {
        self.depth = Some(depth);
        self
    }

    /// Every entry below the root (not the root), sorted by name.
    pub fn entries(&self) -> Result<Vec<Entry>> {
        let (min, max) = match self.depth {
            Some(d) => (d, d),
            None => (1, MAX_DEPTH),
        };
        let walker = walkdir::WalkDir::new(&self.root)
            .follow_links(false)
            .min_depth(min)
            .max_depth(max)
            .into_iter()
            .filter_entry(|e| {
                !(e.file_type().is_dir() && self.skip.iter().any(|s| s == e.file_name()))
            });
        let mut out = Vec::new();
        for item in walker {
            let entry = item.map_err(|e| self.walk_error(e))?;
            let kind = Kind::of(entry.file_type());
            if self.depth.is_none() && kind == Kind::Dir && entry.depth() == MAX_DEPTH {
                return Err(Error::input(
                    entry.path(),
                    format!(
                        "deeper than {MAX_DEPTH} levels below {}: refused",
                        self.root.display()
                    ),
                ));
            }
            if out.len() == MAX_ENTRIES {
                return Err(Error::input(
                    &self.root,
                    format!("holds more than {MAX_ENTRIES} entries: refused"),
                ));
            }
            let rel = entry
                .path()
                .strip_prefix(&self.root)
                .unwrap_or(entry.path());
            out.push(Entry {
                rel: rel.to_string_lossy().into_owned(),
                kind,
            });
        }
        out.sort_by(|a, b| a.rel.cmp(&b.rel));
        Ok(out)
    }

    /// The regular files below the root, sorted; links and special files are left out.
    pub fn files(&self) -> Result<Vec<String>> {
        Ok(self
            .entries()?
            .into_iter()
            .filter(|e| e.kind == Kind::File)
            .map(|e| e.rel)
            .collect())
    }

    /// [`Walk::files`] for callers that describe the whole tree (a manifest, a rebuild's
    /// artifacts) and must not leave an entry out silently: a FIFO, socket or device is an
    /// error naming it. Links are still left out.
    pub fn files_refusing_special(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for e in self.entries()? {
            if e.kind.is_special() {
                return Err(Error::input(
                    self.root.join(&e.rel),
                    format!("is not a regular file ({}): refused", e.kind.what()),
                ));
            }
            if e.kind == Kind::File {
                out.push(e.rel);
            }
        }
        Ok(out)
    }

    fn walk_error(&self, e: walkdir::Error) -> Error {
        let path = e.path().unwrap_or(&self.root).to_path_buf();
        match e.into_io_error() {
            Some(io) => super::path_error(&path, io),
            None => Error::input(path, "is a symbolic link loop (it never reaches a file)"),
        }
    }
}

/// Every regular file under `dir`, relative and `/`-separated, sorted.
pub fn files(dir: &Path) -> Result<Vec<String>> {
    Walk::new(dir).files()
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::super::tests::mkfifo;
    use super::*;

    /// A tree with a link loop, a link to the root, a link out of it, a FIFO and a socket.
    fn hostile_tree() -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        std::fs::create_dir_all(d.join("a/b")).unwrap();
        std::fs::create_dir_all(d.join("target/debug")).unwrap();
        std::fs::write(d.join("a/b/file.txt"), "x").unwrap();
        std::fs::write(d.join("top.txt"), "y").unwrap();
        std::fs::write(d.join("target/debug/out"), "z").unwrap();
        symlink(d.join("a/loop2"), d.join("a/loop1")).unwrap();
        symlink(d.join("a/loop1"), d.join("a/loop2")).unwrap();
        symlink("..", d.join("a/b/up")).unwrap();
        symlink("/", d.join("root")).unwrap();
        mkfifo(&d.join("a/fifo"));
        let _socket = std::os::unix::net::UnixListener::bind(d.join("sock")).unwrap();
        tmp
    }

    #[test]
    fn links_are_entries_never_followed_and_specials_are_named_never_opened() {
        let tmp = hostile_tree();
        let entries = Walk::new(tmp.path())
            .skip_dirs(&["target"])
            .entries()
            .unwrap();
        let got: Vec<(&str, Kind)> = entries.iter().map(|e| (e.rel.as_str(), e.kind)).collect();
        assert_eq!(
            got,
            [
                ("a", Kind::Dir),
                ("a/b", Kind::Dir),
                ("a/b/file.txt", Kind::File),
                ("a/b/up", Kind::Link),
                ("a/fifo", Kind::Fifo),
                ("a/loop1", Kind::Link),
                ("a/loop2", Kind::Link),
                ("root", Kind::Link),
                ("sock", Kind::Socket),
                ("top.txt", Kind::File),
            ]
        );
        assert_eq!(
            files(tmp.path()).unwrap(),
            ["a/b/file.txt", "target/debug/out", "top.txt"]
        );
        assert!(Kind::Fifo.is_special() && Kind::Socket.is_special() && !Kind::Link.is_special());
        let err = Walk::new(tmp.path())
            .files_refusing_special()
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("a/fifo: is not a regular file (a FIFO): refused"),
            "{err}"
        );
    }

    #[test]
    fn a_root_named_like_a_skipped_directory_is_still_walked() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("target");
        std::fs::create_dir_all(root.join("release")).unwrap();
        std::fs::write(root.join("release/app"), "x").unwrap();
        let files = Walk::new(&root).skip_dirs(&["target"]).files().unwrap();
        assert_eq!(files, ["release/app"]);
    }

    #[test]
    fn a_fixed_depth_walk_lists_only_that_level() {
        let tmp = hostile_tree();
        let at2: Vec<String> = Walk::new(tmp.path())
            .at_depth(2)
            .entries()
            .unwrap()
            .into_iter()
            .map(|e| e.rel)
            .collect();
        assert_eq!(at2, ["a/b", "a/fifo", "a/loop1", "a/loop2", "target/debug"]);
    }

    #[test]
    fn too_deep_is_refused_by_name() {
        let tmp = tempfile::tempdir().unwrap();
        let mut deep = tmp.path().to_path_buf();
        for _ in 0..MAX_DEPTH {
            deep.push("d");
        }
        std::fs::create_dir_all(&deep).unwrap();
        let err = files(tmp.path()).unwrap_err().to_string();
        assert!(
            err.contains(&format!("deeper than {MAX_DEPTH} levels")),
            "{err}"
        );
        // One level less is fine.
        std::fs::remove_dir(&deep).unwrap();
        assert!(files(tmp.path()).unwrap().is_empty());
    }

    #[test]
    fn a_missing_root_is_an_error_naming_it() {
        let tmp = tempfile::tempdir().unwrap();
        let gone = tmp.path().join("gone");
        let err = files(&gone).unwrap_err().to_string();
        assert!(err.contains("gone"), "{err}");
    }
}
