//! Yanked crates: checked against the crates.io sparse index over HTTPS when online.
//!
//! Index entries are cached for a day in the cache directory (one small JSON file per crate
//! with the yanked versions), so a daily CI job asks crates.io once per crate per day.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::inventory::Lockfile;
use crate::net::{Cause, NetError, Network};
use crate::progress::Progress;
use crate::text::slice;

/// The crates.io sparse index.
pub const DEFAULT_INDEX_URL: &str = "https://index.crates.io/";
/// Largest index file accepted (the biggest crates.io entries are a few MiB).
const MAX_ENTRY_BYTES: u64 = 32 * 1024 * 1024;
/// How long a cached entry is trusted.
const CACHE_SECONDS: i64 = 24 * 60 * 60;

/// Consecutive "cannot reach the registry" failures after which the check gives up.
const MAX_CONSECUTIVE_UNREACHABLE: usize = 3;
/// Default limit on the whole check (`CHAINWARDEN_YANKED_TIMEOUT` seconds overrides it).
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(60);
/// Lookups in flight at once: they wait on the network, not on the CPU.
const LOOKUP_THREADS: usize = 16;

/// Something that knows which versions of a crate are yanked.
pub trait YankedLookup: Sync {
    /// `Ok(None)` when the registry does not know the crate. No request may run past
    /// `deadline`.
    fn yanked_versions(&self, name: &str, deadline: Instant) -> Result<Option<BTreeSet<String>>>;

    /// How the registry is named in notes (its host).
    fn registry(&self) -> String {
        "the registry".to_string()
    }

    /// The longest the whole check may take.
    fn time_limit(&self) -> Duration {
        DEFAULT_TIME_LIMIT
    }
}

/// What one lookup gave.
enum Lookup {
    Found(BTreeSet<String>),
    Unknown,
    Failed(Error),
    /// Not tried: the registry was given up on, or the time limit passed.
    Skipped,
}

/// Finds yanked packages (indices into the lockfile) and whether every crate was checked.
///
/// Bounded: the whole check stops at the lookup's time limit, and gives up on the registry
/// after a few consecutive connection failures. Whatever went wrong becomes one short note,
/// and an incomplete check is reported as not done (`false`), never as clean.
pub fn find_yanked(
    lookup: &dyn YankedLookup,
    lock: &Lockfile,
    notes: &mut Vec<String>,
) -> (Vec<usize>, bool) {
    let names: BTreeSet<&str> = lock
        .packages
        .iter()
        .filter(|p| p.is_crates_io)
        .map(|p| p.name.as_str())
        .collect();
    let limit = lookup.time_limit();
    let deadline = Instant::now() + limit;
    let progress = Progress::items("checking yanked crates", names.len() as u64);
    let consecutive = AtomicUsize::new(0);
    let gave_up = AtomicBool::new(false);
    let look = |name: &str| {
        progress.inc(1);
        if gave_up.load(Ordering::Relaxed) || Instant::now() >= deadline {
            return Lookup::Skipped;
        }
        match lookup.yanked_versions(name, deadline) {
            Ok(Some(set)) => {
                consecutive.store(0, Ordering::Relaxed);
                Lookup::Found(set)
            }
            Ok(None) => {
                consecutive.store(0, Ordering::Relaxed);
                Lookup::Unknown
            }
            Err(e) => {
                if unreachable(&e).is_some()
                    && consecutive.fetch_add(1, Ordering::Relaxed) + 1
                        >= MAX_CONSECUTIVE_UNREACHABLE
                {
                    gave_up.store(true, Ordering::Relaxed);
                }
                Lookup::Failed(e)
            }
        }
    };
    let run =
        || -> Vec<(&str, Lookup)> { names.par_iter().map(|name| (*name, look(name))).collect() };
    let results = match rayon::ThreadPoolBuilder::new()
        .num_threads(LOOKUP_THREADS)
        .build()
    {
        Ok(pool) => pool.install(run),
        Err(_) => run(),
    };
    progress.finish();

    let mut yanked_by_name: HashMap<&str, BTreeSet<String>> = HashMap::new();
    let mut failures: Vec<(&str, Error)> = Vec::new();
    let mut done = 0usize;
    for (name, result) in results {
        match result {
            Lookup::Found(set) => {
                done += 1;
                yanked_by_name.insert(name, set);
            }
            Lookup::Unknown => done += 1,
            Lookup::Failed(e) => failures.push((name, e)),
            Lookup::Skipped => {}
        }
    }
    let complete = done == names.len();
    if !complete {
        let stop = if Instant::now() >= deadline {
            Stop::TimeLimit(limit)
        } else if gave_up.load(Ordering::Relaxed) {
            Stop::GaveUp
        } else {
            Stop::Finished
        };
        notes.push(summary(lookup, &failures, done, names.len(), stop));
    }
    let yanked = lock
        .packages
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            p.is_crates_io
                && yanked_by_name
                    .get(p.name.as_str())
                    .is_some_and(|set| set.contains(&p.version.to_string()))
        })
        .map(|(i, _)| i)
        .collect();
    (yanked, complete)
}

/// The cause of a failure that means the registry cannot be reached at all.
fn unreachable(e: &Error) -> Option<&Cause> {
    match e {
        Error::Network(n) if n.cause.is_unreachable() => Some(&n.cause),
        _ => None,
    }
}

/// Why the check ended early, if it did.
enum Stop {
    TimeLimit(Duration),
    GaveUp,
    Finished,
}

/// One line saying why the check is incomplete and what to do.
fn summary(
    lookup: &dyn YankedLookup,
    failures: &[(&str, Error)],
    done: usize,
    total: usize,
    stop: Stop,
) -> String {
    let registry = lookup.registry();
    let cause = failures.iter().find_map(|(_, e)| unreachable(e));
    match (stop, cause) {
        (Stop::TimeLimit(limit), _) => format!(
            "yanked check stopped at its time limit of {} s after {done} of {total} crates (CHAINWARDEN_YANKED_TIMEOUT sets it); use --offline to skip it",
            limit.as_secs_f64()
        ),
        (Stop::GaveUp, Some(cause)) if done == 0 => format!(
            "yanked check skipped: {registry} unreachable ({}); use --offline to skip it",
            cause.short()
        ),
        (Stop::GaveUp, Some(cause)) => format!(
            "yanked check stopped after {done} of {total} crates: {registry} unreachable ({}); use --offline to skip it",
            cause.short()
        ),
        _ => {
            let shown: Vec<String> = failures
                .iter()
                .take(3)
                .map(|(name, e)| match e {
                    Error::Network(n) => format!("{name}: {}", n.cause.short()),
                    other => format!("{name}: {other}"),
                })
                .collect();
            let more = failures.len().saturating_sub(shown.len());
            format!(
                "yanked check incomplete: {} of {total} crates could not be looked up in {registry} ({}{})",
                failures.len(),
                shown.join("; "),
                if more > 0 { format!("; {more} more") } else { String::new() }
            )
        }
    }
}

/// The sparse index over the network, with a per-crate cache.
pub struct SparseIndex {
    pub net: Network,
    pub base_url: String,
    pub cache_dir: Option<PathBuf>,
    pub clock: Clock,
    pub time_limit: Duration,
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

/// The sparse index path of a crate: `1/a`, `2/ab`, `3/a/abc`, `se/rd/serde`; `None` for a
/// name crates.io cannot hold. The name comes from a lockfile: only crates.io's ASCII names
/// reach the URL, so a path or git package named `éa` or `../x` is never looked up.
pub fn index_path(name: &str) -> Option<String> {
    if !crate::inventory::names::is_crates_io_name(name) {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    Some(match lower.len() {
        1 | 2 => format!("{}/{lower}", lower.len()),
        3 => format!("3/{}/{lower}", slice(&lower, ..1)),
        _ => format!("{}/{}/{lower}", slice(&lower, ..2), slice(&lower, 2..4)),
    })
}

/// Where the sparse index is and how long the whole check may take.
#[derive(Debug, Clone)]
pub struct IndexConfig {
    pub base_url: String,
    pub time_limit: Duration,
    /// Where index entries are cached for a day (`None`: not cached).
    pub cache_dir: Option<PathBuf>,
}

impl IndexConfig {
    /// crates.io with the default time limit; entries cached under `cache_root/crates-index`.
    pub fn new(cache_root: Option<&std::path::Path>) -> IndexConfig {
        IndexConfig {
            base_url: DEFAULT_INDEX_URL.to_string(),
            time_limit: DEFAULT_TIME_LIMIT,
            cache_dir: cache_root.map(|c| c.join("crates-index")),
        }
    }
}

impl SparseIndex {
    pub fn new(net: Network, clock: Clock, config: IndexConfig) -> SparseIndex {
        SparseIndex {
            net,
            base_url: config.base_url,
            cache_dir: config.cache_dir,
            clock,
            time_limit: config.time_limit,
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
    fn registry(&self) -> String {
        reqwest::Url::parse(&self.base_url)
            .ok()
            .and_then(|u| {
                let host = u.host_str()?.to_string();
                Some(u.port().map_or(host.clone(), |p| format!("{host}:{p}")))
            })
            .unwrap_or_else(|| self.base_url.clone())
    }

    fn time_limit(&self) -> Duration {
        self.time_limit
    }

    fn yanked_versions(&self, name: &str, deadline: Instant) -> Result<Option<BTreeSet<String>>> {
        let Some(index_path) = index_path(name) else {
            return Ok(None); // no such crate can exist there
        };
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
        let url = format!("{}/{index_path}", self.base_url.trim_end_matches('/'));
        let (known, yanked) = match self
            .net
            .get_bytes_until(&url, MAX_ENTRY_BYTES, Some(deadline))
        {
            Ok((body, _)) => (
                true,
                parse_entry(&body).map_err(|e| {
                    Error::Network(NetError::new(
                        &url,
                        Cause::Transfer(format!("bad index entry: {e}")),
                    ))
                })?,
            ),
            // The registry does not know the crate (a private or renamed one).
            Err(Error::Network(e)) if matches!(e.cause, Cause::Status(404 | 410)) => {
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
        assert_eq!(index_path("a").unwrap(), "1/a");
        assert_eq!(index_path("ab").unwrap(), "2/ab");
        assert_eq!(index_path("abc").unwrap(), "3/a/abc");
        assert_eq!(index_path("Serde").unwrap(), "se/rd/serde");
    }

    /// Path and git packages may carry any letters: `éa` is three bytes whose first
    /// character is two, where a byte slice `[..1]` panicked.
    #[test]
    fn names_crates_io_cannot_hold_have_no_index_path() {
        for name in ["éa", "aé", "ééé", "ab€", "../x", "", "a/b"] {
            assert_eq!(index_path(name), None, "{name}");
        }
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

    /// Answers every lookup from a closure, counting calls.
    struct Fake<F: Fn(&str) -> Result<Option<BTreeSet<String>>> + Sync> {
        answer: F,
        calls: AtomicUsize,
    }

    impl<F: Fn(&str) -> Result<Option<BTreeSet<String>>> + Sync> YankedLookup for Fake<F> {
        fn yanked_versions(&self, name: &str, _: Instant) -> Result<Option<BTreeSet<String>>> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            (self.answer)(name)
        }
        fn registry(&self) -> String {
            "index.example".into()
        }
    }

    fn lockfile(crates: usize) -> Lockfile {
        let mut text = String::from("version = 3\n");
        for i in 0..crates {
            text.push_str(&format!(
                "\n[[package]]\nname = \"crate{i}\"\nversion = \"1.0.{i}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{:064x}\"\n",
                i
            ));
        }
        Lockfile::parse(std::path::Path::new("Cargo.lock"), &text).unwrap()
    }

    #[test]
    fn an_unreachable_registry_is_given_up_on_in_one_line() {
        let fake = Fake {
            answer: |_: &str| {
                Err(Error::Network(NetError::new(
                    "https://index.example/x",
                    Cause::Dns {
                        host: "index.example".into(),
                    },
                )))
            },
            calls: AtomicUsize::new(0),
        };
        let mut notes = Vec::new();
        let (yanked, complete) = find_yanked(&fake, &lockfile(500), &mut notes);
        assert!(yanked.is_empty() && !complete);
        assert_eq!(
            notes,
            ["yanked check skipped: index.example unreachable (cannot connect: DNS lookup failed); use --offline to skip it"]
        );
        // Gave up after a few failures (at most one more per lookup thread in flight).
        let calls = fake.calls.load(Ordering::SeqCst);
        assert!(
            calls < MAX_CONSECUTIVE_UNREACHABLE + LOOKUP_THREADS,
            "{calls}"
        );
    }

    #[test]
    fn a_complete_check_says_nothing_and_finds_the_yanked_version() {
        let fake = Fake {
            answer: |name: &str| {
                Ok((name == "crate7").then(|| BTreeSet::from(["1.0.7".to_string()])))
            },
            calls: AtomicUsize::new(0),
        };
        let mut notes = Vec::new();
        let lock = lockfile(20);
        let (yanked, complete) = find_yanked(&fake, &lock, &mut notes);
        assert!(complete && notes.is_empty(), "{notes:?}");
        assert_eq!(
            yanked
                .iter()
                .map(|&i| lock.packages[i].name.as_str())
                .collect::<Vec<_>>(),
            ["crate7"]
        );
    }

    #[test]
    fn hostile_names_get_no_cache_path_and_no_lookup() {
        let cache = tempfile::tempdir().unwrap();
        let index = SparseIndex {
            net: Network::new(crate::net::NetConfig::default()).unwrap(),
            // Nothing listens here: a lookup would fail, not return Ok(None).
            base_url: "http://127.0.0.1:9".into(),
            cache_dir: Some(cache.path().join("crates-index")),
            clock: crate::clock::Clock::system(),
            time_limit: DEFAULT_TIME_LIMIT,
        };
        for name in ["../../../../x", "crâte", "a/b", "\u{1b}[2J"] {
            assert_eq!(index.cache_file(name), None, "{name:?}");
            assert_eq!(
                index
                    .yanked_versions(name, Instant::now() + DEFAULT_TIME_LIMIT)
                    .unwrap(),
                None,
                "{name:?}"
            );
        }
        assert!(index.cache_file("serde").unwrap().starts_with(cache.path()));
    }
}
