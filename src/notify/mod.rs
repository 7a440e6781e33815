//! Notifications: tell people about findings instead of leaving a red job nobody opens.
//!
//! Sinks: `github:OWNER/REPO` keeps one issue per finding (found again through a hidden marker
//! in its body, so reruns never duplicate), comments when its status changes and closes it when
//! the finding is gone; `webhook:URL` POSTs one JSON document (or Slack-compatible text) signed
//! with HMAC-SHA256. Every request goes through [`crate::net`] via [`deliver`], which retries
//! 5xx and rate limits within a bounded time. A sink that fails does not stop the others; the
//! caller turns any failure into exit code 2.

mod deliver;
mod github;
mod webhook;

use serde::Serialize;

use crate::audit::baseline::BaselineState;
use crate::audit::model::{AuditReport, Finding, FindingKind, FindingStatus, Severity};
use crate::clock::format_date;
use crate::error::{Error, Result};
use crate::net::Network;
use crate::policy::Deadlines;

/// Stored with every delivery, so it lives with the evidence store.
pub use crate::evidence::outcome::DeliveryOutcome;
pub use deliver::{Budget, DEFAULT_BUDGET};

/// What delivering needs besides the sinks: the HTTP settings, each sink's time budget, and
/// the credentials. Given by the caller (the CLI reads them from its environment); this module
/// reads no environment. No `Debug`: it holds secrets.
#[derive(Clone)]
pub struct NotifyConfig {
    pub net: crate::net::NetConfig,
    /// The time one sink may take, all retries included.
    pub budget: std::time::Duration,
    /// `GITHUB_TOKEN`: required by `github:` sinks.
    pub github_token: Option<String>,
    /// `GITHUB_API_URL` (default `https://api.github.com`).
    pub github_api_url: Option<String>,
    /// `CHAINWARDEN_WEBHOOK_SECRET`: the HMAC key of `webhook:` JSON payloads.
    pub webhook_secret: Option<String>,
}

/// Where notifications go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sink {
    GitHub { owner: String, repo: String },
    Webhook { url: String },
}

impl Sink {
    /// Parses `github:OWNER/REPO` or `webhook:URL` (the URL must be https, or http on loopback).
    pub fn parse(text: &str) -> Result<Sink> {
        // A webhook URL may carry its secret: name it by scheme and host only.
        let shown = match text.strip_prefix("webhook:") {
            Some(url) => format!(
                "webhook:{}",
                reqwest::Url::parse(url)
                    .map(|u| format!("{}://{}/…", u.scheme(), u.host_str().unwrap_or("")))
                    .unwrap_or_else(|_| "…".into())
            ),
            None => text.chars().filter(|c| !c.is_control()).take(200).collect(),
        };
        let bad = |why: &str| Error::usage(format!("--notify {shown}: {why}"));
        if let Some(rest) = text.strip_prefix("github:") {
            let (owner, repo) = rest
                .split_once('/')
                .ok_or_else(|| bad("expected github:OWNER/REPO"))?;
            let valid = |s: &str| {
                !s.is_empty()
                    && s.len() <= 100
                    && s != "."
                    && s != ".."
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            };
            if !valid(owner) || !valid(repo) {
                return Err(bad(
                    "OWNER and REPO may hold only letters, digits, `-`, `_` and `.`",
                ));
            }
            return Ok(Sink::GitHub {
                owner: owner.to_string(),
                repo: repo.to_string(),
            });
        }
        if let Some(url) = text.strip_prefix("webhook:") {
            if let Err(Error::Network(e)) = crate::net::check_url(url) {
                return Err(bad(&e.cause.to_string()));
            }
            return Ok(Sink::Webhook {
                url: url.to_string(),
            });
        }
        Err(bad("expected github:OWNER/REPO or webhook:URL"))
    }

    /// How the sink is named in messages and evidence: a webhook by its host alone, since the
    /// path or query of a webhook URL is often its secret (Slack's are).
    pub fn label(&self) -> String {
        match self {
            Sink::GitHub { owner, repo } => format!("github:{owner}/{repo}"),
            Sink::Webhook { url } => {
                let shown = reqwest::Url::parse(url)
                    .map(|u| format!("{}://{}/…", u.scheme(), u.host_str().unwrap_or("")))
                    .unwrap_or_default();
                format!("webhook:{shown}")
            }
        }
    }
}

/// The body format of webhook notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum NotifyFormat {
    // The JSON document described in the README. (Plain comments: doc comments on variants
    // would switch `audit --help` to its long layout.)
    #[default]
    Json,
    // `{"text": ...}` for Slack-compatible incoming webhooks.
    Slack,
}

/// One finding as notified: the webhook payload's element and the GitHub issue's content.
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    /// Stable identity: scope, kind, advisory, package and version (the issue marker).
    pub id: String,
    pub kind: FindingKind,
    pub advisory_id: String,
    pub package: String,
    pub version: String,
    pub severity: Option<Severity>,
    pub cvss_score: Option<f64>,
    pub title: String,
    pub url: Option<String>,
    pub paths: Vec<Vec<String>>,
    pub fix: Option<String>,
    pub status: FindingStatus,
    pub fails_policy: bool,
    /// Days the policy allows to fix it, and the date that gives from this run.
    pub deadline_days: u32,
    pub deadline: String,
    /// `new` or `existing` when the audit had a baseline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_state: Option<BaselineState>,
}

/// What one run notifies: every current finding of one scope.
#[derive(Debug, Clone, Serialize)]
pub struct Batch {
    pub scope: String,
    pub time: String,
    pub lockfile: String,
    pub findings: Vec<Notice>,
    /// Ids of findings gone since the baseline (webhooks; GitHub finds them from its issues).
    pub fixed: Vec<String>,
}

impl Batch {
    pub fn from_report(report: &AuditReport, deadlines: &Deadlines) -> Batch {
        let scope = scope_key(report);
        let today = time::OffsetDateTime::parse(
            &report.time,
            &time::format_description::well_known::Rfc3339,
        )
        .map(|t| t.date())
        .ok();
        let findings: Vec<Notice> = report
            .findings
            .iter()
            .map(|f| notice(&scope, f, deadlines, today))
            .collect();
        let fixed = report
            .baseline
            .iter()
            .flat_map(|b| &b.fixed)
            .map(|f| {
                finding_id(
                    &scope,
                    &Finding::new(f.kind, &f.advisory_id, &f.package, &f.version),
                )
            })
            .collect();
        Batch {
            scope,
            time: report.time.clone(),
            lockfile: report.lockfile.path.clone(),
            findings,
            fixed,
        }
    }
}

fn notice(scope: &str, f: &Finding, deadlines: &Deadlines, today: Option<time::Date>) -> Notice {
    let days = deadlines.days_for(f.kind, f.severity);
    let deadline = today
        .and_then(|d| d.checked_add(time::Duration::days(i64::from(days))))
        .map(format_date)
        .unwrap_or_default();
    Notice {
        id: finding_id(scope, f),
        kind: f.kind,
        advisory_id: f.advisory_id.clone(),
        package: f.package.clone(),
        version: f.version.clone(),
        severity: f.severity,
        cvss_score: f.cvss_score,
        title: f.title.clone(),
        url: f.url.clone(),
        paths: f.paths.clone(),
        fix: f.fix.as_ref().map(|x| {
            let how = if x.semver_compatible {
                "semver-compatible"
            } else {
                "breaking"
            };
            format!("upgrade to {} ({how})", x.version)
        }),
        status: f.status,
        fails_policy: f.fails_policy,
        deadline_days: days,
        deadline,
        baseline_state: f.baseline_state,
    }
}

/// `TENANT/PROJECT`, with `-` for what is unset.
pub fn scope_key(report: &AuditReport) -> String {
    format!(
        "{}/{}",
        report.scope.tenant_id.as_deref().unwrap_or("-"),
        report.scope.project_id.as_deref().unwrap_or("-")
    )
}

/// `SCOPE:KIND:ADVISORY:PACKAGE@VERSION`, restricted to characters that cannot end an HTML
/// comment or break a Markdown line (the id is the hidden marker).
pub fn finding_id(scope: &str, f: &Finding) -> String {
    let raw = format!(
        "{scope}:{}:{}:{}@{}",
        f.kind.as_str(),
        f.advisory_id,
        f.package,
        f.version
    );
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._:@/+-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The result of one sink's delivery of one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub sink: String,
    /// The finding id, or `*` for a whole-batch delivery (webhooks).
    pub finding: String,
    pub outcome: DeliveryOutcome,
    /// Issue number, or the webhook's HTTP status.
    pub external_id: Option<String>,
    /// HTTP attempts it took (retries included).
    pub attempts: u32,
}

impl Delivery {
    pub fn failed(&self) -> bool {
        self.outcome.failed()
    }
}

/// Delivers `batch` to every sink; never stops at the first failure.
pub fn notify(
    sinks: &[Sink],
    batch: &Batch,
    format: NotifyFormat,
    net: &Network,
    config: &NotifyConfig,
) -> Vec<Delivery> {
    let mut all = Vec::new();
    for sink in sinks {
        let budget = Budget::new(config.budget);
        let result = match sink {
            Sink::GitHub { owner, repo } => {
                github::deliver(net, &budget, config, owner, repo, batch, &mut all)
            }
            Sink::Webhook { url } => webhook::deliver(net, &budget, config, url, batch, format)
                .map(|d| all.extend(per_finding(d, batch))),
        };
        if let Err(e) = result {
            all.push(Delivery {
                sink: sink.label(),
                finding: "*".into(),
                outcome: DeliveryOutcome::Failed(e.to_string()),
                external_id: None,
                attempts: budget.take_attempts(),
            });
        }
    }
    all
}

/// A webhook's one POST carries the whole batch: one delivery per finding it told of (and per
/// fixed one), so the evidence says when each finding was first notified.
fn per_finding(sent: Delivery, batch: &Batch) -> Vec<Delivery> {
    let ids = batch
        .findings
        .iter()
        .map(|n| (n.id.clone(), sent.outcome.clone()))
        .chain(
            batch
                .fixed
                .iter()
                .map(|id| (id.clone(), DeliveryOutcome::SentFixed)),
        );
    let mut out: Vec<Delivery> = ids
        .map(|(finding, outcome)| Delivery {
            finding,
            outcome,
            ..sent.clone()
        })
        .collect();
    if out.is_empty() {
        out.push(sent);
    }
    out
}

/// Parses every `--notify` value first, so a typo fails the run before any work (exit 2).
pub fn parse_sinks(values: &[String], offline: bool) -> Result<Vec<Sink>> {
    if offline && !values.is_empty() {
        return Err(Error::usage(
            "--notify needs the network: drop --offline".into(),
        ));
    }
    values.iter().map(|v| Sink::parse(v)).collect()
}

/// Delivers `batch` to `sinks` under `config` and reports every delivery on stderr; the
/// caller records them and turns a failed one into exit code 2.
pub fn notify_and_report(
    sinks: &[Sink],
    batch: &Batch,
    format: NotifyFormat,
    config: &NotifyConfig,
) -> Result<Vec<Delivery>> {
    if sinks.is_empty() {
        return Ok(Vec::new());
    }
    let net = Network::new(config.net.clone())?;
    let deliveries = notify(sinks, batch, format, &net, config);
    for d in &deliveries {
        crate::output::diag(&format!(
            "notify {}",
            delivery_line(&d.sink, &d.finding, &d.outcome, d.external_id.as_deref())
        ));
    }
    Ok(deliveries)
}

/// `SINK FINDING: OUTCOME (ID)`, as stderr and the watch report list a delivery.
pub fn delivery_line(
    sink: &str,
    finding: &str,
    outcome: &DeliveryOutcome,
    external_id: Option<&str>,
) -> String {
    let id = external_id.map(|id| format!(" ({id})")).unwrap_or_default();
    format!("{sink} {finding}: {outcome}{id}")
}

/// The deliveries as evidence rows (redacted there), at `time`.
pub fn evidence_rows(
    deliveries: &[Delivery],
    time: &str,
) -> Vec<crate::evidence::subscription::DeliveryRecord> {
    deliveries
        .iter()
        .map(|d| {
            crate::evidence::subscription::DeliveryRecord::new(
                &d.sink,
                &d.finding,
                advisory_of(&d.finding),
                time,
                &d.outcome,
                d.external_id.as_deref(),
                d.attempts,
            )
        })
        .collect()
}

/// The advisory id of a finding id (`SCOPE:KIND:ADVISORY:PACKAGE@VERSION`; no part before
/// the advisory holds a `:`).
pub fn advisory_of(finding_id: &str) -> Option<&str> {
    finding_id.split(':').nth(2).filter(|a| !a.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sinks_parse_strictly_and_never_echo_a_webhook_path() {
        assert_eq!(
            Sink::parse("github:acme/web.rs").unwrap(),
            Sink::GitHub {
                owner: "acme".into(),
                repo: "web.rs".into()
            }
        );
        for bad in [
            "github:acme",
            "github:acme/../x",
            "github:a/b/c",
            "github:/x",
            "slack:x",
        ] {
            assert!(Sink::parse(bad).is_err(), "{bad}");
        }
        let e = Sink::parse("webhook:http://hooks.example.org/T000/SECRETPATH")
            .unwrap_err()
            .to_string();
        assert!(e.contains("plain http") && !e.contains("SECRETPATH"), "{e}");
        let ok = Sink::parse("webhook:https://hooks.example.org/T000/SECRETPATH").unwrap();
        assert_eq!(ok.label(), "webhook:https://hooks.example.org/…");
    }
}
