//! The tokio-tower engine: [`tokio_tower::multiplex::Server`] drives one
//! connection's service over jsonmux's framing.
//!
//! ```text
//! serve ─ quiet: the Framing alone waits for a request (no multiplex::Server)
//!       └ speaking: multiplex::Server: call each request read, answer in the order handlers finish
//!           ├ Transport: Stream of requests / Sink of answers, over the connection's Framing
//!           │   (max_in_flight, deadlines, drain, stats, batched writes; ends when quiet)
//!           └ FlushWhenBusy(PollOnCall(service)): each handler polled once when called
//! ```
//!
//! tokio-tower's server reads a request, calls the service, and flushes
//! after each one; it ends the connection, dropping every request in
//! flight, on an error from its transport or its service. So the rules
//! that make it a jsonmux server live in the transport it is given:
//!
//! * Handlers' errors never reach it: the connection's service is the
//!   server's stack, whose `CatchErrors` turns each into an error answer.
//! * A reason to end the connection (bad input, a timeout, the peer's
//!   close, the end of a drain) ends the *stream of requests* instead of
//!   failing it:
//!   tokio-tower then answers every request already read and flushes, and
//!   the engine sends the reason as the last answer and closes.
//! * A flush while requests are still being read is held back: the
//!   answers go out in one write when reading runs dry, or once they fill
//!   a batch, as with the jsonmux engine. The server reads right after it
//!   flushes, so a flush held back needs no wake-up, unless the service
//!   is not ready: its wrapper then has the flush done ([`busy`]).
//! * A connection idle long enough to give back its buffers ends its
//!   `multiplex::Server` (the stream of requests ends with no reason); the
//!   next request makes a new one. A quiet connection keeps no tokio-tower
//!   state.

mod answer;
mod busy;
mod serve;
#[cfg(test)]
mod tests;
mod transport;

pub(super) use serve::serve;
