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
use super::outcome::DeliveryOutcome;
use super::policy::sha256_hex;
use super::record::Scope;
use super::store::{scope_of, SqliteStore};
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

/// One delivery of one notification, as a command reports it (cleaned by [`Self::new`]). Its
/// outcome is typed; a row read from a store holds the stored text until it is verified
/// ([`DeliveryRow`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryRecord<O = DeliveryOutcome> {
    pub sink: String,
    /// The finding id (see `notify::finding_id`), or `*` for a whole-batch failure.
    pub finding_id: String,
    pub advisory_id: Option<String>,
    pub time: String,
    /// Stored and hashed as its text (`created`, `sent (fixed)`, `failed: why`, ...).
    pub outcome: O,
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
        outcome: &DeliveryOutcome,
        external_id: Option<&str>,
        attempts: u32,
    ) -> DeliveryRecord {
        let clean = |t: &str| redact(t).into_owned();
        DeliveryRecord {
            sink: clean(sink),
            finding_id: clean(finding_id),
            advisory_id: advisory_id.map(clean),
            time: clean(time),
            outcome: match outcome {
                DeliveryOutcome::Failed(why) => DeliveryOutcome::Failed(clean(why)),
                told => told.clone(),
            },
            external_id: external_id.map(clean),
            attempts,
        }
    }
}

/// A stored delivery with its chain fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredDelivery<O = DeliveryOutcome> {
    pub scope: Scope,
    pub seq: i64,
    pub run_id: String,
    pub run_record_hash: String,
    #[serde(flatten)]
    pub delivery: DeliveryRecord<O>,
    pub prev_hash: Option<String>,
    pub record_hash: String,
}

/// A delivery as a backend reads it: its outcome the stored text, parsed by
/// [`verify_deliveries`] (a text chainwarden does not write is a break, not a delivery).
pub type DeliveryRow = StoredDelivery<String>;

/// What a delivery's record hash covers (canonical JSON, this field order).
#[derive(Serialize)]
struct DeliveryHeader<'a, O> {
    format: &'a str,
    tenant_id: &'a str,
    project_id: &'a str,
    seq: i64,
    run_id: &'a str,
    run_record_hash: &'a str,
    delivery: &'a DeliveryRecord<O>,
    prev_hash: Option<&'a str>,
}

/// The deliveries of run `run_id` (whose record hash is `run_record_hash`) as the next links
/// of `scope`'s delivery chain after `head` (its last seq and record hash): the one place the
/// chain is extended, whatever the backend.
pub(super) fn chained(
    scope: &Scope,
    run_id: &str,
    run_record_hash: &str,
    head: Option<(i64, String)>,
    deliveries: &[DeliveryRecord],
) -> Vec<StoredDelivery> {
    let (mut seq, mut prev) = head.map_or((0, None), |(s, h)| (s, Some(h)));
    deliveries
        .iter()
        .map(|d| {
            seq += 1;
            let mut row = StoredDelivery {
                scope: scope.clone(),
                seq,
                run_id: run_id.to_string(),
                run_record_hash: run_record_hash.to_string(),
                delivery: d.clone(),
                prev_hash: prev.take(),
                record_hash: String::new(),
            };
            row.record_hash = row.hash();
            prev = Some(row.record_hash.clone());
            row
        })
        .collect()
}

impl<O: Serialize> StoredDelivery<O> {
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

fn stored_delivery(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeliveryRow> {
    Ok(StoredDelivery {
        scope: scope_of(r)?,
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
                    scope: scope_of(r)?,
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
        for row in chained(scope, run_id, &run_record_hash, head, deliveries) {
            let d = &row.delivery;
            tx.execute(
                &format!(
                    "INSERT INTO deliveries ({DELIVERY_COLUMNS})
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
                ),
                params![
                    t,
                    p,
                    row.seq,
                    row.run_id,
                    row.run_record_hash,
                    d.sink,
                    d.finding_id,
                    d.advisory_id,
                    d.time,
                    d.outcome.to_string(),
                    d.external_id,
                    d.attempts,
                    row.prev_hash,
                    row.record_hash
                ],
            )
            .map_err(db_err)?;
        }
        tx.commit().map_err(db_err)
    }

    /// Every delivery of a scope, in chain order (unverified: see [`verify_deliveries`]).
    pub fn deliveries(&self, scope: &Scope) -> Result<Vec<DeliveryRow>> {
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
        let checked = if d.seq != expected {
            Err(format!(
                "deliveries {expected} to {} are missing",
                d.seq - 1
            ))
        } else if d.prev_hash != prev {
            Err("its link to the previous delivery is broken".to_string())
        } else if d.hash() != d.record_hash {
            Err("its record hash does not match its content (edited in the store?)".to_string())
        } else if !anchored {
            Err(format!(
                "its run {} is not a verified run of the scope",
                d.run_id
            ))
        } else {
            DeliveryOutcome::parse(&d.delivery.outcome).ok_or_else(|| {
                format!(
                    "its outcome {:?} is not one chainwarden records",
                    crate::text::prefix(&d.delivery.outcome, 40)
                )
            })
        };
        prev = Some(d.record_hash.clone());
        match checked {
            Ok(outcome) => check.deliveries.push(d.with_outcome(outcome)),
            Err(p) => check.breaks.push(format!("delivery #{}: {p}", d.seq)),
        }
    }
    Ok(check)
}

impl DeliveryRow {
    /// The same delivery with its outcome parsed.
    fn with_outcome(self, outcome: DeliveryOutcome) -> StoredDelivery {
        let d = self.delivery;
        StoredDelivery {
            scope: self.scope,
            seq: self.seq,
            run_id: self.run_id,
            run_record_hash: self.run_record_hash,
            delivery: DeliveryRecord {
                sink: d.sink,
                finding_id: d.finding_id,
                advisory_id: d.advisory_id,
                time: d.time,
                outcome,
                external_id: d.external_id,
                attempts: d.attempts,
            },
            prev_hash: self.prev_hash,
            record_hash: self.record_hash,
        }
    }
}

/// A delivery as one export line's `delivery` member (`{"delivery": ...}`, signed like runs).
/// It names its run; an import re-chains it in the importing store, anchored to that run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportDelivery {
    pub format: u32,
    pub tenant_id: String,
    pub project_id: String,
    pub run_id: String,
    pub sink: String,
    pub finding_id: String,
    pub advisory_id: Option<String>,
    pub time: String,
    pub outcome: String,
    pub external_id: Option<String>,
    pub attempts: u32,
}

pub const DELIVERY_EXPORT_FORMAT: u32 = 1;

impl ExportDelivery {
    pub fn from_stored(d: &StoredDelivery) -> ExportDelivery {
        let x = &d.delivery;
        ExportDelivery {
            format: DELIVERY_EXPORT_FORMAT,
            tenant_id: d.scope.tenant_id.clone(),
            project_id: d.scope.project_id.clone(),
            run_id: d.run_id.clone(),
            sink: x.sink.clone(),
            finding_id: x.finding_id.clone(),
            advisory_id: x.advisory_id.clone(),
            time: x.time.clone(),
            outcome: x.outcome.to_string(),
            external_id: x.external_id.clone(),
            attempts: x.attempts,
        }
    }

    /// The scope and the record (redacted again: an export is untrusted input).
    pub fn to_record(&self) -> std::result::Result<(Scope, DeliveryRecord), String> {
        if self.format != DELIVERY_EXPORT_FORMAT {
            return Err(format!(
                "delivery format {} is not supported (expected {DELIVERY_EXPORT_FORMAT})",
                self.format
            ));
        }
        let scope = Scope::checked(&self.tenant_id, &self.project_id)?;
        let hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        if self.run_id.len() != 32 || !self.run_id.bytes().all(hex) {
            return Err(format!(
                "run_id {:?} is not 32 lower-case hex digits",
                self.run_id.chars().take(40).collect::<String>()
            ));
        }
        crate::clock::parse_rfc3339(&self.time).map_err(|e| format!("delivery time: {e}"))?;
        let outcome = DeliveryOutcome::parse(&self.outcome).ok_or_else(|| {
            format!(
                "outcome {:?} is not a delivery outcome (created, commented, closed, reopened, unchanged, sent, sent (fixed), failed: ...)",
                crate::text::prefix(&self.outcome, 40)
            )
        })?;
        let record = DeliveryRecord::new(
            &self.sink,
            &self.finding_id,
            self.advisory_id.as_deref(),
            &self.time,
            &outcome,
            self.external_id.as_deref(),
            self.attempts,
        );
        Ok((scope, record))
    }
}

/// Export lines of the verified deliveries of `check`'s scope at or after `since`:
/// (time, run id, JSON of the delivery). A scope whose deliveries do not verify is refused.
pub fn export_deliveries(
    store: &Store,
    check: &ChainCheck,
    since: &str,
) -> Result<Vec<(String, String, String)>> {
    let verified = verify_deliveries(store, check)?;
    if let Some(b) = verified.breaks.first() {
        return Err(Error::evidence(format!(
            "deliveries of {}/{} do not verify: {b} (run `chainwarden evidence verify`)",
            check.scope.tenant_id, check.scope.project_id
        )));
    }
    Ok(verified
        .deliveries
        .iter()
        .filter(|d| d.delivery.time.as_str() >= since)
        .map(|d| {
            let text = serde_json::to_string(&ExportDelivery::from_stored(d)).expect("serialises");
            (d.delivery.time.clone(), d.run_id.clone(), text)
        })
        .collect())
}

impl SqliteStore {
    /// Whether run `run_id` is stored in `scope`.
    pub fn has_run_in(&self, scope: &Scope, run_id: &str) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT 1 FROM runs WHERE run_id = ?1 AND tenant_id = ?2 AND project_id = ?3",
                params![run_id, scope.tenant_id, scope.project_id],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
            .map_err(db_err)
    }

    /// Whether this delivery of this run is stored (imports are idempotent).
    pub fn has_delivery(&self, scope: &Scope, run_id: &str, d: &DeliveryRecord) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT 1 FROM deliveries WHERE tenant_id = ?1 AND project_id = ?2 AND run_id = ?3
                 AND sink = ?4 AND finding_id = ?5 AND time = ?6 AND outcome = ?7",
                params![
                    scope.tenant_id,
                    scope.project_id,
                    run_id,
                    d.sink,
                    d.finding_id,
                    d.time,
                    d.outcome.to_string()
                ],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
            .map_err(db_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::record::InventoryText;
    use crate::evidence::{Origin, PolicyInForce, RunKind, RunRecord};
    use crate::policy::Policy;

    fn run(scope: &Scope, kind: RunKind, time: &str, inventory: Option<&str>) -> RunRecord {
        RunRecord {
            run_id: crate::evidence::record::new_run_id(),
            scope: scope.clone(),
            kind,
            command: kind.as_str().into(),
            time: time.into(),
            tool_version: "0".into(),
            git_commit: None,
            lockfile_path: Some("Cargo.lock".into()),
            lockfile_sha256: None,
            db_commit: None,
            db_age_days: None,
            trigger: "manual".into(),
            origin: Origin::Recorded,
            verdict: "pass".into(),
            policy: PolicyInForce::from_policy(&Policy::builtin()),
            payload: "{}".into(),
            inventory: inventory.map(|i| InventoryText::new(i.into())),
        }
    }

    #[test]
    fn latest_inventory_is_the_newest_audit_by_time_per_scope() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("e.db")).unwrap();
        let (web, api) = (Scope::new(None, Some("web")), Scope::new(None, Some("api")));
        let newest = run(&web, RunKind::Audit, "2026-10-05T00:00:00Z", Some("[2]"));
        // Recorded in this order: a backfilled older audit after the newest, a later watch
        // and a later verify, none of which is the latest inventory.
        for r in [
            run(&web, RunKind::Audit, "2026-10-01T00:00:00Z", Some("[1]")),
            newest.clone(),
            run(&web, RunKind::Audit, "2026-10-03T00:00:00Z", Some("[3]")),
            run(&web, RunKind::Watch, "2026-10-09T00:00:00Z", Some("[2]")),
            run(&web, RunKind::Verify, "2026-10-10T00:00:00Z", None),
            run(&api, RunKind::Audit, "2026-10-02T00:00:00Z", Some("[4]")),
        ] {
            store.record(&r).unwrap();
        }
        let latest = store.latest_inventories().unwrap();
        assert_eq!(latest.len(), 2);
        assert_eq!(latest[0].scope, api);
        assert_eq!(latest[1].scope, web);
        assert_eq!(latest[1].run_id, newest.run_id);
        assert_eq!(latest[1].seq, 2);
        assert_eq!(latest[1].inventory_sha256, sha256_hex(b"[2]"));
    }

    #[test]
    fn deliveries_chain_per_scope_are_redacted_and_need_a_run_of_the_scope() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("e.db")).unwrap();
        let (web, api) = (Scope::new(None, Some("web")), Scope::new(None, Some("api")));
        let r = run(&web, RunKind::Audit, "2026-10-01T00:00:00Z", Some("[]"));
        store.record(&r).unwrap();
        let token = format!("ghp_{}{}", "TESTtoken0123456789", "abcdefghijklmnopqr");
        let d = |outcome: DeliveryOutcome| {
            DeliveryRecord::new(
                "github:acme/web",
                "-/web:vulnerability:RUSTSEC-2021-0003:smallvec@1.6.0",
                Some("RUSTSEC-2021-0003"),
                "2026-10-01T00:00:00Z",
                &outcome,
                Some("#1"),
                1,
            )
        };
        store
            .record_deliveries(
                &web,
                &r.run_id,
                &[
                    d(DeliveryOutcome::Created),
                    d(DeliveryOutcome::Failed(token.clone())),
                ],
            )
            .unwrap();
        // The run is not one of api's: refused, nothing stored.
        let e = store
            .record_deliveries(&api, &r.run_id, &[d(DeliveryOutcome::Created)])
            .unwrap_err();
        assert!(e.to_string().contains("is not stored"), "{e}");
        assert!(store.deliveries(&api).unwrap().is_empty());
        let stored = store.deliveries(&web).unwrap();
        assert_eq!(stored.len(), 2);
        assert!(
            !stored[1].delivery.outcome.contains(&token),
            "redacted before storage"
        );
        assert_eq!(
            stored[1].prev_hash.as_deref(),
            Some(stored[0].record_hash.as_str())
        );
        // The run's payload is no audit report, so the run does not verify: its deliveries are
        // not anchored (the verified path is tested end to end in tests/integration/watch.rs).
        let check = crate::evidence::verify_scope(&store, &web).unwrap();
        let unanchored = verify_deliveries(&store, &check).unwrap();
        assert!(unanchored.deliveries.is_empty());
        assert_eq!(
            unanchored.breaks[0],
            format!(
                "delivery #1: its run {} is not a verified run of the scope",
                r.run_id
            )
        );
        rusqlite::Connection::open(dir.path().join("e.db"))
            .unwrap()
            .execute("DELETE FROM deliveries WHERE seq = 1", [])
            .unwrap();
        let broken = verify_deliveries(&store, &check).unwrap();
        assert_eq!(
            broken.breaks,
            ["delivery #2: deliveries 1 to 1 are missing"]
        );
    }

    /// An outcome chainwarden never writes is a break, not a delivery, even when its record
    /// hash was recomputed to match it.
    #[test]
    fn a_stored_outcome_chainwarden_does_not_write_is_a_break() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.db");
        let mut store = Store::open(&path).unwrap();
        let web = Scope::new(None, Some("web"));
        let r = crate::evidence::chain::verifiable_run(&web, "2026-10-01T00:00:00Z");
        store.record(&r).unwrap();
        let delivery = DeliveryRecord::new(
            "webhook:https://hooks.example/x",
            "*",
            None,
            "2026-10-01T00:00:00Z",
            &DeliveryOutcome::Sent,
            Some("204"),
            1,
        );
        store
            .record_deliveries(&web, &r.run_id, &[delivery])
            .unwrap();
        let check = crate::evidence::verify_scope(&store, &web).unwrap();
        let verified = verify_deliveries(&store, &check).unwrap();
        assert_eq!(verified.breaks, Vec::<String>::new());
        assert_eq!(
            verified.deliveries[0].delivery.outcome,
            DeliveryOutcome::Sent
        );

        let mut row = store.deliveries(&web).unwrap().remove(0);
        row.delivery.outcome = "posted".into();
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute(
            "UPDATE deliveries SET outcome = ?1, record_hash = ?2",
            params![row.delivery.outcome, row.hash()],
        )
        .unwrap();
        let edited = verify_deliveries(&store, &check).unwrap();
        assert!(edited.deliveries.is_empty());
        assert_eq!(
            edited.breaks,
            ["delivery #1: its outcome \"posted\" is not one chainwarden records"]
        );
    }
}
