//! [`supervise`]: one pool slot's life: dial, hand over, watch, redial.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::backoff::Backoff;
use super::endpoint::Endpoint;
use super::set::Set;
use crate::connection::Connection;

/// A connection that lived this long resets the backoff when it closes; one
/// that dies sooner (a server accepting then hanging up) keeps backing off.
const HEALTHY_AFTER: Duration = Duration::from_secs(1);

/// Keeps one connection to `endpoint` alive for as long as the endpoint is
/// in the pool: dials (with backoff between failures), puts the connection
/// in rotation, watches it, and starts over when it ends.
pub(crate) async fn supervise(set: Arc<Set>, endpoint: Arc<Endpoint>) {
    let opts = &set.opts;
    let token = endpoint.token.clone();
    let mut backoff = Backoff::new(opts.backoff_min, opts.backoff_max);
    loop {
        let dialed = tokio::select! {
            _ = token.cancelled() => return,
            dialed = opts.transport.dial(&endpoint.addr) => dialed,
        };
        match dialed {
            Err(e) => {
                tracing::debug!(addr = %endpoint.addr, error = %e, "dial failed");
                endpoint.failed(e);
                set.changed.notify_waiters();
            }
            Ok(stream) => {
                let conn = Connection::with_options(stream, &opts.connection);
                endpoint.connected();
                let id = set.add(endpoint.clone(), conn.clone());
                let since = Instant::now();
                watch(&conn, &token).await;
                set.remove(id);
                let cause = conn.cause();
                tracing::debug!(addr = %endpoint.addr, cause = ?cause, "connection ended");
                endpoint.disconnected(cause);
                if since.elapsed() >= HEALTHY_AFTER {
                    backoff.reset();
                }
            }
        }
        tokio::select! {
            _ = token.cancelled() => return,
            _ = tokio::time::sleep(backoff.next_delay()) => {}
        }
    }
}

/// Waits for the connection to end, or for its endpoint to leave the pool;
/// on the way, asks the connection's health at its pace and aborts the
/// connection when the peer looks dead.
async fn watch(conn: &Connection, token: &CancellationToken) {
    let mut tick = tokio::time::interval(conn.check_every());
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = conn.ended() => return,
            _ = token.cancelled() => return,
            _ = tick.tick() => {}
        }
        if let Some(dead) = conn.check(Instant::now()) {
            conn.abort(dead);
        }
    }
}
