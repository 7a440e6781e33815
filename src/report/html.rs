//! The report as one self-contained, printable HTML file, rendered by askama templates
//! (`templates/`), which escape every value by default; a Content-Security-Policy allows
//! nothing but the page's own stylesheet (by hash): no scripts, no external loads.

use askama::Template;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::charts::{self, Chart};
use super::model::{OrgReport, OrgRow, QuarterReport};
use crate::error::{Error, Result};
use crate::verify::model::Verdict;

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1240px;margin:1.5em auto;color:#1d2330;padding:0 1em;font-size:14px}
h1{font-size:1.5em;border-bottom:2px solid #1d2330;padding-bottom:.3em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccd}h3{font-size:1em}
table{border-collapse:collapse;width:100%;margin:.6em 0;table-layout:auto}th,td{border:1px solid #ccd;padding:3px 5px;text-align:left;vertical-align:top;overflow-wrap:anywhere;word-break:break-word}
th{background:#eef1f6;overflow-wrap:normal;word-break:normal}td.num{text-align:right}table.small{font-size:.8em}code{font-size:.92em;overflow-wrap:anywhere}
.bad,.sla-closed-late,.sla-open-overdue,.v-failed,.v-unverifiable{color:#b00020;font-weight:600}.sla-closed-within-sla,.v-verified{color:#137333}.sla-excepted,.sla-open-within-sla{color:#8a5a00}
.banner{background:#b00020;color:#fff;font-weight:700;padding:.6em 1em;position:sticky;top:0}
.cards{display:flex;gap:.8em;flex-wrap:wrap}.card{border:1px solid #ccd;border-radius:6px;padding:.5em .9em;min-width:9em}.card b{display:block;font-size:1.4em}
figure{margin:.8em 0}svg{max-width:100%;height:auto;font-size:11px}figcaption{font-size:.85em;color:#445}
.key{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 .8em;vertical-align:middle;border:1px solid #889}
.axis{stroke:#667}.line-vuln{fill:none;stroke:#b00020;stroke-width:2}.line-info{fill:none;stroke:#3b6fb6;stroke-width:2;stroke-dasharray:5 3}
.key.line-vuln{background:#b00020}.key.line-info{background:#3b6fb6}.gap,.key.gap{fill:#e6e6e6;background:#e6e6e6}
.cal-scan,.key.cal-scan{fill:#2e9b4f;background:#2e9b4f}.cal-miss,.key.cal-miss{fill:#d0312d;background:#d0312d}.cal-none,.key.cal-none{fill:#e8eaef;background:#e8eaef}
.sla-met,.key.sla-met{fill:#2e9b4f;background:#2e9b4f}.sla-late,.key.sla-late{fill:#d0312d;background:#d0312d}.sla-pending,.key.sla-pending{fill:#e0b000;background:#e0b000}
.sla-overdue,.key.sla-overdue{fill:#7a0010;background:#7a0010}.sla-excepted,.key.sla-excepted{fill:#8a7fd0;background:#8a7fd0}
ul.life li{margin-bottom:.4em}article.project{border-top:3px double #1d2330;margin-top:2em}
@page{size:A4 landscape;margin:12mm}
@media print{body{margin:0;max-width:none;font-size:10px}h2{break-after:avoid}tr,svg,figure{break-inside:avoid}.banner{position:static}}";

/// What one report's template reads: the model plus chart geometry and a few totals.
pub(super) struct View<'a> {
    pub r: &'a QuarterReport,
    pub calendars: Vec<Chart>,
    pub sla: Chart,
    pub ageing: Chart,
    pub releases_verified: usize,
    pub release_runs: usize,
}

impl<'a> View<'a> {
    fn new(r: &'a QuarterReport) -> View<'a> {
        let runs: std::collections::BTreeSet<&str> =
            r.releases.iter().map(|x| x.run_id.as_str()).collect();
        View {
            r,
            calendars: r.coverage.iter().map(|c| charts::calendar(r, c)).collect(),
            sla: charts::sla(r),
            ageing: charts::ageing(r),
            releases_verified: r
                .releases
                .iter()
                .filter(|x| x.verdict == Verdict::Verified)
                .count(),
            release_runs: runs.len(),
        }
    }
}

/// `yes`, `no` or `-`.
pub(super) fn yes_no(b: &Option<bool>) -> &'static str {
    match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "-",
    }
}

fn style_hash() -> String {
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE.as_bytes()))
    )
}

#[derive(Template)]
#[template(path = "report.html")]
struct Page<'a> {
    v: View<'a>,
    style: &'static str,
    style_hash: String,
}

#[derive(Template)]
#[template(path = "org.html")]
struct OrgPage<'a> {
    o: &'a OrgReport,
    rows: Vec<&'a OrgRow>,
    views: Vec<View<'a>>,
    style: &'static str,
    style_hash: String,
}

fn template_error(e: askama::Error) -> Error {
    Error::evidence(format!("rendering the HTML report: {e}")).caused_by(e)
}

pub(super) fn render(r: &QuarterReport) -> Result<String> {
    Page {
        v: View::new(r),
        style: STYLE,
        style_hash: style_hash(),
    }
    .render()
    .map_err(template_error)
}

pub(super) fn render_org(o: &OrgReport) -> Result<String> {
    OrgPage {
        o,
        rows: o
            .projects
            .iter()
            .chain(std::iter::once(&o.totals))
            .collect(),
        views: o.reports.iter().map(View::new).collect(),
        style: STYLE,
        style_hash: style_hash(),
    }
    .render()
    .map_err(template_error)
}
