//! The chainwarden binary: parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = chainwarden::cli::Cli::parse();
    match chainwarden::cli::run(cli) {
        Ok(outcome) => ExitCode::from(outcome.code()),
        Err(error) => {
            chainwarden::output::diag(&format!("error: {error}"));
            ExitCode::from(chainwarden::exit::ERROR_CODE)
        }
    }
}
