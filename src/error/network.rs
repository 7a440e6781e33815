//! The typed cause of a failed download. It lives with [`crate::error::Error`], which wraps
//! it, so the error type imports nothing above it; [`crate::net`] re-exports it.

/// A failed download: the URL, why it failed (typed, so callers branch on the cause and never
/// on message text), and what the user can do about it.
#[derive(Debug)]
pub struct NetError {
    pub url: String,
    pub cause: Cause,
    /// The ways out, added by the caller that knows them (`--db DIR`, `--offline`, ...).
    pub help: Option<String>,
}

/// Why a download failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The host name did not resolve (no network, no DNS, or a wrong name).
    Dns { host: String },
    /// Nothing accepts connections at the address (or a firewall rejects them).
    Refused { host: String },
    /// No answer in time (connect, headers or a body read), or the caller's deadline passed.
    Timeout,
    /// The TLS handshake failed (certificate, protocol).
    Tls(String),
    /// Another connection failure (reset, unreachable network, ...), with its innermost cause.
    Connect(String),
    /// The server answered with a non-success status.
    Status(u16),
    /// The URL is not one we fetch (not a URL, plain http off loopback, unknown scheme).
    BadUrl(String),
    /// Anything after the connection: size caps, truncation, digests, read errors, redirects.
    Transfer(String),
}

impl Cause {
    /// The server could not be reached at all (as opposed to answering badly): worth giving
    /// up on the host after a few of these.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            Cause::Dns { .. }
                | Cause::Refused { .. }
                | Cause::Timeout
                | Cause::Tls(_)
                | Cause::Connect(_)
        )
    }

    /// A few words for a summary line ("cannot connect: DNS lookup failed").
    pub fn short(&self) -> String {
        match self {
            Cause::Dns { .. } => "cannot connect: DNS lookup failed".into(),
            Cause::Refused { .. } => "cannot connect: connection refused".into(),
            Cause::Timeout => "timed out".into(),
            Cause::Tls(_) => "TLS handshake failed".into(),
            Cause::Connect(_) => "cannot connect".into(),
            Cause::Status(code) => format!("HTTP {code}"),
            Cause::BadUrl(_) => "refused URL".into(),
            Cause::Transfer(_) => "download failed".into(),
        }
    }
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cause::Dns { host } => write!(
                f,
                "DNS lookup of {host} failed (no network or no DNS here, or a wrong host name)"
            ),
            Cause::Refused { host } => write!(
                f,
                "connection refused by {host} (nothing is listening there, or a firewall rejects it)"
            ),
            Cause::Timeout => write!(
                f,
                "timed out (no answer in time; CHAINWARDEN_HTTP_TIMEOUT sets the limit in seconds)"
            ),
            Cause::Tls(detail) => write!(f, "TLS handshake failed: {detail}"),
            Cause::Connect(detail) => write!(f, "cannot connect: {detail}"),
            Cause::Status(code) => {
                let reason = reqwest::StatusCode::from_u16(*code)
                    .ok()
                    .and_then(|s| s.canonical_reason());
                match reason {
                    Some(r) => write!(f, "HTTP {code} {r}"),
                    None => write!(f, "HTTP {code}"),
                }
            }
            Cause::BadUrl(detail) | Cause::Transfer(detail) => f.write_str(detail),
        }
    }
}

impl std::fmt::Display for NetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.url, self.cause)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for NetError {}

impl NetError {
    pub fn new(url: &str, cause: Cause) -> NetError {
        NetError {
            url: url.to_string(),
            cause,
            help: None,
        }
    }
}
