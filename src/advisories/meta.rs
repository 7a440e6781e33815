//! What we know about a database copy: its commit and date, from (in order) the marker
//! `chainwarden db update` writes, a `SNAPSHOT.txt`, or the git checkout it is.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use time::OffsetDateTime;

use crate::clock::parse_rfc3339;

/// The marker file written next to a downloaded database.
pub const MARKER: &str = ".chainwarden-db.json";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DbMeta {
    pub commit: Option<String>,
    /// Date of the commit the copy was taken at.
    pub date: Option<OffsetDateTime>,
    /// When the copy was downloaded (marker only).
    pub fetched: Option<OffsetDateTime>,
    /// Where the information came from: `marker`, `SNAPSHOT.txt`, `git`, or `unknown`.
    pub source: &'static str,
}

#[derive(Deserialize)]
struct Marker {
    commit: Option<String>,
    date: Option<String>,
    fetched: Option<String>,
}

/// The default cache root, `<user cache dir>/chainwarden` (the CLI lets
/// `CHAINWARDEN_CACHE_DIR` override it).
pub fn default_cache_root() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("chainwarden"))
}

/// The archive digest a managed copy was installed from (its content key), if any.
pub fn archive_sha256(dir: &Path) -> Option<String> {
    #[derive(Deserialize)]
    struct Digest {
        archive_sha256: Option<String>,
    }
    let text = std::fs::read_to_string(dir.join(MARKER)).ok()?;
    let sha = serde_json::from_str::<Digest>(&text).ok()?.archive_sha256?;
    (sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit())).then_some(sha)
}

pub fn metadata(dir: &Path) -> DbMeta {
    if let Ok(text) = std::fs::read_to_string(dir.join(MARKER)) {
        if let Ok(m) = serde_json::from_str::<Marker>(&text) {
            return DbMeta {
                commit: m.commit,
                date: m.date.as_deref().and_then(|d| parse_rfc3339(d).ok()),
                fetched: m.fetched.as_deref().and_then(|d| parse_rfc3339(d).ok()),
                source: "marker",
            };
        }
    }
    if let Ok(text) = std::fs::read_to_string(dir.join("SNAPSHOT.txt")) {
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
                .map(|v| v.trim().to_string())
        };
        return DbMeta {
            commit: field("commit"),
            date: field("date").and_then(|d| parse_rfc3339(&d).ok()),
            fetched: None,
            source: "SNAPSHOT.txt",
        };
    }
    if dir.join(".git").exists() {
        if let Some(text) = crate::git::last_commit_format(dir, "%H%n%cI") {
            let mut lines = text.lines();
            return DbMeta {
                commit: lines.next().map(str::to_string),
                date: lines.next().and_then(|d| parse_rfc3339(d).ok()),
                fetched: None,
                source: "git",
            };
        }
    }
    DbMeta {
        source: "unknown",
        ..DbMeta::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("SNAPSHOT.txt"),
            "commit bf5c0d245a92671908518d7e765914d437954ed6\ndate 2026-08-21T08:28:40+02:00\nsource rustsec/advisory-db\n",
        )
        .unwrap();
        let m = metadata(dir.path());
        assert_eq!(
            m.commit.as_deref(),
            Some("bf5c0d245a92671908518d7e765914d437954ed6")
        );
        assert_eq!(
            crate::clock::format_rfc3339(m.date.unwrap()),
            "2026-08-21T06:28:40Z"
        );
        assert_eq!(m.source, "SNAPSHOT.txt");
    }
}
