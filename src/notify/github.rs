//! The `github:OWNER/REPO` sink: one issue per finding, kept in step with the findings.
//!
//! The issue body starts with `<!-- chainwarden:finding=ID -->` and
//! `<!-- chainwarden:status=STATUS -->`; listing the repository's `chainwarden` issues finds them
//! again, so a rerun creates nothing twice. A status change is a comment (and the status marker
//! is updated, so it is said once); an open issue of this scope whose finding is gone is closed
//! with a comment; a closed one whose finding is back is reopened.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use super::deliver::{self, Budget, Call};
use super::{Batch, Delivery, DeliveryOutcome, Notice};
use crate::audit::model::FindingStatus;
use crate::error::{Error, Result};
use crate::net::{Cause, HttpRequest, NetError, Network};

const MARKER: &str = "<!-- chainwarden:finding=";
const STATUS: &str = "<!-- chainwarden:status=";
const LABEL: &str = "chainwarden";
/// Pages of 100 issues read at most (10,000 issues).
const MAX_PAGES: u32 = 100;

struct Issue {
    number: u64,
    open: bool,
    body: String,
    finding: String,
    status: String,
}

struct Api<'a> {
    net: &'a Network,
    budget: &'a Budget,
    base: String,
    auth: String,
}

impl Api<'_> {
    fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        idempotent: bool,
    ) -> Result<Value> {
        let url = format!("{}{path}", self.base);
        let headers = [
            ("authorization", self.auth.as_str()),
            ("accept", "application/vnd.github+json"),
            ("x-github-api-version", "2022-11-28"),
            ("content-type", "application/json"),
        ];
        let response = deliver::send(
            self.net,
            self.budget,
            &Call {
                request: HttpRequest {
                    method,
                    url: &url,
                    headers: &headers,
                    sensitive: &["authorization"],
                    body: body.map(|b| b.to_string().into_bytes()),
                },
                idempotent,
            },
        )?;
        crate::json::parse(&response.body)
            .map_err(|e| transfer(&url, format!("{method}: response is not JSON: {e}")))
    }
}

pub(super) fn deliver(
    net: &Network,
    budget: &Budget,
    config: &super::NotifyConfig,
    owner: &str,
    repo: &str,
    batch: &Batch,
    out: &mut Vec<Delivery>,
) -> Result<()> {
    let token = config
        .github_token
        .as_deref()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::usage("GITHUB_TOKEN is not set".into()))?;
    let base = config
        .github_api_url
        .clone()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| "https://api.github.com".into());
    crate::net::check_url(&base)?;
    let api = Api {
        net,
        budget,
        base: format!("{}/repos/{owner}/{repo}", base.trim_end_matches('/')),
        auth: format!("Bearer {token}"),
    };
    let sink = format!("github:{owner}/{repo}");
    let issues = list(&api)?;
    budget.take_attempts();
    let mut current = BTreeSet::new();
    for notice in &batch.findings {
        current.insert(notice.id.as_str());
        let existing = issues.iter().find(|i| i.finding == notice.id);
        let result = sync_one(&api, existing, notice, batch);
        out.push(outcome(&sink, &notice.id, result, budget.take_attempts()));
    }
    let scope_prefix = format!("{}:", batch.scope);
    for issue in &issues {
        if issue.open
            && issue.finding.starts_with(&scope_prefix)
            && !current.contains(issue.finding.as_str())
        {
            let result =
                close(&api, issue, batch).map(|()| (DeliveryOutcome::Closed, Some(issue.number)));
            out.push(outcome(
                &sink,
                &issue.finding,
                result,
                budget.take_attempts(),
            ));
        }
    }
    Ok(())
}

fn outcome(
    sink: &str,
    finding: &str,
    result: Result<(DeliveryOutcome, Option<u64>)>,
    attempts: u32,
) -> Delivery {
    let (outcome, number) = match result {
        Ok((what, number)) => (what, number),
        Err(e) => (DeliveryOutcome::Failed(e.to_string()), None),
    };
    Delivery {
        sink: sink.to_string(),
        finding: finding.to_string(),
        outcome,
        external_id: number.map(|n| format!("#{n}")),
        attempts,
    }
}

/// Every issue of the repository labelled `chainwarden` that carries our marker.
fn list(api: &Api<'_>) -> Result<Vec<Issue>> {
    let mut issues = Vec::new();
    for page in 1..=MAX_PAGES {
        let path = format!("/issues?state=all&labels={LABEL}&per_page=100&page={page}");
        let value = api.call("GET", &path, None, true)?;
        let items = value
            .as_array()
            .ok_or_else(|| transfer(&path, "GET: expected a JSON array".into()))?;
        for item in items {
            if item.get("pull_request").is_some() {
                continue;
            }
            let (Some(number), Some(state)) = (
                item.get("number").and_then(Value::as_u64),
                item.get("state").and_then(Value::as_str),
            ) else {
                continue;
            };
            let body = item.get("body").and_then(Value::as_str).unwrap_or("");
            let Some(finding) = marker(body, MARKER) else {
                continue;
            };
            issues.push(Issue {
                number,
                open: state == "open",
                finding,
                status: marker(body, STATUS).unwrap_or_default(),
                body: body.to_string(),
            });
        }
        if items.len() < 100 {
            return Ok(issues);
        }
    }
    Err(transfer(
        &api.base,
        format!(
            "more than {} issues labelled `{LABEL}`: refusing to guess which exist",
            MAX_PAGES * 100
        ),
    ))
}

fn transfer(url: &str, detail: String) -> Error {
    Error::Network(NetError::new(url, Cause::Transfer(detail)))
}

/// The value of the first `<!-- chainwarden:NAME=VALUE -->` marker of `body`.
fn marker(body: &str, prefix: &str) -> Option<String> {
    let (_, after) = body.split_once(prefix)?;
    let (value, _) = after.split_once(" -->")?;
    Some(value.to_string())
}

fn sync_one(
    api: &Api<'_>,
    existing: Option<&Issue>,
    notice: &Notice,
    batch: &Batch,
) -> Result<(DeliveryOutcome, Option<u64>)> {
    let Some(issue) = existing else {
        if notice.status == FindingStatus::Ignored {
            return Ok((DeliveryOutcome::NotOpened, None));
        }
        let created = api.call(
            "POST",
            "/issues",
            Some(json!({
                "title": title(notice, &batch.scope),
                "body": body(notice, batch),
                "labels": labels(notice),
            })),
            false,
        )?;
        return Ok((
            DeliveryOutcome::Created,
            created.get("number").and_then(Value::as_u64),
        ));
    };
    let n = issue.number;
    if !issue.open {
        if notice.status == FindingStatus::Ignored {
            return Ok((DeliveryOutcome::Unchanged, Some(n)));
        }
        let why = format!(
            "Found again in `{}` at {}: reopening.",
            clean(&batch.lockfile),
            batch.time
        );
        update(api, issue, notice.status, &why, Some("open"))?;
        return Ok((DeliveryOutcome::Reopened, Some(n)));
    }
    // The marker's text is the issue's (anyone may edit it): read, never trusted as ours.
    if FindingStatus::parse(&issue.status) == Some(notice.status) {
        return Ok((DeliveryOutcome::Unchanged, Some(n)));
    }
    let why = format!(
        "Status changed from `{}` to `{}` at {}.",
        clean(&issue.status),
        notice.status.as_str(),
        batch.time
    );
    update(api, issue, notice.status, &why, None)?;
    Ok((DeliveryOutcome::Commented, Some(n)))
}

/// Says why in a comment, then writes `status` into the issue's status marker (so the change
/// is said once) and, when given, sets its `state`.
fn update(
    api: &Api<'_>,
    issue: &Issue,
    status: FindingStatus,
    why: &str,
    state: Option<&str>,
) -> Result<()> {
    comment(api, issue.number, why)?;
    let body = issue.body.replace(
        &status_marker(&issue.status),
        &status_marker(status.as_str()),
    );
    let mut patch = json!({ "body": body });
    if let Some(state) = state {
        patch["state"] = json!(state);
    }
    api.call(
        "PATCH",
        &format!("/issues/{}", issue.number),
        Some(patch),
        true,
    )?;
    Ok(())
}

fn close(api: &Api<'_>, issue: &Issue, batch: &Batch) -> Result<()> {
    comment(
        api,
        issue.number,
        &format!(
            "Fixed: no longer found in `{}` at {}.",
            clean(&batch.lockfile),
            batch.time
        ),
    )?;
    api.call(
        "PATCH",
        &format!("/issues/{}", issue.number),
        Some(json!({"state": "closed", "state_reason": "completed"})),
        true,
    )?;
    Ok(())
}

fn comment(api: &Api<'_>, number: u64, text: &str) -> Result<()> {
    api.call(
        "POST",
        &format!("/issues/{number}/comments"),
        Some(json!({ "body": text })),
        false,
    )?;
    Ok(())
}

fn status_marker(status: &str) -> String {
    format!("{STATUS}{status} -->")
}

fn title(n: &Notice, scope: &str) -> String {
    clean(&format!(
        "{}: {} {} ({}) in {scope}",
        n.advisory_id,
        n.package,
        n.version,
        n.kind.as_str()
    ))
}

fn labels(n: &Notice) -> Vec<String> {
    let mut labels = vec![
        LABEL.to_string(),
        "security".to_string(),
        n.kind.as_str().to_string(),
    ];
    if let Some(s) = n.severity {
        labels.push(format!("severity:{}", s.as_str()));
    }
    labels
}

/// The issue body (Markdown). Advisory text is cleaned so it cannot forge a marker.
pub(super) fn body(n: &Notice, batch: &Batch) -> String {
    let mut b = format!(
        "{MARKER}{} -->\n{}\n\n",
        n.id,
        status_marker(n.status.as_str())
    );
    b.push_str(&format!(
        "### {} {}\n\n",
        clean(&n.advisory_id),
        clean(&n.title)
    ));
    let severity = match (n.severity, n.cvss_score) {
        (Some(s), Some(score)) => format!("{} ({score:.1})", s.as_str()),
        (Some(s), None) => s.as_str().to_string(),
        _ => "unscored".to_string(),
    };
    let rows = [
        (
            "Crate",
            format!("`{} {}`", clean(&n.package), clean(&n.version)),
        ),
        ("Kind", n.kind.as_str().to_string()),
        ("Severity", severity),
        ("Scope", format!("`{}`", clean(&batch.scope))),
        ("Lockfile", format!("`{}`", clean(&batch.lockfile))),
        (
            "Fix",
            n.fix
                .as_deref()
                .map(clean)
                .unwrap_or_else(|| "no patched version: remove or replace the crate".into()),
        ),
        (
            "Deadline",
            format!(
                "{} ({} days from first detection, by the policy's `[deadlines]`)",
                n.deadline, n.deadline_days
            ),
        ),
        (
            "Reference",
            n.url.as_deref().map(clean).unwrap_or_else(|| "-".into()),
        ),
        ("Advisory", advisory_link(&n.advisory_id)),
        ("Detected", batch.time.clone()),
    ];
    b.push_str("| | |\n|---|---|\n");
    for (k, v) in rows {
        b.push_str(&format!("| {k} | {} |\n", v.replace('|', "\\|")));
    }
    if !n.paths.is_empty() {
        b.push_str("\n**Dependency paths**\n\n");
        for p in n.paths.iter().take(20) {
            b.push_str(&format!("- `{}`\n", clean(&p.join(" → "))));
        }
        if n.paths.len() > 20 {
            b.push_str(&format!("- … and {} more\n", n.paths.len() - 20));
        }
    }
    b.push_str("\n_Opened by chainwarden; closed automatically when the finding is gone._\n");
    b
}

/// The RustSec page of an advisory (ids are checked, so the link cannot point elsewhere).
fn advisory_link(id: &str) -> String {
    let valid = id.strip_prefix("RUSTSEC-").is_some_and(|rest| {
        rest.len() == 9 && rest.chars().all(|c| c.is_ascii_digit() || c == '-')
    });
    if valid {
        format!("https://rustsec.org/advisories/{id}")
    } else {
        clean(id)
    }
}

/// One line, no control characters, no `<` (no HTML, no fake marker), no backticks.
fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '<' => '‹',
            '>' => '›',
            '`' => '\'',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue bodies are anyone's text: a marker is found, and its value taken whole, whatever
    /// characters surround it.
    #[test]
    fn markers_are_read_from_hostile_bodies_without_splitting_a_character() {
        let body = "é€<!-- chainwarden:finding=acme/web:vulnerability:R€:é@1 -->ü\n\
                    <!-- chainwarden:status=open -->";
        assert_eq!(
            marker(body, MARKER).as_deref(),
            Some("acme/web:vulnerability:R€:é@1")
        );
        assert_eq!(marker(body, STATUS).as_deref(), Some("open"));
        assert_eq!(
            marker("€<!-- chainwarden:status=é", STATUS),
            None,
            "unclosed"
        );
        assert_eq!(marker("no marker €", MARKER), None);
    }
}
