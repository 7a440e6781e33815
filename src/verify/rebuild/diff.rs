//! Explaining why two builds of one artifact differ: sizes and the first differing byte for
//! any file; which members differ (content or metadata) for tar, tar.gz / .crate and zip
//! archives; which sections differ for ELF objects.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

/// Most differing members or sections listed.
const MAX_LISTED: usize = 20;

/// Facts about a difference, as check details (sorted keys).
pub fn explain(published: &Path, rebuilt: &Path) -> BTreeMap<String, String> {
    let mut details = BTreeMap::new();
    let (Ok(a), Ok(b)) = (std::fs::read(published), std::fs::read(rebuilt)) else {
        return details;
    };
    details.insert("published_size".into(), a.len().to_string());
    details.insert("rebuilt_size".into(), b.len().to_string());
    if let Some(offset) = a
        .iter()
        .zip(&b)
        .position(|(x, y)| x != y)
        .or((a.len() != b.len()).then(|| a.len().min(b.len())))
    {
        details.insert("first_difference_at".into(), offset.to_string());
    }
    let name = published
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    // What differs, under the detail key that names it.
    let members = if name.ends_with(".tar.gz") || name.ends_with(".tgz") || name.ends_with(".crate")
    {
        Some((
            "differing_members",
            tar_members(flate2::read::GzDecoder::new(&a[..]))
                .zip(tar_members(flate2::read::GzDecoder::new(&b[..]))),
        ))
    } else if name.ends_with(".tar") {
        Some((
            "differing_members",
            tar_members(&a[..]).zip(tar_members(&b[..])),
        ))
    } else if name.ends_with(".zip") || name.ends_with(".jar") || name.ends_with(".whl") {
        Some(("differing_members", zip_members(&a).zip(zip_members(&b))))
    } else if a.starts_with(b"\x7fELF") && b.starts_with(b"\x7fELF") {
        Some(("differing_sections", elf_sections(&a).zip(elf_sections(&b))))
    } else {
        None
    };
    if let Some((key, Some((left, right)))) = members {
        let differing = compare_maps(&left, &right);
        if !differing.is_empty() {
            let shown: Vec<String> = differing.iter().take(MAX_LISTED).cloned().collect();
            let more = differing.len().saturating_sub(MAX_LISTED);
            details.insert(
                key.into(),
                if more > 0 {
                    format!("{} (+{more} more)", shown.join("; "))
                } else {
                    shown.join("; ")
                },
            );
        }
    }
    details
}

/// `name: what differs` for every key whose description differs or is on one side only.
fn compare_maps(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    for (name, da) in a {
        match b.get(name) {
            None => out.push(format!("{name}: only in the published artifact")),
            Some(db) if da != db => out.push(format!("{name}: {}", describe(da, db))),
            Some(_) => {}
        }
    }
    for name in b.keys().filter(|n| !a.contains_key(*n)) {
        out.push(format!("{name}: only in the rebuild"));
    }
    out
}

/// Which fields of two `field=value ...` descriptions differ.
fn describe(a: &str, b: &str) -> String {
    let fa: BTreeMap<&str, &str> = a.split(' ').filter_map(|kv| kv.split_once('=')).collect();
    let fb: BTreeMap<&str, &str> = b.split(' ').filter_map(|kv| kv.split_once('=')).collect();
    let diffs: Vec<String> = fa
        .iter()
        .filter(|(k, v)| fb.get(*k) != Some(v))
        .map(|(k, v)| format!("{k} {v} vs {}", fb.get(k).unwrap_or(&"-")))
        .collect();
    diffs.join(", ")
}

fn short_digest(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..8])
}

fn tar_members(reader: impl Read) -> Option<BTreeMap<String, String>> {
    let mut archive = tar::Archive::new(reader);
    let mut out = BTreeMap::new();
    for entry in archive.entries().ok()? {
        let mut entry = entry.ok()?;
        let name = entry.path().ok()?.to_string_lossy().to_string();
        let h = entry.header();
        let meta = format!(
            "mtime={} mode={:o} uid={} gid={}",
            h.mtime().unwrap_or(0),
            h.mode().unwrap_or(0),
            h.uid().unwrap_or(0),
            h.gid().unwrap_or(0)
        );
        let mut data = Vec::new();
        entry.read_to_end(&mut data).ok()?;
        out.insert(
            name,
            format!("content={} size={} {meta}", short_digest(&data), data.len()),
        );
    }
    Some(out)
}

fn zip_members(bytes: &[u8]) -> Option<BTreeMap<String, String>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
    let mut out = BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).ok()?;
        let name = file.name().to_string();
        let modified = file
            .last_modified()
            .map(|t| format!("{t:?}").replace(' ', "_"))
            .unwrap_or_default();
        let mode = file.unix_mode().unwrap_or(0);
        let mut data = Vec::new();
        file.read_to_end(&mut data).ok()?;
        out.insert(
            name,
            format!(
                "content={} size={} mtime={modified} mode={mode:o}",
                short_digest(&data),
                data.len()
            ),
        );
    }
    Some(out)
}

fn elf_sections(bytes: &[u8]) -> Option<BTreeMap<String, String>> {
    use object::{Object, ObjectSection};
    let file = object::File::parse(bytes).ok()?;
    let mut out = BTreeMap::new();
    for section in file.sections() {
        let name = section.name().ok()?.to_string();
        if name.is_empty() {
            continue;
        }
        let data = section.data().unwrap_or(&[]);
        out.insert(
            name,
            format!("content={} size={}", short_digest(data), section.size()),
        );
    }
    Some(out)
}
