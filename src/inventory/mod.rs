//! The dependency inventory: every package of a `Cargo.lock`, the graph between them, and —
//! when `cargo metadata` can run — how the workspace reaches each package (normal, build or
//! dev dependency, on which targets).
//!
//! Invariant: `Inventory::packages` is exactly the lockfile's `[[package]]` list, in file order;
//! indices into it are stable for the life of the inventory and are what [`graph::Graph`] uses.

pub mod binary;
mod fastlock;
pub mod graph;
pub mod graph_cache;
pub mod lockfile;
pub mod metadata;
pub mod names;

use std::path::{Path, PathBuf};

pub use graph::Graph;
pub use lockfile::Lockfile;

use crate::error::{Error, Result};
use crate::finding::{DependencyKind, Package};

/// Where the audit's input lives.
#[derive(Debug, Clone)]
pub struct ProjectPaths {
    /// The `Cargo.lock`.
    pub lockfile: PathBuf,
    /// The `Cargo.toml` beside it, when there is one.
    pub manifest: Option<PathBuf>,
}

impl ProjectPaths {
    /// Resolves `PATH` (a directory, a `Cargo.toml` or a `Cargo.lock`).
    pub fn resolve(path: &Path) -> Result<ProjectPaths> {
        let meta = std::fs::metadata(path).map_err(|e| crate::fsutil::path_error(path, e))?;
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let (dir, lockfile) = if meta.is_dir() {
            let lock = path.join("Cargo.lock");
            if lock.is_dir() {
                return Err(Error::input(
                    &lock,
                    "is a directory, expected a Cargo.lock file",
                ));
            }
            // A dangling link or a link loop is "there": reading it names the problem.
            if std::fs::symlink_metadata(&lock).is_err() {
                return Err(Error::input(
                    path,
                    "no Cargo.lock here: run `cargo generate-lockfile` first, or pass the lockfile's path",
                ));
            }
            (path.to_path_buf(), lock)
        } else if file_name == "Cargo.toml" {
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let lock = find_lockfile_upwards(&dir).ok_or_else(|| {
                Error::input(
                    path,
                    "no Cargo.lock beside this manifest or in a parent workspace",
                )
            })?;
            (dir, lock)
        } else {
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            (dir, path.to_path_buf())
        };
        let manifest = Some(dir.join("Cargo.toml")).filter(|m| m.is_file());
        Ok(ProjectPaths { lockfile, manifest })
    }
}

fn find_lockfile_upwards(dir: &Path) -> Option<PathBuf> {
    let mut current = Some(dir);
    while let Some(d) = current {
        let lock = d.join("Cargo.lock");
        if std::fs::symlink_metadata(&lock).is_ok_and(|m| !m.is_dir()) {
            return Some(lock);
        }
        current = d.parent().filter(|p| !p.as_os_str().is_empty());
    }
    None
}

/// Reachability facts from `cargo metadata`, per package index of the lockfile.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Resolution {
    /// Workspace members (indices into `Inventory::packages`).
    pub members: Vec<usize>,
    /// For each package: the kinds by which the workspace reaches it on the selected target
    /// (empty = not reachable at all, e.g. an unused optional dependency or another target).
    pub kinds: Vec<Vec<DependencyKind>>,
    /// For each package: whether cargo metadata's resolve has it at all (a lockfile package it
    /// lacks is an optional dependency no enabled feature turns on).
    pub in_resolve: Vec<bool>,
}

/// The audited dependency set.
#[derive(Debug, Clone)]
pub struct Inventory {
    pub lockfile: Lockfile,
    pub graph: Graph,
    /// Present when `cargo metadata` resolved the workspace.
    pub resolution: Option<Resolution>,
}

impl Inventory {
    /// Packages as the report lists them, sorted by (name, version, source).
    pub fn packages(&self) -> Vec<Package> {
        let mut out: Vec<Package> = self
            .lockfile
            .packages
            .iter()
            .enumerate()
            .map(|(i, p)| Package {
                name: p.name.clone(),
                version: version_text(&p.version),
                source: p.source.clone(),
                checksum: p.checksum.clone(),
                dependency_kinds: self
                    .resolution
                    .as_ref()
                    .map(|r| r.kinds[i].clone())
                    .unwrap_or_default(),
                workspace_member: self
                    .resolution
                    .as_ref()
                    .is_some_and(|r| r.members.contains(&i)),
            })
            .collect();
        out.sort();
        out
    }
}

/// `version` exactly as semver's `Display` writes it, without the width and fill handling
/// `Display` goes through: formatting the ~1,200 versions of a report that way was 1.1 M
/// instructions of a 48 M lockfile audit (callgrind). A test holds it to `Display`.
pub fn version_text(version: &semver::Version) -> String {
    let mut digits = itoa::Buffer::new();
    let mut text = String::with_capacity(16);
    text.push_str(digits.format(version.major));
    text.push('.');
    text.push_str(digits.format(version.minor));
    text.push('.');
    text.push_str(digits.format(version.patch));
    if !version.pre.is_empty() {
        text.push('-');
        text.push_str(version.pre.as_str());
    }
    if !version.build.is_empty() {
        text.push('+');
        text.push_str(version.build.as_str());
    }
    text
}

/// Whether a lockfile `source` is crates.io, however it is spelled.
///
/// Cargo canonicalises registry URLs (lower-case host, no trailing `/`, no `.git` on GitHub
/// URLs) before comparing them, so all of these name the same registry.
pub fn is_crates_io_source(source: &str) -> bool {
    let Some((kind, url)) = source.split_once('+') else {
        return false;
    };
    let url = url.split(['?', '#']).next().unwrap_or(url);
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    let rest = rest.trim_end_matches('/');
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.to_ascii_lowercase();
    match kind {
        "registry" => {
            host == "github.com"
                && path
                    .trim_end_matches(".git")
                    .eq_ignore_ascii_case("rust-lang/crates.io-index")
        }
        "sparse" => host == "index.crates.io" && path.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_text_is_display() {
        for v in [
            "0.0.0",
            "1.2.3",
            "18446744073709551615.0.1",
            "1.0.0-alpha.1",
            "1.0.0+build.5",
            "1.0.0-rc.1+sha.0a1b",
            "0.3.0-0",
        ] {
            let version = semver::Version::parse(v).unwrap();
            assert_eq!(super::version_text(&version), version.to_string());
            assert_eq!(super::version_text(&version), v);
        }
    }
}
