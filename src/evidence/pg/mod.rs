//! The PostgreSQL evidence store: one database for an organisation's runners, the same model
//! and queries as the SQLite store, every table carrying the tenant, row-level security
//! deciding what each role reads and writes (`sql/postgres/`).
//!
//! Invariants: a run is appended in one READ COMMITTED transaction holding its scope's
//! advisory lock, so concurrent writers of one scope queue (the chain never forks) and
//! writers of other scopes do not wait; each statement after the lock sees the chain head
//! the previous writer committed. A serialization failure or deadlock is retried with a
//! randomised back-off, the whole transaction again; anything else is reported. Runs are
//! never updated or deleted (the roles have no such privilege).

mod deliveries;
mod pgpass;
pub mod setup;
mod target;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, GenericClient, Row};

pub use target::{describe, is_url, PgTarget};

use super::backend::Backend;
use super::chain::Prepared;
use super::record::{InventoryText, RunRecord, Scope};
use super::row::RunRow;
use super::store::{attach_contents, StoredRun};
use super::subscription::{DeliveryRecord, DeliveryRow, LatestInventory};
use crate::error::{Error, Result};

/// Attempts of one append before a serialization failure is reported.
const ATTEMPTS: u32 = 12;

pub struct PgStore {
    client: Mutex<Client>,
    target: PgTarget,
    /// (Tenant, digest) of the inventories this connection stored (committed): not sent
    /// again.
    inventories: HashSet<(String, String)>,
}

/// A run's own columns; policy and inventory texts are read once per scope.
const RUN_COLUMNS: &str = "r.tenant_id, r.project_id, r.seq, r.run_id, r.kind, r.command, r.time,
    r.tool_version, r.git_commit, r.lockfile_path, r.lockfile_sha256, r.trigger, r.origin, r.verdict,
    r.policy_sha256, r.inventory_sha256, r.payload, r.prev_hash, r.record_hash, r.db_commit,
    r.db_age_days
    FROM chainwarden.runs r";

const INSERT_RUN: &str = "INSERT INTO chainwarden.runs (run_id, tenant_id, project_id, kind,
    command, time, tool_version, git_commit, lockfile_sha256, db_commit, db_age_days, verdict,
    payload, seq, lockfile_path, trigger, origin, policy_sha256, inventory_sha256, prev_hash,
    record_hash)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
    $20, $21)";

/// The scope of a row whose first two columns are `tenant_id, project_id` (every query here
/// that reads a scope lists them first).
fn scope_of(r: &Row) -> Scope {
    Scope {
        tenant_id: r.get(0),
        project_id: r.get(1),
    }
}

fn stored_run(r: &Row) -> StoredRun {
    StoredRun {
        scope: scope_of(r),
        seq: r.get(2),
        run_id: r.get(3),
        kind: r.get(4),
        command: r.get(5),
        time: r.get(6),
        tool_version: r.get(7),
        git_commit: r.get(8),
        lockfile_path: r.get(9),
        lockfile_sha256: r.get(10),
        trigger: r.get(11),
        origin: r.get(12),
        verdict: r.get(13),
        policy_sha256: r.get(14),
        policy: None,
        inventory_sha256: r.get(15),
        inventory: None,
        payload: r.get(16),
        prev_hash: r.get(17),
        record_hash: r.get(18),
        db_commit: r.get(19),
        db_age_days: r.get(20),
    }
}

/// The texts (digest -> text) of `table` that runs of `scope` name in `key`.
fn contents_of(
    client: &mut impl GenericClient,
    scope: &Scope,
    (table, column, key): (&str, &str, &str),
) -> Result<HashMap<String, Arc<str>>, postgres::Error> {
    let sql = format!(
        "SELECT c.sha256, c.{column} FROM chainwarden.{table} c WHERE c.tenant_id = $1
         AND c.sha256 IN (SELECT r.{key} FROM chainwarden.runs r
                          WHERE r.tenant_id = $1 AND r.project_id = $2)"
    );
    let rows = client.query(&sql, &[&scope.tenant_id, &scope.project_id])?;
    Ok(rows
        .iter()
        .map(|r| (r.get::<_, String>(0), Arc::from(r.get::<_, &str>(1))))
        .collect())
}

/// Serialization failures and deadlocks: the transaction may succeed when run again.
fn retryable(e: &postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
    )
}

/// Sleeps before attempt `attempt + 1`: exponential, capped, randomised so that writers that
/// failed together do not retry together.
fn back_off(attempt: u32) {
    let mut b = [0u8; 2];
    getrandom::fill(&mut b).expect("the operating system's random source works");
    let ceiling = 5u64 << attempt.min(7);
    let jitter = u64::from(u16::from_le_bytes(b)) % ceiling.max(1);
    std::thread::sleep(Duration::from_millis(ceiling / 2 + jitter));
}

/// Takes the scope's append lock until the transaction ends.
fn lock_scope(tx: &mut postgres::Transaction<'_>, scope: &Scope) -> Result<(), postgres::Error> {
    let key = format!("chainwarden/{}/{}", scope.tenant_id, scope.project_id);
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        &[&key],
    )?;
    Ok(())
}

/// Stores a policy and an inventory once per tenant and content.
fn insert_contents(
    tx: &mut impl GenericClient,
    tenant: &str,
    policy: (&str, &str),
    inventory: (Option<&str>, Option<&str>),
) -> Result<(), postgres::Error> {
    tx.execute(
        "INSERT INTO chainwarden.policies (tenant_id, sha256, content) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING",
        &[&tenant, &policy.0, &policy.1],
    )?;
    if let (Some(sha), Some(packages)) = inventory {
        tx.execute(
            "INSERT INTO chainwarden.inventories (tenant_id, sha256, packages) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
            &[&tenant, &sha, &packages],
        )?;
    }
    Ok(())
}

/// Inserts a run's columns (in [`INSERT_RUN`]'s order).
fn insert_run(tx: &mut impl GenericClient, r: &RunRow<'_>) -> Result<(), postgres::Error> {
    let origin: &str = &r.origin;
    let values: [&(dyn ToSql + Sync); 21] = [
        &r.run_id,
        &r.scope.tenant_id,
        &r.scope.project_id,
        &r.kind,
        &r.command,
        &r.time,
        &r.tool_version,
        &r.git_commit,
        &r.lockfile_sha256,
        &r.db_commit,
        &r.db_age_days,
        &r.verdict,
        &r.payload,
        &r.seq,
        &r.lockfile_path,
        &r.trigger,
        &origin,
        &r.policy_sha256,
        &r.inventory_sha256,
        &r.prev_hash,
        &r.record_hash,
    ];
    tx.execute(INSERT_RUN, &values)?;
    Ok(())
}

/// The record hash of a stored run of the tenant, if there is one.
fn stored_hash(
    tx: &mut impl GenericClient,
    tenant: &str,
    run_id: &str,
) -> Result<Option<Option<String>>, postgres::Error> {
    Ok(tx
        .query_opt(
            "SELECT record_hash FROM chainwarden.runs WHERE tenant_id = $1 AND run_id = $2",
            &[&tenant, &run_id],
        )?
        .map(|r| r.get(0)))
}

/// Appends `runs` (of one scope) in one transaction holding the scope's lock. Returns how
/// many were new and the inventories it inserted (`known`: inventories already stored, not
/// sent again).
fn record_once(
    client: &mut Client,
    runs: &[Prepared<'_>],
    known: &HashSet<(String, String)>,
) -> Result<(usize, Vec<(String, String)>), postgres::Error> {
    let scope = &runs[0].run.scope;
    let (t, p) = (&scope.tenant_id, &scope.project_id);
    let mut tx = client.transaction()?;
    lock_scope(&mut tx, scope)?;
    let mut head = tx
        .query_opt(
            "SELECT seq, record_hash FROM chainwarden.runs
             WHERE tenant_id = $1 AND project_id = $2 AND seq IS NOT NULL
             ORDER BY seq DESC LIMIT 1",
            &[t, p],
        )?
        .map(|r| (r.get::<_, i64>(0), r.get::<_, Option<String>>(1)));
    let (mut new, mut inserted) = (0, Vec::new());
    for prepared in runs {
        let run = prepared.run;
        if stored_hash(&mut tx, t, &run.run_id)?.is_some() {
            continue;
        }
        let link = prepared.link(head.take());
        // Inventories are stored per tenant: the key is the tenant and the digest.
        let inventory = prepared.inventory_sha256.as_ref().filter(|sha| {
            let key = (t.clone(), sha.to_string());
            !known.contains(&key) && !inserted.contains(&key)
        });
        let text = run.inventory.as_ref().and_then(InventoryText::text);
        insert_contents(
            &mut tx,
            t,
            (&prepared.policy_sha256, &prepared.policy),
            (inventory.map(String::as_str), text),
        )?;
        inserted.extend(inventory.map(|sha| (t.clone(), sha.clone())));
        insert_run(&mut tx, &prepared.row(&link))?;
        head = Some((link.seq, Some(link.record_hash)));
        new += 1;
    }
    tx.commit()?;
    Ok((new, inserted))
}

fn copy_once(client: &mut Client, run: &StoredRun) -> Result<Option<bool>, postgres::Error> {
    let t = &run.scope.tenant_id;
    let mut tx = client.transaction()?;
    lock_scope(&mut tx, &run.scope)?;
    if let Some(hash) = stored_hash(&mut tx, t, &run.run_id)? {
        return Ok((hash == run.record_hash).then_some(false));
    }
    if let (Some(sha), Some(content)) = (&run.policy_sha256, &run.policy) {
        insert_contents(
            &mut tx,
            t,
            (sha, content),
            (run.inventory_sha256.as_deref(), run.inventory.as_deref()),
        )?;
    }
    insert_run(&mut tx, &run.row())?;
    tx.commit()?;
    Ok(Some(true))
}

impl PgStore {
    /// Connects and checks that the database holds this version's schema.
    pub fn open(target: &PgTarget) -> Result<PgStore> {
        let mut client = target.connect()?;
        let version = setup::version(&mut client).map_err(|e| {
            Error::evidence(format!(
                "{target}: cannot read the evidence schema ({}); was `chainwarden evidence setup-postgres` run, and is role `{}` granted a tenant?",
                describe(&e),
                target.user()
            ))
        })?;
        setup::check_version(target, version)?;
        Ok(PgStore {
            client: Mutex::new(client),
            target: target.clone(),
            inventories: HashSet::new(),
        })
    }

    fn client(&self) -> MutexGuard<'_, Client> {
        // A panic while holding the lock leaves no transaction open (it rolls back on drop).
        self.client.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The error of a failed statement, naming the store; a row refused by row-level
    /// security names the role and the tenant.
    fn error(&self, e: &postgres::Error, tenant: Option<&str>) -> Error {
        if let (Some(t), Some(db)) = (tenant, e.as_db_error()) {
            if *db.code() == SqlState::INSUFFICIENT_PRIVILEGE {
                return Error::evidence(format!(
                    "{}: role `{}` may not write evidence of tenant `{t}` ({})",
                    self.target,
                    self.target.user(),
                    db.message()
                ));
            }
        }
        Error::evidence(format!("{}: {}", self.target, describe(e)))
    }

    /// Runs `once` until it succeeds, retrying serialization failures and deadlocks.
    fn retrying<T>(
        &self,
        tenant: &str,
        mut once: impl FnMut(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T> {
        let mut client = self.client();
        let mut attempt = 0;
        loop {
            match once(&mut client) {
                Ok(v) => return Ok(v),
                Err(e) if retryable(&e) && attempt + 1 < ATTEMPTS => {
                    back_off(attempt);
                    attempt += 1;
                }
                Err(e) => return Err(self.error(&e, Some(tenant))),
            }
        }
    }
}

impl Backend for PgStore {
    fn record_batch(&mut self, runs: &[&RunRecord]) -> Result<usize> {
        let Some(first) = runs.first() else {
            return Ok(0);
        };
        assert!(
            runs.iter().all(|r| r.scope == first.scope),
            "one scope per batch"
        );
        // A run that references a stored inventory (no text) this connection was not seen to
        // hold would reference nothing.
        for run in runs {
            if let Some(i) = run.inventory.as_ref().filter(|i| i.text().is_none()) {
                let key = (run.scope.tenant_id.clone(), i.sha256().to_string());
                if !self.inventories.contains(&key) {
                    return Err(Error::evidence(format!(
                        "inventory {} is neither stored nor sent",
                        i.sha256()
                    )));
                }
            }
        }
        let prepared: Vec<Prepared<'_>> = runs.iter().map(|r| Prepared::new(r)).collect();
        let known = std::mem::take(&mut self.inventories);
        let result = self.retrying(&first.scope.tenant_id, |c| {
            record_once(c, &prepared, &known)
        });
        self.inventories = known;
        let (new, inserted) = result?;
        self.inventories.extend(inserted);
        Ok(new)
    }

    fn chain(&self, scope: &Scope) -> Result<Vec<StoredRun>> {
        let sql = format!(
            "SELECT {RUN_COLUMNS} WHERE r.tenant_id = $1 AND r.project_id = $2
             ORDER BY r.seq IS NOT NULL, r.seq, r.time, r.run_id"
        );
        let mut client = self.client();
        let mut read = || -> Result<Vec<StoredRun>, postgres::Error> {
            // One snapshot for the runs and their contents.
            let mut tx = client
                .build_transaction()
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()?;
            let rows = tx.query(&sql, &[&scope.tenant_id, &scope.project_id])?;
            let mut runs: Vec<StoredRun> = rows.iter().map(stored_run).collect();
            drop(rows);
            let policies = contents_of(&mut tx, scope, ("policies", "content", "policy_sha256"))?;
            let inventories = contents_of(
                &mut tx,
                scope,
                ("inventories", "packages", "inventory_sha256"),
            )?;
            tx.commit()?;
            attach_contents(&mut runs, &policies, &inventories);
            Ok(runs)
        };
        read().map_err(|e| self.error(&e, None))
    }

    fn scopes(&self, tenant: Option<&str>) -> Result<Vec<Scope>> {
        let rows = self
            .client()
            .query(
                "SELECT DISTINCT tenant_id, project_id FROM chainwarden.runs
                 WHERE $1::text IS NULL OR tenant_id = $1 ORDER BY tenant_id, project_id",
                &[&tenant],
            )
            .map_err(|e| self.error(&e, None))?;
        Ok(rows.iter().map(scope_of).collect())
    }

    fn count_runs(&self, scope: &Scope) -> Result<usize> {
        let row = self
            .client()
            .query_one(
                "SELECT count(*) FROM chainwarden.runs WHERE tenant_id = $1 AND project_id = $2",
                &[&scope.tenant_id, &scope.project_id],
            )
            .map_err(|e| self.error(&e, None))?;
        Ok(row.get::<_, i64>(0) as usize)
    }

    fn copy_run(&mut self, run: &StoredRun) -> Result<bool> {
        self.retrying(&run.scope.tenant_id, |c| copy_once(c, run))?
            .ok_or_else(|| {
                Error::evidence(format!(
                    "{}: run {} of {}/{} is already stored with other content",
                    self.target, run.run_id, run.scope.tenant_id, run.scope.project_id
                ))
            })
    }

    fn latest_inventories(&self) -> Result<Vec<LatestInventory>> {
        deliveries::latest_inventories(&mut self.client()).map_err(|e| self.error(&e, None))
    }

    fn record_deliveries(
        &mut self,
        scope: &Scope,
        run_id: &str,
        rows: &[DeliveryRecord],
    ) -> Result<()> {
        self.retrying(&scope.tenant_id, |c| {
            deliveries::record(c, scope, run_id, rows)
        })?
        .ok_or_else(|| {
            Error::evidence(format!(
                "run {run_id} of {}/{} is not stored (or not chained): its deliveries cannot be recorded",
                scope.tenant_id, scope.project_id
            ))
        })
    }

    fn deliveries(&self, scope: &Scope) -> Result<Vec<DeliveryRow>> {
        deliveries::list(&mut self.client(), scope).map_err(|e| self.error(&e, None))
    }

    fn has_inventory(&mut self, tenant: &str, sha256: &str) -> Result<bool> {
        let found = self
            .client()
            .query_opt(
                "SELECT 1 FROM chainwarden.inventories WHERE tenant_id = $1 AND sha256 = $2",
                &[&tenant, &sha256],
            )
            .map(|r| r.is_some())
            .map_err(|e| self.error(&e, None))?;
        if found {
            self.inventories
                .insert((tenant.to_string(), sha256.to_string()));
        }
        Ok(found)
    }

    fn is_local(&self) -> bool {
        false
    }

    fn inventory_text(&mut self, tenant: &str, sha256: &str) -> Result<Option<String>> {
        self.client()
            .query_opt(
                "SELECT packages FROM chainwarden.inventories WHERE tenant_id = $1 AND sha256 = $2",
                &[&tenant, &sha256],
            )
            .map(|r| r.map(|r| r.get(0)))
            .map_err(|e| self.error(&e, None))
    }

    fn has_run_in(&self, scope: &Scope, run_id: &str) -> Result<bool> {
        self.client()
            .query_opt(
                "SELECT 1 FROM chainwarden.runs
                 WHERE tenant_id = $1 AND project_id = $2 AND run_id = $3",
                &[&scope.tenant_id, &scope.project_id, &run_id],
            )
            .map(|r| r.is_some())
            .map_err(|e| self.error(&e, None))
    }

    fn has_delivery(&self, scope: &Scope, run_id: &str, d: &DeliveryRecord) -> Result<bool> {
        self.client()
            .query_opt(
                "SELECT 1 FROM chainwarden.deliveries WHERE tenant_id = $1 AND project_id = $2
                 AND run_id = $3 AND sink = $4 AND finding_id = $5 AND time = $6 AND outcome = $7",
                &[
                    &scope.tenant_id,
                    &scope.project_id,
                    &run_id,
                    &d.sink,
                    &d.finding_id,
                    &d.time,
                    &d.outcome.to_string(),
                ],
            )
            .map(|r| r.is_some())
            .map_err(|e| self.error(&e, None))
    }
}
