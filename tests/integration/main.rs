//! The one integration-test binary (as ripgrep does it): every suite is a module here, so the
//! harness in `common` and the dependencies are compiled and linked once.

mod common;

// The command-line definitions live in the binary (src/main.rs declares `mod cli`), not in
// the library; the help suite compiles them in here to walk the command tree.
#[path = "../../src/cli/mod.rs"]
#[allow(dead_code, unreachable_pub)]
mod cli;

mod audit;
mod audit_agreement;
mod caches;
mod commits;
mod db;
mod evidence_postgres;
mod formats;
mod help;
mod hostile;
mod inventory;
mod network;
mod notify;
mod output;
mod redaction;
mod report;
mod report_evidence;
mod report_wrong;
mod sbom;
mod secrets;
mod shipped;
mod sigstore_conformance;
mod verify_bundle;
mod verify_checksums;
mod verify_provenance;
mod verify_rebuild;
mod verify_release;
mod verify_release_auditable;
mod vex;
mod watch;
mod watch_edges;
mod workflows;
