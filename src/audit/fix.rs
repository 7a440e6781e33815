//! The fix for a finding: the smallest patched version above the one in use, and whether
//! `cargo update` can reach it (semver-compatible with what the lockfile allows).
//!
//! As cargo-audit's presenter: the `patched` ranges when the advisory has any; otherwise the
//! `unaffected` ranges that admit a version newer than the one in use (an advisory such as
//! RUSTSEC-2026-0118 lists only `unaffected = ["< 0.25.0-alpha.3", ">= 0.26.0-beta.1"]`, and
//! moving to 0.26.0-beta.1 is the way out). The requirement is kept as cargo-audit prints it
//! (`>=0.26.0-beta.1`, several joined with ` OR `).

use semver::{Comparator, Op, Version, VersionReq};

use super::model::{Fix, FixBasis};

/// The fix for `current`: from the patched ranges, else from the newer unaffected ones.
pub fn fix_for(
    current: &Version,
    patched: &[VersionReq],
    unaffected: &[VersionReq],
) -> Option<Fix> {
    if let Some(version) = smallest_above(current, patched) {
        return Some(Fix {
            semver_compatible: semver_compatible(current, &version),
            version: version.to_string(),
            basis: FixBasis::Patched,
            requirement: join(patched.iter()),
        });
    }
    if !patched.is_empty() {
        return None;
    }
    let newer: Vec<&VersionReq> = unaffected
        .iter()
        .filter(|r| smallest_above(current, std::slice::from_ref(*r)).is_some())
        .collect();
    let version = smallest_above(current, unaffected)?;
    Some(Fix {
        semver_compatible: semver_compatible(current, &version),
        version: version.to_string(),
        basis: FixBasis::Unaffected,
        requirement: join(newer.into_iter()),
    })
}

fn join<'r>(reqs: impl Iterator<Item = &'r VersionReq>) -> String {
    reqs.map(|r| r.to_string()).collect::<Vec<_>>().join(" OR ")
}

/// Smallest version greater than `current` that satisfies one of `reqs`.
fn smallest_above(current: &Version, reqs: &[VersionReq]) -> Option<Version> {
    let mut best: Option<Version> = None;
    for req in reqs {
        for candidate in req.comparators.iter().filter_map(lower_bound) {
            if candidate > *current
                && req.matches(&candidate)
                && best.as_ref().is_none_or(|b| candidate < *b)
            {
                best = Some(candidate);
            }
        }
    }
    best
}

/// The smallest version a comparator admits.
fn lower_bound(c: &Comparator) -> Option<Version> {
    let minor = c.minor.unwrap_or(0);
    let patch = c.patch.unwrap_or(0);
    let mut v = Version::new(c.major, minor, patch);
    v.pre = c.pre.clone();
    match c.op {
        Op::Exact | Op::GreaterEq | Op::Tilde | Op::Caret | Op::Wildcard => Some(v),
        Op::Greater => {
            // `>1.2` admits 1.3.0; `>1.2.3` admits 1.2.4; `>1` admits 2.0.0.
            let next = match (c.minor, c.patch) {
                (None, _) => Version::new(c.major + 1, 0, 0),
                (Some(m), None) => Version::new(c.major, m + 1, 0),
                (Some(m), Some(p)) => Version::new(c.major, m, p + 1),
            };
            Some(next)
        }
        _ => None,
    }
}

/// Cargo's compatibility rule: same left-most non-zero component.
pub fn semver_compatible(current: &Version, candidate: &Version) -> bool {
    if current.major != candidate.major {
        return false;
    }
    if current.major > 0 {
        return true;
    }
    if current.minor != candidate.minor {
        return false;
    }
    current.minor > 0 || current.patch == candidate.patch
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(current: &str, patched: &[&str]) -> Option<(String, bool)> {
        let reqs: Vec<VersionReq> = patched
            .iter()
            .map(|p| VersionReq::parse(p).unwrap())
            .collect();
        fix_for(&Version::parse(current).unwrap(), &reqs, &[])
            .map(|f| (f.version, f.semver_compatible))
    }

    #[test]
    fn picks_smallest_patched_above_current() {
        // smallvec RUSTSEC-2021-0003: patched ">= 0.6.14, < 1.0.0", ">= 1.6.1"
        assert_eq!(
            fix("1.6.0", &[">= 0.6.14, < 1.0.0", ">= 1.6.1"]),
            Some(("1.6.1".into(), true))
        );
        assert_eq!(
            fix("0.6.10", &[">= 0.6.14, < 1.0.0", ">= 1.6.1"]),
            Some(("0.6.14".into(), true))
        );
        // time 0.1 -> 0.2.23 is a breaking upgrade.
        assert_eq!(
            fix("0.1.44", &[">= 0.2.23"]),
            Some(("0.2.23".into(), false))
        );
        assert_eq!(
            fix("1.8.0", &["^1.8.4", ">= 1.9.1"]),
            Some(("1.8.4".into(), true))
        );
        assert_eq!(fix("2.0.0", &[">1.2"]), None);
        assert_eq!(fix("1.0.0", &[]), None);
    }

    fn unaffected(current: &str, unaffected: &[&str]) -> Option<Fix> {
        let reqs: Vec<VersionReq> = unaffected
            .iter()
            .map(|p| VersionReq::parse(p).unwrap())
            .collect();
        fix_for(&Version::parse(current).unwrap(), &[], &reqs)
    }

    #[test]
    fn unaffected_ranges_give_a_fix_when_no_patch_exists() {
        // RUSTSEC-2026-0118 (hickory-proto): cargo-audit says "Upgrade to >=0.26.0-beta.1".
        let f = unaffected("0.25.2", &["< 0.25.0-alpha.3", ">= 0.26.0-beta.1"]).unwrap();
        assert_eq!(f.version, "0.26.0-beta.1");
        assert_eq!(f.requirement, ">=0.26.0-beta.1");
        assert_eq!(f.basis, FixBasis::Unaffected);
        assert!(!f.semver_compatible);
        // Only older unaffected versions (the usual "introduced in" case): no way forward.
        assert_eq!(unaffected("1.5.0", &["<1.0.0"]), None);
        assert_eq!(unaffected("0.6.0", &["^0.4"]), None);
        assert_eq!(unaffected("1.5.0", &["=1.2.3"]), None);
        // Several newer ranges are all named; the smallest version wins.
        let f = unaffected("1.5.0", &[">=5.0.0", ">=1.6.0, <1.9.0", "<1.0.0"]).unwrap();
        assert_eq!(f.version, "1.6.0");
        assert_eq!(f.requirement, ">=5.0.0 OR >=1.6.0, <1.9.0");
        assert!(f.semver_compatible);
        // A patched range takes precedence, as in cargo-audit.
        let f = fix_for(
            &Version::parse("1.0.0").unwrap(),
            &[VersionReq::parse(">=1.2.0").unwrap()],
            &[VersionReq::parse(">=1.1.0").unwrap()],
        )
        .unwrap();
        assert_eq!((f.version.as_str(), f.basis), ("1.2.0", FixBasis::Patched));
    }

    #[test]
    fn compatibility_follows_cargo() {
        let v = |s: &str| Version::parse(s).unwrap();
        assert!(semver_compatible(&v("1.2.3"), &v("1.9.0")));
        assert!(!semver_compatible(&v("1.2.3"), &v("2.0.0")));
        assert!(semver_compatible(&v("0.4.19"), &v("0.4.20")));
        assert!(!semver_compatible(&v("0.4.19"), &v("0.5.0")));
        assert!(!semver_compatible(&v("0.0.1"), &v("0.0.2")));
    }
}
