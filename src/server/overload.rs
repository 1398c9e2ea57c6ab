//! [`Overload`]: what the server does with a request it has no room for.

/// What the server does with a request while it is at its server-wide
/// limit ([`max_concurrent_requests`](crate::ServerBuilder::max_concurrent_requests))
/// or while the service is not ready (a `concurrency_limit` or a
/// `rate_limit` of your own inside it, say).
///
/// Set with [`ServerBuilder::overload`](crate::ServerBuilder::overload).
/// Default: [`Overload::Shed`].
///
/// The per-connection limit ([`max_in_flight`](crate::ServerBuilder::max_in_flight))
/// is backpressure in both modes: a connection with that many requests in
/// flight is not read until one is answered.
///
/// # A note on the default
///
/// Shedding is the default because it keeps the server's promises whatever
/// the load: every request read is answered at once, and a client of an
/// overloaded server learns it (an `overloaded` answer, to retry elsewhere
/// or later) instead of waiting without knowing why. Queueing suits a
/// server whose callers would rather wait than retry, such as batch jobs
/// behind a gateway with its own timeouts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Overload {
    /// Answer the request `overloaded` at once, without calling its
    /// handler (counted in [`ServerStats::shed`](crate::server::ServerStats::shed)).
    #[default]
    Shed,
    /// Wait for room: a connection that finds the server full (or its
    /// service not ready) stops reading requests until a place frees,
    /// as it does at `max_in_flight`. Nothing is shed; requests wait
    /// in the socket, and the caller's own deadline bounds the wait. The
    /// handler timeout still bounds every handler once called, and
    /// shutdown ends the wait like any other (the connection drains).
    ///
    /// When a place frees, every connection waiting for one is woken and
    /// tries again; one takes it and the others wait again.
    Queue,
}
