//! [`ResponseFuture`]: one call on a [`Connection`](super::Connection).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use super::held::Held;
use super::link::Answer;
use super::shared::Shared;
use crate::proto::NO_LOAD;
use crate::{Code, Error, Resp};

/// The future a [`Connection`](super::Connection) call returns.
///
/// Dropping it before it completes (a timeout, a cancelled task) leaves a
/// reservation for its `Uid` (or, if its request was still waiting for
/// room, drops the request and frees the `Uid`); see
/// [`Connection`](super::Connection).
pub struct ResponseFuture {
    state: State,
}

enum State {
    /// The connection's backlog was full: the request waits for room.
    Held(Box<Held>),
    Waiting {
        answer: Answer,
        /// The `Uid` on the wire: needed to tombstone it if the caller
        /// gives up.
        uid: Arc<str>,
        shared: Arc<Shared>,
        /// In [`UidMode::Tagged`](super::UidMode::Tagged): the caller's
        /// `Uid`, which the answer gets back in place of the wire tag.
        caller_uid: Option<String>,
    },
    Failed(Option<Error>),
    Done,
    /// Done, shed by a jsonmux server, which gave the request back: its
    /// `Uid` and `Val`, for the pool to send again.
    GivenBack(String, String),
}

impl ResponseFuture {
    /// The call is no longer wanted, and not for a timeout (a copy of it
    /// answered first): given up as when dropped, but not counted as one
    /// more timeout in a row against the connection.
    pub(crate) fn withdraw(&mut self) {
        self.give_up(false);
        if matches!(self.state, State::Waiting { .. } | State::Held(_)) {
            self.state = State::Done;
        }
    }

    /// The caller gives the call up before its answer: its `Uid` is freed
    /// (and a jsonmux server told), one more timeout in a row against the
    /// connection if `timed_out`.
    fn give_up(&self, timed_out: bool) {
        match &self.state {
            State::Waiting { uid, shared, .. } => {
                match timed_out {
                    true => shared.abandon(uid),
                    false => shared.withdraw(uid),
                }
                shared.stats.abandoned();
            }
            State::Held(held) if held.is_held() => {
                held.shared.give_up_unsent(&held.key, timed_out);
                held.shared.stats.abandoned();
            }
            _ => {}
        }
    }

    /// Once it failed `overloaded`: the request as its jsonmux server gave
    /// it back (`Uid`, `Val`), if it did.
    pub(crate) fn given_back(&mut self) -> Option<(String, String)> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::GivenBack(uid, val) => Some((uid, val)),
            other => {
                self.state = other;
                None
            }
        }
    }

    pub(crate) fn waiting(
        answer: Answer,
        uid: Arc<str>,
        shared: Arc<Shared>,
        caller_uid: Option<String>,
    ) -> Self {
        ResponseFuture {
            state: State::Waiting {
                answer,
                uid,
                shared,
                caller_uid,
            },
        }
    }

    pub(crate) fn held(held: Held) -> Self {
        ResponseFuture {
            state: State::Held(Box::new(held)),
        }
    }

    pub(crate) fn failed(e: Error) -> Self {
        ResponseFuture {
            state: State::Failed(Some(e)),
        }
    }
}

impl fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl Future for ResponseFuture {
    type Output = Result<Resp, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let State::Held(held) = &mut self.state {
            // 0. Send the request once there is room; then wait as any call.
            let sent = ready!(held.poll_send(cx));
            let State::Held(held) = std::mem::replace(&mut self.state, State::Done) else {
                unreachable!("matched above")
            };
            self.state = match sent {
                Ok(answer) => State::Waiting {
                    answer,
                    uid: held.key,
                    shared: held.shared,
                    caller_uid: held.caller_uid,
                },
                Err(e) => State::Failed(Some(e)),
            };
        }
        let mut given_back = None;
        let out = match &mut self.state {
            State::Waiting {
                answer,
                shared,
                caller_uid,
                ..
            } => {
                let answered = match answer {
                    Answer::Channel(rx) => ready!(Pin::new(rx).poll(cx)).ok(),
                    #[cfg(feature = "tokio-tower")]
                    Answer::TokioTower(call) => ready!(Pin::new(call).poll(cx)),
                };
                match answered {
                    Some(Resp {
                        error: Some(msg),
                        code,
                        uid,
                        val,
                        load,
                        ..
                    }) => {
                        let e = shared.failed(Error::from_answer(code, msg));
                        // Shed by a jsonmux server: an `overloaded` answer
                        // without the server's delay gives the `Val` back.
                        let shed = code == Some(Code::Overloaded) && load == NO_LOAD;
                        if shed && shared.speaks_extension() {
                            given_back = Some((caller_uid.take().unwrap_or(uid), val));
                        }
                        Err(e)
                    }
                    Some(mut resp) => {
                        if let Some(uid) = caller_uid.take() {
                            resp.uid = uid;
                        }
                        Ok(resp)
                    }
                    // The engine dropped the call: the connection ended,
                    // and its cause was recorded first (tokio-tower's own
                    // error only says "cancelled").
                    None => Err(shared.failed(shared.closed_error())),
                }
            }
            State::Failed(e) => Err(e.take().expect("polled after completion")),
            State::Held(_) => unreachable!("queued above"),
            State::Done | State::GivenBack(..) => panic!("ResponseFuture polled after completion"),
        };
        self.state = match given_back {
            Some((uid, val)) => State::GivenBack(uid, val),
            None => State::Done,
        };
        Poll::Ready(out)
    }
}

impl Drop for ResponseFuture {
    #[inline]
    fn drop(&mut self) {
        self.give_up(true);
    }
}
