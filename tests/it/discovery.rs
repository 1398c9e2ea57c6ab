//! A pool fed by a tower `Discover` stream, and `DnsDiscover` following a
//! name's answers (with an injected resolver and servers on 127.0.0.2 and
//! 127.0.0.3, which are loopback too).

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_core::Stream;
use futures_util::StreamExt;
use jsonmux::pool::DnsDiscover;
use jsonmux::{Addr, Client, Engine, Message, ServerBuilder};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tower::discover::Change;
use tower::util::BoxService;
use tower::ServiceExt;

use crate::support::calls::{call, quick};
use crate::support::server::{scripted, TestServer};
use crate::support::time::{bounded, eventually, with_paused_clock};

type Item = Result<Change<&'static str, SocketAddr>, &'static str>;

/// A pool (one connection per endpoint) fed by a discovery stream the
/// test feeds by hand, like a registry's watch.
fn registry() -> (mpsc::UnboundedSender<Item>, Client) {
    let (changes, mut rx) = mpsc::unbounded_channel();
    let discovery = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let builder = quick(Engine::default()).pool_size(1);
    (changes, builder.discover(discovery).unwrap())
}

/// The pool's endpoints that have their connection up.
fn up(client: &Client) -> Vec<Addr> {
    let endpoints = client.endpoints().status().into_iter();
    endpoints
        .filter(|e| e.connections > 0)
        .map(|e| e.addr)
        .collect()
}

/// The addresses in the pool, up or not.
fn endpoints(client: &Client) -> Vec<Addr> {
    client
        .endpoints()
        .status()
        .into_iter()
        .map(|e| e.addr)
        .collect()
}

async fn call_ok(client: &Client, uid: &str) {
    let resp = call(client, uid, "x").await;
    assert_eq!(resp.unwrap().uid, uid);
}

/// Inserted addresses are dialed and served; a removed one leaves the pool.
#[tokio::test]
async fn the_pool_follows_a_discovery_streams_inserts_and_removes() {
    let (a, b) = (TestServer::start().await, TestServer::start().await);
    let (changes, client) = registry();

    changes.send(Ok(Change::Insert("a", a.addr))).unwrap();
    eventually("a up", || up(&client) == [a.addr.into()]).await;
    call_ok(&client, "1").await;

    changes.send(Ok(Change::Insert("b", b.addr))).unwrap();
    changes.send(Ok(Change::Remove("a"))).unwrap();
    eventually("only b", || up(&client) == [b.addr.into()]).await;
    assert_eq!(endpoints(&client), [b.addr.into()]);
    call_ok(&client, "2").await;
    assert_eq!(
        b.stats.snapshot().requests,
        1,
        "the call after the change went to b"
    );
    a.stop().await;
    b.stop().await;
}

/// An error leaves the endpoints as they are; the stream is read again after a backoff.
#[test]
fn a_discovery_error_changes_nothing_and_the_stream_is_read_again_after_a_backoff() {
    with_paused_clock(|| async {
        let (a, b) = (TestServer::start().await, TestServer::start().await);
        let (changes, client) = registry();
        changes.send(Ok(Change::Insert("a", a.addr))).unwrap();
        eventually("a up", || up(&client) == [a.addr.into()]).await;

        let failed_at = Instant::now();
        changes.send(Err("registry down")).unwrap();
        changes.send(Ok(Change::Insert("b", b.addr))).unwrap();
        eventually("b up", || up(&client).len() == 2).await;
        assert_eq!(endpoints(&client), [a.addr.into(), b.addr.into()]);
        let waited = failed_at.elapsed();
        assert!(
            waited >= Duration::from_micros(2500),
            "the first backoff's least: {waited:?}"
        );
        call_ok(&client, "1").await;
        a.stop().await;
        b.stop().await;
    });
}

/// When the stream ends, its endpoints stay and `add` still works.
#[tokio::test]
async fn the_end_of_the_discovery_stream_keeps_the_endpoints_it_gave() {
    let (a, b) = (TestServer::start().await, TestServer::start().await);
    let (changes, client) = registry();
    changes.send(Ok(Change::Insert("a", a.addr))).unwrap();
    drop(changes);
    eventually("a up", || up(&client) == [a.addr.into()]).await;
    call_ok(&client, "1").await;

    client.endpoints().add(b.addr);
    eventually("a and b up", || up(&client).len() == 2).await;
    assert_eq!(endpoints(&client), [a.addr.into(), b.addr.into()]);
    a.stop().await;
    b.stop().await;
}

/// What a test's resolver answers next.
type Answer = Arc<Mutex<Result<Vec<SocketAddr>, &'static str>>>;

/// A `DnsDiscover` of `pigs.test:3000` every `every`, answered from `answer`.
fn dns(
    answer: &Answer,
    every: Duration,
) -> DnsDiscover<BoxService<String, Vec<SocketAddr>, io::Error>> {
    let answer = answer.clone();
    let resolver = tower::service_fn(move |name: String| {
        assert_eq!(name, "pigs.test:3000");
        let answer = answer.lock().unwrap().clone();
        async move { answer.map_err(io::Error::other) }
    });
    DnsDiscover::with_resolver("pigs.test:3000", every, BoxService::new(resolver))
}

fn at(ip: [u8; 4], port: u16) -> SocketAddr {
    SocketAddr::from((ip, port))
}

/// The next change `dns` yields (`+addr` / `-addr`, or the error), and
/// the seconds since `start` when it came.
async fn next<S>(dns: &mut S, start: Instant) -> (Result<String, String>, u64)
where
    S: Stream<Item = Result<Change<SocketAddr, SocketAddr>, jsonmux::Error>> + Unpin,
{
    let change = bounded("a change", dns.next()).await.expect("never ends");
    let change = change.map(|c| match c {
        Change::Insert(k, v) if k == v => format!("+{k}"),
        Change::Insert(k, v) => panic!("{k} keys {v}"),
        Change::Remove(k) => format!("-{k}"),
    });
    (change.map_err(|e| e.to_string()), start.elapsed().as_secs())
}

/// Resolved at once, then every interval: gained addresses inserted, lost ones removed, failures yield an error and keep the set.
#[test]
fn dns_discover_yields_the_changes_between_answers() {
    with_paused_clock(|| async {
        let (two, three, four) = (
            at([127, 0, 0, 2], 1),
            at([127, 0, 0, 3], 1),
            at([127, 0, 0, 4], 1),
        );
        let answer: Answer = Arc::new(Mutex::new(Ok(vec![three, two, three])));
        let every = Duration::from_secs(10);
        let mut dns = dns(&answer, every);
        let start = Instant::now();
        assert_eq!(next(&mut dns, start).await, (Ok("+127.0.0.2:1".into()), 0));
        assert_eq!(next(&mut dns, start).await, (Ok("+127.0.0.3:1".into()), 0));
        *answer.lock().unwrap() = Ok(vec![three]);
        assert_eq!(next(&mut dns, start).await, (Ok("-127.0.0.2:1".into()), 10));
        *answer.lock().unwrap() = Err("SERVFAIL");
        assert_eq!(next(&mut dns, start).await, (Err("SERVFAIL".into()), 20));
        *answer.lock().unwrap() = Ok(vec![three, four]);
        assert_eq!(
            next(&mut dns, start).await,
            (Ok("+127.0.0.4:1".into()), 30),
            "3 kept through the failure"
        );
    });
}

/// A pool fed by `DnsDiscover` spreads calls over the servers the name resolves to, and follows the answer.
#[test]
fn a_pool_follows_a_dns_name_over_loopback_servers() {
    with_paused_clock(|| async {
        let two = TestServer::start_at("127.0.0.2:0", ServerBuilder::new(), scripted).await;
        let three = TestServer::start_at("127.0.0.3:0", ServerBuilder::new(), scripted).await;
        let answer: Answer = Arc::new(Mutex::new(Ok(vec![two.addr, three.addr])));
        let client = quick(Engine::default())
            .pool_size(1)
            .discover(dns(&answer, Duration::from_secs(5)))
            .unwrap();
        eventually("both up", || up(&client).len() == 2).await;

        let calls = [("1", "wait:d"), ("2", "wait:d")]
            .map(|(uid, val)| tokio::spawn(client.clone().oneshot(Message::new(uid, val))));
        two.gates.arrived("d", 1).await;
        three.gates.arrived("d", 1).await;
        two.gates.open("d");
        three.gates.open("d");
        for call in calls {
            bounded("a call", call).await.unwrap().unwrap();
        }

        *answer.lock().unwrap() = Ok(vec![three.addr]);
        eventually("only 127.0.0.3", || {
            endpoints(&client) == [three.addr.into()]
        })
        .await;
        call_ok(&client, "3").await;
        assert_eq!(two.stats.snapshot().requests, 1);
        assert_eq!(three.stats.snapshot().requests, 2);
        two.stop().await;
        three.stop().await;
    });
}
