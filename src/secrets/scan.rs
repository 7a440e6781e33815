//! Scanning text, directory trees and git history.

use std::collections::BTreeSet;
use std::path::Path;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::rules::{self, entropy, is_placeholder, Rule};
use super::{SecretFinding, SecretsReport, SCHEMA_VERSION};
use crate::error::Result;
use crate::policy::SecretsPolicy;
use crate::text::slice;

/// Files larger than this are not scanned (build outputs, data sets).
const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

pub struct Scanner {
    rules: Vec<&'static Rule>,
    keywords: rules::Keywords,
}

impl Default for Scanner {
    fn default() -> Self {
        Scanner::new()
    }
}

impl Scanner {
    pub fn new() -> Scanner {
        let rules: Vec<&'static Rule> = rules::scanned().collect();
        let keywords = rules::Keywords::new(rules.iter().copied());
        Scanner { rules, keywords }
    }

    /// Findings in one text. `line_of` maps a 1-based line of `text` to the reported line
    /// (history scans report the line in the file, not in the diff).
    pub fn scan_text(
        &self,
        path: &str,
        text: &str,
        commit: Option<&str>,
        line_of: &dyn Fn(usize) -> Option<usize>,
    ) -> Vec<SecretFinding> {
        let mut lines_hit: BTreeSet<(usize, usize)> = BTreeSet::new(); // (line start offset, rule)
        for (at, rule) in self.keywords.occurrences(text) {
            let start = slice(text, ..at.start).rfind('\n').map_or(0, |i| i + 1);
            lines_hit.insert((start, rule));
        }
        let mut out = Vec::new();
        let mut line_no_cache: Option<(usize, usize)> = None;
        for (start, rule_index) in lines_hit {
            let end = slice(text, start..)
                .find('\n')
                .map_or(text.len(), |i| start + i);
            let line = slice(text, start..end);
            let rule = self.rules[rule_index];
            for caps in rule.regex().captures_iter(line) {
                let Some(&secret) = rule.secrets(&caps).first() else {
                    continue;
                };
                let value = secret.as_str();
                if value.chars().count() < rule.min_len
                    || rule.min_entropy > 0.0
                        && (entropy(value) < rule.min_entropy || is_placeholder(value))
                    || is_prose(rule, value)
                {
                    continue;
                }
                // Line number of `start`, counted incrementally (offsets ascend).
                let (from, count) = line_no_cache.unwrap_or((0, 1));
                let line_index = count + slice(text, from..start).matches('\n').count();
                line_no_cache = Some((start, line_index));
                let Some(line_no) = line_of(line_index) else {
                    continue;
                };
                let mut preview = format!(
                    "{}[REDACTED:{}]{}",
                    slice(line, ..secret.start()),
                    rule.id,
                    slice(line, secret.end()..)
                );
                if preview.chars().count() > 160 {
                    preview = preview.chars().take(157).collect::<String>() + "...";
                }
                let mut h = Sha256::new();
                for part in [rule.id, path, value] {
                    h.update(part.as_bytes());
                    h.update([0]);
                }
                let finding = SecretFinding {
                    code: format!("secrets:{}", rule.id),
                    rule: rule.id.to_string(),
                    path: path.to_string(),
                    line: line_no,
                    column: slice(line, ..secret.start()).chars().count() + 1,
                    commit: commit.map(str::to_string),
                    preview: preview.trim().to_string(),
                    fingerprint: hex::encode(&h.finalize()[..16]),
                };
                out.push((finding, rule.generic));
            }
        }
        // The generic assignment rule defers to a specific rule on the same line.
        let specific: BTreeSet<usize> = out
            .iter()
            .filter(|(_, generic)| !generic)
            .map(|(f, _)| f.line)
            .collect();
        out.into_iter()
            .filter(|(f, generic)| !generic || !specific.contains(&f.line))
            .map(|(f, _)| f)
            .collect()
    }
}

fn is_dotenv(name: &str) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name);
    (file == ".env" || file.starts_with(".env."))
        && ![".env.example", ".env.sample", ".env.template", ".env.dist"].contains(&file)
}

fn dotenv_finding(path: &str, commit: Option<&str>) -> SecretFinding {
    let mut h = Sha256::new();
    let rule = rules::DOTENV_FILE.id;
    h.update(rule.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    SecretFinding {
        code: format!("secrets:{rule}"),
        rule: rule.to_string(),
        path: path.to_string(),
        line: 1,
        column: 1,
        commit: commit.map(str::to_string),
        preview: "a .env file is committed (commit .env.example instead)".into(),
        fingerprint: hex::encode(&h.finalize()[..16]),
    }
}

/// The files to scan: `git ls-files` in a checkout (what is committed), else every file.
fn list_files(root: &Path) -> Result<Vec<String>> {
    let git = crate::git::Git::new(root)
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .try_run();
    if let Some(stdout) = git {
        let mut files: Vec<String> = stdout
            .split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect();
        files.sort();
        files.dedup();
        return Ok(files);
    }
    // Not a checkout: every regular file but build output and vendored packages. Links and
    // FIFOs are not read (a FIFO would block; a link may lead anywhere).
    crate::fsutil::walk::Walk::new(root)
        .skip_dirs(&[".git", "target", "node_modules"])
        .files()
}

/// A listed file's bytes, if it is a regular file (after links, checked on the open
/// descriptor, so a FIFO git lists as a link's target cannot block us) of at most
/// [`MAX_FILE_BYTES`].
fn read_small(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let file = crate::fsutil::open_regular(path).ok()?;
    if file.metadata().ok()?.len() > MAX_FILE_BYTES {
        return None;
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= MAX_FILE_BYTES).then_some(bytes)
}

fn allowlist(findings: Vec<SecretFinding>, policy: &SecretsPolicy) -> (Vec<SecretFinding>, usize) {
    let before = findings.len();
    let kept: Vec<SecretFinding> = findings
        .into_iter()
        .filter(|f| !policy.allows(&f.path, &f.rule, &f.fingerprint))
        .collect();
    let dropped = before - kept.len();
    (kept, dropped)
}

/// Scans the files of a tree.
pub fn scan_tree(scanner: &Scanner, root: &Path, policy: &SecretsPolicy) -> Result<SecretsReport> {
    let files = list_files(root)?;
    let progress = crate::progress::Progress::items("scanning for secrets", files.len() as u64);
    let findings: Vec<SecretFinding> = files
        .par_iter()
        .flat_map_iter(|rel| {
            progress.inc(1);
            let abs = root.join(rel);
            let mut out = Vec::new();
            if is_dotenv(rel) {
                out.push(dotenv_finding(rel, None));
            }
            let Some(bytes) = read_small(&abs) else {
                return out;
            };
            if bytes[..bytes.len().min(8192)].contains(&0) {
                return out; // binary
            }
            let text = String::from_utf8_lossy(&bytes);
            out.extend(scanner.scan_text(rel, &text, None, &|l| Some(l)));
            out
        })
        .collect();
    let (mut findings, allowlisted) = allowlist(findings, policy);
    findings.sort();
    Ok(SecretsReport {
        schema_version: SCHEMA_VERSION,
        files_scanned: files.len(),
        commits_scanned: 0,
        findings,
        allowlisted,
    })
}

/// Scans the lines added by every commit of `range` (`A..B`).
pub fn scan_git_range(
    scanner: &Scanner,
    repo: &Path,
    range: &str,
    policy: &SecretsPolicy,
) -> Result<SecretsReport> {
    // Resolving first makes an empty range an error, never "clean, 0 commits".
    crate::git::range_commits(repo, range)?;
    let out = crate::git::Git::new(repo)
        .args([
            "log",
            "-p",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--no-show-signature",
            "--unified=0",
            "--format=%x00commit %H",
        ])
        .revisions(range)?
        .run()?;
    let log = String::from_utf8_lossy(&out);
    let mut findings = Vec::new();
    let mut commits = 0;
    for chunk in log.split("\u{0}commit ").filter(|c| !c.trim().is_empty()) {
        commits += 1;
        let commit = chunk.lines().next().unwrap_or("").trim().to_string();
        let mut path = String::new();
        let mut added = String::new();
        let mut lines: Vec<usize> = Vec::new();
        let mut next_line = 0usize;
        let flush = |path: &str,
                     added: &mut String,
                     lines: &mut Vec<usize>,
                     findings: &mut Vec<SecretFinding>| {
            if !path.is_empty() && !added.is_empty() {
                let map = lines.clone();
                findings.extend(
                    scanner.scan_text(path, added, Some(&commit), &|l| map.get(l - 1).copied()),
                );
            }
            added.clear();
            lines.clear();
        };
        for line in chunk.lines().skip(1) {
            if let Some(p) = line.strip_prefix("+++ ") {
                flush(&path, &mut added, &mut lines, &mut findings);
                path = p.strip_prefix("b/").unwrap_or(p).to_string();
                if path != "/dev/null" && is_dotenv(&path) {
                    findings.push(dotenv_finding(&path, Some(&commit)));
                }
            } else if let Some(h) = line.strip_prefix("@@ ") {
                // @@ -a,b +c,d @@
                next_line = h
                    .split(' ')
                    .find_map(|t| t.strip_prefix('+'))
                    .and_then(|t| t.split(',').next())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1);
            } else if let Some(content) = line.strip_prefix('+') {
                added.push_str(content);
                added.push('\n');
                lines.push(next_line);
                next_line += 1;
            }
        }
        flush(&path, &mut added, &mut lines, &mut findings);
    }
    let (mut findings, allowlisted) = allowlist(findings, policy);
    findings.sort();
    findings.dedup();
    Ok(SecretsReport {
        schema_version: SCHEMA_VERSION,
        files_scanned: 0,
        commits_scanned: commits,
        findings,
        allowlisted,
    })
}

/// A value of the generic assignment rule that reads as a sentence (three or more words) is
/// documentation, not a credential: `"password": "A secret word, phrase, or ..."` in a vendored
/// JSON schema. Redaction still masks such values in what we print (masking costs nothing);
/// the scanner, whose findings fail a build, must not report prose. Specific token rules are
/// never affected.
fn is_prose(rule: &Rule, value: &str) -> bool {
    rule.generic && value.split_whitespace().count() >= 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_are_not_assignments_but_keys_with_spaces_around_are() {
        let generic = rules::all().iter().find(|r| r.generic).unwrap();
        assert!(is_prose(
            generic,
            "A secret word, phrase, or sequence of characters"
        ));
        assert!(!is_prose(
            generic,
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
        ));
        assert!(!is_prose(generic, "two words"));
    }
}
