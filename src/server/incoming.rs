//! [`Listener`]: the server's own source of connections, TCP or a Unix
//! socket, as one stream of accepted connections like any user's.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_core::Stream;
use tokio::net::{TcpListener, TcpStream};
#[cfg(unix)]
use tokio::net::{UnixListener, UnixStream};
use tokio_util::either::Either;

#[cfg(unix)]
use crate::transport::unix::{self, SocketFile};
use crate::{Addr, ConnInfo};

/// An accepted connection: TCP, or a Unix socket.
#[cfg(unix)]
type Accepted = Either<TcpStream, UnixStream>;
#[cfg(not(unix))]
type Accepted = Either<TcpStream, TcpStream>;

/// A bound TCP or Unix-socket listener: a [`Stream`] of accepted
/// connections, each a `tokio_util::either::Either` of a `TcpStream` and a
/// `UnixStream`, with its [`ConnInfo`] (the peer's address for TCP).
///
/// [`ServerBuilder::bind`](crate::ServerBuilder::bind) makes one; it is
/// also a ready source for a stream of your own (wrap it to read a proxy
/// protocol header, say) given to
/// [`ServerBuilder::incoming`](crate::ServerBuilder::incoming).
///
/// Accepted TCP sockets get `TCP_NODELAY` (answers are batched already).
/// A Unix socket's file is removed when the listener is dropped, unless
/// another server has bound the path since.
///
/// # Examples
///
/// ```
/// use futures_util::StreamExt;
/// use jsonmux::server::Listener;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
/// let mut listener = Listener::bind("127.0.0.1:0").await?;
/// let addr = listener.endpoint()?;
/// let _client = tokio::net::TcpStream::connect(addr.to_string()).await?;
/// let (_socket, info) = listener.next().await.unwrap()?;
/// assert!(info.peer_addr.is_some());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Listener {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Tcp(TcpListener),
    #[cfg(unix)]
    Unix(UnixListener, SocketFile),
}

impl Listener {
    /// Binds `addr`: `host:port` (port 0 for an ephemeral one) or
    /// `unix:/path`. A Unix socket file left by a server that is gone is
    /// replaced; a live one is an error.
    ///
    /// # Errors
    ///
    /// The bind error, if the address is taken or invalid.
    pub async fn bind(addr: impl Into<Addr>) -> io::Result<Listener> {
        match addr.into() {
            Addr::Tcp(hostport) => Ok(TcpListener::bind(hostport).await?.into()),
            #[cfg(unix)]
            Addr::Unix(path) => {
                let (listener, file) = unix::bind(&path)?;
                Ok(Listener {
                    kind: Kind::Unix(listener, file),
                })
            }
            #[cfg(not(unix))]
            Addr::Unix(_) => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "unix sockets on this platform",
            )),
        }
    }

    /// The address clients connect to: `ip:port`, or `unix:/path`.
    ///
    /// # Errors
    ///
    /// The socket's error, if its address cannot be read.
    pub fn endpoint(&self) -> io::Result<Addr> {
        match &self.kind {
            Kind::Tcp(l) => l.local_addr().map(Addr::from),
            #[cfg(unix)]
            Kind::Unix(_, file) => Ok(Addr::Unix(file.path().to_owned())),
        }
    }

    /// The TCP address bound.
    ///
    /// # Errors
    ///
    /// The socket's error, or `Unsupported` for a Unix socket (see
    /// [`endpoint`](Listener::endpoint)).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        match &self.kind {
            Kind::Tcp(l) => l.local_addr(),
            #[cfg(unix)]
            Kind::Unix(..) => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "a unix socket has no IP address; see endpoint()",
            )),
        }
    }
}

impl From<TcpListener> for Listener {
    fn from(listener: TcpListener) -> Self {
        Listener {
            kind: Kind::Tcp(listener),
        }
    }
}

impl Stream for Listener {
    type Item = io::Result<(Accepted, ConnInfo)>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let accepted = match &self.kind {
            Kind::Tcp(l) => ready!(l.poll_accept(cx)).map(|(stream, peer)| {
                let _ = stream.set_nodelay(true);
                let info = ConnInfo {
                    peer_addr: Some(peer),
                    ..ConnInfo::default()
                };
                (Either::Left(stream), info)
            }),
            #[cfg(unix)]
            Kind::Unix(l, _) => ready!(l.poll_accept(cx))
                .map(|(stream, _)| (Either::Right(stream), ConnInfo::default())),
        };
        Poll::Ready(Some(accepted))
    }
}
