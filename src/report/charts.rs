//! Chart geometry for the HTML report: typed shapes computed here, drawn as SVG by the
//! template (which escapes every text). Each chart has axes, units and a legend.

use std::collections::BTreeSet;

use time::{Date, Weekday};

use super::model::{Coverage, QuarterReport};
use crate::clock::{format_date, parse_date};

pub(super) struct Rect {
    pub x: String,
    pub y: String,
    pub w: String,
    pub h: String,
    pub class: &'static str,
    pub title: String,
}

pub(super) struct Label {
    pub x: String,
    pub y: String,
    pub text: String,
    pub anchor: &'static str,
}

pub(super) struct Line {
    pub x1: String,
    pub y1: String,
    pub x2: String,
    pub y2: String,
}

pub(super) struct Path {
    pub d: String,
    pub class: &'static str,
}

pub(super) struct Chart {
    pub title: String,
    pub width: u32,
    pub height: u32,
    pub rects: Vec<Rect>,
    pub labels: Vec<Label>,
    pub lines: Vec<Line>,
    pub paths: Vec<Path>,
    /// (CSS class of the swatch, meaning).
    pub legend: Vec<(&'static str, String)>,
}

fn n(v: f64) -> String {
    format!("{v:.1}")
}

fn rect(x: f64, y: f64, w: f64, h: f64, class: &'static str, title: String) -> Rect {
    Rect {
        x: n(x),
        y: n(y),
        w: n(w),
        h: n(h),
        class,
        title,
    }
}

fn label(x: f64, y: f64, text: impl Into<String>, anchor: &'static str) -> Label {
    Label {
        x: n(x),
        y: n(y),
        text: text.into(),
        anchor,
    }
}

fn line(x1: f64, y1: f64, x2: f64, y2: f64) -> Line {
    Line {
        x1: n(x1),
        y1: n(y1),
        x2: n(x2),
        y2: n(y2),
    }
}

fn chart(title: String, width: u32, height: u32) -> Chart {
    Chart {
        title,
        width,
        height,
        rects: Vec::new(),
        labels: Vec::new(),
        lines: Vec::new(),
        paths: Vec::new(),
        legend: Vec::new(),
    }
}

/// A calendar of the period: one column per week, one row per weekday.
pub(super) fn calendar(r: &QuarterReport, c: &Coverage) -> Chart {
    let (Ok(start), Ok(as_of)) = (parse_date(&r.period.start), parse_date(&r.period.as_of)) else {
        return chart(String::new(), 10, 10);
    };
    let scanned: BTreeSet<&str> = c.scanned_days.iter().map(String::as_str).collect();
    let in_gap = |d: &str| {
        c.gaps
            .iter()
            .any(|g| g.from.as_str() <= d && d <= g.to.as_str())
    };
    let (left, top, size) = (40.0, 28.0, 16.0);
    let monday = if start.weekday() == Weekday::Monday {
        start
    } else {
        start.prev_occurrence(Weekday::Monday)
    };
    let weeks = ((as_of - monday).whole_days() / 7 + 1) as f64;
    let mut ch = chart(
        format!("Scan calendar of {} (UTC days)", c.lockfile),
        (left + weeks * size + 20.0) as u32,
        (top + 7.0 * size + 14.0) as u32,
    );
    for (i, name) in ["Mon", "Wed", "Fri", "Sun"].iter().enumerate() {
        ch.labels.push(label(
            left - 6.0,
            top + (i as f64 * 2.0) * size + 12.0,
            *name,
            "end",
        ));
    }
    let mut day: Option<Date> = Some(start);
    while let Some(d) = day.filter(|d| *d <= as_of) {
        let col = ((d - monday).whole_days() / 7) as f64;
        let row = f64::from(d.weekday().number_days_from_monday());
        let text = format_date(d);
        let class = if scanned.contains(text.as_str()) {
            "cal-scan"
        } else if in_gap(&text) || c.missed_days.contains(&text) {
            "cal-miss"
        } else {
            "cal-none"
        };
        let meaning = match class {
            "cal-scan" => "scanned",
            "cal-miss" => "missed",
            _ => "no scan expected or covered by its window",
        };
        if d.day() == 1 || d == start {
            ch.labels.push(label(
                left + col * size,
                top - 8.0,
                format!("{}", d.month()),
                "start",
            ));
        }
        ch.rects.push(rect(
            left + col * size,
            top + row * size,
            size - 2.0,
            size - 2.0,
            class,
            format!("{text}: {meaning}"),
        ));
        day = d.next_day();
    }
    ch.legend = vec![
        ("cal-scan", "scanned".into()),
        ("cal-miss", "missed scan".into()),
        ("cal-none", "not expected".into()),
    ];
    ch
}

const OUTCOMES: [(&str, &str); 5] = [
    ("sla-met", "closed within SLA"),
    ("sla-late", "closed late"),
    ("sla-pending", "open within SLA"),
    ("sla-overdue", "open overdue"),
    ("sla-excepted", "excepted"),
];

/// Stacked bars: SLA outcome counts per severity.
pub(super) fn sla(r: &QuarterReport) -> Chart {
    let (left, top, row, width) = (110.0, 10.0, 24.0, 560.0);
    let max = r
        .sla
        .iter()
        .map(|s| {
            s.closed_within_sla + s.closed_late + s.open_within_sla + s.open_overdue + s.excepted
        })
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let height = top + row * r.sla.len() as f64 + 40.0;
    let mut ch = chart(
        "SLA outcome by severity (number of findings)".into(),
        (left + width + 30.0) as u32,
        height as u32,
    );
    let scale = |v: f64| width * v / max;
    for (i, s) in r.sla.iter().enumerate() {
        let y = top + row * i as f64;
        ch.labels
            .push(label(left - 6.0, y + 15.0, s.severity.as_str(), "end"));
        let mut x = left;
        for ((class, meaning), count) in OUTCOMES.iter().zip([
            s.closed_within_sla,
            s.closed_late,
            s.open_within_sla,
            s.open_overdue,
            s.excepted,
        ]) {
            if count > 0 {
                let w = scale(count as f64);
                ch.rects.push(rect(
                    x,
                    y + 2.0,
                    w,
                    row - 6.0,
                    class,
                    format!("{}: {count} {meaning}", s.severity),
                ));
                x += w;
            }
        }
    }
    let axis_y = top + row * r.sla.len() as f64;
    ch.lines.push(line(left, axis_y, left + width, axis_y));
    ch.lines.push(line(left, top, left, axis_y));
    for v in [0, max as usize / 2, max as usize] {
        ch.labels.push(label(
            left + scale(v as f64),
            axis_y + 14.0,
            v.to_string(),
            "middle",
        ));
    }
    ch.labels.push(label(
        left + width / 2.0,
        axis_y + 30.0,
        "findings",
        "middle",
    ));
    ch.legend = OUTCOMES.iter().map(|(c, m)| (*c, m.to_string())).collect();
    ch
}

/// Open vulnerabilities and informational findings per day; days without a scan shaded.
pub(super) fn ageing(r: &QuarterReport) -> Chart {
    let (w, h, left, bottom, top) = (900.0, 230.0, 46.0, 40.0, 10.0);
    let days = r.open_by_day.len().max(1);
    let max = r
        .open_by_day
        .iter()
        .map(|d| d.vulnerabilities.max(d.informational))
        .max()
        .unwrap_or(0)
        .max(1);
    let x = |i: usize| left + (w - left - 10.0) * i as f64 / days as f64;
    let y = |v: usize| top + (h - top - bottom) * (1.0 - v as f64 / max as f64);
    let mut ch = chart(
        "Open findings per day over the quarter".into(),
        w as u32,
        h as u32,
    );
    for (i, d) in r.open_by_day.iter().enumerate() {
        if !d.scanned {
            ch.rects.push(rect(
                x(i),
                top,
                x(i + 1) - x(i),
                h - top - bottom,
                "gap",
                format!("{}: no scan", d.day),
            ));
        }
    }
    for (class, pick) in [("line-vuln", 0), ("line-info", 1)] {
        let mut d = String::new();
        for (i, day) in r.open_by_day.iter().enumerate() {
            let v = if pick == 0 {
                day.vulnerabilities
            } else {
                day.informational
            };
            d.push_str(&format!(
                "{}{},{} L{},{} ",
                if i == 0 { "M" } else { "L" },
                n(x(i)),
                n(y(v)),
                n(x(i + 1)),
                n(y(v))
            ));
        }
        ch.paths.push(Path {
            d: d.trim_end().to_string(),
            class,
        });
    }
    ch.lines.push(line(left, h - bottom, w - 10.0, h - bottom));
    ch.lines.push(line(left, top, left, h - bottom));
    for v in [0, max / 2, max] {
        ch.labels
            .push(label(left - 6.0, y(v) + 4.0, v.to_string(), "end"));
    }
    for (i, d) in r.open_by_day.iter().enumerate() {
        if d.day.ends_with("-01") || i == 0 {
            ch.labels.push(label(
                x(i),
                h - bottom + 14.0,
                // `MM-DD` of the `YYYY-MM-DD` the report wrote.
                crate::text::slice(&d.day, 5..).to_string(),
                "start",
            ));
        }
    }
    ch.labels.push(label(
        12.0,
        top + (h - top - bottom) / 2.0,
        "open",
        "middle",
    ));
    ch.labels.push(label(
        left + (w - left) / 2.0,
        h - 8.0,
        "day of the quarter (UTC)",
        "middle",
    ));
    ch.legend = vec![
        ("line-vuln", "vulnerabilities".into()),
        (
            "line-info",
            "informational (unmaintained, unsound, notice, yanked)".into(),
        ),
        ("gap", "no scan that day".into()),
    ];
    ch
}
