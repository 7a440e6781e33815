//! `[release] require_auditable = true`: every executable of a release (ELF, PE, Mach-O or
//! WebAssembly, by its magic bytes) carries the dependency list `cargo auditable` embedded;
//! that list is the release's `Cargo.lock` (at the release's tag, or the one given): every
//! embedded package is locked at the same version and kind of source; and the embedded
//! inventory passes the audit under the policy.
//!
//! Fail closed: an executable whose data cannot be read is unverifiable (never verified), one
//! without data fails, and a release with no executable at all fails the requirement.

use std::io::Read;
use std::path::{Path, PathBuf};

use auditable_serde::Source;

use super::code::Code;
use super::model::{Check, Verdict};
use crate::audit::model::{AuditReport, PolicyVerdict as AuditVerdict};
use crate::error::{Error, Result};
use crate::git::Git;
use crate::inventory::binary::{self, AuditableBinary, Embedded};
use crate::inventory::Lockfile;

pub const DATA: Code = Code::AuditableData;
pub const MISSING: Code = Code::AuditableMissing;
pub const UNREADABLE: Code = Code::AuditableUnreadable;
pub const LOCKFILE: Code = Code::AuditableLockfile;
pub const NOT_IN_LOCKFILE: Code = Code::AuditableNotInLockfile;
pub const VERSION_MISMATCH: Code = Code::AuditableVersionMismatch;
pub const SOURCE_MISMATCH: Code = Code::AuditableSourceMismatch;
pub const ADVISORIES: Code = Code::AuditableAdvisories;
pub const ADVISORY: Code = Code::AuditableAdvisory;

/// At most this many per-package lockfile checks per executable (then one that counts the
/// rest): a binary built from another project must not flood the report.
const MAX_PACKAGE_CHECKS: usize = 50;

/// Audits one embedded inventory (the caller binds the advisory database and the policy);
/// the second argument is the binary's target triple, when known.
pub type AuditFn<'a> = dyn FnMut(Lockfile, Option<String>) -> Result<AuditReport> + 'a;

/// What `require_auditable` compares and audits against.
pub struct AuditableRequest<'a> {
    /// The release's `Cargo.lock`.
    pub lockfile: Lockfile,
    /// Where it came from, for messages: `Cargo.lock at tag v1.2.0 (commit …)`.
    pub origin: String,
    pub audit: &'a mut AuditFn<'a>,
}

/// Whether the file starts like an executable: ELF, PE (`MZ`), Mach-O (thin or fat) or
/// WebAssembly. Reads 4 bytes of a regular file only.
pub fn is_executable(path: &Path) -> Result<bool> {
    let file = crate::fsutil::open_regular(path)?;
    let mut magic = Vec::with_capacity(4);
    file.take(4)
        .read_to_end(&mut magic)
        .map_err(|e| Error::io(path, e))?;
    Ok(magic.starts_with(b"MZ")
        || matches!(
            magic.as_slice(),
            b"\x7fELF"
                | b"\0asm"
                | [0xfe, 0xed, 0xfa, 0xce | 0xcf]
                | [0xce | 0xcf, 0xfa, 0xed, 0xfe]
                | [0xca, 0xfe, 0xba, 0xbe]
        ))
}

/// The checks of one executable of the release.
pub fn checks(path: &Path, req: &mut AuditableRequest<'_>) -> Result<Vec<Check>> {
    let bin = match binary::read(path) {
        Ok(Embedded::Found(bin)) => bin,
        Ok(Embedded::Missing { .. }) => {
            return Ok(vec![Check::new(
                MISSING,
                Verdict::Failed,
                format!(
                    "auditable-missing: {} (release.require_auditable)",
                    binary::missing_message(path)
                ),
            )])
        }
        // Truncated, oversized, corrupt: the file is named, and nothing about it is verified.
        Err(e) => {
            return Ok(vec![Check::new(
                UNREADABLE,
                Verdict::Unverifiable,
                format!("auditable-unreadable: {e}"),
            )])
        }
    };
    let mut checks = vec![Check::new(
        DATA,
        Verdict::Verified,
        format!(
            "cargo-auditable data: {} embedded packages",
            bin.info.packages.len()
        ),
    )
    .detail("sha256", bin.sha256.clone())];
    checks.extend(lockfile_checks(&bin, &req.lockfile, &req.origin));
    match bin.lockfile() {
        Ok(lock) => {
            let report = (req.audit)(lock, bin.target.map(str::to_string))?;
            checks.extend(advisory_checks(&report));
        }
        // Names no Cargo.lock could hold: the inventory cannot be audited.
        Err(e) => checks.push(Check::new(
            UNREADABLE,
            Verdict::Unverifiable,
            format!("auditable-unreadable: {e}"),
        )),
    }
    Ok(checks)
}

/// The kind of source a `Cargo.lock` entry has, in `auditable-serde`'s terms.
fn same_source_kind(embedded: &Source, locked: &crate::inventory::lockfile::LockedPackage) -> bool {
    let source = locked.source.as_deref().unwrap_or("");
    match embedded {
        Source::CratesIo => locked.is_crates_io,
        Source::Git => source.starts_with("git+"),
        Source::Local => locked.source.is_none(),
        Source::Registry => {
            !locked.is_crates_io
                && (source.starts_with("registry+") || source.starts_with("sparse+"))
        }
        // A kind a newer cargo-auditable records: not judged here.
        _ => true,
    }
}

/// One failing check per embedded package the lockfile does not lock as embedded (name,
/// version, kind of source), or one verified check.
fn lockfile_checks(bin: &AuditableBinary, lock: &Lockfile, origin: &str) -> Vec<Check> {
    let mut failed = Vec::new();
    for p in &bin.info.packages {
        let named: Vec<_> = lock.packages.iter().filter(|l| l.name == p.name).collect();
        let id = format!("{} {}", p.name, p.version);
        let check = if named.is_empty() {
            Check::new(
                NOT_IN_LOCKFILE,
                Verdict::Failed,
                format!("auditable-not-in-lockfile: {id} is in the binary but not in {origin}"),
            )
        } else if let Some(locked) = named.iter().find(|l| l.version == p.version) {
            if same_source_kind(&p.source, locked) {
                continue;
            }
            Check::new(
                SOURCE_MISMATCH,
                Verdict::Failed,
                format!(
                    "auditable-source-mismatch: {id} comes from {:?} in the binary, from {} in {origin}",
                    p.source,
                    locked.source.as_deref().unwrap_or("a path")
                ),
            )
        } else {
            let versions: Vec<String> = named.iter().map(|l| l.version.to_string()).collect();
            Check::new(
                VERSION_MISMATCH,
                Verdict::Failed,
                format!(
                    "auditable-version-mismatch: {id} is in the binary, {origin} locks {}",
                    versions.join(", ")
                ),
            )
            .detail("locked_versions", versions.join(","))
        };
        failed.push(
            check
                .detail("package", p.name.clone())
                .detail("version", p.version.to_string()),
        );
    }
    if failed.is_empty() {
        return vec![Check::new(
            LOCKFILE,
            Verdict::Verified,
            format!("every embedded package is locked in {origin} at the same version and source"),
        )];
    }
    let total = failed.len();
    if total > MAX_PACKAGE_CHECKS {
        failed.truncate(MAX_PACKAGE_CHECKS);
        failed.push(Check::new(
            NOT_IN_LOCKFILE,
            Verdict::Failed,
            format!(
                "auditable-lockfile: {} more embedded packages differ from {origin} (the first {MAX_PACKAGE_CHECKS} are listed): the binary was built from another lockfile",
                total - MAX_PACKAGE_CHECKS
            ),
        ));
    }
    failed
}

/// One failing check per finding that fails the policy (or per other failure reason, such as
/// a stale database), or one verified check.
fn advisory_checks(report: &AuditReport) -> Vec<Check> {
    if report.verdict == AuditVerdict::Pass {
        return vec![Check::new(
            ADVISORIES,
            Verdict::Verified,
            format!(
                "the embedded inventory passes the audit ({} findings, none failing the policy)",
                report.findings.len()
            ),
        )];
    }
    let mut checks: Vec<Check> = report
        .findings
        .iter()
        .filter(|f| f.fails_policy)
        .map(|f| {
            Check::new(
                ADVISORY,
                Verdict::Failed,
                format!(
                    "auditable-advisory: {} {} {}: {}",
                    f.advisory_id, f.package, f.version, f.title
                ),
            )
            .detail("advisory", f.advisory_id.clone())
            .detail("package", f.package.clone())
            .detail("version", f.version.clone())
        })
        .collect();
    if checks.is_empty() {
        checks.push(Check::new(
            ADVISORIES,
            Verdict::Failed,
            format!("auditable-advisories: {}", report.failures.join("; ")),
        ));
    }
    checks
}

/// The `Cargo.lock` at the root of `repo` at tag `tag` (`refs/tags/TAG` only: a branch of the
/// same name is never taken), read from git's object store (bounded like any lockfile), and
/// its origin for messages.
pub fn lockfile_at_tag(repo: &Path, tag: &str) -> Result<(Lockfile, String)> {
    crate::git::validate_range(tag)?;
    // git's ref-name rules: these would make `refs/tags/TAG` a revision expression
    // (`v1~1` is v1's parent, `v1@{1}` a reflog entry), not a tag.
    if tag.contains("..")
        || tag.contains("@{")
        || tag.contains(['~', '^', ':', '?', '*', '[', '\\'])
    {
        return Err(Error::usage(format!(
            "--tag `{}`: not a tag name",
            crate::lines::escape(tag)
        )));
    }
    let commit = String::from_utf8_lossy(
        &Git::new(repo)
            .args(["rev-parse", "--verify", "--quiet"])
            .revisions(&format!("refs/tags/{tag}^{{commit}}"))?
            .run()
            .map_err(|_| {
                Error::usage(format!(
                    "--tag {tag}: no such tag in {} (refs/tags/{tag})",
                    repo.display()
                ))
            })?,
    )
    .trim()
    .to_string();
    if !(commit.len() >= 40 && commit.bytes().all(|b| b.is_ascii_hexdigit())) {
        return Err(Error::usage(format!("--tag {tag}: git gave no commit id")));
    }
    // A commit id, not user input: `cat-file` takes no `--` after its object.
    let object = format!("{commit}:Cargo.lock");
    let size: u64 = String::from_utf8_lossy(
        &Git::new(repo)
            .args(["cat-file", "-s", "--end-of-options", &object])
            .run()?,
    )
    .trim()
    .parse()
    .map_err(|_| Error::usage(format!("git cat-file -s {object}: not a size")))?;
    let label = PathBuf::from(format!("{}@{tag}:Cargo.lock", repo.display()));
    let limit = crate::fsutil::InputKind::Lockfile.limit();
    if size > limit {
        return Err(Error::input(
            &label,
            format!(
                "larger than the {} limit for lockfiles: refused",
                crate::fsutil::human_limit(limit)
            ),
        ));
    }
    let bytes = Git::new(repo)
        .args(["cat-file", "blob", "--end-of-options", &object])
        .run()?;
    let text = String::from_utf8(bytes).map_err(|_| Error::input(&label, "not valid UTF-8"))?;
    let lock = Lockfile::parse(&label, &text)?;
    Ok((lock, format!("Cargo.lock at tag {tag} (commit {commit})")))
}
