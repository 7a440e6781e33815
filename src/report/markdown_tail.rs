//! The report as Markdown, second half: exceptions, deviations, releases and commits,
//! dependency changes, scan log, integrity, sign-off, and the organisation view.

use std::fmt::Write;

use super::markdown::{cell, opt, render, short, table};
use super::model::*;
use crate::evidence::Origin;
use crate::verify::model::Verdict;

pub(super) fn exceptions(o: &mut String, r: &QuarterReport) {
    let _ = writeln!(o, "## Exceptions (accepted risks)\n");
    if r.exceptions.is_empty() {
        let _ = writeln!(o, "None in force during the period.\n");
        return;
    }
    table(
        o,
        &[
            "Advisory",
            "Findings",
            "In force from",
            "Requested by",
            "Approved by",
            "Approved on",
            "Expires",
            "Compensating control",
            "Reason",
        ],
        r.exceptions.iter().flat_map(|e| {
            e.history.iter().map(move |v| {
                vec![
                    cell(&e.advisory_id),
                    e.findings.join(", "),
                    v.in_force_from.clone(),
                    opt(v.requested_by.as_deref()),
                    cell(&v.approved_by),
                    opt(v.approved_on.as_deref()),
                    cell(&v.expires),
                    opt(v.compensating_control.as_deref()),
                    cell(&v.reason),
                ]
            })
        }),
    );
    for e in &r.exceptions {
        let _ = writeln!(
            o,
            "- {}: **{}**{}, {} renewal(s); VEX `{}` ({}){}",
            cell(&e.advisory_id),
            e.status,
            e.expired_on
                .as_deref()
                .map(|d| format!(" on {d}"))
                .unwrap_or_default(),
            e.renewals,
            e.vex.status,
            cell(e.vex.action_statement.as_deref().unwrap_or_default()),
            if e.approval_problems.is_empty() {
                String::new()
            } else {
                format!(
                    "; approval problems: {}",
                    cell(&e.approval_problems.join("; "))
                )
            }
        );
    }
    o.push('\n');
}

pub(super) fn deviations(o: &mut String, r: &QuarterReport) {
    let _ = writeln!(o, "## Deviations\n");
    let counts: Vec<String> = r
        .deviation_counts
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    let _ = writeln!(
        o,
        "{} deviation(s){}.\n",
        r.deviations.len(),
        if counts.is_empty() {
            String::new()
        } else {
            format!(": {}", counts.join(", "))
        }
    );
    if !r.deviations.is_empty() {
        table(
            o,
            &["Date", "Kind", "Category", "Subject", "Run", "Detail"],
            r.deviations.iter().map(|d| {
                vec![
                    d.date.clone(),
                    d.kind.to_string(),
                    d.category.to_string(),
                    cell(&d.subject),
                    d.run_id.as_deref().map_or("-".into(), |r| format!("`{r}`")),
                    cell(&d.detail),
                ]
            }),
        );
    }
}

pub(super) fn releases(o: &mut String, r: &QuarterReport) {
    let _ = writeln!(o, "## Releases and commits\n");
    let runs: std::collections::BTreeSet<&str> =
        r.releases.iter().map(|v| v.run_id.as_str()).collect();
    let verified = r
        .releases
        .iter()
        .filter(|v| v.verdict == Verdict::Verified)
        .count();
    let _ = writeln!(
        o,
        "{} release verification run(s) checked {} artifact(s): {} verified, {} not verified.\n",
        runs.len(),
        r.releases.len(),
        verified,
        r.releases.len() - verified
    );
    if !r.releases.is_empty() {
        let yn = |b: Option<bool>| b.map_or("-", |b| if b { "yes" } else { "no" }).to_string();
        table(
            o,
            &[
                "Time",
                "Run",
                "Check",
                "Artifact",
                "Digest",
                "Verdict",
                "Failed checks",
                "Signer",
                "Provenance",
                "Reproducible",
            ],
            r.releases.iter().map(|v| {
                vec![
                    v.time.clone(),
                    format!("`{}`", v.run_id),
                    cell(&v.command),
                    format!("`{}`", cell(&v.artifact)),
                    v.digest
                        .as_deref()
                        .map_or("-".into(), |d| format!("`{}`", cell(d))),
                    if v.verdict == Verdict::Verified {
                        v.verdict.to_string()
                    } else {
                        format!("**{}**", v.verdict)
                    },
                    if v.failed_checks.is_empty() {
                        "-".into()
                    } else {
                        cell(&v.failed_checks.join(", "))
                    },
                    opt(v.signer.as_deref()),
                    yn(v.provenance),
                    yn(v.reproducible),
                ]
            }),
        );
    }
    let c = &r.commits;
    let _ = writeln!(
        o,
        "Signed commits: {} of {} checked by {} run(s) signed by a trusted key.\n",
        c.signed, c.checked, c.runs
    );
    for u in &c.unsigned {
        let _ = writeln!(
            o,
            "- Not signed by a trusted key: `{}` ({}; run `{}`, {})",
            cell(&u.commit),
            u.verdict,
            u.run_id,
            cell(&u.failed_checks.join(", "))
        );
    }
    if !c.unsigned.is_empty() {
        o.push('\n');
    }
}

pub(super) fn inventory(o: &mut String, r: &QuarterReport) {
    let _ = writeln!(o, "## Dependency changes\n");
    for inv in &r.inventory {
        let _ = writeln!(
            o,
            "`{}`: {} packages at the end of the period{}.\n",
            cell(&inv.lockfile),
            inv.package_count,
            if inv.has_baseline {
                ""
            } else {
                "; no scan before the period to compare with"
            }
        );
        for p in &inv.added {
            let _ = writeln!(
                o,
                "- Added (review required): `{}` {}",
                cell(&p.name),
                cell(&p.versions.join(", "))
            );
        }
        for p in &inv.removed {
            let _ = writeln!(
                o,
                "- Removed: `{}` {}",
                cell(&p.name),
                cell(&p.versions.join(", "))
            );
        }
        for u in &inv.updated {
            let _ = writeln!(
                o,
                "- Updated: `{}` {} → {}",
                cell(&u.name),
                cell(&u.from.join(", ")),
                cell(&u.to.join(", "))
            );
        }
        o.push('\n');
    }
}

pub(super) fn scans(o: &mut String, r: &QuarterReport) {
    let _ = writeln!(o, "## Scan log\n");
    table(
        o,
        &[
            "Run",
            "#",
            "Time (UTC)",
            "Lockfile",
            "Lockfile sha256",
            "Commit",
            "Trigger",
            "Tool",
            "Database",
            "DB age (days)",
            "Policy",
            "Verdict",
            "Findings",
        ],
        r.scans.iter().map(|s| {
            vec![
                format!("`{}`", s.run_id),
                s.seq.to_string(),
                s.time.clone(),
                format!("`{}`", cell(&s.lockfile)),
                format!(
                    "`{}`{}",
                    short(&s.lockfile_sha256),
                    if s.lockfile_changed { " (changed)" } else { "" }
                ),
                s.commit
                    .as_deref()
                    .map_or("-".into(), |c| format!("`{}`", short(c))),
                format!(
                    "{}{}",
                    cell(&s.trigger),
                    if s.origin == Origin::Recorded {
                        String::new()
                    } else {
                        format!(", {}", cell(&s.origin.to_string()))
                    }
                ),
                cell(&s.tool_version),
                s.database_commit
                    .as_deref()
                    .map_or("-".into(), |c| format!("`{}`", short(c))),
                match s.database_age_days {
                    Some(a) if s.database_stale => format!("**{a}** (stale)"),
                    Some(a) => a.to_string(),
                    None => "-".into(),
                },
                format!("`{}`", short(&s.policy_sha256)),
                s.verdict.to_string(),
                s.findings.to_string(),
            ]
        }),
    );
}

pub(super) fn integrity(o: &mut String, r: &QuarterReport) {
    let i = &r.integrity;
    let _ = writeln!(o, "## Evidence integrity\n");
    let _ = writeln!(
        o,
        "- Hash chain: {} ({} of {} stored run(s) verified); head #{} `{}`",
        if i.chain_intact {
            "intact"
        } else {
            "**BROKEN**"
        },
        i.runs_verified,
        i.runs_stored,
        i.chain_head_seq.map_or("-".into(), |s| s.to_string()),
        i.chain_head_hash.as_deref().unwrap_or("-")
    );
    for b in &i.breaks {
        let _ = writeln!(
            o,
            "- Broken: run `{}` ({}): {}",
            b.run_id,
            b.time,
            cell(&b.problem)
        );
    }
    let _ = writeln!(
        o,
        "- Imported runs: {} signed, {} unsigned\n- Figures computed from the verified run payloads only; report content sha256 `{}`\n",
        i.signed_imports, i.unsigned_imports, i.content_sha256
    );
}

pub(super) fn signoff(o: &mut String, r: &QuarterReport) {
    let s = &r.signoff;
    let _ = writeln!(o, "## Sign-off\n");
    let mut rows = vec![vec![
        "Prepared by".to_string(),
        cell(&s.prepared_by),
        "-".into(),
        r.generated.time.clone(),
    ]];
    rows.push(vec![
        "Control owner".into(),
        opt(s.control_owner.as_deref()),
        String::new(),
        String::new(),
    ]);
    for who in &s.reviewers {
        rows.push(vec![
            "Reviewed by".into(),
            cell(who),
            String::new(),
            String::new(),
        ]);
    }
    if s.reviewers.is_empty() {
        rows.push(vec![
            "Reviewed by".into(),
            String::new(),
            String::new(),
            String::new(),
        ]);
    }
    for who in &s.approvers {
        rows.push(vec![
            "Approved by".into(),
            cell(who),
            String::new(),
            String::new(),
        ]);
    }
    if s.approvers.is_empty() {
        rows.push(vec![
            "Approved by".into(),
            String::new(),
            String::new(),
            String::new(),
        ]);
    }
    table(o, &["Role", "Name", "Signature", "Date"], rows);
}

pub(super) fn render_org(r: &OrgReport) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Organisation report {} tenant {}\n\nPeriod {} to {} (UTC). Generated by {} {} at {}.\n",
        r.period.quarter,
        r.tenant_id,
        r.period.start,
        r.period.end,
        r.generated.tool,
        r.generated.tool_version,
        r.generated.time
    );
    table(
        &mut o,
        &[
            "Project",
            "Expected scans met",
            "Findings",
            "Open overdue",
            "Deviations",
            "Evidence chain",
        ],
        r.projects
            .iter()
            .chain(std::iter::once(&r.totals))
            .map(|p| {
                vec![
                    cell(&p.project_id),
                    format!("{} of {}", p.expected_scans_met, p.expected_scans),
                    p.findings.to_string(),
                    p.open_overdue.to_string(),
                    p.deviations.to_string(),
                    if p.chain_intact {
                        "intact".into()
                    } else {
                        "**broken**".into()
                    },
                ]
            }),
    );
    for report in &r.reports {
        o.push_str(
            &render(report)
                .replace("\n# ", "\n## ")
                .replacen("# ", "## ", 1),
        );
    }
    o
}
