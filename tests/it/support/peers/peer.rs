//! [`Peer`]: the handle on a misbehaving peer, its accept loop, and what
//! it has seen.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;

use jsonmux::Addr;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::{AbortHandle, JoinSet};

use super::mode::Mode;
use super::serve::serve;
use crate::support::time::bounded;

/// What a [`Peer`] has seen and done so far.
#[derive(Clone, Debug, Default)]
pub(crate) struct Seen {
    /// Connections accepted.
    pub(crate) accepted: usize,
    /// The `Uid` of every request read, in order, over every connection.
    pub(crate) read: Vec<String>,
    /// Bytes written, over every connection.
    pub(crate) written: u64,
    /// Writes that failed (the client had closed or reset the connection).
    pub(crate) write_errors: usize,
    /// Connections the peer closed or reset.
    pub(crate) hung_up: usize,
}

/// A peer on an ephemeral loopback port that misbehaves as its [`Mode`]
/// says on every connection; it stops (and drops its connections) when
/// dropped.
#[derive(Debug)]
pub(crate) struct Peer {
    pub(crate) addr: SocketAddr,
    seen: watch::Receiver<Seen>,
    /// Whether a [`Mode::StopsReading`] peer reads yet.
    reading: watch::Sender<bool>,
    /// The accept loop, which owns every connection's task.
    task: AbortHandle,
}

impl Peer {
    /// Starts a peer in `mode` on 127.0.0.1:0.
    pub(crate) async fn start(mode: Mode) -> Peer {
        let socket = TcpSocket::new_v4().unwrap();
        if let Mode::StopsReading = mode {
            // Inherited by accepted sockets: the peer's side holds little.
            socket.set_recv_buffer_size(4096).unwrap();
        }
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = socket.listen(64).unwrap();
        let addr = listener.local_addr().unwrap();
        let (tell, seen) = watch::channel(Seen::default());
        let reading = watch::Sender::new(false);
        let told = reading.subscribe();
        let task = tokio::spawn(async move {
            let mut conns = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                // Every write leaves at once (no Nagle delay in real time).
                stream.set_nodelay(true).unwrap();
                tell.send_modify(|s| s.accepted += 1);
                conns.spawn(serve(stream, mode, tell.clone(), told.clone()));
                if let Mode::Dies(..) = mode {
                    break;
                }
            }
            // A peer that died listens no more; its connection lives on.
            drop(listener);
            while conns.join_next().await.is_some() {}
        });
        Peer {
            addr,
            seen,
            reading,
            task: task.abort_handle(),
        }
    }

    /// What it has seen and done so far.
    pub(crate) fn seen(&self) -> Seen {
        self.seen.borrow().clone()
    }

    /// Waits until what it has seen and done satisfies `cond`.
    pub(crate) async fn until(&self, what: &str, cond: impl FnMut(&Seen) -> bool) -> Seen {
        let mut seen = self.seen.clone();
        let got = bounded(what, seen.wait_for(cond)).await.map(|s| s.clone());
        got.expect("the accept loop lives as long as the peer")
    }

    /// A [`Mode::StopsReading`] peer starts reading, on every connection
    /// (those accepted later too).
    pub(crate) fn start_reading(&self) {
        self.reading.send_replace(true);
    }

    /// A connector (for `ClientBuilder::connector`) that dials this peer,
    /// whatever the endpoint, with a 4 KiB send buffer: what the peer does
    /// not read backs up into the connection at once.
    pub(crate) fn small_send_buffer(
        &self,
    ) -> impl tower::Service<
        Addr,
        Response = TcpStream,
        Error = io::Error,
        Future = Pin<Box<dyn Future<Output = io::Result<TcpStream>> + Send>>,
    > + Clone {
        let addr = self.addr;
        tower::service_fn(move |_: Addr| {
            let dial = async move {
                let socket = TcpSocket::new_v4()?;
                socket.set_send_buffer_size(4096)?;
                let stream = socket.connect(addr).await?;
                stream.set_nodelay(true)?;
                Ok(stream)
            };
            Box::pin(dial) as Pin<Box<dyn Future<Output = _> + Send>>
        })
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
