//! Evidence: every `audit` and `verify` run, recorded (unless `--no-record`) in a SQLite store
//! scoped by tenant and project, exported and imported as JSON Lines, and read back by the
//! quarterly report.
//!
//! Commands call [`record_audit`] / [`record_verify`] once their report exists; the store path
//! is `--evidence PATH` (or `CHAINWARDEN_EVIDENCE`), else the policy's `evidence.path`, else
//! `.chainwarden/evidence.db`.

pub mod record;
pub mod store;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

pub use record::{ExportLine, RunRecord, Scope};
pub use store::Store;

use crate::audit::model::AuditReport;
use crate::cli::GlobalArgs;
use crate::error::{Error, Result};
use crate::policy::Policy;
use crate::verify::model::VerifyReport;

pub const DEFAULT_PATH: &str = ".chainwarden/evidence.db";

/// The store path for this run.
pub fn store_path(global: &GlobalArgs, policy: &Policy) -> PathBuf {
    global
        .evidence
        .clone()
        .or_else(|| policy.evidence.path.clone())
        .unwrap_or_else(|| PathBuf::from(DEFAULT_PATH))
}

/// The git commit of the project, when it is a git checkout.
pub fn git_commit(dir: &Path) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let commit = text.trim();
    (out.status.success() && commit.len() >= 40 && commit.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| commit.to_string())
}

fn store_record(global: &GlobalArgs, policy: &Policy, record: &RunRecord) -> Result<()> {
    if global.no_record {
        return Ok(());
    }
    let mut store = Store::open(&store_path(global, policy))?;
    store.record(record)?;
    Ok(())
}

/// Records an audit run.
pub fn record_audit(
    global: &GlobalArgs,
    policy: &Policy,
    project_dir: &Path,
    report: &AuditReport,
) -> Result<()> {
    // Before anything else: the record (a second serialisation of the report) and `git` cost
    // a --no-record run time for nothing.
    if global.no_record {
        return Ok(());
    }
    let scope = Scope::new(
        report.scope.tenant_id.as_deref(),
        report.scope.project_id.as_deref(),
    );
    store_record(
        global,
        policy,
        &RunRecord::from_audit(scope, report, git_commit(project_dir)),
    )
}

/// Records a verification run.
pub fn record_verify(global: &GlobalArgs, policy: &Policy, report: &VerifyReport) -> Result<()> {
    if global.no_record {
        return Ok(());
    }
    let scope = crate::cli::resolve_scope(global, policy)?;
    let scope = Scope::new(scope.tenant_id.as_deref(), scope.project_id.as_deref());
    let dir = std::env::current_dir().unwrap_or_default();
    store_record(
        global,
        policy,
        &RunRecord::from_verify(scope, report, git_commit(&dir)),
    )
}

/// Writes every run at or after `since` as JSON Lines.
pub fn export(store: &Store, since: &str, out: &mut dyn Write) -> Result<usize> {
    let runs = store.all_runs_since(since)?;
    for (scope, run) in &runs {
        let line = ExportLine {
            run_id: run.run_id.clone(),
            tenant_id: scope.tenant_id.clone(),
            project_id: scope.project_id.clone(),
            kind: run.kind.clone(),
            command: run.command.clone(),
            time: run.time.clone(),
            git_commit: run.git_commit.clone(),
            payload: serde_json::from_str(&run.payload)
                .map_err(|e| Error::Evidence(format!("stored run {}: {e}", run.run_id)))?,
        };
        let text = serde_json::to_string(&line).expect("serialises");
        writeln!(out, "{text}").map_err(|e| Error::io("<export>", e))?;
    }
    Ok(runs.len())
}

/// Merges an export; runs already present are skipped. Returns (new, already present).
pub fn import(store: &mut Store, path: &Path, text: &str) -> Result<(usize, usize)> {
    let mut new = 0;
    let mut known = 0;
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let parsed: ExportLine = serde_json::from_str(line).map_err(|e| Error::Located {
            path: path.to_path_buf(),
            line: i + 1,
            column: e.column(),
            message: format!("not an evidence export line: {e}"),
        })?;
        let record = RunRecord::from_export(&parsed).map_err(|m| Error::at_line(path, i + 1, m))?;
        if record.run_id != parsed.run_id {
            return Err(Error::at_line(
                path,
                i + 1,
                format!(
                    "run_id {} does not match its payload (edited after export?)",
                    parsed.run_id
                ),
            ));
        }
        if store.record(&record)? {
            new += 1;
        } else {
            known += 1;
        }
    }
    Ok((new, known))
}
