//! [`ClientOptions`]: the stack's own options over the pool's, and the defaults.

use std::time::Duration;

use crate::pool::PoolOptions;
use crate::{check, Error};

/// Default request timeout: 5 s for the whole call.
pub(crate) const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Default concurrency limit: 1024 requests in flight over the whole pool.
pub(crate) const DEFAULT_CONCURRENCY_LIMIT: usize = 1024;
/// Default `Buffer` in the stack: none, callers reach the pool directly.
pub(crate) const DEFAULT_BUFFER: Option<usize> = None;

/// Every client option, each in one place: the stack's layers here, the
/// pool's (with its connections' and its dialing's) in [`PoolOptions`].
#[derive(Clone, Debug)]
pub(crate) struct ClientOptions {
    /// The `Timeout` layer's deadline; `None`: no layer.
    pub(crate) request_timeout: Option<Duration>,
    /// The `ConcurrencyLimit` layer's permits, at least 1; `None`: no layer.
    pub(crate) concurrency_limit: Option<usize>,
    /// The `Buffer` layer's queue, at least 1; `None`: no layer.
    pub(crate) buffer: Option<usize>,
    /// A call made from a jsonmux handler keeps to the deadline of the
    /// request being handled.
    pub(crate) inherit_deadline: bool,
    pub(crate) pool: PoolOptions,
}

impl ClientOptions {
    /// The first option that cannot be used, in the order of the setters.
    pub(crate) fn check(&self) -> Result<(), Error> {
        check::some_time("request_timeout", self.request_timeout)?;
        check::some_count("concurrency_limit", self.concurrency_limit)?;
        check::some_count("buffer", self.buffer)?;
        self.pool.check()
    }
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            request_timeout: Some(DEFAULT_REQUEST_TIMEOUT),
            concurrency_limit: Some(DEFAULT_CONCURRENCY_LIMIT),
            buffer: DEFAULT_BUFFER,
            inherit_deadline: true,
            pool: PoolOptions::default(),
        }
    }
}
