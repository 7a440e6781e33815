//! `Cargo.lock` reading: formats v1 to v4, with positions for every error.
//!
//! The file is first read as TOML with spans so that a broken entry is reported at its file,
//! line and field; then `cargo-lock` builds the model RustSec matching works on. We keep the
//! line of each `[[package]]` header for SARIF locations.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::Spanned;

use crate::error::{Error, Result};

/// One package entry of the lockfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedPackage {
    pub name: String,
    pub version: semver::Version,
    /// The raw `source` string (`registry+...`, `git+...`), `None` for path packages.
    pub source: Option<String>,
    pub checksum: Option<String>,
    /// Whether the source is crates.io (the only registry RustSec advisories apply to).
    pub is_crates_io: bool,
    /// 1-based line of the entry's `[[package]]` header.
    pub line: usize,
}

/// A parsed lockfile.
#[derive(Debug, Clone)]
pub struct Lockfile {
    pub path: PathBuf,
    pub sha256: String,
    /// Format version 1 to 4.
    pub format_version: u32,
    /// In file order.
    pub packages: Vec<LockedPackage>,
    /// The `cargo-lock` model (what RustSec's matching takes).
    pub model: cargo_lock::Lockfile,
    /// Whether the fast reader for cargo's canonical layout read it.
    pub fast_path: bool,
}

#[derive(Deserialize)]
struct RawLockfile {
    version: Option<Spanned<i64>>,
    #[serde(default)]
    package: Vec<Spanned<RawPackage>>,
}

#[derive(Deserialize)]
struct RawPackage {
    name: Spanned<String>,
    version: Spanned<String>,
    source: Option<Spanned<String>>,
}

/// A package of an [`Lockfile::assembled`] model whose dependency edges are not known (an
/// SBOM's component list, a recorded inventory).
pub fn without_edges(
    name: cargo_lock::Name,
    version: semver::Version,
    source: Option<cargo_lock::SourceId>,
) -> cargo_lock::Package {
    cargo_lock::Package {
        name,
        version,
        source,
        checksum: None,
        dependencies: Vec::new(),
        replace: None,
    }
}

impl Lockfile {
    /// A lockfile put together from a package list read elsewhere (a binary's embedded list,
    /// an SBOM, a recorded inventory) rather than parsed from a `Cargo.lock`: `packages` for
    /// the reports, `model` (the same packages) for RustSec's matching and the graph.
    pub fn assembled(
        path: PathBuf,
        sha256: String,
        format_version: u32,
        packages: Vec<LockedPackage>,
        model: Vec<cargo_lock::Package>,
    ) -> Lockfile {
        Lockfile {
            path,
            sha256,
            format_version,
            packages,
            model: cargo_lock::Lockfile {
                // Not read: matching and graphs take the packages only.
                version: cargo_lock::ResolveVersion::V3,
                packages: model,
                root: None,
                metadata: Default::default(),
                patch: Default::default(),
            },
            fast_path: false,
        }
    }

    pub fn load(path: &Path) -> Result<Lockfile> {
        let text = crate::fsutil::read_text(path, crate::fsutil::InputKind::Lockfile)?;
        Lockfile::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Lockfile> {
        if let Some(fast) = super::fastlock::parse(text) {
            return Ok(Lockfile::from_fast(path, text, fast));
        }
        Lockfile::parse_general(path, text)
    }

    fn from_fast(path: &Path, text: &str, fast: super::fastlock::FastLockfile) -> Lockfile {
        let packages = fast
            .model
            .packages
            .iter()
            .zip(fast.lines.iter().zip(&fast.sources).zip(&fast.checksums))
            .map(|(p, ((&line, source), checksum))| LockedPackage {
                name: p.name.as_str().to_string(),
                version: p.version.clone(),
                source: source.clone(),
                // As written (validated by `Checksum`): formatting 32 bytes per package cost
                // ~10% of a lockfile audit's instructions.
                checksum: checksum.clone(),
                is_crates_io: p.source.as_ref().is_some_and(|s| s.is_default_registry()),
                line,
            })
            .collect();
        Lockfile {
            path: path.to_path_buf(),
            sha256: hex::encode(Sha256::digest(text.as_bytes())),
            format_version: fast.explicit_version.unwrap_or(2),
            packages,
            model: fast.model,
            fast_path: true,
        }
    }

    /// The general path: TOML with spans (positioned errors), then `cargo-lock`.
    pub fn parse_general(path: &Path, text: &str) -> Result<Lockfile> {
        let raw = read_raw(path, text)?;
        let lines = crate::lines::LineIndex::new(text);
        let mut packages = Vec::with_capacity(raw.package.len());
        let mut seen = Seen::with_capacity(raw.package.len());
        for entry in &raw.package {
            packages.push(checked_package(path, &lines, entry, &mut seen)?);
        }
        let model: cargo_lock::Lockfile = text
            .parse()
            .map_err(|e: cargo_lock::Error| cargo_lock_error(path, &lines, &e))?;
        if model.packages.len() != packages.len() {
            return Err(Error::input(path, "inconsistent package list"));
        }
        for (ours, theirs) in packages.iter_mut().zip(&model.packages) {
            ours.checksum = theirs.checksum.as_ref().map(|c| c.to_string());
        }
        let format_version = match model.version {
            cargo_lock::ResolveVersion::V1 => 1,
            cargo_lock::ResolveVersion::V2 => 2,
            cargo_lock::ResolveVersion::V3 => 3,
            cargo_lock::ResolveVersion::V4 => 4,
            #[allow(unreachable_patterns)]
            _ => raw.version.map(|v| *v.get_ref() as u32).unwrap_or(0),
        };
        Ok(Lockfile {
            path: path.to_path_buf(),
            sha256: hex::encode(Sha256::digest(text.as_bytes())),
            format_version,
            packages,
            model,
            fast_path: false,
        })
    }
}

/// The file as spanned TOML: not empty, a format version we read, at least one package.
fn read_raw(path: &Path, text: &str) -> Result<RawLockfile> {
    if text.trim().is_empty() {
        return Err(Error::input(
            path,
            "empty lockfile: expected [[package]] entries",
        ));
    }
    let raw: RawLockfile = toml::from_str(text).map_err(|e| {
        let message = format!("not a valid Cargo.lock: {}", e.message().trim());
        match e.span() {
            Some(span) => Error::at_offset(path, text, span.start, message),
            None => Error::input(path, message),
        }
    })?;
    if let Some(v) = &raw.version {
        if !(1..=4).contains(v.get_ref()) {
            return Err(Error::at_offset(
                path,
                text,
                v.span().start,
                format!(
                    "version: unsupported lockfile format {}, expected 1 to 4",
                    v.get_ref()
                ),
            ));
        }
    }
    if raw.package.is_empty() {
        return Err(Error::input(
            path,
            "no [[package]] entries: truncated or not a Cargo.lock",
        ));
    }
    Ok(raw)
}

/// Where each (name, version, source) was first listed.
type Seen<'a> = std::collections::HashMap<(&'a String, &'a String, Option<&'a str>), usize>;

/// One `[[package]]` entry with its name, uniqueness, version and source checked in that
/// order (the name first: later messages quote it), each error at the field's position. The
/// checksum is filled in from `cargo-lock`'s model afterwards.
fn checked_package<'a>(
    path: &Path,
    lines: &crate::lines::LineIndex<'_>,
    entry: &'a Spanned<RawPackage>,
    seen: &mut Seen<'a>,
) -> Result<LockedPackage> {
    let p = entry.get_ref();
    let name = p.name.get_ref();
    let at =
        |span: std::ops::Range<usize>, msg: String| Error::located(path, lines, span.start, msg);
    let source_str = p.source.as_ref().map(|s| s.get_ref().as_str());
    if let Some(why) = super::names::check_name(name, super::names::is_registry_source(source_str))
    {
        return Err(at(
            p.name.span(),
            format!(
                "package `{}`: field `name`: {why}",
                crate::lines::escape(name)
            ),
        ));
    }
    if let Some(first) = seen.insert((name, p.version.get_ref(), source_str), entry.span().start) {
        return Err(at(
            entry.span(),
            format!(
                "package `{name} {}` is listed twice (first at line {})",
                p.version.get_ref(),
                lines.line(first)
            ),
        ));
    }
    let version = semver::Version::parse(p.version.get_ref()).map_err(|e| {
        at(
            p.version.span(),
            format!(
                "package `{name}`: field `version`: `{}` is not a semver version ({e})",
                p.version.get_ref()
            ),
        )
    })?;
    let mut is_crates_io = false;
    if let Some(s) = &p.source {
        // The URL parser would quietly drop or encode them; the raw string is shown.
        if s.get_ref().chars().any(char::is_control) {
            return Err(at(
                s.span(),
                format!("package `{name}`: field `source`: holds control characters"),
            ));
        }
        let id = cargo_lock::SourceId::from_url(s.get_ref())
            .map_err(|e| at(s.span(), format!("package `{name}`: field `source`: {e}")))?;
        is_crates_io = id.is_default_registry();
    }
    Ok(LockedPackage {
        name: name.clone(),
        version,
        source: p.source.as_ref().map(|s| s.get_ref().clone()),
        checksum: None,
        is_crates_io,
        line: lines.line(entry.span().start),
    })
}

/// `cargo-lock`'s errors as one `FILE:LINE:COL: message` line. Its TOML errors are several
/// lines (a source snippet with a caret): the position is taken from the first line and the
/// message from the text after the snippet.
fn cargo_lock_error(
    path: &Path,
    lines: &crate::lines::LineIndex<'_>,
    e: &cargo_lock::Error,
) -> Error {
    let text = e.to_string();
    let position = text.lines().next().and_then(|first| {
        let rest = first.split_once("at line ")?.1;
        let (line, column) = rest.split_once(", column ")?;
        Some((line.trim().parse().ok()?, column.trim().parse().ok()?))
    });
    let message: Vec<&str> = text
        .lines()
        .skip(usize::from(position.is_some()))
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('|') && !is_snippet_line(l))
        .collect();
    let message = format!("not a valid Cargo.lock: {}", message.join(" "));
    let (line, column) = position.unwrap_or_else(|| lines.line_column(0));
    Error::Located {
        path: path.to_path_buf(),
        line,
        column,
        message,
    }
}

/// `12 | source text` lines of a TOML error snippet.
fn is_snippet_line(line: &str) -> bool {
    line.split_once(" |")
        .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"version = 3

[[package]]
name = "app"
version = "0.1.0"
dependencies = [
 "smallvec",
]

[[package]]
name = "smallvec"
version = "1.6.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "fe0f37c9e8f3c5a4a66ad655a93c74daac4ad00c441533bf5c6e7990bb42604e"
"#;

    #[test]
    fn parses_lines_and_sources() {
        let lock = Lockfile::parse(Path::new("Cargo.lock"), LOCK).unwrap();
        assert_eq!(lock.format_version, 3);
        assert_eq!(lock.packages.len(), 2);
        assert_eq!(lock.packages[0].line, 3);
        assert!(!lock.packages[0].is_crates_io);
        assert_eq!(lock.packages[1].line, 10);
        assert!(lock.packages[1].is_crates_io);
        assert!(lock.packages[1].checksum.is_some());
    }

    #[test]
    fn bad_version_names_line_and_field() {
        let text = LOCK.replace("1.6.0", "1.6");
        let err = Lockfile::parse(Path::new("Cargo.lock"), &text)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("Cargo.lock:12:11: package `smallvec`: field `version`"),
            "{err}"
        );
    }

    #[test]
    fn truncated_and_garbage_are_clear() {
        let (cut, _) = LOCK.split_once("version = \"1.6.0\"").unwrap();
        let err = Lockfile::parse(Path::new("Cargo.lock"), cut)
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing field `version`"), "{err}");
        let err = Lockfile::parse(Path::new("Cargo.lock"), "\u{1}\u{2}garbage[[")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("Cargo.lock:1:"), "{err}");
        let err = Lockfile::parse(Path::new("Cargo.lock"), "")
            .unwrap_err()
            .to_string();
        assert!(err.contains("empty lockfile"), "{err}");
    }
}
