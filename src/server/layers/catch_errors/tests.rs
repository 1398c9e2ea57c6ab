use std::future::Future;

use tokio_test::{assert_pending, assert_ready_err, assert_ready_ok, task};
use tower::{Layer, Service};
use tower_test::mock;

use super::future::HANDLER_PANICKED;
use super::CatchErrorsLayer;
use crate::{Code, Error, Message, Resp};

type Handle = mock::Handle<Message, Resp>;
type Svc = mock::Spawn<super::CatchErrors<mock::Mock<Message, Resp>>>;

fn service() -> (Svc, Handle) {
    let (mut svc, mut handle) =
        mock::spawn_layer(CatchErrorsLayer::new(None, tracing::Level::DEBUG));
    handle.allow(1);
    assert_ready_ok!(svc.poll_ready());
    (svc, handle)
}

/// Calls "pixel-1", lets the handler fail with `e`, returns the answer.
async fn answer_to_failure(e: tower::BoxError) -> Resp {
    let (mut svc, mut handle) = service();
    let mut answer = task::spawn(svc.call(Message::new("pixel-1", "x")));
    assert_pending!(answer.poll());
    let (_, send) = handle
        .next_request()
        .await
        .expect("the request reaches the handler");
    send.send_error(e);
    assert_ready_ok!(answer.poll())
}

/// The handler's own answer goes through untouched.
#[tokio::test]
async fn an_answer_passes_through_unchanged() {
    let (mut svc, mut handle) = service();
    let mut answer = task::spawn(svc.call(Message::new("pixel-1", "x")));
    let (req, send) = handle.next_request().await.unwrap();
    assert_eq!(req, Message::new("pixel-1", "x"));
    let resp = Resp::error("pixel-1", Code::NotFound, "no such pig");
    send.send_response(resp.clone());
    assert_eq!(assert_ready_ok!(answer.poll()), resp);
}

/// A handler's failure is an answer with code `handler`, to its `Uid`.
#[tokio::test]
async fn a_handler_error_becomes_a_handler_answer_to_its_uid() {
    let resp = answer_to_failure("disk on fire".into()).await;
    assert_eq!(resp.uid, "pixel-1");
    assert_eq!(resp.code, Some(Code::Handler));
    assert_eq!(resp.error.as_deref(), Some("disk on fire"));
}

/// tower's timeout and load-shedding errors keep their kinds.
#[tokio::test]
async fn timeouts_and_shedding_keep_their_codes() {
    let elapsed = answer_to_failure(tower::timeout::error::Elapsed::new().into()).await;
    assert_eq!(elapsed.code, Some(Code::Timeout));
    let shed = answer_to_failure(tower::load_shed::error::Overloaded::new().into()).await;
    assert_eq!(shed.code, Some(Code::Overloaded));
    assert_eq!(shed.error.as_deref(), Some("service overloaded"));
}

/// A jsonmux error answer a proxy passes on is not wrapped again.
#[tokio::test]
async fn a_relayed_server_error_keeps_its_code_and_message() {
    let relayed = Error::Server {
        code: Code::Unavailable,
        message: "upstream down".into(),
    };
    let resp = answer_to_failure(relayed.into()).await;
    assert_eq!(resp.code, Some(Code::Unavailable));
    assert_eq!(resp.error.as_deref(), Some("upstream down"));
}

/// A readiness error is not tied to a request: it is not caught.
#[tokio::test]
async fn a_readiness_error_passes_through() {
    let (mut svc, mut handle) =
        mock::spawn_layer::<Message, Resp, _>(CatchErrorsLayer::new(None, tracing::Level::DEBUG));
    handle.send_error("broken");
    assert_ready_err!(svc.poll_ready());
}

/// Calls a service made of `handler` under the layer with `msg`.
fn call_fn<F, Fut>(
    handler: F,
    msg: Message,
) -> task::Spawn<impl Future<Output = Result<Resp, tower::BoxError>>>
where
    F: FnMut(Message) -> Fut,
    Fut: Future<Output = Result<Resp, tower::BoxError>>,
{
    let mut svc =
        CatchErrorsLayer::new(None, tracing::Level::DEBUG).layer(tower::service_fn(handler));
    task::spawn(svc.call(msg))
}

/// A handler that panics while it is polled is answered `handler`, "handler panicked", to its `Uid`.
#[test]
fn a_panic_while_polled_becomes_a_handler_answer() {
    let mut answer = call_fn(
        |_| async { panic!("pig escaped") },
        Message::new("pixel-1", "x"),
    );
    let resp = assert_ready_ok!(answer.poll());
    assert_eq!(resp.uid, "pixel-1");
    assert_eq!(resp.code, Some(Code::Handler));
    assert_eq!(resp.error.as_deref(), Some(HANDLER_PANICKED));
}

/// A service whose `call` panics is answered the same way, and is called again for the next request.
#[test]
fn a_panic_in_call_becomes_a_handler_answer_and_the_service_lives_on() {
    let mut svc = CatchErrorsLayer::new(None, tracing::Level::DEBUG).layer(tower::service_fn(
        |msg: Message| {
            assert_ne!(msg.val, "boom", "called with boom");
            std::future::ready(Ok::<_, tower::BoxError>(crate::HelloService::hello(msg)))
        },
    ));
    let mut panicked = task::spawn(svc.call(Message::new("p", "boom")));
    let resp = assert_ready_ok!(panicked.poll());
    assert_eq!((resp.uid.as_str(), resp.code), ("p", Some(Code::Handler)));
    let mut next = task::spawn(svc.call(Message::new("n", "fine")));
    assert_eq!(assert_ready_ok!(next.poll()).val, "server: hello, fine");
}

/// An answer the handler left without its `Uid` (or with another) goes out with the request's.
#[test]
fn every_answer_carries_its_requests_uid_whatever_the_handler_said() {
    let forgot = |_| async {
        Ok(Resp {
            val: "oink".into(),
            ..Resp::default()
        })
    };
    let mut answer = call_fn(forgot, Message::new("pixel-1", "x"));
    let resp = assert_ready_ok!(answer.poll());
    assert_eq!((resp.uid.as_str(), resp.val.as_str()), ("pixel-1", "oink"));
    let other = |_| async { Ok(Resp::error("someone-else", Code::NotFound, "no pig")) };
    let mut answer = call_fn(other, Message::new("pixel-2", "x"));
    let resp = assert_ready_ok!(answer.poll());
    assert_eq!(
        (resp.uid.as_str(), resp.code),
        ("pixel-2", Some(Code::NotFound))
    );
}
