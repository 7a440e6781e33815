//! Turning matches into findings under a policy: reachability, ignores (and their expiry),
//! failing kinds and severities.

use time::Date;

use std::collections::HashMap;

use super::fix::fix_for;
use super::matching::{Match, Matches};
use super::model::{Finding, FindingCounts, FindingKind, FindingStatus, IgnoreInfo, Severity};
use super::paths::{PackagePaths, PathIndex};
use crate::clock::format_date;
use crate::inventory::Inventory;
use crate::policy::{AuditPolicy, Ignore};

/// Most items a "left out" note lists by name (the count says how many there were).
const MAX_NOTE_ITEMS: usize = 20;

/// Why findings were left out of the report, each kind with the items it concerns.
#[derive(Default)]
struct LeftOut {
    unreachable: Vec<String>,
    not_resolved: Vec<String>,
    by_target: Vec<String>,
}

impl LeftOut {
    fn into_notes(self, notes: &mut Vec<String>) {
        let reasons = [
            (self.unreachable, "not reachable from the workspace with this target and these dependency kinds"),
            (self.not_resolved, "not in cargo metadata's resolve (optional dependencies that no enabled feature turns on)"),
            (self.by_target, "the advisory's affected os/arch exclude the --target"),
        ];
        for (mut items, why) in reasons {
            if items.is_empty() {
                continue;
            }
            items.sort();
            let count = items.len();
            items.truncate(MAX_NOTE_ITEMS);
            let more = if count > MAX_NOTE_ITEMS {
                format!(", and {} more", count - MAX_NOTE_ITEMS)
            } else {
                String::new()
            };
            notes.push(format!(
                "{} left out: {why} ({}{more})",
                plural(count, "finding", "findings"),
                items.join(", ")
            ));
        }
    }
}

/// `1 finding`, `2 findings`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

pub fn findings(
    inventory: &Inventory,
    matches: &Matches<'_>,
    yanked: &[usize],
    policy: &AuditPolicy,
    today: Date,
    notes: &mut Vec<String>,
) -> Vec<Finding> {
    let lock = &inventory.lockfile;
    let name_of = |i: usize| format!("{} {}", lock.packages[i].name, lock.packages[i].version);
    let mut left_out = LeftOut::default();
    // `None` when the package counts; else the list it is left out into.
    let excluded = |i: usize, left_out: &mut LeftOut, what: String| {
        let Some(r) = inventory.resolution.as_ref() else {
            return false;
        };
        if !r.kinds[i].is_empty() {
            return false;
        }
        if r.in_resolve[i] {
            left_out.unreachable.push(what);
        } else {
            left_out.not_resolved.push(what);
        }
        true
    };
    let index = PathIndex::new(&inventory.graph, &lock.packages);
    let mut path_cache: HashMap<usize, PackagePaths> = HashMap::new();
    let mut paths = |i: usize| {
        path_cache
            .entry(i)
            .or_insert_with(|| index.paths_to(i))
            .clone()
    };

    for d in &matches.dropped_by_target {
        left_out.by_target.push(format!(
            "{} in {}: {}",
            d.advisory.metadata.id,
            name_of(d.package),
            d.reason
        ));
    }
    let mut out = Vec::new();
    for m in &matches.found {
        let what = format!("{} in {}", m.advisory.metadata.id, name_of(m.package));
        if excluded(m.package, &mut left_out, what) {
            continue;
        }
        let mut finding = advisory_finding(m, lock);
        let p = paths(m.package);
        finding.paths = p.paths;
        finding.paths_total = p.total;
        apply_policy(&mut finding, policy, today);
        out.push(finding);
    }
    for &i in yanked {
        if excluded(i, &mut left_out, format!("yanked {}", name_of(i))) {
            continue;
        }
        let package = &lock.packages[i];
        // A yank has no advisory: its id is the kind's name.
        let mut finding = Finding::new(
            FindingKind::Yanked,
            FindingKind::Yanked.as_str(),
            &package.name,
            &package.version.to_string(),
        );
        finding.title = format!(
            "{} {} is yanked from crates.io",
            package.name, package.version
        );
        finding.url = Some(format!(
            "https://crates.io/crates/{}/{}",
            package.name, package.version
        ));
        let p = paths(i);
        finding.paths = p.paths;
        finding.paths_total = p.total;
        finding.lockfile_line = Some(package.line);
        apply_policy(&mut finding, policy, today);
        out.push(finding);
    }
    left_out.into_notes(notes);
    out.sort_by(|a, b| {
        (a.kind, &a.advisory_id, &a.package, &a.version).cmp(&(
            b.kind,
            &b.advisory_id,
            &b.package,
            &b.version,
        ))
    });
    out
}

/// The finding an advisory match makes, before paths and policy.
fn advisory_finding(m: &Match<'_>, lock: &crate::inventory::Lockfile) -> Finding {
    let a = m.advisory;
    let package = &lock.packages[m.package];
    let cvss = a.metadata.cvss.as_ref();
    // Scored once: a CVSS v4 score is ~77,000 instructions (callgrind), and a lockfile audit
    // scored each finding's vector twice.
    let cvss_score = cvss.map(|c| c.score());
    let severity = match m.kind {
        FindingKind::Vulnerability => cvss_score.map(Severity::from_score),
        _ => None,
    };
    let functions = a
        .affected
        .as_ref()
        .map(|aff| aff.functions.keys().map(|f| f.to_string()).collect())
        .unwrap_or_default();
    let mut finding = Finding::new(
        m.kind,
        a.metadata.id.as_str(),
        &package.name,
        &package.version.to_string(),
    );
    finding.severity = severity;
    finding.cvss_score = cvss_score;
    finding.cvss_vector = cvss.map(|c| c.to_string());
    finding.title = a.metadata.title.clone();
    finding.date = Some(a.metadata.date.as_str().to_string());
    finding.aliases = a.metadata.aliases.iter().map(|x| x.to_string()).collect();
    finding.url = a
        .metadata
        .url
        .as_ref()
        .map(|u| u.to_string())
        .or_else(|| Some(format!("https://rustsec.org/advisories/{}", a.metadata.id)));
    finding.patched = a.versions.patched().iter().map(|r| r.to_string()).collect();
    finding.unaffected = a
        .versions
        .unaffected()
        .iter()
        .map(|r| r.to_string())
        .collect();
    finding.functions = functions;
    // As cargo-audit, a fix from unaffected ranges is suggested for vulnerabilities only: for
    // an unmaintained crate, `unaffected = ["> 0.7.0"]` names no release that exists.
    let unaffected = match m.kind {
        FindingKind::Vulnerability => a.versions.unaffected(),
        _ => &[],
    };
    finding.fix = fix_for(&package.version, a.versions.patched(), unaffected);
    finding.lockfile_line = Some(package.line);
    finding
}

fn matching_ignore<'p>(finding: &Finding, ignores: &'p [Ignore]) -> Option<&'p Ignore> {
    ignores
        .iter()
        .find(|i| i.id == finding.advisory_id || finding.aliases.contains(&i.id))
}

/// Sets `status`, `ignore` and `fails_policy`.
pub fn apply_policy(finding: &mut Finding, policy: &AuditPolicy, today: Date) {
    if let Some(ignore) = matching_ignore(finding, &policy.ignore) {
        finding.status = if today <= ignore.expires {
            FindingStatus::Ignored
        } else {
            FindingStatus::IgnoreExpired
        };
        finding.ignore = Some(IgnoreInfo {
            reason: ignore.reason.clone(),
            approved_by: ignore.approved_by.clone(),
            expires: format_date(ignore.expires),
        });
    }
    let kind_fails = policy.fail_on.contains(&finding.kind);
    // Below the threshold does not fail; unscored vulnerabilities always do (as RustSec).
    let severity_fails = match (policy.severity_threshold, finding.severity) {
        (Some(threshold), Some(severity)) => severity >= threshold,
        _ => true,
    };
    finding.fails_policy = finding.status != FindingStatus::Ignored && kind_fails && severity_fails;
}

pub fn summarize(findings: &[Finding]) -> FindingCounts {
    let mut s = FindingCounts::default();
    for f in findings {
        match f.kind {
            FindingKind::Vulnerability => s.vulnerabilities += 1,
            FindingKind::Unsound => s.unsound += 1,
            FindingKind::Unmaintained => s.unmaintained += 1,
            FindingKind::Notice => s.notices += 1,
            FindingKind::Yanked => s.yanked += 1,
        }
        if f.status == FindingStatus::Ignored {
            s.ignored += 1;
        }
        if f.fails_policy {
            s.failing += 1;
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use time::macros::date;

    use super::*;

    fn policy(fail_on: &[FindingKind], threshold: Option<Severity>) -> AuditPolicy {
        AuditPolicy {
            fail_on: fail_on.iter().copied().collect::<BTreeSet<_>>(),
            severity_threshold: threshold,
            max_database_age_days: None,
            stale_warning_days: 30,
            exclude_dev: false,
            check_yanked: false,
            ignore: Vec::new(),
        }
    }

    fn ignore(id: &str, expires: Date) -> Ignore {
        Ignore {
            id: id.into(),
            reason: "not reachable from our code".into(),
            approved_by: "sec@example.org".into(),
            expires,
            justification: None,
            requested_by: None,
            approved_on: None,
            compensating_control: None,
        }
    }

    fn vulnerability(severity: Option<Severity>) -> Finding {
        let mut f = Finding::new(
            FindingKind::Vulnerability,
            "RUSTSEC-2023-0001",
            "tokio",
            "1.0.0",
        );
        f.aliases = vec!["CVE-2023-22466".into()];
        f.severity = severity;
        f
    }

    fn judged(mut f: Finding, policy: &AuditPolicy, today: Date) -> Finding {
        apply_policy(&mut f, policy, today);
        f
    }

    #[test]
    fn an_ignore_holds_through_its_last_day_and_fails_again_the_next() {
        let mut p = policy(&[FindingKind::Vulnerability], None);
        p.ignore = vec![ignore("RUSTSEC-2023-0001", date!(2026 - 03 - 31))];
        let held = judged(vulnerability(None), &p, date!(2026 - 03 - 31));
        assert_eq!(held.status, FindingStatus::Ignored);
        assert!(!held.fails_policy);
        let info = held.ignore.expect("the ignore is shown");
        assert_eq!(
            (info.approved_by.as_str(), info.expires.as_str()),
            ("sec@example.org", "2026-03-31")
        );
        let expired = judged(vulnerability(None), &p, date!(2026 - 04 - 01));
        assert_eq!(expired.status, FindingStatus::IgnoreExpired);
        assert!(expired.fails_policy, "an expired ignore no longer protects");
        assert!(
            expired.ignore.is_some(),
            "the expired ignore is still named"
        );
    }

    #[test]
    fn an_ignore_matches_by_alias_and_by_nothing_else() {
        let mut p = policy(&[FindingKind::Vulnerability], None);
        p.ignore = vec![ignore("CVE-2023-22466", date!(2030 - 01 - 01))];
        let by_alias = judged(vulnerability(None), &p, date!(2026 - 01 - 01));
        assert_eq!(by_alias.status, FindingStatus::Ignored);
        p.ignore = vec![ignore("RUSTSEC-2023-0002", date!(2030 - 01 - 01))];
        let other = judged(vulnerability(None), &p, date!(2026 - 01 - 01));
        assert_eq!(other.status, FindingStatus::Open);
        assert!(other.fails_policy && other.ignore.is_none());
    }

    #[test]
    fn only_the_kinds_of_fail_on_fail() {
        let p = policy(&[FindingKind::Vulnerability], None);
        let unmaintained =
            Finding::new(FindingKind::Unmaintained, "RUSTSEC-2020-0001", "a", "1.0.0");
        let judged_unmaintained = judged(unmaintained, &p, date!(2026 - 01 - 01));
        assert_eq!(judged_unmaintained.status, FindingStatus::Open);
        assert!(!judged_unmaintained.fails_policy);
        let yanked = Finding::new(FindingKind::Yanked, "yanked", "a", "1.0.0");
        let strict = policy(&[FindingKind::Vulnerability, FindingKind::Yanked], None);
        assert!(judged(yanked, &strict, date!(2026 - 01 - 01)).fails_policy);
    }

    #[test]
    fn the_threshold_spares_lower_severities_but_never_unscored_ones() {
        let p = policy(&[FindingKind::Vulnerability], Some(Severity::High));
        let today = date!(2026 - 01 - 01);
        assert!(!judged(vulnerability(Some(Severity::Medium)), &p, today).fails_policy);
        assert!(judged(vulnerability(Some(Severity::High)), &p, today).fails_policy);
        assert!(judged(vulnerability(Some(Severity::Critical)), &p, today).fails_policy);
        // As RustSec: a vulnerability without a score is not known to be below anything.
        assert!(judged(vulnerability(None), &p, today).fails_policy);
        let no_threshold = policy(&[FindingKind::Vulnerability], None);
        assert!(judged(vulnerability(Some(Severity::None)), &no_threshold, today).fails_policy);
    }

    #[test]
    fn summarize_counts_each_kind_the_ignored_and_the_failing() {
        let mut p = policy(&[FindingKind::Vulnerability], None);
        p.ignore = vec![ignore("RUSTSEC-2023-0001", date!(2030 - 01 - 01))];
        let today = date!(2026 - 01 - 01);
        let findings = vec![
            judged(vulnerability(None), &p, today),
            judged(
                Finding::new(
                    FindingKind::Vulnerability,
                    "RUSTSEC-2024-0009",
                    "b",
                    "2.0.0",
                ),
                &p,
                today,
            ),
            judged(
                Finding::new(FindingKind::Notice, "RUSTSEC-2024-0010", "c", "1.0.0"),
                &p,
                today,
            ),
        ];
        let s = summarize(&findings);
        assert_eq!(
            (s.vulnerabilities, s.notices, s.ignored, s.failing),
            (2, 1, 1, 1)
        );
    }
}
