//! The pool: many connections to many endpoints, kept alive in the background.
//!
//! ```text
//! Pool (Clone) ─ pick: least loaded (or packed) ─┬─ endpoint A: slot 1 … pool_size ─ Connection
//!                                                └─ endpoint B: slot 1 … pool_size ─ Connection
//! PoolWorker: one supervisor per slot ─ dial (timeout, socket options) ─ put in rotation ─ watch
//!             (ended? the connection's health says the peer is dead?) ─ backoff with jitter ─ redial
//!             (draining: its server is going away? redial at once; it finishes its calls on the side)
//! Endpoints: add / remove endpoints (sent to the worker), read their health
//!             discover: any tower Discover stream of addresses (DnsDiscover: a name, resolved on an interval),
//!             polled by the worker: Insert → add, Remove → remove
//! ```
//!
//! [`Pool`] is the service; [`PoolWorker`] runs the supervisors and the
//! discovery streams; [`Endpoints`] adds and removes endpoints at run
//! time, by hand or from a stream, and reports their health and call
//! counts ([`EndpointStatus`], [`PoolStats`]); [`DnsDiscover`] follows a host name's addresses
//! (with [`SystemResolver`], or a resolver of your own).
//!
//! The pick: the least-loaded connection (or packed, `pack_up_to`); if the
//! call's `Uid` is taken there, the least-loaded one where it is free.
//! Connections that are draining (their server sent a going-away notice,
//! or the pool is closing, [`Pool::close`]) take no new call.

mod attempts;
mod backoff;
mod budget;
mod call;
mod discovery;
mod dns;
mod endpoint;
mod future;
mod handle;
mod hedge;
pub(crate) mod options;
mod pick;
pub(crate) mod service;
mod set;
mod stats;
mod supervisor;
mod tally;
mod worker;

pub use dns::{DnsDiscover, SystemResolver};
pub use endpoint::EndpointStatus;
pub use future::ResponseFuture;
pub use handle::Endpoints;
pub use hedge::Hedge;
pub(crate) use options::PoolOptions;
pub(crate) use service::Pool;
pub use stats::PoolStats;
pub use worker::PoolWorker;
