//! Loading a RustSec advisory database directory (plain files or a git checkout).
//!
//! `rustsec::Database::open` parses ~1,200 advisories one after another; we parse them in
//! parallel with the very same `rustsec::Advisory` parser and the same layout checks, and cache
//! the result in a validated index (see [`super::index`]). Matching uses RustSec's own
//! `Query::matches`, so semantics stay exactly RustSec's (version ranges, prereleases,
//! withdrawn advisories, `affected.os`/`affected.arch`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rustsec::advisory::Advisory;
use rustsec::Collection;

use super::index;
use crate::error::{Error, Result};
use crate::fsutil::walk::{Kind, Walk};

/// A loaded database. Advisories are kept without their descriptions (see
/// [`AdvisoryDb::from_advisories`]).
#[derive(Debug)]
pub struct AdvisoryDb {
    pub path: PathBuf,
    /// Whether the advisories came from an index (no walk, no parsing).
    pub from_index: bool,
    /// Advisories of both collections, withdrawn included (as cargo-audit counts).
    count: usize,
    /// Crates advisories not yet deserialised (index loads only).
    index: Option<index::Index>,
    /// Where the index of an unmanaged directory is kept, to rebuild it when a stamp is stale.
    cached_index: Option<CachedIndex>,
    /// Crates advisories by package name.
    loaded: HashMap<String, Vec<Advisory>>,
    /// `crates/`, opened at the first stamp check (stamps are checked relative to it).
    crates_dir: Option<std::os::fd::OwnedFd>,
}

/// The index of an unmanaged directory in the cache.
#[derive(Debug, Clone)]
struct CachedIndex {
    index_dir: PathBuf,
    path: PathBuf,
    key: String,
}

impl AdvisoryDb {
    /// Loads `dir`: from its index when a valid one exists (inside a managed copy, or in
    /// `index_dir` for other directories), else by parsing every advisory in parallel — and
    /// then writing the index for next time.
    pub fn open(dir: &Path, index_dir: Option<&Path>) -> Result<AdvisoryDb> {
        if let Some(archive_sha256) = super::meta::archive_sha256(dir) {
            let key = index::archive_key(&archive_sha256);
            let path = dir.join(index::IN_COPY);
            if let Some(idx) = index::read(&path, &key) {
                return Ok(AdvisoryDb::from_index(dir, idx, None));
            }
            let db = AdvisoryDb::parse(dir)?;
            // A read-only copy only costs speed.
            let _ = index::write(&path, &key, &db.all(), db.count, None);
            return Ok(db);
        }
        let Some(index_dir) = index_dir else {
            return AdvisoryDb::parse(dir);
        };
        let (location, key) = index::directory_key(dir)?;
        let cached = CachedIndex {
            index_dir: index_dir.to_path_buf(),
            path: index::cache_index_path(index_dir, &location),
            key,
        };
        if let Some(idx) = index::read(&cached.path, &cached.key) {
            return Ok(AdvisoryDb::from_index(dir, idx, Some(cached)));
        }
        AdvisoryDb::parse_and_index(dir, cached)
    }

    /// Parses an unmanaged directory and writes its index with the stamps taken before parsing
    /// (a file changed meanwhile fails its stamp next time).
    fn parse_and_index(dir: &Path, cached: CachedIndex) -> Result<AdvisoryDb> {
        let files = advisory_files(dir)?;
        let stamps = index::stamps(dir, &files)?;
        let db = AdvisoryDb::from_advisories(dir, parse_all(dir, &files)?);
        if index::write(
            &cached.path,
            &cached.key,
            &db.all(),
            db.count,
            Some(&stamps),
        )
        .is_ok()
        {
            index::prune(&cached.index_dir);
        }
        Ok(db)
    }

    /// Parses every advisory file (no index).
    pub fn parse(dir: &Path) -> Result<AdvisoryDb> {
        let files = advisory_files(dir)?;
        Ok(AdvisoryDb::from_advisories(dir, parse_all(dir, &files)?))
    }

    fn from_index(dir: &Path, idx: index::Index, cached_index: Option<CachedIndex>) -> AdvisoryDb {
        AdvisoryDb {
            path: dir.to_path_buf(),
            from_index: true,
            count: idx.advisory_count,
            index: Some(idx),
            cached_index,
            loaded: HashMap::new(),
            crates_dir: None,
        }
    }

    fn from_advisories(dir: &Path, advisories: Vec<Advisory>) -> AdvisoryDb {
        let count = advisories.len();
        let mut loaded: HashMap<String, Vec<Advisory>> = HashMap::new();
        for mut a in advisories {
            // Not kept: nothing chainwarden writes uses an advisory's description (findings
            // carry its id, title, URL and aliases), and descriptions were 48% of the index's
            // bytes and most of the JSON an audit deserialised from it.
            a.metadata.description = String::new();
            if a.metadata.collection == Some(Collection::Crates) {
                loaded
                    .entry(a.metadata.package.as_str().to_string())
                    .or_default()
                    .push(a);
            }
        }
        AdvisoryDb {
            path: dir.to_path_buf(),
            from_index: false,
            count,
            index: None,
            cached_index: None,
            loaded,
            crates_dir: None,
        }
    }

    /// Every loaded crates advisory (for writing an index after a full parse).
    fn all(&self) -> Vec<Advisory> {
        let mut v: Vec<Advisory> = self.loaded.values().flatten().cloned().collect();
        v.sort_by(|a, b| a.metadata.id.cmp(&b.metadata.id));
        v
    }

    /// Deserialises the indexed advisories of these packages (a no-op after a full parse).
    /// A package directory whose stamp no longer matches the disk makes the whole directory be
    /// parsed and indexed again.
    pub fn prepare<'n>(&mut self, names: impl IntoIterator<Item = &'n str>) -> Result<()> {
        for name in names {
            if self.loaded.contains_key(name) {
                continue;
            }
            let Some(index) = &self.index else { continue };
            let Some(raw) = index.package_json(name) else {
                continue;
            };
            let entry: index::PackageEntry = serde_json::from_slice(&raw).map_err(|e| {
                Error::database(format!(
                    "{}: advisory index entry for `{name}` is unreadable ({e}); remove the index and run again",
                    self.path.display()
                ))
                .caused_by(e)
            })?;
            let fresh = match &entry.stamp {
                None => true,
                Some(stamp) => {
                    if self.crates_dir.is_none() {
                        self.crates_dir = index::open_crates_dir(&self.path);
                    }
                    self.crates_dir
                        .as_ref()
                        .is_some_and(|crates| stamp.matches(crates, name))
                }
            };
            match (&self.cached_index, fresh) {
                (_, true) => {
                    self.loaded.insert(name.to_string(), entry.advisories);
                }
                (Some(cached), false) => {
                    let rebuilt = AdvisoryDb::parse_and_index(&self.path, cached.clone())?;
                    *self = rebuilt;
                }
                (None, false) => {
                    return Err(Error::database(format!(
                        "{}: advisory index entry for `{name}` is stale",
                        self.path.display()
                    )))
                }
            }
        }
        Ok(())
    }

    /// Number of advisories (both collections, withdrawn included), as cargo-audit counts.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Crates advisories for a package name (after [`AdvisoryDb::prepare`] for index loads).
    pub fn for_package(&self, name: &str) -> impl Iterator<Item = &Advisory> {
        self.loaded.get(name).into_iter().flatten()
    }
}

/// Every advisory file of the `crates` and `rust` collections, sorted (deterministic index key).
pub(crate) fn advisory_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let meta = std::fs::metadata(dir)
        .map_err(|e| Error::database(format!("{}: {e}", dir.display())).caused_by(e))?;
    if !meta.is_dir() {
        return Err(Error::database(format!(
            "{}: not a directory",
            dir.display()
        )));
    }
    let crates = dir.join("crates");
    if !crates.is_dir() {
        return Err(Error::database(format!(
            "{}: not a RustSec advisory database (no crates/ directory)",
            dir.display()
        )));
    }
    let mut files = Vec::new();
    for collection in ["crates", "rust"] {
        let root = dir.join(collection);
        if !root.is_dir() {
            continue;
        }
        // `<collection>/<package>/<advisory>`: exactly two levels, links not followed.
        let entries = Walk::new(&root)
            .at_depth(2)
            .entries()
            .map_err(|e| Error::database(format!("{}: {e}", root.display())).caused_by(e))?;
        for entry in entries {
            let name = entry.rel.rsplit('/').next().unwrap_or("");
            if name.starts_with('.') {
                continue;
            }
            // Reading a FIFO would block: refused here, by kind, before anything opens it.
            if entry.kind.is_special() {
                return Err(Error::database(format!(
                    "{}: {collection}/{} is not a regular file ({}): refused",
                    dir.display(),
                    entry.rel,
                    entry.kind.what()
                )));
            }
            let path = root.join(&entry.rel);
            // A link must reach a regular file: a loop or a dangling link is named here, not
            // found later as a database that "changed while indexing".
            if entry.kind == Kind::Link {
                match std::fs::metadata(&path) {
                    Ok(m) if m.is_file() => {}
                    Ok(_) => {
                        return Err(Error::database(format!(
                            "{}: {collection}/{} is a link to something other than a file: refused",
                            dir.display(),
                            entry.rel
                        )))
                    }
                    Err(e) => {
                        let named = crate::fsutil::path_error(&path, e);
                        return Err(Error::database(format!("{}: {named}", dir.display())));
                    }
                }
            }
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Parses every file in parallel, with the checks `rustsec::Database::open` makes.
fn parse_all(dir: &Path, files: &[PathBuf]) -> Result<Vec<Advisory>> {
    let parsed: Vec<Result<Option<Advisory>>> =
        files.par_iter().map(|f| parse_one(dir, f)).collect();
    let mut advisories = Vec::with_capacity(parsed.len());
    let mut ids = std::collections::HashSet::new();
    for result in parsed {
        if let Some(a) = result? {
            if !ids.insert(a.metadata.id.clone()) {
                return Err(Error::database(format!(
                    "duplicate advisory id {}",
                    a.metadata.id
                )));
            }
            advisories.push(a);
        }
    }
    Ok(advisories)
}

fn parse_one(dir: &Path, path: &Path) -> Result<Option<Advisory>> {
    let shown = path.strip_prefix(dir).unwrap_or(path).display().to_string();
    let broken = |what: String| {
        Error::database(format!(
            "{}: broken advisory file {shown}: {what}",
            dir.display()
        ))
    };
    if path.extension().and_then(|e| e.to_str()) != Some("md") {
        return Err(broken("expected a .md advisory".into()));
    }
    // Bounded and never blocking, like every input (a link may lead to a FIFO).
    let text = crate::fsutil::read_text(path, crate::fsutil::InputKind::Other)
        .map_err(|e| broken(e.to_string()))?;
    let mut advisory: Advisory = text
        .parse()
        .map_err(|e: rustsec::Error| broken(error_chain(&e)))?;
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if file_name != format!("{}.md", advisory.metadata.id) && !Advisory::is_draft(path) {
        return Err(broken(format!(
            "file name does not match its id {}",
            advisory.metadata.id
        )));
    }
    let package_dir = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str());
    if package_dir != Some(advisory.metadata.package.as_str()) {
        return Err(broken(format!(
            "not in a directory named after its package `{}`",
            advisory.metadata.package
        )));
    }
    let collection_dir = path
        .parent()
        .and_then(Path::parent)
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str());
    let collection = match collection_dir {
        Some("crates") => Collection::Crates,
        Some("rust") => Collection::Rust,
        _ => return Err(broken("not under crates/ or rust/".into())),
    };
    match advisory.metadata.collection {
        Some(c) if c != collection => {
            return Err(broken("collection does not match its directory".into()))
        }
        _ => advisory.metadata.collection = Some(collection),
    }
    if advisory.metadata.id.is_placeholder() {
        return Ok(None);
    }
    Ok(Some(advisory))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(more.trim());
        }
        source = s.source();
    }
    text
}
