//! What a command decided, and how that maps to the process exit code.
//!
//! Exit codes are disjoint so CI can tell "vulnerable" from "crashed":
//! 0 pass, 1 the policy failed (or a verification failed), 2 the run could not be done.

/// The verdict of a command that ran to completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The policy passes / everything verified.
    Pass,
    /// Findings fail the policy / a verification failed.
    Fail,
    /// The command ran but could not reach a verdict (e.g. nothing could be verified).
    Inconclusive,
}

impl Outcome {
    pub fn code(self) -> u8 {
        match self {
            Outcome::Pass => 0,
            Outcome::Fail => 1,
            Outcome::Inconclusive => 2,
        }
    }

    /// The worse of two outcomes (`Inconclusive` > `Fail` > `Pass`).
    pub fn worst(self, other: Outcome) -> Outcome {
        if self.code() >= other.code() {
            self
        } else {
            other
        }
    }
}

/// Exit code for a run that failed with an error.
pub const ERROR_CODE: u8 = 2;
