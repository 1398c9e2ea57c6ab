//! Turns a failed request into an error answer, so the connection lives on.
//!
//! The connection's driver ends the connection, and every request in flight
//! on it, if its service fails; under [`CatchErrors`] it never does: the
//! caller whose request failed is told why, with a code its client can
//! match (`timeout`, `overloaded`, `handler`, or the code of a jsonmux
//! error the handler passes on).

mod future;
mod layer;
mod service;
#[cfg(test)]
mod tests;

pub(crate) use layer::CatchErrorsLayer;
pub(crate) use service::CatchErrors;
