//! The transport's own rules: the deferred flush, the cause, routing.

use super::*;
use crate::connection::backlog::Backlog;
use crate::connection::inflight::Caller;
use crate::connection::queued::Queued;
use crate::deferred_flush::MAX_DEFERRED;
use crate::Message;
use std::io;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, ReadBuf};

fn transport() -> (
    Transport<tokio::io::DuplexStream>,
    Arc<Shared>,
    BufReader<tokio::io::DuplexStream>,
) {
    let opts = ConnectionOptions::default();
    let shared = Arc::new(Shared::new(&opts));
    let (ours, theirs) = tokio::io::duplex(64 * 1024);
    (
        Transport::new(ours, shared.clone(), &opts),
        shared,
        BufReader::new(theirs),
    )
}

fn send<T: AsyncRead + AsyncWrite + Unpin>(t: &mut Transport<T>, shared: &Arc<Shared>, uid: &str) {
    let slot = Arc::new(Slot::default());
    let (key, seq) = shared.begin(uid, Caller::TokioTower(slot.clone())).unwrap();
    let msg = Message::new(uid, "x");
    assert!(shared.backlog.try_take(Backlog::size(&msg)));
    let mut tagged = Tagged::new(Queued { key, seq, msg }, slot, shared.clone());
    let _tag = ::tokio_tower::multiplex::TagStore::assign_tag(Pin::new(&mut *t), &mut tagged);
    Pin::new(t).start_send(tagged).unwrap();
}

#[tokio::test]
async fn a_flush_after_a_new_request_is_deferred_once_with_a_wake_up_then_writes() {
    let (mut t, shared, mut peer) = transport();
    let mut task = tokio_test::task::spawn(());
    send(&mut t, &shared, "a");
    task.enter(|cx, _| assert!(Pin::new(&mut t).poll_flush(cx).is_pending()));
    assert!(task.is_woken(), "a deferred flush wakes its task");
    send(&mut t, &shared, "b");
    task.enter(|cx, _| assert!(Pin::new(&mut t).poll_flush(cx).is_pending()));
    task.enter(|cx, _| assert!(Pin::new(&mut t).poll_flush(cx).is_ready()));
    assert!(t.wire.unwritten() == 0, "both in one write");
    let mut line = String::new();
    peer.read_line(&mut line).await.unwrap();
    assert_eq!(line, "{\"Uid\":\"a\",\"Val\":\"x\",\"Sq\":0}\n");
}

#[tokio::test]
async fn flushes_are_deferred_a_bounded_number_of_times_in_a_row() {
    let (mut t, shared, _peer) = transport();
    let mut task = tokio_test::task::spawn(());
    let mut deferred = 0;
    for i in 0.. {
        send(&mut t, &shared, &i.to_string());
        if task
            .enter(|cx, _| Pin::new(&mut t).poll_flush(cx))
            .is_ready()
        {
            break;
        }
        deferred += 1;
    }
    assert_eq!(deferred, MAX_DEFERRED);
    assert!(t.wire.unwritten() == 0);
}

#[tokio::test]
async fn closing_writes_at_once() {
    let (mut t, shared, _peer) = transport();
    let mut task = tokio_test::task::spawn(());
    send(&mut t, &shared, "a");
    task.enter(|cx, _| assert!(Pin::new(&mut t).poll_close(cx).is_ready()));
    assert!(t.is_closing());
    assert!(t.wire.unwritten() == 0);
}

#[tokio::test]
async fn the_peers_close_is_recorded_as_the_cause_before_the_stream_ends() {
    let (mut t, shared, peer) = transport();
    drop(peer);
    let mut task = tokio_test::task::spawn(());
    let next = task.enter(|cx, _| Pin::new(&mut t).poll_next(cx));
    assert!(matches!(next, Poll::Ready(None)));
    assert!(matches!(shared.cause(), Some(CloseReason::PeerClosed)));
}

#[tokio::test]
async fn an_abort_comes_out_of_the_stream_with_its_cause() {
    let (mut t, shared, _peer) = transport();
    shared.abort(CloseReason::TooManyTimeouts(3));
    let mut task = tokio_test::task::spawn(());
    let next = task.enter(|cx, _| Pin::new(&mut t).poll_next(cx));
    let Poll::Ready(Some(Err(e))) = next else {
        panic!("{next:?}")
    };
    assert!(matches!(&e, Error::Closed(CloseReason::TooManyTimeouts(3))));
}

#[tokio::test]
async fn answers_nobody_waits_for_are_routed_and_never_reach_the_client() {
    let (mut t, shared, mut peer) = transport();
    let _q = shared
        .begin("q", Caller::TokioTower(Arc::default()))
        .unwrap();
    let words = concat!(
        "{\"Uid\":\"ghost\",\"Val\":\"x\"}\n",
        "{\"Uid\":\"q\",\"Val\":\"not on the wire yet\"}\n",
        "{\"Uid\":\"\",\"Error\":\"bye\",\"Code\":\"going_away\"}\n",
    );
    peer.get_mut().write_all(words.as_bytes()).await.unwrap();
    let mut task = tokio_test::task::spawn(());
    let next = task.enter(|cx, _| Pin::new(&mut t).poll_next(cx));
    assert!(next.is_pending(), "{next:?}");
    assert!(shared.is_draining(), "the notice drains the connection");
    assert_eq!(shared.len(), 1, "q keeps its Uid");
    assert!(!shared.is_closed(), "q still waits");
}

/// A stream that, like a TLS session, takes every byte written and holds
/// it until a flush finishes; its first flush cannot.
#[derive(Default)]
struct HoldsRecords {
    held: Vec<u8>,
    out: Vec<u8>,
    flushes: usize,
}

impl AsyncWrite for HoldsRecords {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, b: &[u8]) -> Poll<io::Result<usize>> {
        self.get_mut().held.extend_from_slice(b);
        Poll::Ready(Ok(b.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.flushes += 1;
        if this.flushes == 1 {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        this.out.append(&mut this.held);
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for HoldsRecords {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Poll::Pending
    }
}

#[tokio::test]
async fn a_flush_that_did_not_finish_is_done_again_with_the_codecs_buffer_empty() {
    let opts = ConnectionOptions::default();
    let shared = Arc::new(Shared::new(&opts));
    let mut t = Transport::new(HoldsRecords::default(), shared.clone(), &opts);
    let mut task = tokio_test::task::spawn(());
    send(&mut t, &shared, "a");
    task.enter(|cx, _| assert!(Pin::new(&mut t).poll_flush(cx).is_pending()));
    task.enter(|cx, _| assert!(Pin::new(&mut t).poll_flush(cx).is_pending()));
    assert!(t.wire.unwritten() == 0, "in the stream, not yet out");
    task.enter(|cx, _| assert!(Pin::new(&mut t).poll_flush(cx).is_ready()));
    assert_eq!(
        t.wire.stream().out,
        b"{\"Uid\":\"a\",\"Val\":\"x\",\"Sq\":0}\n"
    );
}
