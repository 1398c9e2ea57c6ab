//! One pool slot's background task: dial, hand over, watch, redial.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::backoff::Backoff;
use super::endpoint::Endpoint;
use super::handle::Ctx;
use crate::client::{Connection, Options, Shared};
use crate::Error;

/// A connection that lived this long resets the backoff when it closes; one
/// that dies sooner (a server accepting then hanging up) keeps backing off.
const HEALTHY_AFTER: Duration = Duration::from_secs(1);

/// Keeps one connection to `endpoint` alive for as long as the endpoint is
/// in the pool: dials (with backoff between failures), hands the connection
/// to the pool, watches it for a dead peer, and starts over when it ends.
pub(crate) async fn supervise(ctx: Arc<Ctx>, endpoint: Arc<Endpoint>) {
    let token = endpoint.token.clone();
    let mut backoff = Backoff::new(ctx.opts.backoff_min, ctx.opts.backoff_max);
    loop {
        let dialed = tokio::select! {
            _ = token.cancelled() => return,
            dialed = ctx.opts.dial(&endpoint.addr) => dialed,
        };
        match dialed {
            Err(e) => {
                tracing::debug!(addr = %endpoint.addr, error = %e, "dial failed");
                endpoint.failed(e);
                ctx.changed.notify_waiters();
            }
            Ok(stream) => {
                let conn = Connection::with_options(stream, &ctx.opts);
                let shared = conn.shared().clone();
                endpoint.connected();
                let id = ctx.add(endpoint.clone(), conn);
                let since = Instant::now();
                watch(&shared, &ctx.opts, &token).await;
                ctx.remove(id);
                tracing::debug!(addr = %endpoint.addr, cause = ?shared.cause(), "connection ended");
                endpoint.disconnected(shared.cause().cloned());
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

/// Waits for the connection to end, aborting it if the peer looks dead:
/// requests waiting with nothing received for the read timeout, or too
/// many calls in a row given up on.
async fn watch(shared: &Shared, opts: &Options, token: &CancellationToken) {
    let every = opts.read_timeout.map_or(Duration::from_millis(250), |t| {
        (t / 4).clamp(Duration::from_millis(5), Duration::from_millis(250))
    });
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shared.ended() => return,
            _ = token.cancelled() => return,
            _ = tick.tick() => {}
        }
        if let Some(limit) = opts.read_timeout {
            let stalled = shared.stalled_for();
            if stalled >= limit {
                shared.abort(Error::PeerSilent(stalled));
            }
        }
        if let Some(max) = opts.max_consecutive_timeouts {
            let streak = shared.in_flight.abandoned_streak();
            if streak >= max {
                shared.abort(Error::TooManyTimeouts(streak));
            }
        }
    }
}
