//! Settings that come from the environment. clap reads every one of them (`env = ...`), once,
//! at the command line's edge; the library never calls `std::env::var` for them and receives
//! plain values instead (`NetConfig`, `CacheOptions`, `IndexConfig`, `NotifyConfig`, a cargo
//! path, a cache root).
//!
//! They were environment-only knobs (for CI, slow networks and tests), so their flags are
//! hidden: clap needs a flag to attach a variable to, and `--help` stays as it was. A value
//! that is set but empty counts as unset (as it always did); a value that does not parse is
//! exit 2 naming the variable, where it used to be ignored silently (and `inf` or `1e300`
//! seconds used to panic).
//!
//! Not here, on purpose: secrets (`GITHUB_TOKEN`, `CHAINWARDEN_WEBHOOK_SECRET`) take no flag, so
//! that they never land in `ps` output or shell history ([`notify_secrets`]); PostgreSQL's
//! `PG*` variables are libpq's conventions, read where libpq would read them
//! (`evidence::pg::target`); redaction reads the whole environment to mask its secrets; the
//! graph cache hashes cargo's own environment into its key; git calls scrub `GIT_*`.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use chainwarden::advisories::cache::CacheOptions;
use chainwarden::advisories::meta::default_cache_root;
use chainwarden::audit::yanked::IndexConfig;
use chainwarden::error::{Error, Result};
use chainwarden::net::NetConfig;
use chainwarden::notify::{NotifyConfig, DEFAULT_BUDGET};

/// The longest time any of the seconds settings accepts.
const MAX_SECONDS: f64 = 86_400.0;

#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Global options")]
pub struct EnvArgs {
    /// Cache directory: advisory database, its index, crates.io index entries, dependency
    /// graphs (default: chainwarden in the user's cache directory).
    #[arg(
        long = "cache-root",
        global = true,
        hide = true,
        value_name = "DIR",
        env = "CHAINWARDEN_CACHE_DIR",
        hide_env_values = true
    )]
    cache_root: Option<OsString>,
    /// Advisory database archive URL (default: the public RustSec advisory database).
    #[arg(
        long,
        global = true,
        hide = true,
        value_name = "URL",
        env = "CHAINWARDEN_ADVISORY_DB_URL",
        hide_env_values = true
    )]
    advisory_db_url: Option<String>,
    /// Largest advisory database archive accepted, in bytes (default: 64 MiB).
    #[arg(
        long,
        global = true,
        hide = true,
        value_name = "BYTES",
        env = "CHAINWARDEN_DB_MAX_BYTES"
    )]
    db_max_bytes: Option<String>,
    /// Connect and read timeout of every HTTP request, in seconds (default: 10 and 30).
    #[arg(
        long,
        global = true,
        hide = true,
        value_name = "SECONDS",
        env = "CHAINWARDEN_HTTP_TIMEOUT"
    )]
    http_timeout: Option<String>,
    /// Attempts of an HTTP request that failed before its first byte (default: 3).
    #[arg(
        long,
        global = true,
        hide = true,
        value_name = "N",
        env = "CHAINWARDEN_HTTP_ATTEMPTS"
    )]
    http_attempts: Option<String>,
    /// The crates.io sparse index the yanked check asks (default: https://index.crates.io/).
    #[arg(
        long,
        global = true,
        hide = true,
        value_name = "URL",
        env = "CHAINWARDEN_CRATES_INDEX_URL",
        hide_env_values = true
    )]
    crates_index_url: Option<String>,
    /// Time limit of the whole yanked check, in seconds (default: 60).
    #[arg(
        long,
        global = true,
        hide = true,
        value_name = "SECONDS",
        env = "CHAINWARDEN_YANKED_TIMEOUT"
    )]
    yanked_timeout: Option<String>,
    /// Time one notification sink may take, retries included, in seconds (default: 120).
    #[arg(
        long,
        global = true,
        hide = true,
        value_name = "SECONDS",
        env = "CHAINWARDEN_NOTIFY_BUDGET"
    )]
    notify_budget: Option<String>,
    /// GitHub's API root for github: sinks (default: https://api.github.com).
    #[arg(
        long,
        global = true,
        hide = true,
        value_name = "URL",
        env = "GITHUB_API_URL",
        hide_env_values = true
    )]
    github_api_url: Option<String>,
    /// The cargo that runs `cargo metadata` (cargo sets CARGO for its subcommands; default:
    /// cargo in PATH).
    #[arg(
        long,
        global = true,
        hide = true,
        value_name = "PATH",
        env = "CARGO",
        hide_env_values = true
    )]
    cargo: Option<OsString>,
    /// The GitHub Actions event of the run (the default trigger).
    #[arg(
        long,
        global = true,
        hide = true,
        value_name = "EVENT",
        env = "GITHUB_EVENT_NAME"
    )]
    github_event_name: Option<String>,
    /// The GitLab CI pipeline source of the run (the default trigger).
    #[arg(
        long,
        global = true,
        hide = true,
        value_name = "SOURCE",
        env = "CI_PIPELINE_SOURCE"
    )]
    ci_pipeline_source: Option<String>,
}

/// A set, non-empty value.
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

/// A set, non-empty path (any bytes: paths need not be UTF-8).
fn given_path(value: &Option<OsString>) -> Option<PathBuf> {
    value.as_ref().filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// A number of seconds in (0, one day].
fn seconds(variable: &str, value: &Option<String>) -> Result<Option<Duration>> {
    let Some(text) = given(value) else {
        return Ok(None);
    };
    match text.trim().parse::<f64>() {
        Ok(s) if s > 0.0 && s <= MAX_SECONDS => Ok(Some(Duration::from_secs_f64(s))),
        _ => Err(Error::usage(format!(
            "{variable}: `{text}` is not a number of seconds greater than 0 and at most {MAX_SECONDS}"
        ))),
    }
}

/// A whole number.
fn number<T: std::str::FromStr>(variable: &str, value: &Option<String>) -> Result<Option<T>> {
    let Some(text) = given(value) else {
        return Ok(None);
    };
    text.trim()
        .parse::<T>()
        .map(Some)
        .map_err(|_| Error::usage(format!("{variable}: `{text}` is not a whole number")))
}

impl EnvArgs {
    /// Where caches live: `CHAINWARDEN_CACHE_DIR`, else chainwarden in the user's cache
    /// directory (`None` when there is neither).
    pub fn cache_root(&self) -> Option<PathBuf> {
        given_path(&self.cache_root).or_else(default_cache_root)
    }

    pub fn net_config(&self) -> Result<NetConfig> {
        Ok(NetConfig::with(
            seconds("CHAINWARDEN_HTTP_TIMEOUT", &self.http_timeout)?,
            number("CHAINWARDEN_HTTP_ATTEMPTS", &self.http_attempts)?,
        ))
    }

    /// The advisory database cache: `cache_dir` and `url` are a command's own flags, which win.
    pub fn cache_options(
        &self,
        cache_dir: Option<PathBuf>,
        url: Option<String>,
    ) -> Result<CacheOptions> {
        CacheOptions::resolve(
            cache_dir.or_else(|| self.cache_root()),
            url.or_else(|| given(&self.advisory_db_url).map(String::from)),
            number("CHAINWARDEN_DB_MAX_BYTES", &self.db_max_bytes)?,
        )
    }

    /// The crates.io index of the yanked check.
    pub fn index_config(&self) -> Result<IndexConfig> {
        let mut config = IndexConfig::new(self.cache_root().as_deref());
        if let Some(url) = given(&self.crates_index_url) {
            config.base_url = url.to_string();
        }
        if let Some(limit) = seconds("CHAINWARDEN_YANKED_TIMEOUT", &self.yanked_timeout)? {
            config.time_limit = limit;
        }
        Ok(config)
    }

    pub fn notify_config(&self) -> Result<NotifyConfig> {
        let (github_token, webhook_secret) = notify_secrets();
        Ok(NotifyConfig {
            net: self.net_config()?,
            budget: seconds("CHAINWARDEN_NOTIFY_BUDGET", &self.notify_budget)?
                .unwrap_or(DEFAULT_BUDGET),
            github_token,
            github_api_url: given(&self.github_api_url).map(String::from),
            webhook_secret,
        })
    }

    /// The cargo to run (`None`: cargo in `PATH`).
    pub fn cargo(&self) -> Option<PathBuf> {
        given_path(&self.cargo)
    }

    /// The CI's event, when the run is in GitHub Actions or GitLab CI.
    pub fn ci_event(&self) -> Option<String> {
        given(&self.github_event_name)
            .or_else(|| given(&self.ci_pipeline_source))
            .map(String::from)
    }
}

/// `GITHUB_TOKEN` and `CHAINWARDEN_WEBHOOK_SECRET`, read here and not by clap: a secret gets no
/// flag, so it cannot be given where `ps` and shell history would keep it. Empty is unset.
fn notify_secrets() -> (Option<String>, Option<String>) {
    let secret = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    (secret("GITHUB_TOKEN"), secret("CHAINWARDEN_WEBHOOK_SECRET"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    #[test]
    fn empty_is_unset_and_garbage_or_huge_seconds_are_refused_not_panicked_on() {
        assert_eq!(seconds("X", &None).unwrap(), None);
        assert_eq!(seconds("X", &text("")).unwrap(), None);
        assert_eq!(
            seconds("X", &text("2.5")).unwrap(),
            Some(Duration::from_millis(2500))
        );
        // `inf` and `1e300` parse as f64; turned into a Duration they used to panic.
        for bad in ["inf", "1e300", "NaN", "0", "-1", "2s", "86401"] {
            let err = seconds("CHAINWARDEN_HTTP_TIMEOUT", &text(bad))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("CHAINWARDEN_HTTP_TIMEOUT") && err.contains(bad),
                "{err}"
            );
        }
        assert_eq!(number::<u32>("X", &text(" 4 ")).unwrap(), Some(4));
        assert!(number::<u64>("CHAINWARDEN_DB_MAX_BYTES", &text("64M"))
            .unwrap_err()
            .to_string()
            .contains("CHAINWARDEN_DB_MAX_BYTES"));
    }
}

#[cfg(test)]
mod command_tests {
    use clap::CommandFactory;

    /// clap's own consistency checks over the whole tree, globals propagated: a hidden global
    /// whose id a subcommand also uses (`cache_dir` of `db update`) panics only when that
    /// subcommand runs, which no `--help` snapshot shows.
    #[test]
    fn the_command_line_is_consistent() {
        crate::cli::Cli::command().debug_assert();
    }

    /// Every hidden setting, given on the command line of every command, parses into its own
    /// field: an id shared with a subcommand's option (`cache_dir` of `db update`, a
    /// `PathBuf` there) panicked at run time as soon as `CHAINWARDEN_CACHE_DIR` was set.
    #[test]
    fn every_setting_parses_under_every_command() {
        use clap::Parser;
        let root = crate::cli::Cli::command();
        let settings: Vec<String> = root
            .get_arguments()
            .filter(|a| a.is_hide_set() && a.get_env().is_some())
            .map(|a| format!("--{}", a.get_long().expect("a hidden setting has a flag")))
            .collect();
        assert!(settings.len() >= 12, "{settings:?}");
        let mut paths: Vec<Vec<&str>> = Vec::new();
        for sub in root.get_subcommands() {
            match sub.get_subcommands().next() {
                None => paths.push(vec![sub.get_name()]),
                Some(_) => {
                    for leaf in sub.get_subcommands() {
                        paths.push(vec![sub.get_name(), leaf.get_name()]);
                    }
                }
            }
        }
        for path in paths {
            // Before the subcommand (as a value from the environment is) and after it.
            for before in [true, false] {
                let mut argv = vec!["chainwarden".to_string()];
                let sub = path.iter().map(|s| s.to_string());
                let flags = settings.iter().flat_map(|f| [f.clone(), "7".into()]);
                match before {
                    true => argv.extend(flags.chain(sub)),
                    false => argv.extend(sub.chain(flags)),
                }
                // Required positionals or flags may be missing: only a panic or a setting
                // the subcommand does not take fails here.
                if let Err(e) = crate::cli::Cli::try_parse_from(&argv) {
                    assert_ne!(
                        e.kind(),
                        clap::error::ErrorKind::UnknownArgument,
                        "{argv:?}: {e}"
                    );
                }
            }
        }
    }
}
