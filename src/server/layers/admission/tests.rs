use tokio_test::{assert_pending, assert_ready, assert_ready_ok, task};
use tower::load_shed::error::Overloaded;
use tower::Layer;
use tower_test::mock;

use super::{Admission, AdmissionLayer};
use crate::server::Overload;

type Svc = mock::Spawn<Admission<mock::Mock<&'static str, &'static str>>>;
type Handle = mock::Handle<&'static str, &'static str>;

fn working(layer: &AdmissionLayer) -> usize {
    layer.occupancy().expect("a cap").working()
}

/// One connection's service under `layer`, its handler taking `calls` calls.
fn connection(layer: &AdmissionLayer, calls: u64) -> (Svc, Handle) {
    let (inner, mut handle) = mock::pair();
    handle.allow(calls);
    (mock::Spawn::new(layer.layer(inner)), handle)
}

/// A handler that answers on its first poll never holds a place.
#[tokio::test]
async fn a_handler_that_answers_at_once_holds_no_place() {
    let layer = AdmissionLayer::new(Some(1), Overload::Shed);
    let (mut svc, mut handle) = connection(&layer, 2);
    for _ in 0..2 {
        assert_ready_ok!(svc.poll_ready());
        let mut answer = task::spawn(svc.call("req"));
        handle.next_request().await.unwrap().1.send_response("done");
        assert_ready_ok!(answer.poll());
        assert_eq!(working(&layer), 0);
    }
}

/// A waiting handler holds a place from its first `Pending` to its answer.
#[tokio::test]
async fn a_waiting_handler_holds_a_place_until_it_answers() {
    let layer = AdmissionLayer::new(Some(4), Overload::Shed);
    let (mut svc, mut handle) = connection(&layer, 1);
    assert_ready_ok!(svc.poll_ready());
    let mut answer = task::spawn(svc.call("req"));
    assert_eq!(working(&layer), 0, "not counted at call");
    assert_pending!(answer.poll());
    assert_pending!(answer.poll());
    assert_eq!(working(&layer), 1, "counted once");
    handle.next_request().await.unwrap().1.send_response("done");
    assert_ready_ok!(answer.poll());
    assert_eq!(working(&layer), 0);
}

/// At the cap, a request on any connection is shed without reaching its handler.
#[tokio::test]
async fn at_the_cap_a_request_on_another_connection_is_shed_unhandled() {
    let layer = AdmissionLayer::new(Some(1), Overload::Shed);
    let (mut busy, _busy_handle) = connection(&layer, 1);
    assert_ready_ok!(busy.poll_ready());
    let mut working = task::spawn(busy.call("slow"));
    assert_pending!(working.poll());

    let (mut other, mut other_handle) = connection(&layer, 1);
    assert_ready_ok!(other.poll_ready());
    let mut shed = task::spawn(other.call("req"));
    let err = assert_ready!(shed.poll()).expect_err("over the cap");
    assert!(err.is::<Overloaded>(), "{err}");
    assert!(
        other_handle.poll_request().is_pending(),
        "the handler is not called"
    );
}

/// A waiting handler dropped unfinished (its connection cut, or its
/// timeout) gives its place back.
#[tokio::test]
async fn a_dropped_waiting_handler_gives_its_place_back() {
    let layer = AdmissionLayer::new(Some(1), Overload::Shed);
    let (mut svc, _handle) = connection(&layer, 1);
    assert_ready_ok!(svc.poll_ready());
    let mut answer = task::spawn(svc.call("req"));
    assert_pending!(answer.poll());
    assert_eq!(working(&layer), 1);
    drop(answer);
    assert_eq!(working(&layer), 0);
}

/// With no cap every request reaches its handler.
#[tokio::test]
async fn with_no_cap_every_request_is_called() {
    let layer = AdmissionLayer::new(None, Overload::Shed);
    let (mut svc, mut handle) = connection(&layer, 2);
    let mut waiting = Vec::new();
    for _ in 0..2 {
        assert_ready_ok!(svc.poll_ready());
        let mut answer = task::spawn(svc.call("req"));
        assert_pending!(answer.poll());
        waiting.push(answer);
    }
    for mut answer in waiting {
        handle.next_request().await.unwrap().1.send_response("done");
        assert_ready_ok!(answer.poll());
    }
}

/// In shed mode a service that is not ready sheds the request, and is
/// called once it is ready again.
#[tokio::test]
async fn shed_mode_sheds_while_the_service_is_not_ready() {
    let layer = AdmissionLayer::new(None, Overload::Shed);
    let (mut svc, mut handle) = connection(&layer, 0);
    assert_ready_ok!(svc.poll_ready(), "shed mode is always ready");
    let err = assert_ready!(task::spawn(svc.call("req")).poll()).expect_err("not ready");
    assert!(err.is::<Overloaded>(), "{err}");

    handle.allow(1);
    assert_ready_ok!(svc.poll_ready());
    let mut answer = task::spawn(svc.call("req"));
    handle.next_request().await.unwrap().1.send_response("done");
    assert_ready_ok!(answer.poll());
}

/// In queue mode, at the cap, `poll_ready` waits, and a place freed wakes it.
#[tokio::test]
async fn queue_mode_waits_for_a_place_instead_of_shedding() {
    let layer = AdmissionLayer::new(Some(1), Overload::Queue);
    let (mut busy, mut busy_handle) = connection(&layer, 1);
    assert_ready_ok!(busy.poll_ready());
    let mut working = task::spawn(busy.call("slow"));
    assert_pending!(working.poll());

    let (mut other, mut other_handle) = connection(&layer, 1);
    assert_pending!(other.poll_ready(), "full: waits");
    assert_pending!(other.poll_ready(), "still full");
    assert!(!other.is_woken());

    busy_handle
        .next_request()
        .await
        .unwrap()
        .1
        .send_response("done");
    assert_ready_ok!(working.poll());
    assert!(
        other.is_woken(),
        "the freed place wakes the waiting connection"
    );
    assert_ready_ok!(other.poll_ready());
    let mut answer = task::spawn(other.call("req"));
    other_handle
        .next_request()
        .await
        .unwrap()
        .1
        .send_response("done");
    assert_ready_ok!(answer.poll());
}

/// In queue mode a service that is not ready makes `poll_ready` wait
/// (backpressure) instead of shedding.
#[tokio::test]
async fn queue_mode_waits_for_the_service_to_be_ready() {
    let layer = AdmissionLayer::new(None, Overload::Queue);
    let (mut svc, mut handle) = connection(&layer, 0);
    assert_pending!(svc.poll_ready());
    handle.allow(1);
    assert!(svc.is_woken());
    assert_ready_ok!(svc.poll_ready());
}

/// In queue mode, under the cap, `poll_ready` is ready at once.
#[tokio::test]
async fn queue_mode_under_the_cap_is_ready_at_once() {
    let layer = AdmissionLayer::new(Some(2), Overload::Queue);
    let (mut svc, mut handle) = connection(&layer, 2);
    assert_ready_ok!(svc.poll_ready());
    let mut first = task::spawn(svc.call("req"));
    assert_pending!(first.poll());
    assert_eq!(working(&layer), 1);
    assert_ready_ok!(svc.poll_ready(), "one place left");
    handle.next_request().await.unwrap().1.send_response("done");
    assert_ready_ok!(first.poll());
    assert_eq!(working(&layer), 0);
}

impl super::returned::GiveBack for &'static str {
    fn give_back(self) -> Option<crate::Message> {
        None
    }
}
