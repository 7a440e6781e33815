//! `chainwarden evidence export|import`.

use std::path::PathBuf;

use clap::Subcommand;

use crate::cli::GlobalArgs;
use crate::clock::{format_rfc3339, parse_rfc3339};
use crate::error::{Error, Result};
use crate::evidence::{self, Store};
use crate::exit::Outcome;
use crate::output::{self, Destination};

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Write recorded runs (every scope) as JSON Lines.
    Export {
        /// Only runs at or after this time (RFC 3339 or YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Write here (atomically) instead of stdout.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Merge runs from a JSON Lines export; importing twice changes nothing.
    Import {
        /// The JSON Lines file.
        file: PathBuf,
    },
}

pub fn run(cmd: EvidenceCommand, global: &GlobalArgs) -> Result<Outcome> {
    let policy = global.policy()?;
    let path = evidence::store_path(global, &policy);
    match cmd {
        EvidenceCommand::Export { since, output } => {
            let since = match since {
                Some(s) => format_rfc3339(
                    parse_rfc3339(&s).map_err(|e| Error::Usage(format!("--since: {e}")))?,
                ),
                None => String::new(),
            };
            if !path.exists() {
                return Err(Error::Evidence(format!(
                    "{}: no evidence store",
                    path.display()
                )));
            }
            let store = Store::open(&path)?;
            let mut buf = Vec::new();
            evidence::export(&store, &since, &mut buf)?;
            output::emit(
                &Destination::from_arg(output.as_deref()),
                &String::from_utf8_lossy(&buf),
            )?;
            Ok(Outcome::Pass)
        }
        EvidenceCommand::Import { file } => {
            let text = crate::fsutil::read_text(&file, crate::fsutil::InputKind::EvidenceExport)?;
            let mut store = Store::open(&path)?;
            let (new, known) = evidence::import(&mut store, &file, &text)?;
            output::diag(&format!(
                "imported {new} run(s), {known} already present, into {}",
                path.display()
            ));
            Ok(Outcome::Pass)
        }
    }
}
