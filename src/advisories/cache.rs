//! The cached advisory database and its refresh.
//!
//! Layout under the cache directory (`$CHAINWARDEN_CACHE_DIR`, else `<user cache>/chainwarden`,
//! as the CLI resolves it):
//! `advisory-db` is a symbolic link to the current copy `db-<archive sha256 prefix>/`. An update
//! downloads the archive to a temporary file (streamed, hashed, size-capped), unpacks it into a
//! temporary directory with every path checked, loads it with the RustSec parser to prove it is
//! a whole database, writes the marker (`.chainwarden-db.json`), and only then swaps the link
//! with an atomic rename. A failed, concurrent or killed update therefore never leaves a
//! half-updated database where an audit can see it: the link always names a complete copy.

use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use serde::Serialize;
use time::Duration;

use super::meta::{self, MARKER};
use super::AdvisoryDb;
use crate::clock::{format_rfc3339, Clock};
use crate::error::{Error, Result};
use crate::net::Network;

/// The public RustSec advisory database, as a tarball of its main branch.
pub const DEFAULT_URL: &str =
    "https://github.com/rustsec/advisory-db/archive/refs/heads/main.tar.gz";
/// Largest archive accepted (the real one is a few MiB).
pub const DEFAULT_MAX_ARCHIVE_BYTES: u64 = 64 * 1024 * 1024;
const MAX_UNPACKED_BYTES: u64 = 512 * 1024 * 1024;
const MAX_FILES: usize = 50_000;
/// The ways out when the database cannot be downloaded (shown under a network error).
pub const DOWNLOAD_HELP: &str = "use a local copy with --db DIR, download from a reachable copy with `chainwarden db update --url URL` (or set CHAINWARDEN_ADVISORY_DB_URL), or run with --offline once a copy is cached";
/// A cached copy older than this is refreshed (when online).
pub const MAX_AGE: Duration = Duration::DAY;

#[derive(Debug, Clone)]
pub struct CacheOptions {
    pub cache_dir: PathBuf,
    pub url: String,
    pub max_archive_bytes: u64,
    /// Expected SHA-256 of the archive (hex), when the caller pins it.
    pub expected_sha256: Option<String>,
}

impl CacheOptions {
    /// What the caller resolved (flags, then the environment the CLI reads:
    /// `CHAINWARDEN_CACHE_DIR`, `CHAINWARDEN_ADVISORY_DB_URL`, `CHAINWARDEN_DB_MAX_BYTES`),
    /// else the defaults; no cache directory at all is an error that says how to give one.
    pub fn resolve(
        cache_dir: Option<PathBuf>,
        url: Option<String>,
        max_archive_bytes: Option<u64>,
    ) -> Result<CacheOptions> {
        let cache_dir = cache_dir.ok_or_else(|| {
            Error::database(
                "no cache directory: pass --cache-dir or set CHAINWARDEN_CACHE_DIR".into(),
            )
        })?;
        Ok(CacheOptions {
            cache_dir,
            url: url.unwrap_or_else(|| DEFAULT_URL.to_string()),
            max_archive_bytes: max_archive_bytes.unwrap_or(DEFAULT_MAX_ARCHIVE_BYTES),
            expected_sha256: None,
        })
    }

    /// The stable path audits read (a link to the current copy).
    pub fn db_link(&self) -> PathBuf {
        self.cache_dir.join("advisory-db")
    }
}

/// The database an audit should use, and what the reader must know about it.
#[derive(Debug, Clone)]
pub struct EnsuredDb {
    pub dir: PathBuf,
    pub notes: Vec<String>,
}

/// What `chainwarden db update` did.
#[derive(Debug, Clone, Serialize)]
pub struct Updated {
    pub path: String,
    pub commit: Option<String>,
    pub advisory_count: usize,
    pub archive_sha256: String,
    pub archive_bytes: u64,
}

#[derive(Serialize)]
struct MarkerOut<'a> {
    commit: Option<&'a str>,
    date: Option<String>,
    fetched: String,
    url: &'a str,
    archive_sha256: &'a str,
}

fn cached_copy(opts: &CacheOptions) -> Option<PathBuf> {
    let link = opts.db_link();
    link.join("crates")
        .is_dir()
        .then(|| link.canonicalize().unwrap_or(link))
}

/// The cached database, refreshed first when it is older than a day and the network is
/// available. Offline never touches the network.
pub fn ensure(opts: &CacheOptions, net: Option<&Network>, clock: &Clock) -> Result<EnsuredDb> {
    let existing = cached_copy(opts);
    let age = existing
        .as_ref()
        .and_then(|d| meta::metadata(d).fetched)
        .map(|fetched| clock.now() - fetched);
    let describe_age = |age: Option<Duration>| match age {
        Some(a) => format!("fetched {} day(s) ago", a.whole_days()),
        None => "fetch time unknown".to_string(),
    };
    match (net, existing) {
        (None, Some(dir)) => Ok(EnsuredDb {
            dir,
            notes: vec![format!(
                "offline: using the cached advisory database ({})",
                describe_age(age)
            )],
        }),
        (None, None) => Err(Error::database(
            "no advisory database: run `chainwarden db update` or pass --db DIR".into(),
        )),
        (Some(_), Some(dir)) if age.is_some_and(|a| a < MAX_AGE && a >= Duration::ZERO) => {
            Ok(EnsuredDb { dir, notes: vec![] })
        }
        (Some(net), existing) => match update(opts, net, clock) {
            Ok(updated) => Ok(EnsuredDb {
                dir: PathBuf::from(updated.path),
                notes: vec![],
            }),
            Err(e) => match existing {
                Some(dir) => Ok(EnsuredDb {
                    dir,
                    notes: vec![format!(
                        "could not refresh the advisory database ({e}); using the cached copy ({})",
                        describe_age(age)
                    )],
                }),
                None => Err(crate::net::with_help(e, DOWNLOAD_HELP)),
            },
        },
    }
}

/// Downloads, validates and installs a fresh copy.
pub fn update(opts: &CacheOptions, net: &Network, clock: &Clock) -> Result<Updated> {
    std::fs::create_dir_all(&opts.cache_dir).map_err(|e| Error::io(&opts.cache_dir, e))?;
    // Everything is staged inside the cache dir so the final rename stays on one filesystem.
    let staging = tempfile::Builder::new()
        .prefix(".update-")
        .tempdir_in(&opts.cache_dir)
        .map_err(|e| Error::io(&opts.cache_dir, e))?;
    let archive_path = staging.path().join("archive.tar.gz");
    let mut archive =
        std::fs::File::create(&archive_path).map_err(|e| Error::io(&archive_path, e))?;
    let progress = crate::progress::Progress::bytes("downloading the advisory database", None);
    let fetched = net.stream(&opts.url, opts.max_archive_bytes, &mut |chunk| {
        progress.inc(chunk.len() as u64);
        archive.write_all(chunk)
    })?;
    progress.set_message("checking and installing the advisory database");
    archive
        .sync_all()
        .map_err(|e| Error::io(&archive_path, e))?;
    drop(archive);
    if let Some(expected) = &opts.expected_sha256 {
        if !fetched.sha256.eq_ignore_ascii_case(expected) {
            return Err(Error::database(format!(
                "{}: archive digest mismatch: expected sha256:{expected}, got sha256:{}",
                opts.url, fetched.sha256
            )));
        }
    }
    let unpacked = staging.path().join("db");
    let facts = unpack(&archive_path, &unpacked)
        .map_err(|e| Error::database(format!("{}: {e}", opts.url)).caused_by(e))?;
    let commit = facts.commit;
    let date = facts
        .commit_time
        .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t as i64).ok())
        .map(format_rfc3339);
    let db = AdvisoryDb::open(&unpacked, None).map_err(|e| {
        Error::database(format!(
            "{}: downloaded archive is not a valid database: {e}",
            opts.url
        ))
        .caused_by(e)
    })?;
    if db.is_empty() {
        return Err(Error::database(format!(
            "{}: downloaded archive holds no advisories",
            opts.url
        )));
    }
    let marker = MarkerOut {
        commit: commit.as_deref(),
        date,
        fetched: format_rfc3339(clock.now()),
        url: &opts.url,
        archive_sha256: &fetched.sha256,
    };
    let marker_json = serde_json::to_vec_pretty(&marker)
        .map_err(|e| Error::database(e.to_string()).caused_by(e))?;
    crate::fsutil::write_atomic(&unpacked.join(MARKER), &marker_json)?;
    // Build the index now, keyed by the archive digest, so audits never parse.
    AdvisoryDb::open(&unpacked, None)?;

    // Install: move the copy to its final name, then atomically repoint the link.
    let final_dir = opts
        .cache_dir
        .join(format!("db-{}", crate::text::prefix(&fetched.sha256, 16)));
    if final_dir.exists() {
        std::fs::remove_dir_all(&final_dir).map_err(|e| Error::io(&final_dir, e))?;
    }
    std::fs::rename(&unpacked, &final_dir).map_err(|e| Error::io(&final_dir, e))?;
    swap_link(&opts.db_link(), &final_dir)?;
    remove_stale_copies(&opts.cache_dir, &final_dir);
    Ok(Updated {
        path: final_dir.display().to_string(),
        commit,
        advisory_count: db.len(),
        archive_sha256: fetched.sha256,
        archive_bytes: fetched.bytes,
    })
}

#[cfg(unix)]
fn swap_link(link: &Path, target: &Path) -> Result<()> {
    let name = target.file_name().expect("copy dirs have names");
    let tmp_link = link.with_extension(format!("tmp-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp_link);
    std::os::unix::fs::symlink(name, &tmp_link).map_err(|e| Error::io(&tmp_link, e))?;
    // If an old-style real directory is in the way, move it aside first.
    if link.is_dir() && !link.is_symlink() {
        let aside = link.with_extension("old");
        let _ = std::fs::remove_dir_all(&aside);
        std::fs::rename(link, &aside).map_err(|e| Error::io(link, e))?;
    }
    std::fs::rename(&tmp_link, link).map_err(|e| Error::io(link, e))
}

#[cfg(not(unix))]
fn swap_link(link: &Path, target: &Path) -> Result<()> {
    let _ = std::fs::remove_dir_all(link);
    std::fs::rename(target, link).map_err(|e| Error::io(link, e))
}

/// Keeps the current copy and the one before it (an audit may still be reading it).
fn remove_stale_copies(cache_dir: &Path, current: &Path) {
    let Ok(entries) = std::fs::read_dir(cache_dir) else {
        return;
    };
    let mut copies: Vec<(std::time::SystemTime, PathBuf)> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p != current
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("db-"))
        })
        .filter_map(|p| Some((p.metadata().ok()?.modified().ok()?, p)))
        .collect();
    copies.sort();
    copies.pop();
    for (_, p) in copies {
        let _ = std::fs::remove_dir_all(p);
    }
}

/// What a `git archive` tarball says about itself.
struct ArchiveFacts {
    /// From the pax global header's `comment`.
    commit: Option<String>,
    /// `git archive` stamps every member with the commit time.
    commit_time: Option<u64>,
}

/// Unpacks a `git archive` tarball (one top-level directory) into `dest`, refusing unsafe
/// paths, links and oversized content.
fn unpack(archive: &Path, dest: &Path) -> std::result::Result<ArchiveFacts, String> {
    let file = std::fs::File::open(archive).map_err(|e| e.to_string())?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)));
    std::fs::create_dir_all(dest).map_err(|e| e.to_string())?;
    let mut commit = None;
    let mut commit_time = None;
    let mut files = 0usize;
    let mut total = 0u64;
    let entries = tar
        .entries()
        .map_err(|e| format!("not a tar.gz archive: {e}"))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("broken archive: {e}"))?;
        let kind = entry.header().entry_type();
        if kind == tar::EntryType::XGlobalHeader {
            let mut text = String::new();
            entry
                .read_to_string(&mut text)
                .map_err(|e| format!("broken archive: {e}"))?;
            commit = pax_comment(&text);
            continue;
        }
        let raw_path = entry
            .path()
            .map_err(|e| format!("broken archive: {e}"))?
            .into_owned();
        let rel = safe_relative(&raw_path)?;
        let Some(rel) = rel else { continue };
        if commit_time.is_none() {
            commit_time = entry.header().mtime().ok().filter(|t| *t > 0);
        }
        let target = dest.join(&rel);
        match kind {
            tar::EntryType::Directory => {
                std::fs::create_dir_all(&target).map_err(|e| e.to_string())?
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                files += 1;
                total += entry.size();
                if files > MAX_FILES || total > MAX_UNPACKED_BYTES {
                    return Err(format!("archive is over the unpack limits ({MAX_FILES} files, {MAX_UNPACKED_BYTES} bytes)"));
                }
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
                }
                let mut out = std::fs::File::create(&target).map_err(|e| e.to_string())?;
                std::io::copy(&mut entry, &mut out).map_err(|e| format!("broken archive: {e}"))?;
            }
            tar::EntryType::XHeader | tar::EntryType::GNULongName | tar::EntryType::GNULongLink => {
            }
            other => {
                return Err(format!(
                    "refused archive member {} of type {other:?}",
                    raw_path.display()
                ))
            }
        }
    }
    Ok(ArchiveFacts {
        commit,
        commit_time,
    })
}

/// The path below the archive's top-level directory; `None` for the top directory itself.
fn safe_relative(path: &Path) -> std::result::Result<Option<PathBuf>, String> {
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_os_string()),
            Component::CurDir => {}
            _ => {
                return Err(format!(
                    "refused unsafe path in archive: {}",
                    path.display()
                ))
            }
        }
    }
    if parts.len() <= 1 {
        return Ok(None);
    }
    Ok(Some(parts[1..].iter().collect()))
}

/// `comment=<sha>` from pax records (`<len> key=value\n`), as `git archive` writes it.
fn pax_comment(records: &str) -> Option<String> {
    records.lines().find_map(|line| {
        let (_, kv) = line.split_once(' ')?;
        let value = kv.strip_prefix("comment=")?;
        let value = value.trim();
        (value.len() == 40 && value.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| value.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_paths_are_checked() {
        assert_eq!(safe_relative(Path::new("advisory-db-main/")).unwrap(), None);
        assert_eq!(
            safe_relative(Path::new("advisory-db-main/crates/x/RUSTSEC-2020-0001.md")).unwrap(),
            Some(PathBuf::from("crates/x/RUSTSEC-2020-0001.md"))
        );
        assert!(safe_relative(Path::new("advisory-db-main/../evil")).is_err());
        assert!(safe_relative(Path::new("/etc/passwd")).is_err());
    }

    #[test]
    fn commit_from_pax_header() {
        let sha = "bf5c0d245a92671908518d7e765914d437954ed6";
        assert_eq!(
            pax_comment(&format!("52 comment={sha}\n")),
            Some(sha.to_string())
        );
        assert_eq!(pax_comment("20 path=x\n"), None);
    }
}
