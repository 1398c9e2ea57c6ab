//! The pool's setters: connections per endpoint, pick, redial, fail-fast.

use std::time::Duration;

use super::{invalid, ClientBuilder};
use crate::Error;

impl ClientBuilder {
    /// Connections per endpoint. Default: [`DEFAULT_POOL_SIZE`](crate::client::DEFAULT_POOL_SIZE).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] for 0.
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().pool_size(1)?;
    /// assert!(jsonmux::ClientBuilder::new().pool_size(0).is_err());
    /// # Ok::<(), jsonmux::Error>(())
    /// ```
    pub fn pool_size(mut self, connections: usize) -> Result<Self, Error> {
        if connections == 0 {
            return Err(invalid("pool_size", "must be at least 1"));
        }
        self.opts.pool.pool_size = connections;
        Ok(self)
    }

    /// How the pool picks a connection. `None`: the least-loaded one
    /// (fewest requests in flight), which spreads the load evenly.
    /// `Some(n)`: on the endpoint with the fewest requests in flight,
    /// the first connection that has fewer than `n`, and its
    /// least-loaded one once all have `n`; the others are warm spares
    /// until the load needs them. The load is still spread over
    /// endpoints; only an endpoint's own connections are packed.
    ///
    /// Spreading lets the server work on the connections in parallel
    /// (a connection's handlers run on one task); packing sends bigger
    /// batches, with fewer syscalls and wake-ups per request on both
    /// sides, which wins on small machines and with cheap handlers
    /// (PERFORMANCE.md measures both).
    ///
    /// `n` is a soft limit: callers picking at the same moment may take
    /// a connection a little past it.
    /// Default: [`DEFAULT_PACK_UP_TO`](crate::client::DEFAULT_PACK_UP_TO) (least-loaded).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] for `Some(0)`.
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().pack_up_to(Some(256))?;
    /// assert!(jsonmux::ClientBuilder::new().pack_up_to(Some(0)).is_err());
    /// # Ok::<(), jsonmux::Error>(())
    /// ```
    pub fn pack_up_to(mut self, n: Option<usize>) -> Result<Self, Error> {
        if n == Some(0) {
            return Err(invalid(
                "pack_up_to",
                "must be at least 1, or None for least-loaded",
            ));
        }
        self.opts.pool.pack_up_to = n;
        Ok(self)
    }

    /// Delays before redialing a failed endpoint: the first is `min`, each
    /// next one doubles up to `max`, each drawn with jitter from the upper
    /// half of its step. A connection that stayed up a while starts over
    /// from `min`. Default: [`DEFAULT_BACKOFF_MIN`](crate::client::DEFAULT_BACKOFF_MIN)
    /// to [`DEFAULT_BACKOFF_MAX`](crate::client::DEFAULT_BACKOFF_MAX).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] unless `0 < min <= max`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::ClientBuilder::new().backoff(Duration::from_millis(10), Duration::from_secs(1))?;
    /// assert!(jsonmux::ClientBuilder::new().backoff(Duration::from_secs(2), Duration::from_secs(1)).is_err());
    /// # Ok::<(), jsonmux::Error>(())
    /// ```
    pub fn backoff(mut self, min: Duration, max: Duration) -> Result<Self, Error> {
        if min.is_zero() {
            return Err(invalid("backoff", "the first delay must be above zero"));
        }
        if min > max {
            return Err(invalid("backoff", "min must not exceed max"));
        }
        self.opts.pool.backoff_min = min;
        self.opts.pool.backoff_max = max;
        Ok(self)
    }

    /// While no connection is up: `false` makes calls wait for one (up to
    /// their deadline), `true` fails them at once with
    /// [`Error::Unavailable`]. Default: `false`.
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().fail_fast(true);
    /// ```
    pub fn fail_fast(mut self, fail_fast: bool) -> Self {
        self.opts.pool.fail_fast = fail_fast;
        self
    }
}
