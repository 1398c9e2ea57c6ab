//! A time limit on each handler, whose clock starts only if the handler
//! does not answer at once, and which keeps to its caller's deadline.
//!
//! tower's `Timeout` starts a timer for every request. A handler that
//! answers on its first poll (the connection's driver polls each handler as
//! soon as it is called) needs none: [`HandlerTimeout`] arms its timer on
//! the first `Pending`, so such a handler costs no timer, clock read or
//! allocation. The limit runs from that first poll.
//!
//! A request that came with its caller's deadline (a jsonmux client sends
//! it) is held to it too: one whose deadline has passed is answered
//! `deadline_exceeded` without calling its handler, and a handler still
//! working at the deadline is stopped, as at its own limit. While it is
//! polled, the deadline is the one a jsonmux client called from the handler
//! keeps to (`crate::deadline`).

mod future;
mod layer;
mod service;
#[cfg(test)]
mod tests;

pub(crate) use layer::HandlerTimeoutLayer;
pub(crate) use service::HandlerTimeout;
