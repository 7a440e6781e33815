//! Building the quarterly report from verified evidence, in named steps: load and check the
//! chain ([`crate::evidence::verify_scope`]), then policies, coverage, findings, exceptions,
//! releases and deviations, each from the verified runs only.

use std::borrow::Cow;
use std::collections::BTreeMap;

use time::{Date, Duration};

use super::model::*;
use super::{coverage, exceptions, findings, releases, subscription};
use crate::clock::{format_date, format_rfc3339, parse_rfc3339, Clock};
use crate::error::{Error, Result};
use crate::evidence::{
    verify_scope, ChainCheck, Origin, PolicyInForce, RunKind, Scope, Store, VerifiedRun,
};

/// A calendar quarter, e.g. `2026-Q4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quarter {
    pub year: i32,
    pub number: u8,
}

impl Quarter {
    /// Parses `YYYY-QN`; a quarter whose end is not a representable date is refused.
    pub fn parse(text: &str) -> std::result::Result<Quarter, String> {
        let bad = || format!("`{text}` is not a quarter like 2026-Q4");
        let (year, q) = text.split_once("-Q").ok_or_else(bad)?;
        let year: i32 = year.parse().map_err(|_| bad())?;
        let number: u8 = q.parse().map_err(|_| bad())?;
        if !(1..=4).contains(&number) || !(1970..=9999).contains(&year) {
            return Err(bad());
        }
        let q = Quarter { year, number };
        if q.end().is_none() {
            return Err(format!(
                "`{text}` ends after 9999-12-31, the last date chainwarden can compute with"
            ));
        }
        Ok(q)
    }

    pub fn start(self) -> Date {
        let month = time::Month::try_from(3 * (self.number - 1) + 1).expect("1, 4, 7 or 10");
        Date::from_calendar_date(self.year, month, 1).expect("validated year")
    }

    /// First day after the quarter (`None` past the calendar's end).
    pub fn end(self) -> Option<Date> {
        match self.number {
            4 => Date::from_calendar_date(self.year + 1, time::Month::January, 1).ok(),
            n => Some(
                Quarter {
                    year: self.year,
                    number: n + 1,
                }
                .start(),
            ),
        }
    }

    pub fn label(self) -> String {
        format!("{}-Q{}", self.year, self.number)
    }
}

/// `d + days`, or `None` past the calendar's end.
pub fn add_days(d: Date, days: i64) -> Option<Date> {
    d.checked_add(Duration::days(days))
}

pub fn day_of(time: &str) -> Option<Date> {
    parse_rfc3339(time).ok().map(|t| t.date())
}

/// The period being reported.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    pub start: Date,
    /// First day after the evidence considered.
    pub until: Date,
    /// Last day considered.
    pub last: Date,
}

impl Span {
    pub fn days(&self) -> impl Iterator<Item = Date> + '_ {
        let mut d = Some(self.start);
        std::iter::from_fn(move || {
            let day = d.filter(|x| *x < self.until)?;
            d = day.next_day();
            Some(day)
        })
    }
}

/// What the caller decides: presentation and how strict to be.
pub struct Options<'a> {
    /// The `--policy` given to `report`, in its recorded form: roles and title come from it,
    /// and its rules are compared with the recorded ones.
    pub presentation: Option<&'a PolicyInForce>,
    pub allow_broken: bool,
    pub clock: Clock,
}

/// Verified runs of the scope, in time order, with the chain check; refuses a broken chain
/// unless allowed.
pub fn load(store: &Store, scope: &Scope, allow_broken: bool) -> Result<ChainCheck> {
    let mut check = verify_scope(store, scope)?;
    if !check.intact() && !allow_broken {
        return Err(crate::evidence::broken_error(&check));
    }
    check
        .runs
        .sort_by(|a, b| (&a.time, a.seq).cmp(&(&b.time, b.seq)));
    Ok(check)
}

/// The policy in force on `day`: the latest run's at or before it, else the first run's.
pub fn policy_on(runs: &[VerifiedRun], day: Date) -> Option<&PolicyInForce> {
    runs.iter()
        .rev()
        .find(|r| day_of(&r.time).is_some_and(|d| d <= day))
        .or_else(|| runs.first())
        .map(|r| &r.policy)
}

/// Builds the report for `scope` and `quarter`, with evidence up to the clock's day.
pub fn build(
    store: &Store,
    scope: &Scope,
    quarter: Quarter,
    opts: &Options<'_>,
) -> Result<QuarterReport> {
    let check = load(store, scope, opts.allow_broken)?;
    let span = Span::of(quarter, opts.clock.today());
    let runs = kept(&check.runs, |r| {
        day_of(&r.time).is_some_and(|d| d < span.until)
    });
    if runs.is_empty() {
        return Err(Error::evidence(format!(
            "no evidence for tenant `{}`, project `{}` in {} (check --evidence, --tenant and --project)",
            scope.tenant_id,
            scope.project_id,
            quarter.label()
        )));
    }
    let sections = Sections::build(store, &check, &runs, &span)?;
    let latest = runs.last().map(|r| &r.policy);
    let report_policy = match opts.presentation {
        Some(p) if p.report != Default::default() => p.report.clone(),
        _ => latest.map(|p| p.report.clone()).unwrap_or_default(),
    };
    let title = report_policy.title.clone().unwrap_or_else(|| {
        format!(
            "Dependency audit report {} {}/{}",
            quarter.label(),
            scope.tenant_id,
            scope.project_id
        )
    });
    let mut report = QuarterReport {
        schema_version: SCHEMA_VERSION,
        title,
        tenant_id: scope.tenant_id.clone(),
        project_id: scope.project_id.clone(),
        period: period(quarter, &span),
        generated: Generated {
            tool: "chainwarden".into(),
            tool_version: env!("CARGO_PKG_VERSION").into(),
            time: format_rfc3339(opts.clock.now()),
        },
        integrity: integrity(&check, opts.allow_broken),
        summary: summary(&runs, &span, &sections),
        policies: policies_in_force(&runs, &span),
        presentation_policy: presentation(opts, latest),
        coverage: sections.coverage.coverage,
        scans: sections.coverage.scans,
        sla: findings::sla_table(&sections.found.records),
        oldest_open: sections.found.oldest_open,
        findings: sections.found.records,
        exceptions: sections.exceptions,
        deviations: sections.deviations,
        deviation_counts: sections.deviation_counts,
        inventory: sections.inventory,
        releases: sections.releases,
        commits: sections.commits,
        signoff: SignOff {
            prepared_by: format!("chainwarden {}", env!("CARGO_PKG_VERSION")),
            control_owner: report_policy.control_owner,
            reviewers: report_policy.reviewers,
            approvers: report_policy.approvers,
        },
        open_by_day: sections.found.open_by_day,
        subscription: sections.subscription,
    };
    let json = serde_json::to_vec(&report).expect("report serialises");
    report.integrity.content_sha256 = crate::evidence::policy::sha256_hex(&json);
    Ok(report)
}

impl Span {
    /// The quarter up to the end of `today` (the whole quarter once it is over).
    fn of(quarter: Quarter, today: Date) -> Span {
        let start = quarter.start();
        let end = quarter.end().expect("validated by Quarter::parse");
        let until = end.min(today.next_day().unwrap_or(end)).max(start);
        Span {
            start,
            until,
            last: until.previous_day().unwrap_or(start).max(start),
        }
    }
}

/// The runs `keep` accepts, in order: borrowed when they are a prefix (the runs up to a day
/// of the time-sorted list, or all but trailing watch runs), copied otherwise (each holds a
/// parsed report, so the copy is avoided where it can be).
fn kept(runs: &[VerifiedRun], keep: impl Fn(&VerifiedRun) -> bool) -> Cow<'_, [VerifiedRun]> {
    let prefix = runs.iter().take_while(|r| keep(r)).count();
    if runs[prefix..].iter().any(&keep) {
        Cow::Owned(runs.iter().filter(|r| keep(r)).cloned().collect())
    } else {
        Cow::Borrowed(&runs[..prefix])
    }
}

/// Every section built from the verified runs, and the deviations they found.
struct Sections {
    coverage: coverage::CoverageOut,
    found: findings::Found,
    exceptions: Vec<ExceptionRecord>,
    releases: Vec<ReleaseCheck>,
    commits: Commits,
    inventory: Vec<InventoryChange>,
    subscription: Subscription,
    /// Sorted by date, kind, subject and run.
    deviations: Vec<Deviation>,
    deviation_counts: BTreeMap<String, usize>,
}

impl Sections {
    fn build(
        store: &Store,
        check: &ChainCheck,
        runs: &[VerifiedRun],
        span: &Span,
    ) -> Result<Sections> {
        let mut deviations = Vec::new();
        // A watch re-audits a recorded inventory, not the lockfile as it is: it is no scan of
        // the lockfile for coverage (it does count for detection, in findings and subscription).
        let scans = kept(runs, |r| r.kind != RunKind::Watch);
        let coverage = coverage::build(&scans, span, &mut deviations);
        let found = findings::build(runs, span, &mut deviations);
        let exceptions = exceptions::build(runs, span, &found.records, &mut deviations);
        let (releases, commits) = releases::build(runs, span, &mut deviations);
        let subscription =
            subscription::build(store, check, runs, &found.records, span, &mut deviations)?;
        deviations.extend(check.breaks.iter().map(|b| {
            Deviation::new(
                DeviationKind::BrokenEvidence,
                day_of(&b.time)
                    .map(format_date)
                    .unwrap_or_else(|| b.time.clone()),
                Some(b.run_id.clone()),
                format!("run #{}", b.seq.map_or("-".into(), |s| s.to_string())),
                b.problem.clone(),
            )
        }));
        // Kinds sort by their names, as the schema's strings did.
        fn order(d: &Deviation) -> (&str, &str, &str, &Option<String>) {
            (&d.date, d.kind.as_str(), &d.subject, &d.run_id)
        }
        deviations.sort_by(|a, b| order(a).cmp(&order(b)));
        let mut deviation_counts = BTreeMap::new();
        for d in &deviations {
            *deviation_counts
                .entry(d.kind.as_str().to_string())
                .or_insert(0) += 1;
        }
        Ok(Sections {
            coverage,
            found,
            exceptions,
            releases,
            commits,
            inventory: releases::inventory(runs, span),
            subscription,
            deviations,
            deviation_counts,
        })
    }
}

fn period(quarter: Quarter, span: &Span) -> Period {
    let end = quarter.end().expect("validated by Quarter::parse");
    Period {
        quarter: quarter.label(),
        start: format_date(span.start),
        end: format_date(end.previous_day().unwrap_or(end)),
        as_of: format_date(span.last),
        timezone: "UTC".into(),
    }
}

/// The chain's state; `content_sha256` is set last, over the finished report.
fn integrity(check: &ChainCheck, allow_broken: bool) -> Integrity {
    let head = check.head.clone();
    Integrity {
        chain_intact: check.intact(),
        broken_evidence_allowed: !check.intact() && allow_broken,
        runs_stored: check.stored,
        runs_verified: check.runs.len(),
        chain_head_seq: head.as_ref().map(|h| h.0),
        chain_head_hash: head.map(|h| h.1),
        breaks: check.breaks.clone(),
        unsigned_imports: check
            .runs
            .iter()
            .filter(|r| r.origin == Origin::Unsigned)
            .count(),
        signed_imports: check
            .runs
            .iter()
            .filter(|r| matches!(r.origin, Origin::Signed(_)))
            .count(),
        content_sha256: String::new(),
    }
}

fn summary(runs: &[VerifiedRun], span: &Span, s: &Sections) -> Summary {
    let in_period: Vec<&VerifiedRun> = runs
        .iter()
        .filter(|r| day_of(&r.time).is_some_and(|d| d >= span.start))
        .collect();
    let audits: Vec<&&VerifiedRun> = in_period
        .iter()
        .filter(|r| r.kind == RunKind::Audit)
        .collect();
    let scheduled = audits.iter().filter(|r| is_scheduled(&r.trigger)).count();
    let (coverage, records) = (&s.coverage.coverage, &s.found.records);
    let vulnerabilities = records
        .iter()
        .filter(|f| f.category == FindingCategory::Vulnerability)
        .count();
    let closed = records.iter().filter(|f| f.resolved.is_some()).count();
    Summary {
        lockfiles: coverage.len(),
        audit_runs: audits.len(),
        scheduled_runs: scheduled,
        triggered_runs: audits.len() - scheduled,
        verify_runs: in_period.iter().filter(|r| r.verify().is_some()).count(),
        expected_scans: coverage.iter().map(|c| c.expected).sum(),
        expected_scans_met: coverage.iter().map(|c| c.met).sum(),
        missed_scans: coverage.iter().map(|c| c.missed_days.len()).sum(),
        findings_total: records.len(),
        vulnerabilities,
        informational: records.len() - vulnerabilities,
        open_at_start: s.found.open_at_start,
        open_at_end: records.len() - closed,
        new_in_period: records
            .iter()
            .filter(|f| day_of_date(&f.first_seen) >= Some(span.start))
            .count(),
        closed_in_period: closed,
        sla_breaches: s
            .deviation_counts
            .get(DeviationKind::SlaBreach.as_str())
            .copied()
            .unwrap_or(0),
        deviations: s.deviations.len(),
    }
}

fn day_of_date(text: &str) -> Option<Date> {
    crate::clock::parse_date(text).ok()
}

/// Whether a trigger names a scheduled run.
pub fn is_scheduled(trigger: &str) -> bool {
    matches!(trigger, "schedule" | "scheduled" | "cron")
}

fn presentation(opts: &Options<'_>, latest: Option<&PolicyInForce>) -> PresentationPolicy {
    match opts.presentation {
        None => PresentationPolicy {
            sha256: None,
            differs_from_recorded: false,
        },
        Some(given) => {
            let mut rules = given.clone();
            let differs = match latest {
                Some(l) => {
                    // Roles and title are presentation: compare the rules only.
                    rules.report = l.report.clone();
                    rules != *l
                }
                None => false,
            };
            PresentationPolicy {
                sha256: Some(given.digest()),
                differs_from_recorded: differs,
            }
        }
    }
}

/// Each distinct policy used by a run of the period (or in force at its start).
fn policies_in_force(runs: &[VerifiedRun], span: &Span) -> Vec<PolicyRecord> {
    let mut by_digest: BTreeMap<&str, PolicyRecord> = BTreeMap::new();
    let at_start = runs
        .iter()
        .rev()
        .find(|r| day_of(&r.time).is_some_and(|d| d < span.start))
        .map(|r| r.run_id.as_str());
    for r in runs.iter().filter(|r| {
        day_of(&r.time).is_some_and(|d| d >= span.start) || Some(r.run_id.as_str()) == at_start
    }) {
        let e = by_digest
            .entry(r.policy_sha256.as_str())
            .or_insert_with(|| PolicyRecord {
                sha256: r.policy_sha256.clone(),
                first_used: r.time.clone(),
                last_used: r.time.clone(),
                runs: 0,
                policy: r.policy.clone(),
            });
        e.runs += 1;
        e.last_used = r.time.clone();
    }
    let mut list: Vec<PolicyRecord> = by_digest.into_values().collect();
    list.sort_by(|a, b| (&a.first_used, &a.sha256).cmp(&(&b.first_used, &b.sha256)));
    list
}

/// Sorts versions as semver (text order for what does not parse).
pub fn sort_versions(versions: &mut [String]) {
    versions.sort_by(
        |a, b| match (semver::Version::parse(a), semver::Version::parse(b)) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            _ => a.cmp(b),
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters() {
        let q = Quarter::parse("2026-Q4").unwrap();
        assert_eq!(format_date(q.start()), "2026-10-01");
        assert_eq!(format_date(q.end().unwrap()), "2027-01-01");
        let q = Quarter::parse("2026-Q1").unwrap();
        assert_eq!(format_date(q.end().unwrap()), "2026-04-01");
        assert!(Quarter::parse("2026-Q5").is_err());
        assert!(Quarter::parse("Q4-2026").is_err());
        assert!(Quarter::parse("9999-Q4")
            .unwrap_err()
            .contains("9999-12-31"));
        assert!(Quarter::parse("9999-Q3").is_ok());
    }

    fn options(presentation: Option<&PolicyInForce>) -> Options<'_> {
        Options {
            presentation,
            allow_broken: false,
            clock: Clock::from_arg(Some("2026-12-31")).unwrap(),
        }
    }

    #[test]
    fn a_presentation_policy_differs_only_by_its_rules_never_by_its_roles() {
        let recorded = PolicyInForce::from_policy(&crate::policy::Policy::builtin());
        let none = presentation(&options(None), Some(&recorded));
        assert_eq!((none.sha256, none.differs_from_recorded), (None, false));

        // Other roles and title: presentation, so the rules are the recorded ones.
        let mut roles = recorded.clone();
        roles.report.title = Some("Q4 dependency audit".into());
        roles.report.approvers = vec!["ciso@example.org".into()];
        let given = presentation(&options(Some(&roles)), Some(&recorded));
        assert_eq!(given.sha256.as_deref(), Some(roles.digest().as_str()));
        assert!(!given.differs_from_recorded);

        // Other rules: the report says the findings were judged by the recorded ones.
        let mut stricter = recorded.clone();
        stricter.deadlines.critical = 1;
        assert!(presentation(&options(Some(&stricter)), Some(&recorded)).differs_from_recorded);
        // Nothing recorded: nothing to differ from.
        assert!(!presentation(&options(Some(&stricter)), None).differs_from_recorded);
    }

    #[test]
    fn versions_sort_as_semver() {
        let mut v = vec!["0.12.5".to_string(), "0.7.0".into(), "0.12.10".into()];
        sort_versions(&mut v);
        assert_eq!(v, ["0.7.0", "0.12.5", "0.12.10"]);
    }
}
