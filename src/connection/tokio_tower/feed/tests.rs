//! The feed's hand-off: straight in, queued, pumped in order, dropped
//! when given up on, failed when the client's task ends.

use std::sync::Mutex;

use tokio::sync::oneshot;
use tokio_test::task;
use tokio_test::{assert_pending, assert_ready};

use super::*;
use crate::connection::backlog::Backlog;
use crate::connection::inflight::Caller;
use crate::connection::options::ConnectionOptions;
use crate::connection::queued::Queued;
use crate::connection::shared::Shared;
use crate::connection::tokio_tower::{Call, Slot};
use crate::Message;

/// A client with a one-slot hand-off, as tokio-tower's: it takes a
/// request when its slot is empty; [`take`] empties it, as the client's
/// task does.
#[derive(Clone, Default)]
struct OneSlot(Arc<Mutex<Hand>>);

#[derive(Default)]
struct Hand {
    request: Option<(Tagged, oneshot::Sender<Resp>)>,
    ended: bool,
}

impl Service<Tagged> for OneSlot {
    type Response = Resp;
    type Error = ClientError;
    type Future = ClientCall;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), ClientError>> {
        let hand = self.0.lock().unwrap();
        if hand.ended {
            return Poll::Ready(Err(ClientError));
        }
        if hand.request.is_some() {
            return Poll::Pending;
        }
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Tagged) -> ClientCall {
        let (tx, rx) = oneshot::channel();
        let old = self.0.lock().unwrap().request.replace((request, tx));
        assert!(old.is_none(), "poll_ready first");
        Box::pin(async move { rx.await.map_err(|_| ClientError) })
    }
}

/// Takes the request in the client's slot, as the client's task would:
/// its transport, asked for the request's tag, pumps the feed.
fn take(feed: &Feed, client: &OneSlot) -> (String, oneshot::Sender<Resp>) {
    let taken = client.0.lock().unwrap().request.take();
    let (request, answer) = taken.expect("a request in the slot");
    feed.pump();
    (request.uid().to_owned(), answer)
}

impl OneSlot {
    /// The `Uid` of the request in the slot, if any.
    fn holds(&self) -> Option<String> {
        let hand = self.0.lock().unwrap();
        hand.request.as_ref().map(|(r, _)| r.uid().to_owned())
    }
}

fn feed() -> (Arc<Feed>, OneSlot, Arc<Shared>) {
    let client = OneSlot::default();
    let shared = Arc::new(Shared::new(&ConnectionOptions::default()));
    let feed = Feed::new({
        let client = client.clone();
        |_| Box::new(client)
    });
    (feed, client, shared)
}

/// A request as a call makes it: its `Uid` and its room taken.
fn request(shared: &Arc<Shared>, uid: &str) -> Tagged {
    let slot = Arc::new(Slot::default());
    let (key, seq) = shared.begin(uid, Caller::TokioTower(slot.clone())).unwrap();
    let msg = Message::new(uid, "x");
    assert!(shared.backlog.try_take(Backlog::size(&msg)));
    Tagged::new(Queued { key, seq, msg }, slot, shared.clone())
}

#[tokio::test]
async fn a_call_goes_straight_in_when_the_hand_off_is_free_and_queues_behind_it_otherwise() {
    let (feed, client, shared) = feed();
    let _a = Call::send(&feed, request(&shared, "a"));
    let _b = Call::send(&feed, request(&shared, "b"));
    let _c = Call::send(&feed, request(&shared, "c"));
    assert_eq!(client.holds().as_deref(), Some("a"));

    // Each take frees the slot, and the pump puts the next in at once.
    assert_eq!(take(&feed, &client).0, "a");
    assert_eq!(client.holds().as_deref(), Some("b"));
    assert_eq!(take(&feed, &client).0, "b");
    assert_eq!(client.holds().as_deref(), Some("c"));
    take(&feed, &client);
    assert_eq!(client.holds(), None);
}

#[tokio::test]
async fn a_queued_call_is_woken_by_its_answer_only() {
    let (feed, client, shared) = feed();
    let _a = Call::send(&feed, request(&shared, "a"));
    let mut b = task::spawn(Call::send(&feed, request(&shared, "b")));
    assert_pending!(b.poll());

    take(&feed, &client);
    assert!(!b.is_woken(), "handed over without a wake-up");
    let (_, answer) = take(&feed, &client);
    answer.send(Resp::new("b", "done")).unwrap();
    assert!(b.is_woken(), "the answer wakes it");
    let resp = assert_ready!(b.poll()).expect("answered");
    assert_eq!(resp.val, "done");
}

#[tokio::test]
async fn a_request_whose_caller_gave_up_while_queued_is_never_handed_over() {
    let (feed, client, shared) = feed();
    let _a = Call::send(&feed, request(&shared, "a"));
    let b = Call::send(&feed, request(&shared, "b"));
    let _c = Call::send(&feed, request(&shared, "c"));
    drop(b);

    take(&feed, &client);
    assert_eq!(client.holds().as_deref(), Some("c"), "b is skipped");
    let (b, _) = shared
        .begin("b", Caller::TokioTower(Arc::default()))
        .unwrap();
    assert_eq!(&*b, "b", "b's Uid is free: no answer can come for it");
}

#[tokio::test]
async fn queued_calls_fail_when_the_clients_task_ends_and_so_do_later_ones() {
    let (feed, client, shared) = feed();
    let _a = Call::send(&feed, request(&shared, "a"));
    let mut b = task::spawn(Call::send(&feed, request(&shared, "b")));
    assert_pending!(b.poll());

    client.0.lock().unwrap().ended = true;
    feed.close();
    assert!(b.is_woken());
    assert_eq!(assert_ready!(b.poll()), None);
    assert_eq!(shared.len(), 1, "b's Uid is freed (a is on the wire)");

    let mut later = task::spawn(Call::send(&feed, request(&shared, "c")));
    assert_eq!(assert_ready!(later.poll()), None);
}

#[tokio::test]
async fn a_pump_after_the_clients_task_ended_fails_the_queued_calls() {
    let (feed, client, shared) = feed();
    let _a = Call::send(&feed, request(&shared, "a"));
    let mut b = task::spawn(Call::send(&feed, request(&shared, "b")));
    assert_pending!(b.poll());

    client.0.lock().unwrap().ended = true;
    take(&feed, &client);
    assert!(b.is_woken());
    assert_eq!(assert_ready!(b.poll()), None);
}

#[tokio::test]
async fn a_handed_over_call_is_woken_when_the_connection_ends() {
    let (feed, client, shared) = feed();
    let _a = Call::send(&feed, request(&shared, "a"));
    let mut b = task::spawn(Call::send(&feed, request(&shared, "b")));
    assert_pending!(b.poll());
    take(&feed, &client);
    let (_, answer) = take(&feed, &client);

    // The connection ends: the client's handle on the call (here, the
    // answer's sender) is dropped with the table's entries.
    drop(answer);
    shared.close();
    assert!(b.is_woken());
    assert_eq!(assert_ready!(b.poll()), None);
}
