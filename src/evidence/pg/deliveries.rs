//! The subscription's queries on PostgreSQL: the latest inventory of every scope, and the
//! notification deliveries' chain (the same rows and hashes as the SQLite store's, see
//! [`crate::evidence::subscription`]), appended under the scope's lock like runs.

use postgres::types::ToSql;
use postgres::{Client, Row};

use super::{lock_scope, scope_of};
use crate::evidence::record::Scope;
use crate::evidence::subscription::{
    chained, DeliveryRecord, DeliveryRow, LatestInventory, StoredDelivery,
};

const DELIVERY_COLUMNS: &str = "tenant_id, project_id, seq, run_id, run_record_hash, sink,
    finding_id, advisory_id, time, outcome, external_id, attempts, prev_hash, record_hash";

pub(super) fn latest_inventories(
    client: &mut Client,
) -> Result<Vec<LatestInventory>, postgres::Error> {
    let rows = client.query(
        "SELECT DISTINCT ON (r.tenant_id, r.project_id)
            r.tenant_id, r.project_id, r.run_id, r.seq, r.time, r.lockfile_path, r.inventory_sha256
         FROM chainwarden.runs r
         WHERE r.kind = 'audit' AND r.inventory_sha256 IS NOT NULL AND r.seq IS NOT NULL
         ORDER BY r.tenant_id, r.project_id, r.time DESC, r.seq DESC",
        &[],
    )?;
    Ok(rows
        .iter()
        .map(|r| LatestInventory {
            scope: scope_of(r),
            run_id: r.get(2),
            seq: r.get(3),
            time: r.get(4),
            lockfile_path: r.get(5),
            inventory_sha256: r.get(6),
        })
        .collect())
}

/// Appends; `Ok(None)` when the run is not stored (chained) in the scope.
pub(super) fn record(
    client: &mut Client,
    scope: &Scope,
    run_id: &str,
    deliveries: &[DeliveryRecord],
) -> Result<Option<()>, postgres::Error> {
    let (t, p) = (&scope.tenant_id, &scope.project_id);
    let mut tx = client.transaction()?;
    lock_scope(&mut tx, scope)?;
    let run_hash: Option<String> = tx
        .query_opt(
            "SELECT record_hash FROM chainwarden.runs
             WHERE tenant_id = $1 AND project_id = $2 AND run_id = $3",
            &[t, p, &run_id],
        )?
        .and_then(|r| r.get(0));
    let Some(run_record_hash) = run_hash else {
        return Ok(None);
    };
    let head = tx
        .query_opt(
            "SELECT seq, record_hash FROM chainwarden.deliveries
             WHERE tenant_id = $1 AND project_id = $2 ORDER BY seq DESC LIMIT 1",
            &[t, p],
        )?
        .map(|r| (r.get::<_, i64>(0), r.get::<_, String>(1)));
    let insert = format!(
        "INSERT INTO chainwarden.deliveries ({DELIVERY_COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    );
    for row in chained(scope, run_id, &run_record_hash, head, deliveries) {
        let d = &row.delivery;
        let (outcome, attempts) = (d.outcome.to_string(), i64::from(d.attempts));
        let values: [&(dyn ToSql + Sync); 14] = [
            t,
            p,
            &row.seq,
            &row.run_id,
            &row.run_record_hash,
            &d.sink,
            &d.finding_id,
            &d.advisory_id,
            &d.time,
            &outcome,
            &d.external_id,
            &attempts,
            &row.prev_hash,
            &row.record_hash,
        ];
        tx.execute(&insert, &values)?;
    }
    tx.commit()?;
    Ok(Some(()))
}

fn stored(r: &Row) -> DeliveryRow {
    StoredDelivery {
        scope: scope_of(r),
        seq: r.get(2),
        run_id: r.get(3),
        run_record_hash: r.get(4),
        delivery: DeliveryRecord {
            sink: r.get(5),
            finding_id: r.get(6),
            advisory_id: r.get(7),
            time: r.get(8),
            outcome: r.get(9),
            external_id: r.get(10),
            // Stored from a u32; a larger value was written by hand and fails its hash.
            attempts: u32::try_from(r.get::<_, i64>(11)).unwrap_or(u32::MAX),
        },
        prev_hash: r.get(12),
        record_hash: r.get(13),
    }
}

pub(super) fn list(
    client: &mut Client,
    scope: &Scope,
) -> Result<Vec<DeliveryRow>, postgres::Error> {
    let rows = client.query(
        &format!(
            "SELECT {DELIVERY_COLUMNS} FROM chainwarden.deliveries
             WHERE tenant_id = $1 AND project_id = $2 ORDER BY seq"
        ),
        &[&scope.tenant_id, &scope.project_id],
    )?;
    Ok(rows.iter().map(stored).collect())
}
