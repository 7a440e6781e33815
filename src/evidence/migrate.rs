//! `evidence migrate`: copies every run of a store into another (a SQLite file into the
//! organisation's PostgreSQL database, or back), each exactly as stored (chain position,
//! previous hash, record hash, origin), so the chain is the same chain, not a re-recording.
//!
//! Invariants: only a chain that verifies is copied (a broken one is refused before anything
//! is written); a run already in the target with the same record hash is skipped, so running
//! it again changes nothing; afterwards the target's chain of every scope must begin with the
//! source's runs, count by count and hash by hash, and verify on its own.

use super::chain::verify_scope;
use super::record::Scope;
use super::{broken_error, Store};
use crate::error::{Error, Result};

/// What happened to one scope.
#[derive(Debug, Clone)]
pub struct ScopeCopy {
    pub scope: Scope,
    /// Runs in the source.
    pub source: usize,
    /// Runs written now, and runs the target already held.
    pub copied: usize,
    pub already: usize,
    /// Runs in the target afterwards (more than the source when runners record there too).
    pub target: usize,
    /// The target's chain head after the copy.
    pub head: Option<(i64, String)>,
}

/// Copies `scopes` from `source` into `target` and checks the result.
pub fn migrate(source: &Store, target: &mut Store, scopes: &[Scope]) -> Result<Vec<ScopeCopy>> {
    for scope in scopes {
        let check = verify_scope(source, scope)?;
        if !check.intact() {
            return Err(broken_error(&check));
        }
    }
    let mut done = Vec::with_capacity(scopes.len());
    for scope in scopes {
        let runs = source.chain(scope)?;
        let (mut copied, mut already) = (0, 0);
        for run in &runs {
            if target.copy_run(run)? {
                copied += 1;
            } else {
                already += 1;
            }
        }
        let name = format!("{}/{}", scope.tenant_id, scope.project_id);
        let stored = target.chain(scope)?;
        if stored.len() < runs.len() {
            return Err(Error::evidence(format!(
                "migrate: {name}: the target holds {} run(s), the source {}",
                stored.len(),
                runs.len()
            )));
        }
        for (a, b) in runs.iter().zip(&stored) {
            if (&a.run_id, a.seq, &a.record_hash) != (&b.run_id, b.seq, &b.record_hash) {
                return Err(Error::evidence(format!(
                    "migrate: {name}: run #{} is {} with hash {} in the source but {} with hash {} in the target",
                    a.seq.map_or("-".into(), |s| s.to_string()),
                    a.run_id,
                    a.record_hash.as_deref().unwrap_or("-"),
                    b.run_id,
                    b.record_hash.as_deref().unwrap_or("-")
                )));
            }
        }
        let check = verify_scope(target, scope)?;
        if !check.intact() {
            return Err(broken_error(&check));
        }
        done.push(ScopeCopy {
            scope: scope.clone(),
            source: runs.len(),
            copied,
            already,
            target: stored.len(),
            head: check.head,
        });
    }
    Ok(done)
}
