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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::model::{Check, Code, SubjectResult, Verdict};

    #[test]
    fn one_row_per_check_with_every_cell_escaped() {
        let subject = SubjectResult::new(
            "a|b.txt",
            None,
            vec![
                Check::new(Code::Digest, Verdict::Verified, "sha256 matches"),
                Check::new(Code::Missing, Verdict::Failed, "line one\n| forged | row |"),
            ],
        );
        let report = VerifyReport::new(
            crate::verify::model::VerifyCommand::Checksums,
            "2026-11-25T12:00:00Z".into(),
            vec![subject],
            vec!["a note | with a pipe".into()],
        );
        let md = render(&report);
        let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| `")).collect();
        assert_eq!(rows.len(), 2, "{md}");
        for row in &rows {
            // Five cells: six unescaped pipes, whatever the subject and message hold.
            let unescaped = row
                .match_indices('|')
                .filter(|(i, _)| !row.as_bytes()[..*i].ends_with(b"\\"));
            assert_eq!(unescaped.count(), 6, "{row}");
        }
        assert!(md.contains(
            "**Verdict: failed** — 0 verified, 1 failed, 0 unverifiable (at 2026-11-25T12:00:00Z"
        ));
        assert!(md.contains("\n- a note \\| with a pipe\n"), "{md}");
    }
}
