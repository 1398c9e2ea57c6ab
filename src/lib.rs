//! Correlated JSON request/response over one connection, many requests
//! in flight at once, as a [tower] stack.
//!
//! jsonmux speaks the wire of a Go blog post's JSON-over-TCP service
//! (a client that routes answers to their callers by `Uid`; the README
//! names the post), so the Go client and server work against jsonmux both
//! ways. Between jsonmux peers, a call's deadline and its cancellation
//! cross the wire too, so a server stops working for callers who have
//! given up ([`Message::with_timeout`], [`Message::deadline`]); the Go
//! peers never see it. WIRE.md in the repository specifies the protocol.
//!
//! ```text
//! client → server   {"Uid":"pixel-1","Val":"pixelpig!"}            (stream of JSON objects:
//!                   {"Uid":"pixel-2","Val":"another pig!"}          newline, whitespace or nothing between)
//! server → client   {"Uid":"pixel-2","Val":"server: hello, another pig!","Ts":"2026-…Z"}\n
//!                   {"Uid":"pixel-1","Val":"server: hello, pixelpig!","Ts":"2026-…Z"}\n
//! ```
//!
//! Answers come back in any order; the client routes each one to its caller
//! by `Uid`.
//!
//! # Layout
//!
//! * [`Client`], [`ClientBuilder`]: the ready, cloneable stack (a
//!   deadline per call, an optional `Buffer`, a concurrency limit, the
//!   [`Pool`]): what most callers want. Endpoints are dialed over TCP, a Unix socket (`unix:/path`), TLS
//!   (the `tls` feature) or a connector of yours.
//! * [`Server`], [`ServerBuilder`]: any `Service<Message, Response = Resp>`
//!   behind a TCP or Unix listener, or any stream of accepted connections;
//!   a service per connection made from its [`ConnInfo`] with
//!   [`Server::serve_with`]. [`server::serve`] for the defaults.
//! * [`Message`], [`Resp`]: the two messages, read the way Go reads them.
//! * [`Error`], [`CloseReason`], [`Code`]: the one error type, why a
//!   connection ended, and the kinds of error answers.
//! * [`Pool`] and [`Connection`]: the layers under the client, to compose
//!   your own stack with `tower::ServiceBuilder` ([`pool`] and
//!   [`connection`] hold what goes with them). Both are `tower::load::Load`
//!   (the wait a call can expect), for tower's balancers.
//! * [`Engine`]: what drives a connection, on either side: jsonmux's own
//!   (the default), or tokio-tower's `multiplex` transport.
//! * [`HelloService`]: the Go server's answer, as a tower service.
//! * [`JsonCodec`], [`CodecError`]: the streaming, bounded codec.
//!
//! # Examples
//!
//! A server and the ready client:
//!
//! ```
//! use jsonmux::{Client, HelloService, Message, Server};
//! use tower::ServiceExt;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), tower::BoxError> {
//! let server = Server::builder().bind("127.0.0.1:0").await?;
//! let addr = server.local_addr()?;
//! tokio::spawn(server.serve(HelloService, std::future::pending::<()>()));
//!
//! let client = Client::connect(addr).await?;
//! let resp = client.oneshot(Message::new("pixel-1", "pixelpig!")).await?;
//! assert_eq!(resp.val, "server: hello, pixelpig!");
//! # Ok(()) }
//! ```
//!
//! Your own stack over the bare connection, with `tower::ServiceBuilder`:
//!
//! ```
//! use std::time::Duration;
//! use jsonmux::{Connection, Message};
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), tower::BoxError> {
//! # let server = jsonmux::Server::builder().bind("127.0.0.1:0").await?;
//! # let addr = server.local_addr()?;
//! # tokio::spawn(server.serve(jsonmux::HelloService, std::future::pending::<()>()));
//! let svc = ServiceBuilder::new()
//!     .timeout(Duration::from_secs(2))
//!     .buffer(128)
//!     .concurrency_limit(32)
//!     .service(Connection::connect(addr).await?);
//! let resp = svc.oneshot(Message::new("a", "b")).await?;
//! assert_eq!(resp.uid, "a");
//! # Ok(()) }
//! ```
//!
//! [tower]: https://docs.rs/tower

#![forbid(unsafe_code)]
#![warn(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    rust_2018_idioms
)]

mod addr;
mod busy_poll;
mod check;
pub mod client;
mod code;
mod codec;
pub mod connection;
mod deadline;
#[cfg(feature = "tokio-tower")]
mod deferred_flush;
mod engine;
mod error;
mod hello;
#[cfg(feature = "metrics")]
pub mod metrics;
pub mod pool;
mod proto;
pub mod server;
mod timestamp;
mod trace;
mod transport;

pub use addr::Addr;
pub use client::builder::ClientBuilder;
pub use client::service::Client;
pub use code::{Code, UnknownCode};
pub use codec::{CodecError, JsonCodec};
pub use connection::service::Connection;
pub use engine::Engine;
pub use error::{CloseReason, Error};
pub use hello::HelloService;
pub use pool::service::Pool;
pub use proto::{Message, Resp};
pub use server::builder::{Server, ServerBuilder};
#[cfg(feature = "tls")]
pub use transport::tls;
pub use transport::{ConnInfo, PeerIdentity};

/// Compiles the README's examples so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
