//! [`Shared`]'s rules: routing answers, draining, the progress its
//! health is fed, the bounds it keeps.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use super::Shared;
use crate::connection::inflight::{Caller, Refused};
use crate::connection::options::ConnectionOptions;
use crate::connection::queued::Queued;
use crate::{CloseReason, Code, Error, Message, Resp};

fn shared() -> Shared {
    Shared::new(&ConnectionOptions::default())
}

fn begin(s: &Shared, uid: &str) -> Result<(Arc<str>, oneshot::Receiver<Resp>), Refused> {
    let (tx, rx) = oneshot::channel();
    s.begin(uid, Caller::Channel(tx)).map(|(key, _)| (key, rx))
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
    s.drain(CloseReason::ClientClosed);
    assert!(s.is_draining());
    assert!(matches!(begin(&s, "c"), Err(Refused::Draining)));
    s.route(answer_to("a"), None);
    assert_eq!(a.try_recv().unwrap().uid, "a");
    assert!(!s.kill().is_cancelled(), "b is in flight");
    s.abandon(&b);
    assert!(s.kill().is_cancelled(), "the last caller gave up");
    assert!(matches!(s.cause(), Some(CloseReason::ClientClosed)));
}

#[test]
fn a_drain_with_nothing_in_flight_ends_the_connection_at_once() {
    let s = shared();
    s.drain(CloseReason::ClientClosed);
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
    let going_away = matches!(
        refused,
        Error::Closed(CloseReason::Server {
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
    s.drain(CloseReason::ClientClosed);
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
        CloseReason::Server {
            code: Code::BadRequest,
            ..
        }
    );
    assert!(bad_request, "{cause:?}");
}

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn reservations_left_over_do_not_make_an_idle_connection_look_silent() {
    let s = shared();
    let (a, _rx) = begin(&s, "a").unwrap();
    s.abandon(&a);
    assert!(s.check(Instant::now() + HOUR).is_none());
    assert_eq!(s.len(), 1, "the reservation is still there");
}

#[test]
fn answers_to_uids_never_sent_are_not_progress() {
    let opts = ConnectionOptions {
        read_timeout: Some(Duration::from_secs(10)),
        max_consecutive_timeouts: Some(2),
        abandoned_timeout: None,
        ..ConnectionOptions::default()
    };
    let s = Shared::new(&opts);
    let t0 = Instant::now();
    let (a, _a) = begin(&s, "a").unwrap();
    let _b = begin(&s, "b").unwrap();
    s.abandon(&a);
    for (i, uid) in ["", "ghost", "a-not", "a"].iter().enumerate() {
        s.route(answer_to(uid), Some(t0 + Duration::from_secs(i as u64 + 5)));
    }
    assert!(
        s.check(t0 + Duration::from_secs(9)).is_none(),
        "the late answer to a was progress at 8 s"
    );
    let (c, _c) = begin(&s, "c").unwrap();
    s.abandon(&c);
    s.route(answer_to("ghost"), Some(t0 + Duration::from_secs(12)));
    let dead = s.check(t0 + Duration::from_secs(12));
    assert!(
        matches!(dead, Some(CloseReason::TooManyTimeouts(2))),
        "{dead:?}"
    );
    let dead = s.check(t0 + Duration::from_secs(18));
    assert!(matches!(dead, Some(CloseReason::PeerSilent(_))), "{dead:?}");
}

#[test]
fn too_many_reservations_retire_the_connection() {
    let opts = ConnectionOptions {
        max_abandoned: Some(2),
        ..ConnectionOptions::default()
    };
    let s = Shared::new(&opts);
    let (a, _a) = begin(&s, "a").unwrap();
    let (b, _b) = begin(&s, "b").unwrap();
    let (_, mut waiting) = begin(&s, "c").unwrap();
    s.abandon(&a);
    assert!(!s.is_draining());
    s.abandon(&b);
    assert!(s.is_draining(), "retired at the limit");
    assert!(matches!(begin(&s, "d"), Err(Refused::Draining)));
    s.route(answer_to("c"), None);
    assert_eq!(waiting.try_recv().unwrap().uid, "c");
    assert!(matches!(s.cause(), Some(CloseReason::AnswersOverdue(2))));
}

#[test]
fn overdue_reservations_retire_the_connection_at_a_check() {
    let opts = ConnectionOptions {
        abandoned_timeout: Some(Duration::from_secs(10)),
        ..ConnectionOptions::default()
    };
    let s = Shared::new(&opts);
    let t0 = Instant::now();
    let (a, _a) = begin(&s, "a").unwrap();
    s.abandon(&a);
    assert!(s.check(t0 + Duration::from_secs(10)).is_none());
    assert!(!s.is_draining());
    assert!(
        s.check(t0 + Duration::from_secs(20)).is_none(),
        "drained, not dead"
    );
    assert!(matches!(s.cause(), Some(CloseReason::AnswersOverdue(1))));
}

#[test]
fn only_requests_whose_callers_still_wait_are_written() {
    let s = shared();
    let (a, _a) = begin(&s, "a").unwrap();
    let (b, _b) = begin(&s, "b").unwrap();
    s.abandon(&b);
    let mut batch: Vec<Queued> = [a, b]
        .into_iter()
        .map(|key| Queued {
            msg: Message::new(&*key, "x"),
            seq: 0,
            key,
        })
        .collect();
    s.sending(&mut batch);
    assert_eq!(batch.len(), 1);
    assert_eq!(batch[0].msg.uid, "a");
    assert_eq!(s.len(), 1, "b's Uid is free: its request never went out");
}

#[test]
fn a_queued_request_is_known_wanted_without_the_lock_only_while_entry_and_future_hold_its_key() {
    let s = shared();
    let queue = |key: &Arc<str>| Queued {
        msg: Message::new(&**key, "x"),
        seq: 0,
        key: key.clone(),
    };
    let (a, _a) = begin(&s, "a").unwrap();
    let queued = queue(&a);
    assert!(queued.surely_wanted());
    s.abandon(&a);
    drop(a); // the call's future, gone with its caller
    assert!(!queued.surely_wanted(), "given up on");
    let (b, mut made_up) = begin(&s, "b").unwrap();
    let queued = queue(&b);
    s.route(answer_to("b"), None);
    assert!(made_up.try_recv().is_ok(), "answered before it was sent");
    assert!(!queued.surely_wanted());
    let mut batch = vec![queued];
    s.sending(&mut batch);
    assert!(batch.is_empty(), "nobody waits for what it would bring");
}

#[test]
fn a_call_withdrawn_before_it_was_sent_is_not_a_timeout() {
    let opts = ConnectionOptions {
        max_consecutive_timeouts: Some(1),
        ..ConnectionOptions::default()
    };
    let s = Shared::new(&opts);
    let (a, _a) = begin(&s, "a").unwrap();
    s.give_up_unsent(&a, false);
    assert!(
        s.check(Instant::now()).is_none(),
        "withdrawn: not one in a row"
    );
    assert_eq!(s.len(), 0, "its Uid is free");
    let (b, _b) = begin(&s, "b").unwrap();
    s.give_up_unsent(&b, true);
    let dead = s.check(Instant::now());
    assert!(
        matches!(dead, Some(CloseReason::TooManyTimeouts(1))),
        "{dead:?}"
    );
}
