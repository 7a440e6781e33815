//! Turning matches into findings under a policy: reachability, ignores (and their expiry),
//! failing kinds and severities.

use time::Date;

use super::fix::smallest_patched;
use super::matching::Match;
use super::model::{Finding, FindingKind, FindingStatus, IgnoreInfo, Severity, Summary};
use crate::clock::format_date;
use crate::inventory::Inventory;
use crate::policy::{Ignore, Policy};

/// Most dependency paths listed per finding.
pub const MAX_PATHS: usize = 5;

pub fn findings(
    inventory: &Inventory,
    matches: &[Match<'_>],
    yanked: &[usize],
    policy: &Policy,
    today: Date,
    notes: &mut Vec<String>,
) -> Vec<Finding> {
    let lock = &inventory.lockfile;
    let name_of = |i: usize| format!("{} {}", lock.packages[i].name, lock.packages[i].version);
    let mut unreachable = Vec::new();
    let reachable = |i: usize| {
        inventory
            .resolution
            .as_ref()
            .is_none_or(|r| !r.kinds[i].is_empty())
    };
    let paths = |i: usize| -> Vec<Vec<String>> {
        inventory
            .graph
            .paths_to(i, MAX_PATHS, &name_of)
            .into_iter()
            .map(|p| p.into_iter().map(name_of).collect())
            .collect()
    };

    let mut out = Vec::new();
    for m in matches {
        if !reachable(m.package) {
            unreachable.push(format!(
                "{} in {}",
                m.advisory.metadata.id,
                name_of(m.package)
            ));
            continue;
        }
        let a = m.advisory;
        let package = &lock.packages[m.package];
        let cvss = a.metadata.cvss.as_ref();
        let severity = match m.kind {
            FindingKind::Vulnerability => cvss.map(|c| Severity::from_score(c.score())),
            _ => None,
        };
        let functions = a
            .affected
            .as_ref()
            .map(|aff| aff.functions.keys().map(|f| f.to_string()).collect())
            .unwrap_or_default();
        let mut finding = Finding {
            kind: m.kind,
            code: m.kind.code().to_string(),
            advisory_id: a.metadata.id.to_string(),
            package: package.name.clone(),
            version: package.version.to_string(),
            severity,
            cvss_score: cvss.map(|c| c.score()),
            cvss_vector: cvss.map(|c| c.to_string()),
            title: a.metadata.title.clone(),
            date: Some(a.metadata.date.as_str().to_string()),
            aliases: a.metadata.aliases.iter().map(|x| x.to_string()).collect(),
            url: a
                .metadata
                .url
                .as_ref()
                .map(|u| u.to_string())
                .or_else(|| Some(format!("https://rustsec.org/advisories/{}", a.metadata.id))),
            patched: a.versions.patched().iter().map(|r| r.to_string()).collect(),
            unaffected: a
                .versions
                .unaffected()
                .iter()
                .map(|r| r.to_string())
                .collect(),
            functions,
            paths: paths(m.package),
            fix: smallest_patched(&package.version, a.versions.patched()),
            status: FindingStatus::Open,
            fails_policy: false,
            ignore: None,
            lockfile_line: Some(package.line),
            baseline_state: None,
        };
        apply_policy(&mut finding, policy, today);
        out.push(finding);
    }
    for &i in yanked {
        if !reachable(i) {
            unreachable.push(format!("yanked {}", name_of(i)));
            continue;
        }
        let package = &lock.packages[i];
        let mut finding = Finding::new(
            FindingKind::Yanked,
            "yanked",
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
        finding.paths = paths(i);
        finding.lockfile_line = Some(package.line);
        apply_policy(&mut finding, policy, today);
        out.push(finding);
    }
    if !unreachable.is_empty() {
        unreachable.sort();
        notes.push(format!(
            "{} finding(s) left out: not reachable from the workspace with this target and these dependency kinds ({})",
            unreachable.len(),
            unreachable.join(", ")
        ));
    }
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

fn matching_ignore<'p>(finding: &Finding, ignores: &'p [Ignore]) -> Option<&'p Ignore> {
    ignores
        .iter()
        .find(|i| i.id == finding.advisory_id || finding.aliases.contains(&i.id))
}

/// Sets `status`, `ignore` and `fails_policy`.
pub fn apply_policy(finding: &mut Finding, policy: &Policy, today: Date) {
    if let Some(ignore) = matching_ignore(finding, &policy.audit.ignore) {
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
    let kind_fails = policy.audit.fail_on.contains(&finding.kind);
    // Below the threshold does not fail; unscored vulnerabilities always do (as RustSec).
    let severity_fails = match (policy.audit.severity_threshold, finding.severity) {
        (Some(threshold), Some(severity)) => severity >= threshold,
        _ => true,
    };
    finding.fails_policy = finding.status != FindingStatus::Ignored && kind_fails && severity_fails;
}

pub fn summarize(findings: &[Finding]) -> Summary {
    let mut s = Summary::default();
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
