//! What one delivery of a notification did. Sinks report it typed; its text (`created`,
//! `sent (fixed)`, `failed: why`, ...) is what stderr, the watch report and the evidence store
//! show, so the words below are a stored format: a word is never renamed, and a stored text
//! that does not parse is no delivery chainwarden recorded. It lives here, below `notify`,
//! because the store keeps it (`notify::DeliveryOutcome` names it too).

use std::fmt;

use serde::{Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// GitHub: an issue was opened for the finding.
    Created,
    /// GitHub: the finding's status changed, said once in a comment.
    Commented,
    /// GitHub: the finding is gone; its issue was closed with a comment.
    Closed,
    /// GitHub: the finding of a closed issue is back; the issue was reopened.
    Reopened,
    /// GitHub: the issue already says what there is to say.
    Unchanged,
    /// GitHub: no issue is opened for a finding the policy ignores.
    NotOpened,
    /// Webhook: the batch telling of this finding was posted.
    Sent,
    /// Webhook: the batch telling that this finding is fixed was posted.
    SentFixed,
    /// Nothing was delivered: the error's text (redacted with every output).
    Failed(String),
}

const FAILED: &str = "failed: ";

impl DeliveryOutcome {
    /// Every outcome but `Failed`, whose text is its own.
    const FIXED: [DeliveryOutcome; 8] = [
        DeliveryOutcome::Created,
        DeliveryOutcome::Commented,
        DeliveryOutcome::Closed,
        DeliveryOutcome::Reopened,
        DeliveryOutcome::Unchanged,
        DeliveryOutcome::NotOpened,
        DeliveryOutcome::Sent,
        DeliveryOutcome::SentFixed,
    ];

    pub fn failed(&self) -> bool {
        matches!(self, DeliveryOutcome::Failed(_))
    }

    /// Whether the delivery told of its finding: an issue opened, reopened, commented or
    /// already saying so, a webhook batch naming it. A closed issue or a `sent (fixed)` is
    /// about its fix; a finding the policy ignores was not told of, nor one that failed.
    pub fn told_of_finding(&self) -> bool {
        matches!(
            self,
            DeliveryOutcome::Created
                | DeliveryOutcome::Reopened
                | DeliveryOutcome::Commented
                | DeliveryOutcome::Unchanged
                | DeliveryOutcome::Sent
        )
    }

    /// The outcome whose text is `text` (the inverse of `Display`).
    pub fn parse(text: &str) -> Option<DeliveryOutcome> {
        if let Some(why) = text.strip_prefix(FAILED) {
            return Some(DeliveryOutcome::Failed(why.to_string()));
        }
        DeliveryOutcome::FIXED
            .into_iter()
            .find(|outcome| outcome.to_string() == text)
    }
}

impl fmt::Display for DeliveryOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeliveryOutcome::Created => "created",
            DeliveryOutcome::Commented => "commented",
            DeliveryOutcome::Closed => "closed",
            DeliveryOutcome::Reopened => "reopened",
            DeliveryOutcome::Unchanged => "unchanged",
            DeliveryOutcome::NotOpened => "not opened (ignored by the policy)",
            DeliveryOutcome::Sent => "sent",
            DeliveryOutcome::SentFixed => "sent (fixed)",
            DeliveryOutcome::Failed(why) => return write!(f, "{FAILED}{why}"),
        })
    }
}

/// As its text: the watch report's `outcome` stays the string it always was.
impl Serialize for DeliveryOutcome {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words are stored in evidence and read by the quarterly report: each is pinned.
    #[test]
    fn outcomes_keep_their_stored_words() {
        let words = [
            (DeliveryOutcome::Created, "created"),
            (DeliveryOutcome::Commented, "commented"),
            (DeliveryOutcome::Closed, "closed"),
            (DeliveryOutcome::Reopened, "reopened"),
            (DeliveryOutcome::Unchanged, "unchanged"),
            (
                DeliveryOutcome::NotOpened,
                "not opened (ignored by the policy)",
            ),
            (DeliveryOutcome::Sent, "sent"),
            (DeliveryOutcome::SentFixed, "sent (fixed)"),
            (
                DeliveryOutcome::Failed("HTTP 502".into()),
                "failed: HTTP 502",
            ),
        ];
        for (outcome, word) in words {
            assert_eq!(outcome.to_string(), word);
            assert_eq!(serde_json::to_value(&outcome).unwrap(), word);
            assert_eq!(outcome.failed(), word.starts_with("failed"), "{word}");
            assert_eq!(DeliveryOutcome::parse(word), Some(outcome));
        }
        // A failure's text may be anything, even another outcome's word.
        assert_eq!(
            DeliveryOutcome::parse("failed: created"),
            Some(DeliveryOutcome::Failed("created".into()))
        );
        for unknown in ["", "Created", "failed", "sent(fixed)", "created "] {
            assert_eq!(DeliveryOutcome::parse(unknown), None, "{unknown:?}");
        }
    }
}
