//! What a stored run is and where it came from. Both are stored as text in every backend and
//! covered by the run's record hash, so each word below is a stored format: a word is never
//! renamed. A stored word that does not parse is no run chainwarden wrote, and does not verify.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::named::named_enum;

named_enum! {
    /// The command a run recorded. A watch run's content is the audit of a recorded inventory
    /// against a newer advisory database (no checkout): it counts for detection, not as a scan
    /// of the lockfile.
    RunKind {
        Audit => "audit",
        Watch => "watch",
        Verify => "verify",
    }
}

impl RunKind {
    /// Whether the run's payload is an audit report (an audit's or a watch's).
    pub fn is_audit(self) -> bool {
        matches!(self, RunKind::Audit | RunKind::Watch)
    }
}

/// How a run reached the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Recorded by the command that ran.
    Recorded,
    /// Imported from an export line signed by this principal of `--trusted-signers`.
    Signed(String),
    /// Imported from an unsigned export line (`--allow-unsigned`).
    Unsigned,
}

const SIGNED: &str = "imported (signed by ";

impl Origin {
    /// The origin whose text is `text` (`recorded`, `imported (signed by WHO)`, `imported
    /// (unsigned)`).
    pub fn parse(text: &str) -> Option<Origin> {
        match text {
            "recorded" => Some(Origin::Recorded),
            "imported (unsigned)" => Some(Origin::Unsigned),
            _ => text
                .strip_prefix(SIGNED)
                .and_then(|who| who.strip_suffix(')'))
                .map(|who| Origin::Signed(who.to_string())),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Recorded => f.write_str("recorded"),
            Origin::Signed(who) => write!(f, "{SIGNED}{who})"),
            Origin::Unsigned => f.write_str("imported (unsigned)"),
        }
    }
}

/// As its text: the report's `origin` stays the string it always was.
impl Serialize for Origin {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words are stored and hashed: each is pinned, and each parses back to itself.
    #[test]
    fn kinds_and_origins_keep_their_stored_words() {
        let kinds: Vec<&str> = RunKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(kinds, ["audit", "watch", "verify"]);
        for k in RunKind::ALL {
            assert_eq!(RunKind::parse(k.as_str()), Some(*k));
        }
        assert_eq!(RunKind::parse("Audit"), None);
        for (origin, word) in [
            (Origin::Recorded, "recorded"),
            (Origin::Unsigned, "imported (unsigned)"),
            (
                Origin::Signed("auditor@acme".into()),
                "imported (signed by auditor@acme)",
            ),
            // A principal may hold a parenthesis: only the last one closes the text.
            (
                Origin::Signed("ci (prod)".into()),
                "imported (signed by ci (prod))",
            ),
        ] {
            assert_eq!(origin.to_string(), word);
            assert_eq!(serde_json::to_value(&origin).unwrap(), word);
            assert_eq!(Origin::parse(word), Some(origin));
        }
        for unknown in ["", "Recorded", "imported", "imported (signed by x"] {
            assert_eq!(Origin::parse(unknown), None, "{unknown}");
        }
    }
}
