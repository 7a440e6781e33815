//! `chainwarden report --quarter 2026-Q4 [--tenant T --project P | --tenant T --all-projects]
//! --format markdown|html|json [--sign-key KEY]`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::cli::{resolve_scope, GlobalArgs};
use chainwarden::error::{Error, Result};
use chainwarden::evidence::{sign, Location, PolicyInForce, Scope, Store};
use chainwarden::exit::Outcome;
use chainwarden::output::{self, Destination};
use chainwarden::report::{self, Options, Quarter, ReportFormat};

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The quarter, e.g. 2026-Q4.
    #[arg(long, value_name = "YYYY-QN")]
    pub quarter: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Markdown)]
    pub format: ReportFormat,
    /// Write here (atomically) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// One report for every project of --tenant: a table per project, then each report.
    #[arg(long)]
    pub all_projects: bool,
    /// Report even when the evidence chain does not verify (every page says so).
    #[arg(long)]
    pub allow_broken_evidence: bool,
    /// Write a detached SSH signature of the report to FILE.sig (needs --output; namespace
    /// chainwarden-report; check with `ssh-keygen -Y verify`).
    #[arg(long, value_name = "KEY", requires = "output")]
    pub sign_key: Option<PathBuf>,
}

/// Every project's report, several at once: one worker per core, each with its own connection
/// to the store (a SQLite connection or a PostgreSQL client serves one thread), taking the
/// next project until none is left. Reports keep the projects' order; the first project that
/// fails (in that order) is the error, as when they were built one after another.
fn build_all(
    location: &Location,
    store: Store,
    scopes: &[Scope],
    quarter: Quarter,
    opts: &Options<'_>,
) -> Result<Vec<report::model::QuarterReport>> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, scopes.len().max(1));
    let next = AtomicUsize::new(0);
    let first = Mutex::new(Some(store));
    let results: Mutex<Vec<Option<Result<report::model::QuarterReport>>>> =
        Mutex::new((0..scopes.len()).map(|_| None).collect());
    let opened: Vec<Result<()>> = std::thread::scope(|threads| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                threads.spawn(|| -> Result<()> {
                    let taken = first.lock().unwrap_or_else(|p| p.into_inner()).take();
                    let store = match taken {
                        Some(s) => s,
                        None => Store::open_at(location)?,
                    };
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(scope) = scopes.get(i) else {
                            return Ok(());
                        };
                        let built = report::build(&store, scope, quarter, opts);
                        results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(built);
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    opened.into_iter().collect::<Result<()>>()?;
    results
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .map(|r| r.expect("every project was taken by a worker"))
        .collect()
}

pub fn run(args: ReportArgs, global: &GlobalArgs) -> Result<Outcome> {
    let clock = global.clock()?;
    let given = match &global.policy {
        Some(p) => Some(chainwarden::policy::Policy::load(p)?),
        None => None,
    };
    let presentation = given.as_ref().map(PolicyInForce::from_policy);
    let policy = given.unwrap_or_else(chainwarden::policy::Policy::builtin);
    let quarter = Quarter::parse(&args.quarter)
        .map_err(|e| Error::usage(format!("--quarter: {e}")).caused_by(e))?;
    let scope = resolve_scope(global, &policy)?;
    let location = crate::cli::evidence::store_location(global, &policy)?;
    let store = crate::cli::evidence::open_existing(&location)?;
    let opts = Options {
        presentation: presentation.as_ref(),
        allow_broken: args.allow_broken_evidence,
        clock,
    };
    let document = if args.all_projects {
        let tenant = scope.tenant_id.clone().ok_or_else(|| {
            Error::usage("--all-projects needs a tenant (--tenant or the policy's scope)".into())
        })?;
        let scopes = store.scopes(Some(&tenant))?;
        let reports = build_all(&location, store, &scopes, quarter, &opts)?;
        report::render_org(&report::org(&tenant, reports)?, args.format)?
    } else {
        let scope = Scope::of(&scope);
        let built = report::build(&store, &scope, quarter, &opts)?;
        report::render(&built, args.format)?
    };
    output::emit(&Destination::from_arg(args.output.as_deref()), &document)?;
    if let (Some(key), Some(out)) = (&args.sign_key, &args.output) {
        // Sign the bytes as written (after redaction), read back from the file.
        let written = std::fs::read(out).map_err(|e| Error::io(out, e))?;
        let signature = sign::sign(key, sign::REPORT_NAMESPACE, &written)?;
        let mut sig_path = out.clone().into_os_string();
        sig_path.push(".sig");
        chainwarden::fsutil::write_atomic(std::path::Path::new(&sig_path), signature.as_bytes())?;
        output::diag(&format!(
            "signed: {} (check: ssh-keygen -Y verify -n {} -f ALLOWED_SIGNERS -I SIGNER -s {} < {})",
            PathBuf::from(&sig_path).display(),
            sign::REPORT_NAMESPACE,
            PathBuf::from(&sig_path).display(),
            out.display()
        ));
    }
    Ok(Outcome::Pass)
}
