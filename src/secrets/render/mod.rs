//! Renderers for [`SecretsReport`], named as every capability's (`crate::audit::render`): a
//! module per format with `render`, and one `render(report, format)`; JSON is the model.

mod human;
mod sarif;

use super::SecretsReport;

/// The `--format` of `chainwarden secrets scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SecretsFormat {
    Human,
    Json,
    Sarif,
}

pub fn render(r: &SecretsReport, format: SecretsFormat) -> String {
    match format {
        SecretsFormat::Human => human::render(r),
        SecretsFormat::Json => crate::json::document(r),
        SecretsFormat::Sarif => sarif::render(r),
    }
}
