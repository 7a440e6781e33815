//! `chainwarden audit`: the dependency graph against the RustSec advisory database.

pub mod model;
