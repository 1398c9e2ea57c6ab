//! The client through the fault proxy (`examples/faultproxy`): latency,
//! bandwidth caps, resets, stalls and refused connections. Real sockets on
//! loopback and a paused clock: the proxy's delays, the client's deadlines
//! and every duration measured here are in the test's own time, so they
//! are exact however loaded the machine.

use std::io::ErrorKind::ConnectionReset;
use std::net::SocketAddr;
use std::time::Duration;

use crate::support::time::{bounded, with_paused_clock};
use jsonmux::{Client, ClientBuilder, CloseReason, Error, HelloService, Message, Resp, Server};
use tokio::sync::oneshot;
use tokio::time::Instant;
use tower::ServiceExt;

#[path = "../../examples/faultproxy/proxy.rs"]
mod proxy;

use proxy::{Direction, FaultProxy, Faults};

/// The hello server on `127.0.0.1:0`; it stops when the sender is dropped.
async fn start_server() -> (SocketAddr, oneshot::Sender<()>) {
    let server = Server::builder().bind("127.0.0.1:0").await.expect("bind");
    let addr = server.local_addr().expect("a bound address");
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server.serve(HelloService, async {
        let _ = stopped.await;
    }));
    (addr, stop)
}

/// A client with one connection to `addr` and this request timeout.
async fn client(addr: SocketAddr, timeout: Duration) -> Client {
    let builder = ClientBuilder::new()
        .pool_size(1)
        .request_timeout(Some(timeout));
    bounded("connect", builder.connect(addr))
        .await
        .expect("connect through the proxy")
}

/// A server, a proxy without faults in front of it, and a client through
/// the proxy (this request timeout) that has had one answer.
async fn answered_once(timeout: Duration) -> (Client, FaultProxy, oneshot::Sender<()>) {
    let (server, stop) = start_server().await;
    let (addr, proxy) = FaultProxy::start(server, Faults::default())
        .await
        .expect("proxy");
    let client = client(addr, timeout).await;
    let (first, _) = calls(&client, "first", 1, "pig").await.remove(0);
    assert_answered("first", 0, &first, "pig");
    (client, proxy, stop)
}

/// Makes `n` calls at once, `Uid` `{round}-{i}` and `Val` `val`; returns
/// each call's one outcome and how long it took, in call order.
async fn calls(
    client: &Client,
    round: &str,
    n: usize,
    val: &str,
) -> Vec<(Result<Resp, Error>, Duration)> {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let msg = Message::new(format!("{round}-{i}"), val);
            let client = client.clone();
            tokio::spawn(async move {
                let start = Instant::now();
                let outcome = client.oneshot(msg).await;
                (outcome, start.elapsed())
            })
        })
        .collect();
    let mut outcomes = Vec::with_capacity(n);
    for task in tasks {
        outcomes.push(bounded("a call", task).await.expect("a call panicked"));
    }
    outcomes
}

/// Fails unless `outcome` is the hello answer to `{round}-{i}` with `val`.
fn assert_answered(round: &str, i: usize, outcome: &Result<Resp, Error>, val: &str) {
    let resp = outcome
        .as_ref()
        .unwrap_or_else(|e| panic!("{round}-{i}: {}", e.report()));
    assert_eq!(resp.uid, format!("{round}-{i}"));
    assert_eq!(resp.val, format!("server: hello, {val}"));
}

/// 64 calls through 50 ms latency each way share one connection and all make a 1.5 s deadline.
#[test]
fn sixty_four_calls_in_flight_through_50ms_latency_each_way_all_succeed() {
    with_paused_clock(|| async {
        let (server, _stop) = start_server().await;
        let latency = Direction {
            latency: Duration::from_millis(50),
            jitter: Duration::from_millis(10),
            ..Direction::default()
        };
        let (addr, proxy) = FaultProxy::start(server, Faults::both(latency))
            .await
            .expect("proxy");
        // One at a time, 64 round trips of at least 80 ms would take over 5 s:
        // the calls can only all make this deadline by sharing the connection.
        let timeout = Duration::from_millis(1500);
        let client = client(addr, timeout).await;

        let outcomes = calls(&client, "call", 64, "pig").await;
        assert_eq!(outcomes.len(), 64);
        for (i, (outcome, took)) in outcomes.iter().enumerate() {
            assert_answered("call", i, outcome, "pig");
            // At least 40 ms each way.
            assert!(*took >= Duration::from_millis(80), "call {i} took {took:?}");
            assert!(*took <= timeout, "call {i} took {took:?}");
        }
        assert_eq!(
            proxy.counts().accepted,
            1,
            "one connection carried them all"
        );
    });
}

/// A 200 kB call through a 1 MB/s cap each way takes at least 250 ms and succeeds.
#[test]
fn a_bandwidth_cap_slows_a_large_call_which_still_succeeds() {
    with_paused_clock(|| async {
        let (server, _stop) = start_server().await;
        let cap = Direction {
            bandwidth: Some(1_000_000),
            ..Direction::default()
        };
        let (addr, proxy) = FaultProxy::start(server, Faults::both(cap))
            .await
            .expect("proxy");
        let client = client(addr, Duration::from_secs(3)).await;

        let val = "x".repeat(200_000);
        let (outcome, took) = calls(&client, "big", 1, &val).await.remove(0);
        assert_answered("big", 0, &outcome, &val);
        // 200 kB each way at 1 MB/s, less a 50 kB burst each way.
        assert!(took >= Duration::from_millis(250), "took {took:?}");
        assert!(proxy.counts().bytes_down > 200_000);
    });
}

/// A reset mid-request fails the calls in flight with the reset as cause; the pool redials.
#[test]
fn a_reset_mid_stream_fails_the_calls_in_flight_and_the_pool_reconnects() {
    with_paused_clock(|| async {
        let (client, proxy, _server) = answered_once(Duration::from_millis(1500)).await;

        // Reset the connection 10 bytes into the next request.
        let sent = proxy.counts().bytes_up;
        proxy.update(|f| f.up.reset_after = Some(sent + 10));
        let outcomes = calls(&client, "call", 8, "pig").await;
        let mut closed = 0;
        for (i, (outcome, took)) in outcomes.iter().enumerate() {
            match outcome {
                Err(Error::Closed(cause)) => {
                    let reset = matches!(cause, CloseReason::Io(e) if e.kind() == ConnectionReset);
                    assert!(
                        reset,
                        "call {i}: {}",
                        outcome.as_ref().unwrap_err().report()
                    );
                    closed += 1;
                }
                // Only a call sent after the reset, on a new connection.
                Ok(_) => assert_answered("call", i, outcome, "pig"),
                Err(e) => panic!("call {i}: {}", e.report()),
            }
            assert!(
                *took <= Duration::from_millis(1500),
                "call {i} took {took:?}"
            );
        }
        assert!(closed >= 1, "the call cut mid-frame failed with Closed");
        assert_eq!(proxy.counts().resets, 1);

        proxy.set(Faults::default());
        let (later, _) = calls(&client, "later", 1, "pig").await.remove(0);
        assert_answered("later", 0, &later, "pig");
        assert!(proxy.counts().accepted >= 2, "the pool dialed again");
    });
}

/// Calls whose answers are stalled time out exactly at their deadline; traffic resumes after.
#[test]
fn calls_stuck_in_a_stall_time_out_by_their_deadline_and_traffic_resumes_after() {
    with_paused_clock(|| async {
        let timeout = Duration::from_millis(300);
        let (client, proxy, _server) = answered_once(timeout).await;

        // The answers are held by the proxy until the stall is lifted, after
        // every call gave up.
        proxy.update(|f| f.down.stalled = true);
        let outcomes = calls(&client, "call", 8, "pig").await;
        assert_eq!(outcomes.len(), 8);
        for (i, (outcome, took)) in outcomes.iter().enumerate() {
            assert!(
                matches!(outcome, Err(Error::Timeout(_))),
                "call {i}: {outcome:?}"
            );
            assert!(*took >= timeout, "call {i} gave up early, after {took:?}");
            assert!(*took <= timeout, "call {i} took {took:?}");
        }

        proxy.update(|f| f.down.stalled = false);
        let (later, _) = calls(&client, "later", 1, "pig").await.remove(0);
        assert_answered("later", 0, &later, "pig");
    });
}

/// Calls to a proxy that closes every connection all fail, none after its deadline.
#[test]
fn calls_to_a_proxy_that_closes_every_connection_fail_by_their_deadline() {
    with_paused_clock(|| async {
        let (server, _stop) = start_server().await;
        let refuse = Faults {
            refuse: true,
            ..Faults::default()
        };
        let (addr, proxy) = FaultProxy::start(server, refuse).await.expect("proxy");
        let timeout = Duration::from_millis(300);
        let client = ClientBuilder::new()
            .pool_size(1)
            .request_timeout(Some(timeout))
            .connect_lazy([addr])
            .unwrap();

        let outcomes = calls(&client, "call", 8, "pig").await;
        assert_eq!(outcomes.len(), 8);
        for (i, (outcome, took)) in outcomes.iter().enumerate() {
            assert!(
                matches!(
                    outcome,
                    Err(Error::Timeout(_) | Error::Closed(_) | Error::Unavailable(_))
                ),
                "call {i}: {outcome:?}"
            );
            assert!(*took <= timeout, "call {i} took {took:?}");
        }
        assert!(proxy.counts().dropped >= 1);
        assert_eq!(proxy.counts().bytes_up, 0, "nothing reached the server");
    });
}
