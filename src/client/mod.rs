//! The client: a multiplexed connection and the ready stack over it.
//!
//! ```text
//! Client (Clone) ─ Timeout ─ ConcurrencyLimit ─ Pool (Clone) ─ Connection …
//!                                                               └ dispatch task: batched writes,
//!                                                                 waiters by Uid in a map,
//!                                                                 Framed<TcpStream, JsonCodec>
//! ```
//!
//! Take [`Client`] (via [`ClientBuilder`]) for the ready stack, or a bare
//! [`Pool`](crate::Pool) or [`Connection`] to compose your own with
//! `tower::ServiceBuilder`.

mod builder;
mod connect;
mod connection;
mod dispatch;
mod inflight;
mod options;
mod service;
mod shared;

pub use builder::ClientBuilder;
pub use connection::{Connection, ResponseFuture as ConnectionFuture};
pub(crate) use options::Options;
pub use options::{
    DEFAULT_BACKOFF_MAX, DEFAULT_BACKOFF_MIN, DEFAULT_BUSY_POLL, DEFAULT_CONCURRENCY_LIMIT,
    DEFAULT_DIAL_TIMEOUT, DEFAULT_KEEPALIVE_INTERVAL, DEFAULT_KEEPALIVE_RETRIES,
    DEFAULT_KEEPALIVE_TIME, DEFAULT_MAX_CONSECUTIVE_TIMEOUTS, DEFAULT_PACK_UP_TO,
    DEFAULT_POOL_SIZE, DEFAULT_READ_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, DEFAULT_TCP_USER_TIMEOUT,
};
pub use service::{Client, ResponseFuture};
pub(crate) use shared::Shared;
