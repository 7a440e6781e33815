//! `[checksums]`: what `chainwarden verify checksums` does with files the manifest does not list.

use serde::Deserialize;
use toml::Spanned;

use super::Problems;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecksumsPolicy {
    /// Files in the release directory that the manifest does not list fail the verification.
    pub fail_unlisted: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawChecksums {
    unlisted: Option<Spanned<String>>,
}

impl RawChecksums {
    pub(super) fn validate(self, problems: &mut Problems<'_>) -> ChecksumsPolicy {
        let fail_unlisted = match self.unlisted {
            None => false,
            Some(v) => match v.get_ref().as_str() {
                "fail" => true,
                "warn" => false,
                other => {
                    problems.at(
                        v.span(),
                        format!("checksums.unlisted: `{other}` is not one of fail, warn"),
                    );
                    false
                }
            },
        };
        ChecksumsPolicy { fail_unlisted }
    }
}
