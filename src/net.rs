//! The network capability. This is the only module that talks HTTP.
//!
//! Every request has a connect and read timeout; every body has a size cap and is hashed while
//! it streams so callers can check a digest. Plain `http://` is allowed only for loopback hosts
//! (tests serve releases and archives from 127.0.0.1); everything else must be `https://`.
//! Commands get `Option<Network>`: `None` means `--offline`, and code that needs the network
//! must then say so instead of trying.

use std::io::Read;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

pub use crate::error::network::{Cause, NetError};
use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub struct NetConfig {
    pub connect_timeout: Duration,
    /// Longest wait for response headers, and for each read of a body.
    pub read_timeout: Duration,
    /// Attempts for requests that failed before any byte was delivered.
    pub attempts: u32,
    /// First backoff delay; doubles each retry.
    pub backoff: Duration,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            attempts: 3,
            backoff: Duration::from_millis(250),
        }
    }
}

impl NetConfig {
    /// The defaults, with a timeout (both the connect and the read timeout) and a number of
    /// attempts when given: for slow networks, and for tests that serve a stalling server and
    /// must not wait half a minute. The CLI reads them (`CHAINWARDEN_HTTP_TIMEOUT`,
    /// `CHAINWARDEN_HTTP_ATTEMPTS`); this module never reads the environment.
    pub fn with(timeout: Option<Duration>, attempts: Option<u32>) -> NetConfig {
        let mut config = NetConfig::default();
        if let Some(t) = timeout {
            config.connect_timeout = t;
            config.read_timeout = t;
        }
        if let Some(n) = attempts {
            config.attempts = n.max(1);
        }
        config
    }
}

/// A configured HTTP client.
#[derive(Debug, Clone)]
pub struct Network {
    client: reqwest::blocking::Client,
    config: NetConfig,
}

/// What a completed download delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub bytes: u64,
    /// Lower-case hex SHA-256 of the body.
    pub sha256: String,
}

impl NetError {
    fn transfer(url: &str, detail: String) -> Error {
        Error::Network(NetError::new(url, Cause::Transfer(detail)))
    }
}

/// Adds the ways out to a network error (other errors pass through unchanged).
pub fn with_help(error: Error, help: impl Into<String>) -> Error {
    match error {
        Error::Network(mut e) => {
            e.help = Some(help.into());
            Error::Network(e)
        }
        other => other,
    }
}

impl Network {
    pub fn new(config: NetConfig) -> Result<Self> {
        let client = reqwest::blocking::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.read_timeout)
            .user_agent(concat!("chainwarden/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                // Never follow a redirect from https down to plain http off loopback.
                if attempt.previous().len() > 5 {
                    attempt.error("too many redirects")
                } else if check_url(attempt.url().as_str()).is_err() {
                    attempt.error("redirect to a refused URL")
                } else {
                    attempt.follow()
                }
            }))
            .build()
            .map_err(|e| {
                Error::Network(NetError::new(
                    "(client)",
                    Cause::Transfer(format!("cannot build HTTP client: {e}")),
                ))
            })?;
        Ok(Network { client, config })
    }

    pub fn config(&self) -> &NetConfig {
        &self.config
    }

    /// Streams the body of `url` to `sink`, at most `max_bytes`, hashing it on the way.
    /// Retries (with backoff) only failures that happen before the first byte is delivered,
    /// so `sink` never sees a byte twice.
    pub fn stream(
        &self,
        url: &str,
        max_bytes: u64,
        sink: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    ) -> Result<Fetched> {
        self.stream_until(url, max_bytes, None, sink)
    }

    /// [`Network::stream`] that gives up (with [`Cause::Timeout`]) at `deadline`: no attempt
    /// starts after it and none runs past it.
    pub fn stream_until(
        &self,
        url: &str,
        max_bytes: u64,
        deadline: Option<Instant>,
        sink: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    ) -> Result<Fetched> {
        check_url(url)?;
        let mut delay = self.config.backoff;
        let mut last = Cause::Timeout;
        for attempt in 1..=self.config.attempts.max(1) {
            let mut request = self.client.get(url);
            if let Some(deadline) = deadline {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                request = request.timeout(left.min(self.config.read_timeout));
            }
            match request.send() {
                Ok(response) if response.status().is_success() => {
                    return read_body(url, response, max_bytes, sink);
                }
                Ok(response) if response.status().is_server_error() => {
                    last = Cause::Status(response.status().as_u16());
                }
                Ok(response) => {
                    let cause = Cause::Status(response.status().as_u16());
                    return Err(Error::Network(NetError::new(url, cause)));
                }
                Err(e) => last = classify(url, &e),
            }
            let out_of_time = deadline.is_some_and(|d| Instant::now() + delay >= d);
            if attempt < self.config.attempts && !out_of_time {
                std::thread::sleep(delay);
                delay *= 2;
            }
        }
        Err(Error::Network(NetError::new(url, last)))
    }

    /// Downloads `url` into memory (small documents: index entries, manifests).
    pub fn get_bytes(&self, url: &str, max_bytes: u64) -> Result<(Vec<u8>, Fetched)> {
        self.get_bytes_until(url, max_bytes, None)
    }

    /// [`Network::get_bytes`] bounded by `deadline` (see [`Network::stream_until`]).
    pub fn get_bytes_until(
        &self,
        url: &str,
        max_bytes: u64,
        deadline: Option<Instant>,
    ) -> Result<(Vec<u8>, Fetched)> {
        let mut body = Vec::new();
        let fetched = self.stream_until(url, max_bytes, deadline, &mut |chunk| {
            body.extend_from_slice(chunk);
            Ok(())
        })?;
        Ok((body, fetched))
    }

    /// Downloads `url` and checks its SHA-256 against `expected_sha256` (hex) when given.
    pub fn get_verified(
        &self,
        url: &str,
        max_bytes: u64,
        expected_sha256: Option<&str>,
    ) -> Result<Vec<u8>> {
        let (body, fetched) = self.get_bytes(url, max_bytes)?;
        if let Some(expected) = expected_sha256 {
            if !fetched.sha256.eq_ignore_ascii_case(expected) {
                return Err(NetError::transfer(
                    url,
                    format!(
                        "digest mismatch: expected sha256:{expected}, got sha256:{}",
                        fetched.sha256
                    ),
                ));
            }
        }
        Ok(body)
    }
}

fn read_body(
    url: &str,
    mut response: reqwest::blocking::Response,
    max_bytes: u64,
    sink: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
) -> Result<Fetched> {
    if let Some(len) = response.content_length() {
        if len > max_bytes {
            return Err(NetError::transfer(
                url,
                format!("body of {len} bytes is over the {max_bytes}-byte cap"),
            ));
        }
    }
    let declared = response.content_length();
    let mut hasher = Sha256::new();
    let mut total: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = response.read(&mut buf).map_err(|e| {
            NetError::transfer(url, format!("read failed after {total} bytes: {e}"))
        })?;
        if n == 0 {
            break;
        }
        total += n as u64;
        if total > max_bytes {
            return Err(NetError::transfer(
                url,
                format!("body is over the {max_bytes}-byte cap"),
            ));
        }
        hasher.update(&buf[..n]);
        sink(&buf[..n]).map_err(|e| NetError::transfer(url, e.to_string()))?;
    }
    if let Some(len) = declared {
        if len != total {
            return Err(NetError::transfer(
                url,
                format!("truncated body: {total} of {len} declared bytes"),
            ));
        }
    }
    Ok(Fetched {
        bytes: total,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// The cause of a failed request, found by walking the error's `source()` chain for typed
/// errors (reqwest's DNS and timeout kinds, `io::ErrorKind`, rustls errors). reqwest's own
/// message repeats the URL and hides the cause, so it is never shown or matched.
fn classify(url: &str, e: &reqwest::Error) -> Cause {
    let host = reqwest::Url::parse(url)
        .ok()
        .map(|u| match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => url.to_string(),
        })
        .unwrap_or_default();
    if e.is_dns() {
        let name = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
        return Cause::Dns {
            host: name.to_string(),
        };
    }
    if e.is_timeout() {
        return Cause::Timeout;
    }
    if e.is_redirect() {
        return Cause::Transfer("redirect refused (too many, or to a URL we do not fetch)".into());
    }
    let mut innermost: Option<String> = None;
    for err in chain(e) {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Cause::Tls(tls.to_string());
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return Cause::Refused { host },
                std::io::ErrorKind::TimedOut => return Cause::Timeout,
                // While connecting to an https URL only the TLS layer reads data: a peer that
                // hangs up or speaks something else fails the handshake.
                std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::InvalidData
                    if e.is_connect() && url.starts_with("https:") =>
                {
                    return Cause::Tls(io.to_string());
                }
                _ => {}
            }
        }
        innermost = Some(err.to_string());
    }
    let detail = innermost.unwrap_or_else(|| "no further detail".into());
    if e.is_connect() {
        Cause::Connect(detail)
    } else {
        Cause::Transfer(detail)
    }
}

/// The errors below `e`, outermost first. `io::Error::source()` skips the error an
/// `io::Error` wraps (it returns that error's source), so wrapped errors are visited too:
/// TLS failures arrive as a `rustls::Error` inside two `io::Error`s.
fn chain(e: &reqwest::Error) -> Vec<&(dyn std::error::Error + 'static)> {
    let mut out = Vec::new();
    let mut next = std::error::Error::source(e);
    while let Some(err) = next {
        out.push(err);
        next = match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    out
}

/// Refuses anything but `https://`, or `http://` to a loopback address.
pub fn check_url(url: &str) -> Result<()> {
    let refuse = |detail: String| Err(Error::Network(NetError::new(url, Cause::BadUrl(detail))));
    let parsed = match reqwest::Url::parse(url) {
        Ok(p) => p,
        Err(e) => return refuse(format!("not a URL ({e})")),
    };
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_host(parsed.host_str().unwrap_or("")) => Ok(()),
        "http" => refuse("plain http is allowed only for loopback addresses; use https".into()),
        other => refuse(format!("unsupported scheme `{other}`")),
    }
}

fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn bad_url(url: &str, detail: String) -> Error {
    Error::Network(NetError::new(url, Cause::BadUrl(detail)))
}

/// The answer to [`Network::send`]: any status, the headers callers may need, a capped body.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One request of an API client (notifications): the caller decides what to retry, since only
/// it knows whether the request is idempotent and what a status means.
pub struct HttpRequest<'a> {
    pub method: &'a str,
    pub url: &'a str,
    /// Extra headers; values marked sensitive (tokens) are kept out of debug output.
    pub headers: &'a [(&'a str, &'a str)],
    pub sensitive: &'a [&'a str],
    pub body: Option<Vec<u8>>,
}

impl Network {
    /// Sends one request (no retry; the request stays the caller's, to send again) and returns
    /// the response whatever its status, its body read up to `max_bytes`.
    pub fn send(&self, req: &HttpRequest<'_>, max_bytes: u64) -> Result<HttpResponse> {
        check_url(req.url)?;
        let url = req.url;
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|_| bad_url(url, format!("bad method {}", req.method)))?;
        let mut builder = self.client.request(method, url);
        for (name, value) in req.headers {
            let mut value = reqwest::header::HeaderValue::from_str(value)
                .map_err(|_| bad_url(url, format!("header {name} is not valid")))?;
            value.set_sensitive(req.sensitive.contains(name));
            builder = builder.header(*name, value);
        }
        if let Some(body) = &req.body {
            builder = builder.body(body.clone());
        }
        let response = builder
            .send()
            .map_err(|e| Error::Network(NetError::new(url, classify(url, &e))))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(n, v)| {
                Some((
                    n.as_str().to_ascii_lowercase(),
                    v.to_str().ok()?.to_string(),
                ))
            })
            .collect();
        let mut body = Vec::new();
        read_body(url, response, max_bytes, &mut |chunk| {
            body.extend_from_slice(chunk);
            Ok(())
        })?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http() {
        assert!(check_url("https://example.org/a").is_ok());
        assert!(check_url("http://127.0.0.1:8080/a").is_ok());
        assert!(check_url("http://[::1]:8080/a").is_ok());
        assert!(check_url("http://localhost/a").is_ok());
        assert!(check_url("http://10.0.0.1/a").is_err());
        assert!(check_url("http://example.org/a").is_err());
        assert!(check_url("ftp://127.0.0.1/a").is_err());
        assert!(check_url("not a url").is_err());
    }
}
