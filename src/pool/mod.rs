//! The pool: many connections to many endpoints, kept alive in the background.
//!
//! ```text
//! Pool (Clone) ─ pick: least loaded (or packed) ─┬─ endpoint A: slot 1 … pool_size ─ Connection
//!                                                └─ endpoint B: slot 1 … pool_size ─ Connection
//! PoolWorker: one supervisor per slot ─ dial (timeout, socket options) ─ put in rotation ─ watch
//!             (ended? the connection's health says the peer is dead?) ─ backoff with jitter ─ redial
//! PoolHandle: add / remove endpoints (sent to the worker), read their health
//! ```
//!
//! [`Pool`] is the service; [`PoolWorker`] runs the supervisors;
//! [`PoolHandle`] adds and removes endpoints at run time and reports their
//! health ([`EndpointStatus`]).

mod backoff;
mod endpoint;
mod future;
mod handle;
pub(crate) mod options;
mod pick;
mod service;
mod set;
mod supervisor;
mod worker;

pub use endpoint::EndpointStatus;
pub use future::ResponseFuture;
pub use handle::PoolHandle;
pub(crate) use options::PoolOptions;
pub use service::Pool;
pub use worker::PoolWorker;
