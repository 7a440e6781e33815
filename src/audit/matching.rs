//! Matching lockfile packages against advisories, with RustSec's own semantics.
//!
//! This mirrors `rustsec::Database::query_vulnerabilities` and `rustsec::report::find_warnings`
//! (what cargo-audit runs): only crates.io packages are matched; each advisory is tested with
//! `rustsec::database::Query::matches` for the package's name and version, withdrawn
//! advisories are skipped, and `affected.os` / `affected.arch` restrict a match only when a
//! target is given. Informational advisories become unmaintained / unsound / notice findings;
//! other informational kinds are not reported (as cargo-audit).
//!
//! Two deliberate differences from a bare `Query::package`:
//! - every spelling of the crates.io source (the git index, with or without `.git` or a
//!   trailing `/`, and the sparse index) is crates.io: rustsec compares the source's kind and
//!   URL literally, so a `sparse+` package would otherwise match no advisory at all;
//! - a match that the target's `os`/`arch` rules out is kept aside (`dropped_by_target`) so
//!   the report can say what `--target` left out.

use rustsec::advisory::{Advisory, Informational};
use rustsec::database::Query;

use super::model::FindingKind;
use crate::advisories::AdvisoryDb;
pub use crate::inventory::is_crates_io_source;
use crate::inventory::Lockfile;

/// One advisory that applies to one lockfile package.
#[derive(Debug, Clone)]
pub struct Match<'a> {
    pub kind: FindingKind,
    pub advisory: &'a Advisory,
    /// Index into the lockfile's packages.
    pub package: usize,
}

/// An advisory that applies to a package but not on the audited target.
#[derive(Debug, Clone)]
pub struct TargetDrop<'a> {
    pub advisory: &'a Advisory,
    pub package: usize,
    /// What rules it out, e.g. `affects os windows only`.
    pub reason: String,
}

/// Everything matching found.
#[derive(Debug, Default)]
pub struct Matches<'a> {
    pub found: Vec<Match<'a>>,
    pub dropped_by_target: Vec<TargetDrop<'a>>,
}

/// The target's `target_os` / `target_arch` values, when auditing for one target.
#[derive(Debug, Clone, Default)]
pub struct TargetFilter {
    pub os: Vec<String>,
    pub arch: Vec<String>,
}

impl TargetFilter {
    /// Why the target rules the advisory out, if it does (`Query::matches`' os/arch rule: an
    /// advisory listing some os or arch applies only when the target has one of them).
    fn excludes(&self, advisory: &Advisory) -> Option<String> {
        let affected = advisory.affected.as_ref()?;
        let miss = |listed: &[String], ours: &[String]| {
            !listed.is_empty() && !ours.is_empty() && !ours.iter().any(|o| listed.contains(o))
        };
        if miss(&affected.os, &self.os) {
            return Some(format!("affects os {} only", affected.os.join(", ")));
        }
        if miss(&affected.arch, &self.arch) {
            return Some(format!("affects arch {} only", affected.arch.join(", ")));
        }
        None
    }
}

pub fn find_matches<'a>(db: &'a AdvisoryDb, lock: &Lockfile, target: &TargetFilter) -> Matches<'a> {
    // The target's os/arch are applied below (`TargetFilter::excludes`), so the queries carry
    // none; and every crates.io spelling is queried as the default source advisories name.
    let crates_io = cargo_lock::SourceId::default();
    let vulnerability_query = Query::crate_scope();
    let informational_query = Query::crate_scope().informational(true);
    let mut out = Matches::default();
    for (i, package) in lock.model.packages.iter().enumerate() {
        let mut advisories = db.for_package(package.name.as_str()).peekable();
        if advisories.peek().is_none() {
            // Most packages have no advisory: skip building their queries.
            continue;
        }
        // RustSec advisories describe crates.io packages only.
        let locked = &lock.packages[i];
        if !(locked.is_crates_io || locked.source.as_deref().is_some_and(is_crates_io_source)) {
            continue;
        }
        let vq = vulnerability_query
            .clone()
            .package(package)
            .package_source(crates_io.clone());
        let iq = informational_query
            .clone()
            .package(package)
            .package_source(crates_io.clone());
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
            match target.excludes(advisory) {
                Some(reason) => out.dropped_by_target.push(TargetDrop {
                    advisory,
                    package: i,
                    reason,
                }),
                None => out.found.push(Match {
                    kind,
                    advisory,
                    package: i,
                }),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_crates_io_spelling_is_crates_io() {
        for s in [
            "registry+https://github.com/rust-lang/crates.io-index",
            "registry+https://github.com/rust-lang/crates.io-index/",
            "registry+https://github.com/rust-lang/crates.io-index.git",
            "registry+https://GitHub.com/rust-lang/crates.io-index",
            "sparse+https://index.crates.io/",
            "sparse+https://index.crates.io",
        ] {
            assert!(is_crates_io_source(s), "{s}");
        }
        for s in [
            "registry+https://github.com/rust-lang/crates.io-index-mirror",
            "registry+https://example.org/rust-lang/crates.io-index",
            "sparse+https://index.crates.io.evil.example/",
            "sparse+https://index.crates.io/other/",
            "git+https://github.com/rust-lang/crates.io-index",
            "registry+ssh://github.com/rust-lang/crates.io-index",
            "crates.io",
        ] {
            assert!(!is_crates_io_source(s), "{s}");
        }
    }
}
