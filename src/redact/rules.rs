//! The one table of secret rules, shared by `secrets scan` (which reports committed secrets) and
//! [`crate::redact`] (which masks them in everything chainwarden prints or stores). Two copies
//! drift: they had (GitHub `{30,255}` in one, `{36,255}` in the other, different AWS prefixes).
//!
//! Each rule has keywords: literal substrings (ASCII case-insensitive) without which it cannot
//! match. One Aho-Corasick pass over a text finds every keyword; only lines holding one meet a
//! regex. Every capture group of a pattern that takes part in a match is a secret; a pattern
//! without groups makes the whole match the secret.
//!
//! Patterns carry no leading word boundary: `build_ghp_…`, `é AKIA…` or a token glued to a
//! file name's prefix are still secrets, and a boundary there only ever hid them.

use std::sync::OnceLock;

use std::ops::Range;

use aho_corasick::AhoCorasick;
use regex::{Captures, Match, Regex};

pub struct Rule {
    /// Stable id: finding code suffix (`secrets:<id>`), allowlist key, SARIF rule.
    pub id: &'static str,
    pub description: &'static str,
    pub keywords: &'static [&'static str],
    pattern: &'static str,
    /// Whether `secrets scan` reports it. Redaction-only rules (credentials in URLs,
    /// `Authorization` headers, JWTs) mask what chainwarden prints but are not findings.
    pub scan: bool,
    /// The scanner reports a secret this long or longer (redaction masks every match).
    pub min_len: usize,
    /// The scanner's minimum Shannon entropy (bits per character) of the secret; 0 = no check.
    pub min_entropy: f64,
    /// A PEM header: redaction masks the whole block up to its `-----END` line.
    pub pem_block: bool,
    /// What every match holds after its keyword, checked before the pattern is compiled or
    /// run: most keyword hits in large outputs are not secrets (every lockfile `source` holds
    /// `://`, prose says "key"), and compiling a pattern costs more than a whole audit's
    /// matching.
    pub needs_after: Option<After>,
    /// The generic `name = value` rule: the scanner drops its finding on a line where a
    /// specific rule found one, and a value that reads as a sentence is prose, not a secret.
    pub generic: bool,
    /// Compiled on first use: most texts hold the keywords of few rules, and compiling every
    /// pattern up front costs milliseconds per process.
    regex: OnceLock<Regex>,
}

impl Rule {
    pub fn regex(&self) -> &Regex {
        self.regex
            .get_or_init(|| Regex::new(self.pattern).expect("built-in secret rule compiles"))
    }

    /// The secret parts of one match: every participating group, or the whole match.
    pub fn secrets<'h>(&self, caps: &Captures<'h>) -> Vec<Match<'h>> {
        let groups: Vec<Match<'h>> = caps.iter().skip(1).flatten().collect();
        if caps.len() > 1 {
            groups
        } else {
            caps.get(0).into_iter().collect()
        }
    }
}

const fn rule(
    id: &'static str,
    description: &'static str,
    keywords: &'static [&'static str],
    pattern: &'static str,
) -> Rule {
    Rule {
        id,
        description,
        keywords,
        pattern,
        scan: true,
        min_len: 0,
        min_entropy: 3.0,
        pem_block: false,
        needs_after: None,
        generic: false,
        regex: OnceLock::new(),
    }
}

/// What a match holds after its keyword (see [`Rule::needs_after`]).
#[derive(Debug, Clone, Copy)]
pub enum After {
    /// One of these bytes, anywhere later on the keyword's line.
    LaterOnLine(&'static [u8]),
    /// A run of URL user-info characters (see `userinfo!`), then one of these bytes: a
    /// credential in a URL sits between `://` and the first `/`.
    UserinfoThen(&'static [u8]),
    /// The rest of a name (`[A-Za-z0-9_-]`), an optional `\\`, an optional quote, optional
    /// spaces, then one of these bytes: how a secret-like name is assigned (`TOKEN=`,
    /// `"api_key": `), and not how prose uses the word.
    NameThen(&'static [u8]),
}

impl After {
    /// Whether what follows one keyword occurrence can hold a match: `Ok`, or `Err(n)` when
    /// it cannot, and any later occurrence of the rule's keywords that starts within the first
    /// `n` bytes of `rest` cannot either. `rest` is the keyword's line
    /// for `LaterOnLine`; the others read only a short run and may be given the rest of the
    /// text (a newline ends every run), so checking every occurrence stays linear.
    pub fn scan(self, rest: &[u8]) -> Result<(), usize> {
        // Non-ASCII bytes count as part of a run (the patterns stop at Unicode spaces):
        // reading on only ever lets more lines through to the pattern.
        let run_end = |inside: fn(u8) -> bool| {
            rest.iter()
                .position(|&b| b.is_ascii() && !inside(b))
                .unwrap_or(rest.len())
        };
        // Rejected: the bytes before the deciding one decide the same for an occurrence that
        // starts among them (another keyword may start at the deciding byte itself).
        let decided = |at: usize, ends: &[u8]| match rest.get(at) {
            Some(b) if ends.contains(b) => Ok(()),
            _ => Err(at),
        };
        match self {
            After::LaterOnLine(bytes) if holds_any(rest, bytes) => Ok(()),
            After::LaterOnLine(_) => Err(rest.len()),
            After::UserinfoThen(ends) => decided(run_end(is_userinfo_byte), ends),
            After::NameThen(ends) => {
                let mut at = run_end(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                at += usize::from(rest.get(at) == Some(&b'\\'));
                at += usize::from(matches!(rest.get(at), Some(b'"' | b'\'')));
                at += rest[at..]
                    .iter()
                    .position(|&b| b.is_ascii() && !(b.is_ascii_whitespace() || b == 0x0b))
                    .unwrap_or(rest.len() - at);
                decided(at, ends)
            }
        }
    }

    /// Whether the check reads the keyword's whole line (so one rejection closes the line).
    pub fn reads_line(self) -> bool {
        matches!(self, After::LaterOnLine(_))
    }
}

/// An ASCII byte `userinfo!` admits.
fn is_userinfo_byte(b: u8) -> bool {
    // A `match`, not `slice::contains`: that calls memchr per byte, 50 instructions each.
    !matches!(
        b,
        b' ' | b'\t'
            | b'\n'
            | b'\r'
            | 0x0b
            | 0x0c
            | b'/'
            | b':'
            | b'@'
            | b'"'
            | b'\''
            | b'`'
            | b'<'
            | b'>'
            | 0x1b
    )
}

/// Whether `haystack` holds one of `bytes` (memchr: a compact JSON document is one line of
/// several hundred KiB).
fn holds_any(haystack: &[u8], bytes: &[u8]) -> bool {
    match *bytes {
        [a] => memchr::memchr(a, haystack).is_some(),
        [a, b] => memchr::memchr2(a, b, haystack).is_some(),
        [a, b, c] => memchr::memchr3(a, b, c, haystack).is_some(),
        _ => haystack.iter().any(|h| bytes.contains(h)),
    }
}

/// A rule only the redactor applies.
const fn mask_only(
    id: &'static str,
    description: &'static str,
    keywords: &'static [&'static str],
    pattern: &'static str,
) -> Rule {
    let mut r = rule(id, description, keywords, pattern);
    r.scan = false;
    r.min_entropy = 0.0;
    r
}

impl Rule {
    /// The scanner's entropy floor (bits per character).
    const fn entropy(mut self, min_entropy: f64) -> Rule {
        self.min_entropy = min_entropy;
        self
    }

    /// The scanner's minimum secret length.
    const fn min_len(mut self, min_len: usize) -> Rule {
        self.min_len = min_len;
        self
    }

    /// See [`Rule::needs_after`].
    const fn needs_after(mut self, after: After) -> Rule {
        self.needs_after = Some(after);
        self
    }

    /// See [`Rule::generic`].
    const fn generic(mut self) -> Rule {
        self.generic = true;
        self
    }

    /// The header of a block redaction masks whole.
    const fn pem_block(mut self) -> Rule {
        self.pem_block = true;
        self
    }
}

/// Characters that end an unquoted value: whitespace, quotes, separators and brackets.
macro_rules! value {
    () => {
        r#"[^\s"'`,;(){}\[\]<>\x1b]"#
    };
}

/// What a URL's user-info can hold (no `/`, `:` or `@`, nothing that ends a quoted string).
macro_rules! userinfo {
    () => {
        r#"[^\s/:@"'`<>\x1b]"#
    };
}

/// A "double-quoted, \"escaped\"" or 'single-quoted' value.
macro_rules! quoted {
    () => {
        r#"\\?"((?:[^"\\\n]|\\[^"\n])+)\\?"|'([^'\n]+)'"#
    };
}

/// Names that say a value is secret (`SMTP_PASSWORD=`, `"api_key":`, `client-secret:`).
macro_rules! secret_name {
    () => {
        r"(?:api[_\-]?key|access[_\-]?key|private[_\-]?key|secret|token|password|passwd|pwd|credential)"
    };
}

static RULES: [Rule; 18] = [
    rule(
        "private-key",
        "private key block",
        &["PRIVATE KEY"],
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----",
    )
    .entropy(0.0)
    .pem_block(),
    rule(
        "github-token",
        "GitHub token",
        &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        r"gh[pousr]_[A-Za-z0-9]{30,}",
    ),
    rule(
        "github-fine-grained-token",
        "GitHub fine-grained token",
        &["github_pat_"],
        r"github_pat_[A-Za-z0-9_]{50,}",
    ),
    rule(
        "gitlab-token",
        "GitLab personal access token",
        &["glpat-"],
        r"glpat-[A-Za-z0-9_\-]{20,}",
    ),
    rule(
        "aws-access-key-id",
        "AWS access key id",
        &["AKIA", "ASIA", "ABIA", "ACCA"],
        r"(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16,}",
    )
    .entropy(2.5),
    rule(
        "aws-secret-access-key",
        "AWS secret access key",
        &["aws_secret"],
        r#"(?i)aws_secret_access_key\\?["']?\s*[:=]\s*\\?["']?([A-Za-z0-9/+=]{40,})"#,
    )
    .entropy(3.5),
    rule(
        "gcp-api-key",
        "Google API key",
        &["AIza"],
        r"AIza[0-9A-Za-z_\-]{35,}",
    ),
    rule(
        "slack-token",
        "Slack token",
        &["xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxr-", "xoxs-"],
        r"xox[abposr]-[0-9A-Za-z\-]{10,}",
    ),
    rule(
        "stripe-live-key",
        "Stripe live secret key",
        &["sk_live_", "rk_live_"],
        r"[sr]k_live_[0-9A-Za-z]{16,}",
    ),
    rule(
        "npm-token",
        "npm access token",
        &["npm_"],
        r"npm_[A-Za-z0-9]{36,}",
    ),
    rule(
        "pypi-token",
        "PyPI API token",
        &["pypi-AgEIcHlwaS5vcmc"],
        r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}",
    ),
    // The prefix is short and common in words: keep the boundaries.
    rule(
        "crates-io-token",
        "crates.io API token",
        &["cio"],
        // ASCII word boundaries: Unicode ones cost a millisecond to compile (every Sigstore
        // output says "Fulcio"), and an ASCII boundary only ever masks more.
        r"(?-u:\b)cio[A-Za-z0-9]{32}(?-u:\b)",
    )
    .entropy(3.5),
    rule(
        "secret-assignment",
        "high-entropy value assigned to a secret-like name",
        &["key", "token", "secret", "passw", "pwd", "credential"],
        concat!(
            r"(?i)[a-z0-9_.\-]*",
            secret_name!(),
            r#"[a-z0-9_\-]*\\?["']?\s*(?:(?::=|=>|=)\s*(?:"#,
            quoted!(),
            "|(",
            value!(),
            r"{3,}))|:\s*(?:",
            quoted!(),
            // After `:`, a bare value does not start with `:` (`crate::secrets::x` is a path).
            r#"|([^:\s"'`,;(){}\[\]<>\x1b]"#,
            value!(),
            r"{2,})))",
        ),
    )
    .min_len(16)
    .entropy(3.5)
    .needs_after(After::NameThen(b":="))
    .generic(),
    mask_only(
        "url-password",
        "password in a URL",
        &["://"],
        // Greedy up to the last `@`: an unencoded `@` or `/` in a password is still password.
        concat!(
            r"[a-zA-Z][a-zA-Z0-9+.\-]*://",
            userinfo!(),
            r#"*:([^\s"'`<>\x1b]+)@"#
        ),
    )
    .needs_after(After::UserinfoThen(b":")),
    mask_only(
        "url-user-token",
        "token used as a URL user name",
        &["://"],
        // A user name of 16+ characters or holding a digit or capital is taken for a token
        // (`git@`, `ci-bot@` stay readable).
        concat!(
            r"[a-zA-Z][a-zA-Z0-9+.\-]*://(",
            userinfo!(),
            "{16,}|",
            userinfo!(),
            "*[0-9A-Z]",
            userinfo!(),
            r#"*)(?::[^\s"'`<>]*)?@"#
        ),
    )
    .needs_after(After::UserinfoThen(b":@")),
    mask_only(
        "authorization-header",
        "Authorization header",
        &["authorization"],
        r#"(?i)(?:proxy-)?authorization\\?["']?\s*[:=]\s*\\?["']?(?:(?:bearer|basic|token|digest)\s+)?([^\s"',;\\]+)"#,
    ),
    mask_only(
        "bearer-token",
        "bearer token",
        &["bearer"],
        r"(?i)bearer\s+([A-Za-z0-9\-._~+/]{8,}=*)",
    ),
    mask_only(
        "jwt",
        "JSON Web Token",
        &["eyJ"],
        r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*",
    ),
];

/// Every rule, the scanner's and the redactor's.
pub fn all() -> &'static [Rule] {
    &RULES
}

/// The rules `secrets scan` reports.
pub fn scanned() -> impl Iterator<Item = &'static Rule> {
    RULES.iter().filter(|r| r.scan)
}

/// Where the rules' keywords occur in a text.
///
/// Each distinct keyword is searched once, lowercased, with a packed (SIMD) searcher over an
/// ASCII-lowercased copy of the text: several times faster than the overlapping automaton it
/// replaces (which was most of a lockfile audit's redaction time). The redactor and
/// `secrets scan` find candidate lines with it. Every occurrence is still
/// found: after a match at `p` the search resumes at `p + 1`, so every start position is
/// visited, and since no keyword is a prefix of another (a test holds that), at most one
/// keyword can start at a position.
pub struct Keywords {
    /// The distinct keywords, lowercased.
    patterns: Vec<String>,
    /// The packed searcher over `patterns`.
    pub(crate) searcher: Option<aho_corasick::packed::Searcher>,
    /// Where the packed searcher cannot be built (it always builds on x86-64 and aarch64):
    /// the same keywords, overlapping, ASCII case-insensitive. Built on first use: building
    /// it cost a tenth of a `verify bundle` run.
    fallback: OnceLock<AhoCorasick>,
    /// The rules holding each keyword.
    pub(crate) rules_of: Vec<Vec<usize>>,
}

impl Keywords {
    /// The keywords of `rules`; occurrences name a rule by its index in that sequence.
    pub fn new<'a>(rules: impl IntoIterator<Item = &'a Rule>) -> Keywords {
        let mut patterns: Vec<String> = Vec::new();
        let mut rules_of: Vec<Vec<usize>> = Vec::new();
        for (i, rule) in rules.into_iter().enumerate() {
            for k in rule.keywords {
                let k = k.to_ascii_lowercase();
                match patterns.iter().position(|p| *p == k) {
                    Some(at) => rules_of[at].push(i),
                    None => {
                        patterns.push(k);
                        rules_of.push(vec![i]);
                    }
                }
            }
        }
        let searcher = aho_corasick::packed::Config::new()
            .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(&patterns)
            .build();
        Keywords {
            patterns,
            searcher,
            fallback: OnceLock::new(),
            rules_of,
        }
    }

    /// The overlapping automaton over the keywords (see `fallback`).
    pub(crate) fn fallback(&self) -> &AhoCorasick {
        self.fallback.get_or_init(|| {
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(&self.patterns)
                .expect("keyword automaton builds")
        })
    }

    /// Every (keyword occurrence, rule) pair of `text`, by keyword start.
    pub fn occurrences<'t>(
        &'t self,
        text: &'t str,
    ) -> Box<dyn Iterator<Item = (Range<usize>, usize)> + 't> {
        let Some(searcher) = &self.searcher else {
            return Box::new(self.fallback().find_overlapping_iter(text).flat_map(|m| {
                let at = m.range();
                self.rules_of[m.pattern().as_usize()]
                    .iter()
                    .map(move |&r| (at.clone(), r))
            }));
        };
        let lower = text.as_bytes().to_ascii_lowercase();
        let mut from = 0;
        let found = std::iter::from_fn(move || {
            let m = searcher.find_in(&lower, aho_corasick::Span::from(from..lower.len()))?;
            from = m.start() + 1;
            Some((m.range(), m.pattern().as_usize()))
        });
        Box::new(found.flat_map(|(at, k)| self.rules_of[k].iter().map(move |&r| (at.clone(), r))))
    }
}

/// A finding rule about a whole file rather than a match in its text (no rule of the table).
pub struct FileRule {
    pub id: &'static str,
    pub description: &'static str,
}

/// A committed `.env` file.
pub const DOTENV_FILE: FileRule = FileRule {
    id: "dotenv-file",
    description: "A committed .env file (commit .env.example instead)",
};

pub const FILE_RULES: &[FileRule] = &[DOTENV_FILE];

/// The id of every rule a finding may name: the scanned rules', then the file rules'.
pub fn finding_rule_ids() -> impl Iterator<Item = &'static str> {
    scanned()
        .map(|r| r.id)
        .chain(FILE_RULES.iter().map(|r| r.id))
}

/// Whether `id` names a finding rule (`github-token`, `dotenv-file`, ...).
pub fn is_finding_rule(id: &str) -> bool {
    finding_rule_ids().any(|known| known == id)
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

    #[test]
    fn every_pattern_compiles_and_ids_are_unique() {
        let mut ids: Vec<&str> = all().iter().map(|r| r.id).collect();
        for r in all() {
            r.regex();
            assert!(!r.keywords.is_empty(), "{} has no keyword", r.id);
        }
        ids.extend(FILE_RULES.iter().map(|r| r.id));
        let generic: Vec<&str> = all().iter().filter(|r| r.generic).map(|r| r.id).collect();
        assert_eq!(generic, ["secret-assignment"], "one generic rule, scanned");
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "rule ids are unique");
    }

    #[test]
    fn every_keyword_occurs_in_what_its_rule_matches() {
        // A keyword missing from a match would make the prefilter skip a real secret.
        let samples = [
            ("github-token", format!("ghp_{}", "a1".repeat(18))),
            ("aws-access-key-id", ["AS", "IAQ7XR2LMZ8WKD4PNH"].concat()),
            ("secret-assignment", "SMTP_PASSWORD=abc12".to_string()),
            ("url-password", "https://ci:p/w@host".to_string()),
            (
                "url-user-token",
                format!("git+https://{}@h/x", "ab12".repeat(10)),
            ),
            (
                "authorization-header",
                "Authorization: Basic dXNlcjpw".into(),
            ),
        ];
        for (id, sample) in samples {
            let r = all().iter().find(|r| r.id == id).unwrap();
            assert!(r.regex().is_match(&sample), "{id} misses {sample}");
            let lower = sample.to_ascii_lowercase();
            assert!(
                r.keywords
                    .iter()
                    .any(|k| lower.contains(&k.to_ascii_lowercase())),
                "{id}: no keyword in {sample}"
            );
            if let Some(after) = r.needs_after {
                // Every match must pass the check, or the redactor's shortcut would skip a
                // secret: the check holds after the match's keyword.
                let m = r
                    .regex()
                    .find(&sample)
                    .unwrap()
                    .as_str()
                    .to_ascii_lowercase();
                let after_keyword = r
                    .keywords
                    .iter()
                    .filter_map(|k| m.find(&k.to_ascii_lowercase()).map(|i| i + k.len()))
                    .min()
                    .unwrap();
                assert!(
                    after.scan(&m.as_bytes()[after_keyword..]).is_ok(),
                    "{id}: {sample}"
                );
            }
        }
    }
}
