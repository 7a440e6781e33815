//! Renderers for [`WatchReport`], named as every capability's (`crate::audit::render`): a
//! module per format with `render`, and one `render(report, format)`; JSON is the model.

mod human;

use super::WatchReport;

/// The `--format` of `chainwarden watch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WatchFormat {
    Human,
    Json,
}

pub fn render(report: &WatchReport, format: WatchFormat) -> String {
    match format {
        WatchFormat::Human => human::render(report),
        WatchFormat::Json => crate::json::document(report),
    }
}
