//! [`ServerBuilder`] and the bound [`Server`] it makes.
//!
//! The setters for the limits are here; what the server does when full is
//! in `builder/overload.rs`, its tracing in `builder/observe.rs`.

mod observe;
mod overload;

mod server;
#[cfg(feature = "tls")]
mod tls;
mod transport;

use std::time::Duration;

use super::options::ServerOptions;
use crate::Engine;
#[cfg(doc)]
use crate::Error;

pub use server::Server;

/// Configures a [`Server`]: each setter says its default, and chains.
///
/// The terminal call ([`bind`](Self::bind), [`listener`](Self::listener),
/// [`incoming`](Self::incoming)) checks every option and refuses the first
/// invalid one with [`Error::InvalidOption`], naming it and the value
/// given: a count is at least 1 and a length of time above zero (`None`
/// turns an option off where that means something). No value is adjusted
/// silently.
///
/// # Examples
///
/// ```
/// use jsonmux::{HelloService, Server};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), tower::BoxError> {
/// let server = Server::builder()
///     .max_frame_len(64 * 1024)
///     .max_in_flight(256)
///     .bind("127.0.0.1:0")
///     .await?;
/// println!("listening on {}", server.local_addr()?);
/// // Serve until the shutdown future completes (here: at once).
/// server.serve(HelloService, async {}).await?;
/// # Ok(()) }
/// ```
///
/// A value an option cannot take is refused, not adjusted:
///
/// ```
/// use jsonmux::{Error, Server};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let err = Server::builder().max_connections(0).bind("127.0.0.1:0").await.unwrap_err();
/// assert!(matches!(err, Error::InvalidOption { option: "max_connections", .. }));
/// # }
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ServerBuilder {
    opts: ServerOptions,
    /// TLS settings, turned into the acceptor by [`options`](Self::options).
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::ServerTls>,
}

impl ServerBuilder {
    /// A builder with every option at its default.
    pub fn new() -> Self {
        ServerBuilder::default()
    }

    /// What drives each connection: jsonmux's own driver, or tokio-tower's
    /// `multiplex::Server` (with the `tokio-tower` feature, on by default).
    /// Both keep every limit, timeout and the drain; [`Engine`] says what
    /// each costs. Default: [`Engine::Jsonmux`].
    ///
    /// ```
    /// use jsonmux::{Engine, Server};
    ///
    /// # #[cfg(feature = "tokio-tower")]
    /// let b = Server::builder().engine(Engine::TokioTower);
    /// ```
    pub fn engine(mut self, engine: Engine) -> Self {
        self.opts.engine = engine;
        self
    }

    /// Largest request accepted, in bytes; a client that sends more gets a
    /// `frame_too_large` answer and is disconnected. Default: 1 MiB.
    ///
    /// ```
    /// let b = jsonmux::Server::builder().max_frame_len(4096);
    /// ```
    pub fn max_frame_len(mut self, bytes: usize) -> Self {
        self.opts.max_frame_len = bytes;
        self
    }

    /// Most connections open at once; a client past it gets a
    /// `too_many_connections` answer and is disconnected. Default: 10 000.
    ///
    /// ```
    /// let b = jsonmux::Server::builder().max_connections(100);
    /// ```
    pub fn max_connections(mut self, n: usize) -> Self {
        self.opts.max_connections = n;
        self
    }

    /// Most requests handled at once on one connection; past it the server
    /// stops reading that connection until one finishes (backpressure).
    /// Default: 1024.
    ///
    /// ```
    /// let b = jsonmux::Server::builder().max_in_flight(64);
    /// ```
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.opts.max_in_flight = n;
        self
    }

    /// Most handlers at work at once over all connections; past it, or
    /// whenever the service is not ready, new requests are shed with an
    /// `overloaded` answer, or wait for a place with
    /// [`overload`](ServerBuilder::overload)`(Overload::Queue)`. Only
    /// handlers that do not answer at once are counted. `None` for no limit.
    /// Default: 16 384.
    ///
    /// ```
    /// let b = jsonmux::Server::builder().max_concurrent_requests(Some(1000));
    /// ```
    pub fn max_concurrent_requests(mut self, n: Option<usize>) -> Self {
        self.opts.max_concurrent_requests = n;
        self
    }

    /// Time limit for one handler call, from the first time it is found
    /// still working; past it the handler is dropped and the caller gets a
    /// `timeout` answer. `None` for no limit. Default: 30 s.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::Server::builder().handler_timeout(Some(Duration::from_secs(2)));
    /// ```
    pub fn handler_timeout(mut self, limit: Option<Duration>) -> Self {
        self.opts.handler_timeout = limit;
        self
    }

    /// A connection with nothing in flight and no request for this long is
    /// closed with an `idle_timeout` answer. `None` keeps idle connections
    /// forever. Default: 5 minutes.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::Server::builder().idle_timeout(Some(Duration::from_secs(60)));
    /// ```
    pub fn idle_timeout(mut self, limit: Option<Duration>) -> Self {
        self.opts.idle_timeout = limit;
        self
    }

    /// A frame must arrive in full within this long of its first byte; a
    /// slower sender gets a `frame_timeout` answer and is disconnected.
    /// `None` waits forever. Default: 10 s.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::Server::builder().frame_timeout(Some(Duration::from_secs(2)));
    /// ```
    pub fn frame_timeout(mut self, limit: Option<Duration>) -> Self {
        self.opts.frame_timeout = limit;
        self
    }

    /// A peer must take each batch of answers within this long: one that
    /// stops reading (its socket buffers full) is disconnected instead of
    /// holding its connection forever. `None` waits forever. Default: 30 s.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::Server::builder().write_timeout(Some(Duration::from_secs(5)));
    /// ```
    pub fn write_timeout(mut self, limit: Option<Duration>) -> Self {
        self.opts.write_timeout = limit;
        self
    }

    /// After shutdown is signalled, how long connections have to finish
    /// (see [`Server::serve`]) before those still open are cut; zero cuts
    /// them at once. Default: 30 s.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::Server::builder().drain_timeout(Duration::from_secs(5));
    /// ```
    pub fn drain_timeout(mut self, limit: Duration) -> Self {
        self.opts.drain_timeout = limit;
        self
    }

    /// After shutdown is signalled, how long each connection keeps reading
    /// and answering new requests, for clients that ignore the going-away
    /// notice; then it reads nothing more, answers what it has read and
    /// closes. A connection with nothing in flight that has been quiet for
    /// a second closes sooner. Past the [`drain_timeout`](Self::drain_timeout)
    /// connections are cut whatever their grace; zero reads nothing after
    /// the notice. Default: 10 s.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::Server::builder().drain_grace(Duration::from_secs(2));
    /// ```
    pub fn drain_grace(mut self, grace: Duration) -> Self {
        self.opts.drain_grace = grace;
        self
    }

    /// Busy polling, for latency at light load: after answering everything
    /// it has read, a connection keeps checking its socket for this long
    /// before it sleeps, yielding to the runtime's other tasks between
    /// checks. `None` sleeps at once. Default: `None`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::Server::builder().busy_poll(Some(Duration::from_micros(50)));
    /// ```
    ///
    /// # A note on cost
    ///
    /// On virtual machines, waking a sleeping CPU for the next request can
    /// cost tens of microseconds; Go's scheduler avoids it by spinning
    /// before it sleeps, and this does the same. It costs CPU: up to the
    /// whole window per request when requests come one at a time, and some
    /// throughput when the CPUs are saturated (PERFORMANCE.md has the
    /// trade-off). Linux's `SO_BUSY_POLL` is the same idea in the kernel.
    ///
    /// The connection is polled again once its worker has run out of other
    /// work and checked for I/O without blocking; with several workers,
    /// another one may hold the I/O driver, which makes the check less
    /// immediate, never lost. The window is real time, so a paused tokio
    /// clock in tests does not stretch it.
    pub fn busy_poll(mut self, window: Option<Duration>) -> Self {
        self.opts.busy_poll = window;
        self
    }

    /// Speaks jsonmux's extension with the jsonmux clients that do (they
    /// say so on every request): a request's deadline is kept (the handler
    /// gets it from [`Message::deadline`](crate::Message::deadline), is not
    /// started once it has passed, and is stopped at it), a client that
    /// gives up on a call cancels it (its handler is dropped at once and
    /// nothing is answered), and answers carry the request's number back.
    /// A Go client never sends any of it and sees nothing new. `false`
    /// ignores the extension's fields, as any unknown key. Default: `true`.
    ///
    /// ```
    /// let b = jsonmux::Server::builder().extension(false);
    /// ```
    pub fn extension(mut self, on: bool) -> Self {
        self.opts.extension = on;
        self
    }

    /// Every option, checked: what the terminal calls serve with.
    fn options(self) -> Result<ServerOptions, crate::Error> {
        self.opts.check()?;
        #[cfg_attr(not(feature = "tls"), allow(unused_mut))]
        let mut opts = self.opts;
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.tls {
            opts.tls = Some(tls.build()?);
        }
        Ok(opts)
    }
}
