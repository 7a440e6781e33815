//! `chainwarden report`: the quarterly audit report from verified evidence, as Markdown,
//! self-contained HTML (askama template, escaped by default, CSP) with SVG charts, or JSON.
//! Same evidence and `--now`, same bytes.

mod charts;
pub mod compute;
mod coverage;
mod exceptions;
mod findings;
mod html;
mod markdown;
mod markdown_tail;
pub mod model;
mod releases;
pub mod states;
mod subscription;

pub use compute::{build, Options, Quarter};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Markdown,
    Html,
    Json,
}

pub fn render(report: &model::QuarterReport, format: ReportFormat) -> Result<String> {
    match format {
        ReportFormat::Markdown => Ok(markdown::render(report)),
        ReportFormat::Html => html::render(report),
        ReportFormat::Json => Ok(crate::json::document(report)),
    }
}

/// The organisation view: a table of the tenant's projects, then each project's report.
pub fn render_org(report: &model::OrgReport, format: ReportFormat) -> Result<String> {
    match format {
        ReportFormat::Json => Ok(crate::json::document(report)),
        ReportFormat::Markdown => Ok(markdown::render_org(report)),
        ReportFormat::Html => html::render_org(report),
    }
}

/// Builds the organisation view from each project's report.
pub fn org(tenant: &str, reports: Vec<model::QuarterReport>) -> Result<model::OrgReport> {
    let first = reports
        .first()
        .ok_or_else(|| Error::evidence(format!("no project of tenant `{tenant}` has evidence")))?;
    let row = |r: &model::QuarterReport| model::OrgRow {
        project_id: r.project_id.clone(),
        expected_scans: r.summary.expected_scans,
        expected_scans_met: r.summary.expected_scans_met,
        open_overdue: r
            .findings
            .iter()
            .filter(|f| f.sla == model::SlaState::OpenOverdue)
            .count(),
        findings: r.findings.len(),
        deviations: r.deviations.len(),
        chain_intact: r.integrity.chain_intact,
    };
    let projects: Vec<model::OrgRow> = reports.iter().map(row).collect();
    let totals = model::OrgRow {
        project_id: "total".into(),
        expected_scans: projects.iter().map(|p| p.expected_scans).sum(),
        expected_scans_met: projects.iter().map(|p| p.expected_scans_met).sum(),
        open_overdue: projects.iter().map(|p| p.open_overdue).sum(),
        findings: projects.iter().map(|p| p.findings).sum(),
        deviations: projects.iter().map(|p| p.deviations).sum(),
        chain_intact: projects.iter().all(|p| p.chain_intact),
    };
    Ok(model::OrgReport {
        schema_version: model::SCHEMA_VERSION,
        tenant_id: tenant.to_string(),
        period: first.period.clone(),
        generated: first.generated.clone(),
        projects,
        totals,
        reports,
    })
}
