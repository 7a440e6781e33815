//! The SQLite evidence store: one transaction per run, WAL, a busy timeout so concurrent
//! writers queue instead of failing, and a versioned schema applied by migrations.
//!
//! Invariant: every row carries `tenant_id` and `project_id`, and every query takes a
//! [`Scope`] and filters on both, so one scope never sees another's rows.

use std::path::Path;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::record::{FindingRow, PackageRow, RunRecord, Scope, VerificationRow};
use crate::error::{Error, Result};

/// Migrations, in order; `PRAGMA user_version` is the number applied.
const MIGRATIONS: &[&str] = &[
    // 1: runs and what they found.
    "CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        project_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        command TEXT NOT NULL,
        time TEXT NOT NULL,
        tool_version TEXT NOT NULL,
        git_commit TEXT,
        lockfile_sha256 TEXT,
        db_commit TEXT,
        db_age_days INTEGER,
        verdict TEXT NOT NULL,
        payload TEXT NOT NULL
    );
    CREATE INDEX runs_scope_time ON runs (tenant_id, project_id, time);
    CREATE TABLE packages (
        run_id TEXT NOT NULL REFERENCES runs(run_id),
        tenant_id TEXT NOT NULL,
        project_id TEXT NOT NULL,
        name TEXT NOT NULL,
        version TEXT NOT NULL,
        source TEXT
    );
    CREATE INDEX packages_run ON packages (run_id);
    CREATE TABLE findings (
        run_id TEXT NOT NULL REFERENCES runs(run_id),
        tenant_id TEXT NOT NULL,
        project_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        advisory_id TEXT NOT NULL,
        package TEXT NOT NULL,
        version TEXT NOT NULL,
        severity TEXT,
        status TEXT NOT NULL,
        fails_policy INTEGER NOT NULL,
        ignore_reason TEXT,
        ignore_approved_by TEXT,
        ignore_expires TEXT
    );
    CREATE INDEX findings_run ON findings (run_id);
    CREATE TABLE verifications (
        run_id TEXT NOT NULL REFERENCES runs(run_id),
        tenant_id TEXT NOT NULL,
        project_id TEXT NOT NULL,
        command TEXT NOT NULL,
        subject TEXT NOT NULL,
        digest TEXT,
        verdict TEXT NOT NULL,
        checks TEXT NOT NULL
    );
    CREATE INDEX verifications_run ON verifications (run_id);",
];

pub struct Store {
    conn: Connection,
}

/// An audit run on the timeline: (run id, time, database age in days, database commit).
pub type AuditPoint = (String, String, Option<i64>, Option<String>);

/// A stored run, as queries return it.
#[derive(Debug, Clone)]
pub struct StoredRun {
    pub run_id: String,
    pub kind: String,
    pub command: String,
    pub time: String,
    pub verdict: String,
    pub db_age_days: Option<i64>,
    pub git_commit: Option<String>,
    pub payload: String,
}

/// Maps the 8 columns `run_id, kind, command, time, verdict, db_age_days, git_commit, payload`
/// starting at `at`.
fn stored_run(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<StoredRun> {
    Ok(StoredRun {
        run_id: r.get(at)?,
        kind: r.get(at + 1)?,
        command: r.get(at + 2)?,
        time: r.get(at + 3)?,
        verdict: r.get(at + 4)?,
        db_age_days: r.get(at + 5)?,
        git_commit: r.get(at + 6)?,
        payload: r.get(at + 7)?,
    })
}

impl Store {
    /// Opens (creating and migrating) the store at `path`.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let err = |e: rusqlite::Error| Error::Evidence(format!("{}: {e}", path.display()));
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(Duration::from_secs(30)).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(err)?;
        let mut store = Store { conn };
        store.migrate().map_err(err)?;
        Ok(store)
    }

    fn migrate(&mut self) -> rusqlite::Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: usize = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i + 1)?;
        }
        tx.commit()
    }

    /// Records one run in one transaction; a run already stored (same id) is left as is.
    /// Returns whether it was new.
    pub fn record(&mut self, run: &RunRecord) -> Result<bool> {
        let err = |e: rusqlite::Error| Error::Evidence(e.to_string());
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let inserted = tx
            .execute(
                "INSERT OR IGNORE INTO runs (run_id, tenant_id, project_id, kind, command, time, tool_version,
                 git_commit, lockfile_sha256, db_commit, db_age_days, verdict, payload)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                params![
                    run.run_id,
                    run.scope.tenant_id,
                    run.scope.project_id,
                    run.kind,
                    run.command,
                    run.time,
                    run.tool_version,
                    run.git_commit,
                    run.lockfile_sha256,
                    run.db_commit,
                    run.db_age_days,
                    run.verdict,
                    run.payload
                ],
            )
            .map_err(err)?;
        if inserted == 0 {
            return Ok(false);
        }
        let (t, p) = (&run.scope.tenant_id, &run.scope.project_id);
        {
            let mut stmt = tx
                .prepare("INSERT INTO packages (run_id, tenant_id, project_id, name, version, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                .map_err(err)?;
            for pkg in &run.packages {
                stmt.execute(params![run.run_id, t, p, pkg.name, pkg.version, pkg.source])
                    .map_err(err)?;
            }
            let mut stmt = tx
                .prepare(
                    "INSERT INTO findings (run_id, tenant_id, project_id, kind, advisory_id, package, version, severity,
                     status, fails_policy, ignore_reason, ignore_approved_by, ignore_expires)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                )
                .map_err(err)?;
            for f in &run.findings {
                stmt.execute(params![
                    run.run_id,
                    t,
                    p,
                    f.kind,
                    f.advisory_id,
                    f.package,
                    f.version,
                    f.severity,
                    f.status,
                    f.fails_policy,
                    f.ignore_reason,
                    f.ignore_approved_by,
                    f.ignore_expires
                ])
                .map_err(err)?;
            }
            let mut stmt = tx
                .prepare(
                    "INSERT INTO verifications (run_id, tenant_id, project_id, command, subject, digest, verdict, checks)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(err)?;
            for v in &run.verifications {
                stmt.execute(params![
                    run.run_id,
                    t,
                    p,
                    run.command,
                    v.subject,
                    v.digest,
                    v.verdict,
                    v.checks
                ])
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok(true)
    }

    /// Runs of a scope in `[from, to)` (RFC 3339 strings compare in time order), oldest first.
    pub fn runs(&self, scope: &Scope, from: &str, to: &str) -> Result<Vec<StoredRun>> {
        let err = |e: rusqlite::Error| Error::Evidence(e.to_string());
        let mut stmt = self
            .conn
            .prepare(
                "SELECT run_id, kind, command, time, verdict, db_age_days, git_commit, payload FROM runs
                 WHERE tenant_id = ?1 AND project_id = ?2 AND time >= ?3 AND time < ?4
                 ORDER BY time, run_id",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map(params![scope.tenant_id, scope.project_id, from, to], |r| {
                stored_run(r, 0)
            })
            .map_err(err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(err)
    }

    /// The newest audit run of a scope before `before`.
    pub fn last_audit_before(&self, scope: &Scope, before: &str) -> Result<Option<StoredRun>> {
        let err = |e: rusqlite::Error| Error::Evidence(e.to_string());
        self.conn
            .query_row(
                "SELECT run_id, kind, command, time, verdict, db_age_days, git_commit, payload FROM runs
                 WHERE tenant_id = ?1 AND project_id = ?2 AND kind = 'audit' AND time < ?3
                 ORDER BY time DESC, run_id DESC LIMIT 1",
                params![scope.tenant_id, scope.project_id, before],
                |r| stored_run(r, 0),
            )
            .optional()
            .map_err(err)
    }

    /// Every run (all scopes) at or after `since`, for export.
    pub fn all_runs_since(&self, since: &str) -> Result<Vec<(Scope, StoredRun)>> {
        let err = |e: rusqlite::Error| Error::Evidence(e.to_string());
        let mut stmt = self
            .conn
            .prepare(
                "SELECT tenant_id, project_id, run_id, kind, command, time, verdict, db_age_days, git_commit, payload
                 FROM runs WHERE time >= ?1 ORDER BY time, run_id",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map(params![since], |r| {
                Ok((
                    Scope {
                        tenant_id: r.get(0)?,
                        project_id: r.get(1)?,
                    },
                    stored_run(r, 2)?,
                ))
            })
            .map_err(err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(err)
    }

    /// Audit runs of a scope before `before`, oldest first: (run id, time, database age,
    /// database commit).
    pub fn audit_timeline(&self, scope: &Scope, before: &str) -> Result<Vec<AuditPoint>> {
        let err = |e: rusqlite::Error| Error::Evidence(e.to_string());
        let mut stmt = self
            .conn
            .prepare(
                "SELECT run_id, time, db_age_days, db_commit FROM runs
                 WHERE tenant_id = ?1 AND project_id = ?2 AND kind = 'audit' AND time < ?3 ORDER BY time, run_id",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map(params![scope.tenant_id, scope.project_id, before], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .map_err(err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(err)
    }

    /// Findings of every audit run of a scope before `before`: (run id, finding).
    pub fn findings_before(
        &self,
        scope: &Scope,
        before: &str,
    ) -> Result<Vec<(String, FindingRow)>> {
        let err = |e: rusqlite::Error| Error::Evidence(e.to_string());
        let mut stmt = self
            .conn
            .prepare(
                "SELECT f.run_id, f.kind, f.advisory_id, f.package, f.version, f.severity, f.status, f.fails_policy,
                        f.ignore_reason, f.ignore_approved_by, f.ignore_expires
                 FROM findings f JOIN runs r ON r.run_id = f.run_id
                 WHERE f.tenant_id = ?1 AND f.project_id = ?2 AND r.tenant_id = ?1 AND r.project_id = ?2 AND r.time < ?3
                 ORDER BY r.time, f.kind, f.advisory_id, f.package, f.version",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map(params![scope.tenant_id, scope.project_id, before], |r| {
                Ok((
                    r.get(0)?,
                    FindingRow {
                        kind: r.get(1)?,
                        advisory_id: r.get(2)?,
                        package: r.get(3)?,
                        version: r.get(4)?,
                        severity: r.get(5)?,
                        status: r.get(6)?,
                        fails_policy: r.get(7)?,
                        ignore_reason: r.get(8)?,
                        ignore_approved_by: r.get(9)?,
                        ignore_expires: r.get(10)?,
                    },
                ))
            })
            .map_err(err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(err)
    }

    /// The inventory of one run of the scope.
    pub fn packages_of(&self, scope: &Scope, run_id: &str) -> Result<Vec<PackageRow>> {
        let err = |e: rusqlite::Error| Error::Evidence(e.to_string());
        let mut stmt = self
            .conn
            .prepare(
                "SELECT name, version, source FROM packages WHERE tenant_id = ?1 AND project_id = ?2 AND run_id = ?3
                 ORDER BY name, version",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map(params![scope.tenant_id, scope.project_id, run_id], |r| {
                Ok(PackageRow {
                    name: r.get(0)?,
                    version: r.get(1)?,
                    source: r.get(2)?,
                })
            })
            .map_err(err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(err)
    }

    /// Verification results of a scope in `[from, to)`: (time, command, row).
    pub fn verifications(
        &self,
        scope: &Scope,
        from: &str,
        to: &str,
    ) -> Result<Vec<(String, String, VerificationRow)>> {
        let err = |e: rusqlite::Error| Error::Evidence(e.to_string());
        let mut stmt = self
            .conn
            .prepare(
                "SELECT r.time, v.command, v.subject, v.digest, v.verdict, v.checks
                 FROM verifications v JOIN runs r ON r.run_id = v.run_id
                 WHERE v.tenant_id = ?1 AND v.project_id = ?2 AND r.tenant_id = ?1 AND r.project_id = ?2
                   AND r.time >= ?3 AND r.time < ?4
                 ORDER BY r.time, v.command, v.subject",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map(params![scope.tenant_id, scope.project_id, from, to], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    VerificationRow {
                        subject: r.get(2)?,
                        digest: r.get(3)?,
                        verdict: r.get(4)?,
                        checks: r.get(5)?,
                    },
                ))
            })
            .map_err(err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(err)
    }

    /// Number of runs of a scope (tests, status).
    pub fn count_runs(&self, scope: &Scope) -> Result<usize> {
        self.conn
            .query_row(
                "SELECT COUNT(*) FROM runs WHERE tenant_id = ?1 AND project_id = ?2",
                params![scope.tenant_id, scope.project_id],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as usize)
            .map_err(|e| Error::Evidence(e.to_string()))
    }
}
