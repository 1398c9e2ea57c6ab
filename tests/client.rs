//! The client against a real server on loopback: correlation, limits, failure.

mod support;

use std::error::Error as _;
use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use jsonmux::{Client, ClientBuilder, Code, CodecError, Connection, Error, Message};
use support::{bounded, dying_server, eventually, HangUp, TestServer};
use tower::{Service, ServiceExt};

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

#[tokio::test]
async fn answers_that_come_back_out_of_order_reach_their_own_callers() {
    let server = TestServer::start().await;
    let mut conn = Connection::connect(server.addr).await.unwrap();
    // Sent in order 0..n; request i sleeps (n - i) ms, so answers arrive reversed.
    let n = 40;
    let mut calls = FuturesUnordered::new();
    for i in 0..n {
        let call = conn.ready().await.unwrap().call(Message::new(
            format!("req-{i}"),
            format!("sleep:{}", 2 * (n - i)),
        ));
        calls.push(async move { (i, call.await) });
    }
    let mut arrival = Vec::new();
    while let Some((i, resp)) = bounded("all answers", calls.next()).await {
        let resp = resp.unwrap();
        assert_eq!(resp.uid, format!("req-{i}"));
        assert_eq!(resp.val, format!("server: hello, sleep:{}", 2 * (n - i)));
        arrival.push(i);
    }
    assert_eq!(arrival.len(), n);
    assert!(
        arrival.windows(2).any(|w| w[0] > w[1]),
        "answers were reordered: {arrival:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn many_tasks_share_one_client_and_each_gets_its_own_answer() {
    let server = TestServer::start().await;
    let client = ClientBuilder::new()
        .concurrency_limit(Some(64))
        .connect(server.addr)
        .await
        .unwrap();
    let tasks: Vec<_> = (0..500)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                let msg = Message::new(format!("t-{i}"), format!("sleep:{}", i % 4));
                (i, client.oneshot(msg).await)
            })
        })
        .collect();
    for task in tasks {
        let (i, resp) = bounded("a shared-client call", task).await.unwrap();
        let resp = resp.unwrap();
        assert_eq!(resp.uid, format!("t-{i}"));
        assert_eq!(resp.val, format!("server: hello, sleep:{}", i % 4));
    }
    server.stop().await;
}

#[tokio::test]
async fn a_call_past_its_deadline_fails_with_timeout() {
    let server = TestServer::start().await;
    let client = ClientBuilder::new()
        .request_timeout(Some(Duration::from_millis(50)))
        .connect(server.addr)
        .await
        .unwrap();
    let err = client
        .clone()
        .oneshot(Message::new("late", "sleep:300"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert_eq!(err.to_string(), "request timed out");
    // The connection is still good for other Uids.
    let ok = client.oneshot(Message::new("fine", "x")).await.unwrap();
    assert_eq!(ok.uid, "fine");
    server.stop().await;
}

#[tokio::test]
async fn a_second_call_with_a_uid_in_flight_is_refused_and_the_first_keeps_its_answer() {
    let server = TestServer::start().await;
    let mut conn = Connection::connect(server.addr).await.unwrap();
    let first = conn
        .ready()
        .await
        .unwrap()
        .call(Message::new("dup", "sleep:50"));
    let second = conn
        .ready()
        .await
        .unwrap()
        .call(Message::new("dup", "other"));
    let err = bounded("the duplicate", second).await.unwrap_err();
    assert!(
        matches!(&err, Error::DuplicateUid(u) if u == "dup"),
        "{err:?}"
    );
    let resp = bounded("the first", first).await.unwrap();
    assert_eq!(resp.val, "server: hello, sleep:50");
    server.stop().await;
}

#[tokio::test]
async fn an_abandoned_uid_never_receives_a_stale_answer_and_is_freed_when_it_lands() {
    let server = TestServer::start().await;
    let mut conn = Connection::connect(server.addr).await.unwrap();
    let slow = conn
        .ready()
        .await
        .unwrap()
        .call(Message::new("x", "sleep:100"));
    let gave_up = tokio::time::timeout(Duration::from_millis(10), slow).await;
    assert!(gave_up.is_err(), "the caller gave up first");
    assert_eq!(conn.in_flight(), 1, "a tombstone waits for the late answer");

    let reuse = conn.ready().await.unwrap().call(Message::new("x", "fresh"));
    assert!(matches!(reuse.await, Err(Error::DuplicateUid(_))));

    eventually("the late answer lands", || conn.in_flight() == 0).await;
    let resp = conn
        .ready()
        .await
        .unwrap()
        .call(Message::new("x", "fresh"))
        .await
        .unwrap();
    assert_eq!(resp.val, "server: hello, fresh", "never the stale answer");
    server.stop().await;
}

#[tokio::test]
async fn a_dropped_call_whose_answer_already_arrived_leaves_nothing_behind() {
    let server = TestServer::start().await;
    let mut conn = Connection::connect(server.addr).await.unwrap();
    let call = conn.ready().await.unwrap().call(Message::new("y", "x"));
    // Let the answer arrive without polling the call, then drop the call.
    let mut probe = conn
        .ready()
        .await
        .unwrap()
        .call(Message::new("probe", "sleep:5"));
    bounded("probe", &mut probe).await.unwrap();
    drop(call);
    eventually("y is free", || conn.in_flight() == 0).await;
    let resp = conn
        .ready()
        .await
        .unwrap()
        .call(Message::new("y", "again"))
        .await
        .unwrap();
    assert_eq!(resp.val, "server: hello, again");
    server.stop().await;
}

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

/// A proxy's handler that fails with its upstream's error passes the code
/// and message on unchanged, with no prefix added at each hop.
#[tokio::test]
async fn a_proxy_relays_its_upstreams_error_answer_unchanged() {
    let upstream = TestServer::start().await;
    let to_upstream = Client::connect(upstream.addr).await.unwrap();
    let proxy = tower::service_fn(move |msg: Message| to_upstream.clone().oneshot(msg));
    let front = TestServer::start_at("127.0.0.1:0", jsonmux::ServerBuilder::new(), proxy).await;
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

/// A stack of the user's own (tower's `Buffer` and `Timeout` over a bare
/// connection) converts back to `jsonmux::Error` with `From<BoxError>`.
#[tokio::test]
async fn errors_out_of_a_users_own_tower_stack_convert_back_to_jsonmux_errors() {
    // A short drain: the hanging handler is cut at the end.
    let builder = jsonmux::ServerBuilder::new().drain_timeout(Duration::from_millis(1));
    let server = TestServer::start_with(builder).await;
    let conn = Connection::connect(server.addr).await.unwrap();
    let svc = tower::ServiceBuilder::new()
        .timeout(Duration::from_millis(50))
        .buffer(8)
        .service(conn);
    let slow = svc.clone().oneshot(Message::new("slow", "hang"));
    let err = Error::from(slow.await.unwrap_err());
    assert!(err.is_timeout(), "{err:?}");
    let failed = svc.clone().oneshot(Message::new("f", "fail:no pigs")).await;
    let err = Error::from(failed.unwrap_err());
    assert!(
        matches!(
            err,
            Error::Server {
                code: Code::Handler,
                ..
            }
        ),
        "{err:?}"
    );
    server.stop().await;
}

async fn every_call_fails_promptly_when_the_server_dies(how: HangUp) -> Vec<Error> {
    let n = 20;
    let (addr, all_read) = dying_server(n, how).await;
    let client = ClientBuilder::new()
        .pool_size(1)
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

#[tokio::test]
async fn every_call_in_flight_fails_with_closed_by_peer_when_the_server_closes() {
    for err in every_call_fails_promptly_when_the_server_dies(HangUp::Close).await {
        assert!(err.is_closed(), "{err:?}");
        let cause = err.source().unwrap().downcast_ref::<Error>().unwrap();
        assert!(matches!(cause, Error::PeerClosed), "{cause:?}");
    }
}

#[tokio::test]
async fn every_call_in_flight_fails_with_the_io_cause_when_the_server_resets() {
    for err in every_call_fails_promptly_when_the_server_dies(HangUp::Reset).await {
        assert!(err.is_closed(), "{err:?}");
        let cause = err.source().unwrap().downcast_ref::<Error>().unwrap();
        assert!(
            matches!(cause, Error::Io(_) | Error::PeerClosed),
            "{cause:?}"
        );
    }
}

#[tokio::test]
async fn an_idle_connection_notices_the_peer_closing_without_a_request() {
    let (addr, all_read) = dying_server(0, HangUp::Close).await;
    let conn = Connection::connect(addr).await.unwrap();
    bounded("the server hung up", all_read).await.unwrap();
    eventually("the close is noticed", || conn.is_closed()).await;
}

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

#[tokio::test]
async fn an_answer_over_the_clients_frame_limit_closes_with_that_cause() {
    let server = TestServer::start().await;
    let client = ClientBuilder::new()
        .max_frame_len(64)
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

#[tokio::test]
async fn a_call_in_flight_still_gets_its_answer_after_the_connection_handle_is_dropped() {
    let server = TestServer::start().await;
    let mut conn = Connection::connect(server.addr).await.unwrap();
    let call = conn
        .ready()
        .await
        .unwrap()
        .call(Message::new("last", "sleep:30"));
    drop(conn);
    let resp = bounded("the answer after the handle is gone", call)
        .await
        .unwrap();
    assert_eq!(resp.val, "server: hello, sleep:30");
    server.stop().await;
}

/// A client that busy-polls for `window`, connected to `server`.
async fn busy_polling(window: Duration, server: &TestServer) -> Client {
    let builder = ClientBuilder::new().busy_poll(Some(window));
    builder.connect(server.addr).await.unwrap()
}

#[tokio::test]
async fn a_busy_polling_client_lets_the_other_tasks_on_its_thread_run() {
    // A window far longer than the test, on a one-thread runtime: if busy
    // polling held the thread, the server here would never answer.
    let server = TestServer::start().await;
    let client = busy_polling(Duration::from_secs(60), &server).await;
    for val in ["at once", "sleep:20"] {
        let call = client.clone().oneshot(Message::new(val, val));
        let resp = bounded("an answer", call).await.unwrap();
        assert_eq!(resp.val, format!("server: hello, {val}"));
    }
    server.stop().await;
}

#[test]
fn a_busy_polling_client_gets_answers_that_wait_on_a_paused_clock() {
    // A paused clock only moves while nothing is ready to run: polling
    // timed by that clock would never end, and the server's timer (and the
    // request timeout) would never fire.
    support::with_paused_clock("a delayed answer while busy polling", || async {
        let server = TestServer::start().await;
        let client = busy_polling(Duration::from_micros(50), &server).await;
        let call = client.oneshot(Message::new("late", "sleep:20"));
        let resp = bounded("the delayed answer", call).await.unwrap();
        assert_eq!(resp.val, "server: hello, sleep:20");
        server.stop().await;
    });
}
