//! Matching lockfile packages against advisories, with RustSec's own semantics.
//!
//! This mirrors `rustsec::Database::query_vulnerabilities` and `rustsec::report::find_warnings`
//! (what cargo-audit runs): only crates.io packages are matched; each advisory is tested with
//! `rustsec::database::Query::matches` for the package's name, version and source, withdrawn
//! advisories are skipped, and `affected.os` / `affected.arch` restrict a match only when a
//! target is given. Informational advisories become unmaintained / unsound / notice findings;
//! other informational kinds are not reported (as cargo-audit).

use rustsec::advisory::{Advisory, Informational};
use rustsec::database::Query;

use super::model::FindingKind;
use crate::advisories::AdvisoryDb;
use crate::inventory::Lockfile;

/// One advisory that applies to one lockfile package.
#[derive(Debug, Clone)]
pub struct Match<'a> {
    pub kind: FindingKind,
    pub advisory: &'a Advisory,
    /// Index into the lockfile's packages.
    pub package: usize,
}

/// The target's `target_os` / `target_arch` values, when auditing for one target.
#[derive(Debug, Clone, Default)]
pub struct TargetFilter {
    pub os: Vec<String>,
    pub arch: Vec<String>,
}

pub fn find_matches<'a>(
    db: &'a AdvisoryDb,
    lock: &Lockfile,
    target: &TargetFilter,
) -> Vec<Match<'a>> {
    let base = Query::crate_scope()
        .target_os(target.os.clone())
        .target_arch(target.arch.clone());
    let vulnerability_query = base.clone();
    let informational_query = base.informational(true);
    let mut matches = Vec::new();
    for (i, package) in lock.model.packages.iter().enumerate() {
        // RustSec advisories describe crates.io packages only.
        if !lock.packages[i].is_crates_io {
            continue;
        }
        let mut advisories = db.for_package(package.name.as_str()).peekable();
        if advisories.peek().is_none() {
            // Most packages have no advisory: skip building their queries.
            continue;
        }
        let vq = vulnerability_query.clone().package(package);
        let iq = informational_query.clone().package(package);
        for advisory in advisories {
            let kind = match &advisory.metadata.informational {
                None if vq.matches(advisory) => FindingKind::Vulnerability,
                None => continue,
                Some(info) if iq.matches(advisory) => match info {
                    Informational::Unmaintained => FindingKind::Unmaintained,
                    Informational::Unsound => FindingKind::Unsound,
                    Informational::Notice => FindingKind::Notice,
                    _ => continue,
                },
                Some(_) => continue,
            };
            matches.push(Match {
                kind,
                advisory,
                package: i,
            });
        }
    }
    matches
}
