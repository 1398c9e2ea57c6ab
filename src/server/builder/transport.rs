//! Where a server's connections come from: a TCP or Unix listener it
//! binds, one given to it, or any stream of accepted connections; and TLS
//! over them (the `tls` feature).

use std::path::Path;
use std::sync::Arc;

use futures_core::Stream;

use super::{Server, ServerBuilder};
use crate::server::incoming::Listener;
use crate::{Addr, Error};

impl ServerBuilder {
    /// Binds a listener on `addr`: `host:port` (use port 0 for an
    /// ephemeral port), or `unix:/path` for a Unix socket (see
    /// [`bind_unix`](Self::bind_unix)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), tower::BoxError> {
    /// let server = jsonmux::Server::builder().bind("127.0.0.1:0").await?;
    /// assert!(server.local_addr()?.port() != 0);
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] for an option that cannot be used (checked
    /// before binding); [`Error::Bind`] if the address is taken or invalid.
    pub async fn bind(self, addr: impl Into<Addr>) -> Result<Server, Error> {
        let opts = self.options()?;
        let listener = Listener::bind(addr)
            .await
            .map_err(|e| Error::Bind(Arc::new(e)))?;
        Ok(Server::new(listener, opts))
    }

    /// Binds a Unix domain socket at `path`. A socket file left there by a
    /// server that is gone is replaced (a live one is an error); the file
    /// is removed when the server stops. Clients reach it as `unix:/path`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), tower::BoxError> {
    /// let path = std::env::temp_dir().join(format!("jsonmux-bind-{}.sock", std::process::id()));
    /// let server = jsonmux::Server::builder().bind_unix(&path).await?;
    /// assert_eq!(server.endpoint()?.to_string(), format!("unix:{}", path.display()));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`bind`](Self::bind).
    pub async fn bind_unix(self, path: impl AsRef<Path>) -> Result<Server, Error> {
        self.bind(Addr::Unix(path.as_ref().to_owned())).await
    }

    /// Serves on a listener bound already: a `tokio::net::TcpListener`, or
    /// a [`Listener`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), tower::BoxError> {
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let server = jsonmux::Server::builder().listener(listener)?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] for an option that cannot be used.
    pub fn listener(self, listener: impl Into<Listener>) -> Result<Server, Error> {
        self.incoming(listener.into())
    }

    /// Serves any stream of accepted connections: each item is a byte
    /// stream (`AsyncRead + AsyncWrite`) and what is known of its peer
    /// ([`ConnInfo`](crate::ConnInfo)), or an accept error (logged, then retried with
    /// backoff). Bring your own transport this way: QUIC streams, a proxy
    /// protocol, in-memory pipes in tests. When the stream ends, the
    /// server stops accepting and drains, as on shutdown.
    ///
    /// Every limit applies as with a listener; TLS (`tls`, with the `tls`
    /// feature), if set, runs over each connection.
    ///
    /// ```
    /// use jsonmux::{ConnInfo, HelloService, Message, Server};
    /// use tower::ServiceExt;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), jsonmux::Error> {
    /// // One connection, over an in-memory pipe.
    /// let (client_end, server_end) = tokio::io::duplex(64 * 1024);
    /// let incoming = futures_util::stream::iter([Ok::<_, std::io::Error>((server_end, ConnInfo::default()))]);
    /// let server = Server::builder().incoming(incoming)?;
    /// tokio::spawn(server.serve(HelloService, std::future::pending::<()>()));
    ///
    /// let resp = jsonmux::Connection::new(client_end).oneshot(Message::new("a", "pig")).await?;
    /// assert_eq!(resp.val, "server: hello, pig");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOption`] for an option that cannot be used.
    pub fn incoming<I>(self, incoming: I) -> Result<Server<I>, Error>
    where
        I: Stream,
    {
        Ok(Server::new(incoming, self.options()?))
    }
}
