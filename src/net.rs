//! The network capability. This is the only module that talks HTTP.
//!
//! Every request has a connect and read timeout; every body has a size cap and is hashed while
//! it streams so callers can check a digest. Plain `http://` is allowed only for loopback hosts
//! (tests serve releases and archives from 127.0.0.1); everything else must be `https://`.
//! Commands get `Option<Network>`: `None` means `--offline`, and code that needs the network
//! must then say so instead of trying.

use std::io::Read;
use std::net::IpAddr;
use std::time::Duration;

use sha2::{Digest, Sha256};

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
    /// The defaults, with `CHAINWARDEN_HTTP_TIMEOUT` (seconds, both timeouts) and
    /// `CHAINWARDEN_HTTP_ATTEMPTS` applied: for slow networks, and for tests that serve a
    /// stalling server and must not wait half a minute.
    pub fn from_env() -> NetConfig {
        let mut config = NetConfig::default();
        if let Some(secs) = std::env::var("CHAINWARDEN_HTTP_TIMEOUT")
            .ok()
            .and_then(|v| v.parse::<f64>().ok())
        {
            if secs > 0.0 {
                config.connect_timeout = Duration::from_secs_f64(secs);
                config.read_timeout = Duration::from_secs_f64(secs);
            }
        }
        if let Some(n) = std::env::var("CHAINWARDEN_HTTP_ATTEMPTS")
            .ok()
            .and_then(|v| v.parse::<u32>().ok())
        {
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
            .map_err(|e| Error::Network(format!("cannot build HTTP client: {e}")))?;
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
        check_url(url)?;
        let mut delay = self.config.backoff;
        let mut last_error = String::new();
        for attempt in 1..=self.config.attempts.max(1) {
            match self.client.get(url).send() {
                Ok(response) if response.status().is_success() => {
                    return read_body(url, response, max_bytes, sink);
                }
                Ok(response) if response.status().is_server_error() => {
                    last_error = format!("{url}: HTTP {}", response.status());
                }
                Ok(response) => {
                    return Err(Error::Network(format!("{url}: HTTP {}", response.status())));
                }
                Err(e) => last_error = format!("{url}: {}", describe(&e)),
            }
            if attempt < self.config.attempts {
                std::thread::sleep(delay);
                delay *= 2;
            }
        }
        Err(Error::Network(last_error))
    }

    /// Downloads `url` into memory (small documents: index entries, manifests).
    pub fn get_bytes(&self, url: &str, max_bytes: u64) -> Result<(Vec<u8>, Fetched)> {
        let mut body = Vec::new();
        let fetched = self.stream(url, max_bytes, &mut |chunk| {
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
                return Err(Error::Network(format!(
                    "{url}: digest mismatch: expected sha256:{expected}, got sha256:{}",
                    fetched.sha256
                )));
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
            return Err(Error::Network(format!(
                "{url}: body of {len} bytes is over the {max_bytes}-byte cap"
            )));
        }
    }
    let declared = response.content_length();
    let mut hasher = Sha256::new();
    let mut total: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = response
            .read(&mut buf)
            .map_err(|e| Error::Network(format!("{url}: read failed after {total} bytes: {e}")))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        if total > max_bytes {
            return Err(Error::Network(format!(
                "{url}: body is over the {max_bytes}-byte cap"
            )));
        }
        hasher.update(&buf[..n]);
        sink(&buf[..n]).map_err(|e| Error::Network(format!("{url}: {e}")))?;
    }
    if let Some(len) = declared {
        if len != total {
            return Err(Error::Network(format!(
                "{url}: truncated body: {total} of {len} declared bytes"
            )));
        }
    }
    Ok(Fetched {
        bytes: total,
        sha256: hex::encode(hasher.finalize()),
    })
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        format!("cannot connect ({e})")
    } else {
        e.to_string()
    }
}

/// Refuses anything but `https://`, or `http://` to a loopback address.
pub fn check_url(url: &str) -> Result<()> {
    let parsed =
        reqwest::Url::parse(url).map_err(|e| Error::Network(format!("{url}: not a URL ({e})")))?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_host(parsed.host_str().unwrap_or("")) => Ok(()),
        "http" => Err(Error::Network(format!(
            "{url}: plain http is allowed only for loopback addresses; use https"
        ))),
        other => Err(Error::Network(format!(
            "{url}: unsupported scheme `{other}`"
        ))),
    }
}

fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
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
    pub max_bytes: u64,
}

impl Network {
    /// Sends one request (no retry) and returns the response whatever its status.
    pub fn send(&self, req: HttpRequest<'_>) -> Result<HttpResponse> {
        check_url(req.url)?;
        let url = req.url;
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|_| Error::Network(format!("{url}: bad method {}", req.method)))?;
        let mut builder = self.client.request(method, url);
        for (name, value) in req.headers {
            let mut value = reqwest::header::HeaderValue::from_str(value)
                .map_err(|_| Error::Network(format!("{url}: header {name} is not valid")))?;
            value.set_sensitive(req.sensitive.contains(name));
            builder = builder.header(*name, value);
        }
        if let Some(body) = req.body {
            builder = builder.body(body);
        }
        let response = builder
            .send()
            .map_err(|e| Error::Network(format!("{url}: {}", describe(&e))))?;
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
        read_body(url, response, req.max_bytes, &mut |chunk| {
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
