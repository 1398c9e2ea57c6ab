//! The per-request rules of a connection, as tower layers; [`stack`](super::stack)
//! puts them together.
//!
//! Each layer is a folder in tower's shape: `layer.rs`, `service.rs`,
//! `future.rs`, and its tests.

mod admission;
mod cancel;
mod catch_errors;
mod handler_timeout;

pub(crate) use admission::{AdmissionLayer, Shed};
pub(crate) use cancel::{CancelLayer, Cancellations};
pub(crate) use catch_errors::CatchErrorsLayer;
pub(crate) use handler_timeout::HandlerTimeoutLayer;
