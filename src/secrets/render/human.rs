//! The terminal rendering of a [`SecretsReport`]: each finding at its place with its
//! redacted preview and fingerprint, then the verdict.

use std::fmt::Write;

use crate::output::style::{paint, BOLD, DIM, ERROR, OK};
use crate::secrets::SecretsReport;

pub(super) fn render(r: &SecretsReport) -> String {
    let mut o = String::new();
    for f in &r.findings {
        let at = match &f.commit {
            Some(c) => format!(
                "{}:{}:{} (commit {})",
                f.path,
                f.line,
                f.column,
                crate::text::prefix(c, 12)
            ),
            None => format!("{}:{}:{}", f.path, f.line, f.column),
        };
        let _ = writeln!(
            o,
            "{} {} {}",
            paint(ERROR, &format!("secret[{}]", f.rule)),
            paint(BOLD, &at),
            paint(DIM, &format!("fingerprint {}", f.fingerprint))
        );
        let _ = writeln!(o, "    {}", f.preview);
    }
    let verdict = if r.findings.is_empty() {
        paint(OK, "clean")
    } else {
        paint(ERROR, "SECRETS FOUND")
    };
    let _ = writeln!(
        o,
        "{verdict}: {} finding(s) in {} file(s) and {} commit(s); {} allowlisted",
        r.findings.len(),
        r.files_scanned,
        r.commits_scanned,
        r.allowlisted
    );
    o
}
