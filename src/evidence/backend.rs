//! One storage interface, two backends: the embedded SQLite file (the default) and a
//! PostgreSQL database shared by an organisation's runners, with tenant isolation enforced by
//! the database (see `sql/postgres/`).
//!
//! Both keep the same model (runs hash-chained per scope, each distinct policy and inventory
//! stored once) and answer the same queries; everything above this module (chain check,
//! export, import, report) sees a [`Store`] and never which backend it is.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::pg::{PgStore, PgTarget};
use super::record::{HeldInventories, RunRecord, Scope};
use super::store::{SqliteStore, StoredRun};
use super::subscription::{DeliveryRecord, DeliveryRow, LatestInventory};
use crate::error::Result;

/// What a backend stores and answers.
pub trait Backend: Send {
    /// Appends runs of one scope to its chain, in order, in one transaction; a run already
    /// stored (same id) is left as is. Returns how many were new.
    fn record_batch(&mut self, runs: &[&RunRecord]) -> Result<usize>;
    /// Whether `tenant` can read a stored inventory of this digest; if so it is not sent again
    /// by this connection.
    fn has_inventory(&mut self, tenant: &str, sha256: &str) -> Result<bool>;
    /// The text of a stored inventory `tenant` can read.
    fn inventory_text(&mut self, tenant: &str, sha256: &str) -> Result<Option<String>>;
    /// Whether the store is a local file (reads cost no network round trip).
    fn is_local(&self) -> bool;
    /// Every run of a scope in chain order (unchained version-1 runs first, by time).
    fn chain(&self, scope: &Scope) -> Result<Vec<StoredRun>>;
    /// Every scope with runs, sorted; `tenant` restricts to one tenant.
    fn scopes(&self, tenant: Option<&str>) -> Result<Vec<Scope>>;
    /// Number of runs of a scope.
    fn count_runs(&self, scope: &Scope) -> Result<usize>;
    /// Stores a run exactly as another store holds it (same chain position and hashes), for
    /// `evidence migrate`. A run already stored with the same record hash is left as is (and
    /// `false` returned); one stored differently is an error.
    fn copy_run(&mut self, run: &StoredRun) -> Result<bool>;
    /// The latest recorded inventory of every scope (see [`super::subscription`]).
    fn latest_inventories(&self) -> Result<Vec<LatestInventory>>;
    /// Appends the deliveries of a stored run to its scope's delivery chain, in one
    /// transaction.
    fn record_deliveries(
        &mut self,
        scope: &Scope,
        run_id: &str,
        deliveries: &[DeliveryRecord],
    ) -> Result<()>;
    /// Every delivery of a scope, in chain order (unverified).
    fn deliveries(&self, scope: &Scope) -> Result<Vec<DeliveryRow>>;
    /// Whether run `run_id` is stored in `scope`.
    fn has_run_in(&self, scope: &Scope, run_id: &str) -> Result<bool>;
    /// Whether this delivery of this run is stored (imports are idempotent).
    fn has_delivery(&self, scope: &Scope, run_id: &str, d: &DeliveryRecord) -> Result<bool>;
}

/// Where the evidence lives: a SQLite file or a PostgreSQL database.
#[derive(Debug, Clone)]
pub enum Location {
    Sqlite(PathBuf),
    Postgres(Box<PgTarget>),
}

impl Location {
    /// A store named on the command line, in `CHAINWARDEN_EVIDENCE` or in the policy:
    /// `postgres://` and `postgresql://` URLs name a database, anything else a file.
    pub fn parse(text: &OsStr) -> Result<Location> {
        match text.to_str().filter(|t| super::pg::is_url(t)) {
            Some(url) => Ok(Location::Postgres(Box::new(PgTarget::parse(url)?))),
            None => Ok(Location::Sqlite(PathBuf::from(text))),
        }
    }

    /// Whether there is a store to read (a database is asked when opened).
    pub fn exists(&self) -> bool {
        match self {
            Location::Sqlite(p) => p.is_file(),
            Location::Postgres(_) => true,
        }
    }

    /// The SQLite file, if that is the backend.
    pub fn as_path(&self) -> Option<&Path> {
        match self {
            Location::Sqlite(p) => Some(p),
            Location::Postgres(_) => None,
        }
    }
}

/// Shown in messages: the path, or the URL rebuilt without any secret.
impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(p) => write!(f, "{}", p.display()),
            Location::Postgres(t) => write!(f, "{t}"),
        }
    }
}

/// Runs appended in one transaction by [`Store::record_all`]: enough that commits no longer
/// count, few enough that a writer of the same scope waits at most a few seconds.
pub const BATCH: usize = 64;

/// An open evidence store, whichever the backend.
pub struct Store {
    backend: Box<dyn Backend>,
}

impl Store {
    /// Opens the store: a SQLite file is created and migrated; a PostgreSQL database must
    /// have been set up (`chainwarden evidence setup-postgres`) at this version's schema.
    pub fn open_at(location: &Location) -> Result<Store> {
        let backend: Box<dyn Backend> = match location {
            Location::Sqlite(path) => Box::new(SqliteStore::open(path)?),
            Location::Postgres(target) => Box::new(PgStore::open(target)?),
        };
        Ok(Store { backend })
    }

    /// Opens (creating and migrating) the SQLite store at `path`.
    pub fn open(path: &Path) -> Result<Store> {
        Store::open_at(&Location::Sqlite(path.to_path_buf()))
    }

    /// The store as a recorded audit of `scope` asks it about inventories (see
    /// [`RunRecord::from_audit_for_store`]), for the scope's tenant.
    pub fn inventories_of<'a>(&'a mut self, scope: &'a Scope) -> impl HeldInventories + 'a {
        struct Of<'a>(&'a mut Store, &'a Scope);
        impl HeldInventories for Of<'_> {
            fn holds(&mut self, sha256: &str) -> Result<bool> {
                self.0.backend.has_inventory(&self.1.tenant_id, sha256)
            }
            fn text(&mut self, sha256: &str) -> Result<Option<String>> {
                self.0.backend.inventory_text(&self.1.tenant_id, sha256)
            }
            fn reads_locally(&self) -> bool {
                self.0.backend.is_local()
            }
        }
        Of(self, scope)
    }

    /// Appends one run to its scope's chain in one transaction; a run already stored (same
    /// id) is left as is. Returns whether it was new.
    pub fn record(&mut self, run: &RunRecord) -> Result<bool> {
        Ok(self.backend.record_batch(&[run])? == 1)
    }

    /// Appends runs (an import's), each scope's in the order given, in transactions of up to
    /// [`BATCH`] runs of one scope: a commit per run made an import of a quarter wait on a
    /// commit 92 times per project. Returns how many were new.
    pub fn record_all(&mut self, runs: &[RunRecord]) -> Result<usize> {
        let mut by_scope: BTreeMap<&Scope, Vec<&RunRecord>> = BTreeMap::new();
        for run in runs {
            by_scope.entry(&run.scope).or_default().push(run);
        }
        let mut new = 0;
        for list in by_scope.values() {
            for batch in list.chunks(BATCH) {
                new += self.backend.record_batch(batch)?;
            }
        }
        Ok(new)
    }

    pub fn chain(&self, scope: &Scope) -> Result<Vec<StoredRun>> {
        self.backend.chain(scope)
    }

    pub fn scopes(&self, tenant: Option<&str>) -> Result<Vec<Scope>> {
        self.backend.scopes(tenant)
    }

    pub fn count_runs(&self, scope: &Scope) -> Result<usize> {
        self.backend.count_runs(scope)
    }

    pub fn copy_run(&mut self, run: &StoredRun) -> Result<bool> {
        self.backend.copy_run(run)
    }

    pub fn latest_inventories(&self) -> Result<Vec<LatestInventory>> {
        self.backend.latest_inventories()
    }

    pub fn record_deliveries(
        &mut self,
        scope: &Scope,
        run_id: &str,
        deliveries: &[DeliveryRecord],
    ) -> Result<()> {
        self.backend.record_deliveries(scope, run_id, deliveries)
    }

    pub fn deliveries(&self, scope: &Scope) -> Result<Vec<DeliveryRow>> {
        self.backend.deliveries(scope)
    }

    pub fn has_run_in(&self, scope: &Scope, run_id: &str) -> Result<bool> {
        self.backend.has_run_in(scope, run_id)
    }

    pub fn has_delivery(&self, scope: &Scope, run_id: &str, d: &DeliveryRecord) -> Result<bool> {
        self.backend.has_delivery(scope, run_id, d)
    }
}
