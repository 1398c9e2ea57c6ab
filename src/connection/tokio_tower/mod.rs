//! tokio-tower's engine for a client connection:
//! `tokio_tower::multiplex::Client` over the connection's stream, behind
//! tower's `Buffer` (the shape the product brief names).
//!
//! ```text
//! Connection ── call: take the Uid in the shared in-flight table (a duplicate is refused here)
//!     │
//!     ▼ Buffer (bounded queue; its worker task) ─ multiplex::Client (one-slot hand-off; its task)
//! Transport: Framed<stream, JsonCodec> ── tag = Uid ── deferred flush ─► stream ─► decode
//!     answer ─ tag ─ PendingByUid: tokio-tower's handle on the call + the shared table's verdict
//!            (the caller still waits → handed over; a tombstone or an unknown Uid → dropped)
//! ```
//!
//! The jsonmux guarantees, and where each is kept:
//!
//! * one table of `Uid`s in flight for both engines (`InFlight` in
//!   [`Shared`](super::shared::Shared)): duplicates are refused before
//!   `call` (tokio-tower's `TagStore` cannot refuse), a call given up on
//!   leaves a tombstone that swallows its late answer, and a request that
//!   never reached the wire frees its `Uid` ([`tags`]);
//! * an unknown `Uid` is dropped, not fatal ([`pending`]);
//! * the transport records why the connection ended before tokio-tower
//!   fails the calls, so each reads a typed cause instead of "cancelled";
//!   it keeps the pending count above zero so an idle connection is read
//!   and a peer's close noticed; it batches writes with a deferred flush
//!   ([`transport`]);
//! * dead-peer detection is the same `Health` (the shared table feeds it),
//!   watched by the pool; an abort reaches the transport's stream;
//! * [`UidMode::Tagged`](crate::client::UidMode::Tagged) is applied before
//!   either engine sees the request: the tag is the wire `Uid` here too.

mod handle;
mod pending;
mod tags;
mod transport;

pub(crate) use handle::{Call, Handle};
