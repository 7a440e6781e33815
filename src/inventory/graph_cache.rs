//! A cache of the graph `cargo metadata` resolved, so repeated audits of an unchanged project
//! (CI's daily job, a developer's loop) skip the cargo run that costs more than the audit.
//!
//! Key: SHA-256 over everything that can change what `cargo metadata --locked` answers — the
//! lockfile's digest, the root manifest's path, `--target`/`--exclude-dev`, the cargo that
//! would run (see [`cargo_identity`]), the cargo configuration files and `CARGO*` variables.
//! The entry also lists every manifest of the workspace and its path dependencies with its
//! digest; those are re-hashed on every lookup, so editing any `Cargo.toml` misses.
//!
//! Safety: entries live in the user's cache directory (`<cache root>/graphs`), never in the
//! audited project. An entry is used only when its stored key equals the computed one, its
//! manifests hash as recorded, and every index it holds fits the lockfile; anything else —
//! unreadable, oversized, malformed, foreign — is ignored and recomputed. Writes are atomic and
//! the directory keeps at most [`MAX_ENTRIES`] entries.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Graph, Lockfile, Resolution};

/// Bump when the stored shape or the resolution it caches changes.
const FORMAT: &str = concat!("chainwarden-graph-cache-1/", env!("CARGO_PKG_VERSION"));
/// Largest entry read (a 10,000-package graph is well under 2 MiB).
const MAX_ENTRY_BYTES: u64 = 16 * 1024 * 1024;
/// Largest configuration or manifest file hashed into a key.
const MAX_INPUT_BYTES: u64 = 4 * 1024 * 1024;
/// Entries kept in the cache directory (oldest removed first).
pub const MAX_ENTRIES: usize = 32;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    format: String,
    key: String,
    /// Every manifest the resolution depends on, with its SHA-256 (hex).
    manifests: Vec<(PathBuf, String)>,
    resolution: Resolution,
    /// Adjacency lists of the graph; roots are the resolution's members.
    deps: Vec<Vec<usize>>,
}

/// A graph cache slot for one audit's inputs.
pub struct GraphCache {
    key: String,
    path: PathBuf,
}

/// A graph taken from the cache.
pub struct Cached {
    pub resolution: Resolution,
    pub graph: Graph,
    /// The entry's key (hex), named in the audit's note.
    pub key: String,
}

impl GraphCache {
    /// The slot for these inputs under `cache_root/graphs`, for `cargo metadata` run by
    /// `cargo` (`None`: the one in `PATH`); `None` when the manifest cannot be found.
    pub fn new(
        cache_root: &Path,
        manifest: &Path,
        lock: &Lockfile,
        target: Option<&str>,
        exclude_dev: bool,
        cargo: Option<&Path>,
    ) -> Option<GraphCache> {
        let manifest = manifest.canonicalize().ok()?;
        let project_dir = manifest.parent()?.to_path_buf();
        let mut key = crate::fsutil::CacheKey::new();
        key.field("format", FORMAT.as_bytes());
        key.field("manifest", manifest.as_os_str().as_encoded_bytes());
        key.field("lockfile", lock.sha256.as_bytes());
        key.field("target", target.unwrap_or("").as_bytes());
        key.field("exclude-dev", &[u8::from(exclude_dev)]);
        for (name, value) in environment(&project_dir, cargo) {
            key.field(&name, &value);
        }
        let key = key.finish();
        let path = cache_root
            .join("graphs")
            .join(format!("{}.json", crate::text::prefix(&key, 32)));
        Some(GraphCache { key, path })
    }

    /// The cached graph, when a valid entry for exactly these inputs exists.
    pub fn load(&self, lock: &Lockfile) -> Option<Cached> {
        let bytes = crate::fsutil::read_at_most(&self.path, MAX_ENTRY_BYTES)?;
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        if entry.format != FORMAT || entry.key != self.key {
            return None;
        }
        for (path, digest) in &entry.manifests {
            if file_digest(path).as_deref() != Some(digest.as_str()) {
                return None;
            }
        }
        let n = lock.packages.len();
        valid(&entry.resolution, &entry.deps, n).then(|| Cached {
            graph: Graph::from_edges(entry.deps, Some(entry.resolution.members.clone())),
            resolution: entry.resolution,
            key: self.key.clone(),
        })
    }

    /// Stores a graph resolved from `metadata`; failures only cost the next run its speed.
    pub fn store(
        &self,
        metadata: &cargo_metadata::Metadata,
        resolution: &Resolution,
        graph: &Graph,
    ) {
        let mut manifests: Vec<PathBuf> = metadata
            .packages
            .iter()
            .filter(|p| p.source.is_none())
            .map(|p| p.manifest_path.clone().into_std_path_buf())
            .collect();
        manifests.push(
            metadata
                .workspace_root
                .join("Cargo.toml")
                .into_std_path_buf(),
        );
        manifests.sort();
        manifests.dedup();
        let Some(manifests) = manifests
            .into_iter()
            .map(|p| file_digest(&p).map(|d| (p, d)))
            .collect::<Option<Vec<_>>>()
        else {
            return;
        };
        let entry = Entry {
            format: FORMAT.to_string(),
            key: self.key.clone(),
            manifests,
            resolution: resolution.clone(),
            deps: (0..resolution.kinds.len())
                .map(|i| graph.dependencies(i).to_vec())
                .collect(),
        };
        let Ok(bytes) = serde_json::to_vec(&entry) else {
            return;
        };
        if crate::fsutil::write_atomic(&self.path, &bytes).is_ok() {
            prune(self.path.parent().unwrap_or(Path::new(".")));
        }
    }
}

/// Every index fits a lockfile of `n` packages.
fn valid(resolution: &Resolution, deps: &[Vec<usize>], n: usize) -> bool {
    resolution.kinds.len() == n
        && resolution.in_resolve.len() == n
        && deps.len() == n
        && resolution.members.iter().all(|&m| m < n)
        && deps.iter().flatten().all(|&d| d < n)
}

fn file_digest(path: &Path) -> Option<String> {
    crate::fsutil::read_at_most(path, MAX_INPUT_BYTES).map(|b| hex::encode(Sha256::digest(b)))
}

/// Keeps the newest [`MAX_ENTRIES`] entries.
fn prune(dir: &Path) {
    crate::fsutil::keep_newest(dir, MAX_ENTRIES, |name| name.ends_with(".json"));
}

/// Named inputs besides the lockfile and manifests that change what cargo resolves: the
/// `CARGO*`/`RUSTUP*` variables, cargo configuration files, and the cargo that would run.
///
/// This reads the process environment on purpose, not through the CLI: the key must change
/// with whatever cargo itself would read, and cargo reads its whole `CARGO*` environment.
fn environment(project_dir: &Path, cargo: Option<&Path>) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::env::vars_os()
        .filter_map(|(k, v)| {
            let k = k.into_string().ok()?;
            (k.starts_with("CARGO") || k.starts_with("RUSTUP"))
                .then(|| (format!("env:{k}"), v.as_encoded_bytes().to_vec()))
        })
        .collect();
    out.sort();
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".cargo")));
    // Cargo reads configuration upwards from the working directory (not the manifest's).
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut config_dirs: Vec<PathBuf> = project_dir
        .ancestors()
        .chain(cwd.ancestors())
        .map(|d| d.join(".cargo"))
        .collect();
    config_dirs.extend(cargo_home);
    for dir in config_dirs {
        for name in ["config.toml", "config"] {
            let path = dir.join(name);
            if let Some(d) = file_digest(&path) {
                out.push((format!("config:{}", path.display()), d.into_bytes()));
            }
        }
    }
    out.extend(cargo_identity(project_dir, cargo));
    out
}

/// What identifies the cargo `cargo metadata` would run, without running it (`cargo
/// --version` through rustup's proxy costs a process start of its own): the executable's
/// path, size, modification time and inode; and when it is rustup's proxy, the toolchain
/// selection (`rust-toolchain` files, rustup's settings) and every installed toolchain's cargo
/// binary, so an override, a `rustup update` or a new default all change the key.
fn cargo_identity(project_dir: &Path, cargo: Option<&Path>) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let program = cargo.map_or_else(|| find_in_path("cargo"), |c| Some(c.to_path_buf()));
    let Some(program) = program else {
        out.push(("cargo".into(), b"not found".to_vec()));
        return out;
    };
    out.push(("cargo".into(), stat_bytes(&program)));
    let proxy_sibling = program.with_file_name("rustup");
    let is_proxy = same_file(&program, &proxy_sibling)
        || program
            .canonicalize()
            .ok()
            .is_some_and(|c| c.file_stem().is_some_and(|s| s == "rustup"));
    if !is_proxy {
        return out;
    }
    for dir in project_dir.ancestors() {
        for name in ["rust-toolchain.toml", "rust-toolchain"] {
            let path = dir.join(name);
            if let Some(d) = file_digest(&path) {
                out.push((format!("toolchain-file:{}", path.display()), d.into_bytes()));
            }
        }
    }
    // rustup's own variable, hashed as rustup would read it (see `environment`).
    let Some(rustup_home) = std::env::var_os("RUSTUP_HOME")
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".rustup")))
    else {
        return out;
    };
    if let Some(d) = file_digest(&rustup_home.join("settings.toml")) {
        out.push(("rustup-settings".into(), d.into_bytes()));
    }
    if let Ok(entries) = std::fs::read_dir(rustup_home.join("toolchains")) {
        let mut toolchains: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        toolchains.sort();
        for t in toolchains {
            let cargo = t.join("bin").join("cargo");
            out.push((format!("toolchain:{}", t.display()), stat_bytes(&cargo)));
        }
    }
    out
}

/// The program `Command::new(name)` would start: it searches this process's `PATH`, so the key
/// must too.
fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

#[cfg(unix)]
fn stat_bytes(path: &Path) -> Vec<u8> {
    use std::os::unix::fs::MetadataExt;
    match std::fs::metadata(path) {
        Ok(m) => format!(
            "{} {} {} {}.{} {}",
            path.display(),
            m.len(),
            m.ino(),
            m.mtime(),
            m.mtime_nsec(),
            m.ctime()
        )
        .into_bytes(),
        Err(_) => format!("{} missing", path.display()).into_bytes(),
    }
}

#[cfg(not(unix))]
fn stat_bytes(path: &Path) -> Vec<u8> {
    match std::fs::metadata(path) {
        Ok(m) => format!("{} {} {:?}", path.display(), m.len(), m.modified().ok()).into_bytes(),
        Err(_) => format!("{} missing", path.display()).into_bytes(),
    }
}

#[cfg(unix)]
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &Path, _: &Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::DependencyKind;

    fn resolution(n: usize) -> Resolution {
        Resolution {
            members: vec![0],
            kinds: vec![vec![DependencyKind::Normal]; n],
            in_resolve: vec![true; n],
        }
    }

    #[test]
    fn indices_must_fit_the_lockfile() {
        assert!(valid(&resolution(2), &[vec![1], vec![]], 2));
        assert!(!valid(&resolution(2), &[vec![2], vec![]], 2));
        assert!(!valid(&resolution(3), &[vec![1], vec![]], 2));
        let mut r = resolution(2);
        r.members = vec![5];
        assert!(!valid(&r, &[vec![], vec![]], 2));
    }
}
