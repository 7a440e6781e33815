//! Retries for notification requests: 5xx and rate limits (429, or 403 with `Retry-After` or an
//! exhausted `x-ratelimit-remaining`) are retried with doubling backoff, honouring
//! `Retry-After`, until the sink's time budget is spent. A wait that would overrun the budget
//! fails at once rather than sleeping past it, so a notifying run always ends.

use std::cell::Cell;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::net::{Cause, HttpRequest, HttpResponse, NetError, Network};

/// Largest API response we read (a page of 100 issues is far below this).
const MAX_RESPONSE: u64 = 8 * 1024 * 1024;
/// Attempts per request, whatever the budget.
const MAX_ATTEMPTS: u32 = 6;

/// The time one sink may take, all retries included.
#[derive(Debug, Clone)]
pub struct Budget {
    end: Instant,
    first_backoff: Duration,
    /// HTTP attempts since the last [`Budget::take_attempts`] (recorded with each delivery).
    attempts: Cell<u32>,
}

/// A sink's time budget unless `CHAINWARDEN_NOTIFY_BUDGET` says otherwise.
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(120);

impl Budget {
    /// `time` from now.
    pub fn new(time: Duration) -> Budget {
        Budget {
            end: Instant::now() + time,
            first_backoff: Duration::from_millis(250),
            attempts: Cell::new(0),
        }
    }

    /// The attempts made since the last call, and a new count from zero.
    pub fn take_attempts(&self) -> u32 {
        self.attempts.replace(0)
    }

    fn remaining(&self) -> Duration {
        self.end.saturating_duration_since(Instant::now())
    }
}

/// A request as the sinks describe it.
pub(super) struct Call<'a> {
    pub request: HttpRequest<'a>,
    /// Whether a transport error (no status) may be retried: not for a POST that creates,
    /// which may have been done before the connection broke.
    pub idempotent: bool,
}

/// Sends `call` until it succeeds (2xx), fails for good, or the budget is spent.
pub(super) fn send(net: &Network, budget: &Budget, call: &Call<'_>) -> Result<HttpResponse> {
    let mut backoff = budget.first_backoff;
    let mut attempt = 0;
    loop {
        attempt += 1;
        budget.attempts.set(budget.attempts.get().saturating_add(1));
        let result = net.send(&call.request, MAX_RESPONSE);
        let (wait, why) = match result {
            Ok(r) if (200..300).contains(&r.status) => return Ok(r),
            Ok(r) => match retry_wait(&r, backoff) {
                Some(wait) => (wait, format!("HTTP {}", r.status)),
                None => {
                    let mut e = NetError::new(call.request.url, Cause::Status(r.status));
                    e.help = api_message(&r.body)
                        .map(|m| format!("{} refused: {m}", call.request.method));
                    return Err(Error::Network(e));
                }
            },
            Err(Error::Network(e)) if call.idempotent && e.cause.is_unreachable() => {
                (backoff, e.cause.to_string())
            }
            Err(e) => return Err(e),
        };
        let give_up = |detail: String| {
            Err(Error::Network(NetError::new(
                call.request.url,
                Cause::Transfer(format!("{} {why} ({detail})", call.request.method)),
            )))
        };
        if attempt >= MAX_ATTEMPTS {
            return give_up(format!("gave up after {attempt} attempts"));
        }
        if wait > budget.remaining() {
            return give_up(format!(
                "retry in {}s would overrun the notification time budget",
                wait.as_secs_f64().ceil()
            ));
        }
        std::thread::sleep(wait);
        backoff = backoff.saturating_mul(2);
    }
}

/// How long to wait before retrying `r`, or `None` when it must not be retried.
fn retry_wait(r: &HttpResponse, backoff: Duration) -> Option<Duration> {
    let retry_after = r
        .header("retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let exhausted = r.header("x-ratelimit-remaining").map(str::trim) == Some("0");
    match r.status {
        429 => Some(retry_after.unwrap_or(backoff)),
        403 if retry_after.is_some() => retry_after,
        403 if exhausted => Some(reset_wait(r).unwrap_or(backoff)),
        s if s >= 500 => Some(retry_after.unwrap_or(backoff)),
        _ => None,
    }
}

/// Seconds until `x-ratelimit-reset` (epoch seconds), GitHub's primary rate limit.
fn reset_wait(r: &HttpResponse) -> Option<Duration> {
    let reset = r.header("x-ratelimit-reset")?.trim().parse::<u64>().ok()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    Some(Duration::from_secs(reset.saturating_sub(now).max(1)))
}

/// The API's own `message` field, to say why a request was refused (bounded, one line).
fn api_message(body: &[u8]) -> Option<String> {
    let value = crate::json::parse(body).ok()?;
    let m = value.get("message")?.as_str()?;
    Some(m.chars().filter(|c| !c.is_control()).take(200).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&str, &str)]) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: Vec::new(),
        }
    }

    #[test]
    fn what_is_retried_and_how_long_it_waits() {
        let b = Duration::from_millis(250);
        assert_eq!(retry_wait(&response(502, &[]), b), Some(b));
        assert_eq!(
            retry_wait(&response(429, &[("retry-after", "3")]), b),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            retry_wait(&response(403, &[("retry-after", "2")]), b),
            Some(Duration::from_secs(2))
        );
        // A 403 that is not a rate limit is a permission problem: no retry.
        assert_eq!(retry_wait(&response(403, &[]), b), None);
        assert_eq!(retry_wait(&response(404, &[]), b), None);
        assert_eq!(retry_wait(&response(422, &[]), b), None);
        assert!(retry_wait(&response(403, &[("x-ratelimit-remaining", "0")]), b).is_some());
    }
}
