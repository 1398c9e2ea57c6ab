//! The `compose` example's retry policy, for tower's `Retry` layer.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use jsonmux::{Code, Error, Message, Resp};
use tower::retry::budget::{Budget, TpsBudget};
use tower::retry::Policy;
use tower::BoxError;

/// The pause before a retry, so a shed call does not come straight back
/// to a full service.
const PAUSE: Duration = Duration::from_millis(5);

/// Retries, after a short pause and while the shared budget allows, a call
/// that surely did not run ([`Error::is_retryable`]: shed by the server or
/// by a load-shedding layer, refused, never sent) or that its handler
/// answered `unavailable` (its way of saying "later").
///
/// A `tower::retry::Policy` sees the result by reference, so it asks
/// [`Error::from_ref`], which knows tower's own `Overloaded` and `Elapsed`
/// as well as jsonmux's errors, wherever they come from in the stack.
#[derive(Clone)]
pub(crate) struct RetryNotRun {
    budget: Arc<TpsBudget>,
    /// Retries made, over every clone.
    retried: Arc<AtomicU64>,
}

impl RetryNotRun {
    /// A policy spending `budget`, shared by its clones.
    pub(crate) fn new(budget: TpsBudget) -> Self {
        RetryNotRun {
            budget: Arc::new(budget),
            retried: Arc::default(),
        }
    }

    /// Retries made so far.
    pub(crate) fn retried(&self) -> u64 {
        self.retried.load(Relaxed)
    }
}

impl Policy<Message, Resp, BoxError> for RetryNotRun {
    type Future = tokio::time::Sleep;

    fn retry(
        &mut self,
        _req: &mut Message,
        result: &mut Result<Resp, BoxError>,
    ) -> Option<Self::Future> {
        let Err(e) = result else {
            self.budget.deposit();
            return None;
        };
        let worth_it = Error::from_ref(&**e).is_some_and(|e| {
            e.is_retryable()
                || matches!(
                    e,
                    Error::Server {
                        code: Code::Unavailable,
                        ..
                    }
                )
        });
        if !worth_it || !self.budget.withdraw() {
            return None;
        }
        self.retried.fetch_add(1, Relaxed);
        Some(tokio::time::sleep(PAUSE))
    }

    fn clone_request(&mut self, req: &Message) -> Option<Message> {
        Some(req.clone())
    }
}
