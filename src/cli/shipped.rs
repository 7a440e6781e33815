//! What `chainwarden audit` audits besides a project: release binaries (`--binary`), and how
//! several reports (one per binary) share one output document.

use std::path::{Path, PathBuf};

use crate::cli::audit::{sarif_uri, AuditArgs, AuditFormat};
use chainwarden::audit::model::{AuditReport, FindingKind};
use chainwarden::audit::render;
use chainwarden::audit::GraphSource;
use chainwarden::error::{Error, Result};
use chainwarden::inventory::binary::{self, AuditableBinary, Embedded};
use chainwarden::inventory::{Lockfile, ProjectPaths};

/// One thing to audit.
pub(crate) struct Subject {
    pub project: ProjectPaths,
    kind: SubjectKind,
    /// Notes for the report of this subject (prepended to the audit's own).
    notes: Vec<String>,
}

enum SubjectKind {
    /// A project: the lockfile is read by the audit.
    Project,
    /// A binary with embedded data.
    Binary(Box<AuditableBinary>),
    /// A binary without embedded data, accepted with `--allow-no-audit-data`: audited as empty.
    NoAuditData { sha256: String },
    /// An SBOM's `pkg:cargo` components (read up front, so bad input fails before the database).
    Sbom(Option<Box<Lockfile>>),
}

impl Subject {
    /// The target a binary was built for (advisories' os/arch follow it).
    pub(crate) fn target(&self) -> Option<String> {
        match &self.kind {
            SubjectKind::Binary(bin) => bin.target.map(str::to_string),
            _ => None,
        }
    }

    /// Where the audit gets its dependency graph: a binary's is embedded, the others are the
    /// command's `project` choice.
    pub(crate) fn graph(&self, project: &GraphSource) -> GraphSource {
        match &self.kind {
            SubjectKind::Binary(_) => GraphSource::Embedded,
            _ => project.clone(),
        }
    }

    pub(crate) fn is_project(&self) -> bool {
        matches!(self.kind, SubjectKind::Project)
    }

    /// The inventory to audit.
    pub(crate) fn take_lockfile(&mut self) -> Result<Lockfile> {
        match &mut self.kind {
            SubjectKind::Project => Lockfile::load(&self.project.lockfile),
            SubjectKind::Binary(bin) => bin.lockfile(),
            SubjectKind::NoAuditData { sha256 } => {
                Ok(empty_lockfile(&self.project.lockfile, sha256))
            }
            SubjectKind::Sbom(lock) => lock
                .take()
                .map(|l| *l)
                .ok_or_else(|| Error::usage("the SBOM was already audited".into())),
        }
    }

    /// Adds what only this kind of subject knows: the reachability hints of a binary.
    pub(crate) fn annotate(&self, report: &mut AuditReport) {
        let mut notes = self.notes.clone();
        if let SubjectKind::Binary(bin) = &self.kind {
            notes.push(match bin.target {
                Some(t) => format!("advisories limited to an OS or architecture follow the binary's target, {t}"),
                None => "the binary's target is unknown (WebAssembly or an unusual architecture): advisories limited to an OS or architecture all count".into(),
            });
            notes.push(format!(
                "audited the dependency list cargo auditable embedded in {} (sha256 {}, {} packages)",
                bin.path.display(),
                bin.sha256,
                bin.info.packages.len()
            ));
            notes.extend(reachability_hints(bin, report));
        }
        report.notes.splice(0..0, notes);
    }
}

/// Every statement of the `--vex` documents (read before the audit: bad input fails early).
pub(crate) fn vex_statements(paths: &[PathBuf]) -> Result<Vec<chainwarden::vex::VexStatement>> {
    let mut all = Vec::new();
    for path in paths {
        all.extend(chainwarden::vex::read::load(path)?);
    }
    Ok(all)
}

/// The subjects of the run: each `--binary`, or the `--sbom`, else the project at PATH.
pub(crate) fn subjects(args: &AuditArgs) -> Result<Vec<Subject>> {
    if let Some(path) = &args.sbom {
        let lock = chainwarden::sbom::read::load(path)?;
        return Ok(vec![Subject {
            project: ProjectPaths {
                lockfile: path.clone(),
                manifest: None,
            },
            notes: vec![format!(
                "audited the {} pkg:cargo components of the SBOM {}",
                lock.packages.len(),
                path.display()
            )],
            kind: SubjectKind::Sbom(Some(Box::new(lock))),
        }]);
    }
    if args.binary.is_empty() {
        let path = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
        return Ok(vec![Subject {
            project: ProjectPaths::resolve(&path)?,
            kind: SubjectKind::Project,
            notes: Vec::new(),
        }]);
    }
    args.binary
        .iter()
        .map(|path| binary_subject(path, args.allow_no_audit_data))
        .collect()
}

fn binary_subject(path: &Path, allow_no_audit_data: bool) -> Result<Subject> {
    let project = ProjectPaths {
        lockfile: path.to_path_buf(),
        manifest: None,
    };
    match binary::read(path)? {
        Embedded::Found(bin) => Ok(Subject {
            project,
            kind: SubjectKind::Binary(bin),
            notes: Vec::new(),
        }),
        Embedded::Missing { path, sha256 } if allow_no_audit_data => Ok(Subject {
            notes: vec![format!(
                "{}: nothing was audited (--allow-no-audit-data)",
                binary::missing_message(&path)
            )],
            project,
            kind: SubjectKind::NoAuditData { sha256 },
        }),
        Embedded::Missing { path, .. } => Err(Error::usage(binary::missing_message(&path))),
    }
}

fn empty_lockfile(path: &Path, sha256: &str) -> Lockfile {
    Lockfile {
        path: path.to_path_buf(),
        sha256: sha256.to_string(),
        format_version: 0,
        packages: Vec::new(),
        model: cargo_lock::Lockfile {
            version: cargo_lock::ResolveVersion::V2,
            packages: Vec::new(),
            root: None,
            metadata: Default::default(),
            patch: Default::default(),
        },
        fast_path: false,
    }
}

/// For each vulnerability with affected functions: whether any of them is in the binary's
/// symbol table. A hint only: inlined code leaves no symbol, and a symbol is not a call.
fn reachability_hints(bin: &AuditableBinary, report: &AuditReport) -> Vec<String> {
    const LABEL: &str = "reachability hint (symbol table only, not proof)";
    let with_functions: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Vulnerability && !f.functions.is_empty())
        .collect();
    if with_functions.is_empty() {
        return Vec::new();
    }
    if bin.symbols.is_none() {
        return vec![format!(
            "{LABEL}: {} has no symbol table (stripped), so affected functions cannot be looked up",
            bin.path.display()
        )];
    }
    with_functions
        .iter()
        .filter_map(|f| {
            let present = bin.functions_present(&f.functions)?;
            let what = if present.is_empty() {
                format!(
                    "none of the {} affected functions is in the symbol table (it may still be inlined)",
                    f.functions.len()
                )
            } else {
                format!("{} is in the symbol table", present.join(", "))
            };
            Some(format!(
                "{LABEL}: {} {} {}: {what}",
                f.advisory_id, f.package, f.version
            ))
        })
        .collect()
}

/// One document for every report: one report is rendered as a lockfile audit is; several give
/// a JSON array, one SARIF log with a run each, or the human/Markdown texts one after another.
pub(crate) fn render(reports: &[(Subject, AuditReport)], fmt: AuditFormat) -> String {
    let one = |(subject, report): &(Subject, AuditReport)| {
        render::render(report, fmt, &sarif_uri(&subject.project.lockfile))
    };
    if reports.len() == 1 {
        return one(&reports[0]);
    }
    match fmt {
        AuditFormat::Human | AuditFormat::Markdown => {
            reports.iter().map(one).collect::<Vec<_>>().join("\n")
        }
        AuditFormat::Json => {
            let all: Vec<&AuditReport> = reports.iter().map(|(_, r)| r).collect();
            chainwarden::json::document(&all)
        }
        AuditFormat::Sarif => {
            let runs = reports
                .iter()
                .flat_map(|(subject, report)| {
                    render::sarif::log(report, &sarif_uri(&subject.project.lockfile)).runs
                })
                .collect();
            chainwarden::sarif::Log::new(runs).to_json()
        }
    }
}
