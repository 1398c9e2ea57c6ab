//! The client's options and their defaults, kept in one place.

use std::time::Duration;

use crate::DEFAULT_MAX_FRAME_LEN;

/// Default pool size per endpoint: 3 connections, as in the seed.
pub const DEFAULT_POOL_SIZE: usize = 3;
/// Default request timeout: 5 s for the whole call.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Default dial timeout: 3 s for resolve + connect, as in the seed.
pub const DEFAULT_DIAL_TIMEOUT: Duration = Duration::from_secs(3);
/// Default idle time before the first TCP keepalive probe: 30 s.
pub const DEFAULT_KEEPALIVE_TIME: Duration = Duration::from_secs(30);
/// Default time between TCP keepalive probes: 10 s.
pub const DEFAULT_KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
/// Default unanswered keepalive probes before the kernel drops the connection: 3.
pub const DEFAULT_KEEPALIVE_RETRIES: u32 = 3;
/// Default `TCP_USER_TIMEOUT`: unacknowledged data for 30 s closes the connection.
pub const DEFAULT_TCP_USER_TIMEOUT: Duration = Duration::from_secs(30);
/// Default concurrency limit: 1024 requests in flight over the whole pool.
pub const DEFAULT_CONCURRENCY_LIMIT: usize = 1024;
/// Default read timeout: a connection with requests waiting and no answer
/// for 30 s is deemed dead and replaced.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Default limit of calls in a row that time out (with no answer in
/// between) before their connection is replaced: 16.
pub const DEFAULT_MAX_CONSECUTIVE_TIMEOUTS: usize = 16;
/// Default for packing requests onto the first connection: off, every
/// request goes to the least-loaded connection.
pub const DEFAULT_PACK_UP_TO: Option<usize> = None;
/// Default busy polling: off, a connection waiting for answers sleeps at once.
pub const DEFAULT_BUSY_POLL: Option<Duration> = None;
/// Default first reconnect delay (before jitter): 50 ms.
pub const DEFAULT_BACKOFF_MIN: Duration = Duration::from_millis(50);
/// Default longest reconnect delay: 5 s.
pub const DEFAULT_BACKOFF_MAX: Duration = Duration::from_secs(5);

/// Every client option; builders and pools share one copy.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub(crate) pool_size: usize,
    pub(crate) request_timeout: Option<Duration>,
    pub(crate) dial_timeout: Duration,
    pub(crate) keepalive_time: Option<Duration>,
    pub(crate) keepalive_interval: Duration,
    pub(crate) keepalive_retries: u32,
    pub(crate) nodelay: bool,
    pub(crate) linger: Option<Duration>,
    pub(crate) tcp_user_timeout: Option<Duration>,
    pub(crate) concurrency_limit: Option<usize>,
    pub(crate) pack_up_to: Option<usize>,
    pub(crate) max_frame_len: usize,
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) max_consecutive_timeouts: Option<usize>,
    pub(crate) backoff_min: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) fail_fast: bool,
    pub(crate) busy_poll: Option<Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            pool_size: DEFAULT_POOL_SIZE,
            request_timeout: Some(DEFAULT_REQUEST_TIMEOUT),
            dial_timeout: DEFAULT_DIAL_TIMEOUT,
            keepalive_time: Some(DEFAULT_KEEPALIVE_TIME),
            keepalive_interval: DEFAULT_KEEPALIVE_INTERVAL,
            keepalive_retries: DEFAULT_KEEPALIVE_RETRIES,
            nodelay: true,
            linger: None,
            tcp_user_timeout: Some(DEFAULT_TCP_USER_TIMEOUT),
            concurrency_limit: Some(DEFAULT_CONCURRENCY_LIMIT),
            pack_up_to: DEFAULT_PACK_UP_TO,
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
            read_timeout: Some(DEFAULT_READ_TIMEOUT),
            max_consecutive_timeouts: Some(DEFAULT_MAX_CONSECUTIVE_TIMEOUTS),
            backoff_min: DEFAULT_BACKOFF_MIN,
            backoff_max: DEFAULT_BACKOFF_MAX,
            fail_fast: false,
            busy_poll: DEFAULT_BUSY_POLL,
        }
    }
}
