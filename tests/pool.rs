//! The pool on loopback: reconnect, dead peers, load spread, many endpoints.

mod support;

use std::error::Error as _;
use std::time::Duration;

use jsonmux::{Client, ClientBuilder, Error, Message, ServerBuilder};
use support::{bounded, eventually, silent_server, PerConnection, TestServer};
use tower::ServiceExt;

fn quick() -> ClientBuilder {
    ClientBuilder::new()
        .backoff_min(Duration::from_millis(5))
        .backoff_max(Duration::from_millis(50))
}

async fn call(client: &Client, uid: &str, val: &str) -> Result<jsonmux::Resp, Error> {
    client.clone().oneshot(Message::new(uid, val)).await
}

/// Calls until one succeeds; panics if none does within the test patience.
async fn until_ok(client: &Client, what: &str) -> jsonmux::Resp {
    bounded(what, async {
        for i in 0.. {
            if let Ok(resp) = call(client, &format!("retry-{i}"), "x").await {
                return resp;
            }
        }
        unreachable!()
    })
    .await
}

#[tokio::test]
async fn calls_in_flight_fail_promptly_with_the_cause_when_the_server_is_killed() {
    let server = TestServer::start_with(ServerBuilder::new().drain_timeout(Duration::ZERO)).await;
    let client = quick()
        .request_timeout(None)
        .connect(server.addr)
        .await
        .unwrap();
    let calls: Vec<_> = (0..9)
        .map(|i| tokio::spawn(call_owned(client.clone(), format!("k{i}"), "hang")))
        .collect();
    // A quick answer proves the connections are serving; then kill the server.
    call(&client, "probe", "x").await.unwrap();
    server.stop().await;
    for c in calls {
        let err = bounded("a call on a killed server", c)
            .await
            .unwrap()
            .unwrap_err();
        assert!(err.is_closed(), "{err:?}");
        assert!(err.source().is_some(), "the cause is kept: {err:?}");
    }
}

async fn call_owned(
    client: Client,
    uid: String,
    val: &'static str,
) -> Result<jsonmux::Resp, Error> {
    client.oneshot(Message::new(uid, val)).await
}

#[tokio::test]
async fn the_same_client_recovers_when_the_server_restarts_on_the_same_port() {
    let server = TestServer::start().await;
    let addr = server.addr;
    let client = quick()
        .request_timeout(Some(Duration::from_millis(200)))
        .connect(addr)
        .await
        .unwrap();
    assert_eq!(call(&client, "before", "x").await.unwrap().uid, "before");

    server.stop().await;
    eventually("the pool sees the server go", || {
        client.pool().endpoints()[0].connections == 0
    })
    .await;
    let down = call(&client, "during", "x").await.unwrap_err();
    assert!(
        matches!(down, Error::Timeout),
        "waits up to the deadline: {down:?}"
    );

    let again = TestServer::start_at(addr, ServerBuilder::new(), support::scripted()).await;
    until_ok(&client, "a call after the restart").await;
    again.stop().await;
}

#[tokio::test]
async fn a_server_that_never_answers_gets_its_connection_replaced() {
    let (addr, mut accepted) = silent_server().await;
    let client = quick()
        .pool_size(1)
        .request_timeout(Some(Duration::from_millis(20)))
        .read_timeout(Some(Duration::from_millis(100)))
        .connect(addr)
        .await
        .unwrap();
    bounded("first accept", accepted.recv()).await.unwrap();
    for i in 0..3 {
        let err = call(&client, &format!("s{i}"), "x").await.unwrap_err();
        assert!(matches!(err, Error::Timeout), "{err:?}");
    }
    // The silence is noticed: the connection is dropped and redialed.
    bounded("a second connection", accepted.recv())
        .await
        .unwrap();
    let cause = client.pool().endpoints()[0].last_error.clone();
    assert!(matches!(cause, Some(Error::PeerSilent(_))), "{cause:?}");
}

#[tokio::test]
async fn timeouts_in_a_row_replace_the_connection() {
    let (addr, mut accepted) = silent_server().await;
    let client = quick()
        .pool_size(1)
        .request_timeout(Some(Duration::from_millis(5)))
        .read_timeout(None)
        .max_consecutive_timeouts(Some(3))
        .connect(addr)
        .await
        .unwrap();
    bounded("first accept", accepted.recv()).await.unwrap();
    for i in 0..3 {
        assert!(call(&client, &format!("t{i}"), "x")
            .await
            .unwrap_err()
            .is_timeout());
    }
    bounded("a second connection", accepted.recv())
        .await
        .unwrap();
    let cause = client.pool().endpoints()[0].last_error.clone();
    assert!(
        matches!(cause, Some(Error::TooManyTimeouts(3))),
        "{cause:?}"
    );
}

#[tokio::test]
async fn with_nothing_listening_connect_fails_and_a_lazy_client_fails_fast_or_times_out() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);

    let err = quick().connect(addr).await.unwrap_err();
    assert!(matches!(err, Error::Connect(_)), "{err:?}");

    let fast = quick().fail_fast(true).connect_lazy([addr]);
    eventually("a failed dial", || {
        fast.pool().endpoints()[0].consecutive_failures > 0
    })
    .await;
    let err = call(&fast, "a", "x").await.unwrap_err();
    assert!(
        matches!(&err, Error::Unavailable(c) if matches!(**c, Error::Connect(_))),
        "{err:?}"
    );
    // It keeps retrying in the background, with backoff.
    eventually("more dials", || {
        fast.pool().endpoints()[0].consecutive_failures >= 3
    })
    .await;

    let patient = quick()
        .request_timeout(Some(Duration::from_millis(30)))
        .connect_lazy([addr]);
    assert!(call(&patient, "b", "x").await.unwrap_err().is_timeout());
}

/// A client with a pool of three connections to `addr`, once all are up.
async fn three_up(builder: ClientBuilder, addr: std::net::SocketAddr) -> Client {
    let client = builder.pool_size(3).connect(addr).await.unwrap();
    eventually("3 connections up", || {
        client.pool().endpoints()[0].connections == 3
    })
    .await;
    client
}

#[tokio::test]
async fn load_is_spread_over_the_pools_connections() {
    let svc = PerConnection::new();
    let server = TestServer::start_at("127.0.0.1:0", ServerBuilder::new(), svc.clone()).await;
    let client = three_up(quick(), server.addr).await;

    let calls: Vec<_> = (0..300)
        .map(|i| tokio::spawn(call_owned(client.clone(), format!("l{i}"), "sleep:2")))
        .collect();
    for c in calls {
        bounded("a pooled call", c).await.unwrap().unwrap();
    }
    // The template clone took slot 0; connections are the slots after it.
    let counts = svc.snapshot();
    let used: Vec<_> = counts.iter().copied().filter(|&n| n > 0).collect();
    assert_eq!(used.iter().sum::<usize>(), 300, "{counts:?}");
    assert_eq!(used.len(), 3, "every connection served some: {counts:?}");
    server.stop().await;
}

#[tokio::test]
async fn packing_fills_one_connection_up_to_the_limit_before_using_the_next() {
    let svc = PerConnection::new();
    // The calls never end: stopping the server cuts them after a short drain.
    let drain = ServerBuilder::new().drain_timeout(Duration::from_millis(10));
    let server = TestServer::start_at("127.0.0.1:0", drain, svc.clone()).await;
    let client = three_up(quick().pack_up_to(Some(4)), server.addr).await;

    // Six calls that stay in flight: four fill one connection, two spill.
    let calls: Vec<_> = (0..6)
        .map(|i| tokio::spawn(call_owned(client.clone(), format!("p{i}"), "hang")))
        .collect();
    eventually("six calls at the server", || {
        svc.snapshot().iter().sum::<usize>() == 6
    })
    .await;
    let mut used: Vec<_> = svc.snapshot().into_iter().filter(|&n| n > 0).collect();
    used.sort_unstable();
    assert_eq!(used, [2, 4], "{:?}", svc.snapshot());
    for c in calls {
        c.abort();
    }
    server.stop().await;
}

#[tokio::test]
async fn packing_spreads_over_endpoints_and_packs_each_ones_connections() {
    let (sa, sb) = (PerConnection::new(), PerConnection::new());
    let drain = || ServerBuilder::new().drain_timeout(Duration::from_millis(10));
    let a = TestServer::start_at("127.0.0.1:0", drain(), sa.clone()).await;
    let b = TestServer::start_at("127.0.0.1:0", drain(), sb.clone()).await;
    let client = quick()
        .pool_size(2)
        .pack_up_to(Some(4))
        .connect_all([a.addr, b.addr])
        .await
        .unwrap();
    eventually("2 connections up on each endpoint", || {
        client.pool().endpoints().iter().all(|e| e.connections == 2)
    })
    .await;

    // Six calls that stay in flight: three per endpoint, on one connection.
    let calls: Vec<_> = (0..6)
        .map(|i| tokio::spawn(call_owned(client.clone(), format!("e{i}"), "hang")))
        .collect();
    let total = |s: &PerConnection| s.snapshot().iter().sum::<usize>();
    eventually("six calls at the servers", || total(&sa) + total(&sb) == 6).await;
    for s in [&sa, &sb] {
        let used: Vec<_> = s.snapshot().into_iter().filter(|&n| n > 0).collect();
        assert_eq!(used, [3], "{:?} and {:?}", sa.snapshot(), sb.snapshot());
    }
    for c in calls {
        c.abort();
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn traffic_flows_to_the_healthy_endpoints_and_follows_adds_and_removes() {
    let (sa, sb) = (PerConnection::new(), PerConnection::new());
    let a = TestServer::start_at("127.0.0.1:0", ServerBuilder::new(), sa.clone()).await;
    let b = TestServer::start_at("127.0.0.1:0", ServerBuilder::new(), sb.clone()).await;
    let down = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let client = quick()
        .pool_size(1)
        .connect_all([a.addr, down, b.addr])
        .await
        .unwrap();
    eventually("a and b up, the other down", || {
        let eps = client.pool().endpoints();
        eps[0].connections == 1 && eps[2].connections == 1 && eps[1].consecutive_failures > 0
    })
    .await;

    let burst = |tag: &'static str| {
        let client = client.clone();
        async move {
            let calls: Vec<_> = (0..100)
                .map(|i| tokio::spawn(call_owned(client.clone(), format!("{tag}{i}"), "sleep:1")))
                .collect();
            for c in calls {
                bounded("a call", c).await.unwrap().unwrap();
            }
        }
    };
    let total = |s: &PerConnection| s.snapshot().iter().sum::<usize>();
    burst("x").await;
    assert!(
        total(&sa) > 0 && total(&sb) > 0,
        "both healthy endpoints served"
    );
    assert_eq!(total(&sa) + total(&sb), 100);

    assert!(client.pool().remove(a.addr));
    let a_before = total(&sa);
    burst("y").await;
    assert_eq!(total(&sa), a_before, "a removed endpoint gets nothing");

    client.pool().add(a.addr);
    eventually("a back", || {
        client
            .pool()
            .endpoints()
            .iter()
            .any(|e| e.addr == a.addr.into() && e.connections == 1)
    })
    .await;
    burst("z").await;
    assert!(
        total(&sa) > a_before,
        "a re-added endpoint gets traffic again"
    );
    a.stop().await;
    b.stop().await;
}
