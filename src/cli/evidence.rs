//! `chainwarden evidence export|import|verify`, and recording a command's run.

use std::path::{Path, PathBuf};

use clap::Subcommand;

use crate::cli::{resolve_scope, GlobalArgs};
use chainwarden::audit::model::AuditReport;
use chainwarden::clock::{format_rfc3339, parse_rfc3339};
use chainwarden::error::{Error, Result};
use chainwarden::evidence::record::is_valid_trigger;
use chainwarden::evidence::{self, sign, PolicyInForce, RunContext, RunRecord, Scope, Store};
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
}

/// The store of this command.
pub fn store_path(global: &GlobalArgs, policy: &Policy) -> Result<PathBuf> {
    evidence::store_path(global.evidence.as_deref(), policy.evidence.path.as_deref())
}

/// `schedule` when CI says the run was scheduled, the CI event otherwise; `--trigger` wins.
pub(crate) fn trigger(global: &GlobalArgs) -> Result<String> {
    let ci = ["GITHUB_EVENT_NAME", "CI_PIPELINE_SOURCE"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()));
    let t = global
        .trigger
        .clone()
        .or(ci)
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
    pub path: PathBuf,
    pub scope: Scope,
    pub run_id: String,
}

pub(crate) fn store(
    global: &GlobalArgs,
    policy: &Policy,
    record: &RunRecord,
) -> Result<Option<Recorded>> {
    if global.no_record {
        return Ok(None);
    }
    let path = store_path(global, policy)?;
    let (run_id, count) = evidence::record(&path, record)?;
    output::diag(&format!(
        "recorded as run {run_id} ({}/{}, run {count}) in {}",
        record.scope.tenant_id,
        record.scope.project_id,
        path.display()
    ));
    Ok(Some(Recorded {
        path,
        scope: record.scope.clone(),
        run_id,
    }))
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
    Store::open(&r.path)?.record_deliveries(&r.scope, &r.run_id, &rows)
}

/// Records an audit run.
pub fn record_audit(
    global: &GlobalArgs,
    policy: &Policy,
    lockfile: &Path,
    report: &AuditReport,
) -> Result<Option<Recorded>> {
    if global.no_record {
        return Ok(None);
    }
    let scope = Scope::new(
        report.scope.tenant_id.as_deref(),
        report.scope.project_id.as_deref(),
    );
    let (lockfile_path, git_commit) = evidence::lockfile_identity(lockfile);
    let context = RunContext {
        trigger: trigger(global)?,
        lockfile_path: Some(lockfile_path),
        git_commit,
    };
    let record = RunRecord::from_audit(scope, report, context, PolicyInForce::from_policy(policy));
    store(global, policy, &record)
}

/// Records a verification run.
pub fn record_verify(global: &GlobalArgs, policy: &Policy, report: &VerifyReport) -> Result<()> {
    if global.no_record {
        return Ok(());
    }
    let scope = resolve_scope(global, policy)?;
    let scope = Scope::new(scope.tenant_id.as_deref(), scope.project_id.as_deref());
    let context = RunContext {
        trigger: trigger(global)?,
        lockfile_path: None,
        git_commit: None,
    };
    let record = RunRecord::from_verify(scope, report, context, PolicyInForce::from_policy(policy));
    store(global, policy, &record).map(|_| ())
}

fn open_existing(path: &Path) -> Result<Store> {
    if !path.is_file() {
        return Err(Error::evidence(format!(
            "{}: no evidence store (record runs first, or pass --evidence)",
            path.display()
        )));
    }
    Store::open(path)
}

pub fn run(cmd: EvidenceCommand, global: &GlobalArgs) -> Result<Outcome> {
    let policy = global.policy()?;
    let path = store_path(global, &policy)?;
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
            let mut store = Store::open(&path)?;
            let opts = evidence::ImportOptions {
                trusted: trusted.as_ref(),
                tenant: global.tenant.as_deref(),
                project: global.project.as_deref(),
            };
            let n = evidence::import(&mut store, &file, &text, &opts)?;
            output::diag(&format!(
                "imported {} run(s), {} already present, {} of other scopes skipped, {} delivery(ies) ({} already present), into {}",
                n.new,
                n.known,
                n.other_scope,
                n.deliveries_new,
                n.deliveries_known,
                path.display()
            ));
            Ok(Outcome::Pass)
        }
        EvidenceCommand::Verify => {
            let store = open_existing(&path)?;
            let scopes = scope_filter(&store)?;
            let mut text = String::new();
            let mut broken = 0;
            for check in evidence::verify_all(&store, &scopes)? {
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
                let deliveries = evidence::subscription::verify_deliveries(&store, &check)?;
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
    }
}
