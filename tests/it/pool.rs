//! The pool on loopback: reconnect, dead peers, load spread, many endpoints.

use std::error::Error as _;
use std::time::Duration;

use crate::support::calls::{all_answered, call, quick, spawn_calls, three_up};
use crate::support::engines::per_engine;
use crate::support::gates::Gates;
use crate::support::peers::{Mode, Peer};
use crate::support::server::{scripted, TestServer};
use crate::support::time::{bounded, eventually, with_paused_clock};
use jsonmux::{Client, CloseReason, Error, Resp, ServerBuilder};
use tokio::time::Instant;

/// Calls until one succeeds; panics if none does within the test patience.
async fn until_ok(client: &Client, what: &str) -> Resp {
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

per_engine! {
    /// Calls held at a server that is killed fail at once with `Closed`, caused by `PeerClosed`.
    async fn calls_in_flight_fail_promptly_with_the_cause_when_the_server_is_killed(engine: Engine) {
        let server = TestServer::start_with(ServerBuilder::new().drain_timeout(Duration::ZERO)).await;
        let client = quick(engine)
            .request_timeout(None)
            .connect(server.addr)
            .await
            .unwrap();
        let calls = spawn_calls(&client, "k", 9, "wait:k");
        server.gates.arrived("k", 9).await;
        server.stop().await;
        for c in calls {
            let err = bounded("a call on a killed server", c)
                .await
                .unwrap()
                .unwrap_err();
            assert!(err.is_closed(), "{err:?}");
            let cause = err.source().and_then(|c| c.downcast_ref::<CloseReason>());
            assert!(matches!(cause, Some(CloseReason::PeerClosed)), "{err:?}");
        }
    }
}

per_engine! {
    /// With its server down a call waits out its deadline; a restart on the same port serves it.
    fn the_same_client_recovers_when_the_server_restarts_on_the_same_port(engine: Engine) {
        with_paused_clock(move || async move {
            let server = TestServer::start().await;
            let addr = server.addr;
            let deadline = Duration::from_millis(200);
            let client = quick(engine)
                .request_timeout(Some(deadline))
                .connect(addr)
                .await
                .unwrap();
            assert_eq!(call(&client, "before", "x").await.unwrap().uid, "before");

            server.stop().await;
            eventually("the pool sees the server go", || {
                client.endpoints().status()[0].connections == 0
            })
            .await;
            let started = Instant::now();
            let down = call(&client, "during", "x").await.unwrap_err();
            assert!(matches!(down, Error::Timeout(_)), "{down:?}");
            assert_eq!(started.elapsed(), deadline, "waits up to the deadline");

            let again = TestServer::start_at(addr, ServerBuilder::new(), scripted).await;
            until_ok(&client, "a call after the restart").await;
            again.stop().await;
        });
    }
}

per_engine! {
    /// Calls that give up one after the other add up to a silent peer: `read_timeout` with no answer replaces it (`PeerSilent`).
    fn a_server_that_never_answers_gets_its_connection_replaced(engine: Engine) {
        with_paused_clock(move || async move {
            let peer = Peer::start(Mode::Silent).await;
            let client = quick(engine)
                .pool_size(1)
                .request_timeout(Some(Duration::from_millis(20)))
                .read_timeout(Some(Duration::from_millis(100)))
                .connect(peer.addr)
                .await
                .unwrap();
            peer.until("the first connection", |s| s.accepted >= 1).await;
            // Each call gives up after 20 ms; the silence is noticed while
            // one waits, 100 ms after the first: the connection is dropped
            // (that call with it) and redialed.
            let mut timeouts = 0;
            let err = loop {
                match call(&client, &format!("s{timeouts}"), "x")
                    .await
                    .unwrap_err()
                {
                    Error::Timeout(_) if timeouts < 10 => timeouts += 1,
                    other => break other,
                }
            };
            assert!(
                err.is_closed() && (4..=6).contains(&timeouts),
                "{err:?} after {timeouts}"
            );
            peer.until("a second connection", |s| s.accepted >= 2).await;
            let cause = client.endpoints().status()[0].last_error.clone();
            assert!(matches!(cause, Some(Error::Closed(CloseReason::PeerSilent(_)))), "{cause:?}");
        });
    }
}

per_engine! {
    /// `max_consecutive_timeouts` timeouts in a row replace the connection (`TooManyTimeouts`).
    fn timeouts_in_a_row_replace_the_connection(engine: Engine) {
        with_paused_clock(move || async move {
            let peer = Peer::start(Mode::Silent).await;
            let client = quick(engine)
                .pool_size(1)
                .request_timeout(Some(Duration::from_millis(5)))
                .read_timeout(None)
                .max_consecutive_timeouts(Some(3))
                .connect(peer.addr)
                .await
                .unwrap();
            peer.until("the first connection", |s| s.accepted >= 1).await;
            for i in 0..3 {
                assert!(call(&client, &format!("t{i}"), "x")
                    .await
                    .unwrap_err()
                    .is_timeout());
            }
            peer.until("a second connection", |s| s.accepted >= 2).await;
            let cause = client.endpoints().status()[0].last_error.clone();
            assert!(
                matches!(cause, Some(Error::Closed(CloseReason::TooManyTimeouts(3)))),
                "{cause:?}"
            );
        });
    }
}

per_engine! {
    /// Nothing listening: `connect` fails, a lazy client fails fast or times out, and redials.
    fn with_nothing_listening_connect_fails_and_a_lazy_client_fails_fast_or_times_out(engine: Engine) {
        with_paused_clock(move || async move {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            drop(listener);

            let err = quick(engine).connect(addr).await.unwrap_err();
            assert!(matches!(err, Error::Connect(_)), "{err:?}");

            let fast = quick(engine).fail_fast(true).connect_lazy([addr]).unwrap();
            eventually("a failed dial", || {
                fast.endpoints().status()[0].consecutive_failures > 0
            })
            .await;
            let err = call(&fast, "a", "x").await.unwrap_err();
            assert!(
                matches!(&err, Error::Unavailable(c) if matches!(**c, Error::Connect(_))),
                "{err:?}"
            );
            // It keeps retrying in the background, with backoff.
            eventually("more dials", || {
                fast.endpoints().status()[0].consecutive_failures >= 3
            })
            .await;

            let deadline = Duration::from_millis(30);
            let patient = quick(engine)
                .request_timeout(Some(deadline))
                .connect_lazy([addr]).unwrap();
            let started = Instant::now();
            assert!(call(&patient, "b", "x").await.unwrap_err().is_timeout());
            assert_eq!(started.elapsed(), deadline);
        });
    }
}

per_engine! {
    /// 300 calls in flight at once go 100 to each of the pool's three connections.
    async fn load_is_spread_over_the_pools_connections(engine: Engine) {
        let (server, per_conn) = TestServer::counting().await;
        let client = three_up(quick(engine), server.addr).await;

        let calls = spawn_calls(&client, "l", 300, "wait:l");
        server.gates.arrived("l", 300).await;
        assert_eq!(per_conn.snapshot(), [100, 100, 100]);
        server.gates.open("l");
        all_answered(calls).await;
        server.stop().await;
    }
}

per_engine! {
    /// With `pack_up_to(4)`, six calls in flight fill one connection with four, the next with two.
    async fn packing_fills_one_connection_up_to_the_limit_before_using_the_next(engine: Engine) {
        let (server, per_conn) = TestServer::counting().await;
        let client = three_up(quick(engine).pack_up_to(Some(4)), server.addr).await;

        let calls = spawn_calls(&client, "p", 6, "wait:p");
        server.gates.arrived("p", 6).await;
        let mut used: Vec<_> = per_conn.snapshot().into_iter().filter(|&n| n > 0).collect();
        used.sort_unstable();
        assert_eq!(used, [2, 4], "{:?}", per_conn.snapshot());
        server.gates.open("p");
        all_answered(calls).await;
        server.stop().await;
    }
}

per_engine! {
    /// With two endpoints and `pack_up_to(4)`, six calls go three to each, on one connection.
    async fn packing_spreads_over_endpoints_and_packs_each_ones_connections(engine: Engine) {
        let (a, per_a) = TestServer::counting().await;
        let (b, per_b) = TestServer::counting().await;
        let client = quick(engine)
            .pool_size(2)
            .pack_up_to(Some(4))
            .connect_all([a.addr, b.addr])
            .await
            .unwrap();
        eventually("2 connections up on each endpoint", || {
            client.endpoints().status().iter().all(|e| e.connections == 2)
        })
        .await;

        let calls = spawn_calls(&client, "e", 6, "wait:e");
        a.gates.arrived("e", 3).await;
        b.gates.arrived("e", 3).await;
        for per_conn in [&per_a, &per_b] {
            let used: Vec<_> = per_conn.snapshot().into_iter().filter(|&n| n > 0).collect();
            assert_eq!(
                used,
                [3],
                "{:?} and {:?}",
                per_a.snapshot(),
                per_b.snapshot()
            );
        }
        a.gates.open("e");
        b.gates.open("e");
        all_answered(calls).await;
        a.stop().await;
        b.stop().await;
    }
}

per_engine! {
    /// Calls split over the endpoints that are up, and follow `remove` and `add`.
    async fn traffic_flows_to_the_healthy_endpoints_and_follows_adds_and_removes(engine: Engine) {
        let (a, per_a) = TestServer::counting().await;
        let (b, per_b) = TestServer::counting().await;
        let down = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let client = quick(engine)
            .pool_size(1)
            .connect_all([a.addr, down, b.addr])
            .await
            .unwrap();
        eventually("a and b up, the other down", || {
            let eps = client.endpoints().status();
            eps[0].connections == 1 && eps[2].connections == 1 && eps[1].consecutive_failures > 0
        })
        .await;

        burst(&client, "x", &[&a.gates, &b.gates]).await;
        let (at_a, at_b) = (per_a.total(), per_b.total());
        assert_eq!(at_a + at_b, 100);
        assert!(at_a >= 25 && at_b >= 25, "split between the healthy: {at_a}, {at_b}");

        assert!(client.endpoints().remove(a.addr));
        burst(&client, "y", &[&b.gates]).await;
        assert_eq!(
            (per_a.total(), per_b.total()),
            (at_a, at_b + 100),
            "a removed endpoint gets nothing"
        );

        client.endpoints().add(a.addr);
        eventually("a back", || {
            client
                .endpoints()
                .status()
                .iter()
                .any(|e| e.addr == a.addr.into() && e.connections == 1)
        })
        .await;
        burst(&client, "z", &[&a.gates, &b.gates]).await;
        let to_a = per_a.total() - at_a;
        assert_eq!(to_a + per_b.total() - at_b - 100, 100);
        assert!(to_a >= 25, "a re-added endpoint gets its share: {to_a} of 100");
        a.stop().await;
        b.stop().await;
    }
}

/// 100 calls `{tag}{i}`, held at the servers behind `gates` until all of
/// them have arrived, then answered.
async fn burst(client: &Client, tag: &str, gates: &[&Gates]) {
    let calls = spawn_calls(client, tag, 100, &format!("wait:{tag}"));
    let arrived = || gates.iter().map(|g| g.count(tag)).sum::<usize>();
    eventually("the burst at the servers", || arrived() == 100).await;
    gates.iter().for_each(|g| g.open(tag));
    all_answered(calls).await;
}

per_engine! {
    /// A pool's `Load` is the wait a call can expect on its cheapest connection: its calls in flight, then times the delay the server reports.
    async fn a_pools_load_is_its_calls_in_flight_times_the_servers_delay(engine: Engine) {
        use tower::load::Load;
        let server = TestServer::start().await;
        let pool = quick(engine).pool_size(1).pool([server.addr]).unwrap();
        let held = spawn_calls(&pool, "h", 2, "wait:h");
        server.gates.arrived("h", 2).await;
        assert_eq!((pool.load(), pool.in_flight()), (3, 2), "1 µs a call before any answer");
        server.gates.open("h");
        all_answered(held).await;
        let status = &pool.endpoints().status()[0];
        let delay = status.server_delay.expect("a jsonmux server reports its delay");
        assert!(status.round_trip.is_some());
        assert_eq!(pool.load(), u64::try_from(delay.as_micros()).unwrap().max(1));
        server.stop().await;
    }
}
