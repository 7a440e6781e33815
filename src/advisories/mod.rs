//! The RustSec advisory database: loading (in parallel, with a validated index), metadata
//! (commit, date), and matching packages against advisories with RustSec's own semantics.

pub mod cache;
pub mod database;
pub mod index;
pub mod meta;

pub use database::AdvisoryDb;
