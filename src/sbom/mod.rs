//! SBOMs: the dependency graph of a project (`Cargo.lock`, plus `cargo metadata` when it can
//! run) or of a release binary (`cargo auditable` data), as CycloneDX 1.6 or SPDX 2.3 JSON; and
//! the reverse, an SBOM's `pkg:cargo` components as an inventory `chainwarden audit --sbom`
//! audits.
//!
//! Invariants: the packages are exactly the audit's inventory (same set, same order: name,
//! version, source); every list is sorted; identifiers (CycloneDX serial number, SPDX
//! namespace) are derived from the content, so the same input gives byte-identical documents
//! (the time is the run's clock, `--now` to pin it).

pub mod cyclonedx;
pub mod purl;
pub mod read;
pub mod spdx;

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};

use crate::audit::model::DependencyKind;
use crate::inventory::binary::AuditableBinary;
use crate::inventory::{Graph, Lockfile, Resolution};

/// One package of the SBOM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SbomPackage {
    pub name: String,
    pub version: String,
    /// `registry+URL`, `git+URL#rev`; `None` for path packages.
    pub source: Option<String>,
    /// What a binary records instead of a source URL (`crates.io`, `local`, `git`, ...).
    pub binary_source: Option<String>,
    /// SHA-256 of the `.crate` file, from `Cargo.lock`.
    pub checksum: Option<String>,
    /// How the workspace reaches it (empty: unknown, lockfile alone).
    pub kinds: Vec<DependencyKind>,
    /// A root of the graph: workspace member, or the binary's own crate.
    pub root: bool,
    /// Licence expression (cargo metadata), when known.
    pub license: Option<String>,
    /// Indices (into [`Sbom::packages`]) of its dependencies, sorted.
    pub dependencies: Vec<usize>,
}

impl SbomPackage {
    pub fn purl(&self) -> String {
        purl::cargo_purl(
            &self.name,
            &self.version,
            self.source.as_deref(),
            self.binary_source.as_deref(),
        )
    }

    /// Only dev-dependencies reach it: not part of what ships.
    pub fn dev_only(&self) -> bool {
        !self.kinds.is_empty() && self.kinds.iter().all(|k| *k == DependencyKind::Dev)
    }

    /// Only build (and dev) dependencies reach it: compiled, not shipped.
    pub fn build_only(&self) -> bool {
        !self.kinds.is_empty()
            && !self.kinds.contains(&DependencyKind::Normal)
            && self.kinds.contains(&DependencyKind::Build)
    }
}

/// What an SBOM was generated from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SbomInput {
    Lockfile,
    /// A binary's `cargo auditable` dependency list.
    Binary,
}

impl SbomInput {
    /// As the documents name it (`chainwarden:input`, SPDX's comment).
    pub fn as_str(self) -> &'static str {
        match self {
            SbomInput::Lockfile => "Cargo.lock",
            SbomInput::Binary => "binary",
        }
    }
}

/// What the SBOM describes.
#[derive(Debug, Clone)]
pub struct Sbom {
    /// Name of the described thing (the root crate, else the file or directory name).
    pub subject: String,
    pub subject_version: Option<String>,
    pub input_kind: SbomInput,
    /// SHA-256 of the input file.
    pub input_sha256: String,
    pub packages: Vec<SbomPackage>,
    /// RFC 3339, UTC.
    pub time: String,
    pub tool_version: String,
}

impl Sbom {
    /// From a lockfile, its graph, and `cargo metadata`'s resolution and licences when known.
    pub fn from_lockfile(
        lock: &Lockfile,
        graph: &Graph,
        resolution: Option<&Resolution>,
        licenses: &HashMap<(String, String), String>,
        fallback_name: &str,
        time: String,
    ) -> Sbom {
        let order = sorted_order(lock.packages.len(), |i| {
            let p = &lock.packages[i];
            (p.name.clone(), p.version.to_string(), p.source.clone())
        });
        let roots: Vec<usize> = match resolution {
            Some(r) => r.members.clone(),
            None => graph.roots().to_vec(),
        };
        let packages = order
            .iter()
            .map(|&i| {
                let p = &lock.packages[i];
                SbomPackage {
                    name: p.name.clone(),
                    version: p.version.to_string(),
                    source: p.source.clone(),
                    binary_source: None,
                    checksum: p.checksum.clone(),
                    kinds: resolution.map(|r| r.kinds[i].clone()).unwrap_or_default(),
                    root: roots.contains(&i),
                    license: licenses
                        .get(&(p.name.clone(), p.version.to_string()))
                        .cloned(),
                    dependencies: remap(graph.dependencies(i), &order),
                }
            })
            .collect();
        Sbom::finish(
            packages,
            SbomInput::Lockfile,
            &lock.sha256,
            fallback_name,
            time,
        )
    }

    /// From the dependency list embedded in a binary (kinds: build or runtime).
    pub fn from_binary(bin: &AuditableBinary, fallback_name: &str, time: String) -> Sbom {
        let list = &bin.info.packages;
        let source_text = |s: &auditable_serde::Source| String::from(s.clone());
        let order = sorted_order(list.len(), |i| {
            let p = &list[i];
            (
                p.name.clone(),
                p.version.to_string(),
                Some(source_text(&p.source)),
            )
        });
        let packages = order
            .iter()
            .map(|&i| {
                let p = &list[i];
                let crates_io = matches!(p.source, auditable_serde::Source::CratesIo);
                SbomPackage {
                    name: p.name.clone(),
                    version: p.version.to_string(),
                    source: crates_io.then(|| purl::CRATES_IO_SOURCE.to_string()),
                    binary_source: Some(source_text(&p.source)),
                    checksum: None,
                    kinds: vec![match p.kind {
                        auditable_serde::DependencyKind::Build => DependencyKind::Build,
                        auditable_serde::DependencyKind::Runtime => DependencyKind::Normal,
                    }],
                    root: p.root,
                    license: None,
                    dependencies: remap(&p.dependencies, &order),
                }
            })
            .collect();
        Sbom::finish(
            packages,
            SbomInput::Binary,
            &bin.sha256,
            fallback_name,
            time,
        )
    }

    fn finish(
        packages: Vec<SbomPackage>,
        input_kind: SbomInput,
        sha256: &str,
        fallback_name: &str,
        time: String,
    ) -> Sbom {
        let roots: Vec<&SbomPackage> = packages.iter().filter(|p| p.root).collect();
        let (subject, subject_version) = match roots.as_slice() {
            [one] => (one.name.clone(), Some(one.version.clone())),
            _ => (fallback_name.to_string(), None),
        };
        Sbom {
            subject,
            subject_version,
            input_kind,
            input_sha256: sha256.to_string(),
            packages,
            time,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    /// A digest of everything but the time: the seed of serial numbers and namespaces.
    pub fn content_digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.subject.as_bytes());
        h.update([0]);
        h.update(self.input_sha256.as_bytes());
        for p in &self.packages {
            for field in [
                p.name.as_str(),
                p.version.as_str(),
                p.source.as_deref().unwrap_or(""),
                p.checksum.as_deref().unwrap_or(""),
                p.license.as_deref().unwrap_or(""),
            ] {
                h.update(field.as_bytes());
                h.update([0]);
            }
            h.update(format!("{:?}{:?}{}", p.kinds, p.dependencies, p.root).as_bytes());
        }
        h.finalize().into()
    }

    /// Licence expressions by (name, version) from `cargo metadata` (`/` is the legacy
    /// spelling of `OR`).
    pub fn licenses_from_metadata(
        metadata: &cargo_metadata::Metadata,
    ) -> HashMap<(String, String), String> {
        metadata
            .packages
            .iter()
            .filter_map(|p| {
                let license = p.license.as_ref()?.replace('/', " OR ");
                Some(((p.name.to_string(), p.version.to_string()), license))
            })
            .collect()
    }
}

/// Indices sorted by a key; stable for equal keys.
fn sorted_order<K: Ord>(n: usize, key: impl Fn(usize) -> K) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| key(i));
    order
}

/// Original indices → sorted positions.
fn remap(deps: &[usize], order: &[usize]) -> Vec<usize> {
    let position: BTreeMap<usize, usize> =
        order.iter().enumerate().map(|(pos, &i)| (i, pos)).collect();
    let mut out: Vec<usize> = deps
        .iter()
        .filter_map(|d| position.get(d).copied())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// A UUID (RFC 9562 layout, version 5 and variant bits set) from a digest: a serial number
/// derived from content instead of a random one.
pub fn uuid_from_digest(digest: &[u8; 32]) -> String {
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    format!(
        "{}-{}-{}-{}-{}",
        hex::encode(&b[0..4]),
        hex::encode(&b[4..6]),
        hex::encode(&b[6..8]),
        hex::encode(&b[8..10]),
        hex::encode(&b[10..16])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_has_version_and_variant() {
        let u = uuid_from_digest(&[0xff; 32]);
        assert_eq!(u, "ffffffff-ffff-5fff-bfff-ffffffffffff");
        assert_eq!(
            uuid_from_digest(&[0; 32]),
            "00000000-0000-5000-8000-000000000000"
        );
    }
}
