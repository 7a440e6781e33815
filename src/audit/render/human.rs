//! Human output, made for a terminal and a CI log alike: a compact table of every finding
//! first (advisory, crate, version, severity, fix), then one block per advisory with its
//! details and dependency paths drawn as an inverted tree, then notes and the verdict.
//! Coloured when the terminal allows and `NO_COLOR` is unset; lines fit [`WIDTH`] columns
//! (long values wrap; only an unbreakable word, such as a URL, can overflow).

use std::fmt::Write;

use crate::audit::evaluate::plural;
use crate::audit::model::{
    AuditReport, Finding, FindingKind, FindingStatus, FixBasis, GraphMode, PolicyVerdict,
};
use crate::output::style::{paint, BOLD, DIM, ERROR, NOTE, OK, WARN};

/// Columns the output fits.
pub(super) const WIDTH: usize = 100;
/// Indentation of a field's value (`  severity: `).
const FIELD_INDENT: usize = 12;

pub(super) fn render(report: &AuditReport) -> String {
    let mut out = String::new();
    header(&mut out, report);
    if !report.findings.is_empty() {
        table(&mut out, report);
        out.push('\n');
    }
    for group in super::grouped(report) {
        advisory_block(&mut out, &group);
    }
    if let Some(b) = &report.baseline {
        let _ = writeln!(out, "{} {}", paint(BOLD, "baseline:"), b.summary_line());
        for f in &b.fixed {
            let _ = writeln!(out, "  {} {}", paint(OK, "fixed:"), f.describe());
        }
        out.push('\n');
    }
    for note in &report.notes {
        let wrapped = wrap(note, WIDTH - 6, 6);
        let _ = writeln!(out, "{} {wrapped}", paint(NOTE, "note:"));
    }
    if !report.notes.is_empty() {
        out.push('\n');
    }
    verdict(&mut out, report);
    out
}

fn header(out: &mut String, report: &AuditReport) {
    let db = &report.database;
    let _ = writeln!(
        out,
        "{} {}",
        paint(BOLD, "Auditing"),
        wrap(&report.lockfile.path, WIDTH - 9, 9)
    );
    let _ = writeln!(
        out,
        "  {} packages, lockfile v{}; {} advisories, database {}{}",
        report.lockfile.package_count,
        report.lockfile.format_version,
        db.advisory_count,
        db.commit
            .as_deref()
            .map(|c| crate::text::prefix(c, 12))
            .unwrap_or("of unknown commit"),
        match (&db.updated, db.age_days) {
            (Some(date), Some(age)) =>
                format!(" ({}, {})", crate::text::prefix(date, 10), plural_days(age)),
            _ => String::new(),
        }
    );
    if report.settings.mode == GraphMode::Metadata {
        let _ = writeln!(
            out,
            "  {} resolved with cargo metadata{}{}",
            paint(DIM, "graph:"),
            report
                .settings
                .target
                .as_deref()
                .map(|t| format!(", target {t}"))
                .unwrap_or_default(),
            if report.settings.exclude_dev {
                ", dev-dependencies excluded"
            } else {
                ""
            }
        );
    }
    out.push('\n');
}

fn plural_days(age: i64) -> String {
    if age == 1 {
        "1 day old".into()
    } else {
        format!("{age} days old")
    }
}

/// The summary table: one row per finding, columns sized to their content within caps.
fn table(out: &mut String, report: &AuditReport) {
    const HEAD: [&str; 5] = ["ADVISORY", "CRATE", "VERSION", "SEVERITY", "FIX"];
    const CAPS: [usize; 5] = [17, 22, 14, 13, 26];
    let rows: Vec<[String; 5]> = report.findings.iter().map(row).collect();
    let mut widths = HEAD.map(|h| h.chars().count());
    for r in &rows {
        for (w, (cell, cap)) in widths.iter_mut().zip(r.iter().zip(CAPS)) {
            *w = (*w).max(cell.chars().count().min(cap));
        }
    }
    let line = |cells: [&str; 5]| {
        let mut l = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            let cell = clip(cell, w);
            if i + 1 == cells.len() {
                l.push_str(&cell);
            } else {
                let pad = w - cell.chars().count();
                let _ = write!(l, "{cell}{}  ", " ".repeat(pad));
            }
        }
        l
    };
    let _ = writeln!(out, "{}", paint(BOLD, &line(HEAD)));
    for (r, f) in rows.iter().zip(&report.findings) {
        let text = line([&r[0], &r[1], &r[2], &r[3], &r[4]]);
        let styled = if f.fails_policy {
            paint(ERROR, &text)
        } else {
            text
        };
        let _ = writeln!(out, "{styled}");
    }
}

fn row(f: &Finding) -> [String; 5] {
    let severity = match (f.kind, f.severity, f.cvss_score) {
        (FindingKind::Vulnerability, Some(s), Some(score)) => format!("{} {score:.1}", s.as_str()),
        (FindingKind::Vulnerability, Some(s), None) => s.as_str().to_string(),
        (FindingKind::Vulnerability, None, _) => "unscored".to_string(),
        (kind, _, _) => kind.as_str().to_string(),
    };
    let fix = match &f.fix {
        Some(x) if x.semver_compatible => x.version.clone(),
        Some(x) => format!("{} (breaking)", x.version),
        None if f.kind == FindingKind::Vulnerability => "none".to_string(),
        None => "-".to_string(),
    };
    let fix = match f.status {
        FindingStatus::Ignored => format!("{fix}, ignored"),
        _ => fix,
    };
    [
        f.advisory_id.clone(),
        f.package.clone(),
        f.version.clone(),
        severity,
        fix,
    ]
}

/// `text` cut to `width` characters, the last one an ellipsis when cut. Redacted first, for the
/// reason given at [`wrap`]: a token cut short no longer matches its rule.
fn clip(text: &str, width: usize) -> String {
    let text = crate::redact::redact(text);
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut s: String = text.chars().take(width.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// Word-wraps `text` to `width` columns; continuation lines are indented by `indent`.
///
/// The text is redacted *before* it is laid out: a line break inserted inside a secret (a key
/// block's `BEGIN RSA PRIVATE KEY` header in a policy reason) would otherwise hide it from the
/// redaction the output boundary applies to the finished text.
fn wrap(text: &str, width: usize, indent: usize) -> String {
    let text = crate::redact::redact(text);
    let mut out = String::new();
    let mut col = 0;
    for word in text.split(' ') {
        let len = word.chars().count();
        if col > 0 && col + 1 + len > width {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            col = 0;
        } else if col > 0 {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += len;
    }
    out
}

fn field(out: &mut String, name: &str, value: &str) {
    let label = format!("{name}:");
    let _ = writeln!(
        out,
        "  {}{}",
        paint(DIM, &format!("{label:<10}")),
        wrap(value, WIDTH - FIELD_INDENT, FIELD_INDENT)
    );
}

fn advisory_block(out: &mut String, group: &[&Finding]) {
    let first = group[0];
    let label = if group.iter().any(|f| f.fails_policy) {
        paint(ERROR, &format!("error[{}]", first.kind.as_str()))
    } else {
        paint(WARN, &format!("warning[{}]", first.kind.as_str()))
    };
    let mut crates: Vec<String> = Vec::new();
    for f in group {
        let c = format!("{} {}", f.package, f.version);
        if !crates.contains(&c) {
            crates.push(c);
        }
    }
    // A header names at most three crates (a hostile lockfile can hold thousands of versions).
    let count = crates.len();
    crates.truncate(3);
    let mut listed = crates.join(", ");
    if count > 3 {
        let _ = write!(listed, " and {} more", count - 3);
    }
    let ident = if first.kind == FindingKind::Yanked {
        listed
    } else {
        format!("{}: {listed}", first.advisory_id)
    };
    let prefix = first.kind.as_str().len() + 10;
    let _ = writeln!(
        out,
        "{label} {}",
        paint(BOLD, &wrap(&ident, WIDTH - prefix, 4))
    );
    field(out, "title", &first.title);
    if !first.aliases.is_empty() {
        field(out, "aliases", &first.aliases.join(", "));
    }
    if let Some(sev) = first.severity {
        let score = first
            .cvss_score
            .map(|s| format!(" ({s:.1})"))
            .unwrap_or_default();
        field(out, "severity", &format!("{}{score}", sev.as_str()));
    }
    if let Some(date) = &first.date {
        field(out, "date", date);
    }
    if let Some(url) = &first.url {
        field(out, "url", url);
    }
    if !first.patched.is_empty() {
        field(out, "patched", &first.patched.join(", "));
    }
    if !first.functions.is_empty() {
        field(out, "affects", &first.functions.join(", "));
    }
    for f in group {
        if group.len() > 1 {
            field(out, "package", &format!("{} {}", f.package, f.version));
        }
        package_details(out, f);
    }
    out.push('\n');
}

fn package_details(out: &mut String, f: &Finding) {
    if let Some(state) = f.baseline_state {
        field(out, "baseline", state.as_str());
    }
    match &f.fix {
        Some(fix) => {
            let basis = match fix.basis {
                FixBasis::Patched => String::new(),
                FixBasis::Unaffected => {
                    format!(", not affected: {}", fix.requirement)
                }
            };
            let how = if fix.semver_compatible {
                format!(
                    "semver-compatible: `cargo update -p {}@{}`",
                    f.package, f.version
                )
            } else {
                "breaking: update the dependency requirement".to_string()
            };
            field(
                out,
                "fix",
                &format!("upgrade to {} ({how}{basis})", fix.version),
            );
        }
        None if f.kind == FindingKind::Vulnerability => field(
            out,
            "fix",
            "no patched version: remove or replace the crate",
        ),
        None => {}
    }
    match (&f.status, &f.ignore) {
        (FindingStatus::Ignored, Some(i)) => field(
            out,
            "status",
            &format!(
                "ignored until {} ({}; approved by {})",
                i.expires, i.reason, i.approved_by
            ),
        ),
        (FindingStatus::IgnoreExpired, Some(i)) => field(
            out,
            "status",
            &paint(
                ERROR,
                &format!(
                    "ignore EXPIRED on {} ({}; approved by {})",
                    i.expires, i.reason, i.approved_by
                ),
            ),
        ),
        _ => {}
    }
    if !f.paths.is_empty() {
        let _ = writeln!(out, "  {}", paint(DIM, "paths:"));
        tree(out, &f.paths);
        let shown = f.paths.len() as u64;
        if f.paths_total > shown {
            let more = f.paths_total - shown;
            let _ = writeln!(
                out,
                "    {}",
                paint(
                    DIM,
                    &format!(
                        "… {more} more {} not shown",
                        if more == 1 { "path" } else { "paths" }
                    )
                )
            );
        }
    }
}

/// Draws paths (root → … → package) as a tree rooted at the package, walking up to the roots.
/// Iterative (an explicit stack), so no input depth can exhaust the call stack; the paths come
/// capped in number and length from the engine.
fn tree(out: &mut String, paths: &[Vec<String>]) {
    // Nodes in an arena: (name, children).
    let mut nodes: Vec<(String, Vec<usize>)> = vec![(String::new(), Vec::new())];
    let mut top = String::new();
    for path in paths {
        let mut steps = path.iter().rev();
        if let Some(first) = steps.next() {
            top.clone_from(first);
        }
        let mut node = 0;
        for step in steps {
            let found = nodes[node].1.iter().copied().find(|&c| nodes[c].0 == *step);
            node = match found {
                Some(c) => c,
                None => {
                    nodes.push((step.clone(), Vec::new()));
                    let c = nodes.len() - 1;
                    nodes[node].1.push(c);
                    c
                }
            };
        }
    }
    let _ = writeln!(out, "    {top}");
    // (node, prefix of its children's lines); children pushed in reverse to pop in order.
    let mut stack: Vec<(usize, String, bool)> = Vec::new();
    let push_children = |stack: &mut Vec<(usize, String, bool)>, node: usize, prefix: &str| {
        let children = &nodes[node].1;
        for (i, &c) in children.iter().enumerate().rev() {
            stack.push((c, prefix.to_string(), i + 1 == children.len()));
        }
    };
    push_children(&mut stack, 0, "");
    while let Some((node, prefix, last)) = stack.pop() {
        let branch = if last { "└── " } else { "├── " };
        let _ = writeln!(out, "    {prefix}{branch}{}", nodes[node].0);
        let child_prefix = format!("{prefix}{}", if last { "    " } else { "│   " });
        push_children(&mut stack, node, &child_prefix);
    }
}

/// `PASS: counts` or `FAIL: counts`, then what failed: a failing verdict always says why.
fn verdict(out: &mut String, report: &AuditReport) {
    let s = &report.summary;
    let verdict = match report.verdict {
        PolicyVerdict::Pass => paint(OK, "PASS"),
        PolicyVerdict::Fail => paint(ERROR, "FAIL"),
    };
    let counts = format!(
        "{}, {} unsound, {} unmaintained, {}, {} yanked; {} ignored",
        plural(s.vulnerabilities, "vulnerability", "vulnerabilities"),
        s.unsound,
        s.unmaintained,
        plural(s.notices, "notice", "notices"),
        s.yanked,
        s.ignored
    );
    let _ = writeln!(out, "{verdict}: {}", wrap(&counts, WIDTH - 6, 6));
    for reason in &report.failures {
        let _ = writeln!(
            out,
            "  {} {}",
            paint(ERROR, "failed:"),
            wrap(reason, WIDTH - 10, 10)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_and_clip_fit_the_width() {
        let text = "a ".repeat(120);
        // The first line follows a prefix; continuation lines carry the indent themselves.
        let wrapped = wrap(text.trim(), 40, 4);
        assert!(wrapped.lines().count() > 1);
        for line in wrapped.lines().skip(1) {
            assert!(
                line.starts_with("    ") && line.chars().count() <= 44,
                "{line}"
            );
        }
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip("abc", 4), "abc");
    }

    #[test]
    fn trees_share_steps_towards_the_package() {
        let p = |steps: &[&str]| steps.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let mut out = String::new();
        tree(
            &mut out,
            &[
                p(&["app", "a", "vuln"]),
                p(&["tool", "a", "vuln"]),
                p(&["app", "b", "vuln"]),
            ],
        );
        let expected =
            "    vuln\n    ├── a\n    │   ├── app\n    │   └── tool\n    └── b\n        └── app\n";
        assert_eq!(out, expected);
    }
}
