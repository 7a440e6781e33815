//! The SQLite evidence store (the embedded default backend): one transaction per run, WAL, a busy timeout so concurrent
//! writers queue instead of failing, and a versioned schema applied by migrations.
//!
//! Invariants: every run carries `tenant_id` and `project_id` and every query takes a
//! [`Scope`]; runs of a scope form a hash chain (`seq`, `prev_hash`, `record_hash`, see
//! [`super::chain`]) appended under the write lock, so concurrent writers never fork it.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::backend::Backend;
use super::chain;
use super::record::{InventoryText, RunRecord, Scope};
use super::row::RunRow;
use super::subscription::{DeliveryRecord, DeliveryRow, LatestInventory};
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
    CREATE TABLE packages (run_id TEXT NOT NULL, tenant_id TEXT NOT NULL, project_id TEXT NOT NULL,
        name TEXT NOT NULL, version TEXT NOT NULL, source TEXT);
    CREATE TABLE findings (run_id TEXT NOT NULL, tenant_id TEXT NOT NULL, project_id TEXT NOT NULL,
        kind TEXT NOT NULL, advisory_id TEXT NOT NULL, package TEXT NOT NULL, version TEXT NOT NULL,
        severity TEXT, status TEXT NOT NULL, fails_policy INTEGER NOT NULL, ignore_reason TEXT,
        ignore_approved_by TEXT, ignore_expires TEXT);
    CREATE TABLE verifications (run_id TEXT NOT NULL, tenant_id TEXT NOT NULL, project_id TEXT NOT NULL,
        command TEXT NOT NULL, subject TEXT NOT NULL, digest TEXT, verdict TEXT NOT NULL, checks TEXT NOT NULL);",
    // 2: the policy in force, the trigger, the lockfile path, one row per distinct inventory
    // and the hash chain. The derived row tables go: the report reads the verified payloads.
    // Runs of a version-1 store are kept but not chained (`seq` NULL): `evidence verify`
    // and the report name them as unverifiable.
    "ALTER TABLE runs ADD COLUMN seq INTEGER;
    ALTER TABLE runs ADD COLUMN lockfile_path TEXT;
    ALTER TABLE runs ADD COLUMN trigger TEXT NOT NULL DEFAULT 'manual';
    ALTER TABLE runs ADD COLUMN origin TEXT NOT NULL DEFAULT 'recorded';
    ALTER TABLE runs ADD COLUMN policy_sha256 TEXT;
    ALTER TABLE runs ADD COLUMN inventory_sha256 TEXT;
    ALTER TABLE runs ADD COLUMN prev_hash TEXT;
    ALTER TABLE runs ADD COLUMN record_hash TEXT;
    CREATE UNIQUE INDEX runs_chain ON runs (tenant_id, project_id, seq);
    CREATE TABLE policies (sha256 TEXT PRIMARY KEY, content TEXT NOT NULL);
    CREATE TABLE inventories (sha256 TEXT PRIMARY KEY, packages TEXT NOT NULL);
    DROP TABLE packages;
    DROP TABLE findings;
    DROP TABLE verifications;",
    // 3: every notification delivery (see `super::subscription`): one row per sink and
    // finding, scoped, in a per-scope chain of its own anchored to the run's record hash.
    "CREATE TABLE deliveries (
        tenant_id TEXT NOT NULL,
        project_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        run_id TEXT NOT NULL,
        run_record_hash TEXT NOT NULL,
        sink TEXT NOT NULL,
        finding_id TEXT NOT NULL,
        advisory_id TEXT,
        time TEXT NOT NULL,
        outcome TEXT NOT NULL,
        external_id TEXT,
        attempts INTEGER NOT NULL,
        prev_hash TEXT,
        record_hash TEXT NOT NULL,
        PRIMARY KEY (tenant_id, project_id, seq)
    );
    CREATE INDEX deliveries_run ON deliveries (run_id);",
];

pub struct SqliteStore {
    pub(super) conn: Connection,
    /// Digests of the inventories this connection stored (committed): not sent again.
    inventories: HashSet<String>,
}

/// A stored run with everything needed to check it against the chain.
#[derive(Debug, Clone)]
pub struct StoredRun {
    pub scope: Scope,
    pub seq: Option<i64>,
    pub run_id: String,
    pub kind: String,
    pub command: String,
    pub time: String,
    pub tool_version: String,
    pub git_commit: Option<String>,
    pub lockfile_path: Option<String>,
    pub lockfile_sha256: Option<String>,
    pub trigger: String,
    pub origin: String,
    pub verdict: String,
    pub policy_sha256: Option<String>,
    /// Shared by every run of the scope with the same policy (read once).
    pub policy: Option<Arc<str>>,
    pub inventory_sha256: Option<String>,
    /// Shared by every run of the scope with the same inventory (read once).
    pub inventory: Option<Arc<str>>,
    pub payload: String,
    pub prev_hash: Option<String>,
    pub record_hash: Option<String>,
    /// Stored beside the run, not covered by its hash (the payload holds the same facts).
    pub db_commit: Option<String>,
    pub db_age_days: Option<i64>,
}

/// A run's own columns; its policy and inventory texts are read once per scope (see
/// [`attach_contents`]), not once per run.
const RUN_COLUMNS: &str = "r.tenant_id, r.project_id, r.seq, r.run_id, r.kind, r.command, r.time, r.tool_version,
    r.git_commit, r.lockfile_path, r.lockfile_sha256, r.trigger, r.origin, r.verdict, r.policy_sha256,
    r.inventory_sha256, r.payload, r.prev_hash, r.record_hash, r.db_commit, r.db_age_days
    FROM runs r";

/// The scope of a row whose first two columns are `tenant_id, project_id` (every query here
/// that reads a scope lists them first).
pub(super) fn scope_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<Scope> {
    Ok(Scope {
        tenant_id: r.get(0)?,
        project_id: r.get(1)?,
    })
}

fn stored_run(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRun> {
    Ok(StoredRun {
        scope: scope_of(r)?,
        seq: r.get(2)?,
        run_id: r.get(3)?,
        kind: r.get(4)?,
        command: r.get(5)?,
        time: r.get(6)?,
        tool_version: r.get(7)?,
        git_commit: r.get(8)?,
        lockfile_path: r.get(9)?,
        lockfile_sha256: r.get(10)?,
        trigger: r.get(11)?,
        origin: r.get(12)?,
        verdict: r.get(13)?,
        policy_sha256: r.get(14)?,
        policy: None,
        inventory_sha256: r.get(15)?,
        inventory: None,
        payload: r.get(16)?,
        prev_hash: r.get(17)?,
        record_hash: r.get(18)?,
        db_commit: r.get(19)?,
        db_age_days: r.get(20)?,
    })
}

/// Gives each run the stored text of its policy and inventory (digest -> text, one shared
/// copy per distinct content); a digest with no stored text stays `None` (the chain check
/// names it).
pub(super) fn attach_contents(
    runs: &mut [StoredRun],
    policies: &HashMap<String, Arc<str>>,
    inventories: &HashMap<String, Arc<str>>,
) {
    for r in runs {
        r.policy = r
            .policy_sha256
            .as_ref()
            .and_then(|s| policies.get(s).cloned());
        r.inventory = r
            .inventory_sha256
            .as_ref()
            .and_then(|s| inventories.get(s).cloned());
    }
}

fn db_err(e: rusqlite::Error) -> Error {
    Error::evidence(e.to_string()).caused_by(e)
}

const INSERT_RUN: &str =
    "INSERT INTO runs (run_id, tenant_id, project_id, kind, command, time, tool_version, git_commit,
     lockfile_sha256, db_commit, db_age_days, verdict, payload, seq, lockfile_path, trigger, origin,
     policy_sha256, inventory_sha256, prev_hash, record_hash)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)";

/// Inserts a run's columns (in [`INSERT_RUN`]'s order).
fn insert_run(tx: &rusqlite::Transaction<'_>, r: &RunRow<'_>) -> Result<()> {
    tx.execute(
        INSERT_RUN,
        params![
            r.run_id,
            r.scope.tenant_id,
            r.scope.project_id,
            r.kind,
            r.command,
            r.time,
            r.tool_version,
            r.git_commit,
            r.lockfile_sha256,
            r.db_commit,
            r.db_age_days,
            r.verdict,
            r.payload,
            r.seq,
            r.lockfile_path,
            r.trigger,
            &*r.origin,
            r.policy_sha256,
            r.inventory_sha256,
            r.prev_hash,
            r.record_hash
        ],
    )
    .map_err(db_err)?;
    Ok(())
}

/// Stores a policy and an inventory once per content.
fn insert_contents(
    tx: &rusqlite::Transaction<'_>,
    policy_sha256: &str,
    policy: &str,
    inventory_sha256: Option<&str>,
    inventory: Option<&str>,
) -> Result<()> {
    tx.execute(
        "INSERT OR IGNORE INTO policies (sha256, content) VALUES (?1, ?2)",
        params![policy_sha256, policy],
    )
    .map_err(db_err)?;
    if let (Some(sha), Some(inv)) = (inventory_sha256, inventory) {
        tx.execute(
            "INSERT OR IGNORE INTO inventories (sha256, packages) VALUES (?1, ?2)",
            params![sha, inv],
        )
        .map_err(db_err)?;
    }
    Ok(())
}

/// Size of the WAL past which a closing connection checkpoints it into the database and
/// truncates it: about every fifth recorded audit of a 1,200-package lockfile (~55 KB of WAL
/// each). Measured against 1 MiB (steady state, 80 runs each): +0.85 ms a recorded run
/// instead of +2.3 ms; reading the WAL back at every open cost more than the truncations.
const WAL_TRUNCATE_BYTES: u64 = 1 << 18;

impl Drop for SqliteStore {
    /// Why: the WAL is kept at close (see [`SqliteStore::open`]), so the next process rebuilds
    /// its index by reading and checksumming every frame, and the checkpoint progress kept in
    /// that index is lost with it. SQLite's automatic checkpoint therefore never restarted the
    /// WAL: past 1,000 pages every commit copied the whole WAL into the database again, and
    /// the WAL grew without bound (9.5 MB after 186 audits: 32.6 ms a recorded run instead of
    /// 14.0). Truncating it here bounds both costs; the fsyncs it takes are paid once per
    /// [`WAL_TRUNCATE_BYTES`] of evidence. Best effort: a store another process is writing
    /// is left for a later close (200 ms at most), and a read-only store is left as it is.
    fn drop(&mut self) {
        let Some(path) = self.conn.path().filter(|p| !p.is_empty()) else {
            return;
        };
        let large =
            std::fs::metadata(format!("{path}-wal")).is_ok_and(|m| m.len() >= WAL_TRUNCATE_BYTES);
        if large && self.conn.busy_timeout(Duration::from_millis(200)).is_ok() {
            let _ = self
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
    }
}

impl SqliteStore {
    /// Opens (creating and migrating) the store at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let err =
            |e: rusqlite::Error| Error::evidence(format!("{}: {e}", path.display())).caused_by(e);
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(Duration::from_secs(30)).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        // In WAL mode, NORMAL appends each commit to the WAL without an fsync: a committed
        // run survives any crash of this process (the WAL is in the OS's page cache), and the
        // store is never corrupted; only a power loss can drop the last commits.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        // By default the last connection to close copies the WAL into the database, fsyncs
        // both and deletes the WAL, which is recreated (with a directory fsync) by the next
        // run: four fsyncs, the whole cost of recording one run. The WAL is kept instead, and
        // truncated by a closing store once it reaches `WAL_TRUNCATE_BYTES` (see `Drop`).
        // Every SQLite reader sees its content; a copy of the store must include `-wal`.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
            .map_err(err)?;
        let mut store = SqliteStore {
            conn,
            inventories: HashSet::new(),
        };
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

    /// Whether a run with this id is stored.
    pub fn has_run(&self, run_id: &str) -> Result<bool> {
        self.conn
            .query_row("SELECT 1 FROM runs WHERE run_id = ?1", [run_id], |_| Ok(()))
            .optional()
            .map(|r| r.is_some())
            .map_err(db_err)
    }

    /// See [`Backend::record_batch`].
    pub fn record_batch(&mut self, runs: &[&RunRecord]) -> Result<usize> {
        let Some(first) = runs.first() else {
            return Ok(0);
        };
        let scope = &first.scope;
        assert!(
            runs.iter().all(|r| r.scope == *scope),
            "one scope per batch"
        );
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_err)?;
        let (t, p) = (&scope.tenant_id, &scope.project_id);
        let mut head: Option<(i64, Option<String>)> = tx
            .query_row(
                "SELECT seq, record_hash FROM runs WHERE tenant_id = ?1 AND project_id = ?2 AND seq IS NOT NULL
                 ORDER BY seq DESC LIMIT 1",
                params![t, p],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(db_err)?;
        let mut new = 0;
        let mut inserted: Vec<String> = Vec::new();
        for run in runs {
            let known = tx
                .query_row(
                    "SELECT 1 FROM runs WHERE run_id = ?1",
                    [&run.run_id],
                    |_| Ok(()),
                )
                .optional()
                .map_err(db_err)?;
            if known.is_some() {
                continue;
            }
            let prepared = chain::Prepared::new(run);
            let link = prepared.link(head.take());
            // An inventory this connection already stored is not sent again.
            let inventory = prepared
                .inventory_sha256
                .as_ref()
                .filter(|sha| !self.inventories.contains(*sha) && !inserted.contains(sha));
            let text = run.inventory.as_ref().and_then(InventoryText::text);
            if let (Some(sha), None) = (inventory, text) {
                // A run that references a stored inventory this store was not seen to hold.
                return Err(Error::evidence(format!(
                    "inventory {sha} is neither stored nor sent"
                )));
            }
            insert_contents(
                &tx,
                &prepared.policy_sha256,
                &prepared.policy,
                inventory.map(String::as_str),
                text,
            )?;
            inserted.extend(inventory.cloned());
            insert_run(&tx, &prepared.row(&link))?;
            head = Some((link.seq, Some(link.record_hash)));
            new += 1;
        }
        tx.commit().map_err(db_err)?;
        self.inventories.extend(inserted);
        Ok(new)
    }

    /// See [`Backend::copy_run`].
    pub fn copy_run(&mut self, run: &StoredRun) -> Result<bool> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_err)?;
        let known: Option<Option<String>> = tx
            .query_row(
                "SELECT record_hash FROM runs WHERE run_id = ?1",
                [&run.run_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(db_err)?;
        if let Some(hash) = known {
            return if hash == run.record_hash {
                Ok(false)
            } else {
                Err(Error::evidence(format!(
                    "run {} is already stored with other content",
                    run.run_id
                )))
            };
        }
        if let (Some(sha), Some(content)) = (&run.policy_sha256, &run.policy) {
            insert_contents(
                &tx,
                sha,
                content,
                run.inventory_sha256.as_deref(),
                run.inventory.as_deref(),
            )?;
        }
        insert_run(&tx, &run.row())?;
        tx.commit().map_err(db_err)?;
        Ok(true)
    }

    /// Every run of a scope in chain order (unchained version-1 runs first, by time).
    pub fn chain(&self, scope: &Scope) -> Result<Vec<StoredRun>> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} WHERE r.tenant_id = ?1 AND r.project_id = ?2
             ORDER BY r.seq IS NOT NULL, r.seq, r.time, r.run_id"
        );
        // One snapshot (a read transaction) for the runs and their contents.
        let tx = self.conn.unchecked_transaction().map_err(db_err)?;
        let mut stmt = tx.prepare(&sql).map_err(db_err)?;
        let rows = stmt
            .query_map(params![scope.tenant_id, scope.project_id], stored_run)
            .map_err(db_err)?;
        let mut runs = rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)?;
        drop(stmt);
        let contents =
            |table: &str, column: &str, key: &str| -> Result<HashMap<String, Arc<str>>> {
                let sql = format!(
                    "SELECT sha256, {column} FROM {table} WHERE sha256 IN
                 (SELECT {key} FROM runs WHERE tenant_id = ?1 AND project_id = ?2)"
                );
                let mut stmt = tx.prepare(&sql).map_err(db_err)?;
                let rows = stmt
                    .query_map(params![scope.tenant_id, scope.project_id], |r| {
                        Ok((r.get::<_, String>(0)?, Arc::from(r.get::<_, String>(1)?)))
                    })
                    .map_err(db_err)?;
                rows.collect::<rusqlite::Result<_>>().map_err(db_err)
            };
        let policies = contents("policies", "content", "policy_sha256")?;
        let inventories = contents("inventories", "packages", "inventory_sha256")?;
        tx.finish().map_err(db_err)?;
        attach_contents(&mut runs, &policies, &inventories);
        Ok(runs)
    }

    /// Every scope with runs, sorted; `tenant` restricts to one tenant.
    pub fn scopes(&self, tenant: Option<&str>) -> Result<Vec<Scope>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT DISTINCT tenant_id, project_id FROM runs
                 WHERE ?1 IS NULL OR tenant_id = ?1 ORDER BY tenant_id, project_id",
            )
            .map_err(db_err)?;
        let rows = stmt.query_map(params![tenant], scope_of).map_err(db_err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
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
            .map_err(db_err)
    }
}

impl Backend for SqliteStore {
    fn record_batch(&mut self, runs: &[&RunRecord]) -> Result<usize> {
        SqliteStore::record_batch(self, runs)
    }

    /// One store, one tenant's worth of rows or many: inventories are keyed by digest alone.
    fn has_inventory(&mut self, _tenant: &str, sha256: &str) -> Result<bool> {
        let found = self
            .conn
            .query_row(
                "SELECT 1 FROM inventories WHERE sha256 = ?1",
                [sha256],
                |_| Ok(()),
            )
            .optional()
            .map_err(db_err)?
            .is_some();
        if found {
            self.inventories.insert(sha256.to_string());
        }
        Ok(found)
    }

    fn is_local(&self) -> bool {
        true
    }

    fn inventory_text(&mut self, _tenant: &str, sha256: &str) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT packages FROM inventories WHERE sha256 = ?1",
                [sha256],
                |r| r.get(0),
            )
            .optional()
            .map_err(db_err)
    }

    fn chain(&self, scope: &Scope) -> Result<Vec<StoredRun>> {
        SqliteStore::chain(self, scope)
    }

    fn scopes(&self, tenant: Option<&str>) -> Result<Vec<Scope>> {
        SqliteStore::scopes(self, tenant)
    }

    fn count_runs(&self, scope: &Scope) -> Result<usize> {
        SqliteStore::count_runs(self, scope)
    }

    fn copy_run(&mut self, run: &StoredRun) -> Result<bool> {
        SqliteStore::copy_run(self, run)
    }

    fn latest_inventories(&self) -> Result<Vec<LatestInventory>> {
        SqliteStore::latest_inventories(self)
    }

    fn record_deliveries(
        &mut self,
        scope: &Scope,
        run_id: &str,
        deliveries: &[DeliveryRecord],
    ) -> Result<()> {
        SqliteStore::record_deliveries(self, scope, run_id, deliveries)
    }

    fn deliveries(&self, scope: &Scope) -> Result<Vec<DeliveryRow>> {
        SqliteStore::deliveries(self, scope)
    }

    fn has_run_in(&self, scope: &Scope, run_id: &str) -> Result<bool> {
        SqliteStore::has_run_in(self, scope, run_id)
    }

    fn has_delivery(&self, scope: &Scope, run_id: &str, d: &DeliveryRecord) -> Result<bool> {
        SqliteStore::has_delivery(self, scope, run_id, d)
    }
}

#[cfg(test)]
mod tests {
    use super::super::chain::{verifiable_run, verify_scope};
    use super::super::{Scope, Store};

    /// Each process records into the store and closes it, leaving the WAL (no checkpoint on
    /// close): the WAL must still stay bounded, or every later process reads all of it. It
    /// grew by every run before (1.8 MB after these 100 runs; 9.5 MB after 186 real audits).
    #[test]
    fn the_wal_stays_bounded_across_processes_that_each_record_one_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.db");
        let wal = dir.path().join("e.db-wal");
        let scope = Scope::new(None, Some("web"));
        let mut largest = 0;
        for day in 0..100 {
            let mut store = Store::open(&path).unwrap();
            let time = format!("2026-10-01T00:{:02}:{:02}Z", day / 60, day % 60);
            store.record(&verifiable_run(&scope, &time)).unwrap();
            drop(store);
            largest = largest.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
        }
        assert!(
            largest < super::WAL_TRUNCATE_BYTES + 256 * 1024,
            "the WAL reached {largest} bytes"
        );
        let store = Store::open(&path).unwrap();
        let check = verify_scope(&store, &scope).unwrap();
        assert!(check.intact(), "{:?}", check.breaks);
        assert_eq!(check.runs.len(), 100);
    }
}
