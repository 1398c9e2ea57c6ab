//! [`Link`]: how a [`Connection`](super::Connection)'s calls reach its
//! engine, and what travels on it: the request ([`Queued`]) one way, where
//! its answer will come from ([`Answer`]) the other.

use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot};

use super::dispatch::{Background, Dispatch};
use super::inflight::Caller;
use super::options::ConnectionOptions;
use super::queued::Queued;
use super::shared::Shared;
use crate::{Engine, Resp};

/// Where a new call's answer is to be received, as [`Link::caller`] made
/// it for the call's entry in the in-flight table.
pub(crate) enum Received {
    /// jsonmux's engine: the channel the table hands the answer to.
    Channel(oneshot::Receiver<Resp>),
    /// tokio-tower's engine: the call's slot, which its entry holds too.
    #[cfg(feature = "tokio-tower")]
    TokioTower(Arc<super::tokio_tower::Slot>),
}

/// Where a call's answer comes from: the connection's engine.
pub(crate) enum Answer {
    /// jsonmux's engine: the channel the in-flight table hands it to.
    Channel(oneshot::Receiver<Resp>),
    /// tokio-tower's engine: the call through its multiplex client.
    #[cfg(feature = "tokio-tower")]
    TokioTower(super::tokio_tower::Call),
}

/// How a [`Connection`](super::Connection)'s calls reach its engine;
/// dropping every clone lets the engine finish.
#[derive(Clone)]
pub(super) enum Link {
    /// jsonmux's engine: the queue to its background task.
    Jsonmux(mpsc::UnboundedSender<Queued>),
    /// tokio-tower's engine: its multiplex client, behind its feed.
    #[cfg(feature = "tokio-tower")]
    TokioTower(super::tokio_tower::Handle),
}

impl Link {
    /// Starts the engine `opts` names over `io` and spawns its task (so it
    /// must be called within a tokio runtime): the one place a client
    /// connection's engine is chosen.
    pub(super) fn start<T>(io: T, opts: &ConnectionOptions, shared: &Arc<Shared>) -> Link
    where
        T: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    {
        match opts.engine {
            Engine::Jsonmux => {
                let (link, background) = Link::jsonmux(io, opts, shared);
                tokio::spawn(background);
                link
            }
            #[cfg(feature = "tokio-tower")]
            Engine::TokioTower => {
                Link::TokioTower(super::tokio_tower::Handle::start(io, opts, shared))
            }
        }
    }

    /// jsonmux's engine over `io`: the link, and the task to run.
    pub(super) fn jsonmux<T>(
        io: T,
        opts: &ConnectionOptions,
        shared: &Arc<Shared>,
    ) -> (Link, Background<T>)
    where
        T: AsyncRead + AsyncWrite + Unpin,
    {
        let (requests, queue) = mpsc::unbounded_channel();
        let dispatch = Dispatch::new(io, queue, shared.clone(), opts);
        (Link::Jsonmux(requests), Background::new(dispatch))
    }

    /// Who waits for a new call's answer, for its entry in the in-flight
    /// table, and where the answer will be received.
    #[inline]
    pub(super) fn caller(&self) -> (Caller, Received) {
        match self {
            Link::Jsonmux(_) => {
                let (caller, answer) = oneshot::channel();
                (Caller::Channel(caller), Received::Channel(answer))
            }
            #[cfg(feature = "tokio-tower")]
            Link::TokioTower(_) => {
                let slot = Arc::default();
                (
                    Caller::TokioTower(Arc::clone(&slot)),
                    Received::TokioTower(slot),
                )
            }
        }
    }

    /// Hands `request` to the engine; returns where its answer comes from
    /// (`received`: what [`caller`](Self::caller) gave), or `None` if the
    /// engine is gone.
    #[inline]
    #[cfg_attr(not(feature = "tokio-tower"), allow(unused_variables))]
    pub(super) fn send(
        &self,
        request: Queued,
        received: Received,
        shared: &Arc<Shared>,
    ) -> Option<Answer> {
        match (self, received) {
            (Link::Jsonmux(requests), Received::Channel(answer)) => {
                requests.send(request).ok()?;
                Some(Answer::Channel(answer))
            }
            #[cfg(feature = "tokio-tower")]
            (Link::TokioTower(handle), Received::TokioTower(slot)) => {
                let call = handle.send(request, slot, shared.clone());
                Some(Answer::TokioTower(call))
            }
            #[cfg(feature = "tokio-tower")]
            _ => unreachable!("made by this link's caller()"),
        }
    }
}
