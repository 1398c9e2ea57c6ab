//! The setter for the level of the server's tracing spans.

use super::ServerBuilder;

impl ServerBuilder {
    /// The level of the server's spans: `connection` (with the peer's
    /// address) around everything a connection does, and inside it
    /// `request` (with the request's `Uid`) around each handler. An event
    /// a handler emits carries both as long as the subscriber takes spans
    /// of this level: at `INFO`, a handler's `info!` says which request
    /// and which peer it is about. Default:
    /// `DEBUG`.
    ///
    /// ```
    /// let b = jsonmux::Server::builder().span_level(tracing::Level::INFO);
    /// ```
    ///
    /// # A note on cost
    ///
    /// A span the subscriber does not take costs a level check per
    /// request; one it takes costs what the subscriber does with it
    /// (typically an allocation per request).
    pub fn span_level(mut self, level: tracing::Level) -> Self {
        self.opts.span_level = level;
        self
    }
}
