//! The client: the ready stack over a pool of multiplexed connections.
//!
//! ```text
//! Client (Clone) ─ Timeout ─ [Buffer] ─ ConcurrencyLimit ─ Pool (Clone) ─ Connection(engine) …
//!
//! Engine::Jsonmux (default)  Connection ─ background task: batched writes, waiters by Uid
//!                                         in a table, Framed<stream, JsonCodec>
//! Engine::TokioTower         Connection ─ Buffer ─ tokio_tower::multiplex::Client
//!                                         (its task; tag = Uid; the same table of Uids)
//! ```
//!
//! The default stack is `Timeout ─ ConcurrencyLimit ─ Pool ─ Connection`
//! on jsonmux's engine; the product brief's shape is
//! [`ClientBuilder::buffer`] plus [`ClientBuilder::engine`]`(Engine::TokioTower)`.
//!
//! # Layers, outermost first
//!
//! * `Timeout` ([`ClientBuilder::request_timeout`]) bounds a call from
//!   `call` to its answer, the waits in a buffer's queue and for a
//!   connection inside the pool's future included. A call past its
//!   deadline is dropped: its permit is given back at once, and its `Uid`
//!   stays taken on its connection (a tombstone) until the late answer
//!   arrives.
//! * `Buffer` ([`ClientBuilder::buffer`], off by default) queues calls
//!   for a worker task that hands them on: a bounded queue in front, at
//!   the cost of a task hop per call.
//! * `ConcurrencyLimit` ([`ClientBuilder::concurrency_limit`]) caps the
//!   calls whose callers still wait, over the whole pool; a caller past it
//!   waits in `poll_ready` for a permit.
//! * [`Pool`](crate::Pool) picks a connection per call (least loaded, or
//!   packed with [`ClientBuilder::pack_up_to`]), waits for one while none
//!   is up, and keeps its connections alive. Its load counts the `Uid`s
//!   taken per connection: calls waiting plus tombstones, so it can exceed
//!   the concurrency limit while late answers are due.
//!
//! * The [`Connection`](crate::Connection)'s engine
//!   ([`ClientBuilder::engine`]): jsonmux's own task, or tokio-tower's
//!   multiplex client behind a `Buffer` of its own (not `Clone`, it needs
//!   one to be shared); the same guarantees, options and health checks.
//!
//! By default there is no `Buffer` in the stack: the pool is `Clone`, so
//! callers reach the connection directly.
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
    DEFAULT_ABANDONED_TIMEOUT, DEFAULT_BUSY_POLL, DEFAULT_MAX_ABANDONED,
    DEFAULT_MAX_CONSECUTIVE_TIMEOUTS, DEFAULT_MAX_QUEUED_BYTES, DEFAULT_READ_TIMEOUT,
    DEFAULT_WRITE_TIMEOUT,
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
pub use options::{DEFAULT_BUFFER, DEFAULT_CONCURRENCY_LIMIT, DEFAULT_REQUEST_TIMEOUT};
pub use service::Client;
