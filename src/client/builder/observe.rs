//! The setter for the level of the client's tracing spans.

use super::ClientBuilder;

impl ClientBuilder {
    /// The level of each call's span: `call`, with the call's `uid` and
    /// the `endpoint` it went to (and the `error` it failed with, if it
    /// does), from the moment the pool sends it on a connection to its
    /// answer. Default: `DEBUG`.
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().span_level(tracing::Level::INFO);
    /// ```
    ///
    /// # A note on cost
    ///
    /// A span the subscriber does not take costs a level check per call;
    /// one it takes costs what the subscriber does with it (typically an
    /// allocation per call).
    pub fn span_level(mut self, level: tracing::Level) -> Self {
        self.opts.pool.span_level = level;
        self
    }
}
