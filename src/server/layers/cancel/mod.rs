//! [`Cancel`]: the per-request layer that lets a jsonmux client's cancel
//! stop a handler.
//!
//! ```text
//! cancel frame {"Sq":7,"Cancel":true} ─ Framing ─ Cancellations::cancel(7) ─ wakes request 7's future
//!                                                                           └ it drops its handler at once,
//!                                                                             and ends with no answer
//! ```
//!
//! Only a request that carries the extension's number can be cancelled,
//! and only while its handler works: a handler that answers on its first
//! poll is never registered, so the layer costs it nothing.

mod future;
mod layer;
mod registry;
mod service;
#[cfg(test)]
mod tests;

pub(crate) use layer::CancelLayer;
pub(crate) use registry::Cancellations;
pub(crate) use service::Cancel;
