//! Progress for long jobs (yanked check, `db update`, `checksums DIR`, `secrets scan`).
//!
//! Drawn on stderr, and only when stderr is a terminal: a CI log or a pipe gets nothing, so
//! output stays byte-identical and machine-readable. stdout is never touched. Messages pass
//! through [`crate::redact`] like every other byte we show. A bar clears itself when dropped.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};

/// A progress bar or spinner; a no-op when not drawn. Cheap to clone (shared state), `Sync`,
/// so parallel workers can tick one bar.
#[derive(Clone)]
pub struct Progress {
    bar: ProgressBar,
}

/// Whether progress is drawn: only on a terminal.
pub fn enabled() -> bool {
    std::io::stderr().is_terminal()
}

impl Progress {
    /// A bar over `len` items (`message 12/345`).
    pub fn items(message: &str, len: u64) -> Progress {
        Progress::styled(
            Some(len),
            message,
            "{spinner} {msg} [{bar:30}] {pos}/{len} {elapsed}",
        )
    }

    /// A bar over bytes (`len` when known, else a spinner that counts them).
    pub fn bytes(message: &str, len: Option<u64>) -> Progress {
        let template = if len.is_some() {
            "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}"
        } else {
            "{spinner} {msg} {bytes} {bytes_per_sec}"
        };
        Progress::styled(len, message, template)
    }

    /// A spinner with a message, for a step of unknown size.
    pub fn spinner(message: &str) -> Progress {
        Progress::styled(None, message, "{spinner} {msg} {elapsed}")
    }

    /// Never drawn.
    pub fn hidden() -> Progress {
        Progress {
            bar: ProgressBar::hidden(),
        }
    }

    fn styled(len: Option<u64>, message: &str, template: &str) -> Progress {
        if !enabled() {
            return Progress::hidden();
        }
        // Cleared when the last clone is dropped, so an early return never leaves a bar behind.
        let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::stderr())
            .with_finish(ProgressFinish::AndClear);
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(crate::redact::redact(message).to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        Progress { bar }
    }

    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    pub fn set_length(&self, len: u64) {
        self.bar.set_length(len);
    }

    pub fn set_message(&self, message: &str) {
        if !self.bar.is_hidden() {
            self.bar
                .set_message(crate::redact::redact(message).to_string());
        }
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
