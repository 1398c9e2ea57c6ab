//! Peers that are not jsonmux servers: one that dies, one that never
//! answers, one that closes at once, one that answers as its test writes it.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::StreamExt;
use jsonmux::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

/// How a [`dying_server`] hangs up.
#[derive(Clone, Copy, Debug)]
pub(crate) enum HangUp {
    /// An orderly close (FIN).
    Close,
    /// An abortive close (RST, `SO_LINGER` 0).
    Reset,
}

/// A peer that accepts one connection, reads `n` requests without
/// answering any, then hangs up as told. Returns its address and a
/// receiver that fires once all `n` requests have arrived.
pub(crate) async fn dying_server(n: usize, how: HangUp) -> (SocketAddr, oneshot::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (read_all, all_read) = oneshot::channel();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut framed =
            tokio_util::codec::FramedRead::new(stream, jsonmux::JsonCodec::<Message>::new());
        for _ in 0..n {
            framed.next().await.unwrap().unwrap();
        }
        let stream = framed.into_inner();
        if let HangUp::Reset = how {
            socket2::SockRef::from(&stream)
                .set_linger(Some(Duration::ZERO))
                .unwrap();
        }
        let _ = read_all.send(());
        drop(stream);
    });
    (addr, all_read)
}

/// A peer that accepts every connection and reads from it but never
/// answers. Returns its address and a receiver of accept events.
pub(crate) async fn silent_server() -> (SocketAddr, mpsc::UnboundedReceiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ = tx.send(());
            tokio::spawn(async move {
                let mut sink = vec![0u8; 4096];
                while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
            });
        }
    });
    (addr, rx)
}

/// A peer that accepts every connection and closes it at once. Returns its
/// address.
pub(crate) async fn closing_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            drop(stream);
        }
    });
    addr
}

/// What a [`hand_written`] peer does after writing its lines for a request.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Then {
    /// Reads the next request.
    Stay,
    /// Closes the connection.
    Close,
}

/// A peer that accepts one connection and, for each request it reads,
/// writes the lines `reply` gives (each `\n`-terminated), then stays or
/// closes as told. Returns its address.
pub(crate) async fn hand_written(
    mut reply: impl FnMut(Message) -> (Vec<String>, Then) + Send + 'static,
) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let mut framed =
            tokio_util::codec::FramedRead::new(stream, jsonmux::JsonCodec::<Message>::new());
        while let Some(Ok(msg)) = framed.next().await {
            let (lines, then) = reply(msg);
            let stream = framed.get_mut();
            for line in lines {
                stream
                    .write_all(format!("{line}\n").as_bytes())
                    .await
                    .unwrap();
            }
            if let Then::Close = then {
                return;
            }
        }
    });
    addr
}
