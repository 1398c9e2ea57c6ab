//! The client: the ready stack over a pool of multiplexed connections.
//!
//! ```text
//! Client (Clone) ─ Timeout ─ ConcurrencyLimit ─ Pool (Clone) ─ Connection …
//!                                                               └ background task: batched writes,
//!                                                                 waiters by Uid in a table,
//!                                                                 Framed<stream, JsonCodec>
//! ```
//!
//! # Layers, outermost first
//!
//! * `Timeout` ([`ClientBuilder::request_timeout`]) bounds a call from
//!   `call` to its answer, the wait for a connection inside the pool's
//!   future included. A call past its deadline is dropped: its permit is
//!   given back at once, and its `Uid` stays taken on its connection (a
//!   tombstone) until the late answer arrives.
//! * `ConcurrencyLimit` ([`ClientBuilder::concurrency_limit`]) caps the
//!   calls whose callers still wait, over the whole pool; a caller past it
//!   waits in `poll_ready` for a permit.
//! * [`Pool`](crate::Pool) picks a connection per call (least loaded, or
//!   packed with [`ClientBuilder::pack_up_to`]), waits for one while none
//!   is up, and keeps its connections alive. Its load counts the `Uid`s
//!   taken per connection: calls waiting plus tombstones, so it can exceed
//!   the concurrency limit while late answers are due.
//!
//! There is no `Buffer`: the pool is `Clone`, so callers reach the
//! connection's task directly.
//!
//! Take [`Client`] (via [`ClientBuilder`], or [`Client::pair`] to run its
//! pool's worker yourself) for the ready stack, or a bare
//! [`Pool`](crate::Pool) or [`Connection`](crate::Connection) to compose
//! your own with `tower::ServiceBuilder`.

mod builder;
mod future;
mod options;
mod service;
mod stack;

pub use crate::connection::dial::DEFAULT_DIAL_TIMEOUT;
pub use crate::connection::options::{
    DEFAULT_BUSY_POLL, DEFAULT_MAX_CONSECUTIVE_TIMEOUTS, DEFAULT_READ_TIMEOUT,
};
pub use crate::connection::CallCounts;
pub use crate::connection::UidMode;
pub use crate::pool::options::{
    DEFAULT_BACKOFF_MAX, DEFAULT_BACKOFF_MIN, DEFAULT_PACK_UP_TO, DEFAULT_POOL_SIZE,
    DEFAULT_SPAN_LEVEL,
};
pub use crate::pool::PoolStats;
pub use crate::transport::tcp::{
    DEFAULT_KEEPALIVE_INTERVAL, DEFAULT_KEEPALIVE_RETRIES, DEFAULT_KEEPALIVE_TIME,
    DEFAULT_TCP_USER_TIMEOUT,
};
pub use builder::ClientBuilder;
pub use future::ResponseFuture;
pub use options::{DEFAULT_CONCURRENCY_LIMIT, DEFAULT_REQUEST_TIMEOUT};
pub use service::Client;
