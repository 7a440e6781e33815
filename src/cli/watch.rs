//! `chainwarden watch`: every scope's latest recorded inventory against the advisory database
//! as it is now; new findings recorded (kind `watch`) and notified.

use std::path::PathBuf;

use crate::cli::evidence::{open_existing, record_deliveries, store_location, Recorder};
use crate::cli::GlobalArgs;
use chainwarden::advisories::cache;
use chainwarden::advisories::index::index_dir;
use chainwarden::advisories::{meta, AdvisoryDb};
use chainwarden::audit::baseline::BaselineState;
use chainwarden::audit::model::DatabaseInfo;
use chainwarden::clock::format_rfc3339;
use chainwarden::error::{Error, Result};
use chainwarden::evidence::{RunContext, RunRecord};
use chainwarden::exit::Outcome;
use chainwarden::net::Network;
use chainwarden::notify::{self, Batch, Delivery, NotifyConfig, NotifyFormat, Sink};
use chainwarden::output::{self, Destination};
use chainwarden::watch::render::WatchFormat;
use chainwarden::watch::{self, DeliveryResult, ScopeError, ScopeResult, ScopeWatch, WatchReport};

#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    /// Use this advisory database (plain files or a git checkout) instead of the cache.
    #[arg(long, value_name = "DIR")]
    pub db: Option<PathBuf>,
    /// Never touch the network (the cached database as it is; no notifications).
    #[arg(long)]
    pub offline: bool,
    /// Notify of new findings: `github:OWNER/REPO` or `webhook:URL` (repeat for several).
    #[arg(long, value_name = "SINK")]
    pub notify: Vec<String>,
    /// Body of webhook notifications.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
    pub notify_format: NotifyFormat,
    /// Output format.
    #[arg(long, value_enum, default_value_t = WatchFormat::Human)]
    pub format: WatchFormat,
    /// Write the output here instead of stdout (atomically).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(args: WatchArgs, global: &GlobalArgs) -> Result<Outcome> {
    let sinks = notify::parse_sinks(&args.notify, args.offline)?;
    let notify_config = match sinks.is_empty() {
        true => None,
        false => Some(global.env.notify_config()?),
    };
    let clock = global.clock()?;
    let policy = global.policy()?;
    let location = store_location(global, &policy)?;
    let store_handle = open_existing(&location)?;
    let wanted = |s: &chainwarden::evidence::Scope| {
        global.tenant.as_ref().is_none_or(|t| *t == s.tenant_id)
            && global.project.as_ref().is_none_or(|p| *p == s.project_id)
    };
    let watched: Vec<_> = store_handle
        .latest_inventories()?
        .into_iter()
        .filter(|latest| wanted(&latest.scope))
        .collect();
    // Fail closed: a watch that evaluated nothing (an empty PostgreSQL database, a store of
    // other tenants, a mistyped --project) would otherwise pass, and the scheduled job that
    // stands for "advisories are watched" would be green without watching anything.
    if watched.is_empty() {
        return Err(Error::evidence(format!(
            "{location}: no recorded audit{} to watch (record an audit first)",
            scope_words(global)
        )));
    }
    let recorder = Recorder::new(global, &policy)?;
    let network = if args.offline {
        None
    } else {
        Some(Network::new(global.env.net_config()?)?)
    };
    let (db_dir, db_notes) = match (&args.db, &network) {
        (Some(dir), _) => (dir.clone(), Vec::new()),
        // A watch refreshes whatever the cache's age: an advisory published an hour ago is
        // what it is for. A failed refresh fails the run rather than watch with old data.
        (None, Some(net)) => {
            let opts = global.env.cache_options(None, None)?;
            let updated = cache::update(&opts, net, &clock)?;
            (PathBuf::from(updated.path), Vec::new())
        }
        (None, None) => crate::cli::audit::default_database(global, None, &clock)?,
    };
    for note in &db_notes {
        output::diag(note);
    }
    let index = global.env.cache_root().map(|root| index_dir(&root));
    let mut db = AdvisoryDb::open(&db_dir, index.as_deref())?;
    let db_meta = meta::metadata(&db_dir);
    let mut report = WatchReport {
        schema_version: 1,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        time: format_rfc3339(clock.now()),
        database: DatabaseInfo {
            path: db_dir.display().to_string(),
            commit: db_meta.commit.clone(),
            updated: db_meta.date.map(format_rfc3339),
            advisory_count: db.len(),
            age_days: db_meta.date.map(|d| (clock.now() - d).whole_days()),
            stale: false,
        },
        scopes: Vec::new(),
        errors: Vec::new(),
        deliveries: Vec::new(),
    };
    for latest in &watched {
        match watch::evaluate(&store_handle, latest, &mut db, &db_meta, clock) {
            Ok(w) => scope_done(
                &recorder,
                &sinks,
                notify_config.as_ref(),
                &args,
                w,
                &mut report,
            )?,
            Err(e) => report.errors.push(ScopeError {
                tenant_id: latest.scope.tenant_id.clone(),
                project_id: latest.scope.project_id.clone(),
                error: e.to_string(),
            }),
        }
    }
    let document = watch::render::render(&report, args.format);
    output::emit(&Destination::from_arg(args.output.as_deref()), &document)?;
    let failed_delivery = report.deliveries.iter().any(|d| d.outcome.failed());
    Ok(if failed_delivery || !report.errors.is_empty() {
        Outcome::Inconclusive
    } else if report.scopes.iter().any(|s| s.fails) {
        Outcome::Fail
    } else {
        Outcome::Pass
    })
}

/// " of tenant T, project P" for the scope flags given, to name what was looked for.
fn scope_words(global: &GlobalArgs) -> String {
    match (&global.tenant, &global.project) {
        (None, None) => String::new(),
        (Some(t), None) => format!(" of tenant {t}"),
        (None, Some(p)) => format!(" of project {p}"),
        (Some(t), Some(p)) => format!(" of {t}/{p}"),
    }
}

/// Records one evaluated scope as a watch run, notifies, records the deliveries.
fn scope_done(
    recorder: &Recorder,
    sinks: &[Sink],
    config: Option<&NotifyConfig>,
    args: &WatchArgs,
    w: ScopeWatch,
    report: &mut WatchReport,
) -> Result<()> {
    // A watch run is recorded under the policy its scope's audit recorded, not the job's.
    let recorded = recorder.record(|trigger, _| {
        let context = RunContext {
            trigger: trigger.to_string(),
            lockfile_path: w.latest.lockfile_path.clone(),
            git_commit: w.git_commit.clone(),
        };
        RunRecord::from_watch(w.latest.scope.clone(), &w.report, context, w.policy.clone())
    })?;
    let deliveries = match config {
        Some(config) => deliver(sinks, config, &w, args.notify_format)?,
        None => Vec::new(),
    };
    record_deliveries(recorded.as_ref(), &deliveries, &w.report.time)?;
    let scope_key = notify::scope_key(&w.report);
    report
        .deliveries
        .extend(deliveries.into_iter().map(|d| DeliveryResult {
            scope: scope_key.clone(),
            sink: d.sink,
            finding: d.finding,
            outcome: d.outcome,
            external_id: d.external_id,
            attempts: d.attempts,
        }));
    report
        .scopes
        .push(ScopeResult::from_watch(&w, recorded.map(|r| r.run_id)));
    Ok(())
}

/// GitHub sinks get every current finding (their issues are kept in step, idempotently);
/// webhooks get only what is new or fixed, and nothing when nothing is.
fn deliver(
    sinks: &[Sink],
    config: &NotifyConfig,
    w: &ScopeWatch,
    format: NotifyFormat,
) -> Result<Vec<Delivery>> {
    let full = Batch::from_report(&w.report, &w.deadlines);
    let (github, hooks): (Vec<Sink>, Vec<Sink>) = sinks
        .iter()
        .cloned()
        .partition(|s| matches!(s, Sink::GitHub { .. }));
    let mut deliveries = notify::notify_and_report(&github, &full, format, config)?;
    let mut news = full;
    news.findings
        .retain(|n| n.baseline_state == Some(BaselineState::New));
    if !news.findings.is_empty() || !news.fixed.is_empty() {
        deliveries.extend(notify::notify_and_report(&hooks, &news, format, config)?);
    }
    Ok(deliveries)
}
