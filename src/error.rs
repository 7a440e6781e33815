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

    pub fn at_line(path: impl AsRef<Path>, line: usize, message: impl Into<String>) -> Self {
        Error::Located {
            path: path.as_ref().to_path_buf(),
            line,
            column: 1,
            message: message.into(),
        }
    }
}

/// 1-based line and column (in characters) of a byte offset; offsets past the end point just
/// after the last character.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Byte offsets of line starts, for many offset → line look-ups in one text (a lockfile
/// has thousands of entries; `line_column` per entry would be quadratic).
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_from_one() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        // 'é' is two bytes: the '=' after "bé " is the 4th character.
        assert_eq!(line_column(text, 10), (2, 4));
        assert_eq!(line_column(text, 999), (3, 1));
        let index = LineIndex::new(text);
        for offset in [0, 3, 5, 6, 10, 13] {
            assert_eq!(
                index.line(offset),
                line_column(text, offset).0,
                "offset {offset}"
            );
        }
    }
}
