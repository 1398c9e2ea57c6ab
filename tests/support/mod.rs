//! Shared test helpers: a server on 127.0.0.1:0 that can be stopped, a
//! scriptable service, raw sockets, and bounded waits.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use jsonmux::{hello, Message, Resp, ServerBuilder};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower::util::BoxCloneService;

/// Upper bound for anything a test waits on; far above what any step needs.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Awaits `fut`, failing the test if it takes longer than [`PATIENCE`].
pub async fn bounded<F: Future>(what: &str, fut: F) -> F::Output {
    tokio::time::timeout(PATIENCE, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: still waiting after {PATIENCE:?}"))
}

/// Waits until `cond` holds, checking every few milliseconds, for at most
/// [`PATIENCE`]. For state that has no event to await.
pub async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    bounded(what, async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
}

/// A service scripted by the request's `Val`:
/// `sleep:<ms>` answers after that long, `fail:<msg>` fails with `msg`,
/// `hang` never answers, anything else is answered at once like the seed.
pub fn scripted() -> BoxCloneService<Message, Resp, String> {
    BoxCloneService::new(tower::service_fn(|msg: Message| async move {
        if let Some(ms) = msg.val.strip_prefix("sleep:") {
            let ms: u64 = ms.parse().map_err(|_| "bad sleep".to_string())?;
            tokio::time::sleep(Duration::from_millis(ms)).await;
        } else if let Some(why) = msg.val.strip_prefix("fail:") {
            return Err(why.to_string());
        } else if msg.val == "hang" {
            std::future::pending::<()>().await;
        }
        Ok(hello(msg))
    }))
}

/// A jsonmux server on an ephemeral loopback port.
pub struct TestServer {
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<io::Result<()>>,
}

impl TestServer {
    /// Starts the [`scripted`] service with default limits.
    pub async fn start() -> TestServer {
        TestServer::start_with(ServerBuilder::new()).await
    }

    /// Starts the [`scripted`] service with the given limits.
    pub async fn start_with(builder: ServerBuilder) -> TestServer {
        let server = builder.bind("127.0.0.1:0").await.expect("bind loopback");
        let addr = server.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.serve(scripted(), stopped));
        TestServer { addr, stop, task }
    }

    /// Signals shutdown and waits for the drain to finish.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        bounded("server drain", self.task).await.unwrap().unwrap();
    }
}

/// A raw client socket that speaks bytes, for wire-level tests.
pub struct Raw {
    pub reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    pub writer: tokio::net::tcp::OwnedWriteHalf,
}

impl Raw {
    pub async fn connect(addr: SocketAddr) -> Raw {
        let (r, w) = TcpStream::connect(addr).await.unwrap().into_split();
        Raw {
            reader: BufReader::new(r),
            writer: w,
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.unwrap();
        self.writer.flush().await.unwrap();
    }

    /// Reads one `\n`-terminated line; `None` at end of stream.
    pub async fn line(&mut self) -> Option<String> {
        let mut line = String::new();
        let n = bounded("a line from the server", self.reader.read_line(&mut line))
            .await
            .unwrap();
        (n > 0).then_some(line)
    }

    /// Reads one line and parses it as a response.
    pub async fn resp(&mut self) -> Resp {
        let line = self.line().await.expect("a response, not end of stream");
        assert!(
            line.ends_with('\n'),
            "responses end with a newline: {line:?}"
        );
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"))
    }

    /// Asserts the server closes the connection (no more lines).
    pub async fn expect_eof(&mut self) {
        assert_eq!(self.line().await, None, "expected the server to close");
    }
}

/// How a [`dying_server`] hangs up.
#[derive(Clone, Copy, Debug)]
pub enum HangUp {
    /// An orderly close (FIN).
    Close,
    /// An abortive close (RST, `SO_LINGER` 0).
    Reset,
}

/// A peer that accepts one connection, reads `n` requests without
/// answering any, then hangs up as told. Returns its address and a
/// receiver that fires once all `n` requests have arrived.
pub async fn dying_server(n: usize, how: HangUp) -> (SocketAddr, oneshot::Receiver<()>) {
    use futures_util::StreamExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
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
