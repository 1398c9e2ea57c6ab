use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio_test::{assert_pending, assert_ready_ok, task};
use tower::{Layer, Service};

use super::{CancelLayer, Cancellations};
use crate::{Message, Resp};

/// A request numbered `seq` (the extension's `Sq`), as a server reads it.
fn numbered(seq: u64) -> Message {
    let mut msg = Message::new(format!("u{seq}"), "x");
    msg.ext.seq = Some(seq);
    msg
}

/// A handler that never answers, and tells when its future is dropped.
fn hanging(
    dropped: Arc<AtomicBool>,
) -> impl Service<Message, Response = Resp, Error = tower::BoxError> {
    tower::service_fn(move |_: Message| {
        struct Dropped(Arc<AtomicBool>);
        impl Drop for Dropped {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let guard = Dropped(dropped.clone());
        async move {
            let _guard = guard;
            std::future::pending::<Result<Resp, tower::BoxError>>().await
        }
    })
}

#[test]
fn a_cancel_drops_the_working_handler_at_once_and_ends_its_request_without_an_answer() {
    let cancellations = Arc::new(Cancellations::default());
    let dropped = Arc::new(AtomicBool::new(false));
    let mut svc = CancelLayer::new(cancellations.clone()).layer(hanging(dropped.clone()));
    let mut call = task::spawn(svc.call(numbered(7)));
    assert_pending!(call.poll());
    assert_eq!(cancellations.len(), 1, "registered once working");
    assert!(!cancellations.cancel(8), "another number reaches nothing");
    assert!(cancellations.cancel(7));
    assert!(call.is_woken(), "the cancel wakes the request");
    let resp = assert_ready_ok!(call.poll());
    assert!(resp.cancelled, "no answer is written for it");
    assert!(dropped.load(Ordering::SeqCst), "the handler was dropped");
    assert_eq!(cancellations.len(), 0);
}

#[test]
fn a_request_without_a_number_or_answered_at_once_is_never_registered() {
    let cancellations = Arc::new(Cancellations::default());
    let dropped = Arc::new(AtomicBool::new(false));
    let mut svc = CancelLayer::new(cancellations.clone()).layer(hanging(dropped));
    let mut plain = task::spawn(svc.call(Message::new("a", "x")));
    assert_pending!(plain.poll());
    assert_eq!(cancellations.len(), 0, "nothing can cancel it");
    let mut hello = CancelLayer::new(cancellations.clone()).layer(crate::HelloService);
    let mut answered = task::spawn(hello.call(numbered(1)));
    assert_eq!(assert_ready_ok!(answered.poll()).uid, "u1");
    assert_eq!(cancellations.len(), 0);
}

#[test]
fn a_request_dropped_while_working_leaves_no_registration() {
    let cancellations = Arc::new(Cancellations::default());
    let mut svc = CancelLayer::new(cancellations.clone()).layer(hanging(Arc::default()));
    let mut call = task::spawn(svc.call(numbered(3)));
    assert_pending!(call.poll());
    drop(call);
    assert_eq!(cancellations.len(), 0);
    assert!(!cancellations.cancel(3), "nothing to stop");
}
