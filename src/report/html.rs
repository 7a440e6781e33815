//! The report as one self-contained, printable HTML file: inline CSS, inline SVG charts, no
//! external assets or scripts.

use std::fmt::Write;

use super::model::{FindingRecord, QuarterReport};

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1000px;margin:2em auto;color:#1d2330;padding:0 1em}
h1{font-size:1.6em;border-bottom:2px solid #1d2330;padding-bottom:.3em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ccd}
table{border-collapse:collapse;width:100%;font-size:.88em;margin:.6em 0}th,td{border:1px solid #ccd;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#eef1f6}td.num{text-align:right}.missed,.failed,.expired{color:#b00020;font-weight:600}.met,.verified{color:#137333}
.pending,.accepted{color:#8a5a00}.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #ccd;border-radius:6px;padding:.6em 1em;min-width:9em}
.card b{display:block;font-size:1.5em}svg{max-width:100%;height:auto}code{font-size:.95em}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}table,svg{break-inside:avoid}}";

pub fn render(r: &QuarterReport) -> String {
    let mut o = String::new();
    let s = &r.summary;
    let title = format!(
        "Dependency audit report — {} — {} / {}",
        r.period.quarter, r.tenant_id, r.project_id
    );
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n",
        esc(&title),
        esc(&title)
    );
    let _ = writeln!(
        o,
        "<p>Tenant <code>{}</code>, project <code>{}</code>. Period {} to {}, evidence up to {}.</p>",
        esc(&r.tenant_id),
        esc(&r.project_id),
        r.period.start,
        r.period.end,
        r.period.as_of
    );
    let _ = writeln!(o, "<h2>Summary</h2><div class=\"cards\">");
    for (label, value) in [
        ("audit runs", s.audit_runs.to_string()),
        (
            "days covered",
            format!("{} / {}", s.days_covered, s.days_in_period),
        ),
        ("gaps", s.gaps.len().to_string()),
        ("findings", s.findings_total.to_string()),
        ("still open", s.findings_open.to_string()),
        ("deadlines missed", s.deadlines_missed.to_string()),
        (
            "releases verified",
            r.releases
                .iter()
                .filter(|v| v.verdict == "verified")
                .count()
                .to_string(),
        ),
    ] {
        let _ = writeln!(o, "<div class=\"card\"><b>{value}</b>{label}</div>");
    }
    let _ = writeln!(o, "</div>");
    if !s.gaps.is_empty() {
        let _ = writeln!(
            o,
            "<p>Stretches without an audit longer than {} day(s):</p><ul>",
            s.max_gap_days
        );
        for g in &s.gaps {
            let _ = writeln!(o, "<li>{} to {} ({} days)</li>", g.from, g.to, g.days);
        }
        let _ = writeln!(o, "</ul>");
    }
    let _ = writeln!(
        o,
        "<h2>Open findings over the quarter</h2>\n{}",
        open_chart(r)
    );
    let d = &r.database;
    let _ = writeln!(
        o,
        "<h2>Advisory database freshness</h2><p>Latest commit <code>{}</code>; oldest database used {} days; audits with a database older than {} days: {}.</p>",
        esc(d.latest_commit.as_deref().unwrap_or("unknown")),
        d.max_age_days.map(|a| a.to_string()).unwrap_or_else(|| "unknown".into()),
        d.stale_warning_days,
        d.runs_with_stale_database
    );
    let inv = &r.inventory;
    let _ = writeln!(
        o,
        "<h2>Dependency inventory</h2><p>{} packages at the end of the period.{}</p>",
        inv.package_count,
        if inv.has_baseline {
            ""
        } else {
            " No audit before the period to compare with."
        }
    );
    if !inv.added.is_empty() {
        let _ = writeln!(
            o,
            "<p><b>New dependencies (review required):</b> {}</p>",
            inv.added
                .iter()
                .map(|p| format!(
                    "<code>{} {}</code>",
                    esc(&p.name),
                    esc(&p.versions.join(", "))
                ))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !inv.removed.is_empty() {
        let _ = writeln!(
            o,
            "<p><b>Removed:</b> {}</p>",
            inv.removed
                .iter()
                .map(|p| format!("<code>{}</code>", esc(&p.name)))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !inv.updated.is_empty() {
        let _ = writeln!(
            o,
            "<p><b>Updated:</b> {}</p>",
            inv.updated
                .iter()
                .map(|u| format!(
                    "<code>{}</code> {} → {}",
                    esc(&u.name),
                    esc(&u.from.join(", ")),
                    esc(&u.to.join(", "))
                ))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    let _ = writeln!(o, "<h2>Findings</h2>");
    findings_table(&mut o, &r.findings);
    if !r.findings.is_empty() {
        let _ = writeln!(
            o,
            "<h2>Time to fix against the deadline</h2>\n{}",
            fix_chart(&r.findings)
        );
    }
    let _ = writeln!(o, "<h2>Findings still open</h2>");
    findings_table(&mut o, &r.open_findings);
    let _ = writeln!(o, "<h2>Accepted risks</h2>");
    if r.accepted_risks.is_empty() {
        let _ = writeln!(o, "<p>None.</p>");
    } else {
        let _ = writeln!(o, "<table><tr><th>Advisory</th><th>Package</th><th>Reason</th><th>Approved by</th><th>Expires</th></tr>");
        for a in &r.accepted_risks {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"{}\">{}{}</td></tr>",
                esc(&a.advisory_id),
                esc(&a.package),
                esc(&a.reason),
                esc(&a.approved_by),
                if a.expired { "expired" } else { "" },
                a.expires,
                if a.expired { " (expired)" } else { "" }
            );
        }
        let _ = writeln!(o, "</table>");
    }
    let _ = writeln!(o, "<h2>Release verifications</h2>");
    if r.releases.is_empty() {
        let _ = writeln!(o, "<p>None recorded.</p>");
    } else {
        let _ = writeln!(o, "<table><tr><th>Time</th><th>Check</th><th>Artifact</th><th>Digest</th><th>Verdict</th><th>Signer</th><th>Provenance</th><th>Reproducible</th></tr>");
        let yn = |b: Option<bool>| b.map(|b| if b { "yes" } else { "no" }).unwrap_or("—");
        for v in &r.releases {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td class=\"{}\">{}{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                v.time,
                esc(&v.command),
                esc(&v.artifact),
                esc(v.digest.as_deref().unwrap_or("—")),
                esc(&v.verdict),
                esc(&v.verdict),
                if v.failed_checks.is_empty() { String::new() } else { format!(" ({})", esc(&v.failed_checks.join(", "))) },
                esc(v.signer.as_deref().unwrap_or("—")),
                yn(v.provenance),
                yn(v.reproducible)
            );
        }
        let _ = writeln!(o, "</table>");
    }
    let _ = writeln!(o, "<h2>Sign-off</h2><table><tr><th>Role</th><th style=\"width:30%\">Name</th><th style=\"width:25%\">Signature</th><th>Date</th></tr>");
    for role in ["Prepared by", "Reviewed by (security)", "Approved by"] {
        let _ = writeln!(
            o,
            "<tr><td>{role}</td><td>&nbsp;</td><td>&nbsp;</td><td>&nbsp;</td></tr>"
        );
    }
    let _ = writeln!(o, "</table>\n</body></html>");
    o
}

fn findings_table(o: &mut String, findings: &[FindingRecord]) {
    if findings.is_empty() {
        let _ = writeln!(o, "<p>None.</p>");
        return;
    }
    let _ = writeln!(o, "<table><tr><th>Advisory</th><th>Kind</th><th>Package</th><th>Severity</th><th>First seen</th><th>Resolved</th><th>Days</th><th>Deadline</th><th>Due</th><th>Status</th></tr>");
    for f in findings {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td><code>{} {}</code></td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
            esc(&f.advisory_id),
            esc(&f.kind),
            esc(&f.package),
            esc(&f.versions.join(", ")),
            esc(f.severity.as_deref().unwrap_or("—")),
            f.first_seen,
            f.resolved_at.as_deref().unwrap_or("—"),
            f.days_open,
            f.deadline_days,
            f.due,
            f.deadline,
            f.deadline
        );
    }
    let _ = writeln!(o, "</table>");
}

/// A step chart of open findings per day.
fn open_chart(r: &QuarterReport) -> String {
    let (w, h, left, bottom, top) = (900.0, 220.0, 40.0, 30.0, 10.0);
    let days = r.open_by_day.len().max(1);
    let max = r
        .open_by_day
        .iter()
        .map(|d| d.open)
        .max()
        .unwrap_or(0)
        .max(1);
    let x = |i: usize| left + (w - left - 10.0) * i as f64 / days as f64;
    let y = |v: usize| top + (h - top - bottom) * (1.0 - v as f64 / max as f64);
    let mut path = String::new();
    for (i, d) in r.open_by_day.iter().enumerate() {
        let _ = write!(
            path,
            "{}{:.1},{:.1} L{:.1},{:.1} ",
            if i == 0 { "M" } else { "L" },
            x(i),
            y(d.open),
            x(i + 1),
            y(d.open)
        );
    }
    let mut svg = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"Open findings per day\">");
    let _ = write!(
        svg,
        "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#889\"/>",
        h - bottom,
        w - 10.0,
        h - bottom
    );
    let _ = write!(
        svg,
        "<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{}\" stroke=\"#889\"/>",
        h - bottom
    );
    for v in [0, max / 2, max] {
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{v}</text>",
            left - 4.0,
            y(v) + 4.0
        );
    }
    for (i, d) in r.open_by_day.iter().enumerate() {
        if d.day.ends_with("-01") || i == 0 {
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{}\" font-size=\"11\">{}</text>",
                x(i),
                h - 10.0,
                &d.day[5..]
            );
        }
    }
    let _ = write!(
        svg,
        "<path d=\"{}\" fill=\"none\" stroke=\"#b00020\" stroke-width=\"2\"/></svg>",
        path.trim_end()
    );
    svg
}

/// One bar per finding: days open (red when past its deadline), with a tick at the deadline.
fn fix_chart(findings: &[FindingRecord]) -> String {
    let row = 22.0;
    let (w, label, right) = (900.0, 260.0, 20.0);
    let h = row * findings.len() as f64 + 30.0;
    let max = findings
        .iter()
        .map(|f| f.days_open.max(f.deadline_days as i64))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let scale = |d: f64| label + (w - label - right) * d / max;
    let mut svg = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"Time to fix per finding\">");
    for (i, f) in findings.iter().enumerate() {
        let y = 10.0 + row * i as f64;
        let colour = match f.deadline.as_str() {
            "missed" => "#b00020",
            "met" => "#137333",
            _ => "#8a5a00",
        };
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{} {}</text>",
            label - 6.0,
            y + 13.0,
            esc(&f.advisory_id),
            esc(&f.package)
        );
        let _ = write!(
            svg,
            "<rect x=\"{label}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{colour}\"><title>{} days (deadline {})</title></rect>",
            (scale(f.days_open as f64) - label).max(1.0),
            row - 6.0,
            f.days_open,
            f.deadline_days
        );
        let dx = scale(f.deadline_days as f64);
        let _ = write!(svg, "<line x1=\"{dx:.1}\" y1=\"{:.1}\" x2=\"{dx:.1}\" y2=\"{:.1}\" stroke=\"#1d2330\" stroke-width=\"2\"/>", y - 2.0, y + row - 4.0);
    }
    let _ = write!(svg, "<text x=\"{label}\" y=\"{:.1}\" font-size=\"11\">bars: days open; ticks: deadline</text></svg>", h - 6.0);
    svg
}
