//! Reading an SBOM (CycloneDX or SPDX JSON, ours or another tool's) back into an inventory:
//! its `pkg:cargo` components, as a [`Lockfile`] `chainwarden audit --sbom` audits.
//!
//! Hostile input: a bounded read of a regular file, duplicate JSON keys refused, every purl
//! parsed fully (a malformed `pkg:cargo` purl is an error naming its JSON path, never skipped),
//! and a document with no `pkg:cargo` component is refused rather than audited as clean.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;
use std::str::FromStr;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::purl::{parse_cargo, CRATES_IO_SOURCE};
use crate::error::{Error, Result};
use crate::inventory::lockfile::{without_edges, LockedPackage, Lockfile};

/// SBOMs of the largest Rust workspaces are a few MiB.
pub const MAX_SBOM_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a regular file of at most `limit` bytes.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(Error::input(path, "not a regular file"));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(|e| Error::io(path, e))?
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(Error::input(
            path,
            format!("over the {} MiB limit", limit >> 20),
        ));
    }
    Ok(bytes)
}

/// The `pkg:cargo` packages of a CycloneDX or SPDX JSON document, as a lockfile.
pub fn load(path: &Path) -> Result<Lockfile> {
    let bytes = read_limited(path, MAX_SBOM_BYTES)?;
    let doc = crate::json::parse(&bytes)
        .map_err(|e| Error::at_line(path, e.line(), format!("not valid JSON: {e}")))?;
    let purls = if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        let mut out = Vec::new();
        cyclonedx_purls(&doc["components"], "components", 0, &mut out);
        out
    } else if doc
        .get("spdxVersion")
        .and_then(Value::as_str)
        .is_some_and(|v| v.starts_with("SPDX-2."))
    {
        spdx_purls(&doc)
    } else {
        return Err(Error::input(
            path,
            "not a CycloneDX (bomFormat) or SPDX 2.x (spdxVersion) JSON document",
        ));
    };
    let mut seen = BTreeSet::new();
    let mut packages = Vec::new();
    let mut model = Vec::new();
    for (at, purl) in purls {
        if !purl.starts_with("pkg:cargo/") {
            continue;
        }
        let bad = |why: &str| Error::input(path, format!("{at}: `{purl}`: {why}"));
        let parsed = parse_cargo(&purl).ok_or_else(|| bad("not a valid pkg:cargo purl"))?;
        let version = semver::Version::parse(&parsed.version)
            .map_err(|e| bad(&format!("version is not semver ({e})")))?;
        let name = cargo_lock::Name::from_str(&parsed.name)
            .map_err(|e| bad(&format!("not a crate name ({e})")))?;
        if !seen.insert((parsed.name.clone(), version.to_string(), parsed.crates_io)) {
            continue;
        }
        let source = parsed.crates_io.then(|| {
            cargo_lock::SourceId::from_url(CRATES_IO_SOURCE).expect("crates.io source id")
        });
        packages.push(LockedPackage {
            name: parsed.name.clone(),
            version: version.clone(),
            source: parsed.crates_io.then(|| CRATES_IO_SOURCE.to_string()),
            checksum: None,
            is_crates_io: parsed.crates_io,
            line: 1,
        });
        model.push(without_edges(name, version, source));
    }
    if packages.is_empty() {
        return Err(Error::input(
            path,
            "no pkg:cargo component: nothing to audit (is it an SBOM of a Rust project?)",
        ));
    }
    // Not a Cargo.lock: format 0 says so in every output.
    Ok(Lockfile::assembled(
        path.to_path_buf(),
        hex::encode(Sha256::digest(&bytes)),
        0,
        packages,
        model,
    ))
}

/// (JSON path, purl) of every component, nested ones included (bounded depth).
fn cyclonedx_purls(components: &Value, at: &str, depth: usize, out: &mut Vec<(String, String)>) {
    let Some(list) = components.as_array() else {
        return;
    };
    if depth > 16 {
        return;
    }
    for (i, c) in list.iter().enumerate() {
        let here = format!("{at}[{i}]");
        if let Some(purl) = c.get("purl").and_then(Value::as_str) {
            out.push((format!("{here}.purl"), purl.to_string()));
        }
        cyclonedx_purls(
            &c["components"],
            &format!("{here}.components"),
            depth + 1,
            out,
        );
    }
}

fn spdx_purls(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, p) in doc["packages"].as_array().into_iter().flatten().enumerate() {
        for (j, r) in p["externalRefs"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            if r["referenceType"].as_str() == Some("purl") {
                if let Some(locator) = r["referenceLocator"].as_str() {
                    out.push((
                        format!("packages[{i}].externalRefs[{j}].referenceLocator"),
                        locator.to_string(),
                    ));
                }
            }
        }
    }
    out
}
