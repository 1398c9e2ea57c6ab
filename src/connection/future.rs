//! [`ResponseFuture`]: one call on a [`Connection`](super::Connection).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use tokio::sync::oneshot;

use super::shared::Shared;
use crate::{Error, Resp};

/// The future a [`Connection`](super::Connection) call returns.
///
/// Dropping it before it completes (a timeout, a cancelled task) leaves a
/// tombstone for its `Uid`; see [`Connection`](super::Connection).
pub struct ResponseFuture {
    state: State,
}

enum State {
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
}

/// Where a call's answer comes from: the connection's engine.
pub(crate) enum Answer {
    /// jsonmux's engine: the channel the in-flight table hands it to.
    Channel(oneshot::Receiver<Resp>),
    /// tokio-tower's engine: the call through its `Buffer` and multiplex
    /// client (boxed: jsonmux's calls keep a small future).
    #[cfg(feature = "tokio-tower")]
    TokioTower(Box<super::tokio_tower::Call>),
}

impl ResponseFuture {
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
                    Answer::TokioTower(call) => ready!(Pin::new(&mut **call).poll(cx)).ok(),
                };
                match answered {
                    Some(Resp {
                        error: Some(msg),
                        code,
                        ..
                    }) => Err(shared.failed(Error::from_answer(code, msg))),
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
            State::Done => panic!("ResponseFuture polled after completion"),
        };
        self.state = State::Done;
        Poll::Ready(out)
    }
}

impl Drop for ResponseFuture {
    #[inline]
    fn drop(&mut self) {
        if let State::Waiting { uid, shared, .. } = &self.state {
            shared.abandon(uid);
            shared.stats.abandoned();
        }
    }
}
