//! The lockfile reader's fast path must agree with the general TOML path on real lockfiles.

use std::path::PathBuf;

use crate::common::{data, repo_root};
use chainwarden::inventory::Lockfile;

fn lockfiles() -> Vec<PathBuf> {
    let mut all = vec![
        repo_root().join("Cargo.lock"),
        repo_root().join("bench/fixtures/big/Cargo.lock"),
    ];
    if let Some(root) = data("lockfiles") {
        for e in std::fs::read_dir(root).unwrap() {
            let p = e.unwrap().path().join("Cargo.lock");
            if p.is_file() {
                all.push(p);
            }
        }
    }
    all.sort();
    all
}

#[test]
fn fast_and_general_lockfile_readers_agree() {
    let mut fast_used = 0;
    for path in lockfiles() {
        let text = std::fs::read_to_string(&path).unwrap();
        let general = Lockfile::parse_general(&path, &text).unwrap();
        let parsed = Lockfile::parse(&path, &text).unwrap();
        assert_eq!(parsed.packages, general.packages, "{}", path.display());
        assert_eq!(parsed.model, general.model, "{}", path.display());
        assert_eq!(
            parsed.format_version,
            general.format_version,
            "{}",
            path.display()
        );
        assert!(!general.fast_path);
        if parsed.fast_path {
            fast_used += 1;
        }
    }
    assert!(fast_used >= 10, "most real lockfiles take the fast path");
}

/// The report's version text is semver's `Display` on every version of every real lockfile
/// (`version_text` skips `Display`'s padding machinery for speed, and must not change a byte).
#[test]
fn version_text_is_display_on_every_real_lockfile_version() {
    let mut checked = 0;
    for path in lockfiles() {
        let text = std::fs::read_to_string(&path).unwrap();
        for p in Lockfile::parse(&path, &text).unwrap().packages {
            assert_eq!(
                chainwarden::inventory::version_text(&p.version),
                p.version.to_string(),
                "{}",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked > 1000, "{checked} versions");
}
