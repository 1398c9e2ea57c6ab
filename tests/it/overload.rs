//! What the server does when it is full: shed (the default) or queue.

use std::time::Duration;

use crate::support::gates::Gates;
use crate::support::raw::Raw;
use crate::support::server::{scripted, TestServer};
use crate::support::time::with_paused_clock;
use jsonmux::server::Overload;
use jsonmux::{Code, ServerBuilder};
use tower::ServiceBuilder;

/// Lets every task run as far as it can, then moves the paused clock on.
async fn settle() {
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// A server with room for one waiting handler at a time; `mode` if given,
/// else the default.
async fn one_place(mode: Option<Overload>) -> TestServer {
    let builder = ServerBuilder::new().max_concurrent_requests(Some(1));
    TestServer::start_with(match mode {
        Some(mode) => builder.overload(mode),
        None => builder,
    })
    .await
}

/// Takes the one place with a request `a` held at its gate, then sends
/// `b` (held at a gate of its own) on another connection; returns both
/// connections.
async fn take_the_place_then_send_another(s: &TestServer) -> (Raw, Raw) {
    let mut first = Raw::connect(s.addr).await;
    first.send(br#"{"Uid":"a","Val":"wait:a"}"#).await;
    s.gates.arrived("a", 1).await;
    let mut second = Raw::connect(s.addr).await;
    second.send(br#"{"Uid":"b","Val":"wait:b"}"#).await;
    (first, second)
}

/// By default, a request past the global limit is answered `overloaded` without reaching its handler.
#[test]
fn by_default_a_request_past_the_global_limit_is_shed() {
    with_paused_clock(|| async {
        let s = one_place(None).await;
        let (mut first, mut second) = take_the_place_then_send_another(&s).await;
        let shed = second.resp().await;
        assert_eq!(
            (shed.uid.as_str(), shed.code),
            ("b", Some(Code::Overloaded))
        );
        assert_eq!(s.gates.count("b"), 0, "its handler is not called");
        s.gates.open("a");
        assert_eq!(first.resp().await.val, "server: hello, wait:a");
        assert_eq!(s.stats.snapshot().shed, 1);
    });
}

/// With `Overload::Queue`, a request past the global limit waits unread until a place frees, then is answered.
#[test]
fn queue_mode_holds_a_request_past_the_global_limit_until_a_place_frees() {
    with_paused_clock(|| async {
        let s = one_place(Some(Overload::Queue)).await;
        let (mut first, mut second) = take_the_place_then_send_another(&s).await;
        settle().await;
        assert_eq!(s.gates.count("b"), 0, "b waits for a place");

        s.gates.open("a");
        assert_eq!(first.resp().await.uid, "a");
        s.gates.arrived("b", 1).await;
        s.gates.open("b");
        assert_eq!(second.resp().await.val, "server: hello, wait:b");
        let snap = s.stats.snapshot();
        assert_eq!((snap.shed, snap.requests), (0, 2));
    });
}

/// With `Overload::Queue`, a handler past the handler timeout frees its place for the request waiting behind it.
#[test]
fn queue_mode_waits_no_longer_than_the_handler_ahead_may_take() {
    with_paused_clock(|| async {
        let limit = Duration::from_millis(20);
        let builder = ServerBuilder::new()
            .max_concurrent_requests(Some(1))
            .overload(Overload::Queue)
            .handler_timeout(Some(limit));
        let s = TestServer::start_with(builder).await;
        let mut hog = Raw::connect(s.addr).await;
        hog.send(br#"{"Uid":"h","Val":"hang"}"#).await;
        let mut next = Raw::connect(s.addr).await;
        next.send(br#"{"Uid":"n","Val":"x"}"#).await;
        let started = tokio::time::Instant::now();
        assert_eq!(next.resp().await.val, "server: hello, x");
        assert_eq!(started.elapsed(), limit, "served when the hog timed out");
        assert_eq!(hog.resp().await.code, Some(Code::Timeout));
        assert_eq!(s.stats.snapshot().shed, 0);
    });
}

/// With `Overload::Queue`, shutdown ends the wait: both connections get the notice, the waiting one closes, the working one drains.
#[test]
fn queue_mode_shutdown_ends_the_wait_for_a_place() {
    with_paused_clock(|| async {
        let mut s = one_place(Some(Overload::Queue)).await;
        let (mut first, mut second) = take_the_place_then_send_another(&s).await;
        settle().await;

        s.signal_stop();
        for raw in [&mut first, &mut second] {
            let notice = raw.resp().await;
            assert_eq!(
                (notice.uid.as_str(), notice.code),
                ("", Some(Code::GoingAway))
            );
        }
        second.expect_eof().await;
        assert_eq!(s.gates.count("b"), 0, "never read");
        s.gates.open("a");
        assert_eq!(first.resp().await.uid, "a");
        first.expect_eof().await;
        s.stop().await;
    });
}

/// A `concurrency_limit` inside the service sheds by default and holds requests back with `Overload::Queue`.
#[test]
fn a_concurrency_limit_inside_the_service_sheds_or_queues_as_told() {
    for mode in [Overload::Shed, Overload::Queue] {
        with_paused_clock(move || async move {
            let limited = |gates: &Gates| {
                ServiceBuilder::new()
                    .concurrency_limit(1)
                    .service(scripted(gates))
            };
            let builder = ServerBuilder::new().overload(mode);
            let s = TestServer::start_at("127.0.0.1:0", builder, limited).await;
            let mut first = Raw::connect(s.addr).await;
            first.send(br#"{"Uid":"a","Val":"wait:a"}"#).await;
            s.gates.arrived("a", 1).await;
            let mut second = Raw::connect(s.addr).await;
            second.send(br#"{"Uid":"b","Val":"x"}"#).await;
            match mode {
                Overload::Shed => {
                    assert_eq!(second.resp().await.code, Some(Code::Overloaded));
                    s.gates.open("a");
                }
                _ => {
                    settle().await;
                    s.gates.open("a");
                    assert_eq!(second.resp().await.val, "server: hello, x");
                }
            }
            assert_eq!(first.resp().await.uid, "a");
        });
    }
}
