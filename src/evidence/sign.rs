//! SSH signatures (the format `ssh-keygen -Y sign` writes) over evidence export lines and
//! reports, made and checked by the stock OpenSSH `ssh-keygen`, so an auditor checks them with
//! the same tool and the same allowed-signers file. (`ssh-keygen` rather than an SSH crate:
//! it reads every key type and agent-held keys, and "verified" then means exactly what
//! OpenSSH says.)

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{Error, Result};

/// Namespace of evidence export lines.
pub const EVIDENCE_NAMESPACE: &str = "chainwarden-evidence";
/// Namespace of report signatures.
pub const REPORT_NAMESPACE: &str = "chainwarden-report";

fn run(mut cmd: Command, input: &[u8]) -> std::io::Result<std::process::Output> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().expect("piped");
    // Small inputs (a line, a report); written before reading the output.
    let written = stdin.write_all(input);
    drop(stdin);
    let out = child.wait_with_output()?;
    written.map(|_| out)
}

fn ssh_keygen() -> Command {
    let mut c = Command::new("ssh-keygen");
    c.env_remove("SSH_ASKPASS");
    c
}

/// Signs `message` with the SSH private key at `key` (or the agent key matching a public
/// key file); returns the armored signature.
pub fn sign(key: &Path, namespace: &str, message: &[u8]) -> Result<String> {
    if !key.is_file() {
        return Err(Error::usage(format!(
            "--sign-key {}: no such key file",
            key.display()
        )));
    }
    let mut cmd = ssh_keygen();
    cmd.args(["-q", "-Y", "sign", "-n", namespace, "-f"])
        .arg(key);
    let out = run(cmd, message).map_err(|e| {
        Error::evidence(format!("cannot run ssh-keygen (OpenSSH) to sign: {e}")).caused_by(e)
    })?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() || !text.starts_with("-----BEGIN SSH SIGNATURE-----") {
        return Err(Error::evidence(format!(
            "ssh-keygen could not sign with {}: {}",
            key.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(text)
}

/// An allowed-signers file (the OpenSSH format), checked against signatures.
pub struct TrustedSigners {
    file: PathBuf,
    scratch: tempfile::TempDir,
}

impl TrustedSigners {
    pub fn load(file: &Path) -> Result<TrustedSigners> {
        // Read through our bounded reader: a FIFO or a huge file is refused here.
        let text = crate::fsutil::read_text(file, crate::fsutil::InputKind::Keys)?;
        if !text
            .lines()
            .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        {
            return Err(Error::input(file, "no signer in this allowed-signers file"));
        }
        let scratch = tempfile::tempdir().map_err(|e| Error::io("<tempdir>", e))?;
        Ok(TrustedSigners {
            file: file.to_path_buf(),
            scratch,
        })
    }

    /// The principal whose key made `signature` over `message`, or why not.
    pub fn verify(
        &self,
        namespace: &str,
        message: &[u8],
        signature: &str,
    ) -> std::result::Result<String, String> {
        if !signature.starts_with("-----BEGIN SSH SIGNATURE-----") || signature.len() > 16_384 {
            return Err("the signature is not an SSH signature".into());
        }
        let sig = self.scratch.path().join("sig");
        std::fs::write(&sig, signature).map_err(|e| e.to_string())?;
        let mut find = ssh_keygen();
        find.args(["-Y", "find-principals", "-f"])
            .arg(&self.file)
            .arg("-s")
            .arg(&sig);
        let out = run(find, b"").map_err(|e| format!("cannot run ssh-keygen: {e}"))?;
        let principals = String::from_utf8_lossy(&out.stdout).into_owned();
        let Some(principal) = principals.lines().next().filter(|_| out.status.success()) else {
            return Err("signed by a key that is not in the trusted signers".into());
        };
        let mut verify = ssh_keygen();
        verify
            .args(["-Y", "verify", "-n", namespace, "-I", principal, "-f"])
            .arg(&self.file)
            .arg("-s")
            .arg(&sig);
        let out = run(verify, message).map_err(|e| format!("cannot run ssh-keygen: {e}"))?;
        if out.status.success() {
            Ok(principal.to_string())
        } else {
            Err(format!(
                "the signature does not verify ({})",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }
}
