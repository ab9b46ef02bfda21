//! Per-client rate limits: a token bucket per client, answered with 429, `Retry-After`
//! and the stable error body when empty.
//!
//! A client is its account when the request carries a valid credential (API token or
//! session), else its peer address. The request is authenticated here, once, and the
//! [`Viewer`] is handed to the handlers through the request's extensions, so a
//! credential is never looked up twice. A credential that is not valid is charged to the
//! peer address before it is refused, so rotating made-up tokens does not buy fresh
//! buckets.
//!
//! The peer address is the TCP peer. Behind a reverse proxy every request comes from the
//! proxy; `trust_forwarded_for` then takes the client from the last `X-Forwarded-For`
//! entry, the one the proxy itself appended. It is off by default because without a
//! proxy any client could name any address there.
//!
//! Memory is bounded: buckets that have been idle long enough to be full again carry no
//! state and are dropped; past [`RateLimit::max_clients`] the least recently seen half is
//! dropped as well (those clients start again with a full bucket).

use crate::viewer::authenticate;
use crate::{AppState, Viewer};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A token bucket's parameters, the same for every client.
#[derive(Clone, Debug, PartialEq)]
pub struct RateLimit {
    /// Requests per second a client may sustain (the refill rate).
    pub per_second: f64,
    /// Requests a client may make at once after being idle (the bucket's size).
    pub burst: u32,
    /// Buckets kept at most; see the module documentation.
    pub max_clients: usize,
}

impl Default for RateLimit {
    /// Far above what a person with a browser does (a page and its assets are a handful of
    /// requests), low enough that one client cannot take the server for itself.
    fn default() -> Self {
        RateLimit { per_second: 100.0, burst: 200, max_clients: 100_000 }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Client {
    Account(String),
    Peer(IpAddr),
    /// No peer address is known (in-process tests without connection info).
    Unknown,
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

/// The buckets of all clients.
pub struct Limiter {
    rate: RateLimit,
    buckets: Mutex<HashMap<Client, Bucket>>,
}

impl Limiter {
    pub fn new(rate: RateLimit) -> Limiter {
        Limiter { rate, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one token from `client`'s bucket, or says how long until one is available.
    fn take(&self, client: Client, now: Instant) -> Result<(), Duration> {
        let RateLimit { per_second, burst, max_clients } = self.rate;
        let burst = f64::from(burst.max(1));
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= max_clients && !buckets.contains_key(&client) {
            evict(&mut buckets, now, burst / per_second, max_clients);
        }
        let b = buckets.entry(client).or_insert(Bucket { tokens: burst, last: now });
        b.tokens = (b.tokens + now.saturating_duration_since(b.last).as_secs_f64() * per_second).min(burst);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / per_second))
        }
    }

    /// How many buckets are kept (for tests and metrics).
    pub fn clients(&self) -> usize {
        self.buckets.lock().map(|b| b.len()).unwrap_or(0)
    }
}

/// Drops buckets that have refilled (they hold no state); if that is not enough, the
/// least recently seen half.
fn evict(buckets: &mut HashMap<Client, Bucket>, now: Instant, refill_secs: f64, max_clients: usize) {
    let full_after = Duration::from_secs_f64(refill_secs.max(0.0));
    buckets.retain(|_, b| now.saturating_duration_since(b.last) < full_after);
    if buckets.len() >= max_clients {
        let mut seen: Vec<Instant> = buckets.values().map(|b| b.last).collect();
        seen.sort_unstable();
        let cutoff = seen[seen.len() / 2];
        buckets.retain(|_, b| b.last > cutoff);
    }
}

fn peer(req: &Request, trust_forwarded_for: bool) -> Client {
    if trust_forwarded_for
        && let Some(ip) = req
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
            .next_back()
    {
        return Client::Peer(ip);
    }
    match req.extensions().get::<ConnectInfo<SocketAddr>>() {
        Some(ConnectInfo(addr)) => Client::Peer(addr.ip()),
        None => Client::Unknown,
    }
}

fn too_many(path: &str, wait: Duration) -> Response {
    let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
    let mut r = crate::error::error_for(path, StatusCode::TOO_MANY_REQUESTS, "rate_limited", format!("too many requests from this client; try again in {secs} s"));
    r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    r
}

/// The middleware: authenticate, charge the client's bucket, then run the request with
/// its [`Viewer`] attached.
pub(crate) async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(limiter) = state.limiter.as_deref() else { return next.run(req).await };
    let peer = peer(&req, state.limits.trust_forwarded_for);
    let (mut parts, body) = req.into_parts();
    let viewer = authenticate(&parts, &state).await;
    let client = match &viewer {
        Ok(v) => match v.account_info() {
            Some(a) => Client::Account(a.name.clone()),
            None => peer,
        },
        Err(_) => peer,
    };
    if let Err(wait) = limiter.take(client, Instant::now()) {
        return too_many(parts.uri.path(), wait);
    }
    match viewer {
        Ok(v) => {
            parts.extensions.insert::<Viewer>(v);
            next.run(Request::from_parts(parts, body)).await
        }
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_second: f64, burst: u32, max_clients: usize) -> Limiter {
        Limiter::new(RateLimit { per_second, burst, max_clients })
    }

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_its_rate() {
        let l = limiter(10.0, 3, 100);
        let t = Instant::now();
        let a = Client::Peer("192.0.2.1".parse().unwrap());
        for _ in 0..3 {
            assert!(l.take(a.clone(), t).is_ok());
        }
        let wait = l.take(a.clone(), t).unwrap_err();
        assert!(wait > Duration::from_millis(90) && wait <= Duration::from_millis(100), "{wait:?}");
        assert!(l.take(a.clone(), t + Duration::from_millis(100)).is_ok(), "one token after 1/rate");
        assert!(l.take(Client::Peer("192.0.2.2".parse().unwrap()), t).is_ok(), "another client has its own bucket");
    }

    #[test]
    fn memory_is_bounded_by_evicting_idle_buckets_first() {
        let l = limiter(10.0, 10, 100);
        let t = Instant::now();
        for k in 0..100u32 {
            l.take(Client::Account(format!("a{k}")), t).unwrap();
        }
        assert_eq!(l.clients(), 100);
        // Two seconds later every bucket has refilled: all are dropped for the newcomer.
        l.take(Client::Account("new".into()), t + Duration::from_secs(2)).unwrap();
        assert_eq!(l.clients(), 1);
        // Busy clients: the least recently seen half goes.
        for k in 0..100u32 {
            l.take(Client::Account(format!("b{k}")), t + Duration::from_secs(2) + Duration::from_micros(u64::from(k))).unwrap();
        }
        assert!(l.clients() <= 100);
        l.take(Client::Account("newer".into()), t + Duration::from_secs(2) + Duration::from_millis(1)).unwrap();
        assert!(l.clients() <= 60, "{}", l.clients());
    }
}
