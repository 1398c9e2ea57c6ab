//! [`Shared::route`]: every answer read, judged in one place for both
//! engines.

use std::sync::atomic::Ordering;

use tokio::time::Instant;

use super::Shared;
use crate::connection::inflight::{Answered, Caller};
use crate::proto::NO_LOAD;
use crate::{CloseReason, Code, Resp};

/// What [`Shared::route`] leaves to the engine.
#[derive(Debug)]
pub(crate) enum Routed {
    /// Nothing: the answer was handed to its caller, dropped, or taken as
    /// the server's word about the connection.
    Done,
    /// An answer for tokio-tower's multiplex client to hand over: its
    /// handle on the call, and the answer.
    #[cfg(feature = "tokio-tower")]
    HandOver(::tokio_tower::multiplex::client::Pending<Resp>, Resp),
}

impl Shared {
    /// Routes an answer read from the peer; `heard_at` is the time of the
    /// batch it came in. Only an answer to one of this connection's calls
    /// (wanted, or late) is progress for its [`Health`]. The answer
    /// goes to its caller (on jsonmux's engine, here; on tokio-tower's,
    /// [`Routed::HandOver`] gives it back for the engine's client to hand
    /// over) or is dropped if nobody wants it (an abandoned or unknown
    /// `Uid`). An error answer without a `Uid` is about the whole
    /// connection, the server's word: a going-away notice starts the drain,
    /// any other that no caller claims is the cause every call in flight
    /// will see.
    ///
    /// [`Health`]: crate::connection::health::Health
    pub(crate) fn route(&self, mut resp: Resp, heard_at: Option<Instant>) -> Routed {
        if resp.uid.is_empty() && resp.code == Some(Code::GoingAway) {
            let message = resp.error.unwrap_or_default();
            tracing::debug!(%message, "the server is going away; draining the connection");
            self.drain(CloseReason::Server {
                code: Code::GoingAway,
                message,
            });
            return Routed::Done;
        }
        // Only an error answer without a Uid can be about the connection;
        // keep what it said before the answer is handed over.
        let last_word = match (&resp.uid[..], &resp.error) {
            ("", Some(msg)) => Some(CloseReason::Server {
                code: resp.code.unwrap_or(Code::Unknown),
                message: msg.clone(),
            }),
            _ => None,
        };
        // The request's number is the connection's business, not the caller's.
        let seq = resp.seq.take();
        if seq.is_some() && !self.speaks_extension() {
            self.peer_cancels.store(true, Ordering::Relaxed);
        }
        if resp.load != NO_LOAD {
            self.latency.server(u64::from(resp.load));
        }
        let mut table = self.lock();
        let caller = match table.in_flight.answer(&resp.uid, seq) {
            Answered::Wanted(caller, began) => {
                match (resp.code, began) {
                    (Some(Code::Overloaded), _) => self.latency.turned_away(),
                    (_, Some(began)) => {
                        let heard_at = heard_at.unwrap_or_else(Instant::now);
                        self.latency
                            .round_trip(heard_at.saturating_duration_since(began));
                    }
                    (_, None) => self.latency.answered(),
                }
                table.health.answered(heard_at, true);
                Some(caller)
            }
            Answered::Late => {
                table.health.answered(heard_at, false);
                None
            }
            Answered::Unknown => None,
        };
        self.sync_len(&table);
        let drained = table.in_flight.is_drained();
        drop(table);
        let claimed = match caller {
            // A caller dropped since is the same as abandoned.
            Some(Caller::Channel(c)) => c.send(resp).is_ok(),
            #[cfg(feature = "tokio-tower")]
            Some(Caller::TokioTower(slot)) => match slot.take_pending() {
                Some(pending) => {
                    if drained {
                        self.drained();
                    }
                    return Routed::HandOver(pending, resp);
                }
                // The connection is closing: its caller reads the cause.
                None => false,
            },
            _ => false,
        };
        if drained {
            self.drained();
        }
        if claimed {
            return Routed::Done;
        }
        match last_word {
            // The server's last word about the whole connection (bad input,
            // a limit): the connection ends with it, and every request in
            // flight sees it as the cause, whether or not the peer closes.
            Some(cause) => self.abort(cause),
            None => tracing::debug!("an answer nobody waits for (late or unknown uid); dropped"),
        }
        Routed::Done
    }
}
