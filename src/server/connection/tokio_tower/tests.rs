use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_sink::Sink;
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_test::task::Spawn;
use tokio_test::{assert_pending, assert_ready_ok};
use tokio_util::sync::CancellationToken;

use super::busy::{FlushWhenBusy, HeldFlush};
use super::transport::Transport;
use crate::server::connection::framing::Framing;
use crate::server::layers::Cancellations;
use crate::server::options::ServerOptions;
use crate::server::stats::StatsHandle;
use crate::Message;

/// The framing of one end of a loopback connection, once the peer at
/// the other end (returned too) has sent `requests`.
async fn framing(stats: &StatsHandle, requests: &[u8]) -> (Framing<TcpStream>, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut peer = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (stream, _) = listener.accept().await.unwrap();
    peer.write_all(requests).await.unwrap();
    let opts = ServerOptions {
        max_in_flight: 8,
        ..ServerOptions::default()
    };
    let cancellations = Arc::new(Cancellations::default());
    let framing = Framing::new(
        stream,
        &opts,
        stats,
        CancellationToken::new(),
        cancellations,
    );
    (framing, peer)
}

/// A transport over `framing`, in a test task.
fn transport<'a>(
    framing: &'a mut Framing<TcpStream>,
    held: &'a HeldFlush,
) -> Spawn<Transport<'a, TcpStream>> {
    tokio_test::task::spawn(Transport::new(framing, held, None))
}

/// Two requests in one write.
const TWO: &[u8] = br#"{"Uid":"a","Val":"x"}{"Uid":"b","Val":"y"}"#;

/// Reads the next request and buffers its answer.
async fn answer_next(transport: &mut Transport<'_, TcpStream>) -> Message {
    let msg = transport.next().await.unwrap().unwrap();
    let mut sink = Pin::new(transport);
    std::future::poll_fn(|cx| sink.as_mut().poll_ready(cx))
        .await
        .unwrap();
    sink.start_send(crate::HelloService::hello(msg.clone()))
        .unwrap();
    msg
}

/// Reads until `n` whole lines have come, within a bound.
async fn read_lines(peer: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut got = Vec::new();
    let reading = async {
        while got.iter().filter(|&&b| b == b'\n').count() < n {
            let mut buf = [0; 256];
            let read = peer.read(&mut buf).await.unwrap();
            assert!(read > 0, "the connection closed");
            got.extend_from_slice(&buf[..read]);
        }
    };
    tokio::time::timeout(Duration::from_secs(10), reading)
        .await
        .expect("the answers are written");
    got
}

/// While requests are still read, a flush is held back, however many
/// times the server asks, without a wake-up: the server reads the next
/// request right after, and reading running dry writes them all.
#[tokio::test]
async fn a_flush_while_reading_is_held_back_until_reading_runs_dry() {
    let stats = StatsHandle::default();
    let held = HeldFlush::default();
    let (mut framing, mut peer) = framing(&stats, TWO).await;
    let mut task = transport(&mut framing, &held);
    assert_eq!(answer_next(&mut task).await.uid, "a");

    for _ in 0..100 {
        assert_pending!(task.enter(|cx, t| t.poll_flush(cx)));
    }
    assert!(!task.is_woken(), "the server reads next: no wake-up");
    assert_eq!(answer_next(&mut task).await.uid, "b");
    assert_pending!(task.poll_next());
    let got = read_lines(&mut peer, 2).await;
    assert!(got.starts_with(br#"{"Uid":"a""#));
}

/// A service that is not ready while a flush is held back: the server
/// will not read next, so the task is woken and the next flush is done.
#[tokio::test]
async fn a_busy_service_has_the_flush_held_back_done() {
    let stats = StatsHandle::default();
    let held = HeldFlush::default();
    let (mut framing, mut peer) = framing(&stats, TWO).await;
    let mut task = transport(&mut framing, &held);
    answer_next(&mut task).await;
    assert_pending!(task.enter(|cx, t| t.poll_flush(cx)));

    let (svc, mut handle) = tower_test::mock::pair::<Message, crate::Resp>();
    let mut svc = tokio_test::task::spawn(FlushWhenBusy::new(svc, &held));
    handle.allow(0);
    assert_pending!(svc.enter(|cx, mut s| tower::Service::poll_ready(&mut *s, cx)));
    assert!(svc.is_woken(), "woken for the flush held back");
    assert_pending!(svc.enter(|cx, mut s| tower::Service::poll_ready(&mut *s, cx)));
    assert!(!svc.is_woken(), "once: nothing is held back any more");

    assert_ready_ok!(task.enter(|cx, t| t.poll_flush(cx)));
    assert!(read_lines(&mut peer, 1).await.starts_with(br#"{"Uid":"a""#));
}

/// A flush after the last request buffered is held back too: the server
/// reads next, from the socket, and a request that came meanwhile joins
/// the same write, done when reading runs dry.
#[tokio::test]
async fn a_flush_after_the_last_request_buffered_waits_for_the_socket_to_run_dry() {
    let stats = StatsHandle::default();
    let held = HeldFlush::default();
    let (mut framing, mut peer) = framing(&stats, b"{\"Uid\":\"one\",\"Val\":\"x\"}\n").await;
    let mut task = transport(&mut framing, &held);
    answer_next(&mut task).await;
    assert_pending!(task.enter(|cx, t| t.poll_flush(cx)));
    assert!(!task.is_woken(), "the server reads next: no wake-up");

    peer.write_all(b"{\"Uid\":\"two\",\"Val\":\"y\"}\n")
        .await
        .unwrap();
    assert_eq!(answer_next(&mut task).await.uid, "two");
    assert_pending!(task.poll_next());
    let got = read_lines(&mut peer, 2).await;
    assert!(got.starts_with(br#"{"Uid":"one""#));
}

/// Reading running dry writes the answers buffered; a flush then is done
/// at once.
#[tokio::test]
async fn reading_running_dry_writes_the_answers_and_the_flush_is_not_deferred() {
    let stats = StatsHandle::default();
    let held = HeldFlush::default();
    let (mut framing, mut peer) = framing(&stats, TWO).await;
    let mut task = transport(&mut framing, &held);
    answer_next(&mut task).await;
    answer_next(&mut task).await;
    assert_pending!(task.poll_next());
    read_lines(&mut peer, 2).await;
    assert_ready_ok!(task.enter(|cx, t| t.poll_flush(cx)));
    assert!(!task.is_woken());
    assert_eq!(stats.snapshot().requests, 2, "counted when reading stopped");
}
