//! Renderers for [`AuditReport`]: each takes the report and returns the document; none prints.
//!
//! The naming every capability follows (audit, verify, secrets, watch, report, sbom): a
//! module per format (`human`, `markdown`, `sarif`, `html`, ...) whose entry is
//! `pub fn render`, and one `render(report, format)` that dispatches on the command's
//! `--format`. JSON is the model itself, written by [`crate::json::document`].

mod human;
mod markdown;
pub mod sarif;

use super::model::{AuditReport, FindingKind};

/// The `--format` of the commands that print audit reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    Human,
    Json,
    Sarif,
    Markdown,
}

/// The document for `format`; SARIF locates findings in the lockfile at `lockfile_uri`.
pub fn render(report: &AuditReport, format: AuditFormat, lockfile_uri: &str) -> String {
    match format {
        AuditFormat::Human => human::render(report),
        AuditFormat::Json => crate::json::document(report),
        AuditFormat::Sarif => sarif::render(report, lockfile_uri),
        AuditFormat::Markdown => markdown::render(report),
    }
}

/// Findings grouped per advisory (same id, several packages or versions), in report order.
pub(crate) fn grouped(report: &AuditReport) -> Vec<Vec<&super::model::Finding>> {
    let mut groups: Vec<Vec<&super::model::Finding>> = Vec::new();
    for f in &report.findings {
        match groups.last_mut() {
            Some(g)
                if g[0].advisory_id == f.advisory_id
                    && g[0].kind == f.kind
                    && f.kind != FindingKind::Yanked =>
            {
                g.push(f)
            }
            _ => groups.push(vec![f]),
        }
    }
    groups
}
