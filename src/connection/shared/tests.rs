//! [`Shared`]'s rules: routing answers, draining.

use super::*;
use tokio::sync::oneshot;

fn shared() -> Shared {
    Shared::new(&ConnectionOptions::default())
}

fn begin(s: &Shared, uid: &str) -> Result<(Arc<str>, oneshot::Receiver<Resp>), Refused> {
    let (tx, rx) = oneshot::channel();
    s.begin(uid, Caller::Channel(tx)).map(|key| (key, rx))
}

fn answer_to(uid: &str) -> Resp {
    Resp {
        uid: uid.into(),
        ..Resp::default()
    }
}

#[test]
fn a_drain_refuses_new_calls_and_ends_the_connection_after_the_last_one() {
    let s = shared();
    let (_, mut a) = begin(&s, "a").unwrap();
    let (b, _rx) = begin(&s, "b").unwrap();
    s.drain(Error::ClientClosed);
    assert!(s.is_draining());
    assert!(matches!(begin(&s, "c"), Err(Refused::Draining)));
    s.route(answer_to("a"), None);
    assert_eq!(a.try_recv().unwrap().uid, "a");
    assert!(!s.kill().is_cancelled(), "b is in flight");
    s.abandon(&b);
    assert!(s.kill().is_cancelled(), "the last caller gave up");
    assert!(matches!(s.cause(), Some(Error::ClientClosed)));
}

#[test]
fn a_drain_with_nothing_in_flight_ends_the_connection_at_once() {
    let s = shared();
    s.drain(Error::ClientClosed);
    assert!(s.kill().is_cancelled());
    assert!(s.is_closed());
}

#[test]
fn a_going_away_notice_starts_the_drain_and_reaches_no_caller() {
    let s = shared();
    let (_, mut empty) = begin(&s, "").unwrap();
    s.route(Resp::error("", Code::GoingAway, "bye"), None);
    assert!(s.is_draining());
    assert!(
        empty.try_recv().is_err(),
        "not handed to the call with an empty Uid"
    );
    assert!(!s.is_closed(), "that call is still in flight");
    let refused = s.refusal(Refused::Draining, "late");
    let cause = std::error::Error::source(&refused).and_then(|c| c.downcast_ref::<Error>());
    let going_away = matches!(
        cause,
        Some(Error::Server {
            code: Code::GoingAway,
            ..
        })
    );
    assert!(going_away, "{refused:?}");
}

#[test]
fn the_last_answer_of_a_draining_connection_ends_it() {
    let s = shared();
    let (_, mut b) = begin(&s, "b").unwrap();
    s.drain(Error::ClientClosed);
    assert!(!s.kill().is_cancelled(), "b is in flight");
    s.route(answer_to("b"), None);
    assert_eq!(b.try_recv().unwrap().uid, "b", "answered first");
    assert!(s.kill().is_cancelled(), "then the task stops");
}

#[test]
fn the_servers_word_that_no_caller_claims_is_the_connections_cause() {
    let s = shared();
    let _a = begin(&s, "a").unwrap();
    s.route(Resp::error("", Code::BadRequest, "bad input"), None);
    let cause = s.cause().expect("the connection's cause");
    let bad_request = matches!(
        cause,
        Error::Server {
            code: Code::BadRequest,
            ..
        }
    );
    assert!(bad_request, "{cause:?}");
}
