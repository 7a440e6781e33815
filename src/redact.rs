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

use aho_corasick::AhoCorasick;
use regex::{Captures, Regex};

/// What a redacted value is replaced with.
pub const MASK: &str = "[REDACTED]";

struct Rule {
    /// Literal substrings (ASCII case-insensitive) without which the pattern cannot match.
    anchors: &'static [&'static str],
    pattern: &'static str,
    /// Which capture group holds the secret (0 = whole match).
    group: usize,
    /// Whether a match can span lines (private key blocks); others run line by line.
    multiline: bool,
    /// Compiled on first use: most outputs contain the anchors of few rules, and compiling
    /// every pattern up front would cost milliseconds per process.
    regex: OnceLock<Regex>,
}

impl Rule {
    fn regex(&self) -> &Regex {
        self.regex
            .get_or_init(|| Regex::new(self.pattern).expect("built-in redaction pattern compiles"))
    }
}

struct Redactor {
    rules: Vec<Rule>,
    /// Every rule's anchors; a match names the rule (`rule_of[pattern index]`).
    anchors: AhoCorasick,
    rule_of: Vec<usize>,
    /// Secret values from the environment, longest first.
    literals: Vec<String>,
}

const fn rule(anchors: &'static [&'static str], pattern: &'static str, group: usize) -> Rule {
    Rule {
        anchors,
        pattern,
        group,
        multiline: false,
        regex: OnceLock::new(),
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

/// Words that make `name = value` a secret assignment.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "api-key",
    "apikey",
    "private_key",
    "private-key",
    "privatekey",
    "access_key",
    "access-key",
    "accesskey",
    "client_secret",
    "client-secret",
];

fn builtin_rules() -> Vec<Rule> {
    vec![
        // Private key blocks (PEM), whole block.
        Rule {
            multiline: true,
            ..rule(
                &["PRIVATE KEY"],
                r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\z)",
                0,
            )
        },
        // user:password@ in URLs.
        // (Anchored on the `@` a credential needs: plain URLs, of which reports have many,
        // never reach the regex.)
        rule(
            &["@"],
            r"(?i)\b[a-z][a-z0-9+.-]*://[^\s/:@]*:([^\s/@]+)@",
            1,
        ),
        // Authorization headers and bearer tokens.
        rule(
            &["authorization"],
            r"(?i)\b(?:authorization|proxy-authorization)\s*[:=]\s*(?:(?:bearer|basic|token|digest)\s+)?([^\s,;]+)",
            1,
        ),
        rule(&["bearer"], r"(?i)\bbearer\s+([A-Za-z0-9\-._~+/]{8,}=*)", 1),
        // Forge tokens.
        rule(
            &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
            r"\b(gh[pousr]_[A-Za-z0-9]{30,255})\b",
            1,
        ),
        rule(
            &["github_pat_"],
            r"\b(github_pat_[A-Za-z0-9_]{50,255})\b",
            1,
        ),
        rule(&["glpat-"], r"\b(glpat-[A-Za-z0-9_\-]{20,})\b", 1),
        // Cloud and service keys.
        rule(
            &["AKIA", "ASIA", "ABIA", "ACCA"],
            r"\b((?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16})\b",
            1,
        ),
        rule(&["AIza"], r"\b(AIza[0-9A-Za-z_\-]{35})\b", 1),
        rule(
            &["xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-"],
            r"\b(xox[abposr]-[0-9A-Za-z\-]{10,})\b",
            1,
        ),
        rule(&["sk_live_"], r"\b(sk_live_[0-9A-Za-z]{16,})\b", 1),
        rule(&["npm_"], r"\b(npm_[A-Za-z0-9]{36})\b", 1),
        // JSON Web Tokens.
        rule(
            &["eyJ"],
            r"\b(eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,})",
            1,
        ),
        // name = value / name: value / "name": "value" where the name says secret.
        rule(
            SECRET_WORDS,
            r#"(?i)\b[a-z0-9_.\-]*(?:password|passwd|secret|token|api[_\-]?key|private[_\-]?key|access[_\-]?key|client[_\-]?secret)[a-z0-9_\-]*"?\s*[:=]\s*"?([^\s"',;}]{6,})"#,
            1,
        ),
    ]
}

impl Redactor {
    fn new(env: impl Iterator<Item = (String, String)>) -> Self {
        let rules = builtin_rules();
        let mut patterns = Vec::new();
        let mut rule_of = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            for a in r.anchors {
                patterns.push(*a);
                rule_of.push(i);
            }
        }
        let anchors = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&patterns)
            .expect("anchor automaton builds");
        let mut literals: Vec<String> = env
            .filter(|(name, value)| is_secret_name(name) && value.len() >= 8)
            .map(|(_, value)| value)
            .collect();
        literals.sort_by_key(|v| std::cmp::Reverse(v.len()));
        literals.dedup();
        Redactor {
            rules,
            anchors,
            rule_of,
            literals,
        }
    }

    fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for literal in &self.literals {
            if out.contains(literal.as_str()) {
                out = Cow::Owned(out.replace(literal.as_str(), MASK));
            }
        }
        // Which rules have an anchor in the text, and on which lines.
        let mut hits: Vec<Vec<usize>> = vec![Vec::new(); self.rules.len()];
        for m in self.anchors.find_overlapping_iter(out.as_ref()) {
            hits[self.rule_of[m.pattern().as_usize()]].push(m.start());
        }
        for (r, starts) in self.rules.iter().zip(&hits).filter(|(_, h)| !h.is_empty()) {
            let regex = r.regex();
            let replace = |text: &str| -> Option<String> {
                regex.is_match(text).then(|| {
                    regex
                        .replace_all(text, |caps: &Captures<'_>| mask_group(caps, r.group))
                        .into_owned()
                })
            };
            if r.multiline {
                if let Some(replaced) = replace(&out) {
                    out = Cow::Owned(replaced);
                }
                continue;
            }
            // Secrets of single-line rules never span lines: run the regex only on the lines
            // where an anchor was seen (outputs are large, anchors rare).
            let text: &str = &out;
            let mut rebuilt = String::new();
            let mut copied = 0;
            let mut changed = false;
            let mut last_line_end = 0;
            for &at in starts {
                if at < last_line_end {
                    continue;
                }
                let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
                last_line_end = line_end;
                if let Some(replaced) = replace(&text[line_start..line_end]) {
                    rebuilt.push_str(&text[copied..line_start]);
                    rebuilt.push_str(&replaced);
                    copied = line_end;
                    changed = true;
                }
            }
            if changed {
                rebuilt.push_str(&text[copied..]);
                out = Cow::Owned(rebuilt);
            }
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
    fn only_the_lines_with_secrets_change_in_large_outputs() {
        let mut text = String::new();
        for i in 0..2000 {
            text.push_str(&format!("line {i}: https://example.org/crate/{i}\n"));
        }
        text.push_str("db_password = hunter2hunter2 and api_key: abcdef123456\n");
        text.push_str("tail token=zzzzzzzzzz");
        let out = r(&text);
        assert_eq!(out.lines().count(), text.lines().count());
        assert!(
            !out.contains("hunter2hunter2")
                && !out.contains("abcdef123456")
                && !out.contains("zzzzzzzzzz")
        );
        assert!(out.contains("line 1999: https://example.org/crate/1999\n"));
        assert!(out.ends_with("tail token=[REDACTED]"));
    }

    #[test]
    fn private_key_block_is_masked() {
        // Assembled at run time so the repository itself holds no key block.
        let key = format!(
            "-----BEGIN OPENSSH {0}-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH {0}-----",
            "PRIVATE KEY"
        );
        assert_eq!(r(&key), MASK);
    }
}
