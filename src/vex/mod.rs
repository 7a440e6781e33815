//! VEX: our triage published as OpenVEX or CycloneDX VEX (`chainwarden vex`), and others'
//! statements consumed as triage (`chainwarden audit --vex FILE`).
//!
//! Consuming is deliberately narrow: only `not_affected` *with a justification* changes a
//! result (the finding passes like an ignore, and every output shows it as a VEX ignore with
//! the author); `affected`, `under_investigation` and `fixed` only add a note, since a
//! statement cannot make a vulnerable version safe. Statements about other products are
//! ignored; between statements about the same finding, the latest timestamp wins (a tie keeps
//! the finding failing).

pub mod read;
pub mod write;

use time::OffsetDateTime;

use crate::audit::evaluate;
use crate::audit::model::{
    AuditReport, Finding, FindingStatus, IgnoreInfo, Package, PolicyVerdict,
};
use crate::clock::format_rfc3339;
use crate::policy::audit::VexJustification;
use crate::sbom::purl::{cargo_purl, parse_cargo};

/// OpenVEX statuses (CycloneDX analysis states map onto them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    NotAffected,
    Affected,
    Fixed,
    UnderInvestigation,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::NotAffected => "not_affected",
            Status::Affected => "affected",
            Status::Fixed => "fixed",
            Status::UnderInvestigation => "under_investigation",
        }
    }
}

/// As its OpenVEX name (the quarterly report's `vex.status`).
impl serde::Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A product a statement is about, with the subcomponents (dependencies) it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// A purl (or another IRI, which then matches nothing of ours). `None`: a CycloneDX VEX
    /// that names no product, about its listed components wherever they are used. A
    /// document's own id (even `*`) is always an id, never "any product".
    pub id: Option<String>,
    pub subcomponents: Vec<String>,
}

/// One VEX statement read from a document, whatever its format (not an in-toto statement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexStatement {
    pub vulnerability: String,
    pub aliases: Vec<String>,
    /// Empty: about nothing of ours.
    pub products: Vec<Product>,
    pub status: Status,
    pub justification: Option<VexJustification>,
    pub impact_statement: Option<String>,
    pub action_statement: Option<String>,
    pub author: String,
    pub timestamp: OffsetDateTime,
    /// `FILE: statements[3]`, for notes.
    pub origin: String,
}

/// Our products: the workspace members, or the path packages and roots when the lockfile
/// alone was read (a binary's own crate is a path package).
pub fn products(report: &AuditReport) -> Vec<String> {
    report
        .inventory
        .iter()
        .filter(|p| p.workspace_member || p.source.is_none())
        .map(package_purl)
        .collect()
}

pub fn package_purl(p: &Package) -> String {
    cargo_purl(&p.name, &p.version, p.source.as_deref(), None)
}

/// Same crate and version (qualifiers aside: a product's purl may carry its own).
fn same_package(purl: &str, name: &str, version: &str) -> bool {
    parse_cargo(purl).is_some_and(|p| p.name == name && p.version == version)
}

fn about_finding(s: &VexStatement, f: &Finding, ours: &[String]) -> bool {
    let ids = std::iter::once(&f.advisory_id).chain(&f.aliases);
    let named = ids
        .clone()
        .any(|id| *id == s.vulnerability || s.aliases.contains(id));
    if !named {
        return false;
    }
    let is_ours = |id: &str| {
        ours.iter()
            .any(|o| parse_cargo(o).is_some_and(|o| same_package(id, &o.name, &o.version)))
    };
    let names_package = |id: &str| same_package(id, &f.package, &f.version);
    if s.products.is_empty() {
        return false;
    }
    s.products.iter().any(|p| match &p.id {
        // About our product as a whole, or about the dependency itself.
        Some(id) if p.subcomponents.is_empty() => is_ours(id) || names_package(id),
        Some(id) => is_ours(id) && p.subcomponents.iter().any(|c| names_package(c)),
        None => p.subcomponents.iter().any(|c| names_package(c)),
    })
}

/// The statement that decides a finding: the latest; on a tie, the one that keeps failing.
fn deciding<'a>(statements: &[&'a VexStatement]) -> Option<&'a VexStatement> {
    statements.iter().copied().max_by(|a, b| {
        a.timestamp
            .cmp(&b.timestamp)
            .then_with(|| (b.status == Status::NotAffected).cmp(&(a.status == Status::NotAffected)))
    })
}

/// Applies statements to a report as triage (see the module comment) and recomputes its
/// summary and verdict.
pub fn apply(report: &mut AuditReport, statements: &[VexStatement]) {
    if statements.is_empty() {
        return;
    }
    let ours = products(report);
    let before = evaluate::summarize(&report.findings);
    let db_failed = report.verdict == PolicyVerdict::Fail && before.failing == 0;
    let mut notes = Vec::new();
    let mut triaged = 0;
    for f in &mut report.findings {
        let relevant: Vec<&VexStatement> = statements
            .iter()
            .filter(|s| about_finding(s, f, &ours))
            .collect();
        let Some(s) = deciding(&relevant) else {
            continue;
        };
        let when = format_rfc3339(s.timestamp);
        match (s.status, &s.justification) {
            (Status::NotAffected, Some(justification)) if f.status != FindingStatus::Ignored => {
                let impact = s
                    .impact_statement
                    .as_deref()
                    .map(|i| format!(": {i}"))
                    .unwrap_or_default();
                f.status = FindingStatus::Ignored;
                f.fails_policy = false;
                f.ignore = Some(IgnoreInfo {
                    reason: format!(
                        "VEX not_affected ({}){impact} [{}, {when}]",
                        justification.as_str(),
                        s.origin
                    ),
                    approved_by: s.author.clone(),
                    expires: "none (VEX statement)".into(),
                });
                triaged += 1;
            }
            (Status::NotAffected, Some(_)) => {}
            (status, _) => notes.push(format!(
                "VEX: {} in {} {} is `{}`{} by {} at {when} ({}): the finding stands",
                f.advisory_id,
                f.package,
                f.version,
                status.as_str(),
                if status == Status::NotAffected {
                    " without a justification"
                } else {
                    ""
                },
                s.author,
                s.origin
            )),
        }
    }
    notes.insert(
        0,
        format!(
            "VEX: {} statements read; {triaged} findings triaged not_affected",
            statements.len()
        ),
    );
    report.notes.extend(notes);
    report.summary = evaluate::summarize(&report.findings);
    report.verdict = if report.summary.failing > 0 || db_failed {
        PolicyVerdict::Fail
    } else {
        PolicyVerdict::Pass
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::FindingKind;

    fn statement(products: Vec<Product>) -> VexStatement {
        VexStatement {
            vulnerability: "RUSTSEC-2021-0003".into(),
            aliases: Vec::new(),
            products,
            status: Status::NotAffected,
            justification: Some(VexJustification::VulnerableCodeNotInExecutePath),
            impact_statement: None,
            action_statement: None,
            author: "someone".into(),
            timestamp: OffsetDateTime::UNIX_EPOCH,
            origin: "vex.json: statements[0]".into(),
        }
    }

    /// A statement decides a finding only for a product of ours (or, from a CycloneDX VEX
    /// naming none, for its listed components): a document's product `*` is no wildcard.
    #[test]
    fn only_our_products_or_an_unnamed_one_make_a_statement_about_a_finding() {
        let f = Finding::new(
            FindingKind::Vulnerability,
            "RUSTSEC-2021-0003",
            "smallvec",
            "1.6.0",
        );
        let ours = vec!["pkg:cargo/app@0.1.0".to_string()];
        let dep = vec!["pkg:cargo/smallvec@1.6.0".to_string()];
        let about = |id: Option<&str>| {
            let p = Product {
                id: id.map(str::to_string),
                subcomponents: dep.clone(),
            };
            about_finding(&statement(vec![p]), &f, &ours)
        };
        assert!(about(Some("pkg:cargo/app@0.1.0")));
        assert!(about(None), "a CycloneDX VEX without a product");
        assert!(
            !about(Some("*")),
            "`*` from a document is an id like any other"
        );
        assert!(!about(Some("pkg:cargo/other@1.0.0")));
        assert!(!about_finding(&statement(Vec::new()), &f, &ours));
    }
}
