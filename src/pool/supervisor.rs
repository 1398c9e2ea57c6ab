//! [`supervise`]: one pool slot's life: dial, hand over, watch, redial.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::{Instant, MissedTickBehavior};
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
/// in rotation, watches it, and starts over when it ends, or at once when
/// it starts draining (its server is going away: a restarted server, or
/// the pool's other endpoints, take the calls), leaving it to finish its
/// calls in flight.
pub(crate) async fn supervise(set: Arc<Set>, endpoint: Arc<Endpoint>) {
    let opts = &set.opts;
    let token = endpoint.token.clone();
    let mut backoff = Backoff::new(opts.backoff_min, opts.backoff_max);
    let mut again = false;
    loop {
        let dialed = tokio::select! {
            _ = token.cancelled() => return,
            dialed = opts.dialer.connect(&endpoint.addr, &opts.connection) => dialed,
        };
        match dialed {
            Err(e) => {
                tracing::debug!(addr = %endpoint.addr, error = %e, "dial failed");
                endpoint.failed(e);
                set.changed.notify_waiters();
            }
            Ok(conn) => {
                endpoint.connected(conn.call_stats(), again);
                again = true;
                let id = set.add(endpoint.clone(), conn.clone());
                let since = Instant::now();
                let watched = watch(&conn, &token, Until::Draining).await;
                set.remove(id);
                let healthy = since.elapsed() >= HEALTHY_AFTER;
                if let Watched::Draining = watched {
                    tracing::debug!(addr = %endpoint.addr, "connection draining; dialing its replacement");
                    endpoint.disconnected(None);
                    // Watched to its end on the side, by the same rules.
                    tokio::spawn(async move {
                        watch(&conn, &CancellationToken::new(), Until::Ended).await
                    });
                    // No penalty when the server asked for it after a
                    // healthy life; one that goes away at once is redialed
                    // at the backoff's pace.
                    if healthy {
                        backoff.reset();
                        continue;
                    }
                } else {
                    let cause = conn.cause();
                    tracing::debug!(addr = %endpoint.addr, cause = ?cause, "connection ended");
                    endpoint.disconnected(cause);
                    if healthy {
                        backoff.reset();
                    }
                }
            }
        }
        tokio::select! {
            _ = token.cancelled() => return,
            _ = tokio::time::sleep(backoff.next_delay()) => {}
        }
    }
}

/// What a watch waits for, besides `token`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Until {
    /// The connection ends or starts draining.
    Draining,
    /// The connection ends.
    Ended,
}

/// Why a watch returned.
#[derive(Debug)]
pub(crate) enum Watched {
    Ended,
    Draining,
    Stopped,
}

/// Waits for the connection to end (or start draining, as `until` says),
/// or for `token` (its endpoint left the pool); on the way, asks the
/// connection's health at its pace and aborts the connection when the
/// peer looks dead.
pub(crate) async fn watch(conn: &Connection, token: &CancellationToken, until: Until) -> Watched {
    let mut tick = tokio::time::interval(conn.check_every());
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            // A closing pool both stops its supervisors and drains their
            // connections: stopping comes first.
            biased;
            _ = token.cancelled() => return Watched::Stopped,
            _ = conn.ended() => return Watched::Ended,
            _ = conn.draining(), if until == Until::Draining => return Watched::Draining,
            _ = tick.tick() => {}
        }
        if let Some(dead) = conn.check(Instant::now()) {
            conn.abort(dead);
        }
    }
}

/// Closes `set` now; the future waits for its connections to close.
pub(crate) fn close(set: &Set) -> impl Future<Output = ()> + Send + 'static {
    let conns = set.close();
    async move {
        let never = CancellationToken::new();
        let each = conns.iter().map(|conn| watch(conn, &never, Until::Ended));
        futures_util::future::join_all(each).await;
    }
}
