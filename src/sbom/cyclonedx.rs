//! CycloneDX 1.6 JSON.
//!
//! Plain `serde` structs rather than the `cyclonedx-bom` crate: we write about fifteen fields,
//! need exact control over order and content (byte-identical output, serial numbers derived
//! from content), and the crate would add a large dependency tree to every build for that.
//! The tests validate every document against the official 1.6 JSON schema instead.

use serde::Serialize;

use super::{uuid_from_digest, Sbom, SbomInput, SbomPackage};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bom<'a> {
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: Metadata<'a>,
    components: Vec<Component>,
    dependencies: Vec<Dependency>,
}

#[derive(Serialize)]
struct Metadata<'a> {
    timestamp: &'a str,
    tools: Tools,
    component: Component,
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct Tools {
    components: Vec<ToolComponent>,
}

#[derive(Serialize)]
struct ToolComponent {
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'static str,
    version: String,
}

#[derive(Serialize)]
struct Component {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<Hash>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<License>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct Hash {
    alg: &'static str,
    content: String,
}

#[derive(Serialize)]
struct License {
    expression: String,
}

#[derive(Serialize)]
struct Property {
    name: &'static str,
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Dependency {
    #[serde(rename = "ref")]
    reference: String,
    depends_on: Vec<String>,
}

/// The subject's bom-ref (the `metadata.component`).
const SUBJECT_REF: &str = "subject";

/// The document, pretty-printed, ending with a newline.
pub fn render(sbom: &Sbom) -> String {
    let refs = bom_refs(&sbom.packages);
    let components: Vec<Component> = sbom
        .packages
        .iter()
        .zip(&refs)
        .map(|(p, r)| component(p, r.clone()))
        .collect();
    let mut dependencies = vec![Dependency {
        reference: SUBJECT_REF.to_string(),
        depends_on: sbom
            .packages
            .iter()
            .zip(&refs)
            .filter(|(p, _)| p.root)
            .map(|(_, r)| r.clone())
            .collect(),
    }];
    dependencies.extend(sbom.packages.iter().zip(&refs).map(|(p, r)| Dependency {
        reference: r.clone(),
        depends_on: p.dependencies.iter().map(|&d| refs[d].clone()).collect(),
    }));
    let bom = Bom {
        bom_format: "CycloneDX",
        spec_version: "1.6",
        serial_number: format!("urn:uuid:{}", uuid_from_digest(&sbom.content_digest())),
        version: 1,
        metadata: Metadata {
            timestamp: &sbom.time,
            tools: Tools {
                components: vec![ToolComponent {
                    kind: "application",
                    name: "chainwarden",
                    version: sbom.tool_version.clone(),
                }],
            },
            component: Component {
                kind: match sbom.input_kind {
                    SbomInput::Binary => "application",
                    SbomInput::Lockfile => "library",
                },
                bom_ref: SUBJECT_REF.to_string(),
                name: sbom.subject.clone(),
                version: sbom.subject_version.clone(),
                scope: None,
                hashes: Vec::new(),
                licenses: Vec::new(),
                purl: None,
                properties: Vec::new(),
            },
            properties: vec![
                Property {
                    name: "chainwarden:input",
                    value: sbom.input_kind.as_str().to_string(),
                },
                Property {
                    name: "chainwarden:input-sha256",
                    value: sbom.input_sha256.clone(),
                },
            ],
        },
        components,
        dependencies,
    };
    crate::json::document(&bom)
}

fn component(p: &SbomPackage, bom_ref: String) -> Component {
    let mut properties = Vec::new();
    if let Some(source) = p.source.as_ref().or(p.binary_source.as_ref()) {
        properties.push(Property {
            name: "chainwarden:source",
            value: source.clone(),
        });
    }
    if !p.kinds.is_empty() {
        let kinds: Vec<&str> = p
            .kinds
            .iter()
            .map(|k| match k {
                crate::audit::model::DependencyKind::Normal => "normal",
                crate::audit::model::DependencyKind::Build => "build",
                crate::audit::model::DependencyKind::Dev => "dev",
            })
            .collect();
        properties.push(Property {
            name: "chainwarden:dependency-kinds",
            value: kinds.join(","),
        });
    }
    Component {
        kind: "library",
        bom_ref,
        name: p.name.clone(),
        version: Some(p.version.clone()),
        // Dev- and build-only packages are compiled but not shipped.
        scope: (p.dev_only() || p.build_only()).then_some("excluded"),
        hashes: p
            .checksum
            .iter()
            .map(|c| Hash {
                alg: "SHA-256",
                content: c.clone(),
            })
            .collect(),
        licenses: p
            .license
            .iter()
            .map(|l| License {
                expression: l.clone(),
            })
            .collect(),
        purl: Some(p.purl()),
        properties,
    }
}

/// bom-refs: the purl, made unique (a path package and a registry one may share it).
fn bom_refs(packages: &[SbomPackage]) -> Vec<String> {
    let mut seen = std::collections::HashMap::new();
    packages
        .iter()
        .map(|p| {
            let purl = p.purl();
            let n = seen.entry(purl.clone()).or_insert(0usize);
            *n += 1;
            if *n == 1 {
                purl
            } else {
                format!("{purl}#{n}")
            }
        })
        .collect()
}
