//! The one redaction layer. Every byte chainwarden prints or stores (terminal, JSON, SARIF,
//! reports, evidence, error messages) passes through [`redact`] first.
//!
//! Two sources of secrets are recognised:
//! - well-known token formats and shapes (credentials in URLs, `Authorization` headers,
//!   forge and cloud tokens, private key blocks, `name = value` where the name says secret);
//! - the *values* of environment variables whose names say they hold a secret, matched
//!   literally wherever they appear (so a token that has no recognisable shape is still caught).
//!
//! Invariant: `redact(redact(x)) == redact(x)` — the replacement text matches no pattern.

use std::borrow::Cow;
use std::sync::OnceLock;

use regex::{Captures, Regex};

/// What a redacted value is replaced with.
pub const MASK: &str = "[REDACTED]";

struct Rule {
    regex: Regex,
    /// Which capture group holds the secret (0 = whole match).
    group: usize,
}

struct Redactor {
    rules: Vec<Rule>,
    /// Secret values from the environment, longest first.
    literals: Vec<String>,
}

fn rule(pattern: &str, group: usize) -> Rule {
    Rule {
        regex: Regex::new(pattern).expect("built-in redaction pattern compiles"),
        group,
    }
}

/// Names of environment variables that hold secrets.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    const WORDS: &[&str] = &[
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "PASS",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
        "ACCESS_KEY",
        "CREDENTIAL",
        "AUTH",
        "SESSION",
        "COOKIE",
    ];
    WORDS.iter().any(|w| upper.contains(w))
}

impl Redactor {
    fn new(env: impl Iterator<Item = (String, String)>) -> Self {
        let rules = vec![
            // Private key blocks (PEM), whole block.
            rule(
                r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\z)",
                0,
            ),
            // user:password@ in URLs.
            rule(r"(?i)\b[a-z][a-z0-9+.-]*://[^\s/:@]*:([^\s/@]+)@", 1),
            // Authorization headers and bearer tokens.
            rule(
                r"(?i)\b(?:authorization|proxy-authorization)\s*[:=]\s*(?:(?:bearer|basic|token|digest)\s+)?([^\s,;]+)",
                1,
            ),
            rule(r"(?i)\bbearer\s+([A-Za-z0-9\-._~+/]{8,}=*)", 1),
            // Forge tokens.
            rule(r"\b(gh[pousr]_[A-Za-z0-9]{30,255})\b", 1),
            rule(r"\b(github_pat_[A-Za-z0-9_]{50,255})\b", 1),
            rule(r"\b(glpat-[A-Za-z0-9_\-]{20,})\b", 1),
            // Cloud keys.
            rule(r"\b((?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16})\b", 1),
            rule(r"\b(AIza[0-9A-Za-z_\-]{35})\b", 1),
            rule(r"\b(xox[abposr]-[0-9A-Za-z\-]{10,})\b", 1),
            rule(r"\b(sk_live_[0-9A-Za-z]{16,})\b", 1),
            rule(r"\b(npm_[A-Za-z0-9]{36})\b", 1),
            rule(r"\b(cio[A-Za-z0-9]{32})\b", 1),
            // JSON Web Tokens.
            rule(
                r"\b(eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,})",
                1,
            ),
            // name = value / name: value / "name": "value" where the name says secret.
            rule(
                r#"(?i)\b[a-z0-9_.\-]*(?:password|passwd|secret|token|api[_\-]?key|private[_\-]?key|access[_\-]?key|client[_\-]?secret)[a-z0-9_\-]*"?\s*[:=]\s*"?([^\s"',;}]{6,})"#,
                1,
            ),
        ];
        let mut literals: Vec<String> = env
            .filter(|(name, value)| is_secret_name(name) && value.len() >= 8)
            .map(|(_, value)| value)
            .collect();
        literals.sort_by_key(|v| std::cmp::Reverse(v.len()));
        literals.dedup();
        Redactor { rules, literals }
    }

    fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for literal in &self.literals {
            if out.contains(literal.as_str()) {
                out = Cow::Owned(out.replace(literal.as_str(), MASK));
            }
        }
        for r in &self.rules {
            if !r.regex.is_match(&out) {
                continue;
            }
            let replaced = r
                .regex
                .replace_all(&out, |caps: &Captures<'_>| mask_group(caps, r.group))
                .into_owned();
            out = Cow::Owned(replaced);
        }
        out
    }
}

fn mask_group(caps: &Captures<'_>, group: usize) -> String {
    let whole = caps.get(0).expect("group 0 always matches");
    match caps.get(group) {
        Some(secret) if group != 0 => {
            if secret.as_str() == MASK {
                return whole.as_str().to_string();
            }
            let start = secret.start() - whole.start();
            let end = secret.end() - whole.start();
            format!(
                "{}{}{}",
                &whole.as_str()[..start],
                MASK,
                &whole.as_str()[end..]
            )
        }
        _ => MASK.to_string(),
    }
}

fn global() -> &'static Redactor {
    static REDACTOR: OnceLock<Redactor> = OnceLock::new();
    REDACTOR.get_or_init(|| Redactor::new(std::env::vars()))
}

/// Redacts secrets from `text`. This is the only way text leaves the process.
pub fn redact(text: &str) -> Cow<'_, str> {
    global().redact(text)
}

/// Redacts with an explicit environment (tests).
pub fn redact_with_env(text: &str, env: &[(&str, &str)]) -> String {
    let r = Redactor::new(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    r.redact(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(text: &str) -> String {
        redact_with_env(text, &[])
    }

    #[test]
    fn url_credentials_are_masked_but_url_kept() {
        let out = r("fetching https://ci-bot:hunter22@example.com/repo.git now");
        assert_eq!(
            out,
            "fetching https://ci-bot:[REDACTED]@example.com/repo.git now"
        );
    }

    #[test]
    fn known_tokens_are_masked() {
        let gh = format!("token ghp_{}", "a1B2".repeat(9));
        assert!(!r(&gh).contains("ghp_"), "{}", r(&gh));
        assert!(r("key AKIAIOSFODNN7EXAMPLE used").contains(MASK));
        assert!(
            r("Authorization: Bearer abc.def.ghi123").contains("Authorization: Bearer [REDACTED]")
        );
        assert!(r("password = \"correct horse\"").contains(MASK));
    }

    #[test]
    fn env_secret_values_are_masked_literally() {
        let out = redact_with_env(
            "value is s3cr3t-v4lue!",
            &[("MY_API_TOKEN", "s3cr3t-v4lue!")],
        );
        assert_eq!(out, "value is [REDACTED]");
        // Not secret by name: left alone.
        let out = redact_with_env("value is not-a-secret", &[("HOME_DIR", "not-a-secret")]);
        assert_eq!(out, "value is not-a-secret");
    }

    #[test]
    fn redaction_is_idempotent_and_leaves_plain_text() {
        let plain = "RUSTSEC-2020-0071 time 0.1.44: Potential segfault";
        assert_eq!(r(plain), plain);
        let once = r("https://u:pw123456@h/ token=abcdef123456");
        assert_eq!(r(&once), once);
    }

    #[test]
    fn private_key_block_is_masked() {
        let key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
        assert_eq!(r(key), MASK);
    }
}
