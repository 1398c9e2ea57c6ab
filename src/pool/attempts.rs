//! [`Attempts`]: a call sent on a pool's connection, and what may follow
//! it: sent again when its server answered that nothing ran, or a copy on
//! another endpoint when it is slow (hedging).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use tokio::time::{Instant, Sleep};

use super::call::Call;
use super::set::Set;
use crate::{CloseReason, Code, Error, Message, Resp};

/// Times a call is sent again, at most, after answers that say nothing ran.
const MAX_RETRIES: u8 = 2;

/// A call sent, and what may follow it.
pub(super) struct Attempts {
    call: Call,
    /// What it takes to send it again; `None` when the pool does not.
    /// (No copy of the request: a jsonmux server that sheds it gives it
    /// back.)
    retry: Option<Retry>,
    /// Its copy, for an idempotent call with hedging on (boxed: rare, and
    /// a call's future stays small).
    hedge: Option<Box<Hedging>>,
}

/// The pool, and what a request sent again keeps of the first.
struct Retry {
    set: Arc<Set>,
    deadline: Option<Instant>,
    left: u8,
}

/// A slow idempotent call's copy: the request to copy, and the copy.
struct Hedging {
    msg: Message,
    copy: Copy,
    /// When the call began, for the latencies the hedging delay follows.
    began: Option<Instant>,
}

enum Copy {
    /// Not yet: sent when the timer fires, unless the call is answered.
    Due(Pin<Box<Sleep>>),
    /// On its way, on another endpoint.
    Sent(Call),
    /// None: not due (no delay known yet), failed, or not possible.
    None,
}

/// The server said nothing ran for this call: safe to send again.
fn nothing_ran(e: &Error) -> bool {
    match e {
        Error::Overloaded => true,
        Error::Server { code, .. } => *code == Code::GoingAway,
        // Refused by a connection draining at its server's word: it never
        // left this client.
        Error::Closed(CloseReason::Server { code, .. }) => *code == Code::GoingAway,
        _ => false,
    }
}

/// What the pool keeps of a request it may send again, taken before it is
/// sent: its deadline, and a copy only for hedging.
pub(super) struct Plan {
    set: Arc<Set>,
    deadline: Option<Instant>,
    copy: Option<Message>,
}

impl Plan {
    /// The plan for `msg` on `set`; `None` when the pool sends nothing again.
    #[inline]
    pub(super) fn of(msg: &Message, set: &Arc<Set>) -> Option<Plan> {
        set.budget.as_ref()?;
        let hedged = set.hedger.is_some() && msg.is_idempotent();
        Some(Plan {
            set: set.clone(),
            deadline: msg.deadline(),
            copy: hedged.then(|| msg.clone()),
        })
    }
}

impl Attempts {
    /// `call`, sent as `plan` says.
    #[inline]
    pub(super) fn new(call: Call, plan: Option<Plan>) -> Self {
        let Some(plan) = plan else {
            return Attempts {
                call,
                retry: None,
                hedge: None,
            };
        };
        let hedge = plan.copy.and_then(|msg| {
            let hedger = plan.set.hedger.as_ref()?;
            Some(Box::new(Hedging {
                msg,
                copy: match hedger.delay() {
                    Some(delay) => Copy::Due(Box::pin(tokio::time::sleep(delay))),
                    None => Copy::None,
                },
                began: hedger.tracks_latency().then(Instant::now),
            }))
        });
        Attempts {
            call,
            retry: Some(Retry {
                set: plan.set,
                deadline: plan.deadline,
                left: MAX_RETRIES,
            }),
            hedge,
        }
    }

    pub(super) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<Resp, Error>> {
        loop {
            // 1. The copy: sent when due, and its answer if it came first.
            if let (Some(hedge), Some(retry)) = (&mut self.hedge, &self.retry) {
                if let Poll::Ready(Ok(resp)) = hedge.poll(retry, self.call.endpoint, cx) {
                    self.call.withdraw();
                    return Poll::Ready(Ok(resp));
                }
            }
            // 2. The call.
            let out = ready!(Pin::new(&mut self.call).poll(cx));
            let e = match &out {
                Ok(_) => {
                    if let (Some(hedge), Some(retry)) = (&mut self.hedge, &self.retry) {
                        hedge.answered(&retry.set, false);
                        if let Copy::Sent(copy) = &mut hedge.copy {
                            copy.withdraw();
                        }
                    }
                    return Poll::Ready(out);
                }
                Err(e) => e,
            };
            // It failed: the copy may still answer, or the call be sent again.
            if let Some(hedge) = &mut self.hedge {
                if let Copy::Sent(copy) = std::mem::replace(&mut hedge.copy, Copy::None) {
                    self.call = copy;
                    continue;
                }
            }
            let Some(retry) = self.retry.as_mut().filter(|_| nothing_ran(e)) else {
                return Poll::Ready(out);
            };
            let again = match &self.hedge {
                Some(hedge) => Some(hedge.msg.clone()),
                None => self.call.given_back().map(|(uid, val)| {
                    let mut msg = Message::new(uid, val);
                    msg.set_deadline(retry.deadline);
                    msg
                }),
            };
            match again.and_then(|msg| retry.send(msg, &self.call)) {
                Some(next) => self.call = next,
                None => return Poll::Ready(out),
            }
        }
    }
}

impl Retry {
    /// `msg` again, for the call `refused` (its server answered without
    /// running it), if its deadline and the budget allow; `None` to give
    /// up with the refusal.
    fn send(&mut self, msg: Message, refused: &Call) -> Option<Call> {
        if self.left == 0 || self.deadline.is_some_and(|d| d <= Instant::now()) {
            return None;
        }
        let budget = self.set.budget.as_ref()?;
        if !budget.withdraw(self.set.calls()) {
            self.set.counts.retries_refused.fetch_add(1, Relaxed);
            refused.retry_refused();
            return None;
        }
        self.left -= 1;
        self.set.counts.retries.fetch_add(1, Relaxed);
        refused.retried();
        self.set.send_again(msg, refused.endpoint).ok()
    }
}

impl Hedging {
    /// The copy of the call on `first`'s endpoint: sent once due (to
    /// another endpoint, if there is one and the budget allows); its
    /// answer if it came first (`Ready(Err)`: it failed, and is dropped).
    fn poll(
        &mut self,
        retry: &Retry,
        first: usize,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Resp, ()>> {
        if let Copy::Due(timer) = &mut self.copy {
            if timer.as_mut().poll(cx).is_ready() {
                self.copy = self.send(&retry.set, first);
            }
        }
        let Copy::Sent(copy) = &mut self.copy else {
            return Poll::Pending;
        };
        match ready!(Pin::new(&mut *copy).poll(cx)) {
            Ok(resp) => {
                copy.hedge_won();
                self.answered(&retry.set, true);
                Poll::Ready(Ok(resp))
            }
            Err(_) => {
                self.copy = Copy::None;
                Poll::Ready(Err(()))
            }
        }
    }

    /// The copy, on the cheapest connection to another endpoint than
    /// `first`'s, if there is one and the budget allows.
    fn send(&self, set: &Set, first: usize) -> Copy {
        let (Some(hedger), Some(budget)) = (&set.hedger, &set.budget) else {
            return Copy::None;
        };
        if !budget.withdraw(set.calls()) {
            return Copy::None;
        }
        let Some(sent) = set.send_copy(&self.msg, first) else {
            return Copy::None;
        };
        hedger.sent.fetch_add(1, Relaxed);
        sent.hedge_sent();
        Copy::Sent(sent)
    }

    /// The call was answered (by its copy, or not): its latency counts for
    /// the hedging delay.
    fn answered(&self, set: &Set, by_copy: bool) {
        let Some(hedger) = &set.hedger else {
            return;
        };
        if by_copy {
            hedger.won.fetch_add(1, Relaxed);
        }
        if let Some(began) = self.began {
            hedger.answered(began.elapsed());
        }
    }
}
