//! `chainwarden verify checksums`: artifacts against a checksum manifest, from a directory or
//! streamed from a release URL; and `chainwarden checksums`, which writes one.
//!
//! Every listed artifact becomes a subject with one of the checks `verify:digest` (ok),
//! `verify:digest-mismatch`, `verify:size-mismatch`, `verify:missing`, `verify:unsafe-name`
//! (failed), or `verify:unreadable` / `verify:download` (could not verify). Files in the
//! directory that the manifest does not list are `verify:unlisted`: failed or a note, as the
//! policy says.

pub mod hash;
pub mod manifest;

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use self::hash::{hash_file, FileDigest, Hasher};
use self::manifest::{Algorithm, Entry};
use super::model::{Check, Code, SubjectResult, Verdict, VerifyCommand, VerifyReport};
use crate::error::{Error, Result};
use crate::fsutil::walk::{Kind, Walk};
use crate::net::Network;

/// Where the artifacts come from.
pub enum Source<'a> {
    Dir(PathBuf),
    Url {
        base: String,
        net: &'a Network,
        /// Keep the downloaded files here.
        keep: Option<PathBuf>,
        max_bytes: u64,
    },
}

pub struct ChecksumOptions<'a> {
    pub source: Source<'a>,
    /// Unlisted files fail the verification (else they are a note).
    pub fail_unlisted: bool,
    /// Show a progress bar (only ever on a terminal).
    pub progress: bool,
    /// RFC 3339 time of the run.
    pub time: String,
    /// Signature, certificate and provenance files next to the artifacts are not "unlisted".
    pub ignore_companions: bool,
}

/// Files that accompany artifacts in a release (signatures, bundles, provenance, manifests).
pub fn is_companion(name: &str) -> bool {
    const SUFFIXES: &[&str] = &[
        ".sigstore.json",
        ".sigstore",
        ".bundle",
        ".intoto.jsonl",
        ".sig",
        ".pem",
        ".asc",
        ".sha256",
        ".sha512",
    ];
    const NAMES: &[&str] = &[
        "SHA256SUMS",
        "SHA512SUMS",
        "checksums.txt",
        "SHA256SUMS.txt",
    ];
    SUFFIXES.iter().any(|s| name.ends_with(s))
        || NAMES
            .iter()
            .any(|n| name == *n || name.starts_with(&format!("{n}.")))
}

/// Verifies every entry of the manifest at `manifest_path`.
pub fn verify(manifest_path: &Path, opts: &ChecksumOptions<'_>) -> Result<VerifyReport> {
    let text = crate::fsutil::read_text(manifest_path, crate::fsutil::InputKind::ChecksumManifest)?;
    let entries = manifest::parse(manifest_path, &text)?;
    // Identical repeated lines are one artifact.
    let mut seen = BTreeSet::new();
    let entries: Vec<Entry> = entries
        .into_iter()
        .filter(|e| seen.insert((e.name.clone(), e.digest.clone())))
        .collect();
    let bar = progress_bar(opts, &entries);
    let subjects: Vec<SubjectResult> = entries
        .par_iter()
        .map(|e| verify_entry(e, opts, &|n| bar.inc(n)))
        .collect();
    bar.finish_and_clear();
    let mut notes = Vec::new();
    let mut subjects = subjects;
    if let Source::Dir(dir) = &opts.source {
        let listed: BTreeSet<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        let mut unlisted = unlisted_files(dir, manifest_path, &listed)?;
        if opts.ignore_companions {
            unlisted.retain(|(n, _)| !is_companion(n));
        }
        if !unlisted.is_empty() {
            if opts.fail_unlisted {
                for (name, kind) in unlisted {
                    let message = match kind {
                        Kind::File => "in the directory but not listed in the manifest".to_string(),
                        _ => format!(
                            "{} in the directory, not listed in the manifest",
                            kind.what()
                        ),
                    };
                    let check = Check::new(Code::Unlisted, Verdict::Failed, message);
                    subjects.push(SubjectResult::new(name, None, vec![check]));
                }
            } else {
                let names: Vec<&str> = unlisted.iter().map(|(n, _)| n.as_str()).collect();
                notes.push(format!(
                    "{} file(s) in the directory are not listed in the manifest (allowed by policy): {}",
                    unlisted.len(),
                    names.join(", ")
                ));
            }
        }
    }
    Ok(VerifyReport::new(
        VerifyCommand::Checksums,
        opts.time.clone(),
        subjects,
        notes,
    ))
}

fn progress_bar(opts: &ChecksumOptions<'_>, entries: &[Entry]) -> indicatif::ProgressBar {
    let Source::Dir(dir) = &opts.source else {
        return indicatif::ProgressBar::hidden();
    };
    if !opts.progress || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let total: u64 = entries
        .iter()
        .filter_map(|e| std::fs::metadata(dir.join(&e.name)).ok())
        .map(|m| m.len())
        .sum();
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {eta}",
    ) {
        bar.set_style(style);
    }
    bar
}

fn verify_entry(e: &Entry, opts: &ChecksumOptions<'_>, progress: &dyn Fn(u64)) -> SubjectResult {
    let line = format!("line {}", e.line);
    if let Some(reason) = &e.unsafe_reason {
        let check = Check::new(
            Code::UnsafeName,
            Verdict::Failed,
            format!("refused unsafe name ({line}): {reason}"),
        )
        .detail("line", e.line.to_string());
        return SubjectResult::new(e.name.clone(), None, vec![check]);
    }
    let result = match &opts.source {
        Source::Dir(dir) => hash_local(dir, e, progress),
        Source::Url {
            base,
            net,
            keep,
            max_bytes,
        } => hash_remote(base, net, keep.as_deref(), *max_bytes, e),
    };
    let actual = match result {
        Ok(d) => d,
        Err(check) => {
            return SubjectResult::new(
                e.name.clone(),
                None,
                vec![check.detail("line", e.line.to_string())],
            )
        }
    };
    let digest = Some(format!("{}:{}", e.algorithm.as_str(), actual.hex));
    let mut checks = Vec::new();
    if actual.hex == e.digest {
        checks.push(Check::new(
            Code::Digest,
            Verdict::Verified,
            format!("{} matches", e.algorithm.as_str()),
        ));
    } else {
        checks.push(
            Check::new(
                Code::DigestMismatch,
                Verdict::Failed,
                format!(
                    "{} digest does not match the manifest ({line})",
                    e.algorithm.as_str()
                ),
            )
            .detail("expected", e.digest.clone())
            .detail("actual", actual.hex.clone())
            .detail("line", e.line.to_string()),
        );
    }
    if let Some(size) = e.size {
        if size != actual.size {
            checks.push(
                Check::new(
                    Code::SizeMismatch,
                    Verdict::Failed,
                    format!("size {} bytes, manifest says {size}", actual.size),
                )
                .detail("expected", size.to_string())
                .detail("actual", actual.size.to_string()),
            );
        }
    }
    SubjectResult::new(e.name.clone(), digest, checks)
}

fn hash_local(
    dir: &Path,
    e: &Entry,
    progress: &dyn Fn(u64),
) -> std::result::Result<FileDigest, Check> {
    let path = dir.join(&e.name);
    let meta = match std::fs::symlink_metadata(&path) {
        Ok(m) => m,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(Check::new(
                Code::Missing,
                Verdict::Failed,
                "listed in the manifest but missing",
            ));
        }
        Err(err) => {
            return Err(Check::new(
                Code::Unreadable,
                Verdict::Unverifiable,
                format!("cannot read: {err}"),
            ))
        }
    };
    // A link (or a parent link) must not lead out of the directory.
    if meta.file_type().is_symlink() || e.name.contains('/') {
        let root = dir
            .canonicalize()
            .map_err(|err| Check::new(Code::Unreadable, Verdict::Unverifiable, err.to_string()))?;
        match path.canonicalize() {
            Ok(target) if target.starts_with(&root) => {}
            Ok(_) => {
                return Err(Check::new(
                    Code::UnsafeName,
                    Verdict::Failed,
                    "refused: a symbolic link leads out of the directory",
                ));
            }
            Err(_) => {
                return Err(Check::new(
                    Code::Missing,
                    Verdict::Failed,
                    "listed in the manifest but its link is dangling",
                ))
            }
        }
    }
    if std::fs::metadata(&path)
        .map(|m| !m.is_file())
        .unwrap_or(false)
    {
        return Err(Check::new(
            Code::Unreadable,
            Verdict::Unverifiable,
            "not a regular file",
        ));
    }
    hash_file(&path, e.algorithm, progress).map_err(|err| {
        Check::new(
            Code::Unreadable,
            Verdict::Unverifiable,
            format!("cannot read: {err}"),
        )
    })
}

fn hash_remote(
    base: &str,
    net: &Network,
    keep: Option<&Path>,
    max_bytes: u64,
    e: &Entry,
) -> std::result::Result<FileDigest, Check> {
    let url = artifact_url(base, &e.name);
    let mut hasher = Hasher::new(e.algorithm);
    let mut kept = match keep {
        Some(dir) => Some(
            tempfile::Builder::new()
                .prefix(".chainwarden-")
                .tempfile_in(dir)
                .map_err(|err| {
                    Check::new(
                        Code::Download,
                        Verdict::Unverifiable,
                        format!("cannot write in {}: {err}", dir.display()),
                    )
                })?,
        ),
        None => None,
    };
    let fetched = net.stream(&url, max_bytes, &mut |chunk| {
        hasher.update(chunk);
        match kept.as_mut() {
            Some(f) => std::io::Write::write_all(f, chunk),
            None => Ok(()),
        }
    });
    let fetched = fetched.map_err(|err| {
        Check::new(
            Code::Download,
            Verdict::Unverifiable,
            format!("could not download: {err}"),
        )
    })?;
    let digest = FileDigest {
        hex: hasher.finish(),
        size: fetched.bytes,
    };
    if let (Some(file), Some(dir)) = (kept, keep) {
        // Only a verified artifact is kept under its name.
        if digest.hex == e.digest {
            let dest = dir.join(&e.name);
            if let Some(parent) = dest.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            file.persist(&dest).map_err(|err| {
                Check::new(
                    Code::Download,
                    Verdict::Unverifiable,
                    format!("cannot keep {}: {}", dest.display(), err.error),
                )
            })?;
        }
    }
    Ok(digest)
}

/// `base/name`, with each path segment percent-encoded.
fn artifact_url(base: &str, name: &str) -> String {
    let mut url = base.trim_end_matches('/').to_string();
    for segment in name.split('/') {
        url.push('/');
        for b in segment.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~+".contains(&b) {
                url.push(b as char);
            } else {
                url.push_str(&format!("%{b:02X}"));
            }
        }
    }
    url
}

/// Entries under `dir` (relative, `/`-separated) that the manifest does not list: regular
/// files, and FIFOs, sockets and devices (never opened; in a release directory they are as
/// unexpected as an unlisted file), with what each is. Links are not followed and not listed
/// here: a listed link is checked where it leads when its entry is hashed.
fn unlisted_files(
    dir: &Path,
    manifest: &Path,
    listed: &BTreeSet<&str>,
) -> Result<Vec<(String, Kind)>> {
    let manifest = manifest.canonicalize().ok();
    let mut out = Vec::new();
    for entry in Walk::new(dir).entries()? {
        if !(entry.kind == Kind::File || entry.kind.is_special())
            || listed.contains(entry.rel.as_str())
            || manifest.as_deref() == dir.join(&entry.rel).canonicalize().ok().as_deref()
        {
            continue;
        }
        out.push((entry.rel, entry.kind));
    }
    Ok(out)
}

/// Writes a manifest of every file under `dir`: GNU coreutils format (names that need it are
/// escaped as coreutils does), or JSON.
pub fn write_manifest(
    dir: &Path,
    algorithm: Algorithm,
    json: bool,
    exclude: Option<&Path>,
) -> Result<String> {
    let exclude = exclude.and_then(|p| p.canonicalize().ok());
    // A manifest that silently left out a FIFO would describe a directory it did not.
    let files: Vec<String> = Walk::new(dir)
        .files_refusing_special()?
        .into_iter()
        .filter(|rel| exclude.is_none() || dir.join(rel).canonicalize().ok() != exclude)
        .collect();
    let progress = crate::progress::Progress::items("hashing", files.len() as u64);
    let digests: Vec<Result<FileDigest>> = files
        .par_iter()
        .map(|rel| {
            progress.inc(1);
            hash_file(&dir.join(rel), algorithm, &|_| {}).map_err(|e| Error::io(dir.join(rel), e))
        })
        .collect();
    let mut out = String::new();
    if json {
        let artifacts: Vec<serde_json::Value> = files
            .iter()
            .zip(digests)
            .map(|(name, d)| {
                d.map(|d| serde_json::json!({"name": name, "sha256": d.hex, "size": d.size}))
            })
            .collect::<Result<_>>()?;
        return Ok(crate::json::document(
            &serde_json::json!({ "artifacts": artifacts }),
        ));
    }
    for (name, d) in files.iter().zip(digests) {
        let d = d?;
        if name.contains(['\\', '\n', '\r']) {
            let escaped = name
                .replace('\\', "\\\\")
                .replace('\n', "\\n")
                .replace('\r', "\\r");
            out.push_str(&format!("\\{}  {escaped}\n", d.hex));
        } else {
            out.push_str(&format!("{}  {name}\n", d.hex));
        }
    }
    Ok(out)
}
