//! The report as Markdown (reads well on GitHub).

use std::fmt::Write;

use super::model::QuarterReport;

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn or_dash(v: Option<&str>) -> String {
    v.map(cell).unwrap_or_else(|| "—".into())
}

pub fn render(r: &QuarterReport) -> String {
    let mut o = String::new();
    let s = &r.summary;
    let _ = writeln!(
        o,
        "# Dependency audit report — {} — {} / {}\n",
        r.period.quarter, r.tenant_id, r.project_id
    );
    let _ = writeln!(o, "## Scope and period\n");
    let _ = writeln!(
        o,
        "- Tenant: `{}`; project: `{}`",
        r.tenant_id, r.project_id
    );
    let _ = writeln!(
        o,
        "- Period: {} to {} (evidence up to {})\n",
        r.period.start, r.period.end, r.period.as_of
    );
    let _ = writeln!(o, "## Summary\n");
    let _ = writeln!(o, "| Measure | Value |\n|---|---:|");
    let _ = writeln!(o, "| Audit runs | {} |", s.audit_runs);
    let _ = writeln!(o, "| Verification runs | {} |", s.verify_runs);
    let _ = writeln!(
        o,
        "| Days covered by a scan | {} of {} |",
        s.days_covered, s.days_in_period
    );
    let _ = writeln!(
        o,
        "| Gaps over {} day(s) | {} |",
        s.max_gap_days,
        s.gaps.len()
    );
    let _ = writeln!(
        o,
        "| Findings (fixed / open) | {} ({} / {}) |",
        s.findings_total, s.findings_fixed, s.findings_open
    );
    let _ = writeln!(
        o,
        "| Deadlines met / missed | {} / {} |\n",
        s.deadlines_met, s.deadlines_missed
    );
    for g in &s.gaps {
        let _ = writeln!(
            o,
            "- Gap without an audit: {} to {} ({} days)",
            g.from, g.to, g.days
        );
    }
    if !s.gaps.is_empty() {
        o.push('\n');
    }
    let d = &r.database;
    let _ = writeln!(o, "## Advisory database freshness\n");
    let _ = writeln!(
        o,
        "Latest database commit `{}`; oldest database used: {} days; audits with a database older than {} days: {}.\n",
        d.latest_commit.as_deref().unwrap_or("unknown"),
        d.max_age_days.map(|a| a.to_string()).unwrap_or_else(|| "unknown".into()),
        d.stale_warning_days,
        d.runs_with_stale_database
    );
    let inv = &r.inventory;
    let _ = writeln!(o, "## Dependency inventory\n");
    let _ = writeln!(
        o,
        "{} packages at the end of the period.",
        inv.package_count
    );
    if !inv.has_baseline {
        let _ = writeln!(o, "No audit before the period: nothing to compare with.");
    }
    o.push('\n');
    if !inv.added.is_empty() {
        let _ = writeln!(o, "**New dependencies (review required):**\n");
        for p in &inv.added {
            let _ = writeln!(o, "- `{}` {}", p.name, p.versions.join(", "));
        }
        o.push('\n');
    }
    if !inv.removed.is_empty() {
        let _ = writeln!(
            o,
            "**Removed:** {}\n",
            inv.removed
                .iter()
                .map(|p| format!("`{}`", p.name))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !inv.updated.is_empty() {
        let _ = writeln!(o, "**Updated:**\n");
        for u in &inv.updated {
            let _ = writeln!(
                o,
                "- `{}` {} → {}",
                u.name,
                u.from.join(", "),
                u.to.join(", ")
            );
        }
        o.push('\n');
    }
    let _ = writeln!(o, "## Findings\n");
    if r.findings.is_empty() {
        let _ = writeln!(o, "No findings in the period.\n");
    } else {
        let _ = writeln!(o, "| Advisory | Kind | Package | Severity | First seen | Resolved | Days | Deadline (days) | Due | Status |");
        let _ = writeln!(o, "|---|---|---|---|---|---|---:|---:|---|---|");
        for f in &r.findings {
            let _ = writeln!(
                o,
                "| {} | {} | `{} {}` | {} | {} | {} | {} | {} | {} | {} |",
                cell(&f.advisory_id),
                f.kind,
                f.package,
                f.versions.join(", "),
                or_dash(f.severity.as_deref()),
                f.first_seen,
                or_dash(f.resolved_at.as_deref()),
                f.days_open,
                f.deadline_days,
                f.due,
                if f.deadline == "missed" {
                    "**missed**".to_string()
                } else {
                    f.deadline.clone()
                }
            );
        }
        o.push('\n');
    }
    let _ = writeln!(o, "## Findings still open\n");
    if r.open_findings.is_empty() {
        let _ = writeln!(o, "None.\n");
    } else {
        for f in &r.open_findings {
            let _ = writeln!(
                o,
                "- {} in `{}` since {} (due {}, {})",
                f.advisory_id, f.package, f.first_seen, f.due, f.deadline
            );
        }
        o.push('\n');
    }
    let _ = writeln!(o, "## Accepted risks\n");
    if r.accepted_risks.is_empty() {
        let _ = writeln!(o, "None.\n");
    } else {
        let _ = writeln!(
            o,
            "| Advisory | Package | Reason | Approved by | Expires | |\n|---|---|---|---|---|---|"
        );
        for a in &r.accepted_risks {
            let _ = writeln!(
                o,
                "| {} | `{}` | {} | {} | {} | {} |",
                a.advisory_id,
                a.package,
                cell(&a.reason),
                cell(&a.approved_by),
                a.expires,
                if a.expired { "**expired**" } else { "" }
            );
        }
        o.push('\n');
    }
    let _ = writeln!(o, "## Release verifications\n");
    if r.releases.is_empty() {
        let _ = writeln!(o, "None recorded.\n");
    } else {
        let _ = writeln!(o, "| Time | Check | Artifact | Digest | Verdict | Signer | Provenance | Reproducible |\n|---|---|---|---|---|---|---|---|");
        for v in &r.releases {
            let yn = |b: Option<bool>| {
                b.map(|b| if b { "yes" } else { "no" }.to_string())
                    .unwrap_or_else(|| "—".into())
            };
            let _ = writeln!(
                o,
                "| {} | {} | `{}` | `{}` | {} | {} | {} | {} |",
                v.time,
                v.command,
                cell(&v.artifact),
                v.digest.as_deref().unwrap_or("—"),
                if v.verdict == "verified" {
                    v.verdict.clone()
                } else {
                    format!("**{}** ({})", v.verdict, v.failed_checks.join(", "))
                },
                or_dash(v.signer.as_deref()),
                yn(v.provenance),
                yn(v.reproducible)
            );
        }
        o.push('\n');
    }
    let _ = writeln!(o, "## Sign-off\n");
    let _ = writeln!(o, "| Role | Name | Signature | Date |\n|---|---|---|---|");
    let _ = writeln!(
        o,
        "| Prepared by | | | |\n| Reviewed by (security) | | | |\n| Approved by | | | |"
    );
    o
}
