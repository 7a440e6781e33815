//! The Markdown rendering of a [`VerifyReport`] (job summaries, PR comments): every cell goes
//! through the one escaper, so text from inputs cannot open a column or a row.

use std::fmt::Write;

use crate::markdown::cell;
use crate::verify::model::VerifyReport;

pub(super) fn render(report: &VerifyReport) -> String {
    let mut out = String::new();
    let c = &report.counts;
    let _ = writeln!(out, "# chainwarden verify {}\n", report.command);
    let _ = writeln!(
        out,
        "**Verdict: {}** — {} verified, {} failed, {} unverifiable (at {}, chainwarden {})\n",
        report.verdict.as_str(),
        c.verified,
        c.failed,
        c.unverifiable,
        report.time,
        report.tool_version
    );
    let _ = writeln!(out, "| Subject | Verdict | Check | Result | Message |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    for s in &report.subjects {
        for check in &s.checks {
            let _ = writeln!(
                out,
                "| `{}` | {} | `{}` | {} | {} |",
                cell(&s.name),
                s.verdict.as_str(),
                check.code,
                check.verdict.as_str(),
                cell(&check.message)
            );
        }
    }
    if !report.notes.is_empty() {
        let _ = writeln!(out, "\n**Notes**\n");
        for n in &report.notes {
            let _ = writeln!(out, "- {}", cell(n));
        }
    }
    out
}
