//! `[scope]`: which tenant and project every run belongs to.

use serde::Deserialize;
use toml::Spanned;

use super::Problems;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopePolicy {
    pub tenant_id: Option<String>,
    pub project_id: Option<String>,
    /// Refuse runs that have no tenant and project.
    pub required: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScope {
    tenant_id: Option<Spanned<String>>,
    project_id: Option<Spanned<String>>,
    required: Option<bool>,
}

/// A tenant or project id: 1-64 characters of `A-Z a-z 0-9 . _ -`, starting alphanumeric.
pub fn is_valid_scope_id(id: &str) -> bool {
    let mut chars = id.chars();
    id.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

impl RawScope {
    pub(super) fn validate(self, problems: &mut Problems<'_>) -> ScopePolicy {
        let mut check = |field: &str, value: Option<Spanned<String>>| {
            let value = value?;
            if is_valid_scope_id(value.get_ref()) {
                Some(value.into_inner())
            } else {
                problems.at(
                    value.span(),
                    format!(
                        "scope.{field}: `{}` is not a valid id (1-64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit)",
                        value.get_ref()
                    ),
                );
                None
            }
        };
        let tenant_id = check("tenant_id", self.tenant_id);
        let project_id = check("project_id", self.project_id);
        ScopePolicy {
            tenant_id,
            project_id,
            required: self.required.unwrap_or(false),
        }
    }
}
