//! The client against a real server on loopback: correlation, limits, failure.

mod support;

use std::error::Error as _;
use std::future::Future;
use std::io;
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use jsonmux::{Client, ClientBuilder, Code, CodecError, Connection, Error, Message, Resp};
use support::peers::{dying_server, HangUp};
use support::server::TestServer;
use support::time::{bounded, eventually, with_paused_clock, with_real_clock};
use tokio::time::Instant;
use tower::{Service, ServiceExt};

/// Sends a request on `conn` once it is ready, returning the call.
async fn send(
    conn: &mut Connection,
    uid: &str,
    val: &str,
) -> impl Future<Output = Result<Resp, Error>> {
    conn.ready().await.unwrap().call(Message::new(uid, val))
}

/// One call through the default client stack gets the seed's answer.
#[tokio::test]
async fn a_call_gets_the_seed_answer() {
    let server = TestServer::start().await;
    let client = Client::connect(server.addr).await.unwrap();
    let resp = client
        .oneshot(Message::new("pixel-1", "pixelpig!"))
        .await
        .unwrap();
    assert_eq!(resp.uid, "pixel-1");
    assert_eq!(resp.val, "server: hello, pixelpig!");
    assert!(!resp.ts.is_empty());
    server.stop().await;
}

/// Answers released in reverse order reach their own callers, in that order.
#[tokio::test]
async fn answers_that_come_back_out_of_order_reach_their_own_callers() {
    let server = TestServer::start().await;
    let mut conn = Connection::connect(server.addr).await.unwrap();
    let n = 40;
    let mut calls = FuturesUnordered::new();
    for i in 0..n {
        let msg = Message::new(format!("req-{i}"), format!("wait:{i}"));
        let call = conn.ready().await.unwrap().call(msg);
        calls.push(async move { (i, call.await) });
    }
    for i in (0..n).rev() {
        server.gates.open(&i.to_string());
        let (got, resp) = bounded("the released answer", calls.next()).await.unwrap();
        assert_eq!(got, i, "only the released call completes");
        let resp = resp.unwrap();
        assert_eq!(resp.uid, format!("req-{i}"));
        assert_eq!(resp.val, format!("server: hello, wait:{i}"));
    }
    server.stop().await;
}

/// 500 tasks share one client: at most 64 calls at the server at once, each its own answer.
#[tokio::test]
async fn many_tasks_share_one_client_and_each_gets_its_own_answer() {
    let server = TestServer::start().await;
    let client = ClientBuilder::new()
        .concurrency_limit(Some(64))
        .unwrap()
        .connect(server.addr)
        .await
        .unwrap();
    // Every fourth call is held at the server: held calls pile up until
    // they take all 64 places, while the others are answered at once.
    let val = |i: usize| match i % 4 {
        0 => "wait:held".to_string(),
        _ => format!("now-{i}"),
    };
    let tasks: Vec<_> = (0..500)
        .map(|i| {
            let client = client.clone();
            let msg = Message::new(format!("t-{i}"), val(i));
            tokio::spawn(async move { (i, client.oneshot(msg).await) })
        })
        .collect();
    server.gates.arrived("held", 64).await;
    assert_eq!(server.gates.count("held"), 64, "the limit holds the rest");
    server.gates.open("held");
    for task in tasks {
        let (i, resp) = bounded("a shared-client call", task).await.unwrap();
        let resp = resp.unwrap();
        assert_eq!(resp.uid, format!("t-{i}"));
        assert_eq!(resp.val, format!("server: hello, {}", val(i)));
    }
    assert_eq!(server.gates.count("held"), 125);
    server.stop().await;
}

/// A call held past the request timeout fails with `Timeout` exactly then; others go on.
#[test]
fn a_call_past_its_deadline_fails_with_timeout() {
    with_paused_clock(|| async {
        let server = TestServer::start().await;
        let deadline = Duration::from_millis(50);
        let client = ClientBuilder::new()
            .request_timeout(Some(deadline))
            .connect(server.addr)
            .await
            .unwrap();
        let started = Instant::now();
        let late = client.clone().oneshot(Message::new("late", "wait:late"));
        let err = late.await.unwrap_err();
        assert_eq!(started.elapsed(), deadline, "failed at the deadline");
        assert!(matches!(err, Error::Timeout), "{err:?}");
        assert_eq!(err.to_string(), "request timed out");
        assert_eq!(server.gates.count("late"), 1, "it was at the server");
        let ok = client.oneshot(Message::new("fine", "x")).await.unwrap();
        assert_eq!(ok.uid, "fine");
        server.stop().await;
    });
}

/// A second call with a `Uid` in flight gets `DuplicateUid`; the first gets its answer.
#[tokio::test]
async fn a_second_call_with_a_uid_in_flight_is_refused_and_the_first_keeps_its_answer() {
    let server = TestServer::start().await;
    let mut conn = Connection::connect(server.addr).await.unwrap();
    let first = send(&mut conn, "dup", "wait:first").await;
    server.gates.arrived("first", 1).await;
    let second = send(&mut conn, "dup", "other").await;
    let err = bounded("the duplicate", second).await.unwrap_err();
    assert!(
        matches!(&err, Error::DuplicateUid(u) if u == "dup"),
        "{err:?}"
    );
    server.gates.open("first");
    let resp = bounded("the first", first).await.unwrap();
    assert_eq!(resp.val, "server: hello, wait:first");
    server.stop().await;
}

/// A dropped call's `Uid` stays taken until its late answer lands and is thrown away.
#[tokio::test]
async fn an_abandoned_uid_never_receives_a_stale_answer_and_is_freed_when_it_lands() {
    let server = TestServer::start().await;
    let mut conn = Connection::connect(server.addr).await.unwrap();
    let slow = send(&mut conn, "x", "wait:late").await;
    server.gates.arrived("late", 1).await;
    drop(slow);
    assert_eq!(conn.in_flight(), 1, "a tombstone waits for the late answer");

    let reuse = send(&mut conn, "x", "fresh").await;
    assert!(matches!(reuse.await, Err(Error::DuplicateUid(_))));
    // Another call's answer goes by; the held one cannot have: still taken.
    let probe = send(&mut conn, "p", "x").await;
    bounded("the probe", probe).await.unwrap();
    assert_eq!(conn.in_flight(), 1, "taken until its own answer lands");

    server.gates.open("late");
    eventually("the late answer lands", || conn.in_flight() == 0).await;
    assert!(!conn.is_closed(), "freed by the answer, not by a close");
    let resp = send(&mut conn, "x", "fresh").await.await.unwrap();
    assert_eq!(resp.val, "server: hello, fresh", "never the stale answer");
    server.stop().await;
}

/// Dropping a call whose answer already arrived leaves no tombstone: its `Uid` is free.
#[tokio::test]
async fn a_dropped_call_whose_answer_already_arrived_leaves_nothing_behind() {
    let server = TestServer::start().await;
    let mut conn = Connection::connect(server.addr).await.unwrap();
    let call = send(&mut conn, "y", "x").await;
    // The probe is answered after y (the server holds it until y's answer
    // is out), so once the probe's answer is here, y's is too.
    let probe = send(&mut conn, "probe", "wait:probe").await;
    server.gates.arrived("probe", 1).await;
    server.gates.open("probe");
    bounded("probe", probe).await.unwrap();
    assert_eq!(conn.in_flight(), 0, "y's answer is in, waiting to be read");
    drop(call);
    assert_eq!(conn.in_flight(), 0, "dropping it left no tombstone");
    let resp = send(&mut conn, "y", "again").await.await.unwrap();
    assert_eq!(resp.val, "server: hello, again");
    server.stop().await;
}

/// A handler's error reaches the caller as `Server { Handler, .. }`; the connection lives.
#[tokio::test]
async fn a_handler_error_reaches_the_caller_as_a_server_error_and_the_connection_lives() {
    let server = TestServer::start().await;
    let client = Client::connect(server.addr).await.unwrap();
    let err = client
        .clone()
        .oneshot(Message::new("f", "fail:no pigs"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Server { code: Code::Handler, message } if message == "no pigs"),
        "{err:?}"
    );
    let ok = client.oneshot(Message::new("g", "x")).await.unwrap();
    assert_eq!(ok.uid, "g");
    server.stop().await;
}

/// An error answer with the handler's own code keeps that code and message.
#[tokio::test]
async fn a_handlers_own_error_code_and_message_reach_the_caller() {
    let server = TestServer::start().await;
    let client = Client::connect(server.addr).await.unwrap();
    let err = client
        .oneshot(Message::new("c", "code:not_found:no such pig"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Server { code: Code::NotFound, message } if message == "no such pig"),
        "{err:?}"
    );
    server.stop().await;
}

/// A proxy relays its upstream's error code and message unchanged, with no prefix per hop.
#[tokio::test]
async fn a_proxy_relays_its_upstreams_error_answer_unchanged() {
    let upstream = TestServer::start().await;
    let to_upstream = Client::connect(upstream.addr).await.unwrap();
    let proxy = tower::service_fn(move |msg: Message| to_upstream.clone().oneshot(msg));
    let builder = jsonmux::ServerBuilder::new();
    let front = TestServer::start_at("127.0.0.1:0", builder, |_| proxy).await;
    let client = Client::connect(front.addr).await.unwrap();
    for (val, want) in [
        ("fail:no pigs", Code::Handler),
        ("code:permission_denied:pigs only", Code::PermissionDenied),
    ] {
        let err = client
            .clone()
            .oneshot(Message::new("p", val))
            .await
            .unwrap_err();
        let Error::Server { code, message } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(*code, want);
        assert_eq!(message, val.rsplit(':').next().unwrap());
    }
    front.stop().await;
    upstream.stop().await;
}

/// Errors out of a user's own `Buffer` + `Timeout` stack convert back with `From<BoxError>`.
#[test]
fn errors_out_of_a_users_own_tower_stack_convert_back_to_jsonmux_errors() {
    with_paused_clock(|| async {
        // A short drain: the held handler is cut at the end.
        let builder = jsonmux::ServerBuilder::new().drain_timeout(Duration::from_millis(1));
        let server = TestServer::start_with(builder).await;
        let conn = Connection::connect(server.addr).await.unwrap();
        let svc = tower::ServiceBuilder::new()
            .timeout(Duration::from_millis(50))
            .buffer(8)
            .service(conn);
        let slow = svc.clone().oneshot(Message::new("slow", "wait:never"));
        let err = Error::from(slow.await.unwrap_err());
        assert!(err.is_timeout(), "{err:?}");
        let failed = svc.clone().oneshot(Message::new("f", "fail:no pigs")).await;
        let err = Error::from(failed.unwrap_err());
        let from_handler = matches!(&err, Error::Server { code, .. } if *code == Code::Handler);
        assert!(from_handler, "{err:?}");
        server.stop().await;
    });
}

async fn every_call_fails_promptly_when_the_server_dies(how: HangUp) -> Vec<Error> {
    let n = 20;
    let (addr, all_read) = dying_server(n, how).await;
    let client = ClientBuilder::new()
        .pool_size(1)
        .unwrap()
        .request_timeout(None)
        .fail_fast(true)
        .connect(addr)
        .await
        .unwrap();
    let calls: Vec<_> = (0..n)
        .map(|i| tokio::spawn(client.clone().oneshot(Message::new(format!("c{i}"), "x"))))
        .collect();
    bounded("the server read every request", all_read)
        .await
        .unwrap();
    let mut errors = Vec::new();
    for call in calls {
        let out = bounded("a call on a dead connection", call).await.unwrap();
        errors.push(out.unwrap_err());
    }
    // Nothing to reconnect to: a later call fails fast instead of hanging.
    let later = bounded("a later call", client.oneshot(Message::new("z", "x"))).await;
    assert!(matches!(later, Err(Error::Unavailable(_))), "{later:?}");
    errors
}

/// A server's FIN fails every call in flight with `Closed`, caused by `PeerClosed`.
#[tokio::test]
async fn every_call_in_flight_fails_with_closed_by_peer_when_the_server_closes() {
    for err in every_call_fails_promptly_when_the_server_dies(HangUp::Close).await {
        assert!(err.is_closed(), "{err:?}");
        let cause = err.source().unwrap().downcast_ref::<Error>().unwrap();
        assert!(matches!(cause, Error::PeerClosed), "{cause:?}");
    }
}

/// A server's RST fails every call in flight with `Closed`, caused by `Io(ConnectionReset)`.
#[tokio::test]
async fn every_call_in_flight_fails_with_the_io_cause_when_the_server_resets() {
    for err in every_call_fails_promptly_when_the_server_dies(HangUp::Reset).await {
        assert!(err.is_closed(), "{err:?}");
        let cause = err.source().unwrap().downcast_ref::<Error>().unwrap();
        assert!(
            matches!(cause, Error::Io(e) if e.kind() == io::ErrorKind::ConnectionReset),
            "{cause:?}"
        );
    }
}

/// A connection with nothing in flight notices its peer closing.
#[tokio::test]
async fn an_idle_connection_notices_the_peer_closing_without_a_request() {
    let (addr, all_read) = dying_server(0, HangUp::Close).await;
    let conn = Connection::connect(addr).await.unwrap();
    bounded("the server hung up", all_read).await.unwrap();
    eventually("the close is noticed", || conn.is_closed()).await;
}

/// Dialing a port nobody listens on fails with `Connect`, its cause in the report.
#[tokio::test]
async fn connecting_to_a_port_nobody_listens_on_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = Client::connect(addr).await.unwrap_err();
    assert!(matches!(err, Error::Connect(_)), "{err:?}");
    assert_eq!(err.to_string(), "connect failed");
    assert!(
        err.report().starts_with("connect failed: "),
        "{}",
        err.report()
    );
}

/// An answer over the client's frame limit closes the connection with `FrameTooLarge`.
#[tokio::test]
async fn an_answer_over_the_clients_frame_limit_closes_with_that_cause() {
    let server = TestServer::start().await;
    let client = ClientBuilder::new()
        .max_frame_len(64)
        .unwrap()
        .connect(server.addr)
        .await
        .unwrap();
    let err = client
        .oneshot(Message::new("big", "v".repeat(100)))
        .await
        .unwrap_err();
    let cause = err.source().and_then(|s| s.downcast_ref::<Error>());
    assert!(
        matches!(cause, Some(Error::Protocol(CodecError::FrameTooLarge(64)))),
        "{err:?}"
    );
    server.stop().await;
}

/// A call in flight when the last connection handle is dropped still gets its answer.
#[tokio::test]
async fn a_call_in_flight_still_gets_its_answer_after_the_connection_handle_is_dropped() {
    let server = TestServer::start().await;
    let mut conn = Connection::connect(server.addr).await.unwrap();
    let call = send(&mut conn, "last", "wait:last").await;
    server.gates.arrived("last", 1).await;
    drop(conn);
    server.gates.open("last");
    let resp = bounded("the answer after the handle is gone", call)
        .await
        .unwrap();
    assert_eq!(resp.val, "server: hello, wait:last");
    server.stop().await;
}

/// A client that busy-polls for `window`, connected to `server`.
async fn busy_polling(window: Duration, server: &TestServer) -> Client {
    let builder = ClientBuilder::new().busy_poll(Some(window));
    builder.connect(server.addr).await.unwrap()
}

/// A client busy-polling for 60 s on the test's one thread lets the server and test run.
#[test]
fn a_busy_polling_client_lets_the_other_tasks_on_its_thread_run() {
    // If busy polling held the thread, the server here would never answer,
    // and the test could not open the gate the second call waits at.
    with_real_clock(|| async {
        let server = TestServer::start().await;
        let client = busy_polling(Duration::from_secs(60), &server).await;
        let first = client.clone().oneshot(Message::new("a", "x"));
        let resp = bounded("an answer", first).await.unwrap();
        assert_eq!(resp.val, "server: hello, x");
        let held = tokio::spawn(client.oneshot(Message::new("b", "wait:held")));
        server.gates.arrived("held", 1).await;
        server.gates.open("held");
        let resp = bounded("the held answer", held).await.unwrap().unwrap();
        assert_eq!(resp.val, "server: hello, wait:held");
        server.stop().await;
    });
}

/// A busy-polling client gets an answer that waits on a server timer of a paused clock.
#[test]
fn a_busy_polling_client_gets_answers_that_wait_on_a_paused_clock() {
    // A paused clock only moves while nothing is ready to run: polling
    // timed by that clock would never end, and the server's timer (and the
    // request timeout) would never fire.
    with_paused_clock(|| async {
        let limit = Duration::from_millis(20);
        let builder = jsonmux::ServerBuilder::new().handler_timeout(Some(limit));
        let server = TestServer::start_with(builder).await;
        let client = busy_polling(Duration::from_micros(50), &server).await;
        let started = Instant::now();
        let err = client
            .oneshot(Message::new("late", "hang"))
            .await
            .unwrap_err();
        let timed_out = matches!(&err, Error::Server { code, .. } if *code == Code::Timeout);
        assert!(timed_out, "{err:?}");
        assert!(started.elapsed() >= limit, "answered once the timer fired");
        server.stop().await;
    });
}
