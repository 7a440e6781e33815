//! `chainwarden verify bundle ARTIFACT --bundle FILE (--certificate-identity ID |
//! --certificate-identity-regexp RE) --certificate-oidc-issuer ISSUER [--trusted-root FILE]`
//! or `... --key PUBLIC_KEY`.

use std::path::PathBuf;

use crate::cli::GlobalArgs;
use chainwarden::clock::format_rfc3339;
use chainwarden::error::{Error, Result};
use chainwarden::exit::Outcome;
use chainwarden::verify::model::VerifyReport;
use chainwarden::verify::sigstore::identity::{Identity, KeylessSigner};
use chainwarden::verify::sigstore::{self, ArtifactInput, BundleRequest, Signer};

#[derive(Debug, clap::Args)]
pub struct BundleArgs {
    /// The artifact: a file, or sha256:HEX.
    pub artifact: String,
    /// The Sigstore bundle (v0.1, v0.2, v0.3).
    #[arg(long, value_name = "FILE")]
    pub bundle: PathBuf,
    /// The signer's certificate identity (SAN), matched exactly.
    #[arg(long, value_name = "ID", conflicts_with_all = ["certificate_identity_regexp", "key"])]
    pub certificate_identity: Option<String>,
    /// A regular expression the whole identity must match (anchored).
    #[arg(long, value_name = "RE", conflicts_with = "key")]
    pub certificate_identity_regexp: Option<String>,
    /// The OIDC issuer recorded in the certificate, matched exactly.
    #[arg(long, value_name = "ISSUER", conflicts_with = "key")]
    pub certificate_oidc_issuer: Option<String>,
    /// Verify a managed-key bundle with this PEM public key instead of a certificate.
    #[arg(long, value_name = "PUBLIC_KEY")]
    pub key: Option<PathBuf>,
    /// Trusted root JSON (default: the built-in Sigstore public-good root).
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// UNSAFE: accept a bundle that has no transparency-log entry.
    #[arg(long)]
    pub insecure_skip_tlog: bool,
    #[command(flatten)]
    pub report: super::OutputArgs,
}

/// The signer policy from the flags.
pub fn signer(
    identity: Option<&str>,
    identity_regexp: Option<&str>,
    issuer: Option<&str>,
    key: Option<&PathBuf>,
) -> Result<Signer> {
    if let Some(key) = key {
        return Ok(Signer::Key(key.clone()));
    }
    let identity = match (identity, identity_regexp) {
        (Some(id), None) => Identity::Exact(id.to_string()),
        (None, Some(re)) => Identity::regexp(re).map_err(|e| Error::usage(format!("--certificate-identity-regexp: {e}")).caused_by(e))?,
        _ => {
            return Err(Error::usage(
                "give --certificate-identity or --certificate-identity-regexp, with --certificate-oidc-issuer (or --key)".into(),
            ))
        }
    };
    let issuer = issuer.ok_or_else(|| {
        Error::usage("--certificate-oidc-issuer is required with a certificate identity".into())
    })?;
    Ok(Signer::Keyless(KeylessSigner {
        identity,
        issuer: issuer.to_string(),
    }))
}

pub fn run(args: BundleArgs, global: &GlobalArgs) -> Result<Outcome> {
    let clock = global.clock()?;
    let artifact = ArtifactInput::parse(&args.artifact)?;
    let signer = signer(
        args.certificate_identity.as_deref(),
        args.certificate_identity_regexp.as_deref(),
        args.certificate_oidc_issuer.as_deref(),
        args.key.as_ref(),
    )?;
    let subject = sigstore::verify_bundle(&BundleRequest {
        artifact: &artifact,
        bundle: &args.bundle,
        signer: &signer,
        trusted_root: args.trusted_root.as_deref(),
        insecure_skip_tlog: args.insecure_skip_tlog,
    })?;
    let mut notes = Vec::new();
    if args.insecure_skip_tlog {
        notes.push("--insecure-skip-tlog: the transparency log was NOT checked; this verification proves much less".into());
    }
    let report = VerifyReport::new(
        chainwarden::verify::model::VerifyCommand::Bundle,
        format_rfc3339(clock.now()),
        vec![subject],
        notes,
    );
    super::finish(&report, &args.report, global, &global.policy()?)
}
