//! A validated index of a parsed advisory database, so an audit neither walks nor parses the
//! ~1,200 advisory files.
//!
//! Keys: a copy installed by `chainwarden db update` is keyed by the SHA-256 of the archive it
//! was unpacked from (its content digest, recorded in the marker), and its index is written
//! inside the copy at install time. Any other directory (`--db DIR`, e.g. a git checkout) is
//! keyed by a fingerprint of every advisory file's relative path, size and modification time,
//! and its index lives in the cache directory. The index file repeats its key and format, and
//! is used only when both match; a corrupt or foreign index is ignored and rewritten, never
//! trusted. Writes are atomic.
//!
//! Advisories are stored per package as raw JSON and deserialised only for the crates the
//! lockfile contains.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rustsec::advisory::Advisory;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Bump when the stored shape changes; includes the versions that shaped it.
const FORMAT: &str = concat!(
    "chainwarden-advisory-index-3/rustsec-0.34/",
    env!("CARGO_PKG_VERSION")
);
/// The index file inside a managed copy.
pub const IN_COPY: &str = ".chainwarden-index.json";

/// The first line of an index file; the per-package JSON follows it, at the offsets given
/// (relative to the start of the body).
#[derive(Serialize, Deserialize)]
struct Header {
    format: String,
    key: String,
    advisory_count: usize,
    packages: HashMap<String, (usize, usize)>,
}

/// A read index: the header in memory; per-package JSON is read from the file on demand.
#[derive(Debug)]
pub struct Index {
    pub advisory_count: usize,
    file: std::fs::File,
    /// Offset of the body in the file.
    body_start: u64,
    packages: HashMap<String, (usize, usize)>,
}

impl Index {
    /// The raw JSON of a package's advisories, if it has any.
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

/// Fingerprint of a directory's advisory files: SHA-256 of (relative path, size, mtime).
pub fn fingerprint_key(dir: &Path, files: &[PathBuf]) -> Result<String> {
    let mut hasher = Sha256::new();
    for f in files {
        let meta =
            std::fs::metadata(f).map_err(|e| Error::Database(format!("{}: {e}", f.display())))?;
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let rel = f.strip_prefix(dir).unwrap_or(f);
        hasher.update(rel.to_string_lossy().as_bytes());
        hasher.update([0]);
        hasher.update(meta.len().to_le_bytes());
        hasher.update(mtime.to_le_bytes());
    }
    Ok(format!("files:{}", hex::encode(hasher.finalize())))
}

/// The key of a copy installed by `db update`: its archive's digest.
pub fn archive_key(archive_sha256: &str) -> String {
    format!("archive:{archive_sha256}")
}

/// Where the index of an unmanaged directory lives.
pub fn cache_index_path(index_dir: &Path, key: &str) -> PathBuf {
    let digest = hex::encode(Sha256::digest(key.as_bytes()));
    index_dir.join(format!("advisories-{}.json", &digest[..16]))
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

/// Writes the index for `key` at `path` (atomically).
/// `advisory_count` counts both collections (as cargo-audit reports it); only crates
/// advisories are stored.
pub fn write(path: &Path, key: &str, advisories: &[Advisory], advisory_count: usize) -> Result<()> {
    let mut by_package: BTreeMap<&str, Vec<&Advisory>> = BTreeMap::new();
    for a in advisories {
        if a.metadata.collection == Some(rustsec::Collection::Crates) {
            by_package
                .entry(a.metadata.package.as_str())
                .or_default()
                .push(a);
        }
    }
    let mut body = Vec::new();
    let mut packages = HashMap::new();
    for (name, list) in by_package {
        let start = body.len();
        serde_json::to_writer(&mut body, &list).map_err(|e| Error::Database(e.to_string()))?;
        packages.insert(name.to_string(), (start, body.len() - start));
    }
    let header = Header {
        format: FORMAT.to_string(),
        key: key.to_string(),
        advisory_count,
        packages,
    };
    let mut bytes = serde_json::to_vec(&header).map_err(|e| Error::Database(e.to_string()))?;
    bytes.push(b'\n');
    bytes.extend_from_slice(&body);
    crate::fsutil::write_atomic(path, &bytes)
}

/// Drops other indexes in the cache's index directory (one per database state is enough).
pub fn remove_others(index_dir: &Path, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(index_dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p != keep && name.starts_with("advisories-") && name.ends_with(".json") {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Where indexes of unmanaged directories live: `<cache root>/index`.
pub fn default_index_dir() -> Option<PathBuf> {
    crate::advisories::meta::cache_root().map(|c| c.join("index"))
}
