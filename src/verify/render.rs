//! Renderers for [`VerifyReport`]: human (coloured), JSON, Markdown.

use std::fmt::Write;

use super::model::{Verdict, VerifyReport};
use crate::markdown::cell;
use crate::output::style::{paint, BOLD, DIM, ERROR, OK, WARN};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VerifyFormat {
    Human,
    Json,
    Markdown,
}

pub fn render(report: &VerifyReport, format: VerifyFormat) -> String {
    match format {
        VerifyFormat::Human => human(report),
        VerifyFormat::Json => json(report),
        VerifyFormat::Markdown => markdown(report),
    }
}

pub fn json(report: &VerifyReport) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("report serialises");
    s.push('\n');
    s
}

fn verdict_label(v: Verdict) -> String {
    match v {
        Verdict::Verified => paint(OK, "verified"),
        Verdict::Failed => paint(ERROR, "FAILED"),
        Verdict::Unverifiable => paint(WARN, "unverifiable"),
    }
}

pub fn human(report: &VerifyReport) -> String {
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

pub fn markdown(report: &VerifyReport) -> String {
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
