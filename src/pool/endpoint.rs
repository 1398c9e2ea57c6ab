//! One server address in a pool, and what is known of its health.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::tally::Tally;
use crate::connection::{CallCounts, CallStats};
use crate::{Addr, CloseReason, Error};

/// A server address and the health its supervisors report.
#[derive(Debug)]
pub(crate) struct Endpoint {
    pub(crate) addr: Addr,
    /// Cancelled when the endpoint is removed or the pool is dropped: stops
    /// its supervisors and takes its connections out of rotation.
    pub(crate) token: CancellationToken,
    /// Removed from the pool: its connections take no new requests. (The
    /// token says the same, but reading it takes a lock; this is read on
    /// every call.)
    retired: AtomicBool,
    health: Mutex<EndpointStatus>,
    /// The call counts of its connections.
    tally: Mutex<Tally>,
    /// The same events, for the `metrics` recorder.
    #[cfg(feature = "metrics")]
    pub(crate) metrics: Arc<crate::metrics::EndpointMetrics>,
}

/// A snapshot of one endpoint's health, from
/// [`Endpoints::endpoints`](super::Endpoints::status).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct EndpointStatus {
    /// The address as given; a host name is resolved again at every dial.
    pub addr: Addr,
    /// Connections to it that are up now.
    pub connections: usize,
    /// Dial attempts that failed since the last success.
    pub consecutive_failures: usize,
    /// The last dial error or the cause of the last closed connection.
    pub last_error: Option<Error>,
    /// `Uid`s taken on its connections now: calls waiting for their answer,
    /// and abandoned ones whose late answer has not arrived.
    pub in_flight: usize,
    /// What became of the calls sent to it, over all its connections so far.
    pub calls: CallCounts,
    /// Connections dialed again after one to it ended.
    pub reconnects: u64,
    /// The delay per request the server reports (a jsonmux server tells
    /// a jsonmux client on every answer): how loaded it is, for every
    /// client. `None` from a server that does not report it.
    pub server_delay: Option<Duration>,
    /// This client's recent round trips to it: a moving average that
    /// takes a slower trip at once and faster ones gradually, of every
    /// call to a server that does not report its delay, and of the calls
    /// that find the connection idle to one that does (its own word
    /// weighs then). `None` before any answer.
    pub round_trip: Option<Duration>,
}

impl Endpoint {
    pub(crate) fn new(addr: Addr, token: CancellationToken) -> Self {
        let health = EndpointStatus {
            addr: addr.clone(),
            connections: 0,
            consecutive_failures: 0,
            last_error: None,
            in_flight: 0,
            calls: CallCounts::default(),
            reconnects: 0,
            server_delay: None,
            round_trip: None,
        };
        Endpoint {
            #[cfg(feature = "metrics")]
            metrics: Arc::new(crate::metrics::EndpointMetrics::new(&addr)),
            addr,
            token,
            retired: AtomicBool::new(false),
            health: Mutex::new(health),
            tally: Mutex::default(),
        }
    }

    /// Takes the endpoint out of the pool: no new requests, and its
    /// supervisors stop (their connections close once drained).
    pub(crate) fn retire(&self) {
        self.retired.store(true, Ordering::Release);
        self.token.cancel();
    }

    /// Tells this endpoint from the others in the pool while it is in it.
    pub(crate) fn id(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    /// Calls sent to it so far, over all its connections.
    pub(crate) fn calls(&self) -> u64 {
        let mut tally = self.tally.lock().unwrap_or_else(|p| p.into_inner());
        tally.counts().calls
    }

    /// True once [`Endpoint::retire`] was called.
    pub(crate) fn is_retired(&self) -> bool {
        self.retired.load(Ordering::Acquire)
    }

    fn health(&self) -> MutexGuard<'_, EndpointStatus> {
        self.health.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A connection is up, whose calls count in `stats`; `again` if it
    /// replaces one that ended.
    pub(crate) fn connected(&self, stats: Arc<CallStats>, again: bool) {
        self.tally
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .add(stats);
        #[cfg(feature = "metrics")]
        self.metrics.connected(again);
        let mut h = self.health();
        h.connections += 1;
        h.consecutive_failures = 0;
        h.reconnects += u64::from(again);
    }

    pub(crate) fn disconnected(&self, cause: Option<CloseReason>) {
        #[cfg(feature = "metrics")]
        self.metrics.disconnected();
        let mut h = self.health();
        h.connections = h.connections.saturating_sub(1);
        if let Some(reason) = cause {
            h.last_error = Some(Error::Closed(reason));
        }
    }

    pub(crate) fn failed(&self, e: Error) {
        let mut h = self.health();
        h.consecutive_failures += 1;
        h.last_error = Some(e);
    }

    /// Its health and call counts; `in_flight`, `server_delay` and
    /// `round_trip` are the caller's to fill in (the set knows the
    /// connections).
    pub(crate) fn status(&self) -> EndpointStatus {
        let calls = self
            .tally
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .counts();
        EndpointStatus {
            calls,
            ..self.health().clone()
        }
    }

    /// True when no connection is up and the last dial failed.
    pub(crate) fn is_down(&self) -> bool {
        let h = self.health();
        h.connections == 0 && h.consecutive_failures > 0
    }
}
