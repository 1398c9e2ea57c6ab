//! Tests of `InFlight`: the table of `Uid`s in flight as a state machine.

use super::*;

fn begin(f: &mut InFlight, uid: &str) -> Result<oneshot::Receiver<Resp>, Refused> {
    let (tx, rx) = oneshot::channel();
    f.begin(uid, Caller::Channel(tx), Some(Instant::now()))
        .map(|_| rx)
}

/// Like [`begin`], returning the key instead of the receiver (dropped).
fn key(f: &mut InFlight, uid: &str) -> Arc<str> {
    let (tx, _) = oneshot::channel();
    f.begin(uid, Caller::Channel(tx), Some(Instant::now()))
        .unwrap()
        .0
}

fn hand_over(answered: Answered, uid: &str) -> bool {
    let resp = Resp::new(uid, "");
    match answered {
        Answered::Wanted(Caller::Channel(c), _) => c.send(resp).is_ok(),
        _ => false,
    }
}

#[test]
fn a_uid_in_flight_is_refused_until_its_answer_arrives() {
    let mut f = InFlight::default();
    let mut rx = begin(&mut f, "a").unwrap();
    assert_eq!(begin(&mut f, "a").unwrap_err(), Refused::Duplicate);
    begin(&mut f, "b").unwrap();
    assert!(hand_over(f.answer("a", None), "a"));
    assert_eq!(rx.try_recv().unwrap().uid, "a");
    begin(&mut f, "a").unwrap();
    assert_eq!((f.len(), f.callers()), (2, 2));
}

#[test]
fn an_abandoned_uid_stays_reserved_until_its_late_answer_is_dropped() {
    let mut f = InFlight::default();
    let a = key(&mut f, "a");
    assert!(f.abandon(&a), "a caller was waiting");
    assert!(!f.has_callers());
    assert_eq!((f.len(), f.reserved()), (1, 1), "the reservation counts");
    assert_eq!(
        begin(&mut f, "a").unwrap_err(),
        Refused::Duplicate,
        "a late answer could reach the new request"
    );
    assert!(
        matches!(f.answer("a", None), Answered::Late),
        "goes nowhere"
    );
    assert_eq!(f.reserved(), 0);
    begin(&mut f, "a").unwrap();
}

#[test]
fn abandoning_after_the_answer_arrived_or_twice_changes_nothing() {
    let mut f = InFlight::default();
    let a = key(&mut f, "a");
    assert!(matches!(f.answer("a", None), Answered::Wanted(..)));
    assert!(!f.abandon(&a));
    assert_eq!(f.len(), 0);
    let b = key(&mut f, "b");
    assert!(f.abandon(&b));
    assert!(!f.abandon(&b), "already a reservation");
    assert_eq!(f.reserved(), 1);
}

#[test]
fn an_earlier_call_giving_up_late_never_touches_a_later_call_with_its_uid() {
    let mut f = InFlight::default();
    let first = key(&mut f, "a");
    assert!(matches!(f.answer("a", None), Answered::Wanted(..)));
    let mut second = begin(&mut f, "a").unwrap();
    assert!(!f.abandon(&first), "not the first call's entry any more");
    f.cancel(&first);
    assert!(!f.sending(&first));
    assert!(
        hand_over(f.answer("a", None), "a"),
        "the later call still waits"
    );
    assert_eq!(second.try_recv().unwrap().uid, "a");
}

#[cfg(feature = "tokio-tower")]
#[test]
fn a_request_not_on_the_wire_keeps_its_uid_and_no_answer_is_its_until_sent() {
    use crate::connection::tokio_tower::Slot;
    let mut f = InFlight::default();
    let a = Arc::new(Slot::default());
    f.begin("a", Caller::TokioTower(a.clone()), Some(Instant::now()))
        .unwrap();
    assert!(f.has_callers());
    assert_eq!(begin(&mut f, "a").unwrap_err(), Refused::Duplicate);
    assert!(
        matches!(f.answer("a", None), Answered::Unknown),
        "not on the wire: not its answer"
    );
    assert_eq!(f.len(), 1, "still taken");
    a.put_on_the_wire();
    assert!(matches!(
        f.answer("a", None),
        Answered::Wanted(Caller::TokioTower(slot), _) if Arc::ptr_eq(&slot, &a)
    ));
    let b = Arc::new(Slot::default());
    let (b_key, _) = f
        .begin("b", Caller::TokioTower(b.clone()), Some(Instant::now()))
        .unwrap();
    assert!(f.abandon(&b_key), "its caller gave up while it was queued");
    b.put_on_the_wire();
    assert!(
        matches!(f.answer("b", None), Answered::Late),
        "the reservation swallows the answer"
    );
    assert_eq!((f.len(), f.callers(), f.reserved()), (0, 0, 0));
}

#[test]
fn an_answer_for_an_unknown_or_empty_uid_is_unknown_and_changes_nothing() {
    let mut f = InFlight::default();
    let _a = key(&mut f, "a");
    assert!(matches!(f.answer("ghost", None), Answered::Unknown));
    assert!(matches!(f.answer("", None), Answered::Unknown));
    assert_eq!((f.len(), f.callers()), (1, 1));
}

#[test]
fn a_cancelled_request_frees_its_uid_at_once_even_abandoned() {
    let mut f = InFlight::default();
    let a = key(&mut f, "a");
    f.cancel(&a);
    assert_eq!((f.len(), f.callers()), (0, 0));
    let a = key(&mut f, "a");
    f.abandon(&a);
    f.cancel(&a);
    assert_eq!((f.len(), f.reserved()), (0, 0), "no late answer can come");
}

#[test]
fn only_a_request_whose_caller_still_waits_is_sent() {
    let mut f = InFlight::default();
    let a = key(&mut f, "a");
    assert!(f.sending(&a));
    let b = key(&mut f, "b");
    f.abandon(&b);
    assert!(!f.sending(&b), "given up on while queued");
    assert_eq!((f.len(), f.reserved()), (1, 0), "its reservation is gone");
    begin(&mut f, "b").unwrap();
    let c = key(&mut f, "c");
    assert!(
        matches!(f.answer("c", None), Answered::Wanted(..)),
        "made up"
    );
    let later = key(&mut f, "c");
    assert!(!f.sending(&c), "answered before it was sent: not sent");
    assert!(f.sending(&later), "the later call's own entry is untouched");
}

#[test]
fn reservations_that_live_through_a_whole_generation_are_counted_as_old() {
    let mut f = InFlight::default();
    let (a, b) = (key(&mut f, "a"), key(&mut f, "b"));
    f.abandon(&a);
    f.abandon(&b);
    assert_eq!(f.new_generation(), 0, "young ones are not old yet");
    let c = key(&mut f, "c");
    f.abandon(&c);
    assert!(matches!(f.answer("a", None), Answered::Late));
    assert_eq!(f.new_generation(), 1, "b lived through a generation");
    assert!(matches!(f.answer("b", None), Answered::Late));
    assert!(matches!(f.answer("c", None), Answered::Late));
    assert_eq!(f.reserved(), 0);
    assert_eq!(f.new_generation(), 0);
}

#[test]
fn only_waiting_callers_count_as_callers() {
    let mut f = InFlight::default();
    assert!(!f.has_callers());
    let a = key(&mut f, "a");
    assert!(f.has_callers());
    f.abandon(&a);
    assert!(!f.has_callers(), "a reservation waits for nobody");
    assert_eq!((f.callers(), f.reserved(), f.len()), (0, 1, 1));
}

#[test]
fn closing_wakes_every_caller_and_refuses_new_requests() {
    let mut f = InFlight::default();
    let mut rx = begin(&mut f, "a").unwrap();
    let b = key(&mut f, "b");
    f.abandon(&b);
    f.close();
    assert!(rx.try_recv().is_err(), "the sender is gone");
    assert_eq!(begin(&mut f, "b").unwrap_err(), Refused::Closed);
    assert_eq!((f.len(), f.callers(), f.reserved()), (0, 0, 0));
}

#[test]
fn a_draining_table_refuses_new_calls_and_keeps_those_in_flight() {
    let mut f = InFlight::default();
    let mut rx = begin(&mut f, "a").unwrap();
    f.drain();
    assert!(f.is_draining());
    assert_eq!(begin(&mut f, "b").unwrap_err(), Refused::Draining);
    assert!(f.has_callers());
    assert!(hand_over(f.answer("a", None), "a"));
    assert_eq!(rx.try_recv().unwrap().uid, "a");
    assert!(!f.has_callers(), "drained");
}

#[test]
fn an_answer_numbered_for_another_request_with_the_uid_is_not_its() {
    let mut f = InFlight::default();
    let (tx, _) = oneshot::channel();
    let (a, first) = f
        .begin("a", Caller::Channel(tx), Some(Instant::now()))
        .unwrap();
    assert_eq!(f.give_up(&a), Some(first), "cancelled: the Uid is free");
    let (tx, mut rx) = oneshot::channel();
    let (_, second) = f
        .begin("a", Caller::Channel(tx), Some(Instant::now()))
        .unwrap();
    assert_ne!(first, second, "numbers are never given twice");
    assert!(
        matches!(f.answer("a", Some(first)), Answered::Unknown),
        "the cancelled request's late answer"
    );
    assert!(hand_over(f.answer("a", Some(second)), "a"));
    assert_eq!(rx.try_recv().unwrap().uid, "a");
}
