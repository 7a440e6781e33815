//! `--output` never destroys what the path is (issue 16): a character device or FIFO is
//! written through, `-` and `/dev/stdout` are standard output, a directory, socket or block
//! device is refused, a regular file is replaced atomically keeping its mode, owner and
//! group, and a new file follows the umask.

use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{cw, skip, text};

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A release folder to run `checksums DIR --output PATH` on (needs no shared data).
fn release() -> tempfile::TempDir {
    let rel = tempfile::tempdir().unwrap();
    std::fs::write(rel.path().join("app.tar.gz"), b"bytes of the app").unwrap();
    std::fs::write(rel.path().join("app.sig"), b"a signature").unwrap();
    rel
}

fn manifest(rel: &Path) -> String {
    let out = cw().arg("checksums").arg(rel).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout)
}

fn checksums_to(rel: &Path, dest: &Path) -> std::process::Output {
    cw().arg("checksums")
        .arg(rel)
        .arg("--output")
        .arg(dest)
        .output()
        .unwrap()
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{cmd:?}: {}", text(&out.stderr));
}

#[test]
fn a_character_device_is_written_through_not_replaced() {
    if !is_root() {
        return skip("making a device node needs root");
    }
    let rel = release();
    let dir = tempfile::tempdir().unwrap();
    let null = dir.path().join("fakenull");
    run(Command::new("mknod")
        .args(["-m", "666"])
        .arg(&null)
        .args(["c", "1", "3"]));
    let out = checksums_to(rel.path(), &null);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let meta = std::fs::symlink_metadata(&null).unwrap();
    assert!(meta.file_type().is_char_device(), "{meta:?}");
    assert_eq!(meta.permissions().mode() & 0o777, 0o666);
    assert_eq!(meta.rdev(), std::fs::metadata("/dev/null").unwrap().rdev());
    // No temporary file left beside it.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn a_fifo_streams_to_its_reader() {
    let rel = release();
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    run(Command::new("mkfifo").arg(&fifo));
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let out = checksums_to(rel.path(), &fifo);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(reader.join().unwrap(), manifest(rel.path()));
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
}

#[test]
fn dash_and_dev_stdout_are_standard_output() {
    let rel = release();
    let cwd = tempfile::tempdir().unwrap();
    for dest in ["-", "/dev/stdout"] {
        let out = cw()
            .current_dir(cwd.path())
            .arg("checksums")
            .arg(rel.path())
            .args(["--output", dest])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), manifest(rel.path()), "{dest}");
        assert_eq!(std::fs::read_dir(cwd.path()).unwrap().count(), 0, "{dest}");
    }
}

#[test]
fn an_existing_file_keeps_its_mode_owner_and_group() {
    let rel = release();
    let dir = tempfile::tempdir().unwrap();
    for mode in [0o644, 0o640, 0o600] {
        let file = dir.path().join(format!("SUMS-{mode:o}"));
        std::fs::write(&file, "old\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        if is_root() {
            run(Command::new("chown").arg("1234:5678").arg(&file));
        }
        let out = checksums_to(rel.path(), &file);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let meta = std::fs::metadata(&file).unwrap();
        assert_eq!(
            meta.permissions().mode() & 0o7777,
            mode,
            "{}",
            file.display()
        );
        if is_root() {
            assert_eq!((meta.uid(), meta.gid()), (1234, 5678));
        }
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            manifest(rel.path())
        );
    }
}

/// Runs the binary under `umask` (a shell sets it; the harness has no pre-exec hook).
fn with_umask(umask: &str, rel: &Path, dest: &Path) -> std::process::Output {
    Command::new("sh")
        .args(["-c", &format!("umask {umask} && exec \"$0\" \"$@\"")])
        .arg(env!("CARGO_BIN_EXE_chainwarden"))
        .arg("checksums")
        .arg(rel)
        .arg("--output")
        .arg(dest)
        .env("NO_COLOR", "1")
        .env("CHAINWARDEN_NO_RECORD", "true")
        .output()
        .unwrap()
}

#[test]
fn a_new_file_follows_the_umask() {
    let rel = release();
    let dir = tempfile::tempdir().unwrap();
    for (umask, mode) in [("022", 0o644), ("027", 0o640), ("077", 0o600)] {
        let dest: PathBuf = dir.path().join(format!("new-{umask}/SHA256SUMS"));
        let out = with_umask(umask, rel.path(), &dest);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let got = std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777;
        assert_eq!(got, mode, "umask {umask}");
    }
}

#[test]
fn a_symlink_to_a_file_stays_a_link_and_the_file_is_replaced() {
    let rel = release();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("real.txt");
    std::fs::write(&target, "old\n").unwrap();
    let link = dir.path().join("link.txt");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = checksums_to(rel.path(), &link);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        manifest(rel.path())
    );
    // A link to nothing is refused rather than written through to wherever it points.
    let dangling = dir.path().join("dangling");
    std::os::unix::fs::symlink(dir.path().join("nowhere/x"), &dangling).unwrap();
    let out = checksums_to(rel.path(), &dangling);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("symbolic link to nothing"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_directory_a_socket_and_a_block_device_are_refused() {
    let rel = release();
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("sock");
    let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let mut cases = vec![
        (dir.path().to_path_buf(), "is a directory"),
        (sock.clone(), "is a socket"),
    ];
    if is_root() {
        let block = dir.path().join("loop");
        run(Command::new("mknod").arg(&block).args(["b", "7", "250"]));
        cases.push((block, "is a block device"));
    }
    for (dest, says) in cases {
        let out = checksums_to(rel.path(), &dest);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {err}", dest.display());
        assert!(err.contains(says), "{err}");
    }
    assert!(std::fs::symlink_metadata(&sock)
        .unwrap()
        .file_type()
        .is_socket());
    // Nothing was written beside them.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with(".chainwarden-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// `/dev/stderr` redirected to a log file: the log is appended to, not renamed over.
#[test]
fn dev_stderr_onto_a_log_file_appends_in_place() {
    let rel = release();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("ci.log");
    std::fs::write(&log, "earlier lines\n").unwrap();
    let inode = std::fs::metadata(&log).unwrap().ino();
    let out = Command::new(env!("CARGO_BIN_EXE_chainwarden"))
        .env_clear()
        .env("NO_COLOR", "1")
        .env("CHAINWARDEN_NO_RECORD", "true")
        .arg("checksums")
        .arg(rel.path())
        .args(["--output", "/dev/stderr"])
        .stderr(std::fs::OpenOptions::new().append(true).open(&log).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::metadata(&log).unwrap().ino(), inode);
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        format!("earlier lines\n{}", manifest(rel.path()))
    );
}
