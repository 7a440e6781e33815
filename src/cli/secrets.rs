//! `chainwarden secrets scan [PATH] [--git-range A..B]`.

use std::path::PathBuf;

use clap::Subcommand;

use crate::cli::GlobalArgs;
use chainwarden::error::Result;
use chainwarden::exit::Outcome;
use chainwarden::output::{self, Destination};
use chainwarden::secrets::render::{render, SecretsFormat};
use chainwarden::secrets::{scan_git_range, scan_tree, Scanner};

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Scan files (what git tracks, in a checkout) or the lines added by a commit range.
    Scan {
        /// Directory or repository to scan (default: current directory).
        path: Option<PathBuf>,
        /// Scan the lines every commit of this range added (e.g. origin/main..HEAD) instead
        /// of the working tree.
        #[arg(long, value_name = "A..B")]
        git_range: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = SecretsFormat::Human)]
        format: SecretsFormat,
        /// Write the output here instead of stdout (atomically).
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

pub fn run(cmd: SecretsCommand, global: &GlobalArgs) -> Result<Outcome> {
    let policy = global.policy()?;
    let SecretsCommand::Scan {
        path,
        git_range,
        format,
        output,
    } = cmd;
    let root = path.unwrap_or_else(|| PathBuf::from("."));
    let scanner = Scanner::new();
    let report = match &git_range {
        Some(range) => scan_git_range(&scanner, &root, range, &policy.secrets)?,
        None => {
            if !root.is_dir() {
                return Err(chainwarden::error::Error::input(&root, "not a directory"));
            }
            scan_tree(&scanner, &root, &policy.secrets)?
        }
    };
    output::emit(
        &Destination::from_arg(output.as_deref()),
        &render(&report, format),
    )?;
    Ok(if report.findings.is_empty() {
        Outcome::Pass
    } else {
        Outcome::Fail
    })
}
