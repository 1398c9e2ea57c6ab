//! The pool: many connections to many endpoints, kept alive in the background.
//!
//! ```text
//! Pool ─ least-loaded ready connection ─┬─ endpoint A: slot 1 … pool_size ─ Connection
//!                                       └─ endpoint B: slot 1 … pool_size ─ Connection
//! each slot: supervisor task ─ dial (timeout, socket options) ─ hand over ─ watch
//!            (closed? peer silent? timeouts in a row?) ─ backoff with jitter ─ redial
//! ```
//!
//! [`Pool`] is the service; [`PoolHandle`] adds and removes endpoints at
//! run time and reports their health ([`EndpointStatus`]).

mod backoff;
mod endpoint;
mod handle;
mod service;
mod supervisor;

pub use endpoint::EndpointStatus;
pub use handle::PoolHandle;
pub use service::{Pool, ResponseFuture};
