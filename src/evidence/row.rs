//! A run's columns, borrowed: what every backend inserts (one list per backend, in its
//! INSERT's order) and, its record hash aside, what that hash covers ([`RunRow::header`]).
//! Built from a run about to be appended (`chain::Prepared::row`) or from a run another store
//! holds ([`StoredRun::row`], for `evidence migrate`), so that no backend lists the columns
//! twice and the hash is computed from one list.

use std::borrow::Cow;

use super::chain::{Header, FORMAT};
use super::record::Scope;
use super::store::StoredRun;

pub struct RunRow<'a> {
    pub scope: &'a Scope,
    /// `None`: a version-1 run, stored before the chain existed.
    pub seq: Option<i64>,
    pub run_id: &'a str,
    pub kind: &'a str,
    pub command: &'a str,
    pub time: &'a str,
    pub tool_version: &'a str,
    pub git_commit: Option<&'a str>,
    pub lockfile_path: Option<&'a str>,
    pub lockfile_sha256: Option<&'a str>,
    pub trigger: &'a str,
    pub origin: Cow<'a, str>,
    pub verdict: &'a str,
    pub policy_sha256: Option<&'a str>,
    pub inventory_sha256: Option<&'a str>,
    pub payload: &'a str,
    pub prev_hash: Option<&'a str>,
    pub record_hash: Option<&'a str>,
    /// Stored beside the run, not covered by its hash (the payload holds the same facts).
    pub db_commit: Option<&'a str>,
    pub db_age_days: Option<i64>,
}

impl RunRow<'_> {
    /// What the record hash of this run at chain position `seq` covers.
    pub fn header<'b>(&'b self, seq: i64, payload_sha256: &'b str) -> Header<'b> {
        Header {
            format: FORMAT,
            tenant_id: &self.scope.tenant_id,
            project_id: &self.scope.project_id,
            seq,
            run_id: self.run_id,
            kind: self.kind,
            command: self.command,
            time: self.time,
            tool_version: self.tool_version,
            git_commit: self.git_commit,
            lockfile_path: self.lockfile_path,
            lockfile_sha256: self.lockfile_sha256,
            trigger: self.trigger,
            origin: &self.origin,
            verdict: self.verdict,
            policy_sha256: self.policy_sha256,
            inventory_sha256: self.inventory_sha256,
            payload_sha256,
            prev_hash: self.prev_hash,
        }
    }
}

impl StoredRun {
    /// The run's columns as this store holds them.
    pub fn row(&self) -> RunRow<'_> {
        RunRow {
            scope: &self.scope,
            seq: self.seq,
            run_id: &self.run_id,
            kind: &self.kind,
            command: &self.command,
            time: &self.time,
            tool_version: &self.tool_version,
            git_commit: self.git_commit.as_deref(),
            lockfile_path: self.lockfile_path.as_deref(),
            lockfile_sha256: self.lockfile_sha256.as_deref(),
            trigger: &self.trigger,
            origin: Cow::Borrowed(&self.origin),
            verdict: &self.verdict,
            policy_sha256: self.policy_sha256.as_deref(),
            inventory_sha256: self.inventory_sha256.as_deref(),
            payload: &self.payload,
            prev_hash: self.prev_hash.as_deref(),
            record_hash: self.record_hash.as_deref(),
            db_commit: self.db_commit.as_deref(),
            db_age_days: self.db_age_days,
        }
    }
}
