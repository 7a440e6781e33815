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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::model::{Check, Code, SubjectResult};

    fn plain(report: &VerifyReport) -> String {
        anstream::adapter::strip_str(&render(report)).to_string()
    }

    fn report(subjects: Vec<SubjectResult>, notes: Vec<String>) -> VerifyReport {
        VerifyReport::new(
            crate::verify::model::VerifyCommand::Checksums,
            "2026-11-25T12:00:00Z".into(),
            subjects,
            notes,
        )
    }

    fn verified(name: &str) -> SubjectResult {
        let check = Check::new(Code::Digest, Verdict::Verified, "sha256 matches");
        SubjectResult::new(name, None, vec![check])
    }

    #[test]
    fn many_subjects_show_only_what_is_not_verified() {
        let ok = verified("a.tar.gz");
        let bad = SubjectResult::new(
            "b.bin",
            None,
            vec![
                Check::new(Code::DigestMismatch, Verdict::Failed, "does not match")
                    .detail("expected", "aa")
                    .detail("actual", "bb"),
            ],
        );
        let unknown = SubjectResult::new(
            "docs",
            None,
            vec![Check::new(
                Code::Unreadable,
                Verdict::Unverifiable,
                "not a regular file",
            )],
        );
        let text = plain(&report(vec![ok, bad, unknown], vec!["one note".into()]));
        assert_eq!(
            text,
            "verified a.tar.gz\n\
             FAILED b.bin\n  fail does not match [verify:digest-mismatch]\n      actual: bb\n      expected: aa\n\
             unverifiable docs\n  ? not a regular file [verify:unreadable]\n\
             note: one note\n\
             FAILED: 1 verified, 1 failed, 1 unverifiable\n"
        );
    }

    #[test]
    fn one_subject_shows_every_check() {
        let ok = verified("a.tar.gz");
        let text = plain(&report(vec![ok], Vec::new()));
        assert_eq!(
            text,
            "verified a.tar.gz\n  ok sha256 matches [verify:digest]\nverified: 1 verified, 0 failed, 0 unverifiable\n"
        );
    }
}
