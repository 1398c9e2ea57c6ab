//! The client against a real server on loopback: correlation, limits,
//! error answers, busy polling.

use std::time::Duration;

use futures_util::stream::{FuturesUnordered, StreamExt};
use jsonmux::{Client, ClientBuilder, Code, Connection, Error, Message};
use tokio::time::Instant;
use tower::{Service, ServiceExt};

use crate::support::server::TestServer;
use crate::support::time::{bounded, with_paused_clock, with_real_clock};

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
