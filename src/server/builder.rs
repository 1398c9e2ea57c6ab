//! [`ServerBuilder`] and the bound [`Server`] it makes.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, ToSocketAddrs};
use tower::Service;

use crate::{Message, Resp, DEFAULT_MAX_FRAME_LEN};

/// Default [`ServerBuilder::max_connections`]: 10 000 open connections.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// Default [`ServerBuilder::max_in_flight`]: 1024 requests per connection.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1024;
/// Default [`ServerBuilder::drain_timeout`]: 30 s.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// The server's options, kept in one place.
#[derive(Clone, Debug)]
pub(crate) struct ServerOptions {
    pub(crate) max_frame_len: usize,
    pub(crate) max_connections: usize,
    pub(crate) max_in_flight: usize,
    pub(crate) drain_timeout: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            drain_timeout: DEFAULT_DRAIN_TIMEOUT,
        }
    }
}

/// Configures a [`Server`].
///
/// # Examples
///
/// ```
/// use jsonmux::{HelloService, Server};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
/// let server = Server::builder()
///     .max_frame_len(64 * 1024)
///     .max_in_flight(256)
///     .bind("127.0.0.1:0")
///     .await?;
/// println!("listening on {}", server.local_addr()?);
/// // Serve until the shutdown future completes (here: at once).
/// server.serve(HelloService, async {}).await
/// # }
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ServerBuilder {
    opts: ServerOptions,
}

impl ServerBuilder {
    /// A builder with every option at its default.
    pub fn new() -> Self {
        ServerBuilder::default()
    }

    /// Largest request accepted, in bytes. A client that sends more gets an
    /// error answer and is disconnected. Default: [`DEFAULT_MAX_FRAME_LEN`].
    ///
    /// ```
    /// let b = jsonmux::Server::builder().max_frame_len(4096);
    /// ```
    pub fn max_frame_len(mut self, bytes: usize) -> Self {
        self.opts.max_frame_len = bytes;
        self
    }

    /// Most connections open at once; further clients wait in the listen
    /// backlog until one closes. Raised to 1 if given 0. Default:
    /// [`DEFAULT_MAX_CONNECTIONS`].
    ///
    /// ```
    /// let b = jsonmux::Server::builder().max_connections(100);
    /// ```
    pub fn max_connections(mut self, n: usize) -> Self {
        self.opts.max_connections = n.max(1);
        self
    }

    /// Most requests handled at once on one connection; past it, the server
    /// stops reading that connection until one finishes. Raised to 1 if
    /// given 0. Default: [`DEFAULT_MAX_IN_FLIGHT`].
    ///
    /// ```
    /// let b = jsonmux::Server::builder().max_in_flight(64);
    /// ```
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.opts.max_in_flight = n.max(1);
        self
    }

    /// After shutdown is signalled, how long requests in flight may take to
    /// finish before their connections are cut. Default: [`DEFAULT_DRAIN_TIMEOUT`].
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::Server::builder().drain_timeout(Duration::from_secs(5));
    /// ```
    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.opts.drain_timeout = timeout;
        self
    }

    /// Binds a listener on `addr` (use port 0 for an ephemeral port).
    ///
    /// # Errors
    ///
    /// The bind error, if the address is taken or invalid.
    pub async fn bind(self, addr: impl ToSocketAddrs) -> io::Result<Server> {
        Ok(self.listener(TcpListener::bind(addr).await?))
    }

    /// Wraps an already bound listener.
    pub fn listener(self, listener: TcpListener) -> Server {
        Server {
            listener,
            opts: self.opts,
        }
    }
}

/// A bound listener ready to serve a tower service.
///
/// Each accepted connection gets its own clone of the service, driven by a
/// tokio-tower `multiplex::Server`: its requests run concurrently and each
/// answer is written as soon as it is ready. A handler error becomes an
/// error answer to that request only.
pub struct Server {
    listener: TcpListener,
    opts: ServerOptions,
}

impl Server {
    /// A builder for the server's limits.
    pub fn builder() -> ServerBuilder {
        ServerBuilder::new()
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    ///
    /// The socket's error, if its address cannot be read.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves `svc` until `shutdown` completes, then drains: stops
    /// accepting, stops reading, answers and flushes what was read (up to
    /// the drain timeout) and closes every connection.
    ///
    /// # Errors
    ///
    /// None today: accept errors are logged and retried with backoff. The
    /// `Result` leaves room for fatal listener errors.
    pub async fn serve<S>(self, svc: S, shutdown: impl Future) -> io::Result<()>
    where
        S: Service<Message, Response = Resp> + Clone + Send + 'static,
        S::Error: fmt::Display + Send,
        S::Future: Send + 'static,
    {
        super::listener::run(self.listener, svc, self.opts, shutdown).await
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.listener.local_addr().ok())
            .field("opts", &self.opts)
            .finish()
    }
}
