//! The fix for a finding: the smallest patched version above the one in use, and whether
//! `cargo update` can reach it (semver-compatible with what the lockfile allows).

use semver::{Comparator, Op, Version, VersionReq};

use super::model::Fix;

/// Smallest version greater than `current` that satisfies one of the `patched` requirements.
pub fn smallest_patched(current: &Version, patched: &[VersionReq]) -> Option<Fix> {
    let mut best: Option<Version> = None;
    for req in patched {
        for candidate in req.comparators.iter().filter_map(lower_bound) {
            if candidate > *current
                && req.matches(&candidate)
                && best.as_ref().is_none_or(|b| candidate < *b)
            {
                best = Some(candidate);
            }
        }
    }
    best.map(|version| Fix {
        semver_compatible: semver_compatible(current, &version),
        version: version.to_string(),
    })
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
        smallest_patched(&Version::parse(current).unwrap(), &reqs)
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
