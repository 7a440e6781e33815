//! A validated index of a parsed advisory database, so an audit neither walks nor parses the
//! ~1,200 advisory files.
//!
//! Keys: a copy installed by `chainwarden db update` is keyed by the SHA-256 of the archive it
//! was unpacked from (its content digest, recorded in the marker), and its index is written
//! inside the copy at install time. Any other directory (`--db DIR`, e.g. a git checkout) is
//! keyed by its canonical path and the modification times of `crates/`, `rust/` and `rust/*`
//! (which change when a package directory appears or goes), and its index lives in the cache
//! directory. The index file repeats its key and format, and is used only when both match; a
//! corrupt or foreign index is ignored and rewritten, never trusted. Writes are atomic.
//!
//! Advisories are stored per package as raw JSON, without their descriptions (nothing reads
//! them), and deserialised only for the crates the lockfile contains. For an unmanaged
//! directory every package directory has an entry, with a [`DirStamp`]: the directory's
//! modification time (it changes when a file is added, removed or renamed in it) and each
//! file's size and modification time (they change when it is edited). The stamp of every
//! package the audit looks up is checked against the disk, so a lookup never answers from a
//! stale entry, without walking the ~900 other directories: an audit costs a few
//! hundred `stat` calls instead of a walk of the whole tree.

use std::collections::BTreeMap;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use rustsec::advisory::Advisory;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::fsutil::walk::{Kind, Walk};

/// Bump when the stored shape changes; includes the versions that shaped it.
const FORMAT: &str = concat!(
    "chainwarden-advisory-index-5/rustsec-0.34/",
    env!("CARGO_PKG_VERSION")
);
/// The index file inside a managed copy.
pub const IN_COPY: &str = ".chainwarden-index.json";
/// Indexes of unmanaged directories kept in the cache (the newest).
const MAX_CACHED_INDEXES: usize = 8;

/// The first line of an index file; the per-package JSON follows it, at the offsets given
/// (relative to the start of the body).
#[derive(Serialize, Deserialize)]
struct Header {
    format: String,
    key: String,
    advisory_count: usize,
    /// foldhash: ~900 names are hashed on every audit (SipHash was 2% of a lockfile audit).
    packages: foldhash::HashMap<String, (usize, usize)>,
}

/// How one package directory looked when it was indexed (unmanaged directories only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirStamp {
    /// Modification time of the directory, nanoseconds since the epoch.
    mtime: u64,
    /// (file name, size, modification time) of each advisory file in it, sorted.
    files: Vec<(String, u64, u64)>,
}

impl DirStamp {
    /// The stamp of `dir` as it is now, for the files named.
    fn of(dir: &Path, files: &[&Path]) -> Option<DirStamp> {
        let mut stamped = Vec::with_capacity(files.len());
        for f in files {
            let meta = std::fs::metadata(f).ok()?;
            let name = f.file_name()?.to_str()?.to_string();
            stamped.push((name, meta.len(), mtime_ns(&meta)));
        }
        stamped.sort();
        Some(DirStamp {
            mtime: mtime_ns(&std::fs::metadata(dir).ok()?),
            files: stamped,
        })
    }

    /// Whether the package directory `name` under `crates` (the database's open `crates/`
    /// directory) still looks as stamped: same directory time (so the same set of names), and
    /// every file the same size and time. Any error is a mismatch (the caller re-indexes).
    ///
    /// Why relative to an open directory, through `rustix` (std has no `statx` at a directory
    /// handle): an audit checks a few hundred of these, and resolving each full path from `/`
    /// again was a third of their cost (perf, `link_path_walk`).
    pub fn matches(&self, crates: &OwnedFd, name: &str) -> bool {
        use rustix::fs::{statx, AtFlags, StatxFlags};
        let same = |path: &str, mtime: u64, len: Option<u64>| {
            statx(
                crates,
                path,
                AtFlags::empty(),
                StatxFlags::MTIME | StatxFlags::SIZE,
            )
            .is_ok_and(|st| {
                statx_mtime_ns(&st.stx_mtime) == mtime && len.is_none_or(|l| l == st.stx_size)
            })
        };
        same(name, self.mtime, None)
            && self.files.iter().all(|(file, len, mtime)| {
                // Only names the stamp took from a directory listing; anything else (a
                // tampered index) is a mismatch, never a path elsewhere.
                !file.contains('/') && same(&format!("{name}/{file}"), *mtime, Some(*len))
            })
    }
}

/// The database's `crates/` directory, opened for [`DirStamp::matches`]; `None` when it is not
/// a directory. `O_PATH | O_DIRECTORY`: opening never blocks (a FIFO put in place of
/// `crates/`, with the old directory's time, hung the audit with a plain open) and refuses
/// anything but a directory.
pub fn open_crates_dir(db: &Path) -> Option<OwnedFd> {
    use rustix::fs::{open, Mode, OFlags};
    open(
        db.join("crates"),
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ok()
}

/// [`mtime_ns`] of a `statx` timestamp: the same value std's `modified()` gives.
fn statx_mtime_ns(t: &rustix::fs::StatxTimestamp) -> u64 {
    let Ok(secs) = u64::try_from(t.tv_sec) else {
        return 0;
    };
    secs.checked_mul(1_000_000_000)
        .and_then(|ns| ns.checked_add(u64::from(t.tv_nsec)))
        .unwrap_or(u64::MAX)
}

/// One package's entry.
#[derive(Serialize, Deserialize)]
pub struct PackageEntry {
    pub stamp: Option<DirStamp>,
    pub advisories: Vec<Advisory>,
}

#[derive(Serialize)]
struct PackageEntryOut<'a> {
    stamp: Option<&'a DirStamp>,
    advisories: &'a [&'a Advisory],
}

fn mtime_ns(meta: &std::fs::Metadata) -> u64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// A read index: the header in memory; per-package JSON is read from the file on demand.
#[derive(Debug)]
pub struct Index {
    pub advisory_count: usize,
    file: std::fs::File,
    /// Offset of the body in the file.
    body_start: u64,
    packages: foldhash::HashMap<String, (usize, usize)>,
}

impl Index {
    /// The raw JSON of a package's entry, if it has one.
    pub fn package_json(&self, name: &str) -> Option<Vec<u8>> {
        use std::os::unix::fs::FileExt;
        let &(start, len) = self.packages.get(name)?;
        let mut buf = vec![0; len];
        self.file
            .read_exact_at(&mut buf, self.body_start + start as u64)
            .ok()?;
        Some(buf)
    }
}

/// Where the index of an unmanaged directory lives (its canonical path) and the key it must
/// carry: the path and the times of the directories whose entries are the package directories.
pub fn directory_key(dir: &Path) -> Result<(String, String)> {
    let canonical = dir
        .canonicalize()
        .map_err(|e| Error::database(format!("{}: {e}", dir.display())).caused_by(e))?;
    let location = format!("dir:{}", canonical.display());
    let time = |p: &Path| std::fs::metadata(p).map(|m| mtime_ns(&m)).unwrap_or(0);
    let mut key = format!("{location}|crates:{}", time(&canonical.join("crates")));
    let rust = canonical.join("rust");
    key.push_str(&format!("|rust:{}", time(&rust)));
    if let Ok(entries) = Walk::new(&rust).at_depth(1).entries() {
        for e in entries {
            key.push_str(&format!("|rust/{}:{}", e.rel, time(&rust.join(&e.rel))));
        }
    }
    Ok((location, key))
}

/// The stamps of the `crates/` package directories (every one, advisories or not).
pub fn stamps(dir: &Path, files: &[PathBuf]) -> Result<BTreeMap<String, DirStamp>> {
    let crates = dir.join("crates");
    let mut by_dir: BTreeMap<String, Vec<&Path>> = BTreeMap::new();
    let packages = Walk::new(&crates)
        .at_depth(1)
        .entries()
        .map_err(|e| Error::database(format!("{}: {e}", crates.display())).caused_by(e))?;
    for p in packages {
        if p.kind == Kind::Dir {
            by_dir.insert(p.rel, Vec::new());
        }
    }
    for f in files {
        let parent = f.parent().unwrap_or(Path::new(""));
        if parent.parent() == Some(crates.as_path()) {
            let name = parent.file_name().unwrap_or_default().to_string_lossy();
            by_dir.entry(name.into_owned()).or_default().push(f);
        }
    }
    by_dir
        .into_iter()
        .map(|(name, files)| {
            let stamp = DirStamp::of(&crates.join(&name), &files).ok_or_else(|| {
                Error::database(format!("{}: changed while indexing", crates.display()))
            })?;
            Ok((name, stamp))
        })
        .collect()
}

/// The key of a copy installed by `db update`: its archive's digest.
pub fn archive_key(archive_sha256: &str) -> String {
    format!("archive:{archive_sha256}")
}

/// Where the index of an unmanaged directory lives.
pub fn cache_index_path(index_dir: &Path, key: &str) -> PathBuf {
    let digest = hex::encode(Sha256::digest(key.as_bytes()));
    index_dir.join(format!(
        "advisories-{}.json",
        crate::text::prefix(&digest, 16)
    ))
}

/// The index at `path` if it is valid for `key`. Only the header line is read here.
pub fn read(path: &Path, key: &str) -> Option<Index> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).ok()?;
    let body_len_total = file.metadata().ok()?.len();
    let mut reader = std::io::BufReader::with_capacity(64 * 1024, &file);
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line).ok()?;
    if line.pop() != Some(b'\n') {
        return None;
    }
    let header: Header = serde_json::from_slice(&line).ok()?;
    if header.format != FORMAT || header.key != key {
        return None;
    }
    let body_start = line.len() as u64 + 1;
    let body_len = body_len_total.checked_sub(body_start)?;
    // Every slice must lie inside the body: a truncated file is rejected here.
    let fits = header
        .packages
        .values()
        .all(|&(s, l)| s.checked_add(l).is_some_and(|e| e as u64 <= body_len));
    drop(reader);
    fits.then_some(Index {
        advisory_count: header.advisory_count,
        file,
        body_start,
        packages: header.packages,
    })
}

/// Writes the index for `key` at `path` (atomically). `advisory_count` counts both
/// collections (as cargo-audit reports it); only crates advisories are stored. With `stamps`
/// (unmanaged directories), every stamped package directory gets an entry, advisories or not.
pub fn write(
    path: &Path,
    key: &str,
    advisories: &[Advisory],
    advisory_count: usize,
    stamps: Option<&BTreeMap<String, DirStamp>>,
) -> Result<()> {
    let mut by_package: BTreeMap<&str, Vec<&Advisory>> = BTreeMap::new();
    for name in stamps.into_iter().flat_map(BTreeMap::keys) {
        by_package.entry(name.as_str()).or_default();
    }
    for a in advisories {
        if a.metadata.collection == Some(rustsec::Collection::Crates) {
            by_package
                .entry(a.metadata.package.as_str())
                .or_default()
                .push(a);
        }
    }
    let mut body = Vec::new();
    let mut packages = foldhash::HashMap::default();
    for (name, list) in by_package {
        let start = body.len();
        let entry = PackageEntryOut {
            stamp: stamps.and_then(|s| s.get(name)),
            advisories: &list,
        };
        serde_json::to_writer(&mut body, &entry)
            .map_err(|e| Error::database(e.to_string()).caused_by(e))?;
        packages.insert(name.to_string(), (start, body.len() - start));
    }
    let header = Header {
        format: FORMAT.to_string(),
        key: key.to_string(),
        advisory_count,
        packages,
    };
    let mut bytes =
        serde_json::to_vec(&header).map_err(|e| Error::database(e.to_string()).caused_by(e))?;
    bytes.push(b'\n');
    bytes.extend_from_slice(&body);
    crate::fsutil::write_atomic(path, &bytes)
}

/// Keeps the newest indexes in the cache's index directory (one per database directory).
pub fn prune(index_dir: &Path) {
    crate::fsutil::keep_newest(index_dir, MAX_CACHED_INDEXES, |name| {
        name.starts_with("advisories-") && name.ends_with(".json")
    });
}

/// Where indexes of unmanaged directories live: `<cache root>/index`.
pub fn index_dir(cache_root: &Path) -> PathBuf {
    cache_root.join("index")
}
