//! Renderers for [`VerifyReport`]: human (coloured), JSON (the model), Markdown; the naming
//! is the audit's (`crate::audit::render`): a module per format with `render`, and one
//! `render(report, format)`.

mod human;
mod markdown;

use super::model::VerifyReport;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VerifyFormat {
    Human,
    Json,
    Markdown,
}

pub fn render(report: &VerifyReport, format: VerifyFormat) -> String {
    match format {
        VerifyFormat::Human => human::render(report),
        VerifyFormat::Json => crate::json::document(report),
        VerifyFormat::Markdown => markdown::render(report),
    }
}
