//! SPDX 2.3 JSON.
//!
//! Plain `serde` structs (see `cyclonedx.rs` for why no model crate); the tests validate every
//! document against the official SPDX 2.3 JSON schema.

use serde::Serialize;

use super::{uuid_from_digest, Sbom, SbomPackage};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: String,
    document_namespace: String,
    creation_info: CreationInfo,
    comment: String,
    packages: Vec<Package>,
    relationships: Vec<Relationship>,
}

#[derive(Serialize)]
struct CreationInfo {
    created: String,
    creators: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Package {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    name: String,
    version_info: String,
    download_location: String,
    files_analyzed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    checksums: Vec<Checksum>,
    license_concluded: &'static str,
    license_declared: String,
    copyright_text: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_info: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    external_refs: Vec<ExternalRef>,
    primary_package_purpose: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Checksum {
    algorithm: &'static str,
    checksum_value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    spdx_element_id: String,
    relationship_type: &'static str,
    related_spdx_element: String,
}

const NOASSERTION: &str = "NOASSERTION";

/// The document, pretty-printed, ending with a newline.
pub fn render(sbom: &Sbom) -> String {
    let ids: Vec<String> = sbom
        .packages
        .iter()
        .enumerate()
        .map(|(i, p)| format!("SPDXRef-Package-{i}-{}", id_part(&p.name)))
        .collect();
    let mut relationships: Vec<Relationship> = sbom
        .packages
        .iter()
        .zip(&ids)
        .filter(|(p, _)| p.root)
        .map(|(_, id)| Relationship {
            spdx_element_id: "SPDXRef-DOCUMENT".into(),
            relationship_type: "DESCRIBES",
            related_spdx_element: id.clone(),
        })
        .collect();
    for (p, id) in sbom.packages.iter().zip(&ids) {
        for &d in &p.dependencies {
            relationships.push(Relationship {
                spdx_element_id: id.clone(),
                relationship_type: "DEPENDS_ON",
                related_spdx_element: ids[d].clone(),
            });
        }
    }
    let name = match &sbom.subject_version {
        Some(v) => format!("{} {v}", sbom.subject),
        None => sbom.subject.clone(),
    };
    let doc = Document {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: "SPDXRef-DOCUMENT",
        document_namespace: format!(
            "https://spdx.org/spdxdocs/chainwarden/{}-{}",
            id_part(&sbom.subject),
            uuid_from_digest(&sbom.content_digest())
        ),
        name,
        creation_info: CreationInfo {
            created: sbom.time.clone(),
            creators: vec![format!("Tool: chainwarden-{}", sbom.tool_version)],
        },
        comment: format!(
            "Generated from a {} (sha256 {})",
            sbom.input_kind.as_str(),
            sbom.input_sha256
        ),
        packages: sbom
            .packages
            .iter()
            .zip(&ids)
            .map(|(p, id)| package(p, id.clone()))
            .collect(),
        relationships,
    };
    crate::json::document(&doc)
}

fn package(p: &SbomPackage, spdx_id: String) -> Package {
    let crates_io = p.source.as_deref() == Some(super::purl::CRATES_IO_SOURCE);
    let download_location = if crates_io {
        format!(
            "https://crates.io/api/v1/crates/{}/{}/download",
            p.name, p.version
        )
    } else if let Some(git) = p.source.as_deref().filter(|s| s.starts_with("git+")) {
        git.to_string()
    } else {
        NOASSERTION.to_string()
    };
    let kinds = (!p.kinds.is_empty()).then(|| {
        let names: Vec<String> = p
            .kinds
            .iter()
            .map(|k| format!("{k:?}").to_lowercase())
            .collect();
        format!("dependency kinds: {}", names.join(", "))
    });
    Package {
        spdx_id,
        name: p.name.clone(),
        version_info: p.version.clone(),
        download_location,
        files_analyzed: false,
        checksums: p
            .checksum
            .iter()
            .map(|c| Checksum {
                algorithm: "SHA256",
                checksum_value: c.clone(),
            })
            .collect(),
        license_concluded: NOASSERTION,
        license_declared: p.license.clone().unwrap_or_else(|| NOASSERTION.into()),
        copyright_text: NOASSERTION,
        source_info: p
            .source
            .as_ref()
            .or(p.binary_source.as_ref())
            .map(|s| format!("source: {s}")),
        comment: kinds,
        external_refs: vec![ExternalRef {
            reference_category: "PACKAGE-MANAGER",
            reference_type: "purl",
            reference_locator: p.purl(),
        }],
        primary_package_purpose: if p.root { "APPLICATION" } else { "LIBRARY" },
    }
}

/// SPDX ids allow letters, digits, `.` and `-`.
fn id_part(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}
