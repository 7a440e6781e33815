//! The `webhook:URL` sink: one POST per run with every finding of the batch (receivers key on
//! each finding's `id`), signed with HMAC-SHA256 over the exact body bytes:
//! `X-Chainwarden-Signature: sha256=HEX`, key from `CHAINWARDEN_WEBHOOK_SECRET`. The JSON
//! format refuses to send unsigned; the Slack format signs when a secret is set (Slack's own
//! incoming webhooks authenticate by their secret URL).

use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use super::deliver::{self, Budget, Call};
use super::{Batch, Delivery, DeliveryOutcome, NotifyFormat};
use crate::error::{Error, Result};
use crate::net::{HttpRequest, Network};

/// Bumped on an incompatible change of the JSON payload.
pub(super) const PAYLOAD_VERSION: u32 = 1;

pub(super) fn deliver(
    net: &Network,
    budget: &Budget,
    config: &super::NotifyConfig,
    url: &str,
    batch: &Batch,
    format: NotifyFormat,
) -> Result<Delivery> {
    let hmac_key = config.webhook_secret.as_deref().filter(|s| !s.is_empty());
    if hmac_key.is_none() && format == NotifyFormat::Json {
        return Err(Error::usage(
            "CHAINWARDEN_WEBHOOK_SECRET is not set: webhook notifications are signed".into(),
        ));
    }
    let body = match format {
        NotifyFormat::Json => json!({
            "payload_version": PAYLOAD_VERSION,
            "event": "chainwarden.findings",
            "batch": batch,
        })
        .to_string(),
        NotifyFormat::Slack => json!({ "text": slack_text(batch) }).to_string(),
    };
    let signature = hmac_key.map(|s| format!("sha256={}", sign(s.as_bytes(), body.as_bytes())));
    let mut headers = vec![("content-type", "application/json")];
    if let Some(sig) = &signature {
        headers.push(("x-chainwarden-signature", sig.as_str()));
    }
    let label = super::Sink::Webhook { url: url.into() }.label();
    let response = deliver::send(
        net,
        budget,
        &Call {
            request: HttpRequest {
                method: "POST",
                url,
                headers: &headers,
                sensitive: &[],
                body: Some(body.into_bytes()),
            },
            idempotent: false,
        },
    )
    .map_err(|e| match e {
        // The URL itself may be the secret: errors name the sink as its label does.
        Error::Network(mut n) => {
            n.url = label.clone();
            Error::Network(n)
        }
        other => other,
    })?;
    Ok(Delivery {
        sink: label,
        finding: "*".into(),
        outcome: DeliveryOutcome::Sent,
        external_id: Some(response.status.to_string()),
        attempts: budget.take_attempts(),
    })
}

/// Lower-case hex HMAC-SHA256 of `body` under `key`.
pub(super) fn sign(key: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Slack mrkdwn: one line per finding, then what was fixed. Slack escapes `&`, `<`, `>`.
fn slack_text(batch: &Batch) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut text = format!(
        "*chainwarden*: {} finding(s) in `{}` ({})\n",
        batch.findings.len(),
        esc(&batch.scope),
        esc(&batch.lockfile)
    );
    for n in &batch.findings {
        let sev = n.severity.map(|s| s.as_str()).unwrap_or("unscored");
        let state = n
            .baseline_state
            .map(|s| format!(" [{}]", s.as_str()))
            .unwrap_or_default();
        text.push_str(&format!(
            "• {} `{} {}` ({}, {sev}){state}: {}; fix by {}\n",
            esc(&n.advisory_id),
            esc(&n.package),
            esc(&n.version),
            n.kind.as_str(),
            esc(&n.title),
            n.deadline
        ));
    }
    for id in &batch.fixed {
        text.push_str(&format!("• fixed: {}\n", esc(id)));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_rfc_4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
