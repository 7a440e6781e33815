//! Checksum manifests: GNU coreutils (`HEX  name`, `HEX *name`, and the `\`-escaped form for
//! names with newlines or backslashes), BSD tags (`SHA256 (name) = HEX`), GoReleaser's
//! `checksums.txt` (the GNU form), and a JSON manifest `{"artifacts": [{"name", "sha256",
//! "size"}]}`. Formats are detected per line; algorithms by tag or by digest length.
//!
//! Names are checked here, before any file is touched: absolute paths, `..` components, NUL
//! bytes and one name listed with two different digests are refused as unsafe, with the line.

use std::collections::HashMap;
use std::path::{Component, Path};

use serde::Deserialize;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    Sha256,
    Sha384,
    Sha512,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha384 => "sha384",
            Algorithm::Sha512 => "sha512",
        }
    }

    fn from_hex_len(len: usize) -> Option<Algorithm> {
        match len {
            64 => Some(Algorithm::Sha256),
            96 => Some(Algorithm::Sha384),
            128 => Some(Algorithm::Sha512),
            _ => None,
        }
    }

    fn from_tag(tag: &str) -> Option<Algorithm> {
        match tag {
            "SHA256" | "SHA2-256" => Some(Algorithm::Sha256),
            "SHA384" | "SHA2-384" => Some(Algorithm::Sha384),
            "SHA512" | "SHA2-512" => Some(Algorithm::Sha512),
            _ => None,
        }
    }
}

/// One artifact a manifest lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The name as listed (relative path, `/`-separated).
    pub name: String,
    pub algorithm: Algorithm,
    /// Lower-case hex.
    pub digest: String,
    /// Expected size in bytes (JSON manifests).
    pub size: Option<u64>,
    /// 1-based line of the entry.
    pub line: usize,
    /// Why the name is unsafe, if it is (the entry is then reported, never opened).
    pub unsafe_reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonManifest {
    artifacts: Vec<JsonArtifact>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonArtifact {
    name: String,
    sha256: String,
    size: Option<u64>,
}

/// Parses a manifest. Lines that are no known format are errors (exit 2) naming the line.
pub fn parse(path: &Path, text: &str) -> Result<Vec<Entry>> {
    let mut entries = if text.trim_start().starts_with('{') {
        parse_json(path, text)?
    } else {
        parse_lines(path, text)?
    };
    if entries.is_empty() {
        return Err(Error::input(path, "the manifest lists no artifacts"));
    }
    mark_unsafe(&mut entries);
    Ok(entries)
}

fn parse_lines(path: &Path, text: &str) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line_no = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let entry = parse_bsd(line).or_else(|| parse_gnu(line)).ok_or_else(|| {
            Error::at_line(
                path,
                line_no,
                "not a checksum line (expected `HEX  name`, `HEX *name` or `SHA256 (name) = HEX`)",
            )
        })?;
        let (name, algorithm, digest) = entry.map_err(|m| Error::at_line(path, line_no, m))?;
        entries.push(Entry {
            name,
            algorithm,
            digest,
            size: None,
            line: line_no,
            unsafe_reason: None,
        });
    }
    Ok(entries)
}

type Parsed = std::result::Result<(String, Algorithm, String), String>;

/// GNU `sha256sum -c`'s prefix: leading blanks, then `\` when the name is escaped.
fn line_prefix(line: &str) -> (bool, &str) {
    let line = line.trim_start_matches([' ', '\t']);
    match line.strip_prefix('\\') {
        Some(rest) => (true, rest),
        None => (false, line),
    }
}

/// The tagged forms: BSD / `--tag` (`SHA256 (name) = HEX`) and OpenSSL's (`SHA256(name)= HEX`,
/// OpenSSL 3 writes `SHA2-256(name)= HEX`). As GNU: the tag is upper-case, at most one space
/// before `(`, the name runs to the last `)`, then an optional space, `=`, an optional space.
fn parse_bsd(line: &str) -> Option<Parsed> {
    let (escaped, rest) = line_prefix(line);
    let (tag, rest) = rest.split_once('(')?;
    let tag = tag.strip_suffix(' ').unwrap_or(tag);
    if tag.bytes().any(|b| b.is_ascii_lowercase()) {
        return None;
    }
    let algorithm = Algorithm::from_tag(tag)?;
    let (name, after) = rest.rsplit_once(')')?;
    let after = after.strip_prefix(' ').unwrap_or(after);
    let digest = after.strip_prefix('=')?;
    let digest = digest.strip_prefix(' ').unwrap_or(digest);
    Some(
        check_digest(digest, Some(algorithm))
            .and_then(|(a, d)| Ok((unescape(name, escaped)?, a, d))),
    )
}

/// The GNU form: `HEX`, one blank (space or TAB), an optional mode character (` ` text,
/// `*` binary), then the name to the end of the line. `HEX  name`, `HEX *name`, `HEX name` and
/// `HEX<TAB>name` are all accepted by `sha256sum -c`.
fn parse_gnu(line: &str) -> Option<Parsed> {
    let (escaped, rest) = line_prefix(line);
    let hex_len = rest.bytes().take_while(u8::is_ascii_hexdigit).count();
    if hex_len == 0 {
        return None;
    }
    let (digest, tail) = rest.split_at(hex_len);
    let tail = tail.strip_prefix([' ', '\t'])?;
    let name = tail.strip_prefix([' ', '*']).unwrap_or(tail);
    if name.is_empty() {
        return None;
    }
    Some(check_digest(digest, None).and_then(|(a, d)| Ok((unescape(name, escaped)?, a, d))))
}

fn check_digest(
    hex: &str,
    algorithm: Option<Algorithm>,
) -> std::result::Result<(Algorithm, String), String> {
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("digest `{hex}` is not hexadecimal"));
    }
    let by_len = Algorithm::from_hex_len(hex.len()).ok_or_else(|| {
        format!(
            "digest of {} hex digits is no sha256, sha384 or sha512 digest",
            hex.len()
        )
    })?;
    match algorithm {
        Some(a) if a != by_len => Err(format!(
            "{} digest has {} hex digits",
            a.as_str(),
            hex.len()
        )),
        _ => Ok((by_len, hex.to_ascii_lowercase())),
    }
}

/// Undoes coreutils' escaping: `\\` → `\`, `\n` → newline (only in `\`-prefixed lines).
fn unescape(name: &str, escaped: bool) -> std::result::Result<String, String> {
    if !escaped {
        return Ok(name.to_string());
    }
    let mut out = String::with_capacity(name.len());
    let mut chars = name.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            other => {
                return Err(format!(
                    "bad escape `\\{}` in name",
                    other.map(String::from).unwrap_or_default()
                ))
            }
        }
    }
    Ok(out)
}

fn parse_json(path: &Path, text: &str) -> Result<Vec<Entry>> {
    // Strict parse first: a manifest with a key given twice is refused (two readers could
    // otherwise see two different manifests); then the typed read of that same tree.
    let tree = crate::json::parse(text.as_bytes()).map_err(|e| Error::Located {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: format!("not a JSON checksum manifest: {e}"),
    })?;
    let manifest: JsonManifest = serde_json::from_value(tree)
        .map_err(|e| Error::input(path, format!("not a JSON checksum manifest: {e}")))?;
    let mut entries = Vec::new();
    let mut search_from = 0;
    // One index for every entry's line (a per-entry rescan was quadratic).
    let lines = crate::lines::LineIndex::new(text);
    for (i, a) in manifest.artifacts.into_iter().enumerate() {
        // The line of the entry: where its name first appears after the previous one (a name
        // written with escapes is not found: the previous position stands, never mid-char).
        let quoted = serde_json::to_string(&a.name).unwrap_or_default();
        let found = text.get(search_from..).and_then(|rest| rest.find(&quoted));
        let at = found.map_or(search_from, |p| p + search_from);
        if found.is_some() {
            search_from = at + quoted.len();
        }
        let line = lines.line(at);
        let (algorithm, digest) = check_digest(&a.sha256, Some(Algorithm::Sha256))
            .map_err(|m| Error::at_line(path, line, format!("artifacts[{i}].sha256: {m}")))?;
        entries.push(Entry {
            name: a.name,
            algorithm,
            digest,
            size: a.size,
            line,
            unsafe_reason: None,
        });
    }
    Ok(entries)
}

/// Why a listed name must not be opened, if it must not.
pub fn unsafe_name(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("empty name".into());
    }
    if name.contains('\0') {
        return Some("name contains a NUL byte".into());
    }
    // A leading `\` is a root-relative path on Windows only; on Unix `\a` is a plain name
    // (`sha256sum -c` opens it, and so do we).
    if name.starts_with('/')
        || (cfg!(windows) && name.starts_with('\\'))
        || name.get(1..3) == Some(":\\")
        || name.get(1..3) == Some(":/")
    {
        return Some("absolute path".into());
    }
    if Path::new(name)
        .components()
        .any(|c| matches!(c, Component::ParentDir))
        || name.split(['/', '\\']).any(|p| p == "..")
    {
        return Some("`..` component".into());
    }
    None
}

fn mark_unsafe(entries: &mut [Entry]) {
    let mut first_digest: HashMap<String, (String, usize)> = HashMap::new();
    let mut conflicts: HashMap<String, Vec<usize>> = HashMap::new();
    for e in entries.iter() {
        match first_digest.get(&e.name) {
            Some((d, line)) if *d != e.digest => conflicts
                .entry(e.name.clone())
                .or_insert_with(|| vec![*line])
                .push(e.line),
            Some(_) => {}
            None => {
                first_digest.insert(e.name.clone(), (e.digest.clone(), e.line));
            }
        }
    }
    for e in entries.iter_mut() {
        e.unsafe_reason = unsafe_name(&e.name).or_else(|| {
            conflicts.get(&e.name).map(|lines| {
                let lines: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                format!(
                    "listed with different digests on lines {}",
                    lines.join(", ")
                )
            })
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn names(text: &str) -> Vec<(String, Option<String>)> {
        parse(Path::new("SUMS"), text)
            .unwrap()
            .into_iter()
            .map(|e| (e.name, e.unsafe_reason))
            .collect()
    }

    #[test]
    fn all_formats_per_line() {
        let text = format!("{H}  a.tar.gz\n{H} *b.bin\nSHA256 (c d.txt) = {H}\n\\{H}  new\\nline\\\\x\n\n# comment\n");
        let e = parse(Path::new("SUMS"), &text).unwrap();
        let got: Vec<&str> = e.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(got, vec!["a.tar.gz", "b.bin", "c d.txt", "new\nline\\x"]);
        assert_eq!(e[2].line, 3);
        let sha512 = "a".repeat(128);
        let e = parse(
            Path::new("SUMS"),
            &format!("SHA512 (x) = {sha512}\n{sha512}  y\n"),
        )
        .unwrap();
        assert!(e.iter().all(|e| e.algorithm == Algorithm::Sha512));
    }

    #[test]
    fn bad_lines_are_located() {
        let err = parse(Path::new("SUMS"), &format!("{H}  ok\nnot a line\n"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("SUMS:2:1: not a checksum line"), "{err}");
        let err = parse(Path::new("SUMS"), "SHA256 (x) = abcd\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("SUMS:1:1: digest of 4 hex digits"), "{err}");
        let err = parse(
            Path::new("m.json"),
            "{\"artifacts\": [{\"name\": \"a\", \"sha256\": \"zz\"}]}",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("artifacts[0].sha256"), "{err}");
    }

    #[test]
    fn unsafe_names_are_marked() {
        let other = "0".repeat(64);
        let text = format!("{H}  /etc/passwd\n{H}  ../up\n{H}  a/../../b\n{H}  dup\n{other}  dup\n{H}  fine/x\n\\{H}  nul\\0byte\n");
        let n = names(&text);
        assert_eq!(n[0].1.as_deref(), Some("absolute path"));
        assert_eq!(n[1].1.as_deref(), Some("`..` component"));
        assert_eq!(n[2].1.as_deref(), Some("`..` component"));
        assert_eq!(
            n[3].1.as_deref(),
            Some("listed with different digests on lines 4, 5")
        );
        assert_eq!(
            n[4].1.as_deref(),
            Some("listed with different digests on lines 4, 5")
        );
        assert_eq!(n[5].1, None);
        assert_eq!(n[6].1.as_deref(), Some("name contains a NUL byte"));
    }

    #[test]
    fn json_manifest_with_lines() {
        let text = format!("{{\n  \"artifacts\": [\n    {{\"name\": \"a\", \"sha256\": \"{H}\", \"size\": 0}},\n    {{\"name\": \"b\", \"sha256\": \"{H}\"}}\n  ]\n}}\n");
        let e = parse(Path::new("m.json"), &text).unwrap();
        assert_eq!((e[0].line, e[0].size), (3, Some(0)));
        assert_eq!(e[1].line, 4);
    }

    #[test]
    fn every_form_gnu_accepts() {
        let cases = [
            format!("SHA256(a)= {H}"),
            format!("SHA256(a)={H}"),
            format!("SHA256 (a)= {H}"),
            format!("SHA2-256(a)= {H}"),
            format!("{H} a"),
            format!("{H}\ta"),
            format!("{H}\t*a"),
            format!("{H}\t a"),
            format!("  {H}  a"),
            format!("\tSHA256 (a) = {H}"),
            format!("{}  a", H.to_ascii_uppercase()),
        ];
        for line in cases {
            let e = parse(Path::new("SUMS"), &format!("{line}\n")).unwrap();
            assert_eq!(
                (e[0].name.as_str(), e[0].digest.as_str()),
                ("a", H),
                "{line:?}"
            );
        }
        // The name runs to the last `)`; a TAB after the separator belongs to the name.
        let e = parse(Path::new("S"), &format!("SHA256 (x) = y) = {H}\n")).unwrap();
        assert_eq!(e[0].name, "x) = y");
        let e = parse(Path::new("S"), &format!("{H}\t\ta\n")).unwrap();
        assert_eq!(e[0].name, "\ta");
        // A file literally named `\a`, escaped or not, is a plain relative name on Unix.
        for line in [format!("\\{H}  \\\\a"), format!("{H}  \\a")] {
            let n = names(&format!("{line}\n"));
            assert_eq!(n[0].0, "\\a");
            assert_eq!(
                n[0].1,
                if cfg!(windows) {
                    Some("absolute path".into())
                } else {
                    None
                }
            );
        }
    }

    #[test]
    fn forms_gnu_refuses_stay_refused() {
        for line in [
            format!("sha256 (a) = {H}"),
            format!("SHA256  (a) = {H}"),
            format!("MD5 (a) = {H}"),
            format!("{H}  "),
            H.to_string(),
            format!("{H}a"),
        ] {
            assert!(
                parse(Path::new("S"), &format!("{line}\n")).is_err(),
                "{line:?}"
            );
        }
    }

    #[test]
    fn json_manifests_are_strict_and_never_panic_on_names() {
        let dup = format!(
            "{{\"artifacts\": [{{\"name\": \"a\", \"name\": \"../x\", \"sha256\": \"{H}\"}}]}}"
        );
        let err = parse(Path::new("m.json"), &dup).unwrap_err().to_string();
        assert!(
            err.starts_with("m.json:1:") && err.contains("duplicate"),
            "{err}"
        );
        // Non-ASCII names, written raw and as \u escapes, in any order.
        let text = format!(
            "{{\"artifacts\": [\n{{\"name\": \"\\u00e9t\\u00e9.bin\", \"sha256\": \"{H}\"}},\n{{\"name\": \"été.bin\", \"sha256\": \"{H}\"}},\n{{\"name\": \"日本\", \"sha256\": \"{H}\"}}]}}"
        );
        let e = parse(Path::new("m.json"), &text).unwrap();
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].name, "été.bin");
        assert_eq!(e[2].name, "日本");
        assert_eq!(e[2].line, 4);
    }
}
