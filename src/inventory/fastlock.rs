//! A fast reader for the canonical layout cargo writes in `Cargo.lock`.
//!
//! Parsing a 1,200-package lockfile through a general TOML parser costs ~7 ms per pass, more
//! than the rest of an audit together. Cargo writes lockfiles in one fixed layout (a `version`
//! line, `[[package]]` tables of `key = "string"` lines and one-per-line `dependencies`
//! arrays), so this reader accepts exactly that layout and builds the same `cargo-lock` model.
//!
//! Invariant: it either returns the model `cargo-lock` would build from the same text, or
//! `None` — on *anything* outside the canonical layout (comments in odd places, escapes,
//! inline tables, `[metadata]`, `[patch]`, `replace`, v1 files, names either reader refuses,
//! duplicate entries, ...). The caller then takes the
//! general TOML path, which also produces the positioned errors. A test checks the two paths
//! agree on every real lockfile we have.

use std::str::FromStr;

// foldhash, seeded per process: SipHash over ~6,000 keys was a tenth of a lockfile audit's
// instructions. The keys come from the (hostile) lockfile, so the hasher stays randomly seeded.
use foldhash::{HashMap, HashSet};

use cargo_lock::{Checksum, Dependency, Lockfile, Name, Package, ResolveVersion, SourceId};

use crate::text::slice;

/// What the fast path read: the model and the line of each `[[package]]` header.
pub(super) struct FastLockfile {
    pub model: Lockfile,
    pub lines: Vec<usize>,
    /// `source` strings exactly as written.
    pub sources: Vec<Option<String>>,
    /// `checksum` strings, lowercase (as `Checksum`'s `Display` writes them).
    pub checksums: Vec<Option<String>>,
    pub explicit_version: Option<u32>,
}

struct Raw<'a> {
    name: Option<&'a str>,
    version: Option<&'a str>,
    source: Option<&'a str>,
    checksum: Option<&'a str>,
    deps: Vec<&'a str>,
    line: usize,
}

/// A `"..."` value with no escapes, inner quotes or control characters (tab included: the
/// general reader decides on anything unusual, so the two never disagree).
fn plain_string(value: &str) -> Option<&str> {
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    let plain = inner
        .bytes()
        .all(|b| b != b'"' && b != b'\\' && b >= 0x20 && b != 0x7f);
    plain.then_some(inner)
}

/// The lines of `text` exactly as `str::lines` gives them (split at `\n`, one `\r` before it
/// dropped, no empty last line after a final `\n`).
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', text.as_bytes());
    ends.map(Some)
        .chain(std::iter::once(None))
        .filter_map(move |end| {
            let from = start;
            let line = match end {
                Some(end) => {
                    start = end + 1;
                    // `\n` is ASCII: a char boundary, so `slice` never comes back empty here.
                    let line = slice(text, from..end);
                    line.strip_suffix('\r').unwrap_or(line)
                }
                None if from < text.len() => slice(text, from..),
                None => return None,
            };
            Some(line)
        })
}

/// A comment TOML accepts: no control characters but tab.
fn plain_comment(line: &str) -> bool {
    line.bytes().all(|b| (b >= 0x20 && b != 0x7f) || b == b'\t')
}

pub(super) fn parse(text: &str) -> Option<FastLockfile> {
    let mut explicit_version = None;
    let mut raws: Vec<Raw<'_>> = Vec::new();
    let mut in_deps = false;
    // `str::lines` and `split_once(" = ")` set up a searcher per line: a fifth of this
    // reader's time. One memchr pass and one prebuilt finder give the same pieces.
    let assignment = memchr::memmem::Finder::new(" = ");
    for (n, line) in lines(text).enumerate() {
        // TOML whitespace only (`trim_end` would also drop Unicode spaces TOML refuses).
        let line = line.trim_end_matches([' ', '\t']);
        if in_deps {
            if line == "]" {
                in_deps = false;
            } else {
                let dep = plain_string(line.trim_start_matches([' ', '\t']).strip_suffix(',')?)?;
                raws.last_mut()?.deps.push(dep);
            }
            continue;
        }
        if line.is_empty() || (line.starts_with('#') && raws.is_empty() && plain_comment(line)) {
            continue;
        }
        if line == "[[package]]" {
            raws.push(Raw {
                name: None,
                version: None,
                source: None,
                checksum: None,
                deps: Vec::new(),
                line: n + 1,
            });
            continue;
        }
        let at = assignment.find(line.as_bytes())?;
        // " = " is ASCII: both ends of it are char boundaries.
        let (key, value) = (line.get(..at)?, line.get(at + 3..)?);
        let Some(current) = raws.last_mut() else {
            // Before the first package only `version = N` is canonical.
            if key != "version" || explicit_version.is_some() {
                return None;
            }
            explicit_version = Some(value.parse::<u32>().ok().filter(|v| (2..=4).contains(v))?);
            continue;
        };
        let slot = match key {
            "name" => &mut current.name,
            "version" => &mut current.version,
            "source" => &mut current.source,
            "checksum" => &mut current.checksum,
            "dependencies" if value == "[" => {
                in_deps = true;
                continue;
            }
            _ => return None,
        };
        if slot.replace(plain_string(value)?).is_some() {
            return None;
        }
    }
    if in_deps || raws.is_empty() {
        return None;
    }
    build(raws, explicit_version)
}

fn build(raws: Vec<Raw<'_>>, explicit_version: Option<u32>) -> Option<FastLockfile> {
    let mut packages = Vec::with_capacity(raws.len());
    // Names and duplicates are checked exactly as the general reader checks them; anything it
    // would refuse goes there (`None`), which reports it with its position.
    let mut seen = HashSet::with_capacity_and_hasher(raws.len(), Default::default());
    // Nearly every package has the same source: parse each distinct URL once.
    let mut source_ids: HashMap<&str, SourceId> = HashMap::default();
    for raw in &raws {
        let name = raw.name?;
        if super::names::check_name(name, super::names::is_registry_source(raw.source)).is_some()
            || !seen.insert((name, raw.version?, raw.source))
        {
            return None;
        }
        let source = match raw.source {
            Some(s) => Some(match source_ids.get(s) {
                Some(id) => id.clone(),
                None => {
                    let id = SourceId::from_url(s).ok()?;
                    source_ids.insert(s, id.clone());
                    id
                }
            }),
            None => None,
        };
        packages.push(Package {
            name: Name::from_str(raw.name?).ok()?,
            version: semver::Version::parse(raw.version?).ok()?,
            source,
            checksum: raw.checksum.map(Checksum::from_str).transpose().ok()?,
            dependencies: Vec::new(),
            replace: None,
        });
    }
    // Resolve dependency strings as cargo-lock does: the first package with that name (and
    // version, when given); a dependency that names its source is taken as written.
    // First index per name and per (name, version): linear, even for a hostile file with
    // thousands of versions of one name.
    let mut by_name: HashMap<&str, usize> =
        HashMap::with_capacity_and_hasher(raws.len(), Default::default());
    let mut by_name_version: HashMap<(&str, &str), usize> =
        HashMap::with_capacity_and_hasher(raws.len(), Default::default());
    for (i, raw) in raws.iter().enumerate() {
        by_name.entry(raw.name?).or_insert(i);
        by_name_version
            .entry((raw.name?, raw.version?))
            .or_insert(i);
    }
    for (i, raw) in raws.iter().enumerate() {
        let mut deps = Vec::with_capacity(raw.deps.len());
        for dep in &raw.deps {
            let mut parts = dep.split(' ');
            let name = parts.next()?;
            let version = parts.next();
            let source = parts.next();
            if parts.next().is_some() {
                return None;
            }
            let resolved = match source {
                Some(s) => {
                    let s = s.strip_prefix('(')?.strip_suffix(')')?;
                    Dependency {
                        name: Name::from_str(name).ok()?,
                        version: semver::Version::parse(version?).ok()?,
                        source: Some(SourceId::from_url(s).ok()?),
                    }
                }
                None => {
                    let j = *match version {
                        Some(v) => by_name_version.get(&(name, v))?,
                        None => by_name.get(name)?,
                    };
                    Dependency {
                        name: packages[j].name.clone(),
                        version: packages[j].version.clone(),
                        source: packages[j].source.clone(),
                    }
                }
            };
            deps.push(resolved);
        }
        packages[i].dependencies = deps;
    }
    let version = match explicit_version {
        Some(3) => ResolveVersion::V3,
        Some(4) => ResolveVersion::V4,
        _ => ResolveVersion::V2,
    };
    Some(FastLockfile {
        lines: raws.iter().map(|r| r.line).collect(),
        sources: raws.iter().map(|r| r.source.map(str::to_string)).collect(),
        checksums: raws
            .iter()
            .map(|r| r.checksum.map(str::to_ascii_lowercase))
            .collect(),
        model: Lockfile {
            version,
            packages,
            root: None,
            metadata: Default::default(),
            patch: Default::default(),
        },
        explicit_version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_those_of_str_lines() {
        for text in [
            "",
            "\n",
            "a",
            "a\n",
            "a\r\nb",
            "a\r",
            "a\rb\n\n",
            "\r\n\r\n",
            "x\n\ny\r\n",
            "é\nü\r",
        ] {
            assert_eq!(
                lines(text).collect::<Vec<_>>(),
                text.lines().collect::<Vec<_>>(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn refuses_anything_unusual() {
        assert!(parse("version = 3\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n").is_some());
        assert!(
            parse("version = 3\n\n[[package]]\nname = \"a\\u0041\"\nversion = \"1.0.0\"\n")
                .is_none()
        );
        assert!(parse(
            "version = 3\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nreplace = \"b\"\n"
        )
        .is_none());
        assert!(parse("[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[metadata]\n").is_none());
        assert!(parse("version = 1\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n").is_none());
        assert!(parse("").is_none());
    }

    #[test]
    fn names_and_duplicates_the_general_reader_refuses_are_left_to_it() {
        let pkg = |name: &str| {
            format!("\n[[package]]\nname = \"{name}\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n")
        };
        assert!(parse(&format!("version = 3\n{}", pkg("serde"))).is_some());
        for name in ["../../../../x", "app\u{1b}[2J", "crâte", "a b", ""] {
            assert!(
                parse(&format!("version = 3\n{}", pkg(name))).is_none(),
                "{name:?}"
            );
        }
        let raw_control = "version = 3\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\u{1}\"\n";
        assert!(parse(raw_control).is_none());
        let twice = format!("version = 3\n{}{}", pkg("serde"), pkg("serde"));
        assert!(parse(&twice).is_none());
    }
}
