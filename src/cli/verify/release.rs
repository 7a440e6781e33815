//! `chainwarden verify release DIR --policy FILE [--tag TAG [--repo DIR] | --lockfile FILE]`.

use std::path::PathBuf;

use crate::cli::{resolve_scope, GlobalArgs};
use chainwarden::advisories::index::index_dir;
use chainwarden::advisories::{meta, AdvisoryDb};
use chainwarden::audit::{self, AuditRequest, GraphSource};
use chainwarden::clock::format_rfc3339;
use chainwarden::error::{Error, Result};
use chainwarden::exit::Outcome;
use chainwarden::inventory::{Lockfile, ProjectPaths};
use chainwarden::net::Network;
use chainwarden::policy::ReleasePolicy;
use chainwarden::verify::auditable::{lockfile_at_tag, AuditableRequest};
use chainwarden::verify::release::verify_release;

#[derive(Debug, clap::Args)]
pub struct ReleaseArgs {
    /// The release directory (artifacts, the checksum manifest, bundles, provenance).
    pub dir: PathBuf,
    #[command(flatten)]
    pub report: super::OutputArgs,
    /// With release.require_auditable: the release's Cargo.lock is the one at this tag
    /// (refs/tags/TAG) of --repo.
    #[arg(long, value_name = "TAG", conflicts_with = "lockfile")]
    pub tag: Option<String>,
    /// The git repository holding --tag (default: the current directory).
    #[arg(long, value_name = "DIR", requires = "tag")]
    pub repo: Option<PathBuf>,
    /// With release.require_auditable: the release's Cargo.lock.
    #[arg(long, value_name = "FILE")]
    pub lockfile: Option<PathBuf>,
    /// With release.require_auditable: audit the embedded dependency lists with this advisory
    /// database instead of the cache.
    #[arg(long, value_name = "DIR")]
    pub db: Option<PathBuf>,
    /// Never touch the network (the cached database is used as it is).
    #[arg(long)]
    pub offline: bool,
}

pub fn run(args: ReleaseArgs, global: &GlobalArgs) -> Result<Outcome> {
    let clock = global.clock()?;
    let policy = global.policy()?;
    let time = format_rfc3339(clock.now());
    let report = match release_lockfile(&args, &policy.release)? {
        None => verify_release(&args.dir, &policy.release, &policy.checksums, time, None)?,
        Some((lockfile, origin)) => {
            let (db_dir, _) = match &args.db {
                Some(dir) => (dir.clone(), Vec::new()),
                None => {
                    let network = (!args.offline)
                        .then(|| global.env.net_config().and_then(Network::new))
                        .transpose()?;
                    crate::cli::audit::default_database(global, network.as_ref(), &clock)?
                }
            };
            let index = global.env.cache_root().map(|root| index_dir(&root));
            let mut db = AdvisoryDb::open(&db_dir, index.as_deref())?;
            let db_meta = meta::metadata(&db_dir);
            let scope = resolve_scope(global, &policy)?;
            let mut audit = |lock: Lockfile, target: Option<String>| {
                audit::audit_lockfile(
                    AuditRequest {
                        project: ProjectPaths {
                            lockfile: lock.path.clone(),
                            manifest: None,
                        },
                        policy: &policy.audit,
                        db: &mut db,
                        db_meta: db_meta.clone(),
                        clock,
                        scope: scope.clone(),
                        target,
                        exclude_dev: false,
                        graph: GraphSource::LockfileOnly,
                        yanked: Err("not checked by verify release".into()),
                    },
                    lock,
                )
            };
            let mut req = AuditableRequest {
                lockfile,
                origin,
                audit: &mut audit,
            };
            verify_release(
                &args.dir,
                &policy.release,
                &policy.checksums,
                time,
                Some(&mut req),
            )?
        }
    };
    super::finish(&report, &args.report, global, &policy)
}

/// The release's `Cargo.lock` and where it came from, when the policy requires auditable
/// binaries; `--tag`/`--lockfile` without that requirement are refused (they would check
/// nothing).
fn release_lockfile(
    args: &ReleaseArgs,
    release: &ReleasePolicy,
) -> Result<Option<(Lockfile, String)>> {
    if !release.require_auditable {
        if args.tag.is_some() || args.lockfile.is_some() {
            return Err(Error::usage(
                "--tag/--lockfile are for release.require_auditable = true, which the policy does not set".into(),
            ));
        }
        return Ok(None);
    }
    match (&args.lockfile, &args.tag) {
        (Some(path), _) => Ok(Some((
            Lockfile::load(path)?,
            format!("the lockfile {}", path.display()),
        ))),
        (None, Some(tag)) => {
            let repo = args.repo.clone().unwrap_or_else(|| PathBuf::from("."));
            lockfile_at_tag(&repo, tag).map(Some)
        }
        (None, None) => Err(Error::usage(
            "release.require_auditable needs the release's Cargo.lock: --tag TAG [--repo DIR] or --lockfile FILE".into(),
        )),
    }
}
