//! End-to-end round trips over loopback: jsonmux's ready stack
//! ([`jsonmux::Client`]) on each engine, with and without a `Buffer`,
//! against the hand-written baseline client (`support/raw.rs`), side by
//! side.
//!
//! One in-process server ([`HelloService`]) on `127.0.0.1:0`; each
//! iteration makes 1000 calls on one connection, with 1, 16 or 256 of them
//! in flight at once (as many tasks, each taking the next call). Groups are
//! `client/<runtime>/inflight_<n>`; functions `raw`, `stack` (the default:
//! jsonmux's engine, no buffer), `stack_buffer` (plus
//! `ClientBuilder::buffer`), `stack_tokio_tower` (`Engine::TokioTower`)
//! and `stack_tokio_tower_buffer` (both: tokio-tower's engine under tower's
//! `Buffer`). The `multi_thread` runtime (2 workers) runs clients and
//! server, the `current_thread` one runs only the clients.
//!
//! ```sh
//! cargo bench --bench client
//! cargo bench --bench client -- multi_thread/inflight_256
//! cargo bench --bench client -- --warm-up-time 1 --measurement-time 3
//! ```

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput};
use jsonmux::{Client, ClientBuilder, Engine, HelloService, Message, Server};
use tokio::runtime::{Builder, Runtime};
use tower::{Service, ServiceExt};

#[path = "support/raw.rs"]
mod raw;

use raw::RawClient;

/// Calls per iteration.
const CALLS: usize = 1_000;
/// Calls in flight at once.
const DEPTHS: [usize; 3] = [1, 16, 256];
/// Both clients get the stack's default request timeout.
const TIMEOUT: Duration = Duration::from_secs(5);
const VAL: &str = "pixelpig!";

/// The next call number to make, or `None` once all are taken.
fn take(next: &AtomicUsize) -> Option<usize> {
    let i = next.fetch_add(1, Ordering::Relaxed);
    (i < CALLS).then_some(i)
}

fn check(i: usize, uid: &str, resp: &jsonmux::Resp) {
    assert!(
        resp.uid == uid && resp.val.ends_with(VAL),
        "call {i}: {resp:?}"
    );
}

/// `CALLS` calls through the raw client, `depth` at a time.
async fn raw_calls(client: &RawClient, depth: usize) {
    let next = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..depth)
        .map(|_| {
            let (client, next) = (client.clone(), next.clone());
            tokio::spawn(async move {
                while let Some(i) = take(&next) {
                    let uid = format!("r{i}");
                    let resp = client.call(Message::new(uid.clone(), VAL)).await;
                    check(i, &uid, &resp.expect("raw call failed"));
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("a task panicked");
    }
}

/// `CALLS` calls through the stack, `depth` at a time.
async fn stack_calls(client: &Client, depth: usize) {
    let next = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..depth)
        .map(|_| {
            let (mut client, next) = (client.clone(), next.clone());
            tokio::spawn(async move {
                while let Some(i) = take(&next) {
                    let uid = format!("r{i}");
                    let svc = client.ready().await.expect("stack not ready");
                    let resp = svc.call(Message::new(uid.clone(), VAL)).await;
                    check(i, &uid, &resp.expect("stack call failed"));
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("a task panicked");
    }
}

/// Starts the server on `rt`, for the whole run.
fn start_server(rt: &Runtime) -> SocketAddr {
    rt.block_on(async {
        let server = Server::builder().bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        tokio::spawn(server.serve(HelloService, std::future::pending::<()>()));
        addr
    })
}

/// Capacity of the `Buffer` in the stacks that have one: every call in
/// flight fits.
const BUFFER: usize = 1024;

/// The stacks measured: name, engine, buffer.
fn measured() -> Vec<(&'static str, Engine, Option<usize>)> {
    let jsonmux = [
        ("stack", Engine::Jsonmux, None),
        ("stack_buffer", Engine::Jsonmux, Some(BUFFER)),
    ];
    #[cfg(feature = "tokio-tower")]
    let tokio_tower = [
        ("stack_tokio_tower", Engine::TokioTower, None),
        ("stack_tokio_tower_buffer", Engine::TokioTower, Some(BUFFER)),
    ];
    #[cfg(not(feature = "tokio-tower"))]
    let tokio_tower = [];
    jsonmux.into_iter().chain(tokio_tower).collect()
}

/// The raw client and every stack, connected from `rt` so that their
/// tasks run there.
fn connect(rt: &Runtime, addr: SocketAddr) -> (RawClient, Vec<(&'static str, Client)>) {
    rt.block_on(async {
        let raw = RawClient::connect(addr).await.unwrap();
        let mut stacks = Vec::new();
        for (name, engine, buffer) in measured() {
            let builder = ClientBuilder::new().engine(engine).buffer(buffer);
            let stack = builder.pool_size(1).connect(addr).await;
            stacks.push((name, stack.unwrap()));
        }
        (raw.with_timeout(Some(TIMEOUT)), stacks)
    })
}

fn round_trips(c: &mut Criterion) {
    let multi = Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let current = Builder::new_current_thread().enable_all().build().unwrap();
    let addr = start_server(&multi);

    for (name, rt) in [("multi_thread", &multi), ("current_thread", &current)] {
        let (raw, stacks) = connect(rt, addr);
        for depth in DEPTHS {
            let mut g = c.benchmark_group(format!("client/{name}/inflight_{depth}"));
            g.throughput(Throughput::Elements(CALLS as u64))
                .sample_size(20)
                .warm_up_time(Duration::from_secs(1))
                .measurement_time(Duration::from_secs(3));
            g.bench_function("raw", |b| {
                b.to_async(rt).iter(|| raw_calls(&raw, depth));
            });
            for (name, stack) in &stacks {
                g.bench_function(*name, |b| {
                    b.to_async(rt).iter(|| stack_calls(stack, depth));
                });
            }
            g.finish();
        }
    }
}

// What `criterion_group!` + `criterion_main!` expand to, minus the
// undocumented `pub fn` that `missing_docs` rejects.
fn main() {
    let mut c = Criterion::default().configure_from_args();
    round_trips(&mut c);
    c.final_summary();
}
