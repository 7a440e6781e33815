//! The inventory memo: for what determines an audit's inventory, the SHA-256 of the
//! inventory's text, so that a recorded audit of an unchanged lockfile (CI's daily run) neither
//! serialises its ~230 KB inventory nor hashes it to learn that its store already holds it.
//! That was a quarter of what recording cost (0.5 ms of ~2 ms, bench/compare.sh's "recording
//! evidence" row).
//!
//! Key: SHA-256 over this build (its format and version, its executable's path, size,
//! modification time and inode, and the shape of an inventory entry as it writes one), the
//! digest of the audited input (the lockfile, binary or SBOM every package's name, version,
//! source and checksum were read from), its format, its package count, the graph mode, and
//! each package's dependency kinds and workspace flag in inventory order (what `cargo
//! metadata`'s resolution adds; empty in lockfile mode). For one build, the inventory is a
//! function of exactly these: it is sorted (by every field, first by name, version and source,
//! which the input alone fixes and which are unique in a valid input), so the kinds and flags
//! in that order are tied to their packages.
//!
//! What the memo decides is which digest to ask the store about: a run uses a stored
//! inventory only when the store holds text of that digest and no secret of this run's
//! environment occurs in it (see `RunRecord::from_audit_for_store`). That the text is the one
//! this run would have written rests on the key being complete; without the memo, hashing the
//! text proved it. Debug builds therefore serialise the inventory on every hit and stop if the
//! memo's digest is not its digest, so every hit in the test suite checks the key (and a test
//! makes a hit with a wrong digest on purpose, to show that the check runs).
//!
//! Entries live in the user's cache directory (`<cache root>/inventories`), which already
//! holds the advisory index and the graph cache, under the same rules: an entry is used only
//! when it parses, names this format and exactly this key, and holds a digest; anything else
//! (oversized, malformed, a FIFO) is a miss. Entries are renamed into place complete, without
//! an fsync (a crash can only leave a miss); at most [`MAX_ENTRIES`] are kept.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::audit::model::{AuditReport, GraphMode};
use crate::finding::{DependencyKind, Package};

/// Bump when the key's fields or the entry's format change (a change to the code that builds
/// an inventory changes the executable, which the key names: see [`build_identity`]).
const FORMAT: &str = concat!("chainwarden-inventory-memo-1/", env!("CARGO_PKG_VERSION"));
/// Largest entry read (an entry is ~250 bytes).
const MAX_ENTRY_BYTES: u64 = 4096;
/// Entries kept (oldest removed first): one per distinct lockfile a user records.
pub const MAX_ENTRIES: usize = 64;

/// Which build is running: the executable's path, size, modification time and inode. Two
/// builds of one version (a checkout of main a week apart, whose code may build an inventory
/// differently without changing its shape) do not share keys; a rebuild or reinstall starts
/// the memo afresh. One `statx`, where hashing the 20 MB executable would cost more than the
/// memo saves.
fn build_identity() -> Option<Vec<u8>> {
    use std::os::unix::fs::MetadataExt;
    let exe = std::env::current_exe().ok()?;
    let meta = std::fs::metadata(&exe).ok()?;
    let mut id = exe.into_os_string().into_encoded_bytes();
    for n in [
        meta.len(),
        meta.mtime() as u64,
        meta.mtime_nsec() as u64,
        meta.dev(),
        meta.ino(),
    ] {
        id.extend(n.to_le_bytes());
    }
    Some(id)
}

/// An inventory entry as this build writes it, every field set (see [`build_identity`]; this
/// also covers a build whose executable cannot be told apart).
fn entry_shape() -> String {
    let sample = Package {
        name: "n".into(),
        version: "1.0.0".into(),
        source: Some("s".into()),
        checksum: Some("c".into()),
        dependency_kinds: vec![
            DependencyKind::Normal,
            DependencyKind::Build,
            DependencyKind::Dev,
        ],
        workspace_member: true,
    };
    serde_json::to_string(&sample).expect("a package serialises")
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    format: String,
    key: String,
    inventory_sha256: String,
}

/// The memo in one cache directory.
pub struct InventoryMemo {
    dir: PathBuf,
}

impl InventoryMemo {
    /// The memo under `cache_root/inventories`.
    pub fn in_cache(cache_root: &Path) -> InventoryMemo {
        InventoryMemo {
            dir: cache_root.join("inventories"),
        }
    }

    /// The key of `report`'s inventory (hex); see the module documentation. `None` when this
    /// build cannot be identified: no memo then.
    pub fn key(report: &AuditReport) -> Option<String> {
        Some(Self::key_for_build(report, &build_identity()?))
    }

    fn key_for_build(report: &AuditReport, build: &[u8]) -> String {
        let mut key = crate::fsutil::CacheKey::new();
        let mut field = |name: &str, value: &[u8]| key.field(name, value);
        field("format", FORMAT.as_bytes());
        field("build", build);
        field("shape", entry_shape().as_bytes());
        field("input", report.lockfile.sha256.as_bytes());
        field(
            "input-format",
            &report.lockfile.format_version.to_le_bytes(),
        );
        field(
            "packages",
            &(report.lockfile.package_count as u64).to_le_bytes(),
        );
        field(
            "mode",
            match report.settings.mode {
                GraphMode::Lockfile => b"lockfile",
                GraphMode::Metadata => b"metadata",
            },
        );
        // One byte per kind and a terminator per package: ~1,200 packages cost microseconds.
        let mut resolved = Vec::with_capacity(report.inventory.len() * 3);
        for p in &report.inventory {
            // Every field named: one added to `Package` is a compile error here until it is
            // either read from the audited input (covered by its digest) or added to the key.
            let Package {
                name: _,
                version: _,
                source: _,
                checksum: _,
                dependency_kinds,
                workspace_member,
            } = p;
            resolved.extend(dependency_kinds.iter().map(|k| match k {
                DependencyKind::Normal => b'n',
                DependencyKind::Build => b'b',
                DependencyKind::Dev => b'd',
            }));
            resolved.push(if *workspace_member { b'M' } else { b'.' });
        }
        field(
            "inventory-count",
            &(report.inventory.len() as u64).to_le_bytes(),
        );
        field("resolution", &resolved);
        key.finish()
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir
            .join(format!("{}.json", crate::text::prefix(key, 32)))
    }

    /// The inventory digest remembered for `key`, if a valid entry holds one.
    pub fn lookup(&self, key: &str) -> Option<String> {
        let bytes = crate::fsutil::read_at_most(&self.path(key), MAX_ENTRY_BYTES)?;
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        let digest = entry.inventory_sha256;
        let is_digest = digest.len() == 64
            && digest
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        (entry.format == FORMAT && entry.key == key && is_digest).then_some(digest)
    }

    /// Remembers `inventory_sha256` for `key`; failures only cost the next run its speed.
    pub fn remember(&self, key: &str, inventory_sha256: &str) {
        let entry = Entry {
            format: FORMAT.to_string(),
            key: key.to_string(),
            inventory_sha256: inventory_sha256.to_string(),
        };
        let Ok(bytes) = serde_json::to_vec(&entry) else {
            return;
        };
        if crate::fsutil::write_cache_entry(&self.path(key), &bytes).is_ok() {
            crate::fsutil::keep_newest(&self.dir, MAX_ENTRIES, |n| n.ends_with(".json"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_of(report: &AuditReport) -> String {
        InventoryMemo::key_for_build(report, b"this build")
    }

    fn report() -> AuditReport {
        let snap = include_str!(
            "../../tests/integration/snapshots/integration__audit__json_real_ripgrep_2019.snap"
        );
        serde_json::from_str(snap.splitn(3, "---\n").nth(2).unwrap()).unwrap()
    }

    /// The key follows every input it names and nothing else: the time, the findings and the
    /// scope of a run do not change it.
    #[test]
    fn the_key_follows_what_determines_the_inventory() {
        let base = report();
        let key = key_of(&base);
        let mut later = base.clone();
        later.time = "2031-01-01T00:00:00Z".into();
        later.findings.clear();
        later.scope.tenant_id = Some("acme".into());
        assert_eq!(key_of(&later), key);
        let changed: Vec<fn(&mut AuditReport)> = vec![
            |r| r.lockfile.sha256 = "0".repeat(64),
            |r| r.lockfile.format_version += 1,
            |r| r.lockfile.package_count += 1,
            |r| r.settings.mode = GraphMode::Metadata,
            |r| r.inventory[3].dependency_kinds = vec![DependencyKind::Dev],
            |r| r.inventory[0].workspace_member = true,
            |r| {
                r.inventory.push(Package {
                    name: "x".into(),
                    version: "1.0.0".into(),
                    source: None,
                    checksum: None,
                    dependency_kinds: Vec::new(),
                    workspace_member: false,
                })
            },
        ];
        for (i, change) in changed.into_iter().enumerate() {
            let mut r = base.clone();
            change(&mut r);
            assert_ne!(key_of(&r), key, "change {i}");
        }
        // Another build (another executable) is another key; this one can be identified.
        let r = report();
        assert_ne!(
            InventoryMemo::key_for_build(&r, b"a"),
            InventoryMemo::key_for_build(&r, b"b")
        );
        assert!(InventoryMemo::key(&r).is_some());
        // The same kinds on neighbouring packages are not the same resolution.
        let (mut a, mut b) = (base.clone(), base);
        a.inventory[1].dependency_kinds = vec![DependencyKind::Build, DependencyKind::Dev];
        b.inventory[1].dependency_kinds = vec![DependencyKind::Build];
        b.inventory[2]
            .dependency_kinds
            .insert(0, DependencyKind::Dev);
        assert_ne!(key_of(&a), key_of(&b));
    }

    #[test]
    fn an_entry_is_read_back_only_for_its_own_key_and_format() {
        let dir = tempfile::tempdir().unwrap();
        let memo = InventoryMemo::in_cache(dir.path());
        let key = key_of(&report());
        let digest = "ab".repeat(32);
        assert_eq!(memo.lookup(&key), None);
        memo.remember(&key, &digest);
        assert_eq!(memo.lookup(&key), Some(digest.clone()));
        // Another key sharing the file name's prefix.
        let other = format!("{}{}", crate::text::prefix(&key, 32), "0".repeat(32));
        assert_eq!(memo.lookup(&other), None);
        let path = memo.path(&key);
        let write = |text: String| std::fs::write(&path, text).unwrap();
        for bad in [
            format!(
                r#"{{"format":"chainwarden-inventory-memo-0/0.0.0","key":"{key}","inventory_sha256":"{digest}"}}"#
            ),
            format!(
                r#"{{"format":"{FORMAT}","key":"{key}","inventory_sha256":"{}"}}"#,
                "AB".repeat(32)
            ),
            format!(r#"{{"format":"{FORMAT}","key":"{key}","inventory_sha256":"../x"}}"#),
            format!(r#"{{"format":"{FORMAT}","key":"{key}","inventory_sha256":"{digest}","x":1}}"#),
            format!(
                r#"{{"format":"{FORMAT}","key":"{key}","inventory_sha256":"{digest}"}}{}"#,
                " ".repeat(5000)
            ),
            "not json".to_string(),
        ] {
            write(bad.clone());
            assert_eq!(memo.lookup(&key), None, "{bad}");
        }
    }

    /// A FIFO in place of an entry is a miss at once, not a wait for a writer.
    #[cfg(unix)]
    #[test]
    fn a_fifo_in_place_of_an_entry_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let memo = InventoryMemo::in_cache(dir.path());
        let key = key_of(&report());
        std::fs::create_dir_all(&memo.dir).unwrap();
        crate::fsutil::tests::mkfifo(&memo.path(&key));
        // On another thread, so that a lookup that blocks fails the test instead of hanging it.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(memo.lookup(&key)).unwrap());
        let found = rx.recv_timeout(std::time::Duration::from_secs(20));
        assert_eq!(found, Ok(None), "a FIFO entry is a miss at once");
    }

    #[test]
    fn at_most_max_entries_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let memo = InventoryMemo::in_cache(dir.path());
        for i in 0..MAX_ENTRIES + 5 {
            memo.remember(&format!("{i:032x}{:032x}", 0), &"ab".repeat(32));
        }
        assert_eq!(std::fs::read_dir(&memo.dir).unwrap().count(), MAX_ENTRIES);
    }
}
