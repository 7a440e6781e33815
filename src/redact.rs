//! The one redaction layer. Every byte chainwarden prints or stores (terminal, JSON, SARIF,
//! reports, evidence, error messages, the panic message) passes through [`redact`] first.
//!
//! Two sources of secrets are recognised:
//! - the rules of [`rules`], the same table `secrets scan` uses: token formats,
//!   credentials in URLs (password, or a token as the user name), `Authorization` headers,
//!   private key blocks, `name = value` where the name says secret (any length);
//! - the *values* of environment variables whose names say they hold a secret, matched
//!   literally wherever they appear, also JSON-, HTML- and percent-escaped (so a token that has
//!   no recognisable shape is still caught).
//!
//! How: every rule and every literal is matched on the *same* text, the secret spans are merged
//! and replaced in one pass (so no rule ever slices at offsets another rule made stale), and the
//! pass repeats until nothing changes. Spans are widened so they never split a JSON escape
//! (`\"`, `\u00e9`): a redacted JSON document stays valid JSON. Values the program itself
//! produces (the mask, `secrets:<rule>` finding codes) are left alone.
//!
//! Invariant: `redact(redact(x)) == redact(x)`, and no slicing happens off a char boundary.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use regex::Regex;

pub mod rules;

use self::rules::{Keywords, Rule};
use crate::text::slice;

/// What a redacted value is replaced with.
pub const MASK: &str = "[REDACTED]";

/// Environment values shorter than this are not masked literally: `AUTH=1` must not mask
/// every `1` in a report. (Shorter secrets in `name=value` form are caught by the rules.)
const MIN_LITERAL: usize = 6;

/// Passes before giving up on a fixed point (one is the rule; a second finds nothing).
const MAX_PASSES: usize = 4;

struct Redactor {
    /// Every rule's keywords, once each; a match names the rules holding that keyword.
    keywords: Keywords,
    /// Secret values from the environment, in every escaped form.
    literals: Option<AhoCorasick>,
}

/// Names of environment variables that hold secrets.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    const STRONG: &[&str] = &[
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
        "ACCESS_KEY",
        "CREDENTIAL",
        "COOKIE",
    ];
    // Words that also occur in well-known names holding nothing secret.
    const WEAK: &[&str] = &["PASS", "AUTH", "SESSION"];
    const NOT_SECRET: &[&str] = &[
        "SSH_AUTH_SOCK",
        "XDG_SESSION_",
        "DBUS_SESSION_BUS_ADDRESS",
        "DESKTOP_SESSION",
        "SESSION_MANAGER",
        "AUTHOR",
        "PASSWORD_STORE_DIR",
    ];
    STRONG.iter().any(|w| upper.contains(w))
        || (WEAK.iter().any(|w| upper.contains(w)) && !NOT_SECRET.iter().any(|n| upper.contains(n)))
}

/// The forms a secret value takes in our outputs: raw, inside a JSON string, inside HTML,
/// percent-encoded in a URL.
fn literal_forms(value: &str) -> Vec<String> {
    let json = serde_json::to_string(value).expect("a string serialises");
    let html = value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;");
    let mut percent = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            percent.push(b as char);
        } else {
            percent.push_str(&format!("%{b:02X}"));
        }
    }
    let mut forms = vec![
        value.to_string(),
        slice(&json, 1..json.len() - 1).to_string(),
        html,
        percent,
    ];
    forms.sort();
    forms.dedup();
    forms
}

fn is_literal_secret(name: &str, value: &str) -> bool {
    const PLAIN: &[&str] = &["true", "false", "enabled", "disabled", "none", "null"];
    is_secret_name(name)
        && value.chars().count() >= MIN_LITERAL
        && !PLAIN.contains(&value.to_ascii_lowercase().as_str())
}

/// Text the program itself produces that a rule could take for a secret value: the mask,
/// a scanner preview's `[REDACTED:rule]`, a finding code's rule id (`secrets:github-token`).
fn is_program_identifier(value: &str) -> bool {
    value == MASK
        || value
            .strip_prefix("[REDACTED:")
            .and_then(|v| v.strip_suffix(']'))
            .is_some_and(rules::is_finding_rule)
        || rules::is_finding_rule(value.strip_prefix("secrets:").unwrap_or(value))
}

impl Redactor {
    fn new(env: impl Iterator<Item = (String, String)>) -> Self {
        let keywords = Keywords::new(rules::all());
        let mut literals: Vec<String> = env
            .filter(|(name, value)| is_literal_secret(name, value))
            .flat_map(|(_, value)| literal_forms(&value))
            .collect();
        literals.sort();
        literals.dedup();
        let literals = (!literals.is_empty())
            .then(|| AhoCorasick::new(&literals).expect("literal automaton builds"));
        Redactor { keywords, literals }
    }

    fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(text);
        for _ in 0..MAX_PASSES {
            let spans = self.spans(&out);
            if spans.is_empty() {
                break;
            }
            out = Cow::Owned(replace(&out, &spans));
        }
        out
    }

    /// The merged, sorted, escape-aligned byte ranges of every secret in `text`.
    fn spans(&self, text: &str) -> Vec<Range<usize>> {
        let mut spans = Vec::new();
        if let Some(literals) = &self.literals {
            // Overlapping: two secrets sharing characters are both masked whole.
            spans.extend(literals.find_overlapping_iter(text).map(|m| m.range()));
        }
        // Secrets of the rules never span lines: run each rule only on the lines where one of
        // its keywords was seen (outputs are large, keywords rare).
        let rules = rules::all();
        let mut done_until = vec![0usize; rules.len()];
        let mut rejected_until = vec![0usize; rules.len()];
        let mut pem = PemBlocks::default();
        for (m, r) in self.keywords.occurrences(text) {
            if m.start < done_until[r] {
                continue;
            }
            let after = rules[r].needs_after;
            // Short-run checks come before the line is delimited: a rejected occurrence leaves
            // the line open to later ones, except those its rejection already decided.
            if let Some(after) = after.filter(|a| !a.reads_line()) {
                if m.start < rejected_until[r] {
                    continue;
                }
                if let Err(read) = after.scan(&text.as_bytes()[m.end..]) {
                    rejected_until[r] = m.end + read;
                    continue;
                }
            }
            let start = slice(text, ..m.start).rfind('\n').map_or(0, |i| i + 1);
            let end = slice(text, m.start..)
                .find('\n')
                .map_or(text.len(), |i| m.start + i);
            done_until[r] = end.max(m.start + 1);
            if let Some(after) = after.filter(|a| a.reads_line()) {
                if after.scan(&text.as_bytes()[m.end..end]).is_err() {
                    continue;
                }
            }
            if rules[r].pem_block {
                pem.spans(&rules[r], text, start..end, &mut spans);
                done_until[r] = done_until[r].max(pem.covered);
            } else {
                rule_spans(&rules[r], text, start..end, &mut spans);
            }
        }
        merge(text, spans)
    }
}

/// The secrets `rule` finds on the line `line` of `text`, as spans of `text`.
fn rule_spans(rule: &Rule, text: &str, line: Range<usize>, spans: &mut Vec<Range<usize>>) {
    let at = line.start;
    for caps in rule.regex().captures_iter(slice(text, line)) {
        for secret in rule.secrets(&caps) {
            if !secret.is_empty() && !is_program_identifier(secret.as_str()) {
                spans.push(at + secret.start()..at + secret.end());
            }
        }
    }
}

/// Private key blocks: the header is found like any rule's match; the span then runs to the
/// block's `-----END` line, or (no end line) over the run of characters a PEM body holds,
/// escaped or not. Work stays linear in the text: the end lines are found once, and a header
/// inside a block already masked is skipped.
#[derive(Default)]
struct PemBlocks {
    /// Byte offsets just after every end line of the text (found on first use).
    ends: Option<Vec<usize>>,
    /// The masked blocks reach this far.
    covered: usize,
}

impl PemBlocks {
    /// A block is a few KiB; an end line farther away than this belongs to another block.
    const MAX_BLOCK: usize = 64 * 1024;

    fn spans(&mut self, rule: &Rule, text: &str, line: Range<usize>, out: &mut Vec<Range<usize>>) {
        let at = line.start;
        for header in rule.regex().find_iter(slice(text, line)) {
            let start = at + header.start();
            if start < self.covered {
                continue;
            }
            let from = at + header.end();
            let ends = self.ends.get_or_insert_with(|| end_lines(text));
            let next = ends.partition_point(|&e| e <= from);
            let end = match ends.get(next) {
                Some(&e) if e - from <= Self::MAX_BLOCK => e,
                _ => {
                    from + slice(text, from..)
                        .find(|c: char| {
                            !(c.is_ascii_alphanumeric() || " \t\r\n+/=\\:,.-".contains(c))
                        })
                        .unwrap_or(text.len() - from)
                }
            };
            out.push(start..end);
            self.covered = end;
        }
    }
}

fn end_lines(text: &str) -> Vec<usize> {
    static END: OnceLock<Regex> = OnceLock::new();
    END.get_or_init(|| {
        Regex::new(r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----").expect("compiles")
    })
    .find_iter(text)
    .map(|m| m.end())
    .collect()
}

/// Sorts and merges overlapping or touching spans, widened so none splits a backslash escape.
fn merge(text: &str, mut spans: Vec<Range<usize>>) -> Vec<Range<usize>> {
    for s in &mut spans {
        if let Some(e) = escape_around(text, s.start) {
            s.start = e.start;
        }
        if let Some(e) = escape_around(text, s.end) {
            s.end = e.end;
        }
    }
    spans.sort_by_key(|s| s.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(spans.len());
    for s in spans {
        match merged.last_mut() {
            Some(last) if s.start <= last.end => last.end = last.end.max(s.end),
            _ => merged.push(s),
        }
    }
    merged
}

/// The backslash escape (`\"`, `\\`, `\n`, `\u00e9`) that `pos` falls strictly inside, if any.
fn escape_around(text: &str, pos: usize) -> Option<Range<usize>> {
    let bytes = text.as_bytes();
    // An escape is at most 6 bytes (`\uXXXX`): look back that far for its backslash.
    for back in 1..=5.min(pos) {
        let i = pos - back;
        if bytes[i] != b'\\' {
            continue;
        }
        // The backslash escapes the next character only if the run it ends is odd.
        let run = bytes[..=i]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        if run % 2 == 0 {
            continue;
        }
        let next = slice(text, i + 1..).chars().next()?;
        let mut end = i + 1 + next.len_utf8();
        if next == 'u' {
            let hex = bytes[end..]
                .iter()
                .take(4)
                .take_while(|b| b.is_ascii_hexdigit())
                .count();
            end += hex;
        }
        return (pos > i && pos < end).then_some(i..end);
    }
    None
}

fn replace(text: &str, spans: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for s in spans {
        out.push_str(slice(text, copied..s.start));
        out.push_str(MASK);
        copied = s.end;
    }
    out.push_str(slice(text, copied..));
    out
}

static REDACTOR: OnceLock<Redactor> = OnceLock::new();

// The whole environment, read here and not through clap: a secret may sit in any variable
// (a token a CI step exported under any name), and each must be masked wherever it shows.

fn global() -> &'static Redactor {
    REDACTOR.get_or_init(|| Redactor::new(std::env::vars_os().filter_map(env_pair)))
}

/// Redacts with the process's redactor if it is built, else returns `text` as is: for the
/// panic hook, which must not build it (the panic may come from building it).
pub fn redact_if_ready(text: &str) -> Cow<'_, str> {
    match REDACTOR.get() {
        Some(r) => r.redact(text),
        None => Cow::Borrowed(text),
    }
}

/// An environment entry as text (a value that is not UTF-8 cannot appear in our output as is).
fn env_pair((name, value): (std::ffi::OsString, std::ffi::OsString)) -> Option<(String, String)> {
    Some((name.into_string().ok()?, value.into_string().ok()?))
}

/// Whether none of the secret values of this process's environment (in any of their escaped
/// forms) occurs in `text`. With [`redact`]'s idempotence this tells that a text redacted
/// earlier, by another process, needs no redaction now (see
/// `evidence::record::RunRecord::from_audit_for_store`).
pub fn holds_no_env_secret(text: &str) -> bool {
    global()
        .literals
        .as_ref()
        .is_none_or(|literals| literals.find(text).is_none())
}

/// Whether this process's environment holds any value the redaction layer masks: when it
/// holds none, [`holds_no_env_secret`] is true of every text, and a caller can skip reading
/// the text it would ask about.
pub fn has_env_secrets() -> bool {
    global().literals.is_some()
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
mod tests;
