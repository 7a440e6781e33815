//! Hostile inputs: every input kind given as a FIFO with no writer, as `/dev/zero`, as a
//! 100 MB file, as a directory, as a dangling symlink or a symlink loop; git ranges that look
//! like options or resolve to nothing; lockfiles with names built to escape paths or drive the
//! terminal; policies with many problems; inputs built to make line numbering quadratic.
//!
//! Every run has a watchdog: a child still running after [`WATCHDOG`] is killed and the test
//! fails (a FIFO read would block forever). No test asserts a duration.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::{cw, data, mkfifo, text};

/// Generous: the slowest case here takes well under a second when nothing blocks.
const WATCHDOG: Duration = Duration::from_secs(20);

/// Runs chainwarden with the watchdog; (exit code, stdout, stderr).
pub fn run<I, S>(args: I) -> (i32, String, String)
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = cw().args(args).timeout(WATCHDOG).output().unwrap();
    let stderr = text(&out.stderr);
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("killed (watchdog after {WATCHDOG:?}: a hang?): {stderr}"));
    (code, text(&out.stdout), stderr)
}

/// Asserts exit 2 and that stderr holds every needle.
pub fn refused<I, S>(args: I, needles: &[&str]) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let (code, stdout, stderr) = run(args);
    assert_eq!(code, 2, "stdout: {stdout}\nstderr: {stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "missing {needle:?} in: {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// The hostile forms of one input, each at `dir/name`: (form, path, expected message).
fn hostile_forms(dir: &Path, name: &str, limit: &str) -> Vec<(&'static str, PathBuf, String)> {
    let sub = |form: &str| {
        let d = dir.join(form);
        std::fs::create_dir_all(&d).unwrap();
        d.join(name)
    };
    let fifo = sub("fifo");
    mkfifo(&fifo);
    let zero = sub("zero");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let big = sub("big");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(100 * 1024 * 1024)
        .unwrap();
    let directory = sub("directory");
    std::fs::create_dir(&directory).unwrap();
    let dangling = sub("dangling");
    std::os::unix::fs::symlink(dir.join("nowhere"), &dangling).unwrap();
    let looped = sub("loop");
    let other = looped.with_extension("other");
    std::os::unix::fs::symlink(&other, &looped).unwrap();
    std::os::unix::fs::symlink(&looped, &other).unwrap();
    vec![
        (
            "fifo",
            fifo,
            "is not a regular file (a FIFO): refused".into(),
        ),
        (
            "dev-zero",
            zero,
            "is not a regular file (a device): refused".into(),
        ),
        ("100MB", big, format!("larger than the {limit}: refused")),
        ("directory", directory, "is a directory".into()),
        ("dangling", dangling, "is a dangling symbolic link".into()),
        ("loop", looped, "is a symbolic link loop".into()),
    ]
}

/// Runs `args(path)` for every hostile form of an input and checks each is refused by name.
fn every_form_refused(name: &str, limit: &str, args: impl Fn(&Path) -> Vec<std::ffi::OsString>) {
    let tmp = tempfile::tempdir().unwrap();
    for (form, path, message) in hostile_forms(tmp.path(), name, limit) {
        // A directory given for a lockfile is a project directory: it says it has no
        // Cargo.lock (tested in `lockfile_in_a_directory_*`).
        let message = if name == "Cargo.lock" && form == "directory" {
            "no Cargo.lock here".to_string()
        } else {
            message
        };
        let (code, stdout, stderr) = run(args(&path));
        assert_eq!(code, 2, "{name} as {form}: {stdout}{stderr}");
        assert!(
            stderr.contains(&path.display().to_string()) && stderr.contains(&message),
            "{name} as {form}: expected the path and {message:?} in: {stderr}"
        );
    }
}

fn os(args: &[&str]) -> Vec<std::ffi::OsString> {
    args.iter().map(Into::into).collect()
}

#[test]
fn lockfile_forms_are_refused() {
    let Some(db) = data("advisory-db") else {
        return;
    };
    every_form_refused("Cargo.lock", "32 MiB limit for lockfiles", |p| {
        let mut a = os(&["audit", "--offline", "--lockfile-only", "--db"]);
        a.extend([db.clone().into_os_string(), p.into()]);
        a
    });
}

#[test]
fn lockfile_in_a_directory_as_a_link_to_dev_zero_is_refused() {
    let Some(db) = data("advisory-db") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/dev/zero", tmp.path().join("Cargo.lock")).unwrap();
    let mut args = os(&["audit", "--offline", "--lockfile-only", "--db"]);
    args.extend([db.into_os_string(), tmp.path().into()]);
    refused(args, &["Cargo.lock: is not a regular file (a device)"]);
}

#[test]
fn dangling_and_looping_lockfile_in_a_directory_say_so() {
    let Some(db) = data("advisory-db") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dangling = tmp.path().join("dangling");
    std::fs::create_dir(&dangling).unwrap();
    std::os::unix::fs::symlink("../gone.lock", dangling.join("Cargo.lock")).unwrap();
    let looped = tmp.path().join("loop");
    std::fs::create_dir(&looped).unwrap();
    std::os::unix::fs::symlink("Cargo.lock", looped.join("Cargo.lock")).unwrap();
    for (dir, message) in [
        (&dangling, "is a dangling symbolic link (to ../gone.lock)"),
        (&looped, "is a symbolic link loop"),
    ] {
        let mut args = os(&["audit", "--offline", "--lockfile-only", "--db"]);
        args.extend([db.clone().into_os_string(), dir.into()]);
        let stderr = refused(args, &[message]);
        assert!(!stderr.contains("no Cargo.lock here"), "{stderr}");
    }
}

#[test]
fn policy_forms_are_refused() {
    every_form_refused("policy.toml", "4 MiB limit for policy files", |p| {
        let mut a = os(&["verify", "checksums", "--policy"]);
        a.extend([p.into(), "/nonexistent/SHA256SUMS".into()]);
        a
    });
}

#[test]
fn checksum_manifest_forms_are_refused() {
    every_form_refused("SHA256SUMS", "64 MiB limit for checksum manifests", |p| {
        let mut a = os(&["verify", "checksums"]);
        a.push(p.into());
        a
    });
}

#[test]
fn cargo_metadata_forms_are_refused() {
    let (Some(db), Some(lock)) = (data("advisory-db"), data("lockfiles/real-ripgrep")) else {
        return;
    };
    every_form_refused(
        "metadata.json",
        "64 MiB limit for cargo metadata files",
        |p| {
            let mut a = os(&["audit", "--offline", "--db"]);
            a.extend([db.clone().into_os_string(), "--metadata".into(), p.into()]);
            a.push(lock.clone().into());
            a
        },
    );
}

crate::on_both_backends!(evidence_import_forms_are_refused);

fn evidence_import_forms_are_refused(backend: crate::common::Backend) {
    let tmp = tempfile::tempdir().unwrap();
    let Some(store) = crate::common::evidence_store(backend, tmp.path()) else {
        return;
    };
    every_form_refused("runs.jsonl", "64 MiB limit for evidence files", |p| {
        let mut a = os(&["evidence", "import", "--allow-unsigned"]);
        a.extend([p.into(), "--evidence".into(), store.clone().into()]);
        a
    });
}

#[test]
fn sigstore_bundle_forms_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let artifact = tmp.path().join("a.txt");
    std::fs::write(&artifact, "hello").unwrap();
    every_form_refused(
        "a.sigstore.json",
        "16 MiB limit for Sigstore bundles",
        |p| {
            let mut a = os(&["verify", "bundle"]);
            a.extend([artifact.clone().into(), "--bundle".into(), p.into()]);
            a.extend(os(&[
                "--certificate-identity",
                "x@example.org",
                "--certificate-oidc-issuer",
                "https://issuer.example.org",
            ]));
            a
        },
    );
}

#[test]
fn provenance_forms_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let artifact = tmp.path().join("a.bin");
    std::fs::write(&artifact, "hello").unwrap();
    every_form_refused("a.intoto.jsonl", "16 MiB limit for provenance files", |p| {
        let mut a = os(&["verify", "provenance", "--source-uri", "github.com/o/r"]);
        a.extend(["--provenance".into(), p.into(), artifact.clone().into()]);
        a
    });
}

mod git;
mod lockfile;
mod policy;
mod provenance;
mod walk;
