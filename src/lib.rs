//! chainwarden: software supply-chain audit and release verification.
//!
//! One module per capability; the binary's `cli` (src/cli/, not part of the library) turns
//! arguments into calls of the others, and `output` is the only way text leaves the process
//! (through `redact`).
//!
//! The library cannot reach the command line (cargo-deny keeps its CLI in the binary too):
//!
//! ```compile_fail
//! use chainwarden::cli::Cli;
//! ```

// `pub` means part of the library's API: an item only the crate uses is `pub(crate)`, so the
// compiler reports it once nothing uses it.
#![warn(unreachable_pub)]

pub mod advisories;
pub mod audit;
pub mod clock;
pub mod error;
pub mod evidence;
pub mod exit;
pub mod finding;
pub mod fsutil;
pub mod git;
pub mod inventory;
pub mod json;
pub mod lines;
pub mod markdown;
mod named;
pub mod net;
pub mod notify;
pub mod output;
pub mod policy;
pub mod progress;
pub mod redact;
pub mod report;
pub mod sarif;
pub mod sbom;
pub mod secrets;
pub mod text;
pub mod verify;
pub mod vex;
pub mod watch;
