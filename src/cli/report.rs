//! `chainwarden report --quarter 2026-Q4 [--tenant T --project P] --format markdown|html|json`.

use std::path::PathBuf;

use crate::cli::{resolve_scope, GlobalArgs};
use crate::error::{Error, Result};
use crate::evidence::{self, Scope, Store};
use crate::exit::Outcome;
use crate::output::{self, Destination};
use crate::report::{self, Quarter, ReportFormat};

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
}

pub fn run(args: ReportArgs, global: &GlobalArgs) -> Result<Outcome> {
    let clock = global.clock()?;
    let policy = global.policy()?;
    let quarter =
        Quarter::parse(&args.quarter).map_err(|e| Error::Usage(format!("--quarter: {e}")))?;
    let scope = resolve_scope(global, &policy)?;
    let scope = Scope::new(scope.tenant_id.as_deref(), scope.project_id.as_deref());
    let path = evidence::store_path(global, &policy);
    if !path.exists() {
        return Err(Error::Evidence(format!(
            "{}: no evidence store (record runs first, or pass --evidence)",
            path.display()
        )));
    }
    let store = Store::open(&path)?;
    let report = report::build(&store, &scope, quarter, &policy, clock.today())?;
    output::emit(
        &Destination::from_arg(args.output.as_deref()),
        &report::render(&report, args.format),
    )?;
    Ok(Outcome::Pass)
}
