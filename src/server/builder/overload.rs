//! The setter for what the server does when it is full.

use super::ServerBuilder;
use crate::server::Overload;

impl ServerBuilder {
    /// What happens to a request while the server is at
    /// [`max_concurrent_requests`](ServerBuilder::max_concurrent_requests)
    /// or its service is not ready: [`Overload::Shed`] answers it
    /// `overloaded` at once, [`Overload::Queue`] stops reading the
    /// connection until a place frees. Default:
    /// [`Overload::Shed`] ([`Overload`]
    /// says why).
    ///
    /// ```
    /// use jsonmux::server::Overload;
    /// let b = jsonmux::Server::builder().overload(Overload::Queue);
    /// ```
    pub fn overload(mut self, mode: Overload) -> Self {
        self.opts.overload = mode;
        self
    }
}
