//! Hostile and unlucky clients against the server's limits: each gets a
//! clear error answer, and the server keeps serving everyone else.

mod support;

use std::time::Duration;

use jsonmux::{Client, ClientBuilder, Code, Error, Message, Server, ServerBuilder};
use support::{bounded, eventually, scripted, Raw};
use tokio::io::AsyncWriteExt;
use tokio::sync::oneshot;
use tower::ServiceExt;

/// A server with the given limits, its stats, and a stop switch.
struct Hardened {
    addr: std::net::SocketAddr,
    stats: jsonmux::server::ServerStats,
    _stop: oneshot::Sender<()>,
}

async fn start(builder: ServerBuilder) -> Hardened {
    let server: Server = builder.bind("127.0.0.1:0").await.unwrap();
    let (addr, stats) = (server.local_addr().unwrap(), server.stats());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server.serve(scripted(), stopped));
    Hardened {
        addr,
        stats,
        _stop: stop,
    }
}

/// A normal client still gets its answer.
async fn still_serves(addr: std::net::SocketAddr) {
    let mut raw = Raw::connect(addr).await;
    raw.send(br#"{"Uid":"normal","Val":"client"}"#).await;
    assert_eq!(raw.resp().await.val, "server: hello, client");
}

async fn expect_error_then_close(raw: &mut Raw, code: Code) -> String {
    let r = raw.resp().await;
    assert_eq!((r.uid.as_str(), r.code), ("", Some(code)), "{r:?}");
    raw.expect_eof().await;
    r.error.unwrap()
}

#[tokio::test]
async fn a_slow_sender_is_cut_off_after_the_frame_timeout() {
    let s = start(ServerBuilder::new().frame_timeout(Some(Duration::from_millis(50)))).await;
    let mut raw = Raw::connect(s.addr).await;
    raw.send(br#"{"Uid":"slow","Va"#).await;
    let msg = expect_error_then_close(&mut raw, Code::FrameTimeout).await;
    assert!(msg.contains("not completed"), "{msg}");
    assert_eq!(s.stats.snapshot().frame_timeouts, 1);
    still_serves(s.addr).await;
}

#[tokio::test]
async fn an_idle_connection_is_closed_but_one_with_work_in_flight_is_not() {
    let s = start(ServerBuilder::new().idle_timeout(Some(Duration::from_millis(150)))).await;
    let mut idle = Raw::connect(s.addr).await;
    expect_error_then_close(&mut idle, Code::IdleTimeout).await;

    let mut busy = Raw::connect(s.addr).await;
    // Busy for twice the idle timeout: still not idle.
    busy.send(br#"{"Uid":"long","Val":"sleep:300"}"#).await;
    assert_eq!(busy.resp().await.uid, "long", "answered, not cut as idle");
    expect_error_then_close(&mut busy, Code::IdleTimeout).await;
    assert_eq!(s.stats.snapshot().idle_closed, 2);
}

#[tokio::test]
async fn a_connection_answered_at_once_request_after_request_is_never_idle() {
    let idle = Duration::from_millis(150);
    let s = start(ServerBuilder::new().idle_timeout(Some(idle))).await;
    let mut raw = Raw::connect(s.addr).await;
    // One request after another for three idle timeouts: each is answered
    // at once, so the connection is never idle for more than a round trip.
    let started = tokio::time::Instant::now();
    let mut n = 0;
    while started.elapsed() < 3 * idle {
        raw.send(format!(r#"{{"Uid":"r{n}","Val":"x"}}"#).as_bytes())
            .await;
        let resp = raw.resp().await;
        assert_eq!((resp.uid, resp.code), (format!("r{n}"), None));
        n += 1;
    }
    expect_error_then_close(&mut raw, Code::IdleTimeout).await;
    assert_eq!(s.stats.snapshot().idle_closed, 1);
}

/// A server that busy-polls for `window` and closes idle connections after
/// 300 ms, and a connection to it that has been answered once (so it is
/// busy polling now).
async fn busy_polling(window: Duration) -> (Hardened, Raw) {
    let polls = ServerBuilder::new()
        .busy_poll(Some(window))
        .idle_timeout(Some(Duration::from_millis(300)));
    let s = start(polls).await;
    let mut polling = Raw::connect(s.addr).await;
    polling.send(br#"{"Uid":"a","Val":"1"}"#).await;
    assert_eq!(polling.resp().await.uid, "a");
    (s, polling)
}

#[tokio::test]
async fn a_busy_polling_connection_lets_others_be_served_and_still_goes_idle() {
    // A window far longer than the test, on a one-thread runtime: if busy
    // polling held the thread, no other connection would be served, and
    // if it held off the clock, the idle timeout would not come.
    let (s, mut polling) = busy_polling(Duration::from_secs(60)).await;
    still_serves(s.addr).await;
    polling.send(br#"{"Uid":"b","Val":"2"}"#).await;
    assert_eq!(polling.resp().await.uid, "b", "answered while polling");
    expect_error_then_close(&mut polling, Code::IdleTimeout).await;
}

#[test]
fn a_busy_polling_connection_goes_idle_on_a_paused_clock() {
    // A paused clock only moves while nothing is ready to run: polling
    // timed by that clock would never end, and no timer would ever fire.
    support::with_paused_clock("idle timeout while busy polling", || async {
        let (_s, mut polling) = busy_polling(Duration::from_micros(50)).await;
        expect_error_then_close(&mut polling, Code::IdleTimeout).await;
    });
}

#[tokio::test]
async fn a_client_that_never_reads_its_answers_is_cut_after_the_write_timeout() {
    let s = start(ServerBuilder::new().write_timeout(Some(Duration::from_millis(100)))).await;
    let stream = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let (_never_read, mut write) = stream.into_split();
    // Big answers, far more than the socket buffers hold: the server's
    // writes stall, then it stops reading, then our writes stall too.
    let writer = tokio::spawn(async move {
        let val = "x".repeat(64 * 1024);
        for i in 0..1000 {
            let req = format!(r#"{{"Uid":"w{i}","Val":"{val}"}}"#);
            if write.write_all(req.as_bytes()).await.is_err() {
                break;
            }
        }
    });
    eventually("the non-reader cut", || {
        let snap = s.stats.snapshot();
        (snap.write_timeouts, snap.connections_open) == (1, 0)
    })
    .await;
    still_serves(s.addr).await;
    writer.abort();
}

#[tokio::test]
async fn a_client_past_the_connection_limit_is_told_and_the_slot_frees_on_close() {
    let s = start(ServerBuilder::new().max_connections(2)).await;
    let mut a = Raw::connect(s.addr).await;
    let mut b = Raw::connect(s.addr).await;
    for raw in [&mut a, &mut b] {
        raw.send(br#"{"Uid":"in","Val":"x"}"#).await;
        raw.resp().await;
    }
    let mut c = Raw::connect(s.addr).await;
    let msg = expect_error_then_close(&mut c, Code::TooManyConnections).await;
    assert!(msg.contains("limit of 2"), "{msg}");
    assert_eq!(s.stats.snapshot().connections_rejected, 1);

    drop(a);
    eventually("the slot frees", || {
        s.stats.snapshot().connections_open == 1
    })
    .await;
    still_serves(s.addr).await;
}

#[tokio::test]
async fn a_handler_past_its_time_limit_answers_timeout() {
    let s = start(ServerBuilder::new().handler_timeout(Some(Duration::from_millis(20)))).await;
    let client = Client::connect(s.addr).await.unwrap();
    let err = client
        .clone()
        .oneshot(Message::new("h", "hang"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Server {
                code: Code::Timeout,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        client.oneshot(Message::new("ok", "x")).await.unwrap().uid,
        "ok"
    );
    assert_eq!(s.stats.snapshot().timeouts, 1);
}

#[tokio::test]
async fn requests_past_the_global_limit_are_shed_with_overloaded() {
    let s = start(ServerBuilder::new().max_concurrent_requests(Some(2))).await;
    let mut hog = Raw::connect(s.addr).await;
    hog.send(br#"{"Uid":"h1","Val":"hang"}{"Uid":"h2","Val":"hang"}"#)
        .await;
    eventually("both hogs running", || s.stats.snapshot().requests == 2).await;

    let client = ClientBuilder::new()
        .pool_size(1)
        .connect(s.addr)
        .await
        .unwrap();
    let err = client.oneshot(Message::new("late", "x")).await.unwrap_err();
    assert!(matches!(err, Error::Overloaded), "{err:?}");
    assert_eq!(s.stats.snapshot().shed, 1);
}

#[tokio::test]
async fn places_under_the_global_limit_come_back_when_handlers_time_out() {
    let s = start(
        ServerBuilder::new()
            .max_concurrent_requests(Some(2))
            .handler_timeout(Some(Duration::from_millis(20))),
    )
    .await;
    let mut hog = Raw::connect(s.addr).await;
    hog.send(br#"{"Uid":"h1","Val":"hang"}{"Uid":"h2","Val":"hang"}"#)
        .await;
    for _ in 0..2 {
        assert_eq!(hog.resp().await.code, Some(Code::Timeout));
    }
    let client = Client::connect(s.addr).await.unwrap();
    let resp = client.oneshot(Message::new("after", "x")).await.unwrap();
    assert_eq!(resp.uid, "after");
    let snap = s.stats.snapshot();
    assert_eq!((snap.timeouts, snap.shed, snap.requests), (2, 0, 3));
}

#[tokio::test]
async fn the_per_connection_limit_holds_requests_back_instead_of_failing_them() {
    let s = start(ServerBuilder::new().max_in_flight(1)).await;
    let mut raw = Raw::connect(s.addr).await;
    raw.send(br#"{"Uid":"a","Val":"sleep:30"}{"Uid":"b","Val":"x"}"#)
        .await;
    // One at a time: b waits for a, so the answers come in order.
    assert_eq!(raw.resp().await.uid, "a");
    assert_eq!(raw.resp().await.uid, "b");
}

#[tokio::test]
async fn a_handler_still_working_does_not_hold_back_the_answers_behind_it() {
    let s = start(ServerBuilder::new()).await;
    let mut raw = Raw::connect(s.addr).await;
    raw.send(br#"{"Uid":"stuck","Val":"hang"}{"Uid":"a","Val":"x"}{"Uid":"b","Val":"x"}"#)
        .await;
    assert_eq!(raw.resp().await.uid, "a");
    assert_eq!(raw.resp().await.uid, "b");
    // A handler that answers later is written when it finishes.
    raw.send(br#"{"Uid":"later","Val":"sleep:5"}"#).await;
    let later = raw.resp().await;
    assert_eq!(
        (later.uid.as_str(), later.val.as_str()),
        ("later", "server: hello, sleep:5")
    );
}

#[tokio::test]
async fn a_huge_unterminated_value_is_refused_after_the_limit_not_buffered() {
    let s = start(ServerBuilder::new().max_frame_len(64 * 1024)).await;
    let mut raw = Raw::connect(s.addr).await;
    raw.send(br#"{"Uid":"big","Val":""#).await;
    // Keep sending up to 64 MiB; the server hangs up long before that.
    let chunk = vec![b'x'; 64 * 1024];
    let mut sent = 0usize;
    let refused = bounded("the server refuses the flood", async {
        while sent < 64 << 20 {
            if raw.writer.write_all(&chunk).await.is_err() {
                return true;
            }
            sent += chunk.len();
        }
        false
    })
    .await;
    let r = raw.resp().await;
    assert_eq!(r.code, Some(Code::FrameTooLarge));
    assert!(refused || sent < 64 << 20, "the server stopped reading");
    assert_eq!(s.stats.snapshot().frames_too_large, 1);
    still_serves(s.addr).await;
}

#[tokio::test]
async fn duplicate_uids_from_a_raw_client_are_each_answered() {
    let s = start(ServerBuilder::new()).await;
    let mut raw = Raw::connect(s.addr).await;
    raw.send(br#"{"Uid":"same","Val":"1"}{"Uid":"same","Val":"2"}"#)
        .await;
    let mut vals = vec![raw.resp().await.val, raw.resp().await.val];
    vals.sort();
    assert_eq!(vals, ["server: hello, 1", "server: hello, 2"]);
    still_serves(s.addr).await;
}

#[tokio::test]
async fn stats_count_connections_requests_and_errors_by_kind() {
    let s = start(ServerBuilder::new()).await;
    let mut raw = Raw::connect(s.addr).await;
    raw.send(br#"{"Uid":"a","Val":"x"}{"Uid":"b","Val":"fail:nope"}{"#)
        .await;
    raw.resp().await;
    raw.resp().await;
    raw.send(b"]").await;
    expect_error_then_close(&mut raw, Code::BadRequest).await;
    eventually("the connection is gone", || {
        s.stats.snapshot().connections_open == 0
    })
    .await;
    let snap = s.stats.snapshot();
    assert_eq!(snap.connections_total, 1);
    assert_eq!(snap.requests, 2);
    assert_eq!(snap.handler_errors, 1);
    assert_eq!(snap.bad_requests, 1);
}
