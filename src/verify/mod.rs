//! `chainwarden verify`: every verification (checksums, rebuilds, Sigstore bundles, provenance,
//! releases, commits) produces the same [`model::VerifyReport`], rendered by [`render`].

pub mod auditable;
pub mod checksums;
pub mod code;
pub mod commits;
pub mod model;
pub mod provenance;
pub mod rebuild;
pub mod release;
pub mod render;
pub mod sigstore;
