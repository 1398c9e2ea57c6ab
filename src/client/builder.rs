//! [`ClientBuilder`]: the client's options, mirroring the seed's `Option`.

use std::time::Duration;

use tokio::net::ToSocketAddrs;

use super::{Client, Connection};
use crate::{Error, DEFAULT_MAX_FRAME_LEN};

/// Default [`ClientBuilder::request_timeout`]: 5 s.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Default [`ClientBuilder::dial_timeout`]: 3 s, as in the seed.
pub const DEFAULT_DIAL_TIMEOUT: Duration = Duration::from_secs(3);
/// Default [`ClientBuilder::keepalive`]: first probe after 30 s idle.
pub const DEFAULT_KEEPALIVE: Duration = Duration::from_secs(30);
/// Default [`ClientBuilder::buffer_capacity`]: 1024 queued requests.
pub const DEFAULT_BUFFER_CAPACITY: usize = 1024;
/// Default [`ClientBuilder::concurrency_limit`]: 1024 requests in flight.
pub const DEFAULT_CONCURRENCY_LIMIT: usize = 1024;

/// The options, kept in one place so no constructor repeats them.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub(crate) request_timeout: Option<Duration>,
    pub(crate) dial_timeout: Duration,
    pub(crate) keepalive: Option<Duration>,
    pub(crate) nodelay: bool,
    pub(crate) buffer_capacity: usize,
    pub(crate) concurrency_limit: Option<usize>,
    pub(crate) max_frame_len: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            request_timeout: Some(DEFAULT_REQUEST_TIMEOUT),
            dial_timeout: DEFAULT_DIAL_TIMEOUT,
            keepalive: Some(DEFAULT_KEEPALIVE),
            nodelay: true,
            buffer_capacity: DEFAULT_BUFFER_CAPACITY,
            concurrency_limit: Some(DEFAULT_CONCURRENCY_LIMIT),
            max_frame_len: DEFAULT_MAX_FRAME_LEN,
        }
    }
}

/// Configures and connects a [`Client`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use jsonmux::{ClientBuilder, Message};
/// use tower::ServiceExt;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), jsonmux::Error> {
/// # let server = jsonmux::Server::builder().bind("127.0.0.1:0").await?;
/// # let addr = server.local_addr()?;
/// # tokio::spawn(server.serve(jsonmux::HelloService, std::future::pending::<()>()));
/// let client = ClientBuilder::new()
///     .request_timeout(Some(Duration::from_millis(500)))
///     .concurrency_limit(Some(64))
///     .connect(addr)
///     .await?;
/// let resp = client.oneshot(Message::new("pixel-1", "pixelpig!")).await?;
/// assert_eq!(resp.val, "server: hello, pixelpig!");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ClientBuilder {
    pub(crate) opts: Options,
}

impl ClientBuilder {
    /// A builder with every option at its default.
    pub fn new() -> Self {
        ClientBuilder::default()
    }

    /// Deadline for a whole call, from the moment it is made (time waiting
    /// in the buffer and for a concurrency permit included); `None` for no
    /// deadline. Default: [`DEFAULT_REQUEST_TIMEOUT`].
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::ClientBuilder::new().request_timeout(Some(Duration::from_secs(1)));
    /// ```
    pub fn request_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.opts.request_timeout = timeout;
        self
    }

    /// Deadline for resolving and connecting. Default: [`DEFAULT_DIAL_TIMEOUT`].
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::ClientBuilder::new().dial_timeout(Duration::from_millis(500));
    /// ```
    pub fn dial_timeout(mut self, timeout: Duration) -> Self {
        self.opts.dial_timeout = timeout;
        self
    }

    /// Idle time before the first TCP keepalive probe; `None` turns
    /// keepalive off. Default: [`DEFAULT_KEEPALIVE`].
    ///
    /// ```
    /// # use std::time::Duration;
    /// let b = jsonmux::ClientBuilder::new().keepalive(Some(Duration::from_secs(10)));
    /// ```
    pub fn keepalive(mut self, time: Option<Duration>) -> Self {
        self.opts.keepalive = time;
        self
    }

    /// Sets `TCP_NODELAY` (no Nagle delay on small writes). Default: `true`.
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().nodelay(false);
    /// ```
    pub fn nodelay(mut self, nodelay: bool) -> Self {
        self.opts.nodelay = nodelay;
        self
    }

    /// How many calls may wait in the buffer for the connection; raised to
    /// 1 if given 0. Default: [`DEFAULT_BUFFER_CAPACITY`].
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().buffer_capacity(256);
    /// ```
    pub fn buffer_capacity(mut self, capacity: usize) -> Self {
        self.opts.buffer_capacity = capacity.max(1);
        self
    }

    /// How many requests may be in flight on the connection at once; `None`
    /// for no limit (not advised: the connection itself caps nothing).
    /// Default: [`DEFAULT_CONCURRENCY_LIMIT`].
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().concurrency_limit(Some(128));
    /// ```
    pub fn concurrency_limit(mut self, limit: Option<usize>) -> Self {
        self.opts.concurrency_limit = limit.map(|n| n.max(1));
        self
    }

    /// Largest answer accepted, in bytes; a larger one closes the
    /// connection with [`Error::FrameTooLarge`]. Default:
    /// [`DEFAULT_MAX_FRAME_LEN`].
    ///
    /// ```
    /// let b = jsonmux::ClientBuilder::new().max_frame_len(64 * 1024);
    /// ```
    pub fn max_frame_len(mut self, bytes: usize) -> Self {
        self.opts.max_frame_len = bytes;
        self
    }

    pub(crate) fn max_frame_len_value(&self) -> usize {
        self.opts.max_frame_len
    }

    /// Dials `addr` and returns the bare multiplexed [`Connection`], for
    /// composing your own stack.
    ///
    /// # Errors
    ///
    /// [`Error::Connect`] if the address cannot be reached within the dial timeout.
    pub async fn connect_bare(&self, addr: impl ToSocketAddrs) -> Result<Connection, Error> {
        let stream = self.dial(addr).await?;
        Ok(Connection::with_max_frame_len(
            stream,
            self.opts.max_frame_len,
        ))
    }

    /// Dials `addr` and returns the ready, cloneable [`Client`] stack.
    ///
    /// # Errors
    ///
    /// [`Error::Connect`] if the address cannot be reached within the dial timeout.
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> Result<Client, Error> {
        let conn = self.connect_bare(addr).await?;
        Ok(Client::from_connection(conn, &self.opts))
    }
}
