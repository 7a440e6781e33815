//! Evidence: every `audit` and `verify` run, recorded (unless `--no-record`) in a store
//! scoped by tenant and project, hash-chained per scope, exported and imported as signed JSON
//! Lines, and read back (verified) by the quarterly report.
//!
//! The store is `--evidence PATH|URL` (or `CHAINWARDEN_EVIDENCE`), else the policy's
//! `evidence.path`, else `chainwarden/evidence.db` in the user's data directory: never the
//! audited project. A `postgres://` URL names a PostgreSQL database shared by an
//! organisation ([`backend`]); anything else is a SQLite file.

pub mod backend;
pub mod chain;
pub mod kind;
pub mod memo;
pub mod migrate;
pub mod outcome;
pub mod pg;
pub mod policy;
pub mod record;
pub mod row;
pub mod sign;
pub mod store;
pub mod subscription;

use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;

pub use backend::{Location, Store};
pub use chain::{verify_scope, ChainCheck, VerifiedRun};
pub use kind::{Origin, RunKind};
pub use policy::PolicyInForce;
pub use record::{ExportRun, RunContext, RunRecord, Scope};

use crate::error::{Error, Result};

/// The store: explicit (`--evidence`, `CHAINWARDEN_EVIDENCE`), the policy's, else the
/// user's data directory.
pub fn store_location(explicit: Option<&OsStr>, policy_path: Option<&Path>) -> Result<Location> {
    if let Some(p) = explicit.or(policy_path.map(Path::as_os_str)) {
        return Location::parse(p);
    }
    dirs::data_dir()
        .map(|d| Location::Sqlite(d.join("chainwarden").join("evidence.db")))
        .ok_or_else(|| {
            Error::usage(
                "no data directory for the evidence store (HOME unset?): pass --evidence PATH or set CHAINWARDEN_EVIDENCE".into(),
            )
        })
}

/// Records one run; returns its (run id, chain position).
pub fn record(location: &Location, run: &RunRecord) -> Result<(String, usize)> {
    let mut store = Store::open_at(location)?;
    store.record(run)?;
    Ok((run.run_id.clone(), store.count_runs(&run.scope)?))
}

/// Checks the chain of every scope (or the given ones).
pub fn verify_all(store: &Store, scopes: &[Scope]) -> Result<Vec<ChainCheck>> {
    scopes.iter().map(|s| verify_scope(store, s)).collect()
}

/// The error a broken chain gives: the first bad run, and how to go on anyway.
pub fn broken_error(check: &ChainCheck) -> Error {
    let b = &check.breaks[0];
    Error::evidence(format!(
        "evidence of {}/{} does not verify: run {} (#{}, {}): {}; {} problem(s) in all (run `chainwarden evidence verify`; --allow-broken-evidence reports anyway, with a banner)",
        check.scope.tenant_id,
        check.scope.project_id,
        b.run_id,
        b.seq.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
        b.time,
        b.problem,
        check.breaks.len()
    ))
}

/// Writes the verified runs (and their notification deliveries, as `{"delivery": ...}` lines)
/// at or after `since` as JSON Lines, each signed when `key` is given. Refuses a scope whose
/// chain is broken.
pub fn export(
    store: &Store,
    scopes: &[Scope],
    since: &str,
    key: Option<&Path>,
    out: &mut dyn Write,
) -> Result<usize> {
    // (time, run id, 0 for a run / 1 for a delivery, member text): a run before its deliveries.
    let mut lines: Vec<(String, String, u8, String)> = Vec::new();
    for check in verify_all(store, scopes)? {
        if !check.intact() {
            return Err(broken_error(&check));
        }
        for run in check.runs.iter().filter(|r| r.time.as_str() >= since) {
            let text = serde_json::to_string(&run.to_export()).expect("serialises");
            lines.push((run.time.clone(), run.run_id.clone(), 0, text));
        }
        for (time, run_id, text) in subscription::export_deliveries(store, &check, since)? {
            lines.push((time, run_id, 1, text));
        }
    }
    lines.sort();
    for (_, _, kind, member) in &lines {
        let name = if *kind == 0 { "run" } else { "delivery" };
        let line = match key {
            Some(key) => {
                let sig = sign::sign(key, sign::EVIDENCE_NAMESPACE, member.as_bytes())?;
                format!(
                    "{{\"{name}\":{member},\"signature\":{}}}",
                    serde_json::to_string(&sig).expect("serialises")
                )
            }
            None => format!("{{\"{name}\":{member}}}"),
        };
        writeln!(out, "{line}").map_err(|e| Error::io("<export>", e))?;
    }
    Ok(lines.len())
}

/// One export line, as read: `run` kept as its exact bytes (what the signature covers).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Line<'a> {
    #[serde(borrow, default)]
    run: Option<&'a serde_json::value::RawValue>,
    /// A notification delivery of a run (see [`subscription::ExportDelivery`]).
    #[serde(borrow, default)]
    delivery: Option<&'a serde_json::value::RawValue>,
    signature: Option<String>,
}

/// How an import treats signatures and scopes.
pub struct ImportOptions<'a> {
    pub trusted: Option<&'a sign::TrustedSigners>,
    /// Only runs of this tenant / project are imported; the others are skipped.
    pub tenant: Option<&'a str>,
    pub project: Option<&'a str>,
}

/// Import counts.
#[derive(Debug, Default)]
pub struct Imported {
    pub new: usize,
    pub known: usize,
    pub other_scope: usize,
    pub deliveries_new: usize,
    pub deliveries_known: usize,
}

/// Merges an export; runs already present are skipped. Every line is checked (signature,
/// scope ids, payload) before anything is stored: one bad line imports nothing.
pub fn import(
    store: &mut Store,
    path: &Path,
    text: &str,
    opts: &ImportOptions<'_>,
) -> Result<Imported> {
    let mut records = Vec::new();
    let mut deliveries = Vec::new();
    let mut counts = Imported::default();
    let mut redactions = record::Redactions::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = |m: String| Error::at_line(path, i + 1, m);
        // The whole line, strictly (duplicate keys refused at any depth), without building its
        // tree: the run inside is then read from these bytes once, into its types.
        crate::json::check(line).map_err(|e| Error::Located {
            path: path.to_path_buf(),
            line: i + 1,
            column: e.column(),
            message: format!("not an evidence export line: {e}"),
        })?;
        let parsed: Line<'_> = serde_json::from_str(line)
            .map_err(|e| at(format!("not an evidence export line: {e}")))?;
        let message = match (parsed.run, parsed.delivery) {
            (Some(m), None) | (None, Some(m)) => m.get(),
            _ => return Err(at("expected exactly one of `run` and `delivery`".into())),
        };
        let origin = match (opts.trusted, &parsed.signature) {
            (Some(trusted), Some(sig)) => {
                let who = trusted
                    .verify(sign::EVIDENCE_NAMESPACE, message.as_bytes(), sig)
                    .map_err(|e| at(format!("signature refused: {e}")))?;
                Origin::Signed(who)
            }
            (Some(_), None) => {
                return Err(at(
                    "unsigned line, and --trusted-signers requires every line to be signed".into(),
                ))
            }
            (None, _) => Origin::Unsigned,
        };
        if parsed.delivery.is_some() {
            let d: subscription::ExportDelivery = crate::json::from_slice(message.as_bytes())
                .map_err(|e| at(format!("not an evidence delivery: {e}")))?;
            let (scope, record) = d.to_record().map_err(at)?;
            let wanted = opts.tenant.is_none_or(|t| t == scope.tenant_id)
                && opts.project.is_none_or(|p| p == scope.project_id);
            if wanted {
                deliveries.push((i + 1, scope, d.run_id, record));
            }
            continue;
        }
        let run: ExportRun<&serde_json::value::RawValue> =
            serde_json::from_str(message).map_err(|e| at(format!("not an evidence run: {e}")))?;
        if run.format != record::EXPORT_FORMAT {
            return Err(at(format!(
                "export format {} is not supported (expected {})",
                run.format,
                record::EXPORT_FORMAT
            )));
        }
        let record = RunRecord::from_export(run, origin, &mut redactions).map_err(at)?;
        let wanted = opts.tenant.is_none_or(|t| t == record.scope.tenant_id)
            && opts.project.is_none_or(|p| p == record.scope.project_id);
        if !wanted {
            counts.other_scope += 1;
            continue;
        }
        records.push(record);
    }
    for (line, scope, run_id, _) in &deliveries {
        let in_import = records
            .iter()
            .any(|r| r.run_id == *run_id && r.scope == *scope);
        if !in_import && !store.has_run_in(scope, run_id)? {
            return Err(Error::at_line(
                path,
                *line,
                format!(
                    "delivery of run {run_id}, which is neither in this export nor in the store under {}/{}",
                    scope.tenant_id, scope.project_id
                ),
            ));
        }
    }
    counts.new = store.record_all(&records)?;
    counts.known = records.len() - counts.new;
    // Deliveries after the runs they belong to; each must name a run of its scope.
    for (line, scope, run_id, d) in deliveries {
        if store.has_delivery(&scope, &run_id, &d)? {
            counts.deliveries_known += 1;
            continue;
        }
        store
            .record_deliveries(&scope, &run_id, std::slice::from_ref(&d))
            .map_err(|e| Error::at_line(path, line, format!("delivery: {e}")))?;
        counts.deliveries_new += 1;
    }
    Ok(counts)
}

/// The lockfile's identity for the evidence: its path relative to the repository and the
/// commit, when git tracks it there; otherwise its path as given and no commit (the commit of
/// an enclosing repository that does not track the lockfile proves nothing about it).
pub fn lockfile_identity(lockfile: &Path) -> (String, Option<String>) {
    let given = lockfile.to_string_lossy().into_owned();
    let (Some(dir), Some(name)) = (lockfile.parent(), lockfile.file_name()) else {
        return (given, None);
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    crate::git::tracked_file(dir, name).unwrap_or((given, None))
}
