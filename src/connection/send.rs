//! How a call starts on a [`Connection`]: its `Uid` taken in the
//! in-flight table, its request handed to the engine (or held in the
//! call's future while the backlog is full), or the message given back.

use super::backlog::Backlog;
use super::future::ResponseFuture;
use super::held::Held;
use super::inflight::Refused;
use super::queued::Queued;
use super::service::Connection;
use crate::{Error, Message};

impl Connection {
    /// [`Service::call`](tower::Service::call) without `&mut`.
    pub(crate) fn send(&self, msg: Message) -> ResponseFuture {
        self.try_send(msg).unwrap_or_else(|msg| {
            // Given back: its `Uid` is taken here, or the connection drains.
            let refused = match self.shared.is_draining() {
                true => Refused::Draining,
                false => Refused::Duplicate,
            };
            self.refused(self.shared.refusal(refused, &msg.uid))
        })
    }

    /// Sends `msg`, or gives it back (as it came, the caller's `Uid` on it)
    /// if its `Uid` is taken here (in flight, or abandoned with its answer
    /// still due) or the connection is draining: what a pool calls in
    /// place, to try another connection then. A call given back is not
    /// counted here.
    #[inline]
    pub(crate) fn try_send(&self, mut msg: Message) -> Result<ResponseFuture, Message> {
        let caller_uid = self.shared.tags().map(|tags| tags.tag(&mut msg));
        if msg.deadline().is_none() && self.shared.inherits_deadline() {
            msg.set_deadline(crate::deadline::current());
        }
        let (caller, received) = self.link.caller();
        let (key, seq) = match self.shared.begin(&msg.uid, caller) {
            Ok(taken) => taken,
            Err(Refused::Duplicate | Refused::Draining) => {
                if let Some(uid) = caller_uid {
                    msg.uid = uid;
                }
                return Err(msg);
            }
            Err(Refused::Closed) => return Ok(self.refused(self.shared.closed_error())),
        };
        self.shared.stats.call();
        let size = Backlog::size(&msg);
        let request = Queued {
            key: key.clone(),
            seq,
            msg,
        };
        if !self.shared.backlog.try_take(size) {
            // The backlog is full (a peer slow to read): the request waits
            // in the call's future, its deadline running.
            let link = self.link.clone();
            let held = Held::new(link, request, size, received, &self.shared, caller_uid);
            return Ok(ResponseFuture::held(held));
        }
        let Some(answer) = self.link.send(request, received, &self.shared) else {
            self.shared.backlog.give_back(size);
            self.shared.cancel(&key);
            let e = self.shared.failed(self.shared.closed_error());
            return Ok(ResponseFuture::failed(e));
        };
        Ok(ResponseFuture::waiting(
            answer,
            key,
            self.shared.clone(),
            caller_uid,
        ))
    }

    /// Fails `msg`, whose `Uid` is taken (here, or on every connection a
    /// pool could send it on), counting it here.
    #[cold]
    pub(crate) fn refuse_duplicate(&self, msg: Message) -> ResponseFuture {
        self.refused(Error::DuplicateUid(msg.uid))
    }

    /// A call that fails before it is sent, counted.
    fn refused(&self, e: Error) -> ResponseFuture {
        self.shared.stats.call();
        ResponseFuture::failed(self.shared.failed(e))
    }
}
