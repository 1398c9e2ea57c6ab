//! [`Health`]'s rules, each with explicit times.

use super::*;
use crate::connection::inflight::Caller;
use std::sync::Arc;

const SEC: Duration = Duration::from_secs(1);

fn health(opts: ConnectionOptions, t0: Instant) -> Health {
    Health::new(&opts, t0)
}

/// Only the rules named on top of `..off()` are on.
fn off() -> ConnectionOptions {
    ConnectionOptions {
        read_timeout: None,
        write_timeout: None,
        max_consecutive_timeouts: None,
        abandoned_timeout: None,
        max_abandoned: None,
        ..ConnectionOptions::default()
    }
}

/// A table with `n` callers waiting; their keys.
fn waiting(f: &mut InFlight, n: usize) -> Vec<Arc<str>> {
    (0..n)
        .map(|i| {
            f.begin(
                &format!("c{}-{i}", f.len()),
                Caller::Channel(tokio::sync::oneshot::channel().0),
                Some(Instant::now()),
            )
            .map(|(key, _)| key)
        })
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn silence_with_callers_waiting_is_fatal_once_it_reaches_the_read_timeout() {
    let t0 = Instant::now();
    let mut f = InFlight::default();
    waiting(&mut f, 1);
    let mut h = health(
        ConnectionOptions {
            read_timeout: Some(10 * SEC),
            ..off()
        },
        t0,
    );
    assert!(h.check(t0 + 9 * SEC, &mut f).is_none());
    let dead = h.check(t0 + 10 * SEC, &mut f);
    assert!(
        matches!(dead, Some(Verdict::Dead(CloseReason::PeerSilent(d))) if d == 10 * SEC),
        "{dead:?}"
    );
}

#[test]
fn silence_with_only_reservations_left_is_idle_time_not_a_dead_peer() {
    let t0 = Instant::now();
    let mut f = InFlight::default();
    for key in waiting(&mut f, 3) {
        f.abandon(&key);
    }
    let mut h = health(
        ConnectionOptions {
            read_timeout: Some(SEC),
            ..off()
        },
        t0,
    );
    assert!(h.check(t0 + 100 * SEC, &mut f).is_none());
}

#[test]
fn calls_that_give_up_one_after_the_other_add_up_to_a_silent_peer() {
    let t0 = Instant::now();
    let mut f = InFlight::default();
    let mut h = health(
        ConnectionOptions {
            read_timeout: Some(10 * SEC),
            ..off()
        },
        t0,
    );
    for at in [t0, t0 + 3 * SEC, t0 + 6 * SEC] {
        h.busy(at);
        let key = waiting(&mut f, 1).remove(0);
        assert!(h.check(at + 2 * SEC, &mut f).is_none());
        f.abandon(&key);
        h.abandoned(at + 2 * SEC, true);
    }
    waiting(&mut f, 1);
    h.busy(t0 + 9 * SEC);
    assert!(h.check(t0 + 9 * SEC, &mut f).is_none());
    let dead = h.check(t0 + 10 * SEC, &mut f);
    assert!(
        matches!(dead, Some(Verdict::Dead(CloseReason::PeerSilent(d))) if d == 10 * SEC),
        "{dead:?}"
    );
}

#[test]
fn an_answer_owed_for_longer_than_the_read_timeout_leaves_the_next_call_its_own_clock() {
    let t0 = Instant::now();
    let mut f = InFlight::default();
    let mut h = health(
        ConnectionOptions {
            read_timeout: Some(10 * SEC),
            ..off()
        },
        t0,
    );
    let key = waiting(&mut f, 1).remove(0);
    f.abandon(&key);
    h.abandoned(t0 + SEC, true);
    waiting(&mut f, 1);
    h.busy(t0 + 11 * SEC);
    assert!(h.check(t0 + 20 * SEC, &mut f).is_none());
    assert!(h.check(t0 + 21 * SEC, &mut f).is_some());
}

#[test]
fn an_answer_to_our_call_restarts_the_silence_wanted_or_late() {
    let t0 = Instant::now();
    let mut f = InFlight::default();
    waiting(&mut f, 3);
    let mut h = health(
        ConnectionOptions {
            read_timeout: Some(10 * SEC),
            ..off()
        },
        t0,
    );
    h.answered(Some(t0 + 8 * SEC), false);
    assert!(h.check(t0 + 17 * SEC, &mut f).is_none());
    h.answered(None, true);
    assert!(
        h.check(t0 + 18 * SEC, &mut f).is_some(),
        "no time given: not a new batch"
    );
}

#[test]
fn timeouts_in_a_row_are_fatal_at_the_limit_and_only_a_wanted_answer_ends_the_streak() {
    let t0 = Instant::now();
    let mut f = InFlight::default();
    let max = ConnectionOptions {
        max_consecutive_timeouts: Some(3),
        ..off()
    };
    let mut h = health(max, t0);
    h.abandoned(t0, false);
    h.abandoned(t0, false);
    assert!(h.check(t0, &mut f).is_none());
    h.answered(Some(t0), true);
    h.abandoned(t0, false);
    h.abandoned(t0, false);
    assert!(h.check(t0, &mut f).is_none(), "the answer reset the streak");
    h.answered(Some(t0), false);
    h.abandoned(t0, false);
    let dead = h.check(t0, &mut f);
    assert!(
        matches!(dead, Some(Verdict::Dead(CloseReason::TooManyTimeouts(3)))),
        "{dead:?}"
    );
}

#[test]
fn silence_is_reported_before_the_streak() {
    let t0 = Instant::now();
    let mut f = InFlight::default();
    waiting(&mut f, 1);
    let opts = ConnectionOptions {
        read_timeout: Some(SEC),
        max_consecutive_timeouts: Some(1),
        ..off()
    };
    let mut h = health(opts, t0);
    h.abandoned(t0, false);
    let dead = h.check(t0 + SEC, &mut f);
    assert!(
        matches!(dead, Some(Verdict::Dead(CloseReason::PeerSilent(_)))),
        "{dead:?}"
    );
}

#[test]
fn a_peer_that_takes_no_bytes_for_the_write_timeout_is_dead() {
    let t0 = Instant::now();
    let mut f = InFlight::default();
    let mut h = health(
        ConnectionOptions {
            write_timeout: Some(5 * SEC),
            ..off()
        },
        t0,
    );
    h.write_blocked(Some(t0 + SEC));
    assert!(h.check(t0 + 5 * SEC, &mut f).is_none());
    h.write_blocked(Some(t0 + 4 * SEC));
    assert!(
        h.check(t0 + 8 * SEC, &mut f).is_none(),
        "it took some: the clock restarted"
    );
    let dead = h.check(t0 + 9 * SEC, &mut f);
    assert!(
        matches!(dead, Some(Verdict::Dead(CloseReason::PeerNotReading(d))) if d == 5 * SEC),
        "{dead:?}"
    );
    h.write_blocked(None);
    assert!(h.check(t0 + 100 * SEC, &mut f).is_none(), "flowing again");
}

#[test]
fn too_many_reservations_retire_the_connection() {
    let t0 = Instant::now();
    let h = health(
        ConnectionOptions {
            max_abandoned: Some(4),
            ..off()
        },
        t0,
    );
    assert!(h.too_many_reserved(3).is_none());
    assert!(matches!(
        h.too_many_reserved(4),
        Some(CloseReason::AnswersOverdue(4))
    ));
    let unlimited = health(off(), t0);
    assert!(unlimited.too_many_reserved(usize::MAX).is_none());
}

#[test]
fn a_reservation_that_lives_through_a_whole_abandoned_timeout_retires_the_connection() {
    let t0 = Instant::now();
    let mut f = InFlight::default();
    let keys = waiting(&mut f, 2);
    let mut h = health(
        ConnectionOptions {
            abandoned_timeout: Some(10 * SEC),
            ..off()
        },
        t0,
    );
    f.abandon(&keys[0]);
    assert!(h.check(t0 + 9 * SEC, &mut f).is_none());
    assert!(
        h.check(t0 + 10 * SEC, &mut f).is_none(),
        "one generation: young"
    );
    f.abandon(&keys[1]);
    assert!(
        h.check(t0 + 19 * SEC, &mut f).is_none(),
        "at least the timeout to come"
    );
    let spent = h.check(t0 + 20 * SEC, &mut f);
    assert!(
        matches!(spent, Some(Verdict::Retire(CloseReason::AnswersOverdue(1)))),
        "at most twice the timeout: {spent:?}"
    );
}

#[test]
fn a_late_answer_within_the_abandoned_timeout_retires_nothing() {
    let t0 = Instant::now();
    let mut f = InFlight::default();
    let keys = waiting(&mut f, 1);
    let mut h = health(
        ConnectionOptions {
            abandoned_timeout: Some(10 * SEC),
            ..off()
        },
        t0,
    );
    f.abandon(&keys[0]);
    assert!(h.check(t0 + 10 * SEC, &mut f).is_none());
    assert!(matches!(
        f.answer("c0-0", None),
        crate::connection::inflight::Answered::Late
    ));
    assert!(h.check(t0 + 20 * SEC, &mut f).is_none());
}

#[test]
fn rules_turned_off_never_fire() {
    let t0 = Instant::now();
    let mut f = InFlight::default();
    for key in waiting(&mut f, 1000) {
        f.abandon(&key);
    }
    waiting(&mut f, 1);
    let mut h = health(off(), t0);
    for _ in 0..1000 {
        h.abandoned(t0, false);
    }
    h.write_blocked(Some(t0));
    assert!(h.check(t0 + 1000 * SEC, &mut f).is_none());
    assert!(h.too_many_reserved(1000).is_none());
}

#[test]
fn checks_come_at_a_quarter_of_the_shorter_timeout_within_bounds() {
    let t0 = Instant::now();
    let every = |read_timeout, write_timeout| {
        let opts = ConnectionOptions {
            read_timeout,
            write_timeout,
            ..off()
        };
        health(opts, t0).check_every()
    };
    let ms = Duration::from_millis;
    assert_eq!(every(Some(ms(400)), None), ms(100));
    assert_eq!(every(Some(30 * SEC), Some(ms(400))), ms(100));
    assert_eq!(every(None, Some(ms(4))), CHECK_EVERY_MIN);
    assert_eq!(every(Some(30 * SEC), None), CHECK_EVERY_MAX);
    assert_eq!(every(None, None), CHECK_EVERY_MAX);
}
