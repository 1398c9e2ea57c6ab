//! [`PoolOptions`]: what a pool needs to know, and the defaults.

use std::time::Duration;

use super::hedge::Hedge;
use crate::connection::{ConnectionOptions, Dialer};
use crate::{check, Error};

/// Default pool size per endpoint: 3 connections.
pub(crate) const DEFAULT_POOL_SIZE: usize = 3;
/// Default for packing requests onto the first connection: off, every
/// request goes to the least-loaded connection.
pub(crate) const DEFAULT_PACK_UP_TO: Option<usize> = None;
/// Default first reconnect delay (before jitter): 50 ms.
pub(crate) const DEFAULT_BACKOFF_MIN: Duration = Duration::from_millis(50);
/// Default longest reconnect delay: 5 s.
pub(crate) const DEFAULT_BACKOFF_MAX: Duration = Duration::from_secs(5);

/// Default retry budget: a fifth of the calls sent, plus 10 a second.
pub(crate) const DEFAULT_RETRY_BUDGET: Option<(f64, u32)> = Some((0.2, 10));

/// Default level of the client's `call` spans: debug.
pub(crate) const DEFAULT_SPAN_LEVEL: tracing::Level = tracing::Level::DEBUG;

/// A pool's options, with those of its connections and of its dialing.
#[derive(Clone, Debug)]
pub(crate) struct PoolOptions {
    /// Connections per endpoint, at least 1.
    pub(crate) pool_size: usize,
    /// `None`: the least-loaded connection; `Some(n)`, n ≥ 1: pack (see `pick`).
    pub(crate) pack_up_to: Option<usize>,
    /// Redial delays: `0 < backoff_min <= backoff_max`.
    pub(crate) backoff_min: Duration,
    pub(crate) backoff_max: Duration,
    /// While nothing is up: fail calls at once instead of waiting.
    pub(crate) fail_fast: bool,
    /// Calls answered "nothing ran" are sent again, up to this share of
    /// the calls sent plus this many a second; `None`: never.
    pub(crate) retry_budget: Option<(f64, u32)>,
    /// When slow idempotent calls get a copy on another endpoint.
    pub(crate) hedge: Option<Hedge>,
    /// The level of each call's span.
    pub(crate) span_level: tracing::Level,
    pub(crate) connection: ConnectionOptions,
    /// How endpoints are reached: connector, TLS, dial timeout.
    pub(crate) dialer: Dialer,
}

impl PoolOptions {
    /// The first option that cannot be used: the pool's, then its
    /// connections', then its dialing's.
    pub(crate) fn check(&self) -> Result<(), Error> {
        check::count("pool_size", self.pool_size)?;
        check::some_count("pack_up_to", self.pack_up_to)?;
        let backoff = (self.backoff_min, self.backoff_max);
        if self.backoff_min.is_zero() {
            return Err(Error::invalid(
                "backoff",
                backoff,
                "the first delay must be above zero",
            ));
        }
        if self.backoff_min > self.backoff_max {
            return Err(Error::invalid(
                "backoff",
                backoff,
                "min must not exceed max",
            ));
        }
        if let Some((ratio, per_second)) = self.retry_budget {
            if !(0.0..=10.0).contains(&ratio) {
                return Err(Error::invalid(
                    "retry_budget",
                    (ratio, per_second),
                    "the share of calls must be from 0 to 10",
                ));
            }
        }
        if let Some(hedge) = &self.hedge {
            hedge.check()?;
        }
        self.connection.check()?;
        self.dialer.check()
    }
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            pool_size: DEFAULT_POOL_SIZE,
            pack_up_to: DEFAULT_PACK_UP_TO,
            backoff_min: DEFAULT_BACKOFF_MIN,
            backoff_max: DEFAULT_BACKOFF_MAX,
            fail_fast: false,
            retry_budget: DEFAULT_RETRY_BUDGET,
            hedge: None,
            span_level: DEFAULT_SPAN_LEVEL,
            connection: ConnectionOptions::default(),
            dialer: Dialer::default(),
        }
    }
}
