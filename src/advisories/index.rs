//! A validated index of a parsed advisory database, so repeated audits skip parsing.
//!
//! The key is the SHA-256 of every advisory file's relative path and bytes, so any change to the
//! database (a new advisory, an edit, a removal) gives a new key; the index file also carries
//! the key and the format version and is rejected unless both match. Writes are atomic, so a
//! killed run can never leave a half-written index behind. A corrupt index is ignored (and
//! rewritten), never trusted.

use std::io::Read;
use std::path::{Path, PathBuf};

use rustsec::advisory::Advisory;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Bump when the stored shape changes (includes the rustsec version it was parsed with).
const FORMAT: &str = concat!(
    "chainwarden-advisory-index-1/rustsec-0.34/",
    env!("CARGO_PKG_VERSION")
);

#[derive(Serialize, Deserialize)]
struct IndexFile {
    format: String,
    key: String,
    advisories: Vec<Advisory>,
}

/// SHA-256 over (relative path, length, bytes) of every file, in sorted order.
pub fn content_key(dir: &Path, files: &[PathBuf]) -> Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = Vec::new();
    for f in files {
        let rel = f.strip_prefix(dir).unwrap_or(f);
        hasher.update(rel.to_string_lossy().as_bytes());
        hasher.update([0]);
        buf.clear();
        std::fs::File::open(f)
            .and_then(|mut file| file.read_to_end(&mut buf))
            .map_err(|e| Error::Database(format!("{}: {e}", f.display())))?;
        hasher.update((buf.len() as u64).to_le_bytes());
        hasher.update(&buf);
    }
    Ok(hex::encode(hasher.finalize()))
}

fn index_path(index_dir: &Path, key: &str) -> PathBuf {
    index_dir.join(format!("advisories-{}.json", &key[..16]))
}

/// The cached advisories for `key`, if a valid index exists.
pub fn read(index_dir: &Path, key: &str) -> Option<Vec<Advisory>> {
    let bytes = std::fs::read(index_path(index_dir, key)).ok()?;
    let file: IndexFile = serde_json::from_slice(&bytes).ok()?;
    (file.format == FORMAT && file.key == key).then_some(file.advisories)
}

/// Stores the advisories under `key`, replacing older indexes.
pub fn write(index_dir: &Path, key: &str, advisories: &[Advisory]) -> Result<()> {
    std::fs::create_dir_all(index_dir).map_err(|e| Error::io(index_dir, e))?;
    let file = IndexFile {
        format: FORMAT.to_string(),
        key: key.to_string(),
        advisories: advisories.to_vec(),
    };
    let bytes = serde_json::to_vec(&file).map_err(|e| Error::Database(e.to_string()))?;
    let path = index_path(index_dir, key);
    crate::fsutil::write_atomic(&path, &bytes)?;
    // Keep one index per database content: drop stale ones.
    if let Ok(entries) = std::fs::read_dir(index_dir) {
        for e in entries.flatten() {
            let p = e.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if p != path && name.starts_with("advisories-") && name.ends_with(".json") {
                let _ = std::fs::remove_file(p);
            }
        }
    }
    Ok(())
}

/// Where indexes live: `$CHAINWARDEN_CACHE_DIR/index`, else the user cache dir.
pub fn default_index_dir() -> Option<PathBuf> {
    crate::advisories::meta::cache_root().map(|c| c.join("index"))
}
