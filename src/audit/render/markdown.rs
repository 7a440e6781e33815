//! Markdown output: a summary and one table of findings, readable on GitHub (job summaries,
//! pull-request comments).

use std::fmt::Write;

use crate::audit::model::{AuditReport, Finding, FindingKind, FindingStatus, PolicyVerdict};
use crate::markdown::cell;

pub(super) fn render(report: &AuditReport) -> String {
    let mut out = String::new();
    let s = &report.summary;
    let verdict = match report.verdict {
        PolicyVerdict::Pass => "✅ pass",
        PolicyVerdict::Fail => "❌ fail",
    };
    let _ = writeln!(out, "# chainwarden audit: {verdict}\n");
    let _ = writeln!(
        out,
        "`{}` — {} packages, lockfile v{}; RustSec database `{}`{} ({} advisories). Audited at {}.\n",
        report.lockfile.path,
        report.lockfile.package_count,
        report.lockfile.format_version,
        report.database.commit.as_deref().map(|c| crate::text::prefix(c, 12)).unwrap_or("unknown"),
        report.database.updated.as_deref().map(|d| format!(" of {}", crate::text::prefix(d, 10))).unwrap_or_default(),
        report.database.advisory_count,
        report.time
    );
    let _ = writeln!(
        out,
        "| Vulnerabilities | Unsound | Unmaintained | Notices | Yanked | Ignored | Failing |"
    );
    let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} |\n",
        s.vulnerabilities, s.unsound, s.unmaintained, s.notices, s.yanked, s.ignored, s.failing
    );
    for reason in &report.failures {
        let _ = writeln!(out, "**Failed:** {}\n", cell(reason));
    }
    if !report.findings.is_empty() {
        let _ = writeln!(
            out,
            "| Advisory | Kind | Package | Severity | Fix | Status | Title |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|");
        for f in &report.findings {
            let _ = writeln!(out, "{}", row(f));
        }
        out.push('\n');
    }
    if let Some(b) = &report.baseline {
        let _ = writeln!(out, "{}\n", cell(&b.summary_line()));
        for f in &b.fixed {
            let _ = writeln!(out, "- fixed: {}", cell(&f.describe()));
        }
        if !b.fixed.is_empty() {
            out.push('\n');
        }
    }
    for n in &report.notes {
        let _ = writeln!(out, "> **Note:** {}", cell(n));
    }
    out
}

/// One finding's row; every cell that holds text from the lockfile or the advisory goes
/// through the escaper (a path or git package's name may hold a `|`).
fn row(f: &Finding) -> String {
    let id = if f.kind == FindingKind::Yanked {
        "yanked".to_string()
    } else {
        format!(
            "[{}](https://rustsec.org/advisories/{}.html)",
            f.advisory_id, f.advisory_id
        )
    };
    let fix = f
        .fix
        .as_ref()
        .map(|x| {
            format!(
                "{}{}",
                x.version,
                if x.semver_compatible {
                    ""
                } else {
                    " (breaking)"
                }
            )
        })
        .unwrap_or_else(|| "—".into());
    let status = match f.status {
        FindingStatus::Open if f.fails_policy => "**fails**".to_string(),
        FindingStatus::Open => "warning".to_string(),
        FindingStatus::Ignored => format!(
            "ignored until {}",
            f.ignore.as_ref().map(|i| i.expires.as_str()).unwrap_or("?")
        ),
        FindingStatus::IgnoreExpired => "**ignore expired**".to_string(),
    };
    let status = match f.baseline_state {
        Some(state) => format!("{status} ({})", state.as_str()),
        None => status,
    };
    format!(
        "| {id} | {} | `{} {}` | {} | {} | {} | {} |",
        f.kind.as_str(),
        cell(&f.package),
        cell(&f.version),
        f.severity.map(|s| s.as_str()).unwrap_or("—"),
        fix,
        status,
        cell(&f.title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::FindingKind;

    #[test]
    fn a_package_name_cannot_open_a_column() {
        let mut f = Finding::new(
            FindingKind::Vulnerability,
            "RUSTSEC-2021-0003",
            "a|b",
            "1.0.0",
        );
        f.title = "title | with a pipe".into();
        f.fails_policy = true;
        let line = row(&f);
        let unescaped = line
            .match_indices('|')
            .filter(|(i, _)| !line.as_bytes()[..*i].ends_with(b"\\"))
            .count();
        assert_eq!(unescaped, 8, "seven cells: {line}");
        assert!(
            line.contains("`a\\|b 1.0.0`") && line.contains("| **fails** |"),
            "{line}"
        );
    }
}
