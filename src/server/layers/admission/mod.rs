//! The server-wide cap on handlers at work, that sheds instead of queueing.
//!
//! One [`Occupancy`] counts the handlers at work over all connections;
//! each connection's [`Admission`] answers a request that arrives while
//! the cap is reached with tower's `Overloaded` (an `overloaded` answer,
//! once caught) without calling its handler, so one busy connection
//! cannot starve the others and an overloaded server says so instead of
//! queueing without end.
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
mod service;
#[cfg(test)]
mod tests;

pub(crate) use layer::AdmissionLayer;
pub(crate) use occupancy::{Occupancy, OccupancyHandle};
pub(crate) use service::Admission;
