//! The human rendering of a [`WatchReport`]: per scope its new and fixed findings, then the
//! scopes not evaluated and the notifications sent.

use crate::watch::WatchReport;

pub(super) fn render(r: &WatchReport) -> String {
    let mut out = format!(
        "watch at {}: advisory database {} ({} advisories), {} scope(s)\n",
        r.time,
        r.database.commit.as_deref().unwrap_or("(no commit)"),
        r.database.advisory_count,
        r.scopes.len() + r.errors.len()
    );
    for s in &r.scopes {
        out.push_str(&format!(
            "\n{}/{} ({}, inventory of run {} at {}): {} finding(s), {} new{}\n",
            s.tenant_id,
            s.project_id,
            s.lockfile_path.as_deref().unwrap_or("-"),
            short(&s.inventory_run),
            s.inventory_time,
            s.findings,
            s.new.len(),
            if s.fails {
                ": FAILS the scope's policy"
            } else {
                ""
            }
        ));
        for f in &s.new {
            out.push_str(&format!(
                "  new    {} {} {} ({}, {}{}){}: {}\n",
                f.advisory_id,
                f.package,
                f.version,
                f.kind,
                f.severity.map_or("unscored", |s| s.as_str()),
                f.published
                    .as_deref()
                    .map(|d| format!(", published {d}"))
                    .unwrap_or_default(),
                if f.fails_policy { " FAILS" } else { "" },
                f.title
            ));
        }
        for f in &s.fixed {
            out.push_str(&format!(
                "  fixed  {} {} {} ({})\n",
                f.advisory_id,
                f.package,
                f.version,
                f.kind.as_str()
            ));
        }
    }
    for e in &r.errors {
        out.push_str(&format!(
            "\n{}/{}: NOT EVALUATED: {}\n",
            e.tenant_id, e.project_id, e.error
        ));
    }
    if !r.deliveries.is_empty() {
        out.push_str("\nnotifications:\n");
        for d in &r.deliveries {
            out.push_str(&format!(
                "  {} {} {}: {}{}\n",
                d.scope,
                d.sink,
                d.finding,
                d.outcome,
                d.external_id
                    .as_deref()
                    .map(|id| format!(" ({id})"))
                    .unwrap_or_default()
            ));
        }
    }
    out
}

fn short(run_id: &str) -> &str {
    run_id.get(..12).unwrap_or(run_id)
}
