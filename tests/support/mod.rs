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

/// Runs a test on a one-thread runtime whose clock is paused (it jumps to
/// the next timer whenever the runtime has nothing to do), failing if the
/// test has not finished within [`PATIENCE`] of real time. For code that
/// must not keep a runtime busy forever.
pub fn with_paused_clock<F>(what: &str, test: impl FnOnce() -> F + Send + 'static)
where
    F: Future<Output = ()>,
{
    use std::sync::mpsc::RecvTimeoutError;
    let (done, finished) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("a paused runtime");
        rt.block_on(test());
        let _ = done.send(());
    });
    match finished.recv_timeout(PATIENCE) {
        Ok(()) => {}
        // The test panicked: report its panic.
        Err(RecvTimeoutError::Disconnected) => {
            std::panic::resume_unwind(thread.join().expect_err("it did not finish"))
        }
        Err(RecvTimeoutError::Timeout) => panic!("{what}: still running after {PATIENCE:?}"),
    }
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
/// `code:<code>:<msg>` answers with that error code and message,
/// `hang` never answers, anything else is answered at once like the seed.
pub fn scripted() -> BoxCloneService<Message, Resp, String> {
    BoxCloneService::new(tower::service_fn(|msg: Message| async move {
        if let Some(rest) = msg.val.strip_prefix("code:") {
            let (code, why) = rest.split_once(':').ok_or("bad code")?;
            let code = code.parse::<jsonmux::Code>().map_err(|e| e.to_string())?;
            return Ok(Resp::error(msg.uid, code, why));
        }
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
        TestServer::start_at("127.0.0.1:0", builder, scripted()).await
    }

    /// Starts `svc` on `addr` (port 0 for an ephemeral one) with the given limits.
    pub async fn start_at<S>(addr: impl ToString, builder: ServerBuilder, svc: S) -> TestServer
    where
        S: tower::Service<Message, Response = Resp> + Clone + Send + 'static,
        S::Error: Into<tower::BoxError>,
        S::Future: Send + 'static,
    {
        let server = builder.bind(addr.to_string()).await.expect("bind loopback");
        let addr = server.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.serve(svc, stopped));
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

/// The [`scripted`] service, counting requests per server connection: the
/// server clones its service once per connection, and each clone takes a
/// new slot in `counts`.
pub struct PerConnection {
    inner: BoxCloneService<Message, Resp, String>,
    slot: usize,
    pub counts: std::sync::Arc<std::sync::Mutex<Vec<usize>>>,
}

impl PerConnection {
    pub fn new() -> PerConnection {
        PerConnection {
            inner: scripted(),
            slot: usize::MAX,
            counts: Default::default(),
        }
    }

    /// Requests served by each connection so far, in accept order.
    pub fn snapshot(&self) -> Vec<usize> {
        self.counts.lock().unwrap().clone()
    }
}

impl Clone for PerConnection {
    fn clone(&self) -> Self {
        let mut counts = self.counts.lock().unwrap();
        counts.push(0);
        PerConnection {
            inner: self.inner.clone(),
            slot: counts.len() - 1,
            counts: self.counts.clone(),
        }
    }
}

impl tower::Service<Message> for PerConnection {
    type Response = Resp;
    type Error = String;
    type Future = <BoxCloneService<Message, Resp, String> as tower::Service<Message>>::Future;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), String>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, msg: Message) -> Self::Future {
        if let Some(n) = self.counts.lock().unwrap().get_mut(self.slot) {
            *n += 1;
        }
        self.inner.call(msg)
    }
}

/// A peer that accepts every connection and reads from it but never
/// answers. Returns its address and a receiver of accept events.
pub async fn silent_server() -> (SocketAddr, tokio::sync::mpsc::UnboundedReceiver<()>) {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
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
