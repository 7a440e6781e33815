//! `chainwarden evidence export|import|verify|migrate|setup-postgres`, and recording a
//! command's run.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::Subcommand;

use crate::cli::{resolve_scope, GlobalArgs};
use chainwarden::audit::model::AuditReport;
use chainwarden::clock::{format_rfc3339, parse_rfc3339};
use chainwarden::error::{Error, Result};
use chainwarden::evidence::memo::InventoryMemo;
use chainwarden::evidence::record::is_valid_trigger;
use chainwarden::evidence::{
    self, sign, Location, PolicyInForce, RunContext, RunRecord, Scope, Store,
};
use chainwarden::exit::Outcome;
use chainwarden::output::{self, Destination};
use chainwarden::policy::Policy;
use chainwarden::verify::model::VerifyReport;

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Write recorded runs as JSON Lines (every scope, or --tenant/--project's).
    Export {
        /// Only runs at or after this time (RFC 3339 or YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Sign every line with this SSH key (namespace chainwarden-evidence).
        #[arg(long, value_name = "KEY")]
        sign_key: Option<PathBuf>,
        /// Write here (atomically) instead of stdout.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Merge runs from a JSON Lines export; importing twice changes nothing.
    Import {
        /// The JSON Lines file.
        file: PathBuf,
        /// OpenSSH allowed-signers file: every line must be signed by one of these keys.
        #[arg(long, value_name = "FILE", required_unless_present = "allow_unsigned")]
        trusted_signers: Option<PathBuf>,
        /// Accept unsigned lines (recorded as imported unsigned; the report says so).
        #[arg(long, conflicts_with = "trusted_signers")]
        allow_unsigned: bool,
    },
    /// Check every scope's hash chain (exit 1 naming the first bad run of each broken one).
    Verify,
    /// Copy every run into another store (e.g. PostgreSQL) exactly as stored, and check the copy.
    ///
    /// Runs of --evidence (every scope, or --tenant/--project's) are written with their chain
    /// positions and hashes; the target's chain is then compared run by run and verified.
    /// Running it again changes nothing.
    Migrate {
        /// The target store: postgres://USER@HOST/DB (password from PGPASSWORD or a pgpass
        /// file) or a SQLite file.
        #[arg(long, value_name = "URL|PATH")]
        to: OsString,
    },
    /// Create or upgrade a PostgreSQL evidence store and grant roles (as its administrator).
    ///
    /// Applies the schema of sql/postgres/ at --evidence postgres://... (row-level security
    /// keyed on the tenant on every table), then grants each --writer and --reader.
    SetupPostgres {
        /// TENANT=ROLE: ROLE (created when missing, without a password) reads and appends
        /// TENANT's evidence and nothing else. Repeatable.
        #[arg(long, value_name = "TENANT=ROLE")]
        writer: Vec<String>,
        /// ROLE (created when missing) reads every tenant's evidence, for report and watch
        /// jobs. Repeatable.
        #[arg(long, value_name = "ROLE")]
        reader: Vec<String>,
    },
}

/// The store of this command: a SQLite file or a PostgreSQL database.
pub fn store_location(global: &GlobalArgs, policy: &Policy) -> Result<Location> {
    evidence::store_location(
        global.evidence.as_deref().map(Path::as_os_str),
        policy.evidence.path.as_deref(),
    )
}

/// `schedule` when CI says the run was scheduled, the CI event otherwise; `--trigger` wins.
pub(crate) fn trigger(global: &GlobalArgs) -> Result<String> {
    let t = global
        .trigger
        .clone()
        .or_else(|| global.env.ci_event())
        .unwrap_or_else(|| "manual".into());
    if !is_valid_trigger(&t) {
        return Err(Error::usage(format!(
            "--trigger: `{t}` is not a trigger (1-64 characters of A-Z a-z 0-9 . _ : -)"
        )));
    }
    Ok(t)
}

/// Where a run was recorded: the store and the run id (for its deliveries).
pub struct Recorded {
    pub location: Location,
    pub scope: Scope,
    pub run_id: String,
}

/// How this command records its runs, resolved once from the flags and the policy: the store,
/// the trigger and the policy in force, as plain values the recording steps take. Empty with
/// `--no-record` (nothing is resolved then, so a store that cannot be found is no error).
pub struct Recorder(Option<RecordTo>);

struct RecordTo {
    location: Location,
    trigger: String,
    policy: PolicyInForce,
    /// In the cache directory, when there is one.
    memo: Option<InventoryMemo>,
}

impl Recorder {
    pub fn new(global: &GlobalArgs, policy: &Policy) -> Result<Recorder> {
        if global.no_record {
            return Ok(Recorder(None));
        }
        Ok(Recorder(Some(RecordTo {
            location: store_location(global, policy)?,
            trigger: trigger(global)?,
            policy: PolicyInForce::from_policy(policy),
            memo: global
                .env
                .cache_root()
                .map(|root| InventoryMemo::in_cache(&root)),
        })))
    }

    /// Records one run, built from the trigger and the policy in force.
    pub fn record(
        &self,
        build: impl FnOnce(&str, PolicyInForce) -> RunRecord,
    ) -> Result<Option<Recorded>> {
        let Some(to) = &self.0 else {
            return Ok(None);
        };
        let record = build(&to.trigger, to.policy.clone());
        let (_, count) = evidence::record(&to.location, &record)?;
        Ok(Some(self.recorded(to, record, count)))
    }

    /// Says where a run was recorded.
    fn recorded(&self, to: &RecordTo, record: RunRecord, count: usize) -> Recorded {
        output::diag(&format!(
            "recorded as run {} ({}/{}, run {count}) in {}",
            record.run_id, record.scope.tenant_id, record.scope.project_id, to.location,
        ));
        Recorded {
            location: to.location.clone(),
            scope: record.scope,
            run_id: record.run_id,
        }
    }

    /// Records an audit run of `lockfile`, under the scope its report names.
    pub fn audit(&self, lockfile: &Path, report: &AuditReport) -> Result<Option<Recorded>> {
        let Some(to) = &self.0 else {
            return Ok(None);
        };
        let scope = Scope::of(&report.scope);
        let (lockfile_path, git_commit) = evidence::lockfile_identity(lockfile);
        let context = RunContext {
            trigger: to.trigger.clone(),
            lockfile_path: Some(lockfile_path),
            git_commit,
        };
        // The store is opened first: an inventory it already holds is not redacted again (nor,
        // when the memo knows its digest, serialised).
        let mut store = evidence::Store::open_at(&to.location)?;
        let record = RunRecord::from_audit_for_store(
            scope.clone(),
            report,
            context,
            to.policy.clone(),
            &mut store.inventories_of(&scope),
            to.memo.as_ref(),
        )?;
        store.record(&record)?;
        let count = store.count_runs(&record.scope)?;
        Ok(Some(self.recorded(to, record, count)))
    }

    /// Records a verification run under `scope`.
    pub fn verify(&self, scope: Scope, report: &VerifyReport) -> Result<()> {
        self.record(|trigger, policy| {
            let context = RunContext {
                trigger: trigger.to_string(),
                lockfile_path: None,
                git_commit: None,
            };
            RunRecord::from_verify(scope, report, context, policy)
        })
        .map(|_| ())
    }
}

/// Records the notification deliveries of a recorded run (nothing when it was not recorded).
pub fn record_deliveries(
    recorded: Option<&Recorded>,
    deliveries: &[chainwarden::notify::Delivery],
    time: &str,
) -> Result<()> {
    let Some(r) = recorded.filter(|_| !deliveries.is_empty()) else {
        return Ok(());
    };
    let rows = chainwarden::notify::evidence_rows(deliveries, time);
    Store::open_at(&r.location)?.record_deliveries(&r.scope, &r.run_id, &rows)
}

/// Opens a store that must already exist (a SQLite file is not created by reading it).
pub fn open_existing(location: &Location) -> Result<Store> {
    if !location.exists() {
        return Err(Error::evidence(format!(
            "{location}: no evidence store (record runs first, or pass --evidence)"
        )));
    }
    Store::open_at(location)
}

pub fn run(cmd: EvidenceCommand, global: &GlobalArgs) -> Result<Outcome> {
    let policy = global.policy()?;
    let path = store_location(global, &policy)?;
    let scope_filter = |store: &Store| -> Result<Vec<Scope>> {
        resolve_scope(global, &policy)?;
        Ok(store
            .scopes(global.tenant.as_deref())?
            .into_iter()
            .filter(|s| global.project.as_ref().is_none_or(|p| *p == s.project_id))
            .collect())
    };
    match cmd {
        EvidenceCommand::Export {
            since,
            sign_key,
            output,
        } => {
            let since = match since {
                Some(s) => format_rfc3339(
                    parse_rfc3339(&s)
                        .map_err(|e| Error::usage(format!("--since: {e}")).caused_by(e))?,
                ),
                None => String::new(),
            };
            let store = open_existing(&path)?;
            let scopes = scope_filter(&store)?;
            let mut buf = Vec::new();
            evidence::export(&store, &scopes, &since, sign_key.as_deref(), &mut buf)?;
            output::emit(
                &Destination::from_arg(output.as_deref()),
                &String::from_utf8_lossy(&buf),
            )?;
            Ok(Outcome::Pass)
        }
        EvidenceCommand::Import {
            file,
            trusted_signers,
            allow_unsigned: _,
        } => {
            resolve_scope(global, &policy)?;
            let trusted = trusted_signers
                .as_deref()
                .map(sign::TrustedSigners::load)
                .transpose()?;
            let text = chainwarden::fsutil::read_text(
                &file,
                chainwarden::fsutil::InputKind::EvidenceExport,
            )?;
            let mut store = Store::open_at(&path)?;
            let opts = evidence::ImportOptions {
                trusted: trusted.as_ref(),
                tenant: global.tenant.as_deref(),
                project: global.project.as_deref(),
            };
            let n = evidence::import(&mut store, &file, &text, &opts)?;
            output::diag(&format!(
                "imported {} run(s), {} already present, {} of other scopes skipped, {} delivery(ies) ({} already present), into {path}",
                n.new,
                n.known,
                n.other_scope,
                n.deliveries_new,
                n.deliveries_known,
            ));
            Ok(Outcome::Pass)
        }
        EvidenceCommand::Migrate { to } => {
            let source = open_existing(&path)?;
            let scopes = scope_filter(&source)?;
            let to = Location::parse(&to)?;
            let mut target = Store::open_at(&to)?;
            let copies = evidence::migrate::migrate(&source, &mut target, &scopes)?;
            output::emit(&Destination::Stdout, &migrate_summary(&copies, &to))?;
            Ok(Outcome::Pass)
        }
        EvidenceCommand::SetupPostgres { writer, reader } => {
            setup_postgres(&path, &writer, &reader)
        }
        EvidenceCommand::Verify => {
            let store = open_existing(&path)?;
            let scopes = scope_filter(&store)?;
            verify_chains(&store, &scopes)
        }
    }
}

/// `evidence verify`: each scope's run chain and delivery chain, one line per scope (and one
/// per further problem); fails when any chain is broken.
fn verify_chains(store: &Store, scopes: &[Scope]) -> Result<Outcome> {
    let mut text = String::new();
    let mut broken = 0;
    for check in evidence::verify_all(store, scopes)? {
        let name = format!("{}/{}", check.scope.tenant_id, check.scope.project_id);
        match check.breaks.first() {
            None => text.push_str(&format!(
                "ok      {name}: {} run(s), chain head #{} {}\n",
                check.stored,
                check.head.as_ref().map_or(0, |h| h.0),
                check.head.as_ref().map_or("-", |h| h.1.as_str())
            )),
            Some(b) => {
                broken += 1;
                text.push_str(&format!(
                    "BROKEN  {name}: first bad run {} (#{}, {}): {}; {} problem(s)\n",
                    b.run_id,
                    b.seq.map_or("-".into(), |s| s.to_string()),
                    b.time,
                    b.problem,
                    check.breaks.len()
                ));
                for b in &check.breaks[1..] {
                    text.push_str(&format!(
                        "        run {} (#{}, {}): {}\n",
                        b.run_id,
                        b.seq.map_or("-".into(), |s| s.to_string()),
                        b.time,
                        b.problem
                    ));
                }
            }
        }
        let deliveries = evidence::subscription::verify_deliveries(store, &check)?;
        if !deliveries.deliveries.is_empty() || !deliveries.breaks.is_empty() {
            text.push_str(&format!(
                "{}{name}: {} notification deliveries verified\n",
                if deliveries.breaks.is_empty() {
                    "ok      "
                } else {
                    "BROKEN  "
                },
                deliveries.deliveries.len()
            ));
        }
        if !deliveries.breaks.is_empty() {
            broken += 1;
            for b in &deliveries.breaks {
                text.push_str(&format!("        {b}\n"));
            }
        }
    }
    output::emit(&Destination::Stdout, &text)?;
    Ok(if broken == 0 {
        Outcome::Pass
    } else {
        Outcome::Fail
    })
}

fn migrate_summary(copies: &[evidence::migrate::ScopeCopy], to: &Location) -> String {
    let mut text = String::new();
    for c in copies {
        text.push_str(&format!(
            "ok      {}/{}: {} run(s) checked in {to} ({} copied, {} already there{}), chain head #{} {}\n",
            c.scope.tenant_id,
            c.scope.project_id,
            c.source,
            c.copied,
            c.already,
            match c.target - c.source {
                0 => String::new(),
                n => format!(", {n} recorded there since"),
            },
            c.head.as_ref().map_or(0, |h| h.0),
            c.head.as_ref().map_or("-", |h| h.1.as_str()),
        ));
    }
    let (copied, already): (usize, usize) = copies
        .iter()
        .fold((0, 0), |(a, b), c| (a + c.copied, b + c.already));
    text.push_str(&format!(
        "{} scope(s), {copied} run(s) copied, {already} already there: every run matches by id, chain position and record hash\n",
        copies.len()
    ));
    text
}

/// `evidence setup-postgres`: the schema, then each grant; prints what it did.
fn setup_postgres(location: &Location, writers: &[String], readers: &[String]) -> Result<Outcome> {
    use chainwarden::evidence::pg::setup;
    use chainwarden::policy::scope::is_valid_scope_id;
    let Location::Postgres(target) = location else {
        return Err(Error::usage(format!(
            "setup-postgres: --evidence must be a postgres:// URL (the store is {location})"
        )));
    };
    let role_ok = |role: &str| -> Result<()> {
        if setup::is_valid_role(role) {
            return Ok(());
        }
        Err(Error::usage(format!(
            "setup-postgres: role `{role}` is not 1-63 characters of a-z 0-9 _ (not starting with a digit or pg_)"
        )))
    };
    let mut grants = Vec::new();
    for w in writers {
        let (tenant, role) = w
            .split_once('=')
            .ok_or_else(|| Error::usage(format!("--writer: `{w}` is not TENANT=ROLE")))?;
        if !is_valid_scope_id(tenant) {
            return Err(Error::usage(format!(
                "--writer: `{tenant}` is not a tenant id"
            )));
        }
        role_ok(role)?;
        grants.push((role, tenant, true));
    }
    for role in readers {
        role_ok(role)?;
        grants.push((role.as_str(), "*", false));
    }
    let mut client = target.connect()?;
    let applied = setup::migrate(target, &mut client)?;
    let mut text = format!(
        "{target}: evidence schema at version {} ({})\n",
        setup::latest(),
        if applied.is_empty() {
            "already up to date".to_string()
        } else {
            format!("applied {}", applied.join(", "))
        }
    );
    for (role, tenant, writing) in grants {
        if let Some(warning) = setup::grant(target, &mut client, role, tenant, writing)? {
            output::diag(&warning);
        }
        text.push_str(&match (tenant, writing) {
            ("*", _) => format!("reader  {role}: reads every tenant\n"),
            (t, _) => format!("writer  {role}: reads and appends tenant {t} only\n"),
        });
    }
    if writers.len() + readers.len() > 0 {
        text.push_str("Give each role a password as the administrator (psql: \\password ROLE), then PGPASSWORD or a pgpass file to its CI.\n");
    }
    output::emit(&Destination::Stdout, &text)?;
    Ok(Outcome::Pass)
}
