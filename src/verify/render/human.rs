//! The terminal rendering of a [`VerifyReport`]: one block per subject, then the verdict.

use std::fmt::Write;

use crate::output::style::{paint, BOLD, DIM, ERROR, OK, WARN};
use crate::verify::model::{Verdict, VerifyReport};

fn verdict_label(v: Verdict) -> String {
    match v {
        Verdict::Verified => paint(OK, "verified"),
        Verdict::Failed => paint(ERROR, "FAILED"),
        Verdict::Unverifiable => paint(WARN, "unverifiable"),
    }
}

pub(super) fn render(report: &VerifyReport) -> String {
    let mut out = String::new();
    for subject in &report.subjects {
        let _ = writeln!(
            out,
            "{} {}",
            verdict_label(subject.verdict),
            paint(BOLD, &subject.name)
        );
        for check in &subject.checks {
            // Verified subjects show only their failing or unverifiable checks' absence: keep
            // the output short for the common case of 200 good artifacts.
            if subject.verdict == Verdict::Verified
                && check.verdict == Verdict::Verified
                && report.subjects.len() > 1
            {
                continue;
            }
            let mark = match check.verdict {
                Verdict::Verified => paint(OK, "ok"),
                Verdict::Failed => paint(ERROR, "fail"),
                Verdict::Unverifiable => paint(WARN, "?"),
            };
            let _ = writeln!(
                out,
                "  {mark} {} {}",
                check.message,
                paint(DIM, &format!("[{}]", check.code))
            );
            for (k, v) in &check.details {
                let _ = writeln!(out, "      {}: {v}", paint(DIM, k));
            }
        }
    }
    for note in &report.notes {
        let _ = writeln!(out, "{} {note}", paint(WARN, "note:"));
    }
    let c = &report.counts;
    let _ = writeln!(
        out,
        "{}: {} verified, {} failed, {} unverifiable",
        verdict_label(report.verdict),
        c.verified,
        c.failed,
        c.unverifiable
    );
    out
}
