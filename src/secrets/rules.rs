//! The secret rules. Each has keywords: literal substrings without which it cannot match. One
//! Aho-Corasick pass over a file finds every keyword; only lines with a keyword meet a regex.

use regex::Regex;

pub struct Rule {
    /// Stable id: finding code suffix, allowlist key, SARIF rule.
    pub id: &'static str,
    pub description: &'static str,
    pub keywords: &'static [&'static str],
    pub regex: Regex,
    /// Capture group holding the secret (0: the whole match).
    pub group: usize,
    /// Minimum Shannon entropy (bits per character) of the secret; 0 = no check.
    pub min_entropy: f64,
}

fn rule(
    id: &'static str,
    description: &'static str,
    keywords: &'static [&'static str],
    pattern: &str,
    group: usize,
    min_entropy: f64,
) -> Rule {
    Rule {
        id,
        description,
        keywords,
        regex: Regex::new(pattern).expect("built-in secret rule compiles"),
        group,
        min_entropy,
    }
}

pub fn builtin() -> Vec<Rule> {
    vec![
        rule(
            "private-key",
            "private key block",
            &["PRIVATE KEY"],
            r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?-----",
            0,
            0.0,
        ),
        rule(
            "github-token",
            "GitHub token",
            &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
            r"\b(gh[pousr]_[A-Za-z0-9]{36,255})\b",
            1,
            3.0,
        ),
        rule(
            "github-fine-grained-token",
            "GitHub fine-grained token",
            &["github_pat_"],
            r"\b(github_pat_[A-Za-z0-9_]{50,255})\b",
            1,
            3.0,
        ),
        rule(
            "gitlab-token",
            "GitLab personal access token",
            &["glpat-"],
            r"\b(glpat-[A-Za-z0-9_\-]{20,})\b",
            1,
            3.0,
        ),
        rule(
            "aws-access-key-id",
            "AWS access key id",
            &["AKIA", "ASIA"],
            r"\b((?:AKIA|ASIA)[0-9A-Z]{16})\b",
            1,
            2.5,
        ),
        rule(
            "aws-secret-access-key",
            "AWS secret access key",
            &["aws_secret", "AWS_SECRET"],
            r#"(?i)aws_secret_access_key["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{40})\b"#,
            1,
            3.5,
        ),
        rule(
            "gcp-api-key",
            "Google API key",
            &["AIza"],
            r"\b(AIza[0-9A-Za-z_\-]{35})\b",
            1,
            3.0,
        ),
        rule(
            "slack-token",
            "Slack token",
            &["xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxr-", "xoxs-"],
            r"\b(xox[abposr]-[0-9A-Za-z\-]{10,})\b",
            1,
            3.0,
        ),
        rule(
            "stripe-live-key",
            "Stripe live secret key",
            &["sk_live_", "rk_live_"],
            r"\b([sr]k_live_[0-9A-Za-z]{24,})\b",
            1,
            3.0,
        ),
        rule(
            "npm-token",
            "npm access token",
            &["npm_"],
            r"\b(npm_[A-Za-z0-9]{36})\b",
            1,
            3.0,
        ),
        rule(
            "pypi-token",
            "PyPI API token",
            &["pypi-AgEIcHlwaS5vcmc"],
            r"\b(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,})",
            1,
            3.0,
        ),
        rule(
            "crates-io-token",
            "crates.io API token",
            &["cio"],
            r"\b(cio[A-Za-z0-9]{32})\b",
            1,
            3.5,
        ),
        rule(
            "secret-assignment",
            "high-entropy value assigned to a secret-like name",
            &[
                "key",
                "token",
                "secret",
                "password",
                "passwd",
                "pwd",
                "credential",
                "auth",
            ],
            r#"(?i)\b[a-z0-9_.\-]*(?:api[_\-]?key|access[_\-]?key|private[_\-]?key|secret|token|password|passwd|pwd|credential|auth)[a-z0-9_.\-]*["']?\s*(?::=|=>|[:=])\s*["']?([A-Za-z0-9/+_\-=.~!@#$%^&*]{16,})["']?"#,
            1,
            3.5,
        ),
    ]
}

/// Shannon entropy in bits per character.
pub fn entropy(s: &str) -> f64 {
    let mut counts = [0usize; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Values that are clearly placeholders, not secrets.
pub fn is_placeholder(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    [
        "example",
        "xxxx",
        "changeme",
        "placeholder",
        "your_",
        "your-",
        "dummy",
        "redacted",
        "<",
        "${",
        "{{",
        "****",
    ]
    .iter()
    .any(|p| lower.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_separates_words_from_keys() {
        assert!(entropy("aaaaaaaaaaaaaaaa") < 1.0);
        assert!(entropy("wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY") > 4.0);
        assert!(is_placeholder("${DATABASE_PASSWORD}") && !is_placeholder("q8Zr2kLm9PxW4vTn"));
    }
}
