//! The chainwarden binary: parse arguments, run, map the outcome to an exit code.

use std::process::ExitCode;

use chainwarden::output::{self, Destination};
use clap::Parser;

// The command line lives in the binary, so the library cannot import it.
mod cli;

// mimalloc instead of glibc's allocator: an audit makes ~70,000 small allocations (strings of
// a 1,200-package model), and glibc's malloc/free and heap growth were a fifth of its time
// (measured in bench/compare.sh's commit). The library leaves the choice to its users.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    output::install_panic_hook();
    #[cfg(debug_assertions)]
    debug_panic();
    // clap's own messages quote the arguments (`invalid value 'ghp_…'`): they leave through
    // the redacting boundary like everything else.
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let text = e.render().ansi().to_string();
            if e.use_stderr() {
                output::diag(text.trim_end());
            } else if output::emit(&Destination::Stdout, &text).is_err() {
                return ExitCode::from(chainwarden::exit::ERROR_CODE);
            }
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    match cli::run(cli) {
        Ok(outcome) => ExitCode::from(outcome.code()),
        Err(error) => {
            output::diag(&format!("error: {error}"));
            ExitCode::from(chainwarden::exit::ERROR_CODE)
        }
    }
}

/// Debug builds only: `CHAINWARDEN_DEBUG_PANIC=TEXT` panics with TEXT, so the tests can show
/// that a panic prints neither TEXT nor Rust's default message and exits 2. Read before clap
/// parses, and not a clap argument, so that it is in no build's command line or `--help`.
#[cfg(debug_assertions)]
fn debug_panic() {
    if let Some(text) = std::env::var_os("CHAINWARDEN_DEBUG_PANIC") {
        // As a slicing bug would: the message quotes the text.
        panic!("byte index out of range of `{}`", text.to_string_lossy());
    }
}
