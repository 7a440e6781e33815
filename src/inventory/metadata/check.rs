//! Does a `cargo metadata` document describe this lockfile?
//!
//! A saved metadata file (`audit --metadata FILE`) can predate the lockfile or come from
//! another project. Trusting it would hide findings: a crate added since would be "not
//! reachable" and another project's metadata would leave every finding out. So before it is
//! used, the metadata must agree with the lockfile, or the audit stops (exit 2):
//! - every package it lists is in the lockfile, same name, version and source;
//! - every dependency the lockfile records for a package it lists is one that package
//!   declares (a new dependency added to a `Cargo.toml` after the metadata was saved fails
//!   here);
//! - every lockfile package it does not list is reached, in the lockfile, from some other
//!   package (an optional dependency no enabled feature turns on; a package nothing depends on
//!   is a workspace member, and the metadata must know those).
//!
//! What the lockfile alone cannot show (a feature enabled since the metadata was saved) is
//! beyond this check: regenerate saved metadata whenever `Cargo.toml` changes.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use cargo_metadata::{Metadata, PackageId};

use crate::error::{Error, Result};
use crate::inventory::is_crates_io_source;
use crate::inventory::{Graph, Lockfile};

/// Most disagreements listed in the error (the count says how many there were).
const MAX_LISTED: usize = 5;

/// Maps each metadata package id onto its lockfile package index, or explains why the
/// metadata does not describe the lockfile. `origin` is the metadata file (or the manifest
/// `cargo metadata` ran on).
pub(super) fn index_lockfile<'m>(
    metadata: &'m Metadata,
    origin: &Path,
    lock: &Lockfile,
) -> Result<HashMap<&'m PackageId, usize>> {
    let mut problems = Vec::new();
    let mut by_name_version: HashMap<(&str, String), Vec<usize>> = HashMap::new();
    for (i, p) in lock.packages.iter().enumerate() {
        by_name_version
            .entry((p.name.as_str(), p.version.to_string()))
            .or_default()
            .push(i);
    }
    let mut index_of = HashMap::with_capacity(metadata.packages.len());
    let mut described: Vec<Option<&cargo_metadata::Package>> = vec![None; lock.packages.len()];
    for p in &metadata.packages {
        let source = p.source.as_ref().map(|s| s.repr.as_str());
        let found = by_name_version
            .get(&(p.name.as_str(), p.version.to_string()))
            .and_then(|candidates| {
                candidates
                    .iter()
                    .copied()
                    .find(|&i| same_source(lock.packages[i].source.as_deref(), source))
            });
        match found {
            Some(i) => {
                index_of.insert(&p.id, i);
                described[i] = Some(p);
            }
            None => problems.push(format!(
                "it lists {} {}{} which the lockfile does not have",
                p.name,
                p.version,
                source.map(|s| format!(" ({s})")).unwrap_or_default()
            )),
        }
    }
    let graph = Graph::from_lockfile(lock);
    for (i, package) in lock.model.packages.iter().enumerate() {
        let locked = &lock.packages[i];
        match described[i] {
            Some(meta) => {
                let declared: HashSet<&str> =
                    meta.dependencies.iter().map(|d| d.name.as_str()).collect();
                for dep in &package.dependencies {
                    if !declared.contains(dep.name.as_str()) {
                        problems.push(format!(
                            "in the lockfile {} {} depends on {}, which it does not declare in the metadata",
                            locked.name, locked.version, dep.name
                        ));
                    }
                }
            }
            None if graph.dependents(i).is_empty() => problems.push(format!(
                "the lockfile's {} {} (a workspace member: nothing depends on it) is not in it",
                locked.name, locked.version
            )),
            None => {}
        }
    }
    if problems.is_empty() {
        return Ok(index_of);
    }
    let count = problems.len();
    problems.truncate(MAX_LISTED);
    let more = if count > MAX_LISTED {
        format!("; and {} more", count - MAX_LISTED)
    } else {
        String::new()
    };
    Err(Error::input(
        origin,
        format!(
            "this cargo metadata does not describe {}: {}{more}. Regenerate it with `cargo metadata --format-version 1 --locked` from the same checkout",
            lock.path.display(),
            problems.join("; ")
        ),
    ))
}

/// Whether a lockfile source and a metadata source are the same: git sources differ only by
/// the `?branch=` / `#rev` decorations between the two, and crates.io has several spellings.
pub(super) fn same_source(lock: Option<&str>, meta: Option<&str>) -> bool {
    let strip = |s: &str| s.split(['?', '#']).next().unwrap_or(s).to_string();
    match (lock, meta) {
        (Some(l), Some(m)) if is_crates_io_source(l) && is_crates_io_source(m) => true,
        (l, m) => l.map(strip) == m.map(strip),
    }
}
