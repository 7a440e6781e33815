//! Yanked crates: checked against the crates.io sparse index over HTTPS when online.
//!
//! Index entries are cached for a day in the cache directory (one small JSON file per crate
//! with the yanked versions), so a daily CI job asks crates.io once per crate per day.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::inventory::Lockfile;
use crate::net::Network;

/// The crates.io sparse index.
pub const DEFAULT_INDEX_URL: &str = "https://index.crates.io/";
/// Largest index file accepted (the biggest crates.io entries are a few MiB).
const MAX_ENTRY_BYTES: u64 = 32 * 1024 * 1024;
/// How long a cached entry is trusted.
const CACHE_SECONDS: i64 = 24 * 60 * 60;

/// Something that knows which versions of a crate are yanked.
pub trait YankedLookup: Sync {
    /// `Ok(None)` when the registry does not know the crate.
    fn yanked_versions(&self, name: &str) -> Result<Option<BTreeSet<String>>>;
}

/// Finds yanked packages (indices into the lockfile). Lookup failures become one note.
pub fn find_yanked(
    lookup: &dyn YankedLookup,
    lock: &Lockfile,
    notes: &mut Vec<String>,
) -> Vec<usize> {
    let names: BTreeSet<&str> = lock
        .packages
        .iter()
        .filter(|p| p.is_crates_io)
        .map(|p| p.name.as_str())
        .collect();
    let results: Vec<(&str, Result<Option<BTreeSet<String>>>)> = names
        .into_par_iter()
        .map(|name| (name, lookup.yanked_versions(name)))
        .collect();
    let mut yanked_by_name: HashMap<&str, BTreeSet<String>> = HashMap::new();
    let mut failures = Vec::new();
    for (name, result) in results {
        match result {
            Ok(Some(set)) => {
                yanked_by_name.insert(name, set);
            }
            Ok(None) => {}
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    if !failures.is_empty() {
        notes.push(format!(
            "yanked check incomplete for {} crate(s): {}",
            failures.len(),
            failures.join("; ")
        ));
    }
    lock.packages
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            p.is_crates_io
                && yanked_by_name
                    .get(p.name.as_str())
                    .is_some_and(|set| set.contains(&p.version.to_string()))
        })
        .map(|(i, _)| i)
        .collect()
}

/// The sparse index over the network, with a per-crate cache.
pub struct SparseIndex {
    pub net: Network,
    pub base_url: String,
    pub cache_dir: Option<PathBuf>,
    pub clock: Clock,
}

#[derive(Serialize, Deserialize)]
struct CachedEntry {
    fetched_unix: i64,
    known: bool,
    yanked: BTreeSet<String>,
}

#[derive(Deserialize)]
struct IndexLine {
    vers: String,
    #[serde(default)]
    yanked: bool,
}

/// The sparse index path of a crate: `1/a`, `2/ab`, `3/a/abc`, `se/rd/serde`.
pub fn index_path(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    match lower.len() {
        1 => format!("1/{lower}"),
        2 => format!("2/{lower}"),
        3 => format!("3/{}/{lower}", &lower[..1]),
        _ => format!("{}/{}/{lower}", &lower[..2], &lower[2..4]),
    }
}

impl SparseIndex {
    pub fn new(net: Network, clock: Clock) -> SparseIndex {
        let base_url = std::env::var("CHAINWARDEN_CRATES_INDEX_URL")
            .unwrap_or_else(|_| DEFAULT_INDEX_URL.to_string());
        SparseIndex {
            net,
            base_url,
            cache_dir: crate::advisories::meta::cache_root().map(|c| c.join("crates-index")),
            clock,
        }
    }

    /// Only names that follow the crates.io rules get a cache file: a name is never a path.
    fn cache_file(&self, name: &str) -> Option<PathBuf> {
        if !crate::inventory::names::is_crates_io_name(name) {
            return None;
        }
        self.cache_dir
            .as_ref()
            .map(|d| d.join(format!("{}.json", name.to_ascii_lowercase())))
    }
}

impl YankedLookup for SparseIndex {
    fn yanked_versions(&self, name: &str) -> Result<Option<BTreeSet<String>>> {
        if !crate::inventory::names::is_crates_io_name(name) {
            return Ok(None); // no such crate can exist there (and index_path needs ASCII)
        }
        let now = self.clock.now().unix_timestamp();
        if let Some(file) = self.cache_file(name) {
            if let Ok(bytes) = std::fs::read(&file) {
                if let Ok(entry) = serde_json::from_slice::<CachedEntry>(&bytes) {
                    if (0..CACHE_SECONDS).contains(&(now - entry.fetched_unix)) {
                        return Ok(entry.known.then_some(entry.yanked));
                    }
                }
            }
        }
        let url = format!(
            "{}/{}",
            self.base_url.trim_end_matches('/'),
            index_path(name)
        );
        let (known, yanked) = match self.net.get_bytes(&url, MAX_ENTRY_BYTES) {
            Ok((body, _)) => (
                true,
                parse_entry(&body).map_err(|e| Error::Network(format!("{url}: {e}")))?,
            ),
            Err(Error::Network(msg)) if msg.contains("HTTP 404") || msg.contains("HTTP 410") => {
                (false, BTreeSet::new())
            }
            Err(e) => return Err(e),
        };
        if let Some(file) = self.cache_file(name) {
            let entry = CachedEntry {
                fetched_unix: now,
                known,
                yanked: yanked.clone(),
            };
            if let Ok(bytes) = serde_json::to_vec(&entry) {
                let _ = crate::fsutil::write_atomic(&file, &bytes);
            }
        }
        Ok(known.then_some(yanked))
    }
}

/// Yanked versions from a sparse index entry (JSON lines).
pub fn parse_entry(body: &[u8]) -> std::result::Result<BTreeSet<String>, String> {
    let text = std::str::from_utf8(body).map_err(|_| "index entry is not UTF-8".to_string())?;
    let mut yanked = BTreeSet::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let entry: IndexLine =
            serde_json::from_str(line).map_err(|e| format!("line {}: {e}", n + 1))?;
        if entry.yanked {
            yanked.insert(entry.vers);
        }
    }
    Ok(yanked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_paths() {
        assert_eq!(index_path("a"), "1/a");
        assert_eq!(index_path("ab"), "2/ab");
        assert_eq!(index_path("abc"), "3/a/abc");
        assert_eq!(index_path("Serde"), "se/rd/serde");
    }

    #[test]
    fn entry_lines() {
        let body = br#"{"name":"x","vers":"0.1.0","yanked":false}
{"name":"x","vers":"0.1.1","yanked":true}
"#;
        assert_eq!(
            parse_entry(body).unwrap(),
            BTreeSet::from(["0.1.1".to_string()])
        );
        assert!(parse_entry(b"{oops").is_err());
    }

    #[test]
    fn hostile_names_get_no_cache_path_and_no_lookup() {
        let cache = tempfile::tempdir().unwrap();
        let index = SparseIndex {
            net: Network::new(crate::net::NetConfig::from_env()).unwrap(),
            // Nothing listens here: a lookup would fail, not return Ok(None).
            base_url: "http://127.0.0.1:9".into(),
            cache_dir: Some(cache.path().join("crates-index")),
            clock: crate::clock::Clock::system(),
        };
        for name in ["../../../../x", "crâte", "a/b", "\u{1b}[2J"] {
            assert_eq!(index.cache_file(name), None, "{name:?}");
            assert_eq!(index.yanked_versions(name).unwrap(), None, "{name:?}");
        }
        assert!(index.cache_file("serde").unwrap().starts_with(cache.path()));
    }
}
