//! The server-wide cap on handlers at work, and what happens to a request
//! there is no room for: shed (the default) or queued.
//!
//! One [`Occupancy`] counts the handlers at work over all connections.
//! Each connection's [`Admission`] applies the connection's
//! [`Overload`](crate::server::Overload) mode both to that cap and to the
//! service's own readiness:
//!
//! * `Shed`: `poll_ready` is always ready (as tower's `LoadShed`); a
//!   request that arrives at the cap, or while the service was not ready,
//!   fails with tower's `Overloaded`, or [`Shed`] with the request for a
//!   jsonmux client to send again (an `overloaded` answer, once caught)
//!   without reaching its handler, so one busy connection cannot starve the
//!   others and an overloaded server says so instead of queueing without end.
//! * `Queue`: `poll_ready` waits for a place under the cap, then for the
//!   service; the connection reads no request meanwhile (backpressure).
//!
//! Only handlers that keep working are counted: the connection's driver
//! polls each handler as soon as it is called, and one that answers on
//! that first poll never holds a place. A place is held from a handler's
//! first `Pending` to its answer (or until it is dropped). Checking costs
//! one atomic load per request; entering and leaving one atomic add each,
//! and only for handlers that wait.

mod future;
mod layer;
mod occupancy;
mod returned;
mod service;
#[cfg(test)]
mod tests;

pub(crate) use layer::AdmissionLayer;
pub(crate) use occupancy::{Occupancy, OccupancyHandle};
pub(crate) use returned::Shed;
pub(crate) use service::Admission;
