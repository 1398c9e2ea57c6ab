//! The client: the ready stack over a pool of multiplexed connections.
//!
//! ```text
//! Client (Clone) ─ Deadline ─ [Buffer] ─ ConcurrencyLimit ─ Pool (Clone) ─ Connection(engine) …
//!
//! Engine::Jsonmux (default)  Connection ─ background task: batched writes, waiters by Uid
//!                                         in a table, Framed<stream, JsonCodec>
//! Engine::TokioTower         Connection ─ feed ─ tokio_tower::multiplex::Client
//!                                         (its task; tag = Uid; the same table of Uids)
//! ```
//!
//! # Layers, outermost first
//!
//! * `Deadline` bounds a call from `call` to its answer, the waits in a
//!   buffer's queue and for a connection inside the pool's future
//!   included. A call's deadline is the earliest of
//!   [`ClientBuilder::request_timeout`], its own
//!   ([`Message::with_deadline`](crate::Message::with_deadline)) and, in a
//!   jsonmux handler, the deadline of the request being handled
//!   ([`ClientBuilder::inherit_deadline`]); it goes with the request to a
//!   jsonmux server. A call past its deadline, or dropped, is given up:
//!   its permit is given back at once, and its connection cancels it on a
//!   jsonmux server (the handler stops, the `Uid` is free at once) or,
//!   with a Go server, keeps its `Uid` taken (a reservation) until the
//!   late answer arrives.
//! * `Buffer` ([`ClientBuilder::buffer`], off by default) queues calls
//!   for a worker task that hands them on: a bounded queue in front, at
//!   the cost of a task hop per call.
//! * `ConcurrencyLimit` ([`ClientBuilder::concurrency_limit`]) caps the
//!   calls whose callers still wait, over the whole pool; a caller past it
//!   waits in `poll_ready` for a permit.
//! * [`Pool`] picks a connection per call (least loaded, or packed with
//!   [`ClientBuilder::pack_up_to`]), waits for one while none is up, and
//!   keeps its connections alive. Its load counts the `Uid`s taken per
//!   connection: calls waiting plus reservations, so it can exceed the
//!   concurrency limit while late answers are due.
//! * The [`Connection`]'s engine ([`ClientBuilder::engine`]): jsonmux's
//!   own task, or tokio-tower's multiplex client behind a queue of its
//!   own (it is not `Clone`, and needs one to be shared; its task pumps
//!   the queue, so there is no task hop); the same guarantees, options and
//!   health checks.
//!
//! By default there is no `Buffer` in the stack: the pool is `Clone`, so
//! callers reach the connection directly.
//!
//! Take [`Client`] (via [`ClientBuilder`], or [`Client::pair`] to run its
//! pool's worker yourself) for the ready stack, or a bare [`Pool`] or
//! [`Connection`] to compose your own with `tower::ServiceBuilder`.

#[cfg(doc)]
use crate::{Client, ClientBuilder, Connection, Pool};

pub(crate) mod builder;
mod deadline;
mod future;
mod options;
pub(crate) mod service;
mod stack;

pub use crate::connection::uid_mode::UidMode;
pub use future::ResponseFuture;
