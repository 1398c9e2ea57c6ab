//! Waiting, with a deadline, for a pool's connections to be up before
//! the load starts.

use std::time::Duration;

use jsonmux::pool::Endpoints;
use tokio::time::Instant;

/// How often the pool's health is read while waiting.
const POLL_EVERY: Duration = Duration::from_millis(1);

/// Waits until `pool` has `want` connections up, until `deadline`.
///
/// # Errors
///
/// Past the deadline, what failed, e.g. `0/3 connections up, last error:
/// connection closed: closed by the peer` (the last error of an endpoint short of
/// connections, as its [`EndpointStatus`](jsonmux::pool::EndpointStatus)
/// tells it).
pub(crate) async fn wait_connected(
    pool: &Endpoints,
    want: usize,
    deadline: Instant,
) -> Result<(), String> {
    loop {
        let endpoints = pool.status();
        let up: usize = endpoints.iter().map(|e| e.connections).sum();
        if up >= want {
            return Ok(());
        }
        let now = Instant::now();
        if now >= deadline {
            let each = want.div_ceil(endpoints.len().max(1));
            let last_error = endpoints
                .iter()
                .filter(|e| e.connections < each)
                .find_map(|e| e.last_error.as_ref())
                .map_or_else(|| "none".to_owned(), jsonmux::Error::report);
            return Err(format!(
                "{up}/{want} connections up, last error: {last_error}"
            ));
        }
        tokio::time::sleep(POLL_EVERY.min(deadline - now)).await;
    }
}
