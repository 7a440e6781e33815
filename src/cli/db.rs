//! `chainwarden db update|status`.

use std::fmt::Write;
use std::path::PathBuf;

use clap::Subcommand;
use serde::Serialize;

use crate::cli::GlobalArgs;
use chainwarden::advisories::cache;
use chainwarden::advisories::{meta, AdvisoryDb};
use chainwarden::clock::format_rfc3339;
use chainwarden::error::{Error, Result};
use chainwarden::exit::Outcome;
use chainwarden::net::Network;
use chainwarden::output::{self, Destination};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DbFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Download the advisory database into the cache (validated, then swapped in atomically).
    Update {
        /// Archive URL (default: the public RustSec advisory database; env CHAINWARDEN_ADVISORY_DB_URL).
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// Expected SHA-256 of the archive (hex); a mismatch aborts the update.
        #[arg(long, value_name = "HEX")]
        sha256: Option<String>,
        /// Cache directory (default: CHAINWARDEN_CACHE_DIR, else the user's cache directory).
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DbFormat::Human)]
        format: DbFormat,
    },
    /// Show the database's commit, date, advisory count and age.
    Status {
        /// A database directory (default: the cache).
        #[arg(long, value_name = "DIR")]
        db: Option<PathBuf>,
        /// Cache directory (default: CHAINWARDEN_CACHE_DIR, else the user's cache directory).
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DbFormat::Human)]
        format: DbFormat,
    },
}

#[derive(Serialize)]
struct DbStatus {
    path: String,
    commit: Option<String>,
    date: Option<String>,
    fetched: Option<String>,
    advisory_count: usize,
    age_days: Option<i64>,
}

pub fn run(cmd: DbCommand, global: &GlobalArgs) -> Result<Outcome> {
    let clock = global.clock()?;
    match cmd {
        DbCommand::Update {
            url,
            sha256,
            cache_dir,
            format,
        } => {
            let mut options = global.env.cache_options(cache_dir, url)?;
            options.expected_sha256 = sha256;
            let net = Network::new(global.env.net_config()?)?;
            let updated = cache::update(&options, &net, &clock)
                .map_err(|e| chainwarden::net::with_help(e, cache::DOWNLOAD_HELP))?;
            let doc = match format {
                DbFormat::Json => chainwarden::json::document(&updated),
                DbFormat::Human => format!(
                    "updated {}: {} advisories, commit {}, archive sha256:{} ({} bytes)\n",
                    updated.path,
                    updated.advisory_count,
                    updated.commit.as_deref().unwrap_or("unknown"),
                    updated.archive_sha256,
                    updated.archive_bytes
                ),
            };
            output::emit(&Destination::Stdout, &doc)?;
            Ok(Outcome::Pass)
        }
        DbCommand::Status {
            db,
            cache_dir,
            format,
        } => {
            let dir = match db {
                Some(d) => d,
                None => {
                    let options = global.env.cache_options(cache_dir, None)?;
                    let link = options.db_link();
                    if !link.join("crates").is_dir() {
                        return Err(Error::database(format!(
                            "no cached database at {}: run `chainwarden db update`",
                            link.display()
                        )));
                    }
                    link.canonicalize().unwrap_or(link)
                }
            };
            let loaded = AdvisoryDb::open(&dir, None)?;
            let m = meta::metadata(&dir);
            let reference = m.date.or(m.fetched);
            let status = DbStatus {
                path: dir.display().to_string(),
                commit: m.commit,
                date: m.date.map(format_rfc3339),
                fetched: m.fetched.map(format_rfc3339),
                advisory_count: loaded.len(),
                age_days: reference.map(|d| (clock.now() - d).whole_days()),
            };
            let doc = match format {
                DbFormat::Json => chainwarden::json::document(&status),
                DbFormat::Human => human(&status),
            };
            output::emit(&Destination::Stdout, &doc)?;
            Ok(Outcome::Pass)
        }
    }
}

fn human(s: &DbStatus) -> String {
    let mut out = String::new();
    let unknown = || "unknown".to_string();
    let _ = writeln!(out, "path:       {}", s.path);
    let _ = writeln!(
        out,
        "commit:     {}",
        s.commit.clone().unwrap_or_else(unknown)
    );
    let _ = writeln!(
        out,
        "date:       {}",
        s.date.clone().unwrap_or_else(unknown)
    );
    if let Some(f) = &s.fetched {
        let _ = writeln!(out, "fetched:    {f}");
    }
    let _ = writeln!(out, "advisories: {}", s.advisory_count);
    let _ = writeln!(
        out,
        "age:        {}",
        s.age_days
            .map(|d| format!("{d} days"))
            .unwrap_or_else(unknown)
    );
    out
}
