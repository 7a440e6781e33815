//! Renderers for [`SecretsReport`], named as every capability's (`crate::audit::render`): a
//! module per format with `render`, and one `render(report, format)`; JSON is the model.

mod human;
mod sarif;

use super::SecretsReport;

/// The `--format` of `chainwarden secrets scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SecretsFormat {
    Human,
    Json,
    Sarif,
}

pub fn render(r: &SecretsReport, format: SecretsFormat) -> String {
    match format {
        SecretsFormat::Human => human::render(r),
        SecretsFormat::Json => crate::json::document(r),
        SecretsFormat::Sarif => sarif::render(r),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::secrets::{SecretFinding, SCHEMA_VERSION};

    fn finding(rule: &str, commit: Option<&str>) -> SecretFinding {
        SecretFinding {
            code: format!("secrets:{rule}"),
            rule: rule.into(),
            path: "config/deploy.yml".into(),
            line: 2,
            column: 17,
            commit: commit.map(str::to_string),
            preview: format!("GITHUB_TOKEN: [REDACTED:{rule}]"),
            fingerprint: "0123456789abcdef0123456789abcdef".into(),
        }
    }

    fn report(findings: Vec<SecretFinding>) -> SecretsReport {
        SecretsReport {
            schema_version: SCHEMA_VERSION,
            files_scanned: 3,
            commits_scanned: 1,
            findings,
            allowlisted: 2,
        }
    }

    #[test]
    fn human_names_place_commit_and_fingerprint_then_the_verdict() {
        let commit = "a".repeat(40);
        let r = report(vec![finding("github-token", Some(&commit))]);
        let text = anstream::adapter::strip_str(&render(&r, SecretsFormat::Human)).to_string();
        assert_eq!(
            text,
            format!(
                "secret[github-token] config/deploy.yml:2:17 (commit {}) fingerprint 0123456789abcdef0123456789abcdef\n    GITHUB_TOKEN: [REDACTED:github-token]\nSECRETS FOUND: 1 finding(s) in 3 file(s) and 1 commit(s); 2 allowlisted\n",
                "a".repeat(12)
            )
        );
        let clean =
            anstream::adapter::strip_str(&render(&report(Vec::new()), SecretsFormat::Human))
                .to_string();
        assert_eq!(
            clean,
            "clean: 0 finding(s) in 3 file(s) and 1 commit(s); 2 allowlisted\n"
        );
    }

    #[test]
    fn sarif_points_every_result_at_its_rule_even_one_the_table_lacks() {
        let r = report(vec![
            finding("dotenv-file", None),
            finding("not-a-known-rule", None),
            finding("github-token", None),
        ]);
        let v: Value = serde_json::from_str(&render(&r, SecretsFormat::Sarif)).unwrap();
        let run = &v["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        for result in run["results"].as_array().unwrap() {
            let rule = &rules[result["ruleIndex"].as_u64().unwrap() as usize];
            assert_eq!(rule["id"], result["ruleId"]);
            assert_eq!(
                result["partialFingerprints"]["chainwarden/v1"],
                "0123456789abcdef0123456789abcdef"
            );
            let region = &result["locations"][0]["physicalLocation"]["region"];
            assert_eq!(
                (region["startLine"].as_u64(), region["startColumn"].as_u64()),
                (Some(2), Some(17))
            );
        }
        assert_eq!(rules.last().unwrap()["id"], "secrets:not-a-known-rule");
        let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "{ids:?}");
    }

    #[test]
    fn json_is_the_model() {
        let r = report(vec![finding("github-token", None)]);
        let v: Value = serde_json::from_str(&render(&r, SecretsFormat::Json)).unwrap();
        assert_eq!(v, serde_json::to_value(&r).unwrap());
    }
}
