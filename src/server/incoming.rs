//! [`Listener`]: the server's own source of connections, TCP or a Unix
//! socket, as one stream of accepted connections like any user's.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_core::Stream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
#[cfg(unix)]
use tokio::net::{UnixListener, UnixStream};

#[cfg(unix)]
use crate::transport::unix::{self, SocketFile};
use crate::{Addr, ConnInfo};

/// A bound TCP or Unix-socket listener: a [`Stream`] of accepted
/// connections, each a [`Socket`] with its [`ConnInfo`] (the peer's
/// address for TCP).
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
    type Item = io::Result<(Socket, ConnInfo)>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let accepted = match &self.kind {
            Kind::Tcp(l) => ready!(l.poll_accept(cx)).map(|(stream, peer)| {
                let _ = stream.set_nodelay(true);
                let info = ConnInfo {
                    peer_addr: Some(peer),
                    ..ConnInfo::default()
                };
                (Socket(Inner::Tcp(stream)), info)
            }),
            #[cfg(unix)]
            Kind::Unix(l, _) => ready!(l.poll_accept(cx))
                .map(|(stream, _)| (Socket(Inner::Unix(stream)), ConnInfo::default())),
        };
        Poll::Ready(Some(accepted))
    }
}

/// A connection a [`Listener`] accepted: a TCP or a Unix socket.
#[derive(Debug)]
pub struct Socket(Inner);

#[derive(Debug)]
enum Inner {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(UnixStream),
}

impl AsyncRead for Socket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.get_mut().0 {
            Inner::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(unix)]
            Inner::Unix(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Socket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().0 {
            Inner::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(unix)]
            Inner::Unix(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().0 {
            Inner::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            #[cfg(unix)]
            Inner::Unix(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match &self.0 {
            Inner::Tcp(s) => s.is_write_vectored(),
            #[cfg(unix)]
            Inner::Unix(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().0 {
            Inner::Tcp(s) => Pin::new(s).poll_flush(cx),
            #[cfg(unix)]
            Inner::Unix(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().0 {
            Inner::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(unix)]
            Inner::Unix(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}
