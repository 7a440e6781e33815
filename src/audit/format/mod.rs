//! Renderers for [`AuditReport`]: each takes the report and returns the document; none prints.

mod human;
mod markdown;
mod sarif;

use super::model::AuditReport;

pub use human::human;
pub use markdown::markdown;
pub use sarif::sarif;

/// The `--format` of the commands that print audit reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    Human,
    Json,
    Sarif,
    Markdown,
}

pub fn render(report: &AuditReport, format: AuditFormat, lockfile_uri: &str) -> String {
    match format {
        AuditFormat::Human => human(report),
        AuditFormat::Json => json(report),
        AuditFormat::Sarif => sarif(report, lockfile_uri),
        AuditFormat::Markdown => markdown(report),
    }
}

/// The JSON document: the report model as is (its field order is the schema's).
pub fn json(report: &AuditReport) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("report serialises");
    s.push('\n');
    s
}

/// Findings grouped per advisory (same id, several packages or versions), in report order.
pub(crate) fn grouped(report: &AuditReport) -> Vec<Vec<&super::model::Finding>> {
    let mut groups: Vec<Vec<&super::model::Finding>> = Vec::new();
    for f in &report.findings {
        match groups.last_mut() {
            Some(g)
                if g[0].advisory_id == f.advisory_id
                    && g[0].kind == f.kind
                    && f.advisory_id != "yanked" =>
            {
                g.push(f)
            }
            _ => groups.push(vec![f]),
        }
    }
    groups
}
