//! Files in and out.
//!
//! Out: writing never leaves a half-written file behind (write to a temporary file in the
//! destination's directory, flush and sync it, then rename it over the destination).
//!
//! In: every input read into memory goes through [`read_bytes`] / [`read_text`], which refuse
//! anything that is not a regular file (FIFOs, devices, directories) without blocking, and cap
//! the size per [`InputKind`], so a hostile path can neither hang us nor exhaust memory.

pub mod walk;

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// Writes a cache entry to `path` by renaming a complete temporary file over it, without
/// the fsync [`write_atomic`] pays (0.5 to 1 ms here): after a crash the entry may be empty or
/// partial, which its reader takes for a miss. For caches only, never for outputs or evidence.
pub fn write_cache_entry(path: &Path, bytes: &[u8]) -> Result<()> {
    write_renamed(path, |w| w.write_all(bytes), false)
}

/// Writes to `path` atomically through a callback; on any error the destination is untouched.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    write_renamed(path, fill, true)
}

/// A temporary file beside `path`, filled, synced when `sync`, then renamed over `path`.
fn write_renamed(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    sync: bool,
) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".chainwarden-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    {
        let mut buffered = std::io::BufWriter::new(tmp.as_file_mut());
        fill(&mut buffered).map_err(|e| Error::io(path, e))?;
        buffered.flush().map_err(|e| Error::io(path, e))?;
    }
    if sync {
        tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    }
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// A cache entry's key: SHA-256 over named fields, each name and value length-prefixed, so no
/// two different field lists hash the same bytes (`("ab", "c")` is not `("a", "bc")`). One
/// construction for every cache keyed by its inputs (the graph cache, the inventory memo).
pub struct CacheKey(sha2::Sha256);

impl CacheKey {
    pub fn new() -> CacheKey {
        CacheKey(sha2::Digest::new())
    }

    pub fn field(&mut self, name: &str, value: &[u8]) {
        use sha2::Digest;
        self.0.update((name.len() as u64).to_le_bytes());
        self.0.update(name.as_bytes());
        self.0.update((value.len() as u64).to_le_bytes());
        self.0.update(value);
    }

    /// The key, hex.
    pub fn finish(self) -> String {
        use sha2::Digest;
        hex::encode(self.0.finalize())
    }
}

impl Default for CacheKey {
    fn default() -> CacheKey {
        CacheKey::new()
    }
}

/// What an input file is, which sets how large it may be. Every file read into memory goes
/// through [`read_text`] / [`read_bytes`] with its kind, so no input is read without bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Lockfile,
    Policy,
    ChecksumManifest,
    CargoMetadata,
    EvidenceExport,
    SigstoreBundle,
    Provenance,
    TrustedRoot,
    /// PEM keys, allowed-signers files, GPG key files.
    Keys,
    /// Anything else read whole (e.g. a small text file named on the command line).
    Other,
}

impl InputKind {
    /// Every kind, for the documentation table and its test.
    pub const ALL: [InputKind; 10] = [
        InputKind::Lockfile,
        InputKind::Policy,
        InputKind::ChecksumManifest,
        InputKind::CargoMetadata,
        InputKind::EvidenceExport,
        InputKind::SigstoreBundle,
        InputKind::Provenance,
        InputKind::TrustedRoot,
        InputKind::Keys,
        InputKind::Other,
    ];

    /// The largest accepted size in bytes. Generous for real inputs (the largest real
    /// `Cargo.lock` we know is ~1 MiB; a 100,000-entry manifest is ~12 MiB), small enough that
    /// a hostile file cannot exhaust memory.
    pub const fn limit(self) -> u64 {
        const MIB: u64 = 1024 * 1024;
        match self {
            InputKind::Lockfile => 32 * MIB,
            InputKind::Policy => 4 * MIB,
            InputKind::ChecksumManifest => 64 * MIB,
            InputKind::CargoMetadata => 64 * MIB,
            InputKind::EvidenceExport => 64 * MIB,
            InputKind::SigstoreBundle | InputKind::Provenance => 16 * MIB,
            InputKind::TrustedRoot => 4 * MIB,
            InputKind::Keys => MIB,
            InputKind::Other => 16 * MIB,
        }
    }

    /// What the file is, in error messages.
    pub const fn what(self) -> &'static str {
        match self {
            InputKind::Lockfile => "lockfiles",
            InputKind::Policy => "policy files",
            InputKind::ChecksumManifest => "checksum manifests",
            InputKind::CargoMetadata => "cargo metadata files",
            InputKind::EvidenceExport => "evidence files",
            InputKind::SigstoreBundle => "Sigstore bundles",
            InputKind::Provenance => "provenance files",
            InputKind::TrustedRoot => "trusted roots",
            InputKind::Keys => "key files",
            InputKind::Other => "input files",
        }
    }
}

/// Human form of a byte limit (`32 MiB`).
pub fn human_limit(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// Opens `path` for reading only if it is a regular file (after following symlinks).
///
/// The file is opened with `O_NONBLOCK` so that a FIFO without a writer cannot block us, and
/// the type is checked on the opened descriptor, not the path, so the file cannot be swapped
/// between the check and the read. Devices (`/dev/zero`), FIFOs, sockets and directories are
/// refused; dangling links and link loops are named as such.
pub fn open_regular(path: &Path) -> Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| path_error(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        return Err(Error::input(path, "is a directory, expected a file"));
    }
    if !meta.is_file() {
        return Err(Error::input(
            path,
            format!(
                "is not a regular file ({}): refused",
                file_type_name(&meta.file_type())
            ),
        ));
    }
    Ok(file)
}

fn file_type_name(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    let _ = kind;
    "not a file"
}

/// An error opening or inspecting `path`, naming dangling symlinks and symlink loops as such
/// instead of a bare OS message.
pub fn path_error(path: &Path, e: std::io::Error) -> Error {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::ELOOP) {
        return Error::input(path, "is a symbolic link loop (it never reaches a file)");
    }
    if is_link && e.kind() == std::io::ErrorKind::NotFound {
        let target = std::fs::read_link(path)
            .map(|t| format!(" (to {})", t.display()))
            .unwrap_or_default();
        return Error::input(
            path,
            format!("is a dangling symbolic link{target}: its target does not exist"),
        );
    }
    Error::io(path, e)
}

fn too_large(path: &Path, kind: InputKind) -> Error {
    Error::input(
        path,
        format!(
            "larger than the {} limit for {}: refused",
            human_limit(kind.limit()),
            kind.what()
        ),
    )
}

/// Reads a whole input file of the given kind: regular files only, at most the kind's limit
/// (never more than limit + 1 bytes are read, whatever the file claims to be).
pub fn read_bytes(path: &Path, kind: InputKind) -> Result<Vec<u8>> {
    use std::io::Read;
    let file = open_regular(path)?;
    let limit = kind.limit();
    let claimed = file.metadata().map(|m| m.len()).unwrap_or(0);
    if claimed > limit {
        return Err(too_large(path, kind));
    }
    let mut bytes = Vec::with_capacity(claimed as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(path, kind));
    }
    Ok(bytes)
}

/// [`read_bytes`], then UTF-8 (the error names the line and column of the first bad byte).
pub fn read_text(path: &Path, kind: InputKind) -> Result<String> {
    let bytes = read_bytes(path, kind)?;
    String::from_utf8(bytes).map_err(|e| {
        let text =
            String::from_utf8_lossy(&e.as_bytes()[..e.utf8_error().valid_up_to()]).into_owned();
        Error::at_offset(path, &text, text.len(), "file is not valid UTF-8")
    })
}

/// Reads a whole input file whose kind has no limit of its own ([`InputKind::Other`]).
pub fn read_to_string(path: &Path) -> Result<String> {
    read_text(path, InputKind::Other)
}

/// At most `max` bytes of a regular file, else nothing: a cache entry or a small input whose
/// absence is only a miss. Opened through [`open_regular`], which checks the type on the opened
/// descriptor without blocking, so a FIFO swapped in after a check can neither hang the run
/// nor feed it.
pub fn read_at_most(path: &Path, max: u64) -> Option<Vec<u8>> {
    use std::io::Read;
    let file = open_regular(path).ok()?;
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= max).then_some(bytes)
}

/// Keeps the `keep` most recently modified files of `dir` whose name `matches`, and removes
/// the others: the caches' bound on their own size. Best effort: a failure only leaves a file.
pub fn keep_newest(dir: &Path, keep: usize, matches: impl Fn(&str) -> bool) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut found: Vec<(std::time::SystemTime, std::path::PathBuf)> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(&matches))
        .filter_map(|p| Some((p.metadata().ok()?.modified().ok()?, p)))
        .collect();
    if found.len() <= keep {
        return;
    }
    found.sort();
    for (_, p) in &found[..found.len() - keep] {
        let _ = std::fs::remove_file(p);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn read_at_most_refuses_oversized_files_and_directories() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big");
        std::fs::write(&p, vec![b'x'; 100]).unwrap();
        assert!(read_at_most(&p, 99).is_none());
        assert_eq!(read_at_most(&p, 100).unwrap().len(), 100);
        assert!(read_at_most(dir.path(), 100).is_none());
    }

    #[test]
    fn keep_newest_removes_the_oldest_matching_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let now = std::time::SystemTime::now();
        for (i, name) in ["a.json", "b.json", "c.json", "d.json"].iter().enumerate() {
            let f = std::fs::File::create(dir.path().join(name)).unwrap();
            let age = std::time::Duration::from_secs(100 * (4 - i as u64));
            f.set_modified(now - age).unwrap();
        }
        std::fs::write(dir.path().join("old.txt"), "not a cache entry").unwrap();
        keep_newest(dir.path(), 2, |n| n.ends_with(".json"));
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, ["c.json", "d.json", "old.txt"]);
    }

    #[test]
    fn failed_write_leaves_destination_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.txt");
        write_atomic(&dest, b"first").unwrap();
        let err = write_atomic_with(&dest, |w| {
            w.write_all(b"partial")?;
            Err(std::io::Error::other("boom"))
        });
        assert!(err.is_err());
        assert_eq!(std::fs::read(&dest).unwrap(), b"first");
        // No temp file is left behind either.
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
    }

    #[test]
    fn directory_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let err = read_to_string(dir.path()).unwrap_err().to_string();
        assert!(err.contains("is a directory"), "{err}");
    }

    /// Also for `walk`'s and the inventory memo's tests.
    pub(crate) fn mkfifo(path: &Path) {
        let ok = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .unwrap()
            .success();
        assert!(ok, "mkfifo");
    }

    #[test]
    fn fifo_device_and_links_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        mkfifo(&fifo);
        let err = read_text(&fifo, InputKind::Lockfile)
            .unwrap_err()
            .to_string();
        assert!(err.contains("is not a regular file (a FIFO)"), "{err}");
        let err = read_text(Path::new("/dev/zero"), InputKind::Policy)
            .unwrap_err()
            .to_string();
        assert!(err.contains("(a device)"), "{err}");
        let link = dir.path().join("Cargo.lock");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        let err = read_text(&link, InputKind::Lockfile)
            .unwrap_err()
            .to_string();
        assert!(err.contains("(a device)"), "{err}");
        let dangling = dir.path().join("dangling");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        let err = read_text(&dangling, InputKind::Lockfile)
            .unwrap_err()
            .to_string();
        assert!(err.contains("is a dangling symbolic link"), "{err}");
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::os::unix::fs::symlink(&b, &a).unwrap();
        std::os::unix::fs::symlink(&a, &b).unwrap();
        let err = read_text(&a, InputKind::Lockfile).unwrap_err().to_string();
        assert!(err.contains("is a symbolic link loop"), "{err}");
    }

    #[test]
    fn size_limit_is_exact_and_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("policy.toml");
        let limit = InputKind::Policy.limit() as usize;
        std::fs::write(&file, vec![b'#'; limit]).unwrap();
        assert_eq!(read_text(&file, InputKind::Policy).unwrap().len(), limit);
        std::fs::write(&file, vec![b'#'; limit + 1]).unwrap();
        let err = read_text(&file, InputKind::Policy).unwrap_err().to_string();
        assert!(
            err.ends_with("larger than the 4 MiB limit for policy files: refused"),
            "{err}"
        );
    }
}
