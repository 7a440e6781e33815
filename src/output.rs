//! The output boundary: every user-visible byte goes through here, and through
//! [`crate::redact`] on its way out. Renderers produce strings; they never print.
//!
//! `--output PATH` never destroys what PATH is: a regular file (or a new path) is replaced
//! atomically, keeping an existing file's mode, owner and group (a new file follows the
//! umask: reports are meant to be shared); a character device (`/dev/null`, a terminal) or a
//! FIFO is written in place, streaming; `-` and `/dev/stdout` are standard output, and
//! `/dev/stderr`, `/dev/fd/N` are appended to; a directory, a socket or a block device is
//! refused (exit 2).

use std::fs::{Metadata, OpenOptions, Permissions};
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::redact::redact;

/// Where a rendered document goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Stdout,
    File(PathBuf),
}

impl Destination {
    pub fn from_arg(path: Option<&Path>) -> Self {
        match path {
            Some(p) if !is_stdout(p) => Destination::File(p.to_path_buf()),
            _ => Destination::Stdout,
        }
    }
}

/// Names of standard output. Written through our own handle: reopening `/proc/self/fd/1`
/// fails for a socket, and renaming over `/dev/stdout` would replace the link.
fn is_stdout(path: &Path) -> bool {
    ["-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"]
        .iter()
        .any(|s| path.as_os_str() == *s)
}

/// Names of a descriptor this process already has open (`/dev/stderr`, `/dev/fd/N`): what
/// they point at (a log file, a pipe) is the caller's, written in place and appended to.
fn is_open_descriptor(path: &Path) -> bool {
    let p = path.as_os_str().to_string_lossy();
    p == "/dev/stderr" || p.starts_with("/dev/fd/") || p.starts_with("/proc/self/fd/")
}

/// Writes a rendered document. ANSI styling is kept only on a colour-capable terminal
/// (and never when `NO_COLOR` is set); files always get plain text.
pub fn emit(dest: &Destination, document: &str) -> Result<()> {
    let clean = redact(document);
    let written = match dest {
        Destination::Stdout if !clean.contains('\u{1b}') => {
            // Nothing to strip (JSON, SARIF, ...): skip the colour adapter's scan.
            let mut out = std::io::stdout().lock();
            out.write_all(clean.as_bytes()).and_then(|_| out.flush())
        }
        Destination::Stdout => {
            let mut out = anstream::stdout().lock();
            out.write_all(clean.as_bytes()).and_then(|_| out.flush())
        }
        Destination::File(path) => {
            let plain = anstream::adapter::strip_str(&clean).to_string();
            return write_file(path, plain.as_bytes());
        }
    };
    match written {
        // A closed pipe (`| head`) is not an error worth a non-zero exit.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::io("<stdout>", e)),
        _ => Ok(()),
    }
}

/// Writes `bytes` to the `--output` path according to what the path is (see module docs).
fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if is_open_descriptor(path) {
        // `/dev/stderr` redirected to a log: append to it, never rename over the log.
        return write_in_place(path, bytes);
    }
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if std::fs::symlink_metadata(path).is_ok() {
                return Err(Error::input(
                    path,
                    "is a symbolic link to nothing; refusing to write through it",
                ));
            }
            return replace_file(path, bytes, None);
        }
        Err(e) => return Err(Error::io(path, e)),
    };
    let kind = meta.file_type();
    if kind.is_file() {
        // Through a link, replace the file it names, not the link.
        let target = std::fs::canonicalize(path).map_err(|e| Error::io(path, e))?;
        replace_file(&target, bytes, Some(&meta))
    } else if kind.is_char_device() || kind.is_fifo() {
        write_in_place(path, bytes)
    } else {
        let what = if kind.is_dir() {
            "a directory"
        } else if kind.is_socket() {
            "a socket"
        } else if kind.is_block_device() {
            "a block device"
        } else {
            "not a regular file"
        };
        Err(Error::input(
            path,
            format!("is {what}; --output needs a file path, a character device, a FIFO or `-`"),
        ))
    }
}

/// Streams into a character device, a FIFO or an open descriptor: no temporary file, no
/// rename, no truncation (appending, so a log behind `/dev/stderr` keeps what it holds).
fn write_in_place(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    // The path could have been swapped for a regular file between the check and the open.
    let kind = file.metadata().map_err(|e| Error::io(path, e))?.file_type();
    if !(kind.is_char_device() || kind.is_fifo() || is_open_descriptor(path)) {
        return Err(Error::input(
            path,
            "changed while being opened; not written",
        ));
    }
    match file.write_all(bytes).and_then(|_| file.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::io(path, e)),
        _ => Ok(()),
    }
}

/// Writes a temporary file beside `path`, syncs it and renames it over `path`: a killed run
/// never leaves a half-written report. The new file gets the old one's mode, owner and group
/// (owner and group when permitted), or for a new path 0666 less the umask.
fn replace_file(path: &Path, bytes: &[u8], existing: Option<&Metadata>) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mode = existing.map_or(0o666, |m| m.permissions().mode() & 0o7777);
    let mut tmp = tempfile::Builder::new()
        .prefix(".chainwarden-")
        .suffix(".tmp")
        // Created with open(2)'s mode argument, so the umask applies.
        .permissions(Permissions::from_mode(mode))
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    if let Some(old) = existing {
        let file = tmp.as_file();
        let new = file.metadata().map_err(|e| Error::io(path, e))?;
        if (new.uid(), new.gid()) != (old.uid(), old.gid()) {
            // Only root may give a file away; anyone else keeps what the system allows.
            let _ = std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid()));
        }
        // Exactly the old mode, whatever the umask (after chown, which clears set-id bits).
        file.set_permissions(Permissions::from_mode(mode))
            .map_err(|e| Error::io(path, e))?;
    }
    {
        let mut buffered = std::io::BufWriter::new(tmp.as_file_mut());
        buffered.write_all(bytes).map_err(|e| Error::io(path, e))?;
        buffered.flush().map_err(|e| Error::io(path, e))?;
    }
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// A diagnostic line on stderr (warnings, notes, errors), redacted.
pub fn diag(line: &str) {
    let clean = redact(line);
    let mut err = anstream::stderr().lock();
    let _ = writeln!(err, "{clean}");
}

/// The last line of defence against a bug: a panic prints one short line (where, and the
/// message only when it is a literal of our code, never text built from input) and the
/// process exits 2 ("could not run") instead of 101 with Rust's default message, which
/// quotes whatever string was being sliced. Set first thing in `main`.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let what = info
            .payload()
            .downcast_ref::<&'static str>()
            .filter(|s| s.len() <= 120 && s.chars().all(|c| c.is_ascii() && !c.is_control()))
            .map(|s| format!(": {s}"))
            .unwrap_or_default();
        let line = format!(
            "error: internal error{location}{what}\n\
             (a bug in chainwarden; please report it with the command that caused it)"
        );
        // Not through `diag`: the panic may come from the redactor's own initialisation.
        let line = crate::redact::redact_if_ready(&line);
        let _ = writeln!(std::io::stderr().lock(), "{line}");
        std::process::exit(i32::from(crate::exit::ERROR_CODE));
    }));
}

/// Styles used by human renderers. anstream strips them when colour is off.
pub mod style {
    use anstyle::{AnsiColor, Style};

    pub const ERROR: Style = AnsiColor::Red.on_default().bold();
    pub const WARN: Style = AnsiColor::Yellow.on_default().bold();
    pub const OK: Style = AnsiColor::Green.on_default().bold();
    pub const NOTE: Style = AnsiColor::Cyan.on_default();
    pub const BOLD: Style = Style::new().bold();
    pub const DIM: Style = Style::new().dimmed();

    /// `text` wrapped in `style`.
    pub fn paint(style: Style, text: &str) -> String {
        format!("{style}{text}{style:#}")
    }
}
