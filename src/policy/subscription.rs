//! `[subscription]`: what the advisory subscription promises, which the quarterly report
//! holds the evidence to: how many days may pass between an advisory's publication and its
//! first detection in a scope, and which kinds of sink must be told of every new finding.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::Problems;
use crate::named::named_enum;

named_enum! {
    /// A kind of sink a policy may require (`--notify github:...`, `--notify webhook:...`).
    #[derive(PartialOrd, Ord)]
    SinkKind {
        GitHub => "github",
        Webhook => "webhook",
    }
}

impl SinkKind {
    /// The kind of a delivery's sink label (`github:OWNER/REPO`, `webhook:URL`).
    pub fn of_label(label: &str) -> Option<SinkKind> {
        label
            .split_once(':')
            .and_then(|(kind, _)| SinkKind::parse(kind))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionPolicy {
    /// Longest allowed time from an advisory's publication to its first detection in a scope
    /// (`None`: not required).
    pub max_detection_days: Option<u32>,
    /// Sink kinds every new vulnerability must be delivered to (sorted, distinct).
    pub notify: Vec<SinkKind>,
}

impl SubscriptionPolicy {
    /// Whether the policy says anything about the subscription.
    pub fn is_set(&self) -> bool {
        self.max_detection_days.is_some() || !self.notify.is_empty()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSubscription {
    max_detection_days: Option<Spanned<i64>>,
    #[serde(default)]
    notify: Vec<Spanned<String>>,
}

impl RawSubscription {
    pub(super) fn validate(self, problems: &mut Problems<'_>) -> SubscriptionPolicy {
        let max_detection_days = self.max_detection_days.and_then(|v| {
            if (0..=366).contains(v.get_ref()) {
                Some(*v.get_ref() as u32)
            } else {
                problems.at(
                    v.span(),
                    format!(
                        "subscription.max_detection_days: {} is not a number of days from 0 to 366",
                        v.get_ref()
                    ),
                );
                None
            }
        });
        let mut notify: Vec<SinkKind> = Vec::new();
        for kind in self.notify {
            let k = kind.get_ref();
            match SinkKind::parse(k) {
                None => problems.at(
                    kind.span(),
                    format!(
                        "subscription.notify: unknown sink kind `{}`, expected one of {}",
                        k.chars()
                            .filter(|c| !c.is_control())
                            .take(40)
                            .collect::<String>(),
                        SinkKind::ALL
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
                Some(s) if notify.contains(&s) => problems.at(
                    kind.span(),
                    format!("subscription.notify: `{k}` is listed twice"),
                ),
                Some(s) => notify.push(s),
            }
        }
        notify.sort();
        SubscriptionPolicy {
            max_detection_days,
            notify,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::policy::Policy;
    use std::path::Path;

    #[test]
    fn subscription_is_validated_with_positions() {
        let ok = Policy::parse(
            Path::new("p.toml"),
            "[subscription]\nmax_detection_days = 3\nnotify = [\"webhook\", \"github\"]\n",
        )
        .unwrap();
        assert_eq!(ok.subscription.max_detection_days, Some(3));
        assert_eq!(
            ok.subscription.notify,
            [super::SinkKind::GitHub, super::SinkKind::Webhook]
        );
        assert_eq!(
            super::SinkKind::of_label("webhook:https://hooks.example/x"),
            Some(super::SinkKind::Webhook)
        );
        assert_eq!(super::SinkKind::of_label("slack:x"), None);
        assert_eq!(super::SinkKind::of_label("github"), None);
        let e = Policy::parse(
            Path::new("p.toml"),
            "[subscription]\nmax_detection_days = 400\nnotify = [\"slack\", \"github\", \"github\"]\n",
        )
        .unwrap_err()
        .to_string();
        for needle in [
            "p.toml:2:22",
            "max_detection_days: 400 is not a number of days",
            "p.toml:3:11",
            "unknown sink kind `slack`",
            "`github` is listed twice",
        ] {
            assert!(e.contains(needle), "{needle} missing from {e}");
        }
        let unknown = Policy::parse(Path::new("p.toml"), "[subscription]\nmax_days = 3\n")
            .unwrap_err()
            .to_string();
        assert!(unknown.contains("p.toml:2:1"), "{unknown}");
    }
}
