//! Turns a failed or panicking request into an error answer, so the
//! connection lives on, and addresses every answer to its request.
//!
//! The connection's driver ends the connection, and every request in flight
//! on it, if its service fails; under [`CatchErrors`] it never does: the
//! caller whose request failed is told why, with a code its client can
//! match (`timeout`, `overloaded`, `handler`, or the code of a jsonmux
//! error the handler passes on). A handler that panics, in `call` or while
//! its future is polled, is answered `handler` ("handler panicked") and
//! logged with the request's `Uid` and the peer; the other requests on the
//! connection go on.
//!
//! Every answer carries its request's `Uid`, whatever the handler put in
//! it: the server, not the handler, guarantees that an answer reaches its
//! caller.

mod future;
mod layer;
mod service;
#[cfg(test)]
mod tests;
mod uid;

pub(crate) use layer::CatchErrorsLayer;
pub(crate) use service::CatchErrors;
