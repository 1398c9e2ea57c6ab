//! Heap allocations per request on the server's path, counted by a
//! counting global allocator (`stats_alloc`): not a timing, so not
//! criterion; it prints one line per case.
//!
//! One in-process server on `127.0.0.1:0` and a hand-written client on a
//! `current_thread` runtime (one thread: every allocation counted is the
//! server's or the runtime's, never another process's). The client sends
//! requests from a buffer it built once and counts the answers' newlines
//! in a buffer it reuses, so it allocates nothing per request itself.
//! After a warm-up, the counter is read over `ROUNDS` rounds of `depth`
//! requests written at once, each round waiting for all its answers.
//!
//! Cases: the handler (`hello`: [`HelloService`]; `echo`: an answer made
//! of the request's own strings, a handler that allocates nothing), the
//! requests in flight (1, or 64 written at once), and the requests' shape
//! (`go`: `{"Uid","Val"}` as the Go client writes it; `ext`: with the
//! extension's `Sq` and a `Dl` of 5 s, as a jsonmux client writes it). The
//! two allocations of a request's `Uid` and `Val` are the [`Message`] the
//! handler is given; everything past them, for `echo`, is the server's.
//!
//! ```sh
//! cargo bench --bench server_allocs
//! ```

use std::alloc::System;
use std::convert::Infallible;
use std::future::{ready, Ready};
use std::net::SocketAddr;
use std::task::{Context, Poll};

use jsonmux::{HelloService, Message, Resp, Server};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::Service;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Rounds counted, after as many again to warm up.
const ROUNDS: usize = 2_000;
/// The width of the `Sq` numbers, rewritten in place each round.
const SQ_DIGITS: usize = 9;

/// Answers with the request's own `Uid` and `Val`: allocates nothing.
#[derive(Clone, Copy, Debug)]
struct Echo;

impl Service<Message> for Echo {
    type Response = Resp;
    type Error = Infallible;
    type Future = Ready<Result<Resp, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, msg: Message) -> Self::Future {
        ready(Ok(Resp::new(msg.uid, msg.val)))
    }
}

/// A round of `depth` requests, written once, and where their `Sq` digits are.
struct Batch {
    bytes: Vec<u8>,
    sq_at: Vec<usize>,
    next_sq: u64,
}

impl Batch {
    fn new(depth: usize, ext: bool) -> Self {
        let (mut bytes, mut sq_at) = (Vec::new(), Vec::new());
        for i in 0..depth {
            bytes.extend_from_slice(
                format!(r#"{{"Uid":"pixel-{i:04}","Val":"pixelpig!""#).as_bytes(),
            );
            if ext {
                bytes.extend_from_slice(br#","Sq":"#);
                sq_at.push(bytes.len());
                bytes.extend_from_slice(&[b'1'; SQ_DIGITS]);
                bytes.extend_from_slice(br#","Dl":5000"#);
            }
            bytes.extend_from_slice(b"}\n");
        }
        Batch {
            bytes,
            sq_at,
            next_sq: 100_000_000,
        }
    }

    /// The next round's requests: new numbers, in place.
    fn next(&mut self) -> &[u8] {
        for &at in &self.sq_at {
            let mut n = self.next_sq;
            self.next_sq += 1;
            for b in self.bytes[at..at + SQ_DIGITS].iter_mut().rev() {
                *b = b'0' + (n % 10) as u8;
                n /= 10;
            }
        }
        &self.bytes
    }
}

/// Writes one round and reads until all its answers are in.
async fn round(conn: &mut TcpStream, batch: &mut Batch, depth: usize, buf: &mut [u8]) {
    conn.write_all(batch.next()).await.expect("write");
    let mut answers = 0;
    while answers < depth {
        let n = conn.read(buf).await.expect("read");
        assert!(n > 0, "the server closed the connection");
        answers += buf[..n].iter().filter(|&&b| b == b'\n').count();
    }
    assert_eq!(answers, depth, "one answer per request");
}

/// Allocations, reallocations and bytes allocated per request.
async fn measure(addr: SocketAddr, depth: usize, ext: bool) -> (f64, f64, f64) {
    let mut conn = TcpStream::connect(addr).await.expect("connect");
    let mut batch = Batch::new(depth, ext);
    let mut buf = vec![0u8; 64 * 1024];
    for _ in 0..ROUNDS {
        round(&mut conn, &mut batch, depth, &mut buf).await;
    }
    let region = Region::new(GLOBAL);
    for _ in 0..ROUNDS {
        round(&mut conn, &mut batch, depth, &mut buf).await;
    }
    let stats = region.change();
    let requests = (ROUNDS * depth) as f64;
    (
        stats.allocations as f64 / requests,
        stats.reallocations as f64 / requests,
        stats.bytes_allocated as f64 / requests,
    )
}

/// Runs the cases against a server of `svc`.
async fn cases<S>(name: &str, svc: S)
where
    S: Service<Message, Response = Resp, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let server = Server::builder().bind("127.0.0.1:0").await.expect("bind");
    let addr = server.local_addr().expect("a TCP address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve(svc, stopped));
    for depth in [1, 64] {
        for ext in [false, true] {
            let (allocs, reallocs, bytes) = measure(addr, depth, ext).await;
            let shape = if ext { "ext" } else { "go" };
            println!(
                "server_allocs/{name}/inflight_{depth}/{shape}: {allocs:.2} allocations, \
                 {reallocs:.2} reallocations, {bytes:.0} bytes allocated per request"
            );
        }
    }
    let _ = stop.send(());
    let _ = serving.await;
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        cases("hello", HelloService).await;
        cases("echo", Echo).await;
    });
}
