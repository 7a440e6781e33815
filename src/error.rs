//! The one error type of the library.
//!
//! Every variant is a reason the run *could not be done* (exit code 2). Findings that fail a
//! policy are not errors: they are data in a report, and the command returns
//! [`crate::exit::Outcome::Fail`].

use std::path::{Path, PathBuf};

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A problem at a known position of an input file (policy, lockfile, manifest, ...).
    #[error("{}:{line}:{column}: {message}", path.display())]
    Located {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// A problem with an input file as a whole.
    #[error("{}: {message}", path.display())]
    Input { path: PathBuf, message: String },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A command-line usage problem that clap cannot express.
    #[error("{0}")]
    Usage(String),
    /// A download failed (timeout, size cap, digest mismatch, refused scheme), with its
    /// typed cause.
    #[error("network: {0}")]
    Network(crate::net::NetError),
    /// The advisory database is missing, unreadable or broken.
    #[error("advisory database: {0}")]
    Database(String),
    /// The evidence store could not be read or written.
    #[error("evidence store: {0}")]
    Evidence(String),
    /// Several problems found in one validation pass (each on its own line).
    #[error("{}", join_lines(.0))]
    Many(Vec<Error>),
}

fn join_lines(errors: &[Error]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

impl Error {
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    pub fn input(path: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Error::Input {
            path: path.as_ref().to_path_buf(),
            message: message.into(),
        }
    }

    /// An error at a byte offset of `text`, turned into a 1-based line and column.
    pub fn at_offset(
        path: impl AsRef<Path>,
        text: &str,
        offset: usize,
        message: impl Into<String>,
    ) -> Self {
        let (line, column) = line_column(text, offset);
        Error::Located {
            path: path.as_ref().to_path_buf(),
            line,
            column,
            message: message.into(),
        }
    }

    /// An error at a byte offset, located through an index built once for the text (use
    /// this when reporting many errors in one text).
    pub fn located(
        path: impl AsRef<Path>,
        index: &LineIndex<'_>,
        offset: usize,
        message: impl Into<String>,
    ) -> Self {
        let (line, column) = index.line_column(offset);
        Error::Located {
            path: path.as_ref().to_path_buf(),
            line,
            column,
            message: message.into(),
        }
    }

    pub fn at_line(path: impl AsRef<Path>, line: usize, message: impl Into<String>) -> Self {
        Error::Located {
            path: path.as_ref().to_path_buf(),
            line,
            column: 1,
            message: message.into(),
        }
    }
}

/// 1-based line and column (in characters) of a byte offset (see [`crate::lines`]).
pub use crate::lines::{line_column, LineIndex};
