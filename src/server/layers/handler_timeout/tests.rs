use std::time::Duration;

use tokio::time::advance;
use tokio_test::{assert_pending, assert_ready, assert_ready_ok, task};
use tower::timeout::error::Elapsed;
use tower_test::mock;

use super::HandlerTimeoutLayer;
use crate::{Code, Error, Message};

const LIMIT: Duration = Duration::from_secs(2);

type Svc = mock::Spawn<super::HandlerTimeout<mock::Mock<Message, &'static str>>>;
type Handle = mock::Handle<Message, &'static str>;

fn req() -> Message {
    Message::new("pixel-1", "pixelpig!")
}

fn service() -> (Svc, Handle) {
    let (mut svc, mut handle) = mock::spawn_layer(HandlerTimeoutLayer::new(Some(LIMIT)));
    handle.allow(1);
    assert_ready_ok!(svc.poll_ready());
    (svc, handle)
}

/// A handler that answers within the limit is not failed.
#[tokio::test(start_paused = true)]
async fn a_handler_that_answers_in_time_gets_its_answer_through() {
    let (mut svc, mut handle) = service();
    let mut answer = task::spawn(svc.call(req()));
    assert_pending!(answer.poll());
    advance(LIMIT - Duration::from_millis(1)).await;
    assert_pending!(answer.poll());
    handle.next_request().await.unwrap().1.send_response("done");
    assert_eq!(assert_ready_ok!(answer.poll()), "done");
}

/// A handler still working at the limit fails with tower's `Elapsed`.
#[tokio::test(start_paused = true)]
async fn a_handler_past_the_limit_fails_with_elapsed() {
    let (mut svc, _handle) = service();
    let mut answer = task::spawn(svc.call(req()));
    assert_pending!(answer.poll());
    advance(LIMIT).await;
    assert!(answer.is_woken(), "the clock wakes the caller");
    let err = assert_ready!(answer.poll()).expect_err("past the limit");
    assert!(err.is::<Elapsed>(), "{err}");
}

/// The clock starts on the first poll that finds the handler working,
/// not at `call`.
#[tokio::test(start_paused = true)]
async fn the_clock_starts_when_the_handler_is_first_found_working() {
    let (mut svc, _handle) = service();
    let mut answer = task::spawn(svc.call(req()));
    advance(LIMIT * 2).await;
    assert_pending!(answer.poll(), "armed only now");
    advance(LIMIT - Duration::from_millis(1)).await;
    assert_pending!(answer.poll());
    advance(Duration::from_millis(1)).await;
    assert!(assert_ready!(answer.poll()).is_err());
}

/// An answer ready on the first poll is taken even with a zero limit.
#[tokio::test(start_paused = true)]
async fn an_answer_ready_at_once_wins_over_any_limit() {
    let (mut svc, mut handle) = mock::spawn_layer(HandlerTimeoutLayer::new(Some(Duration::ZERO)));
    handle.allow(1);
    assert_ready_ok!(svc.poll_ready());
    let mut answer = task::spawn(svc.call(req()));
    handle.next_request().await.unwrap().1.send_response("done");
    assert_eq!(assert_ready_ok!(answer.poll()), "done");
}

/// With no limit a handler may work for as long as it takes.
#[tokio::test(start_paused = true)]
async fn with_no_limit_a_handler_is_never_failed() {
    let (mut svc, mut handle) = mock::spawn_layer(HandlerTimeoutLayer::new(None));
    handle.allow(1);
    assert_ready_ok!(svc.poll_ready());
    let mut answer = task::spawn(svc.call(req()));
    assert_pending!(answer.poll());
    advance(Duration::from_secs(24 * 3600)).await;
    assert_pending!(answer.poll());
    handle.next_request().await.unwrap().1.send_response("done");
    assert_eq!(assert_ready_ok!(answer.poll()), "done");
}

/// A handler whose deadline has passed by its first `Pending` is stopped at once.
#[tokio::test(start_paused = true)]
async fn a_handler_found_working_past_its_deadline_is_stopped_at_once() {
    let (mut svc, _handle) = service();
    let late = req().with_deadline(tokio::time::Instant::now());
    let mut answer = task::spawn(svc.call(late));
    let err = assert_ready!(answer.poll()).expect_err("past the deadline");
    assert!(
        matches!(
            err.downcast_ref::<Error>(),
            Some(Error::Server {
                code: Code::Timeout,
                ..
            })
        ),
        "{err}"
    );
}

/// A handler still working at its caller's deadline, before its own limit,
/// is stopped then with a `timeout` error.
#[tokio::test(start_paused = true)]
async fn a_handler_is_stopped_at_its_callers_deadline_before_its_limit() {
    let (mut svc, _handle) = service();
    let soon = req().with_timeout(Duration::from_millis(500));
    let mut answer = task::spawn(svc.call(soon));
    assert_pending!(answer.poll());
    advance(Duration::from_millis(500)).await;
    let err = assert_ready!(answer.poll()).expect_err("past the deadline");
    assert!(
        matches!(
            err.downcast_ref::<Error>(),
            Some(Error::Server {
                code: Code::Timeout,
                ..
            })
        ),
        "{err}"
    );
}

/// While the handler is polled, its request's deadline is the one a
/// client called from it keeps to.
#[tokio::test(start_paused = true)]
async fn the_handler_runs_with_its_requests_deadline_current() {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
    let saw = seen.clone();
    let svc = tower::service_fn(move |_: Message| {
        *saw.lock().unwrap() = crate::deadline::current();
        std::future::ready(Ok::<_, tower::BoxError>("done"))
    });
    let mut svc = tower::Layer::layer(&HandlerTimeoutLayer::new(Some(LIMIT)), svc);
    let mut answer = task::spawn(tower::Service::call(
        &mut svc,
        req().with_deadline(deadline),
    ));
    assert_ready_ok!(answer.poll());
    assert_eq!(*seen.lock().unwrap(), None, "set while polled, not at call");
    let svc = tower::service_fn(move |_: Message| async {
        Ok::<_, tower::BoxError>(crate::deadline::current())
    });
    let mut svc = tower::Layer::layer(&HandlerTimeoutLayer::new(Some(LIMIT)), svc);
    let mut answer = task::spawn(tower::Service::call(
        &mut svc,
        req().with_deadline(deadline),
    ));
    assert_eq!(assert_ready_ok!(answer.poll()), Some(deadline));
}
