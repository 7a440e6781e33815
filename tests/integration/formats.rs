//! Every output format of `verify` as a snapshot on fixed inputs (a fixed `--now`, paths
//! relative to the data or the test's directory), as `audit.rs` snapshots the audit's four:
//! a format change shows in review as a diff of its documents, never by accident.
//!
//! Checksums cover every verdict a renderer draws (verified, failed, unverifiable, a note)
//! and a name that Markdown would read as a column; provenance covers a verified subject
//! with details and a failed one, on real SLSA provenance.

use std::path::Path;

use crate::common::{cw, data_dir, stable_paths, text};

const NOW: &str = "2026-11-25T12:00:00Z";
const FORMATS: [&str; 3] = ["human", "json", "markdown"];

/// `chainwarden verify ARGS --format FORMAT --now NOW` in `dir`: (exit code, stdout).
fn verify(dir: &Path, args: &[&str], format: &str) -> (i32, String) {
    let out = cw()
        .arg("verify")
        .args(args)
        .args(["--format", format, "--now", NOW])
        .current_dir(dir)
        .output()
        .unwrap();
    (out.status.code().unwrap(), text(&out.stdout))
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A release whose manifest lists a good file, a file with a `|` in its name, a tampered
/// file, a missing file and a directory; an unlisted file sits beside them.
fn release(dir: &Path) {
    let good = b"release bytes\n";
    std::fs::write(dir.join("app-1.0.tar.gz"), good).unwrap();
    std::fs::write(dir.join("a|b.txt"), good).unwrap();
    std::fs::write(dir.join("tampered.bin"), b"changed after signing\n").unwrap();
    std::fs::create_dir(dir.join("docs")).unwrap();
    std::fs::write(dir.join("extra.txt"), b"not in the manifest\n").unwrap();
    let digest = sha256(good);
    let manifest = format!(
        "{digest}  app-1.0.tar.gz\n{digest}  a|b.txt\n{digest}  tampered.bin\n{digest}  missing.txt\n{digest}  docs\n"
    );
    std::fs::write(dir.join("SHA256SUMS"), manifest).unwrap();
}

#[test]
fn verify_checksums_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    release(tmp.path());
    for format in FORMATS {
        let (code, out) = verify(
            tmp.path(),
            &["checksums", "SHA256SUMS", "--unlisted", "warn", "--quiet"],
            format,
        );
        assert_eq!(code, 1, "{out}");
        insta::assert_snapshot!(format!("verify_checksums_{format}"), out);
    }
}

#[test]
fn verify_provenance_in_every_format() {
    let Some(data) = data_dir() else {
        return;
    };
    let dir = "provenance/gha_generic-v2.1.0";
    let artifact = format!("{dir}/binary-linux-amd64-push-v14.2");
    let provenance = format!("{artifact}.intoto.jsonl");
    for (case, source, expected) in [
        ("verified", "github.com/slsa-framework/example-package", 0),
        ("failed", "github.com/slsa-framework/another-package", 1),
    ] {
        for format in FORMATS {
            let (code, out) = verify(
                &data,
                &[
                    "provenance",
                    "--source-uri",
                    source,
                    "--provenance",
                    &provenance,
                    &artifact,
                ],
                format,
            );
            assert_eq!(code, expected, "{out}");
            insta::assert_snapshot!(
                format!("verify_provenance_{case}_{format}"),
                stable_paths(&out, &data)
            );
        }
    }
}
