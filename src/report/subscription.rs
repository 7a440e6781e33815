//! The report's "Subscription" section: per vulnerability, when its advisory was published,
//! when and by what run (audit or watch) it was first detected, when and where it was first
//! notified, and the detection latency; breaches of the policy's `[subscription]` become
//! deviations. Built from verified runs and verified deliveries only.

use std::fmt::Write;

use super::compute::{day_of, Span};
use super::markdown::{cell, opt, short, table};
use super::model::{
    Deviation, DeviationKind, FindingCategory, FindingRecord, QuarterReport, Subscription,
    SubscriptionRow,
};
use crate::error::Result;
use crate::evidence::subscription::{verify_deliveries, StoredDelivery};
use crate::evidence::{ChainCheck, PolicyInForce, RunKind, Store, VerifiedRun};
use crate::policy::subscription::SinkKind;

/// Whether delivery `d` told of `advisory` in `package` (finding id
/// `SCOPE:KIND:ADVISORY:PACKAGE@VERSION`).
fn tells_of(d: &StoredDelivery, advisory: &str, package: &str) -> bool {
    let id = &d.delivery.finding_id;
    let crate_part = id.rsplit(':').next().unwrap_or("");
    let pkg = crate_part.rsplit_once('@').map_or(crate_part, |(p, _)| p);
    d.delivery.outcome.told_of_finding()
        && d.delivery.advisory_id.as_deref() == Some(advisory)
        && pkg == package
}

/// The section, and its deviations (`late-detection`, `not-notified`).
pub(super) fn build(
    store: &Store,
    check: &ChainCheck,
    runs: &[VerifiedRun],
    records: &[FindingRecord],
    span: &Span,
    dev: &mut Vec<Deviation>,
) -> Result<Subscription> {
    let deliveries = verify_deliveries(store, check)?;
    let end_policy = super::compute::policy_on(runs, span.last);
    let required = end_policy.and_then(|p| p.subscription.clone());
    let mut rows = Vec::new();
    for f in records
        .iter()
        .filter(|f| f.category == FindingCategory::Vulnerability)
    {
        let Some(first) = runs.iter().find(|r| r.run_id == f.first_run) else {
            continue;
        };
        let published = first
            .audit()
            .and_then(|a| {
                a.findings
                    .iter()
                    .find(|x| x.advisory_id == f.advisory_id && x.package == f.package)
            })
            .and_then(|x| x.date.clone());
        let detection_days = match (published.as_deref().and_then(date), day_of(&first.time)) {
            (Some(p), Some(d)) => Some((d - p).whole_days()),
            _ => None,
        };
        let mut notified: Vec<&StoredDelivery> = deliveries
            .deliveries
            .iter()
            .filter(|d| tells_of(d, &f.advisory_id, &f.package))
            .collect();
        notified.sort_by(|a, b| (&a.delivery.time, a.seq).cmp(&(&b.delivery.time, b.seq)));
        // The first delivery to each kind of sink (by its label's prefix: an imported delivery
        // may name a kind this version does not have, which no policy can require).
        let mut prefixes: Vec<&str> = Vec::new();
        let mut first_notified = Vec::new();
        for d in notified {
            let prefix = d.delivery.sink.split(':').next().unwrap_or("");
            if !prefixes.contains(&prefix) {
                prefixes.push(prefix);
                first_notified.push(super::model::FirstNotified {
                    sink: d.delivery.sink.clone(),
                    time: d.delivery.time.clone(),
                    run_id: d.run_id.clone(),
                    external_id: d.delivery.external_id.clone(),
                });
            }
        }
        let row = SubscriptionRow {
            finding: f.id.clone(),
            advisory_id: f.advisory_id.clone(),
            package: f.package.clone(),
            published,
            first_detected: first.time.clone(),
            first_run: first.run_id.clone(),
            detected_by: first.kind,
            detection_days,
            first_notified,
        };
        let told: Vec<SinkKind> = row
            .first_notified
            .iter()
            .filter_map(|n| SinkKind::of_label(&n.sink))
            .collect();
        breaches(&row, &first.policy, &told, span, dev);
        rows.push(row);
    }
    Ok(Subscription {
        max_detection_days: required.as_ref().and_then(|s| s.max_detection_days),
        notify: required
            .map(|s| s.notify.iter().map(|k| k.as_str().to_string()).collect())
            .unwrap_or_default(),
        watch_runs: runs.iter().filter(|r| r.kind == RunKind::Watch).count(),
        deliveries_verified: deliveries.deliveries.len(),
        delivery_breaks: deliveries.breaks,
        rows,
    })
}

fn date(text: &str) -> Option<time::Date> {
    crate::clock::parse_date(text).ok()
}

/// Deviations of one vulnerability against the policy in force when it was first detected.
fn breaches(
    row: &SubscriptionRow,
    policy: &PolicyInForce,
    told: &[SinkKind],
    span: &Span,
    dev: &mut Vec<Deviation>,
) {
    let Some(rules) = &policy.subscription else {
        return;
    };
    let Some(day) = day_of(&row.first_detected).filter(|d| *d >= span.start) else {
        return;
    };
    let mut add = |kind: DeviationKind, detail: String| {
        dev.push(Deviation::new(
            kind,
            crate::clock::format_date(day),
            Some(row.first_run.clone()),
            format!("{} {} {}", row.finding, row.advisory_id, row.package),
            detail,
        ))
    };
    if let (Some(max), Some(days)) = (rules.max_detection_days, row.detection_days) {
        if days > i64::from(max) {
            add(
                DeviationKind::LateDetection,
                format!(
                    "first detected {days} days after the advisory was published ({}), over the policy's {max} (subscription.max_detection_days)",
                    row.published.as_deref().unwrap_or("-")
                ),
            );
        }
    }
    for kind in rules.notify.iter().filter(|k| !told.contains(k)) {
        add(
            DeviationKind::NotNotified,
            format!("no recorded delivery to a {kind} sink (subscription.notify)"),
        );
    }
}

/// The section as Markdown.
pub(super) fn markdown(o: &mut String, r: &QuarterReport) {
    let s = &r.subscription;
    let _ = writeln!(o, "## Subscription\n");
    let _ = writeln!(
        o,
        "Policy: first detection at most {} after an advisory's publication; every new vulnerability delivered to: {}. {} watch run(s) in the evidence; {} notification deliveries verified.\n",
        s.max_detection_days
            .map_or("(no limit set)".to_string(), |d| format!("{d} day(s)")),
        if s.notify.is_empty() {
            "(no sink required)".to_string()
        } else {
            s.notify.join(", ")
        },
        s.watch_runs,
        s.deliveries_verified
    );
    for b in &s.delivery_breaks {
        let _ = writeln!(o, "- **Delivery evidence does not verify:** {}", cell(b));
    }
    if s.rows.is_empty() {
        let _ = writeln!(o, "No vulnerability in the period.\n");
        return;
    }
    let rows = s.rows.iter().map(|row| {
        vec![
            cell(&row.finding),
            format!("{} {}", cell(&row.advisory_id), cell(&row.package)),
            opt(row.published.as_deref()),
            format!(
                "{} ({} `{}`)",
                cell(&row.first_detected),
                row.detected_by,
                short(&row.first_run)
            ),
            row.detection_days
                .map_or("-".into(), |d| format!("{d} day(s)")),
            if row.first_notified.is_empty() {
                "not notified".into()
            } else {
                row.first_notified
                    .iter()
                    .map(|n| {
                        format!(
                            "{} {}{}",
                            cell(&n.sink),
                            cell(&n.time),
                            n.external_id
                                .as_deref()
                                .map(|x| format!(" ({})", cell(x)))
                                .unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            },
        ]
    });
    table(
        o,
        &[
            "Finding",
            "Advisory",
            "Published",
            "First detected (run)",
            "Detection latency",
            "First notified",
        ],
        rows,
    );
}
