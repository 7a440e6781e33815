//! The hash chain over a scope's runs, and the only way to read runs back: [`verify_scope`]
//! recomputes every record hash from the stored payload, policy and inventory, checks each
//! link to the previous run, and returns [`VerifiedRun`]s (which only this module builds)
//! holding the reports parsed from the verified bytes. The report never reads anything else.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;

use super::kind::{Origin, RunKind};
use super::policy::{sha256_hex, PolicyInForce};
use super::record::{ExportRun, RunRecord, Scope, EXPORT_FORMAT};
use super::row::RunRow;
use super::store::StoredRun;
use super::Store;
use crate::audit::model::{AuditReport, Package};
use crate::error::Result;
use crate::verify::model::VerifyReport;

pub const FORMAT: &str = "chainwarden-evidence-record-v2";

/// What a run's record hash covers: its header, the digests of its payload, policy and
/// inventory, and the previous run's record hash (canonical JSON, this field order).
#[derive(Debug, Serialize)]
pub struct Header<'a> {
    pub format: &'a str,
    pub tenant_id: &'a str,
    pub project_id: &'a str,
    pub seq: i64,
    pub run_id: &'a str,
    pub kind: &'a str,
    pub command: &'a str,
    pub time: &'a str,
    pub tool_version: &'a str,
    pub git_commit: Option<&'a str>,
    pub lockfile_path: Option<&'a str>,
    pub lockfile_sha256: Option<&'a str>,
    pub trigger: &'a str,
    pub origin: &'a str,
    pub verdict: &'a str,
    pub policy_sha256: Option<&'a str>,
    pub inventory_sha256: Option<&'a str>,
    pub payload_sha256: &'a str,
    pub prev_hash: Option<&'a str>,
}

impl Header<'_> {
    pub fn hash(&self) -> String {
        sha256_hex(&serde_json::to_vec(self).expect("header serialises"))
    }
}

/// A run about to be appended, with the digests every backend stores beside it.
pub struct Prepared<'a> {
    pub run: &'a RunRecord,
    /// The policy in force, canonical JSON, and its digest.
    pub policy: String,
    pub policy_sha256: String,
    pub inventory_sha256: Option<String>,
    payload_sha256: String,
}

/// A run's place in its chain.
pub struct Link {
    pub seq: i64,
    pub prev_hash: Option<String>,
    pub record_hash: String,
}

impl<'a> Prepared<'a> {
    pub fn new(run: &'a RunRecord) -> Prepared<'a> {
        let policy = run.policy.canonical();
        Prepared {
            run,
            policy_sha256: sha256_hex(policy.as_bytes()),
            policy,
            inventory_sha256: run.inventory.as_ref().map(|i| i.sha256().to_string()),
            payload_sha256: sha256_hex(run.payload.as_bytes()),
        }
    }

    /// The run's link after the scope's head (seq and record hash of the last chained run).
    pub fn link(&self, head: Option<(i64, Option<String>)>) -> Link {
        let seq = head.as_ref().map_or(1, |h| h.0 + 1);
        let prev_hash = head.and_then(|h| h.1);
        let row = self.row_at(seq, prev_hash.as_deref(), None);
        let record_hash = row.header(seq, &self.payload_sha256).hash();
        Link {
            seq,
            record_hash,
            prev_hash,
        }
    }

    /// The run's columns at its place in the chain.
    pub fn row<'b>(&'b self, link: &'b Link) -> RunRow<'b> {
        self.row_at(link.seq, link.prev_hash.as_deref(), Some(&link.record_hash))
    }

    fn row_at<'b>(
        &'b self,
        seq: i64,
        prev_hash: Option<&'b str>,
        record_hash: Option<&'b str>,
    ) -> RunRow<'b> {
        let run = self.run;
        RunRow {
            scope: &run.scope,
            seq: Some(seq),
            run_id: &run.run_id,
            kind: run.kind.as_str(),
            command: &run.command,
            time: &run.time,
            tool_version: &run.tool_version,
            git_commit: run.git_commit.as_deref(),
            lockfile_path: run.lockfile_path.as_deref(),
            lockfile_sha256: run.lockfile_sha256.as_deref(),
            trigger: &run.trigger,
            origin: Cow::Owned(run.origin.to_string()),
            verdict: &run.verdict,
            policy_sha256: Some(&self.policy_sha256),
            inventory_sha256: self.inventory_sha256.as_deref(),
            payload: &run.payload,
            prev_hash,
            record_hash,
            db_commit: run.db_commit.as_deref(),
            db_age_days: run.db_age_days,
        }
    }
}

/// The parsed content of a verified run.
#[derive(Debug, Clone)]
pub enum Content {
    Audit(Box<AuditReport>),
    Verify(Box<VerifyReport>),
}

/// A run whose record hash, payload, policy and inventory were checked.
#[derive(Debug, Clone)]
pub struct VerifiedRun {
    pub scope: Scope,
    pub seq: i64,
    pub run_id: String,
    pub kind: RunKind,
    pub command: String,
    pub time: String,
    pub tool_version: String,
    pub git_commit: Option<String>,
    pub lockfile_path: Option<String>,
    pub trigger: String,
    pub origin: Origin,
    pub record_hash: String,
    pub policy_sha256: String,
    pub policy: PolicyInForce,
    pub content: Content,
    payload: String,
    inventory: Option<Arc<str>>,
}

impl VerifiedRun {
    pub fn audit(&self) -> Option<&AuditReport> {
        match &self.content {
            Content::Audit(a) => Some(a),
            Content::Verify(_) => None,
        }
    }

    pub fn verify(&self) -> Option<&VerifyReport> {
        match &self.content {
            Content::Verify(v) => Some(v),
            Content::Audit(_) => None,
        }
    }

    /// The audit's inventory (parsed on demand: only a few runs need it).
    pub fn inventory(&self) -> Vec<Package> {
        self.inventory
            .as_deref()
            .and_then(|i| serde_json::from_str(i).ok())
            .unwrap_or_default()
    }

    /// The run as an export line's `run`.
    pub fn to_export(&self) -> ExportRun {
        let mut payload: serde_json::Value =
            serde_json::from_str(&self.payload).expect("verified payload is JSON");
        if let (Some(inv), Some(obj)) = (&self.inventory, payload.as_object_mut()) {
            let inv: serde_json::Value =
                serde_json::from_str(inv).expect("verified inventory is JSON");
            obj.insert("inventory".into(), inv);
        }
        let payload_sha256 = sha256_hex(payload.to_string().as_bytes());
        ExportRun {
            format: EXPORT_FORMAT,
            run_id: self.run_id.clone(),
            tenant_id: self.scope.tenant_id.clone(),
            project_id: self.scope.project_id.clone(),
            kind: self.kind.as_str().into(),
            command: self.command.clone(),
            time: self.time.clone(),
            trigger: self.trigger.clone(),
            lockfile_path: self.lockfile_path.clone(),
            git_commit: self.git_commit.clone(),
            policy: self.policy.clone(),
            payload_sha256,
            payload,
        }
    }
}

/// The first problem found in a scope's chain.
#[derive(Debug, Clone, Serialize)]
pub struct Break {
    pub run_id: String,
    pub seq: Option<i64>,
    pub time: String,
    pub problem: String,
}

/// A scope's chain, checked.
#[derive(Debug, Clone)]
pub struct ChainCheck {
    pub scope: Scope,
    /// Runs that passed their own checks, in chain order.
    pub runs: Vec<VerifiedRun>,
    /// Every problem, in chain order (the first names the first bad run).
    pub breaks: Vec<Break>,
    /// (seq, record hash) of the last run.
    pub head: Option<(i64, String)>,
    pub stored: usize,
}

impl ChainCheck {
    pub fn intact(&self) -> bool {
        self.breaks.is_empty()
    }
}

/// The policies and inventories a scope's runs name, each checked against its digest and
/// (policies) parsed once, however many runs share it: a quarter of daily runs shares a few.
#[derive(Default)]
struct Contents {
    policies: HashMap<String, std::result::Result<PolicyInForce, String>>,
    inventories: HashMap<String, bool>,
}

impl Contents {
    fn of(stored: &[StoredRun]) -> Contents {
        let mut c = Contents::default();
        for s in stored {
            if let Some(sha) = &s.policy_sha256 {
                c.policies.entry(sha.clone()).or_insert_with(|| {
                    let text = s.policy.as_deref().ok_or("its policy is missing")?;
                    if sha256_hex(text.as_bytes()) != *sha {
                        return Err("its policy does not match the policy digest".into());
                    }
                    crate::json::read(text).map_err(|e| format!("its policy is not readable: {e}"))
                });
            }
            if let Some(sha) = &s.inventory_sha256 {
                c.inventories.entry(sha.clone()).or_insert_with(|| {
                    s.inventory
                        .as_deref()
                        .is_some_and(|i| sha256_hex(i.as_bytes()) == *sha)
                });
            }
        }
        c
    }
}

/// Checks one stored run on its own; returns it verified, or what is wrong.
fn check_run(
    s: StoredRun,
    seq: i64,
    contents: &Contents,
) -> std::result::Result<VerifiedRun, String> {
    let policy_sha256 = s
        .policy_sha256
        .clone()
        .ok_or("no policy recorded (run stored before the chain existed)")?;
    let policy = contents.policies[&policy_sha256].clone()?;
    if let Some(sha) = &s.inventory_sha256 {
        if !contents.inventories[sha] {
            return Err("its inventory does not match the inventory digest".into());
        }
    }
    let payload_sha256 = sha256_hex(s.payload.as_bytes());
    if Some(s.row().header(seq, &payload_sha256).hash()) != s.record_hash {
        return Err("its record hash does not match its content (edited in the store?)".into());
    }
    // Read straight from the verified bytes (duplicate keys refused, no intermediate tree):
    // this parse is most of the report's cost.
    let kind = RunKind::parse(&s.kind).ok_or_else(|| format!("unknown kind `{}`", s.kind))?;
    let origin =
        Origin::parse(&s.origin).ok_or_else(|| format!("unknown origin `{}`", s.origin))?;
    let content = match kind {
        RunKind::Audit | RunKind::Watch => {
            let a: AuditReport = crate::json::read(&s.payload)
                .map_err(|e| format!("its payload is not an audit report: {e}"))?;
            if a.time != s.time || Some(&a.lockfile.sha256) != s.lockfile_sha256.as_ref() {
                return Err("its header disagrees with its payload".into());
            }
            Content::Audit(Box::new(a))
        }
        RunKind::Verify => {
            let v: VerifyReport = crate::json::read(&s.payload)
                .map_err(|e| format!("its payload is not a verification report: {e}"))?;
            if v.time != s.time {
                return Err("its header disagrees with its payload".into());
            }
            Content::Verify(Box::new(v))
        }
    };
    Ok(VerifiedRun {
        scope: s.scope,
        seq,
        run_id: s.run_id,
        kind,
        command: s.command,
        time: s.time,
        tool_version: s.tool_version,
        git_commit: s.git_commit,
        lockfile_path: s.lockfile_path,
        trigger: s.trigger,
        origin,
        record_hash: s.record_hash.unwrap_or_default(),
        policy_sha256,
        policy,
        content,
        payload: s.payload,
        inventory: s.inventory,
    })
}

/// Reads and checks every run of `scope`: the links in chain order, then each run's own
/// content (digests, record hash, typed payload) on every core, results kept in chain order.
pub fn verify_scope(store: &Store, scope: &Scope) -> Result<ChainCheck> {
    let stored = store.chain(scope)?;
    let count = stored.len();
    let contents = Contents::of(&stored);
    // Each run's link problem (or None), and its seq when it is chained.
    let mut links: Vec<(Option<i64>, Option<String>)> = Vec::with_capacity(count);
    let mut previous: Option<&str> = None;
    let mut expected_seq = 1;
    let mut head = None;
    for s in &stored {
        let Some(seq) = s.seq else {
            links.push((
                None,
                Some("not chained (recorded before the chain existed)".into()),
            ));
            continue;
        };
        links.push((
            Some(seq),
            if seq != expected_seq {
                Some(format!(
                    "runs {expected_seq} to {} of the chain are missing (deleted?)",
                    seq - 1
                ))
            } else if s.prev_hash.as_deref() != previous {
                Some("its link to the previous run is broken (a run was edited or removed)".into())
            } else {
                None
            },
        ));
        previous = s.record_hash.as_deref();
        expected_seq = seq + 1;
        head = Some((seq, s.record_hash.clone().unwrap_or_default()));
    }
    let checked: Vec<(Option<VerifiedRun>, Vec<Break>)> = stored
        .into_par_iter()
        .zip(links)
        .map(|(s, (seq, link))| {
            let (run_id, stored_seq, time) = (s.run_id.clone(), s.seq, s.time.clone());
            let at = |problem: String| Break {
                run_id: run_id.clone(),
                seq: stored_seq,
                time: time.clone(),
                problem,
            };
            let mut breaks: Vec<Break> = link.map(at).into_iter().collect();
            let Some(seq) = seq else {
                return (None, breaks);
            };
            match check_run(s, seq, &contents) {
                Ok(run) => (Some(run), breaks),
                Err(problem) => {
                    breaks.push(at(problem));
                    (None, breaks)
                }
            }
        })
        .collect();
    let mut runs = Vec::with_capacity(count);
    let mut breaks = Vec::new();
    for (run, b) in checked {
        runs.extend(run);
        breaks.extend(b);
    }
    Ok(ChainCheck {
        scope: scope.clone(),
        runs,
        breaks,
        head,
        stored: count,
    })
}

/// A run that verifies (a `verify checksums` of nothing, at `time`), for the store's tests.
#[cfg(test)]
pub(super) fn verifiable_run(scope: &Scope, time: &str) -> RunRecord {
    let report = VerifyReport::new(
        crate::verify::model::VerifyCommand::Checksums,
        time.into(),
        Vec::new(),
        Vec::new(),
    );
    let context = super::record::RunContext {
        trigger: "manual".into(),
        lockfile_path: None,
        git_commit: None,
    };
    let policy = PolicyInForce::from_policy(&crate::policy::Policy::builtin());
    RunRecord::from_verify(scope.clone(), &report, context, policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sets `column` of the scope's last run to `word` and recomputes its record hash, as one
    /// who can write the store and knows the chain's format would.
    fn rehashed(path: &std::path::Path, store: &Store, scope: &Scope, column: &str, word: &str) {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute(&format!("UPDATE runs SET {column} = ?1"), [word])
            .unwrap();
        let s = store.chain(scope).unwrap().pop().unwrap();
        let seq = s.seq.unwrap();
        let payload = sha256_hex(s.payload.as_bytes());
        let hash = s.row().header(seq, &payload).hash();
        conn.execute("UPDATE runs SET record_hash = ?1", [hash])
            .unwrap();
    }

    /// A stored kind or origin chainwarden never writes is no run of chainwarden's, even with
    /// a record hash that matches it.
    #[test]
    fn a_word_chainwarden_does_not_write_does_not_verify_even_rehashed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.db");
        let mut store = Store::open(&path).unwrap();
        let scope = Scope::new(None, Some("web"));
        store
            .record(&verifiable_run(&scope, "2026-10-01T00:00:00Z"))
            .unwrap();
        let check = verify_scope(&store, &scope).unwrap();
        assert!(check.intact(), "{:?}", check.breaks);
        assert_eq!(check.runs[0].kind, RunKind::Verify);
        assert_eq!(check.runs[0].origin, Origin::Recorded);
        for (column, word, problem) in [
            (
                "origin",
                "imported (by hand)",
                "unknown origin `imported (by hand)`",
            ),
            // The origin stays edited: the kind is read first.
            ("kind", "Verify", "unknown kind `Verify`"),
        ] {
            rehashed(&path, &store, &scope, column, word);
            let check = verify_scope(&store, &scope).unwrap();
            assert!(check.runs.is_empty());
            assert_eq!(check.breaks[0].problem, problem);
        }
    }
}
