//! `chainwarden report`: the quarterly audit report from recorded evidence, as Markdown,
//! self-contained HTML with SVG charts, or JSON. Same evidence, same bytes.

pub mod compute;
mod html;
mod markdown;
pub mod model;

pub use compute::{build, Quarter};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Markdown,
    Html,
    Json,
}

pub fn render(report: &model::QuarterReport, format: ReportFormat) -> String {
    match format {
        ReportFormat::Markdown => markdown::render(report),
        ReportFormat::Html => html::render(report),
        ReportFormat::Json => {
            let mut s = serde_json::to_string_pretty(report).expect("report serialises");
            s.push('\n');
            s
        }
    }
}
