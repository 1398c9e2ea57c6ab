//! The client: a multiplexed connection and the ready stack over it.
//!
//! ```text
//! Client (Clone) ─ Timeout ─ Buffer ─ ConcurrencyLimit ─ Connection
//!                                                        └ tokio-tower multiplex::Client
//!                                                          tag = Uid, waiters in a map
//!                                                          Framed<TcpStream, JsonCodec>
//! ```
//!
//! Take [`Client`] (via [`ClientBuilder`]) for the ready stack, or
//! [`Connection`] to compose your own with `tower::ServiceBuilder`.

mod builder;
mod connect;
mod connection;
mod inflight;
mod pending;
mod service;
mod transport;

pub use builder::{
    ClientBuilder, DEFAULT_BUFFER_CAPACITY, DEFAULT_CONCURRENCY_LIMIT, DEFAULT_DIAL_TIMEOUT,
    DEFAULT_KEEPALIVE, DEFAULT_REQUEST_TIMEOUT,
};
pub use connection::{Connection, ResponseFuture as ConnectionFuture};
pub use service::{Client, ResponseFuture};
