//! A time limit on each handler, whose clock starts only if the handler
//! does not answer at once.
//!
//! tower's `Timeout` starts a timer for every request. A handler that
//! answers on its first poll (the connection's driver polls each handler as
//! soon as it is called) needs none: [`HandlerTimeout`] arms its timer on
//! the first `Pending`, so such a handler costs no timer, clock read or
//! allocation. The limit runs from that first poll.

mod future;
mod layer;
mod service;
#[cfg(test)]
mod tests;

pub(crate) use layer::HandlerTimeoutLayer;
pub(crate) use service::HandlerTimeout;
