//! The output boundary: every user-visible byte goes through here, and through
//! [`crate::redact`] on its way out. Renderers produce strings; they never print.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::fsutil;
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
            Some(p) if p.as_os_str() != "-" => Destination::File(p.to_path_buf()),
            _ => Destination::Stdout,
        }
    }
}

/// Writes a rendered document. ANSI styling is kept only on a colour-capable terminal
/// (and never when `NO_COLOR` is set); files always get plain text, written atomically.
pub fn emit(dest: &Destination, document: &str) -> Result<()> {
    let clean = redact(document);
    match dest {
        Destination::Stdout if !clean.contains('\u{1b}') => {
            // Nothing to strip (JSON, SARIF, ...): skip the colour adapter's scan.
            let mut out = std::io::stdout().lock();
            match out.write_all(clean.as_bytes()).and_then(|_| out.flush()) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(Error::io("<stdout>", e)),
            }
        }
        Destination::Stdout => {
            let mut out = anstream::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a non-zero exit.
            match out.write_all(clean.as_bytes()).and_then(|_| out.flush()) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                Err(e) => Err(Error::io("<stdout>", e)),
            }
        }
        Destination::File(path) => {
            let plain = anstream::adapter::strip_str(&clean).to_string();
            fsutil::write_atomic(path, plain.as_bytes())
        }
    }
}

/// A diagnostic line on stderr (warnings, notes, errors), redacted.
pub fn diag(line: &str) {
    let clean = redact(line);
    let mut err = anstream::stderr().lock();
    let _ = writeln!(err, "{clean}");
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
