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
                f.kind.as_str(),
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
            let line = crate::notify::delivery_line(
                &d.sink,
                &d.finding,
                &d.outcome,
                d.external_id.as_deref(),
            );
            out.push_str(&format!("  {} {line}\n", d.scope));
        }
    }
    out
}

fn short(run_id: &str) -> &str {
    run_id.get(..12).unwrap_or(run_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::baseline::FixedFinding;
    use crate::audit::model::{DatabaseInfo, FindingKind, Severity};
    use crate::watch::{DeliveryResult, NewFinding, ScopeError, ScopeResult};

    #[test]
    fn scopes_then_errors_then_deliveries() {
        let report = WatchReport {
            schema_version: 1,
            tool_version: "0.1.0".into(),
            time: "2026-11-25T12:00:00Z".into(),
            database: DatabaseInfo {
                path: "/db".into(),
                commit: Some("c0ffee".into()),
                updated: None,
                advisory_count: 900,
                age_days: None,
                stale: false,
            },
            scopes: vec![ScopeResult {
                tenant_id: "acme".into(),
                project_id: "api".into(),
                lockfile_path: Some("Cargo.lock".into()),
                inventory_run: "0123456789abcdef0123".into(),
                inventory_time: "2026-11-24T00:00:00Z".into(),
                run_id: None,
                findings: 2,
                new: vec![NewFinding {
                    kind: FindingKind::Vulnerability,
                    advisory_id: "RUSTSEC-2021-0003".into(),
                    package: "smallvec".into(),
                    version: "1.6.0".into(),
                    severity: Some(Severity::Critical),
                    title: "Buffer overflow".into(),
                    published: Some("2021-01-08".into()),
                    fails_policy: true,
                }],
                fixed: vec![FixedFinding {
                    kind: FindingKind::Unmaintained,
                    advisory_id: "RUSTSEC-2020-0036".into(),
                    package: "failure".into(),
                    version: "0.1.8".into(),
                    title: "failure is unmaintained".into(),
                }],
                fails: true,
            }],
            errors: vec![ScopeError {
                tenant_id: "acme".into(),
                project_id: "web".into(),
                error: "evidence chain broken".into(),
            }],
            deliveries: vec![DeliveryResult {
                scope: "acme/api".into(),
                sink: "github:acme/api".into(),
                finding: "RUSTSEC-2021-0003".into(),
                outcome: crate::notify::DeliveryOutcome::Sent,
                external_id: Some("#12".into()),
                attempts: 1,
            }],
        };
        assert_eq!(
            render(&report),
            "watch at 2026-11-25T12:00:00Z: advisory database c0ffee (900 advisories), 2 scope(s)\n\
             \nacme/api (Cargo.lock, inventory of run 0123456789ab at 2026-11-24T00:00:00Z): 2 finding(s), 1 new: FAILS the scope's policy\n\
             \x20 new    RUSTSEC-2021-0003 smallvec 1.6.0 (vulnerability, critical, published 2021-01-08) FAILS: Buffer overflow\n\
             \x20 fixed  RUSTSEC-2020-0036 failure 0.1.8 (unmaintained)\n\
             \nacme/web: NOT EVALUATED: evidence chain broken\n\
             \nnotifications:\n\
             \x20 acme/api github:acme/api RUSTSEC-2021-0003: sent (#12)\n"
        );
    }
}
