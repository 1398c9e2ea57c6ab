//! Peers that keep a connection open but break its rules of progress:
//! they answer `Uid`s the client never sent, drop requests, or stop
//! reading; and a connector with a small send buffer, so a peer that
//! stops reading is felt at once.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use jsonmux::{Addr, JsonCodec, Message};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Notify};
use tokio_util::codec::FramedRead;

/// What an [`unruly`] peer does on each connection it accepts.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Unruly {
    /// Answers every request, but never with its `Uid`: one answer with
    /// `"Uid": null`, one with a `Uid` nobody sent.
    AnswersNotOurs,
    /// Answers nothing it reads, and writes an unsolicited answer (to a
    /// `Uid` nobody sent) this often.
    Floods(Duration),
    /// Answers the requests this picks (their `Uid`, `Val` echoed) and
    /// drops the others.
    Drops(fn(&Message) -> bool),
    /// Reads nothing (with a small receive buffer) until
    /// [`Peer::start_reading`]; then answers every request.
    ReadsWhenTold,
}

/// An [`unruly`] peer: its address, and what it saw.
pub(crate) struct Peer {
    pub(crate) addr: SocketAddr,
    /// One event per connection accepted.
    pub(crate) accepted: mpsc::UnboundedReceiver<()>,
    /// The `Uid` of every request read, in order, over all connections.
    pub(crate) read: mpsc::UnboundedReceiver<String>,
    reading: Arc<Notify>,
}

impl Peer {
    /// A [`Unruly::ReadsWhenTold`] peer starts reading (every connection,
    /// those accepted later too).
    pub(crate) fn start_reading(&self) {
        self.reading.notify_one();
    }

    /// The `Uid`s read so far.
    pub(crate) fn read_so_far(&mut self) -> Vec<String> {
        std::iter::from_fn(|| self.read.try_recv().ok()).collect()
    }
}

/// A peer on 127.0.0.1:0 that accepts every connection and behaves as `how`.
pub(crate) async fn unruly(how: Unruly) -> Peer {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    if let Unruly::ReadsWhenTold = how {
        // Inherited by accepted sockets: the peer's side holds little.
        socket.set_recv_buffer_size(4096).unwrap();
    }
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener: TcpListener = socket.listen(16).unwrap();
    let addr = listener.local_addr().unwrap();
    let (accepts, accepted) = mpsc::unbounded_channel();
    let (reads, read) = mpsc::unbounded_channel();
    let reading = Arc::new(Notify::new());
    let told = reading.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            // Every write leaves at once (no Nagle delay in real time).
            stream.set_nodelay(true).unwrap();
            let _ = accepts.send(());
            tokio::spawn(serve(stream, how, reads.clone(), told.clone()));
        }
    });
    Peer {
        addr,
        accepted,
        read,
        reading,
    }
}

async fn serve(
    stream: TcpStream,
    how: Unruly,
    reads: mpsc::UnboundedSender<String>,
    told: Arc<Notify>,
) {
    if let Unruly::ReadsWhenTold = how {
        told.notified().await;
        // Every later connection reads at once too.
        told.notify_one();
    }
    let (r, mut w) = stream.into_split();
    if let Unruly::Floods(every) = how {
        tokio::spawn(async move {
            for n in 0u64.. {
                let line = format!("{{\"Uid\":\"flood-{n}\",\"Val\":\"x\"}}\n");
                if w.write_all(line.as_bytes()).await.is_err() {
                    return;
                }
                tokio::time::sleep(every).await;
            }
        });
        let mut r = FramedRead::new(r, JsonCodec::<Message>::new());
        while let Some(Ok(msg)) = r.next().await {
            let _ = reads.send(msg.uid);
        }
        return;
    }
    let mut r = FramedRead::new(r, JsonCodec::<Message>::new());
    let mut n = 0u64;
    while let Some(Ok(msg)) = r.next().await {
        let _ = reads.send(msg.uid.clone());
        let out = match how {
            Unruly::AnswersNotOurs => {
                n += 1;
                format!("{{\"Uid\":null,\"Val\":\"x\"}}\n{{\"Uid\":\"ghost-{n}\",\"Val\":\"x\"}}\n")
            }
            Unruly::Drops(keep) if !keep(&msg) => continue,
            _ => format!("{{\"Uid\":\"{}\",\"Val\":\"{}\"}}\n", msg.uid, msg.val),
        };
        if w.write_all(out.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// A connector (for `ClientBuilder::connector`) that dials `addr`,
/// whatever the endpoint, with a 4 KiB send buffer: what the peer does
/// not read backs up into the connection at once.
pub(crate) fn small_send_buffer(
    addr: SocketAddr,
) -> impl tower::Service<
    Addr,
    Response = TcpStream,
    Error = io::Error,
    Future = Pin<Box<dyn Future<Output = io::Result<TcpStream>> + Send>>,
> + Clone {
    tower::service_fn(move |_: Addr| {
        let dial = async move {
            let socket = tokio::net::TcpSocket::new_v4()?;
            socket.set_send_buffer_size(4096)?;
            let stream = socket.connect(addr).await?;
            stream.set_nodelay(true)?;
            Ok(stream)
        };
        Box::pin(dial) as Pin<Box<dyn Future<Output = _> + Send>>
    })
}
