//! `[commits]`: the keys whose commit signatures `chainwarden verify commits` trusts.

use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;

use super::Problems;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommitsPolicy {
    /// SSH allowed-signers lines (`principal key-type base64-key`), as git's
    /// `gpg.ssh.allowedSignersFile` takes them.
    pub ssh_allowed_signers: Vec<String>,
    /// An allowed-signers file, added to the lines above.
    pub ssh_allowed_signers_file: Option<PathBuf>,
    /// Trusted GPG key fingerprints (40 hex digits, upper case).
    pub gpg_fingerprints: Vec<String>,
    /// Armored public keys to verify GPG signatures with (else the ambient keyring).
    pub gpg_public_keys: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCommits {
    #[serde(default)]
    ssh_allowed_signers: Vec<Spanned<String>>,
    ssh_allowed_signers_file: Option<String>,
    #[serde(default)]
    gpg_fingerprints: Vec<Spanned<String>>,
    gpg_public_keys: Option<String>,
}

impl RawCommits {
    pub(super) fn validate(self, problems: &mut Problems<'_>) -> CommitsPolicy {
        let mut ssh = Vec::new();
        for (i, line) in self.ssh_allowed_signers.into_iter().enumerate() {
            let fields: Vec<&str> = line.get_ref().split_whitespace().collect();
            if fields.len() >= 3
                && fields.iter().any(|f| {
                    f.starts_with("ssh-") || f.starts_with("ecdsa-") || f.starts_with("sk-")
                })
            {
                ssh.push(line.into_inner());
            } else {
                problems.at(line.span(), format!("commits.ssh_allowed_signers[{i}]: expected `principal key-type base64-key`"));
            }
        }
        let mut gpg = Vec::new();
        for (i, f) in self.gpg_fingerprints.into_iter().enumerate() {
            let compact: String = f.get_ref().chars().filter(|c| !c.is_whitespace()).collect();
            if compact.len() == 40 && compact.bytes().all(|b| b.is_ascii_hexdigit()) {
                gpg.push(compact.to_ascii_uppercase());
            } else {
                problems.at(
                    f.span(),
                    format!(
                        "commits.gpg_fingerprints[{i}]: `{}` is not a 40-hex-digit fingerprint",
                        f.get_ref()
                    ),
                );
            }
        }
        CommitsPolicy {
            ssh_allowed_signers: ssh,
            ssh_allowed_signers_file: self.ssh_allowed_signers_file.map(PathBuf::from),
            gpg_fingerprints: gpg,
            gpg_public_keys: self.gpg_public_keys.map(PathBuf::from),
        }
    }
}
