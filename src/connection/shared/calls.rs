//! A call's `Uid` in the table: taken (or refused), given up on (a
//! cancel for a server that speaks the extension, else a reservation
//! until its late answer), or freed when its request never goes out.

use std::sync::Arc;

use tokio::time::Instant;

use super::Shared;
use crate::connection::cancels::Cancel;
use crate::connection::inflight::{Caller, Refused};
use crate::connection::queued::Queued;
use crate::Error;

impl Shared {
    /// Takes `uid` for a new request whose answer goes to `caller`;
    /// returns the key and the request's number, or why it was refused ([`Refused::Duplicate`]:
    /// `uid` is taken; [`Refused::Closed`]: the connection has ended;
    /// [`Refused::Draining`]: it takes no new call); [`Shared::refusal`]
    /// turns that into the caller's error.
    #[inline]
    pub(crate) fn begin(&self, uid: &str, caller: Caller) -> Result<(Arc<str>, u64), Refused> {
        // The call's start, for how long it takes, from a server that does
        // not say its delay (or on an idle connection, where the silence
        // counts from; reservations left over do not make it busy).
        let idle = self.len() == 0;
        let now = (idle || !self.speaks_extension()).then(Instant::now);
        let mut table = self.lock();
        if !table.in_flight.has_callers() {
            table.health.busy(now.unwrap_or_else(Instant::now));
        }
        let taken = table.in_flight.begin(uid, caller, now)?;
        self.sync_len(&table);
        Ok(taken)
    }

    /// The error of a call `begin` refused: [`Error::DuplicateUid`], or the
    /// closed error (with the drain's cause, for a draining connection).
    pub(crate) fn refusal(&self, refused: Refused, uid: &str) -> Error {
        match refused {
            Refused::Duplicate => Error::DuplicateUid(uid.to_owned()),
            Refused::Closed => self.closed_error(),
            Refused::Draining => match self.drain_cause.get() {
                Some(cause) => Error::Closed(cause.clone()),
                None => self.closed_error(),
            },
        }
    }

    /// The caller of `key` gave up before its answer: one more timeout in
    /// a row, and either a cancel for the server (it speaks the extension:
    /// the `Uid` is free at once) or a reservation (if that makes too many
    /// reservations, the connection retires: it drains).
    pub(crate) fn abandon(&self, key: &Arc<str>) {
        self.give_up(key, true);
    }

    /// The caller of `key` gave up on purpose (its call was answered
    /// elsewhere): as [`abandon`](Self::abandon), but not a timeout.
    pub(crate) fn withdraw(&self, key: &Arc<str>) {
        self.give_up(key, false);
    }

    /// [`abandon`](Self::abandon), one more timeout in a row if `timed_out`.
    fn give_up(&self, key: &Arc<str>, timed_out: bool) {
        let now = Instant::now();
        if self.speaks_extension() {
            return self.cancel_on_peer(key, now, timed_out);
        }
        let mut table = self.lock();
        if !table.in_flight.abandon(key) {
            return;
        }
        match timed_out {
            true => table.health.abandoned(now, true),
            false => table.health.withdrawn(now, true),
        }
        let spent = table.health.too_many_reserved(table.in_flight.reserved());
        let drained = table.in_flight.is_drained();
        drop(table);
        match spent {
            Some(cause) => self.drain(cause),
            None if drained => self.drained(),
            None => {}
        }
    }

    /// [`abandon`](Self::abandon) on a connection whose server speaks the
    /// extension: the `Uid` is freed and the server told to drop the request.
    fn cancel_on_peer(&self, key: &Arc<str>, now: Instant, timed_out: bool) {
        let mut table = self.lock();
        let Some(seq) = table.in_flight.give_up(key) else {
            return;
        };
        // The server answers a cancelled request with nothing: it owes no
        // answer, so the silence does not count against it.
        match timed_out {
            true => table.health.abandoned(now, false),
            false => table.health.withdrawn(now, false),
        }
        self.sync_len(&table);
        let drained = table.in_flight.is_drained();
        drop(table);
        self.cancels.push(Cancel {
            uid: key.clone(),
            seq,
        });
        self.stats.cancel_sent();
        if drained {
            self.drained();
        }
    }

    /// The caller of `key` gave up before its request was handed to the
    /// engine (it waited for room): forgets it, and one more timeout in a
    /// row if `timed_out`.
    pub(crate) fn give_up_unsent(&self, key: &Arc<str>, timed_out: bool) {
        let now = Instant::now();
        let mut table = self.lock();
        table.in_flight.cancel(key);
        match timed_out {
            true => table.health.abandoned(now, false),
            false => table.health.withdrawn(now, false),
        }
        self.sync_len(&table);
        let drained = table.in_flight.is_drained();
        drop(table);
        if drained {
            self.drained();
        }
    }

    /// The request of `key` never reached the wire: forgets it.
    pub(crate) fn cancel(&self, key: &Arc<str>) {
        let mut table = self.lock();
        table.in_flight.cancel(key);
        self.sync_len(&table);
    }

    /// jsonmux's task is about to write `batch`: keeps the requests whose
    /// caller still waits, and drops the others (their callers gave up
    /// while they were queued, so no answer must come for them: their
    /// `Uid`s are free).
    pub(crate) fn sending(&self, batch: &mut Vec<Queued>) {
        if batch.iter().all(Queued::surely_wanted) {
            return;
        }
        let mut table = self.lock();
        let before = table.in_flight.len();
        batch.retain(|q| table.in_flight.sending(&q.key));
        if table.in_flight.len() != before {
            self.sync_len(&table);
        }
    }
}
