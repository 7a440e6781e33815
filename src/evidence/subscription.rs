//! What the advisory subscription adds to the store: the latest recorded inventory of every
//! scope (what `chainwarden watch` audits again), and the deliveries of notifications.
//!
//! Deliveries form a hash chain per scope of their own (`seq`, `prev_hash`, `record_hash`),
//! each link also covering the record hash of the run that sent it (`run_record_hash`). They
//! are not links of the run chain because a run's record hash is fixed when it is stored,
//! before its notifications are sent; anchoring each delivery to that hash binds it to the run
//! just as firmly, and leaves the run chain's format unchanged. Every text is redacted before
//! it is stored. SQL is plain standard SQL (no SQLite extensions), for other backends.

use rusqlite::{params, OptionalExtension, TransactionBehavior};
use serde::Serialize;

use super::chain::ChainCheck;
use super::policy::sha256_hex;
use super::record::Scope;
use super::store::SqliteStore;
use super::Store;
use crate::error::{Error, Result};
use crate::redact::redact;

pub const DELIVERY_FORMAT: &str = "chainwarden-delivery-v1";

/// The run of a scope holding its latest recorded inventory (the newest audit by time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatestInventory {
    pub scope: Scope,
    pub run_id: String,
    pub seq: i64,
    pub time: String,
    pub lockfile_path: Option<String>,
    pub inventory_sha256: String,
}

/// One delivery of one notification, as a command reports it (cleaned by [`Self::new`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryRecord {
    pub sink: String,
    /// The finding id (see `notify::finding_id`), or `*` for a whole-batch failure.
    pub finding_id: String,
    pub advisory_id: Option<String>,
    pub time: String,
    /// `created`, `commented`, `closed`, `reopened`, `unchanged`, `sent`, or `failed: why`.
    pub outcome: String,
    /// Issue number (`#12`) or the webhook's HTTP status.
    pub external_id: Option<String>,
    /// HTTP attempts made for it (retries included).
    pub attempts: u32,
}

impl DeliveryRecord {
    /// Every text through the redaction layer: an error message may quote a URL.
    pub fn new(
        sink: &str,
        finding_id: &str,
        advisory_id: Option<&str>,
        time: &str,
        outcome: &str,
        external_id: Option<&str>,
        attempts: u32,
    ) -> DeliveryRecord {
        let clean = |t: &str| redact(t).into_owned();
        DeliveryRecord {
            sink: clean(sink),
            finding_id: clean(finding_id),
            advisory_id: advisory_id.map(clean),
            time: clean(time),
            outcome: clean(outcome),
            external_id: external_id.map(clean),
            attempts,
        }
    }

    pub fn failed(&self) -> bool {
        self.outcome.starts_with("failed")
    }
}

/// A stored delivery with its chain fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredDelivery {
    pub scope: Scope,
    pub seq: i64,
    pub run_id: String,
    pub run_record_hash: String,
    #[serde(flatten)]
    pub delivery: DeliveryRecord,
    pub prev_hash: Option<String>,
    pub record_hash: String,
}

/// What a delivery's record hash covers (canonical JSON, this field order).
#[derive(Serialize)]
struct DeliveryHeader<'a> {
    format: &'a str,
    tenant_id: &'a str,
    project_id: &'a str,
    seq: i64,
    run_id: &'a str,
    run_record_hash: &'a str,
    delivery: &'a DeliveryRecord,
    prev_hash: Option<&'a str>,
}

impl StoredDelivery {
    /// The record hash this delivery's content and links give (every backend stores it).
    pub(super) fn hash(&self) -> String {
        let header = DeliveryHeader {
            format: DELIVERY_FORMAT,
            tenant_id: &self.scope.tenant_id,
            project_id: &self.scope.project_id,
            seq: self.seq,
            run_id: &self.run_id,
            run_record_hash: &self.run_record_hash,
            delivery: &self.delivery,
            prev_hash: self.prev_hash.as_deref(),
        };
        sha256_hex(&serde_json::to_vec(&header).expect("delivery serialises"))
    }
}

fn db_err(e: rusqlite::Error) -> Error {
    Error::evidence(e.to_string()).caused_by(e)
}

const DELIVERY_COLUMNS: &str =
    "tenant_id, project_id, seq, run_id, run_record_hash, sink, finding_id,
    advisory_id, time, outcome, external_id, attempts, prev_hash, record_hash";

fn stored_delivery(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredDelivery> {
    Ok(StoredDelivery {
        scope: Scope {
            tenant_id: r.get(0)?,
            project_id: r.get(1)?,
        },
        seq: r.get(2)?,
        run_id: r.get(3)?,
        run_record_hash: r.get(4)?,
        delivery: DeliveryRecord {
            sink: r.get(5)?,
            finding_id: r.get(6)?,
            advisory_id: r.get(7)?,
            time: r.get(8)?,
            outcome: r.get(9)?,
            external_id: r.get(10)?,
            attempts: r.get(11)?,
        },
        prev_hash: r.get(12)?,
        record_hash: r.get(13)?,
    })
}

impl SqliteStore {
    /// The latest recorded inventory of every scope: per scope, the chained audit run with an
    /// inventory that no other such run of the scope follows (by time, then chain position).
    pub fn latest_inventories(&self) -> Result<Vec<LatestInventory>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT r.tenant_id, r.project_id, r.run_id, r.seq, r.time, r.lockfile_path, r.inventory_sha256
                 FROM runs r
                 WHERE r.kind = 'audit' AND r.inventory_sha256 IS NOT NULL AND r.seq IS NOT NULL
                   AND NOT EXISTS (
                     SELECT 1 FROM runs l
                     WHERE l.tenant_id = r.tenant_id AND l.project_id = r.project_id
                       AND l.kind = 'audit' AND l.inventory_sha256 IS NOT NULL AND l.seq IS NOT NULL
                       AND (l.time > r.time OR (l.time = r.time AND l.seq > r.seq)))
                 ORDER BY r.tenant_id, r.project_id",
            )
            .map_err(db_err)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(LatestInventory {
                    scope: Scope {
                        tenant_id: r.get(0)?,
                        project_id: r.get(1)?,
                    },
                    run_id: r.get(2)?,
                    seq: r.get(3)?,
                    time: r.get(4)?,
                    lockfile_path: r.get(5)?,
                    inventory_sha256: r.get(6)?,
                })
            })
            .map_err(db_err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
    }

    /// Appends the deliveries of run `run_id` (of `scope`) to the scope's delivery chain, in
    /// one transaction. The run must be stored in that scope.
    pub fn record_deliveries(
        &mut self,
        scope: &Scope,
        run_id: &str,
        deliveries: &[DeliveryRecord],
    ) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_err)?;
        let (t, p) = (&scope.tenant_id, &scope.project_id);
        let run_hash: Option<String> = tx
            .query_row(
                "SELECT record_hash FROM runs WHERE run_id = ?1 AND tenant_id = ?2 AND project_id = ?3",
                params![run_id, t, p],
                |r| r.get(0),
            )
            .optional()
            .map_err(db_err)?
            .flatten();
        let run_record_hash = run_hash.ok_or_else(|| {
            Error::evidence(format!(
                "run {run_id} of {t}/{p} is not stored (or not chained): its deliveries cannot be recorded"
            ))
        })?;
        let head: Option<(i64, String)> = tx
            .query_row(
                "SELECT seq, record_hash FROM deliveries WHERE tenant_id = ?1 AND project_id = ?2
                 ORDER BY seq DESC LIMIT 1",
                params![t, p],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(db_err)?;
        let (mut seq, mut prev) = head.map_or((0, None), |(s, h)| (s, Some(h)));
        for d in deliveries {
            seq += 1;
            let mut row = StoredDelivery {
                scope: scope.clone(),
                seq,
                run_id: run_id.to_string(),
                run_record_hash: run_record_hash.clone(),
                delivery: d.clone(),
                prev_hash: prev.clone(),
                record_hash: String::new(),
            };
            row.record_hash = row.hash();
            tx.execute(
                &format!(
                    "INSERT INTO deliveries ({DELIVERY_COLUMNS})
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
                ),
                params![
                    t,
                    p,
                    seq,
                    row.run_id,
                    row.run_record_hash,
                    d.sink,
                    d.finding_id,
                    d.advisory_id,
                    d.time,
                    d.outcome,
                    d.external_id,
                    d.attempts,
                    row.prev_hash,
                    row.record_hash
                ],
            )
            .map_err(db_err)?;
            prev = Some(row.record_hash);
        }
        tx.commit().map_err(db_err)
    }

    /// Every delivery of a scope, in chain order (unverified: see [`verify_deliveries`]).
    pub fn deliveries(&self, scope: &Scope) -> Result<Vec<StoredDelivery>> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE tenant_id = ?1 AND project_id = ?2
                 ORDER BY seq"
            ))
            .map_err(db_err)?;
        let rows = stmt
            .query_map(params![scope.tenant_id, scope.project_id], stored_delivery)
            .map_err(db_err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_err)
    }
}

/// A scope's deliveries, checked against their chain and the verified runs.
#[derive(Debug, Clone, Default)]
pub struct DeliveryCheck {
    pub deliveries: Vec<StoredDelivery>,
    /// Problems, in chain order: `#SEQ: what`.
    pub breaks: Vec<String>,
}

/// Checks every delivery of `runs.scope`: its record hash, its link to the previous one and
/// its anchor to a verified run of the scope. Only the deliveries that pass are returned.
pub fn verify_deliveries(store: &Store, runs: &ChainCheck) -> Result<DeliveryCheck> {
    let mut check = DeliveryCheck::default();
    let mut prev: Option<String> = None;
    for (i, d) in store.deliveries(&runs.scope)?.into_iter().enumerate() {
        let expected = i as i64 + 1;
        let anchored = runs
            .runs
            .iter()
            .any(|r| r.run_id == d.run_id && r.record_hash == d.run_record_hash);
        let problem = if d.seq != expected {
            Some(format!(
                "deliveries {expected} to {} are missing",
                d.seq - 1
            ))
        } else if d.prev_hash != prev {
            Some("its link to the previous delivery is broken".to_string())
        } else if d.hash() != d.record_hash {
            Some("its record hash does not match its content (edited in the store?)".to_string())
        } else if !anchored {
            Some(format!(
                "its run {} is not a verified run of the scope",
                d.run_id
            ))
        } else {
            None
        };
        prev = Some(d.record_hash.clone());
        match problem {
            Some(p) => check.breaks.push(format!("delivery #{}: {p}", d.seq)),
            None => check.deliveries.push(d),
        }
    }
    Ok(check)
}
