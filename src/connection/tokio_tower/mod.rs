//! tokio-tower's engine for a client connection:
//! `tokio_tower::multiplex::Client` over the connection's stream, shared by
//! the connection's handles through a [`Feed`](feed::Feed).
//!
//! ```text
//! Connection ── call: take the Uid in the shared in-flight table (a duplicate is refused here)
//!     │
//!     ▼ Feed (queue; no task: the client's task pumps it) ─ multiplex::Client (one-slot hand-off; its task)
//! Transport: Framed<stream, JsonCodec> ── tag = the Uid's key ── deferred flush ─► stream
//!     sent: tokio-tower's handle on the call goes into the Uid's entry in the table
//!     answer ◄─ Shared::route (as jsonmux's engine) ◄─ decode ◄─ stream
//!        the caller waits → its handle, for tokio-tower to hand the answer over;
//!        a tombstone, an unknown Uid, the server's word or a going-away notice → handled there
//! ```
//!
//! The jsonmux guarantees, and where each is kept:
//!
//! * one table of `Uid`s in flight for both engines (`InFlight` in
//!   [`Shared`](super::shared::Shared)), which also holds tokio-tower's
//!   handles on the calls ([`pending`]): duplicates are refused before
//!   `call` (tokio-tower's `TagStore` cannot refuse), a call given up on
//!   leaves a tombstone that swallows its late answer, and a request that
//!   never reached the wire frees its `Uid` ([`tags`]);
//! * every answer is routed by `Shared::route`, the same code as on
//!   jsonmux's engine: an unknown `Uid` is dropped, not fatal; the
//!   server's word about the connection is its cause; a going-away notice
//!   drains it (no new call; the calls in flight are answered; it ends
//!   after the last, through the kill switch the transport watches);
//! * the transport records why the connection ended before tokio-tower
//!   fails the calls, so each reads a typed cause instead of "cancelled";
//!   it keeps the pending count above zero so an idle connection is read
//!   and a peer's close noticed; it batches writes with a deferred flush,
//!   and flushes again after a flush that did not finish (TLS)
//!   ([`transport`]);
//! * the calls are counted (`Connection::stats`) where jsonmux's are, in
//!   the `Connection` and its `ResponseFuture`, shared by both engines;
//! * dead-peer detection is the same `Health` (the shared table feeds it,
//!   only answers to our own calls are progress, the transport reports a
//!   peer that takes nothing), watched by the pool; an abort reaches the
//!   transport's stream; reservations are bounded the same way (too many
//!   or too old retire the connection);
//! * the same backlog bounds the bytes of requests not yet written: a call
//!   past it keeps its request until there is room, a request takes its
//!   room until it is encoded or dropped ([`tags`]), and the feed drops
//!   the requests of callers who gave up before the client took them;
//! * the multiplex client is shared without a task hop: its own task takes
//!   every queued request in one turn, through the feed's pump ([`feed`]);
//! * [`UidMode::Tagged`](crate::client::UidMode::Tagged) is applied before
//!   either engine sees the request: the tag is the wire `Uid` here too.

mod call;
mod error;
mod feed;
mod handle;
mod pending;
mod slot;
mod tags;
mod transport;

pub(crate) use call::Call;
pub(crate) use handle::Handle;
pub(crate) use slot::Slot;
