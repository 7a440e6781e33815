//! Human output: coloured (when the terminal allows and `NO_COLOR` is unset), grouped per
//! advisory, with the dependency paths drawn as an inverted tree.

use std::fmt::Write;

use crate::audit::model::{AuditReport, Finding, FindingStatus, GraphMode, Verdict};
use crate::output::style::{paint, BOLD, DIM, ERROR, NOTE, OK, WARN};

pub fn human(report: &AuditReport) -> String {
    let mut out = String::new();
    let db = &report.database;
    let _ = writeln!(
        out,
        "{} {} ({} packages, lockfile v{}) against {} advisories (database {}{})",
        paint(BOLD, "Auditing"),
        report.lockfile.path,
        report.lockfile.package_count,
        report.lockfile.format_version,
        db.advisory_count,
        db.commit
            .as_deref()
            .map(|c| &c[..c.len().min(12)])
            .unwrap_or("of unknown commit"),
        match (&db.updated, db.age_days) {
            (Some(date), Some(age)) => format!(", {}, {age} days old", &date[..10]),
            _ => String::new(),
        }
    );
    if report.settings.mode == GraphMode::Metadata {
        let _ = writeln!(
            out,
            "{} resolved with cargo metadata{}{}",
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
        let _ = writeln!(out, "{} {note}", paint(NOTE, "note:"));
    }
    if !report.notes.is_empty() {
        out.push('\n');
    }
    let s = &report.summary;
    let verdict = match report.verdict {
        Verdict::Pass => paint(OK, "PASS"),
        Verdict::Fail => paint(ERROR, "FAIL"),
    };
    let _ = writeln!(
        out,
        "{verdict}: {} vulnerabilities, {} unsound, {} unmaintained, {} notices, {} yanked; {} ignored; {} fail the policy",
        s.vulnerabilities, s.unsound, s.unmaintained, s.notices, s.yanked, s.ignored, s.failing
    );
    out
}

fn advisory_block(out: &mut String, group: &[&Finding]) {
    let first = group[0];
    let label = if group.iter().any(|f| f.fails_policy) {
        paint(ERROR, &format!("error[{}]", first.kind.as_str()))
    } else {
        paint(WARN, &format!("warning[{}]", first.kind.as_str()))
    };
    let aliases = if first.aliases.is_empty() {
        String::new()
    } else {
        format!(" ({})", first.aliases.join(", "))
    };
    let id = if first.advisory_id == "yanked" {
        String::new()
    } else {
        format!("{} ", first.advisory_id)
    };
    let _ = writeln!(
        out,
        "{label} {}{aliases}: {}",
        paint(BOLD, id.trim_end()),
        first.title
    );
    let field = |out: &mut String, name: &str, value: &str| {
        let label = format!("{name}:");
        let _ = writeln!(out, "  {}{value}", paint(DIM, &format!("{label:<10}")));
    };
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
        let state = f
            .baseline_state
            .map(|s| format!(" [{}]", s.as_str()))
            .unwrap_or_default();
        field(
            out,
            "package",
            &format!("{} {}{state}", f.package, f.version),
        );
        match &f.fix {
            Some(fix) if fix.semver_compatible => field(
                out,
                "fix",
                &format!(
                    "upgrade to {} (semver-compatible: `cargo update -p {}@{}`)",
                    fix.version, f.package, f.version
                ),
            ),
            Some(fix) => field(
                out,
                "fix",
                &format!(
                    "upgrade to {} (breaking: update the dependency requirement)",
                    fix.version
                ),
            ),
            None if f.kind == crate::audit::model::FindingKind::Vulnerability => field(
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
        }
    }
    out.push('\n');
}

/// Draws paths (root → … → package) as a tree rooted at the package, walking up to the roots.
fn tree(out: &mut String, paths: &[Vec<String>]) {
    #[derive(Default)]
    struct Node {
        children: Vec<(String, Node)>,
    }
    let mut root = Node::default();
    let mut top = String::new();
    for path in paths {
        let mut steps = path.iter().rev();
        if let Some(first) = steps.next() {
            top = first.clone();
        }
        let mut node = &mut root;
        for step in steps {
            let pos = match node.children.iter().position(|(n, _)| n == step) {
                Some(p) => p,
                None => {
                    node.children.push((step.clone(), Node::default()));
                    node.children.len() - 1
                }
            };
            node = &mut node.children[pos].1;
        }
    }
    let _ = writeln!(out, "    {top}");
    fn draw(out: &mut String, node: &Node, prefix: &str) {
        for (i, (name, child)) in node.children.iter().enumerate() {
            let last = i + 1 == node.children.len();
            let _ = writeln!(
                out,
                "    {prefix}{}{name}",
                if last { "└── " } else { "├── " }
            );
            draw(
                out,
                child,
                &format!("{prefix}{}", if last { "    " } else { "│   " }),
            );
        }
    }
    draw(out, &root, "");
}
