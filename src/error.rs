//! The one error type of the library.
//!
//! Every variant is a reason the run *could not be done* (exit code 2). Findings that fail a
//! policy are not errors: they are data in a report, and the command returns
//! [`crate::exit::Outcome::Fail`].

use std::path::{Path, PathBuf};

pub mod network;

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
    #[error("{message}")]
    Usage {
        message: String,
        #[source]
        source: Option<ErrorSource>,
    },
    /// A download failed (timeout, size cap, digest mismatch, refused scheme), with its
    /// typed cause.
    #[error("network: {0}")]
    Network(#[source] network::NetError),
    /// The advisory database is missing, unreadable or broken.
    #[error("advisory database: {message}")]
    Database {
        message: String,
        #[source]
        source: Option<ErrorSource>,
    },
    /// The evidence store could not be read or written.
    #[error("evidence store: {message}")]
    Evidence {
        message: String,
        #[source]
        source: Option<ErrorSource>,
    },
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

/// The underlying error a [`Error::Usage`], [`Error::Database`] or [`Error::Evidence`] came
/// from, kept for [`std::error::Error::source`]; the message already quotes it for people.
pub type ErrorSource = Box<dyn std::error::Error + Send + Sync + 'static>;

impl Error {
    pub fn usage(message: String) -> Self {
        Error::Usage {
            message,
            source: None,
        }
    }

    pub fn database(message: String) -> Self {
        Error::Database {
            message,
            source: None,
        }
    }

    pub fn evidence(message: String) -> Self {
        Error::Evidence {
            message,
            source: None,
        }
    }

    /// Keeps `cause` as the error's source (usage, database and evidence errors; others are
    /// returned unchanged, as they carry their cause in their own field).
    pub fn caused_by(mut self, cause: impl Into<ErrorSource>) -> Self {
        if let Error::Usage { source, .. }
        | Error::Database { source, .. }
        | Error::Evidence { source, .. } = &mut self
        {
            *source = Some(cause.into());
        }
        self
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn errors_keep_their_cause() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
        let e = Error::database(format!("db: {io}")).caused_by(io);
        assert_eq!(e.to_string(), "advisory database: db: gone");
        let cause = e.source().expect("the cause is kept");
        assert!(cause.downcast_ref::<std::io::Error>().is_some());
        assert!(Error::evidence("x".into()).source().is_none());
        let net = network::NetError::new("https://x.test/", network::Cause::Status(404));
        assert!(Error::Network(net).source().is_some());
    }
}
