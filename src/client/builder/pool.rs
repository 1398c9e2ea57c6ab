//! The pool's setters: connections per endpoint, pick, redial, fail-fast.

use std::time::Duration;

use super::ClientBuilder;
use crate::pool::Hedge;

impl ClientBuilder {
    /// Connections per endpoint. Default: 3.
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().pool_size(1);
    /// ```
    pub fn pool_size(mut self, connections: usize) -> Self {
        self.opts.pool.pool_size = connections;
        self
    }

    /// How the pool picks a connection. `None`: the least-loaded one
    /// (fewest requests in flight), which spreads the load evenly.
    /// `Some(n)`: on the endpoint with the fewest requests in flight,
    /// the first connection that has fewer than `n`, and its
    /// least-loaded one once all have `n`; the others are warm spares
    /// until the load needs them. The load is still spread over
    /// endpoints; only an endpoint's own connections are packed.
    /// Default: `None`.
    ///
    /// Spreading lets the server work on the connections in parallel
    /// (a connection's handlers run on one task); packing sends bigger
    /// batches, with fewer syscalls and wake-ups per request on both
    /// sides, which wins on small machines and with cheap handlers
    /// (PERFORMANCE.md measures both).
    ///
    /// `n` is a soft limit: callers picking at the same moment may take
    /// a connection a little past it.
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().pack_up_to(Some(256));
    /// ```
    pub fn pack_up_to(mut self, n: Option<usize>) -> Self {
        self.opts.pool.pack_up_to = n;
        self
    }

    /// Delays before redialing a failed endpoint: the first is `min`, each
    /// next one doubles up to `max`, each drawn with jitter from the upper
    /// half of its step. A connection that stayed up a while starts over
    /// from `min`. `min` must be above zero and at most `max`.
    /// Default: 50 ms to 5 s.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::ClientBuilder::new().backoff(Duration::from_millis(10), Duration::from_secs(1));
    /// ```
    pub fn backoff(mut self, min: Duration, max: Duration) -> Self {
        self.opts.pool.backoff_min = min;
        self.opts.pool.backoff_max = max;
        self
    }

    /// While no connection is up: `false` makes calls wait for one (up to
    /// their deadline; a call that times out so has the last connect error
    /// as the `source()` of its [`Error::Timeout`](crate::Error::Timeout)),
    /// `true` fails them at once with
    /// [`Error::Unavailable`](crate::Error::Unavailable). Default: `false`.
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().fail_fast(true);
    /// ```
    pub fn fail_fast(mut self, fail_fast: bool) -> Self {
        self.opts.pool.fail_fast = fail_fast;
        self
    }

    /// How many calls the pool may send again by itself: at most `share`
    /// of the calls it sent over the last ten seconds, plus `per_second`
    /// a second. Default: `0.2` and `10`, as Finagle's retry budget; `0.0`
    /// and `0` turn retries off. `share` must be from 0 to 10.
    ///
    /// Only a call a jsonmux server shed (answered `overloaded` before its
    /// handler ran, and given back on the answer, so the pool keeps no
    /// copy) is sent again, within the call's deadline, at most twice, and
    /// on a connection to another endpoint when there is one. A call that
    /// may have run (its connection died, it timed out, its handler
    /// failed) is never sent again. A server that sheds everything thus
    /// sees at most a fifth more calls, never a storm.
    /// [`PoolStats`](crate::pool::PoolStats) counts the retries and those
    /// the budget refused.
    ///
    /// ```
    /// let no_retries = jsonmux::ClientBuilder::new().retry_budget(0.0, 0);
    /// ```
    pub fn retry_budget(mut self, share: f64, per_second: u32) -> Self {
        self.opts.pool.retry_budget =
            (share != 0.0 || per_second != 0).then_some((share, per_second));
        self
    }

    /// Hedged calls: a call marked [`idempotent`](crate::Message::idempotent)
    /// that is still unanswered after the [`Hedge`]'s delay gets a copy on
    /// a connection to another endpoint; the first answer wins and the
    /// other call is cancelled. Copies come out of the retry budget
    /// ([`retry_budget`](Self::retry_budget); none with it off), so they
    /// add at most its share of load. [`PoolStats`](crate::pool::PoolStats)
    /// counts the copies sent and those that answered first. Default:
    /// `None` (off).
    ///
    /// Hedging cuts the tail that a slow server, or a slow moment of one,
    /// puts on latency, at the cost of the copies' work on the servers.
    ///
    /// ```
    /// use jsonmux::pool::Hedge;
    ///
    /// let b = jsonmux::ClientBuilder::new().hedge(Some(Hedge::at_percentile(95.0)));
    /// ```
    pub fn hedge(mut self, hedge: Option<Hedge>) -> Self {
        self.opts.pool.hedge = hedge;
        self
    }
}
